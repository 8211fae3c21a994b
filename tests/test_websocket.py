"""Responses websocket mode (``responses.websocket`` / ``manageModelResponseWebSocket``)
against a real websocket server on 127.0.0.1 (``websockets.asyncio.server``), run on its
own thread so that async tests and the sync Client's background loop both reach it."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from websockets.asyncio.server import serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed

from oaimap import AsyncClient, Client
from oaimap.errors import ConfigurationError, ValidationError, WebSocketClosedError, WebSocketError
from oaimap.live import RESPONSE_DONE, LiveEvent

KEY = "sk-live-test-0123456789abcdefSECRET"
TURN = ["response.created", "response.output_text.delta", "response.output_text.delta",
        "response.output_text.done", "response.completed"]  # fmt: skip


@dataclass
class Session:
    """What the server saw of one websocket connection."""

    path: str
    headers: Headers
    received: list[dict[str, Any]] = field(default_factory=list)
    close_code: int | None = None
    close_reason: str | None = None
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.path).query)


class WSServer:
    """A scripted Responses / Realtime websocket server in a background thread."""

    def __init__(self) -> None:
        self.sessions: list[Session] = []
        self.attempts: list[str] = []  # every handshake path, accepted or not
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: Any = None
        self.port = 0

    def __enter__(self) -> "WSServer":
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(5)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            self._server.close()
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    async def _start(self) -> Any:
        return await serve(self._handler, "127.0.0.1", 0, process_request=self._process_request)

    def url(self, path: str = "/v1") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def reset(self) -> None:
        self.sessions.clear()
        self.attempts.clear()

    def wait_opened(self, count: int = 1, timeout: float = 5.0) -> list[Session]:
        """The sessions, once at least ``count`` handlers have started."""
        deadline = time.monotonic() + timeout
        while len(self.sessions) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {len(self.sessions)} of {count} sessions opened")
            time.sleep(0.002)
        return list(self.sessions)

    def wait_closed(self, count: int, timeout: float = 5.0) -> list[Session]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = [s for s in self.sessions if s.done.is_set()]
            if len(done) >= count:
                return done
            time.sleep(0.005)
        raise AssertionError(f"only {len([s for s in self.sessions if s.done.is_set()])} of {count} sessions closed")

    # -- server side -----------------------------------------------------------
    def _process_request(self, connection: Any, request: Any) -> Any:
        self.attempts.append(request.path)
        if request.path.startswith("/reject"):
            # Like the API, echo (part of) the key in the error: the client must mask it.
            shown = request.headers.get("Authorization", "")
            body = {"error": {"message": f"Incorrect API key provided: {shown}", "type": "invalid_request_error"}}
            return connection.respond(401, json.dumps(body))
        return None

    async def _handler(self, ws: Any) -> None:
        session = Session(path=ws.request.path, headers=ws.request.headers)
        self.sessions.append(session)
        realtime = urlsplit(session.path).path.endswith("/realtime")
        try:
            if realtime:
                model = session.query.get("model", [""])[0]
                await ws.send(json.dumps({"type": "session.created", "session": {"model": model}}))
            async for message in ws:
                event = json.loads(message)
                session.received.append(event)
                if realtime:
                    await self._realtime(ws, event)
                elif event.get("type") == "response.create":
                    await self._turn(ws, event)
        except ConnectionClosed:
            pass
        finally:
            session.close_code, session.close_reason = ws.close_code, ws.close_reason
            session.done.set()

    async def _turn(self, ws: Any, event: dict[str, Any]) -> None:
        tag = str(event.get("input", ""))
        scenario = (event.get("metadata") or {}).get("scenario")
        rid = f"resp_{tag}"
        if scenario == "garbage":
            await ws.send("not-json{")
            await ws.send(json.dumps([1, 2]))
        events = [
            {"type": "response.created", "response": {"id": rid, "status": "in_progress"}},
            {"type": "response.output_text.delta", "delta": f"{tag}:1"},
            {"type": "response.output_text.delta", "delta": f"{tag}:2"},
            {"type": "response.output_text.done", "text": f"{tag}:1{tag}:2"},
            {"type": "response.completed", "response": {"id": rid, "status": "completed"}},
        ]
        for number, server_event in enumerate(events):
            if scenario == "drop" and number == 2:
                ws.transport.abort()  # no close frame: a dropped connection (1006)
                return
            if scenario == "server_close" and number == 2:
                await ws.close(1011, "server went away")
                return
            await ws.send(json.dumps({**server_event, "sequence_number": number}))
            await asyncio.sleep(0.001)  # lets parallel connections interleave

    async def _realtime(self, ws: Any, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "session.update":
            await ws.send(json.dumps({"type": "session.updated", "session": event.get("session", {})}))
        elif kind == "conversation.item.create":
            await ws.send(json.dumps({"type": "conversation.item.created", "item": event.get("item", {})}))
        elif kind == "response.create":
            await ws.send(json.dumps({"type": "response.created"}))
            await ws.send(json.dumps({"type": "response.done"}))


@pytest.fixture(scope="module")
def _ws_server():
    with WSServer() as srv:
        yield srv


@pytest.fixture
def ws_server(_ws_server):
    _ws_server.reset()
    return _ws_server


@pytest.fixture
async def aclient(ws_server):
    async with AsyncClient(api_key=KEY, base_url=ws_server.url(), organization="org_1", project="proj_1") as c:
        yield c


def create(tag: str, scenario: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {"type": "response.create", "model": "gpt-4.1-mini", "input": tag}
    if scenario:
        event["metadata"] = {"scenario": scenario}
    return event


async def collect(conn: Any) -> list[LiveEvent]:
    return [event async for event in conn.events(until=RESPONSE_DONE)]


# -- lifecycle ---------------------------------------------------------------------
async def test_full_lifecycle_through_call(aclient, ws_server):
    opened = await aclient.call("responses.websocket", {"action": "connect", "connection_id": "conn-1"})
    assert opened == {
        "object": "response.websocket.connection",
        "action": "connect",
        "connection_id": "conn-1",
        "url": f"ws://127.0.0.1:{ws_server.port}/v1/responses",
    }
    assert "conn-1" in aclient.websockets and aclient.websockets.ids == ["conn-1"]

    sent = await aclient.call(
        "responses.websocket", {"action": "send", "connection_id": "conn-1", "event": create("hello")}
    )
    assert sent == {
        "object": "response.websocket.client_event",
        "action": "send",
        "connection_id": "conn-1",
        "event_type": "response.create",
    }
    events = await collect(aclient.websockets["conn-1"])
    assert [e.event_type for e in events] == TURN
    assert [e["sequence_number"] for e in events] == [0, 1, 2, 3, 4]
    assert [e.get("delta") for e in events[1:3]] == ["hello:1", "hello:2"]
    assert {(e.connection_id, e.transport) for e in events} == {("conn-1", "responses.websocket")}
    assert events[0].meta == {
        "transport": "responses.websocket",
        "direction": "server",
        "connection_id": "conn-1",
        "event_type": "response.created",
    }

    closed = await aclient.call(
        "responses.websocket", {"action": "close", "connection_id": "conn-1", "code": 4000, "reason": "bye"}
    )
    assert closed == {
        "object": "response.websocket.connection",
        "action": "close",
        "connection_id": "conn-1",
        "code": 4000,
        "reason": "bye",
    }
    [session] = ws_server.wait_closed(1)
    assert (session.close_code, session.close_reason) == (4000, "bye")
    assert session.received == [create("hello")]
    assert "conn-1" not in aclient.websockets and len(aclient.websockets) == 0


async def test_seed_alias_and_close_defaults(aclient, ws_server):
    call = aclient.call
    await call("manageModelResponseWebSocket", {"action": "connect", "connection_id": "a"})
    closed = await call("manageModelResponseWebSocket", {"action": "close", "connection_id": "a"})
    assert (closed["code"], closed["reason"]) == (1000, "OK")
    [session] = ws_server.wait_closed(1)
    assert (session.close_code, session.close_reason) == (1000, "OK")


async def test_iteration_ends_after_client_close(aclient, ws_server):
    conn = await aclient.websockets.responses("it")
    await conn.send(create("x"))
    first = await conn.recv(timeout=5)
    assert first.event_type == "response.created"
    await asyncio.sleep(0.05)  # let the rest of the turn arrive
    await conn.close()
    rest = [e.event_type async for e in conn]
    assert rest == TURN[1:]  # delivered before the close, then the iterator ends
    assert not conn.open and conn.close_code == 1000
    with pytest.raises(WebSocketClosedError):
        await conn.recv(timeout=1)


# -- auth routing, seen in the server's handshake ---------------------------------------
async def test_default_bearer_auth_and_identity_headers(aclient, ws_server):
    await aclient.websockets.responses("h")
    [session] = ws_server.wait_opened(1)
    assert session.path == "/v1/responses"
    assert session.headers["Authorization"] == f"Bearer {KEY}"
    assert session.headers["OpenAI-Organization"] == "org_1"
    assert session.headers["OpenAI-Project"] == "proj_1"
    assert session.headers["User-Agent"].startswith("oaimap/")


async def test_custom_auth_header(ws_server):
    async with AsyncClient(api_key=KEY, base_url=ws_server.url(), auth_header="api-key") as c:
        result = await c.call("responses.websocket", {"action": "connect", "connection_id": "h"})
    [session] = ws_server.wait_closed(1)
    assert session.headers["api-key"] == KEY
    assert "Authorization" not in session.headers
    assert session.path == "/v1/responses"
    assert KEY not in json.dumps(result)
    assert session.close_code == 1000  # AsyncClient.close() closed it


async def test_query_auth(ws_server):
    async with AsyncClient(api_key=KEY, base_url=ws_server.url(), auth_query="key") as c:
        result = await c.call("responses.websocket", {"action": "connect", "connection_id": "q"})
        conn = c.websockets["q"]
        assert KEY not in repr(conn) and KEY not in conn.url and KEY not in repr(c.websockets)
    [session] = ws_server.wait_closed(1)
    assert session.path == f"/v1/responses?key={KEY}"
    assert "Authorization" not in session.headers and "key" not in session.headers
    assert result["url"] == f"ws://127.0.0.1:{ws_server.port}/v1/responses?key=**********"


@pytest.mark.parametrize("mode", [{}, {"auth_query": "key"}, {"auth_header": "api-key"}])
async def test_missing_key_fails_before_connecting(ws_server, mode, monkeypatch):
    monkeypatch.delenv("OAIMAP_NO_SUCH_KEY", raising=False)
    async with AsyncClient(base_url=ws_server.url(), api_key_env="OAIMAP_NO_SUCH_KEY", **mode) as c:
        with pytest.raises(ConfigurationError, match="no API key"):
            await c.call("responses.websocket", {"action": "connect", "connection_id": "nokey"})
        assert len(c.websockets) == 0
    assert ws_server.attempts == []


async def test_base_url_with_its_own_query_string(ws_server):
    base = ws_server.url("/v1/") + "?api-version=2025-04-01"
    async with AsyncClient(api_key=KEY, base_url=base, auth_query="key", default_query={"tenant": "t1"}) as c:
        result = await c.websockets.responses("bq")
        assert result.url.endswith("/v1/responses?api-version=2025-04-01&tenant=t1&key=**********")
    [session] = ws_server.wait_closed(1)
    assert session.path == f"/v1/responses?api-version=2025-04-01&tenant=t1&key={KEY}"


async def test_handshake_refused_never_shows_the_key(ws_server):
    async with AsyncClient(api_key=KEY, base_url=ws_server.url("/reject/v1")) as c:
        with pytest.raises(WebSocketError) as info:
            await c.websockets.responses("r")
        assert len(c.websockets) == 0
        # The id was released: the next attempt fails the same way, not as "already open".
        with pytest.raises(WebSocketError, match="HTTP 401"):
            await c.websockets.responses("r")
    err = info.value
    assert err.status_code == 401 and err.connection_id == "r"
    assert "HTTP 401" in str(err) and "Incorrect API key provided" in str(err)
    assert KEY not in str(err) and "**********" in str(err)
    assert err.__context__ is None and err.__cause__ is None


async def test_connect_refused_port_is_a_websocket_error(ws_server):
    async with AsyncClient(api_key=KEY, base_url="http://127.0.0.1:9/v1", auth_query="key") as c:
        with pytest.raises(WebSocketError, match="could not connect") as info:
            await c.websockets.responses("nobody", open_timeout=2)
    assert KEY not in str(info.value) and info.value.__context__ is None


def test_key_never_in_logs(ws_server, caplog):
    caplog.set_level(logging.DEBUG)
    for mode in ({}, {"auth_query": "key"}, {"auth_header": "api-key"}):
        with Client(api_key=KEY, base_url=ws_server.url(), **mode) as c:
            c.call("responses.websocket", {"action": "connect", "connection_id": "log"})
            c.call("responses.websocket", {"action": "send", "connection_id": "log", "event": create("z")})
            list(c.websockets["log"].events(until=RESPONSE_DONE))
    ours = [r for r in caplog.records if r.name.startswith("oaimap")]
    text = "\n".join(r.getMessage() for r in ours)
    assert "GET /v1/responses" in text  # websockets' handshake log went through our logger
    assert "Authorization: Bearer **********" in text
    assert KEY not in text


# -- errors --------------------------------------------------------------------------
async def test_duplicate_connect_and_unknown_ids(aclient, ws_server):
    call = aclient.call
    await call("responses.websocket", {"action": "connect", "connection_id": "dup"})
    with pytest.raises(WebSocketError, match="already open"):
        await call("responses.websocket", {"action": "connect", "connection_id": "dup"})
    assert len(ws_server.attempts) == 1  # the second connect never reached the server
    with pytest.raises(WebSocketError, match="no open websocket connection 'ghost'"):
        await call("responses.websocket", {"action": "send", "connection_id": "ghost", "event": create("g")})
    with pytest.raises(WebSocketError, match="'ghost'"):
        await call("responses.websocket", {"action": "close", "connection_id": "ghost"})
    await call("responses.websocket", {"action": "close", "connection_id": "dup"})
    with pytest.raises(WebSocketError):  # closed ids are unknown again
        await call("responses.websocket", {"action": "close", "connection_id": "dup"})


async def test_concurrent_connects_with_one_id(aclient, ws_server):
    results = await asyncio.gather(
        aclient.websockets.responses("same"), aclient.websockets.responses("same"), return_exceptions=True
    )
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1 and isinstance(errors[0], WebSocketError)
    assert aclient.websockets.ids == ["same"]


@pytest.mark.parametrize(
    "payload, path",
    [
        ({"action": "send", "connection_id": "v", "event": {"type": "response.cancel"}}, "$.event.type"),
        ({"action": "send", "connection_id": "v", "event": "response.create"}, "$.event"),
        ({"action": "send", "connection_id": "v", "event": {"model": "m"}}, "$.event.type"),
        ({"action": "send", "connection_id": "v"}, "$.event"),
        ({"action": "connect", "connection_id": ""}, "$.connection_id"),
        ({"action": "open", "connection_id": "v"}, "$.action"),
        ({"connection_id": "v"}, "$.action"),
        ({"action": "close", "connection_id": "v", "code": 99}, "$.code"),
    ],
)
async def test_bad_payloads(aclient, ws_server, payload, path):
    await aclient.websockets.responses("v")
    with pytest.raises(ValidationError) as info:
        await aclient.call("responses.websocket", payload)
    assert path in info.value.paths
    await asyncio.sleep(0.02)
    assert ws_server.wait_opened(1)[0].received == []  # nothing was sent


async def test_direct_api_checks_events_and_close_codes(aclient, ws_server):
    conn = await aclient.websockets.responses("d")
    with pytest.raises(ValidationError, match="response.create"):
        await conn.send({"type": "session.update"})
    with pytest.raises(ValidationError, match="code"):
        await conn.close(1006)
    assert conn.open
    await conn.close()


async def test_unparsable_frames_become_error_events(aclient, ws_server):
    conn = await aclient.websockets.responses("bad")
    await conn.send(create("g", "garbage"))
    events = await collect(conn)
    assert [e.event_type for e in events] == ["error", "error", *TURN]
    first, second = events[0], events[1]
    assert first.raw == "not-json{" and isinstance(first.error, WebSocketError)
    assert first.data["error"]["type"] == "invalid_event"
    assert "could not parse" in first.data["error"]["message"]
    assert "not a JSON object" in second.data["error"]["message"]
    assert conn.open  # a bad frame does not end the connection


async def test_server_drop_mid_stream(aclient, ws_server):
    seen: list[LiveEvent] = []
    conn = await aclient.websockets.responses("drop", on_event=seen.append, buffer=True)
    await conn.send(create("d", "drop"))
    got = []
    with pytest.raises(WebSocketClosedError) as info:
        async for event in conn:
            got.append(event.event_type)
    assert got == TURN[:2]
    assert info.value.code == 1006 and info.value.connection_id == "drop"
    assert "dropped" in str(info.value)
    assert "drop" not in aclient.websockets and not conn.open
    # The callback got the same events, then an error event for the drop.
    assert [e.event_type for e in seen] == [*TURN[:2], "error"]
    assert isinstance(seen[-1].error, WebSocketClosedError) and seen[-1].data["error"]["code"] == 1006
    with pytest.raises(WebSocketError):
        await aclient.call("responses.websocket", {"action": "send", "connection_id": "drop", "event": create("x")})
    # The id is free again.
    again = await aclient.websockets.responses("drop")
    assert again.open


async def test_server_close_is_surfaced(aclient, ws_server):
    conn = await aclient.websockets.responses("sc")
    await conn.send(create("s", "server_close"))
    with pytest.raises(WebSocketClosedError) as info:
        await collect(conn)
    assert (info.value.code, info.value.reason) == (1011, "server went away")
    assert "closed by the server" in str(info.value)
    assert len(aclient.websockets) == 0


async def test_twenty_connections_in_parallel(ws_server):
    client = AsyncClient(api_key=KEY, base_url=ws_server.url())
    conns = await asyncio.gather(*(client.websockets.responses(f"p{i}") for i in range(20)))
    assert sorted(client.websockets.ids) == sorted(f"p{i}" for i in range(20))

    async def turn(conn):
        await conn.send(create(conn.connection_id))
        return await collect(conn)

    results = await asyncio.gather(*(turn(c) for c in conns))
    for conn, events in zip(conns, results):
        tag = conn.connection_id
        assert [e.event_type for e in events] == TURN
        assert {e.connection_id for e in events} == {tag}
        assert [e.get("delta") for e in events if e.get("delta")] == [f"{tag}:1", f"{tag}:2"]
        assert events[-1]["response"]["id"] == f"resp_{tag}"
    await client.close()  # closes all 20 with 1000
    sessions = ws_server.wait_closed(20)
    assert len(sessions) == 20 and {(s.close_code, s.close_reason) for s in sessions} == {(1000, "client closed")}
    assert len(client.websockets) == 0


async def test_callbacks(ws_server):
    async with AsyncClient(api_key=KEY, base_url=ws_server.url()) as c:
        got: list[tuple[str, str]] = []

        async def on_event(event: LiveEvent) -> None:
            got.append((event.connection_id, event.event_type))

        c.websockets.on_event = on_event  # default for connections opened by call()
        await c.call("responses.websocket", {"action": "connect", "connection_id": "cb"})
        await c.call("responses.websocket", {"action": "send", "connection_id": "cb", "event": create("c")})
        for _ in range(200):
            if len(got) == len(TURN):
                break
            await asyncio.sleep(0.005)
        assert got == [("cb", t) for t in TURN]
        with pytest.raises(WebSocketError, match="buffer=True"):  # callback-only: no buffering
            await c.websockets["cb"].recv(timeout=1)


async def test_recv_timeout(aclient, ws_server):
    conn = await aclient.websockets.responses("quiet")
    with pytest.raises(TimeoutError):
        await conn.recv(timeout=0.05)
    assert conn.open


# -- the sync Client ---------------------------------------------------------------------
def test_sync_client_wrapper(ws_server):
    seen: list[str] = []
    with Client(api_key=KEY, base_url=ws_server.url()) as client:
        opened = client.call("responses.websocket", {"action": "connect", "connection_id": "s1"})
        assert opened["url"] == f"ws://127.0.0.1:{ws_server.port}/v1/responses"
        client.call("responses.websocket", {"action": "send", "connection_id": "s1", "event": create("sync")})
        events = list(client.websockets["s1"].events(until=RESPONSE_DONE))
        assert [e.event_type for e in events] == TURN
        assert events[1]["delta"] == "sync:1"

        other = client.websockets.responses("s2", on_event=lambda e: seen.append(e.event_type), buffer=True)
        other.send(create("two"))
        assert [e.event_type for e in other.events(until=RESPONSE_DONE)] == TURN
        assert seen == TURN  # the callback ran (on the background loop) before the queue was drained
        with pytest.raises(ValidationError):
            other.send({"type": "nope"})
        with pytest.raises(WebSocketError, match="already open"):
            client.call("responses.websocket", {"action": "connect", "connection_id": "s2"})

        closed = client.call("responses.websocket", {"action": "close", "connection_id": "s1", "reason": "done"})
        assert (closed["code"], closed["reason"]) == (1000, "done")
        assert client.websockets.ids == ["s2"]
        [loop_thread] = [t for t in threading.enumerate() if t is client.websockets._runner._thread]
        assert loop_thread.name == "oaimap-live" and loop_thread.is_alive()
    sessions = ws_server.wait_closed(2)
    assert sorted((s.close_code, s.close_reason) for s in sessions) == [(1000, "client closed"), (1000, "done")]
    loop_thread.join(2)
    assert not loop_thread.is_alive()  # Client.close() stopped the background loop


def test_sync_server_drop(ws_server):
    with Client(api_key=KEY, base_url=ws_server.url()) as client:
        conn = client.websockets.responses("sd")
        conn.send(create("d", "drop"))
        got = []
        with pytest.raises(WebSocketClosedError):
            for event in conn:
                got.append(event.event_type)
        assert got == TURN[:2]
        assert len(client.websockets) == 0
