"""``oaimap.otel.instrument``: one span per call by the OpenTelemetry GenAI semantic
conventions, checked with the SDK's in-memory exporter over the real loopback server."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("opentelemetry.sdk", reason="the otel extra's SDK is not installed")

from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402
from opentelemetry.trace import SpanKind, StatusCode  # noqa: E402

from oaimap import AsyncClient, Client, NotFoundError  # noqa: E402
from oaimap.otel import instrument  # noqa: E402
from oaimap.server import Reply  # noqa: E402

from conftest import TEST_KEY  # noqa: E402

ANSWER = {"id": "chatcmpl-9", "object": "chat.completion", "created": 1, "model": "gpt-4o-2024-08-06", "choices": [],
          "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}}


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def test_a_chat_call_is_one_genai_span(server, spans):
    provider, exporter = spans
    server.script("chat.completions.create", Reply(json=ANSWER, headers={"x-request-id": "req_7"}))
    with instrument(Client(api_key=TEST_KEY, base_url=server.url, max_retries=0), tracer_provider=provider) as client:
        client.call("chat.completions.create", {"model": "gpt-4o", "messages": [{"role": "user", "content": "secret words"}]})
    (span,) = exporter.get_finished_spans()
    assert span.name == "chat gpt-4o" and span.kind == SpanKind.CLIENT
    attributes = dict(span.attributes)
    assert attributes == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o",
        "server.address": "127.0.0.1",
        "server.port": int(server.url.split(":")[2].split("/")[0]),
        "http.response.status_code": 200,
        "openai.request.id": "req_7",
        "gen_ai.response.id": "chatcmpl-9",
        "gen_ai.response.model": "gpt-4o-2024-08-06",
        "gen_ai.usage.input_tokens": 12,
        "gen_ai.usage.output_tokens": 5,
    }
    assert "secret words" not in str(attributes)  # no payload content


def test_an_error_is_recorded(server, spans):
    provider, exporter = spans
    server.script("models.retrieve", Reply(status=404, json={"error": {"message": "no such model"}}))
    client = instrument(Client(api_key=TEST_KEY, base_url=server.url, max_retries=0), tracer_provider=provider)
    with pytest.raises(NotFoundError):
        client.call("models.retrieve", {"model": "m"})
    (span,) = exporter.get_finished_spans()
    assert span.name == "models.retrieve m" and span.status.status_code == StatusCode.ERROR
    assert span.attributes["error.type"] == "NotFoundError" and span.events[0].name == "exception"


async def test_async_calls_and_streams(server, spans):
    provider, exporter = spans
    async with AsyncClient(api_key=TEST_KEY, base_url=server.url, max_retries=0) as client:
        instrument(client, tracer_provider=provider)
        await client.call("embeddings.create", {"model": "text-embedding-3-small", "input": "x"})
        stream = await client.call("responses.create", {"model": "gpt-4.1-mini", "input": "hi", "stream": True})
        async for _ in stream:
            pass
    names = [s.name for s in exporter.get_finished_spans()]
    assert names == ["embeddings text-embedding-3-small", "generate_content gpt-4.1-mini"]


def test_no_import_cost_when_unused():
    code = "import sys, oaimap; from oaimap import Client; Client(api_key='k'); print('opentelemetry' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"
