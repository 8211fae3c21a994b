"""oaimap side by side with openai-python, raw httpx and aiohttp, in one run.

    pip install -e '.[bench]'
    python benchmarks/run.py [--rounds 5] [--write docs/benchmarks.md]

Every contender talks to the same server (``benchmarks/peer.py``: aiohttp, another
process, keep-alive) with the same ``responses.create`` request, and every sample runs in
a fresh interpreter; the rounds interleave the contenders and the medians' ratios are
reported (absolute times on a shared machine are noise). oaimap validates every call, as
it always does.

- cold: ``import`` + client + the first ``responses.create`` (ratio to openai-python);
- CPU per sync call: client process CPU time over 1,000 calls (ratio to raw httpx);
- async: 2,000 calls, 64 in flight, calls per second (ratio to raw aiohttp; raw httpx
  over the httpx-aiohttp transport shown as the ceiling of anything on httpx's interface);
- SSE: events per second reading a 2,000-event stream (ratio to httpx-sse; raw httpx
  lines + json shown too);
- RSS: the process's peak resident memory after one call (ratio to openai-python);
- validation: oaimap's ``validate()`` of the same payload alone, µs (no baseline: the
  others do not validate; the target is an absolute budget).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

# A typical request: a prompt, a setting or two, one function tool.
PAYLOAD = (
    "{'model': 'gpt-4.1-mini', 'input': 'What is the weather in Paris?', 'temperature': 0.2, 'metadata': {'k': 'v'}, "
    "'tools': [{'type': 'function', 'name': 'get_weather', 'description': 'Weather of a city', "
    "'parameters': {'type': 'object', 'properties': {'city': {'type': 'string'}}, 'required': ['city']}}]}"
)

# Each snippet gets URL and prints one number. `{setup}` makes a client, `{call}` one request.
CONTENDERS = {
    "oaimap": dict(
        setup="from oaimap import Client; c = Client(api_key='k', base_url=URL, max_retries=0)",
        call=f"c.call('responses.create', {PAYLOAD})",
        asetup="from oaimap import AsyncClient; c = AsyncClient(api_key='k', base_url=URL, max_retries=0)",
        acall=f"await c.call('responses.create', {PAYLOAD})",
        stream=f"s = c.call('responses.create', {{**{PAYLOAD}, 'stream': True}}); n = sum(1 for _ in s)",
    ),
    # The same with observability in use: an after_call hook reading meta (request id,
    # rate limits) per call. Without it (the row above) the cost of meta, usage and the
    # hook check is already in: they are always on.
    "oaimap observed": dict(
        setup=(
            "from oaimap import Client; c = Client(api_key='k', base_url=URL, max_retries=0)\n"
            "seen = []; c.on('after_call', lambda meta, **_: seen.append((meta.request_id, meta.rate_limits.remaining_tokens)))"
        ),
        call=f"c.call('responses.create', {PAYLOAD})",
    ),
    "oaimap aiohttp": dict(  # AsyncClient(http_backend="aiohttp"): the aiohttp extra
        asetup="from oaimap import AsyncClient; c = AsyncClient(api_key='k', base_url=URL, max_retries=0, http_backend='aiohttp')",
        acall=f"await c.call('responses.create', {PAYLOAD})",
    ),
    "openai-python": dict(
        setup="import openai; c = openai.OpenAI(api_key='k', base_url=URL, max_retries=0)",
        call=f"c.responses.create(**{PAYLOAD})",
        asetup="import openai; c = openai.AsyncOpenAI(api_key='k', base_url=URL, max_retries=0)",
        acall=f"await c.responses.create(**{PAYLOAD})",
        stream=f"s = c.responses.create(**{PAYLOAD}, stream=True); n = sum(1 for _ in s)",
    ),
    "httpx": dict(
        setup="import httpx, json; c = httpx.Client(); H = {'Authorization': 'Bearer k'}",
        call=f"c.post(URL + '/responses', json={PAYLOAD}, headers=H).json()",
        stream=(
            f"n = 0\nwith c.stream('POST', URL + '/responses', json={{**{PAYLOAD}, 'stream': True}}, headers=H) as r:\n"
            "    for line in r.iter_lines():\n"
            "        if line.startswith('data: '): json.loads(line[6:]); n += 1"
        ),
    ),
    # SSE the way httpx users parse it: the httpx-sse package (the SSE baseline).
    "httpx-sse": dict(
        setup="import httpx, httpx_sse; c = httpx.Client(); H = {'Authorization': 'Bearer k'}",
        stream=(
            f"n = 0\nwith httpx_sse.connect_sse(c, 'POST', URL + '/responses', json={{**{PAYLOAD}, 'stream': True}}, headers=H) as s:\n"
            "    for event in s.iter_sse():\n"
            "        event.json(); n += 1"
        ),
    ),
    # The ceiling of any client built on httpx's interface over aiohttp: raw httpx with
    # the httpx-aiohttp transport, no validation, no error handling.
    "httpx over aiohttp": dict(
        asetup="from httpx_aiohttp import HttpxAiohttpClient; c = HttpxAiohttpClient()",
        acall=(
            f"r = await c.post(URL + '/responses', json={PAYLOAD}, headers={{'Authorization': 'Bearer k'}})\n"
            "r.json()"
        ),
    ),
    "aiohttp": dict(
        asetup="import aiohttp; c = None",
        acall=(
            f"async with S.post(URL + '/responses', json={PAYLOAD}, headers={{'Authorization': 'Bearer k'}}) as r:\n"
            "    await r.json()"
        ),
    ),
}

COLD = "import time; t = time.perf_counter()\n{setup}\n{call}\nprint(time.perf_counter() - t)"
CPU = "{setup}\n{call}\nimport time; t = time.process_time()\nfor _ in range(CALLS):\n    {call}\nprint((time.process_time() - t) / CALLS)"
RSS = "{setup}\n{call}\nimport resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
VALIDATE = (
    "from oaimap.specs import SpecRegistry; from oaimap.validation import validate; import time\n"
    "op = SpecRegistry.shared().get('responses.create'); p = {call}; validate(op, p)\n"
    "t = time.perf_counter()\nfor _ in range(CALLS):\n    validate(op, p)\nprint((time.perf_counter() - t) / CALLS)"
)
SSE = "{setup}\n{stream}\nimport time; t = time.perf_counter()\n{stream}\nprint(n / (time.perf_counter() - t))"
ASYNC = """
import asyncio, time
async def main():
    global c, S
{asetup}
    import aiohttp
    S = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) if c is None else None
    sem = asyncio.Semaphore(64)
    async def one():
        async with sem:
{acall}
    await one()
    t = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(CALLS)))
    rate = CALLS / (time.perf_counter() - t)
    if S is not None: await S.close()
    else: await (c.close() if hasattr(c, 'close') else c.aclose())
    print(rate)
asyncio.run(main())
"""


def sample(template: str, url: str, calls: int, **parts: str) -> float:
    if template is ASYNC:  # the async snippets go inside main() and one()
        parts = {**parts, "asetup": textwrap.indent(parts["asetup"], " " * 4), "acall": textwrap.indent(parts["acall"], " " * 12)}
    code = f"URL = {url!r}; CALLS = {calls}\n" + template.format(**parts)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"a benchmark sample failed:\n{code}\n{out.stderr[-2000:]}")
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--write", type=Path)
    parser.add_argument("--only", help="comma-separated measures: cold,cpu,rss,sse,async,validate")
    args = parser.parse_args()
    wanted = set(args.only.split(",")) if args.only else {"cold", "cpu", "rss", "sse", "async", "validate"}
    run = lambda measure: measure in wanted  # noqa: E731
    peer = subprocess.Popen([sys.executable, str(Path(__file__).with_name("peer.py"))], stdout=subprocess.PIPE, text=True)
    try:
        url = peer.stdout.readline().strip() if peer.stdout else ""
        results: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.rounds):
            for name, parts in CONTENDERS.items():
                if "call" in parts:
                    for measure, template, calls in (("cold", COLD, 0), ("cpu", CPU, 1000), ("rss", RSS, 0)):
                        if run(measure):
                            results.setdefault((measure, name), []).append(sample(template, url, calls, **parts))
                if "stream" in parts and run("sse"):
                    results.setdefault(("sse", name), []).append(sample(SSE, url, 0, **parts))
                if "acall" in parts and run("async"):
                    results.setdefault(("async", name), []).append(sample(ASYNC, url, 2000, **parts))
            if run("validate"):
                results.setdefault(("validate", "oaimap"), []).append(sample(VALIDATE, url, 5000, call=PAYLOAD))
    finally:
        peer.terminate()
        peer.wait(10)
    med = {key: statistics.median(values) for key, values in results.items()}
    rows = [
        ("cold: import + client + first call", "cold", "openai-python", "{:.0f} ms", 1e3, False),
        ("client CPU per sync call", "cpu", "httpx", "{:.0f} µs", 1e6, False),
        ("async, 64 in flight (calls/s)", "async", "aiohttp", "{:.0f}", 1, True),
        ("SSE events/s", "sse", "httpx-sse", "{:.0f}", 1, True),
        ("peak RSS after one call", "rss", "openai-python", "{:.0f} MiB", 1 / 1024, False),
    ]
    names = list(CONTENDERS)
    lines = [
        "| measure | " + " | ".join(names) + " | oaimap / baseline |",
        "|---|" + "---|" * (len(names) + 1),
    ]
    for label, key, baseline, fmt, scale, _higher_is_better in rows:
        if (key, "oaimap") not in med:
            continue
        cells = [fmt.format(med[(key, n)] * scale) if (key, n) in med else "" for n in names]
        ratio = med[(key, "oaimap")] / med[(key, baseline)]
        if key == "async":
            ratio_aiohttp = med[(key, "oaimap aiohttp")] / med[(key, baseline)]
            ceiling = med[(key, "httpx over aiohttp")] / med[(key, baseline)]
            lines.append(
                f"| {label} | " + " | ".join(cells) + f" | {ratio:.2f}x {baseline} ({ratio_aiohttp:.2f}x with "
                f"`http_backend='aiohttp'`; raw httpx over aiohttp {ceiling:.2f}x) |"
            )
            continue
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {ratio:.2f}x {baseline} |")
    if ("validate", "oaimap") in med:
        cells = [f"{med[('validate', 'oaimap')] * 1e6:.1f} µs" if n == "oaimap" else "" for n in names]
        lines.append("| validation of the payload alone | " + " | ".join(cells) + " | (budget: 20 µs) |")
    table = "\n".join(lines)
    print(table)
    if args.write:
        with open(args.write, "a", encoding="utf-8") as out:
            out.write(
                f"\n### Side by side ({time.strftime('%Y-%m-%d')}, Python {sys.version.split()[0]}, "
                f"aiohttp peer in another process, median of {args.rounds} rounds)\n\n{table}\n"
            )


if __name__ == "__main__":
    main()
