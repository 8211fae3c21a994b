"""One open websocket (async): sending client events, closing, and reading the server's
events in order on a task of its own."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Iterable, Mapping

from ..errors import ValidationError, Violation, WebSocketClosedError, WebSocketError
from .channel import Channel, check_close
from .events import EventCallback, LiveEvent, StreamEnd, local_error, parse_frame

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection

log = logging.getLogger(__package__)


class LiveConnection:
    """One open websocket. Iterate it (``async for event in conn``) or give ``on_event``.

    Events arrive in order. Iteration ends when the client closes the connection; when the
    server closes or drops it instead, iteration raises :class:`WebSocketClosedError` after
    the events received before it, and ``on_event`` gets an ``error`` event. One consumer
    per connection: two iterators would share (split) the events.
    """

    def __init__(
        self,
        channel: Channel,
        connection_id: str,
        url: str,
        on_event: EventCallback | None,
        buffer: bool,
        forget: Callable[["LiveConnection"], None],
    ):
        self.channel = channel
        self.connection_id = connection_id
        self.url = url  # secrets masked
        self.on_event = on_event
        self._forget = forget  # takes the connection out of its client's open set
        self._queue: asyncio.Queue[LiveEvent | StreamEnd] | None = asyncio.Queue() if buffer else None
        self._ws: ClientConnection | None = None
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

    def start(self, ws: ClientConnection) -> None:
        """Begin reading ``ws``, the websocket this connection stands for."""
        self._ws = ws
        self._reader = asyncio.get_running_loop().create_task(self._read(ws), name=f"oaimap-live-{self.connection_id}")

    # -- sending ---------------------------------------------------------------
    async def send(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """Send one client event (a JSON text frame); returns ``{"event_type": ...}``."""
        event_type = self.channel.check_event(event)
        try:
            text = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise ValidationError(self.channel.object_prefix, [Violation("$.event", f"not JSON serializable: {exc}")]) from None
        ws = self._open_websocket()
        from websockets.exceptions import ConnectionClosed

        try:
            await ws.send(text)
        except ConnectionClosed:
            raise self._closed_error() from None
        return {"event_type": event_type}

    async def close(self, code: int = 1000, reason: str = "OK") -> dict[str, Any]:
        """Close with ``code`` / ``reason`` (the close handshake completes before this returns)."""
        check_close(code, reason)
        ws = self._open_websocket()
        self._closing = True
        self._forget(self)
        await ws.close(code, reason)
        if self._reader is not None and self._reader is not asyncio.current_task():
            await self._reader
        return {"code": code, "reason": reason}

    def _open_websocket(self) -> ClientConnection:
        if not self.open or self._ws is None:
            raise WebSocketError(
                f"{self.transport} connection {self.connection_id!r} is not open", connection_id=self.connection_id
            )
        return self._ws

    # -- receiving -------------------------------------------------------------
    def __aiter__(self) -> AsyncIterator[LiveEvent]:
        return self

    async def __anext__(self) -> LiveEvent:
        if self._finished:
            raise StopAsyncIteration
        item = await self._get()
        if isinstance(item, StreamEnd):
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
            if event.ends(stop):
                return

    async def _get(self) -> LiveEvent | StreamEnd:
        if self._queue is None:
            raise WebSocketError(
                f"connection {self.connection_id!r} delivers its events to on_event; "
                "connect with buffer=True to iterate it as well",
                connection_id=self.connection_id,
            )
        return await self._queue.get()

    async def _read(self, ws: ClientConnection) -> None:
        from websockets.exceptions import ConnectionClosed

        unexpected: str | None = None
        try:
            while True:
                frame = await ws.recv()
                await self._deliver(parse_frame(frame, self.connection_id, self.transport))
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
            self._forget(self)
            end = StreamEnd(None)
            if not self._closing:
                closed = self._closed_error(unexpected)
                end = StreamEnd(closed)
                if unexpected != "cancelled":
                    error_event = local_error(self.connection_id, self.transport, "connection_closed", str(closed), error=closed)
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
