"""The Responses websocket (``GET /v1/responses`` with ``Upgrade: websocket``) on the
simulator's own port: each ``response.create`` event the client sends is validated as a
``responses.create`` payload and answered with the events a streamed call would get.

The HTTP server hands over its connection after reading the request line and headers
(given back to the protocol as they arrived); the websocket protocol itself (handshake,
framing, masking, ping and close) is the ``websockets`` library's sans-I/O
``ServerProtocol``, fed and drained here.
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any, Callable

from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.server import ServerProtocol

Turn = Callable[[dict[str, Any]], list[dict[str, Any]]]  # one client event -> the server's events


def serve(handler: BaseHTTPRequestHandler, turn: Turn) -> None:
    """Accept the handshake ``handler`` holds, then answer each JSON text frame with
    ``turn(event)`` until the client closes (or leaves)."""
    protocol = ServerProtocol()
    head = [handler.requestline, *(f"{name}: {value}" for name, value in handler.headers.items()), "", ""]
    protocol.receive_data("\r\n".join(head).encode("latin-1"))  # the handshake, as it arrived
    (request,) = protocol.events_received()
    protocol.send_response(protocol.accept(request))  # type: ignore[arg-type]  # the one event is the Request
    handler.close_connection = True
    _flush(handler, protocol)
    while protocol.state is State.OPEN:
        data = handler.rfile.read1(65536)  # buffered: the bytes read past the headers come first
        if data:
            protocol.receive_data(data)
        else:
            protocol.receive_eof()
        for frame in protocol.events_received():
            if isinstance(frame, Frame) and frame.opcode is Opcode.TEXT:
                for event in turn(_event(bytes(frame.data))):
                    protocol.send_text(json.dumps(event).encode())
        _flush(handler, protocol)
        if not data:
            return


def _event(data: bytes) -> dict[str, Any]:
    try:
        event = json.loads(data)
    except ValueError:
        event = None
    return event if isinstance(event, dict) else {"type": None}


def _flush(handler: BaseHTTPRequestHandler, protocol: ServerProtocol) -> None:
    for chunk in protocol.data_to_send():
        if chunk:
            handler.wfile.write(chunk)


def error_event(message: str, param: str | None = None) -> dict[str, Any]:
    """An ``error`` server event, the API's shape."""
    return {"type": "error", "error": {"type": "invalid_request_error", "code": None, "message": message, "param": param}}
