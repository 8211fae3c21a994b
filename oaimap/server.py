"""oaimap's loopback server: a real HTTP server on 127.0.0.1 driven by the same specs.

It routes by method and path, rebuilds the payload from the request (path, query with
bracket arrays and objects, headers, JSON / multipart / SDP body: ``decode.py``), validates it with the
operation's own validator (400 naming the JSON paths on failure) and answers with the
operation's example: SSE events when the stream param is true, bytes for binary ops,
204 for empty ones. Tests can queue scripted replies (faults, pages, polling states) and
read back every request the server received.

Faults on cue test an application's error handling: ``fail_next(operation, kind, ...)``
makes the next calls of an operation fail, as a real API or network does, once routed
and recorded but before validation: ``status`` (an error status in the API's error shape,
``retry-after`` when asked), ``reset`` (RST, no status line), ``stall`` (silence for a
few seconds), ``cut`` (a body or stream that ends before it promised) or ``malformed``
(a 200 whose JSON, or one event's data, does not parse). ``POST /__oaimap/fail_next``
with the same arguments as a JSON object queues one from another process.

Built on the standard library's ``ThreadingHTTPServer``: no extra dependency, real
sockets, and full control of chunked / streamed replies, which is all a test peer needs.
"""

from __future__ import annotations

import json
import re
import select
import socket
import struct
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, TypeVar
from urllib.parse import parse_qsl, urlsplit

from .decode import match_route, request_payload
from .errors import UnknownOperationError
from .specs import Operation, SpecRegistry
from .validation import violations

_Server = TypeVar("_Server", bound="LoopbackServer")
ADMIN_PREFIX = "/__oaimap/"  # the controls' routes, outside any API base path
FAULT_KINDS = ("status", "reset", "stall", "cut", "malformed")
# Azure OpenAI's layout (the azure and azure-v1 profiles): routes under /openai or
# /openai/v1, inference under /deployments/{name} (the deployment is also the body's model)
AZURE_PREFIX = re.compile(r"/openai(?:/v1)?(?:/deployments/[^/]+)?(?=/)")
STALL_SECONDS, STALL_LIMIT = 3.0, 10.0  # a stall's default and longest silence


@dataclass
class Reply:
    """A scripted answer. ``events`` makes it an SSE stream; ``body`` raw bytes."""

    status: int = 200
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    events: list[Any] | None = None
    delay: float = 0.0  # seconds to wait before answering (timeout tests)


@dataclass
class ReceivedRequest:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    operation: str | None = None
    payload: dict[str, Any] | None = None

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class _Fault:
    """One queued ``fail_next`` fault; ``status`` .. ``message`` serve the ``status`` kind,
    ``seconds`` the ``stall`` kind."""

    kind: str
    status: int
    retry_after: float | None
    seconds: float
    message: str | None


class _Route:
    def __init__(self, op: Operation):
        self.op = op
        self.literal_query = dict(parse_qsl(op.route[1]))


class LoopbackServer:
    """Run with ``with LoopbackServer() as server: Client(base_url=server.url, ...)``.

    ``log``: called with one line per request once it is answered (time, method, path,
    status, operation, ms), e.g. ``log=print``; None (the default) logs nothing.
    """

    def __init__(
        self,
        specs: SpecRegistry | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        log: Callable[[str], None] | None = None,
    ):
        self.specs = specs or SpecRegistry.shared()
        self.log = log
        self._routes: dict[str, list[_Route]] = defaultdict(list)
        for op in self.specs.operations():
            if op.helper is None:
                self._routes[op.method].append(_Route(op))
        for routes in self._routes.values():  # fixed segments win over {params}; ?beta=true first
            routes.sort(key=lambda r: (-len(r.literal_query), r.op.route[0].count("{"), -len(r.op.route[0])))
        self.requests: list[ReceivedRequest] = []
        self._scripts: dict[str, deque[Reply]] = defaultdict(deque)
        self._faults: dict[str, deque[_Fault]] = defaultdict(deque)
        self._stopped = threading.Event()  # ends stalls early
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        if not isinstance(host, str):  # typed as text or bytes; an AF_INET socket reports text
            host = host.decode()
        return f"http://{host}:{port}/v1"

    def start(self: _Server) -> _Server:
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="oaimap-loopback", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self: _Server) -> _Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget received requests, unused scripted replies and queued faults."""
        with self._lock:
            self.requests.clear()
            self._scripts.clear()
            self._faults.clear()

    # -- scripting -----------------------------------------------------------------
    def script(self, operation: str, *replies: Reply) -> None:
        """Answer the next calls of ``operation`` (name or alias) with these replies, in order."""
        name = self.specs.get(operation).name
        with self._lock:
            self._scripts[name].extend(replies)

    def _next_script(self, op: Operation) -> Reply | None:
        with self._lock:
            queue = self._scripts.get(op.name)
            return queue.popleft() if queue else None

    def fail_next(
        self,
        operation: str,
        kind: str = "status",
        *,
        status: int = 503,
        retry_after: float | None = None,
        times: int = 1,
        seconds: float | None = None,
        message: str | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``operation`` (name or alias) fail with ``kind``.

        A fault is taken once a request is routed and recorded, before validation (as a
        rate limiter answers before the API reads the payload); it consumes no scripted
        reply. ``status``: that status with the API's error body (``message`` replaces the
        default text) and ``retry-after: retry_after`` when given. ``reset``: RST, no status
        line. ``stall``: silence for ``seconds`` (default ``STALL_SECONDS``), then close.
        ``cut``: the operation's example, JSON or bytes, declared whole and sent half, or
        the first events of its stream without the end. ``malformed``: the example's JSON
        cut in half, as a complete 200, or a stream with one event whose data is not JSON.
        """
        op = self.specs.get(operation)
        where = f"fail_next({op.name})"
        if kind not in FAULT_KINDS:
            raise ValueError(f"{where}: unknown kind {kind!r}; expected one of {', '.join(FAULT_KINDS)}")
        if kind in ("cut", "malformed") and op.returns == "empty":
            raise ValueError(f"{where}: the operation answers with no body: nothing to {kind}")
        if kind == "malformed" and op.returns in ("binary", "text"):
            raise ValueError(f"{where}: the operation answers {op.returns}, not JSON: nothing to make malformed")
        if not _is_int(status) or not 400 <= status <= 599:
            raise ValueError(f"{where}: status must be an error status (400-599), not {status!r}")
        if retry_after is not None and not (_is_number(retry_after) and retry_after >= 0):
            raise ValueError(f"{where}: retry_after must be a number of seconds >= 0, not {retry_after!r}")
        if not _is_int(times) or times < 1:
            raise ValueError(f"{where}: times must be an integer >= 1, not {times!r}")
        if seconds is None:
            seconds = STALL_SECONDS
        elif not (_is_number(seconds) and 0 < seconds <= STALL_LIMIT):
            raise ValueError(f"{where}: seconds must be a number in (0, {STALL_LIMIT:g}], not {seconds!r}")
        if message is not None and not isinstance(message, str):
            raise ValueError(f"{where}: message must be a string, not {message!r}")
        fault = _Fault(kind, status, retry_after, seconds, message)
        with self._lock:
            self._faults[op.name].extend([fault] * times)

    def _next_fault(self, op: Operation) -> _Fault | None:
        with self._lock:
            queue = self._faults.get(op.name)
            return queue.popleft() if queue else None

    def answer(self, op: Operation, payload: dict[str, Any], path_values: dict[str, str]) -> Reply:
        """The reply to a valid request: a scripted one, else the operation's example."""
        return self._next_script(op) or _example_reply(op, payload)

    def admin(self, method: str, command: str, arguments: dict[str, Any]) -> Any:
        """Run an admin command (``GET /__oaimap/requests``, ``POST /__oaimap/reset``,
        ``POST /__oaimap/fail_next``); None when there is no such command. Subclasses add theirs."""
        if (method, command) == ("POST", "reset"):
            self.reset()
            return {"reset": True}
        if (method, command) == ("POST", "fail_next"):
            try:
                self.fail_next(**arguments)
            except UnknownOperationError as exc:  # a LookupError, which _admin does not answer with 400
                raise ValueError(str(exc)) from None
            return {"fail_next": arguments}
        if (method, command) == ("GET", "requests"):
            with self._lock:
                return [{"method": r.method, "path": r.path, "query": r.query, "operation": r.operation} for r in self.requests]
        return None

    def websocket(self, handler: BaseHTTPRequestHandler, route: str) -> bool:
        """Serve a websocket handshake to ``route`` on ``handler``'s connection, until it
        closes; False when this server has no websocket there (the request is then routed
        as HTTP). The loopback server has none; the simulator serves the Responses one."""
        return False

    def match(self, method: str, path: str, query: dict[str, str]) -> tuple[Operation, dict[str, str]] | None:
        for route in self._routes.get(method, ()):
            if any(query.get(k) != v for k, v in route.literal_query.items()):
                continue
            path_values = match_route(route.op.route[0], path)
            if path_values is not None:
                return route.op, path_values
        return None


def _handler_for(server: LoopbackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        loopback = server

    return Handler


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms stalls
    loopback: LoopbackServer

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self._status = str(int(code))  # send_response reports the status here; the line is written once answered

    def do_GET(self) -> None:
        started = time.perf_counter()
        self._status = "-"  # stays "-" when no status line is sent (a reset fault)
        self._operation = "-"
        try:
            self._handle()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (a timeout test): nothing to do
        finally:
            if self.loopback.log is not None:
                self.loopback.log(self._log_line(started))

    def _log_line(self, started: float) -> str:
        """``time method path status operation ms``; the path without its query string,
        where a client in ``auth_query`` mode puts its key."""
        elapsed = (time.perf_counter() - started) * 1000
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        path = urlsplit(self.path).path
        return f"{stamp} {self.command} {path} {self._status} {self._operation} {elapsed:.1f} ms"

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _handle(self) -> None:
        url = urlsplit(self.path)
        if url.path.startswith(ADMIN_PREFIX):
            self._operation = "admin"
            return self._admin(url.path[len(ADMIN_PREFIX):])
        route_path = self._route_path(url.path)
        if self.headers.get("Upgrade", "").lower() == "websocket" and self.loopback.websocket(self, route_path):
            self._status, self._operation = "101", "websocket"
            return None
        query = parse_qsl(url.query, keep_blank_values=True)
        record = ReceivedRequest(
            method=self.command,
            path=url.path,
            query=query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self._read_body(),
        )
        with self.loopback._lock:
            self.loopback.requests.append(record)
        found = self.loopback.match(self.command, route_path, dict(query))
        if found is None:
            return self._send(Reply(404, _error(f"no operation for {self.command} {route_path}", "not_found")))
        op, path_values = found
        record.operation = self._operation = op.name
        fault = self.loopback._next_fault(op)
        if fault is not None:
            return self._fail(op, fault, path_values, record)
        try:
            payload = request_payload(op, path_values, query, record.headers, record.body)
        except ValueError as exc:
            return self._send(Reply(400, _error(f"{op.name}: unreadable request: {exc}")))
        record.payload = payload
        problems = violations(op, payload)
        if problems:
            message = "; ".join(str(p) for p in problems)
            return self._send(Reply(400, _error(f"{op.name}: {message}", param=problems[0].path)))
        self._send(self.loopback.answer(op, payload, path_values))

    def _route_path(self, path: str) -> str:
        """The operation route a request path names: the path under the server's ``/v1``,
        or under Azure OpenAI's prefixes (:data:`AZURE_PREFIX`)."""
        prefix = urlsplit(self.loopback.url).path
        if path.startswith(prefix + "/"):
            return path[len(prefix):]
        azure = AZURE_PREFIX.match(path)
        return path[azure.end():] if azure else path

    def _admin(self, command: str) -> None:
        """``/__oaimap/<command>``: the test's controls over HTTP, for code that is not in
        the server's process (``LoopbackServer.admin``)."""
        body = self._read_body()
        try:
            arguments = json.loads(body) if body.strip() else {}
            if not isinstance(arguments, dict):
                raise ValueError("the body must be a JSON object")
            answer = self.loopback.admin(self.command, command, arguments)
        except (KeyError, ValueError, TypeError) as exc:
            return self._send(Reply(400, _error(f"admin {command}: {exc}")))
        if answer is None:
            return self._send(Reply(404, _error(f"no admin command {self.command} {command}", "not_found")))
        self._send(Reply(json=answer))

    def _fail(self, op: Operation, fault: _Fault, path_values: dict[str, str], record: ReceivedRequest) -> None:
        """Play a ``fail_next`` fault instead of answering. ``cut`` and ``malformed`` spoil
        the operation's example, streamed when the request asks for a stream."""
        if fault.kind == "status":
            headers = {} if fault.retry_after is None else {"retry-after": f"{fault.retry_after:g}"}
            return self._send(Reply(fault.status, _fault_error(op, fault), headers))
        self.close_connection = True
        if fault.kind == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()  # really closed (RST) when the handler lets go of its files
            return None
        if fault.kind == "stall":
            return self._stall(fault.seconds)
        try:
            payload = request_payload(op, path_values, record.query, record.headers, record.body)
        except ValueError:  # a fault comes before the request is checked
            payload = {}
        reply = _example_reply(op, payload)
        if reply.events is not None:
            events = [e for e in reply.events if e != "[DONE]"]
            if fault.kind == "cut":  # never the last event, which may be the terminal one
                reply.events = events[: min(2, len(events) - 1)]
            else:  # a spoiled copy of the second event (of the only one) comes before it
                at = min(1, len(events) - 1)
                reply.events.insert(at, b"data: " + _spoiled(events[at]) + b"\n\n")
            return self._send_events(reply)
        if fault.kind == "cut":
            return self._send(reply, cut=True)
        return self._send(Reply(body=_spoiled(reply.json), headers={"Content-Type": "application/json"}))

    def _stall(self, seconds: float) -> None:
        """Say nothing for ``seconds``; stop early when the server stops or the client leaves."""
        until = time.monotonic() + seconds
        while not self.loopback._stopped.wait(0.05) and time.monotonic() < until:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if readable and not self.connection.recv(1, socket.MSG_PEEK):
                return

    def _send(self, reply: Reply, cut: bool = False) -> None:
        """Send ``reply``; ``cut``: declare the whole body but send half of it."""
        if reply.delay:
            time.sleep(reply.delay)
        if reply.events is not None:
            return self._send_events(reply)
        if reply.body is not None:
            body, ctype = reply.body, "application/octet-stream"
        elif reply.status == 204:
            body, ctype = b"", None
        else:
            body, ctype = json.dumps(reply.json).encode(), "application/json"
        self.send_response(reply.status)
        headers = {"x-request-id": "req_loopback", **reply.headers}
        if ctype and not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = ctype
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if cut else body)

    def _send_events(self, reply: Reply) -> None:
        self.send_response(reply.status)
        for key, value in {"x-request-id": "req_loopback", **reply.headers}.items():
            self.send_header(key, value)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        for event in reply.events or ():
            self.wfile.write(_sse_frame(event))
            self.wfile.flush()


def _sse_frame(event: Any) -> bytes:
    if event == "[DONE]":
        return b"data: [DONE]\n\n"
    if isinstance(event, (bytes, str)):  # raw frame, for tests of odd streams
        return event.encode() if isinstance(event, str) else event
    if isinstance(event, dict) and set(event) == {"event", "data"}:  # a named event (Assistants)
        data = event["data"] if event["data"] == "[DONE]" else json.dumps(event["data"])  # `event: done`
        return f"event: {event['event']}\ndata: {data}\n\n".encode()
    kind = event.get("type") if isinstance(event, dict) else None
    head = f"event: {kind}\n" if kind else ""
    return f"{head}data: {json.dumps(event)}\n\n".encode()


def _error(message: str, kind: str = "invalid_request_error", param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": param, "code": None}}


def _fault_error(op: Operation, fault: _Fault) -> dict[str, Any]:
    """The API's error body for a ``status`` fault."""
    if fault.status == 429:
        kind, code, text = "requests", "rate_limit_exceeded", "Rate limit reached. Please try again later."
    elif fault.status >= 500:
        kind, code, text = "server_error", None, "The server had an error while processing your request."
    else:
        kind, code, text = "invalid_request_error", None, f"The request failed with status {fault.status}."
    return {"error": {"message": f"{op.name}: {fault.message or text}", "type": kind, "param": None, "code": code}}


def _spoiled(value: Any) -> bytes:
    """The first half of ``value``'s JSON: an object or array cut short never parses."""
    text = json.dumps(value).encode()
    return text[: len(text) // 2]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _example_reply(op: Operation, payload: dict[str, Any]) -> Reply:
    example = op.example or {}
    response = example.get("response")
    streaming = op.returns == "sse" or (op.stream_param and payload.get(op.stream_param) is True)
    if streaming:
        from .simulator.streams import chat_chunks  # the simulator builds on this module

        events: list[Any] = list(example.get("stream") or chat_chunks(response, payload))
        if not op.stream_end:
            events.append("[DONE]")
        return Reply(events=events)
    if op.returns == "binary":
        data = response.encode() if isinstance(response, str) else f"{op.name} bytes".encode()
        return Reply(body=data)
    if op.returns == "text":
        return Reply(body=str(response or "").encode(), headers={"Content-Type": "text/plain"})
    if op.returns == "empty":
        return Reply(204)
    return Reply(json=response if response is not None else {})
