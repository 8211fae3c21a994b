"""Faults on cue: ``LoopbackServer.fail_next`` and ``POST /__oaimap/fail_next``.

Real HTTP over loopback: oaimap's ``Client`` and, as an independent peer, openai-python
must see each fault as they would see it from the real API or a broken network. Stalls
use client timeouts of a fraction of a second, so the file runs in a few seconds.
"""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from oaimap import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    Client,
    ConflictError,
    InternalServerError,
    RateLimitError,
    StreamError,
    UnknownOperationError,
)
from oaimap.server import LoopbackServer

from conftest import TEST_KEY

FILE_OP, FILE = "files.retrieve", {"file_id": "f"}  # GET /files/f, a JSON answer
CHAT = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
RESPONSES = {"model": "m", "input": "hi", "stream": True}
WAIT = 0.3  # the retry-after of the retry tests, in seconds


def oaimap_client(server, **options) -> Client:
    return Client(api_key=TEST_KEY, base_url=server.url, **{"max_retries": 0, "timeout": 2, **options})


def admin_url(server, command: str) -> str:
    return server.url.removesuffix("/v1") + "/__oaimap/" + command


def events_and_error(stream) -> tuple[list, BaseException | None]:
    """Every event a stream yielded and the exception that ended it (None: a clean end)."""
    got = []
    try:
        for event in stream:
            got.append(event)
    except Exception as exc:
        return got, exc
    return got, None


# ------------------------------------------------------------------ oaimap's Client
def test_a_503_with_retry_after_is_retried_after_the_wait_then_succeeds(server):
    server.fail_next(FILE_OP, status=503, retry_after=WAIT)
    with oaimap_client(server, max_retries=1) as client:
        started = time.monotonic()
        result = client.call(FILE_OP, FILE)
        elapsed = time.monotonic() - started
    assert result["object"] == "file" and result.meta.retries == 1
    assert elapsed >= WAIT
    assert [r.operation for r in server.requests] == [FILE_OP, FILE_OP]


@pytest.mark.parametrize(
    "status, error, kind",
    [(429, RateLimitError, "requests"), (500, InternalServerError, "server_error"), (409, ConflictError, "invalid_request_error")],
)
def test_an_error_status_is_the_matching_error_without_retries(server, status, error, kind):
    server.fail_next(FILE_OP, status=status, retry_after=1)
    with oaimap_client(server) as client, pytest.raises(error) as info:
        client.call(FILE_OP, FILE)
    exc = info.value
    assert exc.status_code == status and exc.request_id == "req_loopback"
    assert exc.error["type"] == kind and exc.error["message"].startswith(f"{FILE_OP}: ")
    assert exc.response.headers["retry-after"] == "1"
    assert len(server.requests) == 1


def test_a_429_carries_the_rate_limit_code_and_the_given_message(server):
    server.fail_next("retrieveFile", status=429, message="Slow down")  # an alias names the operation too
    with oaimap_client(server) as client, pytest.raises(RateLimitError) as info:
        client.call(FILE_OP, FILE)
    assert info.value.error == {"message": f"{FILE_OP}: Slow down", "type": "requests", "param": None, "code": "rate_limit_exceeded"}
    assert "retry-after" not in info.value.response.headers


def test_a_reset_is_a_connection_error(server):
    server.fail_next(FILE_OP, "reset")
    with oaimap_client(server) as client, pytest.raises(APIConnectionError) as info:
        client.call(FILE_OP, FILE)
    assert type(info.value) is APIConnectionError and str(info.value).startswith(f"{FILE_OP}:")
    assert len(server.requests) == 1


def test_a_stall_is_a_timeout(server):
    server.fail_next(FILE_OP, "stall", seconds=5)
    with oaimap_client(server, timeout=0.3) as client, pytest.raises(APITimeoutError):
        started = time.monotonic()
        client.call(FILE_OP, FILE)
    assert time.monotonic() - started < 2
    assert len(server.requests) == 1


def test_a_stall_ends_when_the_server_stops():
    with LoopbackServer() as own:
        own.fail_next(FILE_OP, "stall", seconds=10)
        stopper = threading.Timer(0.3, own.stop)
        stopper.start()
        with oaimap_client(own, timeout=5) as client, pytest.raises(APIConnectionError) as info:
            started = time.monotonic()
            client.call(FILE_OP, FILE)
        stopper.join()
    assert time.monotonic() - started < 2
    assert type(info.value) is APIConnectionError  # the connection closed, long before the timeout


@pytest.mark.parametrize("op", [FILE_OP, "files.content"])  # a JSON answer, a binary one
def test_a_cut_body_is_a_connection_error_not_a_partial_answer(server, op):
    server.fail_next(op, "cut")
    with oaimap_client(server) as client, pytest.raises(APIConnectionError) as info:
        client.call(op, FILE)
    assert type(info.value) is APIConnectionError and str(info.value).startswith(f"{op}:")


def test_a_cut_body_is_retried_like_any_connection_error(server):
    server.fail_next(FILE_OP, "cut")
    with oaimap_client(server, max_retries=1) as client:
        assert client.call(FILE_OP, FILE)["object"] == "file"
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    "op, payload",
    [("chat.completions.create", {**CHAT, "stream": True}), ("responses.create", RESPONSES)],
)
def test_a_cut_stream_is_a_stream_error_after_its_first_events(server, op, payload):
    server.fail_next(op, "cut")
    with oaimap_client(server) as client:
        events, error = events_and_error(client.call(op, payload))
    assert type(error) is StreamError and "cut short" in str(error) and op in str(error)
    assert len(events) == 2


def test_a_malformed_json_body_is_a_response_validation_error(server):
    server.fail_next(FILE_OP, "malformed")
    with oaimap_client(server, max_retries=2) as client, pytest.raises(APIResponseValidationError) as info:
        client.call(FILE_OP, FILE)
    assert info.value.status_code == 200 and FILE_OP in str(info.value)
    assert len(server.requests) == 1  # the same server would answer the same: no retry


def test_a_malformed_stream_event_is_a_stream_error(server):
    server.fail_next("responses.create", "malformed")
    with oaimap_client(server) as client:
        events, error = events_and_error(client.call("responses.create", RESPONSES))
    assert type(error) is StreamError and "not JSON" in str(error)
    assert [e["type"] for e in events] == ["response.created"]


def test_faults_are_taken_in_turn_then_the_operation_answers(server):
    server.fail_next(FILE_OP, status=500, times=2)
    with oaimap_client(server) as client:
        for _ in range(2):
            with pytest.raises(InternalServerError):
                client.call(FILE_OP, FILE)
        assert client.call(FILE_OP, FILE)["object"] == "file"
        server.fail_next(FILE_OP, "reset")
        server.fail_next("files.content", "reset")
        server.reset()
        assert client.call(FILE_OP, FILE)["object"] == "file"
        assert client.call("files.content", FILE) == b"files.content bytes"


def test_a_fault_comes_before_validation_and_the_request_is_recorded(server):
    server.fail_next("chat.completions.create", status=429)
    url = server.url + "/chat/completions"
    assert httpx.post(url, json={"nonsense": True}).status_code == 429  # not yet checked
    assert httpx.post(url, json={"nonsense": True}).status_code == 400
    assert [(r.operation, r.json()) for r in server.requests] == [("chat.completions.create", {"nonsense": True})] * 2


@pytest.mark.parametrize(
    "operation, options, words",
    [
        (FILE_OP, {"kind": "flood"}, "unknown kind 'flood'"),
        (FILE_OP, {"status": 200}, "error status"),
        (FILE_OP, {"times": 0}, "times"),
        (FILE_OP, {"kind": "stall", "seconds": 60}, "seconds"),
        (FILE_OP, {"retry_after": -1}, "retry_after"),
        ("realtime.calls.hangup", {"kind": "cut"}, "no body"),
        ("files.content", {"kind": "malformed"}, "not JSON"),
    ],
)
def test_a_fault_that_cannot_be_played_is_refused_naming_the_operation(server, operation, options, words):
    with pytest.raises(ValueError) as info:
        server.fail_next(operation, **options)
    assert f"fail_next({operation})" in str(info.value) and words in str(info.value)


def test_an_unknown_operation_is_refused(server):
    with pytest.raises(UnknownOperationError, match="files.retrive"):
        server.fail_next("files.retrive")


# ------------------------------------------------------------------ openai-python
@pytest.fixture
def openai():
    return pytest.importorskip("openai")


def openai_client(openai, server, **options):
    return openai.OpenAI(api_key=TEST_KEY, base_url=server.url, **{"max_retries": 0, "timeout": 2, **options})


def test_openai_python_retries_a_503_after_its_retry_after(openai, server):
    server.fail_next(FILE_OP, status=503, retry_after=WAIT)
    with openai_client(openai, server, max_retries=1) as client:
        started = time.monotonic()
        assert client.files.retrieve("f").object == "file"
        assert time.monotonic() - started >= WAIT
    assert len(server.requests) == 2


def test_openai_python_sees_a_429_as_a_rate_limit_error(openai, server):
    server.fail_next(FILE_OP, status=429)
    with openai_client(openai, server) as client, pytest.raises(openai.RateLimitError) as info:
        client.files.retrieve("f")
    assert info.value.status_code == 429 and info.value.code == "rate_limit_exceeded"


def test_openai_python_sees_a_reset_as_a_connection_error(openai, server):
    server.fail_next(FILE_OP, "reset")
    with openai_client(openai, server) as client, pytest.raises(openai.APIConnectionError) as info:
        client.files.retrieve("f")
    assert not isinstance(info.value, openai.APITimeoutError)


def test_openai_python_sees_a_stall_as_a_timeout(openai, server):
    server.fail_next(FILE_OP, "stall", seconds=5)
    with openai_client(openai, server, timeout=0.3) as client, pytest.raises(openai.APITimeoutError):
        client.files.retrieve("f")


# ------------------------------------------------------------------ the admin route
def test_a_429_queued_over_http_fails_the_next_call(server):
    arguments = {"operation": FILE_OP, "kind": "status", "status": 429, "retry_after": 2, "times": 1, "seconds": None}
    queued = httpx.post(admin_url(server, "fail_next"), json=arguments)
    assert queued.status_code == 200, queued.text
    failed = httpx.get(server.url + "/files/f")
    assert failed.status_code == 429 and failed.headers["retry-after"] == "2"
    assert failed.json()["error"]["code"] == "rate_limit_exceeded"
    assert httpx.get(server.url + "/files/f").status_code == 200


@pytest.mark.parametrize(
    "body, words",
    [
        pytest.param({"operation": "files.retrive"}, "unknown operation 'files.retrive'", id="unknown-operation"),
        pytest.param({"operation": FILE_OP, "kind": "flood"}, "unknown kind 'flood'", id="unknown-kind"),
        pytest.param({"operation": FILE_OP, "status": "429"}, "error status", id="status-as-text"),
        pytest.param({"operation": FILE_OP, "colour": "red"}, "colour", id="unknown-argument"),
        pytest.param({"kind": "reset"}, "operation", id="no-operation"),
        pytest.param([FILE_OP], "JSON object", id="not-an-object"),
    ],
)
def test_a_bad_fail_next_body_is_a_400_saying_why(server, body, words):
    answer = httpx.post(admin_url(server, "fail_next"), json=body)
    assert answer.status_code == 400
    assert words in answer.json()["error"]["message"]
    assert httpx.get(server.url + "/files/f").status_code == 200  # nothing was queued
