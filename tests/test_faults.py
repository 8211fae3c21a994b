"""Fault injection: oaimap against a real server that misbehaves (tests/faultserver.py).

Each test runs for both ``Client`` and ``AsyncClient`` (the ``api`` fixture). Every test
is async; the sync client runs in a daemon thread, so a client that never gives up
fails its test after ``LIMIT`` seconds instead of freezing the run.

The expectations are the runtime's error contract (issue 9): connection trouble is an
``APIConnectionError`` / ``APITimeoutError`` naming the operation, with a sanitized httpx
error as ``__cause__``; streams follow the WHATWG SSE rules and end with ``StreamError``
when cut short; ``deadline=`` bounds a whole call; a redirect to another origin never
carries the key. Where the contract is silent the docstring says what was chosen.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import email.utils
import json
import math
import threading
import time
from pathlib import Path
from typing import Any, Callable

import httpx
import pytest

import oaimap
from oaimap import APIConnectionError, APITimeoutError, AsyncClient, Client, InternalServerError, RateLimitError
from oaimap import StreamError

from faultserver import FaultServer, json_reply, redirect, reply, reset, sse, stall, trickle

KEY = "sk-fault-0123456789abcdef0123"
LIMIT = 8.0  # seconds any single call may take before the test fails as hung

JSON_OP, FILE = "files.retrieve", {"file_id": "f"}  # GET /files/f, a JSON answer
BINARY_OP = "files.content"  # GET /files/f/content, a binary answer
RESPONSES = ("responses.create", {"model": "m", "input": "hi", "stream": True})
CHAT = ("chat.completions.create", {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True})
FILE_JSON = {"id": "f", "object": "file", "bytes": 3, "filename": "a.txt"}

pytestmark = pytest.mark.slow  # about 30 s of stalls and timeouts: `-m 'not slow'` skips it locally


# ------------------------------------------------------------------ harness
async def _bounded(awaitable: Any, limit: float) -> Any:
    task = asyncio.ensure_future(awaitable)
    done, _ = await asyncio.wait({task}, timeout=limit)
    if not done:
        task.cancel()
        pytest.fail(f"the call was still running after {limit} s: the client did not give up")
    return task.result()


async def _in_thread(fn: Callable[[], Any], limit: float) -> Any:
    future: concurrent.futures.Future = concurrent.futures.Future()

    def run() -> None:
        try:
            future.set_result(fn())
        except BaseException as exc:  # handed to the test as is
            future.set_exception(exc)

    threading.Thread(target=run, daemon=True).start()
    return await _bounded(asyncio.wrap_future(future), limit)


class Api:
    """One oaimap client (sync or async) driven the same way from an async test."""

    def __init__(self, kind: str, url: str, **kwargs: Any):
        self.kind = kind
        settings = {"api_key": KEY, "base_url": url + "/v1", "max_retries": 0, "timeout": 1, **kwargs}
        self.client = Client(**settings) if kind == "sync" else AsyncClient(**settings)

    async def call(self, op: str, payload: Any, *, limit: float = LIMIT, **options: Any) -> Any:
        if self.kind == "sync":
            return await _in_thread(lambda: self.client.call(op, payload, **options), limit)
        return await _bounded(self.client.call(op, payload, **options), limit)

    async def events(self, op: str, payload: Any, *, limit: float = LIMIT, **options: Any):
        """(events, error): every event a streamed call yielded and the exception that ended
        the iteration (None: a clean end). An error of the call itself is raised."""
        got: list[Any] = []
        if self.kind == "sync":

            def run() -> BaseException | None:
                stream = self.client.call(op, payload, **options)
                try:
                    for event in stream:
                        got.append(event)
                except Exception as exc:
                    return exc
                return None

            return got, await _in_thread(run, limit)

        async def arun() -> BaseException | None:
            stream = await self.client.call(op, payload, **options)
            try:
                async for event in stream:
                    got.append(event)
            except Exception as exc:
                return exc
            return None

        return got, await _bounded(arun(), limit)

    async def close(self) -> None:
        if self.kind == "sync":
            self.client.close()
        else:
            await self.client.close()


class Maker:
    """The ``api`` fixture: ``api(url, **client_kwargs)`` makes a client of this test's kind."""

    def __init__(self, kind: str):
        self.kind = kind
        self.made: list[Any] = []

    def __call__(self, url: str, **kwargs: Any) -> Api:
        made = Api(self.kind, url, **kwargs)
        self.made.append(made)
        return made

    def http_client(self, **kwargs: Any) -> httpx.Client | httpx.AsyncClient:
        """A caller-owned httpx client of the matching kind (closed by the fixture)."""
        made = httpx.Client(**kwargs) if self.kind == "sync" else httpx.AsyncClient(**kwargs)
        self.made.append(made)
        return made

    async def close(self) -> None:
        for made in reversed(self.made):
            if isinstance(made, Api):
                await made.close()
            elif isinstance(made, httpx.AsyncClient):
                await made.aclose()
            else:
                made.close()


@pytest.fixture(params=["sync", "async"])
async def api(request):
    maker = Maker(request.param)
    yield maker
    await maker.close()


@pytest.fixture
def fault():
    with FaultServer() as srv:
        yield srv


@pytest.fixture
def other():
    """A second fault server: another port, so another origin."""
    with FaultServer() as srv:
        yield srv


def assert_connection_error(exc: BaseException, kind: type, op: str, cause_type: type = httpx.TransportError) -> None:
    """The contract's shape of connection trouble: exactly ``kind``; the message starts
    with the operation and names the httpx error type; ``__cause__`` is that httpx error,
    sanitized (no request attached); the key appears nowhere."""
    assert type(exc) is kind, f"expected {kind.__name__}, got {type(exc).__name__}: {exc}"
    text = str(exc)
    assert text.startswith(f"{op}:"), text
    cause = exc.__cause__
    assert isinstance(cause, cause_type), f"__cause__ is {cause!r}, expected {cause_type.__name__}"
    assert isinstance(cause, httpx.TimeoutException) == (kind is APITimeoutError), repr(cause)
    assert type(cause).__name__ in text, text
    with pytest.raises(RuntimeError):  # httpx raises this when an error has no request
        cause.request
    assert_no_key(exc)


def assert_no_key(exc: BaseException) -> None:
    assert KEY not in str(exc) and KEY not in repr(exc.__cause__)
    request = getattr(exc, "request", None)
    if request is not None:  # the contract's redacted copy
        assert KEY not in str(request.url)
        assert not any(KEY in value for value in request.headers.values())


# ------------------------------------------------------------------ before the headers
async def test_reset_before_headers_is_retried_then_raised(api, fault):
    fault.cue(reset(), reset())
    with pytest.raises(APIConnectionError) as info:
        await api(fault.url, max_retries=1).call(JSON_OP, FILE)
    assert_connection_error(info.value, APIConnectionError, JSON_OP, httpx.ReadError)
    assert len(fault.seen) == 2


async def test_stall_before_headers_times_out(api, fault):
    fault.cue(stall())
    with pytest.raises(APITimeoutError) as info:
        await api(fault.url, timeout=0.5).call(JSON_OP, FILE)
    assert_connection_error(info.value, APITimeoutError, JSON_OP, httpx.ReadTimeout)
    assert len(fault.seen) == 1


# ------------------------------------------------------------------ inside a JSON body
PARTIAL = b'{"id": "f", "object": "fi'


@pytest.mark.parametrize(
    "cut, cause",
    [
        pytest.param(lambda: reply(200, PARTIAL, length=200), httpx.RemoteProtocolError, id="close"),
        pytest.param(lambda: reply(200, PARTIAL, length=200, after=[0.1], end="reset"), httpx.ReadError, id="reset"),
    ],
)
async def test_a_cut_json_body_is_retried_then_raised(api, fault, cut, cause):
    """Content-Length 200, 25 bytes sent, then FIN (httpx: RemoteProtocolError, body
    incomplete) or RST (ReadError): connection trouble, retried."""
    fault.cue(cut(), cut())
    with pytest.raises(APIConnectionError) as info:
        await api(fault.url, max_retries=1).call(JSON_OP, FILE)
    assert_connection_error(info.value, APIConnectionError, JSON_OP, cause)
    assert len(fault.seen) == 2


async def test_a_cut_json_body_then_a_whole_one_succeeds(api, fault):
    fault.cue(reply(200, PARTIAL, length=200), json_reply(FILE_JSON))
    assert await api(fault.url, max_retries=1).call(JSON_OP, FILE) == FILE_JSON
    assert len(fault.seen) == 2


async def test_a_stall_inside_a_json_body_times_out(api, fault):
    fault.cue(reply(200, PARTIAL, length=200, end="stall"))
    with pytest.raises(APITimeoutError) as info:
        await api(fault.url, timeout=0.5).call(JSON_OP, FILE)
    assert_connection_error(info.value, APITimeoutError, JSON_OP, httpx.ReadTimeout)
    assert len(fault.seen) == 1


# ------------------------------------------------------------------ a 2xx that is not JSON
@pytest.mark.parametrize(
    "body, content_type",
    [
        pytest.param(b"<html><body><h1>Bad gateway</h1></body></html>", "text/html", id="html"),
        pytest.param(b'{"id": "f", "object": ', "application/json", id="truncated-json"),
    ],
)
async def test_a_2xx_body_that_is_not_json_is_a_response_validation_error(api, fault, body, content_type):
    """Not retried (as openai-python: the same server would answer the same); the body
    excerpt starts with the body's first bytes."""
    error = oaimap.APIResponseValidationError
    fault.cue(reply(200, body, [("x-request-id", "req_html")], content_type=content_type))
    with pytest.raises(error) as info:
        await api(fault.url, max_retries=2).call(JSON_OP, FILE)
    exc = info.value
    assert isinstance(exc, oaimap.APIError)
    assert exc.status_code == 200 and exc.request_id == "req_html"
    assert isinstance(exc.body, str) and body.decode()[:20] in exc.body
    text = str(exc)
    assert JSON_OP in text and "200" in text and "req_html" in text
    assert_no_key(exc)
    assert len(fault.seen) == 1


# ------------------------------------------------------------------ output=PATH downloads
DATA = bytes(range(256)) * 4  # 1024 bytes


@pytest.fixture
def outdir(tmp_path) -> Path:
    folder = tmp_path / "dl"
    folder.mkdir()
    return folder


def _cut_download(**how: Any):
    return lambda: reply(200, DATA[:100], length=1024, content_type="application/octet-stream", **how)


@pytest.mark.parametrize(
    "cut, error, cause",
    [
        pytest.param(_cut_download(), APIConnectionError, httpx.RemoteProtocolError, id="close"),
        pytest.param(_cut_download(after=[0.1], end="reset"), APIConnectionError, httpx.ReadError, id="reset"),
        pytest.param(_cut_download(end="stall"), APITimeoutError, httpx.ReadTimeout, id="stall"),
    ],
)
async def test_a_cut_download_leaves_no_file(api, fault, outdir, cut, error, cause):
    """No file at PATH and no temporary file beside it."""
    fault.cue(cut())
    target = outdir / "out.bin"
    with pytest.raises(error) as info:
        await api(fault.url, timeout=0.5).call(BINARY_OP, FILE, output=target)
    assert_connection_error(info.value, error, BINARY_OP, cause)
    assert list(outdir.iterdir()) == []
    assert len(fault.seen) == 1


async def test_a_cut_download_leaves_an_existing_file_untouched(api, fault, outdir):
    fault.cue(_cut_download()())
    target = outdir / "out.bin"
    target.write_bytes(b"previous content")
    with pytest.raises(APIConnectionError):
        await api(fault.url).call(BINARY_OP, FILE, output=target)
    assert target.read_bytes() == b"previous content"
    assert list(outdir.iterdir()) == [target]


async def test_a_complete_download_is_written_to_the_path(api, fault, outdir):
    fault.cue(reply(200, DATA, content_type="application/octet-stream"))
    target = outdir / "out.bin"
    assert Path(await api(fault.url).call(BINARY_OP, FILE, output=target)) == target
    assert target.read_bytes() == DATA
    assert list(outdir.iterdir()) == [target]


# ------------------------------------------------------------------ SSE framing (WHATWG)
def data(obj: Any) -> str:
    """One ``data:`` line (no line end) carrying ``obj`` with non-ASCII characters raw."""
    return "data: " + json.dumps(obj, ensure_ascii=False)


def delta(text: str, n: int = 1) -> dict:
    return {"type": "response.output_text.delta", "delta": text, "sequence_number": n}


CREATED = {"type": "response.created", "sequence_number": 0}
COMPLETED = {"type": "response.completed", "sequence_number": 9}
DONE = "data: [DONE]\n\n"


def _split_utf8() -> list[bytes]:
    """One delta event whose "é" (C3 A9) and "😀" (F0 9F 98 80) are each cut across two writes."""
    raw = (data(delta("xé😀y")) + "\n\n").encode()
    e, smiley = raw.index("é".encode()), raw.index("😀".encode())
    return [raw[: e + 1], raw[e + 1 : smiley + 2], raw[smiley + 2 :]]


# Each case: the raw chunks between a leading CREATED event and a trailing COMPLETED one,
# and the events the WHATWG "event stream interpretation" rules give for them.
FRAMING = [
    pytest.param([data(delta("a")) + "\n\n"], [delta("a")], id="lf"),
    pytest.param([data(delta("a")) + "\r\n\r\n"], [delta("a")], id="crlf"),
    pytest.param([data(delta("a")) + "\r\r"], [delta("a")], id="lone-cr"),
    # LF then CR is a line end and a blank line; CRLF then LF likewise.
    pytest.param([data(delta("a")) + "\n\r", data(delta("b", 2)) + "\r\n\n", data(delta("c", 3)) + "\r\r\n"],
                 [delta("a"), delta("b", 2), delta("c", 3)], id="mixed-line-ends"),
    # A CRLF cut between its CR and LF is still one line end: the two data lines make ONE
    # event (joined with "\n", which is JSON whitespace), not a broken one plus another.
    pytest.param(['data: {"type": "response.output_text.delta",\r', '\ndata: "delta": "x", "sequence_number": 1}\r',
                  "\n\r", "\n"], [delta("x")], id="crlf-split-across-writes"),
    # Lone CRs at the very end of writes: each is a line end by itself.
    pytest.param([data(delta("a")) + "\r", "\r", data(delta("b", 2)) + "\r", "\r"],
                 [delta("a"), delta("b", 2)], id="lone-cr-at-write-ends"),
    # Comment lines are ignored, also inside an event; a block of comments only is no event.
    pytest.param([": hello\n", ":\n\n", ": keep-alive\r\n\r\n",
                  'data: {"type": "response.output_text.delta",\n: a comment inside the event\n'
                  'data: "delta": "c", "sequence_number": 1}\n\n'], [delta("c")], id="comments"),
    # Only CR and LF end lines: U+2028, U+2029, U+0085, VT, FF and FS..RS inside a comment
    # do not start a new line, so the "data:" text after them is part of the comment.
    pytest.param([": a\u2028" + data(delta("bogus", 5)) + "\n\n",
                  ": b\x0b\x0c\x1c\x1d\x1e\x85" + data(delta("bogus", 6)) + "\n\n", ": c\u2029data: x\n\n"],
                 [], id="unicode-breaks-in-comments"),
    # ...and inside JSON strings they are kept.
    pytest.param([data(delta("a\u2028b")) + "\n\n", data(delta("c\u2029d", 2)) + "\n\n",
                  data(delta("e\x85f", 3)) + "\n\n"],
                 [delta("a\u2028b"), delta("c\u2029d", 2), delta("e\x85f", 3)], id="u2028-u2029-u0085-in-data"),
    # id: and retry: lines (valid or not), unknown fields and a field without a colon are
    # accepted and change no event's data; an event: line names the event type.
    pytest.param(["id: 1\nretry: 1500\n", "retry: soon\nid\nfoo: bar\nunknown\n",
                  "event: response.output_text.delta\n" + data(delta("d")) + "\n\n",
                  "id: 7\x00x\n" + data(delta("e", 2)) + "\n\n"],
                 [delta("d"), delta("e", 2)], id="id-retry-and-unknown-fields"),
    # data lines join with "\n"; one leading space after the colon is dropped, no more.
    pytest.param(['data: {"type":\ndata:  "response.output_text.delta",\ndata:\n'
                  'data:"delta": "m\\nn",\ndata: "sequence_number": 1}\n\n'],
                 [delta("m\nn")], id="multi-line-data"),
    pytest.param(_split_utf8(), [delta("xé😀y")], id="utf8-split-across-writes"),
]


@pytest.mark.parametrize("chunks, expected", FRAMING)
async def test_sse_framing_follows_the_whatwg_rules(api, fault, chunks, expected):
    fault.cue(sse(data(CREATED) + "\n\n", *chunks, data(COMPLETED) + "\n\n"))
    events, error = await api(fault.url).events(*RESPONSES)
    assert error is None, repr(error)
    assert events == [CREATED, *expected, COMPLETED]


@pytest.mark.parametrize(
    "chunks",
    [
        pytest.param([b"\xef\xbb\xbf" + (data(CREATED) + "\n\n").encode()], id="bom"),
        pytest.param([b"\xef", b"\xbb", b"\xbf" + (data(CREATED) + "\n\n").encode()], id="bom-split"),
    ],
)
async def test_a_leading_bom_is_skipped(api, fault, chunks):
    """The stream is decoded as UTF-8 "with BOM removal": without that, the first line's
    field would be "\\ufeffdata" (an unknown field) and response.created would be lost."""
    fault.cue(sse(*chunks, data(COMPLETED) + "\n\n"))
    events, error = await api(fault.url).events(*RESPONSES)
    assert error is None, repr(error)
    assert events == [CREATED, COMPLETED]


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("data: <html>oops</html>", id="html"),
        pytest.param('data: {"type": "response.output_text.delta", "delta": ', id="truncated-json"),
    ],
)
async def test_a_data_line_that_is_not_json_is_a_stream_error(api, fault, line):
    fault.cue(sse(data(CREATED) + "\n\n", line + "\n\n", data(COMPLETED) + "\n\n"))
    events, error = await api(fault.url).events(*RESPONSES)
    assert type(error) is StreamError, repr(error)
    assert "responses.create" in str(error)
    assert events == [CREATED]


# ------------------------------------------------------------------ where a stream ends
def chunk(content: str | None, finish: str | None = None) -> dict:
    delta_ = {} if content is None else {"content": content}
    return {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "m",
            "choices": [{"index": 0, "delta": delta_, "finish_reason": finish}]}


USAGE = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "m", "choices": [],
         "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}


@pytest.mark.parametrize(
    "tail, expected",
    [
        pytest.param([chunk(None, "stop"), DONE], [chunk(None, "stop")], id="finish-and-done"),
        pytest.param([chunk(None, "stop")], [chunk(None, "stop")], id="finish-without-done"),
        pytest.param([chunk(None, "length"), USAGE], [chunk(None, "length"), USAGE], id="finish-then-usage"),
        pytest.param([DONE], [], id="done-without-finish"),
    ],
)
async def test_a_chat_stream_that_finished_ends_cleanly(api, fault, tail, expected):
    """A finish_reason or [DONE] is a proper end; the usage chunk after the finish
    (stream_options.include_usage) is still delivered."""
    fault.cue(sse(data(chunk("Hi")) + "\n\n", *(t if isinstance(t, str) else data(t) + "\n\n" for t in tail)))
    events, error = await api(fault.url).events(*CHAT)
    assert error is None, repr(error)
    assert events == [chunk("Hi"), *expected]


async def test_a_chat_stream_without_finish_or_done_was_cut_short(api, fault):
    fault.cue(sse(data(chunk("Hi")) + "\n\n", data(chunk(" there")) + "\n\n"))
    events, error = await api(fault.url).events(*CHAT)
    assert type(error) is StreamError, repr(error)
    assert "chat.completions.create" in str(error) and "cut short" in str(error)
    assert events == [chunk("Hi"), chunk(" there")]


async def test_a_responses_stream_ending_before_completed_is_a_stream_error(api, fault):
    fault.cue(sse(data(CREATED) + "\n\n", data(delta("a")) + "\n\n"))
    events, error = await api(fault.url).events(*RESPONSES)
    assert type(error) is StreamError, repr(error)
    assert "responses.create" in str(error)
    assert events == [CREATED, delta("a")]


async def test_done_ends_a_responses_stream_normally(api, fault):
    fault.cue(sse(data(CREATED) + "\n\n", DONE))
    events, error = await api(fault.url).events(*RESPONSES)
    assert error is None, repr(error)
    assert events == [CREATED]


async def test_done_ends_the_stream_without_waiting_for_the_body_end(api, fault):
    """After [DONE] the server stalls: the stream must end there, not read on until the
    1 s read timeout."""
    fault.cue(sse(data(CREATED) + "\n\n", DONE, end="stall"))
    events, error = await api(fault.url).events(*RESPONSES)
    assert error is None, repr(error)
    assert events == [CREATED]


# ------------------------------------------------------------------ faults mid-stream
@pytest.mark.parametrize(
    "end, error, cause",
    [
        pytest.param("reset", APIConnectionError, httpx.ReadError, id="reset"),
        pytest.param("cut", APIConnectionError, httpx.RemoteProtocolError, id="closed-inside-chunked-body"),
        pytest.param("stall", APITimeoutError, httpx.ReadTimeout, id="stall"),
    ],
)
async def test_a_fault_mid_stream_raises_from_the_iteration(api, fault, end, error, cause):
    """The first event is delivered, then the fault surfaces from the ``for`` / ``async
    for`` as the contract's error (a FIN without the chunked terminator is a protocol error,
    httpx.RemoteProtocolError: connection trouble, not a clean end)."""
    fault.cue(sse(data(CREATED) + "\n\n", 0.1, end=end))
    events, exc = await api(fault.url, timeout=0.5).events(*RESPONSES)
    assert events == [CREATED]
    assert_connection_error(exc, error, "responses.create", cause)


# ------------------------------------------------------------------ deadline=
async def test_deadline_bounds_a_trickled_json_body(api, fault):
    """Each byte comes before the 1 s read timeout, so only the 2 s deadline can stop it
    (the whole body would take ~14 s)."""
    fault.cue(trickle(json.dumps(FILE_JSON).encode(), 0.3))
    started = time.monotonic()
    with pytest.raises(APITimeoutError) as info:
        await api(fault.url).call(JSON_OP, FILE, deadline=2, limit=6)
    elapsed = time.monotonic() - started
    assert str(info.value).startswith(f"{JSON_OP}:")
    assert 1.5 <= elapsed < 4.0, elapsed


async def test_deadline_bounds_the_iteration_of_a_trickled_stream(api, fault):
    rest = (data(delta("slow")) + "\n\n" + data(COMPLETED) + "\n\n").encode()
    pieces: list[Any] = []
    for i in range(len(rest)):
        pieces += [rest[i : i + 1], 0.3]
    fault.cue(sse(data(CREATED) + "\n\n", *pieces))
    started = time.monotonic()
    events, error = await api(fault.url).events(*RESPONSES, deadline=2, limit=6)
    elapsed = time.monotonic() - started
    assert events == [CREATED]
    assert type(error) is APITimeoutError, repr(error)
    assert str(error).startswith("responses.create:")
    assert elapsed < 4.0, elapsed


async def test_deadline_bounds_retry_waits(api, fault):
    """503s asking for 1 s waits, 3 retries allowed, deadline 1.5 s: the call ends in
    ~1.5 s after 2 attempts. Contract: "exceeding it -> APITimeoutError"; a runtime that
    sees the next wait would cross the deadline and gives up at once with the last 503 has
    not exceeded it, so InternalServerError is accepted too (our choice)."""
    busy = reply(503, b'{"error": {"message": "busy"}}', [("retry-after", "1")])
    fault.cue(busy, busy, busy, busy)
    started = time.monotonic()
    with pytest.raises((APITimeoutError, InternalServerError)):
        await api(fault.url, max_retries=3).call(JSON_OP, FILE, deadline=1.5, limit=6)
    assert time.monotonic() - started < 3.0
    assert len(fault.seen) == 2


# ------------------------------------------------------------------ retry-after
def _gap(fault: FaultServer) -> float:
    assert len(fault.seen) == 2
    return fault.seen[1].at - fault.seen[0].at


async def _retried_after(api, fault, header: tuple[str, str]) -> float:
    """One 429 carrying ``header``, then a 200: the seconds between the two attempts."""
    fault.cue(reply(429, b'{"error": {"message": "slow down"}}', [header]), json_reply(FILE_JSON))
    assert await api(fault.url, max_retries=1).call(JSON_OP, FILE) == FILE_JSON
    return _gap(fault)


async def test_retry_after_ms_is_honoured(api, fault):
    """50 ms asked: at least that, and well under the default backoff's first wait
    (0.5 s less up to 25% jitter, as openai-python), which would mean it was ignored."""
    assert 0.045 <= await _retried_after(api, fault, ("retry-after-ms", "50")) < 0.35


async def test_retry_after_seconds_is_honoured(api, fault):
    assert 0.9 <= await _retried_after(api, fault, ("retry-after", "1")) < 3.0


async def test_retry_after_http_date_is_honoured(api, fault):
    when = email.utils.formatdate(math.ceil(time.time() + 0.8), usegmt=True)  # 0.8..1.8 s from now
    assert 0.6 <= await _retried_after(api, fault, ("retry-after", when)) < 3.0


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(("retry-after", "soon"), id="garbage"),
        pytest.param(("retry-after", "-5"), id="negative"),
        pytest.param(("retry-after-ms", "-100"), id="negative-ms"),
        pytest.param(("retry-after", "86400"), id="huge"),
        pytest.param(("retry-after", "Wed, 01 Jan 2098 00:00:00 GMT"), id="huge-date"),
    ],
)
async def test_an_unusable_retry_after_falls_back_to_backoff(api, fault, header):
    """Garbage and negative values are ignored and huge ones are not trusted (openai-python
    trusts at most 60 s): the default backoff's first wait (>= 0.375 s) is used instead,
    neither 0 nor the server's value."""
    assert 0.3 <= await _retried_after(api, fault, header) < 3.0


async def test_max_retries_bounds_the_attempts(api, fault):
    slow = reply(429, b'{"error": {"message": "slow down"}}', [("retry-after-ms", "10")])
    fault.cue(slow, slow, slow, slow)
    with pytest.raises(RateLimitError):
        await api(fault.url, max_retries=2).call(JSON_OP, FILE)
    assert len(fault.seen) == 3


# ------------------------------------------------------------------ redirects and the key
AUTH_MODES = {
    "bearer": ({}, lambda seen: seen.header("authorization") == f"Bearer {KEY}"),
    "api-key-header": ({"auth_header": "api-key"}, lambda seen: seen.header("api-key") == KEY),
    "query": ({"auth_query": "key"}, lambda seen: ("key", KEY) in seen.query),
}


def assert_keyless(seen) -> None:
    """Not the key in any form, nor any auth header or auth query parameter at all."""
    assert KEY not in seen.raw.decode("latin-1"), seen.raw
    assert seen.header("authorization") is None and seen.header("api-key") is None
    assert "key" not in dict(seen.query)


@pytest.mark.parametrize("mode", AUTH_MODES)
@pytest.mark.parametrize("status", [307, 302])
async def test_a_cross_origin_redirect_is_followed_without_the_key(api, fault, other, mode, status):
    """The redirect keeps the request's target (path and query, as a proxy would), so in
    query mode the Location itself carries ``key=...``: it must not reach the other origin."""
    kwargs, has_key = AUTH_MODES[mode]
    fault.cue(redirect(status, other.url))
    other.cue(json_reply(FILE_JSON))
    client = api(fault.url, http_client=api.http_client(follow_redirects=True, timeout=1), **kwargs)
    assert await client.call(JSON_OP, FILE) == FILE_JSON
    assert len(fault.seen) == 1 and has_key(fault.seen[0])
    assert len(other.seen) == 1 and other.seen[0].path == "/v1/files/f"
    assert_keyless(other.seen[0])


@pytest.mark.parametrize("mode", AUTH_MODES)
async def test_a_same_origin_redirect_keeps_the_key(api, fault, mode):
    kwargs, has_key = AUTH_MODES[mode]
    fault.cue(redirect(307, fault.url), json_reply(FILE_JSON))
    client = api(fault.url, http_client=api.http_client(follow_redirects=True, timeout=1), **kwargs)
    assert await client.call(JSON_OP, FILE) == FILE_JSON
    assert len(fault.seen) == 2 and all(has_key(seen) for seen in fault.seen)
