"""Declared helper ``kind: websocket``: the seed's ``manageModelResponseWebSocket``.

``client.call("responses.websocket", {"action": "connect" | "send" | "close",
"connection_id": ..., "event": {...}, "code": 1000, "reason": "OK"})`` opens, uses and
closes a websocket held by the client under ``connection_id``. Settings in the spec:
``channel`` (a name in ``oaimap.live.CHANNELS``; default ``responses``).

The answers are the seed's::

    {"object": "response.websocket.connection", "action": "connect", "connection_id", "url"}
    {"object": "response.websocket.client_event", "action": "send", "connection_id", "event_type"}
    {"object": "response.websocket.connection", "action": "close", "connection_id", "code", "reason"}

Server events are read from the connection: ``client.websockets[connection_id]`` (iterate
it) or ``client.websockets.on_event = callback`` before connecting. The session machinery
is the package ``oaimap.live``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import live
from ..errors import ValidationError, Violation
from ..specs import Operation
from ..wire import CallOptions

if TYPE_CHECKING:
    from ..client import AsyncClient, Client


def _channel(op: Operation) -> live.Channel:
    return live.CHANNELS[(op.helper or {}).get("channel", "responses")]


async def handle(channels: live.LiveChannels, op: Operation, payload: dict[str, Any]) -> dict[str, Any]:
    """Run one action on ``channels``; the payload was validated against the op's params."""
    channel = _channel(op)
    action = payload["action"]
    connection_id = payload["connection_id"]
    prefix = channel.object_prefix
    if action == "connect":
        conn = await channels.connect(channel, connection_id)
        return {"object": f"{prefix}.connection", "action": "connect", "connection_id": connection_id, "url": conn.url}
    if action == "send":
        if "event" not in payload:
            raise ValidationError(op.name, [Violation("$.event", "required when action is 'send'")])
        result = await channels.get(connection_id).send(payload["event"])
        return {
            "object": f"{prefix}.client_event",
            "action": "send",
            "connection_id": connection_id,
            "event_type": result["event_type"],
        }
    if action == "close":
        code = payload.get("code")
        reason = payload.get("reason")
        result = await channels.get(connection_id).close(
            1000 if code is None else code, "OK" if reason is None else reason
        )
        return {"object": f"{prefix}.connection", "action": "close", "connection_id": connection_id, **result}
    # The spec's enum makes this unreachable through call(); kept for direct use.
    raise ValidationError(op.name, [Violation("$.action", "must be one of 'connect', 'send', or 'close'")])


def run(client: Client, op: Operation, payload: dict[str, Any], options: CallOptions) -> dict[str, Any]:
    websockets = client.websockets
    return websockets.run(handle(websockets.channels, op, payload))


async def arun(client: AsyncClient, op: Operation, payload: dict[str, Any], options: CallOptions) -> dict[str, Any]:
    return await handle(client.websockets, op, payload)
