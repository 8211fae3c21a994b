"""Bracket-style form and query encoding, both ways; the file values of request bodies.

The API reads lists as ``key[]=a&key[]=b`` and objects as ``key[sub]=v`` in query
strings and multipart bodies. ``wire.py`` encodes with :func:`flatten_form` (websocket
handshakes too, through ``wire.endpoint``); ``decode.py`` (the loopback server, codegen's
reader of the OpenAPI document's examples) decodes with :func:`split_key`, :func:`insert`
and :func:`coerce`. :class:`FileValue` reads a file parameter's value, :class:`FilePart`
is a window on an open file (an Upload's part, a counted upload).
"""

from __future__ import annotations

import io
import json
import mimetypes
import os
import re
import threading
from contextlib import nullcontext
from pathlib import Path
from typing import IO, Any, Callable, Iterator

_BRACKETS = re.compile(r"\[([^\]]*)\]")


def is_file_tuple(value: Any) -> bool:
    """``(filename, content[, content_type])``: one file, not a list of values."""
    return isinstance(value, tuple) and 2 <= len(value) <= 3 and isinstance(value[0], str)


def is_file_value(value: Any) -> bool:
    """True for every value oaimap accepts where a file is expected: a path (str or
    ``os.PathLike``), bytes, an open binary file or a file tuple."""
    if isinstance(value, (bytes, bytearray, memoryview, str, os.PathLike)):
        return True
    if is_file_tuple(value):
        return is_file_value(value[1])
    return callable(getattr(value, "read", None))


class FileValue:
    """One file value, read the one way oaimap reads them: a path (str or
    ``os.PathLike``), bytes, an open binary file, or a ``(filename, content[,
    content_type])`` tuple of those. Exactly one of ``path``, ``data`` and ``handle`` is
    set; ``filename`` is the tuple's, else the path's or open file's name, else
    ``default_name`` (None when there is none); ``content_type`` is the tuple's, else
    guessed from the name."""

    def __init__(self, value: Any, default_name: str | None = None):
        filename: str | None = None
        content_type: str | None = None
        if is_file_tuple(value):
            filename, value, *rest = value
            content_type = rest[0] if rest else None
        self.path: Path | None = None
        self.data: bytes | None = None
        self.handle: Any = None
        if isinstance(value, (str, os.PathLike)):
            self.path = Path(value)
            filename = filename or self.path.name
        elif isinstance(value, (bytes, bytearray, memoryview)):
            self.data = bytes(value)
        else:
            self.handle = value
            filename = filename or Path(str(getattr(value, "name", ""))).name or None
        self.filename = filename or default_name
        guessed = mimetypes.guess_type(self.filename)[0] if self.filename else None
        self.content_type = content_type or guessed or "application/octet-stream"


class FilePart(io.RawIOBase):
    """Bytes ``[start, start + length)`` of an open binary file, as a read-only file.

    ``seek`` / ``tell`` are relative to the window, so httpx finds the part's length
    without reading it and can rewind it for a retry. Closing a part leaves the file
    open: its owner closes it. Windows on one file read under ``lock`` when they are read
    from several threads at once. ``on_read(n)`` hears of bytes read past the furthest
    point reached so far: a retry that reads the window again reports nothing twice."""

    def __init__(
        self,
        file: IO[bytes],
        start: int,
        length: int,
        name: str,
        *,
        lock: threading.Lock | None = None,
        on_read: Callable[[int], None] | None = None,
    ):
        self._file = file
        self._start = start
        self._length = length
        self._pos = 0
        self._furthest = 0
        self._lock: Any = lock or nullcontext()
        self._on_read = on_read
        self.name = name

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        remaining = self._length - self._pos
        if size is None or size < 0 or size > remaining:
            size = remaining
        if size <= 0:
            return b""
        with self._lock:
            self._file.seek(self._start + self._pos)
            data = self._file.read(size)
        self._pos += len(data)
        if self._on_read is not None and self._pos > self._furthest:
            self._on_read(self._pos - self._furthest)
            self._furthest = self._pos
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self._length}[whence]
        self._pos = min(max(base + offset, 0), self._length)
        return self._pos

    def tell(self) -> int:
        return self._pos


def is_upload(value: Any) -> bool:
    """A value for a file parameter that is a file (or a list of files), not a JSON reference."""
    if isinstance(value, list):
        return bool(value) and all(is_file_value(item) for item in value)
    return value is not None and is_file_value(value)


def form_text(value: Any) -> str:
    """One value as query / form text: ``true`` / ``false``, JSON for containers."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # `limit: 3.0` is an integer to the schema: send `3`, not `3.0`
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def flatten_form(key: str, value: Any) -> Iterator[tuple[str, Any]]:
    """Bracket-style pairs: ``a[]=1&a[]=2`` for lists, ``m[k]=v`` for objects, None dropped.

    Leaves are yielded as they are (files stay files); pass them to :func:`form_text`.
    """
    if value is None:
        return
    if isinstance(value, dict):
        for sub, item in value.items():
            yield from flatten_form(f"{key}[{sub}]", item)
    elif isinstance(value, (list, tuple)) and not is_file_tuple(value):
        for item in value:
            yield from flatten_form(f"{key}[]", item)
    else:
        yield key, value


def split_key(raw_key: str) -> list[str]:
    """``a[b][]`` -> ``["a", "b", ""]`` (``""`` means "append to a list")."""
    head = raw_key.partition("[")[0]
    return [head, *_BRACKETS.findall(raw_key[len(head):])]


def insert(target: dict[str, Any], parts: list[str], leaf: Any) -> None:
    """Put ``leaf`` at ``parts`` (from :func:`split_key`) inside ``target``."""
    node: Any = target
    for index, part in enumerate(parts[:-1]):
        container: Any = [] if parts[index + 1] == "" else {}
        if isinstance(node, list):
            node.append(container)
            node = container
        else:
            node = node.setdefault(part, container)
    if isinstance(node, list):
        node.append(leaf)
    else:
        node[parts[-1]] = leaf


def coerce(text: str, kinds: set[str]) -> Any:
    """A form or query value (text) as one of the JSON types in ``kinds``."""
    if "string" in kinds or not kinds:
        return text
    if "boolean" in kinds and text in ("true", "false"):
        return text == "true"
    if "integer" in kinds and re.fullmatch(r"-?\d+", text):
        return int(text)
    if "number" in kinds:
        try:
            return float(text)
        except ValueError:
            pass
    if kinds & {"object", "array"}:
        try:
            return json.loads(text)
        except ValueError:
            pass
    if text == "null" and "null" in kinds:
        return None
    return text
