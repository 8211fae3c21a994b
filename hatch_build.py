"""Wheel build hook: ship the specs' compiled forms prebuilt (``oaimap specs compile``).

An installed oaimap then reads marshal data on its first call instead of parsing YAML and
bundling schemas; ``oaimap/compiled.py`` checks each cached form against its source (by
content digest, since an installer resets file times) and rebuilds it only if stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CompiledSpecs(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        if version == "editable":  # a checkout compiles its specs on first use
            return
        root = Path(self.root)
        sys.path.insert(0, str(root))
        try:
            from oaimap.compiled import CACHE_DIR, TAG, load
            from oaimap.specs import precompile

            precompile(root / "specs")
            load(root / "oaimap" / "spec_format.yaml")  # read again only when a family file changes
        finally:
            sys.path.remove(str(root))
        cache = root / "specs" / CACHE_DIR
        for path in cache.rglob(f"*.{TAG}"):  # this layout's files only, not a checkout's leftovers
            build_data["force_include"][str(path)] = f"oaimap/_specs/{CACHE_DIR}/{path.relative_to(cache).as_posix()}"
        spec_format = root / "oaimap" / CACHE_DIR / f"spec_format.yaml.{TAG}"  # checks each family file
        build_data["force_include"][str(spec_format)] = f"oaimap/{CACHE_DIR}/{spec_format.name}"
