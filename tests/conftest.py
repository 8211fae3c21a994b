"""Shared fixtures: a real loopback server per test and clients pointed at it."""

from __future__ import annotations

from pathlib import Path

import pytest

from oaimap import AsyncClient, Client
from oaimap.server import LoopbackServer

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "openai-openapi.yaml"
TEST_KEY = "sk-test-0123456789abcdef"


@pytest.fixture(scope="session")
def _shared_server():
    with LoopbackServer() as srv:
        yield srv


@pytest.fixture
def server(_shared_server):
    """The session's loopback server, with no recorded requests or scripted replies."""
    _shared_server.reset()
    yield _shared_server
    _shared_server.reset()


@pytest.fixture
def client(server):
    with Client(api_key=TEST_KEY, base_url=server.url, max_retries=0) as c:
        yield c


@pytest.fixture
async def aclient(server):
    async with AsyncClient(api_key=TEST_KEY, base_url=server.url, max_retries=0) as c:
        yield c


@pytest.fixture
def reference_document() -> Path:
    if not REFERENCE.is_file():
        pytest.skip(f"official OpenAPI document not found at {REFERENCE} (CI provides ../shared/reference)")
    return REFERENCE
