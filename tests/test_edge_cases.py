"""Edge cases found by mutation testing: each test here failed a deliberately broken copy
of the runtime that the rest of the suite let pass (the `kills` comments name the
mutation: W = wire.py, F = forms.py, R = retries.py, S = sse.py, V = validation.py,
H = host.py, C = client.py, P = specs.py, E = errors.py, PL / U = polling helpers)."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest

from oaimap import (
    BadRequestError,
    Client,
    ConfigurationError,
    ConflictError,
    StreamError,
    ValidationError,
)
from oaimap.server import Reply

CREATE = {"model": "m", "input": "hi"}
FAST = {"retry-after-ms": "1"}


# ---------------------------------------------------------------- wire.py
def test_list_header_values_travel_comma_joined(client, server):  # kills W3
    value = ["responses_multi_agent=v1", "responses_multi_agent=v1"]
    client.call("beta.responses.retrieve", {"response_id": "r", "openai-beta": value})
    sent = server.requests[-1]
    assert sent.headers["openai-beta"] == "responses_multi_agent=v1,responses_multi_agent=v1"
    assert sent.payload["openai-beta"] == value


def test_a_caller_idempotency_key_is_sent_on_every_attempt(server):  # kills W7
    server.script("responses.create", Reply(503, json={}, headers=FAST))
    with Client(api_key="k", base_url=server.url, max_retries=1) as client:
        client.call("responses.create", CREATE, idempotency_key="my-key-1")
    assert [r.headers.get("idempotency-key") for r in server.requests] == ["my-key-1", "my-key-1"]


@pytest.mark.parametrize(
    "name,payload",
    [("responses.delete", {"response_id": "r"}), ("admin.organization.projects.update", {"project_id": "p", "name": "n"})],
)
def test_every_non_get_request_carries_an_idempotency_key(client, server, name, payload):  # kills W8
    client.call(name, payload)
    assert server.requests[-1].method != "GET"
    assert server.requests[-1].headers["idempotency-key"].startswith("oaimap-")


def test_an_all_optional_json_body_is_sent_as_an_empty_object(client, server):  # kills W11
    client.call("conversations.create", {})
    sent = server.requests[-1]
    assert sent.headers["content-type"] == "application/json"
    assert sent.json() == {}


def test_a_download_to_a_file_is_streamed_not_buffered(client, server, tmp_path, monkeypatch):  # kills W12
    seen = []
    send = client._http.send

    def spy(request, *, stream=False, **kwargs):
        seen.append(stream)
        return send(request, stream=stream, **kwargs)

    monkeypatch.setattr(client._http, "send", spy)
    server.script("files.content", Reply(body=b"x" * 1000))
    client.call("files.content", {"file_id": "file-1"}, output=tmp_path / "out.bin")
    assert seen == [True]


def test_stream_false_answers_with_plain_json(client, server):  # kills W13
    result = client.call("responses.create", {**CREATE, "stream": False})
    assert isinstance(result, dict) and result["object"] == "response"
    assert server.requests[-1].headers["accept"] == "application/json"


class _OpenTracker:
    """Wraps ``open`` in oaimap.wire so a test can check every file it opened was closed."""

    def __init__(self):
        self.opened = []

    def __call__(self, *args, **kwargs):
        fh = open(*args, **kwargs)
        self.opened.append(fh)
        return fh


def test_files_opened_from_paths_are_closed_after_the_call(client, server, tmp_path, monkeypatch):  # kills W21, C7
    import oaimap.wire

    tracker = _OpenTracker()
    monkeypatch.setattr(oaimap.wire, "open", tracker, raising=False)
    path = tmp_path / "train.jsonl"
    path.write_bytes(b"{}\n")
    client.call("files.create", {"file": path, "purpose": "batch"})
    assert len(tracker.opened) == 1 and tracker.opened[0].closed


def test_a_streamed_upload_closes_its_files_when_the_stream_ends(client, server, tmp_path, monkeypatch):  # kills S14
    import oaimap.wire

    tracker = _OpenTracker()
    monkeypatch.setattr(oaimap.wire, "open", tracker, raising=False)
    audio = tmp_path / "a.wav"
    audio.write_bytes(b"RIFF")
    stream = client.call("audio.transcriptions.create", {"file": audio, "model": "gpt-4o-transcribe", "stream": True})
    assert len(tracker.opened) == 1 and not tracker.opened[0].closed  # open while the stream is live
    assert [e["type"] for e in stream][-1] == "transcript.text.done"
    assert tracker.opened[0].closed


def test_a_tuple_names_a_file_given_by_path(client, server, tmp_path):  # kills W16
    path = tmp_path / "on-disk.jsonl"
    path.write_bytes(b"{}\n")
    client.call("files.create", {"file": ("renamed.jsonl", path), "purpose": "batch"})
    part = server.requests[-1].payload["file"]
    assert part.filename == "renamed.jsonl" and part.data == b"{}\n"


# ---------------------------------------------------------------- forms.py
def test_flatten_form_drops_none_at_every_depth_and_flattens_plain_tuples():  # kills F3, F5
    from oaimap.forms import flatten_form

    assert list(flatten_form("a", None)) == []
    assert list(flatten_form("m", {"x": None, "y": 1})) == [("m[y]", 1)]
    assert list(flatten_form("l", [1, None, 2])) == [("l[]", 1), ("l[]", 2)]
    assert list(flatten_form("t", (1, 2))) == [("t[]", 1), ("t[]", 2)]  # not a (filename, content) tuple


def test_extra_query_none_values_are_not_sent(client, server):  # kills F3 (on the wire)
    client.call("responses.retrieve", {"response_id": "r"}, extra_query={"trace": None, "tag": "a"})
    assert server.requests[-1].query == [("tag", "a")]


def test_coerce_reads_negative_integers():  # kills F6
    from oaimap.forms import coerce

    assert coerce("-3", {"integer"}) == -3
    assert coerce("-3", {"integer", "null"}) == -3


# ---------------------------------------------------------------- retries.py
def test_409_conflict_is_retried(server):  # kills R1
    server.script("responses.create", Reply(409, json={"error": {"message": "conflict"}}, headers=FAST))
    with Client(api_key="k", base_url=server.url, max_retries=1) as client:
        assert client.call("responses.create", CREATE)["object"] == "response"
    assert len(server.requests) == 2


def test_x_should_retry_is_read_case_insensitively(server):  # kills R11
    server.script("responses.create", Reply(503, json={}, headers={"x-should-retry": "False"}))
    with Client(api_key="k", base_url=server.url, max_retries=2) as client, pytest.raises(Exception):
        client.call("responses.create", CREATE)
    assert len(server.requests) == 1


# ---------------------------------------------------------------- sse.py
STREAM = {"model": "m", "input": "hi", "stream": True}
CREATED = {"type": "response.created", "sequence_number": 0}


def test_an_event_named_error_raises_even_without_a_type(client, server):  # kills S4
    frame = 'event: error\ndata: {"message": "overloaded"}\n\n'
    server.script("responses.create", Reply(events=[CREATED, frame]))
    with pytest.raises(StreamError, match="overloaded"):
        list(client.call("responses.create", STREAM))


def test_an_untyped_error_object_raises(client, server):  # kills S5
    frame = 'data: {"error": {"message": "quota exceeded"}}\n\n'
    server.script("responses.create", Reply(events=[CREATED, frame]))
    with pytest.raises(StreamError, match="quota exceeded") as info:
        list(client.call("responses.create", STREAM))
    assert info.value.event == {"error": {"message": "quota exceeded"}}


UNTERMINATED = 'data: {"type": "response.completed", "sequence_number": 1}'  # no blank line at the end


def test_a_last_event_without_its_blank_line_is_still_delivered(client, server):  # kills S9
    server.script("responses.create", Reply(events=[CREATED, UNTERMINATED]))
    assert [e["type"] for e in client.call("responses.create", STREAM)] == ["response.created", "response.completed"]


async def test_async_last_event_without_its_blank_line_is_still_delivered(aclient, server):  # kills S13
    server.script("responses.create", Reply(events=[CREATED, UNTERMINATED]))
    stream = await aclient.call("responses.create", STREAM)
    assert [e["type"] async for e in stream] == ["response.created", "response.completed"]


def test_a_terminal_event_name_ends_a_stream_whose_data_has_no_type():  # kills S3
    from oaimap.specs import Operation
    from oaimap.sse import Stream

    op = Operation(name="t.run", family="t", summary="", method="POST", path="/t", returns="sse",
                   stream_end=("thread.run.completed",))
    body = b'event: thread.run.created\ndata: {"id": "run_1"}\n\nevent: thread.run.completed\ndata: {"id": "run_1"}\n\n'
    events = list(Stream(op, httpx.Response(200, content=body)))
    assert [e["event"] for e in events] == ["thread.run.created", "thread.run.completed"]


# ---------------------------------------------------------------- validation.py
def test_a_directory_is_not_a_file(client, server, tmp_path):  # kills V5
    with pytest.raises(ValidationError) as info:
        client.call("files.create", {"file": tmp_path, "purpose": "batch"})
    assert info.value.paths == ["$.file"] and "file not found" in str(info.value)
    assert server.requests == []


def test_a_file_tuple_needs_file_content(client, server):  # kills V6
    with pytest.raises(ValidationError) as info:
        client.call("files.create", {"file": ("a.jsonl", 123), "purpose": "batch"})
    assert info.value.paths == ["$.file"]
    assert server.requests == []


def test_lenient_mode_accepts_unknown_nested_keys_strict_mode_names_them(server):  # kills V7
    payload = {"vector_store_id": "vs_1", "query": "q", "ranking_options": {"ranker": "auto", "new_knob": 1}}
    with Client(api_key="k", base_url=server.url, max_retries=0) as client:
        client.call("vector_stores.search", payload)
    assert server.requests[-1].json()["ranking_options"]["new_knob"] == 1
    with Client(api_key="k", base_url=server.url, strict=True) as client, pytest.raises(ValidationError) as info:
        client.call("vector_stores.search", payload)
    assert info.value.paths == ["$.ranking_options.new_knob"]


def test_violations_are_listed_in_path_order(client, server):  # kills V10
    with pytest.raises(ValidationError) as info:
        client.call("responses.input_items.list", {"order": "up", "limit": "ten", "after": 5})
    assert info.value.paths == ["$.after", "$.limit", "$.order", "$.response_id"]


def test_a_union_failure_points_at_the_deepest_bad_path(client, server):  # kills V11
    payload = {"model": "m", "input": "hi", "text": {"format": {"type": "json_schema", "name": 5, "schema": {}}}}
    with pytest.raises(ValidationError) as info:
        client.call("responses.create", payload)
    # the union sits at $.text.format; the branch whose `type` tag matched tells what is wrong
    assert info.value.paths == ["$.text.format.name"]
    assert "matches none of the allowed shapes (closest: 5 is not of type 'string')" in str(info.value)


def test_an_unknown_union_tag_lists_the_known_ones(client, server):
    with pytest.raises(ValidationError) as info:
        client.call("responses.create", {"model": "m", "tools": [{"type": "nonsense"}]})
    assert info.value.paths == ["$.tools[0].type"]
    assert "'nonsense' is not a known type (allowed: function, file_search" in str(info.value)
    assert server.requests == []


def test_a_binary_schema_without_a_type_is_a_file():  # kills V12
    from oaimap.schemas import has_file_param, mark_files

    assert mark_files({"format": "binary"}) == {"oaimapFile": True}
    assert has_file_param({"format": "binary"})


def test_long_messages_are_shortened(client, server):  # kills V13
    with pytest.raises(ValidationError) as info:
        client.call("responses.input_items.list", {"response_id": "r", "order": "x" * 1000})
    (violation,) = info.value.violations
    assert len(violation.message) <= 300 and violation.message.endswith("...")


# ---------------------------------------------------------------- host.py
KEY = "sk-secret/auth+routing=42"
ENCODED = "sk-secret%2Fauth%2Brouting%3D42"


def test_the_percent_encoded_key_never_shows_in_logs_or_errors(server, caplog):  # kills H1
    caplog.set_level(logging.DEBUG)
    server.script("responses.retrieve", Reply(401, json={"error": {"message": f"bad key {ENCODED}"}}))
    with Client(api_key=KEY, base_url=server.url, auth_query="key", max_retries=0) as client:
        with pytest.raises(Exception) as info:
            client.call("responses.retrieve", {"response_id": "r"})
        client.call("responses.retrieve", {"response_id": "r"})
    assert ENCODED not in str(info.value) and ENCODED not in str(info.value.body)
    assert caplog.records
    assert all(ENCODED not in r.getMessage() and KEY not in r.getMessage() for r in caplog.records)


def test_an_empty_key_is_no_key(server):  # kills H6
    with Client(api_key="", api_key_env="OAIMAP_UNSET_VAR", base_url=server.url) as client:
        with pytest.raises(ConfigurationError, match="no API key"):
            client.call("responses.retrieve", {"response_id": "r"})
    assert server.requests == []


def test_an_explicit_key_wins_over_the_environment(server, monkeypatch):  # kills H7
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    with Client(api_key="sk-from-arg", base_url=server.url, max_retries=0) as client:
        client.call("responses.retrieve", {"response_id": "r"})
    assert server.requests[-1].headers["authorization"] == "Bearer sk-from-arg"


def test_a_whitespace_auth_name_means_bearer(server):  # kills H8
    with Client(api_key="sk-x", base_url=server.url, auth_header="  ", max_retries=0) as client:
        client.call("responses.retrieve", {"response_id": "r"})
    assert server.requests[-1].headers["authorization"] == "Bearer sk-x"


def test_a_secret_never_formats_its_value():  # kills H10
    from oaimap.host import Secret

    secret = Secret("sk-hidden")
    assert "sk-hidden" not in f"{secret}" and "sk-hidden" not in f"{secret:>40}"
    assert "sk-hidden" not in "{}".format(secret) and "sk-hidden" not in "%s" % (secret,)


# ---------------------------------------------------------------- client.py
def test_a_none_header_value_is_not_sent(client, server):  # kills C1
    client.call("beta.responses.retrieve", {"response_id": "r", "openai-beta": None})
    assert "openai-beta" not in server.requests[-1].headers


def test_per_call_max_retries_overrides_the_client(server):  # kills C5
    server.script("responses.create", Reply(503, json={}, headers=FAST))
    with Client(api_key="k", base_url=server.url, max_retries=0) as client:
        assert client.call("responses.create", CREATE, max_retries=1)["object"] == "response"
    assert len(server.requests) == 2
    server.reset()
    server.script("responses.create", Reply(503, json={}, headers=FAST))
    with Client(api_key="k", base_url=server.url, max_retries=2) as client, pytest.raises(Exception):
        client.call("responses.create", CREATE, max_retries=0)
    assert len(server.requests) == 1


def test_an_error_answer_to_a_streamed_call_carries_its_body(client, server):  # kills C6
    server.script("responses.create", Reply(400, json={"error": {"message": "bad stream"}}))
    with pytest.raises(BadRequestError, match="bad stream") as info:
        client.call("responses.create", {**CREATE, "stream": True})
    assert info.value.error == {"message": "bad stream"}


async def test_async_error_answer_to_a_streamed_call_carries_its_body(aclient, server):  # kills C17
    server.script("responses.create", Reply(400, json={"error": {"message": "bad stream"}}))
    with pytest.raises(BadRequestError, match="bad stream"):
        await aclient.call("responses.create", {**CREATE, "stream": True})


def test_httpcore_records_are_redacted_too(server, caplog):  # kills C13
    caplog.set_level(logging.DEBUG)
    with Client(api_key=KEY, base_url=server.url, auth_query="key", max_retries=0):
        logging.getLogger("httpcore.http11").debug("url was %s", f"/v1/x?key={ENCODED}")
        logging.getLogger("httpcore").debug("raw %s", KEY)
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("httpcore")]
    assert len(messages) == 2
    assert all(KEY not in m and ENCODED not in m and "**********" in m for m in messages)


# ---------------------------------------------------------------- wire.py / client.py (downloads)
def test_a_50_mb_download_to_a_file_streams_with_flat_memory(tmp_path):  # kills C21, W12
    import tracemalloc

    chunk = b"\0" * (1 << 20)

    def handler(request):
        return httpx.Response(200, content=iter([chunk] * 50))

    http = httpx.Client(transport=httpx.MockTransport(handler))
    with Client(api_key="k", base_url="http://test/v1", http_client=http, max_retries=0) as client:
        tracemalloc.start()
        try:
            client.call("files.content", {"file_id": "file-1"}, output=tmp_path / "big.bin")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    http.close()
    assert (tmp_path / "big.bin").stat().st_size == 50 << 20
    assert peak < 5 << 20, f"peak {peak / 2**20:.1f} MiB for a 50 MiB download"


def test_is_upload_needs_every_list_item_to_be_a_file():  # kills W14
    from oaimap.forms import is_upload as _is_upload

    assert _is_upload([b"a", b"b"]) and not _is_upload([])
    assert not _is_upload([b"a", {"file_id": "file-1"}])


# ---------------------------------------------------------------- client.py
async def test_async_a_key_echoed_by_the_server_is_masked_in_the_error(server):  # kills C20
    from oaimap import AsyncClient, AuthenticationError

    echo = {"error": {"message": f"Incorrect API key provided: {KEY}"}}
    server.script("responses.retrieve", Reply(401, json=echo))
    async with AsyncClient(api_key=KEY, base_url=server.url, max_retries=0) as client:
        with pytest.raises(AuthenticationError) as info:
            await client.call("responses.retrieve", {"response_id": "r"})
    assert KEY not in str(info.value) and KEY not in str(info.value.body)
    assert "Incorrect API key provided: **********" in str(info.value)


def test_paginate_leaves_the_caller_payload_alone(client, server):  # kills C10
    pages = [{"object": "list", "data": [{"id": "a"}], "has_more": True, "last_id": "a"},
             {"object": "list", "data": [{"id": "b"}], "has_more": False, "last_id": "b"}]
    server.script("responses.input_items.list", *[Reply(json=p) for p in pages])
    payload = {"response_id": "r"}
    assert [i["id"] for i in client.paginate("responses.input_items.list", payload)] == ["a", "b"]
    assert payload == {"response_id": "r"}


def test_a_text_answer_is_a_str(client, server):  # kills C23
    answer = client.call("realtime.calls.create", {"sdp": "v=0\r\n"})
    assert isinstance(answer, str) and answer.startswith("v=0")
    assert server.requests[-1].headers["content-type"] == "application/sdp"


# ---------------------------------------------------------------- specs.py
def test_an_empty_page_ends_pagination_even_with_has_more(client, server):  # kills P3
    page = {"object": "list", "data": [], "has_more": True, "last_id": "z"}
    server.script("responses.input_items.list", Reply(json=page))
    assert list(client.paginate("responses.input_items.list", {"response_id": "r"})) == []
    assert len(server.requests) == 1


def test_params_from_inherits_the_base_required_keys(client, server):  # kills P5
    base = client.specs.get("beta.threads.runs.create")
    helper = client.specs.get("beta.threads.runs.create_and_poll")
    assert set(base.required) <= set(helper.required)
    with pytest.raises(ValidationError) as info:
        client.call("vector_stores.files.create_and_poll", {"file_id": "file-1"})
    assert info.value.paths == ["$.vector_store_id"]
    with pytest.raises(ValidationError) as info:
        client.call("beta.threads.runs.create_and_poll", {"assistant_id": "asst_1"})
    assert info.value.paths == ["$.thread_id"]
    assert server.requests == []


from oaimap import SpecError, SpecRegistry  # noqa: E402
from oaimap.specs import Pagination, build_index, dump_yaml  # noqa: E402

OK_OP = {"name": "demo.items.get", "summary": "Get one.", "method": "GET", "path": "/items/{item_id}",
         "returns": "json", "params": {"path": {"item_id": {"type": "string"}}}}


def _write_family(tmp_path, operations, family="demo"):
    (tmp_path / "demo.yaml").write_text(
        dump_yaml({"family": family, "title": "Demo", "summary": "Test family.", "operations": operations})
    )
    return tmp_path


def test_a_key_declared_in_two_locations_is_a_spec_error(tmp_path):  # kills P7
    op = dict(OK_OP, params={"path": {"item_id": {"type": "string"}}, "query": {"item_id": {"type": "string"}}})
    with pytest.raises(SpecError, match=r"\$\.operations\[0\]\.params\.query\.item_id: also declared in params\.path"):
        build_index(_write_family(tmp_path, [op]))


def test_the_family_must_match_the_file_name(tmp_path):  # kills P9
    with pytest.raises(SpecError, match="must match the file name"):
        build_index(_write_family(tmp_path, [OK_OP], family="other"))


def test_encoding_defaults_to_json_with_body_params_and_none_without(tmp_path):  # kills P10
    from oaimap.specs import parse_family

    with_body = dict(OK_OP, name="demo.items.update", method="POST",
                     params={"path": {"item_id": {"type": "string"}}, "body": {"name": {"type": "string"}}})
    raw = {"family": "demo", "title": "Demo", "summary": "Test family.", "operations": [OK_OP, with_body]}
    get, update = parse_family(tmp_path / "demo.yaml", raw)
    assert get.encoding == "none" and update.encoding == "json"


def test_a_page_op_without_pagination_gets_the_after_cursor(tmp_path):  # kills P11
    op = dict(OK_OP, name="demo.items.list", path="/items", returns="page",
              params={"query": {"after": {"type": "string"}}})
    _write_family(tmp_path, [op])
    listed = SpecRegistry(tmp_path).get("demo.items.list")
    assert listed.pagination == Pagination(input_token="after", output_token="@last")


def test_an_undeclared_stream_param_is_a_spec_error(tmp_path):  # kills P12
    with pytest.raises(SpecError, match=r"\.stream_param"):
        build_index(_write_family(tmp_path, [dict(OK_OP, stream_param="stream")]))


def test_text_when_must_name_a_declared_key_of_a_json_operation(tmp_path):
    with pytest.raises(SpecError, match=r"\.text_when\.format: 'format' is not a declared parameter"):
        build_index(_write_family(tmp_path, [dict(OK_OP, text_when={"format": ["text"]})]))
    binary = dict(OK_OP, returns="binary", params={"path": {"item_id": {"type": "string"}}, "query": {"format": {"type": "string"}}})
    with pytest.raises(SpecError, match=r"\.text_when: only a JSON operation"):
        build_index(_write_family(tmp_path, [dict(binary, text_when={"format": ["text"]})]))
    with pytest.raises(SpecError, match=r"text_when"):  # the spec format: values are a non-empty list
        build_index(_write_family(tmp_path, [dict(OK_OP, text_when={"item_id": []})]))


def test_an_undeclared_required_key_is_a_spec_error(tmp_path):  # kills P14
    with pytest.raises(SpecError, match=r"\.required: 'nope' is required but not declared"):
        build_index(_write_family(tmp_path, [dict(OK_OP, required=["nope"])]))


def test_a_partial_name_with_no_close_match_suggests_names_containing_it(client, server):  # kills P13
    from oaimap import UnknownOperationError

    with pytest.raises(UnknownOperationError) as info:
        client.call("hosted_tool")
    assert "admin.organization.projects.hosted_tool_permissions.retrieve" in info.value.suggestions


# ---------------------------------------------------------------- errors.py
from oaimap import (  # noqa: E402
    APIStatusError,
    AuthenticationError,
    InternalServerError,
    PermissionDeniedError,
    UnprocessableEntityError,
)


@pytest.mark.parametrize(
    "status,error_type",
    [(401, AuthenticationError), (403, PermissionDeniedError), (409, ConflictError),
     (422, UnprocessableEntityError), (500, InternalServerError), (599, InternalServerError)],
)
def test_more_status_codes_map_to_error_classes(client, server, status, error_type):  # kills E2, E3
    server.script("responses.delete", Reply(status, json={"error": {"message": "nope"}}))
    with pytest.raises(error_type) as info:
        client.call("responses.delete", {"response_id": "r"})
    assert type(info.value) is error_type and info.value.status_code == status


def test_the_error_message_names_the_request_id(client, server):  # kills E4
    server.script("responses.delete", Reply(404, json={"error": {"message": "gone"}}, headers={"x-request-id": "req_42"}))
    with pytest.raises(APIStatusError) as info:
        client.call("responses.delete", {"response_id": "r"})
    assert str(info.value) == "responses.delete: HTTP 404 - gone (request id req_42)"
    assert info.value.request_id == "req_42"


def test_non_json_and_empty_error_bodies(client, server):  # kills E5, E6, E7
    server.script("responses.delete", Reply(502, body=b"x" * 2000), Reply(503, body=b""))
    with pytest.raises(InternalServerError) as info:
        client.call("responses.delete", {"response_id": "r"})
    assert info.value.body == "x" * 2000 and info.value.error is None
    assert len(str(info.value)) < 600  # the text is cut to 500 characters in the message
    with pytest.raises(InternalServerError) as info:
        client.call("responses.delete", {"response_id": "r"})
    assert info.value.body is None and info.value.error is None


# ---------------------------------------------------------------- helpers/poll.py
from oaimap import PollTimeoutError  # noqa: E402

BATCH = {"id": "vsfb_1", "object": "vector_store.file_batch", "vector_store_id": "vs_1"}


def test_no_poll_is_made_when_the_next_one_would_be_late(client, server):  # kills PL1
    server.script("vector_stores.file_batches.create", Reply(json={**BATCH, "status": "in_progress"}))
    with pytest.raises(PollTimeoutError, match=r"\(0 poll\(s\), last status 'in_progress'\)"):
        client.call("vector_stores.file_batches.create_and_poll",
                    {"vector_store_id": "vs_1", "file_ids": ["f"], "poll_interval_ms": 400, "poll_timeout_ms": 200})
    assert [r.method for r in server.requests] == ["POST"]


@pytest.mark.parametrize("final", ["failed", "cancelled"])
def test_every_terminal_state_stops_polling(client, server, final):  # kills PL5
    server.script("vector_stores.file_batches.create", Reply(json={**BATCH, "status": "in_progress"}))
    server.script("vector_stores.file_batches.retrieve", Reply(json={**BATCH, "status": final}),
                  *[Reply(json={**BATCH, "status": "completed"})] * 3)
    result = client.call("vector_stores.file_batches.create_and_poll",
                         {"vector_store_id": "vs_1", "file_ids": ["f"], "poll_interval_ms": 5})
    assert result["status"] == final
    assert [r.method for r in server.requests] == ["POST", "GET"]


def test_the_timeout_message_counts_the_polls(client, server):  # kills PL8
    server.script("vector_stores.file_batches.create", Reply(json={**BATCH, "status": "in_progress"}))
    server.script("vector_stores.file_batches.retrieve", *[Reply(json={**BATCH, "status": "in_progress"})] * 5)
    with pytest.raises(PollTimeoutError, match=r"\(1 poll\(s\), last status 'in_progress'\)"):
        client.call("vector_stores.file_batches.create_and_poll",
                    {"vector_store_id": "vs_1", "file_ids": ["f"], "poll_interval_ms": 150, "poll_timeout_ms": 250})
    assert [r.method for r in server.requests] == ["POST", "GET"]


# ---------------------------------------------------------------- helpers/upload_and_poll.py
def test_too_many_ids_with_the_uploads_fail_before_uploading(client, server, tmp_path):  # kills U1
    (tmp_path / "a.txt").write_text("a")
    with pytest.raises(ValidationError) as info:
        client.call("vector_stores.file_batches.upload_and_poll",
                    {"vector_store_id": "vs_1", "files": [tmp_path / "a.txt"], "file_ids": ["f"] * 2000})
    assert info.value.paths == ["$.file_ids"]
    assert server.requests == []


async def test_async_uploads_respect_max_concurrency(aclient, server, tmp_path, monkeypatch):  # kills U5
    inflight, peak = 0, 0
    call = aclient.call

    async def tracked(name, payload=None, **options):
        nonlocal inflight, peak
        if name != "files.create":
            return await call(name, payload, **options)
        inflight += 1
        peak = max(peak, inflight)
        try:
            await asyncio.sleep(0.02)
            return await call(name, payload, **options)
        finally:
            inflight -= 1

    monkeypatch.setattr(aclient, "call", tracked)
    server.script("files.create", *[Reply(json={"id": f"file-{i}", "object": "file"}) for i in range(5)])
    server.script("vector_stores.file_batches.create", Reply(json={**BATCH, "status": "completed"}))
    files = []
    for i in range(5):
        (tmp_path / f"{i}.txt").write_text(str(i))
        files.append(tmp_path / f"{i}.txt")
    await aclient.call("vector_stores.file_batches.upload_and_poll",
                       {"vector_store_id": "vs_1", "files": files, "max_concurrency": 2})
    assert peak == 2


async def test_async_upload_keeps_the_caller_ids_first(aclient, server, tmp_path):  # kills U6
    (tmp_path / "a.txt").write_text("a")
    server.script("files.create", Reply(json={"id": "file-up1", "object": "file"}))
    server.script("vector_stores.file_batches.create", Reply(json={**BATCH, "status": "completed"}))
    await aclient.call("vector_stores.file_batches.upload_and_poll",
                       {"vector_store_id": "vs_1", "files": [tmp_path / "a.txt"], "file_ids": ["file-old"]})
    batch = next(r for r in server.requests if r.path.endswith("/file_batches"))
    assert batch.json()["file_ids"] == ["file-old", "file-up1"]


def test_max_concurrency_is_a_helper_knob_not_sent(client, server, tmp_path):  # kills U4
    (tmp_path / "a.txt").write_text("a")
    server.script("files.create", Reply(json={"id": "file-up1", "object": "file"}))
    server.script("vector_stores.file_batches.create", Reply(json={**BATCH, "status": "completed"}))
    client.call("vector_stores.file_batches.upload_and_poll",
                {"vector_store_id": "vs_1", "files": [tmp_path / "a.txt"], "max_concurrency": 3})
    batch = next(r for r in server.requests if r.path.endswith("/file_batches"))
    assert batch.json() == {"file_ids": ["file-up1"]}
