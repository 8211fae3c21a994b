"""Every parameter of the listed families has a one-line description in our own words.

The descriptions live in the family files (``description`` beside each parameter's
schema), so the docs site, ``oaimap describe`` and the stubs share them. They are written
for oaimap: none may equal or closely follow the official document's text for the same
parameter. Widen ``FAMILIES`` as more families get their descriptions.
"""

from __future__ import annotations

import difflib
import re
import sys
from pathlib import Path
from typing import Any, Iterator, Mapping

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # codegen/ is not installed; it runs from the checkout
    sys.path.insert(0, str(ROOT))

from codegen.openapi.convert import param_name  # noqa: E402
from codegen.openapi.document import load_document, operations  # noqa: E402
from codegen.openapi.refs import resolve  # noqa: E402
from codegen.openapi.schemas import body_properties  # noqa: E402
from oaimap.specs import read_yaml  # noqa: E402

FAMILIES = ("responses", "chat")
SPECS = ROOT / "specs"
MAX_LENGTH = 160
# A description whose similarity to the document's text (or to one sentence of it) is
# above this is too close to be our own words.
TOO_CLOSE = 0.8


def declared_params(family: str) -> Iterator[tuple[Mapping[str, Any], str, str, Any]]:
    """(operation, location, key, schema) for each parameter an operation declares itself
    (parameters taken with ``params_from`` are described where they are declared)."""
    for op in read_yaml(SPECS / f"{family}.yaml")["operations"]:
        for location, params in (op.get("params") or {}).items():
            for key, schema in params.items():
                yield op, location, key, schema


OPERATIONS = [
    pytest.param(family, op["name"], id=op["name"])
    for family in FAMILIES
    for op in read_yaml(SPECS / f"{family}.yaml")["operations"]
    if op.get("params")
]


@pytest.mark.parametrize("family,name", OPERATIONS)
def test_every_parameter_has_a_one_line_description(family, name):
    problems = []
    for op, location, key, schema in declared_params(family):
        if op["name"] != name:
            continue
        text = schema.get("description") if isinstance(schema, dict) else None
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{location}.{key}: no description")
        elif "\n" in text:
            problems.append(f"{location}.{key}: more than one line")
        elif len(text) > MAX_LENGTH:
            problems.append(f"{location}.{key}: {len(text)} characters (at most {MAX_LENGTH})")
    assert not problems, f"{name}: " + "; ".join(problems)


def test_the_families_declare_parameters():
    """Guards the test above against passing on nothing (a renamed family file)."""
    counts = {family: sum(1 for _ in declared_params(family)) for family in FAMILIES}
    assert all(counts.values()), counts


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
    for family in FAMILIES:
        theirs_by_op: dict[str, dict[tuple[str, str], str]] = {}
        for op, location, key, schema in declared_params(family):
            ours = schema.get("description") if isinstance(schema, dict) else None
            operation_id = op.get("operation_id")
            if not ours or not operation_id:
                continue
            if operation_id not in theirs_by_op:
                theirs_by_op[operation_id] = document_descriptions(doc, operation_id)
            theirs = theirs_by_op[operation_id].get((location, key))
            if not theirs:
                continue
            compared += 1
            mine = _plain(ours)
            ratio = max(difflib.SequenceMatcher(None, mine, piece).ratio() for piece in _pieces(theirs))
            if ratio > TOO_CLOSE:
                close.append(f"{op['name']} {location}.{key} ({ratio:.2f}): {ours!r}")
    assert compared > 100, f"only {compared} descriptions compared: the lookup in the document broke"
    assert not close, "too close to the official document:\n" + "\n".join(close)


def test_the_closeness_check_catches_a_copy(reference_document):
    """The comparison above would notice a description lifted from the document."""
    doc = load_document(reference_document)
    theirs = document_descriptions(doc, "createChatCompletion")[("body", "temperature")]
    first_sentence = re.split(r"(?<=[.!?])\s+", theirs.strip())[0]
    lifted = _plain(first_sentence.replace("What", "Which"))
    assert max(difflib.SequenceMatcher(None, lifted, piece).ratio() for piece in _pieces(theirs)) > TOO_CLOSE
