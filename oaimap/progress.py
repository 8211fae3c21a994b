"""Progress of long work: one event type, the counters that make it, a terminal bar.

A call given ``progress=fn`` calls ``fn(event)`` with a :class:`Progress` as the work
moves: the file bytes of a multipart upload as httpx reads them (``upload``), the bytes
of a binary answer as they arrive (``download``), the bytes and parts of a multipart
Upload (``parts``: :mod:`oaimap.helpers.chunked_upload`), each status a poller reads
(``poll``: :mod:`oaimap.helpers.poll`), each item a ``client.map`` finishes (``map``:
:mod:`oaimap.fanout`). ``fn`` is called from one thread at a time (the
parts of a sync multipart Upload travel on several threads); an exception it raises stops
the work as any error would. Without ``progress=`` nothing here runs: the call's path has
no per-chunk step at all.

:func:`terminal_bar` is the CLI's view of those events: a tqdm bar on stderr when stderr
is a terminal (the ``progress`` extra: ``pip install 'oaimap[progress]'``), else None.
"""

from __future__ import annotations

import io
import os
import sys
import threading
import time
from dataclasses import dataclass
from importlib import import_module
from typing import IO, Any, AsyncIterator, Callable, Iterator

import httpx

from .forms import FilePart

KINDS = ("upload", "download", "parts", "poll", "map")


@dataclass(frozen=True)
class Progress:
    """Where one piece of work stands."""

    operation: str  # the operation the caller called
    kind: str  # one of KINDS
    done: int  # bytes, parts, polls or items so far
    total: int | None  # the same unit's end, None when it is not known (polls; a download without Content-Length)
    unit: str  # "bytes" | "parts" | "polls" | "items"
    status: str | None = None  # poll: the status last read; parts: "part 3/5"; map: "12 ok, 1 failed"
    elapsed: float = 0.0  # seconds since the work began


ProgressCallback = Callable[[Progress], None]


class Tracker:
    """Counts one piece of work and tells ``callback`` after each step."""

    def __init__(self, callback: ProgressCallback, operation: str, kind: str, unit: str, total: int | None):
        self.callback = callback
        self.operation = operation
        self.kind = kind
        self.unit = unit
        self.total = total
        self.done = 0
        self.started = time.monotonic()
        self._lock = threading.Lock()

    def advance(self, amount: int, status: str | None = None) -> None:
        with self._lock:
            self.done += amount
            self.callback(Progress(self.operation, self.kind, self.done, self.total, self.unit, status, time.monotonic() - self.started))

    def counted(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self.advance(len(chunk))
            yield chunk

    async def acounted(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        async for chunk in chunks:
            self.advance(len(chunk))
            yield chunk


def counted_file(content: Any, name: str, tracker: Tracker) -> Any:
    """``content`` (bytes or an open binary file) as a window that reports the bytes httpx
    reads from it to ``tracker``, its size added to the tracker's total. httpx sends an
    open file from its start, so the window does too. A file that cannot seek is sent as
    it is: uncounted, and the total becomes unknown."""
    if isinstance(content, (bytes, bytearray, memoryview)):
        handle, length = io.BytesIO(content), len(content)
    elif callable(getattr(content, "seekable", None)) and content.seekable():
        handle, length = content, content.seek(0, os.SEEK_END)
    else:
        tracker.total = None
        return content
    if tracker.total is not None:
        tracker.total += length
    return FilePart(handle, 0, length, name, on_read=tracker.advance)


def download_tracker(callback: ProgressCallback, operation: str, response: httpx.Response) -> Tracker:
    """Bytes of ``response``'s body; its total is the Content-Length when the body is sent
    as is (an encoded body's length is not the length of what the caller gets)."""
    length = response.headers.get("content-length")
    plain = "content-encoding" not in response.headers or response.headers["content-encoding"] == "identity"
    total = int(length) if length is not None and length.isdigit() and plain else None
    return Tracker(callback, operation, "download", "bytes", total)


def terminal_bar(stream: IO[str] | None = None) -> TerminalBar | None:
    """A ``progress=`` callback drawing bars on ``stream`` (stderr), or None when
    ``stream`` is not a terminal or tqdm is not installed: then nothing is printed."""
    stream = stream if stream is not None else sys.stderr
    if not (hasattr(stream, "isatty") and stream.isatty()):
        return None
    try:
        tqdm = import_module("tqdm").tqdm  # imported here only: no cost for who never draws a bar
    except ImportError:
        return None
    return TerminalBar(tqdm, stream)


class TerminalBar:
    """The tqdm bars of :func:`terminal_bar`, one per (operation, unit). A bar closes when
    its total is reached; ``close()`` ends the others (a poll has no total)."""

    def __init__(self, factory: Any, stream: IO[str]):
        self._factory = factory
        self._stream = stream
        self._bars: dict[tuple[str, str], Any] = {}

    def __call__(self, event: Progress) -> None:
        key = (event.operation, event.unit)
        bar = self._bars.get(key)
        if bar is None:
            scaled = event.unit == "bytes"
            bar = self._bars[key] = self._factory(
                total=event.total, desc=event.operation, unit="B" if scaled else f" {event.unit}",
                unit_scale=scaled, unit_divisor=1024, file=self._stream, leave=True,
            )
        if event.total != bar.total:
            bar.total = event.total
        bar.n = event.done
        if event.status is not None:
            bar.set_postfix_str(event.status, refresh=False)
        bar.refresh()
        if event.total is not None and event.done >= event.total:
            bar.close()
            del self._bars[key]

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()
        self._bars.clear()
