"""oaimap's pytest plugin (entry point ``pytest11``): a fresh API simulator per test and
clients pointed at it.

    def test_summary(oaimap_client, oaimap_server):
        oaimap_server.script("responses.create", Say("A short summary."))
        assert summarize(oaimap_client, "long text") == "A short summary."
        assert oaimap_server.requests[-1].payload["model"] == "gpt-4.1-mini"

openai-python speaks the same wire: ``openai.OpenAI(api_key="sk-test", base_url=oaimap_server.url)``.
Nothing is imported from oaimap's runtime until a fixture is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, AsyncIterator, Iterator

import pytest

try:  # pytest-asyncio's strict mode wants its own decorator for async fixtures
    from pytest_asyncio import fixture as _async_fixture
except ImportError:  # another async runner (anyio's plugin) takes plain fixtures
    _async_fixture = pytest.fixture  # type: ignore[assignment]

if TYPE_CHECKING:
    from oaimap import AsyncClient, Client
    from oaimap.simulator import Simulator

SIMULATOR_KEY = "sk-oaimap-simulator"  # any key works; this one is never a real one


@pytest.fixture
def oaimap_server() -> Iterator["Simulator"]:
    """A fresh simulator on 127.0.0.1 for this test: ``url``, ``requests`` (what it
    received), ``objects(route)`` (its state), ``script``, ``fail_next``, ``advance``."""
    from oaimap.simulator import Simulator

    with Simulator() as server:
        yield server


@pytest.fixture
def oaimap_client(oaimap_server: "Simulator") -> Iterator["Client"]:
    """A ``Client`` for the simulator (the default retry policy, so ``fail_next`` faults
    are retried as they would be in production)."""
    from oaimap import Client

    with Client(api_key=SIMULATOR_KEY, base_url=oaimap_server.url) as client:
        yield client


@_async_fixture
async def oaimap_async_client(oaimap_server: "Simulator") -> AsyncIterator["AsyncClient"]:
    """An ``AsyncClient`` for the simulator (needs an async test runner, e.g. pytest-asyncio)."""
    from oaimap import AsyncClient

    async with AsyncClient(api_key=SIMULATOR_KEY, base_url=oaimap_server.url) as client:
        yield client
