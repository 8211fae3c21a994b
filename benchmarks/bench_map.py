"""``client.map`` measured: 10,000 ``embeddings.create`` items, 64 in flight, beside the
same work with openai-python's ``AsyncOpenAI`` and an ``asyncio.Semaphore(64)``.

    python benchmarks/bench_map.py [--items 10000] [--rounds 3] [--write docs/benchmarks.md]

The server is ``benchmarks/peer.py`` (aiohttp, its own process; one 256-float embedding
per answer), not the simulator: the simulator is a thread-per-connection server that, at
64 in flight, spends more CPU per request than either client and would flatten the ratio.
Each sample is a fresh interpreter; the rounds interleave the contenders. Measured per
sample: items per second (wall clock over the whole run) and the client process's CPU
time per item (``time.process_time``: what the client itself burns, the peer excluded).
Every item must succeed, or the sample fails.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

CONCURRENCY = 64
PAYLOAD = "{'model': 'text-embedding-3-small', 'input': f'row {i}', 'encoding_format': 'float'}"

# Each program gets URL and ITEMS and prints "items_per_second cpu_seconds_per_item".
PROGRAMS = {
    "oaimap map": f"""
from oaimap import AsyncClient
async def main():
    async with AsyncClient(api_key='k', base_url=URL) as c:
        rows = ({PAYLOAD} for i in range(ITEMS))
        return sum([r.ok async for r in c.map('embeddings.create', rows, concurrency={CONCURRENCY})])
""",
    "oaimap map (aiohttp backend)": f"""
from oaimap import AsyncClient
async def main():
    async with AsyncClient(api_key='k', base_url=URL, http_backend='aiohttp') as c:
        rows = ({PAYLOAD} for i in range(ITEMS))
        return sum([r.ok async for r in c.map('embeddings.create', rows, concurrency={CONCURRENCY})])
""",
    # The engine's own cost: the same calls without map, as the openai-python row makes them.
    "oaimap call + Semaphore (aiohttp backend)": f"""
from oaimap import AsyncClient
async def main():
    async with AsyncClient(api_key='k', base_url=URL, http_backend='aiohttp') as c:
        sem = asyncio.Semaphore({CONCURRENCY})
        async def one(i):
            async with sem:
                return await c.call('embeddings.create', {PAYLOAD})
        return len(await asyncio.gather(*(one(i) for i in range(ITEMS))))
""",
    "openai-python + Semaphore": f"""
import openai
async def main():
    async with openai.AsyncOpenAI(api_key='k', base_url=URL) as c:
        sem = asyncio.Semaphore({CONCURRENCY})
        async def one(i):
            async with sem:
                return await c.embeddings.create(**{PAYLOAD})
        return len(await asyncio.gather(*(one(i) for i in range(ITEMS))))
""",
}

HARNESS = """
import asyncio, time
{program}
t, cpu = time.perf_counter(), time.process_time()
done = asyncio.run(main())
wall, cpu = time.perf_counter() - t, time.process_time() - cpu
assert done == ITEMS, f"{{done}} of {{ITEMS}} items succeeded"
print(ITEMS / wall, cpu / ITEMS)
"""


def sample(program: str, url: str, items: int) -> tuple[float, float]:
    code = f"URL = {url!r}; ITEMS = {items}\n" + HARNESS.format(program=program)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"a benchmark sample failed:\n{code}\n{out.stderr[-2000:]}")
    rate, cpu = out.stdout.split()
    return float(rate), float(cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    peer = subprocess.Popen([sys.executable, str(Path(__file__).with_name("peer.py"))], stdout=subprocess.PIPE, text=True)
    try:
        url = peer.stdout.readline().strip() if peer.stdout else ""
        rates: dict[str, list[float]] = {name: [] for name in PROGRAMS}
        cpus: dict[str, list[float]] = {name: [] for name in PROGRAMS}
        for _ in range(args.rounds):
            for name, program in PROGRAMS.items():
                rate, cpu = sample(program, url, args.items)
                rates[name].append(rate)
                cpus[name].append(cpu)
    finally:
        peer.terminate()
        peer.wait(10)
    rate = {name: statistics.median(values) for name, values in rates.items()}
    cpu = {name: statistics.median(values) for name, values in cpus.items()}
    baseline = "openai-python + Semaphore"
    lines = ["| contender | items/s | client CPU per item | items/s vs openai-python | CPU vs openai-python |", "|---|---|---|---|---|"]
    for name in PROGRAMS:
        lines.append(
            f"| {name} | {rate[name]:.0f} | {cpu[name] * 1e6:.0f} µs | {rate[name] / rate[baseline]:.2f}x | {cpu[name] / cpu[baseline]:.2f}x |"
        )
    table = "\n".join(lines)
    print(table)
    if args.write:
        with open(args.write, "a", encoding="utf-8") as out:
            out.write(
                f"\n### client.map, {args.items:,} embeddings.create items, {CONCURRENCY} in flight "
                f"({time.strftime('%Y-%m-%d')}, Python {sys.version.split()[0]}, aiohttp peer in another process, "
                f"median of {args.rounds} rounds; `benchmarks/bench_map.py`)\n\n{table}\n"
            )


if __name__ == "__main__":
    main()
