"""The operations whose answer the simulator computes, and what happens when a
long-running object finishes (``finish`` in ``rules.yaml``).

Each hook takes the simulator and the call and returns the answer (a JSON value or a
``Reply``); everything not here is handled generically by ``engine.py``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any, Callable

from ..decode import request_payload
from ..server import Reply, _error
from ..validation import violations
from .answers import (
    Say,
    chat_answer,
    completion_answer,
    computer_step,
    count_tokens,
    embeddings_answer,
    input_items,
    moderation_inputs,
    moderation_result,
    response_object,
    response_output,
    response_usage,
    text_of,
)
from .engine import Call, NotFound, Refused, Role, Simulator
from .state import Record
from . import media, search, streams

HOOKS: dict[str, Callable[[Simulator, Call], Any]] = {}
FINISHES: dict[str, Callable[[Simulator, Record], None]] = {}


def hook(*names: str) -> Callable[[Callable[[Simulator, Call], Any]], Callable[[Simulator, Call], Any]]:
    def register(fn: Callable[[Simulator, Call], Any]) -> Callable[[Simulator, Call], Any]:
        for name in names:
            HOOKS[name] = fn
        return fn

    return register


def finish(fn: Callable[[Simulator, Record], None]) -> Callable[[Simulator, Record], None]:
    FINISHES[fn.__name__] = fn
    return fn


def _streaming(call: Call) -> bool:
    return bool(call.op.stream_param and call.payload.get(call.op.stream_param) is True)


def _events(call: Call, events: list[Any]) -> Reply:
    return Reply(events=events if call.op.stream_end else [*events, "[DONE]"])


# -- files and uploads ------------------------------------------------------------------
def store_file(sim: Simulator, call: Call, data: bytes, filename: str, purpose: str) -> Record:
    obj = {"id": "", "object": "file", "bytes": len(data), "created_at": sim.store.now, "expires_at": None,
           "filename": filename, "purpose": purpose, "status": "processed", "status_details": None}
    expires = call.payload.get("expires_after")
    if isinstance(expires, dict):
        obj["expires_at"] = sim.store.now + int(expires.get("seconds", 0))
    record = sim.create(call, obj, collection="/files")
    record.obj["expires_at"] = obj["expires_at"]
    record.hidden["content"] = data
    return record


@hook("files.create")
def _files_create(sim: Simulator, call: Call) -> Any:
    upload = call.payload["file"]
    return store_file(sim, call, upload.data, upload.filename, call.payload["purpose"]).view()


@hook("uploads.create")
def _uploads_create(sim: Simulator, call: Call) -> Any:
    record = sim.create(call)
    record.obj.update(status="pending", expires_at=sim.store.now + 3600)
    record.hidden["parts"] = {}
    return record.view()


def _pending_upload(sim: Simulator, call: Call) -> Record:
    record = sim.find("/uploads", call.path["upload_id"])
    if record.obj["status"] != "pending":
        raise Refused(f"Upload '{record.id}' is {record.obj['status']}: it takes no more parts.")
    return record


@hook("uploads.parts.create")
def _uploads_part(sim: Simulator, call: Call) -> Any:
    upload = _pending_upload(sim, call)
    part_id = sim.store.new_id("part_")
    upload.hidden["parts"][part_id] = call.payload["data"].data
    return {"id": part_id, "object": "upload.part", "created_at": sim.store.now, "upload_id": upload.id}


@hook("uploads.complete")
def _uploads_complete(sim: Simulator, call: Call) -> Any:
    upload = _pending_upload(sim, call)
    parts = upload.hidden["parts"]
    unknown = [p for p in call.payload["part_ids"] if p not in parts]
    if unknown:
        raise Refused(f"Upload '{upload.id}' has no part {unknown[0]!r}.")
    data = b"".join(parts[p] for p in call.payload["part_ids"])
    if len(data) != upload.obj["bytes"]:
        raise Refused(f"Upload '{upload.id}' declared {upload.obj['bytes']} bytes but its parts hold {len(data)}.")
    md5 = call.payload.get("md5")
    if md5 and md5 != hashlib.md5(data).hexdigest():
        raise Refused(f"Upload '{upload.id}': the md5 of its parts is not {md5!r}.")
    file = store_file(sim, call, data, upload.obj["filename"], upload.obj["purpose"])
    parts.clear()  # the file holds the bytes now: a completed Upload takes no more parts
    upload.obj.update(status="completed", file=file.view())
    return upload.view()


# -- chat, completions, embeddings ------------------------------------------------------------
@hook("chat.completions.create")
def _chat(sim: Simulator, call: Call) -> Any:
    said = sim.said(call, sim.prompt_of(call.payload["messages"]))
    completion_id = sim.new_id("/chat/completions")
    call_ids = [sim.store.new_id("call_") for _ in (said if isinstance(said, list) else [])]
    answer = chat_answer(call.payload, completion_id, sim.store.now, said, call_ids)
    if call.payload.get("metadata"):
        answer["metadata"] = call.payload["metadata"]
    if call.payload.get("store"):
        record = sim.store.put("/chat/completions", Record(json.loads(json.dumps(answer))))
        record.obj.setdefault("metadata", {})
        record.hidden["messages"] = [
            {"id": f"{completion_id}-{i}", **({"content": text_of(m.get("content"))} if "content" in m else {}),
             **{k: v for k, v in m.items() if k != "content"}}
            for i, m in enumerate(call.payload["messages"])
        ]
    if _streaming(call):
        return _events(call, streams.chat_chunks(answer, call.payload))
    return answer


@hook("chat.completions.messages.list")
def _chat_messages(sim: Simulator, call: Call) -> Any:
    record = sim.find("/chat/completions", call.path["completion_id"], what="chat completion")
    return sim.list_page(call, record.hidden["messages"])


@hook("completions.create")
def _completions(sim: Simulator, call: Call) -> Any:
    answer = completion_answer(call.payload, sim.store.new_id("cmpl-"), sim.store.now, sim.model)
    if _streaming(call):
        return _events(call, streams.chat_chunks(answer, call.payload))
    return answer


@hook("embeddings.create")
def _embeddings(sim: Simulator, call: Call) -> Any:
    return embeddings_answer(call.payload)


# -- Responses and conversations -------------------------------------------------------------
@hook("responses.create", "beta.responses.create")
def _responses(sim: Simulator, call: Call) -> Any:
    payload = call.payload
    new_id = sim.store.new_id
    items = input_items(payload.get("input"), lambda prefix: new_id(prefix, "hex48"))
    said = sim.said(call, sim.prompt_of(items))
    computer = None if call.scripted else computer_step(payload, items, lambda prefix: new_id(prefix, "hex48"))
    output = computer or response_output(payload, said, lambda prefix: new_id(prefix, "hex48"))
    response_id = sim.new_id("/responses")
    response = response_object(payload, response_id, sim.store.now, "completed")
    record = Record(response)
    record.hidden.update(input_items=items, output=output)
    conversation = payload.get("conversation")
    if conversation:
        conversation_id = conversation if isinstance(conversation, str) else conversation["id"]
        sim.find("/conversations", conversation_id, what="conversation")
        for item in [*items, *output]:
            sim.store.put(f"/conversations/{conversation_id}/items", Record(dict(item)))
    rule = sim.rules["lifecycles"][call.op.name]
    if payload.get("background"):
        sim.begin(record, call.op.name, rule["status"])
    else:
        response_done(sim, record)
    if payload.get("store", True) is not False:
        sim.store.put("/responses", record)
    if _streaming(call):
        return _events(call, streams.response_events(record.view()))
    return record.view()


@finish
def response_done(sim: Simulator, record: Record) -> None:
    record.obj.update(status="completed", output=record.hidden["output"],
                      usage=response_usage(record.hidden["input_items"], record.hidden["output"]))
    if record.obj.get("background"):
        record.obj["completed_at"] = sim.store.now


@hook("responses.input_items.list", "beta.responses.input_items.list")
def _response_items(sim: Simulator, call: Call) -> Any:
    record = sim.find("/responses", call.path["response_id"], what="response")
    return sim.list_page(call, record.hidden["input_items"])


@hook("responses.input_tokens.count", "beta.responses.input_tokens.count")
def _count_tokens(sim: Simulator, call: Call) -> Any:
    items = input_items(call.payload.get("input"), lambda prefix: prefix)
    used = sum(count_tokens(text_of(i.get("content"))) for i in items) + count_tokens(call.payload.get("instructions") or "")
    return {"object": "response.input_tokens", "input_tokens": used}


@hook("conversations.create")
def _conversations_create(sim: Simulator, call: Call) -> Any:
    record = sim.create(call)
    for item in input_items(call.payload.get("items"), lambda prefix: sim.store.new_id(prefix, "hex48")):
        sim.store.put(f"/conversations/{record.id}/items", Record(item))
    return record.view()


@hook("conversations.items.create")
def _conversation_items(sim: Simulator, call: Call) -> Any:
    items = input_items(call.payload["items"], lambda prefix: sim.store.new_id(prefix, "hex48"))
    for item in items:
        sim.store.put(call.collection_key, Record(item))
    return {"object": "list", "data": items, "first_id": items[0]["id"] if items else None,
            "last_id": items[-1]["id"] if items else None, "has_more": False}


@hook("conversations.items.delete")
def _conversation_item_delete(sim: Simulator, call: Call) -> Any:
    sim.find(call.collection_key, call.object_id, what="item")
    sim.store.remove(call.collection_key, call.object_id)
    return sim.find("/conversations", call.path["conversation_id"]).view()


# -- vector stores -------------------------------------------------------------------------------
def _vector_store_file(sim: Simulator, call: Call, vector_store_id: str, file_id: str, batch: str | None, status: str,
                       attributes: dict[str, Any] | None = None) -> Record:
    obj = {"id": file_id, "object": "vector_store.file", "usage_bytes": 0, "created_at": sim.store.now,
           "vector_store_id": vector_store_id, "status": status, "last_error": None,
           "chunking_strategy": {"type": "static", "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400}},
           "attributes": attributes if attributes is not None else call.payload.get("attributes") or {}}
    if status == "completed":
        obj["usage_bytes"] = sim.find("/files", file_id).obj["bytes"]
    record = sim.store.put(f"/vector_stores/{vector_store_id}/files", Record(obj))
    record.hidden["batch"] = batch
    return record


@hook("vector_stores.create")
def _vector_stores_create(sim: Simulator, call: Call) -> Any:
    for file_id in call.payload.get("file_ids") or []:
        sim.find("/files", file_id, what="file")
    record = sim.create(call)
    record.obj["status"] = "completed"
    for file_id in call.payload.get("file_ids") or []:
        _vector_store_file(sim, call, record.id, file_id, None, "completed")
    _count_files(sim, record)
    return record.view()


def _file_counts(files: list[Record]) -> dict[str, int]:
    """A vector store's or a file batch's ``file_counts``: its files by status."""
    statuses = [f.obj["status"] for f in files]
    return {s: statuses.count(s) for s in ("in_progress", "completed", "failed", "cancelled")} | {"total": len(files)}


def _count_files(sim: Simulator, store: Record) -> None:
    files = sim.store.records(f"/vector_stores/{store.id}/files")
    store.obj["file_counts"] = _file_counts(files)
    store.obj["usage_bytes"] = sum(f.obj["usage_bytes"] for f in files)


@hook("vector_stores.retrieve")
def _vector_stores_retrieve(sim: Simulator, call: Call) -> Any:
    record = sim.find("/vector_stores", call.object_id, what="vector store")
    _count_files(sim, record)
    return record.view()


@hook("vector_stores.search")
def _vector_store_search(sim: Simulator, call: Call) -> Any:
    """The chunks of the store's indexed files that share words with the query, best
    first (simulator/search.py), after the attribute filters and the score threshold."""
    store_id = sim.find("/vector_stores", call.path["vector_store_id"], what="vector store").id
    query = call.payload["query"]
    queries = [query] if isinstance(query, str) else list(query)
    threshold = (call.payload.get("ranking_options") or {}).get("score_threshold") or 0.0
    hits = []
    for indexed in sim.store.records(f"/vector_stores/{store_id}/files"):
        file = sim.store.get("/files", indexed.id)
        if indexed.obj["status"] != "completed" or file is None or not search.passes(call.payload.get("filters"), indexed.obj["attributes"]):
            continue
        for chunk in search.chunks(file.hidden["content"].decode("utf-8", "replace")):
            score = max(search.score(q, chunk) for q in queries)
            if score > 0 and score >= threshold:
                hits.append({"file_id": file.id, "filename": file.obj["filename"], "score": score,
                             "attributes": indexed.obj["attributes"], "content": [{"type": "text", "text": chunk}]})
    hits.sort(key=lambda hit: -hit["score"])  # stable: equal scores keep the files' order
    return {"object": "vector_store.search_results.page", "search_query": queries,
            "data": hits[: call.payload.get("max_num_results") or 10], "has_more": False, "next_page": None}


@hook("vector_stores.files.create")
def _vector_store_files_create(sim: Simulator, call: Call) -> Any:
    record = _vector_store_file(sim, call, call.path["vector_store_id"], call.payload["file_id"], None, "in_progress")
    sim.begin(record, call.op.name, sim.rules["lifecycles"][call.op.name]["status"])
    return record.view()


@hook("vector_stores.file_batches.create")
def _file_batches_create(sim: Simulator, call: Call) -> Any:
    # file_ids share the payload's attributes; each entry of `files` has its own
    files: list[tuple[str, dict[str, Any] | None]] = [(file_id, None) for file_id in call.payload.get("file_ids") or []]
    files += [(f["file_id"], f.get("attributes") or {}) for f in call.payload.get("files") or []]
    for file_id, _ in files:  # file_ids are checked by rules.yaml's refs; `files` here
        sim.find("/files", file_id, what="file")
    batch = sim.create(call)
    batch.obj["vector_store_id"] = call.path["vector_store_id"]
    for file_id, attributes in files:
        _vector_store_file(sim, call, call.path["vector_store_id"], file_id, batch.id, "in_progress", attributes)
    _batch_counts(sim, batch)
    return batch.view()


def _batch_counts(sim: Simulator, batch: Record) -> None:
    collection = f"/vector_stores/{batch.obj['vector_store_id']}/files"
    batch.obj["file_counts"] = _file_counts([r for r in sim.store.records(collection) if r.hidden.get("batch") == batch.id])


@finish
def vector_store_file_done(sim: Simulator, record: Record) -> None:
    source = sim.store.get("/files", record.id)  # the file may have been deleted meanwhile
    record.obj.update(status="completed", usage_bytes=source.obj["bytes"] if source else 0)
    record.done = True


@finish
def file_batch_done(sim: Simulator, batch: Record) -> None:
    collection = f"/vector_stores/{batch.obj['vector_store_id']}/files"
    for record in sim.store.records(collection):
        if record.hidden.get("batch") == batch.id:
            vector_store_file_done(sim, record)
    _batch_counts(sim, batch)


@hook("vector_stores.file_batches.retrieve", "vector_stores.file_batches.cancel")
def _file_batch_read(sim: Simulator, call: Call) -> Any:
    batch = sim.find(call.collection_key, call.object_id, what="vector store file batch")
    if call.role.kind == "action":
        sim.act(call, batch)
    else:
        sim.read(batch)
    _batch_counts(sim, batch)
    return batch.view()


@hook("vector_stores.file_batches.list_files")
def _file_batch_files(sim: Simulator, call: Call) -> Any:
    batch = sim.find(call.collection_key, call.object_id, what="vector store file batch")
    collection = f"/vector_stores/{call.path['vector_store_id']}/files"
    return sim.list_page(call, [r.obj for r in sim.store.records(collection) if r.hidden.get("batch") == batch.id])


# -- batches -------------------------------------------------------------------------------------
@hook("batches.create")
def _batches_create(sim: Simulator, call: Call) -> Any:
    record = sim.create(call)
    record.obj.update(request_counts={"total": 0, "completed": 0, "failed": 0}, output_file_id=None,
                      error_file_id=None, errors=None, metadata=call.payload.get("metadata"))
    return record.view()


@finish
def batch_output(sim: Simulator, batch: Record) -> None:
    """Run every line of the input file through the simulator: answers go to an output
    file, lines that fail (unknown route, another endpoint, a bad body) to an error file."""
    lines = sim.find("/files", batch.obj["input_file_id"]).hidden["content"].decode().splitlines()
    output, errors = [], []
    for number, line in enumerate(filter(str.strip, lines), start=1):
        status, body, custom_id = _batch_line(sim, batch, line, number)
        request_id = f"req_{hashlib.sha256(f'{batch.id}{number}'.encode()).hexdigest()[:32]}"
        entry = {"id": f"batch_req_{request_id[4:]}", "custom_id": custom_id}
        if status == 200:
            output.append({**entry, "response": {"status_code": 200, "request_id": request_id, "body": body}, "error": None})
        else:
            errors.append({**entry, "response": {"status_code": status, "request_id": request_id, "body": body}, "error": None})
    batch.obj["request_counts"] = {"total": len(output) + len(errors), "completed": len(output), "failed": len(errors)}
    for key, entries in (("output_file_id", output), ("error_file_id", errors)):
        if entries:
            data = "".join(json.dumps(e) + "\n" for e in entries).encode()
            call = Call(sim.specs.get("files.create"), Role("other"), {}, {})
            batch.obj[key] = store_file(sim, call, data, f"{batch.id}_{key[:-8]}.jsonl", f"batch_{key[:-8]}").id


def _batch_line(sim: Simulator, batch: Record, line: str, number: int) -> tuple[int, Any, Any]:
    try:
        request = json.loads(line)
        custom_id, method, url, body = request["custom_id"], request["method"], request["url"], request["body"]
    except (ValueError, KeyError, TypeError) as exc:
        return 400, _error(f"line {number}: not a batch request: {exc}"), None
    if url != batch.obj["endpoint"]:
        return 400, _error(f"line {number}: url {url!r} is not the batch's endpoint {batch.obj['endpoint']!r}"), custom_id
    found = sim.match(method, url.removeprefix("/v1"), {})
    if found is None:
        return 404, _error(f"line {number}: no operation for {method} {url}"), custom_id
    op, path_values = found
    payload = request_payload(op, path_values, [], {"content-type": "application/json"}, json.dumps(body).encode())
    problems = violations(op, payload)
    if problems:
        return 400, _error("; ".join(str(p) for p in problems), param=problems[0].path), custom_id
    try:
        reply = sim._simulate(Call(op, sim.roles[op.name], {**payload, "stream": False} if op.stream_param else payload, path_values))
    except (NotFound, Refused) as exc:
        return (404 if isinstance(exc, NotFound) else 400), _error(f"line {number}: {exc}"), custom_id
    return (reply.status, reply.json, custom_id) if isinstance(reply, Reply) else (200, reply, custom_id)


# -- assistants: threads, messages, runs -------------------------------------------------------------
def _message(sim: Simulator, thread_id: str, role: str, content: Any, **extra: Any) -> Record:
    parts = [{"type": "text", "text": {"value": content, "annotations": []}}] if isinstance(content, str) else content
    obj: dict[str, Any] = {"id": sim.new_id(f"/threads/{thread_id}/messages"), "object": "thread.message", "created_at": sim.store.now,
           "assistant_id": None, "thread_id": thread_id, "run_id": None, "role": role, "content": parts,
           "attachments": [], "metadata": {}, "status": "completed", "completed_at": sim.store.now,
           "incomplete_at": None, "incomplete_details": None}
    obj.update(extra)
    return sim.store.put(f"/threads/{thread_id}/messages", Record(obj))


def _thread(sim: Simulator, call: Call, spec: dict[str, Any]) -> Record:
    obj: dict[str, Any] = {"id": sim.new_id("/threads"), "object": "thread", "created_at": sim.store.now,
           "metadata": spec.get("metadata") or {}, "tool_resources": spec.get("tool_resources") or {}}
    record = sim.store.put("/threads", Record(obj))
    for message in spec.get("messages") or []:
        _message(sim, record.id, message.get("role", "user"), message["content"],
                 attachments=message.get("attachments") or [], metadata=message.get("metadata") or {})
    return record


@hook("beta.threads.create")
def _threads_create(sim: Simulator, call: Call) -> Any:
    return _thread(sim, call, call.payload).view()


@hook("beta.threads.messages.create")
def _messages_create(sim: Simulator, call: Call) -> Any:
    thread_id = call.path["thread_id"]
    return _message(sim, thread_id, call.payload["role"], call.payload["content"],
                    attachments=call.payload.get("attachments") or [], metadata=call.payload.get("metadata") or {}).view()


@hook("beta.threads.runs.create", "beta.threads.create_and_run")
def _runs_create(sim: Simulator, call: Call) -> Any:
    if call.op.name == "beta.threads.create_and_run":
        thread_id = _thread(sim, call, call.payload.get("thread") or {}).id
    else:
        thread_id = call.path["thread_id"]
    for message in call.payload.get("additional_messages") or []:
        _message(sim, thread_id, message.get("role", "user"), message["content"])
    assistant = sim.store.get("/assistants", call.payload["assistant_id"])
    record = sim.create(Call(call.op, call.role, call.payload, {"thread_id": thread_id}), collection=f"/threads/{thread_id}/runs")
    record.obj.update(
        thread_id=thread_id, required_action=None, usage=None,
        model=call.payload.get("model") or (assistant.obj.get("model") if assistant else None) or record.obj.get("model"),
        instructions=call.payload.get("instructions") or (assistant.obj.get("instructions") if assistant else None),
        tools=call.payload.get("tools") or (assistant.obj.get("tools") if assistant else []) or [],
    )
    record.hidden["said"] = _said_json(sim.said(call, _thread_prompt(sim, thread_id)))
    if record.hidden["said"]["tool_calls"]:
        sim.begin(record, call.op.name, ["queued", "in_progress", "requires_action"])
    return _run_answer(sim, call, record)


def _said_json(said: Say | list[Any]) -> dict[str, Any]:
    if isinstance(said, Say):
        return {"text": said.text, "tool_calls": []}
    return {"text": None, "tool_calls": [{"name": c.name, "arguments": c.arguments_json} for c in said]}


def _thread_prompt(sim: Simulator, thread_id: str) -> str:
    messages = [r.obj for r in sim.store.records(f"/threads/{thread_id}/messages")]
    return text_of(next((m["content"] for m in reversed(messages) if m["role"] == "user"), ""))


def _steps_of(run: Record) -> str:
    return f"/threads/{run.obj['thread_id']}/runs/{run.id}/steps"


def _run_answer(sim: Simulator, call: Call, run: Record) -> Any:
    """A run's answer: the run; streamed, the run's events to its end, with the steps it
    made on the way."""
    if not _streaming(call):
        return run.view()
    known = len(sim.store.records(_steps_of(run)))
    run.step = len(run.lifecycle)
    sim.settle(run)
    message = sim.store.get(f"/threads/{run.obj['thread_id']}/messages", run.hidden.get("message", ""))
    steps = [step.view() for step in sim.store.records(_steps_of(run))[known:]]
    return Reply(events=streams.run_events(run.view(), message.view() if message else None, steps))


@finish
def run_done(sim: Simulator, run: Record) -> None:
    """The run's work at its last status: the tool calls it waits for, or the assistant's
    message; either way kept as a run step (``runs.steps.list``)."""
    said = run.hidden["said"]
    message = None
    if run.obj["status"] == "requires_action":
        calls = [{"id": sim.store.new_id("call_"), "type": "function", "function": c} for c in said["tool_calls"]]
        run.obj["required_action"] = {"type": "submit_tool_outputs", "submit_tool_outputs": {"tool_calls": calls}}
    else:
        thread_id = run.obj["thread_id"]
        message = _message(sim, thread_id, "assistant", said["text"], assistant_id=run.obj.get("assistant_id"), run_id=run.id)
        run.hidden["message"] = message.id
        used_in = count_tokens(_thread_prompt(sim, thread_id))
        used_out = count_tokens(said["text"])
        run.obj["usage"] = {"prompt_tokens": used_in, "completion_tokens": used_out, "total_tokens": used_in + used_out}
    for step in streams.run_steps(run.view(), message.view() if message else None):
        step.update(id=sim.new_id(_steps_of(run)), created_at=sim.store.now)
        sim.store.put(_steps_of(run), Record(step))


@hook("beta.threads.runs.submit_tool_outputs")
def _submit_tool_outputs(sim: Simulator, call: Call) -> Any:
    run = sim.find(call.collection_key, call.object_id, what="run")
    expected = {c["id"] for c in ((run.obj.get("required_action") or {}).get("submit_tool_outputs") or {}).get("tool_calls", [])}
    given = {o.get("tool_call_id") for o in call.payload["tool_outputs"]}
    if run.obj.get("status") == "requires_action" and given != expected:
        raise Refused(f"Run '{run.id}' expects outputs for tool calls {sorted(expected)}, got {sorted(given)}.")
    outputs = " ".join(str(o.get("output", "")) for o in call.payload["tool_outputs"])
    _complete_tool_step(sim, run, {o.get("tool_call_id"): o.get("output") for o in call.payload["tool_outputs"]})
    run.obj["required_action"] = None
    run.hidden["said"] = _said_json(sim.said(call, f"tool outputs: {outputs}"))
    sim.act(call, run)
    return _run_answer(sim, call, run)


def _complete_tool_step(sim: Simulator, run: Record, outputs: dict[str, Any]) -> None:
    """The run's waiting ``tool_calls`` step, completed with the outputs given."""
    for step in sim.store.records(_steps_of(run)):
        if step.obj["type"] == "tool_calls" and step.obj["status"] == "in_progress":
            for tool_call in step.obj["step_details"]["tool_calls"]:
                tool_call["function"]["output"] = outputs.get(tool_call["id"])
            step.obj.update(status="completed", completed_at=sim.store.now)


# -- fine-tuning and videos ----------------------------------------------------------------------
@finish
def fine_tune_done(sim: Simulator, job: Record) -> None:
    if job.obj["status"] != "succeeded":
        return
    training = sim.store.get("/files", job.obj.get("training_file") or "")
    job.obj.update(fine_tuned_model=f"ft:{job.obj.get('model')}:oaimap-sim::{job.id[-8:]}", result_files=[],
                   trained_tokens=count_tokens(training.hidden["content"].decode(errors="replace")) if training else 0, error=None)


@hook("fine_tuning.jobs.create")
def _fine_tune_create(sim: Simulator, call: Call) -> Any:
    record = sim.create(call)
    record.obj.update(fine_tuned_model=None, trained_tokens=None, result_files=[], error=None)
    return record.view()


@finish
def video_done(sim: Simulator, video: Record) -> None:
    video.obj["progress"] = 100
    video.hidden["content"] = f"simulated video {video.id}".encode()


@hook("videos.create", "videos.remix", "videos.edit", "videos.extend")
def _videos_create(sim: Simulator, call: Call) -> Any:
    if call.op.name == "videos.remix":
        sim.find("/videos", call.path["video_id"], what="video")
        call = Call(call.op, call.role, call.payload, {}, call.scripted)
    record = sim.create(call, collection="/videos")
    record.obj["progress"] = 0
    return record.view()


@hook("videos.retrieve")
def _videos_retrieve(sim: Simulator, call: Call) -> Any:
    record = sim.read(sim.find("/videos", call.object_id, what="video"))
    if not record.done:
        record.obj["progress"] = 50 if record.obj["status"] == "in_progress" else 0
    return record.view()


@hook("videos.download_content")
def _video_content(sim: Simulator, call: Call) -> Any:
    record = sim.find("/videos", call.path["video_id"], what="video")
    if "content" not in record.hidden:
        raise Refused(f"Video '{record.id}' is {record.obj['status']}: its content is not ready.")
    return Reply(body=record.hidden["content"], headers={"Content-Type": "video/mp4"})


@hook("moderations.create")
def _moderations(sim: Simulator, call: Call) -> Any:
    """Each input classified by the simulated moderation model (``MODERATION_WORDS``)."""
    results = [moderation_result(text, images) for text, images in moderation_inputs(call.payload["input"])]
    return {"id": sim.store.new_id("modr-"), "model": call.payload.get("model") or "omni-moderation-latest", "results": results}


# -- images and audio: media bytes (simulator/media.py) ------------------------------------------
@hook("images.generate", "images.edit", "images.create_variation")
def _images(sim: Simulator, call: Call) -> Any:
    """Images of the requested size and count, in a colour that depends on the prompt:
    ``b64_json`` for the gpt-image models (their only form) and when asked, else a
    ``data:`` URL (the API's URLs are short-lived links elsewhere). Streams: the spec's
    example."""
    payload = call.payload
    if _streaming(call):
        return sim.generic(call)
    gpt_image_only = ("background", "moderation", "output_compression", "output_format", "input_fidelity")
    default_model = "gpt-image-1" if any(key in payload for key in gpt_image_only) else "dall-e-2"  # as the API decides
    model = str(payload.get("model") or default_model)
    width, height = media.image_size(payload.get("size"))
    prompt = str(payload.get("prompt") or "")
    picture = media.png(width, height, media.colour(prompt))
    encoded = base64.b64encode(picture).decode()
    as_json = model.startswith("gpt-image") or payload.get("response_format") == "b64_json"
    item = {"b64_json": encoded} if as_json else {"url": f"data:image/png;base64,{encoded}"}
    if model == "dall-e-3":
        item["revised_prompt"] = prompt
    answer: dict[str, Any] = {"created": sim.store.now, "data": [dict(item) for _ in range(int(payload.get("n") or 1))]}
    if model.startswith("gpt-image"):
        used_in = count_tokens(prompt)
        used_out = 272 * len(answer["data"])
        answer.update(background=payload.get("background") or "opaque", output_format="png", quality=payload.get("quality") or "auto",
                      size=f"{width}x{height}", usage={"input_tokens": used_in, "output_tokens": used_out,
                      "total_tokens": used_in + used_out, "input_tokens_details": {"text_tokens": used_in, "image_tokens": 0}})
    return answer


_AUDIO_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav", "pcm": "audio/pcm", "opus": "audio/opus", "aac": "audio/aac", "flac": "audio/flac"}


@hook("audio.speech.create")
def _speech(sim: Simulator, call: Call) -> Any:
    """Silence as long as the text would take to say (simulator/media.py); the simulator
    remembers what it said, so transcribing the file gives the text back."""
    if call.payload.get("stream_format") == "sse":
        return sim.generic(call)
    fmt = str(call.payload.get("response_format") or "mp3")
    audio = media.speech(call.payload["input"], fmt)
    sim.store.put("/audio/speech", Record({"id": hashlib.sha256(audio).hexdigest(), "text": call.payload["input"]}))
    return Reply(body=audio, headers={"Content-Type": _AUDIO_TYPES.get(fmt, "application/octet-stream")})


@hook("audio.transcriptions.create", "audio.translations.create")
def _transcription(sim: Simulator, call: Call) -> Any:
    """The text of speech this simulator made from the same bytes, else a sentence naming
    the file; in the response format asked for (json, verbose_json, text, srt, vtt)."""
    if _streaming(call):
        return sim.generic(call)
    upload = call.payload["file"]
    said = sim.store.get("/audio/speech", hashlib.sha256(upload.data).hexdigest())
    text = said.obj["text"] if said else f"Simulated transcript of {upload.filename}."
    seconds = round(max(0.2, len(text) * media.SECONDS_PER_CHARACTER), 2)
    fmt = call.payload.get("response_format") or "json"
    if fmt in ("text", "srt", "vtt"):
        minutes, rest = divmod(seconds, 60)
        clock = f"{int(minutes) // 60:02d}:{int(minutes) % 60:02d}:{rest:06.3f}"
        body = {"text": text + "\n",
                "srt": f"1\n00:00:00,000 --> {clock.replace('.', ',')}\n{text}\n\n",
                "vtt": f"WEBVTT\n\n00:00:00.000 --> {clock}\n{text}\n\n"}[fmt]
        return Reply(body=body.encode(), headers={"Content-Type": "text/plain; charset=utf-8"})
    if fmt == "verbose_json":
        task = "translate" if call.op.name == "audio.translations.create" else "transcribe"
        segment: dict[str, Any] = {"id": 0, "seek": 0, "start": 0.0, "end": seconds, "text": text, "tokens": [], "temperature": 0.0,
                   "avg_logprob": 0.0, "compression_ratio": 1.0, "no_speech_prob": 0.0}
        return {"task": task, "language": call.payload.get("language") or "english", "duration": seconds, "text": text,
                "segments": [segment]}
    answer: dict[str, Any] = {"text": text}
    if call.op.name == "audio.transcriptions.create":
        tokens = count_tokens(text)
        answer["usage"] = {"type": "duration", "seconds": max(1, round(seconds))} if str(call.payload.get("model")) == "whisper-1" else {
            "type": "tokens", "input_tokens": tokens, "input_token_details": {"text_tokens": 0, "audio_tokens": tokens},
            "output_tokens": tokens, "total_tokens": 2 * tokens}
    return answer


# -- containers -------------------------------------------------------------------------------
@hook("containers.files.create")
def _container_files(sim: Simulator, call: Call) -> Any:
    upload = call.payload.get("file")
    if upload is not None:
        data, name = upload.data, upload.filename
    else:
        source = sim.find("/files", call.payload["file_id"], what="file")
        data, name = source.hidden["content"], source.obj["filename"]
    record = sim.create(call)
    record.obj.update(container_id=call.path["container_id"], bytes=len(data), path=f"/mnt/data/{name}", source="user")
    record.hidden["content"] = data
    return record.view()
