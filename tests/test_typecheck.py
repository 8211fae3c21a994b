"""The ``oaimap`` package type-checks cleanly under the ``[tool.mypy]`` settings of
pyproject.toml (what ``mypy oaimap`` runs from the checkout)."""

from __future__ import annotations

from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api")

ROOT = Path(__file__).resolve().parents[1]


def test_oaimap_package_passes_mypy(tmp_path):
    out, err, status = mypy_api.run(
        [
            "--config-file", str(ROOT / "pyproject.toml"),
            "--cache-dir", str(tmp_path / "mypy-cache"),
            "--no-color-output",
            "--show-error-codes",
            str(ROOT / "oaimap"),
        ]
    )
    assert status == 0, f"mypy found problems in oaimap:\n{out}{err}"
