"""README command 1: `python -m oaimap demo` makes real calls and prints them."""

from __future__ import annotations

import subprocess
import sys


def test_demo_runs_against_the_loopback_server():
    run = subprocess.run([sys.executable, "-m", "oaimap", "demo"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    for line in (
        "sent: POST /v1/responses",
        "event: response.completed",
        "sent: GET /v1/responses/resp_demo_1/input_items?limit=10",
        "sent: POST /v1/files",
        "server received part file='train.jsonl'",
        "sent: GET /v1/files/file-abc123/content",
    ):
        assert line in out, f"missing {line!r} in demo output:\n{out}"
    assert "sk-demo" not in out
