"""Every Responses operation over real HTTP, by dotted name and by seed alias."""

from __future__ import annotations

import pytest

from oaimap import UsageError
from oaimap.server import Reply

# (name, seed alias, payload, expected method, expected path)
CASES = [
    ("responses.create", "createModelResponse", {"model": "gpt-4.1-mini", "input": "hi"}, "POST", "/v1/responses"),
    ("responses.retrieve", "getModelResponse", {"response_id": "resp_1"}, "GET", "/v1/responses/resp_1"),
    ("responses.delete", "deleteModelResponse", {"response_id": "resp_1"}, "DELETE", "/v1/responses/resp_1"),
    ("responses.cancel", "cancelModelResponse", {"response_id": "resp_1"}, "POST", "/v1/responses/resp_1/cancel"),
    ("responses.compact", "compactModelResponse", {"model": "gpt-4.1-mini", "input": "long chat"}, "POST", "/v1/responses/compact"),
    ("responses.input_items.list", "listInputItems", {"response_id": "resp_1", "limit": 5}, "GET", "/v1/responses/resp_1/input_items"),
    ("responses.input_tokens.count", "countInputTokens", {"model": "gpt-4.1-mini", "input": "hi"}, "POST", "/v1/responses/input_tokens"),
]


@pytest.mark.parametrize("name,alias,payload,method,path", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("use_alias", [False, True], ids=["name", "alias"])
def test_each_operation_on_the_wire(client, server, name, alias, payload, method, path, use_alias):
    result = client.call(alias if use_alias else name, payload)

    sent = server.requests[-1]
    assert (sent.method, sent.path, sent.operation) == (method, path, name)
    op = client.specs.get(name)
    body_keys = {k for k in payload if op.location_of.get(k, "body") == "body"}
    if body_keys:
        assert sent.headers["content-type"] == "application/json"
        assert sent.json() == {k: payload[k] for k in body_keys}
    else:
        assert sent.body == b""
    expected = op.example["response"]
    if op.returns == "page" and use_alias:
        assert result == expected["data"]  # the seed's shape: the first page's list
    else:
        assert result == expected


def test_query_parameters_use_bracket_arrays(client, server):
    include = ["file_search_call.results", "message.output_text.logprobs"]
    client.call("responses.retrieve", {"response_id": "resp_1", "include": include, "stream": False})
    assert server.requests[-1].query == [("include[]", include[0]), ("include[]", include[1]), ("stream", "false")]


def test_unknown_keys_pass_through_to_the_body(client, server):
    client.call("responses.create", {"model": "m", "input": "x", "brand_new_param": {"x": 1}})
    assert server.requests[-1].json()["brand_new_param"] == {"x": 1}


def test_explicit_null_is_sent_absent_is_not(client, server):
    client.call("responses.create", {"model": "m", "input": "x", "instructions": None})
    assert server.requests[-1].json() == {"model": "m", "input": "x", "instructions": None}


def test_streamed_create_yields_events_in_order(client, server):
    events = list(client.call("createModelResponse", {"model": "m", "input": "hi", "stream": True}))
    sent = server.requests[-1]
    assert sent.headers["accept"] == "text/event-stream"
    assert sent.json()["stream"] is True
    assert [e["type"] for e in events] == [e["type"] for e in client.specs.get("responses.create").example["stream"]]
    assert events[-1]["type"] == "response.completed"


def test_streamed_retrieve_resumes_after_a_sequence_number(client, server):
    events = list(client.call("responses.retrieve", {"response_id": "resp_1", "stream": True, "starting_after": 1}))
    assert server.requests[-1].query == [("stream", "true"), ("starting_after", "1")]
    assert events and events[-1]["type"] == "response.completed"


def test_paginate_walks_every_page_with_the_after_cursor(client, server):
    pages = [
        {"object": "list", "data": [{"id": "a"}, {"id": "b"}], "first_id": "a", "last_id": "b", "has_more": True},
        {"object": "list", "data": [{"id": "c"}], "first_id": "c", "last_id": "c", "has_more": True},
        {"object": "list", "data": [{"id": "d"}], "first_id": "d", "last_id": "d", "has_more": False},
    ]
    server.script("responses.input_items.list", *[Reply(json=p) for p in pages])
    items = list(client.paginate("listInputItems", {"response_id": "resp_1", "limit": 2}))
    assert [i["id"] for i in items] == ["a", "b", "c", "d"]
    afters = [dict(r.query).get("after") for r in server.requests]
    assert afters == [None, "b", "c"]
    assert all(dict(r.query)["limit"] == "2" for r in server.requests)


def test_paginate_refuses_operations_without_pages(client):
    with pytest.raises(UsageError, match="responses.create: answers no pages"):
        next(client.paginate("responses.create", {}))


async def test_async_client_calls_streams_and_paginates(aclient, server):
    created = await aclient.call("responses.create", {"model": "m", "input": "hi"})
    assert created["id"] == "resp_demo_1"
    stream = await aclient.call("createModelResponse", {"model": "m", "input": "hi", "stream": True})
    kinds = [event["type"] async for event in stream]
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert stream.response.is_closed
    items = [item async for item in aclient.paginate("responses.input_items.list", {"response_id": "r"})]
    assert items == client_example_items(aclient)
    assert [r.method for r in server.requests] == ["POST", "POST", "GET"]


def client_example_items(c):
    return c.specs.get("responses.input_items.list").example["response"]["data"]


def test_none_query_values_are_dropped_not_rejected(client, server):
    client.call("responses.input_items.list", {"response_id": "r", "limit": None, "order": "asc"})
    assert server.requests[-1].query == [("order", "asc")]


def test_output_is_refused_for_non_binary_answers(client, server, tmp_path):
    with pytest.raises(UsageError, match="output="):
        client.call("responses.retrieve", {"response_id": "r"}, output=tmp_path / "x")
    assert server.requests == []


def test_accept_header_follows_the_answer_kind(client, server):
    client.call("responses.retrieve", {"response_id": "r"})
    client.call("files.content", {"file_id": "file-1"})
    assert [r.headers["accept"] for r in server.requests] == ["application/json", "*/*"]


def test_a_callers_http_client_is_left_open(server):
    import httpx

    from oaimap import Client

    http = httpx.Client()
    with Client(api_key="k", base_url=server.url, http_client=http) as client:
        client.call("responses.retrieve", {"response_id": "r"})
    assert not http.is_closed
    http.close()


def test_extra_body_is_merged_into_the_body_without_validation(server):
    from oaimap import Client

    with Client(api_key="k", base_url=server.url, strict=True) as strict_client:
        strict_client.call("responses.create", {"model": "m", "input": "x"}, extra_body={"brand_new_param": 1})
    assert server.requests[-1].json() == {"model": "m", "input": "x", "brand_new_param": 1}
