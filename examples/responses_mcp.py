"""Responses, remote MCP: let the model call the tools of a remote MCP server.

    python examples/responses_mcp.py [--local]
"""

from _common import client

QUESTION = "What transport protocols does the MCP specification define?"
mcp = {"type": "mcp", "server_label": "deepwiki", "server_url": "https://mcp.deepwiki.com/mcp",
       "require_approval": "never", "allowed_tools": ["ask_question"]}

with client() as openai:
    print("question:", QUESTION)
    response = openai.call("responses.create", {"model": "gpt-4.1-mini", "input": QUESTION, "tools": [mcp]})
    for item in response["output"]:
        if item["type"] == "mcp_call":
            print("mcp call:", item["server_label"], item["name"])
        elif item["type"] == "message":
            print("answer:", item["content"][0]["text"])
