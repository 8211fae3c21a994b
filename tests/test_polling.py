"""Polling helpers declared in YAML: upload_and_poll and create_and_poll, over loopback."""

from __future__ import annotations

import pytest

from oaimap import PollTimeoutError, ValidationError
from oaimap.server import Reply

BATCH = {"id": "vsfb_1", "object": "vector_store.file_batch", "vector_store_id": "vs_1"}
FAST = {"poll_interval_ms": 5}


def _batch(status):
    return Reply(json={**BATCH, "status": status})


def _script_uploads(server, *ids):
    server.script("files.create", *[Reply(json={"id": i, "object": "file"}) for i in ids])


def _files(tmp_path, *names):
    paths = []
    for name in names:
        (tmp_path / name).write_text(f"text of {name}")
        paths.append(tmp_path / name)
    return paths


def test_upload_and_poll_uploads_batches_and_polls_until_completed(client, server, tmp_path):
    _script_uploads(server, "file-up1", "file-up2")
    server.script("vector_stores.file_batches.create", _batch("in_progress"))
    server.script("vector_stores.file_batches.retrieve", _batch("in_progress"), _batch("completed"))

    result = client.call(
        "uploadAndPollVectorStoreFileBatch",
        {"vector_store_id": "vs_1", "files": _files(tmp_path, "a.txt", "b.txt"), "file_ids": ["file-old"], **FAST},
    )

    assert result["status"] == "completed"
    assert [(r.method, r.path) for r in server.requests] == [
        ("POST", "/v1/files"),
        ("POST", "/v1/files"),
        ("POST", "/v1/vector_stores/vs_1/file_batches"),
        ("GET", "/v1/vector_stores/vs_1/file_batches/vsfb_1"),
        ("GET", "/v1/vector_stores/vs_1/file_batches/vsfb_1"),
    ]
    uploads = [r.payload for r in server.requests[:2]]
    assert [u["file"].filename for u in uploads] == ["a.txt", "b.txt"]
    assert all(u["purpose"] == "assistants" for u in uploads)
    assert server.requests[2].json() == {"file_ids": ["file-old", "file-up1", "file-up2"]}  # no poll knobs sent


def test_polling_gives_up_at_the_timeout_with_the_last_state(client, server):
    server.script("vector_stores.file_batches.create", _batch("in_progress"))
    server.script("vector_stores.file_batches.retrieve", *[_batch("in_progress")] * 50)
    with pytest.raises(PollTimeoutError, match="not done after 0.1 s") as info:
        client.call(
            "vector_stores.file_batches.create_and_poll",
            {"vector_store_id": "vs_1", "file_ids": ["f"], "poll_interval_ms": 20, "poll_timeout_ms": 100},
        )
    assert info.value.last["status"] == "in_progress"
    polls = [r for r in server.requests if r.method == "GET"]
    assert 2 <= len(polls) <= 5


def test_a_terminal_start_result_needs_no_poll(client, server):
    server.script("vector_stores.files.create", Reply(json={"id": "file-1", "status": "completed"}))
    result = client.call("vector_stores.files.create_and_poll", {"vector_store_id": "vs_1", "file_id": "file-1"})
    assert result["status"] == "completed" and len(server.requests) == 1


def test_run_create_and_poll_stops_when_action_is_required(client, server):
    run = {"id": "run_1", "object": "thread.run", "thread_id": "thread_1"}
    server.script("beta.threads.runs.create", Reply(json={**run, "status": "queued"}))
    server.script(
        "beta.threads.runs.retrieve",
        Reply(json={**run, "status": "in_progress"}),
        Reply(json={**run, "status": "requires_action"}),
        Reply(json={**run, "status": "completed"}),
    )
    result = client.call("beta.threads.runs.create_and_poll", {"thread_id": "thread_1", "assistant_id": "asst_1", **FAST})
    assert result["status"] == "requires_action"
    assert [r.path for r in server.requests][-1] == "/v1/threads/thread_1/runs/run_1"
    assert server.requests[0].headers["openai-beta"] == "assistants=v2"


def test_a_bad_payload_uploads_nothing(client, server, tmp_path):
    with pytest.raises(ValidationError) as info:
        client.call(
            "vector_stores.file_batches.upload_and_poll",
            {"vector_store_id": "vs_1", "files": _files(tmp_path, "a.txt"), "file_ids": "not-a-list"},
        )
    assert "$.file_ids" in info.value.paths
    with pytest.raises(ValidationError) as info:
        client.call("uploadAndPollVectorStoreFileBatch", {"vector_store_id": "vs_1", "files": [tmp_path / "missing.txt"]})
    assert info.value.paths == ["$.files[0]"]
    assert server.requests == []


async def test_async_upload_and_poll(aclient, server, tmp_path):
    _script_uploads(server, "file-up1", "file-up2", "file-up3")
    server.script("vector_stores.file_batches.create", _batch("in_progress"))
    server.script("vector_stores.file_batches.retrieve", _batch("completed"))
    result = await aclient.call(
        "vector_stores.file_batches.upload_and_poll",
        {"vector_store_id": "vs_1", "files": _files(tmp_path, "a", "b", "c"), **FAST},
    )
    assert result["status"] == "completed"
    batch_request = next(r for r in server.requests if r.path.endswith("/file_batches"))
    assert sorted(batch_request.json()["file_ids"]) == ["file-up1", "file-up2", "file-up3"]


def test_call_options_reach_every_inner_call(client, server, tmp_path):
    _script_uploads(server, "file-up1")
    server.script("vector_stores.file_batches.create", _batch("in_progress"))
    server.script("vector_stores.file_batches.retrieve", _batch("completed"))
    client.call(
        "uploadAndPollVectorStoreFileBatch",
        {"vector_store_id": "vs_1", "files": _files(tmp_path, "a.txt"), **FAST},
        extra_headers={"X-Trace": "t-1"},
        extra_query={"tenant": "blue"},
    )
    assert len(server.requests) == 3
    assert all(r.headers.get("x-trace") == "t-1" for r in server.requests)
    assert all(("tenant", "blue") in r.query for r in server.requests)
    keys = [r.headers.get("idempotency-key") for r in server.requests if r.method == "POST"]
    assert len(set(keys)) == len(keys)  # each inner request its own idempotency key
