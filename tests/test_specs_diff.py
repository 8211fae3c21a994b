"""``oaimap specs diff``: in sync with the reference; planted changes in a copy are found."""

from __future__ import annotations

import copy
import json
import sys

import pytest

from codegen.openapi import descriptions, drift
from codegen.openapi.document import load_document
from oaimap.cli import main
from oaimap.specs import SpecRegistry


def test_specs_are_in_sync_with_the_reference(reference_document, capsys):
    assert drift.diff(reference_document) == []
    assert main(["specs", "diff", str(reference_document)]) == 0
    out = capsys.readouterr().out
    assert "in sync" in out
    # parameters still lacking a description of our own: a to-do line, not drift
    ops = SpecRegistry.shared().operations()
    gaps = descriptions.summary(descriptions.missing({"name": op.name, "aliases": op.aliases, "params": op.params} for op in ops))
    assert (f"todo: {gaps}" in out.splitlines()) if gaps else "todo:" not in out


@pytest.fixture
def drifted(reference_document, tmp_path):
    """A copy of the reference with one change of each kind, written as JSON."""
    doc = copy.deepcopy(load_document(reference_document))
    paths = doc["paths"]
    items = paths["/responses/{response_id}/input_items"]["get"]["parameters"]
    items.append({"name": "brand_new_filter", "in": "query", "schema": {"type": "string"}})  # param added
    order = next(p for p in items if p["name"] == "order")
    order["schema"]["enum"] = [v for v in order["schema"]["enum"] if v != "asc"]  # enum value removed
    limit = next(p for p in items if p["name"] == "limit")
    limit["schema"] = {"type": "string"}  # type changed
    batches = paths["/batches"]["get"]["parameters"]
    paths["/batches"]["get"]["parameters"] = [p for p in batches if p["name"] != "after"]  # param removed
    del paths["/videos/{video_id}"]["delete"]  # operation removed
    paths["/brand_new_things"] = {"get": {"operationId": "listBrandNewThings", "responses": {"200": {"description": "OK"}}}}
    include = doc["components"]["schemas"]["IncludeEnum"]
    include["enum"] = [*include["enum"], "brand_new.include_value"]  # enum value added in a shared schema
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps(doc, default=str))  # a date in a schema example
    return path


def test_planted_changes_are_found(drifted, capsys):
    lines = drift.diff(drifted)
    assert "+ param responses.input_items.list: query.brand_new_filter (string)" in lines
    assert "- enum responses.input_items.list: query.order: 'asc'" in lines
    assert "~ param responses.input_items.list: query.limit type integer -> string" in lines
    assert "- param batches.list: query.after" in lines
    # without its cursor parameter the list is read as a single page
    assert "~ batches.list: pagination {'input_token': 'after', 'output_token': 'last_id'} -> {'items': 'data'}" in lines
    assert "- operation videos.delete (DELETE /videos/{video_id})" in lines
    assert "+ operation GET /brand_new_things (listBrandNewThings)" in lines
    assert "+ enum IncludeEnum/: 'brand_new.include_value'" in lines
    # IncludeEnum is shared: the operations whose parameters use it see the new value too
    assert "+ enum responses.retrieve: query.include: 'brand_new.include_value'" in lines
    # nothing else moved
    unrelated = [line for line in lines if "brand_new" not in line and "input_items.list" not in line]
    assert sorted(unrelated) == sorted(
        [
            "- param batches.list: query.after",
            "~ batches.list: pagination {'input_token': 'after', 'output_token': 'last_id'} -> {'items': 'data'}",
            "- operation videos.delete (DELETE /videos/{video_id})",
        ]
    )

    assert main(["specs", "diff", str(drifted)]) == 1
    out = capsys.readouterr().out
    assert "difference(s)" in out and "- operation videos.delete" in out


def test_without_a_source_checkout_the_command_says_what_it_needs(monkeypatch, capsys):
    # An installed wheel ships oaimap/ only: no codegen package to import.
    for name in ("codegen", "codegen.openapi", "codegen.openapi.drift"):
        monkeypatch.setitem(sys.modules, name, None)
    assert main(["specs", "diff", "openapi.yaml"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "needs a source checkout" in captured.err and len(captured.err.strip().splitlines()) == 1
