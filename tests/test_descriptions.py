"""Every parameter a caller of the seed's operations (those with ``aliases``), of the
Responses and of the Chat Completions operations sees has a one-line description written
for oaimap, and none is a near copy of the official document's text for it.

The descriptions live in the family files (``description`` beside each parameter's
schema), so the docs site, ``oaimap describe`` and the stubs share them; the importer
keeps them on a refresh and reports the ones still missing in this same scope.
"""

from __future__ import annotations

import difflib
import re
from typing import Any, Mapping

import pytest

from codegen.openapi.convert import param_name
from codegen.openapi.document import load_document, operations
from codegen.openapi.refs import resolve
from codegen.openapi.schemas import body_properties
from oaimap.paramdoc import payload_params
from oaimap.specs import Operation, SpecRegistry

MAX_LENGTH = 160
# A description whose similarity to the document's text (or to one sentence of it) is
# above this is too close to be our own words.
TOO_CLOSE = 0.8


def in_scope(op: Operation) -> bool:
    return bool(op.aliases) or op.name.startswith(("responses.", "beta.responses.", "chat.completions."))


SCOPE = [op for op in SpecRegistry.shared().operations() if in_scope(op)]


def test_the_scope_is_the_seed_responses_and_chat():
    families = {op.family for op in SCOPE}
    assert len(SCOPE) >= 140 and {"files", "runs", "images", "responses", "chat"} <= families
    assert sum(1 for op in SCOPE for _ in payload_params(op)) > 600


@pytest.mark.parametrize("op", SCOPE, ids=lambda op: op.name)
def test_every_parameter_has_a_one_line_description(op):
    problems = []
    for key, location, schema in payload_params(op):
        text = schema.get("description") if isinstance(schema, Mapping) else None
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{location}.{key}: no description")
        elif "\n" in text or len(text) > MAX_LENGTH:
            problems.append(f"{location}.{key}: not one line of at most {MAX_LENGTH} characters")
    assert not problems, f"{op.name}: " + "; ".join(problems)


# -- not the document's words ----------------------------------------------------------------


def _plain(text: str) -> str:
    """Lower case, markdown links reduced to their text, code marks and spacing dropped."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return " ".join(text.replace("`", "").replace("*", "").split()).lower()


def _pieces(text: str) -> list[str]:
    """The document's text as a whole and sentence by sentence (a close copy of one
    sentence of a long description is still a copy)."""
    whole = _plain(text)
    sentences = [s.strip() for s in re.split(r"(?<=[.!?:])\s+|\n+", text) if len(s.strip()) > 15]
    return [whole, *(_plain(s) for s in sentences)]


def _schema_description(doc: Mapping[str, Any], schema: Any, depth: int = 0) -> str | None:
    """The document's description of a parameter schema: its own, its reference target's,
    or that of the first branch that has one."""
    if not isinstance(schema, dict) or depth > 5:
        return None
    if isinstance(schema.get("description"), str):
        return schema["description"]
    target = resolve(doc, schema)
    if target is not schema:
        return _schema_description(doc, target, depth + 1)
    for keyword in ("allOf", "anyOf", "oneOf"):
        for branch in schema.get(keyword) or []:
            found = _schema_description(doc, branch, depth + 1)
            if found:
                return found
    return None


def document_descriptions(doc: Mapping[str, Any], operation_id: str) -> dict[tuple[str, str], str]:
    """(location, key) -> the document's description of that parameter of the operation."""
    dop = next((d for d in operations(doc) if d.operation_id == operation_id), None)
    if dop is None:
        return {}
    found: dict[tuple[str, str], str] = {}
    for param in [*(dop.path_item.get("parameters") or []), *(dop.raw.get("parameters") or [])]:
        param = resolve(doc, param)
        text = param.get("description") or _schema_description(doc, param.get("schema"))
        if text:
            found[(param.get("in", ""), param_name(param["name"]))] = text
    for media in (((dop.raw.get("requestBody") or {}).get("content")) or {}).values():
        props, _ = body_properties(doc, (media or {}).get("schema") or {})
        for key, schema in props.items():
            text = _schema_description(doc, schema)
            if text:
                found.setdefault(("body", key), text)
    return found


def test_descriptions_are_not_the_documents_words(reference_document):
    doc = load_document(reference_document)
    compared, close = 0, []
    for op in SCOPE:
        if not op.operation_id:
            continue
        theirs_by_key = document_descriptions(doc, op.operation_id)
        for key, location, schema in payload_params(op):
            ours = schema.get("description") if isinstance(schema, Mapping) else None
            theirs = theirs_by_key.get((location, key))
            if not ours or not theirs:
                continue
            compared += 1
            ratio = max(difflib.SequenceMatcher(None, _plain(ours), piece).ratio() for piece in _pieces(theirs))
            if ratio > TOO_CLOSE:
                close.append(f"{op.name} {location}.{key} ({ratio:.2f}): {ours!r}")
    assert compared > 400, f"only {compared} descriptions compared: the lookup in the document broke"
    assert not close, "too close to the official document:\n" + "\n".join(close)


def test_the_closeness_check_catches_a_copy(reference_document):
    """The comparison above would notice a description lifted from the document."""
    doc = load_document(reference_document)
    theirs = document_descriptions(doc, "createChatCompletion")[("body", "temperature")]
    first_sentence = re.split(r"(?<=[.!?])\s+", theirs.strip())[0]
    lifted = _plain(first_sentence.replace("What", "Which"))
    assert max(difflib.SequenceMatcher(None, lifted, piece).ratio() for piece in _pieces(theirs)) > TOO_CLOSE
