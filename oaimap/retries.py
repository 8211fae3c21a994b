"""When to retry and how long to wait: the public retry policy (``Client(retry=...)``,
``call(..., retry=...)``) and the retry budget that stops retry storms."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import httpx

# Timeouts and conflicts, rate limits and server errors; a server's x-should-retry wins.
RETRYABLE_STATUSES = frozenset({408, 409, 429, *range(500, 600)})


class RetryBudget:
    """A token bucket shared by a client's calls, as botocore's standard retry mode keeps:
    each retry spends tokens (a timeout more), each success gives some back, and when
    the bucket is empty calls stop retrying until successes refill it. So when most
    calls fail, a client does not multiply the load on a struggling server."""

    def __init__(self, capacity: int = 500, retry_cost: int = 5, timeout_cost: int = 10, success_refund: int = 1):
        self.capacity = capacity
        self.retry_cost = retry_cost
        self.timeout_cost = timeout_cost
        self.success_refund = success_refund
        self._tokens = capacity
        self._lock = threading.Lock()

    @property
    def available(self) -> int:
        return self._tokens

    def spend(self, timeout: bool) -> int:
        """Tokens taken for one retry (0: the budget is spent, do not retry)."""
        cost = self.timeout_cost if timeout else self.retry_cost
        with self._lock:
            if self._tokens < cost:
                return 0
            self._tokens -= cost
            return cost

    def succeeded(self, spent: int) -> None:
        """A call succeeded: what its retries spent comes back, or a small refund."""
        with self._lock:
            self._tokens = min(self.capacity, self._tokens + (spent or self.success_refund))

    def __repr__(self) -> str:
        return f"RetryBudget(available={self._tokens}/{self.capacity})"


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, overridden by the server's ``retry-after``
    (honoured up to ``max_retry_after``), for the statuses in ``statuses``, within the
    client's retry ``budget`` (None: no budget)."""

    max_retries: int = 2
    initial_delay: float = 0.5  # seconds before the first retry; doubles each time
    max_delay: float = 8.0
    jitter: float = 0.25  # each wait is shortened by up to this fraction, at random
    statuses: frozenset[int] = RETRYABLE_STATUSES
    max_retry_after: float = 120.0  # trust a server-given wait up to this many seconds
    budget: RetryBudget | None = field(default_factory=RetryBudget, compare=False)

    def should_retry(self, response: httpx.Response) -> bool:
        verdict = response.headers.get("x-should-retry", "").lower()
        if verdict in ("true", "false"):
            return verdict == "true"
        return response.status_code in self.statuses

    def delay(self, retries_done: int, response: httpx.Response | None = None) -> float:
        """Seconds to wait before retry number ``retries_done + 1``."""
        asked = retry_after(response) if response is not None else None
        if asked is not None and 0 <= asked <= self.max_retry_after:
            return asked
        backoff = min(self.initial_delay * 2**retries_done, self.max_delay)
        return backoff * (1 - self.jitter * random.random())


def retry_after(response: httpx.Response) -> float | None:
    """The wait a response asks for (``retry-after-ms``, or ``retry-after`` seconds or date)."""
    headers = response.headers
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return float(millis) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
