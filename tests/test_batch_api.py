"""The Batch API from the op specs (``client.batch``), against the simulator's batch
lifecycle (validating → in_progress → finalizing → completed, output and error files
made by running every line): build, split over the limits, submit, wait, results joined
back to every custom_id; the built lines checked against the official document's
``BatchRequestInput``."""

from __future__ import annotations

import json
import subprocess

import pytest

from oaimap import BatchJob, BatchLimits, BatchNotAccepted, ValidationError
from oaimap.batching import split_lines
from oaimap.simulator import reply_text
from oaimap.specs import SpecRegistry

EMBED = "embeddings.create"
CHAT = "chat.completions.create"


def chats(n: int) -> list[dict]:
    return [{"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": f"question {i}"}]} for i in range(n)]


def test_lines_carry_the_route_and_the_body(oaimap_client):
    lines = oaimap_client.batch.build(CHAT, chats(2), custom_ids=["a", "b"])
    assert lines == [{"custom_id": c, "method": "POST", "url": "/v1/chat/completions", "body": p} for c, p in zip("ab", chats(2))]
    assert [line["custom_id"] for line in oaimap_client.batch.build(EMBED, [{"model": "m", "input": "x"}] * 2)] == ["request-0", "request-1"]


def test_the_accepted_operations_are_the_documents_batch_endpoints(oaimap_client, reference_document):
    """The document has no schema of a batch line; what it fixes is the endpoint enum of
    createBatch. Every operation whose route is in it is accepted, no other."""
    from codegen.openapi.document import load_document, operations
    from codegen.openapi.refs import resolve

    doc = load_document(reference_document)
    create = next(d for d in operations(doc) if d.operation_id == "createBatch")
    schema = resolve(doc, create.raw["requestBody"]["content"]["application/json"]["schema"])
    documented = set(resolve(doc, schema["properties"]["endpoint"])["enum"])
    accepted = set()
    for op in SpecRegistry.shared().operations():
        try:
            oaimap_client.batch.build(op.name, [])
        except BatchNotAccepted:
            continue
        accepted.add("/v1" + op.route[0])
    assert accepted == documented


def test_bad_payloads_and_ops_are_refused_before_anything_is_sent(oaimap_client, oaimap_server):
    with pytest.raises(ValidationError) as caught:
        oaimap_client.batch.submit(CHAT, [*chats(2), {"model": "m"}, {**chats(1)[0], "stream": True}])
    paths = [v.path for v in caught.value.violations]
    assert "$[2].messages" in paths and "$[3].stream" in paths and "custom_id 'request-2'" in str(caught.value)
    with pytest.raises(ValidationError, match="used twice"):
        oaimap_client.batch.build(EMBED, [{"model": "m", "input": "x"}] * 2, custom_ids=["same", "same"])
    with pytest.raises(BatchNotAccepted, match="files.list: the Batch API does not run GET /v1/files.*/v1/embeddings"):
        oaimap_client.batch.build("files.list", [{}])
    assert oaimap_server.requests == []


def test_fifty_thousand_and_one_lines_make_two_batches_and_bytes_split_too(oaimap_client):
    lines = oaimap_client.batch.build(EMBED, [{"model": "text-embedding-3-small", "input": f"row {i}"} for i in range(50_001)])
    parts = split_lines(lines, BatchLimits())
    assert [len(ids) for _, ids in parts] == [50_000, 1] and parts[1][1] == ["request-50000"]
    assert all(len(data) <= BatchLimits().max_bytes for data, _ in parts)
    small = split_lines(lines[:10], BatchLimits(max_bytes=3 * len(json.dumps(lines[0])) + 10))
    assert [len(ids) for _, ids in small] == [3, 3, 3, 1]
    assert [i for _, ids in small for i in ids] == [line["custom_id"] for line in lines[:10]]  # input order kept


def test_submit_wait_results_accounts_for_every_input(oaimap_client, oaimap_server):
    job = oaimap_client.batch.submit(CHAT, chats(5), limits=BatchLimits(max_requests=2), metadata={"run": "t"})
    assert len(job.batch_ids) == 3 and [len(p.custom_ids) for p in job.parts] == [2, 2, 1]
    assert all(b["status"] == "in_progress" for b in oaimap_client.batch.status(job))  # a read moves each one step
    ended = oaimap_client.batch.wait(BatchJob.from_json(json.loads(json.dumps(job.to_json()))), poll_interval_ms=0)
    assert [b["status"] for b in ended] == ["completed"] * 3 and ended[0]["metadata"] == {"run": "t"}
    results = oaimap_client.batch.results(job)
    assert list(results) == [f"request-{i}" for i in range(5)] and all(r.ok for r in results.values())
    assert results["request-3"].body["choices"][0]["message"]["content"] == reply_text("question 3")


def test_errors_and_missing_lines_are_accounted_for(oaimap_client, oaimap_server):
    payloads = [{"model": "text-embedding-3-small", "input": "fine"}, {"model": "text-embedding-3-small", "input": "also"}]
    job = oaimap_client.batch.submit(EMBED, payloads, custom_ids=["ok", "fails"], limits=BatchLimits(max_requests=1))
    # the second line breaks inside the simulator: its input file is replaced by a line with another endpoint
    second = oaimap_server.store.get("/files", job.parts[1].input_file_id)
    second.hidden["content"] = json.dumps({"custom_id": "fails", "method": "POST", "url": "/v1/chat/completions", "body": {}}).encode() + b"\n"
    cancelled = oaimap_client.batch.submit(EMBED, payloads[:1], custom_ids=["never"])
    oaimap_client.call("batches.cancel", {"batch_id": cancelled.batch_ids[0]})
    oaimap_client.batch.wait(job, poll_interval_ms=0)
    oaimap_client.batch.wait(cancelled, poll_interval_ms=0)
    results = oaimap_client.batch.results(job)
    assert results["ok"].ok and len(results["ok"].body["data"][0]["embedding"]) == 1536
    assert results["fails"].status == "error" and results["fails"].status_code == 400
    assert oaimap_client.batch.results(cancelled)["never"].status == "missing"


async def test_the_async_client_has_the_same(oaimap_async_client):
    job = await oaimap_async_client.batch.submit(EMBED, [{"model": "text-embedding-3-small", "input": "a"}])
    await oaimap_async_client.batch.wait(job, poll_interval_ms=0)
    (outcome,) = (await oaimap_async_client.batch.results(job)).values()
    assert outcome.ok and outcome.custom_id == "request-0"


def test_the_cli_submits_follows_and_collects(oaimap_server, tmp_path):
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps(p) + "\n" for p in chats(3)))
    from test_cli import oaimap as cli

    def oaimap(*args: str) -> subprocess.CompletedProcess:
        return cli(*args, server=oaimap_server)

    job = tmp_path / "job.json"
    submitted = oaimap("batch", "submit", CHAT, "--input", str(rows), "--job", str(job))
    assert submitted.returncode == 0, submitted.stderr
    assert len(json.loads(job.read_text())["parts"][0]["custom_ids"]) == 3
    for _ in range(3):  # each status read moves the simulated batch one step
        status = oaimap("batch", "status", str(job))
    assert status.returncode == 0 and json.loads(status.stdout)[0]["status"] == "completed"
    out = tmp_path / "out.jsonl"
    collected = oaimap("batch", "results", str(job), "--output", str(out))
    assert collected.returncode == 0, collected.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["custom_id"], r["status"]) for r in lines] == [(f"request-{i}", "ok") for i in range(3)]
