"""Validation messages for unions (issue 9): the branch is picked by its tag, whatever
the tag's name (role, type...), and by the instance's JSON type (a nullable field reports
its non-null branch). Paths and messages are exact; allowed values come from the spec.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from oaimap.errors import ValidationError
from oaimap.specs import SpecRegistry, read_yaml
from oaimap.validation import violations

SPECS = Path(__file__).resolve().parents[1] / "specs"
MESSAGE = {"role": "user", "content": "hi"}


def op(name: str):
    return SpecRegistry.shared().get(name)


def problems(name: str, payload: dict[str, Any]) -> list[tuple[str, str]]:
    return [(v.path, v.message) for v in violations(op(name), payload)]


def schema(ref: str) -> dict[str, Any]:
    """The schema a ``file.yaml#/Name`` reference of specs/_schemas names."""
    file, name = ref.split("#/")
    return read_yaml(SPECS / "_schemas" / file)[name]


def tags(union: str, key: str) -> list[str]:
    """The values of ``key`` the branches of a union in specs/_schemas allow, in order."""
    file = union.split("#/")[0]
    values: list[str] = []
    union_schema = schema(union)
    for branch in union_schema.get("anyOf") or union_schema["oneOf"]:
        ref = branch["$ref"]
        target = schema(ref if not ref.startswith("#") else file + ref)
        values += [v for v in target["properties"][key]["enum"] if v not in values]
    return values


def allowed(values: list[str]) -> str:
    return ", ".join(values)


# ---------------------------------------------------------------- a tag other than `type`
def test_an_unknown_role_lists_the_known_roles():
    roles = tags("chat.yaml#/ChatCompletionRequestMessage", "role")
    assert roles == ["developer", "system", "user", "assistant", "tool", "function"]
    assert problems("createChatCompletion", {"model": "m", "messages": [{"role": "usr", "content": "hi"}]}) == [
        ("$.messages[0].role", f"'usr' is not a known role (allowed: {allowed(roles)})")
    ]


def test_the_client_raises_it_before_sending(client, server):
    with pytest.raises(ValidationError) as info:
        client.call("chat.completions.create", {"model": "m", "messages": [{"role": "usr", "content": "hi"}]})
    assert info.value.paths == ["$.messages[0].role"]
    assert "'usr' is not a known role (allowed: developer, system, user" in str(info.value)
    assert server.requests == []


def test_a_missing_role_lists_the_known_roles():
    roles = tags("chat.yaml#/ChatCompletionRequestMessage", "role")
    assert problems("createChatCompletion", {"model": "m", "messages": [{"content": "hi"}]}) == [
        ("$.messages[0].role", f"required property is missing (allowed: {allowed(roles)})")
    ]


def test_a_matched_role_reports_its_own_branch():
    required = schema("chat.yaml#/ChatCompletionRequestToolMessage")["required"]
    assert "tool_call_id" in required
    assert problems("createChatCompletion", {"model": "m", "messages": [{"role": "tool", "content": "x"}]}) == [
        ("$.messages[0]", "matches none of the allowed shapes (closest: 'tool_call_id' is a required property)")
    ]


def test_responses_message_roles():
    roles = schema("common.yaml#/EasyInputMessage")["properties"]["role"]["enum"]
    expected = [("$.input[0].role", f"'robot' is not a known role (allowed: {allowed(roles)})")]
    with_type = {"type": "message", "role": "robot", "content": "hi"}
    assert problems("createModelResponse", {"model": "m", "input": [with_type]}) == expected
    # without its optional `type` tag the item is still read as a message
    assert problems("createModelResponse", {"model": "m", "input": [{"role": "robot", "content": "hi"}]}) == expected


# ---------------------------------------------------------------- `type` tags
def test_an_unknown_input_item_type():
    ((path, message),) = problems("createModelResponse", {"model": "m", "input": [{"type": "mesage", **MESSAGE}]})
    assert path == "$.input[0].type"
    assert message.startswith("'mesage' is not a known type (allowed: message, file_search_call, computer_call, ")
    assert len(message) <= 300


def test_an_unknown_tool_type():
    types = [
        *schema("common.yaml#/ChatCompletionTool")["properties"]["type"]["enum"],
        *schema("chat.yaml#/CustomToolChatCompletions")["properties"]["type"]["enum"],
    ]
    payload = {"model": "m", "messages": [MESSAGE], "tools": [{"type": "funktion", "function": {"name": "f"}}]}
    assert problems("createChatCompletion", payload) == [
        ("$.tools[0].type", f"'funktion' is not a known type (allowed: {allowed(types)})")
    ]
    ((path, message),) = problems("createModelResponse", {"model": "m", "tools": [{"type": "nonsense"}]})
    assert path == "$.tools[0].type"
    assert message.startswith("'nonsense' is not a known type (allowed: function, file_search, ")


def test_nested_unions_each_pick_their_branch():
    parts = tags("chat.yaml#/ChatCompletionRequestUserMessageContentPart", "type")
    bad_tag = {"model": "m", "messages": [{"role": "user", "content": [{"type": "txt", "text": "a"}]}]}
    assert problems("createChatCompletion", bad_tag) == [
        ("$.messages[0].content[0].type", f"'txt' is not a known type (allowed: {allowed(parts)})")
    ]
    bad_field = {"model": "m", "messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}]}
    assert problems("createChatCompletion", bad_field) == [
        ("$.messages[0].content[0].text", "matches none of the allowed shapes (closest: 5 is not of type 'string')")
    ]
    item = {"type": "message", "role": "user", "content": [{"type": "input_txt", "text": "a"}]}
    assert problems("createModelResponse", {"model": "m", "input": [item]}) == [
        ("$.input[0].content[0].type", "'input_txt' is not a known type (allowed: input_text, input_image, input_file)")
    ]


# ---------------------------------------------------------------- the instance's JSON type
@pytest.mark.parametrize("name", ["createChatCompletion", "createModelResponse"])
def test_a_nullable_number_reports_its_number_branch(name):
    number = next(b for b in op(name).params_in("body")["temperature"]["anyOf"] if b.get("type") == "number")
    payload = {"model": "m", "messages": [MESSAGE], "input": "hi", "temperature": 3}
    payload.pop("messages" if name == "createModelResponse" else "input")
    assert problems(name, payload) == [("$.temperature", f"3 is greater than the maximum of {number['maximum']}")]


def test_a_nullable_enum_reports_its_enum_branch():
    efforts = schema("common.yaml#/ReasoningEffort")["anyOf"][0]["enum"]
    assert problems("createChatCompletion", {"model": "m", "messages": [MESSAGE], "reasoning_effort": "huge"}) == [
        ("$.reasoning_effort", f"'huge' is not one of {efforts!r}")
    ]
    # a nullable object holding a nullable enum
    assert problems("createModelResponse", {"model": "m", "reasoning": {"effort": "huge"}}) == [
        ("$.reasoning.effort", f"'huge' is not one of {efforts!r}")
    ]


def test_no_branch_of_the_instance_type_lists_the_types():
    assert problems("createModelResponse", {"model": "m", "input": 5}) == [
        ("$.input", "5 is not of type 'string', 'array'")
    ]
    assert problems("createChatCompletion", {"model": "m", "messages": [{"role": "user", "content": 5}]}) == [
        ("$.messages[0].content", "5 is not of type 'string', 'array'")
    ]


def test_the_fixed_payloads_validate():
    # messages change, not what is accepted: each case above passes once corrected
    assert problems("createChatCompletion", {"model": "m", "messages": [MESSAGE], "temperature": 2}) == []
    assert problems("createChatCompletion", {"model": "m", "messages": [MESSAGE], "reasoning_effort": None}) == []
    assert problems("createModelResponse", {"model": "m", "input": [{"role": "user", "content": "hi"}]}) == []
    assert problems("createModelResponse", {"model": "m", "input": [{"type": "message", **MESSAGE}], "temperature": None}) == []
