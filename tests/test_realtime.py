"""Realtime websocket (``/realtime?model=...``) on the same session machinery, against the
real test server of test_websocket.py."""

from __future__ import annotations

import pytest

from oaimap import AsyncClient, Client
from oaimap.errors import ConfigurationError, ValidationError, WebSocketError
from test_websocket import KEY, WSServer

SESSION = {"type": "realtime", "instructions": "Be brief.", "output_modalities": ["text"]}


@pytest.fixture(scope="module")
def rt_server():
    with WSServer() as srv:
        yield srv


@pytest.fixture
def server(rt_server):
    rt_server.reset()
    return rt_server


async def test_realtime_connect_send_and_iterate(server):
    async with AsyncClient(api_key=KEY, base_url=server.url(), project="proj_9") as client:
        conn = await client.realtime_connect(model="gpt-realtime")
        assert conn.connection_id in client.websockets
        first = await conn.recv(timeout=5)
        assert (first.event_type, first["session"]["model"]) == ("session.created", "gpt-realtime")
        assert first.transport == "realtime.websocket"

        await conn.send({"type": "session.update", "session": SESSION})
        await conn.send({"type": "conversation.item.create", "item": {"type": "message", "role": "user"}})
        await conn.send({"type": "response.create"})
        events = [e async for e in conn.events(until=("response.done",))]
        assert [e.event_type for e in events] == [
            "session.updated",
            "conversation.item.created",
            "response.created",
            "response.done",
        ]
        assert events[0]["session"] == SESSION
        await conn.close(1000, "bye")
    [session] = server.wait_closed(1)
    assert session.path == "/v1/realtime?model=gpt-realtime"
    assert session.headers["Authorization"] == f"Bearer {KEY}"
    assert session.headers["OpenAI-Project"] == "proj_9"
    assert [e["type"] for e in session.received] == ["session.update", "conversation.item.create", "response.create"]
    assert (session.close_code, session.close_reason) == (1000, "bye")


async def test_realtime_query_auth_and_call_id(server):
    async with AsyncClient(api_key=KEY, base_url=server.url(), auth_query="api_key") as client:
        conn = await client.websockets.realtime(call_id="rtc_123", connection_id="call")
        assert conn.url.endswith("/v1/realtime?call_id=rtc_123&api_key=**********")
        await conn.send({"type": "anything.goes"})  # Realtime accepts every client event type
        with pytest.raises(ValidationError, match="type"):
            await conn.send({"no": "type"})
    [session] = server.wait_closed(1)
    assert session.path == f"/v1/realtime?call_id=rtc_123&api_key={KEY}"
    assert "Authorization" not in session.headers
    assert session.close_code == 1000  # closed by AsyncClient.close()


async def test_realtime_needs_a_model_and_a_key(server, monkeypatch):
    monkeypatch.delenv("OAIMAP_NO_SUCH_KEY", raising=False)
    async with AsyncClient(api_key=KEY, base_url=server.url()) as client:
        with pytest.raises(ValidationError, match="model"):
            await client.realtime_connect()
    async with AsyncClient(base_url=server.url(), api_key_env="OAIMAP_NO_SUCH_KEY") as client:
        with pytest.raises(ConfigurationError):
            await client.realtime_connect("gpt-realtime")
    assert server.attempts == []


def test_realtime_sync_client(server):
    with Client(api_key=KEY, base_url=server.url()) as client:
        conn = client.realtime_connect("gpt-realtime", connection_id="rt")
        assert conn.recv(timeout=5).event_type == "session.created"
        conn.send({"type": "session.update", "session": SESSION})
        assert conn.recv(timeout=5)["session"] == SESSION
        # Responses and Realtime connections share one client, by id.
        client.websockets.responses("resp")
        assert sorted(client.websockets.ids) == ["resp", "rt"]
        with pytest.raises(WebSocketError, match="already open"):
            client.realtime_connect("gpt-realtime", connection_id="resp")
    sessions = server.wait_closed(2)
    assert sorted(s.path for s in sessions) == ["/v1/realtime?model=gpt-realtime", "/v1/responses"]
    assert {s.close_code for s in sessions} == {1000}
