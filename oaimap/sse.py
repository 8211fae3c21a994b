"""Server-sent events: a decoder that follows the WHATWG rules, and the stream objects
``call`` returns.

Bytes are decoded as UTF-8 and split into lines at CRLF, LF or CR only (never at
U+2028, U+2029 or U+0085, which are legal inside JSON strings); a leading BOM is
skipped, ``:`` comments and unknown fields ignored, ``data:`` lines joined with LF.

A stream yields each event's parsed ``data`` (a dict for the OpenAI API); an event whose
data has no ``type`` but whose ``event:`` line names it (Assistants streams:
``thread.run.created``) is yielded as ``{"event": name, "data": data}``. It stops at
``data: [DONE]`` (Assistants: ``event: done``), and raises :class:`StreamError` on an ``error`` event, on data that is
not JSON, and when the body ends before the stream was complete: before a declared
``stream_end`` event, or, for operations without one (chat, completions), before
``[DONE]`` or a choice's ``finish_reason``. A connection that fails mid-stream raises
:class:`APIConnectionError` / :class:`APITimeoutError`, as does a passed ``deadline``.
Breaking out of the ``for`` loop, leaving the ``with`` block or calling ``close()``
closes the HTTP response.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Iterable, Iterator

import httpx

from .errors import APIConnectionError, APITimeoutError, StreamError
from .specs import Operation

if TYPE_CHECKING:
    from .meta import CallMeta

TransportFailure = Callable[[httpx.RequestError], APIConnectionError]


@dataclass
class ServerSentEvent:
    event: str | None
    data: str
    id: str | None = None


_LINE_END = re.compile(r"\r\n|\r|\n")


class LineDecoder:
    """Bytes in, lines out (without their ends), as the SSE spec splits them."""

    def __init__(self) -> None:
        self._text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._at_start = True

    def feed(self, chunk: bytes) -> list[str]:
        return self._split(self._text.decode(chunk), final=False)

    def finish(self) -> list[str]:
        """The lines left at the end of the body (the last one may lack its line end)."""
        lines = self._split(self._text.decode(b"", final=True), final=True)
        if self._buffer:
            lines.append(self._buffer)
            self._buffer = ""
        return lines

    def _split(self, text: str, final: bool) -> list[str]:
        if self._at_start and text:
            self._at_start = False
            text = text.removeprefix("\ufeff")
        buffer = self._buffer + text
        if "\r" not in buffer:  # the common case, split in C: LF is the only line end here
            *lines, self._buffer = buffer.split("\n")
            return lines
        lines = []
        start = 0
        for end in _LINE_END.finditer(buffer):
            if end.group() == "\r" and end.end() == len(buffer) and not final:
                break  # perhaps the first half of a CRLF split across chunks
            lines.append(buffer[start : end.start()])
            start = end.end()
        self._buffer = buffer[start:]
        return lines


class SSEDecoder:
    """Feed lines (without their line ending); get events at each blank line."""

    def __init__(self) -> None:
        self._event: str | None = None
        self._data: list[str] = []
        self._id: str | None = None

    def feed(self, line: str) -> ServerSentEvent | None:
        if not line:
            if not self._data:  # no data field: nothing to dispatch (the spec's rule)
                self._event = None
                return None
            event = ServerSentEvent(self._event, "\n".join(self._data), self._id)
            self._event, self._data = None, []
            return event
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._id = value
        return None


class _EventReader:
    """Bytes in, values out, for one operation's stream: payloads, errors, the end."""

    def __init__(self, op: Operation, redact: Callable[[str], str]):
        self.op = op
        self.redact = redact  # error events may echo the key: errors keep a masked copy
        self.lines = LineDecoder()
        self.decoder = SSEDecoder()
        self.finished = False  # [DONE], a declared terminal event or a finish_reason was seen

    def feed(self, chunk: bytes) -> Iterator[Any]:
        """The values to yield for this chunk of the body; ``_DONE`` ends the stream."""
        return self._values(self.lines.feed(chunk))

    def end_of_body(self) -> Iterator[Any]:
        """The last values, then :class:`StreamError` if the stream was cut short.

        An event whose blank line never came is still dispatched when its data is
        complete (the spec would drop it; a JSON object that parses lost nothing).
        """
        yield from self._values([*self.lines.finish(), ""])
        if not self.finished:
            expected = ", ".join(self.op.stream_end) if self.op.stream_end else "[DONE] or a finish_reason"
            raise StreamError(
                f"{self.op.name}: stream closed before it was complete (expected {expected}): it was cut short"
            )

    def _values(self, lines: Iterable[str]) -> Iterator[Any]:
        for line in lines:
            sse = self.decoder.feed(line)
            if sse is not None:
                yield self._interpret(sse)

    def _interpret(self, sse: ServerSentEvent) -> Any:
        if sse.data == "[DONE]":
            self.finished = True
            return _DONE
        try:
            data: Any = json.loads(sse.data)
        except ValueError:
            text = self.redact(sse.data)
            if sse.event == "error":
                raise StreamError(f"{self.op.name}: error event in stream: {text[:500]}", event=text) from None
            raise StreamError(f"{self.op.name}: stream data is not JSON: {text[:200]!r}", event=text) from None
        kind = data.get("type") if isinstance(data, dict) else None
        if sse.event == "error" or kind == "error" or (isinstance(data, dict) and "error" in data and kind is None):
            data = json.loads(self.redact(sse.data))
            detail = data.get("error", data) if isinstance(data, dict) else data
            message = detail.get("message") if isinstance(detail, dict) else None
            raise StreamError(f"{self.op.name}: error event in stream: {message or detail}", event=data)
        if kind in self.op.stream_end or sse.event in self.op.stream_end or self._finishes_choices(data):
            self.finished = True
        if sse.event and sse.event != "message" and kind is None:
            return {"event": sse.event, "data": data}
        return data

    def _finishes_choices(self, data: Any) -> bool:
        """A chat / completions chunk that gives a choice its ``finish_reason``: servers
        that omit ``[DONE]`` are complete after it."""
        if self.op.stream_end or not isinstance(data, dict) or not isinstance(data.get("choices"), list):
            return False
        return any(isinstance(c, dict) and c.get("finish_reason") is not None for c in data["choices"])


_DONE = object()


def _default_failure(op: Operation) -> TransportFailure:
    def failure(exc: httpx.RequestError) -> APIConnectionError:
        kind = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
        return kind(f"{op.name}: stream interrupted: {type(exc).__name__}")

    return failure


class _StreamBase:
    def __init__(
        self,
        op: Operation,
        response: httpx.Response,
        on_close: Callable[[], None] | None = None,
        *,
        failure: TransportFailure | None = None,
        redact: Callable[[str], str] = str,
    ):
        self.op = op
        self.response = response
        self._on_close = on_close
        self._failure = failure or _default_failure(op)
        self._redact = redact
        self._started = False
        self.meta: CallMeta | None = None  # set by the client: status, headers, request id, rate limits
        self.on_complete: Callable[[Any], None] | None = None  # gets the last event of a complete stream

    def _start(self) -> _EventReader:
        if self._started:
            raise StreamError(f"{self.op.name}: this stream was already read; a stream can be iterated once")
        self._started = True
        return _EventReader(self.op, self._redact)

    def _values(self, reader: _EventReader, chunk: bytes | None) -> Iterator[Any]:
        """The values of one chunk of the body (``None``: the body ended)."""
        return reader.end_of_body() if chunk is None else reader.feed(chunk)

    def _completed(self, last: Any) -> None:
        if self.on_complete is not None and last is not None:
            self.on_complete(last)

    def _closed(self) -> None:
        if self._on_close is not None:
            self._on_close()
            self._on_close = None

    @property
    def request_id(self) -> str | None:
        """The answer's ``x-request-id`` (also ``meta.request_id``)."""
        return self.response.headers.get("x-request-id")


class Stream(_StreamBase):
    """Iterator over the events of one streamed call (sync); it can be iterated once."""

    def __iter__(self) -> Iterator[Any]:
        return self._events(self._start())

    def _events(self, reader: _EventReader) -> Iterator[Any]:
        chunks = self.response.iter_bytes()
        last = None
        try:
            while True:
                chunk = self._next_chunk(chunks)
                for value in self._values(reader, chunk):
                    if value is _DONE:
                        self._completed(last)
                        return
                    last = value
                    yield value
                if chunk is None:
                    self._completed(last)
                    return
        finally:
            self.close()

    def _next_chunk(self, chunks: Iterator[bytes]) -> bytes | None:
        try:
            return next(chunks, None)
        except httpx.RequestError as exc:
            failure = exc
        raise self._failure(failure)  # outside `except`: no httpx context on our error

    def close(self) -> None:
        self.response.close()
        self._closed()

    def __enter__(self) -> "Stream":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncStream(_StreamBase):
    """Async iterator over the events of one streamed call; it can be iterated once.

    ``async for ... break`` leaves closing to the event loop's clean-up of the generator;
    use ``async with stream:`` (or ``await stream.aclose()``) to close at once.
    """

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._events(self._start())

    async def _events(self, reader: _EventReader) -> AsyncIterator[Any]:
        chunks = self.response.aiter_bytes()
        last = None
        try:
            while True:
                chunk = await self._next_chunk(chunks)
                for value in self._values(reader, chunk):
                    if value is _DONE:
                        self._completed(last)
                        return
                    last = value
                    yield value
                if chunk is None:
                    self._completed(last)
                    return
        finally:
            await self.aclose()

    async def _next_chunk(self, chunks: AsyncIterator[bytes]) -> bytes | None:
        try:
            return await anext(chunks, None)
        except httpx.RequestError as exc:
            failure = exc
        raise self._failure(failure)  # outside `except`: no httpx context on our error

    async def aclose(self) -> None:
        await self.response.aclose()
        self._closed()

    async def __aenter__(self) -> "AsyncStream":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
