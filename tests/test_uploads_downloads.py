"""Multipart uploads from a path, bytes or a file object; binary downloads to bytes or a
file; a large upload streamed from disk with flat memory. Real HTTP over loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from oaimap import ValidationError
from oaimap.decode import UploadedFile
from oaimap.server import Reply


def _file_part(server) -> UploadedFile:
    sent = server.requests[-1]
    assert sent.headers["content-type"].startswith("multipart/form-data; boundary=")
    return sent.payload["file"]


@pytest.mark.parametrize("form", ["str path", "Path", "bytes", "file object", "tuple"])
def test_files_create_accepts_every_upload_form(client, server, tmp_path, form):
    path = tmp_path / "train.jsonl"
    path.write_bytes(b'{"prompt": "a"}\n')
    value = {
        "str path": str(path),
        "Path": path,
        "bytes": path.read_bytes(),
        "file object": open(path, "rb"),
        "tuple": ("named.jsonl", path.read_bytes(), "application/jsonl"),
    }[form]
    client.call("createFile", {"file": value, "purpose": "fine-tune"})
    part = _file_part(server)
    assert part.data == b'{"prompt": "a"}\n'
    assert server.requests[-1].payload["purpose"] == "fine-tune"
    expected_name = {"bytes": "file", "tuple": "named.jsonl"}.get(form, "train.jsonl")
    assert part.filename == expected_name
    if form == "tuple":
        assert part.content_type == "application/jsonl"
    if form == "file object":
        value.close()


def test_a_missing_file_path_fails_before_any_request(client, server, tmp_path):
    with pytest.raises(ValidationError) as info:
        client.call("files.create", {"file": tmp_path / "nope.jsonl", "purpose": "batch"})
    assert info.value.paths == ["$.file"] and "file not found" in str(info.value)
    assert server.requests == []


def test_several_images_travel_as_image_brackets_with_a_mask(client, server, tmp_path):
    images = []
    for name in ("a.png", "b.png"):
        (tmp_path / name).write_bytes(name.encode())
        images.append(tmp_path / name)
    (tmp_path / "mask.png").write_bytes(b"mask")
    client.call("images.edit", {"image": images, "mask": tmp_path / "mask.png", "prompt": "add a hat"})
    payload = server.requests[-1].payload
    assert [f.filename for f in payload["image"]] == ["a.png", "b.png"]
    assert payload["mask"].data == b"mask" and payload["prompt"] == "add a hat"
    assert b'name="image[]"' in server.requests[-1].body


def test_binary_download_to_bytes_and_to_a_file(client, server, tmp_path):
    blob = bytes(range(256)) * 1000
    server.script("files.content", Reply(body=blob), Reply(body=blob))
    assert client.call("downloadFile", {"file_id": "file-1"}) == blob
    target = tmp_path / "out.bin"
    assert client.call("files.content", {"file_id": "file-1"}, output=target) == target
    assert target.read_bytes() == blob


async def test_async_binary_download_to_a_file(aclient, server, tmp_path):
    server.script("audio.speech.create", Reply(body=b"RIFF....WAVE"))
    target = tmp_path / "speech.wav"
    await aclient.call("createSpeech", {"model": "gpt-4o-mini-tts", "input": "hi", "voice": "alloy"}, output=target)
    assert target.read_bytes() == b"RIFF....WAVE"


LARGE_UPLOAD = textwrap.dedent(
    """
    import sys, tracemalloc
    from oaimap import Client
    path, url = sys.argv[1], sys.argv[2]
    client = Client(api_key="k", base_url=url, max_retries=0)
    client.call("files.list", {})            # warm up: specs, validators, connection
    tracemalloc.start()
    client.call("files.create", {"file": path, "purpose": "batch"})
    print(tracemalloc.get_traced_memory()[1])
    """
)


def test_a_50_mb_upload_streams_from_disk_with_flat_memory(tmp_path):
    """The client runs in its own process so the server's copy of the body is not counted."""
    big = tmp_path / "big.jsonl"
    with open(big, "wb") as out:
        chunk = os.urandom(1 << 20)
        for _ in range(50):
            out.write(chunk)
    server = subprocess.Popen(
        [sys.executable, "-m", "oaimap", "serve"], stdout=subprocess.PIPE, text=True
    )
    try:
        url = server.stdout.readline().split(" on ")[1].split(" ")[0]
        run = subprocess.run(
            [sys.executable, "-c", LARGE_UPLOAD, str(big), url], capture_output=True, text=True, timeout=120
        )
        assert run.returncode == 0, run.stderr
        peak = int(run.stdout.strip().splitlines()[-1])
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert peak < 5 * (1 << 20), f"peak Python memory {peak / 2**20:.1f} MiB for a 50 MiB upload"


def test_nested_form_values_inside_nullable_unions_keep_their_types(client, server):
    strategy = {"type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300}
    client.call("audio.transcriptions.create", {"file": ("a.wav", b"RIFF"), "model": "whisper-1", "chunking_strategy": strategy})
    body = server.requests[-1].body
    assert b'name="chunking_strategy[threshold]"' in body
    assert server.requests[-1].payload["chunking_strategy"] == strategy
