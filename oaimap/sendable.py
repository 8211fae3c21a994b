"""What JSON Schema cannot say: values that cannot travel at all.

A schema says ``number``; it does not say that NaN has no JSON form, that a lone
surrogate cannot be encoded as UTF-8, or that a CR in a header value would split the
request. These checks run before the schema (a payload nested thousands deep would
exhaust the schema validator's recursion) over the whole payload, declared keys and
unknown keys alike, and report each problem with its JSON path like the validator.

The limits are oaimap's own; ``docs/reliability.md`` lists them.
"""

from __future__ import annotations

import math
import os
import re
from typing import Any, Iterator, Mapping

from .errors import Violation
from .specs import Operation, json_path

MAX_NESTING = 64  # containers inside containers; the API's own schemas need far fewer
MAX_INT = 2**63 - 1  # integers beyond 64 bits are refused (or silently rounded) by servers
MAX_PATH_PARAM = 1024  # characters of one path parameter (ids are far shorter)

TOO_DEEP = f"nested deeper than {MAX_NESTING} levels"
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")  # what an HTTP header value may hold


def header_problem(value: str) -> str | None:
    """Why ``value`` cannot be an HTTP header value, or None."""
    if _HEADER_VALUE.fullmatch(value):
        return None
    if re.search(r"[\x00-\x1f\x7f]", value):
        return "header value contains a control character (CR, LF, NUL...)"
    return "header value must be ASCII"


def problems(op: Operation, payload: Mapping[str, Any]) -> list[Violation]:
    """Every unsendable value of ``payload`` (a dict), with its path."""
    found: list[Violation] = []
    for key, value in payload.items():
        if not isinstance(key, str):
            found.append(Violation("$", f"payload keys must be strings, got {type(key).__name__} {key!r}"))
            continue
        location = op.location_of.get(key, "body")
        if location == "path" and len(str(value)) > MAX_PATH_PARAM:
            found.append(Violation(json_path([key]), f"path parameter longer than {MAX_PATH_PARAM} characters"))
            continue
        if location == "header":
            for text in value if isinstance(value, list) else [value]:
                reason = header_problem(str(text)) if isinstance(text, (str, int, float)) else None
                if reason:
                    found.append(Violation(json_path([key]), reason))
        # A helper (polling, webhook) runs locally: what it sends goes through a call of its own.
        files_allowed = key in op.file_params or op.helper is not None
        found.extend(_walk([key], value, files_allowed))
    return found


def extra_body_problems(extra_body: Mapping[str, Any]) -> list[Violation]:
    """Unsendable values of the ``extra_body`` call option (paths ``$extra_body.key``)."""
    return [
        Violation("$extra_body" + v.path[1:], v.message)
        for key, value in extra_body.items()
        for v in _walk([key], value, files_allowed=False)
    ]


def extra_header_problems(extra_headers: Mapping[str, Any]) -> list[Violation]:
    """Header names and values of the ``extra_headers`` call option that cannot be sent."""
    found = []
    for name, value in extra_headers.items():
        path = f"$extra_headers.{name}"
        if not isinstance(name, str) or not re.fullmatch(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+", name):
            found.append(Violation(path, "not a valid header name"))
        elif not isinstance(value, str):
            found.append(Violation(path, f"header value must be a string, got {type(value).__name__}"))
        elif (reason := header_problem(value)) is not None:
            found.append(Violation(path, reason))
    return found


def _is_file(value: Any) -> bool:
    if isinstance(value, (bytes, bytearray, memoryview, os.PathLike)):
        return True
    if isinstance(value, tuple) and 2 <= len(value) <= 3 and isinstance(value[0], str):
        return True
    return callable(getattr(value, "read", None))


def _walk(start: list[Any], value: Any, files_allowed: bool) -> Iterator[Violation]:
    """Depth-first over one top-level value, without recursion (depth is what we check)."""
    stack: list[tuple[list[Any], Any, int]] = [(start, value, 0)]
    while stack:
        path, item, depth = stack.pop()
        if isinstance(item, (dict, list)) or (isinstance(item, tuple) and not _is_file(item)):
            if depth >= MAX_NESTING:
                yield Violation(json_path(path), TOO_DEEP)
                continue
            if isinstance(item, dict):
                for key, sub in item.items():
                    if not isinstance(key, str):
                        yield Violation(json_path(path), f"object keys must be strings, got {type(key).__name__}")
                        continue
                    stack.append(([*path, key], sub, depth + 1))
            else:
                stack.extend(([*path, index], sub, depth + 1) for index, sub in enumerate(item))
            continue
        reason = _leaf_problem(item, files_allowed)
        if reason:
            yield Violation(json_path(path), reason)


def _leaf_problem(value: Any, files_allowed: bool) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        if value.isascii():
            return None
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "string holds a lone surrogate (not valid Unicode text)"
        return None
    if isinstance(value, int):
        return None if -MAX_INT - 1 <= value <= MAX_INT else "integer outside the 64-bit range"
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{value} has no JSON form (numbers must be finite)"
    if files_allowed and _is_file(value):
        return None
    return f"a {type(value).__name__} cannot be sent here (JSON values only)"
