"""A misspelt payload key is caught before anything is sent, with the key it was meant
to be — in strict mode and not; a key that is no near miss (a parameter newer than the
specs) still goes into the body."""

from __future__ import annotations

import pytest

from oaimap import Client, ValidationError
from oaimap.suggest import is_near_miss, near_miss

from conftest import TEST_KEY

CHAT = {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "hi"}]}


@pytest.mark.parametrize("typed, known", [
    ("temprature", "temperature"), ("modle", "model"), ("max_token", "max_tokens"), ("maxTokens", "max_tokens"),
    ("max-output-tokens", "max_output_tokens"), ("instructons", "instructions"), ("resposne_format", "response_format"),
    ("paralel_tool_cals", "parallel_tool_calls"),
])
def test_slips_are_near_misses(typed, known):
    assert is_near_miss(typed, known)


@pytest.mark.parametrize("typed, known", [
    ("top_k", "top_p"), ("speed", "seed"), ("user", "users"), ("n", "m"), ("modality", "modalities"), ("store", "stream"),
])
def test_other_words_are_not(typed, known):
    assert not is_near_miss(typed, known)


def test_a_guess_between_two_is_no_guess():
    assert near_miss("abcdefg", ["abcdefh", "abcdefi"]) is None
    assert near_miss("abcdefg", ["abcdefh", "zzz"]) == "abcdefh"


def test_a_misspelt_optional_key_is_refused_and_nothing_is_sent(client, server):
    with pytest.raises(ValidationError) as caught:
        client.call("chat.completions.create", {**CHAT, "temprature": 0.2})
    assert str(caught.value).splitlines()[1:] == ['  - $.temprature: unknown property; did you mean "temperature"?']
    assert caught.value.operation == "chat.completions.create" and server.requests == []


def test_a_misspelt_required_key_says_which_key_it_was_meant_to_be(client, server):
    with pytest.raises(ValidationError) as caught:
        client.call("chat.completions.create", {"modle": "gpt-4.1-mini", "messages": CHAT["messages"]})
    lines = str(caught.value).splitlines()[1:]
    assert lines == ['  - $.model: required property is missing ("modle" looks like a misspelling of it)',
                     '  - $.modle: unknown property; did you mean "model"?']
    assert server.requests == []


def test_strict_mode_says_did_you_mean_too(server):
    with Client(api_key=TEST_KEY, base_url=server.url, strict=True) as client, pytest.raises(ValidationError) as caught:
        client.call("responses.create", {"model": "m", "input": "x", "max_output_tokns": 5, "brand_new": 1})
    assert [str(v) for v in caught.value.violations] == [
        "$.brand_new: unknown property (strict mode)", '$.max_output_tokns: unknown property; did you mean "max_output_tokens"?']


def test_a_new_parameter_still_goes_into_the_body(client, server):
    client.call("chat.completions.create", {**CHAT, "top_k": 40, "speed": 2})
    assert server.requests[-1].json()["top_k"] == 40 and server.requests[-1].json()["speed"] == 2


def test_extra_body_is_the_escape_hatch(client, server):
    client.call("chat.completions.create", CHAT, extra_body={"temprature": 1})
    assert server.requests[-1].json()["temprature"] == 1


def test_off_checks_nothing(client, server):
    client.call("chat.completions.create", {**CHAT, "temprature": 1}, validation="off")
    assert server.requests[-1].json()["temprature"] == 1
