"""Server-sent events: order, the end of a stream, errors, and closing on break."""

from __future__ import annotations

import pytest

from oaimap import StreamError
from oaimap.server import Reply
from oaimap.sse import SSEDecoder

STREAM = {"model": "m", "input": "hi", "stream": True}
CREATED = {"type": "response.created", "sequence_number": 0}
DELTA = {"type": "response.output_text.delta", "sequence_number": 1, "delta": "x"}
DONE = {"type": "response.completed", "sequence_number": 2}


def test_a_stream_closed_before_its_terminal_event_was_cut_short(client, server):
    server.script("responses.create", Reply(events=[CREATED, DELTA]))
    received = []
    with pytest.raises(StreamError, match="cut short"):
        for event in client.call("responses.create", STREAM):
            received.append(event["type"])
    assert received == ["response.created", "response.output_text.delta"]


def test_an_error_event_raises_with_the_event(client, server):
    error = {"type": "error", "code": "server_error", "message": "model overloaded", "sequence_number": 1}
    server.script("responses.create", Reply(events=[CREATED, error]))
    with pytest.raises(StreamError, match="model overloaded") as info:
        list(client.call("responses.create", STREAM))
    assert info.value.event == error


def test_done_sentinel_ends_the_stream(client, server):
    server.script("responses.create", Reply(events=[CREATED, DONE, "[DONE]", DELTA]))
    assert [e["type"] for e in client.call("responses.create", STREAM)] == ["response.created", "response.completed"]


def test_breaking_out_closes_the_http_response(client, server):
    server.script("responses.create", Reply(events=[CREATED, DELTA, DELTA, DONE]))
    stream = client.call("responses.create", STREAM)
    for event in stream:
        break
    assert event == CREATED
    assert stream.response.is_closed


def test_stream_as_context_manager_closes(client, server):
    with client.call("responses.create", STREAM) as stream:
        first = next(iter(stream))
    assert first["type"] == "response.created"
    assert stream.response.is_closed


async def test_async_stream_cut_short_and_closed(aclient, server):
    server.script("responses.create", Reply(events=[CREATED]))
    stream = await aclient.call("responses.create", STREAM)
    with pytest.raises(StreamError):
        async for _ in stream:
            pass
    assert stream.response.is_closed


def test_decoder_handles_multiline_data_comments_and_ids():
    decoder = SSEDecoder()
    lines = [": keep-alive", "event: greet", "id: 7", "data: {\"a\":", "data: 1}", "", ""]
    events = [e for e in map(decoder.feed, lines) if e is not None]
    assert len(events) == 1
    assert (events[0].event, events[0].id, events[0].data) == ("greet", "7", '{"a":\n1}')


def test_a_stream_can_be_read_once(client, server):
    stream = client.call("responses.create", STREAM)
    assert list(stream)
    with pytest.raises(StreamError, match="already read"):
        list(stream)


def test_assistants_events_keep_their_event_name(client, server):
    run = {"id": "run_1", "object": "thread.run"}
    events = [
        {"event": "thread.run.created", "data": {**run, "status": "queued"}},
        {"event": "thread.run.in_progress", "data": {**run, "status": "in_progress"}},
        {"event": "thread.run.completed", "data": {**run, "status": "completed"}},
        {"event": "done", "data": "[DONE]"},
    ]
    server.script("beta.threads.runs.create", Reply(events=[*events[:3], "[DONE]"]))
    received = list(client.call("createRun", {"thread_id": "thread_1", "assistant_id": "asst_1", "stream": True}))
    assert received == events[:3]
    assert server.requests[-1].headers["accept"] == "text/event-stream"
