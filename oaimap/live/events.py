"""What a connection delivers: the server's events, and the ones oaimap makes itself
(an unparsable frame, a dropped connection), all as :class:`LiveEvent`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Collection

from ..errors import OaimapError, WebSocketClosedError, WebSocketError

RESPONSE_DONE = ("response.completed", "response.failed", "response.incomplete", "error")
"""Event types after which a Responses websocket turn is over (``conn.events(until=...)``)."""

EventCallback = Callable[["LiveEvent"], "Awaitable[None] | None"]


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

    def ends(self, until: Collection[str]) -> bool:
        """True when ``events(until=...)`` stops after this event: a server event whose
        type is in ``until`` (error events oaimap made itself never stop it)."""
        return self.event_type in until and self.error is None


@dataclass(frozen=True)
class StreamEnd:
    """Queued after a connection's last event; ``error`` when the client did not close it."""

    error: WebSocketClosedError | None


def parse_frame(frame: str | bytes, connection_id: str, transport: str) -> LiveEvent:
    """The event a server frame carries; an ``invalid_event`` error event when it is not a JSON object."""
    try:
        data = json.loads(frame.decode("utf-8") if isinstance(frame, bytes) else frame)
    except (UnicodeDecodeError, ValueError) as exc:
        message = f"could not parse {transport} event on {connection_id!r}: {exc}"
        return local_error(connection_id, transport, "invalid_event", message, frame)
    if not isinstance(data, dict):
        message = f"{transport} event on {connection_id!r} is not a JSON object ({type(data).__name__})"
        return local_error(connection_id, transport, "invalid_event", message, frame)
    event_type = data.get("type")
    return LiveEvent(
        connection_id=connection_id,
        event_type=event_type if isinstance(event_type, str) else "",
        data=data,
        transport=transport,
    )


def local_error(
    connection_id: str,
    transport: str,
    kind: str,
    message: str,
    raw: str | bytes | None = None,
    error: OaimapError | None = None,
) -> LiveEvent:
    """An error event oaimap makes itself; ``error`` defaults to a WebSocketError saying ``message``."""
    return LiveEvent(
        connection_id=connection_id,
        event_type="error",
        data={"type": "error", "error": {"type": kind, "message": message}},
        transport=transport,
        error=error if error is not None else WebSocketError(message, connection_id=connection_id),
        raw=raw,
    )
