"""Payload strategies for tests/test_fuzz.py, built from each operation's own schema.

* valid payloads: hypothesis-jsonschema's ``from_schema`` on the operation's flat payload
  schema (``oaimap.schemas.payload_schema``) with every ``$ref`` inlined from the spec
  files (recursive schemas cut at a fixed depth) and oaimap's two custom keywords replaced
  by plain JSON Schema: ``oaimapFile`` by a sentinel string that is turned into bytes or a
  ``(name, bytes, type)`` tuple after drawing, ``oaimapPathSegment`` by "a non-empty string
  that is not . or ..". Common shapes (objects, lists, unions, nullable type lists,
  $ref-with-siblings) become strategies once (``_Builder``); only the leaves go to
  ``from_schema``. A leaf hypothesis-jsonschema cannot handle gets any JSON value
  instead and its operation is listed in ``FALLBACK`` (none today).
* mutated payloads: a valid payload with one to three mutations applied (wrong types,
  unknown keys with junk, awkward unicode, huge integers, non-finite floats, deep nesting,
  bytes under a non-file key, very long path parameters, awkward key names, non-JSON
  numbers (complex, Decimal, Fraction), odd file values).
"""

from __future__ import annotations

import math
import string
import warnings
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from hypothesis import strategies as st
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from oaimap.specs import Operation, read_yaml
from oaimap.schemas import payload_schema

FILE_SENTINEL = "\x00oaimap-fuzz-file\x00"
# A $ref this many levels below the payload is not followed: the branch becomes `false`
# (never generated), which keeps recursive schemas (JSON Schema of a JSON Schema, nested
# filters) finite and the generated payloads still valid.
REF_DEPTH = 4
# Keywords of JSON Schema hypothesis-jsonschema does not need (or rejects, for `format`
# names it does not know: int64, float, unixtime): the validator checks no format either.
_DROP = {"format", "default", "description", "examples", "example", "title", "deprecated",
         "discriminator", "readOnly", "writeOnly", "$comment", "$id", "$schema"}

# Operation name -> the sub-schemas hypothesis-jsonschema could not handle (given any JSON).
FALLBACK: dict[str, str] = {}


# -- schema preparation ------------------------------------------------------------------
def _retrieve(uri: str) -> Resource:
    return Resource.from_contents(read_yaml(Path(unquote(urlparse(uri).path))), DRAFT202012)


_REGISTRY: Registry = Registry(retrieve=_retrieve)  # type: ignore[call-arg]


def _is_path_segment(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("oaimapPathSegment") is True


def _plain(schema: Any, resolver: Any, depth: int) -> Any:
    """``schema`` with $refs inlined and oaimap's keywords made plain JSON Schema."""
    if isinstance(schema, list):
        return [_plain(item, resolver, depth) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if schema.get("oaimapFile") is True:
        return {"const": FILE_SENTINEL}
    if _is_path_segment(schema):
        return {"type": "string", "minLength": 1, "not": {"enum": [".", ".."]}}
    if isinstance(schema.get("$ref"), str):
        if depth <= 0:
            return False
        resolved = resolver.lookup(schema["$ref"])
        target = _plain(resolved.contents, resolved.resolver, depth - 1)
        rest = _plain({k: v for k, v in schema.items() if k != "$ref"}, resolver, depth)
        return {"allOf": [target, rest]} if rest else target
    out: dict[str, Any] = {}
    kinds = schema.get("type")
    if "integer" in ([kinds] if isinstance(kinds, str) else kinds or []):
        # Valid payloads stay sendable: oaimap refuses integers beyond 64 bits (MAX_INT)
        # whatever the schema says; huge integers are a mutation of their own.
        out["minimum"], out["maximum"] = -(2**63), 2**63 - 1
    for key, value in schema.items():
        if key in _DROP or key.startswith("x-"):
            continue
        if key in ("properties", "patternProperties", "$defs", "definitions"):
            out[key] = {name: _plain(sub, resolver, depth) for name, sub in value.items()}
        else:
            out[key] = _plain(value, resolver, depth)
    return out


@lru_cache(maxsize=None)
def plain_schema(op: Operation) -> dict[str, Any]:
    """The lenient payload schema of ``op``, self-contained, for hypothesis-jsonschema."""
    schema = payload_schema(op, strict=False)
    base = op.source.resolve().as_uri() if op.source is not None else ""
    resolver = _REGISTRY.resolver(base_uri=base)
    out = _plain({k: v for k, v in schema.items() if k != "$id"}, resolver, REF_DEPTH)
    # Outside strict mode unknown keys are allowed; generate only declared ones here
    # (unknown keys are a mutation of their own).
    out["additionalProperties"] = False
    return out


# -- value strategies ----------------------------------------------------------------------
FILE_NAMES = st.one_of(
    st.sampled_from(["a.txt", "train.jsonl", "speech.mp3", "image.png", "x"]),
    st.text(min_size=1, max_size=12),
)
FILE_TYPES = st.sampled_from(["application/octet-stream", "text/plain", "image/png", "audio/mpeg"])
FILE_VALUES = st.one_of(
    st.binary(max_size=64),
    st.tuples(FILE_NAMES, st.binary(max_size=64)),
    st.tuples(FILE_NAMES, st.binary(max_size=64), FILE_TYPES),
)


def _count_files(value: Any) -> int:
    if value == FILE_SENTINEL:
        return 1
    if isinstance(value, dict):
        return sum(_count_files(v) for v in value.values())
    if isinstance(value, list):
        return sum(_count_files(v) for v in value)
    return 0


def _put_files(value: Any, files: list[Any]) -> Any:
    if isinstance(value, str) and value == FILE_SENTINEL:
        return files.pop()
    if isinstance(value, dict):
        return {k: _put_files(v, files) for k, v in value.items()}
    if isinstance(value, list):
        return [_put_files(v, files) for v in value]
    return value


@st.composite
def _with_files(draw: st.DrawFn, base: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    payload = draw(base)
    count = _count_files(payload)
    if not count:
        return payload
    files = draw(st.lists(FILE_VALUES, min_size=count, max_size=count))
    return _put_files(payload, files)


JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)


_OBJECT_KEYS = {"type", "properties", "required", "additionalProperties"}
_ARRAY_KEYS = {"type", "items", "minItems", "maxItems"}
_MERGEABLE = {"type", "properties", "required", "anyOf"}


def _types(schema: dict[str, Any]) -> set[str] | None:
    kind = schema.get("type")
    return None if kind is None else ({kind} if isinstance(kind, str) else set(kind))


def _merge(a: Any, b: Any) -> Any:
    """``allOf: [a, b]`` as one schema, for the simple shapes the specs use (a $ref plus
    sibling keywords, a union plus its shared ``type``); None when it is not simple."""
    if a is True or a == {}:
        return b
    if b is True or b == {}:
        return a
    if a is False or b is False:
        return False
    if not (isinstance(a, dict) and isinstance(b, dict) and set(a) <= _MERGEABLE and set(b) <= _MERGEABLE):
        return None
    if "anyOf" in a and "anyOf" in b:
        return None
    out: dict[str, Any] = {}
    ta, tb = _types(a), _types(b)
    if ta is not None or tb is not None:
        kinds = (ta if tb is None else tb if ta is None else ta & tb)
        if "integer" in (ta or set()) | (tb or set()) and "number" in (ta or set()) | (tb or set()):
            return None  # integer within number: not worth the care here
        if not kinds:
            return False
        out["type"] = sorted(kinds) if len(kinds) > 1 else next(iter(kinds))
    props_a, props_b = a.get("properties", {}), b.get("properties", {})
    if props_a or props_b:
        merged = dict(props_a)
        for key, sub in props_b.items():
            if key in merged:
                both = _merge(merged[key], sub)
                if both is None:
                    return None
                merged[key] = both
            else:
                merged[key] = sub
        out["properties"] = merged
    required = list(dict.fromkeys([*a.get("required", ()), *b.get("required", ())]))
    if required:
        out["required"] = required
    if "anyOf" in a or "anyOf" in b:
        out["anyOf"] = a.get("anyOf") or b.get("anyOf")
    return out


class _Builder:
    """Schema -> strategy, built once per operation.

    hypothesis-jsonschema re-canonicalises (and re-merges) every nested schema on every
    draw, which costs up to a second per payload on the large unions of the Responses
    and Chat input items. Here the common shapes (objects with properties, lists, unions,
    nullable type lists, $ref-with-siblings allOfs) become Hypothesis strategies once, and
    only the leaves (strings, numbers, enums, patterns, odd objects) go to ``from_schema``.
    Sub-schemas ``from_schema`` cannot handle get any JSON value and are noted in
    ``problems``.
    """

    def __init__(self) -> None:
        self.problems: list[str] = []

    def leaf(self, schema: Any) -> st.SearchStrategy[Any]:
        from hypothesis_jsonschema import from_schema

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                strategy = from_schema(schema)
                strategy.validate()
            return strategy
        except Exception as exc:  # noqa: BLE001 - whatever it cannot do, any JSON instead
            self.problems.append(f"{type(exc).__name__}: {str(exc)[:160]}")
            return JSON_VALUES

    def build(self, schema: Any) -> st.SearchStrategy[Any]:
        if schema is False:
            return st.nothing()
        if schema is True or schema == {}:
            return JSON_VALUES
        if not isinstance(schema, dict):
            return self.leaf(schema)
        if schema.get("const") == FILE_SENTINEL:
            return st.just(FILE_SENTINEL)
        keys = set(schema)
        if keys == {"allOf"}:
            merged: Any = {}
            for part in schema["allOf"]:
                merged = _merge(merged, part)
                if merged is None:
                    return self.leaf(schema)
            if merged != schema:
                return self.build(merged)
            return self.leaf(schema)
        if "anyOf" in keys and keys <= _MERGEABLE:
            rest = {k: v for k, v in schema.items() if k != "anyOf"}
            branches = []
            for branch in schema["anyOf"]:
                merged = _merge(rest, branch) if rest else branch
                branches.append(self.build(merged) if merged is not None else self.leaf({"allOf": [rest, branch]}))
            return _one_of(branches)
        kinds = _types(schema)
        if kinds is not None and len(kinds) > 1 and not ({"enum", "const"} & keys):
            return _one_of([self.build({**schema, "type": kind}) for kind in sorted(kinds)])
        if (kinds == {"object"} or (kinds is None and "properties" in keys)) and keys <= _OBJECT_KEYS:
            return self.object(schema)
        if kinds == {"array"} and keys <= _ARRAY_KEYS:
            items = self.build(schema.get("items", True))
            low = schema.get("minItems", 0)
            high = min(schema.get("maxItems", low + 3), low + 3)
            if items.is_empty:
                return st.just([]) if low == 0 else st.nothing()
            return st.lists(items, min_size=low, max_size=high)
        return self.leaf(schema)

    def object(self, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
        properties = schema.get("properties", {})
        required = schema.get("required", [])
        extra = schema.get("additionalProperties", True)
        if not properties and not required and extra in (True, {}):  # any object: JSON inside
            return st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=3)
        if not properties and isinstance(extra, dict) and extra:  # a map
            values = self.build(extra)
            return st.dictionaries(st.text(max_size=10), values, max_size=3) if not values.is_empty else st.just({})
        fixed = {}
        for key in required:
            fixed[key] = self.build(properties[key]) if key in properties else JSON_VALUES
        optional = {}
        for key, sub in properties.items():
            if key not in fixed:
                strategy = self.build(sub)
                if not strategy.is_empty:
                    optional[key] = strategy
        if any(s.is_empty for s in fixed.values()):
            return st.nothing()
        return st.fixed_dictionaries(fixed, optional=optional)


def _one_of(strategies: list[st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    alive = [s for s in strategies if not s.is_empty]
    return st.one_of(alive) if alive else st.nothing()


@lru_cache(maxsize=None)
def valid_payloads(op: Operation) -> st.SearchStrategy[dict[str, Any]]:
    """Payloads that match ``op``'s schema (files included), as far as generation can tell."""
    builder = _Builder()
    base = builder.build(plain_schema(op))
    if base.is_empty:
        builder.problems.append("no payload satisfies the (depth-cut) schema")
        schema = plain_schema(op)
        base = st.fixed_dictionaries({k: builder.leaf(schema["properties"].get(k, True)) for k in schema["required"]})
    if builder.problems:
        FALLBACK[op.name] = "; ".join(dict.fromkeys(builder.problems))
    return _with_files(base)


# -- mutations -------------------------------------------------------------------------------
WEIRD_TEXT = st.one_of(
    st.sampled_from([
        "\ud800",  # lone high surrogate
        "a\udfffb",  # lone low surrogate inside text
        "line\u2028sep\u2029para",
        "nul\x00byte",
        "emoji \U0001f600\U0001f468\u200d\U0001f469\u200d\U0001f467",
        "\ufeffbom",
        "cr\rlf\n",
        "\u0085nel",
        "quote\"back\\slash",
        "%2F..%2F",
        "[bracket]",
        "",
        "\x7f\x1b[31m",
    ]),
    st.text(st.characters(exclude_categories=()), max_size=16),  # surrogates included
)


def _deep(levels: int, kind: str) -> Any:
    value: Any = "leaf"
    for i in range(levels):
        if kind == "list":
            value = [value]
        elif kind == "dict":
            value = {"k": value}
        else:
            value = [value] if i % 2 else {"k": value}
    return value


JUNK = st.one_of(
    JSON_VALUES,
    WEIRD_TEXT,
    st.sampled_from([10**30, -(10**30), 2**63, -(2**63) - 1, 2**63 - 1, 10**4999 * 9]),
    st.sampled_from([math.nan, math.inf, -math.inf]),
    st.sampled_from([b"raw bytes", bytearray(b"ba"), b""]),
    st.builds(_deep, st.sampled_from([65, 200]), st.sampled_from(["list", "dict", "mixed"])),
    st.sampled_from([object(), {1, 2}, (1, 2), 1 + 2j, Decimal("1.5"), Decimal("NaN"), Fraction(1, 3),
                     {1: "int key"}, {None: "none key"}]),
)
WRONG_TYPES = st.one_of(
    st.sampled_from([1 + 2j, Decimal("2"), Fraction(1, 2), 3.0, -0.0]),  # numbers JSON has not / ints as floats
    st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False), st.text(max_size=5),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
FILE_JUNK = st.one_of(
    st.tuples(WEIRD_TEXT, st.binary(max_size=8)),  # odd (or unencodable) file names
    st.tuples(st.just("a.txt"), st.binary(max_size=8), WEIRD_TEXT),  # odd content types
    st.sampled_from([
        ("a.txt", "no-such-file.bin"),  # content given as a path that does not exist
        ("a.txt", 12),
        ("a.txt", b"x", "text/plain", "extra"),
        "/no/such/file",
        "",
        [],
        [b"one", ("two.txt", b"2")],
        12,
        None,
        {"file": b"x"},
    ]),
)
JUNK_KEYS = st.one_of(
    st.sampled_from(["zz_unknown", "extra", "a[b]", "[]", "x y", "é", "\u2028", "k\x00", "\ud800"]),
    st.text(string.ascii_letters + "_[]", min_size=1, max_size=8),
)


def _leaf_paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Paths to every scalar inside ``value`` (containers' own paths too)."""
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out.extend(_leaf_paths(v, (*prefix, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(_leaf_paths(v, (*prefix, i)))
    return out


def _get_at(root: Any, path: tuple) -> Any:
    for part in path:
        root = root[part]
    return root


def _set_at(root: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(root, dict):
        return {**root, head: _set_at(root[head], rest, new)}
    copy = list(root)
    copy[head] = _set_at(root[head], rest, new)
    return copy


@st.composite
def _mutate_once(draw: st.DrawFn, op: Operation, payload: dict[str, Any]) -> dict[str, Any]:
    declared = list(payload_schema(op, strict=False)["properties"])
    path_keys = list(op.params_in("path"))
    kinds = ["unknown_key", "wrong_type", "weird_text", "huge_int", "non_finite", "deep", "bytes", "nested_junk",
             "weird_key"]
    if path_keys:
        kinds.append("long_path")
    files = [k for k in op.file_params if k in payload]
    if files:
        kinds.append("file_junk")
    kind = draw(st.sampled_from(kinds))
    out = dict(payload)
    if kind == "unknown_key":
        out[draw(JUNK_KEYS.filter(lambda k: k not in declared))] = draw(JUNK)
    elif kind == "wrong_type" and declared:
        out[draw(st.sampled_from(declared))] = draw(WRONG_TYPES)
    elif kind == "weird_text":
        out[draw(st.sampled_from(declared + ["zz_text"]))] = draw(WEIRD_TEXT)
    elif kind == "huge_int":
        out[draw(st.sampled_from(declared + ["zz_int"]))] = draw(
            st.sampled_from([10**30, -(10**30), 2**63, 7 * 10**4999])
        )
    elif kind == "non_finite":
        out[draw(st.sampled_from(declared + ["zz_float"]))] = draw(st.sampled_from([math.nan, math.inf, -math.inf]))
    elif kind == "deep":
        out[draw(st.sampled_from(declared + ["zz_deep"]))] = _deep(
            draw(st.sampled_from([65, 200])), draw(st.sampled_from(["list", "dict", "mixed"]))
        )
    elif kind == "bytes":
        non_file = [k for k in declared if k not in op.file_params] + ["zz_bytes"]
        out[draw(st.sampled_from(non_file))] = draw(st.sampled_from([b"raw bytes", bytearray(b"\xff\x00")]))
    elif kind == "long_path":
        out[draw(st.sampled_from(path_keys))] = draw(st.sampled_from(["p" * 100_000, "p" * 1025, "é" * 600]))
    elif kind == "weird_key":  # an awkward key name, at the top or inside an object
        key = draw(st.one_of(WEIRD_TEXT, JUNK_KEYS))
        objects = [p for p in _leaf_paths(out) if p and isinstance(_get_at(out, p), dict)]
        if objects and draw(st.booleans()):
            where = draw(st.sampled_from(objects))
            out = _set_at(out, where, {**_get_at(out, where), key: draw(JSON_LEAVES)})
        elif key not in declared:
            out[key] = draw(JSON_LEAVES)
    elif kind == "file_junk":
        out[draw(st.sampled_from(files))] = draw(FILE_JUNK)
    else:  # nested_junk: replace any value somewhere inside the payload
        paths = [p for p in _leaf_paths(out) if p]
        if paths:
            out = _set_at(out, draw(st.sampled_from(paths)), draw(JUNK))
        else:
            out["zz_nested"] = {"inner": [draw(JUNK)]}
    return out


@st.composite
def mutated_payloads(draw: st.DrawFn, op: Operation) -> dict[str, Any]:
    payload = draw(valid_payloads(op))
    for _ in range(draw(st.integers(1, 3))):
        payload = draw(_mutate_once(op, payload))
    return payload


def payloads(op: Operation) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    """("valid" | "mutated", payload): about half of each."""
    return st.one_of(
        valid_payloads(op).map(lambda p: ("valid", p)),
        mutated_payloads(op).map(lambda p: ("mutated", p)),
    )
