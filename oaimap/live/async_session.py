"""The open websocket connections of an ``AsyncClient``, by ``connection_id``."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any, Mapping

from ..errors import ValidationError, Violation, WebSocketError
from ..host import ServiceHost
from .channel import CHANNELS, REALTIME, RESPONSES, Channel
from .connection import LiveConnection
from .events import EventCallback
from .handshake import Handshake

log = logging.getLogger(__package__)

DEFAULT_OPEN_TIMEOUT = 10.0
DEFAULT_MAX_SIZE = 2**25  # 32 MiB per server event (the library default, 1 MiB, is small for audio)
SHUTDOWN_REASON = "client closed"


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
            await self.host.afetch_key()  # a key function is asked before each connection, too
            handshake = Handshake(self.host, channel, query, headers)
            callback = on_event if on_event is not None else self.on_event
            keep = buffer if buffer is not None else callback is None
            conn = LiveConnection(channel, connection_id, handshake.shown, callback, keep, self._forget)
            conn.start(await handshake.open(connection_id, open_timeout, max_size))
            self._connections[connection_id] = conn
        finally:
            self._pending.discard(connection_id)
        log.debug("%s %s connected to %s", channel.transport, connection_id, handshake.shown)
        return conn

    def _claim(self, connection_id: str | None) -> str:
        """Reserve ``connection_id`` (or a new one) while its handshake runs."""
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
