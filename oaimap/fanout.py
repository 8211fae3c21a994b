"""``client.map``: one operation over many payloads, many calls in flight.

    async for result in aclient.map("embeddings.create", rows, concurrency=64):
        ...                                 # MapResult(index, payload, ok, value, error)
    for result in client.map("embeddings.create", rows):   # the sync wrapper
        ...

:class:`MapRun` is the engine (asyncio). Payloads are read from their iterable as slots
free up, never all at once; results come in input order (``ordered=False``: as they
finish). An item's failure (any :class:`OaimapError`: a payload that fails validation, a
404, retries spent) is its result, never raised out of the run. Each call retries as the
client's policy says; on top, the run paces itself (:mod:`oaimap.pacing`): a 429 or
``x-ratelimit-remaining-requests: 0`` halves the calls in flight and holds new starts
for the wait the server asked for. ``checkpoint=`` records finished items
(:mod:`oaimap.checkpoint`) so that a rerun sends only the others. Closing the iterator,
cancelling its task or Ctrl-C stops new starts and cancels the calls in flight; the
checkpoint then holds exactly the items that finished.

:class:`SyncMapRun` drives the same engine for a sync :class:`~oaimap.Client`, on an
event loop of its own, one step per result.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Sized
from contextvars import ContextVar
from dataclasses import dataclass
from os import PathLike
from typing import TYPE_CHECKING, Any, AsyncGenerator, AsyncIterator, Iterable, Iterator

from .checkpoint import Checkpoint, digest
from .errors import CheckpointError, OaimapError, RateLimitError, RecordedError, UsageError
from .meta import seconds
from .pacing import AdaptiveLimit
from .progress import ProgressCallback, Tracker
from .retries import retry_after

if TYPE_CHECKING:
    from .client import AsyncClient, Client

JSON_ANSWERS = ("json", "page", "text", "empty")  # what a checkpoint line can hold
WINDOW_PER_SLOT = 16  # results finished but not yet taken, at most, per unit of concurrency

# The pacing limit and generation of the call running in this task: the client's
# on_retry hook runs inside the call, and tells that call's run about a 429.
_SLOT: ContextVar[tuple[AdaptiveLimit, int] | None] = ContextVar("oaimap_map_slot", default=None)


@dataclass(frozen=True)
class MapResult:
    """One input's outcome: ``value`` when ``ok``, else ``error``."""

    index: int  # the payload's position in the input
    payload: Any
    ok: bool
    value: Any = None
    error: OaimapError | None = None  # a RecordedError when it comes from a checkpoint
    resumed: bool = False  # recorded by an earlier run's checkpoint; not sent in this one

    def to_json(self) -> dict[str, Any]:
        """The result as a JSON object: ``index``, ``ok``, and ``value`` or ``error``
        (``type``, ``status``, ``message``)."""
        if self.ok:
            return {"index": self.index, "ok": True, "value": self.value}
        return {"index": self.index, "ok": False, "error": error_json(self.error)}


def error_json(error: OaimapError | None) -> dict[str, Any]:
    if isinstance(error, RecordedError):
        return {"type": error.kind, "status": error.status, "message": str(error)}
    return {"type": type(error).__name__, "status": getattr(error, "status_code", None), "message": str(error)}


@dataclass(frozen=True)
class _End:
    """The producer read the whole input: ``count`` items."""

    count: int


class MapRun:
    """One ``map`` over an async client; iterate it once (``async for``). ``limiter``
    shows the pacing (limit, in flight, peak, decreases); ``ok``, ``failed`` and
    ``resumed`` count results so far."""

    def __init__(
        self,
        client: AsyncClient,
        operation: str,
        payloads: Iterable[Any],
        *,
        concurrency: int = 16,
        ordered: bool = True,
        progress: ProgressCallback | None = None,
        checkpoint: str | PathLike[str] | None = None,
        options: dict[str, Any] | None = None,
    ):
        op = client.operation(operation)  # an unknown name fails here, before anything runs
        if not isinstance(concurrency, int) or concurrency < 1:
            raise ValueError(f"{op.name}: map concurrency must be an integer >= 1, not {concurrency!r}")
        if checkpoint is not None and op.returns not in JSON_ANSWERS:
            raise CheckpointError(op.name, str(checkpoint), f"the operation answers {op.returns}; a checkpoint keeps JSON answers only")
        self.operation = op.name
        self._name = operation  # called as given: a seed alias keeps its own answer shape
        self._client = client
        self._payloads = payloads
        self.total = len(payloads) if isinstance(payloads, Sized) else None
        self.ordered = ordered
        self.limiter = AdaptiveLimit(concurrency)
        self._progress = progress
        self._checkpoint = Checkpoint(checkpoint, op.name) if checkpoint is not None else None
        self._options = options or {}
        self.ok = self.failed = self.resumed = 0
        self._tracker: Tracker | None = None
        self._iterated = False

    def __aiter__(self) -> AsyncGenerator[MapResult, None]:
        if self._iterated:
            raise UsageError(self.operation, "a map run is iterated once; call map again for another")
        self._iterated = True
        return self._results()

    async def _results(self) -> AsyncGenerator[MapResult, None]:
        if self._progress is not None:
            self._tracker = Tracker(self._progress, self.operation, "map", "items", self.total)
        if self._checkpoint is not None:
            self._checkpoint.open()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        window = asyncio.Semaphore(self.limiter.ceiling * WINDOW_PER_SLOT)
        calls: set[asyncio.Task[bool]] = set()
        self._client.on("on_retry", self._on_retry)
        producer = asyncio.create_task(self._produce(queue, window, calls))
        try:
            expected, given, waiting = None, 0, {}
            while expected is None or given < expected:
                item = await queue.get()
                if isinstance(item, BaseException):
                    raise item
                if isinstance(item, _End):
                    expected = item.count
                    continue
                if not self.ordered:
                    given += 1
                    window.release()
                    yield item
                    continue
                waiting[item.index] = item
                while given in waiting:
                    ready = waiting.pop(given)
                    given += 1
                    window.release()
                    yield ready
        finally:
            producer.cancel()
            for call in list(calls):
                call.cancel()
            await asyncio.gather(producer, *calls, return_exceptions=True)
            self._client._unhook("on_retry", self._on_retry)
            if self._checkpoint is not None:
                self._checkpoint.close()

    async def _produce(self, queue: asyncio.Queue[Any], window: asyncio.Semaphore, calls: set[asyncio.Task[bool]]) -> None:
        """Read the input as room frees up; start a call per item not already recorded."""
        count = 0
        try:
            for index, payload in enumerate(self._payloads):
                await window.acquire()
                count += 1
                payload_digest = digest(payload) if self._checkpoint is not None else ""
                record = self._checkpoint.recorded(index, payload_digest) if self._checkpoint is not None else None
                if record is not None:
                    self.resumed += 1
                    self._finish(queue, self._from_record(index, payload, record), None)
                    continue
                await self.limiter.acquire()
                call = asyncio.create_task(self._one(queue, index, payload, payload_digest))
                calls.add(call)
                call.add_done_callback(lambda task: self._ended(task, calls))
        except Exception as exc:  # the input's iterator failed, or the checkpoint is another input's
            queue.put_nowait(exc)
            return
        queue.put_nowait(_End(count))

    def _ended(self, call: asyncio.Task[bool], calls: set[asyncio.Task[bool]]) -> None:
        """A call's slot is free again (also when it was cancelled before it ever ran)."""
        calls.discard(call)
        self.limiter.release(not call.cancelled() and call.exception() is None and call.result())

    async def _one(self, queue: asyncio.Queue[Any], index: int, payload: Any, payload_digest: str) -> bool:
        """Call for one item and hand its result over; True when it succeeded without
        pressure (a step toward a higher limit)."""
        await self.limiter.pause()
        generation = self.limiter.generation
        _SLOT.set((self.limiter, generation))
        try:
            value = await self._client.call(self._name, payload, **self._options)
        except OaimapError as exc:
            result, calm = MapResult(index, payload, False, error=exc), False
            if isinstance(exc, RateLimitError):  # its retries spent, or not retried
                self.limiter.pressure(generation, retry_after(exc.response))
        else:
            result = MapResult(index, payload, True, value)
            calm = not self._pressed(generation, value)
        try:
            self._finish(queue, result, payload_digest)
        except Exception as exc:  # an unrecordable answer, a progress callback's error: the run stops
            queue.put_nowait(exc)
        return calm

    def _pressed(self, generation: int, value: Any) -> bool:
        """An answer that says no request is left in this window is pressure too."""
        meta = getattr(value, "meta", None)
        if meta is None or meta.headers.get("x-ratelimit-remaining-requests") != "0":
            return False
        self.limiter.pressure(generation, seconds(meta.headers.get("x-ratelimit-reset-requests")))
        return True

    def _on_retry(self, operation: str, reason: str, wait: float | None, **_: Any) -> None:
        slot = _SLOT.get()
        if slot is not None and slot[0] is self.limiter and reason.startswith("HTTP 429"):
            self.limiter.pressure(slot[1], wait)

    def _finish(self, queue: asyncio.Queue[Any], result: MapResult, payload_digest: str | None) -> None:
        """Record (unless it came from the checkpoint), count, report and hand over."""
        if self._checkpoint is not None and payload_digest is not None:
            self._checkpoint.append({"digest": payload_digest, **result.to_json()})
        if result.ok:
            self.ok += 1
        else:
            self.failed += 1
        if self._tracker is not None:
            self._tracker.advance(1, f"{self.ok} ok, {self.failed} failed")
        queue.put_nowait(result)

    def _from_record(self, index: int, payload: Any, record: dict[str, Any]) -> MapResult:
        if record.get("ok"):
            return MapResult(index, payload, True, record.get("value"), resumed=True)
        error = record.get("error") or {}
        failure = RecordedError(self.operation, str(error.get("type")), error.get("status"), str(error.get("message")))
        return MapResult(index, payload, False, error=failure, resumed=True)


async def _next(results: AsyncIterator[MapResult]) -> MapResult | None:
    return await anext(results, None)


class SyncMapRun:
    """``Client.map``'s iterator: the :class:`MapRun` of an :class:`~oaimap.AsyncClient`
    made like the sync client, driven on an event loop of its own, one step per result
    (between two results nothing runs). Breaking out of the loop, an exception in it or
    Ctrl-C ends the run as cancelling an async one does."""

    def __init__(self, client: Client, operation: str, payloads: Iterable[Any], **settings: Any):
        from .client import AsyncClient

        self._twin = AsyncClient._like(client)
        self.run = MapRun(self._twin, operation, payloads, **settings)

    @property
    def limiter(self) -> AdaptiveLimit:
        return self.run.limiter

    def __iter__(self) -> Iterator[MapResult]:
        return self._results()

    def _results(self) -> Iterator[MapResult]:
        loop = _StepLoop()
        results = self.run.__aiter__()
        try:
            while True:
                result = loop.run(_next(results))
                if result is None:
                    return
                yield result
        finally:
            try:
                loop.run(results.aclose())
            finally:  # even when a second Ctrl-C cut the first step short
                try:
                    loop.run(self._twin.close())
                finally:
                    loop.close()


class _StepLoop:
    """An event loop driven one coroutine at a time from sync code, on which Ctrl-C
    cancels the coroutine under way and is raised as ``KeyboardInterrupt`` once it has
    unwound, as :class:`asyncio.Runner` does from Python 3.11. Without this the
    interrupt is raised wherever the main thread happens to be, possibly inside a task
    halfway through a request, and the loop is left unable to clean up."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()

    def run(self, coro: Any) -> Any:
        task = self._loop.create_task(coro)
        interrupted = False

        def on_sigint(signum: int, frame: Any) -> None:
            nonlocal interrupted
            if interrupted:  # a second Ctrl-C: stop waiting for the unwinding
                raise KeyboardInterrupt
            interrupted = True
            self._loop.call_soon_threadsafe(task.cancel)

        main = threading.current_thread() is threading.main_thread()
        catch = main and signal.getsignal(signal.SIGINT) is signal.default_int_handler  # not if the app set its own
        if catch:
            signal.signal(signal.SIGINT, on_sigint)
        try:
            result = self._loop.run_until_complete(task)
        except asyncio.CancelledError:
            if interrupted:
                raise KeyboardInterrupt from None
            raise
        finally:
            if catch:
                signal.signal(signal.SIGINT, signal.default_int_handler)
        if interrupted:  # it came as the coroutine finished anyway
            raise KeyboardInterrupt
        return result

    def close(self) -> None:
        self._loop.run_until_complete(self._loop.shutdown_asyncgens())
        self._loop.close()
