"""The sync ``Client``'s websockets: the async session run on a background event loop,
behind blocking methods of the same names."""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import threading
from typing import Any, Awaitable, Iterable, Iterator, Mapping

from ..errors import WebSocketError
from ..host import ServiceHost
from .async_session import SHUTDOWN_REASON, LiveChannels
from .channel import Channel, check_close
from .connection import LiveConnection
from .events import EventCallback, LiveEvent


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
        check_close(code, reason)
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
        """Events as they arrive, stopping after the first whose type is in ``until``
        (see :meth:`LiveConnection.events`)."""
        stop = set(until)
        for event in self:
            yield event
            if event.ends(stop):
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
        """Close every connection (1000) and stop the background loop (``Client.close()``);
        the next use starts a new one."""
        try:
            self.close_all()
        finally:
            self._runner.stop()
