"""Chat Completions: one answer, then the same question streamed chunk by chunk.

    python examples/chat.py [--local]
"""

from _common import client

QUESTION = "Name three uses of a paper clip."
messages = [{"role": "system", "content": "Answer in one sentence."}, {"role": "user", "content": QUESTION}]

with client() as openai:
    print("question:", QUESTION)
    answer = openai.call("chat.completions.create", {"model": "gpt-4.1-mini", "messages": messages})
    print("answer:", answer["choices"][0]["message"]["content"])
    print("tokens:", answer["usage"]["total_tokens"])

    pieces = []
    for chunk in openai.call("chat.completions.create", {"model": "gpt-4.1-mini", "messages": messages, "stream": True}):
        for choice in chunk["choices"]:
            pieces.append(choice["delta"].get("content") or "")
    print("streamed:", "".join(pieces))
