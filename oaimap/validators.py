"""The reference validator: jsonschema, with oaimap's keywords, one per operation.

jsonschema words every message oaimap reports (:mod:`oaimap.validation`) and is the
reference the fast path (:mod:`oaimap.fastpath`) is tested against. The keywords
``oaimapFile`` and ``oaimapPathSegment`` are described in :mod:`oaimap.schemas`;
``oneOf`` tells the document's exclusive choices from its accidental overlaps
(:func:`_one_of`).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from jsonschema import Draft202012Validator, validators
from jsonschema import ValidationError as SchemaError

from .forms import is_file_value
from .schemas import payload_schema, registry_of, required_keys
from .specs import Operation


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
    mine = required_keys(validator._resolver, branches[first])
    needed: list[frozenset[str]] = [mine & given]
    for i, branch in enumerate(branches):
        theirs = required_keys(validator._resolver, branch)
        if i == first or not theirs <= given or not (theirs - mine) or not (mine - theirs) & given:
            continue
        if next(validator.descend(instance, branch, schema_path=i), None) is None:
            needed.append(theirs & given)
    if len(needed) > 1:
        common = frozenset.intersection(*needed)
        yield SchemaError(_not_both([tuple(key for key in instance if key in keys - common) for keys in needed]))


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


@lru_cache(maxsize=None)
def compiled_validator(op: Operation, strict: bool, shape: bool = False) -> Any:
    """The validator of one operation, built once and reused; with ``shape``, of its
    shape alone (:func:`oaimap.fastpath.shape_schema`, self-contained)."""
    kind = PayloadValidator if strict else LenientValidator
    if shape:
        from .fastpath import shape_schema

        schema = shape_schema(op, strict)
        if schema is not None:
            return kind(schema)
    return kind(payload_schema(op, strict), registry=registry_of(op))
