"""Spec loading, measured: the first call's cost from YAML, from the compiled cache, and
after parsing every family.

    python benchmarks/bench_loading.py [--runs 5] [--write docs/benchmarks.md]

Each sample is a fresh interpreter. "From YAML" removes the compiled forms
(``specs/**/__pycache__/*.marshal``, see ``oaimap/compiled.py``) before the sample, as on
a first run; "compiled" finds them current. The variants run interleaved in one session.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

LAZY = """
import time; t = time.perf_counter()
from oaimap.specs import SpecRegistry
from oaimap.validation import validate
op = SpecRegistry().get("responses.create"); validate(op, {"model": "m", "input": "hi"})
print(time.perf_counter() - t)
"""
EAGER = """
import time; t = time.perf_counter()
from oaimap.specs import SpecRegistry
from oaimap.validation import validate
registry = SpecRegistry(); ops = list(registry.operations())
validate(registry.get("responses.create"), {"model": "m", "input": "hi"})
print(time.perf_counter() - t)
"""
IMPORT = "import time; t = time.perf_counter(); import oaimap; print(time.perf_counter() - t)"


def drop_compiled() -> None:
    from oaimap.specs import default_specs_dir

    for path in default_specs_dir().rglob("*.marshal"):  # bundles in __pycache__/bundles/ too
        path.unlink()


def sample(code: str) -> float:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return float(out.strip())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"import": [], "yaml": [], "compiled": [], "eager": []}
    for _ in range(args.runs):
        times["import"].append(sample(IMPORT))
        drop_compiled()
        times["yaml"].append(sample(LAZY))  # reads YAML, writes the compiled forms
        times["compiled"].append(sample(LAZY))
        times["eager"].append(sample(EAGER))
    med = {k: statistics.median(v) for k, v in times.items()}
    lines = [
        "| `import oaimap` | first `responses.create` validated, from YAML | same, compiled cache current | compiled / YAML | after parsing every family (compiled) |",
        "|---|---|---|---|---|",
        f"| {med['import'] * 1e3:.1f} ms | {med['yaml'] * 1e3:.0f} ms | {med['compiled'] * 1e3:.0f} ms "
        f"| {med['compiled'] / med['yaml']:.2f}x | {med['eager'] * 1e3:.0f} ms |",
    ]
    print("\n".join(lines))
    if args.write:
        with open(args.write, "a", encoding="utf-8") as out:
            out.write(
                f"\n### Spec loading ({time.strftime('%Y-%m-%d')}, fresh interpreter per sample, "
                f"median of {args.runs})\n\n" + "\n".join(lines) + "\n"
            )


if __name__ == "__main__":
    main()
