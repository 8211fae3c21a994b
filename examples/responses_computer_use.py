"""Responses, computer use: offer the ``computer`` tool, carry out each action the model
asks for, and send back a screenshot as a ``computer_call_output`` item, until the
model answers in words.

    python examples/responses_computer_use.py [--local]
"""

import base64

from _common import client

TASK = "Open the settings page and tell me which theme is selected."
# a real harness drives a browser or a VM and captures its screen; this one has a 1x1 PNG
SCREENSHOT = "data:image/png;base64," + base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8ff3f0005fe02fea7d6a5c50000000049454e44ae426082")).decode()

with client() as openai:
    print("task:", TASK)
    response = openai.call("responses.create", {"model": "gpt-5.4", "input": TASK, "tools": [{"type": "computer"}]})
    for turn in range(10):  # a bound, as any agent loop needs
        calls = [item for item in response["output"] if item["type"] == "computer_call"]
        if not calls:
            break
        outputs = []
        for call in calls:
            actions = call.get("actions") or [call["action"]]
            print("actions:", ", ".join(action["type"] for action in actions))  # carry them out here
            outputs.append({"type": "computer_call_output", "call_id": call["call_id"],
                            "output": {"type": "computer_screenshot", "image_url": SCREENSHOT}})
        response = openai.call("responses.create", {
            "model": "gpt-5.4", "previous_response_id": response["id"], "input": outputs, "tools": [{"type": "computer"}]})
    print("turns:", turn)
    print("answer:", response["output"][-1]["content"][0]["text"])
