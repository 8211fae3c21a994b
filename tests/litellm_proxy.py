"""LiteLLM's proxy as a test server: a real OpenAI-compatible server nobody here wrote.

It runs from its own virtual environment (`.venv-litellm`, made by `.ci/run`): its
dependency pins (openai 2.x) must not meet the dev extra's `openai==3.5.0`. The proxy
listens on 127.0.0.1 only and answers from `mock_response` models: no weights, no
provider, no network. Its remote fetches (model cost map and the like) are turned to
the copies in the package, and it reads no `.env` file. LiteLLM 1.106 sends no
telemetry (its `--telemetry` flag is a no-op kept for old start commands).
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
# OAIMAP_LITELLM_PYTHON may point at another environment with litellm[proxy] installed.
LITELLM_PYTHON = Path(os.environ.get("OAIMAP_LITELLM_PYTHON") or ROOT / ".venv-litellm" / "bin" / "python")

MOCK_TEXT = "Hello from LiteLLM's mock."
MOCK_EMBEDDING = [0.25, -0.5, 0.75, 1.0]
CHAT_MODEL = "mock-chat"  # chat, completions and (LiteLLM's own mock) responses
EMBEDDING_MODEL = "mock-embed"
# LiteLLM's Responses mock answers whole, even when asked to stream; this model goes
# through LiteLLM's Responses-to-chat bridge instead, to the proxy's own chat model.
RESPONSES_STREAM_MODEL = "mock-responses-via-chat"

# The packaged copies instead of GitHub; PRODUCTION: no `.env` file is loaded.
OFFLINE_ENV = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS": "True",
    "LITELLM_LOCAL_AUTOROUTER_PRESETS": "True",
    "LITELLM_LOCAL_BLOG_POSTS": "True",
    "LITELLM_LOCAL_POLICY_TEMPLATES": "True",
    "LITELLM_MODE": "PRODUCTION",
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
}
READY_TIMEOUT = 90.0
STOP_TIMEOUT = 10.0


def require_environment() -> None:
    """Skip the calling test when LiteLLM's environment is missing; under CI (CI=true),
    where `.ci/run` makes it, fail instead."""
    import pytest

    if LITELLM_PYTHON.is_file():
        return
    missing = f"no LiteLLM environment at {LITELLM_PYTHON}: make it as .ci/run does (docs/providers.md)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(missing)
    pytest.skip(f"{missing}; skipped outside CI only")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def proxy_config(url: str, master_key: str, more_chat_models: tuple[str, ...] = ()) -> dict:
    def model(name: str, **params: object) -> dict:
        return {"model_name": name, "litellm_params": {"model": f"openai/{name}", "api_key": "unused", **params}}

    return {
        "model_list": [
            *(model(name, mock_response=MOCK_TEXT) for name in more_chat_models),
            model(CHAT_MODEL, mock_response=MOCK_TEXT),
            model(EMBEDDING_MODEL, mock_response=MOCK_EMBEDDING),
            {
                "model_name": RESPONSES_STREAM_MODEL,
                "litellm_params": {
                    "model": f"openai/{CHAT_MODEL}",
                    "api_base": f"{url}/v1",
                    "api_key": master_key,
                    "use_chat_completions_api": True,
                },
            },
        ],
        "general_settings": {"master_key": master_key},
    }


class LiteLLMProxy:
    """`with LiteLLMProxy() as proxy:` a started proxy at `proxy.url` (no `/v1`);
    `more_chat_models` are more names for the mock chat model."""

    def __init__(self, python: Path = LITELLM_PYTHON, more_chat_models: tuple[str, ...] = ()):
        self.python = python
        self.more_chat_models = more_chat_models
        self.master_key = "sk-" + secrets.token_hex(16)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._workdir = tempfile.TemporaryDirectory(prefix="litellm-proxy-")
        self._log = Path(self._workdir.name) / "proxy.log"
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> "LiteLLMProxy":
        try:
            self._start()
            self._wait_until_ready()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._workdir.cleanup()

    def _start(self) -> None:
        workdir = Path(self._workdir.name)
        config = workdir / "config.yaml"
        config.write_text(yaml.safe_dump(proxy_config(self.url, self.master_key, self.more_chat_models)), encoding="utf-8")
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(workdir), **OFFLINE_ENV}
        command = [str(self.python), "-m", "litellm.proxy.proxy_cli", "--config", str(config)]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)

    def _wait_until_ready(self) -> None:
        assert self._process is not None
        give_up = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < give_up:
            if self._process.poll() is not None:
                raise RuntimeError(f"LiteLLM's proxy exited with {self._process.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/health/readiness", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"LiteLLM's proxy was not ready after {READY_TIMEOUT:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        """The end of the proxy's output, the master key masked."""
        text = self._log.read_text(encoding="utf-8", errors="replace") if self._log.exists() else ""
        return "\n".join(text.replace(self.master_key, "sk-***").splitlines()[-lines:])
