"""A ``map`` run's checkpoint: a JSONL file of finished items, so that a run that was
interrupted (Ctrl-C, a crash, SIGKILL) resumes without sending them again.

The first line names the operation (``{"oaimap_map": "embeddings.create"}``); then one
line per finished item, appended and flushed as it finishes, in the order items finish:
``{"index": 3, "digest": "...", "ok": true, "value": {...}}`` or ``"ok": false`` with
``"error": {"type", "status", "message"}``. ``digest`` is a digest of the item's payload:
a rerun with other input at that index is refused rather than answered with another
input's result. A line cut short by a kill (no newline yet) is dropped and the file
truncated before it, so the next run's lines start clean.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import IO, Any

from .errors import CheckpointError

HEADER = "oaimap_map"


def digest(payload: Any) -> str:
    """A short digest of ``payload`` as JSON with sorted keys (values JSON cannot hold,
    such as a file, by their text)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


class Checkpoint:
    """The records of one checkpoint file, and appending to it."""

    def __init__(self, path: str | os.PathLike[str], operation: str):
        self.path = Path(path)
        self.operation = operation
        self._records: dict[int, dict[str, Any]] = {}
        self._file: IO[str] | None = None

    def open(self) -> None:
        """Read what an earlier run recorded and open the file for appending (made, with
        its header line, when it does not exist)."""
        started = self.path.exists() and self._load()
        self._file = open(self.path, "a", encoding="utf-8")
        if not started:
            self.append({HEADER: self.operation})

    def _load(self) -> bool:
        """Read the records; False when the file holds no complete line yet."""
        data = self.path.read_bytes()
        complete = data[: data.rfind(b"\n") + 1]  # a kill can cut only the last line
        lines = complete.decode("utf-8").splitlines()
        for number, line in enumerate(lines, 1):
            try:
                record = json.loads(line)
            except ValueError:
                raise self._error(f"line {number} is not JSON") from None
            if number == 1:
                if not isinstance(record, dict) or HEADER not in record:
                    raise self._error("it is not a map checkpoint (its first line names no operation)")
                if record[HEADER] != self.operation:
                    raise self._error(f"it records a run of {record[HEADER]}, not of {self.operation}")
            elif isinstance(record, dict) and isinstance(record.get("index"), int) and "digest" in record:
                self._records[record["index"]] = record
            else:
                raise self._error(f"line {number} is not an item record")
        if len(complete) < len(data):
            with open(self.path, "r+b") as file:
                file.truncate(len(complete))
        return bool(lines)

    def recorded(self, index: int, payload_digest: str) -> dict[str, Any] | None:
        """The record of item ``index`` when an earlier run finished it, else None."""
        record = self._records.pop(index, None)
        if record is not None and record["digest"] != payload_digest:
            raise self._error(
                f"item {index} was recorded for another payload: this checkpoint belongs to other input "
                "(give another checkpoint file, or delete this one to start over)"
            )
        return record

    def append(self, record: dict[str, Any]) -> None:
        """Record one finished item (one line, flushed: it survives a kill of the process)."""
        assert self._file is not None, "Checkpoint.open() first"
        try:
            line = json.dumps(record, ensure_ascii=False)
        except (TypeError, ValueError):
            raise self._error(f"the answer of item {record.get('index')} is not JSON, which a checkpoint keeps") from None
        self._file.write(line + "\n")
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _error(self, reason: str) -> CheckpointError:
        return CheckpointError(self.operation, str(self.path), reason)
