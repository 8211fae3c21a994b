"""Vector-store search over what was uploaded: each file's text in chunks, scored against
the query by shared word stems (a stand-in for embeddings that a test can reason about:
a chunk sharing no word with the query scores 0 and is not returned), and attribute
filters as the API applies them.
"""

from __future__ import annotations

import math
import re
from typing import Any

from .answers import count_tokens

CHUNK_TOKENS = 800  # the API's default static chunk size
_WORD = re.compile(r"[a-z0-9]+")
_STEM = 5  # letters a word is cut to: "returned" and "return" meet
_COMMON = frozenset(
    "a an and are as at be by can do does for from has have how i in is it its of on or that the this to was what "
    "when where which who why will with you your".split()
)


def stems(text: str) -> set[str]:
    return {word[:_STEM] for word in _WORD.findall(text.lower()) if word not in _COMMON}


def score(query: str, chunk: str) -> float:
    """The cosine of the two texts' stem sets: 1 for the same words, 0 for none shared."""
    wanted, found = stems(query), stems(chunk)
    if not wanted or not found:
        return 0.0
    return round(len(wanted & found) / math.sqrt(len(wanted) * len(found)), 4)


def chunks(text: str) -> list[str]:
    """Paragraphs, joined while they fit in :data:`CHUNK_TOKENS` tokens."""
    out: list[str] = []
    for paragraph in (p.strip() for p in re.split(r"\n\s*\n", text)):
        if not paragraph:
            continue
        if out and count_tokens(out[-1]) + count_tokens(paragraph) <= CHUNK_TOKENS:
            out[-1] += "\n\n" + paragraph
        else:
            out.append(paragraph)
    return out


_COMPARE = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "in": lambda a, b: a in b,
    "nin": lambda a, b: a not in b,
}


def passes(rule: dict[str, Any] | None, attributes: dict[str, Any]) -> bool:
    """Whether a file's attributes pass a comparison filter (``{type: eq, key, value}``)
    or a compound one (``{type: and|or, filters: [...]}``); no filter passes all."""
    if not rule:
        return True
    kind = rule.get("type")
    if kind in ("and", "or"):
        results = (passes(inner, attributes) for inner in rule.get("filters") or [])
        return all(results) if kind == "and" else any(results)
    if rule.get("key") not in attributes:
        return False
    try:
        return bool(_COMPARE[str(kind)](attributes[rule["key"]], rule.get("value")))
    except (KeyError, TypeError):  # an unknown comparison, or values that do not compare
        return False
