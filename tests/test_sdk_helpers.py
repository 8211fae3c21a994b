"""openai-python's helper methods as declared oaimap helpers, over loopback.

Poll-only helpers (``kind: poll`` without ``start``), start-then-poll, single-file
uploads (``upload_and_poll`` with ``file_param``), ``uploads.upload_file_chunked``
(``kind: chunked_upload``) and the stream presets (``kind: preset``), sync and async.
"""

from __future__ import annotations

import hashlib
import io

import pytest

from oaimap import PollTimeoutError, ValidationError
from oaimap.server import Reply
from oaimap.sse import AsyncStream, Stream

FAST = {"poll_interval_ms": 5}
RUN = {"id": "run_1", "object": "thread.run", "thread_id": "thread_1"}


def _run(status):
    return Reply(json={**RUN, "status": status})


def _calls(server):
    return [(r.method, r.path) for r in server.requests]


# -- poll only -------------------------------------------------------------------------------
def test_vector_store_file_poll_stops_when_no_longer_in_progress(client, server):
    file = {"id": "file-1", "object": "vector_store.file", "vector_store_id": "vs_1"}
    server.script(
        "vector_stores.files.retrieve",
        Reply(json={**file, "status": "in_progress"}),
        Reply(json={**file, "status": "failed"}),
        Reply(json={**file, "status": "completed"}),
    )
    result = client.call("vector_stores.files.poll", {"vector_store_id": "vs_1", "file_id": "file-1", **FAST})
    assert result["status"] == "failed"  # returned, not raised, as the SDK does
    assert _calls(server) == [("GET", "/v1/vector_stores/vs_1/files/file-1")] * 2
    assert all("poll_interval_ms" not in r.query for r in server.requests)


def test_file_batch_poll_waits_for_no_file_in_progress(client, server):
    batch = {"id": "vsfb_1", "object": "vector_store.file_batch", "status": "in_progress"}
    counts = lambda n: Reply(json={**batch, "file_counts": {"in_progress": n, "completed": 3 - n}})  # noqa: E731
    server.script("vector_stores.file_batches.retrieve", counts(2), counts(1), counts(0), counts(0))
    result = client.call("vector_stores.file_batches.poll", {"vector_store_id": "vs_1", "batch_id": "vsfb_1", **FAST})
    assert result["file_counts"]["in_progress"] == 0
    assert _calls(server) == [("GET", "/v1/vector_stores/vs_1/file_batches/vsfb_1")] * 3


@pytest.mark.parametrize("final", ["requires_action", "cancelled", "completed", "failed", "expired", "incomplete"])
def test_run_poll_stops_at_every_state_the_sdk_treats_as_terminal(client, server, final):
    server.script("beta.threads.runs.retrieve", _run("queued"), _run("in_progress"), _run(final), _run("completed"))
    result = client.call("beta.threads.runs.poll", {"thread_id": "thread_1", "run_id": "run_1", **FAST})
    assert result["status"] == final
    assert _calls(server) == [("GET", "/v1/threads/thread_1/runs/run_1")] * 3
    assert server.requests[0].headers["openai-beta"] == "assistants=v2"


def test_run_poll_times_out_with_the_last_run(client, server):
    server.script("beta.threads.runs.retrieve", *[_run("in_progress")] * 40)
    with pytest.raises(PollTimeoutError, match="beta.threads.runs.poll: not done after 0.08 s") as info:
        client.call("beta.threads.runs.poll",
                    {"thread_id": "thread_1", "run_id": "run_1", "poll_interval_ms": 20, "poll_timeout_ms": 80})
    assert info.value.last["status"] == "in_progress"
    assert 2 <= len(server.requests) <= 5


async def test_async_video_poll(aclient, server):
    video = {"id": "video_1", "object": "video"}
    server.script("videos.retrieve", *[Reply(json={**video, "status": s}) for s in ("queued", "in_progress", "completed")])
    result = await aclient.call("videos.poll", {"video_id": "video_1", **FAST})
    assert result["status"] == "completed"
    assert _calls(server) == [("GET", "/v1/videos/video_1")] * 3


async def test_async_poll_only_times_out(aclient, server):
    server.script("videos.retrieve", *[Reply(json={"id": "video_1", "status": "queued"})] * 40)
    with pytest.raises(PollTimeoutError) as info:
        await aclient.call("videos.poll", {"video_id": "video_1", "poll_interval_ms": 20, "poll_timeout_ms": 60})
    assert info.value.last["status"] == "queued"


def test_wait_for_processing_takes_the_sdk_keywords_in_seconds(client, server):
    file = {"id": "file-1", "object": "file"}
    server.script("files.retrieve", *[Reply(json={**file, "status": s}) for s in ("uploaded", "uploaded", "processed")])
    result = client.call("files.wait_for_processing", {"id": "file-1", "poll_interval": 0.005, "max_wait_seconds": 5})
    assert result["status"] == "processed"
    assert _calls(server) == [("GET", "/v1/files/file-1")] * 3
    assert all(r.query == [] for r in server.requests)  # no helper knob is sent


def test_wait_for_processing_defaults_and_timeout(client, server):
    op = client.specs.get("files.wait_for_processing")
    assert (op.helper["interval"], op.helper["timeout"]) == (5.0, 1800)  # the SDK's 5 s and 30 minutes
    server.script("files.retrieve", Reply(json={"id": "file-1", "status": "error"}))
    assert client.call("files.wait_for_processing", {"id": "file-1"})["status"] == "error"  # terminal: no wait
    server.script("files.retrieve", *[Reply(json={"id": "file-1", "status": "uploaded"})] * 20)
    with pytest.raises(PollTimeoutError):
        client.call("files.wait_for_processing", {"id": "file-1", "poll_interval": 0.02, "max_wait_seconds": 0.05})


# -- start, then poll ------------------------------------------------------------------------
def test_video_create_and_poll(client, server):
    video = {"id": "video_9", "object": "video"}
    server.script("videos.create", Reply(json={**video, "status": "queued"}))
    server.script("videos.retrieve", Reply(json={**video, "status": "in_progress"}), Reply(json={**video, "status": "failed"}))
    result = client.call("videos.create_and_poll", {"prompt": "A cat", "model": "sora-2", **FAST})
    assert result["status"] == "failed"
    assert _calls(server) == [("POST", "/v1/videos"), ("GET", "/v1/videos/video_9"), ("GET", "/v1/videos/video_9")]
    assert server.requests[0].json() == {"prompt": "A cat", "model": "sora-2"}


def test_create_and_run_poll_polls_the_new_thread_run(client, server):
    run = {**RUN, "id": "run_7", "thread_id": "thread_new"}
    server.script("beta.threads.create_and_run", Reply(json={**run, "status": "queued"}))
    server.script("beta.threads.runs.retrieve", Reply(json={**run, "status": "completed"}))
    result = client.call("beta.threads.create_and_run_poll", {"assistant_id": "asst_1", **FAST})
    assert result["status"] == "completed"
    assert _calls(server) == [("POST", "/v1/threads/runs"), ("GET", "/v1/threads/thread_new/runs/run_7")]
    assert server.requests[0].json() == {"assistant_id": "asst_1", "stream": False}  # as the SDK sends it


async def test_async_submit_tool_outputs_and_poll(aclient, server):
    server.script("beta.threads.runs.submit_tool_outputs", _run("queued"))
    server.script("beta.threads.runs.retrieve", _run("in_progress"), _run("requires_action"))
    outputs = [{"tool_call_id": "call_1", "output": "42"}]
    result = await aclient.call(
        "beta.threads.runs.submit_tool_outputs_and_poll",
        {"thread_id": "thread_1", "run_id": "run_1", "tool_outputs": outputs, **FAST},
    )
    assert result["status"] == "requires_action"
    assert _calls(server) == [
        ("POST", "/v1/threads/thread_1/runs/run_1/submit_tool_outputs"),
        ("GET", "/v1/threads/thread_1/runs/run_1"),
        ("GET", "/v1/threads/thread_1/runs/run_1"),
    ]
    assert server.requests[0].json() == {"tool_outputs": outputs, "stream": False}


# -- single-file uploads ---------------------------------------------------------------------
def test_vector_store_file_upload_does_not_poll(client, server, tmp_path):
    (tmp_path / "notes.txt").write_text("notes")
    server.script("files.create", Reply(json={"id": "file-up1", "object": "file"}))
    server.script("vector_stores.files.create", Reply(json={"id": "file-up1", "status": "in_progress"}))
    result = client.call("vector_stores.files.upload",
                         {"vector_store_id": "vs_1", "file": tmp_path / "notes.txt", "chunking_strategy": {"type": "auto"}})
    assert result["status"] == "in_progress"
    assert _calls(server) == [("POST", "/v1/files"), ("POST", "/v1/vector_stores/vs_1/files")]
    upload = server.requests[0].payload
    assert upload["purpose"] == "assistants" and upload["file"].data == b"notes"
    assert server.requests[1].json() == {"file_id": "file-up1", "chunking_strategy": {"type": "auto"}}


async def test_async_vector_store_file_upload_and_poll(aclient, server):
    server.script("files.create", Reply(json={"id": "file-up1", "object": "file"}))
    server.script("vector_stores.files.create", Reply(json={"id": "file-up1", "status": "in_progress"}))
    server.script("vector_stores.files.retrieve", Reply(json={"id": "file-up1", "status": "completed"}))
    result = await aclient.call("vector_stores.files.upload_and_poll",
                                {"vector_store_id": "vs_1", "file": ("a.md", b"# a"), **FAST})
    assert result["status"] == "completed"
    assert _calls(server) == [
        ("POST", "/v1/files"),
        ("POST", "/v1/vector_stores/vs_1/files"),
        ("GET", "/v1/vector_stores/vs_1/files/file-up1"),
    ]
    assert server.requests[1].json() == {"file_id": "file-up1"}


def test_a_bad_single_upload_payload_uploads_nothing(client, server):
    with pytest.raises(ValidationError) as info:
        client.call("vector_stores.files.upload_and_poll",
                    {"vector_store_id": "vs_1", "file": b"x", "chunking_strategy": "fast"})
    assert "$.chunking_strategy" in info.value.paths
    assert server.requests == []


# -- uploads.upload_file_chunked -------------------------------------------------------------
class CountingFile(io.FileIO):
    """A file that records how much each read asks for and returns."""

    def __init__(self, path):
        super().__init__(path, "rb")
        self.reads: list[int] = []

    def read(self, size=-1):
        data = super().read(size)
        self.reads.append(len(data))
        return data

    def readall(self):  # pragma: no cover - reading the whole file is what must not happen
        raise AssertionError("the whole file was read")


def _script_chunked(server, parts):
    server.script("uploads.create", Reply(json={"id": "upload_1", "object": "upload", "status": "pending"}))
    server.script("uploads.parts.create", *[Reply(json={"id": f"part_{i}", "object": "upload.part"}) for i in range(parts)])
    server.script("uploads.complete", Reply(json={"id": "upload_1", "object": "upload", "status": "completed"}))


def test_chunked_upload_sends_parts_in_order_without_reading_the_file_whole(client, server, tmp_path):
    content = bytes(range(256)) * 1200  # 307,200 bytes: 3 parts of 128 KiB, the last one shorter
    path = tmp_path / "big.bin"
    path.write_bytes(content)
    part_size = 128 * 1024
    _script_chunked(server, 3)
    with CountingFile(path) as file:
        result = client.call(
            "uploads.upload_file_chunked",
            {"file": file, "mime_type": "application/octet-stream", "purpose": "assistants", "md5": "abc", "part_size": part_size,
             "max_concurrency": 1},  # one at a time, as the SDK sends them: scripted ids in file order
        )
        reads = [n for n in file.reads if n]
    assert result["status"] == "completed"
    assert _calls(server) == [
        ("POST", "/v1/uploads"),
        *[("POST", "/v1/uploads/upload_1/parts")] * 3,
        ("POST", "/v1/uploads/upload_1/complete"),
    ]
    assert server.requests[0].json() == {
        "bytes": len(content), "filename": "big.bin", "mime_type": "application/octet-stream", "purpose": "assistants",
    }
    parts = [r.payload["data"].data for r in server.requests[1:4]]
    assert [len(p) for p in parts] == [part_size, part_size, len(content) - 2 * part_size]
    assert b"".join(parts) == content
    assert server.requests[4].json() == {"part_ids": ["part_0", "part_1", "part_2"], "md5": "abc"}
    assert sum(reads) == len(content)  # each byte read once (no retry here) ...
    assert max(reads) <= 64 * 1024 < part_size  # ... in chunks, never a part nor the file at once


async def test_async_chunked_upload_from_a_path(aclient, server, tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_bytes(b"x" * 2500)
    _script_chunked(server, 3)
    result = await aclient.call("uploads.upload_file_chunked",
                                {"file": path, "mime_type": "text/jsonl", "purpose": "fine-tune", "part_size": 1000, "max_concurrency": 1})
    assert result["status"] == "completed"
    assert [len(r.payload["data"].data) for r in server.requests[1:4]] == [1000, 1000, 500]
    assert server.requests[0].json()["filename"] == "data.jsonl"
    # without an md5 in the payload, the file's own is computed and sent
    assert server.requests[-1].json() == {"part_ids": ["part_0", "part_1", "part_2"], "md5": hashlib.md5(b"x" * 2500).hexdigest()}


def test_chunked_upload_of_bytes_needs_a_filename(client, server):
    with pytest.raises(ValidationError, match=r"\$\.filename"):
        client.call("uploads.upload_file_chunked", {"file": b"abc", "mime_type": "text/plain", "purpose": "assistants"})
    _script_chunked(server, 2)
    client.call("uploads.upload_file_chunked",
                {"file": b"abcde", "filename": "f.txt", "bytes": 5, "mime_type": "text/plain", "purpose": "assistants", "part_size": 3})
    assert sorted(r.payload["data"].data for r in server.requests[1:3]) == [b"abc", b"de"]  # sent at once: any order


def test_chunked_upload_checks_the_create_payload_first(client, server, tmp_path):
    (tmp_path / "a.txt").write_text("a")
    with pytest.raises(ValidationError) as info:
        client.call("uploads.upload_file_chunked", {"file": tmp_path / "a.txt", "mime_type": "text/plain", "purpose": "nope"})
    assert info.value.operation == "uploads.create" and "$.purpose" in info.value.paths
    assert server.requests == []


# -- stream presets --------------------------------------------------------------------------
CHUNKS = [{"object": "chat.completion.chunk", "choices": [{"delta": {"content": t}}]} for t in ("Hel", "lo")]


@pytest.mark.parametrize("name", ["chat.completions.stream", "beta.chat.completions.stream"])
def test_chat_stream_is_create_with_stream_true(client, server, name):
    server.script("chat.completions.create", Reply(events=[*CHUNKS, "[DONE]"]))
    stream = client.call(name, {"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "Hi"}]})
    assert isinstance(stream, Stream)
    with stream:
        assert [e["choices"][0]["delta"]["content"] for e in stream] == ["Hel", "lo"]
    assert server.requests[0].json()["stream"] is True


def test_a_preset_key_cannot_be_overridden(client, server):
    with pytest.raises(ValidationError, match=r"\$\.stream: fixed to True"):
        client.call("chat.completions.stream", {"model": "m", "messages": [{"role": "user", "content": "Hi"}], "stream": False})
    assert server.requests == []


def test_preset_passes_every_call_option(client, server):
    server.script("chat.completions.create", Reply(events=[*CHUNKS, "[DONE]"]))
    stream = client.call("chat.completions.stream", {"model": "m", "messages": [{"role": "user", "content": "Hi"}], "stream": True},
                         extra_body={"x_new": 1}, idempotency_key="idem-1", extra_headers={"X-Trace": "t"})
    list(stream)
    request = server.requests[0]
    assert request.json()["x_new"] == 1 and request.headers["idempotency-key"] == "idem-1"
    assert request.headers["x-trace"] == "t"


@pytest.mark.parametrize(
    ("name", "base", "payload", "path"),
    [
        ("beta.threads.runs.stream", "beta.threads.runs.create", {"thread_id": "t1", "assistant_id": "a1"}, "/v1/threads/t1/runs"),
        ("beta.threads.runs.create_and_stream", "beta.threads.runs.create", {"thread_id": "t1", "assistant_id": "a1"}, "/v1/threads/t1/runs"),
        ("beta.threads.runs.submit_tool_outputs_stream", "beta.threads.runs.submit_tool_outputs",
         {"thread_id": "t1", "run_id": "r1", "tool_outputs": []}, "/v1/threads/t1/runs/r1/submit_tool_outputs"),
        ("beta.threads.create_and_run_stream", "beta.threads.create_and_run", {"assistant_id": "a1"}, "/v1/threads/runs"),
    ],
)
async def test_async_assistant_stream_presets(aclient, server, name, base, payload, path):
    events = [{"id": "run_1", "object": "thread.run", "status": s} for s in ("queued", "completed")]
    server.script(base, Reply(events=[*events, "[DONE]"]))
    stream = await aclient.call(name, payload)
    assert isinstance(stream, AsyncStream)
    assert [e["status"] async for e in stream] == ["queued", "completed"]
    assert _calls(server) == [("POST", path)]
    assert server.requests[0].json()["stream"] is True
    assert server.requests[0].headers["openai-beta"] == "assistants=v2"


def test_responses_stream_creates_or_resumes(client, server):
    events = [
        {"type": "response.output_text.delta", "sequence_number": 1, "delta": "Hi"},
        {"type": "response.completed", "sequence_number": 2, "response": {"id": "resp_1", "status": "completed"}},
    ]
    server.script("responses.create", Reply(events=events))
    assert [e["type"] for e in client.call("responses.stream", {"model": "m", "input": "Hi"})] == [
        "response.output_text.delta", "response.completed",
    ]
    assert server.requests[0].json() == {"model": "m", "input": "Hi", "stream": True}

    server.script("responses.retrieve", Reply(events=events[1:]))
    stream = client.call("responses.stream", {"response_id": "resp_1", "starting_after": 1})
    assert [e["type"] for e in stream] == ["response.completed"]
    resume = server.requests[1]
    assert (resume.method, resume.path) == ("GET", "/v1/responses/resp_1")
    assert sorted(resume.query) == [("starting_after", "1"), ("stream", "true")]

    with pytest.raises(ValidationError, match=r"\$\.model: not used with response_id"):
        client.call("responses.stream", {"response_id": "resp_1", "model": "m"})
    assert len(server.requests) == 2


# -- parse (structured output read back) --------------------------------------------------------
COLOUR_FORMAT = {
    "type": "json_schema",
    "json_schema": {"name": "colour", "strict": True, "schema": {"type": "object", "properties": {"colour": {"type": "string"}}}},
}
STRICT_TOOL = {"type": "function", "function": {"name": "paint", "strict": True, "parameters": {"type": "object"}}}


def _chat_answer(content, arguments='{"wall": "north"}'):
    message = {"role": "assistant", "content": content,
               "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "paint", "arguments": arguments}}]}
    return Reply(json={"id": "chatcmpl-1", "object": "chat.completion", "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]})


def test_chat_parse_reads_the_json_reply_and_strict_tool_arguments(client, server):
    server.script("chat.completions.create", _chat_answer('{"colour": "teal"}'))
    payload = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "response_format": COLOUR_FORMAT, "tools": [STRICT_TOOL]}
    answer = client.call("beta.chat.completions.parse", payload)
    message = answer["choices"][0]["message"]
    assert message["parsed"] == {"colour": "teal"}
    assert message["tool_calls"][0]["function"]["parsed_arguments"] == {"wall": "north"}
    sent = server.requests[-1]
    assert (sent.method, sent.path, sent.json()) == ("POST", "/v1/chat/completions", payload)  # the create request, as is


def test_chat_parse_leaves_plain_text_alone(client, server):
    server.script("chat.completions.create", _chat_answer("just text"))
    answer = client.call("chat.completions.parse", {"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    assert "parsed" not in answer["choices"][0]["message"]


def test_parse_refuses_text_that_is_not_the_promised_json(client, server):
    from oaimap import APIResponseValidationError

    server.script("chat.completions.create", _chat_answer("{not json"))
    payload = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "response_format": COLOUR_FORMAT}
    with pytest.raises(APIResponseValidationError, match="chat.completions.parse: the message content is not JSON"):
        client.call("chat.completions.parse", payload)


def test_parse_does_not_stream(client, server):
    with pytest.raises(ValidationError) as info:
        client.call("chat.completions.parse", {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True})
    assert info.value.paths == ["$.stream"] and server.requests == []


async def test_async_responses_parse_sets_output_parsed(aclient, server):
    output = [
        {"type": "function_call", "id": "fc1", "call_id": "c1", "name": "paint", "arguments": '{"wall": "east"}', "status": "completed"},
        {"type": "message", "id": "m1", "role": "assistant", "status": "completed",
         "content": [{"type": "output_text", "text": '{"colour": "ochre"}', "annotations": []}]},
    ]
    server.script("responses.create", Reply(json={"id": "resp_1", "object": "response", "output": output}))
    text = {"format": {"type": "json_schema", "name": "colour", "schema": {"type": "object"}}}
    tools = [{"type": "function", "name": "paint", "strict": True, "parameters": {"type": "object"}}]
    answer = await aclient.call("responses.parse", {"model": "m", "input": "hi", "text": text, "tools": tools})
    assert answer["output_parsed"] == {"colour": "ochre"}
    assert answer["output"][0]["parsed_arguments"] == {"wall": "east"}
    assert answer["output"][1]["content"][0]["parsed"] == {"colour": "ochre"}
