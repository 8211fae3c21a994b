"""``client.map`` and ``oaimap map`` against the simulator: one outcome per input, in
order or as completed, pacing under 429s, checkpoints that survive a kill, cancelling."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from oaimap import AsyncClient, Client
from oaimap.errors import BadRequestError, CheckpointError, RecordedError, UsageError, ValidationError
from oaimap.pytest_plugin import SIMULATOR_KEY
from oaimap.server import Reply

OP = "embeddings.create"
ROOT = Path(__file__).resolve().parents[1]


def rows(n: int, *, invalid_every: int = 0) -> list[dict]:
    """``n`` payloads whose input names their index; every ``invalid_every``-th lacks the model."""
    out = []
    for i in range(n):
        payload = {"model": "text-embedding-3-small", "input": f"row {i}"}
        if invalid_every and i % invalid_every == invalid_every - 1:
            del payload["model"]
        out.append(payload)
    return out


def sent_rows(server, since: int = 0) -> list[int]:
    """The row index of each embeddings request the server read (a fault answers before
    the payload is read: those are not here)."""
    return [int(r.payload["input"].split()[1]) for r in server.requests[since:] if r.operation == OP and r.payload]


def embedding_reply(delay: float = 0.0, **headers: str) -> Reply:
    return Reply(json={"object": "list", "data": [{"object": "embedding", "index": 0, "embedding": [0.5, 0.25]}],
                       "model": "text-embedding-3-small", "usage": {"prompt_tokens": 2, "total_tokens": 2}},
                 headers=dict(headers), delay=delay)


def test_a_thousand_inputs_through_429s_500s_resets_and_bad_payloads(oaimap_server):
    """Faults are injected while the run goes (from its progress callback); every input
    still has exactly one outcome, in input order: the payloads the simulator refuses
    (400; sent unvalidated) fail, every other one succeeds through the retries."""
    payloads = rows(1000, invalid_every=50)
    faults = {200: dict(status=429, retry_after=0, times=25), 450: dict(status=500, times=10), 700: dict(kind="reset", times=5)}
    events = []

    def progress(event):
        events.append(event)
        if event.done in faults:
            oaimap_server.fail_next(OP, **faults[event.done])

    with Client(api_key=SIMULATOR_KEY, base_url=oaimap_server.url, max_retries=8) as client:
        run = client.map(OP, payloads, concurrency=32, progress=progress, validation="off")
        results = list(run)

    assert [r.index for r in results] == list(range(1000))
    assert all(r.payload is payloads[r.index] for r in results)
    refused = {i for i in range(1000) if "model" not in payloads[i]}
    assert {r.index for r in results if not r.ok} == refused
    for r in results:
        if r.ok:
            assert r.error is None and r.value["data"][0]["embedding"]
        else:
            assert isinstance(r.error, BadRequestError) and r.error.status_code == 400 and "embeddings.create" in str(r.error)
    assert run.run.ok == 980 and run.run.failed == 20
    assert set(sent_rows(oaimap_server)) == set(range(1000))  # every input reached the server ...
    attempts = sum(1 for r in oaimap_server.requests if r.operation == OP)
    assert attempts == 1000 + 25 + 10 + 5  # ... and each injected fault cost one retry
    assert run.limiter.decreases >= 1  # the 429s slowed it down
    assert events[-1].kind == "map" and events[-1].done == events[-1].total == 1000
    assert events[-1].status == "980 ok, 20 failed"


async def test_429s_halve_the_calls_in_flight_and_hold_new_starts(oaimap_server, oaimap_async_client):
    client = oaimap_async_client
    starts: list[tuple[float, int, int]] = []  # (time, slots taken, calls on the wire) once this one started
    pushed: list[float] = []
    sent = {"now": 0}  # calls started and not yet answered
    waiting: list[int] = []  # at the first 429: slots taken by calls not yet sent
    run = client.map(OP, rows(400), concurrency=32)

    def started(**_):
        sent["now"] += 1
        starts.append((time.monotonic(), run.limiter.in_flight, sent["now"]))
        if len(starts) == 100:  # by calls started, not results read: those can lag far behind
            oaimap_server.fail_next(OP, status=429, retry_after=0.4, times=4)

    def retried(reason, **_):
        if "429" in reason:
            pushed.append(time.monotonic())
            waiting.append(run.limiter.in_flight - sent["now"])

    client.on("before_call", started)
    client.on("after_call", lambda **_: sent.update(now=sent["now"] - 1))
    client.on("on_retry", retried)
    assert all([result.ok async for result in run])

    assert pushed, "the injected 429s were retried"
    first = pushed[0]
    before = [n for t, n, _ in starts if t < first]
    # on the wire, not slots: a finished call gives its slot back a moment later (more so under load)
    after = [n for t, _, n in starts if t > first]
    assert max(before) == 32, before  # all 32 slots in use before the pressure
    assert run.limiter.decreases >= 1
    # No call starts while the server's retry-after runs ...
    assert not [t - first for t, _, _ in starts if first < t < first + 0.35], starts
    # ... and the next ones start at most half as many at once as before: one more for the
    # limit's first step back up, and the calls that had taken their slot before the
    # halving and waited out the pause (a slot is taken before the call is sent).
    assert after and max(after[:16]) <= 16 + 1 + waiting[0], (after[:16], waiting[0])


async def test_as_completed_yields_what_finishes_first(oaimap_async_client):
    payloads = rows(10) + [{"input": "row 10"}]  # the last one fails validation at once, sending nothing
    ordered = [r.index async for r in oaimap_async_client.map(OP, payloads, concurrency=16)]
    completed = [r async for r in oaimap_async_client.map(OP, payloads, concurrency=16, ordered=False)]
    assert ordered == list(range(11))
    assert completed[0].index == 10 and isinstance(completed[0].error, ValidationError)
    assert sorted(r.index for r in completed) == list(range(11))


def test_a_generator_is_read_as_calls_start_not_all_at_once(oaimap_server, oaimap_client):
    read: list[int] = []

    def payloads():
        for i, payload in enumerate(rows(200)):
            read.append(i)
            yield payload

    results = iter(oaimap_client.map(OP, payloads(), concurrency=4))
    first = next(results)
    assert first.index == 0 and first.ok
    assert len(read) <= 4 * 16 + 1  # at most the window ahead of what was taken
    assert [r.index for r in results] == list(range(1, 200))


def test_rate_limit_headers_at_zero_slow_the_run(oaimap_server, oaimap_client):
    oaimap_server.script(OP, *[embedding_reply(**{"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "20ms"})] * 3)
    run = oaimap_client.map(OP, rows(40), concurrency=8)
    assert all(r.ok for r in run)
    assert run.limiter.decreases >= 1


def test_checkpoint_resumes_and_refuses_other_input(oaimap_server, oaimap_client, tmp_path):
    checkpoint = tmp_path / "run.jsonl"
    payloads = rows(30, invalid_every=10)
    first = list(oaimap_client.map(OP, payloads[:20], checkpoint=checkpoint))
    sent = len(oaimap_server.requests)
    with open(checkpoint, "a") as file:
        file.write('{"digest": "abc", "index": 2')  # a line a kill cut short: ignored, and cut off

    again = list(oaimap_client.map(OP, payloads, checkpoint=checkpoint))
    assert sorted(sent_rows(oaimap_server, sent)) == [20, 21, 22, 23, 24, 25, 26, 27, 28]  # 29 fails validation
    assert [r.resumed for r in again] == [True] * 20 + [False] * 10
    assert [r.to_json() for r in again[:20]] == [json.loads(json.dumps(r.to_json())) for r in first]
    assert isinstance(again[9].error, RecordedError) and again[9].error.kind == "ValidationError"
    lines = checkpoint.read_text().splitlines()
    assert len(lines) == 1 + 30 and all(json.loads(line) for line in lines)

    other = rows(30)
    other[3]["input"] = "something else"
    with pytest.raises(CheckpointError, match="item 3 was recorded for another payload"):
        list(oaimap_client.map(OP, other, checkpoint=checkpoint))
    with pytest.raises(CheckpointError, match="records a run of embeddings.create"):
        list(oaimap_client.map("moderations.create", [{"input": "x"}], checkpoint=checkpoint))


async def test_cancelling_stops_starts_cancels_calls_and_keeps_the_checkpoint(oaimap_server, oaimap_async_client, tmp_path):
    oaimap_server.script(OP, *[embedding_reply(delay=0.05)] * 400)
    checkpoint = tmp_path / "run.jsonl"
    run = oaimap_async_client.map(OP, rows(200), concurrency=8, checkpoint=checkpoint)
    seen = []

    async def consume():
        async for result in run:
            seen.append(result)

    task = asyncio.create_task(consume())
    while len(seen) < 20:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert run.limiter.in_flight == 0
    await asyncio.sleep(0.1)  # a request already on the wire may still be read by the server
    sent = len(oaimap_server.requests)
    await asyncio.sleep(0.2)
    assert len(oaimap_server.requests) == sent  # nothing new starts
    records = [json.loads(line) for line in checkpoint.read_text().splitlines()[1:]]
    assert len(records) == run.ok + run.failed < 200  # exactly the items that finished
    assert not oaimap_async_client._hooks  # the run's pacing hook is gone with it

    rest = [r async for r in oaimap_async_client.map(OP, rows(200), concurrency=32, checkpoint=checkpoint)]
    resent = sent_rows(oaimap_server, sent)
    assert not set(resent) & {r["index"] for r in records}
    assert [r.index for r in rest] == list(range(200)) and all(r.ok for r in rest)


def test_leaving_a_sync_loop_cancels_the_rest(oaimap_server, oaimap_client):
    oaimap_server.script(OP, *[embedding_reply(delay=0.05)] * 200)
    results = oaimap_client.map(OP, rows(200), concurrency=4)
    for result in results:
        if result.index == 5:
            break
    time.sleep(0.1)  # a request already on the wire may still be read by the server
    sent = len(oaimap_server.requests)
    time.sleep(0.2)
    assert len(oaimap_server.requests) == sent < 200
    assert results.limiter.in_flight == 0


def test_ctrl_c_during_a_sync_run_cancels_the_calls_in_flight_and_raises_keyboard_interrupt(oaimap_server, oaimap_client):
    oaimap_server.script(OP, *[embedding_reply(delay=0.05)] * 200)
    results = oaimap_client.map(OP, rows(200), concurrency=4)
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))  # while a step waits on the wire
    timer.start()
    seen = 0
    with pytest.raises(KeyboardInterrupt):
        for _ in results:
            seen += 1
    timer.join()
    assert 0 < seen < 200
    assert results.limiter.in_flight == 0
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def _cli_map(server, tmp_path: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "OPENAI_API_KEY": SIMULATOR_KEY, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "oaimap", "map", OP, "--base-url", server.url, "--input", str(tmp_path / "rows.jsonl"),
               "--output", str(tmp_path / "out.jsonl"), "--checkpoint", str(tmp_path / "ck.jsonl"), *extra]
    return subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)


def _wait_for_lines(path: Path, count: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 20
    while not (path.exists() and path.read_text().count("\n") >= count):
        assert process.poll() is None and time.monotonic() < deadline, "the run ended before it could be interrupted"
        time.sleep(0.02)


@pytest.mark.parametrize("interrupt", [signal.SIGKILL, signal.SIGINT])
def test_cli_resumes_after_an_interrupted_run_without_redoing_finished_items(oaimap_server, tmp_path, interrupt):
    payloads = rows(300, invalid_every=100)
    (tmp_path / "rows.jsonl").write_text("".join(json.dumps(p) + "\n" for p in payloads))
    oaimap_server.script(OP, *[embedding_reply(delay=0.02)] * 600)
    checkpoint = tmp_path / "ck.jsonl"

    first = _cli_map(oaimap_server, tmp_path, "--concurrency", "4")
    _wait_for_lines(checkpoint, 1 + 40, first)  # the header and 40 items
    first.send_signal(interrupt)
    code = first.wait(10)
    assert code == (-signal.SIGKILL if interrupt == signal.SIGKILL else 130), first.stderr.read()
    finished = {json.loads(line)["index"] for line in checkpoint.read_text().splitlines()[1:] if line.endswith("}")}
    assert 40 <= len(finished) < 300
    sent = len(oaimap_server.requests)

    second = _cli_map(oaimap_server, tmp_path, "--concurrency", "8")
    _, stderr = second.communicate(timeout=30)
    assert second.returncode == 1, stderr  # three payloads lack the model
    assert not set(sent_rows(oaimap_server, sent)) & finished  # nothing finished was sent again
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [line["index"] for line in out] == list(range(300))
    assert [i for i, line in enumerate(out) if not line["ok"]] == [99, 199, 299]
    assert out[99]["error"]["type"] == "ValidationError"
    assert f"300 item(s), 297 ok, 3 failed ({len(finished)} from the checkpoint)" in stderr


def test_cli_refuses_a_line_that_is_not_a_payload(oaimap_server, tmp_path):
    (tmp_path / "rows.jsonl").write_text('{"model": "text-embedding-3-small", "input": "row 0"}\n[1, 2]\n')
    run = _cli_map(oaimap_server, tmp_path)
    _, stderr = run.communicate(timeout=30)
    assert run.returncode == 2
    assert "line 2: not a JSON object" in stderr


def test_the_sync_wrapper_runs_like_the_sync_client(oaimap_server):
    """Hooks, usage and the retry policy of the sync client apply to its map's calls."""
    seen = []
    with Client(api_key=SIMULATOR_KEY, base_url=oaimap_server.url, max_retries=0) as client:
        client.on("after_call", lambda operation, **_: seen.append(operation))
        oaimap_server.fail_next(OP, status=500)
        results = list(client.map(OP, rows(5), concurrency=1))
        assert [r.ok for r in results] == [False, True, True, True, True]  # max_retries=0: the 500 stands
        assert results[0].error.status_code == 500
        assert seen == [OP] * 5
        assert client.usage.by_model  # the sync client's tally counted the map's answers
        assert sum(1 for r in oaimap_server.requests if r.operation == OP) == 5


async def test_a_run_is_iterated_once_and_checks_its_settings(oaimap_async_client):
    run = oaimap_async_client.map(OP, rows(1))
    assert [r.ok async for r in run] == [True]
    with pytest.raises(UsageError, match="iterated once"):
        run.__aiter__()
    with pytest.raises(ValueError, match="concurrency"):
        oaimap_async_client.map(OP, rows(1), concurrency=0)
    with pytest.raises(CheckpointError, match="JSON answers only"):
        AsyncClient.map(oaimap_async_client, "audio.speech.create", [], checkpoint="x.jsonl")
