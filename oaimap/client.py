"""``Client`` and ``AsyncClient``: one pipeline, build -> send -> retry -> parse.

Both share every decision (``_Core``); they differ only in how they wait and do I/O.
"""

from __future__ import annotations

import logging
import os
import ssl
import time
import urllib.request
import uuid
import weakref
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Iterable, Iterator, Mapping

import httpx

from . import helpers, sendable
from .helpers import chunked_upload
from .deadline import Deadline
from .errors import (
    APIConnectionError,
    ConfigurationError,
    UnsupportedOperationError,
    UsageError,
    ValidationError,
    Violation,
    status_error,
    transport_error,
    undecodable_body,
)
from .host import KeyProvider, ServiceHost
from .meta import CallMeta, attach
from .usage import Usage
from .profiles import PROFILE_ENV, Profile
from .profiles import load as load_profile
from .progress import ProgressCallback, Tracker, download_tracker
from .retries import RetryPolicy
from .specs import Operation, Pagination, SpecRegistry, json_path
from .sse import AsyncStream, Stream
from .validation import check_level, validate
from .wire import CallOptions, PreparedCall, RequestBuilder

if TYPE_CHECKING:
    from . import live
    from .batching import AsyncBatches, Batches
    from .fanout import MapRun, SyncMapRun

LIVE_LOGGER = "oaimap.live"
HOOK_EVENTS = ("before_call", "after_call", "on_retry")  # the websockets library logs handshakes here (oaimap.live)

log = logging.getLogger("oaimap")

DEFAULT_TIMEOUT = httpx.Timeout(600.0, connect=5.0)
# Failures a retry cannot mend: a URL without http(s)://, a header h11 refuses to write.
NEVER_RETRY = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)
Failure = Callable[[httpx.RequestError], APIConnectionError]  # an httpx failure made ours


async def _sleep(seconds: float) -> None:
    import asyncio  # only async clients wait this way: a sync program never imports asyncio

    await asyncio.sleep(seconds)


@lru_cache(maxsize=1)
def _log_setting() -> str | None:
    """``OAIMAP_LOG`` (or openai-python's ``OPENAI_LOG``): ``info`` logs one line per call
    to stderr, ``debug`` one per attempt too, ``body`` the bodies as well (redacted). Set
    once per process, and only when the ``oaimap`` logger has no handler of its own."""
    level = (os.environ.get("OAIMAP_LOG") or os.environ.get("OPENAI_LOG") or "").strip().lower()
    if level not in ("info", "debug", "body"):
        return None
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("[%(asctime)s %(name)s %(levelname)s] %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO if level == "info" else logging.DEBUG)
    return level


@lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    """Built once per process: loading CA certificates costs ~50 ms per client otherwise."""
    return httpx.create_ssl_context()


class _RedactKeys(logging.Filter):
    """Masks API keys (raw and percent-encoded) in records of httpx and httpcore, which log
    full URLs (in query mode the key is part of the URL) and protocol errors, and of
    ``oaimap.live``, to which the websockets library logs every handshake's request line
    and headers."""

    def __init__(self) -> None:
        super().__init__("oaimap-redact")
        # Clients, not hosts: held weakly, so a service that makes a client per user key
        # does not keep every key (and client) alive for the life of the process.
        self.clients: weakref.WeakSet[_Core] = weakref.WeakSet()

    def filter(self, record: logging.LogRecord) -> bool:
        message = original = record.getMessage()
        for client in list(self.clients):
            message = client.host.redact(message)
        if message != original:
            record.msg, record.args = message, ()
        return True


_redactor = _RedactKeys()


def _guard_logs(client: _Core) -> None:
    """Attach the redacting filter to every httpx / httpcore logger (filters of a parent
    logger do not see records of its children, so each one gets it) and to ``oaimap.live``."""
    if not client.host.guards_text:
        return
    _redactor.clients.add(client)
    names = [n for n in logging.root.manager.loggerDict if n.split(".")[0] in ("httpx", "httpcore")]
    for name in {"httpx", "httpcore", LIVE_LOGGER, *names}:
        logger = logging.getLogger(name)
        if _redactor not in logger.filters:
            logger.addFilter(_redactor)


def _profile_settings(
    profile: Profile, given: Mapping[str, Any], api_key_env: str | None, env: Mapping[str, str], values: Mapping[str, str]
) -> dict[str, Any]:
    """The service host's settings with ``profile`` filling what the caller left out."""
    auth_name, auth_in = profile.auth_settings()
    explicit_auth = given["auth_name"] is not None
    key = given["api_key"] if given["api_key"] is not None else profile.api_key
    key_env = api_key_env or profile.api_key_env or "OPENAI_API_KEY"
    if profile.key_optional and key is None and not env.get(key_env) and not explicit_auth:
        auth_in = "none"  # a local server started without a key
    return dict(
        base_url=profile.resolve_base_url(given["base_url"], env, values),
        api_key=key,
        api_key_env=key_env,
        auth_name=given["auth_name"] if explicit_auth else auth_name,
        auth_in=given["auth_in"] if explicit_auth else auth_in,
        default_headers={**profile.default_headers, **(given["default_headers"] or {})},
        default_query={**profile.default_query, **(given["default_query"] or {})},
    )


def _normalise(op: Operation, payload: Any) -> Any:
    """The payload as the spec names it: ``param_aliases`` renamed to their parameters;
    query and header values of None dropped (they are simply not sent)."""
    if not isinstance(payload, Mapping):
        return payload
    out: dict[Any, Any] = {}
    for key, value in payload.items():
        key = op.param_aliases.get(key, key) if isinstance(key, str) else key
        if key in out:
            raise ValidationError(op.name, [Violation(json_path([key]), "given twice (under its own name and an alias)")])
        if not (value is None and op.location_of.get(key) in ("query", "header")):
            out[key] = value
    return out


class _Core:
    """Configuration and the I/O-free steps of a call."""

    def __init__(
        self,
        api_key: str | KeyProvider | None = None,
        *,
        base_url: str | None = None,
        profile: str | None = None,
        profile_vars: Mapping[str, str] | None = None,
        api_key_env: str | None = None,
        auth_header: str | None = None,
        auth_query: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, str] | None = None,
        webhook_secret: str | None = None,
        host: ServiceHost | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        retry: RetryPolicy | None = None,
        strict: bool = False,
        validation: str | None = None,
        specs: SpecRegistry | str | Path | None = None,
    ):
        name = profile if profile is not None else os.environ.get(PROFILE_ENV)
        self.profile = load_profile(name) if name else None
        if host is None:
            settings: dict[str, Any] = dict(
                base_url=base_url,
                api_key=api_key,
                api_key_env=api_key_env or "OPENAI_API_KEY",
                auth_name=auth_query if auth_query is not None else auth_header,
                auth_in="query" if auth_query is not None else "header",
                default_headers=default_headers,
                default_query=default_query,
            )
            if self.profile is not None:
                settings.update(_profile_settings(self.profile, settings, api_key_env, os.environ, profile_vars or {}))
            host = ServiceHost.create(
                **settings, organization=organization, project=project, webhook_secret=webhook_secret
            )
        self.host = host
        self.timeout = timeout
        self.retry_policy = retry if retry is not None else RetryPolicy(max_retries=max_retries)
        self.strict = strict
        self.validation = check_level(validation or (self.profile.validation if self.profile is not None else None) or "full")
        self.specs = specs if isinstance(specs, SpecRegistry) else SpecRegistry.shared(specs)
        self.specs.refresh()  # spec files edited since they were read take effect now
        _log_setting()  # OAIMAP_LOG / OPENAI_LOG, read once
        self._builder = RequestBuilder(host, self.profile)
        self._variants: dict[Operation, Operation] = {}  # official operation -> the profile's view
        self._hooks: dict[str, list[Callable[..., Any]]] = {}  # event -> functions (client.on)
        self.usage = Usage()  # tokens per model over this client's calls
        _guard_logs(self)

    def __repr__(self) -> str:
        auth = f"query {self.host.auth_name!r}" if self.host.auth_in == "query" else f"header {self.host.auth_name!r}"
        return f"{type(self).__name__}(base_url={self.host.base_url!r}, auth={auth}, strict={self.strict})"

    def _prepare(
        self, http: httpx.Client | httpx.AsyncClient, op: Operation, payload: Any, options: CallOptions
    ) -> PreparedCall:
        self._check_served(op)
        payload = _normalise(op, {} if payload is None else payload)
        validate(op, payload, strict=self.strict, level=options.validation or self.validation)
        problems = sendable.extra_header_problems(options.extra_headers) + sendable.extra_body_problems(
            options.extra_body
        )
        if problems:
            raise ValidationError(op.name, problems)
        if options.output is not None and op.returns != "binary":
            raise UsageError(op.name, f"output= is only for binary answers (this one returns {op.returns})")
        return self._builder.build(http, op, payload, options)

    # -- hooks ----------------------------------------------------------------------------------
    def on(self, event: str, fn: Callable[..., Any] | None = None) -> Any:
        """Register ``fn`` for ``event`` (also usable as ``@client.on("after_call")``).

        Hooks are plain functions called with keyword arguments (accept ``**_`` for
        those you do not need); an exception in one is logged, never raised into the call:

        * ``before_call(operation, payload, headers)``: before validation; entries put
          in ``headers`` (a dict) are sent with the request;
        * ``after_call(operation, meta, result, error)``: once the call has its result
          (a stream: when it opens) or its error;
        * ``on_retry(operation, attempt, reason, wait)``: before each retry's wait.
        """
        if event not in HOOK_EVENTS:
            raise ValueError(f"unknown event {event!r}; events: {', '.join(HOOK_EVENTS)}")
        if fn is None:
            return lambda f: self.on(event, f)
        self._hooks.setdefault(event, []).append(fn)
        return fn

    def _unhook(self, event: str, fn: Callable[..., Any]) -> None:
        """Take ``fn`` off ``event`` (a ``map`` run's pacing hook, when the run ends)."""
        fns = self._hooks.get(event, [])
        if fn in fns:
            fns.remove(fn)
        if not fns:
            self._hooks.pop(event, None)  # no hooks left: calls take the path without them again

    def _emit(self, event: str, **arguments: Any) -> None:
        for fn in self._hooks.get(event, ()):
            try:
                fn(**arguments)
            except Exception:  # noqa: BLE001 - a hook's failure is the hook's, never the call's
                log.warning("oaimap %s hook %r failed", event, fn, exc_info=True)

    def _before_call(self, op: Operation, payload: Any, opts: CallOptions) -> CallOptions:
        headers: dict[str, str] = {}
        self._emit("before_call", operation=op.name, payload=payload, headers=headers)
        return replace(opts, extra_headers={**opts.extra_headers, **headers}) if headers else opts

    def _retrying(self, call: PreparedCall, retries: int, reason: str, wait: float) -> float:
        """``wait``, after telling the on_retry hooks."""
        self._emit("on_retry", operation=call.op.name, attempt=retries + 1, reason=reason, wait=wait)
        return wait

    def _resolve(self, name: str) -> tuple[Operation, bool]:
        """The operation called ``name`` as this client's provider profile takes it, and
        whether ``name`` was a seed alias."""
        op, via_alias = self.specs.resolve(name)
        if self.profile is None:
            return op, via_alias
        variant = self._variants.get(op)
        if variant is None:
            variant = self._variants[op] = self.profile.apply(op)
        return variant, via_alias

    def operation(self, name: str) -> Operation:
        """The operation called ``name`` (a dotted name or seed alias), with this client's
        provider overlay applied."""
        return self._resolve(name)[0]

    def _check_served(self, op: Operation) -> None:
        if self.profile is not None and not self.profile.serves_operation(op.name):
            raise UnsupportedOperationError(op.name, self.profile.name)

    def _helper_payload(self, op: Operation, payload: Any, options: CallOptions) -> dict[str, Any]:
        self._check_served(op)
        payload = _normalise(op, {} if payload is None else payload)
        validate(op, payload, strict=self.strict, level=options.validation or self.validation)
        if options.output is not None:
            raise UsageError(op.name, "output= is only for binary answers")
        return dict(payload)

    def _policy(self, options: CallOptions) -> RetryPolicy:
        """The call's policy: its own, else the client's with the call's ``max_retries``
        (the client's other settings and its budget kept)."""
        policy = options.retry or self.retry_policy
        return policy if options.max_retries is None else replace(policy, max_retries=options.max_retries)

    def _wait_after_error(
        self, policy: RetryPolicy, retries: int, call: PreparedCall, exc: httpx.RequestError, deadline: Deadline
    ) -> float:
        """Seconds to wait before retrying a failed attempt; raises when it is not retried."""
        if retries < policy.max_retries and isinstance(exc, httpx.TransportError) and not isinstance(exc, NEVER_RETRY):
            wait = policy.delay(retries)
            if deadline.allows(wait) and self._within_budget(policy, call, retries, type(exc).__name__, isinstance(exc, httpx.TimeoutException)):
                return wait
        raise transport_error(call.op.name, exc, self.host, call.request, f"request failed after {retries + 1} attempt(s)")

    def _wait_after_status(
        self, policy: RetryPolicy, retries: int, call: PreparedCall, response: httpx.Response, deadline: Deadline
    ) -> float | None:
        """Seconds to wait before retrying this error status, or None to give up."""
        if retries < policy.max_retries and policy.should_retry(response):
            wait = policy.delay(retries, response)
            if deadline.allows(wait) and self._within_budget(policy, call, retries, f"HTTP {response.status_code}", False):
                return wait
        return None

    def _within_budget(self, policy: RetryPolicy, call: PreparedCall, retries: int, reason: str, timeout: bool) -> bool:
        """Take a retry's tokens from the budget; when it is spent, tell on_retry (wait None)."""
        if policy.budget is None:
            return True
        spent = policy.budget.spend(timeout)
        if not spent:
            self._emit("on_retry", operation=call.op.name, attempt=retries + 1, reason=f"{reason}; retry budget spent", wait=None)
            return False
        call.budget_spent += spent
        return True

    @staticmethod
    def _succeeded(policy: RetryPolicy, call: PreparedCall, retries: int) -> None:
        call.retries = retries
        if policy.budget is not None:
            policy.budget.succeeded(call.budget_spent)

    @staticmethod
    def _meta(call: PreparedCall, response: httpx.Response) -> CallMeta:
        return CallMeta(call.op.name, response, call.retries, time.monotonic() - call.started)

    def _renews_key(self, response: httpx.Response, renewed: bool) -> bool:
        """A 401 with a key from a provider is retried once, with the key asked for again."""
        return response.status_code == 401 and self.host.rotates_key and not renewed

    @staticmethod
    def _follows(http: httpx.Client | httpx.AsyncClient, response: httpx.Response) -> bool:
        """Redirects are followed only when the caller's http client asks for it."""
        return http.follow_redirects and response.has_redirect_location

    def _redirect(self, http: httpx.Client | httpx.AsyncClient, response: httpx.Response, hops: int) -> httpx.Request:
        """The request that follows a (closed) redirect response.

        httpx builds it (method, body and cookie rules); the key is taken off whenever
        it leaves the service host's origin: httpx drops only ``Authorization``, not a
        custom auth header nor the auth query parameter.
        """
        if hops >= http.max_redirects:
            raise httpx.TooManyRedirects(f"more than {http.max_redirects} redirects", request=response.request)
        request = http._build_redirect_request(response.request, response)
        if self.host.same_origin(request.url):
            self.host.renew_auth(request)  # a Location may drop the auth query parameter
        else:
            self.host.strip_auth(request)
        return request

    def _failure(self, call: PreparedCall, context: str) -> Failure:
        """The stream's and the download's way to turn an httpx failure into ours."""
        return lambda exc: transport_error(call.op.name, exc, self.host, call.request, context)

    @staticmethod
    def _log(call: PreparedCall, response: httpx.Response, retries: int) -> None:
        """One line per attempt, at DEBUG."""
        if log.isEnabledFor(logging.DEBUG):
            # The route template is logged, never the URL: in query mode the URL holds the key.
            log.debug(
                "%s %s %s -> %s (request id %s, attempt %d)",
                call.op.name,
                call.op.method,
                call.op.path,
                response.status_code,
                response.headers.get("x-request-id"),
                retries + 1,
            )

    def _finished(self, call: PreparedCall, response: httpx.Response, retries: int) -> None:
        """One line per call, at INFO (``OAIMAP_LOG=info``); with ``OAIMAP_LOG=body`` the
        request and response bodies too, masked by the host's redaction."""
        if not log.isEnabledFor(logging.INFO):
            return
        log.info(
            "%s -> %s (request id %s, retries %d, %.0f ms)",
            call.op.name,
            response.status_code,
            response.headers.get("x-request-id"),
            retries,
            (time.monotonic() - call.started) * 1000,
        )
        if _log_setting() == "body":
            try:
                sent = call.request.content.decode("utf-8", "replace")
            except httpx.RequestNotRead:  # an upload streamed from disk
                sent = "(streamed upload)"
            log.debug("%s request body: %s", call.op.name, self.host.redact(sent))
            if not call.streaming and call.op.returns in ("json", "page", "text", "empty"):
                log.debug("%s response body: %s", call.op.name, self.host.redact(response.text))

    def _parse(self, call: PreparedCall, response: httpx.Response, via_alias: bool) -> Any:
        """The value ``call`` returns for a fully read, successful response."""
        op = call.op
        if call.returns == "binary":
            return response.content
        if call.returns == "text":
            return response.text
        if not response.content:
            return None
        try:
            data = response.json()
        except ValueError:  # JSON or text decoding: an HTML error page, a truncated proxy reply
            raise undecodable_body(op.name, response, self.host, "JSON") from None
        self.usage.record(data)
        if op.returns == "page" and via_alias and op.pagination and isinstance(data, dict):
            return data.get(op.pagination.items, [])  # the seed's shape: the first page's list
        return data

    def _resolve_page_op(self, name: str) -> tuple[Operation, Pagination]:
        op = self.operation(name)
        if op.returns != "page" or op.pagination is None:
            raise UsageError(op.name, "answers no pages; paginate needs a list operation")
        return op, op.pagination


class Client(_Core):
    """Synchronous client: ``client.call("responses.create", {...})``."""

    def __init__(self, api_key: str | KeyProvider | None = None, *, http_client: httpx.Client | None = None, **kwargs: Any):
        super().__init__(api_key, **kwargs)
        if self.host.api_key is not None and self.host.api_key.is_async:
            raise ConfigurationError("api_key is an async function: use AsyncClient, or pass a sync function")
        self._owns_http = http_client is None  # a caller's client is the caller's to close
        self._http = http_client or httpx.Client(timeout=self.timeout, verify=_ssl_context())
        self._websockets: live.SyncLiveChannels | None = None

    def call(self, name: str, payload: Mapping[str, Any] | None = None, **options: Any) -> Any:
        """Run one operation by dotted name or seed alias.

        Options: ``timeout`` (httpx's: each connect / read / write), ``deadline``
        (seconds for the whole call: retries, waits and the body, streams included),
        ``max_retries``, ``extra_headers``, ``extra_query``, ``extra_body`` (body keys
        sent without schema validation, e.g. parameters newer than the specs when
        type-checked code cannot pass unknown keys), ``idempotency_key``, ``output``
        (binary answers: a file path to stream into), ``validation`` (``full``,
        ``warn``, ``shape``, ``off``), ``retry`` (a :class:`~oaimap.RetryPolicy` for this call),
        ``progress`` (a function given an :class:`oaimap.progress.Progress` as an upload,
        a download or a poll moves on).
        The result carries ``.meta`` (:mod:`oaimap.meta`).
        """
        op, via_alias = self._resolve(name)
        opts = CallOptions.from_kwargs(op.name, options)
        if not self._hooks:
            return self._call(op, via_alias, payload, opts)
        opts = self._before_call(op, payload, opts)
        try:
            result = self._call(op, via_alias, payload, opts)
        except BaseException as exc:
            self._emit("after_call", operation=op.name, meta=getattr(exc, "meta", None), result=None, error=exc)
            raise
        self._emit("after_call", operation=op.name, meta=getattr(result, "meta", None), result=result, error=None)
        return result

    def _call(self, op: Operation, via_alias: bool, payload: Any, opts: CallOptions) -> Any:
        if op.helper is not None:
            return helpers.load(op).run(self, op, self._helper_payload(op, payload, opts), opts)
        if op.large_file is not None and chunked_upload.is_large(op, payload):
            return chunked_upload.run_instead(self, op, self._helper_payload(op, payload, opts), opts)
        if self.host.rotates_key:
            self.host.fetch_key(op.name)
        call = self._prepare(self._http, op, payload, opts)
        try:
            response = self._send(call, opts)
        except BaseException:
            call.close()
            raise
        if call.sse:
            stream = Stream(op, response, call.close, failure=self._failure(call, "stream interrupted"), redact=self.host.redact)
            stream.meta = self._meta(call, response)
            stream.on_complete = self.usage.record  # the final usage event
            return stream
        try:
            counter = None if opts.progress is None else download_tracker(opts.progress, op.name, response)
            if opts.output is not None:
                return attach(_save(response, Path(opts.output), self._failure(call, "download interrupted"), counter), self._meta(call, response))
            if counter is not None and call.streaming:  # a binary answer, counted as it comes
                return attach(_read(response, self._failure(call, "download interrupted"), counter), self._meta(call, response))
            return attach(self._parse(call, response, via_alias), self._meta(call, response))
        finally:
            response.close()
            call.close()

    def _send(self, call: PreparedCall, options: CallOptions) -> httpx.Response:
        """Attempts until a success (its body read unless streaming) or a final error."""
        policy, deadline = self._policy(options), Deadline(options.deadline)
        retries = 0
        renewed = False
        while True:
            try:
                response = self._attempt(call, deadline)
            except httpx.RequestError as exc:
                failure: httpx.RequestError | None = exc
            else:
                failure = None
            if failure is not None:  # decided outside `except`: no httpx context on our error
                time.sleep(self._retrying(call, retries, type(failure).__name__, self._wait_after_error(policy, retries, call, failure, deadline)))
                retries += 1
                continue
            self._log(call, response, retries)
            if response.is_success:
                self._succeeded(policy, call, retries)
                self._finished(call, response, retries)
                return response
            if self._renews_key(response, renewed):  # once: a fresh key from the provider
                response.close()
                self.host.fetch_key(call.op.name)
                self.host.renew_auth(call.request)
                renewed = True
                continue
            wait = self._wait_after_status(policy, retries, call, response, deadline)
            if wait is None:
                self._finished(call, response, retries)
                raise status_error(call.op.name, response, self.host)
            time.sleep(self._retrying(call, retries, f"HTTP {response.status_code}", wait))
            retries += 1

    def _attempt(self, call: PreparedCall, deadline: Deadline) -> httpx.Response:
        """Send once, follow the redirects the caller's http client asks for, and read the
        body unless the caller streams it."""
        deadline.limit(call.request)
        response = self._http.send(call.request, stream=True, follow_redirects=False)
        hops = 0
        while self._follows(self._http, response):
            response.close()
            request = self._redirect(self._http, response, hops)
            response = self._http.send(request, stream=True, follow_redirects=False)
            hops += 1
        deadline.watch(response)
        if not (call.streaming and response.is_success):
            try:
                response.read()
            finally:
                response.close()
        return response

    @property
    def websockets(self) -> live.SyncLiveChannels:
        """Open websocket connections by id (Responses websocket mode, Realtime):
        :mod:`oaimap.live`, imported on first use."""
        if self._websockets is None:
            from .live import SyncLiveChannels

            self._websockets = SyncLiveChannels(self.host)
        return self._websockets

    def realtime_connect(self, model: str | None = None, **kwargs: Any) -> live.SyncLiveConnection:
        """Open a Realtime websocket; see ``websockets.realtime``."""
        return self.websockets.realtime(model, **kwargs)

    @property
    def batch(self) -> Batches:
        """The Batch API for many payloads of one operation (``oaimap/batching.py``)."""
        from .batching import Batches

        return Batches(self)

    def paginate(self, name: str, payload: Mapping[str, Any] | None = None, **options: Any) -> Iterator[Any]:
        """Every item of a list operation, fetching pages as they are needed."""
        op, pagination = self._resolve_page_op(name)
        request = dict(payload or {})
        while True:
            page = self.call(op.name, request, **options)
            yield from page.get(pagination.items, [])
            token = pagination.next_token(page)
            if token is None or pagination.input_token is None:  # last page, or a single-page list
                return
            request[pagination.input_token] = token

    def map(
        self,
        name: str,
        payloads: Iterable[Any],
        *,
        concurrency: int = 16,
        ordered: bool = True,
        progress: ProgressCallback | None = None,
        checkpoint: str | os.PathLike[str] | None = None,
        **options: Any,
    ) -> SyncMapRun:
        """Call ``name`` once per payload, ``concurrency`` calls in flight; iterate the
        answer for one :class:`~oaimap.fanout.MapResult` per payload (``index``,
        ``payload``, ``ok``, ``value``, ``error``), in input order (``ordered=False``:
        as they finish). A failed item is a result, never an exception. ``options`` are
        ``call``'s, for every call. ``progress`` gets a ``map`` event per finished item;
        ``checkpoint`` (a JSONL file) makes an interrupted run resumable. The calls run
        on an :class:`AsyncClient` configured like this one (docs/scale-out.md)."""
        from .fanout import SyncMapRun

        return SyncMapRun(
            self, name, payloads, concurrency=concurrency, ordered=ordered, progress=progress, checkpoint=checkpoint, options=options
        )

    def close(self) -> None:
        if self._websockets is not None:
            self._websockets.shutdown()  # closes open websockets with 1000
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncClient(_Core):
    """Asynchronous client: ``await client.call("responses.create", {...})``."""

    def __init__(
        self,
        api_key: str | KeyProvider | None = None,
        *,
        http_client: httpx.AsyncClient | None = None,
        http_backend: str = "httpx",
        **kwargs: Any,
    ):
        """``http_backend="aiohttp"`` (extra ``oaimap[aiohttp]``) sends through aiohttp's
        connection pool behind httpx's interface: several times the throughput of
        httpcore's with many calls in flight (``docs/benchmarks.md``)."""
        super().__init__(api_key, **kwargs)
        self._owns_http = http_client is None  # a caller's client is the caller's to close
        self._direct: httpx.AsyncBaseTransport | None = None
        if http_client is None:
            self._http, self._direct = _async_http(http_backend, self.timeout)
        else:
            self._http = http_client
        self._websockets: live.LiveChannels | None = None

    async def call(self, name: str, payload: Mapping[str, Any] | None = None, **options: Any) -> Any:
        """Run one operation by dotted name or seed alias (see :meth:`Client.call`)."""
        op, via_alias = self._resolve(name)
        opts = CallOptions.from_kwargs(op.name, options)
        if not self._hooks:
            return await self._call(op, via_alias, payload, opts)
        opts = self._before_call(op, payload, opts)
        try:
            result = await self._call(op, via_alias, payload, opts)
        except BaseException as exc:
            self._emit("after_call", operation=op.name, meta=getattr(exc, "meta", None), result=None, error=exc)
            raise
        self._emit("after_call", operation=op.name, meta=getattr(result, "meta", None), result=result, error=None)
        return result

    async def _call(self, op: Operation, via_alias: bool, payload: Any, opts: CallOptions) -> Any:
        if op.helper is not None:
            return await helpers.load(op).arun(self, op, self._helper_payload(op, payload, opts), opts)
        if op.large_file is not None and chunked_upload.is_large(op, payload):
            return await chunked_upload.arun_instead(self, op, self._helper_payload(op, payload, opts), opts)
        if self.host.rotates_key:
            await self.host.afetch_key(op.name)
        call = self._prepare(self._http, op, payload, opts)
        try:
            response = await self._send(call, opts)
        except BaseException:
            call.close()
            raise
        if call.sse:
            stream = AsyncStream(
                op, response, call.close, failure=self._failure(call, "stream interrupted"), redact=self.host.redact
            )
            stream.meta = self._meta(call, response)
            stream.on_complete = self.usage.record  # the final usage event
            return stream
        try:
            counter = None if opts.progress is None else download_tracker(opts.progress, op.name, response)
            if opts.output is not None:
                saved = await _asave(response, Path(opts.output), self._failure(call, "download interrupted"), counter)
                return attach(saved, self._meta(call, response))
            if counter is not None and call.streaming:  # a binary answer, counted as it comes
                data = await _aread(response, self._failure(call, "download interrupted"), counter)
                return attach(data, self._meta(call, response))
            return attach(self._parse(call, response, via_alias), self._meta(call, response))
        finally:
            await response.aclose()
            call.close()

    async def _send(self, call: PreparedCall, options: CallOptions) -> httpx.Response:
        """Attempts until a success (its body read unless streaming) or a final error."""
        policy, deadline = self._policy(options), Deadline(options.deadline)
        retries = 0
        renewed = False
        while True:
            try:
                response = await self._attempt(call, deadline)
            except httpx.RequestError as exc:
                failure: httpx.RequestError | None = exc
            else:
                failure = None
            if failure is not None:  # decided outside `except`: no httpx context on our error
                await _sleep(self._retrying(call, retries, type(failure).__name__, self._wait_after_error(policy, retries, call, failure, deadline)))
                retries += 1
                continue
            self._log(call, response, retries)
            if response.is_success:
                self._succeeded(policy, call, retries)
                self._finished(call, response, retries)
                return response
            if self._renews_key(response, renewed):  # once: a fresh key from the provider
                await response.aclose()
                await self.host.afetch_key(call.op.name)
                self.host.renew_auth(call.request)
                renewed = True
                continue
            wait = self._wait_after_status(policy, retries, call, response, deadline)
            if wait is None:
                self._finished(call, response, retries)
                raise status_error(call.op.name, response, self.host)
            await _sleep(self._retrying(call, retries, f"HTTP {response.status_code}", wait))
            retries += 1

    async def _attempt(self, call: PreparedCall, deadline: Deadline) -> httpx.Response:
        """Send once, follow the redirects the caller's http client asks for, and read the
        body unless the caller streams it."""
        deadline.limit(call.request)
        response = await self._send_once(call.request, call.streaming)
        hops = 0
        while self._follows(self._http, response):
            await response.aclose()
            request = self._redirect(self._http, response, hops)
            response = await self._http.send(request, stream=True, follow_redirects=False)
            hops += 1
        deadline.watch(response)
        if not (call.streaming and response.is_success):
            try:
                await response.aread()
            finally:
                await response.aclose()
        return response

    async def _send_once(self, request: httpx.Request, streaming: bool) -> httpx.Response:
        """One request on the wire. A whole-body answer over the aiohttp backend goes to
        the transport directly: httpx's ``send`` adds auth flows, redirect following,
        event hooks, cookie persistence and a log line, none of which oaimap's own client
        uses, and costs about a tenth of a call (docs/benchmarks.md). Streams keep it."""
        if self._direct is not None and not streaming and not self._http.is_closed:
            response = await self._direct.handle_async_request(request)
            response.request = request
            return response
        return await self._http.send(request, stream=True, follow_redirects=False)

    @property
    def websockets(self) -> live.LiveChannels:
        """Open websocket connections by id (Responses websocket mode, Realtime):
        :mod:`oaimap.live`, imported on first use."""
        if self._websockets is None:
            from .live import LiveChannels

            self._websockets = LiveChannels(self.host)
        return self._websockets

    async def realtime_connect(self, model: str | None = None, **kwargs: Any) -> live.LiveConnection:
        """Open a Realtime websocket; see ``websockets.realtime``."""
        return await self.websockets.realtime(model, **kwargs)

    @property
    def batch(self) -> AsyncBatches:
        """The Batch API for many payloads of one operation (``oaimap/batching.py``)."""
        from .batching import AsyncBatches

        return AsyncBatches(self)

    async def paginate(
        self, name: str, payload: Mapping[str, Any] | None = None, **options: Any
    ) -> AsyncIterator[Any]:
        """Every item of a list operation, fetching pages as they are needed."""
        op, pagination = self._resolve_page_op(name)
        request = dict(payload or {})
        while True:
            page = await self.call(op.name, request, **options)
            for item in page.get(pagination.items, []):
                yield item
            token = pagination.next_token(page)
            if token is None or pagination.input_token is None:  # last page, or a single-page list
                return
            request[pagination.input_token] = token

    def map(
        self,
        name: str,
        payloads: Iterable[Any],
        *,
        concurrency: int = 16,
        ordered: bool = True,
        progress: ProgressCallback | None = None,
        checkpoint: str | os.PathLike[str] | None = None,
        **options: Any,
    ) -> MapRun:
        """``async for result in client.map(name, payloads, concurrency=16)``: see
        :meth:`Client.map`. Payloads are read from the iterable as calls start, never
        all at once; cancelling the consuming task (or leaving the loop) cancels the
        calls in flight."""
        from .fanout import MapRun

        return MapRun(
            self, name, payloads, concurrency=concurrency, ordered=ordered, progress=progress, checkpoint=checkpoint, options=options
        )

    @classmethod
    def _like(cls, client: Client) -> AsyncClient:
        """An async client with ``client``'s service host (key, base URL, headers),
        profile, retry policy (and budget), validation, specs, hooks and usage tally."""
        twin = cls(
            host=client.host,
            profile=client.profile.name if client.profile is not None else None,
            timeout=client.timeout,
            retry=client.retry_policy,
            strict=client.strict,
            validation=client.validation,
            specs=client.specs,
        )
        twin._hooks = {event: list(fns) for event, fns in client._hooks.items()}
        twin.usage = client.usage
        return twin

    async def close(self) -> None:
        if self._websockets is not None:
            await self._websockets.close_all()  # closes open websockets with 1000
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _async_http(
    backend: str, timeout: float | httpx.Timeout
) -> tuple[httpx.AsyncClient, httpx.AsyncBaseTransport | None]:
    """The http client of an AsyncClient, and the transport its whole-body answers may
    be sent through directly (see :meth:`AsyncClient._send_once`), if any."""
    if backend == "httpx":
        return httpx.AsyncClient(timeout=timeout, verify=_ssl_context()), None
    if backend == "aiohttp":
        try:
            from httpx_aiohttp import AiohttpTransport, HttpxAiohttpClient
        except ImportError:
            raise ConfigurationError("http_backend='aiohttp' needs the aiohttp extra: pip install 'oaimap[aiohttp]'") from None
        transport = AiohttpTransport(verify=_ssl_context(), limits=httpx.Limits(max_connections=100, max_keepalive_connections=20))
        http = HttpxAiohttpClient(timeout=timeout, verify=_ssl_context(), transport=transport)
        # With a proxy in the environment httpx routes some URLs through other transports
        # (its mounts, made once here as this is): then every request goes through send.
        return http, None if urllib.request.getproxies() else transport
    raise ConfigurationError(f"http_backend must be 'httpx' or 'aiohttp', not {backend!r}")


class _PartialFile:
    """A download's temporary file beside its target, renamed onto it only once the body
    is complete: a cut-short download never leaves a partial file at the target."""

    def __init__(self, path: Path):
        self.path = path
        self.part = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.part")
        self.file = open(self.part, "xb")

    def write(self, chunk: bytes) -> None:
        self.file.write(chunk)

    def finish(self, failure: httpx.RequestError | None, fail: Failure) -> Path:
        if failure is not None:
            self.abandon()
            raise fail(failure)
        self.file.close()
        os.replace(self.part, self.path)
        return self.path

    def abandon(self) -> None:
        self.file.close()
        self.part.unlink(missing_ok=True)


def _save(response: httpx.Response, path: Path, fail: Failure, counter: Tracker | None) -> Path:
    part, failure = _PartialFile(path), None
    chunks = response.iter_bytes() if counter is None else counter.counted(response.iter_bytes())
    try:
        for chunk in chunks:
            part.write(chunk)
    except httpx.RequestError as exc:
        failure = exc
    except BaseException:
        part.abandon()
        raise
    return part.finish(failure, fail)


async def _asave(response: httpx.Response, path: Path, fail: Failure, counter: Tracker | None) -> Path:
    part, failure = _PartialFile(path), None
    chunks = response.aiter_bytes() if counter is None else counter.acounted(response.aiter_bytes())
    try:
        async for chunk in chunks:
            part.write(chunk)
    except httpx.RequestError as exc:
        failure = exc
    except BaseException:
        part.abandon()
        raise
    return part.finish(failure, fail)


def _read(response: httpx.Response, fail: Failure, counter: Tracker) -> bytes:
    """A binary answer's whole body, its bytes counted as they arrive."""
    try:
        return b"".join(counter.counted(response.iter_bytes()))
    except httpx.RequestError as exc:
        failure = exc
    raise fail(failure)


async def _aread(response: httpx.Response, fail: Failure, counter: Tracker) -> bytes:
    try:
        return b"".join([chunk async for chunk in counter.acounted(response.aiter_bytes())])
    except httpx.RequestError as exc:
        failure = exc
    raise fail(failure)
