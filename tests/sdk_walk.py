"""Walk openai-python's resource tree: every public method, its parameters and its route.

``walk()`` enumerates the sync resources of an ``openai.OpenAI`` client (the
``cached_property`` sub-resources, recursively; ``with_raw_response`` /
``with_streaming_response`` and private names skipped) and describes each public method:

- ``name``: the dotted resource path, ``beta.threads.runs.create``;
- ``params``: its parameters, without ``extra_headers`` / ``extra_query`` /
  ``extra_body`` / ``timeout`` (the SDK's per-call options);
- ``helper``: whether it is more than exactly one generated request: polling, streaming
  wrappers, ``parse``, uploads, websockets (``connect``), local webhook checks. A method is
  a helper when its name says so (``HELPER_NAME``) or when calling it does not send
  exactly one request;
- ``deprecated``: marked ``@deprecated`` in the SDK;
- for endpoint methods, ``http_method`` and ``path``: the route template with the SDK's
  parameter names, a literal query kept (``/responses/{response_id}?beta=true``).

The route is found by calling each method once with placeholder arguments on a client
whose transport answers in-process (``httpx2.MockTransport``: nothing leaves the
process), while ``openai._utils.path_template`` is wrapped to see the template each call
renders. Used by ``tests/test_sdk_parity.py``; run it directly to print the table:

    python tests/sdk_walk.py
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import re
import sys
import types
import typing
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Iterator
from urllib.parse import parse_qsl, unquote

import httpx2
import openai
from openai._resource import SyncAPIResource

SKIP_ATTRS = frozenset({"with_raw_response", "with_streaming_response"})
CALL_OPTIONS = frozenset({"extra_headers", "extra_query", "extra_body", "timeout"})
# Names that are not one generated request, whatever they send.
HELPER_NAME = re.compile(
    r"(^|_)(poll|stream|parse)($|_)"  # create_and_poll, poll, stream, create_and_stream, parse ...
    r"|^upload($|_)"  # vector_stores.files.upload / upload_and_poll, uploads.upload_file_chunked
    r"|^wait_for_"  # files.wait_for_processing
    r"|^connect$"  # websockets
    r"|^(unwrap|verify_signature)$"  # webhooks: local, no HTTP
)
LITERAL_QUERY = ("beta", "true")  # the only literal query of a route (beta.responses.*)
PLACEHOLDER = "PH_"  # prefix of the placeholder value given to a positional (path) argument
# Arguments a helper needs that its signature does not mark as required.
PROBE_EXTRA: dict[str, dict[str, Any]] = {
    "responses.stream": {"model": "x", "input": "hi"},
    "responses.parse": {"model": "x", "input": "hi"},
    "uploads.upload_file_chunked": {"file": b"hello", "filename": "f.txt", "bytes": 5},
}


@dataclass(frozen=True)
class SdkParam:
    name: str
    positional: bool  # may be given positionally
    keyword: bool  # may be given by keyword (False only for positional-only parameters)
    required: bool


@dataclass(frozen=True)
class SdkMethod:
    name: str
    params: tuple[SdkParam, ...]
    helper: bool
    deprecated: bool
    http_method: str | None = None  # endpoint methods only
    path: str | None = None  # route template, literal query included

    @property
    def param_names(self) -> list[str]:
        return [p.name for p in self.params]

    @property
    def route(self) -> tuple[str, str] | None:
        return (self.http_method, self.path) if self.http_method and self.path else None


# -- the resource tree ------------------------------------------------------------------
def resources(obj: Any, prefix: str = "") -> Iterator[tuple[str, SyncAPIResource]]:
    """(dotted prefix, resource) for every sync resource reachable from ``obj``."""
    seen: set[str] = set()
    for klass in type(obj).__mro__:
        for attr, value in vars(klass).items():
            if attr.startswith("_") or attr in SKIP_ATTRS or attr in seen:
                continue
            if not isinstance(value, (functools.cached_property, property)):
                continue
            seen.add(attr)
            try:
                child = getattr(obj, attr)
            except Exception:  # a property that needs configuration we did not give
                continue
            if isinstance(child, SyncAPIResource):
                name = f"{prefix}.{attr}" if prefix else attr
                yield name, child
                yield from resources(child, name)


def public_methods(resource: SyncAPIResource) -> Iterator[tuple[str, Callable[..., Any]]]:
    """(name, bound method) for every public method a resource class defines."""
    seen: set[str] = set()
    for klass in type(resource).__mro__:
        if klass in (SyncAPIResource, object):
            break
        for attr, value in vars(klass).items():
            if attr.startswith("_") or attr in SKIP_ATTRS or attr in seen or not inspect.isfunction(value):
                continue
            seen.add(attr)
            yield attr, getattr(resource, attr)


def method_of(client: openai.OpenAI, dotted: str) -> Callable[..., Any]:
    """``method_of(client, "beta.threads.runs.create")`` -> that bound method."""
    obj: Any = client
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def describe_params(func: Callable[..., Any]) -> tuple[SdkParam, ...]:
    out = []
    for p in inspect.signature(func).parameters.values():
        if p.name in CALL_OPTIONS or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        out.append(
            SdkParam(
                name=p.name,
                positional=p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD),
                keyword=p.kind != p.POSITIONAL_ONLY,
                required=p.default is inspect.Parameter.empty,
            )
        )
    return tuple(out)


# -- probing: one call with placeholder arguments ----------------------------------------
_FILE = ("f.txt", b"hello", "text/plain")


def _placeholder(tp: Any) -> Any:
    """A value of type ``tp`` good enough for the SDK to build its request."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is str:
        return "x"
    if tp is bool:
        return True
    if tp in (int, float):
        return tp(1)
    if tp is bytes:
        return b"hello"
    if origin is typing.Literal:
        return args[0]
    if origin is typing.Annotated:
        return _placeholder(args[0])
    if origin in (typing.Union, types.UnionType):
        arms = [a for a in args if a is not type(None) and "NotGiven" not in str(a) and "Omit" not in str(a)]
        if any("IO" in str(a) or a is bytes or "PathLike" in str(a) for a in arms):
            return _FILE
        return "x" if str in arms else (_placeholder(arms[0]) if arms else None)
    text = str(origin or tp)
    if origin in (list, tuple, set) or "Iterable" in text or "Sequence" in text:
        inner = str(args[0]) if args else ""
        return [_FILE] if any(k in inner for k in ("IO", "FileTypes", "PathLike", "bytes")) else []
    if origin is dict or "Mapping" in text or typing.is_typeddict(tp):
        return {}
    if inspect.isclass(tp) and "PathLike" in tp.__name__:
        return _FILE
    return "x"


def _arguments(dotted: str, func: Callable[..., Any]) -> tuple[list[Any], dict[str, Any]]:
    try:
        hints = typing.get_type_hints(func, include_extras=True)
    except Exception:
        hints = {}
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for p in inspect.signature(func).parameters.values():
        if p.name in CALL_OPTIONS or p.default is not inspect.Parameter.empty:
            continue
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        positional = p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        value = f"{PLACEHOLDER}{p.name}" if positional else _placeholder(hints.get(p.name, str))
        if p.kind == p.POSITIONAL_ONLY:
            args.append(value)
        else:
            kwargs[p.name] = value
    kwargs.update(PROBE_EXTRA.get(dotted, {}))
    return args, kwargs


def _generic_answer(request: httpx2.Request) -> httpx2.Response:
    """One answer every method can live with: terminal states end any polling at once."""
    path = request.url.path
    if request.headers.get("accept") == "text/event-stream" or b'"stream":true' in request.content.replace(b" ", b""):
        return httpx2.Response(200, content=b"data: [DONE]\n\n", headers={"content-type": "text/event-stream"})
    if path.endswith("/content"):
        return httpx2.Response(200, content=b"bytes", headers={"content-type": "application/octet-stream"})
    body = {
        "id": "obj_1", "object": "thing", "created_at": 0, "deleted": True, "thread_id": "thread_1",
        "status": "processed" if path.startswith("/v1/files") else "completed",
        "data": [], "has_more": False, "first_id": None, "last_id": None, "choices": [], "output": [],
        "file_counts": {"in_progress": 0, "completed": 0, "failed": 0, "cancelled": 0, "total": 0},
    }  # fmt: skip
    return httpx2.Response(200, json=body)


@contextlib.contextmanager
def _recording_path_templates() -> Iterator[list[tuple[str, str]]]:
    """Wrap ``path_template`` in every openai module that imported it: (template, rendered)."""
    import openai._utils as utils

    original = utils.path_template
    seen: list[tuple[str, str]] = []

    def recording(template: str, /, **kwargs: Any) -> str:
        rendered = original(template, **kwargs)
        seen.append((template, rendered))
        return rendered

    patched = [m for n, m in list(sys.modules.items()) if n.startswith("openai") and getattr(m, "path_template", None) is original]
    for module in patched:
        module.path_template = recording  # type: ignore[attr-defined]
    try:
        yield seen
    finally:
        for module in patched:
            module.path_template = original  # type: ignore[attr-defined]


def _drain(result: Any) -> None:
    """Read a stream (or a stream manager) the call returned, so that it sends its request."""
    if hasattr(result, "__enter__") and hasattr(result, "__exit__"):
        with result as inner:
            for _ in zip(range(3), inner):
                pass
    elif hasattr(result, "__next__") and hasattr(result, "response"):
        for _ in zip(range(3), result):
            pass


def _route(request: httpx2.Request, templates: list[tuple[str, str]]) -> str:
    path = unquote(request.url.path).removeprefix("/v1")
    for template, rendered in templates:
        if unquote(rendered.partition("?")[0]) == path:
            path = template.partition("?")[0]
            break
    path = re.sub(rf"{PLACEHOLDER}(\w+)", r"{\1}", path)  # a literal path built by hand
    if LITERAL_QUERY in parse_qsl(request.url.query.decode() if isinstance(request.url.query, bytes) else request.url.query):
        path += "?" + "=".join(LITERAL_QUERY)
    return path


def walk() -> list[SdkMethod]:
    """Every public method of the sync client's resource tree, in tree order."""
    sent: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        sent.append(request)
        return _generic_answer(request)

    http = httpx2.Client(transport=httpx2.MockTransport(handler))
    client = openai.OpenAI(
        api_key="sk-walk", admin_api_key="sk-admin-walk", webhook_secret="whsec_" + "A" * 32,
        base_url="http://sdk-walk.invalid/v1", max_retries=0, http_client=http,
    )  # fmt: skip
    tree = list(resources(client))  # instantiating every resource imports every resource module
    rows: list[SdkMethod] = []
    with _recording_path_templates() as templates, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecated methods warn when called
        for prefix, resource in tree:
            resource._sleep = lambda seconds: None  # type: ignore[method-assign]  # no waits in poll helpers
            for attr, func in public_methods(resource):
                dotted = f"{prefix}.{attr}"
                sent.clear()
                templates.clear()
                if attr != "connect":  # building a websocket manager opens nothing; skip it
                    args, kwargs = _arguments(dotted, func)
                    try:
                        _drain(func(*args, **kwargs))
                    except Exception:  # only what was sent matters; local helpers reject placeholders
                        pass
                helper = bool(HELPER_NAME.search(attr)) or len(sent) != 1
                rows.append(
                    SdkMethod(
                        name=dotted,
                        params=describe_params(func),
                        helper=helper,
                        deprecated=bool(getattr(func, "__deprecated__", None)),
                        http_method=None if helper else sent[0].method,
                        path=None if helper else _route(sent[0], templates),
                    )
                )
    client.close()
    return rows


def names_by_route(rows: list[SdkMethod]) -> dict[str, list[str]]:
    """``"METHOD /route"`` -> the SDK's names for it, preferred first: current before
    deprecated, then plain before ``beta.`` (unless every name is ``beta.``)."""
    by_route: dict[str, list[SdkMethod]] = {}
    for m in rows:
        if not m.helper:
            by_route.setdefault(f"{m.http_method} {m.path}", []).append(m)
    def order(methods: list[SdkMethod]) -> list[str]:
        all_beta = all(m.name.startswith("beta.") for m in methods)
        ranked = sorted(methods, key=lambda m: (m.deprecated, m.name.startswith("beta.") and not all_beta))
        return [m.name for m in ranked]
    return {route: order(by_route[route]) for route in sorted(by_route, key=lambda r: (r.split(" ", 1)[1], r))}


NAMES_HEADER = """\
# openai-python's names for each route: what `client.<resource path>.<method>` the official
# SDK calls it. Facts gathered by walking the resource tree of the pinned openai release
# (tests/sdk_walk.py); tests/test_sdk_parity.py fails when this table and the installed
# release disagree. The importer names a NEW operation by this table first (rule 0 in
# docs/spec-format.md): the first name becomes `name`, the others `other_names`.
"""


def main() -> None:
    rows = walk()
    if sys.argv[1:] == ["--names"]:  # codegen/sdk_names.yaml
        print(NAMES_HEADER + f"openai: {openai.__version__}\nroutes:")
        for route, names in names_by_route(rows).items():
            print(f"  {route}: [{', '.join(names)}]")
        return
    for m in rows:
        kind = "helper" if m.helper else f"{m.http_method} {m.path}"
        print(f"{m.name:60} {kind}{'  (deprecated)' if m.deprecated else ''}")
    helpers = sum(m.helper for m in rows)
    print(json.dumps({"openai": openai.__version__, "methods": len(rows), "endpoints": len(rows) - helpers, "helpers": helpers}))


if __name__ == "__main__":
    main()
