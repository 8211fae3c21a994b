"""``AsyncClient(http_backend="aiohttp")``: the same contract over aiohttp's pool (the
extra ``oaimap[aiohttp]``, the ``httpx-aiohttp`` transport): answers, streams, and
transport failures that still arrive as oaimap's errors."""

from __future__ import annotations

import pytest

pytest.importorskip("httpx_aiohttp", reason="the aiohttp extra is not installed")

from oaimap import APIConnectionError, APITimeoutError, AsyncClient, ConfigurationError, ValidationError  # noqa: E402

from conftest import TEST_KEY  # noqa: E402
from faultserver import FaultServer, sse, stall  # noqa: E402

CREATE = {"model": "m", "input": "hi"}


@pytest.fixture
async def aioclient(server):
    async with AsyncClient(api_key=TEST_KEY, base_url=server.url, max_retries=0, http_backend="aiohttp") as c:
        yield c


async def test_calls_and_streams_over_aiohttp(aioclient, server):
    answer = await aioclient.call("responses.create", CREATE)
    assert answer["object"] == "response"
    stream = await aioclient.call("responses.create", {**CREATE, "stream": True})
    events = [event["type"] async for event in stream]
    assert events[-1] == "response.completed"
    assert server.requests[-1].headers["authorization"] == f"Bearer {TEST_KEY}"


async def test_validation_still_comes_first(aioclient, server):
    with pytest.raises(ValidationError):
        await aioclient.call("responses.create", {"model": float("nan")})
    assert server.requests == []


async def test_a_stream_cut_mid_way_is_a_connection_error():
    with FaultServer() as fault:
        fault.cue(sse('data: {"type": "response.created", "sequence_number": 0}\n\n', end="reset"))
        async with AsyncClient(api_key=TEST_KEY, base_url=fault.url + "/v1", max_retries=0, http_backend="aiohttp") as c:
            stream = await c.call("responses.create", {**CREATE, "stream": True})
            with pytest.raises(APIConnectionError, match="responses.create"):
                async for _ in stream:
                    pass


async def test_a_stall_is_a_timeout():
    with FaultServer() as fault:
        fault.cue(stall())
        async with AsyncClient(api_key=TEST_KEY, base_url=fault.url + "/v1", max_retries=0, http_backend="aiohttp") as c:
            with pytest.raises(APITimeoutError, match="responses.retrieve"):
                await c.call("responses.retrieve", {"response_id": "r"}, timeout=0.5)


def test_an_unknown_backend_is_refused():
    with pytest.raises(ConfigurationError, match="http_backend"):
        AsyncClient(api_key=TEST_KEY, http_backend="curl")
