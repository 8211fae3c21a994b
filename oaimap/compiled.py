"""Spec files in a compiled form, like CPython's ``__pycache__``.

YAML is what people edit; parsing it is most of a first call's cost (building YAML nodes
is ~30x slower than reading the same data back with ``marshal``). :func:`load` reads
``specs/x.yaml`` through ``specs/__pycache__/x.yaml.<python tag>.marshal``: the compiled
file records the source's size and modification time, is used while they match, and is
rebuilt from the YAML when they do not, so an edited spec takes effect on the next load
with no command to run. A directory that cannot be written (an installed package) just
means reading the YAML each time.
"""

from __future__ import annotations

import marshal
import os
import sys
from pathlib import Path
from typing import Any

CACHE_DIR = "__pycache__"
_TAG = f"{sys.implementation.cache_tag}.marshal"


def cache_path(source: Path) -> Path:
    return source.parent / CACHE_DIR / f"{source.name}.{_TAG}"


def _stamp(source: Path) -> tuple[int, int]:
    stat = source.stat()
    return stat.st_mtime_ns, stat.st_size


def load(source: Path) -> Any:
    """The data of a YAML spec file, from its compiled form when that is current."""
    from .specs import read_yaml

    stamp = _stamp(source)
    cached = cache_path(source)
    try:
        with open(cached, "rb") as fh:
            recorded, data = marshal.load(fh)
        if tuple(recorded) == stamp:
            return data
    except (OSError, EOFError, ValueError, TypeError):  # absent, unreadable, another layout
        pass
    data = read_yaml(source)
    _write(cached, (stamp, data))
    return data


def _write(cached: Path, content: Any) -> None:
    """Write atomically (a reader never sees half a file); give up quietly when not allowed."""
    try:
        blob = marshal.dumps(content)
    except ValueError:  # a value marshal cannot hold (YAML dates): keep reading the YAML
        return
    try:
        cached.parent.mkdir(exist_ok=True)
        partial = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
        partial.write_bytes(blob)
        os.replace(partial, cached)
    except OSError:
        pass
