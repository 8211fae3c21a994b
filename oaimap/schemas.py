"""What an operation's payload schema is, and where its ``$ref``s lead.

An operation's payload is one flat object: its path, query, header and body parameters
side by side (:func:`payload_schema`). Its ``$ref``s point into the shared files of
``specs/_schemas/``; the one registry of those files (:func:`registry_for`, with the
``referencing`` library) resolves them for the reference validator
(:mod:`oaimap.validators`), the fast path's bundles (:mod:`oaimap.fastpath`) and the code
that reads form text back into typed values (:func:`readable_params`).

Two oaimap keywords make messages clear where plain JSON Schema would be vague:

* ``oaimapFile`` replaces ``{type: string, format: binary}``: a path (str or
  ``pathlib.Path``) to an existing file, bytes, an open binary file, or a
  ``(filename, content[, content_type])`` tuple;
* ``oaimapPathSegment`` on path parameters: a non-empty string that is not ``.`` or
  ``..`` (those would make an HTTP library rewrite the route).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from . import compiled

if TYPE_CHECKING:
    from referencing import Registry, Resource

    from .specs import Operation


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
    path = Path(unquote(urlparse(uri).path))
    return _schema_file(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=128)
def _schema_file(path: str, mtime_ns: int) -> Resource:
    """Each shared schema file is parsed once (per version on disk), not once per $ref."""
    from referencing import Resource
    from referencing.jsonschema import DRAFT202012

    return Resource.from_contents(compiled.load(Path(path)), DRAFT202012)


@lru_cache(maxsize=1)
def _base_registry() -> Registry:
    """An empty registry that retrieves spec files (``referencing`` is imported only when
    a ``$ref`` must be followed: a fast path answering from its cache never does)."""
    from referencing import Registry

    # `retrieve` is Registry's documented keyword: an attrs field `_retrieve` with
    # alias="retrieve", an alias referencing's typing of its attrs wrapper hides from mypy.
    return Registry(retrieve=_retrieve)  # type: ignore[call-arg]


def registry_for(specs_dir: Path) -> Registry:
    """A registry already holding every shared schema file of a specs directory, as the
    files are now (one registry per version of them).

    A registry is immutable: what a validation retrieves on the way is not kept for the
    next one, so without this each call would look every ``$ref``'d file up again.
    """
    files = sorted((specs_dir / "_schemas").glob("*.yaml"))
    return _registry(tuple((str(path.resolve()), path.stat().st_mtime_ns) for path in files))


@lru_cache(maxsize=8)
def _registry(files: tuple[tuple[str, int], ...]) -> Registry:
    return _base_registry().with_resources((Path(path).as_uri(), _schema_file(path, mtime)) for path, mtime in files).crawl()


def resolver_at(path: Path) -> Any:
    """A resolver whose base is the spec file ``path``: its ``$ref``s, relative to it,
    resolve (any local spec file is read on demand, each once per version)."""
    return _base_registry().resolver(base_uri=path.resolve().as_uri())


def registry_of(op: Operation) -> Registry:
    """The registry ``op``'s ``$ref``s resolve in: the shared files of its specs, as a
    provider profile's overlay widens them when ``op`` is a profile's variant."""
    if op.source is None:
        return _base_registry()
    registry = registry_for(op.source.parent)
    if not op.schema_patches:
        return registry
    key = (op.variant, id(registry))
    cached = _PATCHED.get(key)
    if cached is None or cached[0] is not registry:
        cached = _PATCHED[key] = (registry, _patched(registry, op.source.parent, op.schema_patches))
    return cached[1]


_PATCHED: dict[tuple[str, int], tuple[Registry, Registry]] = {}  # (variant, base registry) -> widened


def _patched(registry: Registry, specs_dir: Path, patches: Any) -> Registry:
    """``registry`` with each patched definition (``"chat.yaml#/Name"``) widened: its
    union gets the ``branches``, its enum the ``enum`` values (a definition that is
    neither becomes ``anyOf: [itself, ...]``)."""
    import copy

    from referencing import Resource
    from referencing.jsonschema import DRAFT202012

    documents: dict[str, Any] = {}
    for target, patch in patches.items():
        file, _, name = target.partition("#/")
        uri = (specs_dir / "_schemas" / file).resolve().as_uri()
        if uri not in documents:
            documents[uri] = copy.deepcopy(registry.contents(uri))
        document = documents[uri]
        if name not in document:
            raise LookupError(f"a provider overlay widens {target}, which does not exist")
        document[name] = _widened(document[name], patch.get("branches", []), patch.get("enum", []))
    return registry.with_resources((uri, Resource.from_contents(doc, DRAFT202012)) for uri, doc in documents.items())


def _widened(schema: dict[str, Any], branches: list[Any], values: list[Any]) -> dict[str, Any]:
    schema = dict(schema)
    if values and isinstance(schema.get("enum"), list):
        schema["enum"] = [*schema["enum"], *values]
    elif values:
        branches = [*branches, {"enum": values}]
    for union in ("oneOf", "anyOf"):
        if branches and isinstance(schema.get(union), list):
            schema[union] = [*schema[union], *branches]
            return schema
    return {"anyOf": [schema, *branches]} if branches else schema


def resolver_for(op: Operation, schema: dict[str, Any]) -> Any:
    """A resolver for ``schema`` (a payload schema of ``op``, with its ``$id``) and its refs."""
    from referencing import Resource
    from referencing.jsonschema import DRAFT202012

    registry = registry_of(op)
    if "$id" in schema:
        registry = registry.with_resource(schema["$id"], Resource.from_contents(schema, DRAFT202012))
    return registry.resolver(base_uri=schema.get("$id", ""))


_REQUIRED: dict[int, tuple[Any, frozenset[str]]] = {}  # id(schema) -> (schema, keys): schemas live as long as their validators


def required_keys(resolver: Any, schema: Any, depth: int = 0) -> frozenset[str]:
    """The keys a branch requires, through ``$ref`` and ``allOf`` (a few levels deep)."""
    if not isinstance(schema, dict) or depth > 6:
        return frozenset()
    cached = _REQUIRED.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    keys = set(schema.get("required") or ())
    if isinstance(schema.get("$ref"), str):
        resolved = resolver.lookup(schema["$ref"])
        keys |= required_keys(resolved.resolver, resolved.contents, depth + 1)
    for member in schema.get("allOf") or ():
        keys |= required_keys(resolver, member, depth + 1)
    _REQUIRED[id(schema)] = (schema, frozenset(keys))
    return frozenset(keys)


@lru_cache(maxsize=None)
def readable_params(op: Operation, location: str) -> dict[str, Any]:
    """``op``'s parameters in ``location`` with ``$ref``s replaced by their targets (a few
    levels deep): for code that reads form or query text back into typed values."""
    params = op.params_in(location)
    if op.source is None or not params:
        return dict(params)
    resolver = registry_of(op).resolver(base_uri=op.source.resolve().as_uri())
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
