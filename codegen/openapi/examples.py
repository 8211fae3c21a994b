"""The document's examples: curl requests read back into payloads, example answers and
event streams."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import parse_qsl, urlsplit

from oaimap.decode import decode_fields, header_fields, match_route, without_literal_query

from .convert import param_name
from .document import DocOperation
from .refs import resolve
from .schemas import body_properties

_TRAILING_COMMA = re.compile(r",(\s*[}\]])")
# The document's examples name some values by placeholder; ours read like real ones.
PLACEHOLDERS = {
    "VAR_chat_model_id": "gpt-4.1-mini",
    "VAR_completion_model_id": "gpt-3.5-turbo-instruct",
}
_PLACEHOLDER = re.compile(r"\bVAR_[A-Za-z0-9_]+")


def fill_placeholders(text: str) -> str:
    """``text`` with the document's known ``VAR_...`` placeholders replaced by real-looking
    values (an unknown one is left, and the spec checks catch it)."""
    return _PLACEHOLDER.sub(lambda m: PLACEHOLDERS.get(m.group(0), m.group(0)), text)


def loads_lenient(text: str) -> Any:
    """JSON, tolerating the trailing commas some of the document's examples have, with
    placeholders filled in."""
    text = fill_placeholders(text)
    try:
        return json.loads(text)
    except ValueError:
        return json.loads(_TRAILING_COMMA.sub(r"\1", text))


@dataclass
class CurlRequest:
    url: str
    headers: dict[str, str]
    json_body: Any  # parsed -d body, or None
    form: list[tuple[str, str]]  # (key, value) from -F; a file's value is its name
    data_error: str | None = None  # set when a -d body is present but not JSON


def parse_curl(command: str) -> CurlRequest | None:
    """The URL, headers and body of a documented curl command (None when there is no URL)."""
    text = fill_placeholders(command.replace("\\\r\n", " ").replace("\\\n", " "))
    try:
        tokens = shlex.split(text, comments=False, posix=True)
    except ValueError:
        return None
    url = next((t for t in tokens if t.startswith(("http://", "https://"))), None)
    if url is None:
        return None
    headers: dict[str, str] = {}
    form: list[tuple[str, str]] = []
    data: str | None = None
    for flag, value in zip(tokens, tokens[1:]):
        if flag in ("-H", "--header") and ":" in value:
            name, _, val = value.partition(":")
            headers[name.strip().lower()] = val.strip()
        elif flag in ("-d", "--data", "--data-raw", "--data-binary"):
            data = value
        elif flag in ("-F", "--form") and "=" in value:
            key, _, val = value.partition("=")
            if val.startswith(("@", "<")):  # a file: its name stands for it
                val = Path(val[1:].split(";", 1)[0]).name
            elif ";type=" in val:
                val = val.rsplit(";type=", 1)[0]
            form.append((key, val))
    request = CurlRequest(url=url, headers=headers, json_body=None, form=form)
    if data is not None and not data.strip():
        request.json_body = {}  # -d '' : an empty POST
    elif data is not None:
        try:
            request.json_body = loads_lenient(data)
        except ValueError as exc:
            request.data_error = str(exc)
    return request


def curl_payload(doc: Mapping[str, Any], dop: DocOperation, request: CurlRequest) -> dict[str, Any] | None:
    """The flat oaimap payload a documented curl command sends (None if it targets another route).

    File fields (``-F file=@audio.mp3``) become the file's name: YAML cannot hold a
    file, so whoever sends the example substitutes content for ``format: binary`` keys.
    """
    url = urlsplit(request.url)
    route, _, literal_query = dop.path.partition("?")
    path = url.path[3:] if url.path.startswith("/v1") else url.path
    path_values = match_route(route, path)
    if path_values is None:
        return None
    follow = partial(resolve, doc)
    params = [resolve(doc, p) for p in [*(dop.path_item.get("parameters") or []), *(dop.raw.get("parameters") or [])]]
    declared = {
        where: {param_name(p["name"]): p.get("schema") or {} for p in params if isinstance(p, dict) and p.get("in") == where}
        for where in ("query", "header")
    }
    body_schemas: dict[str, Any] = {}
    for media in (((dop.raw.get("requestBody") or {}).get("content")) or {}).values():
        props, _ = body_properties(doc, (media or {}).get("schema") or {})
        for key, schema in props.items():
            body_schemas.setdefault(key, schema)
    payload: dict[str, Any] = dict(path_values)
    query = without_literal_query(parse_qsl(url.query, keep_blank_values=True), literal_query)
    payload.update(decode_fields(query, declared["query"], follow))
    payload.update(header_fields(request.headers, declared["header"], follow))
    if isinstance(request.json_body, dict):
        payload.update(request.json_body)
    payload.update(decode_fields(request.form, body_schemas, follow))
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


def trim(value: Any, depth: int = 0) -> Any:
    """A short copy of an example answer: strings cut at 60 characters, lists at one
    item, nothing nested deeper than five levels."""
    if isinstance(value, str):
        return value if len(value) <= 60 else value[:57] + "..."
    if isinstance(value, list):
        return [trim(v, depth + 1) for v in value[:1]] if depth < 5 else []
    if isinstance(value, dict):
        return {k: trim(v, depth + 1) for k, v in value.items()} if depth < 5 else {}
    return value


def sse_events(text: str) -> list[Any]:
    """The JSON ``data:`` payloads of an example event stream ([DONE] dropped)."""
    events = []
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            continue
        try:
            events.append(loads_lenient(data))
        except ValueError:
            continue
    return events
