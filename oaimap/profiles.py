"""Provider profiles: how to reach one OpenAI-compatible provider, as data.

A profile (``specs/profiles/<name>.yaml``, or the user's own in
``$XDG_CONFIG_HOME/oaimap/profiles/<name>.yaml``, which wins) says where the provider is
(a default base URL, the environment variable naming it, a path to add to a bare
resource URL), how it authenticates (bearer, a header, a query parameter, none; the
environment variable holding the key), which default headers and query it needs
(Azure's ``api-version``), which operations it serves (others fail before anything is
sent) and how it rewrites routes (Azure's ``/deployments/{model}/...``). A user profile
may ``extends:`` a shipped one and change only what differs. ``docs/spec-format.md``
describes the format (``oaimap/profile_format.yaml``).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

from . import compiled
from .errors import ConfigurationError, SpecError

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
    base_url: str | None = None
    base_url_env: str | None = None
    base_path: str | None = None
    api_key_env: str | None = None
    api_key: str | None = field(default=None, repr=False)
    auth: Any = "bearer"
    default_headers: Mapping[str, str] = field(default_factory=dict)
    default_query: Mapping[str, str] = field(default_factory=dict)
    serves: tuple[str, ...] | None = None
    routes: tuple[Route, ...] = ()

    def serves_operation(self, name: str) -> bool:
        return self.serves is None or any(fnmatchcase(name, pattern) for pattern in self.serves)

    def route_for(self, name: str, route: str) -> str:
        """``route`` (an operation's own) as this provider wants it."""
        for rewrite in self.routes:
            if any(fnmatchcase(name, pattern) for pattern in rewrite.operations):
                return rewrite.path.replace("{route}", route)
        return route

    def resolve_base_url(self, given: str | None, env: Mapping[str, str]) -> str | None:
        """The base URL: the caller's, else the profile's variable, else its default; a
        URL without a path gets ``base_path`` (``https://res.openai.azure.com`` ->
        ``.../openai``)."""
        base = given or (env.get(self.base_url_env) if self.base_url_env else None) or self.base_url
        if base and self.base_path and urlsplit(base).path in ("", "/"):
            base = base.rstrip("/") + self.base_path
        return base

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
    from .specs import default_specs_dir

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
    return _build(name, str(user_dir(env)), ())


def _build(name: str, users: str, seen: tuple[str, ...]) -> Profile:
    if name in seen:
        raise ConfigurationError(f"profile {name!r} extends itself (through {' -> '.join(seen)})")
    source = next((folder / f"{name}.yaml" for folder in (Path(users), shipped_dir()) if (folder / f"{name}.yaml").is_file()), None)
    if source is None:
        raise ConfigurationError(f"no provider profile {name!r}; known: {', '.join(names()) or 'none'}")
    raw = compiled.load(source, check=lambda data: _check(source, data), check_version=compiled.stamp(_FORMAT)[2])
    if raw.get("profile") != name:
        raise SpecError(f"{source}: $.profile: {raw.get('profile')!r} must match the file name")
    if raw.get("api_key") is not None and _readable_by_others(source):
        raise ConfigurationError(f"{source} holds a literal api_key and others can read it: chmod 600 it")
    settings: dict[str, Any] = {}
    if raw.get("extends"):
        base = _build(raw["extends"], users, (*seen, name))
        settings = {key: getattr(base, key) for key in Profile.__dataclass_fields__ if key not in ("name", "summary", "source")}
        settings["default_headers"] = {**base.default_headers, **raw.get("default_headers", {})}
        settings["default_query"] = {**base.default_query, **raw.get("default_query", {})}
    for key in ("base_url", "base_url_env", "base_path", "api_key_env", "api_key", "auth"):
        if key in raw:
            settings[key] = raw[key]
    settings.setdefault("default_headers", dict(raw.get("default_headers", {})))
    settings.setdefault("default_query", dict(raw.get("default_query", {})))
    if "serves" in raw:
        settings["serves"] = tuple(raw["serves"])
    if "routes" in raw:
        settings["routes"] = tuple(Route(tuple(r["operations"]), r["path"]) for r in raw["routes"])
    return Profile(name=name, summary=raw["summary"], source=source, **settings)


def _check(source: Path, raw: Any) -> None:
    from jsonschema import Draft202012Validator

    from .specs import json_path

    errors = sorted(Draft202012Validator(compiled.load(_FORMAT)).iter_errors(raw), key=lambda e: list(e.absolute_path))
    if errors:
        raise SpecError(f"{source}: {json_path(errors[0].absolute_path)}: {errors[0].message}")


def _readable_by_others(path: Path) -> bool:
    return bool(path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))
