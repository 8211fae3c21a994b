"""Payload validation: one compiled jsonschema validator per operation, reused.

An operation's payload is one flat object: its path, query, header and body parameters
side by side. The payload schema is composed from the spec; two oaimap keywords make
the messages clear where plain JSON Schema would be vague, and ``oneOf`` tells the
document's exclusive choices from its accidental overlaps (:func:`_one_of`):

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
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator

from jsonschema import Draft202012Validator, validators
from jsonschema import ValidationError as SchemaError
from jsonschema.exceptions import relevance
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from . import compiled, sendable
from .errors import ValidationError, Violation
from .forms import is_file_value
from .specs import Operation, json_path


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


def _one_of(validator, branches, instance, schema) -> Iterator[SchemaError]:
    """``oneOf``: exactly one branch, except where the document's branches overlap by accident.

    The rule: no branch matching fails as ``anyOf`` does (the context holds every
    branch's errors, which :func:`_explain_union` reads). Several branches matching fail
    only when at least two of them *require different keys of the value* (their
    ``required`` keys, through ``$ref`` and ``allOf``), each having some the other does
    not. Then the caller gave two alternatives at once (``vector_store_ids`` and
    ``vector_stores``) and the message names them: ``give either vector_store_ids or
    vector_stores, not both``.

    Why not plain ``oneOf``: the OpenAPI document's ``oneOf`` branches are often not
    mutually exclusive by construction, and then a value the API takes matches several:
    a free string next to a string enum, ``integer`` next to ``number``, object shapes
    that need the same keys (``Item``'s input message and ``EasyInputMessage`` both
    need ``role`` and ``content``; an eval's ``EvalItem`` and ``{role, content}``), or
    one shape that needs nothing and so takes every object. The document's own example
    requests (``responses.create``, ``conversations.items.create``, ``evals.create``)
    match two branches each. The branches a value can match at the same time are told
    apart only by keys: a ``const`` / ``enum`` tag or a JSON type that differs lets at
    most one of them match, so only branches needing different keys can be satisfied
    together on purpose, and only then is the value refused.
    """
    # Like anyOf, the first branch that matches is enough, unless a rival that needs other
    # keys of the value matches too: only those (few) branches are tried further.
    first = next((i for i, b in enumerate(branches) if next(validator.descend(instance, b, schema_path=i), None) is None), None)
    if first is None:  # every error is gathered only now, for the message
        errors = [e for i, branch in enumerate(branches) for e in validator.descend(instance, branch, schema_path=i)]
        yield SchemaError(f"{instance!r} is not valid under any of the given schemas", context=errors)
        return
    if not isinstance(instance, dict):
        return
    given = set(instance)
    mine = _required_keys(validator._resolver, branches[first])
    needed: list[frozenset[str]] = [mine & given]
    for i, branch in enumerate(branches):
        theirs = _required_keys(validator._resolver, branch)
        if i == first or not theirs <= given or not (theirs - mine) or not (mine - theirs) & given:
            continue
        if next(validator.descend(instance, branch, schema_path=i), None) is None:
            needed.append(theirs & given)
    if len(needed) > 1:
        common = frozenset.intersection(*needed)
        yield SchemaError(_not_both([tuple(key for key in instance if key in keys - common) for keys in needed]))


_REQUIRED: dict[int, tuple[Any, frozenset[str]]] = {}  # id(schema) -> (schema, keys): schemas live as long as their validators


def _required_keys(resolver: Any, schema: Any, depth: int = 0) -> frozenset[str]:
    """The keys a branch requires, through ``$ref`` and ``allOf`` (a few levels deep)."""
    if not isinstance(schema, dict) or depth > 6:
        return frozenset()
    cached = _REQUIRED.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    keys = set(schema.get("required") or ())
    if isinstance(schema.get("$ref"), str):
        resolved = resolver.lookup(schema["$ref"])
        keys |= _required_keys(resolved.resolver, resolved.contents, depth + 1)
    for member in schema.get("allOf") or ():
        keys |= _required_keys(resolver, member, depth + 1)
    _REQUIRED[id(schema)] = (schema, frozenset(keys))
    return frozenset(keys)


def _only_required(branches: Any) -> bool:
    """True for a union whose branches only list required keys (a rule across keys)."""
    return isinstance(branches, list) and all(isinstance(b, dict) and set(b) == {"required"} for b in branches)


def _not_both(alternatives: list[tuple[str, ...]]) -> str:
    names = [" and ".join(keys) for keys in alternatives]
    if len(names) == 2:
        return f"give either {names[0]} or {names[1]}, not both"
    return f"give only one of {', '.join(names[:-1])} or {names[-1]}"


PayloadValidator = validators.extend(
    Draft202012Validator,
    validators={"oaimapFile": _file_keyword, "oaimapPathSegment": _path_segment_keyword, "oneOf": _one_of},
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
    if op.payload_rules:
        schema["allOf"] = [dict(op.payload_rules)]
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
    return Resource.from_contents(compiled.load(Path(path)), DRAFT202012)


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


_TAG_VALUES = 8  # a const or an enum of at most this many values can tag a union branch


def _tag_values(schema: Any) -> list[Any] | None:
    """The values of a tag-like schema, else None: a const, a short enum, or a union of
    those (a nullable tag's null branch allows nothing worth listing)."""
    if not isinstance(schema, dict):
        return None
    if "const" in schema:
        return [schema["const"]]
    values = schema.get("enum")
    if isinstance(values, list):
        return list(values) if len(values) <= _TAG_VALUES else None
    union = schema.get("anyOf", schema.get("oneOf"))
    if not isinstance(union, list):
        return None
    parts = [[] if branch == {"type": "null"} else _tag_values(branch) for branch in union]
    if any(part is None for part in parts):
        return None
    return [value for part in parts for value in part or []] or None


def _rejected_tags(errors: list[SchemaError]) -> dict[str, list[Any]]:
    """The tags one union branch rejected, each with the values the branch allows.

    A tag is a property at the branch's top level whose schema is a const or a short enum
    (``type``, ``role``, ``object``...). The branch rejects it when the instance's value
    is not allowed, or when the instance lacks it and the branch requires it.
    """
    rejected: dict[str, list[Any]] = {}
    for e in errors:
        path = list(e.relative_path)
        if e.validator in ("const", "enum", "anyOf", "oneOf") and len(path) == 1 and isinstance(path[0], str):
            values = _tag_values(e.schema)
            if values is not None:
                rejected[path[0]] = values
        elif e.validator == "required" and not path and isinstance(e.instance, dict):
            properties = e.schema.get("properties", {}) if isinstance(e.schema, dict) else {}
            for key in _as_list(e.validator_value):
                values = _tag_values(properties.get(key))
                if key not in e.instance and values is not None:
                    rejected[key] = values
    return rejected


def _branches(context: list[SchemaError]) -> list[list[SchemaError]]:
    """A union's errors grouped by branch; a branch that is a union itself is replaced
    by its own branches, so ``anyOf: [A, {anyOf: [B, C]}]`` is read as ``[A, B, C]``."""
    by_branch: dict[Any, list[SchemaError]] = {}
    for e in context:
        by_branch.setdefault(e.relative_schema_path[0] if e.relative_schema_path else None, []).append(e)
    branches: list[list[SchemaError]] = []
    for errors in by_branch.values():
        unions = [e for e in errors if e.validator in ("anyOf", "oneOf") and e.context and not e.relative_path]
        if len(unions) == 1:
            rest = [e for e in errors if e is not unions[0]]
            branches.extend(sub + rest for sub in _branches(list(unions[0].context)))
        else:
            branches.append(errors)
    return branches


def _is_type_mismatch(e: SchemaError) -> bool:
    """The branch wants another JSON type than the instance's (null for a number...)."""
    return e.validator == "type" and not e.relative_path


def _declared(errors: list[SchemaError]) -> set[str] | None:
    """The properties a union branch declares, when one of its errors shows its schema."""
    for e in errors:
        if not e.relative_path and isinstance(e.schema, dict) and isinstance(e.schema.get("properties"), dict):
            return set(e.schema["properties"])
    return None


def _best_fitting(branches: list[list[SchemaError]], instance: Any) -> list[list[SchemaError]]:
    """The branches that fit the instance best: fewest of its keys undeclared (a key
    counts only where a branch's errors show its properties), then fewest errors."""
    def misfit(errors: list[SchemaError]) -> tuple[int, int]:
        declared = _declared(errors)
        unknown = 0 if declared is None or not isinstance(instance, dict) else len(set(instance) - declared)
        return unknown, len(errors)

    best = min(map(misfit, branches))
    return [b for b in branches if misfit(b) == best]


def _explain_union(error: SchemaError, ambiguous: bool = False) -> tuple[list[Any], str]:
    """Where (path below the union) and why a failed anyOf/oneOf failed.

    Only the branches of the instance's JSON type count (none: list the types). If
    several remain, tags pick among them: the tag most branches rejected is taken first;
    when no remaining branch that declares it accepts the value, the message lists the
    values those branches allow under the tag's name, else the accepting branches go on.
    The best error of the chosen branches is reported, explained the same way if it is a
    union itself, and introduced as "closest" if several shapes fitted the JSON type.
    """
    branches = _branches(list(error.context))
    typed = [b for b in branches if not any(map(_is_type_mismatch, b))]
    if not typed:
        types = _unique(t for b in branches for e in b if _is_type_mismatch(e) for t in _as_list(e.validator_value))
        return [], f"{error.instance!r} is not of type {', '.join(map(repr, types))}"
    candidates = [(b, _rejected_tags(b), _declared(b)) for b in typed] if len(typed) > 1 else []
    while counts := Counter(key for _, tags, _ in candidates for key in tags):
        key = counts.most_common(1)[0][0]
        accepting = [
            (b, tags, known) for b, tags, known in candidates if key not in tags and (known is None or key in known)
        ]
        if not accepting:
            allowed = ", ".join(map(str, _unique(v for _, tags, _ in candidates for v in tags.get(key, []))))
            if isinstance(error.instance, dict) and key in error.instance:
                return [key], f"{error.instance[key]!r} is not a known {key} (allowed: {allowed})"
            return [key], f"required property is missing (allowed: {allowed})"
        candidates = accepting
    chosen = _best_fitting([b for b, _, _ in candidates] or typed, error.instance)
    best = max((e for b in chosen for e in b), key=relevance)
    ambiguous = ambiguous or len(typed) > 1
    if best.validator in ("anyOf", "oneOf") and best.context:
        path, message = _explain_union(best, ambiguous)
        return [*best.relative_path, *path], message
    message = f"matches none of the allowed shapes (closest: {best.message})" if ambiguous else best.message
    return list(best.relative_path), message


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _unique(values: Iterable[Any]) -> list[Any]:
    seen: list[Any] = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


def violations(op: Operation, payload: Any, strict: bool = False) -> list[Violation]:
    """Every problem of ``payload`` for ``op``, sorted by JSON path."""
    found: dict[tuple[str, str], Violation] = {}
    try:
        errors = list(compiled_validator(op, strict).iter_errors(payload))
    except RecursionError:  # only past sendable.MAX_NESTING, which validate() refuses first
        return [Violation("$", "payload nested too deeply to check")]
    for error in errors:
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
        if error.validator in ("anyOf", "oneOf") and error.context and _only_required(error.validator_value):
            # A rule across keys ("give file_ids or files"): name the alternatives.
            keys = [" and ".join(branch["required"]) for branch in error.validator_value]
            v = Violation(json_path(base), f"give {', '.join(keys[:-1])} or {keys[-1]}")
        elif error.validator in ("anyOf", "oneOf") and error.context:
            # Say what the closest alternative wanted instead of "is not valid under any".
            path, message = _explain_union(error)
            v = Violation(json_path([*base, *path]), _short(message))
        else:
            v = Violation(json_path(base), _short(error.message))
        found[(v.path, v.message)] = v
    return sorted(found.values(), key=lambda v: (v.path, v.message))


def validate(op: Operation, payload: Any, strict: bool = False) -> None:
    """Raise :class:`ValidationError` listing every problem of ``payload``: values that
    cannot be sent at all (:mod:`oaimap.sendable`), then the schema's verdict (skipped
    for a payload nested past the limit, which the schema validator could not walk)."""
    if not isinstance(payload, dict):
        raise ValidationError(op.name, [Violation("$", f"payload must be an object, got {type(payload).__name__}")])
    unsendable = sendable.problems(op, payload)
    if any(p.message == sendable.TOO_DEEP for p in unsendable):
        raise ValidationError(op.name, unsendable)
    try:
        problems = violations(op, payload, strict)
    except (ValueError, TypeError, ArithmeticError):
        # jsonschema compares and prints values as it goes: a complex or a Decimal NaN
        # breaks `minimum`, an int of 5,000 digits cannot be printed. Each is refused
        # by the sendable check, so its report stands alone.
        if not unsendable:
            raise
        problems = []
    # A value the schema already rejects (`limit: [2**64]`) is reported once, by the schema.
    problems += [p for p in unsendable if not any(_within(p.path, q.path) for q in problems)]
    if problems:
        raise ValidationError(op.name, sorted(problems, key=lambda v: (v.path, v.message)))


def _within(path: str, ancestor: str) -> bool:
    return path == ancestor or path.startswith((ancestor + ".", ancestor + "["))
