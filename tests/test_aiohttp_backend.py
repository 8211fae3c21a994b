"""``AsyncClient(http_backend="aiohttp")``: the same contract over aiohttp's pool (the
extra ``oaimap[aiohttp]``, the ``httpx-aiohttp`` transport): answers, streams, and
transport failures that still arrive as oaimap's errors."""

from __future__ import annotations

import pytest

pytest.importorskip("httpx_aiohttp", reason="the aiohttp extra is not installed")

from oaimap import APIConnectionError, APITimeoutError, AsyncClient, ConfigurationError, NotFoundError, ValidationError  # noqa: E402

from conftest import TEST_KEY  # noqa: E402
from faultserver import FaultServer, json_reply, reply, sse, stall  # noqa: E402

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


# -- whole-body answers go to the aiohttp transport directly (AsyncClient._send_once) ----------
async def test_whole_body_answers_skip_httpx_send_and_streams_keep_it(aioclient, server, monkeypatch):
    sent_through_httpx = []
    original = aioclient._http.send

    async def counting_send(*args, **kwargs):
        sent_through_httpx.append(args[0].url.path)
        return await original(*args, **kwargs)

    monkeypatch.setattr(aioclient._http, "send", counting_send)
    answer = await aioclient.call("responses.create", CREATE)
    assert answer["object"] == "response" and sent_through_httpx == []
    stream = await aioclient.call("responses.create", {**CREATE, "stream": True})
    assert [e["type"] async for e in stream][-1] == "response.completed"
    assert sent_through_httpx == ["/v1/responses"]
    assert server.requests[0].headers["authorization"] == f"Bearer {TEST_KEY}"  # the same request either way


async def test_a_whole_body_cut_short_is_a_connection_error_on_the_direct_path():
    with FaultServer() as fault:
        fault.cue(reply(body=b'{"id": "resp_1", "obj', length=200))
        async with AsyncClient(api_key=TEST_KEY, base_url=fault.url + "/v1", max_retries=0, http_backend="aiohttp") as c:
            assert c._direct is not None
            with pytest.raises(APIConnectionError, match="responses.retrieve"):
                await c.call("responses.retrieve", {"response_id": "r"})


async def test_an_error_status_reads_the_same_on_the_direct_path():
    with FaultServer() as fault:
        fault.cue(json_reply({"error": {"message": "no such response", "type": "invalid_request_error", "code": None}}, status=404))
        async with AsyncClient(api_key=TEST_KEY, base_url=fault.url + "/v1", max_retries=0, http_backend="aiohttp") as c:
            with pytest.raises(NotFoundError, match="no such response") as info:
                await c.call("responses.retrieve", {"response_id": "r"})
    assert info.value.request_id and TEST_KEY not in repr(info.value.request.headers)


async def test_a_proxy_in_the_environment_keeps_every_request_on_httpx_send(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    async with AsyncClient(api_key=TEST_KEY, http_backend="aiohttp") as c:
        assert c._direct is None
