"""Every script in ``examples/`` runs as a user would run it (``python examples/X.py
--local``, no key in the environment): against oaimap's simulator, over real HTTP, its
payloads validated against the specs before they are sent (a ``ValidationError`` exits
non-zero, which fails the test). What each prints is checked against what the
simulator deterministically answers (``reply_text`` of the question the script printed,
the ids it created...)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from oaimap.simulator import reply_text

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

# The flows of issue 17: the seed's example flows, the provider profiles, map and the Batch API.
FLOWS = [
    "chat", "assistants", "audio", "embeddings", "files", "fine_tuning", "images", "messages", "models",
    "moderations", "runs", "threads", "vector_store_search", "responses_phase", "responses_tool_search",
    "responses_computer_use", "responses_mcp", "responses_websocket", "realtime_client_secrets",
    "provider_azure", "provider_vllm", "provider_ollama", "map_and_batch",
]  # fmt: skip


def run(name: str) -> dict[str, list[str]]:
    """Run one example; its ``key: value`` lines, the values by key in order."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and not k.endswith("_BASE_URL")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py"), "--local"], capture_output=True,
                          text=True, env=env, timeout=60)
    assert done.returncode == 0, f"{name} failed:\n{done.stderr[-3000:]}"
    assert "sk-local" not in done.stdout + done.stderr  # the simulator's key is never shown
    lines: dict[str, list[str]] = {}
    for line in done.stdout.splitlines():
        key, _, value = line.partition(": ")
        lines.setdefault(key, []).append(value)
    return lines


def answers_each_question(out: dict[str, list[str]]) -> bool:
    """The answers are the simulated model's replies to the questions, in order."""
    questions = out.get("question", [])
    return bool(questions) and [reply_text(q) for q in questions] == out.get("answer")


def test_there_is_a_script_per_flow():
    scripts = {path.stem for path in EXAMPLES.glob("*.py") if not path.stem.startswith("_")}
    assert scripts == set(FLOWS)


CHECKS = {
    "chat": lambda out: (answers_each_question(out), out["streamed"] == out["answer"], int(out["tokens"][0]) > 0),
    "embeddings": lambda out: out["vectors"] == ["4 of 256 dimensions"] and out["closest"],
    "models": lambda out: int(out["models"][0]) >= 1 and out["first"][0].endswith("owned by openai"),
    "moderations": lambda out: out["flagged"] in (["True"], ["False"]) and out["categories"],
    "images": lambda out: re.fullmatch(r".*oaimap-lighthouse\.png \d+ bytes", out["saved"][0]),
    "audio": lambda out: re.fullmatch(r".*oaimap-speech\.mp3 [1-9]\d* bytes", out["speech"][0]) and out["transcript"][0],
    "files": lambda out: (re.fullmatch(r"file-\w{24} requests\.jsonl [1-9]\d* bytes", out["uploaded"][0])
                          and out["listed"] == out["same bytes"] == out["deleted"] == ["True"]),
    "fine_tuning": lambda out: (re.fullmatch(r"ftjob-\w{24} validating_files", out["job"][0])
                                and out["finished"][0].startswith("succeeded ft:gpt-4.1-mini-2025-04-14:") and out["event"]),
    "vector_store_search": lambda out: (re.fullmatch(r"vs_\w{24}", out["store"][0])
                                        and out["indexed"] == ["completed 2 files"] and out["hit"]),
    "assistants": lambda out: (re.fullmatch(r"asst_\w{24} Math tutor", out["created"][0])
                               and out["renamed"] == ["Patient math tutor"] and out["listed"] == out["deleted"] == ["True"]),
    "threads": lambda out: (re.fullmatch(r"thread_\w{24} \{'topic': 'math'\}", out["created"][0])
                            and out["metadata"] == ["{'topic': 'math', 'level': 'beginner'}"] and out["deleted"] == ["True"]),
    "messages": lambda out: ([a.split()[0] for a in out["added"]] == out["in thread"]
                             and [a.split(" ", 1)[1] for a in out["added"]] == ["What is a fraction?", "And a decimal?"]
                             and out["metadata"] == ["{'seen': 'yes'}"] and out["deleted"] == ["True"]),
    "runs": lambda out: (answers_each_question(out), re.fullmatch(r"run_\w{24} completed", out["run"][0]),
                         out["step"] == ["message_creation completed"]),
    "responses_phase": lambda out: (out["question"], out["answer (no phase)"] == [reply_text(out["question"][0])]),
    "responses_tool_search": answers_each_question,
    "responses_mcp": answers_each_question,
    # the simulated computer-use model asks for one screenshot, then answers the follow-up
    # (whose input is the computer_call_output alone: no user text)
    "responses_computer_use": lambda out: (out["actions"] == ["screenshot"], out["turns"] == ["1"],
                                           out["answer"] == [reply_text("")]),
    "responses_websocket": lambda out: (answers_each_question(out), len(out["question"]) == 2,
                                        re.fullmatch(r"ws://127\.0\.0\.1:\d+/v1/responses", out["connected"][0]),
                                        out["closed"] == ["1000 OK"]),
    "realtime_client_secrets": lambda out: (out["session"] == ["realtime gpt-realtime"], out["expires at"][0].isdigit(),
                                            out["hand-off"][0].startswith('{"client_secret": "ek_')),
    "provider_azure": lambda out: (answers_each_question(out),
                                   out["path"] == ["/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21"]),
    "provider_vllm": lambda out: (answers_each_question(out), out["models"]),
    "provider_ollama": lambda out: (answers_each_question(out), out["embeddings"] == ["2"]),
    # every row has exactly one outcome, in input order; the row without input failed validation
    "map_and_batch": lambda out: (out["mapped"] == [f"{i} 64 dimensions" for i in range(4)], out["failed"] == ["4 ValidationError"],
                                  out["batches"] == ["1"], out["batched"] == [f"text-{i} ok 64" for i in range(4)]),
}


def _true(result: object) -> bool:
    return all(map(bool, result)) if isinstance(result, tuple) else bool(result)


@pytest.mark.parametrize("name", FLOWS)
def test_example_runs_and_prints_what_the_simulator_answers(name):
    out = run(name)
    assert _true(CHECKS[name](out)), out
