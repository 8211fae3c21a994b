"""Side-by-side cost of oaimap's pipeline against a bare httpx call, in one run.

    python benchmarks/bench_dispatch.py [--calls 2000] [--write docs/benchmarks.md]

Both sides send the same request to the same loopback server over one keep-alive
connection; the ratio (oaimap / httpx) is what matters, absolute times on a shared
machine are noise. A third column times validation + request building alone (no I/O).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

import httpx

from oaimap import Client
from oaimap.server import LoopbackServer
from oaimap.validation import validate
from oaimap.wire import CallOptions

PAYLOAD = {"model": "gpt-4.1-mini", "input": "hello", "temperature": 0.2, "metadata": {"k": "v"}}


def _time(fn, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def measure(calls: int, rounds: int = 5) -> dict[str, float]:
    with LoopbackServer() as server:
        client = Client(api_key="sk-bench", base_url=server.url)
        raw = httpx.Client()
        url = server.url + "/responses"
        headers = {"Authorization": "Bearer sk-bench"}
        op = client.specs.get("responses.create")
        options = CallOptions()

        def oaimap_call():
            client.call("responses.create", PAYLOAD)

        def httpx_call():
            raw.post(url, json=PAYLOAD, headers=headers).json()

        def build_only():
            validate(op, PAYLOAD)
            client._builder.build(client._http, op, PAYLOAD, options)

        oaimap_call(), httpx_call(), build_only()  # warm up: specs, validators, connections
        results: dict[str, list[float]] = {"oaimap": [], "httpx": [], "build": []}
        for _ in range(rounds):  # interleaved so both sides see the same machine load
            results["oaimap"].append(_time(oaimap_call, calls))
            results["httpx"].append(_time(httpx_call, calls))
            results["build"].append(_time(build_only, calls))
        raw.close()
        client.close()
    return {k: statistics.median(v) for k, v in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--write", type=Path, help="append a result table to this markdown file")
    args = parser.parse_args()
    r = measure(args.calls)
    ratio = r["oaimap"] / r["httpx"]
    lines = [
        f"| oaimap call | bare httpx call | ratio | validate + build only |",
        f"|---|---|---|---|",
        f"| {r['oaimap'] * 1e6:.0f} µs | {r['httpx'] * 1e6:.0f} µs | {ratio:.2f}x | {r['build'] * 1e6:.0f} µs |",
    ]
    print("\n".join(lines))
    if args.write:
        stamp = time.strftime("%Y-%m-%d")
        with open(args.write, "a", encoding="utf-8") as out:
            out.write(
                f"\n### responses.create over loopback ({stamp}, Python {platform.python_version()}, "
                f"{args.calls} calls x 5 rounds, medians)\n\n" + "\n".join(lines) + "\n"
            )


if __name__ == "__main__":
    main()
