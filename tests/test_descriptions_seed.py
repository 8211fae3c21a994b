"""Every payload key of the seed's operations (those with ``aliases``) outside chat and
responses carries a one-line description written for oaimap, and none of them is a near
copy of the official document's description of the same parameter.

Chat and responses are checked by tests/test_descriptions.py. The keys checked are the
ones a caller sees (``params_from`` included), as ``describe`` and the docs show them.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator, Mapping

import pytest

from codegen.openapi.document import load_document, operations
from oaimap.specs import PARAM_LOCATIONS, Operation, SpecRegistry

ELSEWHERE = ("chat.yaml", "responses.yaml")  # their descriptions: tests/test_descriptions.py
MAX_LENGTH = 160
MAX_SIMILARITY = 0.8


def _seed_operations() -> list[Operation]:
    return [
        op
        for op in SpecRegistry.shared().operations()
        if op.aliases and op.source is not None and op.source.name not in ELSEWHERE
    ]


SEED_OPERATIONS = _seed_operations()


def _params(op: Operation) -> Iterator[tuple[str, str, Any]]:
    for location in PARAM_LOCATIONS:
        for key, schema in op.params_in(location).items():
            yield location, key, schema


def test_the_scope_is_the_seed_outside_chat_and_responses():
    families = {op.source.name for op in SEED_OPERATIONS if op.source is not None}
    assert len(SEED_OPERATIONS) >= 100 and {"files.yaml", "runs.yaml", "images.yaml"} <= families
    assert not families & set(ELSEWHERE)


@pytest.mark.parametrize("op", SEED_OPERATIONS, ids=lambda op: op.name)
def test_every_parameter_has_a_one_line_description(op: Operation):
    problems = []
    for location, key, schema in _params(op):
        text = schema.get("description") if isinstance(schema, Mapping) else None
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{location} {key}: no description")
        elif "\n" in text or len(text) > MAX_LENGTH:
            problems.append(f"{location} {key}: not one line of at most {MAX_LENGTH} characters")
    assert not problems, f"{op.name} ({op.source and op.source.name}): " + "; ".join(problems)


# -- not a copy of the official document ----------------------------------------------------------
def _normal(text: str) -> str:
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # markdown links: keep the words
    return " ".join(text.replace("`", "").lower().split())


def _sentences(text: str) -> list[str]:
    """The whole text and each of its sentences: a copied sentence counts as a copy."""
    whole = _normal(text)
    return [whole, *(s for s in re.split(r"(?<=[.!?])\s+", whole) if s)]


@lru_cache(maxsize=1)
def _document_descriptions(path: Path) -> dict[str, dict[str, str]]:
    """operationId -> parameter name -> the document's description of it (body
    properties through ``allOf`` and ``$ref``; a property without its own text takes its
    referenced schema's)."""
    doc = load_document(path)

    def deref(node: Any) -> Any:
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            target: Any = doc
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            node = target
        return node

    def properties(schema: Any, out: dict[str, Any]) -> dict[str, Any]:
        schema = deref(schema)
        for part in schema.get("allOf", []):
            properties(part, out)
        out.update(schema.get("properties") or {})
        return out

    found: dict[str, dict[str, str]] = {}
    for doc_op in operations(doc):
        texts: dict[str, str] = {}
        for raw in [*(doc_op.path_item.get("parameters") or []), *(doc_op.raw.get("parameters") or [])]:
            param = deref(raw)
            text = param.get("description") or deref(param.get("schema") or {}).get("description")
            if text:
                texts[param["name"].removesuffix("[]")] = text
        body = deref(doc_op.raw.get("requestBody") or {})
        for media in (body.get("content") or {}).values():
            for key, schema in properties(media.get("schema") or {}, {}).items():
                text = schema.get("description") or deref(schema).get("description")
                if text:
                    texts.setdefault(key, text)
        found[doc_op.operation_id] = texts
    return found


def test_the_lookup_finds_the_documents_descriptions(reference_document):
    described = _document_descriptions(reference_document)
    assert described["listFiles"]["after"] and described["createFile"]["purpose"]
    assert described["createThreadAndRun"]["temperature"]


@pytest.mark.parametrize("op", [op for op in SEED_OPERATIONS if op.operation_id], ids=lambda op: op.name)
def test_no_description_copies_the_official_one(op: Operation, reference_document):
    theirs = _document_descriptions(reference_document).get(op.operation_id or "", {})
    close = []
    for location, key, schema in _params(op):
        ours = schema.get("description") if isinstance(schema, Mapping) else None
        if not isinstance(ours, str) or key not in theirs:
            continue
        mine = _normal(ours)
        score = max(difflib.SequenceMatcher(None, mine, sentence).ratio() for sentence in _sentences(theirs[key]))
        if score > MAX_SIMILARITY:
            close.append(f"{location} {key} ({score:.2f}): {ours!r}")
    assert not close, f"{op.name}: too close to the official document's words: " + "; ".join(close)
