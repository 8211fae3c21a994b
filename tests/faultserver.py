"""A misbehaving HTTP/1.1 server on 127.0.0.1 for fault-injection tests.

It speaks raw sockets so it can do what a well-behaved server cannot: reset a connection
(RST, via ``SO_LINGER`` 0), stall before or inside a reply, declare a Content-Length it
never sends, trickle a body, write an SSE stream in exactly the byte chunks a test gives
(each write is one HTTP chunk, so a split inside a UTF-8 character or between CR and LF
reaches the client as two pieces), or redirect to another origin.

A test queues *cues* (one per connection, in order) and reads back ``seen``: every
request's method, full target (path + query), headers, raw bytes and arrival time.
Every reply says ``Connection: close``, so one connection is one attempt. Without a cue
the server answers 418 with ``x-should-retry: false`` so a missing cue fails loudly.

    with FaultServer() as srv:
        srv.cue(reset(), reply(200, b'{"ok": true}'))
        ...
        assert len(srv.seen) == 2

Every wait is bounded (``STALL_LIMIT``) and ends as soon as the server stops, so
leaving the ``with`` block always returns within a couple of seconds.
"""

from __future__ import annotations

import http
import json
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Sequence
from urllib.parse import parse_qsl, urlsplit

STALL_LIMIT = 10.0  # the longest a stall holds a connection (the client normally gives up first)
READ_LIMIT = 5.0  # the longest the server waits for a request's bytes


@dataclass
class Cue:
    """What the server does with one connection, after reading its request.

    ``status=None`` sends no reply at all. ``parts`` are the body writes; a float (or int)
    among them is a pause in seconds. ``length`` is the declared Content-Length (default:
    the real total; ignored when ``chunked``). ``end`` says how the connection ends:
    ``close`` (a clean end: the last chunk for a chunked body, then FIN), ``cut`` (FIN
    without the last chunk), ``reset`` (RST) or ``stall`` (silence until the client leaves).
    ``redirect_to``: an origin; the reply gets ``Location: <origin><request target>``.
    """

    status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    parts: Sequence[bytes | float] = ()
    length: int | None = None
    chunked: bool = False
    end: str = "close"
    redirect_to: str | None = None


@dataclass
class Seen:
    """One request as it reached the server."""

    method: str
    target: str  # path + query, exactly as sent
    headers: list[tuple[str, str]]  # names lower-cased, in order
    raw: bytes  # request line, headers and body
    at: float  # time.monotonic() when the request was fully read

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(urlsplit(self.target).query, keep_blank_values=True)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name.lower()), None)


# ------------------------------------------------------------------ cue makers
def reset() -> Cue:
    """RST right after reading the request: no status line."""
    return Cue(end="reset")


def stall() -> Cue:
    """Read the request, then say nothing."""
    return Cue(end="stall")


def reply(
    status: int = 200,
    body: bytes = b"",
    headers: Sequence[tuple[str, str]] = (),
    *,
    content_type: str = "application/json",
    length: int | None = None,
    end: str = "close",
    after: Sequence[bytes | float] = (),
) -> Cue:
    """A plain reply. ``length`` larger than ``body`` + ``after`` makes a cut body;
    ``after`` is written once ``body`` is out (pauses allowed: a stall mid-body)."""
    return Cue(status, _defaults(headers, content_type), [body, *after], length=length, end=end)


def json_reply(obj: Any, status: int = 200, headers: Sequence[tuple[str, str]] = ()) -> Cue:
    return reply(status, json.dumps(obj).encode(), headers)


def trickle(body: bytes, every: float, status: int = 200, content_type: str = "application/json") -> Cue:
    """The whole body, one byte every ``every`` seconds (Content-Length is the real size)."""
    parts: list[bytes | float] = []
    for i in range(len(body)):
        parts += [body[i : i + 1], every]
    return Cue(status, _defaults((), content_type), parts[:-1])


def sse(*chunks: bytes | str | float, end: str = "close") -> Cue:
    """An event stream written as the given raw chunks (str is UTF-8 encoded as is),
    one HTTP chunk per write; floats are pauses."""
    parts = [c.encode() if isinstance(c, str) else c for c in chunks]
    return Cue(200, _defaults((), "text/event-stream"), parts, chunked=True, end=end)


def redirect(status: int, origin: str) -> Cue:
    """``status`` with ``Location: <origin><the request's own target>`` (path and query
    kept, as a proxy moving a host would do)."""
    return Cue(status, [("Content-Length", "0")], redirect_to=origin.rstrip("/"))


def _defaults(headers: Sequence[tuple[str, str]], content_type: str) -> list[tuple[str, str]]:
    """``headers`` plus a Content-Type and an ``x-request-id`` unless they set their own."""
    names = {k.lower() for k, _ in headers}
    extra = [(k, v) for k, v in (("Content-Type", content_type), ("x-request-id", "req_fault")) if k.lower() not in names]
    return [*extra, *headers]


# ------------------------------------------------------------------ the server
class FaultServer:
    """Context manager: listens on 127.0.0.1:<free port> in daemon threads."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self._cues: deque[Cue] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def cue(self, *cues: Cue) -> None:
        with self._lock:
            self._cues.extend(cues)

    def __enter__(self) -> "FaultServer":
        thread = threading.Thread(target=self._accept, name=f"fault-{self.port}", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        try:  # wakes the blocking accept(), which then sees the stop
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            pass
        until = time.monotonic() + 3.0
        for thread in list(self._threads):
            thread.join(max(0.0, until - time.monotonic()))
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            if self._stop.is_set():
                conn.close()
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            seen = self._read_request(conn)
            if seen is None:
                return
            with self._lock:
                self.seen.append(seen)
                cue = self._cues.popleft() if self._cues else _NO_CUE
            self._play(conn, cue, seen)
        except OSError:  # the client went away: nothing left to do
            pass
        finally:
            conn.close()

    def _read_request(self, conn: socket.socket) -> Seen | None:
        conn.settimeout(READ_LIMIT)
        data = b""
        while b"\r\n\r\n" not in data:
            more = conn.recv(65536)
            if not more:
                return None
            data += more
        head, _, body = data.partition(b"\r\n\r\n")
        line, *fields = head.decode("latin-1").split("\r\n")
        method, target, _version = line.split(" ", 2)
        headers = [(k.strip().lower(), v.strip()) for k, _, v in (f.partition(":") for f in fields)]
        size = int(next((v for k, v in headers if k == "content-length"), "0"))
        while len(body) < size:
            more = conn.recv(65536)
            if not more:
                return None
            body += more
        return Seen(method, target, headers, head + b"\r\n\r\n" + body, time.monotonic())

    def _play(self, conn: socket.socket, cue: Cue, seen: Seen) -> None:
        if cue.status is not None:
            conn.sendall(self._head(cue, seen))
            for part in cue.parts:
                if isinstance(part, (int, float)):
                    if self._stop.wait(part):
                        return
                elif part:
                    conn.sendall(b"%x\r\n%s\r\n" % (len(part), part) if cue.chunked else part)
        if cue.end == "reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif cue.end == "stall":
            self._hold(conn)
        else:
            if cue.chunked and cue.end == "close":
                conn.sendall(b"0\r\n\r\n")
            conn.shutdown(socket.SHUT_WR)

    @staticmethod
    def _head(cue: Cue, seen: Seen) -> bytes:
        headers = list(cue.headers)
        if cue.redirect_to is not None:
            headers.append(("Location", cue.redirect_to + seen.target))
        if cue.chunked:
            headers.append(("Transfer-Encoding", "chunked"))
        elif not any(k.lower() == "content-length" for k, _ in headers):
            real = sum(len(p) for p in cue.parts if isinstance(p, bytes))
            headers.append(("Content-Length", str(cue.length if cue.length is not None else real)))
        headers.append(("Connection", "close"))
        lines = [f"HTTP/1.1 {cue.status} {http.HTTPStatus(cue.status or 200).phrase}"]
        lines += [f"{k}: {v}" for k, v in headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _hold(self, conn: socket.socket) -> None:
        """Say nothing until the client closes, the server stops, or STALL_LIMIT passes."""
        conn.settimeout(0.05)
        until = time.monotonic() + STALL_LIMIT
        while not self._stop.is_set() and time.monotonic() < until:
            try:
                if not conn.recv(65536):
                    return
            except socket.timeout:
                continue


_NO_CUE = Cue(
    418,
    [("Content-Type", "application/json"), ("x-should-retry", "false")],
    [b'{"error": {"message": "faultserver: no cue queued for this request"}}'],
)
