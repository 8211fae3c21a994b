"""``client.usage``: tokens per model summed over calls, streams' final usage event
included, both vocabularies (Responses and Chat), safe across threads; resettable."""

from __future__ import annotations

import threading

from oaimap import Client
from oaimap.server import Reply
from oaimap.usage import Tokens

from conftest import TEST_KEY

RESPONSE = {
    "id": "resp_1", "object": "response", "created_at": 1, "status": "completed", "model": "gpt-4.1-mini", "output": [],
    "usage": {"input_tokens": 10, "output_tokens": 4, "total_tokens": 14,
              "input_tokens_details": {"cached_tokens": 6}, "output_tokens_details": {"reasoning_tokens": 2}},
}
CHAT = {
    "id": "c", "object": "chat.completion", "created": 1, "model": "gpt-4o", "choices": [],
    "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10,
              "prompt_tokens_details": {"cached_tokens": 1}, "completion_tokens_details": {"reasoning_tokens": 0}},
}


def test_tokens_are_summed_per_model_in_both_vocabularies(client, server):
    server.script("responses.create", Reply(json=RESPONSE), Reply(json=RESPONSE))
    server.script("chat.completions.create", Reply(json=CHAT))
    client.call("responses.create", {"model": "gpt-4.1-mini", "input": "hi"})
    client.call("responses.create", {"model": "gpt-4.1-mini", "input": "hi"})
    client.call("chat.completions.create", {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]})
    assert client.usage.by_model == {
        "gpt-4.1-mini": Tokens(calls=2, input=20, output=8, cached=12, reasoning=4),
        "gpt-4o": Tokens(calls=1, input=7, output=3, cached=1, reasoning=0),
    }
    assert client.usage.total == Tokens(calls=3, input=27, output=11, cached=13, reasoning=4)
    client.usage.reset()
    assert client.usage.by_model == {} and client.usage.total == Tokens()


def test_a_streams_final_usage_event_counts_once_it_is_read(client, server):
    events = [
        {"type": "response.created", "sequence_number": 0, "response": {**RESPONSE, "status": "in_progress", "usage": None}},
        {"type": "response.completed", "sequence_number": 1, "response": RESPONSE},
    ]
    server.script("responses.create", Reply(events=events))
    stream = client.call("responses.create", {"model": "gpt-4.1-mini", "input": "hi", "stream": True})
    assert client.usage.by_model == {}  # nothing yet: the stream is not read
    assert [e["type"] for e in stream] == ["response.created", "response.completed"]
    assert client.usage.by_model["gpt-4.1-mini"] == Tokens(calls=1, input=10, output=4, cached=6, reasoning=2)


def test_a_chat_stream_with_include_usage(client, server):
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o"}
    events = [
        {**chunk, "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": "stop"}]},
        {**chunk, "choices": [], "usage": CHAT["usage"]},
        "[DONE]",
    ]
    server.script("chat.completions.create", Reply(events=events))
    stream = client.call("chat.completions.create", {"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}],
                                                     "stream": True, "stream_options": {"include_usage": True}})
    list(stream)
    assert client.usage.by_model == {"gpt-4o": Tokens(calls=1, input=7, output=3, cached=1, reasoning=0)}


def test_threads_sharing_a_client_lose_no_count(server):
    server.script("chat.completions.create", *[Reply(json=CHAT) for _ in range(80)])
    with Client(api_key=TEST_KEY, base_url=server.url, max_retries=0) as client:
        def work() -> None:
            for _ in range(10):
                client.call("chat.completions.create", {"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]})

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert client.usage.total == Tokens(calls=80, input=560, output=240, cached=80, reasoning=0)
