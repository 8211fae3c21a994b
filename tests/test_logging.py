"""``OAIMAP_LOG`` / ``OPENAI_LOG``: one line per call (operation, status, request id,
retries, ms) on stderr; per attempt at debug; bodies only at ``body``, redacted. Each
case runs in a fresh interpreter (the setting is read once per process) against the
real loopback server."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

KEY = "sk-logging-secret-0123456789"
SCRIPT = """
import sys
from oaimap import Client
from oaimap.server import LoopbackServer, Reply
with LoopbackServer() as server:
    server.script("models.retrieve", Reply(status=503, json={{}}), Reply(json={{"id": "m", "object": "model", "created": 1, "owned_by": "x"}}))
    with Client(api_key={key!r}, base_url=server.url, auth_query="key", retry=__import__("oaimap").RetryPolicy(max_retries=1, initial_delay=0.001)) as client:
        client.call("models.retrieve", {{"model": "m"}})
        client.call("chat.completions.create", {{"model": "m", "messages": [{{"role": "user", "content": "say {key}"}}]}})
"""


def _run(**env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k not in ("OAIMAP_LOG", "OPENAI_LOG")}
    out = subprocess.run([sys.executable, "-c", SCRIPT.format(key=KEY)], env={**environment, **env},
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stderr


def test_silent_by_default():
    assert _run() == ""


@pytest.mark.parametrize("variable", ["OAIMAP_LOG", "OPENAI_LOG"])
def test_info_logs_one_line_per_call(variable):
    lines = [line for line in _run(**{variable: "info"}).splitlines() if line]
    assert len(lines) == 2, lines
    assert "models.retrieve -> 200 (request id req_loopback, retries 1," in lines[0] and lines[0].endswith(" ms)")
    assert "chat.completions.create -> 200" in lines[1]


def test_debug_adds_a_line_per_attempt_and_body_the_bodies_redacted():
    debug = _run(OAIMAP_LOG="debug")
    assert "models.retrieve GET /models/{model} -> 503 (request id req_loopback, attempt 1)" in debug
    assert "request body" not in debug
    body = _run(OAIMAP_LOG="body")
    assert "chat.completions.create request body:" in body and "response body:" in body
    assert KEY not in body and "**********" in body  # the key the user typed into a prompt, masked
