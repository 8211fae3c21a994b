"""Bad payloads fail with the operation and every JSON path, and nothing is sent."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oaimap import Client, ValidationError


def _rejected(client, server, name, payload) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        client.call(name, payload)
    assert server.requests == [], "an invalid payload must not be sent"
    assert info.value.operation == client.specs.get(name).name
    assert client.specs.get(name).name in str(info.value)
    return info.value


def test_missing_required_field(client, server):
    error = _rejected(client, server, "responses.compact", {"input": "x"})
    assert "$.model" in error.paths


def test_missing_path_parameter(client, server):
    error = _rejected(client, server, "getModelResponse", {})
    assert error.paths == ["$.response_id"]


def test_wrong_type(client, server):
    error = _rejected(client, server, "responses.retrieve", {"response_id": "r", "starting_after": "three"})
    assert error.paths == ["$.starting_after"]


def test_bad_enum_value(client, server):
    error = _rejected(client, server, "listInputItems", {"response_id": "r", "order": "sideways"})
    assert error.paths == ["$.order"]


def test_every_problem_is_reported_at_once(client, server):
    error = _rejected(
        client, server, "responses.input_items.list", {"order": "up", "limit": "ten", "after": 5}
    )
    assert set(error.paths) == {"$.response_id", "$.order", "$.limit", "$.after"}


def test_payload_must_be_an_object(client, server):
    error = _rejected(client, server, "responses.create", ["not", "a", "dict"])
    assert error.paths == ["$"]


def test_strict_mode_rejects_unknown_keys(server):
    with Client(api_key="k", base_url=server.url, strict=True) as client:
        error = _rejected(client, server, "responses.delete", {"response_id": "r", "surprise": 1})
    assert error.paths == ["$.surprise"]


def test_unknown_operation_suggests_close_names(client, server):
    from oaimap import UnknownOperationError

    with pytest.raises(UnknownOperationError) as info:
        client.call("responses.craete", {})
    assert "responses.create" in info.value.suggestions
    with pytest.raises(UnknownOperationError) as info:
        client.call("input_tokens")
    assert "responses.input_tokens.count" in info.value.suggestions
    assert server.requests == []


def test_unknown_call_option_is_a_usage_error_naming_the_operation(client, server):
    from oaimap import OaimapError, UsageError

    assert issubclass(UsageError, OaimapError) and issubclass(UsageError, TypeError)  # what TypeError caught still is
    with pytest.raises(UsageError, match=r"^responses\.delete: unknown call option"):
        client.call("responses.delete", {"response_id": "r"}, timout=3)
    assert server.requests == []


NOT_INTEGERS = st.one_of(
    st.text(max_size=5),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer()),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@settings(max_examples=60, deadline=None)
@given(NOT_INTEGERS)
def test_anything_but_an_integer_limit_is_rejected_before_sending(value):
    client = Client(api_key="k", base_url="http://127.0.0.1:9/v1", max_retries=0)  # never reached
    with pytest.raises(ValidationError) as info:
        client.call("listInputItems", {"response_id": "r", "limit": value})
    assert info.value.paths == ["$.limit"]


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1).filter(lambda s: s not in (".", "..")))
def test_any_non_dot_id_is_a_valid_path_parameter(value):
    from oaimap.specs import SpecRegistry
    from oaimap.validation import violations

    assert violations(SpecRegistry.shared().get("getModelResponse"), {"response_id": value}) == []
