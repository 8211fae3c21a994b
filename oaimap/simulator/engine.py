"""The stateful simulator: the loopback server (``oaimap/server.py``) with memory.

Which operations create, read, change, list or delete which objects is derived from the
routes in the specs (:func:`derive_roles`); where the API is special, ``rules.yaml``
declares it (id formats, lifecycles, actions, references) and ``special.py`` holds the
few operations that compute their answer (chat, Responses, embeddings, uploads, batches).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import threading
import traceback
from dataclasses import dataclass
from functools import lru_cache
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, Callable

import yaml

from ..decode import UploadedFile
from ..server import LoopbackServer, Reply, _error, _example_reply
from ..specs import Operation, SpecRegistry
from ..validation import violations
from . import websocket
from .answers import Say, ToolCall, reply_text, last_user_text
from .state import Record, Store, page

RULES = Path(__file__).with_name("rules.yaml")
_ITEM_ROUTE = re.compile(r"(.*)/\{(\w+)\}")
_PARAM = re.compile(r"\{(\w+)\}")
_PAGING = ("after", "before", "limit", "order")


class NotFound(Exception):
    """An id that names no stored object: 404, as the API answers."""


class Refused(Exception):
    """A request the API would refuse in this state (cancel a finished batch): 400."""


@dataclass(frozen=True)
class Role:
    """What an operation does to stored objects. ``kind``: create, list, retrieve, update,
    delete, action (another operation on one object: cancel, content, parts) or other.
    ``parents``: (collection route, path param) pairs naming objects that must exist."""

    kind: str
    collection: str | None = None
    id_param: str | None = None
    parents: tuple[tuple[str, str], ...] = ()


def derive_roles(operations: list[Operation], rules: dict[str, Any]) -> dict[str, Role]:
    """Roles from routes: a collection is a route with a POST and item operations on
    ``route/{id}`` (or one ``rules.yaml`` names)."""
    items: set[str] = set()
    posted: set[str] = set()
    for op in operations:
        match = _ITEM_ROUTE.fullmatch(op.route[0])
        if match and op.method in ("GET", "POST", "DELETE"):
            items.add(match.group(1))
        if op.method == "POST":
            posted.add(op.route[0])
    collections = ((items & posted) | set(rules["collections"])) - set(rules["examples_only"])
    roles: dict[str, Role] = {}
    for op in operations:
        route = op.route[0]
        parents = tuple(
            (route[: route.index("{" + p + "}") - 1], p)
            for p in _PARAM.findall(route)
            if route[: route.index("{" + p + "}") - 1] in collections
        )
        match = _ITEM_ROUTE.fullmatch(route)
        if route in collections:
            kind = {"POST": "create", "GET": "list"}.get(op.method, "other")
            roles[op.name] = Role(kind, route, None, parents)
        elif match and match.group(1) in collections:
            kind = {"GET": "retrieve", "POST": "update", "DELETE": "delete"}[op.method]
            roles[op.name] = Role(kind, match.group(1), match.group(2), parents[:-1])
        elif parents:  # /batches/{batch_id}/cancel: an action on the deepest object named
            collection, param = parents[-1]
            roles[op.name] = Role("action", collection, param, parents[:-1])
        else:
            roles[op.name] = Role("other")
    return roles


_STATUSES = {"type": "array", "items": {"type": "string"}, "minItems": 1}
_STAMPS = {"type": "object", "additionalProperties": {"type": "string"}}
RULES_FORMAT: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "ids": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["prefix"], "additionalProperties": False,
            "properties": {"prefix": {"type": "string"}, "tail": {"enum": ["base62", "hex32", "hex48"]}}}},
        "collections": {"type": "array", "items": {"type": "string", "pattern": "^/"}},
        "examples_only": {"type": "array", "items": {"type": "string", "pattern": "^/"}},
        "refs": {"type": "object", "additionalProperties": {"type": "object", "additionalProperties": {"type": "string", "pattern": "^/"}}},
        "lifecycles": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["status"], "additionalProperties": False,
            "properties": {"status": _STATUSES, "stamps": _STAMPS, "finish": {"type": "string"}, "when": {"type": "string"}}}},
        "actions": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["from", "status"], "additionalProperties": False,
            "properties": {"from": _STATUSES, "status": _STATUSES, "stamps": _STAMPS, "finish": {"type": "string"}}}},
    },
}


@lru_cache(maxsize=1)
def load_rules() -> dict[str, Any]:
    """``rules.yaml``, checked: a misspelt key or a ``finish`` with no code behind it fails
    here, on the first Simulator(), not in the middle of a test."""
    import jsonschema

    from .special import FINISHES

    with RULES.open() as f:
        rules = yaml.safe_load(f)
    jsonschema.validate(rules, RULES_FORMAT)
    named = {r["finish"] for group in ("lifecycles", "actions") for r in rules.get(group, {}).values() if "finish" in r}
    if named - set(FINISHES):
        raise ValueError(f"{RULES}: finish {sorted(named - set(FINISHES))} has no function in simulator/special.py")
    for key in ("ids", "lifecycles", "actions", "refs"):
        rules.setdefault(key, {})
    for key in ("collections", "examples_only"):
        rules.setdefault(key, [])
    return rules


@dataclass
class Call:
    """One request being simulated."""

    op: Operation
    role: Role
    payload: dict[str, Any]
    path: dict[str, str]
    scripted: Any = None  # Say, ToolCall or a list of ToolCall, from server.script()

    @property
    def collection_key(self) -> str:
        assert self.role.collection is not None
        return fill(self.role.collection, self.path)

    @property
    def object_id(self) -> str:
        assert self.role.id_param is not None
        return self.path[self.role.id_param]

    def body(self) -> dict[str, Any]:
        """The payload's body keys whose values JSON can hold (not uploaded files)."""
        return {k: v for k, v in self.payload.items() if self.op.location_of.get(k, "body") == "body" and _plain(v)}


def fill(template: str, values: dict[str, str]) -> str:
    return _PARAM.sub(lambda m: values[m.group(1)], template)


def _plain(value: Any) -> bool:
    return not isinstance(value, (UploadedFile, bytes))


Hook = Callable[["Simulator", Call], Any]


class Simulator(LoopbackServer):
    """A stateful OpenAI API on 127.0.0.1, driven by the specs.

    ``steps_per_read``: how far a long-running object moves along its statuses each time
    it is retrieved (``0``: only :meth:`advance` moves it). ``model``: the text the
    simulated model answers for a prompt. ``state_file``: JSON kept across restarts.
    ``log``: one line per request, as :class:`~oaimap.server.LoopbackServer` writes it.
    """

    def __init__(self, specs: SpecRegistry | None = None, host: str = "127.0.0.1", port: int = 0, *,
                 steps_per_read: int = 1, model: Callable[[str], str] = reply_text,
                 state_file: str | Path | None = None, now: int | None = None,
                 log: Callable[[str], None] | None = None):
        super().__init__(specs, host, port, log=log)
        self.rules = load_rules()
        self.roles = _roles_for(self.specs)
        self.steps_per_read = steps_per_read
        self.model = model
        self.state_file = Path(state_file) if state_file else None
        self._state_lock = threading.RLock()
        if self.state_file and self.state_file.exists():
            self.store = Store.from_json(json.loads(self.state_file.read_text()))
        else:
            self.store = Store(now)

    # -- the test's controls ----------------------------------------------------------
    def advance(self, steps: int = 1, seconds: int = 0) -> None:
        """Move the clock ``seconds`` forward and every long-running object ``steps``
        statuses along its lifecycle."""
        with self._state_lock:
            self.store.now += seconds
            for record in list(self.store.all_records()):
                if record.lifecycle and not record.done:
                    record.step += steps
                    self.settle(record)
            self._save()

    def reset(self) -> None:
        """Forget received requests, scripts, faults and every stored object."""
        super().reset()
        with self._state_lock:
            self.store = Store(self.store.now)
            self._save()

    def objects(self, collection: str) -> list[dict[str, Any]]:
        """The stored objects of a collection route (``"/files"``,
        ``"/threads/thread_x/messages"``), as the API would show them."""
        with self._state_lock:
            return [r.view() for r in self.store.records(collection)]

    def admin(self, method: str, command: str, arguments: dict[str, Any]) -> Any:
        if (method, command) == ("POST", "advance"):
            self.advance(int(arguments.get("steps", 1)), int(arguments.get("seconds", 0)))
            return {"now": self.store.now}
        if (method, command) == ("GET", "state"):
            with self._state_lock:
                return self.store.to_json()
        if (method, command) == ("POST", "script"):
            if "text" in arguments:
                reply: Say | list[ToolCall] = Say(str(arguments["text"]))
            elif isinstance(arguments.get("tool_calls"), list):
                reply = [ToolCall(c["name"], c.get("arguments", {})) for c in arguments["tool_calls"]]
            else:
                raise ValueError("give `text` or `tool_calls` (a list of {name, arguments})")
            self.script(arguments["operation"], reply)
            return {"scripted": arguments["operation"]}
        return super().admin(method, command, arguments)

    def script(self, operation: str, *replies: Reply | Say | ToolCall | list[ToolCall]) -> None:
        """Answer the next calls of ``operation`` with these, in order: a ``Reply`` is sent
        as it is; ``Say`` / ``ToolCall`` (a list: parallel calls) become what the model
        answers, in the operation's own shape (a chat message, Responses output items, a
        run that requires action)."""
        super().script(operation, *replies)  # type: ignore[arg-type]  # the queue holds any of them

    def websocket(self, handler: BaseHTTPRequestHandler, route: str) -> bool:
        if route != "/responses":
            return False
        websocket.serve(handler, self._websocket_turn)
        return True

    def _websocket_turn(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        """A Responses websocket event: a ``response.create`` is answered with the events
        of the same payload streamed over HTTP; anything else, or a payload the spec
        refuses, with an ``error`` event."""
        if event.get("type") != "response.create":
            return [websocket.error_event("only response.create events are accepted", "type")]
        op = self.specs.get("responses.create")
        payload = {key: value for key, value in event.items() if key != "type"} | {"stream": True}
        problems = violations(op, payload)
        if problems:
            return [websocket.error_event(f"{op.name}: {'; '.join(map(str, problems))}", problems[0].path)]
        reply = self.answer(op, payload, {})
        if reply.events is None:  # refused (an unknown previous_response_id): the error body as an event
            return [{"type": "error", **(reply.json or {})}]
        return [event for event in reply.events if isinstance(event, dict)]

    # -- answering ---------------------------------------------------------------------
    def answer(self, op: Operation, payload: dict[str, Any], path_values: dict[str, str]) -> Reply:
        reply = self._answer(op, payload, path_values)
        with self._state_lock:
            request_id = self.store.new_id("req_", "hex32")
        return dataclasses.replace(reply, headers={"x-request-id": request_id, **reply.headers})

    def _answer(self, op: Operation, payload: dict[str, Any], path_values: dict[str, str]) -> Reply:
        scripted = self._next_script(op)
        if isinstance(scripted, Reply):
            return scripted
        call = Call(op, self.roles.get(op.name, Role("other")), payload, path_values, scripted)
        with self._state_lock:
            try:
                result = self._simulate(call)
            except NotFound as exc:
                return Reply(404, _error(str(exc), "invalid_request_error"))
            except Refused as exc:
                return Reply(400, _error(str(exc), "invalid_request_error"))
            except Exception as exc:  # a simulator bug: an API-shaped 500 that says so, not a dropped connection
                traceback.print_exc()
                return Reply(500, _error(f"oaimap simulator failed on {op.name}: {type(exc).__name__}: {exc}", "server_error"))
            self._save()
        return result if isinstance(result, Reply) else Reply(json=result)

    def _simulate(self, call: Call) -> Any:
        from .special import HOOKS  # special.py builds on this module: imported once both exist

        for collection, param in call.role.parents:
            self.find(fill(collection, call.path), call.path[param])
        for key, collection in self.rules["refs"].get(call.op.name, {}).items():
            value = call.payload.get(key)
            for object_id in value if isinstance(value, list) else [value] if value else []:
                self.find(collection, object_id, what=key)
        hook = HOOKS.get(call.op.name)
        if hook is not None:
            return hook(self, call)
        return self.generic(call)

    def generic(self, call: Call) -> Any:
        kind = call.role.kind
        if kind == "create":
            made = self.create(call).view()
            return page([made], {}, limit=1, order="asc", shape={}) if _answers_a_page(call.op) else made
        if kind == "list":
            return self.list_page(call, [r.obj for r in self.store.records(call.collection_key)])
        if kind in ("retrieve", "update", "delete", "action"):
            record = self.find(call.collection_key, call.object_id)
            if kind == "retrieve":
                return self.read(record).view()
            if kind == "update":
                record.obj.update(call.body())
                return record.view()
            if kind == "delete":
                self.store.remove(call.collection_key, call.object_id)
                return self.deleted(call, record)
            if call.op.name in self.rules["actions"]:
                return self.act(call, record).view()
            if call.op.returns == "binary" and "content" in record.hidden:
                return Reply(body=record.hidden["content"])
        return _example_reply(call.op, call.payload)

    # -- the pieces hooks use too ----------------------------------------------------------
    def find(self, collection: str, object_id: str, what: str | None = None) -> Record:
        record = self.store.get(collection, object_id)
        if record is None:
            kind = what or _singular(collection.rsplit("/", 1)[-1]).replace("_", " ")
            raise NotFound(f"No {kind} found with id '{object_id}'.")
        return record

    def new_id(self, collection: str, example_id: Any = None) -> str:
        declared = self.rules["ids"].get(_template_of(collection, self.rules["ids"]))
        if declared:
            return self.store.new_id(declared["prefix"], declared.get("tail", "base62"))
        match = re.match(r"[A-Za-z]+[_-]", str(example_id or ""))
        return self.store.new_id(match.group(0) if match and match.group(0) != "id_" else "obj_")

    def create(self, call: Call, obj: dict[str, Any] | None = None, collection: str | None = None) -> Record:
        """Store a new object: the operation's example reshaped by the payload (its keys
        that the object has), with a fresh id, the clock's time, and the first status of
        its lifecycle."""
        collection = collection or call.collection_key
        if obj is None:
            obj = copy.deepcopy(_example_object(call.op))
            for key, value in {**call.body(), **call.path}.items():
                if key in obj:
                    obj[key] = value
        obj["id"] = self.new_id(collection, obj.get("id"))
        for key in [k for k in obj if k.endswith("_at")]:  # nothing has happened to it yet
            if key in ("created_at", "last_active_at"):
                obj[key] = self.store.now
            else:
                obj[key] = self.store.now + 86400 if key == "expires_at" and obj[key] is not None else None
        if "created" in obj:
            obj["created"] = self.store.now
        record = Record(obj)
        rule = self.rules["lifecycles"].get(call.op.name)
        if rule and (not rule.get("when") or call.payload.get(rule["when"])):
            self.begin(record, call.op.name, rule["status"])
        return self.store.put(collection, record)

    def read(self, record: Record) -> Record:
        """A retrieve: the object first moves ``steps_per_read`` along its lifecycle."""
        if record.lifecycle and not record.done and self.steps_per_read:
            record.step += self.steps_per_read
            self.settle(record)
        return record

    def begin(self, record: Record, rule_name: str, statuses: list[str]) -> None:
        record.lifecycle, record.step, record.rule, record.done = list(statuses), 0, rule_name, False
        self.settle(record)

    def settle(self, record: Record) -> None:
        """Bring the object to the status its step points at: stamp the time of every
        status passed, and run the rule's ``finish`` once at the last one."""
        rule = self.rules["lifecycles"].get(record.rule) or self.rules["actions"].get(record.rule) or {}
        last = len(record.lifecycle) - 1
        reached = min(record.step, last)
        stamps = rule.get("stamps", {})
        for status in record.lifecycle[: reached + 1]:
            if status in stamps and record.obj.get(stamps[status]) is None:
                record.obj[stamps[status]] = self.store.now
        record.obj["status"] = record.lifecycle[reached]
        if reached == last and not record.done:
            record.done = True
            if rule.get("finish"):
                from .special import FINISHES

                FINISHES[rule["finish"]](self, record)

    def act(self, call: Call, record: Record) -> Record:
        rule = self.rules["actions"][call.op.name]
        status = record.obj.get("status")
        if status not in rule["from"]:
            verb = call.op.name.rsplit(".", 1)[-1].replace("_", " ")
            raise Refused(f"Cannot {verb} {record.obj.get('object', 'an object')} '{record.id}' with status '{status}'.")
        self.begin(record, call.op.name, rule["status"])
        return record

    def list_page(self, call: Call, objects: list[dict[str, Any]]) -> dict[str, Any]:
        """A page of ``objects`` (in creation order) for a list operation: filtered by the
        query keys the objects have, paged as the request asks, defaults from the spec."""
        query = call.op.params_in("query")
        filters = {k: v for k, v in call.payload.items() if k in query and k not in _PAGING}
        if "filter" in filters:  # vector store files: a status filter
            filters["status"] = filters.pop("filter")
        chosen = [copy.deepcopy(o) for o in objects if all(o.get(k, v) == v for k, v in filters.items())]
        limit = call.payload.get("limit") or query.get("limit", {}).get("default", 20)
        order = call.payload.get("order") or query.get("order", {}).get("default", "desc")
        example = (call.op.example or {}).get("response")
        return page(chosen, call.payload, limit=int(limit), order=order, shape=example if isinstance(example, dict) else {})

    def deleted(self, call: Call, record: Record) -> dict[str, Any]:
        example = (call.op.example or {}).get("response") or {}
        kind = example.get("object") if isinstance(example, dict) else None
        return {"id": record.id, "object": kind or f"{record.obj.get('object', 'object')}.deleted", "deleted": True}

    def said(self, call: Call, prompt: str) -> Say | list[ToolCall]:
        """The model's answer: what the test scripted, else ``model(prompt)``."""
        if isinstance(call.scripted, ToolCall):
            return [call.scripted]
        if isinstance(call.scripted, (Say, list)):
            return call.scripted
        return Say(self.model(prompt))

    def prompt_of(self, messages: Any) -> str:
        return last_user_text(messages)

    def _save(self) -> None:
        if self.state_file is not None:
            self.store.save(self.state_file)


def _template_of(collection: str, templates: dict[str, Any]) -> str:
    """The route template a filled collection key came from."""
    for template in templates:
        if re.fullmatch(_PARAM.sub(r"[^/]+", template), collection):
            return template
    return collection


def _singular(name: str) -> str:
    return name[:-2] if name.endswith(("ches", "sses")) else name[:-1] if name.endswith("s") else name


def _answers_a_page(op: Operation) -> bool:
    example = (op.example or {}).get("response")
    return isinstance(example, dict) and example.get("object") == "list" and isinstance(example.get("data"), list)


def _example_object(op: Operation) -> dict[str, Any]:
    """The object an operation's example shows (the first item of a page it answers)."""
    example: Any = (op.example or {}).get("response")
    if _answers_a_page(op):
        example = (example["data"] or [{}])[0]
    return example if isinstance(example, dict) else {}


@lru_cache(maxsize=8)
def _roles_for(specs: SpecRegistry) -> dict[str, Role]:
    return derive_roles([op for op in specs.operations() if op.helper is None], load_rules())
