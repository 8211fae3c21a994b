"""``oaimap specs diff PATH``: what changed between the project's specs and an OpenAPI document.

Both sides are brought to the same form first: the document through
:func:`.convert.convert_operation` / :func:`.schemas.clean_schema` (what the importer
would write), the specs with their ``$ref`` paths mapped back to component names. Then
it lists operations added / removed, parameters added / removed / changed type, enum
values added / removed (in parameters and in shared schemas), and other structural
changes (route, returns, encoding, required keys, pagination, streaming).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, Mapping

from oaimap import compiled
from oaimap.specs import PARAM_LOCATIONS, Operation, SpecRegistry

from . import descriptions
from .convert import convert_operation
from .document import DocOperation, load_document, operations
from .refs import SCHEMAS_DIR, component_name, doc_ref, map_refs, resolve, walk_refs
from .schemas import kinds, schema_closure

_ALL_KINDS = {"string", "integer", "number", "boolean", "array", "object", "null"}


def project_schemas(specs_dir: Path) -> dict[str, Any]:
    """Every shared schema of the project, by component name, references in document form."""
    found: dict[str, Any] = {}
    folder = specs_dir / SCHEMAS_DIR
    for source in sorted(folder.glob("*.yaml")) if folder.is_dir() else ():
        for name, schema in (compiled.load(source) or {}).items():
            found[name] = map_refs(schema, doc_ref)
    return found


def _kinds(doc: Mapping[str, Any], schema: Any) -> str:
    found = kinds(doc, schema)
    return "|".join(sorted(found)) if found and found != _ALL_KINDS else "any"


def _enums(doc: Mapping[str, Any], schema: Any, depth: int = 0) -> set[Any]:
    """Enum values a parameter accepts: through $ref, unions and array items."""
    schema = resolve(doc, schema)
    if not isinstance(schema, dict) or depth > 6:
        return set()
    found = {v for v in schema.get("enum") or [] if v is not None and not isinstance(v, (dict, list))}
    if "const" in schema and not isinstance(schema["const"], (dict, list)):
        found.add(schema["const"])
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key) or []:
            found |= _enums(doc, sub, depth + 1)
    if isinstance(schema.get("items"), dict):
        found |= _enums(doc, schema["items"], depth + 1)
    return found


def _enum_sites(schema: Any, where: str = "") -> Iterator[tuple[str, set[Any]]]:
    """(JSON pointer, enum values) for every enum inside a cleaned schema."""
    if isinstance(schema, dict):
        if isinstance(schema.get("enum"), list):
            yield where or "/", {v for v in schema["enum"] if not isinstance(v, (dict, list))}
        for key, value in schema.items():
            if key in ("properties", "patternProperties") and isinstance(value, dict):
                for name, sub in value.items():
                    yield from _enum_sites(sub, f"{where}/{key}/{name}")
            elif key != "enum":
                yield from _enum_sites(value, f"{where}/{key}")
    elif isinstance(schema, list):
        for index, item in enumerate(schema):
            yield from _enum_sites(item, f"{where}/{index}")


def _enum_changes(label: str, old: set[Any], new: set[Any]) -> list[str]:
    lines = [f"+ enum {label}: {v!r}" for v in sorted(new - old, key=repr)]
    lines += [f"- enum {label}: {v!r}" for v in sorted(old - new, key=repr)]
    return lines


def _compare_operation(
    doc: Mapping[str, Any], theirs: Mapping[str, Any], mine: Mapping[str, Any], dop: DocOperation, op: Operation
) -> list[str]:
    fresh = convert_operation(doc, dop)
    lines: list[str] = []
    name = op.name
    for key, have in (("method", op.method), ("path", op.path), ("encoding", op.encoding), ("returns", op.returns)):
        if fresh[key] != have:
            lines.append(f"~ {name}: {key} {have} -> {fresh[key]}")
    if fresh.get("stream_param") != op.stream_param:
        lines.append(f"~ {name}: stream_param {op.stream_param} -> {fresh.get('stream_param')}")
    if fresh.get("stream_end") and list(fresh["stream_end"]) != list(op.stream_end):
        lines.append(f"~ {name}: stream_end {list(op.stream_end)} -> {fresh['stream_end']}")
    pages = op.pagination if op.returns == "page" else None
    have_pages: dict[str, str | None] | None
    if pages is None:
        have_pages = None
    elif pages.input_token is None:
        have_pages = {"items": pages.items}  # one page, no cursor
    else:
        have_pages = {"input_token": pages.input_token, "output_token": pages.output_token}
    if fresh.get("pagination") != have_pages:
        lines.append(f"~ {name}: pagination {have_pages} -> {fresh.get('pagination')}")
    for key in sorted(set(fresh.get("required") or ()) - set(op.required)):
        lines.append(f"~ {name}: {key} is now required")
    for key in sorted(set(op.required) - set(fresh.get("required") or ())):
        lines.append(f"~ {name}: {key} is no longer required")
    for where in PARAM_LOCATIONS:
        new = (fresh.get("params") or {}).get(where, {})
        # a parameter's own description is people's, not the document's: not compared
        old = {k: map_refs(descriptions.without(v), doc_ref) for k, v in op.params_in(where).items()}
        for key in new.keys() - old.keys():
            lines.append(f"+ param {name}: {where}.{key} ({_kinds(theirs, new[key])})")
        for key in old.keys() - new.keys():
            lines.append(f"- param {name}: {where}.{key}")
        for key in sorted(new.keys() & old.keys()):
            found = []
            before, after = _kinds(mine, old[key]), _kinds(theirs, new[key])
            if before != after:
                found.append(f"~ param {name}: {where}.{key} type {before} -> {after}")
            found += _enum_changes(f"{name}: {where}.{key}", _enums(mine, old[key]), _enums(theirs, new[key]))
            if not found and old[key] != new[key]:
                found.append(f"~ param {name}: {where}.{key} schema changed")
            lines += found
    return lines


def diff(document: str | Path, specs_dir: str | Path | None = None) -> list[str]:
    """Every difference between the specs and the document; empty when in sync."""
    doc = load_document(document)
    registry = SpecRegistry.shared(specs_dir)
    mine_schemas = project_schemas(registry.root)
    mine = {"components": {"schemas": mine_schemas}}
    ops = [op for op in registry.operations() if op.helper is None]
    by_id = {op.operation_id: op for op in ops if op.operation_id}
    by_route = {(op.method, op.path): op for op in ops}
    lines: list[str] = []
    matched: set[int] = set()
    roots: set[str] = set()
    for dop in operations(doc):
        fresh_params = convert_operation(doc, dop).get("params") or {}
        roots |= {n for n in map(component_name, walk_refs(fresh_params)) if n}
    wanted = schema_closure(doc, roots)
    # Types and enums are read from cleaned schemas on both sides (nullable -> null, ...).
    theirs = {"components": {"schemas": wanted}}
    for dop in operations(doc):
        op = by_id.get(dop.operation_id) or by_route.get(dop.key)
        if op is None:
            lines.append(f"+ operation {dop.method} {dop.path} ({dop.operation_id})")
            continue
        matched.add(id(op))
        lines += _compare_operation(doc, theirs, mine, dop, op)
    for op in ops:
        if id(op) not in matched:
            lines.append(f"- operation {op.name} ({op.method} {op.path})")
    for name in sorted(wanted.keys() - mine_schemas.keys()):
        lines.append(f"+ schema {name}")
    for name in sorted(mine_schemas.keys() - wanted.keys()):
        lines.append(f"- schema {name}")
    for name in sorted(wanted.keys() & mine_schemas.keys()):
        if wanted[name] == mine_schemas[name]:
            continue
        old_sites, new_sites = dict(_enum_sites(mine_schemas[name])), dict(_enum_sites(wanted[name]))
        enum_lines = []
        for site in sorted(old_sites.keys() | new_sites.keys()):
            enum_lines += _enum_changes(f"{name}{site}", old_sites.get(site, set()), new_sites.get(site, set()))
        lines += enum_lines or [f"~ schema {name} changed"]
    return lines


def report(document: str | Path, specs_dir: str | Path | None = None) -> tuple[int, str]:
    """(exit code, text) for the command line: 0 in sync, 1 drifted. A last ``todo:``
    line names parameters still lacking a description (it does not count as drift)."""
    lines = diff(document, specs_dir)
    where = specs_dir or "specs"
    registry = SpecRegistry.shared(specs_dir)
    gaps = descriptions.summary(
        descriptions.missing({"name": op.name, "aliases": op.aliases, "params": op.params} for op in registry.operations())
    )
    todo = [f"todo: {gaps}"] if gaps else []
    if not lines:
        return 0, "\n".join([f"in sync: {where} matches {document}", *todo])
    head = f"{len(lines)} difference(s) between {where} and {document} (+ in the document only, - in specs only, ~ changed):"
    return 1, "\n".join([head, *("  " + line for line in lines), *todo])
