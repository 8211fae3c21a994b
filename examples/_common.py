"""Where the examples send their requests.

With the provider's key set (``OPENAI_API_KEY``, or the variable an example names) and
no ``--local`` argument, an example talks to the real service. Otherwise it talks over
real HTTP to oaimap's API simulator: the one at ``OAIMAP_SIMULATOR_URL`` when that is set
(``oaimap serve`` in another terminal, to watch each request go by), else one started on
127.0.0.1 for its own run (no key, no network). The same requests either way, validated
against the same specs.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any, Iterator

from oaimap import Client
from oaimap.simulator import Simulator


@contextlib.contextmanager
def client(profile: str | None = None, real_if: str = "OPENAI_API_KEY", **options: Any) -> Iterator[Client]:
    """A ``Client`` for the real service when ``real_if`` is set in the environment and
    ``--local`` was not given, else for a simulator started here (which also answers
    Azure OpenAI's routes, so a profile's own wire is what travels)."""
    if os.environ.get(real_if) and "--local" not in sys.argv[1:]:
        with Client(profile=profile, **options) as real:
            yield real
        return
    with contextlib.ExitStack() as stack:
        url = os.environ.get("OAIMAP_SIMULATOR_URL") or stack.enter_context(Simulator()).url
        base_url = url.removesuffix("/v1") if profile and profile.startswith("azure") else url
        yield stack.enter_context(Client(profile=profile, base_url=base_url, api_key="sk-local", **options))
