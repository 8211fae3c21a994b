"""The document's schemas reduced to structure: what the importer writes to
``specs/_schemas/`` and what the drift report compares.

Only structure is taken: JSON Schema types, enums, required-ness, bounds. Prose
(descriptions, titles, examples inside schemas) and vendor extensions are dropped by
:func:`clean_schema`.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Iterable, Mapping

from oaimap.decode import schema_kinds

from .refs import COMPONENT_PREFIX, NAMED_SUBSCHEMAS, component_name, components, resolve, walk_refs

# JSON Schema keywords kept from the document; everything else (description, title,
# example(s), discriminator, deprecated, x-* extensions, ...) is dropped.
_KEEP = frozenset(
    {
        "type", "enum", "const", "required", "items", "prefixItems", "properties",
        "additionalProperties", "patternProperties", "propertyNames", "anyOf", "oneOf", "allOf", "not",
        "$ref", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "multipleOf", "minLength", "maxLength", "pattern", "minItems", "maxItems",
        "uniqueItems", "minProperties", "maxProperties", "default",
    }
)
_SCHEMA_LISTS = frozenset({"anyOf", "oneOf", "allOf", "prefixItems"})
_SUBSCHEMAS = frozenset({"items", "additionalProperties", "propertyNames", "not"})
# Required keys the document's own example requests leave out: the document is wrong
# there (the API accepts the requests), so oaimap does not require them. Keep this short;
# tests/test_openapi_examples.py shows which example needs which entry.
RELAXED_REQUIRED = {
    "FunctionTool": ("strict",),  # function tools of several Responses examples
    "BetaFunctionTool": ("strict",),
    "InputImageContent": ("detail",),  # input_image parts without detail
    "BetaInputImageContent": ("detail",),
    "RealtimeSessionCreateRequest": ("client_secret",),  # an answer field marked required
}


def clean_schema(schema: Any, self_ref: str | None = None) -> Any:
    """Structure only: keeps validation keywords, drops prose and vendor extensions.

    Also normalises the OpenAPI 3.0 leftovers the document still uses: ``nullable: true``
    becomes a ``null`` type (or an ``anyOf`` with ``{type: null}``) and ``$recursiveRef``
    points at the enclosing schema. ``oneOf`` stays: the validator reads it as the
    document means it (``oaimap/validators.py``), overlaps the document made by accident
    aside.
    """
    if isinstance(schema, bool):
        return schema
    if not isinstance(schema, dict):
        return {}
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "$recursiveRef":
            if self_ref is None:
                continue
            key, value = "$ref", self_ref
        if key not in _KEEP:
            continue
        if key in NAMED_SUBSCHEMAS:
            if not isinstance(value, dict):
                continue
            value = {name: clean_schema(sub, self_ref) for name, sub in value.items()}
        elif key in _SCHEMA_LISTS:
            if not isinstance(value, list):
                continue
            value = [clean_schema(sub, self_ref) for sub in value]
        elif key in _SUBSCHEMAS:
            if not isinstance(value, (dict, bool)):
                continue
            value = clean_schema(value, self_ref)
        elif key == "required" and not isinstance(value, list):
            continue
        out[key] = value
    for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if isinstance(out.get(exclusive), bool):  # OpenAPI 3.0 form: a flag on minimum / maximum
            if out.pop(exclusive) and bound in out:
                out[exclusive] = out.pop(bound)
    if schema.get("nullable") is True:
        out = _nullable(out)
    return out


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if not schema:
        return schema
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if "null" not in kinds:
            schema["type"] = [*kinds, "null"]
        if "enum" in schema and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
        return schema
    return {"anyOf": [schema, {"type": "null"}]}


def clean_component(doc: Mapping[str, Any], name: str) -> Any:
    """One component schema, cleaned, with the documented relaxations applied."""
    schema = clean_schema(components(doc)[name], self_ref=COMPONENT_PREFIX + name)
    relaxed = RELAXED_REQUIRED.get(name)
    if relaxed and isinstance(schema, dict) and "required" in schema:
        schema["required"] = [key for key in schema["required"] if key not in relaxed]
    return schema


def schema_closure(doc: Mapping[str, Any], roots: Iterable[str]) -> dict[str, Any]:
    """Cleaned component schemas reachable from the component names ``roots``."""
    found: dict[str, Any] = {}
    stack = list(roots)
    while stack:
        name = stack.pop()
        if name in found or name not in components(doc):
            continue
        found[name] = clean_component(doc, name)
        stack.extend(n for n in map(component_name, walk_refs(found[name])) if n)
    return found


def body_properties(doc: Mapping[str, Any], schema: Any, depth: int = 0) -> tuple[dict[str, Any], list[str]]:
    """Top-level properties and required keys of a request body, allOf flattened.

    A property declared by several allOf members keeps the last declaration (the more
    specific one, as in the document's inheritance style).
    """
    name = component_name(schema.get("$ref", "")) if isinstance(schema, dict) else None
    schema = resolve(doc, schema)
    props: dict[str, Any] = {}
    required: list[str] = []
    if not isinstance(schema, dict) or depth > 10:
        return props, required
    relaxed = RELAXED_REQUIRED.get(name or "", ())
    for member in schema.get("allOf") or []:
        sub_props, sub_required = body_properties(doc, member, depth + 1)
        props.update(sub_props)
        required.extend(sub_required)
    props.update(schema.get("properties") or {})
    required.extend(key for key in schema.get("required") or [] if key not in relaxed)
    return props, required


def kinds(doc: Mapping[str, Any], schema: Any) -> set[str]:
    """The JSON types a value of ``schema`` may have, through the document's references."""
    return schema_kinds(schema, partial(resolve, doc))
