"""The ``deadline=`` call option: seconds for the whole call, retries and body included.

httpx's timeouts bound each connect, write and read; a body trickled one byte at a
time never trips them. A :class:`Deadline` bounds the rest: every attempt's timeouts
are clipped to the time left, a retry whose wait would overrun is not made, and the
response body (a JSON answer, a download, an event stream) is watched chunk by chunk.
A passed deadline surfaces as ``httpx.ReadTimeout`` inside the pipeline, so it takes
the path of every other timeout and reaches the caller as ``APITimeoutError``.
"""

from __future__ import annotations

import math
import time
from typing import AsyncIterator, Iterator

import httpx


class Deadline:
    """One call's deadline (``seconds`` None: no deadline, every method a no-op)."""

    def __init__(self, seconds: float | None):
        if seconds is not None and not (isinstance(seconds, (int, float)) and seconds > 0 and math.isfinite(seconds)):
            raise ValueError(f"deadline must be a positive number of seconds, not {seconds!r}")
        self.seconds = seconds
        self._end = None if seconds is None else time.monotonic() + seconds
        self._timeouts: dict[str, float | None] | None = None  # the request's own, before clipping

    def remaining(self) -> float:
        return math.inf if self._end is None else self._end - time.monotonic()

    def allows(self, wait: float) -> bool:
        """True when waiting ``wait`` seconds still leaves time for another attempt."""
        return wait < self.remaining()

    def expired(self) -> httpx.ReadTimeout:
        return httpx.ReadTimeout(f"the call's deadline of {self.seconds} s passed")

    def limit(self, request: httpx.Request) -> None:
        """Clip ``request``'s timeouts to the time left (before each attempt)."""
        if self._end is None:
            return
        left = self.remaining()
        if left <= 0:
            raise self.expired()
        if self._timeouts is None:
            self._timeouts = dict(request.extensions.get("timeout") or {})
        request.extensions["timeout"] = {
            phase: left if limit is None else min(limit, left)
            for phase, limit in {**dict.fromkeys(("connect", "read", "write", "pool")), **self._timeouts}.items()
        }

    def watch(self, response: httpx.Response) -> None:
        """Check the deadline at each chunk of ``response``'s body, however it is read."""
        if self._end is not None:
            response.stream = _WatchedStream(response.stream, self)


class _WatchedStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    def __init__(self, stream: httpx.SyncByteStream | httpx.AsyncByteStream, deadline: Deadline):
        self._stream = stream
        self._deadline = deadline

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._stream:  # type: ignore[union-attr]
            if self._deadline.remaining() <= 0:
                raise self._deadline.expired()
            yield chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:  # type: ignore[union-attr]
            if self._deadline.remaining() <= 0:
                raise self._deadline.expired()
            yield chunk

    def close(self) -> None:
        self._stream.close()  # type: ignore[union-attr]

    async def aclose(self) -> None:
        await self._stream.aclose()  # type: ignore[union-attr]
