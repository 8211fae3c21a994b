"""``kind: chunked_upload`` — upload one file through the Uploads API, in parts.

openai-python's ``uploads.upload_file_chunked``::

    helper:
      kind: chunked_upload
      create: uploads.create          # called once: bytes, filename, mime_type, purpose (+ expires_after)
      part: uploads.parts.create      # called once per part: {upload_id, data}
      complete: uploads.complete      # called once: {upload_id, part_ids (in order), md5}
      part_size: 67108864             # bytes per part (the API's most, 64 MiB); payload part_size overrides

The payload's ``file`` is a path, bytes, an open binary file or a ``(filename, content)``
tuple. ``filename`` defaults to the path's name (required for bytes, as in the SDK),
``bytes`` to the file's size. Parts are cut from the file while it is sent: each part is
a window on the open file (:class:`~oaimap.forms.FilePart`) that httpx reads in small
chunks, so neither the file nor a part is ever in memory whole. Up to ``max_concurrency``
parts (default 4) travel at once: threads over the sync client, tasks on the async one.
``complete`` gets the part ids in file order and the file's md5 (the payload's ``md5``, or
computed while the parts travel). A payload the create call would refuse sends nothing.

A part whose call fails after the client's retries stops the upload: parts not yet
started are not sent, those in flight finish, and :class:`~oaimap.errors.UploadIncompleteError`
says which parts landed. Its ``resume_state``, given back as the payload's ``resume`` with
the same file, sends only the missing parts, then completes the same Upload.

An operation with ``large_file: {over: N, via: <this helper's operation>}`` (``files.create``)
hands a file over N bytes to this helper (:func:`is_large`, :func:`run_instead`) and answers
with the File the completed Upload holds. With ``progress=``, a ``parts`` event reports the
file bytes sent so far out of the file's size, its status the parts landed (``3/5 parts``).
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Iterator, Mapping

from ..errors import OaimapError, UploadIncompleteError, ValidationError, Violation
from ..forms import FilePart, FileValue, is_file_value
from ..meta import attach
from ..progress import Tracker
from ..specs import Operation
from ..validation import validate
from ..wire import CallOptions

if TYPE_CHECKING:
    from concurrent.futures import Future

DEFAULT_PART_SIZE = 64 * 1024 * 1024
DEFAULT_CONCURRENCY = 4  # parts in flight; each holds a window, not its bytes
HASH_CHUNK = 1024 * 1024
DEFAULT_OPERATIONS = {"create": "uploads.create", "part": "uploads.parts.create", "complete": "uploads.complete"}
CREATE_KEYS = ("bytes", "filename", "mime_type", "purpose", "expires_after")
MIME_TYPES = {".jsonl": "text/jsonl"}  # types the standard library's mimetypes does not know


def _size(value: FileValue) -> int:
    """Bytes to send: the whole of bytes or a path; an open file from where it stands
    (left where it stands)."""
    if value.data is not None:
        return len(value.data)
    if value.path is not None:
        return value.path.stat().st_size
    at = value.handle.tell()
    end = value.handle.seek(0, os.SEEK_END)
    value.handle.seek(at)
    return int(end - at)


class _Source:
    """The file to upload: its name, its size, windows on it and its md5."""

    def __init__(self, op: Operation, file: Any, filename: str | None):
        value = FileValue(file)
        self.path, self.data, self.handle = value.path, value.data, value.handle
        self.offset = 0 if self.handle is None else self.handle.tell()
        self.size = _size(value)
        name = filename or value.filename
        if not name:
            why = "file is bytes" if self.data is not None else "the file object has no name"
            raise ValidationError(op.name, [Violation("$.filename", f"required when {why}")])
        self.filename: str = name
        self.lock = threading.Lock()  # windows on one handle read from several threads

    @contextmanager
    def opened(self) -> Iterator[IO[bytes]]:
        """The file, open for the windows; a path is closed afterwards, a caller's file is not."""
        if self.path is not None:
            with open(self.path, "rb") as handle:
                yield handle
        else:
            yield io.BytesIO(self.data) if self.data is not None else self.handle

    def window(self, handle: IO[bytes], start: int, length: int, tracker: Tracker | None) -> FilePart:
        on_read = None if tracker is None else tracker.advance
        return FilePart(handle, self.offset + start, length, self.filename, lock=self.lock, on_read=on_read)

    def md5(self, handle: IO[bytes]) -> str:
        digest = hashlib.md5()
        whole = self.window(handle, 0, self.size, None)
        for chunk in iter(lambda: whole.read(HASH_CHUNK), b""):
            digest.update(chunk)
        return digest.hexdigest()


@dataclass
class _Plan:
    """One upload: where it stands (``part_ids`` by index, None until a part lands)."""

    op: Operation
    source: _Source
    part_size: int
    concurrency: int
    create: dict[str, Any] | None  # None when resuming
    upload_id: str | None
    part_ids: list[str | None]
    md5: str | None  # the caller's

    def length(self, index: int) -> int:
        return min(self.part_size, self.source.size - index * self.part_size)

    def missing(self, handle: IO[bytes], tracker: Tracker | None) -> list[tuple[int, FilePart]]:
        return [
            (i, self.source.window(handle, i * self.part_size, self.length(i), tracker))
            for i, part in enumerate(self.part_ids)
            if part is None
        ]

    def landed(self, tracker: Tracker | None, amount: int = 0) -> None:
        if tracker is not None:
            done = sum(part is not None for part in self.part_ids)
            tracker.advance(amount, f"{done}/{len(self.part_ids)} parts")

    def part_payload(self, window: FilePart) -> dict[str, Any]:
        return {"upload_id": self.upload_id, "data": (self.source.filename, window)}

    def complete_payload(self, md5: str) -> dict[str, Any]:
        return {"upload_id": self.upload_id, "part_ids": self.part_ids, "md5": md5}

    def incomplete(self, failure: BaseException) -> UploadIncompleteError:
        assert self.upload_id is not None
        return UploadIncompleteError(
            self.op.name, self.upload_id, list(self.part_ids), self.part_size, self.source.size, str(failure)
        )


def _operations(op: Operation) -> dict[str, str]:
    """The create / part / complete operations: the spec's, else the Uploads API's."""
    return {step: (op.helper or {}).get(step, name) for step, name in DEFAULT_OPERATIONS.items()}


def _plan(client: Any, op: Operation, payload: dict[str, Any]) -> _Plan:
    source = _Source(op, payload["file"], payload.get("filename"))
    concurrency = int(payload.get("max_concurrency") or DEFAULT_CONCURRENCY)
    resume = payload.get("resume")
    if resume is not None:
        part_size = int(resume["part_size"])
        count = math.ceil(source.size / part_size)
        if resume["bytes"] != source.size or len(resume["part_ids"]) != count:
            why = (
                f"made for {resume['bytes']} bytes in {len(resume['part_ids'])} part(s); this file has "
                f"{source.size} bytes, {count} part(s) of {part_size}: resume with the file the Upload began with"
            )
            raise ValidationError(op.name, [Violation("$.resume", why)])
        return _Plan(op, source, part_size, concurrency, None, resume["upload_id"], list(resume["part_ids"]), payload.get("md5"))
    part_size = int(payload.get("part_size") or (op.helper or {}).get("part_size", DEFAULT_PART_SIZE))
    create_payload = {k: payload[k] for k in CREATE_KEYS if payload.get(k) is not None}
    create_payload.setdefault("bytes", source.size)
    create_payload["filename"] = source.filename
    validate(client.operation(_operations(op)["create"]), create_payload, client.strict, client.validation)
    count = math.ceil(source.size / part_size)
    return _Plan(op, source, part_size, concurrency, create_payload, None, [None] * count, payload.get("md5"))


def _start(op: Operation, plan: _Plan, options: CallOptions) -> tuple[dict[str, str], dict[str, Any], Tracker | None]:
    """The step operations, the options of each inner call (their own progress is this
    helper's to report), and the progress tracker with the landed parts counted."""
    inner = {**options.for_inner_calls(), "progress": None}
    tracker = None
    if options.progress is not None:
        tracker = Tracker(options.progress, op.name, "parts", "bytes", plan.source.size)
        plan.landed(tracker, sum(plan.length(i) for i, part in enumerate(plan.part_ids) if part is not None))
    return _operations(op), inner, tracker


def run(client: Any, op: Operation, payload: dict[str, Any], options: CallOptions) -> Any:
    plan = _plan(client, op, payload)
    steps, inner, tracker = _start(op, plan, options)
    if plan.upload_id is None:
        plan.upload_id = client.call(steps["create"], plan.create, **inner)["id"]
    stop = threading.Event()  # set by the first part that fails: the parts not started stay missing

    def send(window: FilePart) -> str | None:
        if stop.is_set():
            return None
        try:
            return client.call(steps["part"], plan.part_payload(window), **inner)["id"]
        except BaseException:
            stop.set()
            raise

    from concurrent.futures import ThreadPoolExecutor  # here: the client imports this module, a sync one needs no pool

    with plan.source.opened() as handle:
        todo = plan.missing(handle, tracker)
        with ThreadPoolExecutor(max_workers=max(1, min(plan.concurrency, len(todo)))) as pool:
            futures = {pool.submit(send, window): index for index, window in todo}
            md5 = plan.md5 if plan.md5 is not None else plan.source.md5(handle)  # on this thread, while the parts travel
            failure = _collect(plan, futures, tracker)
    if failure is not None:
        raise plan.incomplete(failure) from failure
    try:
        return client.call(steps["complete"], plan.complete_payload(md5), **inner)
    except OaimapError as exc:
        failure = exc
    raise plan.incomplete(failure) from failure


def _collect(plan: _Plan, futures: Mapping[Future[str | None], int], tracker: Tracker | None) -> BaseException | None:
    """Each part's id as it lands (None: called off); the first failure, or None."""
    from concurrent.futures import as_completed

    failure: BaseException | None = None
    for future in as_completed(futures):
        try:
            part_id = future.result()
        except Exception as exc:  # noqa: BLE001 - the Upload's error says, with exc as its cause
            failure = failure or exc
            continue
        if part_id is not None:
            plan.part_ids[futures[future]] = part_id
            plan.landed(tracker)
    return failure


async def arun(client: Any, op: Operation, payload: dict[str, Any], options: CallOptions) -> Any:
    import asyncio  # here: the client imports this module, and a sync program never needs asyncio

    plan = _plan(client, op, payload)
    steps, inner, tracker = _start(op, plan, options)
    if plan.upload_id is None:
        plan.upload_id = (await client.call(steps["create"], plan.create, **inner))["id"]
    failures: list[BaseException] = []
    limit = asyncio.Semaphore(plan.concurrency)

    async def send(index: int, window: FilePart) -> None:
        async with limit:
            if failures:  # called off: it stays missing
                return
            try:
                part = await client.call(steps["part"], plan.part_payload(window), **inner)
            except Exception as exc:  # noqa: BLE001 - the Upload's error says, with exc as its cause
                failures.append(exc)
                return
            plan.part_ids[index] = part["id"]
            plan.landed(tracker)

    with plan.source.opened() as handle:
        sending = asyncio.gather(*(send(i, w) for i, w in plan.missing(handle, tracker)))
        md5 = plan.md5 if plan.md5 is not None else await asyncio.to_thread(plan.source.md5, handle)  # while the parts travel
        await sending
    if failures:
        raise plan.incomplete(failures[0]) from failures[0]
    try:
        return await client.call(steps["complete"], plan.complete_payload(md5), **inner)
    except OaimapError as exc:
        failure = exc
    raise plan.incomplete(failure) from failure


# -- an operation's large files (``large_file:``) -------------------------------------------
def _file_key(op: Operation) -> str:
    return sorted(op.file_params)[0]


def is_large(op: Operation, payload: Any) -> bool:
    """Whether the file in ``payload`` is over the operation's ``large_file.over`` bytes.
    A value that is not a file, or whose size cannot be read, is not: the plain call
    reports it."""
    assert op.large_file is not None
    value = payload.get(_file_key(op)) if isinstance(payload, Mapping) else None
    if value is None or not is_file_value(value):
        return False
    try:
        size = _size(FileValue(value))
    except (OSError, AttributeError, ValueError):
        return False
    return size > int(op.large_file["over"])


def _instead(client: Any, op: Operation, payload: dict[str, Any]) -> tuple[Operation, dict[str, Any]]:
    """The helper operation and its payload for ``op``'s (validated) payload: the file,
    its purpose and expiry, a MIME type from its name."""
    assert op.large_file is not None
    value = payload[_file_key(op)]
    file = FileValue(value)
    mime = file.content_type
    if mime == "application/octet-stream" and file.filename:
        mime = MIME_TYPES.get(Path(file.filename).suffix.lower(), mime)
    chunked = {"file": value, "mime_type": mime, "purpose": payload.get("purpose")}
    if payload.get("expires_after") is not None:
        chunked["expires_after"] = payload["expires_after"]
    return client.operation(op.large_file["via"]), chunked


def run_instead(client: Any, op: Operation, payload: dict[str, Any], options: CallOptions) -> Any:
    """``op`` for a large file: the File of the completed Upload, with the complete call's meta."""
    via, chunked = _instead(client, op, payload)
    upload = run(client, via, chunked, options)
    return attach(upload.get("file"), upload.meta)


async def arun_instead(client: Any, op: Operation, payload: dict[str, Any], options: CallOptions) -> Any:
    via, chunked = _instead(client, op, payload)
    upload = await arun(client, via, chunked, options)
    return attach(upload.get("file"), upload.meta)
