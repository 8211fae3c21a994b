"""Regenerate every generated file from specs/: ``python -m codegen [--check]``.

With ``--check`` nothing is written; the exit code is 1 when a file is stale.
``python -m codegen import-openapi PATH [--seed TSV]`` creates / updates specs/*.yaml
from the official OpenAPI document (see codegen/openapi/importer.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import docs, stubs

ROOT = Path(__file__).resolve().parent.parent
GENERATORS = (docs, stubs)


def generated_files(root: Path = ROOT) -> dict[Path, str]:
    """Every generated file and its expected content."""
    files: dict[Path, str] = {}
    for generator in GENERATORS:
        files.update(generator.render(root / "specs"))
    return files


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["import-openapi"]:  # python -m codegen import-openapi PATH [--seed TSV]
        from .openapi import importer

        return importer.main(argv[1:], root=ROOT)
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__)
    parser.add_argument("--check", action="store_true", help="report stale files, write nothing")
    args = parser.parse_args(argv)
    stale = []
    for path, content in generated_files().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == content:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
    for path in stale:
        print(("stale: " if args.check else "wrote: ") + str(path.relative_to(ROOT)))
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
