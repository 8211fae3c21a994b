"""The benchmarks' server: aiohttp on 127.0.0.1, in its own process, answering
``POST /v1/responses`` with the spec's example (or, with ``"stream": true``, a stream of
``--events`` delta events and ``response.completed``) and ``POST /v1/embeddings`` with
one embedding of ``--dimensions`` floats. Not oaimap's loopback server: a
thread-per-connection test peer would be the bottleneck and flatten every ratio.

    python benchmarks/peer.py [--events 2000] [--dimensions 256]    # prints the base URL, serves until killed
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from aiohttp import web

from oaimap.specs import SpecRegistry


def app(events: int, dimensions: int = 256) -> web.Application:
    answer = json.dumps(SpecRegistry.shared().get("responses.create").example["response"]).encode()
    vector = [round((i % 97) / 97 - 0.5, 6) for i in range(dimensions)]
    embedding = json.dumps({
        "object": "list", "model": "text-embedding-3-small", "usage": {"prompt_tokens": 4, "total_tokens": 4},
        "data": [{"object": "embedding", "index": 0, "embedding": vector}],
    }).encode()
    frames = b"".join(
        b'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":%d,"delta":"word "}\n\n' % i
        for i in range(events)
    ) + b'event: response.completed\ndata: {"type":"response.completed","sequence_number":%d,"response":{}}\n\n' % events

    async def create(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        if body.get("stream"):
            return web.Response(body=frames, content_type="text/event-stream", headers={"x-request-id": "req_bench"})
        return web.Response(body=answer, content_type="application/json", headers={"x-request-id": "req_bench"})

    async def embed(request: web.Request) -> web.StreamResponse:
        await request.json()
        return web.Response(body=embedding, content_type="application/json", headers={"x-request-id": "req_bench"})

    application = web.Application()
    application.router.add_post("/v1/responses", create)
    application.router.add_post("/v1/embeddings", embed)
    return application


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--dimensions", type=int, default=256)
    args = parser.parse_args()

    async def serve() -> None:
        runner = web.AppRunner(app(args.events, args.dimensions), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        print(f"http://127.0.0.1:{port}/v1", flush=True)
        await asyncio.Event().wait()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
