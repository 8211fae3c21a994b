"""Validation depth against the official document, in both directions.

* Every example request the document gives (its curl commands: the JSON after ``-d``,
  the ``-F`` form fields, the URL's path and query) validates against its operation.
* Wrong top-level types, values outside an enum and missing required keys are caught,
  for every parameter of every operation where the document constrains them.
"""

from __future__ import annotations

import time

import pytest

from codegen.openapi import schemas
from codegen.openapi.convert import convert_operation
from codegen.openapi.document import load_document, operations
from codegen.openapi.examples import example_payloads
from codegen.openapi.refs import resolve
from oaimap.specs import SpecRegistry
from oaimap.schemas import has_file_param
from oaimap.validation import violations
from oaimap.validators import compiled_validator

# Examples of the document that cannot be checked, each for a reason in the document itself.
UNPARSEABLE = {
    ("createEvalRun", 0): "the -d body is not JSON (a missing comma)",  # trailing commas are fine
    ("createFineTuningJob", 5): "the -d body is not JSON",
    ("searchVectorStore", 0): 'the -d body holds a "{...}" placeholder',
    ("createVectorStoreFileBatch", 0): "unbalanced quotes in the curl command",
    ("cancelEvalRun", 0): "the URL is another route (/cancel suffix)",
    ("cancelVectorStoreFileBatch", 0): "the URL misspells file_batches",
    ("listFilesInVectorStoreBatch", 0): "the URL misspells file_batches",
}
# Valid, but with a top-level key the request schema does not declare (strict mode).
UNDECLARED = {
    ("create-realtime-session", 0): "model is not a property of the request schema",
}
# Parsed, but they contradict the document's own schema: the example is stale.
CONTRADICTING = {
    ("CreateChatSessionMethod", 0): "expires_after given as a number and no user (the schema wants an object and a user)",
}


@pytest.fixture
def doc(reference_document):  # parsed once per process (load_document caches it)
    return load_document(reference_document)


@pytest.fixture(scope="module")
def ops():
    return {op.operation_id: op for op in SpecRegistry.shared().operations() if op.operation_id}


def with_bytes(op, payload: dict) -> dict:
    """File fields of an example name a file; send bytes instead (YAML holds no files)."""
    out = dict(payload)
    for key, schema in op.params_in("body").items():
        if key in out and has_file_param(schema):
            value = out[key]
            out[key] = [b"data" for _ in value] if isinstance(value, list) else b"data"
    return out


def all_examples(doc):
    for dop in operations(doc):
        parsed = dict(example_payloads(doc, dop))
        for index, example in enumerate(dop.examples()):
            request = example.get("request")
            if isinstance(request, dict) and isinstance(request.get("curl"), str):
                yield dop, index, parsed.get(index)


def test_every_documented_example_request_validates(doc, ops):
    checked, failures, skipped = 0, [], set()
    for dop, index, payload in all_examples(doc):
        key = (dop.operation_id, index)
        if payload is None:
            skipped.add(key)
            continue
        op = ops[dop.operation_id]
        problems = violations(op, with_bytes(op, payload))
        if key in CONTRADICTING:
            assert problems, f"{key} validates now: drop it from CONTRADICTING"
            continue
        checked += 1
        if problems:
            failures.append((op.name, index, [str(p) for p in problems[:3]]))
    assert failures == []
    assert skipped == set(UNPARSEABLE)
    assert checked == 302  # 303 parseable curl examples in the reference, one of them stale


def test_documented_examples_have_no_undeclared_keys_in_strict_mode(doc, ops):
    # Strict mode rejects undeclared keys at every depth; the examples use none but two.
    failures = []
    for dop, index, payload in all_examples(doc):
        if payload is None or (dop.operation_id, index) in CONTRADICTING:
            continue
        op = ops[dop.operation_id]
        problems = violations(op, with_bytes(op, payload), strict=True)
        if problems:
            failures.append((dop.operation_id, index))
    assert set(failures) == set(UNDECLARED)


# -- the other direction: bad payloads are caught ------------------------------------------
_SAMPLES = {
    "string": "not-what-was-asked",
    "integer": 123456,
    "number": 0.5,
    "boolean": True,
    "array": ["x"],
    "object": {"x": 1},
    "null": None,
}


def _wrong_value(kinds: set[str]):
    """A value of a JSON type the parameter does not accept (None when it accepts all)."""
    for kind in ("object", "array", "boolean", "string", "integer"):
        if kind in kinds or (kind == "integer" and "number" in kinds):
            continue
        return _SAMPLES[kind]
    return None


def _base_payload(op) -> dict:
    return with_bytes(op, dict(op.example.get("request") or {}))


def test_wrong_top_level_types_are_caught(doc, ops):
    checked = 0
    missed = []
    for dop in operations(doc):
        op = ops[dop.operation_id]
        structure = convert_operation(doc, dop)
        for where, params in structure["params"].items():
            for key, schema in params.items():
                if where == "path" or has_file_param(schema):
                    continue
                kinds = schemas.kinds(doc, schema)
                if not kinds:
                    continue
                wrong = _wrong_value(kinds)
                if wrong is None:
                    continue
                payload = {**_base_payload(op), key: wrong}
                checked += 1
                if not any(p.path == f"$.{key}" or p.path.startswith(f"$.{key}.") or p.path.startswith(f"$.{key}[") for p in violations(op, payload)):
                    missed.append((op.name, key, wrong))
    assert missed == []
    assert checked > 800


def _plain_enum(doc, schema) -> list | None:
    """The values of a parameter that is exactly an enum (possibly nullable), else None."""
    schema = resolve(doc, schema)
    if not isinstance(schema, dict):
        return None
    if "enum" in schema:
        return schema["enum"]
    options = schema.get("anyOf") or schema.get("oneOf") or []
    enums = [resolve(doc, o) for o in options]
    values: list = []
    for option in enums:
        if not isinstance(option, dict):
            return None
        if "enum" in option:
            values += option["enum"]
        elif option.get("type") != "null":
            return None  # an open alternative (any string, an object...): not a closed enum
    return values or None


def test_values_outside_an_enum_are_caught(doc, ops):
    checked, missed = 0, []
    for dop in operations(doc):
        op = ops[dop.operation_id]
        for where, params in convert_operation(doc, dop)["params"].items():
            for key, schema in params.items():
                values = _plain_enum(doc, schema)
                if not values or not all(isinstance(v, str) or v is None for v in values):
                    continue
                payload = {**_base_payload(op), key: "no-such-value-xyz"}
                checked += 1
                if not any(p.path == f"$.{key}" for p in violations(op, payload)):
                    missed.append((op.name, key))
    assert missed == []
    assert checked > 50


def test_missing_required_keys_are_caught(ops):
    checked = 0
    for op in ops.values():
        payload = _base_payload(op)
        for key in [*op.params_in("path"), *op.required]:
            broken = {k: v for k, v in payload.items() if k != key}
            problems = violations(op, broken)
            assert any(p.path == f"$.{key}" and "required" in p.message for p in problems), (op.name, key)
            checked += 1
    assert checked > 300


def test_nested_shapes_are_checked_too(ops):
    create = ops["createResponse"]
    assert violations(create, {"model": "gpt-4.1", "input": 42})
    bad_item = {"model": "gpt-4.1", "input": [{"type": "message", "role": "robot", "content": "hi"}]}
    assert violations(create, bad_item)
    good_item = {"model": "gpt-4.1", "input": [{"type": "message", "role": "user", "content": "hi"}]}
    assert violations(create, good_item) == []
    chat = ops["createChatCompletion"]
    assert [p.path for p in violations(chat, {"messages": [{"role": "user", "content": "x"}]})] == ["$.model"]
    assert [p.path for p in violations(chat, {"model": "m", "messages": []})] == ["$.messages"]  # minItems 1
    assert violations(chat, {"model": "m", "messages": [{"role": "user", "content": "x"}], "service_tier": "nope"})


def test_nested_unknown_keys_pass_unless_strict(ops):
    # The document closes some nested objects (additionalProperties: false); only strict
    # mode enforces that, as it alone rejects undeclared top-level keys.
    attach = ops["createVectorStoreFile"]
    payload = {"vector_store_id": "vs_1", "file_id": "file-1", "chunking_strategy": {"type": "auto", "extra": 1}}
    assert violations(attach, payload) == []
    assert [p.path for p in violations(attach, payload, strict=True)] == ["$.chunking_strategy"]
    assert violations(attach, {**payload, "chunking_strategy": {"type": "auto"}}, strict=True) == []


def test_validators_are_compiled_once_and_fast(ops):
    everything = list(ops.values())
    for op in everything:  # warm: compile and load the shared schema files
        violations(op, _base_payload(op))
    assert all(compiled_validator(op, False) is compiled_validator(op, False) for op in everything)
    payloads = [(op, _base_payload(op)) for op in everything]
    start = time.perf_counter()
    for op, payload in payloads:
        violations(op, payload)
    elapsed = time.perf_counter() - start
    assert elapsed / len(payloads) < 0.005  # well under 5 ms per operation (about 0.1 ms here)
