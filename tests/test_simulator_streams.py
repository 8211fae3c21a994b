"""The loopback server (``oaimap serve``) streams a chat completion and a completion as
the API does: chunks of the text with ``delta``, the last with the ``finish_reason``, a
usage chunk when asked, ``[DONE]``. Checked with oaimap and with openai-python's own
client, which parses each chunk into its typed models."""

from __future__ import annotations

import pytest

from oaimap import Client

from conftest import TEST_KEY

MESSAGES = [{"role": "user", "content": "hi"}]


def test_a_chat_stream_is_chunks_of_the_answer(client):
    whole = client.call("chat.completions.create", {"model": "m", "messages": MESSAGES})
    chunks = list(client.call("chat.completions.create", {"model": "m", "messages": MESSAGES, "stream": True}))
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text == whole["choices"][0]["message"]["content"] and len(chunks) > 3
    assert [c["choices"][0]["finish_reason"] for c in chunks][-1] == "stop"


def test_usage_comes_last_when_asked(client):
    chunks = list(client.call("chat.completions.create", {"model": "m", "messages": MESSAGES, "stream": True,
                                                          "stream_options": {"include_usage": True}}))
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0
    assert client.usage.total.calls == 1  # counted from the stream's last chunk


def test_openai_python_reads_the_streams(server):
    openai = pytest.importorskip("openai")
    sdk = openai.OpenAI(api_key=TEST_KEY, base_url=server.url, max_retries=0)
    with Client(api_key=TEST_KEY, base_url=server.url) as client:
        whole = client.call("chat.completions.create", {"model": "m", "messages": MESSAGES})
        completion = client.call("completions.create", {"model": "m", "prompt": "hi"})
    chunks = list(sdk.chat.completions.create(model="m", messages=MESSAGES, stream=True, stream_options={"include_usage": True}))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == whole["choices"][0]["message"]["content"]
    assert chunks[-2].choices[0].finish_reason == "stop" and chunks[-1].usage.total_tokens == whole["usage"]["total_tokens"]
    pieces = list(sdk.completions.create(model="m", prompt="hi", stream=True))
    assert "".join(p.choices[0].text for p in pieces) == completion["choices"][0]["text"]
