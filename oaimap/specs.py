"""Load operation specs: one YAML file per family, read lazily and cached.

An index maps every operation name and alias to its family, so resolving a name reads
one small file: it is derived from the family files and kept in the compiled cache
(:func:`read_index`), so a family file added or edited by hand is seen on the next
``Client()``, with no command to run. A family's own file is parsed (and checked against
``spec_format.yaml``) the first time one of its operations is used, like botocore's
loaders. Nothing here runs at ``import oaimap``.
"""

from __future__ import annotations

import difflib
import re
import threading
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping

from . import compiled
from .errors import SpecError, UnknownOperationError

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator


PARAM_LOCATIONS = ("path", "query", "header", "body")
_PATH_FIELD = re.compile(r"{([^{}]+)}")


def yaml_loader() -> Any:
    """PyYAML's safe loader, libyaml's when present. PyYAML is imported only when a YAML
    file is read: a current compiled cache (:mod:`oaimap.compiled`) never needs it."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    import yaml

    with open(path, "rb") as fh:
        return yaml.load(fh, Loader=yaml_loader())


def dump_yaml(data: Any) -> str:
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True, width=100)


def default_specs_dir() -> Path:
    """The specs shipped with oaimap: inside the wheel, or the checkout's ``specs/``."""
    here = Path(__file__).resolve().parent
    bundled = here / "_specs"
    return bundled if bundled.is_dir() else here.parent / "specs"


@dataclass(frozen=True)
class Pagination:
    """How a list operation pages; without ``input_token`` the list is a single page."""

    input_token: str | None = None
    output_token: str | None = None
    items: str = "data"
    more: str = "has_more"

    def next_token(self, page: Mapping[str, Any]) -> Any:
        """The cursor for the page after ``page``, or None when it was the last."""
        items = page.get(self.items) or []
        if self.input_token is None or self.output_token is None or not page.get(self.more) or not items:
            return None
        if self.output_token == "@last":
            last = items[-1]
            return last.get("id") if isinstance(last, dict) else None
        return page.get(self.output_token)


DEFAULT_PAGINATION = Pagination(input_token="after", output_token="@last")


@dataclass(frozen=True, eq=False)
class Operation:
    """One API operation, as declared in its family's spec file.

    Compared and hashed by identity: a registry holds exactly one object per operation,
    which lets compiled validators be cached per operation.
    """

    name: str
    family: str
    summary: str
    method: str
    path: str
    returns: str
    aliases: tuple[str, ...] = ()  # the seed's names: list operations answer with the items
    other_names: tuple[str, ...] = ()  # dotted synonyms of `name`, same behaviour
    param_aliases: Mapping[str, str] = field(default_factory=dict)  # payload key -> declared param
    payload_rules: Mapping[str, Any] = field(default_factory=dict)  # schema over the whole payload
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    encoding: str = "none"
    stream_param: str | None = None
    stream_end: tuple[str, ...] = ()
    text_when: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # payload key -> values that make the answer text
    pagination: Pagination | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    helper: Mapping[str, Any] | None = None
    large_file: Mapping[str, Any] | None = None  # {over: bytes, via: a chunked_upload helper}
    params_from: str | None = None
    example: Mapping[str, Any] = field(default_factory=dict)
    operation_id: str | None = None
    deprecated: bool = False
    source: Path | None = field(default=None, compare=False)
    # A provider profile's view of the operation (oaimap/profiles.py): its name (with a
    # digest of its overlay) and the shared schema definitions it widens.
    variant: str = ""
    schema_patches: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def params_in(self, location: str) -> Mapping[str, Any]:
        return self.params.get(location, {})

    @cached_property
    def location_of(self) -> dict[str, str]:
        """Payload key -> where it travels (path, query, header, body)."""
        return {key: loc for loc in PARAM_LOCATIONS for key in self.params_in(loc)}

    @cached_property
    def file_params(self) -> frozenset[str]:
        """Body keys whose schema holds a file (``format: binary``): sent as multipart parts."""
        from .schemas import has_file_param

        return frozenset(k for k, schema in self.params_in("body").items() if has_file_param(schema))

    @cached_property
    def route(self) -> tuple[str, str]:
        """The path template and its literal query string (``?beta=true``), split."""
        route, _, literal_query = self.path.partition("?")
        return route, literal_query

    @property
    def path_fields(self) -> list[str]:
        return _PATH_FIELD.findall(self.route[0])


def parse_operation(family: str, raw: Mapping[str, Any], source: Path) -> Operation:
    """One operation of a family file (``raw`` as written under ``operations:``)."""
    pagination = raw.get("pagination")
    return Operation(
        name=raw["name"],
        family=family,
        summary=raw["summary"],
        method=raw.get("method", ""),
        path=raw.get("path", ""),
        returns=raw["returns"],
        aliases=tuple(raw.get("aliases", ())),
        other_names=tuple(raw.get("other_names", ())),
        param_aliases=dict(raw.get("param_aliases") or {}),
        payload_rules=dict(raw.get("payload_rules") or {}),
        params={loc: dict(raw.get("params", {}).get(loc) or {}) for loc in PARAM_LOCATIONS},
        required=tuple(raw.get("required", ())),
        encoding=raw.get("encoding", "json" if "body" in raw.get("params", {}) else "none"),
        stream_param=raw.get("stream_param"),
        stream_end=tuple(raw.get("stream_end", ())),
        text_when={key: tuple(values) for key, values in (raw.get("text_when") or {}).items()},
        pagination=(
            Pagination(**pagination)
            if pagination
            else (DEFAULT_PAGINATION if raw["returns"] == "page" else None)
        ),
        headers=dict(raw.get("headers", {})),
        helper=raw.get("helper"),
        large_file=raw.get("large_file"),
        params_from=raw.get("params_from"),
        example=raw.get("example", {}),
        operation_id=raw.get("operation_id"),
        deprecated=bool(raw.get("deprecated", False)),
        source=source,
    )


_FORMAT = Path(__file__).with_name("spec_format.yaml")


@lru_cache(maxsize=4)
def _format_validator(format_file: Path) -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(compiled.load(format_file))


def first_format_error(format_file: Path, raw: Any) -> tuple[list[Any], str] | None:
    """(path, message) of the first place where ``raw`` breaks the JSON Schema in
    ``format_file`` (``spec_format.yaml``, ``profile_format.yaml``), or None."""
    errors = sorted(_format_validator(format_file).iter_errors(raw), key=lambda e: list(e.absolute_path))
    return (list(errors[0].absolute_path), errors[0].message) if errors else None


@lru_cache(maxsize=4)
def format_version(format_file: Path) -> str:
    """The digest of a format schema file, read once per process: a file checked against
    another version of its format is checked again."""
    return compiled.stamp(format_file)[2]


def check_format(source: Path, raw: Any) -> None:
    """SpecError naming the file, the operation and the JSON path of the first place
    where ``raw`` (a family file's data) breaks ``spec_format.yaml``."""
    error = first_format_error(_FORMAT, raw)
    if error:
        path, message = error
        in_op = ""
        if len(path) >= 2 and path[0] == "operations" and isinstance(path[1], int):
            op_raw = raw["operations"][path[1]]
            in_op = f", operation {op_raw.get('name', '#' + str(path[1]))}" if isinstance(op_raw, dict) else ""
        raise SpecError(f"{source}{in_op}: {json_path(path)}: {message}")


def load_family(source: Path) -> Any:
    """A family file's data, checked against the format when it is compiled (as Python
    compiles only what parses): a current compiled form was checked already."""
    return compiled.load(source, check=lambda raw: check_format(source, raw), check_version=format_version(_FORMAT))


def json_path(parts: Iterable[str | int]) -> str:
    """``['input', 0, 'type']`` -> ``$.input[0].type``."""
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def parse_family(source: Path, raw: Any, *, format_checked: bool = False) -> list[Operation]:
    """Check a parsed spec file and build its operations; SpecError names what is wrong.
    ``format_checked``: ``raw`` comes from :func:`load_family`, checked already."""
    if not format_checked:
        check_format(source, raw)
    family = raw["family"]
    if source.stem != family:
        raise SpecError(f"{source}: $.family: {family!r} must match the file name")
    operations = [parse_operation(family, op_raw, source) for op_raw in raw["operations"]]
    for index, op in enumerate(operations):
        problem = _check_operation(op)
        if problem:
            where, message = problem
            raise SpecError(f"{source}, operation {op.name}: $.operations[{index}]{where}: {message}")
    return operations


def _check_operation(op: Operation) -> tuple[str, str] | None:
    """Consistency rules the JSON Schema of the format cannot express."""
    declared_path = set(op.params_in("path"))
    in_route = set(op.path_fields)
    if declared_path != in_route:
        return ".params.path", f"route fields {sorted(in_route)} != declared {sorted(declared_path)}"
    seen: dict[str, str] = {}
    for loc in PARAM_LOCATIONS:
        for key in op.params_in(loc):
            if key in seen:
                return f".params.{loc}.{key}", f"also declared in params.{seen[key]}"
            seen[key] = loc
    for key in op.required:
        if key not in seen and not op.params_from:
            return ".required", f"{key!r} is required but not declared in params"
    if op.stream_param and op.stream_param not in seen:
        return ".stream_param", f"{op.stream_param!r} is not a declared parameter"
    for key in op.text_when:
        if key not in seen:
            return f".text_when.{key}", f"{key!r} is not a declared parameter"
        if op.returns != "json":
            return ".text_when", f"only a JSON operation can answer text instead (this one returns {op.returns})"
    for alias, target in op.param_aliases.items():
        if target not in seen:
            return f".param_aliases.{alias}", f"{target!r} is not a declared parameter"
        if alias in seen:
            return f".param_aliases.{alias}", f"{alias!r} is a declared parameter itself"
    if op.returns == "page" and op.pagination and op.pagination.input_token not in (None, *seen):
        return ".pagination.input_token", f"{op.pagination.input_token!r} is not a declared parameter"
    return None


class SpecRegistry:
    """Every operation of a specs directory, resolved by name or alias on demand."""

    def __init__(self, root: Path | str | None = None):
        self.root = Path(root) if root is not None else default_specs_dir()
        self._lock = threading.RLock()  # params_from may load another family
        self._index: dict[str, str] | None = None
        self._families: dict[str, dict[str, Operation]] = {}
        self._stamps: dict[str, int] = {}  # family -> mtime of the file it was read from
        self._shared_stamps = self._shared_schema_stamps()  # the files of _schemas/ the families see

    def __repr__(self) -> str:
        return f"SpecRegistry({str(self.root)!r})"

    @classmethod
    def shared(cls, root: Path | str | None = None) -> "SpecRegistry":
        """One registry per specs directory for the whole process (parsed specs are shared)."""
        return _shared_registry(str(Path(root).resolve()) if root is not None else str(default_specs_dir()))

    # -- index -------------------------------------------------------------------
    @property
    def index(self) -> dict[str, str]:
        """Every operation name and alias -> its family id."""
        if self._index is None:
            self._index = read_index(self.root)
        return self._index

    def _refresh_index(self) -> bool:
        """Read the index again (a family file added or edited since); True when it changed."""
        with self._lock:
            index = read_index(self.root)
            changed = index != self._index
            self._index = index
        return changed

    def family_ids(self) -> list[str]:
        return sorted({*self.index.values()})

    # -- families ----------------------------------------------------------------
    def family(self, family: str) -> dict[str, Operation]:
        """The operations of one family, keyed by name (parsed once, then cached)."""
        ops = self._families.get(family)
        if ops is None:
            with self._lock:
                ops = self._families.get(family)
                if ops is None:
                    source = self.root / f"{family}.yaml"
                    self._stamps[family] = source.stat().st_mtime_ns
                    ops = {op.name: op for op in parse_family(source, load_family(source), format_checked=True)}
                    self._families[family] = ops
                    for op in list(ops.values()):
                        if op.params_from:
                            ops[op.name] = self._inherit_params(op, self.get(op.params_from))
        return ops

    @staticmethod
    def _inherit_params(op: Operation, base: Operation) -> Operation:
        """``params_from: other.op``: the other op's params and required keys, plus op's own."""
        params = {loc: {**base.params_in(loc), **op.params_in(loc)} for loc in PARAM_LOCATIONS}
        required = tuple(dict.fromkeys([*base.required, *op.required]))
        return replace(op, params=params, required=required)

    def operations(self) -> Iterator[Operation]:
        for family in self.family_ids():
            yield from self.family(family).values()

    # -- lookup ------------------------------------------------------------------
    def resolve(self, name: str) -> tuple[Operation, bool]:
        """Find an operation by dotted name or alias; also says whether an alias was used."""
        found = self._lookup(name)
        if found is None and self._refresh_index():  # perhaps a spec file edited since the index
            found = self._lookup(name)
        if found is not None:
            return found
        close = difflib.get_close_matches(name, list(self.index), n=5, cutoff=0.5)
        if not close:  # substring hits help with partial names like "input_tokens"
            close = sorted(n for n in self.index if name.lower() in n.lower())[:5]
        raise UnknownOperationError(name, close)

    def _lookup(self, name: str) -> tuple[Operation, bool] | None:
        family = self.index.get(name)
        if family is not None:
            ops = self.family(family)
            if name in ops:
                return ops[name], False
            for op in ops.values():
                if name in op.other_names:
                    return op, False
                if name in op.aliases:
                    return op, True
        return None

    def refresh(self) -> None:
        """Forget the families whose file changed since they were read, and the index if a
        family file is newer than it: an edited spec takes effect on the next ``Client()``."""
        with self._lock:
            shared = self._shared_schema_stamps()
            if shared != self._shared_stamps:  # any family may reach the edited file
                self._shared_stamps = shared
                self._families.clear()
                self._stamps.clear()
            for family, stamp in list(self._stamps.items()):
                source = self.root / f"{family}.yaml"
                if not source.is_file() or source.stat().st_mtime_ns != stamp:
                    self._families.pop(family, None)
                    self._stamps.pop(family, None)
        if self._index is not None:
            self._refresh_index()

    def get(self, name: str) -> Operation:
        return self.resolve(name)[0]

    def _shared_schema_stamps(self) -> dict[str, int]:
        return {path.name: path.stat().st_mtime_ns for path in (self.root / "_schemas").glob("*.yaml")}


@lru_cache(maxsize=None)
def _shared_registry(root: str) -> SpecRegistry:
    return SpecRegistry(root)


def family_files(root: Path) -> list[Path]:
    """The family files of a specs directory (``_``-prefixed files are shared schemas)."""
    return sorted(p for p in root.glob("*.yaml") if not p.name.startswith("_"))


def read_index(root: Path) -> dict[str, str]:
    """Every operation name, other name and alias of ``root``'s family files -> its family.

    Derived data, kept in the compiled cache: rebuilt when a family file is added,
    removed or changed (each is read through its own compiled form, not parsed).
    """
    sources = family_files(root)
    key = compiled.digest("\n".join(p.name for p in sources).encode())

    def build() -> tuple[dict[str, str], list[Path]]:
        index = {
            name: source.stem
            for source in sources
            for op in (compiled.load(source) or {}).get("operations") or []
            for name in (op.get("name"), *(op.get("other_names") or ()), *(op.get("aliases") or ()))
            if name
        }
        return index, sources

    return compiled.derived(root, "index", key, build)


def precompile(root: Path | None = None) -> int:
    """Write every compiled form a first call reads (the family and shared schema files,
    the index, each operation's bundled schema for the fast path) into ``root``'s
    ``__pycache__``: for a wheel or a read-only install. Returns the operations bundled."""
    from . import fastpath

    registry = SpecRegistry(root)
    for source in sorted(registry.root.glob("_schemas/*.yaml")):
        compiled.load(source)
    bundled = 0
    for op in registry.operations():  # reads the index and every family file on the way
        bundled += fastpath.bundled_schema(op, strict=False) is not None
    return bundled


def build_index(root: Path) -> dict[str, list[str]]:
    """Family id -> its operation names and aliases, every file parsed and checked, and
    every name used once across files (what ``python -m codegen --check`` verifies)."""
    index: dict[str, list[str]] = {}
    owner: dict[str, str] = {}
    for source in family_files(root):
        ops = parse_family(source, read_yaml(source))
        names: list[str] = []
        for op in ops:
            for name in (op.name, *op.other_names, *op.aliases):
                if name in owner:
                    raise SpecError(f"{source}, operation {op.name}: {name!r} already used in {owner[name]}")
                owner[name] = source.name
                names.append(name)
        index[source.stem] = names
    return index
