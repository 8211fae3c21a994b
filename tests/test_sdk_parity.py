"""Parity with the pinned openai-python (see docs/parity.md).

The SDK's resource tree is walked (``tests/sdk_walk.py``) and checked against oaimap:

- names: every SDK endpoint method resolves, to an operation on the same route;
- helpers: every SDK helper method resolves, except the documented ``HELPER_EXCLUSIONS``;
- parameters: every SDK parameter is known to the operation, except ``PARAM_EXCEPTIONS``;
- wire: for every HTTP operation, its example request is sent once through the SDK
  method on the same route and once through ``Client.call``, to the same loopback
  server, and the two recorded requests must agree (method, decoded path, query pairs,
  body, files, ``OpenAI-Beta``).

Each exclusion carries its reason, and a test fails when an entry has become stale.
"""

from __future__ import annotations

import fnmatch
import inspect
import json
import re
import warnings
from collections import Counter
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from conftest import TEST_KEY

from oaimap.errors import UnknownOperationError
from oaimap.server import ReceivedRequest
from oaimap.specs import Operation, SpecRegistry, read_yaml
from oaimap.sse import Stream as OaimapStream

ROOT = Path(__file__).resolve().parent.parent
SDK_VERSION = "3.5.0"  # the release matching the reference document: docs/parity.md

openai = pytest.importorskip("openai", reason="openai-python is not installed (pip install -e '.[dev]' pins it)")
if openai.__version__ != SDK_VERSION:
    pytest.skip(
        f"SDK parity is checked against openai=={SDK_VERSION}, found {openai.__version__} (pip install -e '.[dev]')",
        allow_module_level=True,
    )

import sdk_walk  # noqa: E402  (needs openai)

# -- documented gaps -----------------------------------------------------------------
# SDK helper methods oaimap deliberately does not offer (fnmatch pattern -> reason).
HELPER_EXCLUSIONS: dict[str, str] = {
    "*.connect": "websocket sessions: oaimap's are responses.websocket and client.realtime_connect "
    "(docs/live-channels.md)",
}

# SDK parameters the reference document lacks ((SDK method, parameter) -> reason).
# Outside strict mode oaimap passes an undeclared key through as a body key.
_BETA_SESSION = "openai 3.5.0's beta realtime session schema; the reference document's session schema has no such field"
PARAM_EXCEPTIONS: dict[tuple[str, str], str] = {
    ("admin.organization.projects.create", "geography"): "not in the reference document, which has only `residency`",
    ("admin.organization.projects.update", "geography"): "not in the reference document, which has only `residency`",
    ("beta.realtime.sessions.create", "model"): _BETA_SESSION,
    ("beta.realtime.sessions.create", "input_audio_noise_reduction"): _BETA_SESSION,
    ("beta.realtime.transcription_sessions.create", "client_secret"): _BETA_SESSION,
    ("beta.realtime.transcription_sessions.create", "modalities"): _BETA_SESSION,
}

# HTTP operations of the reference document no method of openai 3.5.0 reaches.
_LATER_SDK = "route in the reference document, not in openai 3.5.0 (later SDK releases have it)"
NOT_IN_SDK: dict[str, str] = {
    "audio.voice_consents.list": _LATER_SDK,
    "audio.voice_consents.create": _LATER_SDK,
    "audio.voice_consents.retrieve": _LATER_SDK,
    "audio.voice_consents.update": _LATER_SDK,
    "audio.voice_consents.delete": _LATER_SDK,
    "audio.voices.create": _LATER_SDK,
    "realtime.translations.client_secrets.create": _LATER_SDK,
}

# -- the two sides ---------------------------------------------------------------------
REGISTRY = SpecRegistry.shared()
METHODS = sdk_walk.walk()
ENDPOINTS = [m for m in METHODS if not m.helper]
HELPERS = [m for m in METHODS if m.helper]
# The operations imported from the reference document (a hand-written one has no
# operation_id and is not the SDK's business).
OPS = sorted((op for op in REGISTRY.operations() if op.operation_id), key=lambda op: op.name)


def _route_key(method: str, path: str) -> tuple[str, str]:
    """(method, path) with parameter names blanked: ``/files/{}``; ``?beta=true`` kept."""
    return method, re.sub(r"{[^{}]+}", "{}", path)


SDK_BY_ROUTE: dict[tuple[str, str], list[sdk_walk.SdkMethod]] = {}
for _m in ENDPOINTS:
    SDK_BY_ROUTE.setdefault(_route_key(_m.http_method or "", _m.path or ""), []).append(_m)
OPS_BY_ROUTE = {_route_key(op.method, op.path): op for op in OPS}


def _excluded_helper(name: str) -> str | None:
    return next((why for pattern, why in HELPER_EXCLUSIONS.items() if fnmatch.fnmatchcase(name, pattern)), None)


def _param_aliases(op: Operation) -> dict[str, str]:
    """SDK parameter name -> oaimap payload key, where the operation declares one."""
    return dict(op.param_aliases)


def _resolve(name: str) -> Operation | None:
    try:
        return REGISTRY.resolve(name)[0]
    except UnknownOperationError:
        return None


# -- a. names ----------------------------------------------------------------------------
@pytest.mark.parametrize("method", ENDPOINTS, ids=[m.name for m in ENDPOINTS])
def test_endpoint_name_resolves_to_the_same_route(method):
    op = _resolve(method.name)
    if op is None:
        same_route = OPS_BY_ROUTE.get(_route_key(method.http_method, method.path))
        hint = f"; {same_route.name} is on that route" if same_route else "; no operation has that route"
        pytest.fail(f"{method.name} ({method.http_method} {method.path}) does not resolve in oaimap{hint}")
    assert op.helper is None, f"{method.name} is one request in the SDK, a helper in oaimap"
    # same HTTP method, same template with the same parameter names, same literal query
    assert (op.method, op.path) == (method.http_method, method.path)


# -- b. helpers --------------------------------------------------------------------------
@pytest.mark.parametrize("method", HELPERS, ids=[m.name for m in HELPERS])
def test_helper_name_resolves(method):
    reason = _excluded_helper(method.name)
    if reason:
        pytest.skip(f"excluded: {reason}")
    assert _resolve(method.name) is not None, f"SDK helper {method.name} has no oaimap operation"


def test_helper_exclusions_are_current():
    """Every exclusion pattern still matches an SDK helper that oaimap does not offer."""
    for pattern in HELPER_EXCLUSIONS:
        matched = [m.name for m in HELPERS if fnmatch.fnmatchcase(m.name, pattern)]
        assert matched, f"{pattern} matches no SDK helper: drop it"
        offered = [name for name in matched if _resolve(name) is not None]
        assert not offered, f"oaimap now offers {offered}: narrow the exclusion {pattern}"


# -- c. parameters -------------------------------------------------------------------
def _target_op(method: sdk_walk.SdkMethod) -> Operation | None:
    """The operation an SDK method maps to: by name, else by route (names are test a's job)."""
    return _resolve(method.name) or OPS_BY_ROUTE.get(_route_key(method.http_method, method.path))


@pytest.mark.parametrize("method", ENDPOINTS, ids=[m.name for m in ENDPOINTS])
def test_endpoint_params_are_known(method):
    op = _target_op(method)
    if op is None:
        pytest.fail(f"no oaimap operation for {method.name}")
    aliases = _param_aliases(op)
    bad_alias = {sdk: key for sdk, key in aliases.items() if key not in op.location_of}
    assert not bad_alias, f"{op.name}: param_aliases point to undeclared keys {bad_alias}"
    unknown = [
        p for p in method.param_names
        if p not in op.location_of and p not in aliases and (method.name, p) not in PARAM_EXCEPTIONS
    ]  # fmt: skip
    assert not unknown, f"{method.name} -> {op.name}: SDK parameters unknown to oaimap: {unknown}"


# SDK helper parameters that are Python objects rather than data ((pattern, parameter) -> reason).
HELPER_PARAM_EXCEPTIONS: dict[tuple[str, str], str] = {
    ("*stream", "event_handler"): "an AssistantEventHandler subclass (callbacks); oaimap's stream is iterated instead",
    ("responses.*", "text_format"): "a pydantic type; pass the JSON schema it stands for as text.format",
    ("responses.parse", "verbosity"): "the SDK's shortcut for text.verbosity; pass text: {verbosity: ...}",
}


def _helper_keys(op: Operation) -> set[str]:
    """Every payload key a helper takes: its own, inherited (params_from) and its target's."""
    keys = set(op.location_of) | set(op.param_aliases)
    names = [op.params_from, (op.helper or {}).get("operation"), ((op.helper or {}).get("instead") or {}).get("operation")]
    for name in filter(None, names):
        keys |= _helper_keys(REGISTRY.get(name))
    return keys


@pytest.mark.parametrize("method", HELPERS, ids=[m.name for m in HELPERS])
def test_helper_params_are_known(method):
    if _excluded_helper(method.name):
        pytest.skip("excluded helper")
    op = REGISTRY.get(method.name)
    unknown = [
        p for p in method.param_names
        if p not in _helper_keys(op)
        and not any(fnmatch.fnmatchcase(method.name, pattern) and p == param for pattern, param in HELPER_PARAM_EXCEPTIONS)
    ]  # fmt: skip
    assert not unknown, f"{method.name} -> {op.name}: SDK parameters unknown to oaimap: {unknown}"


def test_helper_param_exceptions_are_current():
    for (pattern, param), _reason in HELPER_PARAM_EXCEPTIONS.items():
        users = [m for m in HELPERS if fnmatch.fnmatchcase(m.name, pattern) and param in m.param_names]
        assert users, f"no SDK helper matching {pattern} takes {param}: drop the exception"
        assert all(param not in _helper_keys(REGISTRY.get(m.name)) for m in users), f"{param} is declared now: drop it"


def test_param_exceptions_are_current():
    by_name = {m.name: m for m in ENDPOINTS}
    for (name, param), _reason in PARAM_EXCEPTIONS.items():
        assert name in by_name and param in by_name[name].param_names, f"{name}({param}) is not in the SDK: drop it"
        op = _target_op(by_name[name])
        assert op is not None
        assert param not in op.location_of and param not in _param_aliases(op), (
            f"{op.name} now declares {param!r}: drop the exception"
        )


# -- d. the wire -------------------------------------------------------------------------
def test_not_in_sdk_table_is_current():
    unreached = {op.name for op in OPS if _route_key(op.method, op.path) not in SDK_BY_ROUTE}
    assert unreached == set(NOT_IN_SDK)


def _sdk_method_for(op: Operation) -> sdk_walk.SdkMethod | None:
    """The SDK method on the op's route: the same name first, then a non-deprecated one."""
    candidates = SDK_BY_ROUTE.get(_route_key(op.method, op.path), [])
    names = (op.name, *op.other_names)
    ranked = sorted(candidates, key=lambda m: (m.name not in names, m.deprecated, m.name != op.name))
    return ranked[0] if ranked else None


def _with_file_bytes(op: Operation, payload: dict[str, Any]) -> dict[str, Any]:
    """Example requests name files; send ``(name, bytes)`` in their place (as test_all_operations)."""
    out = dict(payload)
    for key in op.file_params:
        if key in out:
            value = out[key]
            files = [(str(n), f"bytes of {n}".encode()) for n in (value if isinstance(value, list) else [value])]
            out[key] = files if isinstance(value, list) else files[0]
    return out


def _sdk_arguments(op: Operation, func: Any, payload: dict[str, Any]) -> tuple[list[Any], dict[str, Any], list[str]]:
    """Positional args, keyword args, and the payload keys the SDK signature lacks."""
    to_sdk = {key: sdk for sdk, key in _param_aliases(op).items()}
    params = inspect.signature(func).parameters
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    lacking: list[str] = []
    for key, value in payload.items():
        name = to_sdk.get(key, key)
        param = params.get(name)
        if param is None or name in sdk_walk.CALL_OPTIONS or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            lacking.append(key)
        elif param.kind == param.POSITIONAL_ONLY:
            args.append((list(params).index(name), value))
        else:
            kwargs[name] = value
    return [v for _, v in sorted(args, key=lambda a: a[0])], kwargs, lacking


def _drain(result: Any) -> None:
    """Read a stream to its end and close it, so that the exchange is complete."""
    if isinstance(result, (openai.Stream, OaimapStream)):
        try:
            for _ in result:
                pass
        finally:
            result.close()


def _multipart(content_type: str, body: bytes) -> tuple[Counter, Counter]:
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    fields: Counter = Counter()
    files: Counter = Counter()
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is None:
            fields[(name, data.decode())] += 1
        else:  # a file's content type is not compared: each side guesses it from the name
            files[(name, filename, data)] += 1
    return fields, files


def _wire(request: ReceivedRequest) -> dict[str, Any]:
    """What must agree between the SDK's request and oaimap's.

    Not compared, on purpose: User-Agent and the X-Stainless-* headers (each client names
    itself); Idempotency-Key (oaimap sends one on every non-GET, the SDK does not);
    Accept (oaimap asks for text/event-stream when it streams); authorization (the two
    clients hold different keys); header and part order.
    """
    ctype = request.headers.get("content-type", "")
    out: dict[str, Any] = {
        "method": request.method,
        # each segment percent-decoded: the SDK leaves RFC 3986's segment set (`:@+` ...)
        # unescaped, oaimap escapes every reserved character; both mean the same path.
        # Split first, so that an escaped `/` (%2F) still counts as part of its segment.
        "path": [unquote(segment) for segment in request.path.split("/")],
        "query": Counter(request.query),  # a multiset: pair order differs, `key[]=` repeats
        "openai-beta": request.headers.get("openai-beta"),
    }
    if not request.body and not ctype.startswith("application/sdp"):
        out["encoding"], out["body"] = "none", None
    elif ctype.startswith("application/json"):
        out["encoding"], out["body"] = "json", json.loads(request.body)
    elif ctype.startswith("multipart/form-data"):
        out["encoding"] = "multipart"
        out["multipart fields"], out["multipart files"] = _multipart(ctype, request.body)
    elif ctype.startswith("application/sdp"):
        out["encoding"], out["body"] = "sdp", request.body.decode()
    else:
        out["encoding"], out["body"] = ctype, request.body
    return out


def _exchange(server, send) -> tuple[ReceivedRequest | None, str | None]:
    """Run ``send()`` and return the one request the server recorded, or the error."""
    server.reset()
    error = None
    try:
        _drain(send())
    except Exception as exc:  # noqa: BLE001 - an answer the client cannot parse: only the request matters
        error = f"{type(exc).__name__}: {str(exc)[:300]}"
    sent = list(server.requests)
    if len(sent) != 1:
        return None, f"sent {len(sent)} requests" + (f" ({error})" if error else "")
    return sent[0], None


def _check_wire(op: Operation, payload: dict[str, Any], sdk, client, server) -> None:
    method = _sdk_method_for(op)
    if method is None:
        pytest.skip(f"{op.name}: {NOT_IN_SDK.get(op.name, 'no openai-python method on this route')}")
    func = sdk_walk.method_of(sdk, method.name)
    payload = _with_file_bytes(op, payload)
    args, kwargs, lacking = _sdk_arguments(op, func, payload)
    sendable = {k: v for k, v in payload.items() if k not in lacking}

    problems: list[str] = []
    if lacking:
        problems.append(f"the SDK method {method.name} has no parameter for {lacking} (compared without them)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # a deprecated SDK method warns on each call
        sdk_request, sdk_error = _exchange(server, lambda: func(*args, **kwargs))
    oaimap_request, oaimap_error = _exchange(server, lambda: client.call(op.name, sendable))
    if sdk_request is None:
        problems.append(f"SDK {method.name}: {sdk_error}")
    if oaimap_request is None:
        problems.append(f"oaimap {op.name}: {oaimap_error}")
    if sdk_request is not None and oaimap_request is not None:
        sdk_wire, oaimap_wire = _wire(sdk_request), _wire(oaimap_request)
        intended = WIRE_DIFFERENCES.get(op.name, {})
        if "encoding" in intended and sdk_wire["encoding"] == intended["encoding"][0]:
            # Another encoding of the same payload: compare what the server decoded instead.
            for wire, request in ((sdk_wire, sdk_request), (oaimap_wire, oaimap_request)):
                for aspect in ("body", "multipart fields", "multipart files"):
                    wire.pop(aspect, None)
                wire["decoded payload"] = request.payload
        for aspect in dict.fromkeys([*sdk_wire, *oaimap_wire]):
            if aspect in intended and sdk_wire.get(aspect) == intended[aspect][0]:
                continue  # a documented difference (WIRE_DIFFERENCES); the rest still compared
            if sdk_wire.get(aspect) != oaimap_wire.get(aspect):
                problems.append(f"{aspect}: SDK {sdk_wire.get(aspect)!r} != oaimap {oaimap_wire.get(aspect)!r}")
    assert not problems, f"{op.name} vs SDK {method.name}:\n  " + "\n  ".join(problems)


# Where oaimap sends something else on purpose, per operation: aspect -> (what the SDK
# sends, why oaimap does not). Only that aspect is let through, and only with that value.
WIRE_DIFFERENCES: dict[str, dict[str, tuple[Any, str]]] = {
    "beta.realtime.sessions.create": {
        "openai-beta": ("assistants=v2", "the SDK's whole `beta` namespace sends the Assistants header; these routes are not part of the Assistants API and the document's examples send none"),
    },
    "beta.realtime.transcription_sessions.create": {
        "openai-beta": ("assistants=v2", "as for beta.realtime.sessions.create"),
    },
    "videos.create": {
        "encoding": ("multipart", "the SDK always sends a form; the document accepts JSON too, and oaimap sends a form only when a file travels (a file still goes as multipart, checked in MORE_CASES)"),
    },
}


def test_wire_differences_are_current():
    """Each documented difference still shows up (else remove it here and in docs/parity.md)."""
    for name, aspects in WIRE_DIFFERENCES.items():
        assert _resolve(name) is not None, name
        assert _sdk_method_for(REGISTRY.get(name)) is not None, name


# -- the importer's table of SDK names -----------------------------------------------------
def test_the_importers_sdk_names_table_matches_the_sdk():
    """codegen/sdk_names.yaml (rule 0 of the naming rule) is what the pinned SDK says;
    rewrite it with `python tests/sdk_walk.py --names > codegen/sdk_names.yaml`."""
    table = read_yaml(ROOT / "codegen" / "sdk_names.yaml")
    assert table["openai"] == SDK_VERSION
    assert table["routes"] == sdk_walk.names_by_route(METHODS)


def test_every_sdk_name_of_a_route_resolves_to_its_operation():
    for route, names in sdk_walk.names_by_route(METHODS).items():
        method, path = route.split(" ", 1)
        assert {(REGISTRY.get(n).method, REGISTRY.get(n).path) for n in names} == {(method, path)}, route


@pytest.fixture(scope="module")
def sdk(_shared_server):
    client = openai.OpenAI(
        api_key=TEST_KEY, admin_api_key=TEST_KEY, base_url=_shared_server.url, max_retries=0, timeout=10
    )
    yield client
    client.close()


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
def test_example_request_matches_the_sdk_on_the_wire(op, sdk, client, server):
    _check_wire(op, dict(op.example["request"]), sdk, client, server)


STREAMING = [op for op in OPS if op.stream_param]


@pytest.mark.parametrize("op", STREAMING, ids=[op.name for op in STREAMING])
def test_streaming_request_matches_the_sdk_on_the_wire(op, sdk, client, server):
    _check_wire(op, {**op.example["request"], op.stream_param: True}, sdk, client, server)


# Cases the examples do not reach: file and session variants, reserved characters in a
# path, header, array and deepObject query parameters.
MORE_CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "realtime.calls.create+session": (
        "realtime.calls.create",
        {"sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n", "session": {"type": "realtime", "model": "gpt-realtime"}},
    ),
    "videos.create+input_reference": (
        "videos.create",
        {"model": "sora-2", "prompt": "A calico cat playing a piano on stage", "input_reference": "reference.png"},
    ),
    "files.retrieve+reserved_characters": ("files.retrieve", {"file_id": "a b/c:d@e+f%g"}),
    "beta.responses.create+betas": (
        "beta.responses.create",
        {"model": "gpt-5.4", "input": "Hi", "openai-beta": ["responses_multi_agent=v1"]},
    ),
    "responses.retrieve+include": (
        "responses.retrieve",
        {"response_id": "resp_1", "include": ["message.output_text.logprobs", "reasoning.encrypted_content"], "include_obfuscation": False},
    ),
    "admin.organization.audit_logs.list+filters": (
        "admin.organization.audit_logs.list",
        {"effective_at": {"gt": 1, "lte": 2}, "project_ids": ["proj_1", "proj_2"], "limit": 5},
    ),
    "images.edit+mask": (
        "images.edit",
        {"image": ["a.png", "b.png"], "mask": "mask.png", "prompt": "Add a hat", "n": 2, "size": "1024x1024"},
    ),
}


@pytest.mark.parametrize("case", list(MORE_CASES))
def test_more_requests_match_the_sdk_on_the_wire(case, sdk, client, server):
    name, payload = MORE_CASES[case]
    _check_wire(REGISTRY.get(name), payload, sdk, client, server)
