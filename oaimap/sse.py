"""Server-sent events: a line decoder and the stream objects ``call`` returns.

A stream yields each event's parsed ``data`` (a dict for the OpenAI API); an event whose
data has no ``type`` but whose ``event:`` line names it (Assistants streams:
``thread.run.created``) is yielded as ``{"event": name, "data": data}``. It stops at
``data: [DONE]`` or at the end of the body, raises :class:`StreamError` on an ``error``
event, and, for operations that declare ``stream_end`` events, when the body ends
before one of them arrived (the stream was cut short). Breaking out of the ``for``
loop, leaving the ``with`` block or calling ``close()`` closes the HTTP response.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import chain
from typing import Any, AsyncIterator, Iterator

import httpx

from .errors import StreamError
from .specs import Operation


@dataclass
class ServerSentEvent:
    event: str | None
    data: str
    id: str | None = None


class SSEDecoder:
    """Feed lines (without their line ending); get events at each blank line."""

    def __init__(self) -> None:
        self._event: str | None = None
        self._data: list[str] = []
        self._id: str | None = None

    def feed(self, line: str) -> ServerSentEvent | None:
        if not line:
            if not self._data and self._event is None:
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
        elif name == "id":
            self._id = value
        return None


class _EventReader:
    """Lines in, values out, for one operation's stream: payloads, errors, the end."""

    def __init__(self, op: Operation):
        self.op = op
        self.decoder = SSEDecoder()
        self.finished = False  # [DONE] or a declared terminal event was seen

    def feed(self, line: str) -> Any:
        """The value to yield for this line, ``_NOTHING``, or ``_DONE``."""
        sse = self.decoder.feed(line)
        return _NOTHING if sse is None else self._interpret(sse)

    def _interpret(self, sse: ServerSentEvent) -> Any:
        if sse.data == "[DONE]":
            self.finished = True
            return _DONE
        try:
            data: Any = json.loads(sse.data)
        except ValueError:
            data = {"type": sse.event, "data": sse.data}
        kind = data.get("type") if isinstance(data, dict) else None
        if sse.event == "error" or kind == "error" or (isinstance(data, dict) and "error" in data and kind is None):
            detail = data.get("error", data) if isinstance(data, dict) else data
            message = detail.get("message") if isinstance(detail, dict) else None
            raise StreamError(f"{self.op.name}: error event in stream: {message or detail}", event=data)
        if kind in self.op.stream_end or sse.event in self.op.stream_end:
            self.finished = True
        if sse.event and sse.event != "message" and kind is None:
            return {"event": sse.event, "data": data}
        return data

    def check_end(self) -> None:
        if self.op.stream_end and not self.finished:
            raise StreamError(
                f"{self.op.name}: stream closed before a terminal event "
                f"({', '.join(self.op.stream_end)}): it was cut short"
            )


_DONE = object()
_NOTHING = object()
_END_OF_BODY = ("",)  # a last blank line dispatches an event the body left unterminated


class Stream:
    """Iterator over the events of one streamed call (sync); it can be iterated once."""

    def __init__(self, op: Operation, response: httpx.Response, on_close=None):
        self.op = op
        self.response = response
        self._on_close = on_close
        self._started = False

    def __iter__(self) -> Iterator[Any]:
        if self._started:
            raise StreamError(f"{self.op.name}: this stream was already read; a stream can be iterated once")
        self._started = True
        return self._events()

    def _events(self) -> Iterator[Any]:
        reader = _EventReader(self.op)
        try:
            for line in chain(self.response.iter_lines(), _END_OF_BODY):
                value = reader.feed(line)
                if value is _DONE:
                    return
                if value is not _NOTHING:
                    yield value
            reader.check_end()
        finally:
            self.close()

    def close(self) -> None:
        self.response.close()
        if self._on_close is not None:
            self._on_close()
            self._on_close = None

    def __enter__(self) -> "Stream":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def request_id(self) -> str | None:
        return self.response.headers.get("x-request-id")


async def _with_end_of_body(lines: AsyncIterator[str]) -> AsyncIterator[str]:
    async for line in lines:
        yield line
    for line in _END_OF_BODY:
        yield line


class AsyncStream:
    """Async iterator over the events of one streamed call; it can be iterated once.

    ``async for ... break`` leaves closing to the event loop's clean-up of the generator;
    use ``async with stream:`` (or ``await stream.aclose()``) to close at once.
    """

    def __init__(self, op: Operation, response: httpx.Response, on_close=None):
        self.op = op
        self.response = response
        self._on_close = on_close
        self._started = False

    def __aiter__(self) -> AsyncIterator[Any]:
        if self._started:
            raise StreamError(f"{self.op.name}: this stream was already read; a stream can be iterated once")
        self._started = True
        return self._events()

    async def _events(self) -> AsyncIterator[Any]:
        reader = _EventReader(self.op)
        try:
            async for line in _with_end_of_body(self.response.aiter_lines()):
                value = reader.feed(line)
                if value is _DONE:
                    return
                if value is not _NOTHING:
                    yield value
            reader.check_end()
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        await self.response.aclose()
        if self._on_close is not None:
            self._on_close()
            self._on_close = None

    async def __aenter__(self) -> "AsyncStream":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @property
    def request_id(self) -> str | None:
        return self.response.headers.get("x-request-id")
