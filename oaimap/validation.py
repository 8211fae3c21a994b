"""Payload validation: one compiled jsonschema validator per operation, reused.

An operation's payload is one flat object: its path, query, header and body parameters
side by side. The payload schema is composed from the spec; two oaimap keywords make
the messages clear where plain JSON Schema would be vague:

* ``oaimapFile`` replaces ``{type: string, format: binary}``: a path (str or
  ``pathlib.Path``) to an existing file, bytes, an open binary file, or a
  ``(filename, content[, content_type])`` tuple;
* ``oaimapPathSegment`` on path parameters: a non-empty string that is not ``.`` or
  ``..`` (those would make an HTTP library rewrite the route).

Like botocore's ParamValidator, every problem is reported at once, each with its JSON
path, and nothing is sent.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from jsonschema import Draft202012Validator, validators
from jsonschema import ValidationError as SchemaError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .errors import ValidationError, Violation
from .specs import Operation, json_path, read_yaml


def is_file_value(value: Any) -> bool:
    """True for every value oaimap accepts where a file is expected."""
    if isinstance(value, (bytes, bytearray, memoryview, str, os.PathLike)):
        return True
    if isinstance(value, tuple) and 2 <= len(value) <= 3 and isinstance(value[0], str):
        return is_file_value(value[1])
    return callable(getattr(value, "read", None))


def _file_keyword(validator, enabled, instance, schema) -> Iterator[SchemaError]:
    if not enabled:
        return
    if isinstance(instance, (str, os.PathLike)):
        path = Path(instance)
        if not path.is_file():
            yield SchemaError(f"file not found: {str(path)!r}")
    elif not is_file_value(instance):
        yield SchemaError(
            f"expected a file (path, bytes or open binary file), got {type(instance).__name__}"
        )


def _path_segment_keyword(validator, enabled, instance, schema) -> Iterator[SchemaError]:
    if not enabled:
        return
    if not isinstance(instance, str) or not instance:
        yield SchemaError("path parameter must be a non-empty string")
    elif instance in (".", ".."):
        yield SchemaError(f"path parameter cannot be {instance!r}")


PayloadValidator = validators.extend(
    Draft202012Validator,
    validators={"oaimapFile": _file_keyword, "oaimapPathSegment": _path_segment_keyword},
)

_closed_objects = Draft202012Validator.VALIDATORS["additionalProperties"]


def _open_objects(validator, additional, instance, schema) -> Iterator[SchemaError]:
    # Outside strict mode undeclared keys pass at every depth, as they do at the top.
    if additional is not False:
        yield from _closed_objects(validator, additional, instance, schema)


LenientValidator = validators.extend(PayloadValidator, validators={"additionalProperties": _open_objects})


def _is_binary(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("format") == "binary" and schema.get("type") in (
        "string",
        None,
    )


def mark_files(schema: Any) -> Any:
    """Copy of ``schema`` with every binary string turned into ``{oaimapFile: true}``."""
    if _is_binary(schema):
        return {"oaimapFile": True}
    if isinstance(schema, dict):
        return {key: mark_files(value) for key, value in schema.items()}
    if isinstance(schema, list):
        return [mark_files(item) for item in schema]
    return schema


def has_file_param(schema: Any) -> bool:
    if _is_binary(schema):
        return True
    if isinstance(schema, dict):
        return any(has_file_param(v) for v in schema.values())
    if isinstance(schema, list):
        return any(has_file_param(v) for v in schema)
    return False


def payload_schema(op: Operation, strict: bool) -> dict[str, Any]:
    """The JSON Schema of ``op``'s flat payload."""
    properties: dict[str, Any] = {}
    for location in ("query", "header", "body"):
        for key, param_schema in op.params_in(location).items():
            properties[key] = mark_files(param_schema)
    for key, param_schema in op.params_in("path").items():
        properties[key] = {"allOf": [{"oaimapPathSegment": True}, mark_files(param_schema)]}
    required = list(dict.fromkeys([*op.params_in("path"), *op.required]))
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": required,
    }
    if op.source is not None:
        schema["$id"] = op.source.resolve().as_uri()
    if strict:
        schema["additionalProperties"] = False
    return schema


def _retrieve(uri: str) -> Resource:
    """Load a shared schema file referenced with $ref (``_schemas/x.yaml#/...``)."""
    if not uri.startswith("file://"):
        raise LookupError(f"oaimap only follows $ref into local spec files, not {uri}")
    from urllib.parse import unquote, urlparse

    path = Path(unquote(urlparse(uri).path))
    return _schema_file(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=128)
def _schema_file(path: str, mtime_ns: int) -> Resource:
    """Each shared schema file is parsed once (per version on disk), not once per $ref."""
    return Resource.from_contents(read_yaml(Path(path)), DRAFT202012)


# `retrieve` is Registry's documented keyword: an attrs field `_retrieve` with
# alias="retrieve", an alias referencing's typing of its attrs wrapper hides from mypy.
_REGISTRY: Registry = Registry(retrieve=_retrieve)  # type: ignore[call-arg]


@lru_cache(maxsize=8)
def _registry_for(specs_dir: Path) -> Registry:
    """A registry already holding every shared schema file of a specs directory.

    A registry is immutable: what a validation retrieves on the way is not kept for the
    next one, so without this each call would look every ``$ref``'d file up again.
    """
    resources = [(path.resolve().as_uri(), _retrieve(path.resolve().as_uri())) for path in sorted((specs_dir / "_schemas").glob("*.yaml"))]
    return _REGISTRY.with_resources(resources).crawl()


@lru_cache(maxsize=None)
def compiled_validator(op: Operation, strict: bool) -> Any:
    """The validator of one operation, built once and reused."""
    kind = PayloadValidator if strict else LenientValidator
    registry = _registry_for(op.source.parent) if op.source is not None else _REGISTRY
    return kind(payload_schema(op, strict), registry=registry)


@lru_cache(maxsize=None)
def readable_params(op: Operation, location: str) -> dict[str, Any]:
    """``op``'s parameters in ``location`` with ``$ref``s replaced by their targets (a few
    levels deep): for code that reads form or query text back into typed values."""
    params = op.params_in(location)
    if op.source is None or not params:
        return dict(params)
    resolver = _REGISTRY.resolver(base_uri=op.source.resolve().as_uri())
    return {key: _inline(schema, resolver, 4) for key, schema in params.items()}


def _inline(schema: Any, resolver: Any, depth: int) -> Any:
    if isinstance(schema, list):
        return [_inline(item, resolver, depth) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if isinstance(schema.get("$ref"), str):
        if depth <= 0:
            return {}
        resolved = resolver.lookup(schema["$ref"])
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        target = _inline(resolved.contents, resolved.resolver, depth - 1)
        return {"allOf": [target, _inline(rest, resolver, depth)]} if rest else target
    return {key: _inline(value, resolver, depth) for key, value in schema.items()}


def _short(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."


def _is_tag_mismatch(e: SchemaError) -> bool:
    return e.validator in ("const", "enum") and list(e.relative_path) == ["type"]


def _branches(context: list[SchemaError]) -> dict[Any, list[SchemaError]]:
    by_branch: dict[Any, list[SchemaError]] = {}
    for e in context:
        by_branch.setdefault(e.relative_schema_path[0] if e.relative_schema_path else None, []).append(e)
    return by_branch


def _allowed_tags(context: list[SchemaError]) -> list[str] | None:
    """For a discriminated union whose every branch rejected the ``type`` tag: the tags
    that would have been accepted; else None."""
    branches = _branches(context)
    if not branches or not all(any(map(_is_tag_mismatch, errors)) for errors in branches.values()):
        return None
    tags: list[str] = []
    for e in context:
        if _is_tag_mismatch(e):
            allowed = e.validator_value
            values: list[Any] = list(allowed) if isinstance(allowed, list) else [allowed]
            tags.extend(str(v) for v in values if str(v) not in tags)
    return tags


def _closest_alternative(context: list[SchemaError]) -> SchemaError:
    """The most telling error among a union's failed branches.

    Discriminated unions (``{type: const}`` per branch) fail in every branch whose tag
    differs; those branches say nothing useful, so prefer a branch whose tag matched.
    """
    from jsonschema.exceptions import best_match

    branches = _branches(context).values()
    matched = [e for errors in branches if not any(map(_is_tag_mismatch, errors)) for e in errors]
    return best_match(matched or context)


def violations(op: Operation, payload: Any, strict: bool = False) -> list[Violation]:
    """Every problem of ``payload`` for ``op``, sorted by JSON path."""
    found: dict[tuple[str, str], Violation] = {}
    for error in compiled_validator(op, strict).iter_errors(payload):
        base = list(error.absolute_path)
        if error.validator == "required":
            for key in error.validator_value:
                if isinstance(error.instance, dict) and key not in error.instance:
                    v = Violation(json_path([*base, key]), "required property is missing")
                    found[(v.path, v.message)] = v
            continue
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = set(error.schema.get("properties", {}))
            for key in error.instance:
                if key not in allowed:
                    v = Violation(json_path([*base, key]), "unknown property (strict mode)")
                    found[(v.path, v.message)] = v
            continue
        if error.validator in ("anyOf", "oneOf") and error.context:
            # Say what the closest alternative wanted instead of "is not valid under any".
            tags = _allowed_tags(error.context)
            if tags is not None:
                message = f"{error.instance.get('type')!r} is not a known type (allowed: {', '.join(tags)})"
                v = Violation(json_path([*base, "type"]), _short(message))
            else:
                deepest = _closest_alternative(error.context)
                message = f"matches none of the allowed shapes (closest: {deepest.message})"
                v = Violation(json_path([*base, *deepest.relative_path]), _short(message))
        else:
            v = Violation(json_path(base), _short(error.message))
        found[(v.path, v.message)] = v
    return sorted(found.values(), key=lambda v: (v.path, v.message))


def validate(op: Operation, payload: Any, strict: bool = False) -> None:
    """Raise :class:`ValidationError` listing every problem of ``payload``."""
    if not isinstance(payload, dict):
        raise ValidationError(op.name, [Violation("$", f"payload must be an object, got {type(payload).__name__}")])
    problems = violations(op, payload, strict)
    if problems:
        raise ValidationError(op.name, problems)
