"""Turn ``(operation, payload)`` into an ``httpx.Request``: no I/O, shared by both clients.

The payload is split by the spec: path parameters are percent-encoded into the route,
query parameters use the API's bracket style, header parameters become headers, and
everything else (declared body keys and unknown keys alike) goes into the body.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

import httpx

from . import __version__
from .errors import UsageError, ValidationError, Violation
from .forms import FileValue, flatten_form, form_text, is_upload
from .host import ServiceHost
from .progress import ProgressCallback, Tracker, counted_file
from .retries import RetryPolicy
from .specs import Operation, json_path

if TYPE_CHECKING:
    from .profiles import Profile

USER_AGENT = f"oaimap/{__version__}"
ACCEPT = {  # by the spec's `returns`
    "json": "application/json",
    "page": "application/json",
    "empty": "application/json",  # error bodies still come as JSON
    "sse": "text/event-stream",
    "binary": "*/*",
    "text": "*/*",
}


def encode_path_segment(value: Any) -> str:
    """Percent-encode with no safe characters: ``a/b?c#d`` cannot change the route."""
    return quote(str(value), safe="")


@dataclass
class CallOptions:
    """Per-call settings accepted as keyword arguments of ``call``."""

    timeout: float | httpx.Timeout | None = None  # httpx's: each connect, read, write
    deadline: float | None = None  # seconds for the whole call, retries and body included
    max_retries: int | None = None
    extra_headers: Mapping[str, str] = field(default_factory=dict)
    extra_query: Mapping[str, Any] = field(default_factory=dict)
    extra_body: Mapping[str, Any] = field(default_factory=dict)  # sent as is, not validated
    idempotency_key: str | None = None
    output: str | Path | None = None  # binary answers: stream to this file
    validation: str | None = None  # "full" | "warn" | "shape" | "off": the client's unless given
    retry: RetryPolicy | None = None  # the whole policy for this call (max_retries= alone changes just that)
    progress: ProgressCallback | None = None  # told how uploads, downloads and polls go (oaimap/progress.py)

    @classmethod
    def from_kwargs(cls, operation: str, options: Mapping[str, Any]) -> "CallOptions":
        unknown = set(options) - set(cls.__dataclass_fields__)
        if unknown:
            raise UsageError(
                operation, f"unknown call option(s) {sorted(unknown)}; known: {sorted(cls.__dataclass_fields__)}"
            )
        return cls(**options)

    def for_inner_calls(self) -> dict[str, Any]:
        """Options a helper passes on to each call it makes (not the per-request
        idempotency key, not ``output``; ``progress`` so that an upload or poll inside
        a helper reports too)."""
        return {
            "timeout": self.timeout,
            "deadline": self.deadline,
            "max_retries": self.max_retries,
            "extra_headers": self.extra_headers,
            "extra_query": self.extra_query,
            "progress": self.progress,
        }


@dataclass
class PreparedCall:
    """A built request plus what answering it needs; ``close()`` closes opened files."""

    op: Operation
    request: httpx.Request
    sse: bool  # the answer is an event stream
    returns: str  # what the answer is for this payload: the op's `returns`, or "text" (`text_when`)
    streaming: bool  # the body must be read incrementally (SSE or binary to a file)
    files: ExitStack
    started: float = field(default_factory=time.monotonic)  # when the call began (meta.elapsed)
    retries: int = 0  # attempts after the first, once the answer is in
    budget_spent: int = 0  # retry-budget tokens this call's retries took

    def close(self) -> None:
        self.files.close()


def answers_as(op: Operation, payload: Mapping[str, Any]) -> str:
    """What this payload's answer is: ``text`` when a ``text_when`` value asks for it
    (a transcription with ``response_format: srt``), else the operation's ``returns``."""
    for key, values in op.text_when.items():
        if payload.get(key) in values:
            return "text"
    return op.returns


def answers_with_sse(op: Operation, payload: Mapping[str, Any]) -> bool:
    if op.returns == "sse":
        return True
    if not op.stream_param:
        return False
    return payload.get(op.stream_param) is True


class HostURL:
    """A host's base URL, split once: the prefix routes go under, and the query rules.

    The same for HTTP calls and websocket handshakes (:func:`endpoint`).
    """

    def __init__(self, host: ServiceHost):
        self.host = host
        base = urlsplit(host.base_url)
        # Braces in the prefix are not route fields: routes are filled in before joining.
        self.prefix = urlunsplit(base._replace(path=base.path.rstrip("/"), query="", fragment=""))
        self.base_query = tuple(parse_qsl(base.query, keep_blank_values=True))
        self.default_query = tuple(pair for key, value in host.default_query.items() for pair in flatten_form(key, value))

    def query(self, params: Iterable[tuple[str, Any]], extra_query: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
        """The pairs to send, as text and in this order: the base URL's own query
        (``?api-version=...``, kept on every request), ``params``, the host's default
        query, ``extra_query``, and in query-auth mode the key (ConfigurationError when
        the host has none)."""
        query: list[tuple[str, Any]] = [*self.base_query, *params, *self.default_query]
        for key, value in extra_query.items():
            query.extend(flatten_form(key, value))
        query.extend(self.host.auth_query().items())
        return tuple((key, form_text(value)) for key, value in query)


def endpoint(
    host: ServiceHost, route: str, params: Iterable[tuple[str, Any]], extra_query: Mapping[str, Any]
) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Where a request to ``route`` (fields filled in) goes: ``(url, query)``, the URL
    without a query string and the pairs of :meth:`HostURL.query`."""
    url = HostURL(host)
    return url.prefix + route, url.query(params, extra_query)


@dataclass(frozen=True)
class _Fixed:
    """What every request of one operation to one host shares, worked out once."""

    route: str  # the operation's route, as the provider profile rewrites it
    payload_fields: tuple[str, ...]  # route fields a profile's rewrite takes from the payload ({model})
    plain_url: httpx.URL | None  # prefix + route, parsed, for a route without fields
    literal_query: tuple[tuple[str, str], ...]  # the route's own query (``?beta=true``)
    headers: Mapping[str, str]  # User-Agent, identity, the operation's fixed headers


def _parsed(url: str) -> httpx.URL | None:
    """``url`` parsed once, or None when httpx refuses it (building the request says why)."""
    try:
        return httpx.URL(url)
    except httpx.InvalidURL:
        return None


class RequestBuilder:
    """Builds requests for one service host."""

    def __init__(self, host: ServiceHost, profile: Profile | None = None):
        self.host = host
        self.profile = profile
        self.url = HostURL(host)
        self._fixed: dict[Operation, _Fixed] = {}  # operations compare by identity

    def _fixed_for(self, op: Operation) -> _Fixed:
        fixed = self._fixed.get(op)
        if fixed is None:
            route, literal_query = op.route
            if self.profile is not None:
                route = self.profile.route_for(op.name, route)
            fields = tuple(name for name in re.findall(r"{([^{}]+)}", route) if name not in op.path_fields)
            fixed = _Fixed(
                route=route,
                payload_fields=fields,
                plain_url=None if (op.path_fields or fields) else _parsed(self.url.prefix + route),
                literal_query=tuple(parse_qsl(literal_query, keep_blank_values=True)),
                headers={"User-Agent": USER_AGENT, **self.host.identity_headers(), **op.headers},
            )
            self._fixed[op] = fixed
        return fixed

    def build(
        self,
        http: httpx.Client | httpx.AsyncClient,
        op: Operation,
        payload: Mapping[str, Any],
        options: CallOptions,
    ) -> PreparedCall:
        fixed = self._fixed_for(op)
        path_values: dict[str, str] = {}
        params: list[tuple[str, Any]] = list(fixed.literal_query)
        headers: dict[str, str] = dict(fixed.headers)
        body: dict[str, Any] = {}
        for key, value in payload.items():
            location = op.location_of.get(key, "body")
            if location == "path":
                path_values[key] = encode_path_segment(value)
            elif location == "query":
                params.extend(flatten_form(key, value))
            elif location == "header":
                if value is not None and value != []:  # an empty list is no header at all
                    headers[key] = ",".join(map(form_text, value)) if isinstance(value, list) else form_text(value)
            else:
                body[key] = value
        for name in fixed.payload_fields:  # stays in the body too: the provider reads it there as well
            value = payload.get(name)
            if not isinstance(value, str) or not value:
                why = f"the {self.profile.name if self.profile else ''!s} profile puts it in the route: a non-empty string is required"
                raise ValidationError(op.name, [Violation(json_path([name]), why)])
            path_values[name] = encode_path_segment(value)
        body.update(options.extra_body)
        query = self.url.query(params, options.extra_query)
        headers.update(self.host.auth_headers())
        sse = answers_with_sse(op, payload)
        returns = answers_as(op, payload)
        headers["Accept"] = "text/event-stream" if sse else ACCEPT[returns]
        if op.method != "GET":
            headers["Idempotency-Key"] = options.idempotency_key or f"oaimap-{uuid.uuid4()}"
        headers.update(options.extra_headers)

        url = fixed.plain_url or self.url.prefix + fixed.route.format_map(path_values)
        files = ExitStack()
        uploaded = None if options.progress is None else Tracker(options.progress, op.name, "upload", "bytes", 0)
        content_kwargs = self._body(op, body, files, uploaded)
        headers.update(content_kwargs.pop("headers", {}))
        if query:  # httpx merges params into the URL by parsing it again: only when there are some
            content_kwargs["params"] = query
        try:
            request = http.build_request(
                op.method,
                url,
                headers=headers,
                timeout=options.timeout if options.timeout is not None else httpx.USE_CLIENT_DEFAULT,
                **content_kwargs,
            )
        except httpx.InvalidURL as exc:  # e.g. longer than httpx allows: a query of 10,000 values
            files.close()
            raise ValidationError(op.name, [Violation("$", f"the request URL cannot be built: {exc}")]) from None
        # a binary answer is read as it comes when it goes to a file or its bytes are counted
        streaming = sse or (op.returns == "binary" and (options.output is not None or options.progress is not None))
        return PreparedCall(op=op, request=request, sse=sse, returns=returns, streaming=streaming, files=files)

    def _body(self, op: Operation, body: dict[str, Any], files: ExitStack, uploaded: Tracker | None) -> dict[str, Any]:
        encoding = op.encoding
        uploads = {k for k, v in body.items() if k in op.file_params and is_upload(v)}
        if encoding == "auto":
            encoding = "multipart" if uploads else "json"
        if encoding == "none":
            return {}
        if encoding == "json":
            return {"json": body} if body or op.params_in("body") else {}
        if encoding == "sdp":
            if set(body) <= {"sdp"}:  # the offer alone
                return {"content": str(body.get("sdp", "")).encode(), "headers": {"Content-Type": "application/sdp"}}
            return {"files": _sdp_form(body)}
        return {"files": _multipart_fields(body, uploads, files, uploaded)}


def _multipart_fields(
    body: dict[str, Any], uploads: set[str], files: ExitStack, uploaded: Tracker | None
) -> list[tuple[str, tuple]]:
    """Every body key as a multipart field; plain values travel as filename-less parts.

    Passing plain fields as ``(None, value)`` tuples keeps their order and makes httpx
    use multipart even when no file is present (its ``data=`` alone would be urlencoded).
    Several files under one name are sent as ``name[]``. With ``uploaded``, the files'
    bytes are counted as httpx reads them.
    """
    fields: list[tuple[str, tuple]] = []
    for key, value in body.items():
        if key not in uploads:
            fields.extend((k, (None, form_text(v).encode())) for k, v in flatten_form(key, value))
        elif isinstance(value, list):
            fields.extend((f"{key}[]", _file_part(key, item, files, uploaded)) for item in value)
        else:
            fields.append((key, _file_part(key, value, files, uploaded)))
    return fields


def _sdp_form(body: dict[str, Any]) -> list[tuple[str, tuple]]:
    """The offer with more settings (a ``session``): a multipart form whose ``sdp`` part is
    ``application/sdp`` and every other part JSON, as the API's document encodes it."""
    return [
        (key, (None, str(value).encode(), "application/sdp"))
        if key == "sdp"
        else (key, (None, json.dumps(value, separators=(",", ":")).encode(), "application/json"))
        for key, value in body.items()
    ]


def _file_part(key: str, value: Any, files: ExitStack, uploaded: Tracker | None) -> tuple[str, Any, str]:
    """(filename, content, content type) for one file value; paths are opened lazily here."""
    file = FileValue(value, default_name=key)
    content = files.enter_context(open(file.path, "rb")) if file.path is not None else file.data
    if content is None:
        content = file.handle
    if uploaded is not None:
        content = counted_file(content, file.filename or key, uploaded)
    return file.filename or key, content, file.content_type
