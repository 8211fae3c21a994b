"""The kinds of websocket the API offers, and what a client may send on them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..errors import ValidationError, Violation


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


def check_close(code: Any, reason: Any) -> None:
    """ValidationError unless ``code`` and ``reason`` make a close frame a client may send."""
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
