"""Parameter descriptions: people's words that survive a re-import, and which ones are
still missing.

The importer owns a parameter's structure and rewrites it on every run; a parameter's
own ``description`` (written for this project, never taken from the document) is
people's, so :func:`carry` puts it back on the fresh schema. :func:`missing` lists the
parameters that should have one and do not: those of operations with seed aliases and of
the Responses and Chat Completions operations.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from oaimap.paramdoc import own_description
from oaimap.specs import PARAM_LOCATIONS

DESCRIBED_PREFIXES = ("responses.", "chat.completions.")  # besides every seed-aliased operation
SHOWN = 5  # names listed before "and N more"


def carry(old: Mapping[str, Any] | None, new: dict[str, Any]) -> None:
    """Copy each description of ``old`` params onto the same key of ``new`` (in place):
    the same location first, else wherever the key now travels."""
    if not old:
        return
    texts: dict[tuple[str, str], str] = {}
    for where in PARAM_LOCATIONS:
        for key, schema in (old.get(where) or {}).items():
            text = own_description(schema)
            if text:
                texts[(where, key)] = text
    anywhere = {key: text for (_, key), text in texts.items()}
    for where in PARAM_LOCATIONS:
        params = new.get(where) or {}
        for key, schema in params.items():
            text = texts.get((where, key)) or anywhere.get(key)
            if text and isinstance(schema, dict) and "description" not in schema:
                params[key] = {**schema, "description": text}


def without(schema: Any) -> Any:
    """``schema`` without its own description: the structure the document owns."""
    return {k: v for k, v in schema.items() if k != "description"} if isinstance(schema, dict) else schema


def wants_descriptions(name: str, aliases: Iterable[str]) -> bool:
    return bool(tuple(aliases)) or name.startswith(DESCRIBED_PREFIXES)


def missing(ops: Iterable[Mapping[str, Any]]) -> list[str]:
    """``op.key`` of every parameter that should have a description and lacks one;
    ``ops`` are operations as written in a family file (name, aliases, params)."""
    found = []
    for op in ops:
        if not wants_descriptions(op.get("name") or "", op.get("aliases") or ()):
            continue
        params = op.get("params") or {}
        for where in PARAM_LOCATIONS:
            for key, schema in (params.get(where) or {}).items():
                if not own_description(schema):
                    found.append(f"{op['name']}.{key}")
    return found


def summary(names: list[str]) -> str | None:
    """One line for a report: the count and the first few names; None when none lack one."""
    if not names:
        return None
    shown = ", ".join(names[:SHOWN]) + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")
    return f"{len(names)} parameter(s) still lack a description: {shown}"
