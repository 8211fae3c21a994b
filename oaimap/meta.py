"""What happened on a call, beside its answer: ``result.meta``.

A JSON answer stays the dict it always was (a seed alias's page, the list) — equal to
one, JSON-encodable, indexable, picklable — and also carries ``.meta``, a
:class:`CallMeta`: the operation, the HTTP status and headers, the request id, the
rate-limit headers read as numbers (resets in seconds), the retries taken and the time
the call took. Bytes, text and a download's path carry it the same way; a stream has
``Stream.meta``. ``meta.http_response`` is the raw ``httpx.Response`` (its body read),
for anything else. Nothing here is computed until it is asked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def seconds(text: str | None) -> float | None:
    """A rate-limit reset as seconds: ``"6m0s"`` -> 360.0, ``"20ms"`` -> 0.02, ``"1.5"`` -> 1.5."""
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text.strip():
        return None
    return sum(float(number) * _UNIT[unit] for number, unit in parts)


@dataclass(frozen=True)
class RateLimits:
    """The ``x-ratelimit-*`` headers of one answer (None where the server sent none)."""

    limit_requests: int | None
    remaining_requests: int | None
    reset_requests: float | None  # seconds
    limit_tokens: int | None
    remaining_tokens: int | None
    reset_tokens: float | None  # seconds


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


class CallMeta:
    """One call's answer, besides its body. ``http_response`` is left out of pickles and
    reprs (its request carries the key)."""

    __slots__ = ("operation", "status", "headers", "retries", "elapsed", "_response")

    def __init__(self, operation: str, response: httpx.Response, retries: int, elapsed: float):
        self.operation = operation
        self.status = response.status_code
        self.headers = response.headers
        self.retries = retries
        self.elapsed = elapsed  # seconds, from building the request to the answer's last byte
        self._response: httpx.Response | None = response

    @property
    def request_id(self) -> str | None:
        return self.headers.get("x-request-id")

    @property
    def rate_limits(self) -> RateLimits:
        h = self.headers
        return RateLimits(
            limit_requests=_int(h.get("x-ratelimit-limit-requests")),
            remaining_requests=_int(h.get("x-ratelimit-remaining-requests")),
            reset_requests=seconds(h.get("x-ratelimit-reset-requests")),
            limit_tokens=_int(h.get("x-ratelimit-limit-tokens")),
            remaining_tokens=_int(h.get("x-ratelimit-remaining-tokens")),
            reset_tokens=seconds(h.get("x-ratelimit-reset-tokens")),
        )

    @property
    def http_response(self) -> httpx.Response:
        """The raw ``httpx.Response`` (body read; not kept through pickling)."""
        if self._response is None:
            raise AttributeError("http_response is not kept when a result is pickled")
        return self._response

    def __repr__(self) -> str:
        return (
            f"CallMeta(operation={self.operation!r}, status={self.status}, request_id={self.request_id!r}, "
            f"retries={self.retries}, elapsed={self.elapsed:.3f})"
        )

    def __getstate__(self) -> tuple[Any, ...]:
        return self.operation, self.status, list(self.headers.multi_items()), self.retries, self.elapsed

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        import httpx

        self.operation, self.status, headers, self.retries, self.elapsed = state
        self.headers = httpx.Headers(headers)
        self._response = None


class JsonObject(dict[str, Any]):
    """A JSON object answer: a ``dict``, with :attr:`meta`."""

    __slots__ = ("meta",)
    meta: CallMeta


class JsonList(list[Any]):
    """A list answer (a seed alias's first page): a ``list``, with :attr:`meta`."""

    __slots__ = ("meta",)
    meta: CallMeta


class BytesResult(bytes):
    """A binary answer: ``bytes``, with :attr:`meta`."""

    meta: CallMeta


class TextResult(str):
    """A text answer: ``str``, with :attr:`meta`."""

    meta: CallMeta


class SavedFile(type(Path())):  # type: ignore[misc]  # the platform's concrete Path
    """The path a download was saved to, with :attr:`meta`."""

    meta: CallMeta


_WRAPPERS: dict[type, type] = {dict: JsonObject, list: JsonList, bytes: BytesResult, str: TextResult}


def attach(value: Any, meta: CallMeta) -> Any:
    """``value`` as its result type carrying ``meta``; other values (None, a number)
    come back as they are."""
    if isinstance(value, Path):
        result: Any = SavedFile(value)
    else:
        wrapper = _WRAPPERS.get(type(value))
        if wrapper is None:
            return value
        result = wrapper(value)
    result.meta = meta
    return result
