"""The Batch API from the same op specs: ``client.batch.build / submit / wait / results``.

``build`` turns payloads into the JSONL lines the Batch API reads (``custom_id``,
``method``, ``url`` from the op's route, ``body``), each payload validated as
``client.call`` would; ``submit`` splits the lines over the API's per-batch limits,
uploads each part (purpose ``batch``) and creates its batch; ``wait`` polls them with
the ``batches.poll`` helper declared in ``specs/batch.yaml``; ``results`` reads the
output and error files back and accounts for every input: ``ok``, ``error`` or
``missing`` (a batch cancelled or expired before it ran the line).

The decisions (lines, parts, outcomes) are plain functions shared by :class:`Batches`
and :class:`AsyncBatches`, which only do the calls.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from .errors import OaimapError, ValidationError, Violation
from .specs import Operation, json_path
from .validation import validate



class BatchNotAccepted(OaimapError):
    """The Batch API does not run this operation (or not this payload); nothing was sent."""


@dataclass(frozen=True)
class BatchLimits:
    """The API's limits per batch: requests per input file and the file's bytes."""

    max_requests: int = 50_000
    max_bytes: int = 200 * 1024 * 1024


@dataclass
class BatchPart:
    batch_id: str
    input_file_id: str
    custom_ids: list[str]


@dataclass
class BatchJob:
    """What ``submit`` started: plain JSON (``to_json`` / ``from_json``) to keep anywhere."""

    operation: str
    endpoint: str
    parts: list[BatchPart] = field(default_factory=list)

    @property
    def batch_ids(self) -> list[str]:
        return [part.batch_id for part in self.parts]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "BatchJob":
        return cls(data["operation"], data["endpoint"], [BatchPart(**part) for part in data["parts"]])


@dataclass
class BatchOutcome:
    """One input's fate: ``ok`` with the answer's ``body``, ``error`` with its status and
    body, or ``missing`` (its batch ended before running it)."""

    custom_id: str
    status: str
    body: Any = None
    status_code: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


# -- the decisions, shared ---------------------------------------------------------------------
def accepted_endpoints(client: Any) -> list[str]:
    """The routes the Batch API runs: ``batches.create``'s ``endpoint`` enum in the specs."""
    return list(client.operation("batches.create").params_in("body")["endpoint"]["enum"])


def build_lines(client: Any, name: str, payloads: Iterable[Mapping[str, Any]], custom_ids: Sequence[str] | None = None) -> tuple[Operation, list[dict[str, Any]]]:
    op = client.operation(name)
    url = "/v1" + op.route[0]
    accepted = accepted_endpoints(client)
    if op.method != "POST" or url not in accepted:
        raise BatchNotAccepted(f"{op.name}: the Batch API does not run {op.method} {url}; it runs {', '.join(accepted)}")
    items = list(payloads)
    ids = [str(i) for i in custom_ids] if custom_ids is not None else [f"request-{i}" for i in range(len(items))]
    if len(ids) != len(items):
        raise ValidationError(op.name, [Violation("$", f"{len(ids)} custom_ids for {len(items)} payloads")])
    seen: set[str] = set()
    problems: list[Violation] = []
    lines = []
    for index, (payload, custom_id) in enumerate(zip(items, ids)):
        where = f"$[{index}]"
        if custom_id in seen:
            problems.append(Violation(where, f"custom_id {custom_id!r} is used twice"))
        seen.add(custom_id)
        try:
            validate(op, dict(payload), client.strict, client.validation)
        except ValidationError as exc:
            problems += [Violation(where + v.path[1:], f"{v.message} (custom_id {custom_id!r})") for v in exc.violations]
            continue
        if op.stream_param and payload.get(op.stream_param) is True:
            problems.append(Violation(json_path([index, op.stream_param]), "a batch line cannot stream"))
        elsewhere = [k for k in payload if op.location_of.get(k, "body") != "body"]
        files = [k for k in payload if k in op.file_params]
        for key in elsewhere + files:
            problems.append(Violation(json_path([index, key]), "only JSON body values travel in a batch line"))
        lines.append({"custom_id": custom_id, "method": "POST", "url": url, "body": dict(payload)})
    if problems:
        raise ValidationError(op.name, problems)
    return op, lines


def split_lines(lines: list[dict[str, Any]], limits: BatchLimits) -> list[tuple[bytes, list[str]]]:
    """The input files of the batches, in input order, each within the limits."""
    parts: list[tuple[bytes, list[str]]] = []
    chunk: list[bytes] = []
    ids: list[str] = []
    size = 0
    for line in lines:
        data = (json.dumps(line, separators=(",", ":")) + "\n").encode()
        if len(data) > limits.max_bytes:
            raise BatchNotAccepted(f"batch line {line['custom_id']!r} is {len(data)} bytes, over the {limits.max_bytes} a batch file may hold")
        if chunk and (len(chunk) == limits.max_requests or size + len(data) > limits.max_bytes):
            parts.append((b"".join(chunk), ids))
            chunk, ids, size = [], [], 0
        chunk.append(data)
        ids.append(line["custom_id"])
        size += len(data)
    if chunk:
        parts.append((b"".join(chunk), ids))
    return parts


def _entries(content: Any) -> dict[str, Mapping[str, Any]]:
    text = content.decode() if isinstance(content, bytes) else str(content or "")
    entries = (json.loads(line) for line in text.splitlines() if line.strip())
    return {entry["custom_id"]: entry for entry in entries}


def outcomes(job: BatchJob, files: Mapping[str, Any]) -> dict[str, BatchOutcome]:
    """Every input of ``job``, in input order, from the contents of its batches' output and
    error files (``files``: file id -> content; a batch without one lists nothing)."""
    found: dict[str, Mapping[str, Any]] = {}
    for content in files.values():
        found.update(_entries(content))
    result = {}
    for part in job.parts:
        for custom_id in part.custom_ids:
            entry = found.get(custom_id)
            if entry is None:
                result[custom_id] = BatchOutcome(custom_id, "missing")
                continue
            response = entry.get("response") or {}
            code = response.get("status_code")
            ok = entry.get("error") is None and code is not None and 200 <= code < 300
            body = response.get("body") if response else entry.get("error")
            result[custom_id] = BatchOutcome(custom_id, "ok" if ok else "error", body, code)
    return result


def _file_ids(batches: Iterable[Mapping[str, Any]]) -> list[str]:
    return [b[key] for b in batches for key in ("output_file_id", "error_file_id") if b.get(key)]


def _create_payload(file_id: str, endpoint: str, window: str, metadata: Mapping[str, str] | None) -> dict[str, Any]:
    payload: dict[str, Any] = {"input_file_id": file_id, "endpoint": endpoint, "completion_window": window}
    if metadata:
        payload["metadata"] = dict(metadata)
    return payload


def _poll_payload(batch_id: str, poll_interval_ms: int | None, poll_timeout_ms: int | None) -> dict[str, Any]:
    payload: dict[str, Any] = {"batch_id": batch_id}
    if poll_interval_ms is not None:
        payload["poll_interval_ms"] = poll_interval_ms
    if poll_timeout_ms is not None:
        payload["poll_timeout_ms"] = poll_timeout_ms
    return payload


# -- the calls ---------------------------------------------------------------------------------
class _Batches:
    """What ``client.batch`` does the same for both clients: no call is made."""

    def __init__(self, client: Any):
        self._client = client

    def build(self, op: str, payloads: Iterable[Mapping[str, Any]], custom_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
        return build_lines(self._client, op, payloads, custom_ids)[1]

    def _plan(self, op: str, payloads: Iterable[Mapping[str, Any]], custom_ids: Sequence[str] | None,
              limits: BatchLimits) -> tuple[BatchJob, list[tuple[bytes, list[str]]]]:
        """The job to fill, and its batches' input files (the lines split over the limits)."""
        operation, lines = build_lines(self._client, op, payloads, custom_ids)
        return BatchJob(operation.name, "/v1" + operation.route[0]), split_lines(lines, limits)


class Batches(_Batches):
    """``client.batch`` of a :class:`~oaimap.Client`."""

    def submit(self, op: str, payloads: Iterable[Mapping[str, Any]], *, custom_ids: Sequence[str] | None = None,
               completion_window: str = "24h", metadata: Mapping[str, str] | None = None,
               limits: BatchLimits = BatchLimits()) -> BatchJob:
        job, inputs = self._plan(op, payloads, custom_ids, limits)
        for number, (data, ids) in enumerate(inputs):
            file = self._client.call("files.create", {"file": (f"{job.operation}-{number}.jsonl", data), "purpose": "batch"})
            batch = self._client.call("batches.create", _create_payload(file["id"], job.endpoint, completion_window, metadata))
            job.parts.append(BatchPart(batch["id"], file["id"], ids))
        return job

    def status(self, job: BatchJob) -> list[Any]:
        return [self._client.call("batches.retrieve", {"batch_id": batch_id}) for batch_id in job.batch_ids]

    def wait(self, job: BatchJob, *, poll_interval_ms: int | None = None, poll_timeout_ms: int | None = None, progress: Any = None) -> list[Any]:
        """Each batch of ``job`` once it has ended (completed, failed, expired, cancelled)."""
        return [self._client.call("batches.poll", _poll_payload(batch_id, poll_interval_ms, poll_timeout_ms), progress=progress)
                for batch_id in job.batch_ids]

    def results(self, job: BatchJob) -> dict[str, BatchOutcome]:
        files = {file_id: self._client.call("files.content", {"file_id": file_id}) for file_id in _file_ids(self.status(job))}
        return outcomes(job, files)


class AsyncBatches(_Batches):
    """``client.batch`` of an :class:`~oaimap.AsyncClient`: the same, awaited."""

    async def submit(self, op: str, payloads: Iterable[Mapping[str, Any]], *, custom_ids: Sequence[str] | None = None,
                     completion_window: str = "24h", metadata: Mapping[str, str] | None = None,
                     limits: BatchLimits = BatchLimits()) -> BatchJob:
        job, inputs = self._plan(op, payloads, custom_ids, limits)
        for number, (data, ids) in enumerate(inputs):
            file = await self._client.call("files.create", {"file": (f"{job.operation}-{number}.jsonl", data), "purpose": "batch"})
            batch = await self._client.call("batches.create", _create_payload(file["id"], job.endpoint, completion_window, metadata))
            job.parts.append(BatchPart(batch["id"], file["id"], ids))
        return job

    async def status(self, job: BatchJob) -> list[Any]:
        return [await self._client.call("batches.retrieve", {"batch_id": batch_id}) for batch_id in job.batch_ids]

    async def wait(self, job: BatchJob, *, poll_interval_ms: int | None = None, poll_timeout_ms: int | None = None, progress: Any = None) -> list[Any]:
        return [await self._client.call("batches.poll", _poll_payload(batch_id, poll_interval_ms, poll_timeout_ms), progress=progress)
                for batch_id in job.batch_ids]

    async def results(self, job: BatchJob) -> dict[str, BatchOutcome]:
        files = {file_id: await self._client.call("files.content", {"file_id": file_id}) for file_id in _file_ids(await self.status(job))}
        return outcomes(job, files)
