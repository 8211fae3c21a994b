"""One operation of the document as oaimap spec fields (:func:`convert_operation`).

Schemas keep the document's own references (``#/components/schemas/Name``); the importer
rewrites them to ``_schemas/<group>.yaml#/Name`` when it writes files.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from .document import DocOperation, operations
from .refs import resolve
from .schemas import body_properties, clean_schema

_BINARY_TYPES = ("application/octet-stream", "application/zip", "audio/", "video/", "image/")
# Events that end a Responses-style stream normally.
RESPONSE_TERMINAL_EVENTS = ("response.completed", "response.failed", "response.incomplete")


def _merge_alternatives(schemas: list[Any]) -> Any:
    """One schema for a property that differs between content types (JSON vs multipart)."""
    unique: list[Any] = []
    for schema in schemas:
        if schema not in unique:
            unique.append(schema)
    return unique[0] if len(unique) == 1 else {"anyOf": unique}


def param_name(name: str) -> str:
    # `include[]` in the document is the key `include`: lists always travel as key[]=v.
    return name[:-2] if name.endswith("[]") else name


def _example_response_is_json(dop: DocOperation) -> bool:
    for example in dop.examples():
        text = example.get("response")
        if isinstance(text, str):
            try:
                if isinstance(json.loads(text), dict):
                    return True
            except ValueError:
                continue
    return False


def _object_properties(doc: Mapping[str, Any], schema: Any) -> dict[str, Any]:
    props, _ = body_properties(doc, schema)
    return props


def _event_types(doc: Mapping[str, Any], schema: Any, depth: int = 0) -> set[str]:
    """``type`` values of the events an event-stream schema can carry."""
    schema = resolve(doc, schema)
    if not isinstance(schema, dict) or depth > 6:
        return set()
    found: set[str] = set()
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key) or []:
            found |= _event_types(doc, sub, depth + 1)
    kind = (schema.get("properties") or {}).get("type")
    if isinstance(kind, dict):
        found |= {v for v in kind.get("enum") or [] if isinstance(v, str)}
        if isinstance(kind.get("const"), str):
            found.add(kind["const"])
    return found


def _is_boolean(doc: Mapping[str, Any], schema: Any) -> bool:
    schema = resolve(doc, schema)
    if not isinstance(schema, dict):
        return False
    kinds = schema.get("type")
    if kinds == "boolean" or (isinstance(kinds, list) and "boolean" in kinds):
        return True
    return any(_is_boolean(doc, sub) for sub in (schema.get("anyOf") or schema.get("oneOf") or []))


def convert_operation(doc: Mapping[str, Any], dop: DocOperation) -> dict[str, Any]:
    """The structural spec fields of one operation (schemas keep document references).

    Keys: operation_id, method, path, deprecated?, encoding, returns, stream_param?,
    stream_end?, pagination?, params, required, payload_rules?. Names, families, summaries and examples
    are the importer's business.
    """
    raw = dop.raw
    params: dict[str, dict[str, Any]] = {"path": {}, "query": {}, "header": {}, "body": {}}
    required: list[str] = []
    for param in [*(dop.path_item.get("parameters") or []), *(raw.get("parameters") or [])]:
        param = resolve(doc, param)
        where = param.get("in")
        if where not in ("path", "query", "header"):
            continue
        name = param_name(param["name"])
        params[where][name] = clean_schema(param.get("schema") or {})
        if param.get("required") and where != "path" and name not in required:
            required.append(name)

    content = ((raw.get("requestBody") or {}).get("content")) or {}
    body_required: list[list[str]] = []
    alternatives: dict[str, list[Any]] = {}
    for media_type, media in content.items():
        props, req = body_properties(doc, (media or {}).get("schema") or {})
        if media_type == "application/sdp" and not props:
            props, req = {"sdp": {"type": "string"}}, ["sdp"]
        for name, schema in props.items():
            alternatives.setdefault(name, []).append(clean_schema(schema))
        body_required.append(req)
    for name, schemas in alternatives.items():
        params["body"][name] = _merge_alternatives(schemas)
    # A key is required when every accepted content type requires it.
    if body_required:
        common = [k for k in body_required[0] if all(k in other for other in body_required[1:])]
        required.extend(k for k in common if k not in required)

    types = set(content)  # request content types
    if "application/sdp" in types:
        encoding = "sdp"
    elif "multipart/form-data" in types and "application/json" in types:
        encoding = "auto"
    elif "multipart/form-data" in types:
        encoding = "multipart"
    elif types:
        encoding = "json"
    else:
        encoding = "none"

    out: dict[str, Any] = {"operation_id": dop.operation_id, "method": dop.method, "path": dop.path}
    if raw.get("deprecated"):
        out["deprecated"] = True
    out["encoding"] = encoding
    returns, pagination = _returns(doc, dop, params)
    out["returns"] = returns
    stream_param = next(
        (
            key
            for where in ("body", "query")
            for key, schema in params[where].items()
            if key == "stream" and _is_boolean(doc, schema)
        ),
        None,
    )
    if stream_param:
        out["stream_param"] = stream_param
        ends = _stream_end(doc, dop)
        if ends:
            out["stream_end"] = ends
    if pagination:
        out["pagination"] = pagination
    out["params"] = {where: schemas for where, schemas in params.items() if schemas}
    out["required"] = required
    rules = _payload_rules(doc, content)
    if rules:
        out["payload_rules"] = rules
    return out


def _payload_rules(doc: Mapping[str, Any], content: Mapping[str, Any]) -> dict[str, Any]:
    """Rules across body keys that the body schema states at its top (``anyOf`` of
    ``required`` lists: "give file_ids or files"), kept when every content type agrees."""
    found: list[dict[str, Any]] = []
    for media in content.values():
        schema = resolve(doc, (media or {}).get("schema") or {})
        rules = {
            key: [{"required": list(b["required"])} for b in schema.get(key) or []]
            for key in ("anyOf", "oneOf")
            if isinstance(schema, dict)
            and schema.get(key)
            and all(isinstance(b, dict) and set(b) == {"required"} for b in schema[key])
        }
        found.append(rules)
    return found[0] if found and all(rules == found[0] for rules in found) else {}


def _answer_schema(dop: DocOperation, media_type: str) -> Any:
    return (((dop.success_answer.get("content") or {}).get(media_type)) or {}).get("schema")


def _stream_end(doc: Mapping[str, Any], dop: DocOperation) -> list[str]:
    """Terminal events of a Responses-style stream; [] for streams that end at [DONE].

    The event union comes from the operation's text/event-stream answer or, when the
    document declares none (a replay such as ``GET /responses/{id}?stream=true``), from
    another operation that answers with the same JSON schema and declares one.
    """
    events = _answer_schema(dop, "text/event-stream")
    if events is None:
        same = _answer_schema(dop, "application/json")
        for other in operations(doc):
            if other is not dop and same is not None and _answer_schema(other, "application/json") == same:
                events = _answer_schema(other, "text/event-stream")
                if events is not None:
                    break
    if events is None:
        return []
    kinds = _event_types(doc, events)
    if "response.completed" not in kinds:
        return []
    return [kind for kind in RESPONSE_TERMINAL_EVENTS if kind in kinds]


def _returns(doc: Mapping[str, Any], dop: DocOperation, params: Mapping[str, Mapping[str, Any]]) -> tuple[str, dict[str, str] | None]:
    """(returns, pagination) from the success answer's content types."""
    content = dop.success_answer.get("content") or {}
    if not content:
        if _example_response_is_json(dop):
            return "json", None
        return ("binary" if dop.method == "GET" else "empty"), None
    types = list(content)
    for media_type, media in content.items():
        schema = (media or {}).get("schema") or {}
        if media_type.startswith(_BINARY_TYPES) or (isinstance(schema, dict) and schema.get("format") == "binary"):
            return "binary", None
    if "application/json" in content:
        schema = resolve(doc, (content["application/json"] or {}).get("schema") or {})
        if isinstance(schema, dict) and schema.get("type") == "string" and "properties" not in schema:
            return "binary", None  # the file's own bytes, whatever their type
        pagination = _pagination(doc, dop, schema, params)
        return ("page", pagination) if pagination else ("json", None)
    if types == ["text/event-stream"]:
        return "sse", None
    return "text", None


def _pagination(doc: Mapping[str, Any], dop: DocOperation, schema: Any, params: Mapping[str, Mapping[str, Any]]) -> dict[str, str] | None:
    """The cursor style of a GET list operation, or None when it is not one."""
    if dop.method != "GET":
        return None
    answer = _object_properties(doc, schema)
    if "data" not in answer:
        return None
    query = params.get("query") or {}
    if "page" in query and "next_page" in answer:
        return {"input_token": "page", "output_token": "next_page"}
    if "after" in query:
        if "last_id" in answer:
            return {"input_token": "after", "output_token": "last_id"}
        if "next" in answer:
            return {"input_token": "after", "output_token": "next"}
        if "has_more" in answer:
            return {"input_token": "after", "output_token": "@last"}
    data = resolve(doc, answer["data"])
    if isinstance(data, dict) and data.get("type") == "array":
        return {"items": "data"}  # the whole list in one page: no cursor
    return None
