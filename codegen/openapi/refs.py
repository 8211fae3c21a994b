"""``$ref`` in the OpenAPI document, and the project's references mapped onto it.

The document points at shared schemas as ``#/components/schemas/Name``; the specs point
at the same schemas as ``_schemas/<group>.yaml#/Name`` (the importer writes them so and
the drift report maps them back with :func:`doc_ref`). This is codegen's one resolver of
the document's references; the specs' own references are followed by
``oaimap.schemas`` (for validation) and ``codegen/_resolve.py`` (docs and stubs).
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, Mapping

COMPONENT_PREFIX = "#/components/schemas/"
SCHEMAS_DIR = "_schemas"  # specs/_schemas/<group>.yaml: the shared schemas of the specs
# Keywords whose value maps names to schemas: a property called "$ref" is not a reference.
NAMED_SUBSCHEMAS = frozenset({"properties", "patternProperties"})


def components(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    return (doc.get("components") or {}).get("schemas") or {}


def component_name(ref: str) -> str | None:
    return ref[len(COMPONENT_PREFIX):] if ref.startswith(COMPONENT_PREFIX) else None


def resolve(doc: Mapping[str, Any], schema: Any) -> Any:
    """Follow ``$ref`` chains to components of the document (other keywords are dropped)."""
    seen = 0
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and seen < 50:
        name = component_name(schema["$ref"])
        if name is None:
            break
        schema = components(doc).get(name, {})
        seen += 1
    return schema


def walk_refs(schema: Any) -> Iterator[str]:
    """Every ``$ref`` string inside ``schema``."""
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            elif key in NAMED_SUBSCHEMAS and isinstance(value, dict):
                for sub in value.values():
                    yield from walk_refs(sub)
            else:
                yield from walk_refs(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from walk_refs(item)


def map_refs(schema: Any, rewrite: Callable[[str], str]) -> Any:
    """Copy of ``schema`` with every ``$ref`` replaced by ``rewrite(ref)``."""
    if isinstance(schema, dict):
        out: dict[str, Any] = {}
        for key, value in schema.items():
            if key == "$ref" and isinstance(value, str):
                out[key] = rewrite(value)
            elif key in NAMED_SUBSCHEMAS and isinstance(value, dict):
                out[key] = {name: map_refs(sub, rewrite) for name, sub in value.items()}
            else:
                out[key] = map_refs(value, rewrite)
        return out
    if isinstance(schema, list):
        return [map_refs(item, rewrite) for item in schema]
    return schema


def doc_ref(ref: str) -> str:
    """``_schemas/x.yaml#/Name``, ``x.yaml#/Name`` or ``#/Name`` -> ``#/components/schemas/Name``."""
    _, sep, fragment = ref.partition("#/")
    if sep and fragment and "/" not in fragment:
        return COMPONENT_PREFIX + fragment
    return ref
