"""Spec files in a compiled form, like CPython's ``__pycache__``.

YAML is what people edit; parsing it is most of a first call's cost (building YAML nodes
is ~30x slower than reading the same data back with ``marshal``). :func:`load` reads
``specs/x.yaml`` through ``specs/__pycache__/x.yaml.<python tag>.marshal``: the compiled
file records the source's size, modification time and content digest, and is used while
the source matches it (same size, and the same time or, for a copy whose times were
reset by an installer, the same digest); otherwise it is rebuilt from the YAML, so an
edited spec takes effect on the next load with no command to run. :func:`derived` keeps
data computed from several spec files (the fast path's bundled schemas) the same way. A
directory that cannot be written (a read-only install) just means rebuilding each time.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
from pathlib import Path
from typing import Any, Callable, Iterable

CACHE_DIR = "__pycache__"
# Plain data in marshal's format, which every Python 3 of one implementation reads alike:
# one cache serves all versions (a wheel ships one, built by whatever Python built it).
TAG = f"{sys.implementation.name}-m{marshal.version}.marshal"

Stamp = tuple[int, int, str]  # mtime_ns, size, digest


def cache_path(source: Path) -> Path:
    return source.parent / CACHE_DIR / f"{source.name}.{TAG}"


def derived_path(specs_dir: Path, name: str) -> Path:
    """Where data derived from a specs directory under ``name`` is kept."""
    return specs_dir / CACHE_DIR / f"{name}.{TAG}"


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def stamp(source: Path) -> Stamp:
    stat = source.stat()
    return stat.st_mtime_ns, stat.st_size, digest(source.read_bytes())


def is_current(source: Path, recorded: Any) -> bool:
    """True when ``source`` is still what ``recorded`` (a :data:`Stamp`) describes."""
    try:
        mtime, size, known = recorded
        stat = source.stat()
    except (OSError, TypeError, ValueError):
        return False
    if stat.st_size != size:
        return False
    return stat.st_mtime_ns == mtime or digest(source.read_bytes()) == known


def load(source: Path, check: Callable[[Any], None] | None = None, check_version: str = "") -> Any:
    """The data of a YAML spec file, from its compiled form when that is current.

    ``check`` runs on freshly parsed data before it is compiled (and raises to refuse
    it); the compiled form records ``check_version``, and a reader that checks is served
    only a form checked by that version. A reader that does not check takes any."""
    from .specs import read_yaml

    cached = cache_path(source)
    found = _read(cached, 3)
    if found is not None and is_current(source, found[0]) and (check is None or found[1] == check_version):
        return found[2]
    recorded = stamp(source)
    data = read_yaml(source)
    if check is not None:
        check(data)
    _write(cached, (recorded, check_version if check is not None else "", data))
    return data


def derived(root: Path, name: str, key: str, build: Callable[[], tuple[Any, Iterable[Path]]]) -> Any:
    """Data computed by ``build`` from the spec files of ``root``, kept under ``name``
    (:func:`derived_path`) while ``key`` (a digest of the inputs ``build`` takes from
    memory) and every file it reports reading are unchanged. The files are recorded
    relative to ``root``, so a cache copied with the specs (a wheel) stays valid."""
    cached = derived_path(root, name)
    found = _read(cached, 3)
    if found is not None:
        recorded_key, sources, data = found
        if recorded_key == key and all(is_current(root / path, mark) for path, mark in sources):
            return data
    data, read = build()
    sources = [(Path(os.path.relpath(path, root)).as_posix(), stamp(path)) for path in sorted(set(read))]
    _write(cached, (key, sources, data))
    return data


def _read(cached: Path, fields: int) -> tuple[Any, ...] | None:
    """The record in ``cached`` (a tuple of ``fields`` values), or None when there is none
    usable: absent, unreadable, or written by another layout."""
    try:
        with open(cached, "rb") as fh:
            record = marshal.load(fh)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    return record if isinstance(record, tuple) and len(record) == fields else None


def _write(cached: Path, content: Any) -> None:
    """Write atomically (a reader never sees half a file); give up quietly when not allowed."""
    try:
        blob = marshal.dumps(content, marshal.version)
    except ValueError:  # a value marshal cannot hold (YAML dates): keep reading the YAML
        return
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
        partial.write_bytes(blob)
        os.replace(partial, cached)
    except OSError:
        pass
