"""The official OpenAPI document: parsed once per file version, read operation by operation."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from oaimap.specs import read_yaml

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def load_document(path: str | Path) -> dict[str, Any]:
    """The parsed document (YAML, or JSON when the name ends in .json); cached per file version."""
    path = Path(path).resolve()
    stat = path.stat()
    return _load_document(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _load_document(path: str, mtime: int, size: int) -> dict[str, Any]:
    if path.endswith(".json"):
        with open(path, "rb") as fh:
            return json.load(fh)
    return read_yaml(Path(path))


@dataclass(frozen=True)
class DocOperation:
    """One operation of the document: its route and its raw OpenAPI object."""

    method: str  # upper case
    path: str
    operation_id: str
    raw: Mapping[str, Any]
    path_item: Mapping[str, Any]

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path

    @property
    def meta(self) -> Mapping[str, Any]:
        return self.raw.get("x-oaiMeta") or {}

    def examples(self) -> list[Mapping[str, Any]]:
        """The x-oaiMeta examples, always as a list of {request, response} objects."""
        found = self.meta.get("examples")
        if isinstance(found, dict):
            return [found]
        return [e for e in found or [] if isinstance(e, dict)]

    @property
    def success_answer(self) -> Mapping[str, Any]:
        """The first 2xx answer the document gives (empty when it gives none)."""
        for code, answer in (self.raw.get("responses") or {}).items():
            if str(code).startswith("2"):
                return answer if isinstance(answer, dict) else {}
        return {}


def operations(doc: Mapping[str, Any]) -> list[DocOperation]:
    """Every operation of the document, in document order."""
    out = []
    for path, item in (doc.get("paths") or {}).items():
        for method in HTTP_METHODS:
            raw = item.get(method)
            if isinstance(raw, dict):
                out.append(DocOperation(method.upper(), path, raw.get("operationId", ""), raw, item))
    return out
