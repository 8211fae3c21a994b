"""Shared by the docs and stubs generators: every family's operations.

What there is to say about a parameter (its schema with ``$ref`` followed, type label,
enums, bounds, description) is :mod:`oaimap.paramdoc`'s job; its names are imported
here for the generators. Only the structure of shared schemas is used; prose from them
is never read, so nothing of the official document's text reaches the generated files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from oaimap.paramdoc import Alt, Resolver, payload_params, required_keys, shape
from oaimap.specs import Operation, parse_family, read_yaml

__all__ = ["Alt", "DEFAULT_REFERENCE", "Family", "Resolver", "load_families", "payload_params", "required_keys", "shape"]

DEFAULT_REFERENCE = "https://platform.openai.com/docs/api-reference"


@dataclass(frozen=True)
class Family:
    id: str
    title: str
    summary: str
    reference: str
    operations: tuple[Operation, ...]
    source: Path


def load_families(specs_dir: Path) -> list[Family]:
    """Every family of ``specs_dir`` (files starting with ``_`` are not families), sorted."""
    families = []
    for source in sorted(specs_dir.glob("*.yaml")):
        if source.name.startswith("_"):
            continue
        raw = read_yaml(source)
        ops = parse_family(source, raw)
        families.append(
            Family(
                id=raw["family"],
                title=raw["title"],
                summary=raw["summary"],
                reference=raw.get("reference") or DEFAULT_REFERENCE,
                operations=tuple(ops),
                source=source.resolve(),
            )
        )
    return families
