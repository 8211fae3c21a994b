"""Moderations: is this text flagged, and for which categories?

    python examples/moderations.py [--local]
"""

from _common import client

TEXT = "I will find you and hurt you."

with client() as openai:
    result = openai.call("moderations.create", {"model": "omni-moderation-latest", "input": TEXT})["results"][0]
    print("flagged:", result["flagged"])
    print("categories:", ", ".join(name for name, hit in result["categories"].items() if hit) or "none")
