"""The fast path (``oaimap/fastpath.py``) answers exactly as the reference validator.

jsonschema (``oaimap.validators``) is the reference; the fast path is jsonschema-rs on a
bundled copy of each operation's payload schema. A "yes" from the fast path is final, so
it must never accept what the reference refuses; a "no" costs only time, but every one
on a valid payload is a slow call, so the two must agree both ways. Checked here on
payloads generated from every operation's own schema (valid ones and mutated ones, from
``tests/fuzz_support.py``), in lenient and strict mode and at the ``shape`` level, and on
the hand-picked cases of oaimap's ``oneOf`` rule.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import fuzz_support
from oaimap import ValidationError, compiled, fastpath, sendable
from oaimap.specs import SpecRegistry, default_specs_dir
from oaimap.validation import validate, violations

REGISTRY = SpecRegistry.shared()
ALL_OPS = sorted(REGISTRY.operations(), key=lambda op: op.name)
FAST_OPS = [op for op in ALL_OPS if fastpath.bundled_schema(op, False) is not None]
AGREEMENT = settings(
    max_examples=int(os.environ.get("OAIMAP_FASTPATH_EXAMPLES", "20")),
    derandomize=True,  # the same payloads every run: a disagreement reproduces
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.large_base_example],
)


def _verdicts(op, payload: dict[str, Any], strict: bool, shape: bool = False) -> tuple[bool, bool] | None:
    """(fast, reference) for a payload the fast path is asked about, else None."""
    unsendable, plain = sendable.check(op, payload)
    if unsendable or not plain:
        return None  # refused before any schema, or not for the fast path (validate() skips it)
    return fastpath.is_valid(op, payload, strict, shape), not violations(op, payload, strict, shape)


def test_most_operations_have_a_fast_path():
    # Only operations taking files (the reference checks paths on disk) go without.
    without = {op.name for op in ALL_OPS} - {op.name for op in FAST_OPS}
    assert all(op.file_params or op.helper for op in ALL_OPS if op.name in without)
    assert len(FAST_OPS) >= 0.85 * len(ALL_OPS)


@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize("op", FAST_OPS, ids=[op.name for op in FAST_OPS])
def test_fast_path_agrees_with_the_reference(op):
    asked = []

    @AGREEMENT
    @given(case=fuzz_support.payloads(op))
    def run(case: tuple[str, dict[str, Any]]) -> None:
        for strict, shape in ((False, False), (True, False), (False, True)):
            verdicts = _verdicts(op, case[1], strict, shape)
            if verdicts is not None:
                asked.append(verdicts)
                fast, reference = verdicts
                assert fast == reference, f"{op.name} strict={strict} shape={shape}: fast={fast}, reference={reference} for {case[1]!r}"

    run()
    assert asked, f"{op.name}: no generated payload reached the fast path"


# -- the oneOf rule ("give either A or B, not both"), written in plain JSON Schema -------------
BOTH = {"vector_store_ids": ["vs_abc123"], "vector_stores": [{"file_ids": ["file-abc123"]}]}


@pytest.mark.parametrize(
    "name, payload, valid",
    [
        ("beta.assistants.create", {"model": "m", "tool_resources": {"file_search": BOTH}}, False),
        ("beta.assistants.create", {"model": "m", "tool_resources": {"file_search": {"vector_store_ids": ["v"]}}}, True),
        ("beta.assistants.create", {"model": "m", "tool_resources": {"file_search": {"vector_stores": [{}]}}}, True),
        ("beta.assistants.create", {"model": "m", "tool_resources": {"file_search": {}}}, False),
        ("beta.assistants.create", {"model": "m", "tool_resources": None}, True),
        ("vector_stores.file_batches.create", {"vector_store_id": "vs_1"}, False),
        ("vector_stores.file_batches.create", {"vector_store_id": "vs_1", "file_ids": ["f"]}, True),
        # free text next to an enum, integer next to number: overlaps the rule lets pass
        ("responses.create", {"model": "gpt-4.1-mini", "input": [{"role": "user", "content": "hi"}]}, True),
        ("responses.create", {"model": "gpt-4.1-mini", "input": "hi", "max_output_tokens": 50}, True),
        ("responses.create", {"model": "gpt-4.1-mini", "input": "hi", "max_output_tokens": 5}, False),
        ("responses.create", {"model": 5, "input": "hi"}, False),
        # path segments
        ("responses.retrieve", {"response_id": "resp_1"}, True),
        ("responses.retrieve", {"response_id": ".."}, False),
        ("responses.retrieve", {"response_id": ""}, False),
    ],
)
@pytest.mark.parametrize("strict", [False, True])
def test_hand_picked_cases_agree(name, payload, valid, strict):
    op = REGISTRY.get(name)
    assert _verdicts(op, payload, strict) == (valid, valid)


def test_unknown_keys_pass_only_outside_strict_mode():
    op = REGISTRY.get("responses.create")
    payload = {"model": "m", "input": "hi", "new_knob": 1}
    assert _verdicts(op, payload, strict=False) == (True, True)
    assert _verdicts(op, payload, strict=True) == (False, False)


def test_a_tuple_is_not_taken_for_an_array():
    # jsonschema-rs reads a tuple as an array; the reference does not: validate() must
    # ask the reference for anything that is not plain JSON data.
    op = REGISTRY.get("responses.create")
    payload = {"model": "m", "input": "hi", "include": ("reasoning.encrypted_content",)}
    assert sendable.check(op, payload) == ([], False)
    with pytest.raises(ValidationError) as info:
        validate(op, payload)
    assert info.value.paths == ["$.include"]


def test_operations_taking_files_have_no_fast_path():
    op = REGISTRY.get("files.create")
    assert fastpath.bundled_schema(op, False) is None
    assert fastpath.is_valid(op, {"file": b"x", "purpose": "batch"}, False) is False


# -- the bundle lives in the compiled cache and follows its sources -------------------------------
def test_a_bundle_is_rebuilt_when_a_shared_schema_it_reached_changes(tmp_path):
    specs = tmp_path / "specs"
    shutil.copytree(default_specs_dir(), specs, ignore=shutil.ignore_patterns("__pycache__"))
    registry = SpecRegistry(specs)
    op = registry.get("responses.create")
    payload = {"model": "gpt-4.1-mini", "input": "hi", "reasoning": {"effort": "low"}}
    assert fastpath.bundled_schema(op, False) is not None
    cached = compiled.derived_path(specs, "bundles/responses.create")
    assert cached.is_file()
    _, sources, _ = compiled._read(cached, 3)
    reached = {path for path, _ in sources}
    assert "_schemas/responses.yaml" in reached  # relative: the cache travels with the specs

    # Tighten a reached schema by hand: the next bundle (a new registry, as on the next
    # Client()) refuses what the old one accepted, with no command run in between.
    source = specs / "_schemas" / "responses.yaml"
    text = source.read_text()
    assert "\nReasoning:" in text
    source.write_text(text.replace("\nReasoning:\n", "\nReasoning:\n  maxProperties: 0\n", 1))
    fresh = SpecRegistry(specs).get("responses.create")
    assert fastpath.is_valid(fresh, payload, False) is False
    assert violations(fresh, payload) != []


def test_a_bundle_copied_elsewhere_with_new_times_stays_valid(tmp_path):
    # An installer resets file times: the digests still match, nothing is rebuilt.
    specs = tmp_path / "specs"
    shutil.copytree(default_specs_dir(), specs, ignore=shutil.ignore_patterns("__pycache__"))
    op = SpecRegistry(specs).get("responses.create")
    fastpath.bundled_schema(op, False)
    cached = compiled.derived_path(specs, "bundles/responses.create")
    moved = tmp_path / "moved"
    shutil.copytree(specs, moved)
    for path in (moved / "_schemas").glob("*.yaml"):
        os.utime(path, ns=(1, 1))
    moved_cache = compiled.derived_path(moved, "bundles/responses.create")
    before = moved_cache.stat().st_mtime_ns
    assert fastpath.bundled_schema(SpecRegistry(moved).get("responses.create"), False) is not None
    assert moved_cache.stat().st_mtime_ns == before
    assert cached.read_bytes() == moved_cache.read_bytes()


def test_the_first_valid_call_needs_no_jsonschema_nor_yaml(tmp_path):
    # The reference is imported only when the fast path says no; with the compiled cache
    # current, neither YAML nor $ref resolution is needed either.
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from oaimap.validation import validate\n"
        "from oaimap.specs import SpecRegistry\n"
        "validate(SpecRegistry.shared().get('responses.create'), {'model': 'm', 'input': 'hi'})\n"
        "print(sorted(m for m in ('jsonschema', 'referencing', 'yaml') if m in sys.modules))\n"
    )
    fastpath.bundled_schema(REGISTRY.get("responses.create"), False)  # the cache is current
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
