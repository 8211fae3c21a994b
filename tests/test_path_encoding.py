"""Hostile ids can never change the route."""

from __future__ import annotations

import pytest

from oaimap import ValidationError

HOSTILE = ["a/b", "../admin", "x?stream=true", "frag#ment", "50%", "%2F", "sp ace", "ünï", "a/../../b", "{x}"]


@pytest.mark.parametrize("rid", HOSTILE)
def test_hostile_ids_stay_inside_one_segment(client, server, rid):
    client.call("responses.cancel", {"response_id": rid})
    sent = server.requests[-1]
    assert sent.operation == "responses.cancel"
    assert sent.path.startswith("/v1/responses/") and sent.path.endswith("/cancel")
    assert sent.path.count("/") == 4  # /v1/responses/<one segment>/cancel
    assert sent.query == []
    assert sent.payload["response_id"] == rid  # the server decodes exactly what was meant


@pytest.mark.parametrize("rid", [".", "..", ""])
def test_dot_segments_and_empty_ids_are_refused(client, server, rid):
    with pytest.raises(ValidationError) as info:
        client.call("responses.delete", {"response_id": rid})
    assert info.value.paths == ["$.response_id"]
    assert server.requests == []
