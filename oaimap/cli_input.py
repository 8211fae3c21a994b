"""The payload an ``oaimap call`` command line describes: ``--data`` and ``--set``.

``--data`` gives a whole JSON object (inline, ``@file`` or ``-`` for stdin); each
``--set KEY=VALUE`` then sets one key of it. A value is JSON when it parses as JSON
(``0.2``, ``true``, ``{"a": "b"}``), else the text itself; ``"..."`` forces a string.
A dotted key sets a nested value (``text.format.type=json_object``). ``@PATH`` hands a
file parameter the file itself (streamed from disk); any other key gets the file's
text, read by the same rule as a value.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO

from .errors import OaimapError
from .specs import Operation


class CommandLineError(OaimapError):
    """A command line oaimap cannot act on (unreadable JSON, a missing file, a malformed
    ``--set``); the message names the option, and the operation where there is one."""


def build_payload(op: Operation, data: str | None, assignments: list[str], stdin: TextIO) -> dict[str, Any]:
    """The payload for ``op`` from ``--data`` (or ``{}``) with every ``--set`` applied in order."""
    payload = read_data(op, data, stdin) if data is not None else {}
    for assignment in assignments:
        key, value = parse_assignment(op, assignment)
        set_nested(op, payload, key, value, assignment)
    return payload


def read_data(op: Operation, source: str, stdin: TextIO) -> dict[str, Any]:
    """``--data``: a JSON object given inline, as ``@file`` or as ``-`` (stdin)."""
    if source == "-":
        text, where = stdin.read(), "--data - (stdin)"
    elif source.startswith("@"):
        text, where = _read_text(op, source[1:], f"--data {source}"), f"--data {source}"
    else:
        text, where = source, "--data"
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise CommandLineError(f"{op.name}: {where}: not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise CommandLineError(f"{op.name}: {where}: must be a JSON object, not {type(value).__name__}")
    return value


def parse_assignment(op: Operation, assignment: str) -> tuple[list[str], Any]:
    """``KEY=VALUE`` as (key path, value)."""
    key, equals, text = assignment.partition("=")
    parts = key.split(".")
    if not equals or not all(parts):
        raise CommandLineError(f"{op.name}: --set {assignment!r}: expected KEY=VALUE (KEY may be dotted: a.b.c)")
    if text.startswith("@"):
        return parts, _file_value(op, parts, text[1:], assignment)
    return parts, _value(text)


def set_nested(op: Operation, payload: dict[str, Any], parts: list[str], value: Any, assignment: str) -> None:
    """Set ``payload[a][b]...[z] = value``, making the objects on the way."""
    target = payload
    for depth, part in enumerate(parts[:-1]):
        inner = target.setdefault(part, {})
        if not isinstance(inner, dict):
            where = ".".join(parts[: depth + 1])
            raise CommandLineError(f"{op.name}: --set {assignment!r}: {where} is already {json.dumps(inner)}, not an object")
        target = inner
    target[parts[-1]] = value


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _file_value(op: Operation, parts: list[str], path: str, assignment: str) -> Any:
    if len(parts) == 1 and parts[0] in op.file_params:
        file = Path(path)
        if not file.is_file():
            raise CommandLineError(f"{op.name}: --set {assignment}: no such file: {path}")
        return file
    return _value(_read_text(op, path, f"--set {assignment}"))


def _read_text(op: Operation, path: str, option: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CommandLineError(f"{op.name}: {option}: cannot read {path}: {reason}") from None
