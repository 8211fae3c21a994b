"""The wheel ships the specs' compiled forms (``hatch_build.py``): an installed oaimap
answers its first call from them, with no YAML parsed and no schema bundled, although
the installer gave every file a new time (the forms are checked by content digest)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True,
    )
    (wheel,) = out.glob("oaimap-*.whl")
    target = out / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)  # as an installer does: every file gets the time of now
    return target


def test_the_wheel_holds_the_compiled_specs_and_no_codegen(installed):
    cache = installed / "oaimap" / "_specs" / "__pycache__"
    assert (cache / "bundles").is_dir() and any(cache.glob("responses.yaml.*.marshal"))
    assert not (installed / "codegen").exists()
    assert not list(installed.rglob("*openapi*.py")) and not list(installed.rglob("drift.py"))


def test_an_installed_oaimap_answers_its_first_call_from_them(installed):
    cache = installed / "oaimap" / "_specs" / "__pycache__"
    before = {path: path.stat().st_mtime_ns for path in cache.rglob("*.marshal")}
    code = (
        "import sys\n"
        "from oaimap.specs import SpecRegistry, default_specs_dir\n"
        "from oaimap.validation import validate\n"
        "assert 'site' in str(default_specs_dir()), default_specs_dir()\n"
        "op = SpecRegistry.shared().get('responses.create')\n"
        "validate(op, {'model': 'gpt-4.1-mini', 'input': 'hi', 'tools': [{'type': 'function', 'name': 'f', 'parameters': {}}]})\n"
        "print(sorted(m for m in ('yaml', 'jsonschema', 'referencing') if m in sys.modules))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(installed)}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=installed, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"  # nothing parsed from YAML, nothing bundled, no reference validator
    after = {path: path.stat().st_mtime_ns for path in cache.rglob("*.marshal")}
    assert after == before  # used as shipped, not rewritten


def test_the_installed_oaimap_command_lists_operations_and_says_the_docs_site_is_not_shipped(installed, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(installed)}

    def oaimap(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "oaimap", *args], env=env, cwd=tmp_path, capture_output=True, text=True)

    docs = oaimap("docs")  # the site is built in a checkout (docs/site/), not shipped
    assert docs.returncode == 2 and docs.stdout == "" and "source checkout" in docs.stderr, docs.stderr
    assert len(docs.stderr.splitlines()) == 1  # one line, no traceback
    listed = oaimap("ops", "files")
    assert listed.returncode == 0 and listed.stdout.startswith("files.list ")
