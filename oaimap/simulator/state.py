"""The simulator's memory: stored objects by collection, ids in the API's formats, a clock
the test moves, list pages, and a JSON form for ``oaimap serve --state FILE``.

A *collection* is where the API keeps one kind of object: the route of its list / create
operations with the parent ids filled in (``/threads/thread_abc/messages``). Each stored
object is a :class:`Record`: the object as the API shows it, what the API keeps but does
not show (an uploaded file's bytes, a response's input items), and where it is in its
lifecycle.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@dataclass
class Record:
    """One stored object. ``lifecycle`` is the status sequence it walks (empty: none),
    ``step`` its place in it; ``done`` is set once its terminal status was reached."""

    obj: dict[str, Any]
    hidden: dict[str, Any] = field(default_factory=dict)
    lifecycle: list[str] = field(default_factory=list)
    step: int = 0
    rule: str | None = None  # the lifecycle rule's name (oaimap/simulator/rules.yaml)
    done: bool = False

    @property
    def id(self) -> str:
        return str(self.obj["id"])

    def view(self) -> dict[str, Any]:
        """A copy to send: a caller mutating an answer never changes the stored object."""
        return copy.deepcopy(self.obj)

    def to_json(self) -> dict[str, Any]:
        return {"obj": self.obj, "hidden": _encode(self.hidden), "lifecycle": self.lifecycle,
                "step": self.step, "rule": self.rule, "done": self.done}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Record":
        return cls(data["obj"], _decode(data["hidden"]), data["lifecycle"], data["step"], data["rule"], data["done"])


class Store:
    """Collections of records, an id counter and the clock (seconds, moved by the test)."""

    def __init__(self, now: int | None = None):
        self.collections: dict[str, dict[str, Record]] = {}
        self.counter = 0
        self.now = int(time.time()) if now is None else now

    # -- ids and time -----------------------------------------------------------
    def new_id(self, prefix: str, tail: str = "base62") -> str:
        """A fresh id in the API's style: ``file-`` + 24 base62 characters, ``resp_`` + 48
        hex ones. Deterministic per store (a digest of a counter), so a test sees the same
        ids on every run."""
        self.counter += 1
        digest = hashlib.sha256(f"{prefix}{self.counter}".encode()).digest()
        if tail.startswith("hex"):
            return prefix + digest.hex()[: int(tail[3:] or 32)]
        number = int.from_bytes(digest, "big")
        chars = []
        for _ in range(24):
            number, rest = divmod(number, 62)
            chars.append(_BASE62[rest])
        return prefix + "".join(chars)

    # -- records ----------------------------------------------------------------
    def put(self, collection: str, record: Record) -> Record:
        self.collections.setdefault(collection, {})[record.id] = record
        return record

    def get(self, collection: str, object_id: str) -> Record | None:
        return self.collections.get(collection, {}).get(object_id)

    def remove(self, collection: str, object_id: str) -> Record | None:
        removed = self.collections.get(collection, {}).pop(object_id, None)
        if removed is not None:  # an object's children go with it
            for key in [k for k in self.collections if k.startswith(f"{collection}/{object_id}/")]:
                del self.collections[key]
        return removed

    def records(self, collection: str) -> list[Record]:
        return list(self.collections.get(collection, {}).values())

    def all_records(self) -> Iterator[Record]:
        for records in self.collections.values():
            yield from records.values()

    # -- persistence --------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {"format": 1, "now": self.now, "counter": self.counter,
                "collections": {k: [r.to_json() for r in v.values()] for k, v in self.collections.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Store":
        if data.get("format") != 1:
            raise ValueError(f"not an oaimap simulator state (format {data.get('format')!r})")
        store = cls(now=data["now"])
        store.counter = data["counter"]
        for key, records in data["collections"].items():
            for raw in records:
                store.put(key, Record.from_json(raw))
        return store

    def save(self, path: Path) -> None:
        """Write atomically: a crash mid-write leaves the previous state, never half of one."""
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "w") as out:
            json.dump(self.to_json(), out)
        os.replace(tmp, path)


def page(records: list[dict[str, Any]], query: dict[str, Any], *, limit: int, order: str, shape: dict[str, Any]) -> dict[str, Any]:
    """One page of a cursor-paginated list, as the API pages: ``order`` by creation,
    ``after`` / ``before`` an id, at most ``limit`` items, ``has_more`` and the first and
    last ids. ``shape`` is the list operation's example page: keys it lacks are left out,
    and a ``next`` key (the admin lists' cursor) is filled with the last id."""
    items = records if order == "asc" else list(reversed(records))
    ids = [item["id"] for item in items]
    if query.get("after") in ids:
        items = items[ids.index(query["after"]) + 1 :]
    if query.get("before") in ids:
        items = items[: ids.index(query["before"])]
        items = items[-limit:]
    chosen, more = items[:limit], len(items) > limit
    answer: dict[str, Any] = {"object": "list", "data": chosen, "has_more": more}
    if "first_id" in shape or "last_id" in shape or not shape:
        answer["first_id"] = chosen[0]["id"] if chosen else None
        answer["last_id"] = chosen[-1]["id"] if chosen else None
    if "next" in shape:
        answer["next"] = chosen[-1]["id"] if more else None
    return answer


# JSON has no bytes: hidden bytes travel as {"$bytes": base64}.
def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode()}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$bytes"}:
            return base64.b64decode(value["$bytes"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value
