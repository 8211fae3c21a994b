"""Spec files: checked against the format, named errors, lazy loading, a fresh index."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from oaimap import SpecError, SpecRegistry
from oaimap.specs import build_index, dump_yaml

SPECS = Path(__file__).resolve().parents[1] / "specs"


def _write_family(tmp_path: Path, operations: list[dict], family: str = "demo") -> Path:
    (tmp_path / f"{family}.yaml").write_text(
        dump_yaml({"family": family, "title": "Demo", "summary": "Test family.", "operations": operations})
    )
    return tmp_path


OK_OP = {"name": "demo.items.get", "summary": "Get one.", "method": "GET", "path": "/items/{item_id}",
         "returns": "json", "params": {"path": {"item_id": {"type": "string"}}}}


def test_a_bad_spec_names_file_operation_and_json_path(tmp_path):
    bad = dict(OK_OP, method="FETCH")
    _write_family(tmp_path, [bad])
    with pytest.raises(SpecError) as info:
        build_index(tmp_path)
    message = str(info.value)
    assert "demo.yaml" in message and "demo.items.get" in message and "$.operations[0].method" in message


def test_route_fields_must_match_declared_path_params(tmp_path):
    _write_family(tmp_path, [dict(OK_OP, params={})])
    with pytest.raises(SpecError, match=r"\$\.operations\[0\]\.params\.path"):
        build_index(tmp_path)


POLL_OP = {"name": "demo.items.wait", "summary": "Wait for one.", "returns": "json", "params_from": "demo.items.get",
           "helper": {"kind": "poll", "poll": "demo.items.get", "poll_args": {"item_id": "payload.item_id"}, "until": ["done"]}}


@pytest.mark.parametrize(
    "change, where",
    [
        ({"untill": ["done"], "until": None}, "untill"),  # a misspelt setting
        ({"until": None}, "'pending' is a required property"),  # neither until nor pending
        ({"poll_args": {"item_id": "resul.id"}}, "resul.id"),  # a source that is neither payload nor result
        ({"kind": "pol"}, "pol"),  # an unknown kind
    ],
)
def test_helper_settings_are_checked_when_the_spec_loads(tmp_path, change, where):
    # Not after the first request was sent: botocore checks its waiter models the same way.
    helper = {k: v for k, v in {**POLL_OP["helper"], **change}.items() if v is not None}
    _write_family(tmp_path, [OK_OP, dict(POLL_OP, helper=helper)])
    with pytest.raises(SpecError) as info:
        build_index(tmp_path)
    assert "demo.items.wait" in str(info.value) and "helper" in str(info.value)
    assert where in str(info.value)


def test_every_operation_a_helper_names_exists():
    registry = SpecRegistry.shared()
    for op in registry.operations():
        settings = dict(op.helper or {})
        instead = settings.pop("instead", None) or {}
        for key in ("start", "poll", "upload", "then", "operation", "create", "part", "complete"):
            if key in settings:
                registry.get(settings[key])
        if instead:
            registry.get(instead["operation"])


def test_names_and_aliases_are_unique_across_files(tmp_path):
    _write_family(tmp_path, [dict(OK_OP, aliases=["getItem"]), dict(OK_OP, name="demo.items.other", aliases=["getItem"])])
    with pytest.raises(SpecError, match="getItem"):
        build_index(tmp_path)


def test_a_family_is_parsed_only_when_first_used(tmp_path):
    _write_family(tmp_path, [OK_OP])
    registry = SpecRegistry(tmp_path)
    assert registry.index["demo.items.get"] == "demo"
    assert registry._families == {}
    op = registry.get("demo.items.get")
    assert list(registry._families) == ["demo"] and registry.get("demo.items.get") is op


def test_import_oaimap_loads_no_spec_and_no_http_stack():
    code = "import sys, oaimap; print(sorted(m for m in ('httpx', 'jsonschema', 'yaml') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_sync_client_loads_no_asyncio():
    # client.py's note: a sync program never imports asyncio (map, batch and large uploads load theirs on use)
    code = ("import sys; from oaimap import Client; Client(api_key='sk-test').operation('files.create'); "
            "print(sorted(m for m in ('asyncio', 'concurrent.futures', 'oaimap.batching') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_index_is_derived_from_the_spec_files_not_committed():
    # Nothing to regenerate by hand: the index lives in the compiled cache.
    assert not (SPECS / "_index.yaml").exists()
    checked = {name: family for family, names in build_index(SPECS).items() for name in names}
    assert SpecRegistry(SPECS).index == checked


def test_a_new_family_file_is_callable_on_the_next_client(tmp_path):
    _write_family(tmp_path, [OK_OP])
    registry = SpecRegistry(tmp_path)
    assert registry.get("demo.items.get").family == "demo"
    _write_family(tmp_path, [dict(OK_OP, name="other.items.get", path="/others/{item_id}")], family="other")
    registry.refresh()  # what Client() does
    assert registry.get("other.items.get").family == "other"
    (tmp_path / "other.yaml").unlink()
    registry.refresh()
    assert "other.items.get" not in registry.index


def test_every_name_and_alias_from_before_the_sdk_renames_still_resolves():
    """Renames keep the former name in other_names: nothing that worked stops working,
    and each name still reaches the same route, a seed alias still with the seed's shape."""
    registry = SpecRegistry.shared()
    rows = [line.split(": ", 1) for line in (Path(__file__).parent / "data" / "names_before_sdk_parity.txt").read_text().splitlines() if not line.startswith("#")]
    assert len(rows) > 400
    for name, how in rows:
        kind, route = how.split(", ", 1)
        op, via_alias = registry.resolve(name)
        now = f"{op.method} {op.path}" if op.helper is None else f"helper {op.helper['kind']}"
        assert (now, via_alias) == (route, kind == "alias"), name
