"""``Client`` and ``AsyncClient``: one pipeline, build -> send -> retry -> parse.

Both share every decision (``_Core``); they differ only in how they wait and do I/O.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
import weakref
from functools import lru_cache
from pathlib import Path
from typing import Any, AsyncIterator, Iterator, Mapping

import httpx

from . import helpers, live
from .errors import APIConnectionError, APITimeoutError, status_error
from .host import ServiceHost
from .retries import RetryPolicy
from .specs import Operation, Pagination, SpecRegistry
from .sse import AsyncStream, Stream
from .validation import validate
from .wire import CallOptions, PreparedCall, RequestBuilder

log = logging.getLogger("oaimap")

DEFAULT_TIMEOUT = httpx.Timeout(600.0, connect=5.0)


@lru_cache(maxsize=1)
def _ssl_context() -> ssl.SSLContext:
    """Built once per process: loading CA certificates costs ~50 ms per client otherwise."""
    return httpx.create_ssl_context()


class _RedactKeys(logging.Filter):
    """Masks API keys (raw and percent-encoded) in records of httpx and httpcore, which log
    full URLs (in query mode the key is part of the URL) and protocol errors."""

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
    logger do not see records of its children, so each one gets it)."""
    if not client.host.secret_forms():
        return
    _redactor.clients.add(client)
    names = [n for n in logging.root.manager.loggerDict if n.split(".")[0] in ("httpx", "httpcore")]
    for name in {"httpx", "httpcore", *names}:
        logger = logging.getLogger(name)
        if _redactor not in logger.filters:
            logger.addFilter(_redactor)


def _drop_unsent(op: Operation, payload: Any) -> Any:
    """Query and header values of None are simply not sent, so they are not validated."""
    if not isinstance(payload, Mapping):
        return payload
    return {
        k: v for k, v in payload.items() if not (v is None and op.location_of.get(k) in ("query", "header"))
    }


class _Core:
    """Configuration and the I/O-free steps of a call."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
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
        strict: bool = False,
        specs: SpecRegistry | str | Path | None = None,
    ):
        if host is None:
            host = ServiceHost.create(
                base_url=base_url,
                api_key=api_key,
                api_key_env=api_key_env,
                auth_name=auth_query if auth_query is not None else auth_header,
                auth_in="query" if auth_query is not None else "header",
                organization=organization,
                project=project,
                default_headers=default_headers,
                default_query=default_query,
                webhook_secret=webhook_secret,
            )
        self.host = host
        self.timeout = timeout
        self.retry_policy = RetryPolicy(max_retries=max_retries)
        self.strict = strict
        self.specs = specs if isinstance(specs, SpecRegistry) else SpecRegistry.shared(specs)
        self._builder = RequestBuilder(host)
        _guard_logs(self)

    def __repr__(self) -> str:
        auth = f"query {self.host.auth_name!r}" if self.host.auth_in == "query" else f"header {self.host.auth_name!r}"
        return f"{type(self).__name__}(base_url={self.host.base_url!r}, auth={auth}, strict={self.strict})"

    def _prepare(
        self, http: httpx.Client | httpx.AsyncClient, op: Operation, payload: Any, options: CallOptions
    ) -> PreparedCall:
        payload = _drop_unsent(op, {} if payload is None else payload)
        validate(op, payload, strict=self.strict)
        if options.output is not None and op.returns != "binary":
            raise TypeError(f"{op.name}: output= is only for binary answers (this one returns {op.returns})")
        return self._builder.build(http, op, payload, options)

    def _helper_payload(self, op: Operation, payload: Any, options: CallOptions) -> dict[str, Any]:
        payload = _drop_unsent(op, {} if payload is None else payload)
        validate(op, payload, strict=self.strict)
        if options.output is not None:
            raise TypeError(f"{op.name}: output= is only for binary answers")
        return dict(payload)

    def _policy(self, options: CallOptions) -> RetryPolicy:
        if options.max_retries is None:
            return self.retry_policy
        return RetryPolicy(max_retries=options.max_retries)

    def _wait_after_error(
        self, policy: RetryPolicy, retries: int, call: PreparedCall, exc: httpx.TransportError
    ) -> float:
        """Seconds to wait before retrying a failed connection; raises when out of retries."""
        if retries < policy.max_retries:
            return policy.delay(retries)
        kind = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
        what = "timed out" if kind is APITimeoutError else f"connection failed ({type(exc).__name__})"
        raise kind(f"{call.op.name}: request {what} after {retries + 1} attempt(s)", call.request)

    def _wait_after_status(self, policy: RetryPolicy, retries: int, response: httpx.Response) -> float | None:
        """Seconds to wait before retrying this error status, or None to give up."""
        if retries < policy.max_retries and policy.should_retry(response):
            return policy.delay(retries, response)
        return None

    @staticmethod
    def _log(call: PreparedCall, response: httpx.Response, retries: int) -> None:
        # The route template is logged, never the URL: in query mode the URL holds the key.
        log.debug(
            "%s %s %s -> %s (request id %s, retries %d)",
            call.op.name,
            call.op.method,
            call.op.path,
            response.status_code,
            response.headers.get("x-request-id"),
            retries,
        )

    @staticmethod
    def _parse(op: Operation, response: httpx.Response, via_alias: bool) -> Any:
        """The value ``call`` returns for a fully read, successful response."""
        if op.returns == "binary":
            return response.content
        if op.returns == "text":
            return response.text
        if not response.content:
            return None
        data = response.json()
        if op.returns == "page" and via_alias and op.pagination and isinstance(data, dict):
            return data.get(op.pagination.items, [])  # the seed's shape: the first page's list
        return data

    def _resolve_page_op(self, name: str) -> tuple[Operation, Pagination]:
        op = self.specs.get(name)
        if op.returns != "page" or op.pagination is None:
            raise TypeError(f"{op.name} does not return pages; paginate needs a list operation")
        return op, op.pagination

    @property
    def websockets(self) -> Any:
        """Open websocket connections by id (Responses websocket mode, Realtime): ``oaimap.live``."""
        return live.channels(self)

    def realtime_connect(self, model: str | None = None, **kwargs: Any) -> Any:
        """Open a Realtime websocket (``await`` it on AsyncClient); see ``websockets.realtime``."""
        return live.channels(self).realtime(model, **kwargs)


class Client(_Core):
    """Synchronous client: ``client.call("responses.create", {...})``."""

    def __init__(self, api_key: str | None = None, *, http_client: httpx.Client | None = None, **kwargs: Any):
        super().__init__(api_key, **kwargs)
        self._owns_http = http_client is None  # a caller's client is the caller's to close
        self._http = http_client or httpx.Client(timeout=self.timeout, verify=_ssl_context())

    def call(self, name: str, payload: Mapping[str, Any] | None = None, **options: Any) -> Any:
        """Run one operation by dotted name or seed alias.

        Options: ``timeout``, ``max_retries``, ``extra_headers``, ``extra_query``,
        ``extra_body`` (body keys sent without validation, e.g. parameters newer than the
        specs when type-checked code cannot pass unknown keys), ``idempotency_key``,
        ``output`` (binary answers: a file path to stream into).
        """
        op, via_alias = self.specs.resolve(name)
        opts = CallOptions.from_kwargs(op.name, options)
        if op.helper is not None:
            return helpers.load(op).run(self, op, self._helper_payload(op, payload, opts), opts)
        call = self._prepare(self._http, op, payload, opts)
        try:
            response = self._send(call, opts)
        except BaseException:
            call.close()
            raise
        if call.sse:
            return Stream(op, response, on_close=call.close)
        try:
            if opts.output is not None and op.returns == "binary":
                return _save(response, Path(opts.output))
            return self._parse(op, response, via_alias)
        finally:
            response.close()
            call.close()

    def _send(self, call: PreparedCall, options: CallOptions) -> httpx.Response:
        policy = self._policy(options)
        retries = 0
        while True:
            try:
                response = self._http.send(call.request, stream=call.streaming)
            except httpx.TransportError as exc:
                failure: httpx.TransportError | None = exc
            else:
                failure = None
            if failure is not None:  # decided outside `except`: no httpx context on our error
                time.sleep(self._wait_after_error(policy, retries, call, failure))
                retries += 1
                continue
            self._log(call, response, retries)
            if response.is_success:
                return response
            response.read()
            response.close()
            wait = self._wait_after_status(policy, retries, response)
            if wait is None:
                raise status_error(call.op.name, response, self.host.redact)
            time.sleep(wait)
            retries += 1

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

    def close(self) -> None:
        live.shutdown(self)  # closes open websockets with 1000
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncClient(_Core):
    """Asynchronous client: ``await client.call("responses.create", {...})``."""

    def __init__(self, api_key: str | None = None, *, http_client: httpx.AsyncClient | None = None, **kwargs: Any):
        super().__init__(api_key, **kwargs)
        self._owns_http = http_client is None  # a caller's client is the caller's to close
        self._http = http_client or httpx.AsyncClient(timeout=self.timeout, verify=_ssl_context())

    async def call(self, name: str, payload: Mapping[str, Any] | None = None, **options: Any) -> Any:
        """Run one operation by dotted name or seed alias (see :meth:`Client.call`)."""
        op, via_alias = self.specs.resolve(name)
        opts = CallOptions.from_kwargs(op.name, options)
        if op.helper is not None:
            return await helpers.load(op).arun(self, op, self._helper_payload(op, payload, opts), opts)
        call = self._prepare(self._http, op, payload, opts)
        try:
            response = await self._send(call, opts)
        except BaseException:
            call.close()
            raise
        if call.sse:
            return AsyncStream(op, response, on_close=call.close)
        try:
            if opts.output is not None and op.returns == "binary":
                return await _asave(response, Path(opts.output))
            return self._parse(op, response, via_alias)
        finally:
            await response.aclose()
            call.close()

    async def _send(self, call: PreparedCall, options: CallOptions) -> httpx.Response:
        policy = self._policy(options)
        retries = 0
        while True:
            try:
                response = await self._http.send(call.request, stream=call.streaming)
            except httpx.TransportError as exc:
                failure: httpx.TransportError | None = exc
            else:
                failure = None
            if failure is not None:  # decided outside `except`: no httpx context on our error
                await asyncio.sleep(self._wait_after_error(policy, retries, call, failure))
                retries += 1
                continue
            self._log(call, response, retries)
            if response.is_success:
                return response
            await response.aread()
            await response.aclose()
            wait = self._wait_after_status(policy, retries, response)
            if wait is None:
                raise status_error(call.op.name, response, self.host.redact)
            await asyncio.sleep(wait)
            retries += 1

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

    async def close(self) -> None:
        await live.ashutdown(self)  # closes open websockets with 1000
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _save(response: httpx.Response, path: Path) -> Path:
    with open(path, "wb") as out:
        for chunk in response.iter_bytes():
            out.write(chunk)
    return path


async def _asave(response: httpx.Response, path: Path) -> Path:
    with open(path, "wb") as out:
        async for chunk in response.aiter_bytes():
            out.write(chunk)
    return path
