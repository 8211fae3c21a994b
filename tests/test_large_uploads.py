"""Large files through the Uploads API (``oaimap/helpers/chunked_upload.py``) on the
simulator: parts sent several at once, the md5 sent with ``complete``, a part that fails
past its retries reported with the parts that landed, and a resume that sends only the
missing ones; ``files.create`` hands a file over its ``large_file.over`` to the helper."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

from oaimap import AsyncClient, Client, Progress, UploadIncompleteError, ValidationError
from oaimap.specs import default_specs_dir

MiB = 1024 * 1024
PARTS = "uploads.parts.create"


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(MiB), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _sparse(path: Path, size: int, part_size: int) -> Path:
    """``size`` bytes, mostly a hole, with a marker at the start of each part and at the end."""
    with open(path, "wb") as file:
        for index, start in enumerate(range(0, size, part_size)):
            file.seek(start)
            file.write(f"part {index} starts here\n".encode())
        file.truncate(size)
        file.seek(size - 4)
        file.write(b"end\n")
    return path


def _parts_sent(server) -> list[int]:
    """The byte length of each part request the simulator answered (faults excluded)."""
    return [len(r.payload["data"].data) for r in server.requests if r.operation == PARTS and r.payload is not None]


def _downloaded_md5(client: Client, file_id: str, tmp_path: Path) -> str:
    target = tmp_path / "downloaded.bin"
    client.call("files.content", {"file_id": file_id}, output=target)
    return _md5(target)


@pytest.mark.timeout(60)
def test_a_150_mb_upload_stopped_by_a_failing_part_resumes_without_resending_landed_parts(
    oaimap_client, oaimap_server, tmp_path
):
    size = 150 * MiB
    source = _sparse(tmp_path / "train.jsonl", size, 64 * MiB)  # 3 parts: 64, 64, 22 MiB
    payload = {"file": source, "mime_type": "text/jsonl", "purpose": "fine-tune", "max_concurrency": 1}
    events: list[Progress] = []

    def progress(event: Progress) -> None:
        events.append(event)
        if event.done > 64 * MiB and not faults_queued:
            # httpx has begun reading the second part (the first has landed): the simulator
            # answers a request once its body is in, so this part fails, its retries too
            faults_queued.append(True)
            oaimap_server.fail_next(PARTS, status=500, retry_after=0, times=3)

    faults_queued: list[bool] = []

    with pytest.raises(UploadIncompleteError) as info:
        oaimap_client.call("uploads.upload_file_chunked", payload, progress=progress)
    error = info.value
    assert error.part_ids[0] is not None and error.part_ids[1:] == [None, None]  # part 2 was never started
    assert re.search(r"1 of 3 part\(s\) landed \(0\); part\(s\) 1-2 missing", str(error)), str(error)
    assert error.upload_id in str(error) and "resume" in str(error)
    assert getattr(error.__cause__, "status_code", None) == 500
    faults = [r for r in oaimap_server.requests if r.operation == PARTS and r.payload is None]
    assert len(faults) == 3  # the first attempt and both retries
    assert _parts_sent(oaimap_server) == [64 * MiB]

    state = json.loads(json.dumps(error.resume_state))  # plain JSON: it can be kept in a file
    oaimap_server.requests.clear()  # forget the requests so far (and their bodies), not the state
    events.clear()
    upload = oaimap_client.call("uploads.upload_file_chunked", {**payload, "resume": state}, progress=events.append)

    assert [r.operation for r in oaimap_server.requests] == [PARTS, PARTS, "uploads.complete"]  # no create
    assert sorted(_parts_sent(oaimap_server)) == [22 * MiB, 64 * MiB]  # only the missing parts
    complete = oaimap_server.requests[-1].json()
    assert complete["part_ids"][0] == state["part_ids"][0] and None not in complete["part_ids"]
    assert complete["md5"] == _md5(source)
    assert upload["status"] == "completed" and upload["file"]["bytes"] == size
    assert events[0].done == 64 * MiB and events[0].status == "1/3 parts"  # the landed part counts from the start
    assert events[-1].done == events[-1].total == size and events[-1].status == "3/3 parts"
    oaimap_server.requests.clear()
    assert _downloaded_md5(oaimap_client, upload["file"]["id"], tmp_path) == _md5(source)


def test_parts_travel_concurrently_and_the_file_arrives_whole(oaimap_client, oaimap_server, tmp_path):
    source = _sparse(tmp_path / "data.bin", 10 * 100_000 + 123, 100_000)
    events: list[Progress] = []
    upload = oaimap_client.call(
        "uploads.upload_file_chunked",
        {"file": source, "mime_type": "application/octet-stream", "purpose": "assistants", "part_size": 100_000},
        progress=events.append,
    )
    assert sorted(_parts_sent(oaimap_server)) == [123] + [100_000] * 10
    assert oaimap_server.requests[-1].json()["md5"] == _md5(source)
    assert upload["file"]["bytes"] == source.stat().st_size
    assert _downloaded_md5(oaimap_client, upload["file"]["id"], tmp_path) == _md5(source)
    assert events[-1].done == events[-1].total == source.stat().st_size
    assert sorted({e.status for e in events if e.status}) == sorted(f"{n}/11 parts" for n in range(12))


async def test_async_upload_stops_at_a_failed_part_and_resumes(oaimap_async_client, oaimap_server, tmp_path):
    source = _sparse(tmp_path / "data.bin", 5 * 50_000, 50_000)
    payload = {"file": source, "mime_type": "application/octet-stream", "purpose": "batch", "part_size": 50_000}
    oaimap_server.fail_next(PARTS, status=500, retry_after=0, times=3)  # the first part request, and its retries
    with pytest.raises(UploadIncompleteError) as info:
        await oaimap_async_client.call("uploads.upload_file_chunked", {**payload, "max_concurrency": 1})
    assert info.value.part_ids == [None] * 5 and "0 of 5 part(s) landed (none)" in str(info.value)
    oaimap_server.requests.clear()
    upload = await oaimap_async_client.call("uploads.upload_file_chunked", {**payload, "resume": info.value.resume_state})
    assert sorted(_parts_sent(oaimap_server)) == [50_000] * 5
    assert upload["file"]["bytes"] == 5 * 50_000 and oaimap_server.requests[-1].json()["md5"] == _md5(source)


def test_a_resume_state_for_another_file_sends_nothing(oaimap_client, oaimap_server, tmp_path):
    source = _sparse(tmp_path / "data.bin", 1000, 400)
    state = {"upload_id": "upload_x", "part_ids": ["part_a", None], "part_size": 400, "bytes": 800}
    with pytest.raises(ValidationError) as info:
        oaimap_client.call("uploads.upload_file_chunked",
                           {"file": source, "mime_type": "text/plain", "purpose": "assistants", "resume": state})
    assert info.value.paths == ["$.resume"] and "1000 bytes" in str(info.value)
    assert oaimap_server.requests == []


@pytest.fixture
def small_threshold_specs(tmp_path) -> Path:
    """The specs, with files.create's large-file threshold lowered to 100 kB."""
    specs = tmp_path / "specs"
    shutil.copytree(default_specs_dir(), specs, ignore=shutil.ignore_patterns("__pycache__"))
    files = specs / "files.yaml"
    text = files.read_text(encoding="utf-8")
    assert "large_file: {over: 536870912," in text
    files.write_text(text.replace("large_file: {over: 536870912,", "large_file: {over: 100000,"), encoding="utf-8")
    return specs


def test_files_create_sends_a_file_over_its_threshold_through_an_upload(oaimap_server, small_threshold_specs, tmp_path):
    small = tmp_path / "small.jsonl"
    small.write_bytes(b'{"a": 1}\n' * 100)
    large = _sparse(tmp_path / "large.jsonl", 150_000, 64 * MiB)
    with Client(api_key="sk-test", base_url=oaimap_server.url, specs=small_threshold_specs) as client:
        plain = client.call("files.create", {"file": small, "purpose": "fine-tune"})
        assert [r.operation for r in oaimap_server.requests] == ["files.create"]
        oaimap_server.requests.clear()
        events: list[Progress] = []
        file = client.call("files.create", {"file": large, "purpose": "fine-tune"}, progress=events.append)
        assert [r.operation for r in oaimap_server.requests] == ["uploads.create", PARTS, "uploads.complete"]
        assert oaimap_server.requests[0].json() == {
            "bytes": 150_000, "filename": "large.jsonl", "mime_type": "text/jsonl", "purpose": "fine-tune",
        }
        assert set(file) == set(plain) and file["object"] == "file" and file["bytes"] == 150_000  # a File, as files.create answers
        assert file.meta.operation == "uploads.complete"
        assert events[-1].done == events[-1].total == 150_000
        oaimap_server.requests.clear()
        assert _downloaded_md5(client, file["id"], tmp_path) == _md5(large)


async def test_async_files_create_over_its_threshold(oaimap_server, small_threshold_specs, tmp_path):
    large = _sparse(tmp_path / "large.jsonl", 250_000, 100_000)
    async with AsyncClient(api_key="sk-test", base_url=oaimap_server.url, specs=small_threshold_specs) as client:
        file = await client.call("files.create", {"file": large, "purpose": "batch", "expires_after": {"anchor": "created_at", "seconds": 3600}})
    assert [r.operation for r in oaimap_server.requests] == ["uploads.create", PARTS, "uploads.complete"]
    assert oaimap_server.requests[0].json()["expires_after"] == {"anchor": "created_at", "seconds": 3600}
    assert file["bytes"] == 250_000 and file["purpose"] == "batch"
