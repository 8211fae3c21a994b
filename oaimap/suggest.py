"""Near misses: the known name a mistyped one was meant to be (``temprature`` →
``temperature``, ``maxTokens`` → ``max_tokens``, ``responses.creat`` →
``responses.create``).

A near miss is a slip of the keyboard, not a different word: the same letters after
dropping case, ``_``, ``-`` and ``.``; or one slip (two adjacent letters swapped, one
letter left out or added) in a name of at least five letters; or one letter typed for
another in a name of at least seven; or two slips in a name of at least ten. So a
deliberate new API parameter such as ``top_k`` is not taken for ``top_p``, nor ``speed``
for ``seed``.
"""

from __future__ import annotations

from typing import Iterable


def _folded(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "").replace(".", "")


def _slips(a: str, b: str) -> tuple[int, bool]:
    """The optimal-string-alignment distance of ``a`` and ``b``, and whether any of its
    edits is a substitution (a letter typed for another)."""
    rows = [[(j, False) for j in range(len(b) + 1)]]
    for i in range(1, len(a) + 1):
        row = [(i, False)]
        for j in range(1, len(b) + 1):
            same = a[i - 1] == b[j - 1]
            options = [
                (rows[i - 1][j][0] + 1, rows[i - 1][j][1]),  # a letter added
                (row[j - 1][0] + 1, row[j - 1][1]),  # a letter left out
                (rows[i - 1][j - 1][0] + (not same), rows[i - 1][j - 1][1] or not same),
            ]
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                options.append((rows[i - 2][j - 2][0] + 1, rows[i - 2][j - 2][1]))  # swapped
            row.append(min(options))
        rows.append(row)
    return rows[-1][-1]


def is_near_miss(typed: str, known: str) -> bool:
    if typed == known:
        return False
    if _folded(typed) == _folded(known):
        return True
    shorter = min(len(typed), len(known))
    if abs(len(typed) - len(known)) > 2:
        return False
    distance, substituted = _slips(typed, known)
    if distance == 1:
        return shorter >= (7 if substituted else 5)
    return distance == 2 and shorter >= 10


def near_miss(typed: str, known: Iterable[str]) -> str | None:
    """The one known name ``typed`` is a near miss of; None when there is none, or more
    than one (a guess between two is no help)."""
    found = [name for name in known if is_near_miss(typed, name)]
    return found[0] if len(found) == 1 else None
