"""The API key never leaks: every error path, every auth mode, Client and AsyncClient.

Each error path of the edge contract (HTTP statuses, connection trouble, timeouts, bad
bodies, broken streams, cut downloads, validation and configuration errors, websocket
handshakes, redirects) is provoked against a real peer on 127.0.0.1, and every surface a
user or a log pipeline can see is searched for the key in every form it can take:

* surfaces: ``str(exc)``, ``repr(exc)``, ``exc.request`` (repr, URL, headers),
  ``exc.response.request``, the error body / event, ``pickle.dumps(exc)``, the formatted
  traceback with chained causes (and any ``.request`` they still hold), ``repr(client)``,
  and every log record captured at DEBUG (httpx, httpcore, oaimap, websockets, ...);
* forms: raw, percent-encoded (``quote``, ``quote_plus``, httpx's query encoding, lower-case
  hex), base64 / base64url (padded, unpadded, at each of the three byte alignments, and of
  ``"Bearer KEY"``).

A failing test lists every (surface, form) leak it found, with the key masked in the
excerpt, plus any deviation from the error classes the contract promises.
"""

from __future__ import annotations

import base64
import json
import logging
import pickle
import re
import socket
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

import httpx
import pytest

import oaimap
import oaimap.errors
from oaimap import AsyncClient, Client
from oaimap.server import LoopbackServer, Reply
from test_websocket import WSServer  # the same server, refusing every handshake

REDACTED = "**********"
REAL_KEY = "sk-proj-Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0L"
ODD_KEY = "sk-a+b/c=d e~f_0123456789"  # +, /, =, space: every encoder writes it differently

CREATE = {"model": "gpt-4.1-mini", "input": "hi"}
STREAM = {**CREATE, "stream": True}
CREATED = {"type": "response.created", "sequence_number": 0}
DELTA = {"type": "response.output_text.delta", "sequence_number": 1, "delta": "x"}

WATCHED_LOGGERS = ("httpx", "httpcore", "oaimap", "websockets")
PEER_LOGGER = "testpeer"  # the test servers' own loggers: they see the key by design


# -- auth configurations -------------------------------------------------------------
@dataclass(frozen=True)
class Auth:
    id: str
    key: str
    mode: dict[str, str]

    @property
    def kind(self) -> str:
        return "query" if "auth_query" in self.mode else "header"

    @property
    def header(self) -> str:
        return self.mode.get("auth_header", "Authorization")


AUTHS = [
    Auth("bearer", REAL_KEY, {}),
    Auth("api-key-header", REAL_KEY, {"auth_header": "api-key"}),
    Auth("query", REAL_KEY, {"auth_query": "key"}),
    Auth("query-oddkey", ODD_KEY, {"auth_query": "key"}),
    Auth("bearer-oddkey", ODD_KEY, {}),
]
MODES = {"bearer": {}, "api-key-header": {"auth_header": "api-key"}, "query": {"auth_query": "key"}}


# -- every form of a key -------------------------------------------------------------
def _lower_hex(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), text)


def key_forms(key: str) -> dict[str, str]:
    """name -> text, for every way ``key`` can be written (forms shorter than 8 dropped)."""
    forms: dict[str, str] = {"raw": key}
    percent = {
        "quote(safe='')": quote(key, safe=""),
        "quote": quote(key),
        "quote_plus": quote_plus(key),
        "quote_plus(safe='/')": quote_plus(key, safe="/"),
        "httpx query encoding": str(httpx.QueryParams({"k": key}))[2:],
    }
    for name, text in percent.items():
        forms[name] = text
        forms[f"{name}, lower-case hex"] = _lower_hex(text)
    raw = key.encode()
    for name, encode in (("base64", base64.b64encode), ("base64url", base64.urlsafe_b64encode)):
        whole = encode(raw).decode()
        forms[name] = whole
        forms[f"{name} unpadded"] = whole.rstrip("=")
        forms[f"{name}('Bearer KEY')"] = encode(b"Bearer " + raw).decode()
        # The key inside a longer blob: what stays the same at each byte alignment.
        for offset in (0, 1, 2):
            text = encode(b"\0" * offset + raw).decode()
            forms[f"{name} of the key at byte offset {offset}"] = text[4 if offset else 0 : -4]
    unique: dict[str, str] = {}
    for name, text in forms.items():
        if len(text) >= 8 and text not in unique.values():
            unique[name] = text
    return unique


def leaks(surfaces: dict[str, str], key: str) -> list[str]:
    forms = key_forms(key)
    found = []
    for surface, text in surfaces.items():
        for name, form in forms.items():
            at = text.find(form)
            if at >= 0:
                excerpt = text[max(0, at - 50) : at + len(form) + 30].replace(form, f"<KEY as {name}>")
                found.append(f"LEAK in {surface}: {name} ... {excerpt!r}")
    return found


# -- surfaces ------------------------------------------------------------------------
def _headers_text(headers: httpx.Headers) -> str:
    return "\n".join(f"{k}: {v}" for k, v in headers.multi_items())  # repr() would hide Authorization


def _request_of(exc: BaseException) -> httpx.Request | None:
    request = getattr(exc, "_request", None) if isinstance(exc, httpx.HTTPError) else getattr(exc, "request", None)
    return request if isinstance(request, httpx.Request) else None


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def surfaces_of(exc: BaseException, client: Any, records: list[logging.LogRecord]) -> tuple[dict[str, str], list[str]]:
    """Every text a user or a log pipeline sees of this failure, and problems met reading them."""
    problems: list[str] = []
    out = {"str(exc)": str(exc), "repr(exc)": repr(exc)}
    for depth, link in enumerate(_chain(exc)):
        where = "exc" if depth == 0 else f"exc chain[{depth}] ({type(link).__name__})"
        if depth:
            out[f"repr({where})"] = repr(link)
        request = _request_of(link)
        if request is not None:
            out[f"repr({where}.request)"] = repr(request)
            out[f"{where}.request.url"] = str(request.url)
            out[f"{where}.request.headers"] = _headers_text(request.headers)
        response = getattr(link, "response", None)
        if isinstance(response, httpx.Response) and response._request is not None:
            out[f"{where}.response.request.url"] = str(response.request.url)
            out[f"{where}.response.request.headers"] = _headers_text(response.request.headers)
    for attribute in ("body", "event", "message"):
        if getattr(exc, attribute, None) is not None:
            out[f"repr(exc.{attribute})"] = repr(getattr(exc, attribute))
    try:
        out["pickle.dumps(exc)"] = pickle.dumps(exc).decode("latin-1")
    except Exception as problem:  # noqa: BLE001 - reported, not raised
        problems.append(f"pickle.dumps(exc) failed: {type(problem).__name__}: {problem}")
    out["traceback.format_exception(exc)"] = "".join(traceback.format_exception(exc))
    if client is not None:
        out["repr(client)"] = repr(client)
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    for number, record in enumerate(records):
        out[f"log record #{number} ({record.name}, {record.levelname})"] = formatter.format(record)
    return out, problems


def pickle_problems(exc: BaseException) -> list[str]:
    try:
        back = pickle.loads(pickle.dumps(exc))
    except Exception as problem:  # noqa: BLE001
        return [f"pickle round trip failed: {type(problem).__name__}: {problem}"]
    found = []
    if type(back) is not type(exc):
        found.append(f"pickle round trip gave {type(back).__name__}, not {type(exc).__name__}")
    if str(back) != str(exc):
        found.append("pickle round trip changed str(exc)")
    for attribute in ("status_code", "body", "request_id"):
        if hasattr(exc, attribute) and getattr(back, attribute, object()) != getattr(exc, attribute):
            found.append(f"pickle round trip changed .{attribute}")
    return found


def redacted_request_problems(request: httpx.Request | None, auth: Auth, where: str) -> list[str]:
    """The contract's positive side: a redacted *copy* is there, with the auth value masked."""
    if request is None:
        return [f"{where} is missing (the contract promises a redacted copy)"]
    if auth.kind == "query":
        value = request.url.params.get(auth.mode["auth_query"])
        if value != REDACTED:
            return [f"{where}: auth query parameter is {'absent' if value is None else 'not masked'}"]
        return []
    value = request.headers.get(auth.header)
    if value is None or not re.fullmatch(r"(Bearer )?\*{10}", value):
        return [f"{where}: {auth.header} header is {'absent' if value is None else 'not masked'}"]
    return []


def watched_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if not r.name.startswith(PEER_LOGGER)]


@pytest.fixture
def logs(caplog):
    """Capture every record at DEBUG (httpcore's trace logs included)."""
    caplog.set_level(logging.DEBUG)
    for name in WATCHED_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


# -- a bare TCP peer: replies LoopbackServer cannot make -------------------------------
class RawPeer:
    """Answers each connection with ``respond(target)`` (a list of byte chunks), then
    closes it: cut bodies, broken streams, redirects that echo the query string."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self.requests: list[bytes] = []
        self.respond: Callable[[str], list[bytes]] = lambda target: [_http(500, b"{}")]
        self._running = True
        self._thread = threading.Thread(target=self._serve, name="raw-peer", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> "RawPeer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._running = False
        self._thread.join(2)
        self._sock.close()

    def reset(self) -> None:
        self.requests.clear()

    def _serve(self) -> None:
        while self._running:
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
            while length and len(body) < int(length.group(1)):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                body += chunk
            self.requests.append(head + b"\r\n\r\n" + body)
            target = head.split(b" ", 2)[1].decode("latin-1")
            for piece in self.respond(target):
                conn.sendall(piece)
                time.sleep(0.005)


def _http(status: int, body: bytes, headers: dict[str, str] | None = None, *, length: int | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status} {'OK' if status < 300 else 'Moved' if status < 400 else 'Error'}"]
    lines += [f"{k}: {v}" for k, v in {"x-request-id": "req_raw", "Connection": "close", **(headers or {})}.items()]
    lines.append(f"Content-Length: {len(body) if length is None else length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def cut_json(target: str) -> list[bytes]:
    return [_http(200, b'{"id": "resp_1", "obj', {"Content-Type": "application/json"}, length=400)]


def cut_download(target: str) -> list[bytes]:
    return [_http(200, b"\x00" * 4096, {"Content-Type": "application/octet-stream"}, length=100_000)]


def broken_stream(target: str) -> list[bytes]:
    event = f"event: response.created\ndata: {json.dumps(CREATED)}\n\n".encode()
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
    return [head, b"%x\r\n%s\r\n" % (len(event), event), b"40\r\ndata: {\"type\": \"resp"]  # no last chunk


@pytest.fixture(scope="module")
def _raw_peer():
    with RawPeer() as peer:
        yield peer


@pytest.fixture
def raw_peer(_raw_peer):
    _raw_peer.reset()
    return _raw_peer


@pytest.fixture(scope="module")
def _other_server():
    with LoopbackServer() as srv:  # another port: another origin
        yield srv


@pytest.fixture
def other_server(_other_server):
    _other_server.reset()
    yield _other_server
    _other_server.reset()


@pytest.fixture(scope="module")
def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return sock.getsockname()[1]


# -- the error paths -----------------------------------------------------------------
def echo_error(status: int) -> Callable[[str], Reply]:
    """A server error whose message echoes the key back (raw and percent-encoded)."""

    def reply(key: str) -> Reply:
        message = (
            f"Incorrect API key provided: {key}. Sent as {quote(key, safe='')} / {quote_plus(key)}."
        )
        body = {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}}
        return Reply(status, json=body, headers={"x-request-id": "req_secret"})

    return reply


@dataclass(frozen=True)
class ErrorPath:
    id: str
    expect: str  # name of the oaimap error class the contract promises
    op: str = "responses.create"
    payload: dict[str, Any] = field(default_factory=lambda: dict(CREATE))
    options: dict[str, Any] = field(default_factory=dict)
    peer: str = "loopback"  # loopback | raw | refused | ftp
    script: Callable[[str], Reply] | None = None  # key -> scripted LoopbackServer reply
    raw: Callable[[str], list[bytes]] | None = None
    iterate: bool = False  # the error comes out of iterating a stream
    output: bool = False  # binary download into a file
    key_suffix: str = ""
    sends: bool = True  # HTTP traffic happens (httpcore must have logged)
    keeps: str | None = None  # server text that must survive redaction in str(exc)


STATUS_CLASSES = {
    400: "BadRequestError",
    401: "AuthenticationError",
    403: "PermissionDeniedError",
    404: "NotFoundError",
    409: "ConflictError",
    422: "UnprocessableEntityError",
    429: "RateLimitError",
    500: "InternalServerError",
}

ERROR_PATHS = [
    *(ErrorPath(f"http-{status}", name, script=echo_error(status), keeps="Incorrect API key provided")
      for status, name in STATUS_CLASSES.items()),
    ErrorPath("connection-refused", "APIConnectionError", peer="refused"),
    ErrorPath("timeout", "APITimeoutError", options={"timeout": 0.2}, script=lambda key: Reply(json={}, delay=0.6)),
    ErrorPath("deadline", "APITimeoutError", options={"deadline": 0.3}, script=lambda key: Reply(json={}, delay=1.0)),
    ErrorPath(
        "non-json-200",
        "APIResponseValidationError",
        script=lambda key: Reply(body=f"<html>proxy says: bad key {key}</html>".encode(), headers={"Content-Type": "text/html"}),
    ),
    ErrorPath("json-body-cut", "APIConnectionError", peer="raw", raw=cut_json),
    ErrorPath(
        "stream-error-event",
        "StreamError",
        payload=STREAM,
        iterate=True,
        keeps="Incorrect API key provided",
        script=lambda key: Reply(events=[CREATED, {"type": "error", "code": "invalid_api_key", "sequence_number": 1,
                                                   "message": f"Incorrect API key provided: {key}"}]),
    ),
    ErrorPath("stream-cut-short", "StreamError", payload=STREAM, iterate=True, script=lambda key: Reply(events=[CREATED, DELTA])),
    ErrorPath("stream-connection-broken", "APIConnectionError", payload=STREAM, iterate=True, peer="raw", raw=broken_stream),
    ErrorPath("download-cut", "APIConnectionError", op="files.content", payload={"file_id": "file-abc"},
              output=True, peer="raw", raw=cut_download),
    ErrorPath("validation", "ValidationError", payload={"model": 5, "input": "hi"}, sends=False),
    ErrorPath("unsendable-nan", "ValidationError", payload={**CREATE, "temperature": float("nan")}, sends=False),
    ErrorPath("header-crlf", "ValidationError", options={"extra_headers": {"X-Note": "a\r\nInjected: b"}}, sends=False),
    ErrorPath("no-http-scheme", "OaimapError", peer="ftp", sends=False),
    ErrorPath("key-with-newline", "ConfigurationError", key_suffix="\n", sends=False),
]


@dataclass
class Env:
    server: LoopbackServer
    raw_peer: RawPeer
    closed_port: int
    tmp_path: Path


def _setup(path: ErrorPath, auth: Auth, env: Env) -> tuple[str, dict[str, Any]]:
    """Script the peer; the base URL and the call options to use."""
    if path.script is not None:
        env.server.script(path.op, path.script(auth.key))
    if path.raw is not None:
        env.raw_peer.respond = path.raw
    base = {
        "loopback": env.server.url,
        "raw": env.raw_peer.url,
        "refused": f"http://127.0.0.1:{env.closed_port}/v1",
        "ftp": f"ftp://127.0.0.1:{env.closed_port}/v1",
    }[path.peer]
    options = dict(path.options)
    if path.output:
        folder = env.tmp_path / "downloads"
        folder.mkdir()
        options["output"] = folder / "file.bin"
    return base, options


def error_class(name: str) -> type[BaseException] | None:
    """``oaimap.<name>``, or where the runtime defines it while it is not exported yet."""
    return getattr(oaimap, name, None) or getattr(oaimap.errors, name, None)


def _check(path: ErrorPath, auth: Auth, env: Env, exc: BaseException | None, client: Any, logs) -> list[str]:
    if exc is None:
        return [f"no error raised (expected {path.expect})"]
    problems: list[str] = []
    expected = error_class(path.expect)
    if getattr(oaimap, path.expect, None) is None:
        problems.append(f"{path.expect} is not importable from oaimap (the contract says it is)")
    if expected is None:
        problems.append(f"{path.expect} does not exist; got {type(exc).__module__}.{type(exc).__name__}")
    elif not isinstance(exc, expected):
        problems.append(f"expected {path.expect}, got {type(exc).__module__}.{type(exc).__name__}: {str(exc)[:200]}")
    if path.keeps and path.keeps not in str(exc):
        problems.append(f"str(exc) lost the server's text {path.keeps!r}: redaction must mask the key, not the message")
    records = watched_records(logs)
    if path.sends and not any(r.name.startswith("httpcore") for r in records):
        problems.append("no httpcore trace record captured: the log surface was not exercised")
    if not path.sends and path.peer == "loopback" and env.server.requests:
        problems.append(f"{len(env.server.requests)} request(s) reached the server; expected none")
    surfaces, read_problems = surfaces_of(exc, client, records)
    problems += read_problems
    problems += leaks(surfaces, auth.key)
    problems += pickle_problems(exc)
    names = ("APIStatusError", "APIConnectionError", "APIResponseValidationError")
    if any(isinstance(exc, error_class(n) or ()) for n in names):
        problems += redacted_request_problems(getattr(exc, "request", None), auth, "exc.request")
        response = getattr(exc, "response", None)
        if isinstance(response, httpx.Response):
            problems += redacted_request_problems(response._request, auth, "exc.response.request")
    if path.output:
        folder = env.tmp_path / "downloads"
        left = sorted(p.name for p in folder.iterdir())
        if left:
            problems.append(f"download cut short left file(s) behind: {left}")
    return problems


@pytest.mark.parametrize("auth", AUTHS, ids=lambda a: a.id)
@pytest.mark.parametrize("path", ERROR_PATHS, ids=lambda p: p.id)
def test_sync_error_paths_never_show_the_key(path, auth, server, raw_peer, closed_port, tmp_path, logs):
    env = Env(server, raw_peer, closed_port, tmp_path)
    base, options = _setup(path, auth, env)
    client = exc = None
    try:
        client = Client(api_key=auth.key + path.key_suffix, base_url=base, max_retries=0, **auth.mode)
        result = client.call(path.op, path.payload, **options)
        if path.iterate:
            for _ in result:
                pass
    except Exception as caught:  # noqa: BLE001 - the class is part of what is checked
        exc = caught
    finally:
        if client is not None:
            client.close()
    problems = _check(path, auth, env, exc, client, logs)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.mark.parametrize("auth", AUTHS, ids=lambda a: a.id)
@pytest.mark.parametrize("path", ERROR_PATHS, ids=lambda p: p.id)
async def test_async_error_paths_never_show_the_key(path, auth, server, raw_peer, closed_port, tmp_path, logs):
    env = Env(server, raw_peer, closed_port, tmp_path)
    base, options = _setup(path, auth, env)
    client = exc = None
    try:
        client = AsyncClient(api_key=auth.key + path.key_suffix, base_url=base, max_retries=0, **auth.mode)
        result = await client.call(path.op, path.payload, **options)
        if path.iterate:
            async for _ in result:
                pass
    except Exception as caught:  # noqa: BLE001
        exc = caught
    finally:
        if client is not None:
            await client.close()
    problems = _check(path, auth, env, exc, client, logs)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


# -- websocket handshakes ------------------------------------------------------------
class WSPeer(WSServer):
    """A websocket server that refuses every handshake with 401, echoing the credentials
    it got (auth header and request path) like the API does."""

    async def _start(self) -> Any:
        from websockets.asyncio.server import serve

        return await serve(self._handler, "127.0.0.1", 0, process_request=self._refuse,
                           logger=logging.getLogger(f"{PEER_LOGGER}.ws"))

    def _refuse(self, connection: Any, request: Any) -> Any:
        self.attempts.append(request.path)
        shown = request.headers.get("Authorization") or request.headers.get("api-key") or ""
        body = {"error": {"message": f"Incorrect API key provided: {shown} (at {request.path})",
                          "type": "invalid_request_error"}}
        return connection.respond(401, json.dumps(body))



@pytest.fixture(scope="module")
def ws_peer():
    with WSPeer() as peer:
        yield peer


WS_PATHS = ["handshake-refused", "connection-refused"]


def _ws_check(where: str, auth: Auth, exc: BaseException | None, client: Any, logs) -> list[str]:
    if exc is None:
        return ["no error raised (expected WebSocketError)"]
    problems: list[str] = []
    if not isinstance(exc, oaimap.WebSocketError):
        problems.append(f"expected WebSocketError, got {type(exc).__module__}.{type(exc).__name__}")
    elif where == "handshake-refused" and exc.status_code != 401:
        problems.append(f"status_code is {exc.status_code}, not 401")
    records = watched_records(logs)
    if where == "handshake-refused" and not any(r.name.startswith(("oaimap", "websockets")) for r in records):
        problems.append("no websocket log record captured: the log surface was not exercised")
    surfaces, read_problems = surfaces_of(exc, client, records)
    return problems + read_problems + leaks(surfaces, auth.key) + pickle_problems(exc)


def _ws_base(where: str, ws_peer: WSPeer, closed_port: int) -> str:
    return ws_peer.url() if where == "handshake-refused" else f"http://127.0.0.1:{closed_port}/v1"


@pytest.mark.parametrize("auth", AUTHS, ids=lambda a: a.id)
@pytest.mark.parametrize("where", WS_PATHS)
def test_sync_websocket_failures_never_show_the_key(where, auth, ws_peer, closed_port, logs):
    exc = None
    with Client(api_key=auth.key, base_url=_ws_base(where, ws_peer, closed_port), **auth.mode) as client:
        try:
            client.websockets.responses("ws-1")
        except Exception as caught:  # noqa: BLE001
            exc = caught
    problems = _ws_check(where, auth, exc, client, logs)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.mark.parametrize("auth", AUTHS, ids=lambda a: a.id)
@pytest.mark.parametrize("where", WS_PATHS)
async def test_async_websocket_failures_never_show_the_key(where, auth, ws_peer, closed_port, logs):
    exc = None
    async with AsyncClient(api_key=auth.key, base_url=_ws_base(where, ws_peer, closed_port), **auth.mode) as client:
        try:
            await client.websockets.responses("ws-1")
        except Exception as caught:  # noqa: BLE001
            exc = caught
    problems = _ws_check(where, auth, exc, client, logs)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


# -- redirects with a caller-supplied httpx client -----------------------------------
def _redirect(status: int, to: str, target: str) -> bytes:
    """A redirect that keeps the request's query string, as many proxies do."""
    query = urlsplit(target).query
    return _http(status, b"", {"Location": to + ("?" + query if query else "")})


def _received_text(request: Any) -> str:
    return "\n".join([
        f"{request.method} {request.path}",
        "&".join(f"{k}={v}" for k, v in request.query),
        *(f"{k}: {v}" for k, v in request.headers.items()),
        request.body.decode("latin-1"),
    ])


def _carries_key(raw_request: bytes, key: str) -> bool:
    text = raw_request.decode("latin-1")
    return any(form in text for form in key_forms(key).values())


@pytest.mark.parametrize("auth", AUTHS, ids=lambda a: a.id)
@pytest.mark.parametrize("status", [307, 302])
@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_cross_origin_redirect_carries_no_key(kind, status, auth, raw_peer, other_server):
    raw_peer.respond = lambda target: [_redirect(status, other_server.url + "/responses", target)]
    try:
        if kind == "sync":
            with httpx.Client(follow_redirects=True) as http:
                Client(api_key=auth.key, base_url=raw_peer.url, max_retries=0, http_client=http,
                       **auth.mode).call("responses.create", CREATE)
        else:
            async with httpx.AsyncClient(follow_redirects=True) as ahttp:
                await AsyncClient(api_key=auth.key, base_url=raw_peer.url, max_retries=0, http_client=ahttp,
                                  **auth.mode).call("responses.create", CREATE)
    except oaimap.OaimapError:
        pass  # what the other origin answers (302 turns the POST into a GET) does not matter here
    assert len(raw_peer.requests) == 1 and _carries_key(raw_peer.requests[0], auth.key), "the first origin got the key"
    assert len(other_server.requests) == 1, "the redirect was not followed to the other origin"
    found = leaks({"request received by the other origin": _received_text(other_server.requests[0])}, auth.key)
    if found:
        pytest.fail("\n".join(found), pytrace=False)


@pytest.mark.parametrize("auth", AUTHS, ids=lambda a: a.id)
def test_same_origin_redirect_keeps_auth(auth, raw_peer):
    def respond(target: str) -> list[bytes]:
        if len(raw_peer.requests) == 1:
            return [_redirect(307, raw_peer.url + "/responses", target)]
        return [_http(200, b'{"id": "resp_1", "object": "response"}', {"Content-Type": "application/json"})]

    raw_peer.respond = respond
    with httpx.Client(follow_redirects=True) as http:
        answer = Client(api_key=auth.key, base_url=raw_peer.url, max_retries=0, http_client=http,
                        **auth.mode).call("responses.create", CREATE)
    assert answer == {"id": "resp_1", "object": "response"}
    assert len(raw_peer.requests) == 2
    assert _carries_key(raw_peer.requests[1], auth.key), "a same-origin redirect lost the key"


# -- short keys: masked where they are, ordinary text untouched ------------------------
def _httpx_request_line(records: list[logging.LogRecord]) -> str:
    lines = [r.getMessage() for r in records if r.name == "httpx" and "HTTP Request:" in r.getMessage()]
    assert lines, "httpx logged no 'HTTP Request:' line"
    return lines[-1]


@pytest.mark.parametrize("mode", MODES.values(), ids=MODES.keys())
@pytest.mark.parametrize("key", ["k", "1"])
@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_a_short_key_never_mangles_ordinary_text(kind, key, mode, server, logs):
    port = urlsplit(server.url).port
    server.script("responses.create", Reply(401, json={"error": {"message": "mock-401 invalid", "type": "invalid_request_error"}}))
    with pytest.raises(oaimap.AuthenticationError) as info:
        if kind == "sync":
            with Client(api_key=key, base_url=server.url, max_retries=0, **mode) as client:
                client.call("responses.create", CREATE)
        else:
            async with AsyncClient(api_key=key, base_url=server.url, max_retries=0, **mode) as aclient:
                await aclient.call("responses.create", CREATE)
    exc = info.value
    # Ordinary text is kept verbatim.
    assert "mock-401 invalid" in str(exc)
    assert exc.body == {"error": {"message": "mock-401 invalid", "type": "invalid_request_error"}}
    assert exc.request_id == "req_loopback" and "req_loopback" in str(exc)
    line = _httpx_request_line(logs.records)
    assert "127.0.0.1" in line and f":{port}/" in line and '"HTTP/1.1 401 Unauthorized"' in line, line
    # The key is still masked where it is.
    request = exc.request
    assert request.url.host == "127.0.0.1" and request.url.port == port
    if "auth_query" in mode:
        assert request.url.params.get("key") == REDACTED
        assert f"key={key}" not in str(request.url)
        logged_url = urlsplit(line.split()[3])
        assert dict(parse_qsl(logged_url.query)).get("key") == REDACTED, line
        assert "Authorization" not in request.headers
    else:
        name = mode.get("auth_header", "Authorization")
        assert re.fullmatch(r"(Bearer )?\*{10}", request.headers[name]), request.headers[name]
        assert "key=" not in line
