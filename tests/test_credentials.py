"""``api_key`` as a function (Entra ID tokens, rotating keys): asked before every call,
asked again once after a 401, sync or async, and every key it gave stays masked.

Over the real loopback server (it records each request's headers as they arrived)."""

from __future__ import annotations

import itertools
import logging
import pickle

import pytest

from oaimap import AsyncClient, AuthenticationError, Client, ConfigurationError
from oaimap.server import Reply

LIST = ("models.list", {})
ERROR_401 = Reply(status=401, json={"error": {"message": "expired token", "type": "invalid_request_error", "code": "invalid_api_key"}})


def tokens(prefix: str = "entra-token-"):
    """A provider handing out a new token each time it is asked."""
    counter = itertools.count(1)
    return lambda: f"{prefix}{next(counter):04d}"


def _bearers(server) -> list[str]:
    return [r.headers["authorization"] for r in server.requests]


def test_a_key_function_is_asked_before_every_call(server):
    with Client(api_key=tokens(), base_url=server.url, max_retries=0) as client:
        client.call(*LIST)
        client.call(*LIST)
    assert _bearers(server) == ["Bearer entra-token-0001", "Bearer entra-token-0002"]


def test_a_401_asks_for_a_new_key_once_and_retries(server):
    server.script("models.list", ERROR_401)
    with Client(api_key=tokens(), base_url=server.url, max_retries=0) as client:
        assert client.call("models.list")["object"] == "list"
    assert _bearers(server) == ["Bearer entra-token-0001", "Bearer entra-token-0002"]


def test_a_second_401_is_the_callers(server):
    server.script("models.list", ERROR_401, ERROR_401)
    with Client(api_key=tokens(), base_url=server.url, max_retries=3) as client:
        with pytest.raises(AuthenticationError, match="expired token") as info:
            client.call(*LIST)
    assert len(server.requests) == 2  # renewed once; 401 is not retried otherwise
    assert "entra-token" not in repr(info.value.request.headers) and "entra-token" not in str(info.value)


def test_a_literal_key_gets_no_second_try_on_401(client, server):
    server.script("models.list", ERROR_401)
    with pytest.raises(AuthenticationError):
        client.call(*LIST)
    assert len(server.requests) == 1


def test_the_key_function_works_for_a_custom_header_and_the_query(server):
    with Client(api_key=tokens(), base_url=server.url, auth_header="api-key", max_retries=0) as client:
        client.call(*LIST)
    with Client(api_key=tokens("q-token-"), base_url=server.url, auth_query="key", max_retries=0) as client:
        server.script("models.list", ERROR_401)
        client.call(*LIST)
    first, second, third = server.requests
    assert first.headers["api-key"] == "entra-token-0001" and "authorization" not in first.headers
    assert ("key", "q-token-0001") in second.query and ("key", "q-token-0002") in third.query
    assert [name for name, _ in third.query].count("key") == 1  # replaced, not added


async def test_an_async_key_function_is_awaited(server):
    counter = itertools.count(1)

    async def token() -> str:
        return f"async-token-{next(counter):04d}"

    server.script("models.list", ERROR_401)
    async with AsyncClient(api_key=token, base_url=server.url, max_retries=0) as client:
        await client.call(*LIST)
        await client.call(*LIST)
    assert _bearers(server) == ["Bearer async-token-0001", "Bearer async-token-0002", "Bearer async-token-0003"]


async def test_a_sync_key_function_serves_an_async_client_too(server):
    async with AsyncClient(api_key=tokens(), base_url=server.url, max_retries=0) as client:
        await client.call(*LIST)
    assert _bearers(server) == ["Bearer entra-token-0001"]


def test_an_async_key_function_needs_the_async_client():
    async def token() -> str:
        return "t"

    with pytest.raises(ConfigurationError, match="AsyncClient"):
        Client(api_key=token)


@pytest.mark.parametrize("returned", [None, "", 42])
def test_a_key_function_must_return_a_key(server, returned):
    with Client(api_key=lambda: returned, base_url=server.url, max_retries=0) as client:
        with pytest.raises(ConfigurationError, match="non-empty string"):
            client.call(*LIST)
    assert server.requests == []


def test_every_key_it_gave_stays_masked(server, caplog):
    server.script("models.list", ERROR_401, ERROR_401)
    caplog.set_level(logging.DEBUG)
    with Client(api_key=tokens("rotating-secret-"), base_url=server.url, auth_query="key", max_retries=0) as client:
        with pytest.raises(AuthenticationError) as info:
            client.call(*LIST)
        shown = [repr(client), repr(client.host), str(info.value), repr(info.value.request.url), caplog.text]
    assert not any("rotating-secret-" in text for text in shown)
    assert pickle.loads(pickle.dumps(info.value)).request is not None
    with pytest.raises(TypeError):
        pickle.dumps(client.host.api_key)


async def test_a_key_function_is_asked_before_a_websocket_opens(monkeypatch):
    from websockets.asyncio.server import serve

    seen: list[str] = []

    async def handler(ws):
        seen.append(ws.request.headers["authorization"])
        await ws.close()

    async with serve(handler, "127.0.0.1", 0) as ws_server:
        port = ws_server.sockets[0].getsockname()[1]
        async with AsyncClient(api_key=tokens("ws-token-"), base_url=f"http://127.0.0.1:{port}/v1") as client:
            connection = await client.websockets.connect("responses")
            await connection.close()
    assert seen == ["Bearer ws-token-0001"]


def test_a_key_function_that_fails_is_a_configuration_error_naming_the_operation(server):
    def broken() -> str:
        raise RuntimeError("token endpoint unreachable")

    with Client(api_key=broken, base_url=server.url, max_retries=0) as client:
        with pytest.raises(ConfigurationError, match=r"^models\.list: the api_key function failed: RuntimeError") as info:
            client.call(*LIST)
    assert isinstance(info.value.__cause__, RuntimeError) and server.requests == []


async def test_an_async_key_function_that_fails_likewise(server):
    async def abroken() -> str:
        raise RuntimeError("token endpoint unreachable")

    async with AsyncClient(api_key=abroken, base_url=server.url, max_retries=0) as client:
        with pytest.raises(ConfigurationError, match=r"^models\.list: the api_key function failed: RuntimeError"):
            await client.call(*LIST)
    assert server.requests == []
