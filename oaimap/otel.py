"""OpenTelemetry spans for a client's calls (extra ``oaimap[otel]``).

    from oaimap.otel import instrument
    instrument(client)                         # the global tracer provider
    instrument(client, tracer_provider=provider)

One CLIENT span per call, named and described by the OpenTelemetry GenAI semantic
conventions (``chat gpt-4.1-mini``; ``gen_ai.operation.name``, ``gen_ai.request.model``,
``gen_ai.response.id``, ``gen_ai.usage.input_tokens`` / ``output_tokens``, the server's
address), an error recorded on it; no payload content is recorded. Built on the client's
hooks (``client.on``): nothing is imported or done for a client not instrumented. A
stream's span ends when the stream opens (its answer's headers are in).
"""

from __future__ import annotations

import contextvars
from typing import Any
from urllib.parse import urlsplit

from opentelemetry import context, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from . import __version__
from .usage import input_output

# oaimap operation -> gen_ai.operation.name (the conventions' well-known values)
GENAI_OPERATIONS = {
    "chat.completions.create": "chat",
    "responses.create": "generate_content",
    "completions.create": "text_completion",
    "embeddings.create": "embeddings",
}
_OPEN: contextvars.ContextVar[tuple[tuple[Any, Any], ...]] = contextvars.ContextVar("oaimap_otel_spans", default=())


def instrument(client: Any, tracer_provider: Any = None) -> Any:
    """Trace every call of ``client`` (a Client or AsyncClient); returns the client."""
    tracer = trace.get_tracer("oaimap", __version__, tracer_provider=tracer_provider)
    base = urlsplit(client.host.base_url)
    provider = client.profile.name if client.profile is not None else "openai"
    server = {"server.address": base.hostname or "", "server.port": base.port or (443 if base.scheme == "https" else 80)}

    def before_call(operation: str, payload: Any, **_: Any) -> None:
        model = payload.get("model") if isinstance(payload, dict) and isinstance(payload.get("model"), str) else None
        kind = GENAI_OPERATIONS.get(operation, operation)
        attributes: dict[str, Any] = {"gen_ai.operation.name": kind, "gen_ai.provider.name": provider, **server}
        if model:
            attributes["gen_ai.request.model"] = model
        span = tracer.start_span(f"{kind} {model}" if model else kind, kind=SpanKind.CLIENT, attributes=attributes)
        token = context.attach(trace.set_span_in_context(span))
        _OPEN.set((*_OPEN.get(), (span, token)))

    def after_call(meta: Any, result: Any, error: BaseException | None, **_: Any) -> None:
        stack = _OPEN.get()
        if not stack:
            return
        (span, token), rest = stack[-1], stack[:-1]
        _OPEN.set(rest)
        context.detach(token)
        if meta is not None:
            span.set_attribute("http.response.status_code", meta.status)
            if meta.request_id:
                span.set_attribute("openai.request.id", meta.request_id)
        if isinstance(result, dict):
            _answer_attributes(span, result)
        if error is not None:
            span.record_exception(error)
            span.set_attribute("error.type", type(error).__name__)
            span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        span.end()

    client.on("before_call", before_call)
    client.on("after_call", after_call)
    return client


def _answer_attributes(span: Any, answer: dict[str, Any]) -> None:
    if isinstance(answer.get("id"), str):
        span.set_attribute("gen_ai.response.id", answer["id"])
    if isinstance(answer.get("model"), str):
        span.set_attribute("gen_ai.response.model", answer["model"])
    usage = answer.get("usage")
    if isinstance(usage, dict):
        for name, value in zip(("input_tokens", "output_tokens"), input_output(usage)):
            if value is not None:
                span.set_attribute(f"gen_ai.usage.{name}", value)
