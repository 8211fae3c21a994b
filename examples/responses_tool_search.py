"""Responses, tool search: offer many functions with ``defer_loading: true`` and the
``tool_search`` tool, so the model loads only the definitions it needs.

    python examples/responses_tool_search.py [--local]
"""

import json

from _common import client

QUESTION = "What is the weather in Lisbon?"


def function(name: str, description: str, **properties: dict) -> dict:
    return {"type": "function", "name": name, "description": description, "defer_loading": True,
            "parameters": {"type": "object", "properties": properties, "required": list(properties)}}


tools = [
    {"type": "tool_search"},
    function("get_weather", "Current weather for a city.", city={"type": "string"}),
    function("get_exchange_rate", "Exchange rate between two currencies.", base={"type": "string"}, quote={"type": "string"}),
    function("find_flights", "Flights between two airports on a date.", origin={"type": "string"}, destination={"type": "string"}),
]

with client() as openai:
    print("question:", QUESTION)
    response = openai.call("responses.create", {"model": "gpt-5.4", "input": QUESTION, "tools": tools})
    for item in response["output"]:
        if item["type"] == "function_call":
            print("call:", item["name"], json.loads(item["arguments"]))
        elif item["type"] == "message":
            print("answer:", item["content"][0]["text"])
        else:
            print("item:", item["type"])
