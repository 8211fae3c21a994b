"""Checking a payload before it is sent, and saying what is wrong with it.

:func:`validate` runs, in order: the values that cannot travel at all
(:mod:`oaimap.sendable`); the fast path's yes/no (:mod:`oaimap.fastpath`), which is the
whole cost of a valid payload; and, only when that says no (or cannot say), the
reference validator (:mod:`oaimap.validators`), whose errors are worded here: like
botocore's ParamValidator, every problem at once, each with its JSON path, and nothing
is sent.
"""

from __future__ import annotations

import logging
from collections import Counter
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterable

from . import fastpath, sendable
from .errors import ConfigurationError, ValidationError, Violation
from .specs import Operation, json_path
from .suggest import near_miss

if TYPE_CHECKING:
    from jsonschema import ValidationError as SchemaError

log = logging.getLogger("oaimap")

LEVELS = ("full", "warn", "shape", "off")  # how much of the schema validate() enforces


def check_level(level: str) -> str:
    """``level`` if it is a validation level, else ConfigurationError."""
    if level not in LEVELS:
        raise ConfigurationError(f"validation must be one of {', '.join(LEVELS)}, not {level!r}")
    return level


def _only_required(branches: Any) -> bool:
    """True for a union whose branches only list required keys (a rule across keys)."""
    return isinstance(branches, list) and all(isinstance(b, dict) and set(b) == {"required"} for b in branches)


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
    from jsonschema.exceptions import relevance

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


def violations(op: Operation, payload: Any, strict: bool = False, shape: bool = False) -> list[Violation]:
    """Every problem of ``payload`` for ``op`` (of its shape alone, with ``shape``),
    sorted by JSON path."""
    from .validators import compiled_validator

    found: dict[tuple[str, str], Violation] = {}
    try:
        errors = list(compiled_validator(op, strict, shape).iter_errors(payload))
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


def validate(op: Operation, payload: Any, strict: bool = False, level: str = "full") -> None:
    """Raise :class:`ValidationError` listing every problem of ``payload``: values that
    cannot be sent at all (:mod:`oaimap.sendable`), then the schema's verdict (skipped
    for a payload nested past the limit, which the schema validator could not walk).

    ``level``: ``full`` (the default) checks the whole schema; ``shape`` only types,
    properties and required keys; ``warn`` checks it all but logs the schema's problems
    as a warning and lets the payload go; ``off`` checks nothing but what cannot be sent.
    """
    check_level(level)
    if not isinstance(payload, dict):
        raise ValidationError(op.name, [Violation("$", f"payload must be an object, got {type(payload).__name__}")])
    unsendable, plain = sendable.check(op, payload)
    shape = level == "shape"
    typos = {} if level == "off" else misspelt_keys(op, payload)
    if level == "off" or (not typos and not unsendable and plain and fastpath.is_valid(op, payload, strict, shape)):
        if unsendable:
            raise ValidationError(op.name, unsendable)
        return
    if any(p.message == sendable.TOO_DEEP for p in unsendable):
        raise ValidationError(op.name, unsendable)
    try:
        problems = violations(op, payload, strict, shape)
    except (ValueError, TypeError, ArithmeticError):
        # jsonschema compares and prints values as it goes: a complex or a Decimal NaN
        # breaks `minimum`, an int of 5,000 digits cannot be printed. Each is refused
        # by the sendable check, so its report stands alone.
        if not unsendable:
            raise
        problems = []
    if typos:
        problems = _with_typos(problems, typos)
    if level == "warn" and problems and not unsendable:
        log.warning("%s", ValidationError(op.name, problems))  # sent anyway: the caller chose so
        return
    # A value the schema already rejects (`limit: [2**64]`) is reported once, by the schema.
    problems += [p for p in unsendable if not any(_within(p.path, q.path) for q in problems)]
    if problems:
        raise ValidationError(op.name, sorted(problems, key=lambda v: (v.path, v.message)))


def misspelt_keys(op: Operation, payload: dict[Any, Any]) -> dict[str, str]:
    """Payload keys that are near misses of the operation's parameters (``temprature``
    → ``temperature``), strict mode or not: sending one would drop the setting silently.
    A key that is no near miss may be a parameter newer than the specs and goes into the
    body as before; ``extra_body`` is never checked."""
    unknown = payload.keys() - op.location_of.keys()
    if not unknown:
        return {}
    typos = {}
    for key in sorted(k for k in unknown if isinstance(k, str)):
        meant = _meant(op, key)
        if meant is not None:
            typos[key] = meant
    return typos


@lru_cache(maxsize=4096)  # an undeclared key (a parameter newer than the specs) comes back on every call
def _meant(op: Operation, key: str) -> str | None:
    return near_miss(key, op.location_of)


def _with_typos(problems: list[Violation], typos: dict[str, str]) -> list[Violation]:
    """The typos reported (in place of strict mode's "unknown property"), and a missing
    required key that a typo was meant to be says so."""
    typed_for = {json_path([meant]): typed for typed, meant in typos.items()}
    typed_paths = {json_path([typed]) for typed in typos}
    out = [Violation(json_path([typed]), f'unknown property; did you mean "{meant}"?') for typed, meant in typos.items()]
    for problem in problems:
        if problem.path in typed_paths:
            continue
        if problem.path in typed_for and problem.message == "required property is missing":
            problem = Violation(problem.path, f'required property is missing ("{typed_for[problem.path]}" looks like a misspelling of it)')
        out.append(problem)
    return out


def _within(path: str, ancestor: str) -> bool:
    return path == ancestor or path.startswith((ancestor + ".", ancestor + "["))
