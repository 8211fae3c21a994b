"""Token accounting across calls: ``client.usage``.

Every answer that reports ``usage`` (Responses, Chat Completions, Completions,
Embeddings; a stream's final usage event: ``response.completed``, or the last chunk of a
chat stream asked for ``stream_options.include_usage``) adds its tokens to its model's
total. Both vocabularies are read: ``input_tokens`` / ``output_tokens`` (Responses) and
``prompt_tokens`` / ``completion_tokens`` (Chat, Completions, Embeddings), with the
cached and reasoning token details. Safe to share between threads and tasks.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Mapping


@dataclass(frozen=True)
class Tokens:
    """One model's totals."""

    calls: int = 0
    input: int = 0
    output: int = 0
    cached: int = 0
    reasoning: int = 0

    def __add__(self, other: "Tokens") -> "Tokens":
        return Tokens(*(a + b for a, b in zip(self._values(), other._values())))

    def _values(self) -> tuple[int, ...]:
        return self.calls, self.input, self.output, self.cached, self.reasoning


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def input_output(usage: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """(input, output) tokens of one ``usage`` object in either vocabulary; None where
    it reports none."""
    def first(*keys: str) -> int | None:
        return next((usage[k] for k in keys if isinstance(usage.get(k), int) and not isinstance(usage[k], bool)), None)

    return first("input_tokens", "prompt_tokens"), first("output_tokens", "completion_tokens")


def tokens_of(usage: Mapping[str, Any]) -> Tokens:
    """The tokens of one ``usage`` object, in either vocabulary."""
    details_in = usage.get("input_tokens_details") or usage.get("prompt_tokens_details") or {}
    details_out = usage.get("output_tokens_details") or usage.get("completion_tokens_details") or {}
    tokens_in, tokens_out = input_output(usage)
    return Tokens(
        calls=1,
        input=tokens_in or 0,
        output=tokens_out or 0,
        cached=_count(details_in.get("cached_tokens") if isinstance(details_in, Mapping) else 0),
        reasoning=_count(details_out.get("reasoning_tokens") if isinstance(details_out, Mapping) else 0),
    )


class Usage:
    """Tokens per model, summed over a client's calls (``client.usage``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_model: dict[str, Tokens] = {}

    def record(self, answer: Any) -> None:
        """Add ``answer``'s usage if it reports one: a JSON answer, a ``response.completed``
        event, or a chat chunk carrying ``usage``."""
        if not isinstance(answer, Mapping):
            return
        if answer.get("type") == "response.completed" and isinstance(answer.get("response"), Mapping):
            answer = answer["response"]
        usage = answer.get("usage")
        if not isinstance(usage, Mapping):
            return
        model = answer.get("model") if isinstance(answer.get("model"), str) else "unknown"
        tokens = tokens_of(usage)
        with self._lock:
            self._by_model[model] = self._by_model.get(model, Tokens()) + tokens

    @property
    def by_model(self) -> dict[str, Tokens]:
        with self._lock:
            return dict(self._by_model)

    @property
    def total(self) -> Tokens:
        total = Tokens()
        for tokens in self.by_model.values():
            total = total + tokens
        return total

    def reset(self) -> None:
        with self._lock:
            self._by_model.clear()

    def __repr__(self) -> str:
        return f"Usage({self.by_model!r})"
