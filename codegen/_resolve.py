"""Shared by the docs and stubs generators: every family's operations, and their
parameter schemas with ``$ref`` followed (relative to the file that holds the ref).

Only the structure of a schema is used (types, enums, defaults, required keys); prose
from shared schemas is never read, so nothing of the official document's text reaches
the generated files (the importer keeps structure only; a parameter's own
``description`` in a family file is written by us, and docs.py shows that one).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import unquote, urldefrag, urljoin, urlparse

from oaimap.schemas import resolver_at
from oaimap.specs import Operation, parse_family, read_yaml

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


def payload_params(op: Operation) -> Iterator[tuple[str, str, Any]]:
    """(key, location, schema) of every declared payload key, in declaration order."""
    for location in ("path", "query", "header", "body"):
        for key, schema in op.params_in(location).items():
            yield key, location, schema


def required_keys(op: Operation) -> set[str]:
    return set(op.params_in("path")) | set(op.required)


class Resolver:
    """Follows ``$ref`` across spec files and ``specs/_schemas/*.yaml`` with the runtime's
    own resolution (:func:`oaimap.schemas.resolver_at`); files are read once."""

    def follow(self, schema: Any, base: Path) -> tuple[Any, Path, str | None]:
        """The schema a ``$ref`` points at (its own file as the new base) and the ref's
        last name; schemas without ``$ref`` come back unchanged."""
        from referencing.exceptions import Unresolvable

        name = None
        seen: set[str] = set()
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
            ref = schema["$ref"]
            target = urljoin(base.resolve().as_uri(), ref)
            if target in seen:
                raise ValueError(f"{base}: $ref cycle at {ref}")
            seen.add(target)
            try:
                node = resolver_at(base).lookup(ref).contents
            except Unresolvable:
                raise ValueError(f"{base}: $ref {ref!r} points at nothing") from None
            document, pointer = urldefrag(target)
            target_file = Path(unquote(urlparse(document).path))
            name = pointer.strip("/").split("/")[-1] if pointer.strip("/") else target_file.stem
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            if siblings and isinstance(node, dict):
                # 2020-12 allows keywords beside $ref (nullable, default, ...): keep them.
                node = {**node, **siblings}
            schema, base = node, target_file
        return schema, base, name


# -- the shape of a schema -------------------------------------------------------------
SCALARS = ("string", "integer", "number", "boolean", "null")
MAX_DEPTH = 3  # arrays / maps nested deeper than this are shown as `any`


@dataclass(frozen=True)
class Alt:
    """One alternative of a (possibly union) schema.

    ``kind`` is one of SCALARS, ``file`` (a binary string: an upload), ``array``,
    ``object``, ``enum`` (``values``) or ``any``.
    """

    kind: str
    values: tuple[Any, ...] = ()  # enum / const values
    items: tuple["Alt", ...] = ()  # array items, or the values of a map object
    keys: tuple[tuple[str, bool], ...] = ()  # object properties: (name, required)
    name: str | None = None  # the $ref name this alternative came from


ANY = Alt("any")


def shape(resolver: Resolver, schema: Any, base: Path, depth: int = 0, _guard: int = 0) -> tuple[Alt, ...]:
    """The alternatives ``schema`` allows, with ``$ref``, ``anyOf``/``oneOf``, ``allOf``,
    ``nullable``, ``enum`` and ``const`` taken into account. Deduplicated, in order."""
    if _guard > 40 or depth > MAX_DEPTH:
        return (ANY,)
    if schema is True or schema == {} or schema is None:
        return (ANY,)
    if not isinstance(schema, dict):
        return (ANY,)
    schema, base, ref_name = resolver.follow(schema, base)
    if not isinstance(schema, dict):
        return (ANY,)
    out: list[Alt] = []

    def sub(s: Any, b: Path = base) -> tuple[Alt, ...]:
        return shape(resolver, s, b, depth, _guard + 1)

    if "const" in schema:
        out.append(Alt("enum", (schema["const"],)))
    elif isinstance(schema.get("enum"), list):
        enum_values = tuple(v for v in schema["enum"] if v is not None)
        if enum_values:
            out.append(Alt("enum", enum_values))
        if len(enum_values) != len(schema["enum"]):
            out.append(Alt("null"))
    elif isinstance(schema.get("anyOf"), list) or isinstance(schema.get("oneOf"), list):
        for key in ("anyOf", "oneOf"):
            alternatives = schema.get(key)
            for alt_schema in alternatives if isinstance(alternatives, list) else ():
                out.extend(sub(alt_schema))
    elif isinstance(schema.get("allOf"), list):
        parts = [sub(s) for s in schema["allOf"]]
        if len(parts) == 1:
            out.extend(parts[0])
        elif parts and all(len(p) == 1 and p[0].kind == "object" for p in parts):
            keys: dict[str, bool] = {}
            for p in parts:
                for key, req in p[0].keys:
                    keys[key] = keys.get(key, False) or req
            out.append(Alt("object", keys=tuple(keys.items()), name=ref_name))
        else:
            out.append(ANY)
    else:
        types = schema.get("type")
        if isinstance(types, str):
            types = [types]
        if not types:
            types = ["object"] if "properties" in schema else ["array"] if "items" in schema else []
        if not types:
            out.append(ANY)
        for t in types:
            if t == "string" and schema.get("format") == "binary":
                out.append(Alt("file"))
            elif t in SCALARS:
                out.append(Alt(t))
            elif t == "array":
                items = schema.get("items")
                inner = shape(resolver, items, base, depth + 1, _guard + 1) if items is not None else (ANY,)
                out.append(Alt("array", items=inner))
            elif t == "object":
                props = schema.get("properties") or {}
                required = set(schema.get("required") or ())
                extra = schema.get("additionalProperties")
                values: tuple[Alt, ...] = ()
                if not props and isinstance(extra, dict) and extra:
                    values = shape(resolver, extra, base, depth + 1, _guard + 1)
                out.append(
                    Alt("object", items=values, keys=tuple((k, k in required) for k in props), name=ref_name)
                )
            else:
                out.append(ANY)
    if schema.get("nullable") is True:
        out.append(Alt("null"))
    return tuple(dict.fromkeys(out))


def top_schema(resolver: Resolver, schema: Any, base: Path) -> dict[str, Any]:
    """The schema itself after following ``$ref`` (for ``default`` and bounds)."""
    followed, _, _ = resolver.follow(schema, base)
    return followed if isinstance(followed, dict) else {}
