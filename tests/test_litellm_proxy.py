"""oaimap against LiteLLM's proxy: a real OpenAI-compatible server nobody here wrote.

The proxy runs from `.venv-litellm` (`.ci/run` makes it; `tests/litellm_proxy.py` says
why apart) on 127.0.0.1 with `mock_response` models: no weights, no network. Under CI
(CI=true) a missing environment fails these tests; elsewhere they are skipped with the
reason.
"""

from __future__ import annotations

import pytest

from oaimap import AsyncClient, BadRequestError, Client, ValidationError

from litellm_proxy import (
    CHAT_MODEL,
    EMBEDDING_MODEL,
    MOCK_EMBEDDING,
    MOCK_TEXT,
    RESPONSES_STREAM_MODEL,
    LiteLLMProxy,
    require_environment,
)

pytestmark = pytest.mark.slow  # a proxy to start (about 7 s): `-m 'not slow'` skips it locally

# LiteLLM's mock streams its text three characters a chunk, then a chunk with the finish_reason.
MOCK_PIECES = [MOCK_TEXT[i : i + 3] for i in range(0, len(MOCK_TEXT), 3)]
MESSAGES = [{"role": "user", "content": "Say hello."}]


@pytest.fixture(scope="module")
def proxy():
    require_environment()
    with LiteLLMProxy() as started:
        yield started


@pytest.fixture
def client(proxy):
    """oaimap's Client on the proxy with the `litellm` provider profile (this module's
    own, not conftest's loopback one)."""
    with Client(profile="litellm", api_key=proxy.master_key, base_url=f"{proxy.url}/v1", max_retries=0) as c:
        yield c


def test_models_list_names_the_configured_models(client):
    page = client.call("models.list")
    assert page["object"] == "list"
    assert {model["id"] for model in page["data"]} == {CHAT_MODEL, EMBEDDING_MODEL, RESPONSES_STREAM_MODEL}


def test_chat_completion(client):
    answer = client.call("chat.completions.create", {"model": CHAT_MODEL, "messages": MESSAGES})
    assert answer["object"] == "chat.completion"
    assert answer["choices"][0]["message"] == {"role": "assistant", "content": MOCK_TEXT}
    assert answer["choices"][0]["finish_reason"] == "stop"


def test_chat_completion_streamed(client):
    stream = client.call("chat.completions.create", {"model": CHAT_MODEL, "messages": MESSAGES, "stream": True})
    chunks = list(stream)  # a stream cut short before [DONE] or a finish_reason would raise StreamError
    assert {chunk["object"] for chunk in chunks} == {"chat.completion.chunk"}
    assert [chunk["choices"][0]["delta"].get("content") for chunk in chunks] == [*MOCK_PIECES, None]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert stream.response.is_closed


def test_completion(client):
    answer = client.call("completions.create", {"model": CHAT_MODEL, "prompt": "Say hello."})
    assert answer["object"] == "text_completion"
    assert answer["choices"][0]["text"] == MOCK_TEXT


def test_completion_streamed(client):
    chunks = list(client.call("completions.create", {"model": CHAT_MODEL, "prompt": "Say hello.", "stream": True}))
    assert [chunk["choices"][0].get("text") for chunk in chunks] == [*MOCK_PIECES, None]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


@pytest.mark.parametrize("model", [CHAT_MODEL, RESPONSES_STREAM_MODEL])
def test_response(client, model):
    answer = client.call("responses.create", {"model": model, "input": "Say hello."})
    assert answer["object"] == "response" and answer["status"] == "completed"
    [message] = answer["output"]
    assert (message["content"][0]["type"], message["content"][0]["text"]) == ("output_text", MOCK_TEXT)


def test_response_streamed(client):
    events = list(client.call("responses.create", {"model": RESPONSES_STREAM_MODEL, "input": "Hi", "stream": True}))
    kinds = [event["type"] for event in events]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == "response.completed"
    deltas = [event["delta"] for event in events if event["type"] == "response.output_text.delta"]
    assert deltas == MOCK_PIECES
    [message] = events[-1]["response"]["output"]
    assert message["content"][0]["text"] == MOCK_TEXT


def test_embedding(client):
    answer = client.call("embeddings.create", {"model": EMBEDDING_MODEL, "input": "Say hello."})
    [item] = answer["data"]
    assert len(item["embedding"]) == len(MOCK_EMBEDDING)
    assert item["embedding"] == pytest.approx(MOCK_EMBEDDING)


def test_an_unknown_model_is_litellms_bad_request(client, proxy):
    with pytest.raises(BadRequestError, match="Invalid model name") as info:
        client.call("chat.completions.create", {"model": "no-such-model", "messages": MESSAGES})
    assert info.value.error["message"].startswith("/chat/completions: Invalid model name")
    assert proxy.master_key not in info.value.request.headers["authorization"]  # a masked copy


async def test_async_chat_completion_streamed(proxy):
    payload = {"model": CHAT_MODEL, "messages": MESSAGES, "stream": True}
    async with AsyncClient(profile="litellm", api_key=proxy.master_key, base_url=f"{proxy.url}/v1", max_retries=0) as aclient:
        stream = await aclient.call("chat.completions.create", payload)
        contents = [chunk["choices"][0]["delta"].get("content") async for chunk in stream]
    assert contents == [*MOCK_PIECES, None]


def test_litellm_metadata_tags_on_a_chat_completion(client, proxy):
    # A LiteLLM extension the official contract refuses (its Metadata takes string values
    # only); the litellm profile's overlay accepts it, and the proxy answers.
    payload = {"model": CHAT_MODEL, "messages": MESSAGES, "metadata": {"tags": ["oaimap", "litellm"]}}
    answer = client.call("chat.completions.create", payload)
    assert answer["choices"][0]["message"]["content"] == MOCK_TEXT
    with Client(api_key=proxy.master_key, base_url=f"{proxy.url}/v1", max_retries=0) as official:
        with pytest.raises(ValidationError, match=r"\$\.metadata\.tags"):
            official.call("chat.completions.create", payload)