"""Reading an HTTP request back into oaimap's flat payload: the inverse of ``wire.py``.

Path values come from the route template, bracket-style query and form fields
(``a[]=1&m[k]=v``) are typed by their parameter schemas, header parameters are read
from the headers, and a JSON, multipart or SDP body is taken apart. The loopback server
reads every request it receives with :func:`request_payload`; codegen reads the OpenAPI
document's curl examples with the same pieces (:func:`match_route`,
:func:`decode_fields`, :func:`header_fields`).

Schemas may hold ``$ref``: the functions that look inside them take ``follow``, which
returns the schema a reference points at. The server passes schemas whose references
:func:`~oaimap.schemas.readable_params` already replaced; codegen follows the
document's own references.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from functools import lru_cache
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import parse_qsl, unquote

from .forms import coerce, insert, split_key
from .specs import Operation
from .schemas import readable_params

Follow = Callable[[Any], Any]
_JSON_TYPES = {str: "string", bool: "boolean", int: "integer", float: "number", type(None): "null"}
_MAX_DEPTH = 8  # unions nested deeper than this (or a reference cycle) are not looked into


def _as_is(schema: Any) -> Any:
    return schema


@dataclass
class UploadedFile:
    """A file part of a multipart request."""

    filename: str
    content_type: str
    data: bytes

    def __len__(self) -> int:
        return len(self.data)

    def read(self) -> bytes:  # lets the payload validator see it as a file
        return self.data


# -- the path ------------------------------------------------------------------------------
@lru_cache(maxsize=1024)
def route_pattern(template: str) -> re.Pattern[str]:
    """``/files/{file_id}`` as a regular expression with one named group per path field."""
    return re.compile(re.sub(r"\\{([^{}]+)\\}", lambda m: f"(?P<{m.group(1)}>[^/]+)", re.escape(template)))


def match_route(template: str, path: str) -> dict[str, str] | None:
    """The path fields of ``path`` (percent-decoded) when it is a route of ``template``, else None."""
    found = route_pattern(template).fullmatch(path)
    return {key: unquote(value) for key, value in found.groupdict().items()} if found else None


def without_literal_query(query: Iterable[tuple[str, str]], literal_query: str) -> list[tuple[str, str]]:
    """The query's pairs minus the keys the route itself fixes (``?beta=true``)."""
    fixed = {key for key, _ in parse_qsl(literal_query)}
    return [(key, value) for key, value in query if key not in fixed]


# -- typing text by its schema -------------------------------------------------------------
def schema_kinds(schema: Any, follow: Follow = _as_is, depth: int = 0) -> set[str]:
    """The JSON types a value of ``schema`` may have, through unions (empty: any type)."""
    schema = follow(schema)
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return set()
    declared = schema.get("type")
    kinds = set([declared] if isinstance(declared, str) else declared or [])
    for union in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(union) or []:
            kinds |= schema_kinds(branch, follow, depth + 1)
    if not kinds and "enum" in schema:
        kinds |= {_JSON_TYPES.get(type(value), "string") for value in schema["enum"]}
    if not kinds and "properties" in schema:
        kinds.add("object")
    return kinds


def field_schema(schema: Any, key: str, follow: Follow = _as_is, depth: int = 0) -> Any:
    """The schema of ``schema``'s list items (``key == ""``) or of its property ``key``,
    looking into every anyOf / oneOf / allOf branch (nullable unions among them)."""
    schema = follow(schema)
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return {}
    if key == "" and isinstance(schema.get("items"), dict):
        return schema["items"]
    if key:
        found = (schema.get("properties") or {}).get(key)
        if found is not None:
            return found
    for union in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(union) or []:
            found = field_schema(branch, key, follow, depth + 1)
            if found:
                return found
    if key and isinstance(schema.get("additionalProperties"), dict):
        return schema["additionalProperties"]
    return {}


def decode_fields(pairs: Iterable[tuple[str, Any]], schemas: Mapping[str, Any], follow: Follow = _as_is) -> dict[str, Any]:
    """``a[]=1&a[]=2&m[k]=v`` -> ``{"a": [1, 2], "m": {"k": "v"}}``, text typed by the
    schemas of the top-level keys; values that are not text (files) are kept as they are."""
    out: dict[str, Any] = {}
    for raw_key, value in pairs:
        parts = split_key(raw_key)
        schema = schemas.get(parts[0], {})
        for part in parts[1:]:
            schema = field_schema(schema, part, follow)
        insert(out, parts, coerce(value, schema_kinds(schema, follow)) if isinstance(value, str) else value)
    return out


def header_fields(headers: Mapping[str, str], schemas: Mapping[str, Any], follow: Follow = _as_is) -> dict[str, Any]:
    """The header parameters ``headers`` (lower-cased names) carry; an array from a
    comma-separated list."""
    out: dict[str, Any] = {}
    for name, schema in schemas.items():
        value = headers.get(name.lower())
        if value is not None:
            out[name] = [item.strip() for item in value.split(",")] if "array" in schema_kinds(schema, follow) else value
    return out


# -- the whole request ---------------------------------------------------------------------
def request_payload(
    op: Operation, path_values: Mapping[str, str], query: Iterable[tuple[str, str]], headers: Mapping[str, str], body: bytes
) -> dict[str, Any]:
    """The payload a request to ``op`` carries: path values, the declared query keys,
    header parameters and the body. ``headers`` has lower-cased names.

    Raises ValueError for a body it cannot read.
    """
    payload: dict[str, Any] = dict(path_values)
    query_schemas = readable_params(op, "query")
    declared = [(k, v) for k, v in without_literal_query(query, op.route[1]) if split_key(k)[0] in query_schemas]
    payload.update(decode_fields(declared, query_schemas))
    payload.update(header_fields(headers, readable_params(op, "header")))
    content_type = headers.get("content-type", "")
    if content_type.startswith("application/sdp"):  # the body is the value, even when empty
        payload["sdp"] = body.decode()
        return payload
    if not body:
        return payload
    if content_type.startswith("application/json"):
        data = json.loads(body)
        if not isinstance(data, dict):
            raise ValueError("the JSON body must be an object")
        payload.update(data)
    elif content_type.startswith("multipart/form-data"):
        payload.update(decode_fields(multipart_fields(content_type, body), readable_params(op, "body")))
    else:
        raise ValueError(f"unsupported content type {content_type!r}")
    return payload


def multipart_fields(content_type: str, body: bytes) -> list[tuple[str, Any]]:
    """(name, value) of every part: text, parsed JSON for a JSON part, or an :class:`UploadedFile`."""
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    if not message.is_multipart():
        raise ValueError("malformed multipart body")
    fields: list[tuple[str, Any]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):  # absent, or an RFC 2231 (charset, language, value) triple
            raise ValueError("a multipart part without a plain name parameter")
        filename = part.get_filename()
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):  # None for a nested multipart part: no bytes of its own
            data = b""
        if filename is not None:
            fields.append((name, UploadedFile(filename, part.get_content_type(), data)))
        elif part.get_content_type() == "application/json":  # a JSON part (an SDP call's session)
            fields.append((name, json.loads(data)))
        else:
            fields.append((name, data.decode()))
    return fields
