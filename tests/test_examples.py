"""Every script in ``examples/`` runs as a user would run it (``python examples/X.py
--local``, no key in the environment): against oaimap's simulator, over real HTTP, its
payloads validated against the specs before they are sent (a ``ValidationError`` exits
non-zero, which fails the test). What each prints is checked against what the
simulator deterministically answers (``reply_text`` of the question the script printed,
the ids it created...).

The scripts run against the test's simulator (``OAIMAP_SIMULATOR_URL``), so the requests
they sent can be read back: every JSON body is also validated against the request schema
of the official document (not our specs), where the document is present."""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from conftest import REFERENCE
from referencing.jsonschema import DRAFT202012

from oaimap.simulator import reply_text
from oaimap.specs import SpecRegistry

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

# The flows of issue 17: the seed's example flows, the provider profiles, map and the Batch API.
FLOWS = [
    "chat", "assistants", "audio", "embeddings", "files", "fine_tuning", "images", "messages", "models",
    "moderations", "runs", "threads", "vector_store_search", "responses_phase", "responses_tool_search",
    "responses_computer_use", "responses_mcp", "responses_websocket", "realtime_client_secrets",
    "provider_azure", "provider_vllm", "provider_ollama", "map_and_batch",
]  # fmt: skip


def run(name: str, simulator_url: str | None = None, real: dict[str, str] | None = None) -> dict[str, list[str]]:
    """Run one example against its own simulator, the one at ``simulator_url``, or with
    ``real`` (a key and base URL) the service they name; its ``key: value`` lines, the
    values by key in order."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and not k.endswith("_BASE_URL")}
    env.pop("OAIMAP_SIMULATOR_URL", None)
    if simulator_url:
        env["OAIMAP_SIMULATOR_URL"] = simulator_url
    env.update(real or {})
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py"), *([] if real else ["--local"])],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, f"{name} failed:\n{done.stderr[-3000:]}"
    for key in ["sk-local", *(real or {}).values()]:
        assert key.startswith("http") or key not in done.stdout + done.stderr  # no key is ever shown
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
    "moderations": lambda out: out["flagged"] == ["True"] and out["categories"] == ["harassment/threatening, violence"],
    "images": lambda out: re.fullmatch(r".*oaimap-lighthouse\.png [1-9]\d* bytes", out["saved"][0]),
    # the simulator's speech, transcribed, is the sentence spoken
    "audio": lambda out: (re.fullmatch(r".*oaimap-speech\.mp3 [1-9]\d* bytes", out["speech"][0]),
                          out["transcript"] == ["The quick brown fox jumps over the lazy dog."]),
    "files": lambda out: (re.fullmatch(r"file-\w{24} requests\.jsonl [1-9]\d* bytes", out["uploaded"][0])
                          and out["listed"] == out["same bytes"] == out["deleted"] == ["True"]),
    "fine_tuning": lambda out: (re.fullmatch(r"ftjob-\w{24} validating_files", out["job"][0])
                                and out["finished"][0].startswith("succeeded ft:gpt-4.1-mini-2025-04-14:") and out["event"]),
    "vector_store_search": lambda out: (re.fullmatch(r"vs_\w{24}", out["store"][0])
                                        and out["indexed"] == ["completed 2 files"]
                                        and [hit.split()[0] for hit in out["hit"]] == ["returns.md"]),  # the one sharing words
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
def test_example_runs_and_prints_what_the_simulator_answers(name, oaimap_server):
    out = run(name, oaimap_server.url)
    assert _true(CHECKS[name](out)), out
    sent = [r for r in oaimap_server.requests if r.operation and r.headers.get("content-type", "").startswith("application/json")]
    assert sent or name in ("models", "files", "audio", "responses_websocket"), "no JSON request was recorded"
    if not REFERENCE.is_file():  # the suite's reference tests say it is missing; the run itself is checked
        return
    for received in sent:
        problems = document_violations(received.operation, received.json())
        assert not problems, f"{name}: {received.method} {received.path} breaks the official document: {problems}"


@pytest.mark.slow  # a proxy to start (about 7 s)
def test_examples_run_unchanged_against_a_real_compatible_server():
    """The examples' real-service path (a key in the environment, no ``--local``), taken
    against LiteLLM's proxy on 127.0.0.1: an OpenAI-compatible server nobody here wrote,
    whose mock model answers under the example's model name."""
    from litellm_proxy import MOCK_TEXT, LiteLLMProxy, require_environment

    require_environment()
    with LiteLLMProxy(more_chat_models=("gpt-4.1-mini",)) as proxy:
        real = {"OPENAI_API_KEY": proxy.master_key, "OPENAI_BASE_URL": f"{proxy.url}/v1"}
        chat, models = run("chat", real=real), run("models", real=real)
    assert chat["answer"] == chat["streamed"] == [MOCK_TEXT] and int(chat["tokens"][0]) > 0
    assert models["models"] == ["4"]  # gpt-4.1-mini and the proxy's own three
    assert models["first"] == ["gpt-4.1-mini owned by openai"]


def test_an_example_starts_its_own_simulator_when_none_is_named():
    out = run("chat")
    assert answers_each_question(out), out


# -- the official document's request schemas, read with jsonschema alone ------------------------
@functools.lru_cache(maxsize=None)
def _document() -> tuple[dict, "referencing.Registry"]:
    """The document, less the few required keys its own example requests leave out (the
    importer's ``RELAXED_REQUIRED``; the API accepts those requests)."""
    import copy

    import referencing
    from codegen.openapi.document import load_document
    from codegen.openapi.schemas import RELAXED_REQUIRED

    doc = copy.deepcopy(load_document(REFERENCE))
    for name, keys in RELAXED_REQUIRED.items():
        component = doc["components"]["schemas"][name]
        component["required"] = [key for key in component.get("required", []) if key not in keys]
    return doc, referencing.Registry().with_resource("urn:openai", referencing.Resource.from_contents(doc, DRAFT202012))


@functools.lru_cache(maxsize=None)
def _request_validator(operation: str) -> "jsonschema.Draft202012Validator | None":
    """The document's JSON request body schema for our operation (matched by operationId)."""
    from codegen.openapi.document import operations

    op = SpecRegistry.shared().get(operation)
    doc, registry = _document()
    found = next((d for d in operations(doc) if d.operation_id == op.operation_id), None)
    schema = (((found.raw.get("requestBody") or {}).get("content") or {}).get("application/json") or {}).get("schema") if found else None
    if schema is None:
        return None
    if "$ref" in schema:
        schema = {"$ref": "urn:openai" + schema["$ref"]}
    return jsonschema.Draft202012Validator(schema, registry=registry)


def document_violations(operation: str, body: object) -> list[str]:
    validator = _request_validator(operation)
    if validator is None:
        return []
    return [f"$.{'.'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validator.iter_errors(body)]


def test_the_document_check_catches_what_the_document_refuses(reference_document):
    assert document_violations("chat.completions.create", {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}) == []
    problems = document_violations("chat.completions.create", {"model": "gpt-4o", "messages": [{"role": "robot", "content": 1}]})
    assert problems and all(p.startswith("$.messages.0") for p in problems)
    assert document_violations("embeddings.create", {"model": "text-embedding-3-small"})  # no input
