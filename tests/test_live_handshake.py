"""The websocket handshake is made by the code HTTP calls use: for the same Client
settings it carries exactly the auth header, identity headers and query an HTTP call
carries, a refused handshake reads like an HTTP error, and the key stays out of every
log line and error. Checked against a real server on 127.0.0.1 that answers plain HTTP
requests and websocket handshakes alike."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit

import pytest
from websockets.datastructures import Headers

from oaimap import AsyncClient, Client, ServiceHost
from oaimap.errors import APIStatusError, WebSocketClosedError, WebSocketError
from oaimap.host import REDACTED, Secret
from oaimap.live import RESPONSE_DONE
from test_websocket import KEY, WSServer, create

ODD_KEY = "sk-a+b/c=d e~f_0123456789"  # +, /, =, space: every encoder writes it differently
# Headers that belong to the transport, not to the client's settings.
TRANSPORT_HEADERS = {
    "host", "connection", "upgrade", "accept", "accept-encoding",
    "sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions",
}  # fmt: skip


class RecordingServer(WSServer):
    """The websocket server of test_websocket.py, recording every request it gets (plain
    HTTP or handshake). Plain HTTP requests get an empty list; ``/down`` answers both
    kinds with a 503 whose body is text."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[tuple[str, Headers]] = []

    def reset(self) -> None:
        super().reset()
        self.requests.clear()

    def _process_request(self, connection: Any, request: Any) -> Any:
        self.requests.append((request.path, request.headers))
        if request.path.startswith("/down"):
            response = connection.respond(503, "upstream down")
            response.headers["x-request-id"] = "req_down"
            return response
        if "upgrade" not in request.headers.get("Connection", "").lower():
            return connection.respond(200, json.dumps({"object": "list", "data": [], "has_more": False}))
        return super()._process_request(connection, request)


@pytest.fixture(scope="module")
def _recording_server():
    with RecordingServer() as srv:
        yield srv


@pytest.fixture
def server(_recording_server):
    _recording_server.reset()
    return _recording_server


def sent_headers(headers: Headers) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.raw_items() if name.lower() not in TRANSPORT_HEADERS}


SETTINGS = {
    "bearer-org-project": (KEY, "/v1", {"organization": "org_1", "project": "proj_1"}),
    "custom-auth-header": (KEY, "/v1", {"auth_header": "api-key", "organization": "org_1"}),
    "key-in-query": (KEY, "/v1", {"auth_query": "key", "project": "proj_1"}),
    "odd-key-in-query": (ODD_KEY, "/v1", {"auth_query": "api_key"}),
    "base-query-defaults": (
        KEY,
        "/v1/?api-version=2025-04-01",
        {"auth_query": "key", "default_query": {"tenant": "t 1", "tags": ["a", "b"]},
         "default_headers": {"X-Team": "blue"}},
    ),
}  # fmt: skip


@pytest.mark.parametrize("key, base, settings", SETTINGS.values(), ids=SETTINGS.keys())
def test_handshake_carries_what_an_http_call_carries(server, key, base, settings):
    with Client(api_key=key, base_url=server.url(base), max_retries=0, **settings) as client:
        client.call("models.list")
        client.websockets.responses("parity")
    (http_path, http_headers), (ws_path, ws_headers) = server.requests
    assert urlsplit(http_path).path == "/v1/models" and urlsplit(ws_path).path == "/v1/responses"
    assert urlsplit(ws_path).query == urlsplit(http_path).query
    assert sent_headers(ws_headers) == sent_headers(http_headers)
    auth_name = settings.get("auth_header", "Authorization")
    if "auth_query" in settings:
        assert f"{settings['auth_query']}=" in urlsplit(ws_path).query
        assert "authorization" not in sent_headers(ws_headers)
    else:
        expected = f"Bearer {key}" if auth_name == "Authorization" else key
        assert ws_headers[auth_name] == expected and urlsplit(ws_path).query == ""


async def test_async_handshake_carries_what_an_http_call_carries(server):
    settings = {"auth_header": "api-key", "organization": "org_1", "default_query": {"tenant": "t1"}}
    async with AsyncClient(api_key=KEY, base_url=server.url(), max_retries=0, **settings) as client:
        await client.call("models.list")
        await client.websockets.responses("parity")
    (http_path, http_headers), (ws_path, ws_headers) = server.requests
    assert urlsplit(ws_path).query == urlsplit(http_path).query == "tenant=t1"
    assert sent_headers(ws_headers) == sent_headers(http_headers)
    assert ws_headers["api-key"] == KEY


def test_refused_handshake_reads_like_the_http_error(server):
    with Client(api_key=KEY, base_url=server.url("/down/v1"), max_retries=0) as client:
        with pytest.raises(APIStatusError) as http_error:
            client.call("models.list")
        with pytest.raises(WebSocketError) as ws_error:
            client.websockets.responses("down")
    shown = f"ws://127.0.0.1:{server.port}/down/v1/responses"
    assert str(ws_error.value) == f"responses.websocket 'down': handshake refused by {shown}: HTTP 503 - upstream down (request id req_down)"
    assert str(http_error.value) == "models.list: HTTP 503 - upstream down (request id req_down)"
    assert ws_error.value.status_code == 503 and ws_error.value.__context__ is None


def test_key_never_in_a_log_line_or_error_of_the_live_path(server, caplog):
    """A whole session in query mode with a key every encoder writes differently:
    handshake, events, a server drop, a send on the dropped connection."""
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    with Client(api_key=ODD_KEY, base_url=server.url(), auth_query="key") as client:
        conn = client.websockets.responses("odd", on_event=lambda e: seen.append(repr(e)), buffer=True)
        seen += [repr(conn), conn.url, repr(client.websockets)]
        conn.send(create("d", "drop"))
        with pytest.raises(WebSocketClosedError) as dropped:
            list(conn.events(until=RESPONSE_DONE))
        with pytest.raises(WebSocketError) as not_open:
            conn.send(create("again"))
    ours = [r for r in caplog.records if not r.name.startswith("websockets.server")]  # the peer sees the key
    assert any("GET /v1/responses?key=" + REDACTED in r.getMessage() for r in ours)
    surfaces = [r.getMessage() for r in ours] + seen + [str(dropped.value), str(not_open.value), repr(dropped.value)]
    secret_forms = ServiceHost(api_key=Secret(ODD_KEY)).secret_forms()
    assert len(secret_forms) > 1
    for text in surfaces:
        assert not any(form in text for form in secret_forms), text


def test_client_reconnects_after_close(server):
    """``Client.close()`` stops the websockets' background loop; the client's own
    websockets start a new one when used again."""
    client = Client(api_key=KEY, base_url=server.url())
    client.websockets.responses("first")
    client.close()
    assert len(client.websockets) == 0
    again = client.websockets.responses("second")
    again.send(create("x"))
    assert [e.event_type for e in again.events(until=RESPONSE_DONE)][-1] == "response.completed"
    client.close()
    closed = server.wait_closed(2)
    assert sorted((s.close_code, s.close_reason) for s in closed) == [(1000, "client closed")] * 2


def test_redacted_url_masks_the_key_and_userinfo():
    host = ServiceHost(api_key=Secret(KEY), auth_name="key", auth_in="query")
    url = f"wss://user:pw@api.example.com/v1/responses?tenant=t1&key={KEY}"
    assert host.redacted_url(url) == f"wss://***@api.example.com/v1/responses?tenant=t1&key={REDACTED}"
    assert host.redacted_url("ws://127.0.0.1:8/v1/responses") == "ws://127.0.0.1:8/v1/responses"
