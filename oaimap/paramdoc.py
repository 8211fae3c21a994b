"""What there is to say about an operation's parameters: one owner for the docs site,
``oaimap describe`` and the typed stubs.

For each payload key of an :class:`~oaimap.specs.Operation`: where it travels, whether
it is required, a type label, enum values, bounds, default, nullability, the names of
the shared shapes it refers to (``$ref`` targets), and its description. Bounds and
defaults of a nullable parameter (``anyOf: [{type: number, maximum: 2}, {type:
'null'}]``) are read from its non-null branch.

Only structure is read from shared schemas (``specs/_schemas/``); the one prose taken
is a parameter's own ``description`` in its family file, which is written by us (the
importer keeps it on a refresh). Nothing here runs at ``import oaimap``; the first call
reads the schema files it needs, once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import unquote, urldefrag, urljoin, urlparse

from .schemas import resolver_at
from .specs import Operation

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
BOUNDS = (  # JSON Schema keyword, how it reads
    ("minimum", "min"),
    ("maximum", "max"),
    ("exclusiveMinimum", "above"),
    ("exclusiveMaximum", "below"),
    ("minLength", "min length"),
    ("maxLength", "max length"),
    ("minItems", "min items"),
    ("maxItems", "max items"),
)
MAX_ENUM = 24  # enum values listed before "and N more"
MAX_KEYS = 16  # object keys listed before "and N more"
SCALARS = ("string", "integer", "number", "boolean", "null")
MAX_DEPTH = 3  # arrays / maps nested deeper than this are shown as `any`


# -- following $ref ---------------------------------------------------------------------
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
            siblings = {k: v for k, v in schema.items() if k not in ("$ref", "description")}
            if siblings and isinstance(node, dict):
                # 2020-12 allows keywords beside $ref (nullable, default, ...): keep them.
                node = {**node, **siblings}
            schema, base = node, target_file
        return schema, base, name


# -- the shape of a schema -------------------------------------------------------------
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
    home: Path | None = None  # the file that $ref target lives in


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
    home = base if ref_name else None
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
            out.append(Alt("object", keys=tuple(keys.items()), name=ref_name, home=home))
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
                    Alt("object", items=values, keys=tuple((k, k in required) for k in props), name=ref_name, home=home)
                )
            else:
                out.append(ANY)
    if schema.get("nullable") is True:
        out.append(Alt("null"))
    return tuple(dict.fromkeys(out))


def type_label(alts: Iterable[Alt], nested: bool = False) -> str:
    """``string | null``, ``array of object``, ``map of integer``: how a schema reads."""
    labels: list[str] = []
    for alt in alts:
        if alt.kind == "enum":
            kinds = {_json_kind(v) for v in alt.values}
            labels.extend(sorted(kinds))
        elif alt.kind == "array":
            inner = type_label(alt.items, nested=True) if alt.items and not nested else ""
            labels.append(f"array of {inner}" if inner and inner != "any" and inner.count("|") < 3 else "array")
        elif alt.kind == "object":
            inner = type_label(alt.items, nested=True) if alt.items and not nested else ""
            labels.append(f"map of {inner}" if inner and inner != "any" else "object")
        else:
            labels.append(alt.kind)
    labels = list(dict.fromkeys(labels))
    if "null" in labels:  # nullable reads best at the end
        labels.remove("null")
        labels.append("null")
    return " | ".join(labels) or "any"


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "any"


def _is_null(schema: Any) -> bool:
    return isinstance(schema, dict) and (
        schema.get("type") == "null" or schema.get("enum") == [None] or ("const" in schema and schema["const"] is None)
    )


def facets(resolver: Resolver, schema: Any, base: Path, _depth: int = 0) -> dict[str, Any]:
    """``default`` and the bounds of ``schema`` after ``$ref``; for a union with one
    non-null branch (a nullable value), that branch's too (the outer level wins)."""
    followed, base, _ = resolver.follow(schema, base)
    if not isinstance(followed, dict) or _depth > 6:
        return {}
    out = {k: followed[k] for k in ("default", *(k for k, _ in BOUNDS)) if k in followed}
    branches = [b for key in ("anyOf", "oneOf") for b in followed.get(key) or () if not _is_null(b)]
    if len(branches) == 1:
        for key, value in facets(resolver, branches[0], base, _depth + 1).items():
            out.setdefault(key, value)
    return out


# -- values as text -------------------------------------------------------------------
def plain_number(value: Any) -> Any:
    """A number as it should read: integral floats as integers, and the document's
    rounded 64-bit limits (``9223372036854776000``, ``9.223372036854776e18``) as the
    exact int64 bounds. Lists and objects are converted inside; other values unchanged."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        if float(value) >= 2.0**63:
            return INT64_MAX
        if float(value) <= -(2.0**63):
            return INT64_MIN
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value
    if isinstance(value, list):
        return [plain_number(v) for v in value]
    if isinstance(value, dict):
        return {k: plain_number(v) for k, v in value.items()}
    return value


def value_text(value: Any) -> str:
    """A value as JSON, numbers through :func:`plain_number`."""
    return json.dumps(plain_number(value), ensure_ascii=False)


# -- parameter facts ------------------------------------------------------------------
@dataclass(frozen=True)
class ShapeRef:
    """A named shared schema a parameter refers to, and the file that defines it."""

    name: str
    home: Path | None = None


NO_DEFAULT: Any = object()


@dataclass(frozen=True)
class ParamFacts:
    name: str
    location: str  # path, query, header, body (or "property" inside a shape)
    required: bool
    type: str
    nullable: bool = False
    enum: tuple[Any, ...] = ()
    open_enum: bool = False  # a free string is accepted beside the enum values
    item_enum: tuple[Any, ...] = ()  # enum values of an array's items
    bounds: tuple[tuple[str, Any], ...] = ()  # (JSON Schema keyword, value)
    default: Any = NO_DEFAULT
    description: str | None = None
    shapes: tuple[ShapeRef, ...] = ()
    keys: tuple[tuple[str, bool], ...] = ()  # an inline object's (key, required)
    file: bool = False

    @property
    def has_default(self) -> bool:
        return self.default is not NO_DEFAULT

    def fact_texts(self, code: Callable[[str], str] = str, text: Callable[[str], str] = str) -> list[str]:
        """The facts beside the type, as short phrases; ``code`` wraps each value (or key)
        and ``text`` the words around it (HTML-escaping them, for the docs site)."""
        out = []
        if self.enum:
            values = _listed([value_text(v) for v in self.enum], MAX_ENUM, code, text)
            out.append(text("known values (other strings too): " if self.open_enum else "one of ") + values)
        if self.item_enum:
            out.append(text("items: ") + _listed([value_text(v) for v in self.item_enum], MAX_ENUM, code, text))
        if self.has_default:
            out.append(text("default ") + code(value_text(self.default)))
        if self.bounds:
            labels = dict(BOUNDS)
            out.append(text(", ".join(f"{labels[k]} {value_text(v)}" for k, v in self.bounds)))
        if self.keys:
            keys = [f"{k}{'*' if req else ''}" for k, req in self.keys]
            out.append(text("keys (* required): ") + _listed(keys, MAX_KEYS, code, text))
        if self.file:
            out.append(text("a file: path, bytes, open binary file or (filename, content[, type]) tuple"))
        return out


def _listed(values: list[str], limit: int, code: Callable[[str], str], text: Callable[[str], str]) -> str:
    shown = ", ".join(code(v) for v in values[:limit])
    return shown + (text(f" and {len(values) - limit} more") if len(values) > limit else "")


def own_description(schema: Any) -> str | None:
    """The description written beside a parameter in its family file (ours), if any."""
    text = schema.get("description") if isinstance(schema, dict) else None
    return text.strip() if isinstance(text, str) and text.strip() else None


def facts(
    resolver: Resolver, key: str, location: str, schema: Any, base: Path, required: bool, described: bool = True
) -> ParamFacts:
    """Everything there is to say about one parameter (or shape property, with
    ``described=False``: shared schemas' prose is never read)."""
    alts = shape(resolver, schema, base)
    values = [v for a in alts if a.kind == "enum" for v in a.values]
    item_values = [v for a in alts if a.kind == "array" for i in a.items if i.kind == "enum" for v in i.values]
    found = facets(resolver, schema, base)
    named = [a for a in alts if a.name] + [i for a in alts if a.kind == "array" for i in a.items if i.name]
    objects = [a for a in alts if a.kind == "object" and a.keys]
    return ParamFacts(
        name=key,
        location=location,
        required=required,
        type=type_label(alts),
        nullable=any(a.kind == "null" for a in alts),
        enum=tuple(dict.fromkeys(values)),
        open_enum=bool(values) and any(a.kind == "string" for a in alts),
        item_enum=tuple(dict.fromkeys(item_values)),
        bounds=tuple((k, found[k]) for k, _ in BOUNDS if k in found),
        default=found.get("default", NO_DEFAULT),
        description=own_description(schema) if described else None,
        shapes=tuple(dict.fromkeys(ShapeRef(a.name, a.home) for a in named if a.name)),
        keys=objects[0].keys if len(objects) == 1 else (),
        file=any(a.kind == "file" for a in alts) or any(i.kind == "file" for a in alts if a.kind == "array" for i in a.items),
    )


def payload_params(op: Operation) -> Iterator[tuple[str, str, Any]]:
    """(key, location, schema) of every declared payload key, in declaration order."""
    for location in ("path", "query", "header", "body"):
        for key, schema in op.params_in(location).items():
            yield key, location, schema


def required_keys(op: Operation) -> set[str]:
    return set(op.params_in("path")) | set(op.required)


@lru_cache(maxsize=1)
def _resolver() -> Resolver:
    return Resolver()


def params(op: Operation, resolver: Resolver | None = None) -> list[ParamFacts]:
    """The facts of every payload key of ``op``: required keys first, then the rest
    alphabetically."""
    resolver = resolver or _resolver()
    required = required_keys(op)
    listed = list(payload_params(op))
    ordered = [p for p in listed if p[0] in required] + sorted((p for p in listed if p[0] not in required), key=lambda p: p[0])
    base = op.source or Path(".")
    return [facts(resolver, key, location, schema, base, key in required) for key, location, schema in ordered]


def members(resolver: Resolver, schema: Any, base: Path) -> list[ParamFacts]:
    """The properties of a shared object schema (``allOf`` parts merged), as facts
    without descriptions; empty for a schema that is not an object."""
    props: dict[str, tuple[Any, Path]] = {}
    required: set[str] = set()

    def collect(node: Any, where: Path, depth: int = 0) -> None:
        node, where, _ = resolver.follow(node, where)
        if not isinstance(node, dict) or depth > 8:
            return
        for part in node.get("allOf") or ():
            collect(part, where, depth + 1)
        for name, sub in (node.get("properties") or {}).items():
            props[name] = (sub, where)
        required.update(node.get("required") or ())

    collect(schema, base)
    return [facts(resolver, name, "property", sub, where, name in required, described=False) for name, (sub, where) in props.items()]


# -- oaimap describe ------------------------------------------------------------------
RETURNS = {
    "json": "a JSON object",
    "page": "one page of a list",
    "sse": "an event stream (one event per item)",
    "binary": "binary content (bytes)",
    "text": "text",
    "empty": "nothing (an empty answer)",
}


def describe_text(op: Operation) -> str:
    """What ``oaimap describe OP`` prints: the operation, each parameter with its facts
    and description, and the example request as JSON."""
    lines = [op.name]
    if op.aliases:
        lines.append("  aliases: " + ", ".join(op.aliases))
    if op.other_names:
        lines.append("  also named: " + ", ".join(op.other_names))
    if op.method:
        lines.append(f"  {op.method} {op.path}")
    elif op.helper is not None:
        lines.append(f"  helper: {op.helper.get('kind')}")
    if op.summary:
        lines.append(f"  {op.summary}")
    returns = "returns " + RETURNS.get(op.returns, op.returns)
    if op.stream_param and op.returns != "sse":
        returns += f"; with {op.stream_param}=true, an event stream"
    lines.append(f"  {returns}")
    found = params(op)
    lines.append("")
    lines.append("Parameters:" if found else "Parameters: none")
    for p in found:
        head = f"  {p.name}  {p.type}  {'required' if p.required else 'optional'}"
        if p.location != "body":
            head += f"  ({p.location})"
        extras = p.fact_texts()
        if p.shapes:
            extras.append(("shapes: " if len(p.shapes) > 1 else "shape: ") + ", ".join(s.name for s in p.shapes))
        if extras:
            head += "  [" + "; ".join(extras) + "]"
        lines.append(head)
        if p.description:
            lines.append(f"      {p.description}")
    request = op.example.get("request") if isinstance(op.example, dict) else None
    if request:
        lines.append("")
        lines.append("Example request:")
        lines.extend("  " + line for line in json.dumps(request, indent=2, ensure_ascii=False).splitlines())
    return "\n".join(lines) + "\n"
