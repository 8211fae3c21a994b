"""``kind: poll`` — start an operation, then poll another until a terminal status.

Declared in YAML, like botocore's waiters::

    helper:
      kind: poll
      start: vector_stores.file_batches.create     # called once with the payload
      poll: vector_stores.file_batches.retrieve    # called until done
      poll_args:                                   # poll payload, from the payload / start op's result
        vector_store_id: payload.vector_store_id
        batch_id: result.id
      status: status                               # field of the result holding the state
      until: [completed, failed, cancelled]        # terminal states: the result is returned
      interval: 1.0                                # seconds between polls
      timeout: 600                                 # seconds before PollTimeoutError

The payload may carry ``poll_interval_ms`` and ``poll_timeout_ms`` to override the
interval and the timeout; they are not sent. If the start result is already terminal,
no poll is made. Like openai-python's ``*_and_poll`` helpers, a terminal failure state is
returned, not raised: the caller reads ``status``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Mapping

from ..errors import PollTimeoutError
from ..specs import Operation
from ..validation import validate
from ..wire import CallOptions

POLL_KEYS = ("poll_interval_ms", "poll_timeout_ms")


def split_payload(payload: Mapping[str, Any]) -> tuple[dict[str, Any], float | None, float | None]:
    """The payload for the start op, plus the interval / timeout overrides in seconds."""
    rest = {k: v for k, v in payload.items() if k not in POLL_KEYS}
    interval = payload.get("poll_interval_ms")
    timeout = payload.get("poll_timeout_ms")
    return rest, (interval / 1000 if interval is not None else None), (timeout / 1000 if timeout is not None else None)


def _lookup(source: str, payload: Mapping[str, Any], result: Any) -> Any:
    root, _, path = source.partition(".")
    value: Any = {"payload": payload, "result": result}[root]
    for part in path.split(".") if path else ():
        value = value[part]
    return value


def poll_payload(spec: Mapping[str, Any], payload: Mapping[str, Any], result: Any) -> dict[str, Any]:
    return {key: _lookup(source, payload, result) for key, source in spec["poll_args"].items()}


def is_done(spec: Mapping[str, Any], result: Any) -> bool:
    return isinstance(result, dict) and result.get(spec.get("status", "status")) in spec["until"]


class Poller:
    """The timing of one polling session."""

    def __init__(self, op: Operation, interval: float | None, timeout: float | None):
        spec = op.helper or {}
        self.op = op
        self.status_key = spec.get("status", "status")
        self.interval = interval if interval is not None else float(spec.get("interval", 1.0))
        self.timeout = timeout if timeout is not None else float(spec.get("timeout", 600))
        self.deadline = time.monotonic() + self.timeout
        self.polls = 0

    def next_wait(self, last: Any) -> float:
        """Seconds to sleep before the next poll; raises when the next poll would be late."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0 or self.interval > remaining:
            state = last.get(self.status_key) if isinstance(last, dict) else None
            raise PollTimeoutError(
                f"{self.op.name}: not done after {self.timeout:g} s ({self.polls} poll(s), last status {state!r})",
                last=last,
            )
        self.polls += 1
        return self.interval


def _start(client: Any, op: Operation, payload: dict[str, Any]) -> tuple[Operation, dict[str, Any], Poller]:
    spec = op.helper or {}
    start_payload, interval, timeout = split_payload(payload)
    start_op = client.specs.get(spec["start"])
    validate(start_op, start_payload, strict=client.strict)
    return start_op, start_payload, Poller(op, interval, timeout)


def run(client: Any, op: Operation, payload: dict[str, Any], options: CallOptions) -> Any:
    spec = op.helper or {}
    start_op, start_payload, poller = _start(client, op, payload)
    result = client.call(start_op.name, start_payload, **options.for_inner_calls())
    args = poll_payload(spec, start_payload, result)
    while not is_done(spec, result):
        time.sleep(poller.next_wait(result))
        result = client.call(spec["poll"], args, **options.for_inner_calls())
    return result


async def arun(client: Any, op: Operation, payload: dict[str, Any], options: CallOptions) -> Any:
    spec = op.helper or {}
    start_op, start_payload, poller = _start(client, op, payload)
    result = await client.call(start_op.name, start_payload, **options.for_inner_calls())
    args = poll_payload(spec, start_payload, result)
    while not is_done(spec, result):
        await asyncio.sleep(poller.next_wait(result))
        result = await client.call(spec["poll"], args, **options.for_inner_calls())
    return result
