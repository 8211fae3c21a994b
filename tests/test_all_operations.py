"""Every operation of the official OpenAPI document is in specs/ exactly once, and each
one round-trips its own example request over real loopback HTTP through Client.call.

YAML cannot hold a file, so an example gives a file name where a ``format: binary``
parameter expects a file; the test sends bytes in its place (see docs/spec-format.md).
"""

from __future__ import annotations

from collections import Counter

import pytest

from codegen.openapi.document import load_document, operations
from oaimap.decode import UploadedFile
from oaimap.specs import SpecRegistry
from oaimap.sse import Stream
from oaimap.schemas import has_file_param

# What the importer owns: operations with the document's operation_id. Operations people
# add by hand (no operation_id) are theirs; these counts and routes do not include them.
OPS = sorted((op for op in SpecRegistry.shared().operations() if op.operation_id), key=lambda op: op.name)
DOCUMENTED_OPERATIONS = 288


def file_keys(op) -> list[str]:
    return [k for k, schema in op.params_in("body").items() if has_file_param(schema)]


def with_file_bytes(op, payload: dict) -> dict:
    out = dict(payload)
    for key in file_keys(op):
        if key in out:
            value = out[key]
            names = value if isinstance(value, list) else [value]
            files = [(str(name), f"bytes of {name}".encode()) for name in names]
            out[key] = files if isinstance(value, list) else files[0]
    return out


def test_every_documented_operation_is_declared_once():
    assert len(OPS) == DOCUMENTED_OPERATIONS
    routes = Counter((op.method, op.path) for op in OPS)
    assert [r for r, n in routes.items() if n > 1] == []
    assert len({op.operation_id for op in OPS}) == DOCUMENTED_OPERATIONS
    names = Counter(n for op in SpecRegistry.shared().operations() for n in (op.name, *op.aliases))
    assert [n for n, c in names.items() if c > 1] == []


def test_specs_cover_exactly_the_reference_routes(reference_document):
    doc = load_document(reference_document)
    documented = {(d.method, d.path): d.operation_id for d in operations(doc)}
    declared = {(op.method, op.path): op.operation_id for op in OPS}
    assert declared == documented


def test_required_python_names_exist():
    names = {op.name for op in OPS}
    for name in (
        "beta.threads.runs.create",
        "beta.threads.create_and_run",
        "vector_stores.file_batches.create",
        "containers.files.content.retrieve",
        "fine_tuning.jobs.checkpoints.list",
        "responses.input_items.list",
        "responses.input_tokens.count",
        "beta.threads.runs.submit_tool_outputs",
    ):
        assert name in names
    beta = [op for op in OPS if op.path.endswith("?beta=true")]
    assert len(beta) == 7
    assert all(op.name.startswith("beta.responses.") and "openai-beta" in op.params_in("header") for op in beta)


def test_fixed_beta_headers():
    for op in OPS:
        # Vector stores as openai-python (and most of the document's examples) send them.
        if op.family in ("assistants", "threads", "messages", "runs", "vector-stores", "vector-store-files",
                         "vector-store-file-batches"):
            assert op.headers == {"OpenAI-Beta": "assistants=v2"}, op.name
        elif op.family == "chatkit":
            assert op.headers == {"OpenAI-Beta": "chatkit_beta=v1"}, op.name
        else:
            assert "OpenAI-Beta" not in op.headers, op.name


def _check_answer(op, result):
    expected = op.example.get("response")
    if op.returns in ("json", "page"):
        assert result == (expected if expected is not None else {})
    elif op.returns == "binary":
        assert isinstance(result, bytes) and result
    elif op.returns == "text":
        assert isinstance(result, str) and result == str(expected or "")
    elif op.returns == "empty":
        assert result is None
    else:  # sse
        assert isinstance(result, Stream)


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
def test_example_request_round_trips(client, server, op):
    request = op.example.get("request")
    assert isinstance(request, dict), "every operation needs an example request"
    payload = with_file_bytes(op, request)
    result = client.call(op.name, payload)

    sent = server.requests[-1]
    assert sent.operation == op.name  # the server routed it to this very operation
    assert sent.method == op.method
    received = dict(sent.payload)
    for key in file_keys(op):
        if key in payload:
            got = received.pop(key)
            got = got if isinstance(got, list) else [got]
            want = payload[key] if isinstance(payload[key], list) else [payload[key]]
            assert all(isinstance(f, UploadedFile) for f in got)
            assert [(f.filename, f.data) for f in got] == want
    assert received == {k: v for k, v in payload.items() if k not in file_keys(op)}
    if isinstance(result, Stream):
        events = list(result)
        assert events, "a stream answered with no events"
    else:
        _check_answer(op, result)


STREAMING = [op for op in OPS if op.stream_param]


@pytest.mark.parametrize("op", STREAMING, ids=[op.name for op in STREAMING])
def test_stream_switch_answers_with_events(client, server, op):
    payload = with_file_bytes(op, {**op.example["request"], op.stream_param: True})
    stream = client.call(op.name, payload)
    assert isinstance(stream, Stream)
    events = list(stream)
    assert server.requests[-1].headers["accept"] == "text/event-stream"
    response = op.example.get("response") or {}
    if op.example.get("stream"):
        assert events == list(op.example["stream"])
    elif isinstance(response, dict) and response.get("object") in ("chat.completion", "text_completion"):
        # streamed as the API streams it: chunks of the answer (tests/test_simulator_streams.py)
        assert len(events) > 1 and all(e["object"] in ("chat.completion.chunk", "text_completion") for e in events)
    else:
        assert events == [response]
    if op.stream_end:
        assert events[-1]["type"] in op.stream_end
