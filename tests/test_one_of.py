"""``oneOf`` means exactly one branch (issue 10), except where the document's branches
overlap by accident; see ``oaimap.validators._one_of`` for the rule. The importer keeps
the document's ``oneOf`` and its body-level rules (``payload_rules``), so these run on
the shipped specs over the loopback server.
"""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from oaimap import ValidationError
from oaimap.specs import Operation, SpecRegistry
from oaimap.validation import violations
from oaimap.validators import PayloadValidator

NOT_BOTH = "give either vector_store_ids or vector_stores, not both"
BOTH = {"vector_store_ids": ["vs_abc123"], "vector_stores": [{"file_ids": ["file-abc123"]}]}


def _rejected(client, server, name, payload) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        client.call(name, payload)
    assert server.requests == [], "an invalid payload must not be sent"
    return info.value


# -- the issue's cases -------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, payload",
    [
        ("beta.assistants.create", {"model": "gpt-4o", "tool_resources": {"file_search": BOTH}}),
        ("beta.threads.create", {"tool_resources": {"file_search": BOTH}}),
    ],
)
def test_both_vector_store_keys_are_rejected(client, server, name, payload):
    error = _rejected(client, server, name, payload)
    assert [str(v) for v in error.violations] == [f"$.tool_resources.file_search: {NOT_BOTH}"]


@pytest.mark.parametrize(
    "file_search",
    [{"vector_store_ids": ["vs_abc123"]}, {"vector_stores": [{"file_ids": ["file-abc123"]}]}],
)
def test_one_vector_store_key_is_sent(client, server, file_search):
    client.call("beta.assistants.create", {"model": "gpt-4o", "tool_resources": {"file_search": file_search}})
    assert len(server.requests) == 1


def test_neither_vector_store_key_names_the_closest_branch(client, server):
    error = _rejected(client, server, "beta.assistants.create", {"model": "gpt-4o", "tool_resources": {"file_search": {}}})
    assert error.paths == ["$.tool_resources.file_search"]
    assert "'vector_store_ids' is a required property" in error.violations[0].message


def test_null_tool_resources_still_pass(client, server):
    client.call("beta.assistants.create", {"model": "gpt-4o", "tool_resources": None})
    assert len(server.requests) == 1


def test_a_file_batch_without_file_ids_or_files_is_rejected(client, server):
    error = _rejected(client, server, "vector_stores.file_batches.create", {"vector_store_id": "vs_abc123"})
    assert error.paths == ["$"]
    assert [str(v) for v in error.violations] == ["$: give file_ids or files"]


@pytest.mark.parametrize("key", ["file_ids", "files"])
def test_a_file_batch_with_either_key_is_sent(client, server, key):
    value = ["file-abc123"] if key == "file_ids" else [{"file_id": "file-abc123"}]
    client.call("vector_stores.file_batches.create", {"vector_store_id": "vs_abc123", key: value})
    assert len(server.requests) == 1


# -- the rule, on small schemas ----------------------------------------------------------
def _op(schema) -> Operation:
    return Operation(
        name="test.one_of", family="test", summary="s", method="POST", path="/t", returns="json",
        params={"body": {"value": schema}}, encoding="json",
    )


def _problems(schema, value) -> list[str]:
    return [str(v) for v in violations(_op(schema), {"value": value})]


ACCIDENTAL = [  # the document's sloppy oneOfs: a value the API takes matches several branches
    ({"oneOf": [{"type": "string"}, {"type": "string", "enum": ["auto"]}]}, "auto"),
    ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, 5),  # chatkit state_variables
    (  # Item's input message next to EasyInputMessage, EvalItem next to {role, content}
        {"oneOf": [
            {"type": "object", "properties": {"role": {"type": "string"}, "content": {"type": "string"}}, "required": ["role", "content"]},
            {"type": "object", "properties": {"role": {"enum": ["user"]}, "content": {}, "type": {"enum": ["message"]}}, "required": ["role", "content"]},
        ]},
        {"role": "user", "content": "hi", "type": "message"},
    ),
    ({"oneOf": [{"type": "object"}, {"type": "object", "required": ["a"]}]}, {"a": 1}),  # a branch needing nothing
]


@pytest.mark.parametrize("schema, value", ACCIDENTAL)
def test_accidental_overlap_is_accepted(schema, value):
    assert _problems(schema, value) == []
    assert not Draft202012Validator(schema).is_valid(value)  # where plain jsonschema differs


def test_exclusive_keys_are_named():
    schema = {"type": "object", "oneOf": [{"required": ["a"]}, {"required": ["b", "c"]}, {"required": ["d"]}]}
    assert _problems(schema, {"a": 1, "b": 2, "c": 3}) == ["$.value: give either a or b and c, not both"]
    assert _problems(schema, {"a": 1, "b": 2, "c": 3, "d": 4}) == ["$.value: give only one of a, b and c or d"]
    assert _problems(schema, {"b": 2, "c": 3, "x": 0}) == []


def test_no_match_is_explained_as_for_any_of():
    branches = [
        {"type": "object", "properties": {"type": {"const": "auto"}}, "required": ["type"]},
        {"type": "object", "properties": {"type": {"const": "static"}, "size": {"type": "integer"}}, "required": ["type", "size"]},
    ]
    for value in ({"type": "static"}, {"type": "other"}, 3, {"type": "static", "size": "big"}):
        assert _problems({"oneOf": branches}, value) == _problems({"anyOf": branches}, value)
    assert _problems({"oneOf": branches}, {"type": "other"}) == [
        "$.value.type: 'other' is not a known type (allowed: auto, static)"
    ]
    assert _problems({"oneOf": branches}, {"type": "static", "size": "big"}) == [
        "$.value.size: matches none of the allowed shapes (closest: 'big' is not of type 'integer')"
    ]


def test_one_of_is_the_payload_validators_own():
    assert PayloadValidator.VALIDATORS["oneOf"] is not Draft202012Validator.VALIDATORS["oneOf"]


# -- every spec example ------------------------------------------------------------------
def _invalid_examples(registry: SpecRegistry) -> list[tuple[str, list[str]]]:
    from test_openapi_examples import with_bytes

    failures = []
    for op in registry.operations():
        request = op.example.get("request")
        if isinstance(request, dict):
            problems = violations(op, with_bytes(op, request))
            if problems:
                failures.append((op.name, [str(p) for p in problems[:3]]))
    return failures


def test_every_spec_example_validates():
    assert _invalid_examples(SpecRegistry.shared()) == []


def test_the_specs_carry_the_documents_one_of():
    from oaimap.specs import default_specs_dir

    assert sum(p.read_text(encoding="utf-8").count("oneOf") for p in default_specs_dir().rglob("*.yaml")) > 100


def test_file_batch_example_gives_file_ids_or_files():
    op = SpecRegistry.shared().get("vector_stores.file_batches.create")
    request = op.example["request"]
    assert ("file_ids" in request) != ("files" in request)
