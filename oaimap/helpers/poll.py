"""``kind: poll`` — start an operation, then poll another until a terminal status.

Declared in YAML, like botocore's waiters::

    helper:
      kind: poll
      start: vector_stores.file_batches.create     # called once with the payload (optional)
      start_args: {stream: false}                  # fixed values added to the start payload (optional)
      poll: vector_stores.file_batches.retrieve    # called until done
      poll_args:                                   # poll payload, from the payload / start op's result
        vector_store_id: payload.vector_store_id
        batch_id: result.id
      status: status                               # field of the result holding the state (dotted: a.b)
      until: [completed, failed, cancelled]        # terminal states: the result is returned
      interval: 1.0                                # seconds between polls
      timeout: 600                                 # seconds before PollTimeoutError

Instead of ``until``, ``pending`` lists the states that keep the poll going (every other
state is terminal), as openai-python's ``poll`` helpers decide. Without ``start`` the
helper only polls (``vector_stores.files.poll``): the first call is the poll itself, its
arguments taken from the payload.

The payload may carry ``poll_interval_ms`` and ``poll_timeout_ms`` to override the
interval and the timeout; they are not sent. ``interval_param`` / ``timeout_param`` name
more payload keys giving them in seconds (``files.wait_for_processing``'s
``poll_interval`` and ``max_wait_seconds``). If the start result is already terminal,
no poll is made. Like openai-python's ``*_and_poll`` helpers, a terminal failure state is
returned, not raised: the caller reads ``status``.

With ``progress=``, each result read (the start's, then every poll's) is reported as a
``poll`` event: its status, the polls so far, the seconds since the start.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Mapping

from ..errors import PollTimeoutError
from ..progress import Tracker
from ..specs import Operation
from ..validation import validate
from ..wire import CallOptions

POLL_KEYS = ("poll_interval_ms", "poll_timeout_ms")


def _seconds_keys(spec: Mapping[str, Any]) -> tuple[str | None, str | None]:
    return spec.get("interval_param"), spec.get("timeout_param")


def split_payload(
    payload: Mapping[str, Any], spec: Mapping[str, Any] | None = None
) -> tuple[dict[str, Any], float | None, float | None]:
    """The payload for the start op, plus the interval / timeout overrides in seconds."""
    interval_key, timeout_key = _seconds_keys(spec or {})
    knobs = {*POLL_KEYS, interval_key, timeout_key} - {None}
    rest = {k: v for k, v in payload.items() if k not in knobs}
    interval = payload.get("poll_interval_ms")
    timeout = payload.get("poll_timeout_ms")
    interval_s = interval / 1000 if interval is not None else None
    timeout_s = timeout / 1000 if timeout is not None else None
    if interval_key and payload.get(interval_key) is not None:
        interval_s = float(payload[interval_key])
    if timeout_key and payload.get(timeout_key) is not None:
        timeout_s = float(payload[timeout_key])
    return rest, interval_s, timeout_s


def _lookup(source: str, payload: Mapping[str, Any], result: Any) -> Any:
    root, _, path = source.partition(".")
    value: Any = {"payload": payload, "result": result}[root]
    for part in path.split(".") if path else ():
        value = value[part]
    return value


def poll_payload(spec: Mapping[str, Any], payload: Mapping[str, Any], result: Any) -> dict[str, Any]:
    return {key: _lookup(source, payload, result) for key, source in spec["poll_args"].items()}


def status_of(spec: Mapping[str, Any], result: Any) -> Any:
    """The state at ``status`` (a dotted path: ``file_counts.in_progress``), or None."""
    value = result
    for part in str(spec.get("status", "status")).split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def is_done(spec: Mapping[str, Any], result: Any) -> bool:
    if not isinstance(result, dict):
        return False
    state = status_of(spec, result)
    if "pending" in spec:
        return state not in spec["pending"]
    return state in spec["until"]


class Poller:
    """The timing of one polling session, and its progress reports."""

    def __init__(self, op: Operation, interval: float | None, timeout: float | None, options: CallOptions):
        spec = op.helper or {}
        self.op = op
        self.spec = spec
        self.interval = interval if interval is not None else float(spec.get("interval", 1.0))
        self.timeout = timeout if timeout is not None else float(spec.get("timeout", 600))
        self.deadline = time.monotonic() + self.timeout
        self.polls = 0
        self.tracker = None if options.progress is None else Tracker(options.progress, op.name, "poll", "polls", None)

    def read(self, result: Any) -> Any:
        """``result``, after reporting its status."""
        if self.tracker is not None:
            state = status_of(self.spec, result)
            self.tracker.advance(1, None if state is None else str(state))
        return result

    def next_wait(self, last: Any) -> float:
        """Seconds to sleep before the next poll; raises when the next poll would be late."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0 or self.interval > remaining:
            state = status_of(self.spec, last)
            raise PollTimeoutError(
                f"{self.op.name}: not done after {self.timeout:g} s ({self.polls} poll(s), last status {state!r})",
                last=last,
            )
        self.polls += 1
        return self.interval


def _start(
    client: Any, op: Operation, payload: dict[str, Any], options: CallOptions
) -> tuple[Operation | None, dict[str, Any], Poller]:
    spec = op.helper or {}
    start_payload, interval, timeout = split_payload(payload, spec)
    if "start" not in spec:  # poll only
        return None, start_payload, Poller(op, interval, timeout, options)
    start_payload = {**start_payload, **spec.get("start_args", {})}
    start_op = client.operation(spec["start"])
    validate(start_op, start_payload, strict=client.strict, level=client.validation)
    return start_op, start_payload, Poller(op, interval, timeout, options)


def run(client: Any, op: Operation, payload: dict[str, Any], options: CallOptions) -> Any:
    spec = op.helper or {}
    start_op, start_payload, poller = _start(client, op, payload, options)
    inner = options.for_inner_calls()
    if start_op is None:
        args = poll_payload(spec, start_payload, None)
        result = poller.read(client.call(spec["poll"], args, **inner))
    else:
        result = poller.read(client.call(start_op.name, start_payload, **inner))
        args = poll_payload(spec, start_payload, result)
    while not is_done(spec, result):
        time.sleep(poller.next_wait(result))
        result = poller.read(client.call(spec["poll"], args, **inner))
    return result


async def arun(client: Any, op: Operation, payload: dict[str, Any], options: CallOptions) -> Any:
    spec = op.helper or {}
    start_op, start_payload, poller = _start(client, op, payload, options)
    inner = options.for_inner_calls()
    if start_op is None:
        args = poll_payload(spec, start_payload, None)
        result = poller.read(await client.call(spec["poll"], args, **inner))
    else:
        result = poller.read(await client.call(start_op.name, start_payload, **inner))
        args = poll_payload(spec, start_payload, result)
    while not is_done(spec, result):
        await asyncio.sleep(poller.next_wait(result))
        result = poller.read(await client.call(spec["poll"], args, **inner))
    return result
