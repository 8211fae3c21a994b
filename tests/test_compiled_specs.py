"""Spec files read through their compiled form (``oaimap/compiled.py``), like ``__pycache__``:
used while current, rebuilt when the YAML changes, never in the way."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from oaimap import Client, NotFoundError, SpecError, UnknownOperationError, compiled, specs
from oaimap.specs import SpecRegistry, default_specs_dir, dump_yaml, read_yaml


def _touch_later(path):
    """Make sure the edit shows in the file's mtime whatever the filesystem's resolution."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_the_compiled_form_is_written_then_used(tmp_path, monkeypatch):
    source = tmp_path / "demo.yaml"
    source.write_text("a: [1, 2]\n")
    assert compiled.load(source) == {"a": [1, 2]}
    assert compiled.cache_path(source).is_file()
    monkeypatch.setattr(specs, "read_yaml", lambda path: pytest.fail("the YAML was parsed again"))
    assert compiled.load(source) == {"a": [1, 2]}


def test_an_edited_source_is_read_again(tmp_path):
    source = tmp_path / "demo.yaml"
    source.write_text("a: 1\n")
    compiled.load(source)
    source.write_text("a: 22\n")  # another size
    assert compiled.load(source) == {"a": 22}
    source.write_text("a: 33\n")  # the same size: the mtime tells
    _touch_later(source)
    assert compiled.load(source) == {"a": 33}


def test_a_corrupt_compiled_file_is_ignored_and_rebuilt(tmp_path):
    source = tmp_path / "demo.yaml"
    source.write_text("a: 1\n")
    compiled.load(source)
    compiled.cache_path(source).write_bytes(b"\x00garbage")
    assert compiled.load(source) == {"a": 1}
    assert compiled.load(source) == {"a": 1}


def test_an_unwritable_cache_directory_only_means_reading_yaml(tmp_path):
    source = tmp_path / "demo.yaml"
    source.write_text("a: 1\n")
    (tmp_path / compiled.CACHE_DIR).write_text("a file where the directory would go")
    assert compiled.load(source) == {"a": 1}


@pytest.fixture
def own_specs(tmp_path):
    root = tmp_path / "specs"
    shutil.copytree(default_specs_dir(), root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


NEW_OP = {
    "name": "models.wave", "summary": "A hand-written operation.", "method": "GET", "path": "/models/{model}/wave",
    "returns": "json", "params": {"path": {"model": {"type": "string"}}},
}


def test_an_operation_added_by_editing_yaml_works_on_the_next_client(own_specs, server):
    registry = SpecRegistry(own_specs)
    with Client(api_key="k", base_url=server.url, specs=registry) as client:
        with pytest.raises(UnknownOperationError):
            client.call("models.wave", {"model": "m"})
    family = read_yaml(own_specs / "models.yaml")
    family["operations"].append(NEW_OP)
    (own_specs / "models.yaml").write_text(dump_yaml(family))
    _touch_later(own_specs / "models.yaml")
    with Client(api_key="k", base_url=server.url, specs=registry) as client:  # no codegen run
        assert client.specs.get("models.wave").path == "/models/{model}/wave"
        with pytest.raises(NotFoundError):  # sent; the loopback server has its own specs: no such route
            client.call("models.wave", {"model": "m"})
    assert server.requests[-1].path == "/v1/models/m/wave"
    # Hand-written (no operation_id): outside what the coverage tests count as imported.
    imported = [op for op in registry.operations() if op.operation_id]
    assert len(imported) == len([op for op in SpecRegistry.shared().operations() if op.operation_id])
    assert registry.get("models.wave").operation_id is None


def test_an_edited_operation_takes_effect_on_the_next_client(own_specs):
    registry = SpecRegistry(own_specs)
    Client(api_key="k", specs=registry)
    assert "edited" not in registry.get("models.list").summary
    family = read_yaml(own_specs / "models.yaml")
    family["operations"][0]["summary"] = "An edited summary."
    (own_specs / "models.yaml").write_text(dump_yaml(family))
    _touch_later(own_specs / "models.yaml")
    Client(api_key="k", specs=registry)
    assert registry.get(family["operations"][0]["name"]).summary == "An edited summary."


# -- a family file is checked against the format when compiled, as Python compiles what parses --
def _demo_family(tmp_path: Path, method: str = "GET") -> Path:
    source = tmp_path / "demo.yaml"
    op = {"name": "demo.items.get", "summary": "Get one.", "method": method, "path": "/items",
          "returns": "json"}
    source.write_text(dump_yaml({"family": "demo", "title": "Demo", "summary": "Test.", "operations": [op]}))
    return source


def test_a_compiled_family_was_checked_and_is_not_checked_again(tmp_path, monkeypatch):
    source = _demo_family(tmp_path)
    assert specs.load_family(source)["family"] == "demo"

    def must_not_run(*args):
        raise AssertionError("a current compiled form was checked again")

    monkeypatch.setattr(specs, "check_format", must_not_run)
    assert specs.load_family(source)["family"] == "demo"


def test_a_family_broken_by_hand_fails_and_is_not_compiled(tmp_path):
    source = _demo_family(tmp_path)
    specs.load_family(source)
    _demo_family(tmp_path, method="FETCH")
    _touch_later(source)
    for _ in range(2):  # refused each time: the bad data never reaches the cache
        with pytest.raises(SpecError, match=r"demo\.items\.get: \$\.operations\[0\]\.method"):
            specs.load_family(source)


def test_a_form_compiled_unchecked_is_checked_before_a_family_uses_it(tmp_path):
    source = _demo_family(tmp_path, method="FETCH")
    assert compiled.load(source)["family"] == "demo"  # as the name index reads it: no check
    with pytest.raises(SpecError):
        specs.load_family(source)
