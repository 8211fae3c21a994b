"""Responses, phase: replay earlier assistant turns marked as working notes
(``phase: commentary``) or as the answer given (``phase: final_answer``), then ask on.

    python examples/responses_phase.py [--local]
"""

from _common import client

QUESTION = "Now do the same for 12 times 13."
history = [
    {"role": "user", "content": "What is 11 times 12?"},
    {"type": "message", "role": "assistant", "phase": "commentary", "content": "11 x 12 = 110 + 22."},
    {"type": "message", "role": "assistant", "phase": "final_answer", "content": "132"},
    {"role": "user", "content": QUESTION},
]

with client() as openai:
    print("question:", QUESTION)
    response = openai.call("responses.create", {"model": "gpt-5.4", "input": history})
    for item in response["output"]:
        if item["type"] == "message":
            text = "".join(part["text"] for part in item["content"] if part["type"] == "output_text")
            print(f"answer ({item.get('phase') or 'no phase'}):", text)
