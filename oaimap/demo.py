"""``oaimap demo``: real calls through ``Client`` against the embedded loopback server.

No API key and no internet needed: oaimap's API simulator runs on 127.0.0.1 and keeps
what the calls create (``docs/simulator.md``). Each step prints the operation, what went over the wire and the answer.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from .client import Client
from .simulator import Simulator


def _show(title: str, server: Simulator, result: Any) -> None:
    sent = server.requests[-1]
    query = "&".join(f"{k}={v}" for k, v in sent.query)
    print(f"== {title}")
    print(f"   sent: {sent.method} {sent.path}{'?' + query if query else ''}")
    text = json.dumps(result, ensure_ascii=False)
    print(f"   got:  {text if len(text) <= 160 else text[:157] + '...'}")


def run() -> int:
    with Simulator() as server, Client(api_key="sk-demo-not-a-real-key", base_url=server.url) as client:
        print(f"oaimap demo: API simulator on {server.url}\n")
        created = client.call("responses.create", {"model": "gpt-4.1-mini", "input": "Say hello in three words."})
        _show("responses.create", server, created)

        print("== responses.create (stream: true)")
        for event in client.call("createModelResponse", {"model": "gpt-4.1-mini", "input": "Hi", "stream": True}):
            print(f"   event: {event['type']}" + (f"  {event['delta']!r}" if "delta" in event else ""))

        retrieved = client.call("getModelResponse", {"response_id": created["id"]})
        _show("responses.retrieve (seed alias getModelResponse)", server, retrieved)

        items = client.call("responses.input_items.list", {"response_id": created["id"], "limit": 10})
        _show("responses.input_items.list", server, items)

        count = client.call("countInputTokens", {"model": "gpt-4.1-mini", "input": "Tell me a joke."})
        _show("responses.input_tokens.count (seed alias countInputTokens)", server, count)

        with tempfile.TemporaryDirectory() as tmp:
            upload = Path(tmp) / "train.jsonl"
            upload.write_text('{"prompt": "hi", "completion": "hello"}\n')
            uploaded = client.call("files.create", {"file": upload, "purpose": "fine-tune"})
            _show("files.create (multipart upload streamed from disk)", server, uploaded)
            received = server.requests[-1].payload
            assert received is not None  # the upload succeeded, so the server read its payload
            part = received["file"]
            print(f"   server received part file={part.filename!r}, {len(part)} bytes")

            target = Path(tmp) / "download.bin"
            client.call("downloadFile", {"file_id": uploaded["id"]}, output=target)
            sent = server.requests[-1]
            print("== files.content (seed alias downloadFile, streamed to a file)")
            print(f"   sent: {sent.method} {sent.path}")
            print(f"   got:  {target.stat().st_size} bytes written to {target.name}")
    return 0
