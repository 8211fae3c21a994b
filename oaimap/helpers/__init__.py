"""Declared helpers: operations that are more than one HTTP call.

An operation whose spec has ``helper: {kind: NAME, ...}`` is run by the module
``oaimap.helpers.NAME``, which provides::

    def run(client, op, payload, options): ...          # for Client
    async def arun(client, op, payload, options): ...   # for AsyncClient

The payload has already been validated against the operation's params. The helper's
settings are ``op.helper`` (everything but ``kind`` is the helper's own data).
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

from ..errors import SpecError
from ..specs import Operation


def load(op: Operation) -> ModuleType:
    assert op.helper is not None
    kind = op.helper["kind"]
    try:
        return import_module(f"{__name__}.{kind}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{kind}":
            raise
        raise SpecError(f"{op.source}, operation {op.name}: no helper module oaimap/helpers/{kind}.py") from None
