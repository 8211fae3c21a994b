"""``kind: chunked_upload`` — upload one file through the Uploads API, part by part.

openai-python's ``uploads.upload_file_chunked``::

    helper:
      kind: chunked_upload
      create: uploads.create          # called once: bytes, filename, mime_type, purpose (+ expires_after)
      part: uploads.parts.create      # called once per part, in order: {upload_id, data}
      complete: uploads.complete      # called once: {upload_id, part_ids (in order), md5}
      part_size: 67108864             # bytes per part (the SDK's 64 MiB); payload part_size overrides

The payload's ``file`` is a path, bytes, an open binary file or a ``(filename, content)``
tuple. ``filename`` defaults to the path's name (required for bytes, as in the SDK),
``bytes`` to the file's size. Parts are cut from the file while it is sent: each part is
a window on the open file that httpx reads in small chunks, so a file is never read into
memory whole, nor even a whole part at once. The parts follow the file's content to its
end (as the SDK reads to EOF); ``bytes`` only goes to the create call. Parts go one at a
time, in order, on both clients (as the SDK does). A payload the create call would refuse
sends nothing.
"""

from __future__ import annotations

import io
import os
from contextlib import closing
from typing import IO, Any, Generator

from ..errors import ValidationError, Violation
from ..forms import FileValue
from ..specs import Operation
from ..validation import validate
from ..wire import CallOptions

DEFAULT_PART_SIZE = 64 * 1024 * 1024
DEFAULT_OPERATIONS = {"create": "uploads.create", "part": "uploads.parts.create", "complete": "uploads.complete"}
CREATE_KEYS = ("bytes", "filename", "mime_type", "purpose", "expires_after")


class FilePart(io.RawIOBase):
    """Bytes ``[start, start + length)`` of an open binary file, as a read-only file.

    ``seek`` / ``tell`` are relative to the window, so httpx finds the part's length
    without reading it and can rewind it for a retry. Closing a part leaves the file
    open: the helper closes it once, at the end."""

    def __init__(self, file: IO[bytes], start: int, length: int, name: str):
        self._file = file
        self._start = start
        self._length = length
        self._pos = 0
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
        self._file.seek(self._start + self._pos)
        data = self._file.read(size)
        self._pos += len(data)
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


class _Source:
    """The file to upload (:class:`~oaimap.forms.FileValue`): its name, its size, its parts."""

    def __init__(self, op: Operation, file: Any, filename: str | None):
        value = FileValue(file)
        self.path, self.data, self.handle = value.path, value.data, value.handle
        if self.data is not None:
            self.size = len(self.data)
        elif self.path is not None:
            self.size = self.path.stat().st_size
        else:  # an open binary file: read from its current position to its end
            self.offset = self.handle.tell()
            self.size = self.handle.seek(0, os.SEEK_END) - self.offset
        name = filename or value.filename
        if not name:
            why = "file is bytes" if self.data is not None else "the file object has no name"
            raise ValidationError(op.name, [Violation("$.filename", f"required when {why}")])
        self.filename: str = name

    def parts(self, part_size: int) -> Generator[Any, None, None]:
        """Each part's content, in order: bytes slices, or windows on the open file."""
        if self.data is not None:
            for start in range(0, self.size, part_size):
                yield self.data[start : start + part_size]
            return
        if self.path is not None:
            handle: IO[bytes] = open(self.path, "rb")
            offset = 0
            size = os.fstat(handle.fileno()).st_size  # to the end, as the SDK reads to EOF
        else:
            assert self.handle is not None
            handle, offset, size = self.handle, self.offset, self.size
        try:
            for start in range(0, size, part_size):
                yield FilePart(handle, offset + start, min(part_size, size - start), self.filename)
        finally:
            if self.path is not None:
                handle.close()


def _operations(op: Operation) -> dict[str, str]:
    """The create / part / complete operations: the spec's, else the Uploads API's."""
    return {step: (op.helper or {}).get(step, name) for step, name in DEFAULT_OPERATIONS.items()}


def _plan(client: Any, op: Operation, payload: dict[str, Any]) -> tuple[_Source, dict[str, Any], int]:
    spec = op.helper or {}
    source = _Source(op, payload["file"], payload.get("filename"))
    part_size = int(payload.get("part_size") or spec.get("part_size", DEFAULT_PART_SIZE))
    create_payload = {k: payload[k] for k in CREATE_KEYS if payload.get(k) is not None}
    create_payload.setdefault("bytes", source.size)
    create_payload["filename"] = source.filename
    validate(client.operation(_operations(op)["create"]), create_payload, client.strict, client.validation)
    return source, create_payload, part_size


def _complete_payload(payload: dict[str, Any], upload_id: str, part_ids: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"upload_id": upload_id, "part_ids": part_ids}
    if payload.get("md5") is not None:
        out["md5"] = payload["md5"]
    return out


def run(client: Any, op: Operation, payload: dict[str, Any], options: CallOptions) -> Any:
    steps = _operations(op)
    source, create_payload, part_size = _plan(client, op, payload)
    inner = options.for_inner_calls()
    upload = client.call(steps["create"], create_payload, **inner)
    part_ids: list[str] = []
    with closing(source.parts(part_size)) as parts:
        for data in parts:
            part_payload = {"upload_id": upload["id"], "data": (source.filename, data)}
            part = client.call(steps["part"], part_payload, **inner)
            part_ids.append(part["id"])
    return client.call(steps["complete"], _complete_payload(payload, upload["id"], part_ids), **inner)


async def arun(client: Any, op: Operation, payload: dict[str, Any], options: CallOptions) -> Any:
    steps = _operations(op)
    source, create_payload, part_size = _plan(client, op, payload)
    inner = options.for_inner_calls()
    upload = await client.call(steps["create"], create_payload, **inner)
    part_ids: list[str] = []
    with closing(source.parts(part_size)) as parts:
        for data in parts:
            part_payload = {"upload_id": upload["id"], "data": (source.filename, data)}
            part = await client.call(steps["part"], part_payload, **inner)
            part_ids.append(part["id"])
    return await client.call(steps["complete"], _complete_payload(payload, upload["id"], part_ids), **inner)
