"""Threads (beta): start a conversation thread with a first message, tag it, delete it.

    python examples/threads.py [--local]
"""

from _common import client

with client() as openai:
    thread = openai.call("beta.threads.create", {
        "messages": [{"role": "user", "content": "I need help with fractions."}], "metadata": {"topic": "math"}})
    print("created:", thread["id"], thread["metadata"])
    thread = openai.call("beta.threads.update", {"thread_id": thread["id"], "metadata": {"topic": "math", "level": "beginner"}})
    print("metadata:", openai.call("beta.threads.retrieve", {"thread_id": thread["id"]})["metadata"])
    print("deleted:", openai.call("beta.threads.delete", {"thread_id": thread["id"]})["deleted"])
