"""How many calls of a ``map`` may be in flight: an AIMD limit that backs off under rate
limiting and creeps back up while calls succeed (as TCP paces a connection).

Pressure is a 429 (seen when the client retries it, or as the item's final error) or an
answer saying ``x-ratelimit-remaining-requests: 0``. The limit is halved once per wave:
only a call that started after the last halving can halve it again, so the dozens of
429s a burst brings count once. Every pressure also holds new starts back for the wait
the server asked for (``retry-after``, the reset); calls already in flight go on.
"""

from __future__ import annotations

import asyncio
import time


class AdaptiveLimit:
    """The limit (between 1 and ``ceiling``), the calls in flight, and when starts resume."""

    def __init__(self, ceiling: int):
        self.ceiling = ceiling
        self.limit = ceiling
        self.in_flight = 0
        self.peak = 0  # the most calls ever in flight at once
        self.decreases = 0  # how many times pressure halved the limit
        self.generation = 0  # bumped by each halving; a call remembers the one it was sent in
        self._successes = 0  # since the limit last changed
        self._resume_at = 0.0  # time.monotonic() before which nothing new starts
        self._changed = asyncio.Event()

    async def acquire(self) -> None:
        """Wait for a free slot (and for any pause to end); take it."""
        while True:
            await self.pause()
            if self.in_flight < self.limit:
                break
            self._changed.clear()
            await self._changed.wait()
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)

    async def pause(self) -> None:
        """Wait until new calls may start (now, unless the server asked for a wait).
        A call that took its slot before a pause waits here too before it is sent."""
        while (wait := self._resume_at - time.monotonic()) > 0:
            await asyncio.sleep(wait)

    def release(self, succeeded: bool) -> None:
        """A call ended; a success counts toward the next +1 (one per ``limit`` successes)."""
        self.in_flight -= 1
        if succeeded and self.limit < self.ceiling:
            self._successes += 1
            if self._successes >= self.limit:
                self.limit += 1
                self._successes = 0
        self._changed.set()

    def pressure(self, generation: int, wait: float | None) -> None:
        """The server pushed back on a call started in ``generation``; ``wait``: seconds
        it asked for (None: it did not say)."""
        if wait is not None and wait > 0:
            self._resume_at = max(self._resume_at, time.monotonic() + wait)
        if generation == self.generation:
            self.limit = max(1, self.limit // 2)
            self.generation += 1
            self.decreases += 1
            self._successes = 0

    def __repr__(self) -> str:
        return f"AdaptiveLimit(limit={self.limit}/{self.ceiling}, in_flight={self.in_flight}, peak={self.peak}, decreases={self.decreases})"
