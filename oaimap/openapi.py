"""Read the official OpenAPI document and turn its operations into oaimap spec data.

Shared by the importer (``python -m codegen import-openapi``) and the drift report
(``oaimap specs diff``). Only structure is taken from the document: routes, parameter
names, JSON Schema types, enums, required-ness, content types. Prose (descriptions,
titles, examples inside schemas) is dropped by :func:`clean_schema`.

Schemas keep the document's own references (``#/components/schemas/Name``) here; the
importer rewrites them to ``_schemas/<group>.yaml#/Name`` when it writes files, and the
drift report maps the project's references back with :func:`doc_ref`.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping
from urllib.parse import parse_qsl, unquote, urlsplit

import yaml

from .forms import coerce, insert, split_key
from .specs import yaml_loader

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
COMPONENT_PREFIX = "#/components/schemas/"

# JSON Schema keywords kept from the document; everything else (description, title,
# example(s), discriminator, deprecated, x-* extensions, ...) is dropped.
_KEEP = frozenset(
    {
        "type", "enum", "const", "required", "items", "prefixItems", "properties",
        "additionalProperties", "patternProperties", "propertyNames", "anyOf", "oneOf", "allOf", "not",
        "$ref", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "multipleOf", "minLength", "maxLength", "pattern", "minItems", "maxItems",
        "uniqueItems", "minProperties", "maxProperties", "default",
    }
)
_SCHEMA_MAPS = frozenset({"properties", "patternProperties"})
_SCHEMA_LISTS = frozenset({"anyOf", "oneOf", "allOf", "prefixItems"})
_SUBSCHEMAS = frozenset({"items", "additionalProperties", "propertyNames", "not"})
_BINARY_TYPES = ("application/octet-stream", "application/zip", "audio/", "video/", "image/")
# Required keys the document's own example requests leave out: the document is wrong
# there (the API accepts the requests), so oaimap does not require them. Keep this short;
# tests/test_openapi_examples.py shows which example needs which entry.
RELAXED_REQUIRED = {
    "FunctionTool": ("strict",),  # function tools of several Responses examples
    "BetaFunctionTool": ("strict",),
    "InputImageContent": ("detail",),  # input_image parts without detail
    "BetaInputImageContent": ("detail",),
    "RealtimeSessionCreateRequest": ("client_secret",),  # an answer field marked required
}
# Events that end a Responses-style stream normally.
RESPONSE_TERMINAL_EVENTS = ("response.completed", "response.failed", "response.incomplete")


# -- the document ----------------------------------------------------------------------
def load_document(path: str | Path) -> dict[str, Any]:
    """The parsed document (YAML, or JSON when the name ends in .json); cached per file version."""
    path = Path(path).resolve()
    stat = path.stat()
    return _load_document(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _load_document(path: str, mtime: int, size: int) -> dict[str, Any]:
    with open(path, "rb") as fh:
        if path.endswith(".json"):
            return json.load(fh)
        return yaml.load(fh, Loader=yaml_loader())


@dataclass(frozen=True)
class DocOperation:
    """One operation of the document: its route and its raw OpenAPI object."""

    method: str  # upper case
    path: str
    operation_id: str
    raw: Mapping[str, Any]
    path_item: Mapping[str, Any]

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path

    @property
    def meta(self) -> Mapping[str, Any]:
        return self.raw.get("x-oaiMeta") or {}

    def examples(self) -> list[Mapping[str, Any]]:
        """The x-oaiMeta examples, always as a list of {request, response} objects."""
        found = self.meta.get("examples")
        if isinstance(found, dict):
            return [found]
        return [e for e in found or [] if isinstance(e, dict)]


def operations(doc: Mapping[str, Any]) -> list[DocOperation]:
    """Every operation of the document, in document order."""
    out = []
    for path, item in (doc.get("paths") or {}).items():
        for method in HTTP_METHODS:
            raw = item.get(method)
            if isinstance(raw, dict):
                out.append(DocOperation(method.upper(), path, raw.get("operationId", ""), raw, item))
    return out


def components(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    return (doc.get("components") or {}).get("schemas") or {}


def component_name(ref: str) -> str | None:
    return ref[len(COMPONENT_PREFIX):] if ref.startswith(COMPONENT_PREFIX) else None


def resolve(doc: Mapping[str, Any], schema: Any) -> Any:
    """Follow ``$ref`` chains to components of the document (other keywords are dropped)."""
    seen = 0
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and seen < 50:
        name = component_name(schema["$ref"])
        if name is None:
            break
        schema = components(doc).get(name, {})
        seen += 1
    return schema


# -- schemas ---------------------------------------------------------------------------
def clean_schema(schema: Any, self_ref: str | None = None) -> Any:
    """Structure only: keeps validation keywords, drops prose and vendor extensions.

    Also normalises the OpenAPI 3.0 leftovers the document still uses: ``nullable: true``
    becomes a ``null`` type (or an ``anyOf`` with ``{type: null}``) and ``$recursiveRef``
    points at the enclosing schema. ``oneOf`` stays: the validator reads it as the
    document means it (``oaimap/validation.py``), overlaps the document made by accident
    aside.
    """
    if isinstance(schema, bool):
        return schema
    if not isinstance(schema, dict):
        return {}
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "$recursiveRef":
            if self_ref is None:
                continue
            key, value = "$ref", self_ref
        if key not in _KEEP:
            continue
        if key in _SCHEMA_MAPS:
            if not isinstance(value, dict):
                continue
            value = {name: clean_schema(sub, self_ref) for name, sub in value.items()}
        elif key in _SCHEMA_LISTS:
            if not isinstance(value, list):
                continue
            value = [clean_schema(sub, self_ref) for sub in value]
        elif key in _SUBSCHEMAS:
            if not isinstance(value, (dict, bool)):
                continue
            value = clean_schema(value, self_ref)
        elif key == "required" and not isinstance(value, list):
            continue
        out[key] = value
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if isinstance(out.get(exclusive), bool):  # OpenAPI 3.0 form: a flag on minimum / maximum
            if out.pop(exclusive) and bound in out:
                out[exclusive] = out.pop(bound)
    if schema.get("nullable") is True:
        out = _nullable(out)
    return out


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if not schema:
        return schema
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if "null" not in kinds:
            schema["type"] = [*kinds, "null"]
        if "enum" in schema and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
        return schema
    return {"anyOf": [schema, {"type": "null"}]}


def walk_refs(schema: Any) -> Iterator[str]:
    """Every ``$ref`` string inside ``schema``."""
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            elif key in _SCHEMA_MAPS and isinstance(value, dict):
                for sub in value.values():
                    yield from walk_refs(sub)
            else:
                yield from walk_refs(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from walk_refs(item)


def map_refs(schema: Any, rewrite: Callable[[str], str]) -> Any:
    """Copy of ``schema`` with every ``$ref`` replaced by ``rewrite(ref)``."""
    if isinstance(schema, dict):
        out: dict[str, Any] = {}
        for key, value in schema.items():
            if key == "$ref" and isinstance(value, str):
                out[key] = rewrite(value)
            elif key in _SCHEMA_MAPS and isinstance(value, dict):
                out[key] = {name: map_refs(sub, rewrite) for name, sub in value.items()}
            else:
                out[key] = map_refs(value, rewrite)
        return out
    if isinstance(schema, list):
        return [map_refs(item, rewrite) for item in schema]
    return schema


def clean_component(doc: Mapping[str, Any], name: str) -> Any:
    """One component schema, cleaned, with the documented relaxations applied."""
    schema = clean_schema(components(doc)[name], self_ref=COMPONENT_PREFIX + name)
    relaxed = RELAXED_REQUIRED.get(name)
    if relaxed and isinstance(schema, dict) and "required" in schema:
        schema["required"] = [key for key in schema["required"] if key not in relaxed]
    return schema


def schema_closure(doc: Mapping[str, Any], roots: Iterable[str]) -> dict[str, Any]:
    """Cleaned component schemas reachable from the component names ``roots``."""
    found: dict[str, Any] = {}
    stack = list(roots)
    while stack:
        name = stack.pop()
        if name in found or name not in components(doc):
            continue
        found[name] = clean_component(doc, name)
        stack.extend(n for n in map(component_name, walk_refs(found[name])) if n)
    return found


# -- operations ------------------------------------------------------------------------
def _body_properties(doc: Mapping[str, Any], schema: Any, depth: int = 0) -> tuple[dict[str, Any], list[str]]:
    """Top-level properties and required keys of a request body, allOf flattened.

    A property declared by several allOf members keeps the last declaration (the more
    specific one, as in the document's inheritance style).
    """
    name = component_name(schema.get("$ref", "")) if isinstance(schema, dict) else None
    schema = resolve(doc, schema)
    props: dict[str, Any] = {}
    required: list[str] = []
    if not isinstance(schema, dict) or depth > 10:
        return props, required
    relaxed = RELAXED_REQUIRED.get(name or "", ())
    for member in schema.get("allOf") or []:
        sub_props, sub_required = _body_properties(doc, member, depth + 1)
        props.update(sub_props)
        required.extend(sub_required)
    props.update(schema.get("properties") or {})
    required.extend(key for key in schema.get("required") or [] if key not in relaxed)
    return props, required


def _merge_alternatives(schemas: list[Any]) -> Any:
    """One schema for a property that differs between content types (JSON vs multipart)."""
    unique: list[Any] = []
    for schema in schemas:
        if schema not in unique:
            unique.append(schema)
    return unique[0] if len(unique) == 1 else {"anyOf": unique}


def _param_name(name: str) -> str:
    # `include[]` in the document is the key `include`: lists always travel as key[]=v.
    return name[:-2] if name.endswith("[]") else name


def _success(raw: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    for code, answer in (raw.get("responses") or {}).items():
        if str(code).startswith("2"):
            return str(code), answer if isinstance(answer, dict) else {}
    return "200", {}


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
    props, _ = _body_properties(doc, schema)
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
        name = _param_name(param["name"])
        params[where][name] = clean_schema(param.get("schema") or {})
        if param.get("required") and where != "path" and name not in required:
            required.append(name)

    content = ((raw.get("requestBody") or {}).get("content")) or {}
    body_required: list[list[str]] = []
    alternatives: dict[str, list[Any]] = {}
    for media_type, media in content.items():
        props, req = _body_properties(doc, (media or {}).get("schema") or {})
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
    _, answer = _success(dop.raw)
    return (((answer.get("content") or {}).get(media_type)) or {}).get("schema")


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
    _, answer = _success(dop.raw)
    content = answer.get("content") or {}
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


# -- examples from the document's curl commands ----------------------------------------
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


def loads_lenient(text: str) -> Any:
    """JSON, tolerating the trailing commas some of the document's examples have."""
    try:
        return json.loads(text)
    except ValueError:
        return json.loads(_TRAILING_COMMA.sub(r"\1", text))


@dataclass
class CurlRequest:
    url: str
    headers: dict[str, str]
    json_body: Any  # parsed -d body, or None
    form: list[tuple[str, str, bool]]  # (key, value, is_file) from -F
    data_error: str | None = None  # set when a -d body is present but not JSON


def parse_curl(command: str) -> CurlRequest | None:
    """The URL, headers and body of a documented curl command (None when there is no URL)."""
    text = command.replace("\\\r\n", " ").replace("\\\n", " ")
    try:
        tokens = shlex.split(text, comments=False, posix=True)
    except ValueError:
        return None
    url = next((t for t in tokens if t.startswith(("http://", "https://"))), None)
    if url is None:
        return None
    headers: dict[str, str] = {}
    form: list[tuple[str, str, bool]] = []
    data: str | None = None
    for flag, value in zip(tokens, tokens[1:]):
        if flag in ("-H", "--header") and ":" in value:
            name, _, val = value.partition(":")
            headers[name.strip().lower()] = val.strip()
        elif flag in ("-d", "--data", "--data-raw", "--data-binary"):
            data = value
        elif flag in ("-F", "--form") and "=" in value:
            key, _, val = value.partition("=")
            is_file = val.startswith("@")
            if val.startswith(("@", "<")):
                val = val[1:].split(";", 1)[0]
                val = Path(val).name
            elif ";type=" in val:
                val = val.rsplit(";type=", 1)[0]
            form.append((key, val, is_file))
    request = CurlRequest(url=url, headers=headers, json_body=None, form=form)
    if data is not None and not data.strip():
        request.json_body = {}  # -d '' : an empty POST
    elif data is not None:
        try:
            request.json_body = loads_lenient(data)
        except ValueError as exc:
            request.data_error = str(exc)
    return request


def _route_match(template: str, path: str) -> dict[str, str] | None:
    pattern = re.sub(r"\\{([^{}]+)\\}", lambda m: f"(?P<{m.group(1)}>[^/]+)", re.escape(template))
    found = re.fullmatch(pattern, path)
    return {k: unquote(v) for k, v in found.groupdict().items()} if found else None


def _schema_kinds(doc: Mapping[str, Any], schema: Any, depth: int = 0) -> set[str]:
    schema = resolve(doc, schema)
    if not isinstance(schema, dict) or depth > 8:
        return set()
    kinds = schema.get("type")
    out = set([kinds] if isinstance(kinds, str) else kinds or [])
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key) or []:
            out |= _schema_kinds(doc, sub, depth + 1)
    if not out and "enum" in schema:
        out |= {"string" if isinstance(v, str) else "integer" for v in schema["enum"] if v is not None}
    if not out and "properties" in schema:
        out.add("object")
    return out


def _sub_schema(doc: Mapping[str, Any], schema: Any, key: str, depth: int = 0) -> Any:
    """The schema of ``key`` ("[]" = an item) inside ``schema``, looking through unions."""
    schema = resolve(doc, schema)
    if not isinstance(schema, dict) or depth > 8:
        return {}
    if key == "[]" and isinstance(schema.get("items"), dict):
        return schema["items"]
    if key != "[]":
        props, _ = _body_properties(doc, schema)
        if key in props:
            return props[key]
    for union in ("anyOf", "oneOf"):
        for sub in schema.get(union) or []:
            found = _sub_schema(doc, sub, key, depth + 1)
            if found:
                return found
    if key != "[]" and isinstance(schema.get("additionalProperties"), dict):
        return schema["additionalProperties"]
    return {}


def coerce_text(doc: Mapping[str, Any], value: str, schema: Any) -> Any:
    """A form or query value (text) as the type its schema asks for."""
    return coerce(value, _schema_kinds(doc, schema))


def _put(doc: Mapping[str, Any], target: dict[str, Any], raw_key: str, value: Any, schemas: Mapping[str, Any], is_file: bool) -> None:
    parts = split_key(raw_key)
    schema: Any = schemas.get(parts[0], {})
    for part in parts[1:]:
        schema = _sub_schema(doc, schema, part or "[]")
    if isinstance(value, str) and not is_file:
        value = coerce_text(doc, value, schema)
    insert(target, parts, value)


def curl_payload(doc: Mapping[str, Any], dop: DocOperation, request: CurlRequest) -> dict[str, Any] | None:
    """The flat oaimap payload a documented curl command sends (None if it targets another route).

    File fields (``-F file=@audio.mp3``) become the file's name: YAML cannot hold a
    file, so whoever sends the example substitutes content for ``format: binary`` keys.
    """
    spec = convert_operation(doc, dop)
    url = urlsplit(request.url)
    route, _, literal = dop.path.partition("?")
    path = url.path
    if path.startswith("/v1"):
        path = path[3:]
    path_values = _route_match(route, path)
    if path_values is None:
        return None
    payload: dict[str, Any] = dict(path_values)
    raw_params = {
        _param_name(p["name"]): p.get("schema") or {}
        for p in [*(dop.path_item.get("parameters") or []), *(dop.raw.get("parameters") or [])]
        if isinstance(p, dict) and "name" in p
    }
    literal_keys = dict(parse_qsl(literal))
    for key, value in parse_qsl(url.query, keep_blank_values=True):
        if key in literal_keys:
            continue
        _put(doc, payload, key, value, raw_params, False)
    for name in spec["params"].get("header", {}):
        if name.lower() in request.headers:
            kinds = _schema_kinds(doc, raw_params.get(name, {}))
            value = request.headers[name.lower()]
            payload[name] = [v.strip() for v in value.split(",")] if "array" in kinds else value
    body_schemas: dict[str, Any] = {}
    for media in (((dop.raw.get("requestBody") or {}).get("content")) or {}).values():
        props, _ = _body_properties(doc, (media or {}).get("schema") or {})
        for key, schema in props.items():
            body_schemas.setdefault(key, schema)
    if isinstance(request.json_body, dict):
        payload.update(request.json_body)
    for key, value, is_file in request.form:
        _put(doc, payload, key, value, body_schemas, is_file)
    return payload


def example_payloads(doc: Mapping[str, Any], dop: DocOperation) -> list[tuple[int, dict[str, Any]]]:
    """(example index, payload) for every documented curl command of ``dop`` that parses."""
    found = []
    for index, example in enumerate(dop.examples()):
        request = example.get("request")
        command = request.get("curl") if isinstance(request, dict) else request if isinstance(request, str) else None
        if not isinstance(command, str):
            continue
        parsed = parse_curl(command)
        if parsed is None or parsed.data_error is not None:
            continue
        payload = curl_payload(doc, dop, parsed)
        if payload is not None:
            found.append((index, payload))
    return found
