"""When to retry and how long to wait: pure functions of the attempt and the answer."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx

RETRYABLE_STATUSES = frozenset({408, 409, 429})


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, overridden by the server's ``retry-after``."""

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 120.0  # trust a server-given wait up to this many seconds

    def should_retry(self, response: httpx.Response) -> bool:
        verdict = response.headers.get("x-should-retry", "").lower()
        if verdict in ("true", "false"):
            return verdict == "true"
        return response.status_code in RETRYABLE_STATUSES or response.status_code >= 500

    def delay(self, retries_done: int, response: httpx.Response | None = None) -> float:
        """Seconds to wait before retry number ``retries_done + 1``."""
        asked = retry_after(response) if response is not None else None
        if asked is not None and 0 <= asked <= self.max_retry_after:
            return asked
        backoff = min(self.initial_delay * 2**retries_done, self.max_delay)
        return backoff * (1 - 0.25 * random.random())


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
