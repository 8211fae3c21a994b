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
import re
from typing import Any, Mapping

from .errors import Violation
from .forms import is_file_value, is_upload
from .specs import Operation, json_path

MAX_NESTING = 64  # containers inside containers; the API's own schemas need far fewer
MAX_INT = 2**63 - 1  # integers beyond 64 bits are refused (or silently rounded) by servers
MAX_PATH_PARAM = 1024  # characters of one path parameter (ids are far shorter)

TOO_DEEP = f"nested deeper than {MAX_NESTING} levels"
_NOWHERE = "unknown parameter, and this operation sends no body to carry it (a query parameter newer than the specs goes in extra_query=)"
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")  # what an HTTP header value may hold


def header_problem(value: str) -> str | None:
    """Why ``value`` cannot be an HTTP header value, or None."""
    if _HEADER_VALUE.fullmatch(value):
        return None
    if re.search(r"[\x00-\x1f\x7f]", value):
        return "header value contains a control character (CR, LF, NUL...)"
    return "header value must be ASCII"


def check(op: Operation, payload: Mapping[str, Any]) -> tuple[list[Violation], bool]:
    """Every unsendable value of ``payload`` (a dict), with its path; and whether the
    payload is plain JSON data (dicts with str keys, lists, str, int, float, bool, None),
    the only values the fast path's validator reads exactly as the reference does (it
    would take a tuple for an array)."""
    found: list[Violation] = []
    plain = True
    form_body = op.encoding == "multipart" or (
        op.encoding == "auto" and any(k in op.file_params and is_upload(v) for k, v in payload.items())
    )
    for key, value in payload.items():
        reason = _key_problem(key, bracketed=False)
        if reason:
            found.append(Violation("$", reason))
            continue
        location = op.location_of.get(key, "body")
        if location == "body" and op.encoding == "none" and op.helper is None:
            found.append(Violation(json_path([key]), _NOWHERE))
            continue
        if location == "path" and isinstance(value, str) and len(value) > MAX_PATH_PARAM:
            found.append(Violation(json_path([key]), f"path parameter longer than {MAX_PATH_PARAM} characters"))
            continue
        if location == "header":
            for text in value if isinstance(value, list) else [value]:
                reason = header_problem(text) if isinstance(text, str) else None
                if reason:
                    found.append(Violation(json_path([key]), reason))
        # A helper (polling, webhook) runs locally: what it sends goes through a call of its own.
        files_allowed = key in op.file_params or op.helper is not None
        bracketed = location == "query" or (location == "body" and form_body)
        plain = _walk([key], value, files_allowed, bracketed, found) and plain
    return found, plain


def extra_body_problems(extra_body: Mapping[str, Any]) -> list[Violation]:
    """Unsendable values of the ``extra_body`` call option (paths ``$extra_body.key``)."""
    found: list[Violation] = []
    for key, value in extra_body.items():
        _walk([key], value, False, False, found)
    return [Violation("$extra_body" + v.path[1:], v.message) for v in found]


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



def _walk(start: list[Any], value: Any, files_allowed: bool, bracketed: bool, found: list[Violation]) -> bool:
    """Depth-first over one top-level value, without recursion (depth is what we check),
    adding each problem to ``found``; True when everything met was plain JSON data.

    ``bracketed``: the value travels as ``key[sub][]=...`` pairs (a query string, a
    multipart form), where an object key that is empty or holds a bracket would be read
    back as something else. Paths are kept as ``(parent, key)`` links and spelled out
    only for a problem.
    """
    plain = True
    stack: list[tuple[Any, Any, int]] = [((None, start), value, 0)]
    while stack:
        link, item, depth = stack.pop()
        if item is None or isinstance(item, (str, int, float)):
            reason = _leaf_problem(item, files_allowed)
        elif isinstance(item, (dict, list)) or (isinstance(item, tuple) and not is_file_value(item)):
            plain = plain and not isinstance(item, tuple)
            if depth >= MAX_NESTING:
                found.append(Violation(json_path(_spell(link)), TOO_DEEP))
                continue
            if isinstance(item, dict):
                for key, sub in item.items():
                    reason = _key_problem(key, bracketed)
                    if reason:
                        found.append(Violation(json_path(_spell(link)), reason))
                        continue
                    stack.append(((link, key), sub, depth + 1))
            else:
                stack.extend(((link, index), sub, depth + 1) for index, sub in enumerate(item))
            continue
        else:
            plain = False
            reason = _leaf_problem(item, files_allowed)
        if reason:
            found.append(Violation(json_path(_spell(link)), reason))
    return plain


def _spell(link: tuple[Any, Any]) -> list[Any]:
    """The path a ``(parent, key)`` link stands for (the root link holds the start path)."""
    keys: list[Any] = []
    while link[0] is not None:
        link, key = link
        keys.append(key)
    return [*link[1], *reversed(keys)]


def _key_problem(key: Any, bracketed: bool) -> str | None:
    if key.__class__ is str and key.isascii() and not bracketed:  # the usual key: nothing to check
        return None
    if not isinstance(key, str):
        return f"object keys must be strings, got {type(key).__name__}"
    if _text_problem(key):
        return f"object key {key!r} holds a lone surrogate (not valid Unicode text)"
    if bracketed and (not key or "[" in key or "]" in key):
        return f"object key {key!r} cannot travel in a query string or form (empty, or holds a bracket)"
    return None


def _text_problem(text: str) -> bool:
    """True when ``text`` cannot be encoded as UTF-8 (a lone surrogate)."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _leaf_problem(value: Any, files_allowed: bool) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        return "string holds a lone surrogate (not valid Unicode text)" if _text_problem(value) else None
    if isinstance(value, int):
        return None if -MAX_INT - 1 <= value <= MAX_INT else "integer outside the 64-bit range"
    if isinstance(value, float):
        if not math.isfinite(value):
            return f"{value} has no JSON form (numbers must be finite)"
        return None if abs(value) <= MAX_INT else "number outside the 64-bit range"
    if files_allowed and is_file_value(value):
        if isinstance(value, tuple) and any(isinstance(part, str) and _text_problem(part) for part in value):
            return "file name or content type holds a lone surrogate"
        if isinstance(value, tuple) and len(value) == 3 and isinstance(value[2], str) and header_problem(value[2]):
            return f"content type {value[2]!r} cannot be sent: {header_problem(value[2])}"
        return None
    return f"a {type(value).__name__} cannot be sent here (JSON values only)"
