"""``result.meta``: what the server said besides the body, on every kind of result, over
the real loopback server; the result still behaves as the plain value it was."""

from __future__ import annotations

import json
import pickle

import pytest

from oaimap.meta import BytesResult, JsonList, JsonObject, SavedFile, TextResult, seconds
from oaimap.server import Reply

from conftest import TEST_KEY

LIMITS = {
    "x-request-id": "req_abc123",
    "x-ratelimit-limit-requests": "500",
    "x-ratelimit-remaining-requests": "499",
    "x-ratelimit-reset-requests": "120ms",
    "x-ratelimit-limit-tokens": "30000",
    "x-ratelimit-remaining-tokens": "29750",
    "x-ratelimit-reset-tokens": "6m0s",
}
MODEL = {"id": "gpt-4.1-mini", "object": "model", "created": 1, "owned_by": "openai"}


def test_a_json_result_is_its_dict_and_carries_meta(client, server):
    server.script("models.retrieve", Reply(json=MODEL, headers=LIMITS))
    result = client.call("models.retrieve", {"model": "gpt-4.1-mini"})
    assert isinstance(result, JsonObject) and result == MODEL and json.loads(json.dumps(result)) == MODEL
    meta = result.meta
    assert (meta.operation, meta.status, meta.request_id, meta.retries) == ("models.retrieve", 200, "req_abc123", 0)
    limits = meta.rate_limits
    assert (limits.limit_requests, limits.remaining_requests, limits.reset_requests) == (500, 499, 0.12)
    assert (limits.limit_tokens, limits.remaining_tokens, limits.reset_tokens) == (30000, 29750, 360.0)
    assert 0 < meta.elapsed < 10
    assert meta.http_response.status_code == 200 and meta.http_response.json() == MODEL


def test_retries_taken_are_counted(server):
    from oaimap import Client

    server.script("models.retrieve", Reply(status=500, json={"error": {"message": "boom"}}), Reply(json=MODEL))
    with Client(api_key=TEST_KEY, base_url=server.url, max_retries=2) as client:
        result = client.call("models.retrieve", {"model": "m"})
    assert result.meta.retries == 1 and len(server.requests) == 2


def test_a_seed_alias_list_and_pages_carry_meta(client, server):
    first = client.call("listModels")
    assert isinstance(first, JsonList) and first == first.meta.http_response.json()["data"]
    assert first.meta.operation == "models.list"


def test_bytes_text_and_downloads_carry_meta(client, server, tmp_path):
    audio = client.call("audio.speech.create", {"model": "tts-1", "input": "hi", "voice": "alloy"})
    assert isinstance(audio, BytesResult) and bytes(audio) == audio and audio.meta.operation == "audio.speech.create"
    saved = client.call("audio.speech.create", {"model": "tts-1", "input": "hi", "voice": "alloy"}, output=tmp_path / "a.mp3")
    assert isinstance(saved, SavedFile) and saved == tmp_path / "a.mp3" and saved.read_bytes() == bytes(audio)
    assert saved.meta.status == 200


def test_a_stream_carries_meta(client, server):
    stream = client.call("responses.create", {"model": "m", "input": "hi", "stream": True})
    assert stream.meta.operation == "responses.create" and stream.meta.request_id == stream.request_id
    assert [event["type"] for event in stream][-1] == "response.completed"


async def test_async_results_carry_meta(aclient, server):
    server.script("models.retrieve", Reply(json=MODEL, headers=LIMITS))
    result = await aclient.call("models.retrieve", {"model": "gpt-4.1-mini"})
    assert result.meta.request_id == "req_abc123" and result.meta.rate_limits.remaining_tokens == 29750
    stream = await aclient.call("responses.create", {"model": "m", "input": "hi", "stream": True})
    assert stream.meta.status == 200


def test_meta_pickles_without_the_raw_response_and_never_shows_the_key(client, server):
    server.script("models.retrieve", Reply(json=MODEL, headers=LIMITS))
    result = client.call("models.retrieve", {"model": "m"})
    blob = pickle.dumps(result)
    assert TEST_KEY.encode() not in blob and TEST_KEY not in repr(result.meta)
    back = pickle.loads(blob)
    assert back == MODEL and back.meta.request_id == "req_abc123" and back.meta.rate_limits.reset_tokens == 360.0
    with pytest.raises(AttributeError, match="not kept"):
        back.meta.http_response


def test_text_results(client, server):
    answer = client.call("realtime.calls.create", {"sdp": "v=0\r\n"})  # the SDP answer, as text
    assert isinstance(answer, TextResult) and answer.startswith("v=0") and answer.meta.operation == "realtime.calls.create"


@pytest.mark.parametrize(
    "text, expected",
    [("1s", 1.0), ("6m0s", 360.0), ("20ms", 0.02), ("1h2m3s", 3723.0), ("0.5", 0.5), ("soon", None), ("", None), (None, None)],
)
def test_reset_durations(text, expected):
    assert seconds(text) == expected
