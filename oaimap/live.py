"""Live channels: websocket connections to the API (Responses websocket mode, Realtime).

Every client has one :class:`LiveChannels` (``client.websockets``; on the sync
``Client`` a :class:`SyncLiveChannels` wrapper) that holds its open connections by
``connection_id``::

    conn = await aclient.websockets.responses("chat-1")          # wss://.../v1/responses
    await conn.send({"type": "response.create", "model": "gpt-4.1-mini", "input": "hi"})
    async for event in conn.events(until=RESPONSE_DONE):        # LiveEvent objects
        print(event.event_type, event.data)
    await conn.close()                                           # 1000 "OK"

    rt = await aclient.websockets.realtime("gpt-realtime")      # wss://.../v1/realtime?model=...

The URL is the service host's base URL with ``https``→``wss`` / ``http``→``ws`` and the
channel's path appended; the handshake authenticates exactly like HTTP requests do
(``ServiceHost.auth_headers()`` / ``auth_query()`` plus the identity headers). The API key
is never part of a message, a repr or a log line: websockets' own debug log (which prints
the request line and headers) goes through a redacting adapter.

``client.call("responses.websocket", {"action": ...})`` (the seed's
``manageModelResponseWebSocket``) is the declared helper ``oaimap/helpers/websocket.py``,
a thin adapter over this module.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import json
import logging
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .errors import (
    ConfigurationError,
    OaimapError,
    ValidationError,
    Violation,
    WebSocketClosedError,
    WebSocketError,
)
from .forms import flatten_form, form_text
from .host import REDACTED, ServiceHost

log = logging.getLogger("oaimap.live")

DEFAULT_OPEN_TIMEOUT = 10.0
DEFAULT_MAX_SIZE = 2**25  # 32 MiB per server event (the library default, 1 MiB, is small for audio)
SHUTDOWN_REASON = "client closed"
RESPONSE_DONE = ("response.completed", "response.failed", "response.incomplete", "error")
"""Event types after which a Responses websocket turn is over (``conn.events(until=...)``)."""

EventCallback = Callable[["LiveEvent"], "Awaitable[None] | None"]


# -- channels ----------------------------------------------------------------------
@dataclass(frozen=True)
class Channel:
    """A kind of websocket the API offers: where it lives and what may be sent on it."""

    name: str
    path: str  # appended to the base URL's path
    transport: str  # tag carried by every event (the seed's msg.openai.transport)
    object_prefix: str  # "response.websocket" -> response.websocket.connection
    client_events: tuple[str, ...] | None = None  # allowed client event types; None = any

    def check_event(self, event: Any) -> str:
        """The event's type, or ValidationError saying what is wrong with it."""
        where = self.object_prefix
        if not isinstance(event, Mapping):
            raise ValidationError(where, [Violation("$.event", f"must be an object, got {type(event).__name__}")])
        event_type = event.get("type")
        if not isinstance(event_type, str) or not event_type:
            raise ValidationError(where, [Violation("$.event.type", "must be a non-empty string")])
        if self.client_events is not None and event_type not in self.client_events:
            allowed = " or ".join(repr(t) for t in self.client_events)
            raise ValidationError(where, [Violation("$.event.type", f"must be {allowed}, got {event_type!r}")])
        return event_type


RESPONSES = Channel(
    name="responses",
    path="/responses",
    transport="responses.websocket",
    object_prefix="response.websocket",
    client_events=("response.create",),
)
REALTIME = Channel(
    name="realtime",
    path="/realtime",
    transport="realtime.websocket",
    object_prefix="realtime.websocket",
)
CHANNELS: dict[str, Channel] = {c.name: c for c in (RESPONSES, REALTIME)}


# -- events ------------------------------------------------------------------------
@dataclass(frozen=True)
class LiveEvent:
    """One server event, tagged with the connection it came from.

    ``data`` is the event exactly as the server sent it. Events oaimap makes itself (an
    unparsable frame, a dropped connection) have ``event_type == "error"``, ``data`` shaped
    like an API error event (``{"type": "error", "error": {"type", "message", ...}}``) and
    the exception in ``error``; ``raw`` then holds the frame that could not be parsed.
    """

    connection_id: str
    event_type: str
    data: dict[str, Any]
    transport: str
    error: OaimapError | None = None
    raw: str | bytes | None = field(default=None, repr=False)

    @property
    def type(self) -> str:
        return self.event_type

    @property
    def meta(self) -> dict[str, str]:
        """The seed's ``msg.openai`` block."""
        return {
            "transport": self.transport,
            "direction": "server",
            "connection_id": self.connection_id,
            "event_type": self.event_type,
        }

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)


@dataclass(frozen=True)
class _End:
    error: WebSocketClosedError | None


# -- URL, headers, secrets ---------------------------------------------------------
def websocket_url(host: ServiceHost, path: str, query: Mapping[str, Any] | None = None) -> tuple[str, str]:
    """``(url, shown)``: the websocket URL for ``path`` and the same URL with secrets masked.

    The base URL's own query string is kept, then the host's default query, ``query``, and
    in query-auth mode the key. Raises ConfigurationError when the host has no key.
    """
    base = urlsplit(host.base_url)
    scheme = {"https": "wss", "http": "ws"}.get(base.scheme.lower(), base.scheme.lower())
    if scheme not in ("ws", "wss"):
        raise ConfigurationError(f"base URL scheme {base.scheme!r} cannot carry a websocket (use http(s) or ws(s))")
    pairs: list[tuple[str, str]] = parse_qsl(base.query, keep_blank_values=True)
    for key, value in host.default_query.items():
        pairs.extend((k, form_text(v)) for k, v in flatten_form(key, value))
    for key, value in (query or {}).items():
        pairs.extend((k, form_text(v)) for k, v in flatten_form(key, value))
    auth = list(host.auth_query().items())  # raises ConfigurationError without a key
    route = base.path.rstrip("/") + path
    url = urlunsplit((scheme, base.netloc, route, urlencode(pairs + auth), ""))
    netloc = base.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rpartition("@")[2]
    shown_query = urlencode(pairs + [(k, REDACTED) for k, _ in auth], safe="*")
    return url, urlunsplit((scheme, netloc, route, shown_query, ""))


def handshake_headers(host: ServiceHost, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Identity headers (organization, project, defaults) + auth headers + ``extra``."""
    headers = dict(host.identity_headers())
    headers.update(host.auth_headers())  # raises ConfigurationError without a key (header mode)
    headers.update(extra or {})
    return headers


class _RedactingLogger(logging.LoggerAdapter):
    """Handed to websockets, whose debug log prints the request line and every header."""

    def __init__(self, logger: logging.Logger, host: ServiceHost):
        super().__init__(logger, {})
        self.host = host

    def log(self, level: int, msg: Any, *args: Any, **kwargs: Any) -> None:
        if not self.isEnabledFor(level):
            return
        try:
            text = str(msg) % args if args else str(msg)
        except (TypeError, ValueError):
            text = " ".join(map(str, (msg, *args)))
        kwargs.pop("stacklevel", None)
        self.logger.log(level, "%s", self.host.redact(text), **kwargs)


def _check_close(code: Any, reason: Any) -> None:
    problems = []
    if isinstance(code, bool) or not isinstance(code, int) or not (
        code in (1000, 1001, 1002, 1003) or 1007 <= code <= 1014 or 3000 <= code <= 4999
    ):
        problems.append(Violation("$.code", f"{code!r} is not a close code a client may send (1000, 1001-1003, 1007-1014, 3000-4999)"))
    if not isinstance(reason, str):
        problems.append(Violation("$.reason", f"must be a string, got {type(reason).__name__}"))
    elif len(reason.encode("utf-8")) > 123:
        problems.append(Violation("$.reason", "must be at most 123 bytes in UTF-8"))
    if problems:
        raise ValidationError("websocket close", problems)


# -- one connection ----------------------------------------------------------------
class LiveConnection:
    """One open websocket. Iterate it (``async for event in conn``) or give ``on_event``.

    Events arrive in order. Iteration ends when the client closes the connection; when the
    server closes or drops it instead, iteration raises :class:`WebSocketClosedError` after
    the events received before it, and ``on_event`` gets an ``error`` event. One consumer
    per connection: two iterators would share (split) the events.
    """

    def __init__(
        self,
        channels: "LiveChannels",
        channel: Channel,
        connection_id: str,
        url: str,
        on_event: EventCallback | None,
        buffer: bool,
    ):
        self._channels = channels
        self.channel = channel
        self.connection_id = connection_id
        self.url = url  # secrets masked
        self.on_event = on_event
        self._queue: asyncio.Queue[LiveEvent | _End] | None = asyncio.Queue() if buffer else None
        self._ws: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._closing = False
        self._finished = False  # iteration has seen the end
        self.close_code: int | None = None
        self.close_reason: str | None = None

    def __repr__(self) -> str:
        state = "open" if self.open else f"closed({self.close_code})"
        return f"<LiveConnection {self.channel.transport} {self.connection_id!r} {state} {self.url}>"

    @property
    def transport(self) -> str:
        return self.channel.transport

    @property
    def open(self) -> bool:
        return self._ws is not None and not self._closing and self._reader is not None and not self._reader.done()

    def _start(self, ws: Any) -> None:
        self._ws = ws
        self._reader = asyncio.get_running_loop().create_task(
            self._read(), name=f"oaimap-live-{self.connection_id}"
        )

    # -- sending ---------------------------------------------------------------
    async def send(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """Send one client event (a JSON text frame); returns ``{"event_type": ...}``."""
        event_type = self.channel.check_event(event)
        try:
            text = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise ValidationError(self.channel.object_prefix, [Violation("$.event", f"not JSON serializable: {exc}")]) from None
        if not self.open:
            raise WebSocketError(
                f"{self.transport} connection {self.connection_id!r} is not open", connection_id=self.connection_id
            )
        from websockets.exceptions import ConnectionClosed

        try:
            await self._ws.send(text)
        except ConnectionClosed:
            raise self._closed_error() from None
        return {"event_type": event_type}

    async def close(self, code: int = 1000, reason: str = "OK") -> dict[str, Any]:
        """Close with ``code`` / ``reason`` (the close handshake completes before this returns)."""
        _check_close(code, reason)
        if not self.open:
            raise WebSocketError(
                f"{self.transport} connection {self.connection_id!r} is not open", connection_id=self.connection_id
            )
        self._closing = True
        self._channels._forget(self)
        await self._ws.close(code, reason)
        if self._reader is not None and self._reader is not asyncio.current_task():
            await self._reader
        return {"code": code, "reason": reason}

    # -- receiving -------------------------------------------------------------
    def __aiter__(self) -> AsyncIterator[LiveEvent]:
        return self

    async def __anext__(self) -> LiveEvent:
        if self._finished:
            raise StopAsyncIteration
        item = await self._get()
        if isinstance(item, _End):
            self._finished = True
            if item.error is not None:
                raise item.error
            raise StopAsyncIteration
        return item

    async def recv(self, timeout: float | None = None) -> LiveEvent:
        """The next event; WebSocketClosedError once no more will come, TimeoutError after ``timeout``."""
        try:
            return await asyncio.wait_for(self.__anext__(), timeout)
        except asyncio.TimeoutError:
            raise TimeoutError(f"no event on {self.connection_id!r} within {timeout} s") from None
        except StopAsyncIteration:
            raise self._closed_error() from None

    async def events(self, *, until: Iterable[str] = ()) -> AsyncIterator[LiveEvent]:
        """Events as they arrive, stopping after the first whose type is in ``until``
        (``RESPONSE_DONE`` ends one Responses turn). Error events oaimap made itself (an
        unparsable frame) do not stop it: only the server's events do."""
        stop = set(until)
        async for event in self:
            yield event
            if event.event_type in stop and event.error is None:
                return

    async def _get(self) -> LiveEvent | _End:
        if self._queue is None:
            raise WebSocketError(
                f"connection {self.connection_id!r} delivers its events to on_event; "
                "connect with buffer=True to iterate it as well",
                connection_id=self.connection_id,
            )
        return await self._queue.get()

    async def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        ws = self._ws
        unexpected: str | None = None
        try:
            while True:
                frame = await ws.recv()
                await self._deliver(self._parse(frame))
        except ConnectionClosed:
            pass
        except asyncio.CancelledError:
            unexpected = "cancelled"
            raise
        except Exception as exc:  # noqa: BLE001 - a broken socket must end the connection, not the loop
            unexpected = type(exc).__name__
            try:
                await ws.close(1011, "client error")
            except Exception:  # noqa: BLE001
                pass
        finally:
            self.close_code, self.close_reason = ws.close_code, ws.close_reason
            self._channels._forget(self)
            end = _End(None)
            if not self._closing:
                closed = self._closed_error(unexpected)
                end = _End(closed)
                if unexpected != "cancelled":
                    error_event = self._local_error("connection_closed", str(closed), closed)
                    error_event.data["error"].update(code=self.close_code, reason=self.close_reason)
                    await self._deliver(error_event, queue=False)
            if self._queue is not None:
                self._queue.put_nowait(end)
            log.debug("%s %s closed (code %s)", self.transport, self.connection_id, self.close_code)

    def _closed_error(self, detail: str | None = None) -> WebSocketClosedError:
        code = self.close_code if self.close_code is not None else (self._ws.close_code if self._ws else None)
        reason = self.close_reason if self.close_reason is not None else (self._ws.close_reason if self._ws else None)
        how = "closed by the client" if self._closing else ("dropped" if code == 1006 else "closed by the server")
        message = f"{self.transport} connection {self.connection_id!r} {how} (code {code}"
        message += f", reason {reason!r})" if reason else ")"
        if detail and detail != "cancelled":
            message += f" after {detail}"
        return WebSocketClosedError(message, connection_id=self.connection_id, code=code, reason=reason)

    def _parse(self, frame: str | bytes) -> LiveEvent:
        try:
            data = json.loads(frame.decode("utf-8") if isinstance(frame, bytes) else frame)
        except (UnicodeDecodeError, ValueError) as exc:
            message = f"could not parse {self.transport} event on {self.connection_id!r}: {exc}"
            return self._local_error("invalid_event", message, WebSocketError(message, connection_id=self.connection_id), frame)
        if not isinstance(data, dict):
            message = f"{self.transport} event on {self.connection_id!r} is not a JSON object ({type(data).__name__})"
            return self._local_error("invalid_event", message, WebSocketError(message, connection_id=self.connection_id), frame)
        event_type = data.get("type")
        return LiveEvent(
            connection_id=self.connection_id,
            event_type=event_type if isinstance(event_type, str) else "",
            data=data,
            transport=self.transport,
        )

    def _local_error(self, kind: str, message: str, error: OaimapError, raw: str | bytes | None = None) -> LiveEvent:
        return LiveEvent(
            connection_id=self.connection_id,
            event_type="error",
            data={"type": "error", "error": {"type": kind, "message": message}},
            transport=self.transport,
            error=error,
            raw=raw,
        )

    async def _deliver(self, event: LiveEvent, queue: bool = True) -> None:
        if queue and self._queue is not None:
            self._queue.put_nowait(event)
        if self.on_event is not None:
            try:
                result = self.on_event(event)
                if inspect.isawaitable(result):
                    await result
            except Exception:  # noqa: BLE001 - a failing callback must not kill the reader
                log.exception("on_event callback failed on %s %s", self.transport, self.connection_id)


# -- every connection of a client ----------------------------------------------------
class LiveChannels:
    """The open websocket connections of one client, by ``connection_id`` (async API)."""

    def __init__(self, host: ServiceHost):
        self.host = host
        self.on_event: EventCallback | None = None  # default callback for new connections
        self._connections: dict[str, LiveConnection] = {}
        self._pending: set[str] = set()

    def __repr__(self) -> str:
        return f"<LiveChannels {len(self._connections)} open: {sorted(self._connections)}>"

    # -- lookup ----------------------------------------------------------------
    def get(self, connection_id: str) -> LiveConnection:
        conn = self._connections.get(connection_id)
        if conn is None:
            raise WebSocketError(f"no open websocket connection {connection_id!r}", connection_id=connection_id)
        return conn

    __getitem__ = get

    def __contains__(self, connection_id: object) -> bool:
        return connection_id in self._connections

    def __len__(self) -> int:
        return len(self._connections)

    @property
    def ids(self) -> list[str]:
        return list(self._connections)

    # -- opening ---------------------------------------------------------------
    async def responses(self, connection_id: str | None = None, **kwargs: Any) -> LiveConnection:
        """Open a Responses websocket (``wss://.../responses``); send ``response.create`` on it."""
        return await self.connect(RESPONSES, connection_id, **kwargs)

    async def realtime(
        self,
        model: str | None = None,
        connection_id: str | None = None,
        *,
        call_id: str | None = None,
        query: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> LiveConnection:
        """Open a Realtime websocket (``wss://.../realtime?model=...``, or ``?call_id=...``
        to join a SIP/WebRTC call); any client event with a ``type`` may be sent."""
        if not model and not call_id:
            raise ValidationError("realtime websocket", [Violation("$.model", "model (or call_id) is required")])
        params = {"model": model, "call_id": call_id, **(query or {})}
        return await self.connect(REALTIME, connection_id, query=params, **kwargs)

    async def connect(
        self,
        channel: Channel | str,
        connection_id: str | None = None,
        *,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        on_event: EventCallback | None = None,
        buffer: bool | None = None,
        open_timeout: float | None = DEFAULT_OPEN_TIMEOUT,
        max_size: int | None = DEFAULT_MAX_SIZE,
    ) -> LiveConnection:
        """Open a websocket on ``channel``, registered under ``connection_id`` (generated
        when omitted). ``on_event`` (sync or async) gets every event; ``buffer`` (default:
        true without a callback) keeps events for iteration as well."""
        channel = CHANNELS[channel] if isinstance(channel, str) else channel
        connection_id = self._claim(connection_id)
        try:
            url, shown = websocket_url(self.host, channel.path, query)
            extra = dict(headers or {})
            hdrs = handshake_headers(self.host, extra)
            callback = on_event if on_event is not None else self.on_event
            conn = LiveConnection(
                self, channel, connection_id, shown, callback, buffer if buffer is not None else callback is None
            )
            ws = await self._handshake(channel, connection_id, url, shown, hdrs, open_timeout, max_size)
            conn._start(ws)
            self._connections[connection_id] = conn
        finally:
            self._pending.discard(connection_id)
        log.debug("%s %s connected to %s", channel.transport, connection_id, shown)
        return conn

    def _claim(self, connection_id: str | None) -> str:
        if connection_id is None:
            connection_id = f"ws_{uuid.uuid4().hex[:16]}"
        if not isinstance(connection_id, str) or not connection_id:
            raise ValidationError("websocket connect", [Violation("$.connection_id", "must be a non-empty string")])
        if connection_id in self._connections or connection_id in self._pending:
            raise WebSocketError(
                f"websocket connection {connection_id!r} is already open; close it or use another connection_id",
                connection_id=connection_id,
            )
        self._pending.add(connection_id)
        return connection_id

    async def _handshake(
        self,
        channel: Channel,
        connection_id: str,
        url: str,
        shown: str,
        headers: dict[str, str],
        open_timeout: float | None,
        max_size: int | None,
    ) -> Any:
        from websockets.asyncio.client import connect
        from websockets.exceptions import InvalidStatus

        from .wire import USER_AGENT

        failure: WebSocketError | None = None
        try:
            return await connect(
                url,
                additional_headers=headers,
                user_agent_header=USER_AGENT,
                open_timeout=open_timeout,
                max_size=max_size,
                logger=_RedactingLogger(log, self.host),
            )
        except InvalidStatus as exc:
            status = exc.response.status_code
            detail = _error_detail(exc.response.body)
            message = f"{channel.transport} {connection_id!r}: handshake refused by {shown}: HTTP {status}"
            if detail:
                message += f" - {detail}"
            request_id = exc.response.headers.get("x-request-id")
            if request_id:
                message += f" (request id {request_id})"
            failure = WebSocketError(self.host.redact(message), connection_id=connection_id, status_code=status)
        except Exception as exc:  # noqa: BLE001 - OSError, timeout, bad handshake: reported, never chained
            what = "timed out" if isinstance(exc, asyncio.TimeoutError) else f"{type(exc).__name__}: {exc}"
            failure = WebSocketError(
                self.host.redact(f"{channel.transport} {connection_id!r}: could not connect to {shown}: {what}"),
                connection_id=connection_id,
            )
        # Raised outside the except blocks: the library's exception (whose text may hold
        # the URL, and so the key in query mode) is not even kept as __context__.
        raise failure

    # -- using -----------------------------------------------------------------
    async def send(self, connection_id: str, event: Mapping[str, Any]) -> dict[str, Any]:
        return await self.get(connection_id).send(event)

    async def close(self, connection_id: str, code: int = 1000, reason: str = "OK") -> dict[str, Any]:
        return await self.get(connection_id).close(code, reason)

    async def close_all(self, code: int = 1000, reason: str = SHUTDOWN_REASON) -> list[str]:
        """Close every open connection; returns their ids."""
        conns = list(self._connections.values())
        await asyncio.gather(*(c.close(code, reason) for c in conns), return_exceptions=True)
        return [c.connection_id for c in conns]

    def _forget(self, conn: LiveConnection) -> None:
        if self._connections.get(conn.connection_id) is conn:
            del self._connections[conn.connection_id]


def _error_detail(body: bytes | bytearray | None) -> str | None:
    if not body:
        return None
    body = bytes(body)
    try:
        data = json.loads(body)
    except ValueError:
        return body[:300].decode("utf-8", "replace")
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        return str(data["error"].get("message"))[:300]
    return None


# -- the sync Client's wrapper -----------------------------------------------------
class _LoopThread:
    """A daemon thread running the event loop that the sync wrappers' connections live on."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def started(self) -> bool:
        return self._loop is not None

    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="oaimap-live", daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    def run(self, coro: Awaitable[Any], timeout: float | None = None) -> Any:
        loop = self.loop()
        if threading.current_thread() is self._thread:
            if inspect.iscoroutine(coro):
                coro.close()
            raise WebSocketError(
                "the sync websocket API cannot be used from an on_event callback (it runs on the "
                "live event loop); iterate the connection instead, or use AsyncClient"
            )
        future: concurrent.futures.Future[Any] = asyncio.run_coroutine_threadsafe(coro, loop)  # type: ignore[arg-type]
        try:
            return future.result(timeout)
        except BaseException:
            future.cancel()
            raise

    def stop(self) -> None:
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        if thread is not threading.current_thread():
            thread.join(timeout=5)
            if not thread.is_alive():
                loop.close()


class SyncLiveConnection:
    """Blocking view of a :class:`LiveConnection` (same attributes; ``for event in conn``).

    ``on_event`` callbacks run on the background loop thread.
    """

    def __init__(self, conn: LiveConnection, runner: _LoopThread):
        self._conn = conn
        self._run = runner.run

    def __repr__(self) -> str:
        return repr(self._conn).replace("<LiveConnection", "<SyncLiveConnection", 1)

    def __getattr__(self, name: str) -> Any:  # connection_id, url, open, close_code, ...
        return getattr(self._conn, name)

    @property
    def connection(self) -> LiveConnection:
        return self._conn

    def send(self, event: Mapping[str, Any]) -> dict[str, Any]:
        self._conn.channel.check_event(event)  # fail fast, in the caller's thread
        return self._run(self._conn.send(event))

    def close(self, code: int = 1000, reason: str = "OK") -> dict[str, Any]:
        _check_close(code, reason)
        return self._run(self._conn.close(code, reason))

    def recv(self, timeout: float | None = None) -> LiveEvent:
        return self._run(self._conn.recv(timeout))

    def __iter__(self) -> Iterator[LiveEvent]:
        while True:
            try:
                yield self._run(self._conn.__anext__())
            except StopAsyncIteration:
                return

    def events(self, *, until: Iterable[str] = ()) -> Iterator[LiveEvent]:
        stop = set(until)
        for event in self:
            yield event
            if event.event_type in stop and event.error is None:
                return


class SyncLiveChannels:
    """The sync ``Client``'s websockets: :class:`LiveChannels` run on a background loop."""

    def __init__(self, host: ServiceHost):
        self.channels = LiveChannels(host)
        self._runner = _LoopThread()

    def __repr__(self) -> str:
        return repr(self.channels).replace("<LiveChannels", "<SyncLiveChannels", 1)

    @property
    def on_event(self) -> EventCallback | None:
        return self.channels.on_event

    @on_event.setter
    def on_event(self, callback: EventCallback | None) -> None:
        self.channels.on_event = callback

    def run(self, coro: Awaitable[Any], timeout: float | None = None) -> Any:
        """Run a coroutine using the async channels on their loop; its result."""
        return self._runner.run(coro, timeout)

    def _wrap(self, conn: LiveConnection) -> SyncLiveConnection:
        return SyncLiveConnection(conn, self._runner)

    def get(self, connection_id: str) -> SyncLiveConnection:
        return self._wrap(self.channels.get(connection_id))

    __getitem__ = get

    def __contains__(self, connection_id: object) -> bool:
        return connection_id in self.channels

    def __len__(self) -> int:
        return len(self.channels)

    @property
    def ids(self) -> list[str]:
        return self.channels.ids

    def responses(self, connection_id: str | None = None, **kwargs: Any) -> SyncLiveConnection:
        return self._wrap(self.run(self.channels.responses(connection_id, **kwargs)))

    def realtime(self, model: str | None = None, connection_id: str | None = None, **kwargs: Any) -> SyncLiveConnection:
        return self._wrap(self.run(self.channels.realtime(model, connection_id, **kwargs)))

    def connect(self, channel: Channel | str, connection_id: str | None = None, **kwargs: Any) -> SyncLiveConnection:
        return self._wrap(self.run(self.channels.connect(channel, connection_id, **kwargs)))

    def send(self, connection_id: str, event: Mapping[str, Any]) -> dict[str, Any]:
        return self.get(connection_id).send(event)

    def close(self, connection_id: str, code: int = 1000, reason: str = "OK") -> dict[str, Any]:
        return self.get(connection_id).close(code, reason)

    def close_all(self, code: int = 1000, reason: str = SHUTDOWN_REASON) -> list[str]:
        if not self._runner.started:
            return []
        return self.run(self.channels.close_all(code, reason))

    def shutdown(self) -> None:
        """Close every connection (1000) and stop the background loop."""
        try:
            self.close_all()
        finally:
            self._runner.stop()


# -- client hooks (client.py calls these) ---------------------------------------------
_create_lock = threading.Lock()


def channels(client: Any) -> LiveChannels | SyncLiveChannels:
    """The client's websockets, made on first use (async or sync by the client's kind)."""
    found = client.__dict__.get("_live")
    if found is None:
        with _create_lock:
            found = client.__dict__.get("_live")
            if found is None:
                is_async = inspect.iscoroutinefunction(client.call)
                found = LiveChannels(client.host) if is_async else SyncLiveChannels(client.host)
                client.__dict__["_live"] = found
    return found


def shutdown(client: Any) -> None:
    """``Client.close()``: close every open websocket with 1000 and stop the loop thread."""
    found = client.__dict__.pop("_live", None)
    if isinstance(found, SyncLiveChannels):
        found.shutdown()


async def ashutdown(client: Any) -> None:
    """``AsyncClient.close()``: close every open websocket with 1000."""
    found = client.__dict__.pop("_live", None)
    if isinstance(found, LiveChannels):
        await found.close_all()
