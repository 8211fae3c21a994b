"""Assistants (beta): create an assistant, rename it, find it in the list, delete it.

    python examples/assistants.py [--local]
"""

from _common import client

with client() as openai:
    assistant = openai.call("beta.assistants.create", {
        "model": "gpt-4.1-mini", "name": "Math tutor", "instructions": "Explain each step briefly.",
        "tools": [{"type": "code_interpreter"}]})
    print("created:", assistant["id"], assistant["name"])
    assistant = openai.call("beta.assistants.update", {"assistant_id": assistant["id"], "name": "Patient math tutor"})
    print("renamed:", openai.call("beta.assistants.retrieve", {"assistant_id": assistant["id"]})["name"])
    listed = [a["id"] for a in openai.paginate("beta.assistants.list", {"order": "desc", "limit": 20})]
    print("listed:", assistant["id"] in listed)
    print("deleted:", openai.call("beta.assistants.delete", {"assistant_id": assistant["id"]})["deleted"])
