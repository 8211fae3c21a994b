"""Models: page through every model the key can use, then read one.

    python examples/models.py [--local]
"""

from _common import client

with client() as openai:
    names = [model["id"] for model in openai.paginate("models.list", {})]
    print("models:", len(names))
    model = openai.call("models.retrieve", {"model": names[0]})
    print("first:", model["id"], "owned by", model["owned_by"])
