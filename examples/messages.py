"""Messages (beta): add messages to a thread, page through them, then tag the last one
and delete it.

    python examples/messages.py [--local]
"""

from _common import client

with client() as openai:
    thread = openai.call("beta.threads.create", {})
    for text in ("What is a fraction?", "And a decimal?"):
        message = openai.call("beta.threads.messages.create", {"thread_id": thread["id"], "role": "user", "content": text})
        print("added:", message["id"], message["content"][0]["text"]["value"])
    for message in openai.paginate("beta.threads.messages.list", {"thread_id": thread["id"], "order": "asc"}):
        print("in thread:", message["id"])
    edited = openai.call("beta.threads.messages.update", {"thread_id": thread["id"], "message_id": message["id"], "metadata": {"seen": "yes"}})
    print("metadata:", edited["metadata"])
    print("deleted:", openai.call("beta.threads.messages.delete", {"thread_id": thread["id"], "message_id": message["id"]})["deleted"])
    openai.call("beta.threads.delete", {"thread_id": thread["id"]})
