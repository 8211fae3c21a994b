"""Provider profiles: how to reach one OpenAI-compatible provider, as data.

A profile (``specs/profiles/<name>.yaml``, or the user's own in
``$XDG_CONFIG_HOME/oaimap/profiles/<name>.yaml``, which wins) says where the provider is
(a default base URL, the environment variable naming it, a path to add to a bare
resource URL), how it authenticates (bearer, a header, a query parameter, none; the
environment variable holding the key), which default headers and query it needs
(Azure's ``api-version``), which operations it serves (others fail before anything is
sent), what ends its streams, how it rewrites routes (Azure's ``/deployments/{model}/...``) and its schema
overlay: the parameters it adds or widens and the union branches and enum values it adds
to shared definitions (content part types, roles), so validation checks the provider's
real contract (:meth:`Profile.apply`). A user profile
may ``extends:`` a shipped one and change only what differs. ``docs/spec-format.md``
describes the format (``oaimap/profile_format.yaml``).
"""

from __future__ import annotations

import marshal
import os
import re
import stat
from dataclasses import dataclass, field, replace
from functools import cached_property
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping
from urllib.parse import urlsplit

from . import compiled
from .errors import ConfigurationError, SpecError
from .host import Secret
from .specs import default_specs_dir, first_format_error, format_version, json_path

if TYPE_CHECKING:
    from .specs import Operation

PROFILE_ENV = "OAIMAP_PROFILE"
_FORMAT = Path(__file__).with_name("profile_format.yaml")


@dataclass(frozen=True)
class Route:
    operations: tuple[str, ...]  # fnmatch patterns of operation names
    path: str  # "/deployments/{model}{route}"


@dataclass(frozen=True)
class Profile:
    name: str
    summary: str
    source: Path
    docs: tuple[str, ...] = ()
    base_url: str | None = None
    vars: Mapping[str, str] = field(default_factory=dict)  # base_url placeholder -> env variable
    base_url_env: str | None = None
    base_path: str | None = None
    api_key_env: str | None = None
    api_key: Secret | None = None  # a user profile's literal key, held like every key
    key_optional: bool = False
    validation: str | None = None  # the level clients of this profile validate at, unless told
    auth: Any = "bearer"
    default_headers: Mapping[str, str] = field(default_factory=dict)
    default_query: Mapping[str, str] = field(default_factory=dict)
    serves: tuple[str, ...] | None = None
    routes: tuple[Route, ...] = ()
    stream_end: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # pattern -> ending events
    overlay_params: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(default_factory=dict)
    overlay_schemas: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @cached_property
    def variant(self) -> str:
        """``name-digest`` of the overlay, or "" for a profile without one: operations
        with the same variant validate alike (their bundled schemas are cached under it)."""
        if not self.overlay_params and not self.overlay_schemas and not self.stream_end:
            return ""
        settings = (dict(self.overlay_params), dict(self.overlay_schemas), dict(self.stream_end))
        return f"{self.name}-{compiled.digest(marshal.dumps(settings))[:12]}"

    def apply(self, op: Operation) -> Operation:
        """``op`` as this provider takes it: the overlay's parameters added (or replacing
        the official ones) and the shared definitions it widens noted for validation."""
        variant = self.variant
        if not variant:
            return op
        params = {location: dict(op.params_in(location)) for location in op.params}
        for pattern, locations in self.overlay_params.items():
            if fnmatchcase(op.name, pattern):
                for location, added in locations.items():
                    params.setdefault(location, {}).update(added)
        stream_end = next((ends for pattern, ends in self.stream_end.items() if fnmatchcase(op.name, pattern)), op.stream_end)
        return replace(op, params=params, variant=variant, schema_patches=dict(self.overlay_schemas), stream_end=stream_end)

    def serves_operation(self, name: str) -> bool:
        return self.serves is None or any(fnmatchcase(name, pattern) for pattern in self.serves)

    def route_for(self, name: str, route: str) -> str:
        """``route`` (an operation's own) as this provider wants it."""
        for rewrite in self.routes:
            if any(fnmatchcase(name, pattern) for pattern in rewrite.operations):
                return rewrite.path.replace("{route}", route)
        return route

    def resolve_base_url(self, given: str | None, env: Mapping[str, str], values: Mapping[str, str]) -> str | None:
        """The base URL: the caller's, else the profile's variable, else its default with
        its ``{placeholders}`` filled (from ``values``, else the environment variables
        ``vars`` names); a URL without a path gets ``base_path``
        (``https://res.openai.azure.com`` -> ``.../openai``)."""
        base = given or (env.get(self.base_url_env) if self.base_url_env else None)
        if not base and self.base_url:
            base = self._filled(self.base_url, env, values)
        if base and self.base_path and urlsplit(base).path in ("", "/"):
            base = base.rstrip("/") + self.base_path
        return base

    def _filled(self, template: str, env: Mapping[str, str], values: Mapping[str, str]) -> str:
        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            value = values.get(name) or (env.get(self.vars[name]) if name in self.vars else None)
            if not value:
                where = f" or set {self.vars[name]}" if name in self.vars else ""
                raise ConfigurationError(f"the {self.name!r} profile's base URL needs {name}: pass profile_vars={{{name!r}: ...}}{where}, or base_url=...")
            return value

        return re.sub(r"{([A-Za-z_][A-Za-z0-9_]*)}", fill, template)

    def auth_settings(self) -> tuple[str | None, str]:
        """(header or query name, "header" | "query" | "none") for the service host."""
        if self.auth == "none":
            return None, "none"
        if isinstance(self.auth, dict) and "query" in self.auth:
            return self.auth["query"], "query"
        if isinstance(self.auth, dict):
            return self.auth["header"], "header"
        return None, "header"


def shipped_dir() -> Path:
    return default_specs_dir() / "profiles"


def user_dir(env: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CONFIG_HOME/oaimap/profiles`` (``~/.config/oaimap/profiles`` by default)."""
    env = os.environ if env is None else env
    config = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "oaimap" / "profiles"


def names(env: Mapping[str, str] | None = None) -> list[str]:
    """Every profile name: the shipped ones and the user's."""
    found = {p.stem for folder in (shipped_dir(), user_dir(env)) if folder.is_dir() for p in folder.glob("*.yaml")}
    return sorted(found)


def load(name: str, env: Mapping[str, str] | None = None) -> Profile:
    """The profile called ``name``: the user's if there is one, else the shipped one."""
    env = os.environ if env is None else env
    return _build(name, (user_dir(env), shipped_dir()), ())


def in_folder(folder: Path) -> list[Profile]:
    """Every profile of one folder (the docs site lists the shipped ones)."""
    return [_build(path.stem, (folder,), ()) for path in sorted(folder.glob("*.yaml"))]


def _build(name: str, folders: tuple[Path, ...], seen: tuple[str, ...]) -> Profile:
    if name in seen:
        raise ConfigurationError(f"profile {name!r} extends itself (through {' -> '.join(seen)})")
    source = next((folder / f"{name}.yaml" for folder in folders if (folder / f"{name}.yaml").is_file()), None)
    if source is None:
        raise ConfigurationError(f"no provider profile {name!r}; known: {', '.join(names()) or 'none'}")
    raw = compiled.load(source, check=lambda data: _check(source, data), check_version=format_version(_FORMAT))
    if raw.get("profile") != name:
        raise SpecError(f"{source}: $.profile: {raw.get('profile')!r} must match the file name")
    if raw.get("api_key") is not None and _readable_by_others(source):
        raise ConfigurationError(f"{source} holds a literal api_key and others can read it: chmod 600 it")
    settings: dict[str, Any] = {}
    if raw.get("extends"):
        base = _build(raw["extends"], folders, (*seen, name))
        settings = {key: getattr(base, key) for key in Profile.__dataclass_fields__ if key not in ("name", "summary", "source", "docs")}
        settings["default_headers"] = {**base.default_headers, **raw.get("default_headers", {})}
        settings["default_query"] = {**base.default_query, **raw.get("default_query", {})}
    for key in ("base_url", "vars", "base_url_env", "base_path", "api_key_env", "key_optional", "validation", "auth"):
        if key in raw:
            settings[key] = raw[key]
    if raw.get("api_key") is not None:
        settings["api_key"] = Secret(raw["api_key"])
    settings.setdefault("default_headers", dict(raw.get("default_headers", {})))
    settings.setdefault("default_query", dict(raw.get("default_query", {})))
    if "serves" in raw:
        settings["serves"] = tuple(raw["serves"])
    if "stream_end" in raw:
        settings["stream_end"] = {**settings.get("stream_end", {}), **{k: tuple(v) for k, v in raw["stream_end"].items()}}
    if "routes" in raw:
        settings["routes"] = tuple(Route(tuple(r["operations"]), r["path"]) for r in raw["routes"])
    overlay = raw.get("overlay") or {}
    settings["overlay_params"] = {**settings.get("overlay_params", {}), **overlay.get("params", {})}
    settings["overlay_schemas"] = {**settings.get("overlay_schemas", {}), **overlay.get("schemas", {})}
    return Profile(name=name, summary=raw["summary"], source=source, docs=tuple(raw.get("docs", ())), **settings)


def _check(source: Path, raw: Any) -> None:
    error = first_format_error(_FORMAT, raw)
    if error:
        raise SpecError(f"{source}: {json_path(error[0])}: {error[1]}")


def _readable_by_others(path: Path) -> bool:
    return bool(path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))
