"""The fast path: a yes/no answer for a payload, from a compiled validator.

jsonschema (:mod:`oaimap.validators`) is the reference: it words every message and
defines what is valid. It is also slow for a call's budget (~0.2 ms for a typical
``responses.create``, most of it ``$ref`` lookups repeated every call). So each
operation's payload schema is *bundled* once into one self-contained schema — every
``$ref`` it reaches copied under ``$defs``, oaimap's keywords written in plain JSON
Schema, ``oneOf`` written the way oaimap reads it — kept in the compiled cache beside
the specs (:func:`oaimap.compiled.derived`) and compiled by jsonschema-rs.

A yes is final. A no, or a payload it cannot read, goes to the reference, which decides
and words the messages; so the fast path may only ever be stricter than the reference,
never looser. The caller passes only plain JSON data (:func:`oaimap.sendable.check`:
jsonschema-rs would read a tuple as an array, which the reference refuses), and
operations that take files (``oaimapFile`` looks at the file system) have no fast path.
``tests/test_fastpath.py`` checks that both answer alike on generated payloads of every
operation.
"""

from __future__ import annotations

import marshal
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urldefrag, urljoin, urlparse

import jsonschema_rs

from . import compiled

if TYPE_CHECKING:
    from .specs import Operation

# Keywords whose value maps names to subschemas, and keywords whose value is data.
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})
_DATA = frozenset({"enum", "const", "required", "default", "examples", "example", "description", "title"})
_PATH_SEGMENT = {"type": "string", "minLength": 1, "not": {"enum": [".", ".."]}}


class _NoFastPath(Exception):
    """The schema holds something only the reference can check (a file)."""


# What "shape" keeps of a schema: types, properties and required keys; these go.
_VALUE_KEYWORDS = frozenset({
    "enum", "const", "pattern", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "multipleOf", "minLength", "maxLength", "minItems", "maxItems", "uniqueItems", "minProperties",
    "maxProperties", "not", "contains", "minContains", "maxContains", "propertyNames", "if", "then", "else",
})


def is_valid(op: Operation, payload: dict[str, Any], strict: bool, shape: bool = False) -> bool:
    """True when ``payload`` (plain JSON data) is certainly valid for ``op`` (only its
    shape, with ``shape``); False means "ask the reference"."""
    validator = _validator(op, strict, shape)
    if validator is None:
        return False
    try:
        return bool(validator.is_valid(payload))
    except ValueError:  # a value jsonschema-rs cannot convert: the reference decides
        return False


@lru_cache(maxsize=None)
def _validator(op: Operation, strict: bool, shape: bool) -> Any:
    schema = shape_schema(op, strict) if shape else bundled_schema(op, strict)
    return None if schema is None else jsonschema_rs.validator_for(schema, validate_formats=False)


@lru_cache(maxsize=None)
def shape_schema(op: Operation, strict: bool) -> dict[str, Any] | None:
    """The bundled schema with only types, properties and required keys left (no enums,
    bounds, patterns or formats; a ``oneOf`` read as ``anyOf``): the ``shape`` level."""
    bundled = bundled_schema(op, strict)
    return None if bundled is None else _shape(bundled)


def _shape(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_shape(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _VALUE_KEYWORDS:
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: _shape(sub) for name, sub in value.items()}
        elif key in _DATA:
            out[key] = value
        else:
            out["anyOf" if key == "oneOf" else key] = _shape(value)
    return out


def bundled_schema(op: Operation, strict: bool) -> dict[str, Any] | None:
    """``op``'s payload schema as one self-contained schema, or None when it takes files.

    Kept in the compiled cache under the digest of the payload schema (what the family
    file says of ``op``, ``params_from`` included) and the stamps of the shared schema
    files it reached.
    """
    from .schemas import payload_schema

    schema = payload_schema(op, strict)
    if op.source is None:
        return _bundle(op, schema)[0]
    name = f"bundles/{op.name}{'@' + op.variant if op.variant else ''}{'.strict' if strict else ''}"
    inputs = ({k: v for k, v in schema.items() if k != "$id"}, dict(op.schema_patches))  # where the specs are is no input
    key = compiled.digest(marshal.dumps(inputs))
    return compiled.derived(op.source.parent, name, key, lambda: _bundle(op, schema))


def _bundle(op: Operation, schema: dict[str, Any]) -> tuple[dict[str, Any] | None, set[Path]]:
    from .schemas import resolver_for

    bundler = _Bundler(strict="additionalProperties" in schema)
    try:
        root = bundler.schema(schema, resolver_for(op, schema), schema.get("$id", ""))
    except _NoFastPath:
        return None, bundler.files
    root.pop("$id", None)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **root, "$defs": bundler.defs}, bundler.files


class _Bundler:
    """Copies a schema, replacing each ``$ref`` by one to a copy of its target in ``$defs``."""

    def __init__(self, strict: bool):
        self.strict = strict
        self.defs: dict[str, Any] = {}
        self.names: dict[str, str] = {}  # absolute URI of a target -> its name in $defs
        self.files: set[Path] = set()

    def schema(self, schema: Any, resolver: Any, base: str) -> Any:
        if isinstance(schema, list):
            return [self.schema(item, resolver, base) for item in schema]
        if not isinstance(schema, dict):
            return schema
        if "oaimapFile" in schema:
            raise _NoFastPath
        out: dict[str, Any] = {}
        rules: list[Any] = []
        for key, value in schema.items():
            if key == "$ref" and isinstance(value, str):
                out[key] = self.ref(value, resolver, base)
            elif key in _SCHEMA_MAPS and isinstance(value, dict):
                out[key] = {name: self.schema(sub, resolver, base) for name, sub in value.items()}
            elif key in _DATA:
                out[key] = value
            elif key == "oaimapPathSegment":
                if value:
                    rules.append(_PATH_SEGMENT)
            elif key == "oneOf" and isinstance(value, list):
                rules.append(self.one_of(value, resolver, base))
            elif key == "additionalProperties" and value is False and not self.strict:
                pass  # outside strict mode undeclared keys pass at every depth (validators._open_objects)
            else:
                out[key] = self.schema(value, resolver, base)
        if rules:
            out["allOf"] = [*out.get("allOf", []), *rules]
        return out

    def ref(self, ref: str, resolver: Any, base: str) -> str:
        uri = urljoin(base, ref)
        name = self.names.get(uri)
        if name is None:
            document, fragment = urldefrag(uri)
            name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{Path(urlparse(document).path).stem}.{fragment.strip('/')}")
            while name in self.defs:
                name += "_"
            self.names[uri] = name
            self.defs[name] = {}
            if document.startswith("file://"):
                self.files.add(Path(unquote(urlparse(document).path)))
            resolved = resolver.lookup(ref)
            self.defs[name] = self.schema(resolved.contents, resolved.resolver, document)
        return f"#/$defs/{name}"

    def one_of(self, branches: list[Any], resolver: Any, base: str) -> dict[str, Any]:
        """``oneOf`` as :func:`oaimap.validators._one_of` reads it, in plain JSON Schema.

        Some branch must match (``anyOf``); and an object is refused when the first
        branch it matches and another one it matches require different keys, each
        some the other does not (two alternatives given at once).
        """
        from .schemas import required_keys

        copies = [self.schema(branch, resolver, base) for branch in branches]
        needs = [required_keys(resolver, branch) for branch in branches]
        clashes = []
        for first, mine in enumerate(needs):
            rivals = [copies[i] for i, theirs in enumerate(needs) if i != first and theirs - mine and mine - theirs]
            if rivals:
                earlier = [{"not": {"anyOf": copies[:first]}}] if first else []
                clashes.append({"allOf": [copies[first], *earlier, {"anyOf": rivals}]})
        if not clashes:
            return {"anyOf": copies}
        return {"anyOf": copies, "not": {"type": "object", "anyOf": clashes}}
