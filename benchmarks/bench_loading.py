"""Lazy spec loading, measured: first call cost with the index vs parsing every family.

    python benchmarks/bench_loading.py [--runs 5] [--write docs/benchmarks.md]

Each sample is a fresh interpreter, so nothing is cached between them; both variants run
interleaved in one session and the ratio is reported.
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


def sample(code: str) -> float:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return float(out.strip())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"import": [], "lazy": [], "eager": []}
    for _ in range(args.runs):
        times["import"].append(sample(IMPORT))
        times["lazy"].append(sample(LAZY))
        times["eager"].append(sample(EAGER))
    med = {k: statistics.median(v) for k, v in times.items()}
    lines = [
        "| `import oaimap` | first `responses.create` validated (lazy) | same after parsing every family (eager) | eager / lazy |",
        "|---|---|---|---|",
        f"| {med['import'] * 1e3:.1f} ms | {med['lazy'] * 1e3:.0f} ms | {med['eager'] * 1e3:.0f} ms | {med['eager'] / med['lazy']:.1f}x |",
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
