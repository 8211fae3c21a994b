"""``kind: upload_and_poll`` — upload local files, then run another operation with their ids.

    helper:
      kind: upload_and_poll
      upload: files.create                  # called once per file
      upload_args: {purpose: assistants}    # fixed payload of each upload
      files_param: files                    # payload key holding the files (paths, bytes, file objects)
      ids_param: file_ids                   # ids of the uploads are appended to this key
      then: vector_stores.file_batches.create_and_poll

Everything but ``files_param`` goes to ``then``. Its payload is validated before the first
upload, so a bad payload uploads nothing. The async client uploads up to
``max_concurrency`` (default 5) files at once.

One file instead of a list: ``file_param: file`` and ``id_param: file_id`` (the new id is
set, not appended), as ``vector_stores.files.upload`` / ``upload_and_poll`` do::

    helper: {kind: upload_and_poll, upload: files.create, upload_args: {purpose: assistants},
             file_param: file, id_param: file_id, then: vector_stores.files.create}
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..specs import Operation
from ..validation import validate
from ..wire import CallOptions


def _plan_one(client: Any, op: Operation, payload: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The single-file form: the file, and the payload of ``then`` (its id set after the upload)."""
    spec = op.helper or {}
    file = payload[spec["file_param"]]
    then_payload = {k: v for k, v in payload.items() if k != spec["file_param"]}
    validate(client.operation(spec["then"]), {**then_payload, spec["id_param"]: "file-pending"}, client.strict, client.validation)
    return file, then_payload


def _plan(client: Any, op: Operation, payload: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    spec = op.helper or {}
    files = list(payload.get(spec["files_param"]) or [])
    then_payload = {k: v for k, v in payload.items() if k not in (spec["files_param"], "max_concurrency")}
    ids = list(then_payload.get(spec["ids_param"]) or [])
    # Validate what `then` will get (with placeholder ids) before anything is uploaded.
    validate(client.operation(spec["then"]), {**then_payload, spec["ids_param"]: ids + ["file-pending"] * len(files)}, client.strict, client.validation)
    then_payload[spec["ids_param"]] = ids
    return files, then_payload


def run(client: Any, op: Operation, payload: dict[str, Any], options: CallOptions) -> Any:
    spec = op.helper or {}
    if "file_param" in spec:
        file, then_payload = _plan_one(client, op, payload)
        uploaded = client.call(spec["upload"], {**spec.get("upload_args", {}), "file": file}, **options.for_inner_calls())
        return client.call(spec["then"], {**then_payload, spec["id_param"]: uploaded["id"]}, **options.for_inner_calls())
    files, then_payload = _plan(client, op, payload)
    for file in files:
        uploaded = client.call(spec["upload"], {**spec.get("upload_args", {}), "file": file}, **options.for_inner_calls())
        then_payload[spec["ids_param"]].append(uploaded["id"])
    return client.call(spec["then"], then_payload, **options.for_inner_calls())


async def arun(client: Any, op: Operation, payload: dict[str, Any], options: CallOptions) -> Any:
    spec = op.helper or {}
    if "file_param" in spec:
        file, then_payload = _plan_one(client, op, payload)
        inner = options.for_inner_calls()
        uploaded = await client.call(spec["upload"], {**spec.get("upload_args", {}), "file": file}, **inner)
        return await client.call(spec["then"], {**then_payload, spec["id_param"]: uploaded["id"]}, **inner)
    files, then_payload = _plan(client, op, payload)
    limit = asyncio.Semaphore(int(payload.get("max_concurrency") or 5))

    async def upload(file: Any) -> str:
        async with limit:
            uploaded = await client.call(spec["upload"], {**spec.get("upload_args", {}), "file": file}, **options.for_inner_calls())
            return uploaded["id"]

    then_payload[spec["ids_param"]] += await asyncio.gather(*(upload(f) for f in files))
    return await client.call(spec["then"], then_payload, **options.for_inner_calls())
