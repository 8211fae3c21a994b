"""oaimap.paramdoc: the facts about each parameter that the docs site, ``oaimap describe``
and the stubs share, read from the real specs (and one made-up family for descriptions)."""

from __future__ import annotations

import json

import pytest

from oaimap import paramdoc
from oaimap.specs import SpecRegistry, parse_family


@pytest.fixture(scope="module")
def registry() -> SpecRegistry:
    return SpecRegistry.shared()


def by_name(op, key: str) -> paramdoc.ParamFacts:
    return next(p for p in paramdoc.params(op) if p.name == key)


def test_a_nullable_ranged_number_shows_its_branch_range_and_default(registry):
    op = registry.get("chat.completions.create")
    for key, top in (("temperature", 2), ("top_p", 1)):
        facts = by_name(op, key)
        assert facts.type == "number | null" and facts.nullable and not facts.required
        assert dict(facts.bounds) == {"minimum": 0, "maximum": top}  # from the anyOf's number branch
        assert facts.default == 1 and facts.has_default
        assert facts.fact_texts() == ["default 1", f"min 0, max {top}"]


def test_64_bit_bounds_print_as_exact_integers(registry):
    seed = by_name(registry.get("chat.completions.create"), "seed")
    assert seed.type == "integer | null"
    assert seed.fact_texts() == ["min -9223372036854775808, max 9223372036854775807"]
    text = paramdoc.describe_text(registry.get("chat.completions.create"))
    assert "9223372036854775807" in text and "9223372036854776000" not in text and "e+18" not in text
    assert paramdoc.plain_number(9.223372036854776e18) == 2**63 - 1
    assert paramdoc.plain_number(-9223372036854776000) == -(2**63)
    assert paramdoc.value_text([2.0, 0.5, True]) == "[2, 0.5, true]"


def test_an_enum_with_a_default(registry):
    order = by_name(registry.get("chat.completions.list"), "order")
    assert order.location == "query" and order.enum == ("asc", "desc") and not order.open_enum
    assert order.default == "asc"
    assert order.fact_texts() == ['one of "asc", "desc"', 'default "asc"']


def test_a_ref_names_its_shapes_and_where_they_live(registry):
    messages = by_name(registry.get("chat.completions.create"), "messages")
    assert messages.required and messages.type == "array of object"
    names = [s.name for s in messages.shapes]
    assert "ChatCompletionRequestUserMessage" in names and "ChatCompletionRequestToolMessage" in names
    user = next(s for s in messages.shapes if s.name == "ChatCompletionRequestUserMessage")
    assert user.home is not None and user.home.name == "chat.yaml" and user.home.parent.name == "_schemas"
    assert dict(messages.bounds) == {"minItems": 1}


def test_the_description_is_the_family_files_own_never_a_shared_schemas(tmp_path):
    (tmp_path / "_schemas").mkdir()
    (tmp_path / "_schemas" / "things.yaml").write_text(
        "Size: {type: integer, minimum: 1, description: prose from a shared file}\n"
        "Thing: {type: object, required: [size], properties: {size: {$ref: '#/Size'}, label: {type: string}}}\n"
    )
    source = tmp_path / "things.yaml"
    raw = {
        "family": "things", "title": "Things", "summary": "Made up.",
        "operations": [{
            "name": "things.create", "summary": "Make one.", "method": "POST", "path": "/things", "returns": "json",
            "params": {"body": {
                "size": {"$ref": "_schemas/things.yaml#/Size", "description": "How big, in our words."},
                "plain": {"$ref": "_schemas/things.yaml#/Size"},
                "thing": {"$ref": "_schemas/things.yaml#/Thing"},
            }},
        }],
    }
    op = parse_family(source, raw)[0]
    facts = {p.name: p for p in paramdoc.params(op)}
    assert facts["size"].description == "How big, in our words." and dict(facts["size"].bounds) == {"minimum": 1}
    assert facts["plain"].description is None  # the shared file's prose is never read
    assert [s.name for s in facts["thing"].shapes] == ["Thing"]
    members = paramdoc.members(paramdoc.Resolver(), {"$ref": "_schemas/things.yaml#/Thing"}, source)
    assert [(m.name, m.type, m.required, m.description) for m in members] == [
        ("size", "integer", True, None),
        ("label", "string", False, None),
    ]


def test_describe_text_reads_like_a_help_page(registry):
    op = registry.get("createChatCompletion")
    text = paramdoc.describe_text(op)
    lines = text.splitlines()
    assert lines[0] == "chat.completions.create"
    assert "  aliases: createChatCompletion" in lines and "  POST /chat/completions" in lines
    assert f"  {op.summary}" in lines
    assert any(line.startswith("  returns a JSON object; with stream=true, an event stream") for line in lines)
    # required keys first, each with its type, required/optional and facts; then its description
    params = lines[lines.index("Parameters:") + 1 : lines.index("Example request:") - 1]
    heads = [line.split("  ")[1] for line in params if not line.startswith("      ")]
    assert heads[:2] == ["messages", "model"] and heads[2:] == sorted(heads[2:])
    assert "  temperature  number | null  optional  [default 1; min 0, max 2]" in lines
    messages = next(i for i, line in enumerate(lines) if line.startswith("  messages  array of object  required"))
    assert "shape" in lines[messages] and "ChatCompletionRequestUserMessage" in lines[messages]
    assert lines[messages + 1] == "      " + by_name(op, "messages").description
    example = "\n".join(lines[lines.index("Example request:") + 1 :])
    assert json.loads(example) == dict(op.example["request"])


def test_describe_text_of_a_query_operation_marks_where_keys_travel(registry):
    text = paramdoc.describe_text(registry.get("listChatCompletions"))
    assert "  GET /chat/completions" in text and "returns one page of a list" in text
    assert '  order  string  optional  (query)  [one of "asc", "desc"; default "asc"]' in text
    assert "Example request:" not in text  # its example request is empty
