"""``progress=``: uploads, downloads and pollers report as they go, sync and async, against
the simulator; the terminal bar draws only on a terminal."""

from __future__ import annotations

import hashlib
import io

import pytest

from oaimap import Progress
from oaimap.progress import terminal_bar

SIZE = 3 * 1024 * 1024 + 17  # several of httpx's 64 KiB reads, not a round number


def _content() -> bytes:
    return hashlib.sha256(b"seed").digest() * (SIZE // 32) + b"x" * (SIZE % 32)


def _check_bytes(events: list[Progress], kind: str, operation: str, size: int) -> None:
    assert events, "no progress reported"
    assert {(e.kind, e.unit, e.operation) for e in events} == {(kind, "bytes", operation)}
    assert {e.total for e in events} == {size}
    done = [e.done for e in events]
    assert done == sorted(done) and done[-1] == size  # moves forward only, ends at the file's size
    assert len(events) > 1  # reported as it went, not once at the end
    assert all(e.elapsed >= 0 for e in events)


def test_upload_and_download_report_bytes_up_to_the_file_size(oaimap_client, tmp_path):
    source = tmp_path / "data.jsonl"
    source.write_bytes(_content())
    sent: list[Progress] = []
    file = oaimap_client.call("files.create", {"file": source, "purpose": "assistants"}, progress=sent.append)
    _check_bytes(sent, "upload", "files.create", SIZE)

    received: list[Progress] = []
    target = tmp_path / "copy.jsonl"
    oaimap_client.call("files.content", {"file_id": file["id"]}, output=target, progress=received.append)
    _check_bytes(received, "download", "files.content", SIZE)
    assert target.read_bytes() == source.read_bytes()

    in_memory: list[Progress] = []
    data = oaimap_client.call("files.content", {"file_id": file["id"]}, progress=in_memory.append)
    _check_bytes(in_memory, "download", "files.content", SIZE)
    assert bytes(data) == source.read_bytes()


async def test_async_upload_of_bytes_and_download_report_bytes(oaimap_async_client, tmp_path):
    content = _content()
    sent: list[Progress] = []
    file = await oaimap_async_client.call("files.create", {"file": ("data.jsonl", content), "purpose": "batch"}, progress=sent.append)
    _check_bytes(sent, "upload", "files.create", SIZE)

    received: list[Progress] = []
    target = tmp_path / "copy.jsonl"
    await oaimap_async_client.call("files.content", {"file_id": file["id"]}, output=target, progress=received.append)
    _check_bytes(received, "download", "files.content", SIZE)
    assert target.read_bytes() == content

    in_memory: list[Progress] = []
    data = await oaimap_async_client.call("files.content", {"file_id": file["id"]}, progress=in_memory.append)
    _check_bytes(in_memory, "download", "files.content", SIZE)
    assert bytes(data) == content


def test_a_retried_upload_counts_each_byte_once(oaimap_client, oaimap_server):
    oaimap_server.fail_next("files.create", status=503, retry_after=0)
    sent: list[Progress] = []
    oaimap_client.call("files.create", {"file": ("a.jsonl", _content()), "purpose": "assistants"}, progress=sent.append)
    assert [r.operation for r in oaimap_server.requests] == ["files.create", "files.create"]  # sent twice
    _check_bytes(sent, "upload", "files.create", SIZE)  # counted once


def _thread(client) -> tuple[str, str]:
    assistant = client.call("beta.assistants.create", {"model": "gpt-4o"})["id"]
    thread = client.call("beta.threads.create", {"messages": [{"role": "user", "content": "hello"}]})["id"]
    return assistant, thread


def test_a_poller_reports_each_status_it_reads(oaimap_client):
    assistant, thread = _thread(oaimap_client)
    events: list[Progress] = []
    run = oaimap_client.call("beta.threads.runs.create_and_poll",
                             {"thread_id": thread, "assistant_id": assistant, "poll_interval_ms": 0}, progress=events.append)
    assert run["status"] == "completed"
    assert {(e.kind, e.unit, e.operation, e.total) for e in events} == {("poll", "polls", "beta.threads.runs.create_and_poll", None)}
    assert [e.done for e in events] == list(range(1, len(events) + 1))
    statuses = [e.status for e in events]
    assert statuses[0] == "queued" and statuses[-1] == "completed" and "in_progress" in statuses
    assert [e.elapsed for e in events] == sorted(e.elapsed for e in events)


async def test_async_upload_and_poll_reports_the_upload_then_the_polls(oaimap_async_client):
    store = (await oaimap_async_client.call("vector_stores.create", {"name": "docs"}))["id"]
    events: list[Progress] = []
    content = _content()
    result = await oaimap_async_client.call(
        "vector_stores.files.upload_and_poll",
        {"vector_store_id": store, "file": ("doc.txt", content), "poll_interval_ms": 0},
        progress=events.append,
    )
    assert result["status"] == "completed"
    uploads = [e for e in events if e.kind == "upload"]
    polls = [e for e in events if e.kind == "poll"]
    assert uploads[-1].done == uploads[-1].total == len(content) and uploads[-1].operation == "files.create"
    assert polls[-1].status == "completed" and polls[-1].operation == "vector_stores.files.create_and_poll"
    assert events.index(uploads[-1]) < events.index(polls[0])


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_terminal_bar_draws_only_on_a_terminal():
    assert terminal_bar(io.StringIO()) is None  # a pipe or a file: nothing at all
    pytest.importorskip("tqdm")
    screen = _Terminal()
    bar = terminal_bar(screen)
    assert bar is not None
    for done in (0, 512 * 1024, 1024 * 1024):
        bar(Progress("files.create", "upload", done, 1024 * 1024, "bytes", elapsed=0.1))
    bar(Progress("beta.threads.runs.create_and_poll", "poll", 1, None, "polls", status="in_progress"))
    bar.close()
    drawn = screen.getvalue()
    assert "files.create" in drawn and "100%" in drawn and "1.00M" in drawn
    assert "in_progress" in drawn
