"""The ``oaimap`` command, run as a user runs it (``python -m oaimap`` in a subprocess)
against the API simulator on 127.0.0.1: JSON on stdout, one line per problem on
stderr, exit codes 0 / 1 (API error) / 2 (bad input) / 130 (interrupted)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from oaimap import APIConnectionError, Client
from oaimap.cli import DOCS_SITE, main
from oaimap.server import LoopbackServer
from oaimap.simulator import Simulator, reply_text
from oaimap.specs import SpecRegistry

ROOT = Path(__file__).resolve().parents[1]
KEY = "sk-cli-test-secret-0123456789"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OAIMAP_", "OPENAI_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return {**env, **extra}


def oaimap(*args: str, server: Simulator | None = None, stdin: str | None = None, cwd: Path | None = None, **env: str):
    if server is not None:
        env = {"OPENAI_BASE_URL": server.url, "OPENAI_API_KEY": KEY, **env}
    return subprocess.run(
        [sys.executable, "-m", "oaimap", *args], input=stdin, capture_output=True, text=True, timeout=60,
        env=_env(**env), cwd=cwd,
    )


def _one_problem(run: subprocess.CompletedProcess, code: int) -> str:
    """The run failed with ``code`` and said so in exactly one line, without a traceback."""
    assert run.returncode == code, (run.returncode, run.stdout, run.stderr)
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("oaimap: "), run.stderr
    assert run.stdout == ""
    return lines[0]


def test_call_sets_values_as_json_text_nested_and_from_files(oaimap_server, tmp_path):
    (tmp_path / "prompt.txt").write_text("Summarise this file.")
    run = oaimap(
        "call", "responses.create", "--data", '{"model": "gpt-4.1-mini", "metadata": {"a": "b"}}',
        "--set", "input=@prompt.txt", "--set", "temperature=0.2", "--set", "metadata.c=d",
        "--set", "text.format.type=json_object", "--set", "store=false", "--set", 'user="1234"',
        server=oaimap_server, cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert answer["object"] == "response" and answer["model"] == "gpt-4.1-mini"
    assert oaimap_server.requests[-1].payload == {
        "model": "gpt-4.1-mini", "input": "Summarise this file.", "temperature": 0.2, "metadata": {"a": "b", "c": "d"},
        "text": {"format": {"type": "json_object"}}, "store": False, "user": "1234",
    }
    assert KEY not in run.stdout + run.stderr


def test_upload_a_file_param_then_read_it_back_binary_only_with_output(oaimap_server, tmp_path):
    data = b'{"messages": [{"role": "user", "content": "hi"}]}\n' * 50
    (tmp_path / "train.jsonl").write_bytes(data)
    made = oaimap("call", "files.create", "--set", "file=@train.jsonl", "--set", "purpose=fine-tune", server=oaimap_server, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    file = json.loads(made.stdout)
    assert file["bytes"] == len(data) and file["filename"] == "train.jsonl"
    uploaded = oaimap("upload", str(tmp_path / "train.jsonl"), "--purpose", "batch", server=oaimap_server)
    assert json.loads(uploaded.stdout)["purpose"] == "batch" and json.loads(uploaded.stdout)["id"] != file["id"]

    read = oaimap("call", "files.retrieve", "--data", "-", stdin=json.dumps({"file_id": file["id"]}), server=oaimap_server)
    assert json.loads(read.stdout) == file

    problem = _one_problem(oaimap("call", "files.content", "--set", f"file_id={file['id']}", server=oaimap_server), 2)
    assert "binary" in problem and "--output" in problem
    saved = oaimap("call", "files.content", "--set", f"file_id={file['id']}", "--output", str(tmp_path / "copy.jsonl"), server=oaimap_server)
    assert saved.returncode == 0, saved.stderr
    assert (tmp_path / "copy.jsonl").read_bytes() == data
    assert json.loads(saved.stdout) == {"path": str(tmp_path / "copy.jsonl"), "bytes": len(data)}
    piped = subprocess.run(
        [sys.executable, "-m", "oaimap", "call", "files.content", "--set", f"file_id={file['id']}", "-o", "-"],
        capture_output=True, timeout=60, env=_env(OPENAI_BASE_URL=oaimap_server.url, OPENAI_API_KEY=KEY),
    )
    assert piped.stdout == data

    missing = _one_problem(oaimap("upload", str(tmp_path / "absent.jsonl"), "--purpose", "batch", server=oaimap_server), 2)
    assert "absent.jsonl" in missing
    assert _one_problem(oaimap("call", "files.create", "--set", "file=@absent.jsonl", server=oaimap_server, cwd=tmp_path), 2)


def test_a_stream_prints_one_json_line_per_event(oaimap_server):
    run = oaimap(
        "call", "chat.completions.create", "--stream", "--set", "model=gpt-4.1-mini",
        "--set", 'messages=[{"role": "user", "content": "hello there"}]', server=oaimap_server,
    )
    assert run.returncode == 0, run.stderr
    events = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(events) > 2 and {e["object"] for e in events} == {"chat.completion.chunk"}
    text = "".join(e["choices"][0]["delta"].get("content") or "" for e in events if e["choices"])
    assert text == reply_text("hello there")
    assert oaimap_server.requests[-1].payload["stream"] is True


def test_an_api_error_is_one_line_with_status_type_and_request_id_exit_1(oaimap_server):
    line = _one_problem(oaimap("call", "files.retrieve", "--set", "file_id=file-missing", server=oaimap_server), 1)
    assert re.fullmatch(r"oaimap: files\.retrieve: HTTP 404 invalid_request_error: .*file-missing.* \(request id req_\w+\)", line), line


def test_bad_input_is_one_line_and_exit_2(oaimap_server):
    unknown = _one_problem(oaimap("call", "responses.creat", "--set", "model=m", server=oaimap_server), 2)
    assert "'responses.creat'" in unknown and "Did you mean: responses.create" in unknown
    bad_json = _one_problem(oaimap("call", "responses.create", "--data", "{model: m}", server=oaimap_server), 2)
    assert "--data: not valid JSON" in bad_json
    not_object = _one_problem(oaimap("call", "responses.create", "--data", "[1]", server=oaimap_server), 2)
    assert "must be a JSON object" in not_object
    malformed = _one_problem(oaimap("call", "responses.create", "--set", "model", server=oaimap_server), 2)
    assert "expected KEY=VALUE" in malformed
    invalid = oaimap("call", "responses.create", "--set", "model=m", "--set", "temperature=7", "--set", "top_p=3", server=oaimap_server)
    assert invalid.returncode == 2 and "Traceback" not in invalid.stderr
    lines = invalid.stderr.splitlines()
    assert len(lines) == 2 and all(line.startswith("oaimap: responses.create: $.") for line in lines), lines
    assert {line.split(": ")[2] for line in lines} == {"$.temperature", "$.top_p"}
    no_key = _one_problem(oaimap("call", "models.list", OPENAI_BASE_URL=oaimap_server.url), 2)
    assert "no API key" in no_key
    assert len(oaimap_server.requests) == 0  # nothing was sent for any of them


def test_ops_lists_one_line_per_operation_with_grep_and_json():
    registry = SpecRegistry.shared()
    files = oaimap("ops", "files", "--grep", "content")
    assert files.returncode == 0, files.stderr
    [line] = files.stdout.splitlines()
    op = registry.get("files.content")
    assert line.split()[:3] == [op.name, op.method, op.path] and line.endswith(op.summary)
    listed = json.loads(oaimap("ops", "vector_store_files", "--grep", "POLL", "--json").stdout)
    expected = [o.name for o in registry.family("vector-store-files").values() if "poll" in (o.name + o.summary).lower()]
    assert [o["name"] for o in listed] == expected and expected
    everything = oaimap("ops").stdout.splitlines()
    assert len(everything) == sum(1 for _ in registry.operations())
    assert "Did you mean: vector-stores" in _one_problem(oaimap("ops", "vector-stors"), 2)


def test_serve_logs_each_request_and_stops_quietly_on_ctrl_c():
    proc = subprocess.Popen([sys.executable, "-m", "oaimap", "serve"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    try:
        url = re.search(r"on (http://\S+/v1)", proc.stdout.readline())[1]  # type: ignore[index, union-attr]
        with Client(api_key=KEY, base_url=url, auth_query="key") as client:
            client.call("models.list")
        line = proc.stderr.readline().rstrip("\n")
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d GET /v1/models 200 models\.list \d+\.\d ms", line), line
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 130
        assert proc.stderr.read() == ""  # no traceback
    finally:
        proc.kill()
        proc.wait()


def test_serve_on_a_busy_port_says_so_in_one_line():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        line = _one_problem(oaimap("serve", "--port", str(port)), 2)
    assert f"port {port}" in line and "already in use" in line


def test_the_loopback_server_logs_only_when_asked():
    lines: list[str] = []
    with LoopbackServer(log=lines.append) as server, Client(api_key=KEY, base_url=server.url, auth_query="key") as client:
        client.call("models.retrieve", {"model": "gpt-4.1-mini"})
        server.fail_next("files.retrieve", "reset")  # no status line: the line says "-"
        with pytest.raises(APIConnectionError):
            client.call("files.retrieve", {"file_id": "x"}, max_retries=0)
    assert [line.split()[2:6] for line in lines] == [
        ["GET", "/v1/models/gpt-4.1-mini", "200", "models.retrieve"],
        ["GET", "/v1/files/x", "-", "files.retrieve"],
    ]
    assert KEY not in "".join(lines)  # the query string, where auth_query puts the key, is left out


def test_specs_diff_on_a_missing_file_and_docs(tmp_path):
    assert "no such file" in _one_problem(oaimap("specs", "diff", str(tmp_path / "absent.yaml")), 2)
    docs = oaimap("docs")
    assert docs.returncode == 0 and Path(docs.stdout.strip()) == DOCS_SITE and DOCS_SITE.is_file()


def test_describe_shows_each_parameter_with_its_facts_and_description():
    run = oaimap("describe", "createChatCompletion")  # an alias works too
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "chat.completions.create" and "  POST /chat/completions" in lines
    temperature = next(i for i, line in enumerate(lines) if line.strip().startswith("temperature "))
    assert "number | null  optional" in lines[temperature] and "min 0, max 2" in lines[temperature]
    messages = next(i for i, line in enumerate(lines) if line.strip().startswith("messages "))
    description = SpecRegistry.shared().get("chat.completions.create").params_in("body")["messages"]["description"]
    assert lines[messages + 1].strip() == description
    assert "Did you mean: chat.completions.create" in _one_problem(oaimap("describe", "chat.completions.creat"), 2)


@pytest.mark.parametrize("command", [[], ["call"], ["ops"], ["describe"], ["upload"], ["serve"], ["docs"], ["demo"], ["specs"], ["specs", "diff"]])
def test_help_everywhere(command, capsys):
    with pytest.raises(SystemExit) as exit:
        main([*command, "--help"])
    assert exit.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: oaimap {' '.join(command)}".rstrip())


def test_shell_completion_offers_operation_names(tmp_path):
    pytest.importorskip("argcomplete")
    out = tmp_path / "completions"
    line = "oaimap call responses.input"
    run = oaimap(_ARGCOMPLETE="1", COMP_LINE=line, COMP_POINT=str(len(line)), _ARGCOMPLETE_IFS="\n",
                 _ARGCOMPLETE_STDOUT_FILENAME=str(out))
    assert run.returncode == 0, run.stderr
    expected = sorted(name for name in SpecRegistry.shared().index if name.startswith("responses.input"))
    assert expected and out.read_text().split("\n") == expected


def test_upload_draws_a_bar_on_a_terminal_and_nothing_otherwise(oaimap_server, tmp_path):
    import fcntl
    import pty
    import struct
    import termios

    source = tmp_path / "big.bin"
    source.write_bytes(b"x" * 3_000_000)
    env = _env(OPENAI_BASE_URL=oaimap_server.url, OPENAI_API_KEY=KEY)
    reader, writer = pty.openpty()  # stderr is a terminal (80 columns), stdout a pipe
    fcntl.ioctl(writer, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    run = subprocess.run([sys.executable, "-m", "oaimap", "upload", str(source), "--purpose", "batch"],
                         stdout=subprocess.PIPE, stderr=writer, text=True, timeout=60, env=env)
    os.close(writer)
    drawn = b""
    while True:
        try:
            chunk = os.read(reader, 65536)
        except OSError:  # the terminal's other end is closed: all read
            break
        if not chunk:
            break
        drawn += chunk
    os.close(reader)
    assert run.returncode == 0 and json.loads(run.stdout)["bytes"] == 3_000_000
    assert b"files.create" in drawn and b"100%" in drawn  # tqdm's bar, to the end
    plain = oaimap("upload", str(source), "--purpose", "batch", server=oaimap_server)
    assert plain.returncode == 0 and plain.stderr == ""  # not a terminal: no bar
