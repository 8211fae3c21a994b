"""``python -m codegen import-openapi``: idempotent, and what people added survives it."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # codegen/ is not installed; it runs from the checkout
    sys.path.insert(0, str(ROOT))

from codegen.openapi import importer  # noqa: E402
from oaimap.specs import SpecRegistry, build_index, read_yaml  # noqa: E402

SPECS = ROOT / "specs"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.yaml"))}


def import_into(folder: Path, reference: Path) -> importer.Report:
    return importer.Importer(reference, folder).run()


def test_importing_again_changes_nothing(reference_document, tmp_path):
    copy = tmp_path / "specs"
    shutil.copytree(SPECS, copy)
    before = snapshot(copy)
    report = import_into(copy, reference_document)
    assert report.added == [] and report.removed == []
    assert len(report.updated) == 288
    # The checked-in specs hold exactly what the importer produces; a file whose data is
    # unchanged is not rewritten, so hand-written helpers keep their own YAML layout.
    assert snapshot(copy) == before
    assert report.written == []


def test_hand_edits_survive_and_removed_operations_go(reference_document, tmp_path):
    copy = tmp_path / "specs"
    shutil.copytree(SPECS, copy)
    models = read_yaml(copy / "models.yaml")
    listing = next(op for op in models["operations"] if op["operation_id"] == "listModels")
    listing.update(
        name="models.list_all",
        aliases=[*listing.get("aliases", []), "everyModel"],
        summary="Our own words.",
        headers={"X-Team": "blue"},
        example={"request": {}, "response": {"object": "list", "data": []}},
    )
    listing["params"] = {"query": {"stale_param": {"type": "string"}}}  # structure: the importer's
    models["title"] = "Models, hand-titled"
    helper = {"kind": "poll", "poll": "models.retrieve", "poll_args": {"model": "payload.model"}, "until": ["ready"]}
    models["operations"].append({"name": "models.poll_ready", "summary": "A hand-written helper.", "returns": "json", "helper": helper})
    models["operations"].append(
        {"name": "models.gone", "summary": "Removed upstream.", "operation_id": "noLongerThere", "method": "GET", "path": "/gone", "returns": "json"}
    )
    (copy / "models.yaml").write_text(yaml.safe_dump(models, sort_keys=False))

    report = import_into(copy, reference_document)
    assert report.removed == ["models.gone (noLongerThere: no longer in the document)"]
    after = read_yaml(copy / "models.yaml")
    assert after["title"] == "Models, hand-titled"
    kept = next(op for op in after["operations"] if op.get("operation_id") == "listModels")
    assert kept["name"] == "models.list_all"
    assert kept["aliases"] == ["listModels", "everyModel"]
    assert kept["summary"] == "Our own words."
    assert kept["headers"] == {"X-Team": "blue"}
    assert kept["example"] == {"request": {}, "response": {"object": "list", "data": []}}
    assert "params" not in kept  # GET /models takes no parameters: the stale one is gone
    assert [op["name"] for op in after["operations"]][-1] == "models.poll_ready"
    assert next(op for op in after["operations"] if op["name"] == "models.poll_ready")["helper"] == helper

    once = snapshot(copy)
    import_into(copy, reference_document)
    assert snapshot(copy) == once  # idempotent after edits too
    build_index(copy)  # names and aliases are still unique
    assert SpecRegistry(copy).family("models")["models.list_all"].operation_id == "listModels"


def test_an_empty_specs_directory_gets_every_family(reference_document, tmp_path):
    fresh = tmp_path / "specs"
    fresh.mkdir()
    seed = ROOT.parent / "shared" / "seed" / "seed-methods.tsv"
    report = importer.Importer(reference_document, fresh, seed if seed.is_file() else None).run()
    assert len(report.added) == 288
    names = {op["name"] for f in fresh.glob("*.yaml") for op in read_yaml(f)["operations"]}
    assert {op["name"] for f in SPECS.glob("*.yaml") if not f.name.startswith("_") for op in read_yaml(f)["operations"] if "helper" not in op} == names
    assert (fresh / "_schemas" / "common.yaml").is_file()
    # the importer's examples read like real ones: the document's VAR_ placeholders are
    # filled in and synthesized strings are ids, model names, words
    from test_spec_examples import PLACEHOLDER, strings

    found = [
        f"{op['name']}: {text}"
        for f in fresh.glob("*.yaml")
        for op in read_yaml(f)["operations"]
        for _, text in strings(op.get("example"))
        if PLACEHOLDER.search(text)
    ]
    assert found == []


def test_descriptions_survive_a_refresh_and_missing_ones_are_reported(reference_document, tmp_path, capsys):
    copy = tmp_path / "specs"
    shutil.copytree(SPECS, copy)
    chat = read_yaml(copy / "chat.yaml")
    create = next(op for op in chat["operations"] if op["name"] == "chat.completions.create")
    body = create["params"]["body"]
    for key in body:  # start from none, so the report's count is known
        body[key].pop("description", None)
    body["temperature"]["description"] = "How adventurous the wording is."  # an anyOf mapping
    body["model"]["description"] = "Which model answers."  # beside a $ref
    (copy / "chat.yaml").write_text(yaml.safe_dump(chat, sort_keys=False))
    for family, name in (("files", "files.create"), ("responses", "responses.create")):  # none, whatever the specs say
        spec = read_yaml(copy / f"{family}.yaml")
        for param in next(op for op in spec["operations"] if op["name"] == name)["params"]["body"].values():
            param.pop("description", None)
        (copy / f"{family}.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))

    report = import_into(copy, reference_document)
    after = next(op for op in read_yaml(copy / "chat.yaml")["operations"] if op["name"] == "chat.completions.create")
    assert after["params"]["body"]["temperature"]["description"] == "How adventurous the wording is."
    assert after["params"]["body"]["model"] == {"$ref": "_schemas/common.yaml#/ModelIdsShared", "description": "Which model answers."}
    assert after["params"]["body"]["temperature"]["anyOf"] == create["params"]["body"]["temperature"]["anyOf"]
    # parameters of seed-aliased, Responses and Chat Completions operations lacking one
    undescribed = set(report.undescribed)
    assert "chat.completions.create.top_p" in undescribed and "chat.completions.create.temperature" not in undescribed
    assert "chat.completions.create.model" not in undescribed
    assert "responses.create.input" in undescribed and "files.create.purpose" in undescribed  # files.create: seed alias createFile
    assert not any(name.startswith("admin.") for name in undescribed)  # no alias, not Responses/Chat: not asked for
    assert sum(name.startswith("chat.completions.create.") for name in undescribed) == len(body) - 2

    once = snapshot(copy)
    import_into(copy, reference_document)
    assert snapshot(copy) == once  # idempotent with descriptions too
    importer.main([str(reference_document), "--specs", str(copy), "--dry-run"])
    todo = [line for line in capsys.readouterr().out.splitlines() if "todo:" in line]
    assert todo == [f"  todo: {len(undescribed)} parameter(s) still lack a description: " + ", ".join(report.undescribed[:5]) + f" and {len(undescribed) - 5} more"]
