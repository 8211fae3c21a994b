"""Retries, backoff, idempotency keys, timeouts and the error hierarchy, over real HTTP."""

from __future__ import annotations

import socket

import httpx
import pytest

from oaimap import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    BadRequestError,
    Client,
    InternalServerError,
    NotFoundError,
    RateLimitError,
)
from oaimap.retries import RetryPolicy, retry_after
from oaimap.server import Reply

CREATE = {"model": "m", "input": "hi"}
FAST = {"retry-after-ms": "1"}  # keep test waits short; the header itself is under test below


def _client(server, retries=2):
    return Client(api_key="k", base_url=server.url, max_retries=retries)


def test_503_then_200_is_retried(server):
    server.script("responses.create", Reply(503, json={"error": {"message": "busy"}}, headers=FAST))
    with _client(server) as client:
        assert client.call("responses.create", CREATE)["id"] == "resp_demo_1"
    assert len(server.requests) == 2


def test_429_with_retry_after_zero_is_retried_at_once(server):
    server.script("responses.create", Reply(429, json={"error": {"message": "slow down"}}, headers={"retry-after": "0"}))
    with _client(server) as client:
        assert client.call("responses.create", CREATE)["object"] == "response"
    assert len(server.requests) == 2


def test_retries_give_up_after_the_limit_with_the_right_error(server):
    server.script("responses.create", *[Reply(503, json={"error": {"message": "down"}}, headers=FAST)] * 3)
    with _client(server, retries=2) as client, pytest.raises(InternalServerError) as info:
        client.call("responses.create", CREATE)
    assert len(server.requests) == 3
    assert info.value.status_code == 503 and info.value.request_id == "req_loopback"
    assert info.value.error == {"message": "down"}


def test_idempotency_key_is_the_same_on_every_retry(server):
    server.script("responses.create", *[Reply(500, json={}, headers=FAST)] * 2)
    with _client(server) as client:
        client.call("responses.create", CREATE)
    keys = [r.headers.get("idempotency-key") for r in server.requests]
    assert len(keys) == 3 and keys[0] and len(set(keys)) == 1
    with _client(server) as client:
        client.call("responses.create", CREATE)
        client.call("responses.retrieve", {"response_id": "r"})
    assert server.requests[-2].headers["idempotency-key"] != keys[0]  # a new call, a new key
    assert "idempotency-key" not in server.requests[-1].headers  # GETs carry none


def test_x_should_retry_overrides_the_status_rule(server):
    server.script("responses.create", Reply(503, json={}, headers={"x-should-retry": "false"}))
    with _client(server) as client, pytest.raises(InternalServerError):
        client.call("responses.create", CREATE)
    assert len(server.requests) == 1
    server.reset()
    server.script("responses.create", Reply(400, json={}, headers={"x-should-retry": "true", **FAST}))
    with _client(server) as client:
        client.call("responses.create", CREATE)
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    "status,error_type",
    [(400, BadRequestError), (404, NotFoundError), (429, RateLimitError), (418, APIStatusError), (502, InternalServerError)],
)
def test_status_codes_map_to_error_classes(server, status, error_type):
    server.script("responses.delete", Reply(status, json={"error": {"message": "nope", "type": "t"}}))
    with _client(server, retries=0) as client, pytest.raises(error_type) as info:
        client.call("responses.delete", {"response_id": "r"})
    assert type(info.value) is error_type
    assert "responses.delete" in str(info.value) and "nope" in str(info.value)


def test_timeout_raises_api_timeout_error_after_retries(server):
    server.script("responses.delete", *[Reply(json={}, delay=0.5)] * 2)
    with _client(server, retries=1) as client, pytest.raises(APITimeoutError, match="2 attempt"):
        client.call("responses.delete", {"response_id": "r"}, timeout=0.1)
    assert len(server.requests) == 2


def test_connection_refused_is_an_api_connection_error():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with Client(api_key="k", base_url=f"http://127.0.0.1:{port}/v1", max_retries=0) as client:
        with pytest.raises(APIConnectionError) as info:
            client.call("responses.delete", {"response_id": "r"})
    assert not isinstance(info.value, APITimeoutError)


async def test_async_client_retries_too(server):
    from oaimap import AsyncClient

    server.script("responses.create", Reply(503, json={}, headers=FAST))
    async with AsyncClient(api_key="k", base_url=server.url) as client:
        assert (await client.call("responses.create", CREATE))["id"] == "resp_demo_1"
    assert len(server.requests) == 2
    assert server.requests[0].headers["idempotency-key"] == server.requests[1].headers["idempotency-key"]


def _response(headers):
    return httpx.Response(503, headers=headers)


def test_retry_after_forms():
    assert retry_after(_response({"retry-after-ms": "250"})) == 0.25
    assert retry_after(_response({"retry-after": "3"})) == 3.0
    assert retry_after(_response({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0  # in the past
    assert retry_after(_response({"retry-after": "soon"})) is None
    assert retry_after(_response({})) is None


def test_backoff_grows_is_capped_and_honours_reasonable_server_waits():
    policy = RetryPolicy()
    first, third, tenth = (policy.delay(n) for n in (0, 2, 9))
    assert 0.375 <= first <= 0.5 and 1.5 <= third <= 2.0 and 6.0 <= tenth <= 8.0
    assert policy.delay(0, _response({"retry-after": "7"})) == 7.0
    too_long = policy.delay(0, _response({"retry-after": "3600"}))
    assert too_long <= 0.5  # beyond the cap: ignored in favour of backoff
