"""Opening a websocket: the URL, query and headers an HTTP call to the same host would
carry, and a failed handshake as a :class:`WebSocketError` that never shows the key."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Mapping
from urllib.parse import urlsplit

import httpx

from ..errors import ConfigurationError, WebSocketError, status_message
from ..host import ServiceHost
from ..wire import USER_AGENT, endpoint
from .channel import Channel

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection
    from websockets.http11 import Response

# The package's logger ("oaimap.live"). The websockets library writes every handshake's
# request line and headers to it; the clients' log redaction covers it (client.py).
log = logging.getLogger(__package__)


class Handshake:
    """How to open one websocket on ``channel``.

    Made before any connection attempt, so that a missing key is a ConfigurationError
    with nothing sent. The URL and headers come from the code HTTP calls use
    (``wire.endpoint``, the host's identity and auth headers); the URL with its secrets
    masked, :attr:`shown`, is the only form of it that leaves this object.
    """

    def __init__(
        self,
        host: ServiceHost,
        channel: Channel,
        query: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ):
        scheme = _websocket_scheme(host.base_url)
        url, pairs = endpoint(host, channel.path, (), query or {})
        self._url = str(httpx.URL(url, params=pairs).copy_with(scheme=scheme, fragment=None))
        self._headers = {**host.identity_headers(), **host.auth_headers(), **(headers or {})}
        self.host = host
        self.channel = channel
        self.shown = host.redacted_url(self._url)

    def __repr__(self) -> str:
        return f"<Handshake {self.channel.transport} {self.shown}>"

    async def open(self, connection_id: str, open_timeout: float | None, max_size: int | None) -> ClientConnection:
        """The open websocket, or WebSocketError (``status_code`` set when the server refused)."""
        from websockets.asyncio.client import connect
        from websockets.exceptions import InvalidStatus

        subject = f"{self.channel.transport} {connection_id!r}"
        try:
            return await connect(
                self._url,
                additional_headers=self._headers,
                user_agent_header=USER_AGENT,
                open_timeout=open_timeout,
                max_size=max_size,
                logger=log,
            )
        except InvalidStatus as exc:
            failure = self._refused(subject, connection_id, exc.response)
        except Exception as exc:  # noqa: BLE001 - OSError, timeout, bad handshake: reported, never chained
            what = "timed out" if isinstance(exc, asyncio.TimeoutError) else f"{type(exc).__name__}: {exc}"
            failure = WebSocketError(
                self.host.redact(f"{subject}: could not connect to {self.shown}: {what}"), connection_id=connection_id
            )
        # Raised outside the except blocks: the library's exception (whose text may hold
        # the URL, and so the key in query mode) is not even kept as __context__.
        raise failure

    def _refused(self, subject: str, connection_id: str, response: Response) -> WebSocketError:
        text = self.host.redact(bytes(response.body or b"").decode("utf-8", "replace"))
        message, _ = status_message(
            f"{subject}: handshake refused by {self.shown}",
            response.status_code,
            text,
            response.headers.get("x-request-id"),
        )
        return WebSocketError(message, connection_id=connection_id, status_code=response.status_code)


def _websocket_scheme(base_url: str) -> str:
    """``wss`` for an https base URL, ``ws`` for http (ws and wss stay)."""
    scheme = urlsplit(base_url).scheme
    websocket = {"https": "wss", "http": "ws"}.get(scheme.lower(), scheme.lower())
    if websocket not in ("ws", "wss"):
        raise ConfigurationError(f"base URL scheme {scheme!r} cannot carry a websocket (use http(s) or ws(s))")
    return websocket
