"""Runs (beta): ask an assistant a question in a thread, wait for the run, read the
answer and the run's steps.

    python examples/runs.py [--local]
"""

from _common import client

QUESTION = "What is one half plus one quarter?"

with client() as openai:
    assistant = openai.call("beta.assistants.create", {"model": "gpt-4.1-mini", "instructions": "Answer briefly."})
    thread = openai.call("beta.threads.create", {"messages": [{"role": "user", "content": QUESTION}]})
    print("question:", QUESTION)
    # a polling helper declared in the spec: create the run, read it until it has ended
    run = openai.call("beta.threads.runs.create_and_poll", {
        "thread_id": thread["id"], "assistant_id": assistant["id"], "poll_interval_ms": 500})
    print("run:", run["id"], run["status"])
    newest = openai.call("beta.threads.messages.list", {"thread_id": thread["id"], "order": "desc", "limit": 1})["data"][0]
    print("answer:", newest["content"][0]["text"]["value"])
    for step in openai.paginate("beta.threads.runs.steps.list", {"thread_id": thread["id"], "run_id": run["id"]}):
        print("step:", step["type"], step["status"])
    openai.call("beta.assistants.delete", {"assistant_id": assistant["id"]})
