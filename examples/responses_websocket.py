"""Responses over a websocket: connect once, send ``response.create`` events, read each
turn's events as they arrive, close the connection.

    python examples/responses_websocket.py [--local]
"""

from oaimap.live import RESPONSE_DONE

from _common import client

QUESTIONS = ["Give me a name for a grey cat.", "And one for a black cat?"]

with client() as openai:
    print("connected:", openai.call("responses.websocket", {"action": "connect", "connection_id": "cats"})["url"])
    previous = None
    for question in QUESTIONS:
        event = {"type": "response.create", "model": "gpt-4.1-mini", "input": question}
        if previous:
            event["previous_response_id"] = previous  # the next turn continues the first
        openai.call("responses.websocket", {"action": "send", "connection_id": "cats", "event": event})
        print("question:", question)
        text = ""
        for received in openai.websockets["cats"].events(until=RESPONSE_DONE):
            if received.event_type == "response.output_text.delta":
                text += received["delta"]
            elif received.event_type == "response.completed":
                previous = received["response"]["id"]
            elif received.event_type == "error":
                raise SystemExit(f"error: {received['error']['message']}")
        print("answer:", text)
    closed = openai.call("responses.websocket", {"action": "close", "connection_id": "cats"})
    print("closed:", closed["code"], closed["reason"])
