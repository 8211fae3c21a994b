"""Live channels: websocket connections to the API (Responses websocket mode, Realtime).

Every client owns its connections by ``connection_id``: ``client.websockets`` is a
:class:`LiveChannels` on ``AsyncClient`` and a :class:`SyncLiveChannels` (the same
methods, blocking, on a background event loop) on ``Client``::

    conn = await aclient.websockets.responses("chat-1")          # wss://.../v1/responses
    await conn.send({"type": "response.create", "model": "gpt-4.1-mini", "input": "hi"})
    async for event in conn.events(until=RESPONSE_DONE):        # LiveEvent objects
        print(event.event_type, event.data)
    await conn.close()                                           # 1000 "OK"

    rt = await aclient.websockets.realtime("gpt-realtime")      # wss://.../v1/realtime?model=...

The handshake goes where an HTTP call to the same path would, ``https``→``wss`` /
``http``→``ws``, and authenticates exactly like it (``handshake``: ``wire.endpoint`` and
the host's headers). The API key is never part of a message, a repr or a log line: the
host masks it (``ServiceHost.redacted_url``, ``redact``), and the websockets library's
debug log (request line and headers) goes to the logger ``oaimap.live``, which the
clients' log redaction covers.

Modules: ``channel`` (the kinds of websocket, what a client may send), ``events``
(``LiveEvent``), ``handshake`` (URL, headers, opening), ``connection`` (one open
websocket), ``async_session`` / ``sync_session`` (a client's connections).
``client.call("responses.websocket", {"action": ...})`` (the seed's
``manageModelResponseWebSocket``) is the declared helper ``oaimap/helpers/websocket.py``,
a thin adapter over this package.
"""

from .async_session import LiveChannels
from .channel import CHANNELS, REALTIME, RESPONSES, Channel
from .connection import LiveConnection
from .events import RESPONSE_DONE, LiveEvent
from .sync_session import SyncLiveChannels, SyncLiveConnection

__all__ = [
    "CHANNELS",
    "REALTIME",
    "RESPONSES",
    "RESPONSE_DONE",
    "Channel",
    "LiveChannels",
    "LiveConnection",
    "LiveEvent",
    "SyncLiveChannels",
    "SyncLiveConnection",
]
