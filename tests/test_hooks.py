"""``client.on(event, fn)``: before_call (may add headers), after_call (meta, result or
error), on_retry (every retry decision); a failing hook never breaks a call. Over the
real loopback server, sync and async, plain and streamed."""

from __future__ import annotations

import logging

import pytest

from oaimap import AsyncClient, Client, NotFoundError
from oaimap.server import Reply

from conftest import TEST_KEY

MODEL = {"id": "m", "object": "model", "created": 1, "owned_by": "x"}


def test_before_call_may_add_headers_and_after_call_sees_the_result(client, server):
    seen = []
    client.on("before_call", lambda operation, payload, headers: headers.update({"X-Trace": f"t-{operation}"}))

    @client.on("after_call")
    def record(operation, meta, result, error):
        seen.append((operation, meta.request_id if meta else None, result == MODEL, error))

    server.script("models.retrieve", Reply(json=MODEL, headers={"x-request-id": "req_1"}))
    assert client.call("models.retrieve", {"model": "m"}) == MODEL
    assert server.requests[0].headers["x-trace"] == "t-models.retrieve"
    assert seen == [("models.retrieve", "req_1", True, None)]


def test_after_call_sees_errors(client, server):
    errors = []
    client.on("after_call", lambda error, **_: errors.append(error))
    server.script("models.retrieve", Reply(status=404, json={"error": {"message": "no such model"}}))
    with pytest.raises(NotFoundError) as info:
        client.call("models.retrieve", {"model": "m"})
    assert errors == [info.value]


def test_on_retry_sees_every_decision(server):
    retries = []
    server.script("models.retrieve", Reply(status=503, json={}), Reply(status=429, json={}, headers={"retry-after-ms": "10"}), Reply(json=MODEL))
    with Client(api_key=TEST_KEY, base_url=server.url, max_retries=3) as client:
        client.on("on_retry", lambda operation, attempt, reason, wait: retries.append((operation, attempt, reason, round(wait, 3))))
        result = client.call("models.retrieve", {"model": "m"})
    assert [(op, attempt, reason) for op, attempt, reason, _ in retries] == [
        ("models.retrieve", 1, "HTTP 503"),
        ("models.retrieve", 2, "HTTP 429"),
    ]
    assert retries[1][3] == 0.01 and result.meta.retries == 2


def test_a_failing_hook_is_logged_and_the_call_goes_on(client, server, caplog):
    client.on("before_call", lambda **_: 1 / 0)
    client.on("after_call", lambda **_: [][1])
    with caplog.at_level(logging.WARNING, logger="oaimap"):
        assert client.call("models.list")["object"] == "list"
    assert "before_call hook" in caplog.text and "after_call hook" in caplog.text and len(server.requests) == 1


async def test_hooks_on_the_async_client_and_streams(server):
    events = []
    async with AsyncClient(api_key=TEST_KEY, base_url=server.url, max_retries=0) as client:
        client.on("after_call", lambda operation, meta, result, error: events.append((operation, meta.status)))
        stream = await client.call("responses.create", {"model": "m", "input": "hi", "stream": True})
        async for _ in stream:
            pass
    assert events == [("responses.create", 200)]


def test_an_unknown_event_is_refused(client):
    with pytest.raises(ValueError, match="unknown event 'after'; events: before_call, after_call, on_retry"):
        client.on("after", print)
