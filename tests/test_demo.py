"""README command 1: `python -m oaimap demo` makes real calls and prints them."""

from __future__ import annotations

import re
import subprocess
import sys


def test_demo_runs_against_the_simulator():
    run = subprocess.run([sys.executable, "-m", "oaimap", "demo"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    for line in (
        "sent: POST /v1/responses",
        "event: response.completed",
        "got:  {\"object\": \"list\", \"data\": [{\"role\": \"user\", \"content\": [{\"type\": \"input_text\", \"text\": \"Say hello in three words.\"}]",
        "sent: POST /v1/files",
        "server received part file='train.jsonl'",
        "40 bytes written to download.bin",
    ):
        assert line in out, f"missing {line!r} in demo output:\n{out}"
    created = re.search(r"sent: POST /v1/responses\n   got:  \{\"id\": \"(resp_[0-9a-f]{48})\"", out)
    assert created, out  # an id in the API's format, then read back by that id:
    assert f"sent: GET /v1/responses/{created[1]}/input_items?limit=10" in out
    uploaded = re.search(r"\"id\": \"(file-[0-9A-Za-z]{24})\"", out)
    assert uploaded and f"sent: GET /v1/files/{uploaded[1]}/content" in out
    assert "sk-demo" not in out
