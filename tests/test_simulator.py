"""The API simulator (``oaimap.simulator``), through the pytest plugin's fixtures
(``oaimap_server``, ``oaimap_client``, ``oaimap_async_client``): objects kept by id with
the API's pagination and 404s, lifecycles on a clock the test moves, deterministic
answers, scripted tool calls, ``--state`` across restarts, the admin routes, and every
polling helper finishing."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from oaimap import BadRequestError, Client, NotFoundError
from oaimap.simulator import Say, Simulator, ToolCall, reply_text
from oaimap.specs import SpecRegistry

ZERO = {"poll_interval_ms": 0}


def _upload(client, data: bytes = b'{"a": 1}\n', name: str = "data.jsonl", purpose: str = "assistants"):
    return client.call("files.create", {"file": (name, data), "purpose": purpose})


# -- state: create, retrieve, list, update, delete ---------------------------------------------
def test_an_object_lives_from_create_to_delete(oaimap_client):
    created = oaimap_client.call("beta.assistants.create", {"model": "gpt-4o", "name": "helper", "metadata": {"k": "v"}})
    assert re.fullmatch(r"asst_[0-9A-Za-z]{24}", created["id"]) and created["name"] == "helper"
    assert oaimap_client.call("beta.assistants.retrieve", {"assistant_id": created["id"]}) == created
    updated = oaimap_client.call("beta.assistants.update", {"assistant_id": created["id"], "name": "renamed"})
    assert updated["name"] == "renamed" and updated["metadata"] == {"k": "v"}
    assert [a["id"] for a in oaimap_client.call("beta.assistants.list", {})["data"]] == [created["id"]]
    gone = oaimap_client.call("beta.assistants.delete", {"assistant_id": created["id"]})
    assert gone == {"id": created["id"], "object": "assistant.deleted", "deleted": True}
    with pytest.raises(NotFoundError) as caught:
        oaimap_client.call("beta.assistants.retrieve", {"assistant_id": created["id"]})
    assert created["id"] in str(caught.value)


def test_an_unknown_id_is_a_404_in_the_api_error_shape(oaimap_server):
    answer = httpx.get(f"{oaimap_server.url}/files/file-nope", headers={"Authorization": "Bearer sk-x"})
    assert answer.status_code == 404
    error = answer.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["type"] == "invalid_request_error"
    assert "file-nope" in error["message"] and answer.headers["x-request-id"].startswith("req_")


def test_children_need_their_parent(oaimap_client):
    with pytest.raises(NotFoundError, match="thread_missing"):
        oaimap_client.call("beta.threads.messages.create", {"thread_id": "thread_missing", "role": "user", "content": "hi"})
    with pytest.raises(NotFoundError, match="file-missing"):
        oaimap_client.call("batches.create", {"input_file_id": "file-missing", "endpoint": "/v1/responses", "completion_window": "24h"})


def test_a_file_keeps_its_bytes_and_lists_by_purpose(oaimap_client):
    first = _upload(oaimap_client, b"one\n", "one.jsonl", "fine-tune")
    second = _upload(oaimap_client, b"two!\n", "two.jsonl", "batch")
    assert re.fullmatch(r"file-[0-9A-Za-z]{24}", first["id"]) and first["bytes"] == 4 and first["filename"] == "one.jsonl"
    assert oaimap_client.call("files.content", {"file_id": second["id"]}) == b"two!\n"
    assert [f["id"] for f in oaimap_client.call("files.list", {"purpose": "batch"})["data"]] == [second["id"]]
    assert oaimap_client.call("files.delete", {"file_id": first["id"]})["deleted"] is True
    assert [f["id"] for f in oaimap_client.call("files.list", {})["data"]] == [second["id"]]


def test_lists_page_as_the_api_does(oaimap_client):
    made = [oaimap_client.call("vector_stores.create", {"name": f"s{i}"})["id"] for i in range(5)]
    first = oaimap_client.call("vector_stores.list", {"limit": 2})
    assert [s["id"] for s in first["data"]] == made[::-1][:2] and first["has_more"] is True  # newest first
    assert first["first_id"] == made[4] and first["last_id"] == made[3]
    assert [s["id"] for s in oaimap_client.paginate("vector_stores.list", {"limit": 2})] == made[::-1]
    assert [s["id"] for s in oaimap_client.paginate("vector_stores.list", {"limit": 2, "order": "asc"})] == made
    before = oaimap_client.call("vector_stores.list", {"before": made[1], "order": "asc"})
    assert [s["id"] for s in before["data"]] == made[:1]


def test_deleting_an_object_deletes_its_children(oaimap_client, oaimap_server):
    thread = oaimap_client.call("beta.threads.create", {"messages": [{"role": "user", "content": "hi"}]})
    assert len(oaimap_server.objects(f"/threads/{thread['id']}/messages")) == 1
    oaimap_client.call("beta.threads.delete", {"thread_id": thread["id"]})
    assert oaimap_server.objects(f"/threads/{thread['id']}/messages") == []


# -- lifecycles ------------------------------------------------------------------------------------
def _batch_input(lines: list[dict]) -> bytes:
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def test_a_batch_walks_its_statuses_and_writes_output_and_error_files(oaimap_client):
    good = {"custom_id": "ok-1", "method": "POST", "url": "/v1/chat/completions",
            "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "ping"}]}}
    bad = {"custom_id": "bad-1", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-4o-mini"}}
    file = _upload(oaimap_client, _batch_input([good, bad, {**good, "custom_id": "ok-2"}]), "in.jsonl", "batch")
    batch = oaimap_client.call("batches.create", {"input_file_id": file["id"], "endpoint": "/v1/chat/completions", "completion_window": "24h"})
    assert re.fullmatch(r"batch_[0-9a-f]{32}", batch["id"]) and batch["status"] == "validating"
    seen = [oaimap_client.call("batches.retrieve", {"batch_id": batch["id"]}) for _ in range(3)]
    assert [b["status"] for b in seen] == ["in_progress", "finalizing", "completed"]
    done = seen[-1]
    assert done["request_counts"] == {"total": 3, "completed": 2, "failed": 1}
    assert done["in_progress_at"] is not None and done["completed_at"] is not None
    output = [json.loads(line) for line in oaimap_client.call("files.content", {"file_id": done["output_file_id"]}).splitlines()]
    errors = [json.loads(line) for line in oaimap_client.call("files.content", {"file_id": done["error_file_id"]}).splitlines()]
    assert [o["custom_id"] for o in output] == ["ok-1", "ok-2"] and [e["custom_id"] for e in errors] == ["bad-1"]
    assert output[0]["response"]["body"]["choices"][0]["message"]["content"] == reply_text("ping")
    assert errors[0]["response"]["status_code"] == 400 and "messages" in errors[0]["response"]["body"]["error"]["message"]
    with pytest.raises(BadRequestError, match="completed"):  # a finished batch cannot be cancelled
        oaimap_client.call("batches.cancel", {"batch_id": batch["id"]})


def test_the_test_moves_the_clock_when_reads_do_not():
    with Simulator(steps_per_read=0) as server, Client(api_key="sk-x", base_url=server.url, max_retries=0) as client:
        job_file = _upload(client, b'{"messages": []}\n', "train.jsonl", "fine-tune")
        job = client.call("fine_tuning.jobs.create", {"model": "gpt-4o-mini", "training_file": job_file["id"]})
        read = lambda: client.call("fine_tuning.jobs.retrieve", {"fine_tuning_job_id": job["id"]})  # noqa: E731
        assert read()["status"] == read()["status"] == "validating_files"
        server.advance(seconds=60)
        assert read()["status"] == "queued"
        server.advance(steps=5, seconds=60)
        finished = read()
        assert finished["status"] == "succeeded" and finished["fine_tuned_model"].startswith("ft:gpt-4o-mini:")
        assert finished["finished_at"] == finished["created_at"] + 120


def test_a_cancelled_batch_ends_cancelled(oaimap_client):
    file = _upload(oaimap_client, b"", "empty.jsonl", "batch")
    batch = oaimap_client.call("batches.create", {"input_file_id": file["id"], "endpoint": "/v1/responses", "completion_window": "24h"})
    assert oaimap_client.call("batches.cancel", {"batch_id": batch["id"]})["status"] == "cancelling"
    assert oaimap_client.call("batches.retrieve", {"batch_id": batch["id"]})["status"] == "cancelled"


def _polling_helpers() -> set[str]:
    return {op.name for op in SpecRegistry.shared().operations() if op.helper and op.helper["kind"] in ("poll", "upload_and_poll")}


def test_every_polling_helper_finishes(oaimap_client, tmp_path):
    ran: set[str] = set()

    def call(name: str, payload: dict) -> dict:
        ran.add(name)
        return oaimap_client.call(name, payload)

    doc = tmp_path / "doc.txt"
    doc.write_text("some text")
    file = _upload(oaimap_client)
    assert call("files.wait_for_processing", {"id": file["id"], "poll_interval": 0})["status"] == "processed"
    store = oaimap_client.call("vector_stores.create", {"name": "docs"})["id"]
    assert call("vector_stores.files.create_and_poll", {"vector_store_id": store, "file_id": file["id"], **ZERO})["status"] == "completed"
    assert call("vector_stores.files.poll", {"vector_store_id": store, "file_id": file["id"], **ZERO})["status"] == "completed"
    assert call("vector_stores.files.upload", {"vector_store_id": store, "file": doc})["status"] == "in_progress"
    assert call("vector_stores.files.upload_and_poll", {"vector_store_id": store, "file": doc, **ZERO})["status"] == "completed"
    batch = call("vector_stores.file_batches.create_and_poll", {"vector_store_id": store, "file_ids": [file["id"]], **ZERO})
    assert batch["status"] == "completed" and batch["file_counts"]["completed"] == 1
    started = oaimap_client.call("vector_stores.file_batches.create", {"vector_store_id": store, "file_ids": [file["id"]]})
    assert call("vector_stores.file_batches.poll", {"vector_store_id": store, "batch_id": started["id"], **ZERO})["file_counts"]["in_progress"] == 0
    uploaded = call("vector_stores.file_batches.upload_and_poll", {"vector_store_id": store, "files": [doc, doc], **ZERO})
    assert uploaded["status"] == "completed" and uploaded["file_counts"]["total"] == 2
    assistant = oaimap_client.call("beta.assistants.create", {"model": "gpt-4o"})["id"]
    thread = oaimap_client.call("beta.threads.create", {"messages": [{"role": "user", "content": "hello"}]})["id"]
    run = call("beta.threads.runs.create_and_poll", {"thread_id": thread, "assistant_id": assistant, **ZERO})
    assert run["status"] == "completed" and run["usage"]["total_tokens"] > 0
    started_run = oaimap_client.call("beta.threads.runs.create", {"thread_id": thread, "assistant_id": assistant})
    assert call("beta.threads.runs.poll", {"thread_id": thread, "run_id": started_run["id"], **ZERO})["status"] == "completed"
    assert call("beta.threads.create_and_run_poll", {"assistant_id": assistant, "thread": {"messages": [{"role": "user", "content": "x"}]}, **ZERO})["status"] == "completed"
    video = call("videos.create_and_poll", {"prompt": "a cat", **ZERO})
    assert video["status"] == "completed" and video["progress"] == 100
    assert call("videos.poll", {"video_id": video["id"], **ZERO})["status"] == "completed"
    assert oaimap_client.call("videos.download_content", {"video_id": video["id"]}).startswith(b"simulated video")
    batch_input = _upload(oaimap_client, b"", "in.jsonl", "batch")
    batch = oaimap_client.call("batches.create", {"input_file_id": batch_input["id"], "endpoint": "/v1/embeddings", "completion_window": "24h"})
    assert call("batches.poll", {"batch_id": batch["id"], **ZERO})["status"] == "completed"
    training = _upload(oaimap_client, b'{"messages": []}\n', "train.jsonl", "fine-tune")
    job = oaimap_client.call("fine_tuning.jobs.create", {"model": "gpt-4o-mini", "training_file": training["id"]})
    assert call("fine_tuning.jobs.poll", {"fine_tuning_job_id": job["id"], **ZERO})["status"] == "succeeded"
    ran.add("beta.threads.runs.submit_tool_outputs_and_poll")  # covered by test_a_run_can_require_action
    assert ran == _polling_helpers(), "a polling helper without a test here: add it"


def test_a_run_can_require_action(oaimap_client, oaimap_server):
    assistant = oaimap_client.call("beta.assistants.create", {"model": "gpt-4o"})["id"]
    thread = oaimap_client.call("beta.threads.create", {"messages": [{"role": "user", "content": "Weather in Paris?"}]})["id"]
    oaimap_server.script("beta.threads.runs.create", ToolCall("get_weather", {"city": "Paris"}))
    run = oaimap_client.call("beta.threads.runs.create_and_poll", {"thread_id": thread, "assistant_id": assistant, **ZERO})
    assert run["status"] == "requires_action"
    (tool_call,) = run["required_action"]["submit_tool_outputs"]["tool_calls"]
    assert tool_call["function"] == {"name": "get_weather", "arguments": '{"city": "Paris"}'}
    with pytest.raises(BadRequestError, match="expects outputs"):
        oaimap_client.call("beta.threads.runs.submit_tool_outputs", {"thread_id": thread, "run_id": run["id"], "tool_outputs": [{"tool_call_id": "call_wrong", "output": "x"}]})
    done = oaimap_client.call("beta.threads.runs.submit_tool_outputs_and_poll", {
        "thread_id": thread, "run_id": run["id"], "tool_outputs": [{"tool_call_id": tool_call["id"], "output": "sunny"}], **ZERO})
    assert done["status"] == "completed" and done["required_action"] is None
    newest = oaimap_client.call("beta.threads.messages.list", {"thread_id": thread, "limit": 1})["data"][0]
    assert newest["role"] == "assistant" and newest["run_id"] == run["id"]
    assert newest["content"][0]["text"]["value"] == reply_text("tool outputs: sunny")
    # the run's steps: the tool calls it waited for, completed with their outputs, then its message
    steps = list(oaimap_client.paginate("beta.threads.runs.steps.list", {"thread_id": thread, "run_id": run["id"], "order": "asc"}))
    assert [(s["type"], s["status"]) for s in steps] == [("tool_calls", "completed"), ("message_creation", "completed")]
    assert all(re.fullmatch(r"step_[0-9A-Za-z]{24}", s["id"]) and s["run_id"] == run["id"] for s in steps)
    (called,) = steps[0]["step_details"]["tool_calls"]
    assert called["id"] == tool_call["id"] and called["function"]["output"] == "sunny"
    assert steps[1]["step_details"]["message_creation"]["message_id"] == newest["id"]
    one = oaimap_client.call("beta.threads.runs.steps.retrieve", {"thread_id": thread, "run_id": run["id"], "step_id": steps[1]["id"]})
    assert one == steps[1]
    with pytest.raises(NotFoundError):
        oaimap_client.call("beta.threads.runs.steps.list", {"thread_id": thread, "run_id": "run_unknown"})


def test_a_background_response_completes_on_the_clock(oaimap_client):
    response = oaimap_client.call("responses.create", {"model": "gpt-4.1", "input": "later", "background": True})
    assert response["status"] == "queued" and response["output"] == []
    assert oaimap_client.call("responses.retrieve", {"response_id": response["id"]})["status"] == "in_progress"
    finished = oaimap_client.call("responses.retrieve", {"response_id": response["id"]})
    assert finished["status"] == "completed" and finished["output"][0]["content"][0]["text"] == reply_text("later")
    other = oaimap_client.call("responses.create", {"model": "gpt-4.1", "input": "stop", "background": True})
    assert oaimap_client.call("responses.cancel", {"response_id": other["id"]})["status"] == "cancelled"


# -- deterministic answers and scripts -------------------------------------------------------------
def test_text_is_a_function_of_the_input(oaimap_client):
    chat = oaimap_client.call("chat.completions.create", {"model": "m", "messages": [{"role": "user", "content": "Is it  deterministic?"}]})
    assert chat["choices"][0]["message"]["content"] == reply_text("Is it deterministic?") == "Simulated reply to: Is it deterministic?"
    response = oaimap_client.call("responses.create", {"model": "m", "input": [{"role": "user", "content": [{"type": "input_text", "text": "same"}]}]})
    assert response["output"][0]["content"][0]["text"] == reply_text("same")
    completion = oaimap_client.call("completions.create", {"model": "m", "prompt": "abc"})
    assert completion["choices"][0]["text"] == reply_text("abc") and completion["usage"]["prompt_tokens"] == 1


def test_a_custom_model_answers():
    with Simulator(model=str.upper) as server, Client(api_key="sk-x", base_url=server.url) as client:
        answer = client.call("responses.create", {"model": "m", "input": "shout"})
    assert answer["output"][0]["content"][0]["text"] == "SHOUT"


def test_scripted_text_and_tool_calls(oaimap_client, oaimap_server):
    oaimap_server.script("chat.completions.create", Say("Scripted."), [ToolCall("a", {"x": 1}), ToolCall("b")])
    messages = [{"role": "user", "content": "hi"}]
    assert oaimap_client.call("chat.completions.create", {"model": "m", "messages": messages})["choices"][0]["message"]["content"] == "Scripted."
    choice = oaimap_client.call("chat.completions.create", {"model": "m", "messages": messages})["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in choice["message"]["tool_calls"]] == [("a", {"x": 1}), ("b", {})]
    oaimap_server.script("responses.create", ToolCall("lookup", {"q": "oaimap"}))
    (item,) = oaimap_client.call("responses.create", {"model": "m", "input": "find it", "tools": [
        {"type": "function", "name": "lookup", "parameters": {"type": "object"}}]})["output"]
    assert item["type"] == "function_call" and item["name"] == "lookup" and json.loads(item["arguments"]) == {"q": "oaimap"}


def test_reasoning_is_summarised_when_asked(oaimap_client):
    response = oaimap_client.call("responses.create", {"model": "o4-mini", "input": "why?", "reasoning": {"effort": "low", "summary": "auto"}})
    assert [o["type"] for o in response["output"]] == ["reasoning", "message"]
    assert response["usage"]["output_tokens_details"]["reasoning_tokens"] > 0


def test_embeddings_have_the_dimensions_and_are_stable(oaimap_client):
    one = oaimap_client.call("embeddings.create", {"model": "text-embedding-3-small", "input": ["a", "b"], "dimensions": 64})
    again = oaimap_client.call("embeddings.create", {"model": "text-embedding-3-small", "input": "a", "dimensions": 64})
    vectors = [d["embedding"] for d in one["data"]]
    assert [len(v) for v in vectors] == [64, 64] and vectors[0] != vectors[1] and again["data"][0]["embedding"] == vectors[0]
    assert abs(sum(x * x for x in vectors[0]) - 1) < 1e-6
    large = oaimap_client.call("embeddings.create", {"model": "text-embedding-3-large", "input": "a"})
    assert len(large["data"][0]["embedding"]) == 3072
    packed = oaimap_client.call("embeddings.create", {"model": "text-embedding-3-small", "input": "a", "dimensions": 64, "encoding_format": "base64"})
    decoded = struct.unpack("<64f", base64.b64decode(packed["data"][0]["embedding"]))
    assert max(abs(x - y) for x, y in zip(decoded, vectors[0])) < 1e-6


def test_stored_chat_completions_are_kept(oaimap_client):
    made = oaimap_client.call("chat.completions.create", {"model": "m", "store": True, "metadata": {"run": "1"},
                                                          "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]})
    assert oaimap_client.call("chat.completions.retrieve", {"completion_id": made["id"]})["id"] == made["id"]
    messages = oaimap_client.call("chat.completions.messages.list", {"completion_id": made["id"], "order": "asc"})["data"]
    assert [m["role"] for m in messages] == ["system", "user"]
    assert oaimap_client.call("chat.completions.update", {"completion_id": made["id"], "metadata": {"run": "2"}})["metadata"] == {"run": "2"}
    assert oaimap_client.call("chat.completions.list", {})["data"][0]["id"] == made["id"]


def test_conversations_collect_response_items(oaimap_client):
    conversation = oaimap_client.call("conversations.create", {"items": [{"type": "message", "role": "user", "content": "first"}]})
    oaimap_client.call("responses.create", {"model": "m", "input": "second", "conversation": conversation["id"]})
    items = oaimap_client.call("conversations.items.list", {"conversation_id": conversation["id"], "order": "asc"})["data"]
    assert [(i["role"], i["content"][0]["text"]) for i in items] == [("user", "first"), ("user", "second"), ("assistant", reply_text("second"))]


# -- uploads --------------------------------------------------------------------------------------
def test_an_upload_joins_its_parts_into_a_file(oaimap_client):
    data = b"0123456789" * 10
    upload = oaimap_client.call("uploads.create", {"filename": "big.jsonl", "purpose": "batch", "bytes": len(data), "mime_type": "text/jsonl"})
    parts = [oaimap_client.call("uploads.parts.create", {"upload_id": upload["id"], "data": data[i:i + 40]})["id"] for i in range(0, 100, 40)]
    with pytest.raises(BadRequestError, match="md5"):
        oaimap_client.call("uploads.complete", {"upload_id": upload["id"], "part_ids": parts, "md5": "0" * 32})
    done = oaimap_client.call("uploads.complete", {"upload_id": upload["id"], "part_ids": parts, "md5": hashlib.md5(data).hexdigest()})
    assert done["status"] == "completed" and done["file"]["bytes"] == 100
    assert oaimap_client.call("files.content", {"file_id": done["file"]["id"]}) == data
    with pytest.raises(BadRequestError, match="completed"):
        oaimap_client.call("uploads.parts.create", {"upload_id": upload["id"], "data": b"more"})


def test_chunked_upload_helper_completes(oaimap_client, tmp_path):
    source = tmp_path / "rows.jsonl"
    source.write_bytes(b'{"row": 1}\n' * 1000)
    done = oaimap_client.call("uploads.upload_file_chunked", {"file": source, "mime_type": "text/jsonl", "purpose": "batch", "part_size": 3000})
    assert oaimap_client.call("files.content", {"file_id": done["file"]["id"]}) == source.read_bytes()


# -- controls: admin routes, state file, async -------------------------------------------------------
def test_admin_routes_script_and_advance(oaimap_server, oaimap_client):
    admin = oaimap_server.url.rsplit("/v1", 1)[0] + "/__oaimap"
    assert httpx.post(f"{admin}/script", json={"operation": "responses.create", "text": "From admin."}).status_code == 200
    assert oaimap_client.call("responses.create", {"model": "m", "input": "x"})["output"][0]["content"][0]["text"] == "From admin."
    job_file = _upload(oaimap_client)
    job = oaimap_client.call("fine_tuning.jobs.create", {"model": "gpt-4o-mini", "training_file": job_file["id"]})
    assert httpx.post(f"{admin}/advance", json={"steps": 9}).status_code == 200
    assert oaimap_server.objects("/fine_tuning/jobs")[0]["status"] == "succeeded" and job["status"] == "validating_files"
    state = httpx.get(f"{admin}/state").json()
    assert job["id"] in state["collections"]["/fine_tuning/jobs"][0]["obj"]["id"]
    assert httpx.post(f"{admin}/advance", json={"steps": "many"}).status_code == 400


def test_state_survives_a_restart(tmp_path):
    state = tmp_path / "state.json"
    with Simulator(state_file=state) as server, Client(api_key="sk-x", base_url=server.url) as client:
        file = _upload(client, b"kept\n")
        response = client.call("responses.create", {"model": "m", "input": "remember"})
    with Simulator(state_file=state) as server, Client(api_key="sk-x", base_url=server.url) as client:
        assert client.call("files.content", {"file_id": file["id"]}) == b"kept\n"
        assert client.call("responses.retrieve", {"response_id": response["id"]}) == response
        assert client.call("files.create", {"file": ("n.txt", b"n"), "purpose": "assistants"})["id"] != file["id"]


def test_oaimap_serve_keeps_state_in_a_file(tmp_path):
    state = tmp_path / "serve.json"
    proc = subprocess.Popen([sys.executable, "-m", "oaimap", "serve", "--state", str(state)], stdout=subprocess.PIPE, text=True)
    try:
        url = re.search(r"on (http://\S+/v1)", proc.stdout.readline())[1]  # type: ignore[index, union-attr]
        with Client(api_key="sk-x", base_url=url) as client:
            made = client.call("vector_stores.create", {"name": "persisted"})
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    saved = json.loads(state.read_text())
    assert saved["collections"]["/vector_stores"][0]["obj"]["id"] == made["id"]


async def test_the_async_client_fixture(oaimap_async_client, oaimap_server):
    made = await oaimap_async_client.call("conversations.create", {})
    assert (await oaimap_async_client.call("conversations.retrieve", {"conversation_id": made["id"]}))["id"] == made["id"]
    assert oaimap_server.requests[-1].operation == "conversations.retrieve"


# -- the README's examples, unchanged -----------------------------------------------------------------
def test_the_readme_examples_run_against_the_simulator(oaimap_server, tmp_path, monkeypatch, capsys):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert blocks
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPENAI_BASE_URL", oaimap_server.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-readme")
    for name in ("train.jsonl", "a.pdf", "b.pdf"):
        (tmp_path / name).write_text(f"content of {name}\n")
    scope: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), scope)  # noqa: S102 - the README's own code
    printed = capsys.readouterr().out
    assert "response.completed" in printed and re.search(r"^msg_[0-9a-f]{48}$", printed, re.M)
    assert (tmp_path / "train-copy.jsonl").read_text() == "content of train.jsonl\n"


# -- faults on cue, through the plugin's client (the default retry policy) ----------------------------
def test_a_rate_limited_create_is_retried_and_stored_once(oaimap_client, oaimap_server):
    oaimap_server.fail_next("responses.create", status=429, retry_after=0)
    made = oaimap_client.call("responses.create", {"model": "m", "input": "again"})
    assert made.meta.retries == 1 and [r.operation for r in oaimap_server.requests] == ["responses.create"] * 2
    assert [r["id"] for r in oaimap_server.objects("/responses")] == [made["id"]]  # the refused attempt stored nothing


def test_a_reset_is_an_error_the_application_sees(oaimap_server):
    from oaimap import APIConnectionError

    oaimap_server.fail_next("files.list", "reset", times=3)
    with Client(api_key="sk-x", base_url=oaimap_server.url, max_retries=2) as client, pytest.raises(APIConnectionError, match="files.list"):
        client.call("files.list", {})
    assert len(oaimap_server.requests) == 3


# -- the Responses websocket and Azure's routes on the simulator's port ------------------------
def test_the_responses_websocket_answers_turns_and_refuses_bad_events_with_error_events(oaimap_server):
    """Spoken to by the ``websockets`` library's own client, not oaimap's: a bad event is
    an ``error`` event and the connection stays open for the next turn."""
    from websockets.sync.client import connect

    url = oaimap_server.url.replace("http://", "ws://") + "/responses"
    with connect(url, additional_headers={"Authorization": "Bearer sk-test"}) as ws:
        ws.send(json.dumps({"type": "session.update"}))
        wrong_type = json.loads(ws.recv(timeout=5))
        ws.send(json.dumps({"type": "response.create", "input": "hi", "temperature": 9}))
        invalid = json.loads(ws.recv(timeout=5))
        ws.send("not json")
        not_json = json.loads(ws.recv(timeout=5))
        ws.send(json.dumps({"type": "response.create", "model": "gpt-4.1", "input": "hello"}))
        events = []
        while not events or events[-1]["type"] != "response.completed":
            events.append(json.loads(ws.recv(timeout=5)))
    assert wrong_type["type"] == not_json["type"] == invalid["type"] == "error"
    assert wrong_type["error"]["param"] == not_json["error"]["param"] == "type"
    assert invalid["error"]["type"] == "invalid_request_error" and invalid["error"]["message"].startswith("responses.create: ")
    assert "$.temperature" in invalid["error"]["message"] and "temperature" in invalid["error"]["param"]
    assert events[0]["type"] == "response.created"
    assert events[-1]["response"]["output"][0]["content"][0]["text"] == reply_text("hello")


@pytest.mark.parametrize("profile", ["azure", "azure-v1"])
def test_azure_profiles_reach_the_same_state_through_azures_routes(oaimap_server, oaimap_client, profile):
    with Client(profile=profile, base_url=oaimap_server.url.removesuffix("/v1"), api_key="sk-azure") as azure:
        uploaded = _upload(azure)
        assert oaimap_client.call("files.retrieve", {"file_id": uploaded["id"]})["id"] == uploaded["id"]
        answer = azure.call("chat.completions.create", {"model": "my-deployment", "messages": [{"role": "user", "content": "hi"}]})
    assert answer["choices"][0]["message"]["content"] == reply_text("hi")
    paths = [request.path for request in oaimap_server.requests]
    prefix = "/openai" if profile == "azure" else "/openai/v1"
    assert paths[0].startswith(f"{prefix}/files")
    assert paths[-1].startswith(f"{prefix}/deployments/my-deployment/chat/completions" if profile == "azure" else f"{prefix}/chat/completions")


# -- vector-store search over what was uploaded ------------------------------------------------
def test_vector_store_search_finds_the_uploaded_chunks_that_share_words_with_the_query(oaimap_client):
    client = oaimap_client
    texts = {
        "returns.md": "Returns are accepted within 30 days.\n\nRefunds reach your card in five days.",
        "shipping.md": "Orders ship in two days. Express shipping costs extra.",
        "careers.md": "We are hiring engineers.",
    }
    files = {name: _upload(client, text.encode(), name)["id"] for name, text in texts.items()}
    store = client.call("vector_stores.create", {"name": "help"})["id"]
    batch = client.call("vector_stores.file_batches.create_and_poll", {"vector_store_id": store, **ZERO, "files": [
        {"file_id": files["returns.md"], "attributes": {"team": "support", "year": 2024}},
        {"file_id": files["shipping.md"], "attributes": {"team": "logistics", "year": 2025}},
        {"file_id": files["careers.md"], "attributes": {"team": "people", "year": 2025}},
    ]})
    assert batch["file_counts"]["completed"] == 3

    def search(**payload):
        return client.call("vector_stores.search", {"vector_store_id": store, **payload})

    found = search(query="How many days until my refund is returned?")
    assert found["object"] == "vector_store.search_results.page" and found["search_query"] == ["How many days until my refund is returned?"]
    assert [(h["filename"], h["content"][0]["text"]) for h in found["data"]] == [
        ("returns.md", "Returns are accepted within 30 days.\n\nRefunds reach your card in five days."),  # days, refund, returned
        ("shipping.md", "Orders ship in two days. Express shipping costs extra."),  # days only
    ]
    assert found["data"][0]["score"] > found["data"][1]["score"] > 0
    assert found["data"][0]["attributes"] == {"team": "support", "year": 2024}
    assert [h["filename"] for h in search(query="days", filters={"type": "eq", "key": "team", "value": "logistics"})["data"]] == ["shipping.md"]
    either = {"type": "or", "filters": [{"type": "gte", "key": "year", "value": 2025}, {"type": "in", "key": "team", "value": ["support"]}]}
    assert len(search(query="days", filters=either)["data"]) == 2
    assert [h["filename"] for h in search(query="refund days", max_num_results=1)["data"]] == ["returns.md"]
    assert search(query="refund days", ranking_options={"score_threshold": 0.99})["data"] == []
    assert search(query="quantum chromodynamics")["data"] == []
    with pytest.raises(NotFoundError):
        client.call("vector_stores.search", {"vector_store_id": "vs_missing", "query": "days"})


def test_moderation_flags_the_categories_whose_words_a_text_holds(oaimap_client):
    answer = oaimap_client.call("moderations.create", {"input": ["I will stab you.", "What a lovely garden."]})
    threat, calm = answer["results"]
    assert answer["id"].startswith("modr-") and answer["model"] == "omni-moderation-latest"
    assert threat["flagged"] and [name for name, hit in threat["categories"].items() if hit] == ["violence"]
    assert threat["category_scores"]["violence"] > 0.9 > threat["category_scores"]["hate"]
    assert not calm["flagged"] and not any(calm["categories"].values())
    parts = [{"type": "text", "text": "how to steal a car"}, {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]
    (mixed,) = oaimap_client.call("moderations.create", {"model": "omni-moderation-latest", "input": parts})["results"]
    assert mixed["categories"]["illicit"] and mixed["category_applied_input_types"]["illicit"] == ["text", "image"]
    assert not oaimap_client.call("moderations.create", {"input": "skill and stabilise"})["results"][0]["flagged"]  # whole words
