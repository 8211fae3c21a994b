"""Every collection the simulator derives from the specs keeps what its create operation
makes: created from the operation's own example request (its parents created first,
references pointed at real uploads), it is retrieved by the new id, listed, and after a
delete it is gone (404). A new family of specs is covered without a new test."""

from __future__ import annotations

import re

import pytest

from oaimap import NotFoundError
from oaimap.simulator.engine import _PARAM, _roles_for, load_rules
from oaimap.specs import SpecRegistry

from test_all_operations import with_file_bytes

SPECS = SpecRegistry.shared()
ROLES = _roles_for(SPECS)
BY_COLLECTION: dict[str, dict[str, str]] = {}
for _name, _role in ROLES.items():
    if _role.collection and _role.kind in ("create", "retrieve", "list", "delete"):
        BY_COLLECTION.setdefault(_role.collection, {}).setdefault(_role.kind, _name)
CYCLES = sorted(c for c, kinds in BY_COLLECTION.items() if "create" in kinds)


class World:
    """Creates objects on demand: a collection's parents first, references as uploads."""

    def __init__(self, client):
        self.client = client
        self.made: dict[str, tuple[str, dict]] = {}  # collection route -> (collection key, object)

    def file_id(self) -> str:
        return self.client.call("files.create", {"file": ("in.jsonl", b""), "purpose": "batch"})["id"]

    def payload(self, name: str) -> dict:
        op = SPECS.get(name)
        payload = with_file_bytes(op, dict((op.example or {}).get("request") or {}))
        for param in op.path_fields:
            parent = next((c for c, p in ROLES[name].parents if p == param), None)
            if parent is not None:  # a parent the simulator keeps (others are catalogues: any id)
                payload[param] = self.make(parent)[1]["id"]
        if "store" in op.params_in("body"):  # chat completions are kept only when asked
            payload["store"] = True
        for key in load_rules()["refs"].get(name, {}):
            if key in payload:
                payload[key] = [self.file_id()] if isinstance(payload[key], list) else self.file_id()
        return payload

    def make(self, collection: str) -> tuple[str, dict]:
        if collection not in self.made:
            name = BY_COLLECTION[collection]["create"]
            payload = self.payload(name)
            made = self.client.call(name, payload)
            if isinstance(made, dict) and made.get("object") == "list":  # a create of many (conversation items)
                made = made["data"][0]
            key = _PARAM.sub(lambda m: str(payload[m.group(1)]), collection)
            self.made[collection] = (key, made)
        return self.made[collection]


def test_the_simulator_derives_the_collections_users_expect():
    for route in ("/files", "/uploads", "/vector_stores", "/vector_stores/{vector_store_id}/files", "/batches", "/responses",
                  "/conversations", "/conversations/{conversation_id}/items", "/assistants", "/threads", "/threads/{thread_id}/messages",
                  "/threads/{thread_id}/runs", "/fine_tuning/jobs", "/evals", "/evals/{eval_id}/runs", "/containers",
                  "/containers/{container_id}/files", "/videos", "/skills", "/chat/completions"):
        assert route in BY_COLLECTION, route
    assert len(CYCLES) >= 40


@pytest.mark.parametrize("collection", CYCLES)
def test_create_retrieve_list_delete(collection, oaimap_client, oaimap_server):
    world = World(oaimap_client)
    key, made = world.make(collection)
    assert isinstance(made.get("id"), str) and not re.search(r"abc|example|_123\b", made["id"]), made
    kinds = BY_COLLECTION[collection]
    if "retrieve" in kinds:
        got = oaimap_client.call(kinds["retrieve"], {**world.payload(kinds["retrieve"]), ROLES[kinds["retrieve"]].id_param: made["id"]})
        assert got["id"] == made["id"]
    assert made["id"] in [o["id"] for o in oaimap_server.objects(key)]
    if "list" in kinds:
        path = {k: v for k, v in world.payload(kinds["list"]).items() if k in SPECS.get(kinds["list"]).path_fields}
        page = oaimap_client.call(kinds["list"], {**path, "limit": 100})  # no filters: the new object must be there
        assert made["id"] in [item["id"] for item in page["data"]]
    if "delete" in kinds and "retrieve" in kinds:
        delete, retrieve = kinds["delete"], kinds["retrieve"]
        oaimap_client.call(delete, {**world.payload(delete), ROLES[delete].id_param: made["id"]})
        with pytest.raises(NotFoundError):
            oaimap_client.call(retrieve, {**world.payload(retrieve), ROLES[retrieve].id_param: made["id"]})
