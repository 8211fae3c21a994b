"""The service host: where requests go and how they authenticate.

This is the seed's "Service Host" config node. The API key is held in a
:class:`Secret`, which never shows its value in a repr, a str or a format string; the
key only leaves it through :meth:`ServiceHost.auth_headers` / :meth:`auth_query`.
"""

from __future__ import annotations

import inspect
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Awaitable, Callable, Mapping
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

from .errors import ConfigurationError

if TYPE_CHECKING:
    import httpx

DEFAULT_BASE_URL = "https://api.openai.com/v1"
REDACTED = "**********"
DEFAULT_AUTH_NAME = "Authorization"
# A key is masked in free text (server messages, log lines) only from this length on:
# a short key such as "k" or "1" (common for local servers) would otherwise mangle
# ordinary words and IP addresses. Where the key *is* (auth header, auth query
# parameter, URLs in log lines) it is masked whatever its length.
FREE_TEXT_MIN_KEY = 8
_UNSENDABLE = re.compile(r"[\x00-\x1f\x7f]")  # CR, LF, NUL and the other control characters


KeyProvider = Callable[[], "str | Awaitable[str]"]
_RECENT_KEYS = 4  # a rotated key still masked in text: a late error can quote the one before


class Secret:
    """A string that refuses to be printed.

    For an API key it may also be a provider: a function, or an async function, that
    returns the current key (Entra ID tokens, rotating keys). Clients fetch it before
    each call (:meth:`fetch` / :meth:`afetch`) and once more after a 401; the last few
    keys it returned stay known for masking (:meth:`known`).
    """

    __slots__ = ("_value", "_provider", "_known")

    def __init__(self, value: str | KeyProvider):
        self._provider: KeyProvider | None = value if callable(value) else None
        self._value = "" if callable(value) else value
        self._known: tuple[str, ...] = (self._value,) if self._value else ()

    def reveal(self) -> str:
        """The value (a provider's latest key; empty before its first fetch)."""
        return self._value

    @property
    def is_provider(self) -> bool:
        return self._provider is not None

    @property
    def is_async(self) -> bool:
        """True for a provider that must be awaited (an ``async def`` or async callable)."""
        provider = self._provider
        return provider is not None and (
            inspect.iscoroutinefunction(provider) or inspect.iscoroutinefunction(getattr(provider, "__call__", None))
        )

    def known(self) -> tuple[str, ...]:
        """Every value this secret held lately, newest first (for masking)."""
        return self._known

    def fetch(self, subject: str = "") -> str:
        """Ask a sync provider for the current key (a literal just returns itself).
        ``subject`` (the operation) prefixes the ConfigurationError of a provider that fails."""
        if self._provider is None:
            return self._value
        value = self._ask(subject)
        if inspect.isawaitable(value):
            if inspect.iscoroutine(value):
                value.close()  # never awaited: no "coroutine was never awaited" warning
            raise ConfigurationError("api_key is an async function: use AsyncClient, or pass a sync function")
        return self._keep(value)

    async def afetch(self, subject: str = "") -> str:
        """Ask a provider, sync or async, for the current key."""
        if self._provider is None:
            return self._value
        value = self._ask(subject)
        if inspect.isawaitable(value):
            try:
                value = await value
            except Exception as exc:
                raise self._failed(subject, exc) from exc
        return self._keep(value)

    def _ask(self, subject: str) -> object:
        assert self._provider is not None
        try:
            return self._provider()
        except Exception as exc:
            raise self._failed(subject, exc) from exc

    @staticmethod
    def _failed(subject: str, exc: Exception) -> ConfigurationError:
        prefix = f"{subject}: " if subject else ""
        return ConfigurationError(f"{prefix}the api_key function failed: {type(exc).__name__}")

    def _keep(self, value: object) -> str:
        if not isinstance(value, str) or not value:
            raise ConfigurationError(f"the api_key function must return a non-empty string, not {type(value).__name__}")
        if value != self._value:
            self._value = value
            self._known = (value, *self._known)[:_RECENT_KEYS]
        return value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return False
        if self._provider is not None or other._provider is not None:
            return self._provider is other._provider
        return other._value == self._value

    def __hash__(self) -> int:
        return hash(self._provider) if self._provider is not None else hash(self._value)

    def __reduce__(self):  # pickling would write the key somewhere unseen
        raise TypeError("a Secret cannot be pickled")


@dataclass(frozen=True)
class ServiceHost:
    """Where and how to reach an OpenAI-compatible API.

    Auth routing, as the seed promises:

    * ``auth_name`` blank or ``Authorization`` (default): ``Authorization: Bearer KEY``;
    * ``auth_name`` another header name (``api-key``): ``api-key: KEY``, no Authorization;
    * ``auth_in="query"``: ``?<auth_name>=KEY`` on every request, no auth header
      (the query name defaults to ``Authorization`` when blank);
    * ``auth_in="none"``: no key at all (a local server that wants none).
    """

    base_url: str = DEFAULT_BASE_URL
    api_key: Secret | None = field(default=None)
    auth_name: str = DEFAULT_AUTH_NAME
    auth_in: str = "header"  # "header" | "query" | "none"
    organization: str | None = None
    project: str | None = None
    default_headers: Mapping[str, str] = field(default_factory=dict)
    default_query: Mapping[str, str] = field(default_factory=dict)
    webhook_secret: Secret | None = field(default=None)

    def __post_init__(self) -> None:
        if self.auth_in not in ("header", "query", "none"):
            raise ConfigurationError(f"auth_in must be 'header', 'query' or 'none', not {self.auth_in!r}")
        if not (self.auth_name or "").strip():
            object.__setattr__(self, "auth_name", DEFAULT_AUTH_NAME)
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        from .sendable import header_problem

        for name, value in self.identity_headers().items():
            reason = header_problem(str(value))
            if reason:
                raise ConfigurationError(f"cannot send the {name} header: {reason}")

    @classmethod
    def create(
        cls,
        *,
        base_url: str | None = None,
        api_key: str | Secret | KeyProvider | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        auth_name: str | None = None,
        auth_in: str = "header",
        organization: str | None = None,
        project: str | None = None,
        default_headers: Mapping[str, str] | None = None,
        default_query: Mapping[str, str] | None = None,
        webhook_secret: str | Secret | None = None,
        env: Mapping[str, str] | None = None,
    ) -> "ServiceHost":
        """Build a host from arguments, falling back to the environment like openai-python.

        ``api_key`` wins (a string, or a function / async function returning the current
        key); otherwise the key is read from the variable named by ``api_key_env``
        (``OPENAI_API_KEY`` unless told otherwise).
        """
        env = os.environ if env is None else env
        key = api_key if api_key is not None else env.get(api_key_env)
        secret = env.get("OPENAI_WEBHOOK_SECRET") if webhook_secret is None else webhook_secret
        return cls(
            base_url=base_url or env.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL,
            api_key=_as_secret(key),
            auth_name=auth_name or DEFAULT_AUTH_NAME,
            auth_in=auth_in,
            organization=organization if organization is not None else env.get("OPENAI_ORG_ID"),
            project=project if project is not None else env.get("OPENAI_PROJECT_ID"),
            default_headers=dict(default_headers or {}),
            default_query=dict(default_query or {}),
            webhook_secret=_as_secret(secret),
        )

    def fetch_key(self, operation: str = "") -> None:
        """Ask the key's provider for the current key (nothing to do for a literal); a
        provider that fails is a ConfigurationError naming ``operation``."""
        if self.api_key is not None:
            self.api_key.fetch(operation)

    async def afetch_key(self, operation: str = "") -> None:
        if self.api_key is not None:
            await self.api_key.afetch(operation)

    @property
    def rotates_key(self) -> bool:
        """True when the key comes from a provider (fetched per call, again after a 401)."""
        return self.api_key is not None and self.api_key.is_provider

    def _key(self) -> str:
        if self.api_key is None or not self.api_key.reveal():
            raise ConfigurationError(
                "no API key: pass api_key=... or set the environment variable the host reads "
                "(OPENAI_API_KEY by default)"
            )
        key = self.api_key.reveal()
        if _UNSENDABLE.search(key):
            raise ConfigurationError(
                "the API key contains a control character (CR, LF, NUL...: a trailing newline "
                "from a file?); it cannot travel in a header or URL"
            )
        if self.auth_in == "header" and not key.isascii():
            raise ConfigurationError("the API key contains non-ASCII characters; it cannot travel in a header")
        return key

    def secret_forms(self) -> tuple[str, ...]:
        """The forms the key takes in text (raw, percent-encoded, as httpx puts it in a
        query string), for masking in free text; empty for a missing or short key.
        Computed on each use, not cached: the key lives only inside its ``Secret``."""
        keys = [key for key in (self.api_key.known() if self.api_key is not None else ()) if len(key) >= FREE_TEXT_MIN_KEY]
        if not keys:
            return ()
        import httpx

        forms = (form for key in keys for form in (key, quote(key, safe=""), quote_plus(key), str(httpx.QueryParams({"k": key}))[2:]))
        return tuple(dict.fromkeys(forms))

    @property
    def guards_text(self) -> bool:
        """True when log lines need this host's redaction (a long key, or a key in URLs)."""
        if self.rotates_key:
            return True  # keys to come are unknown yet
        has_key = self.api_key is not None and bool(self.api_key.reveal())
        return has_key and (self.auth_in == "query" or bool(self.secret_forms()))

    def redact(self, text: str) -> str:
        """``text`` with the key masked: the auth query parameter's value in any URL, and
        (for a long key) every raw or encoded occurrence."""
        if self.auth_in == "query" and self.api_key is not None:
            text = self._auth_param.sub(lambda m: m.group(1) + REDACTED, text)
        for secret in self.secret_forms():
            text = text.replace(secret, REDACTED)
        return text

    def redacted_url(self, url: str) -> str:
        """``url`` safe to show: the key masked (:meth:`redact`) and any ``user:password@``
        before the host shown as ``***@``."""
        parts = urlsplit(url)
        if "@" in parts.netloc:
            url = urlunsplit(parts._replace(netloc="***@" + parts.netloc.rpartition("@")[2]))
        return self.redact(url)

    @cached_property
    def _auth_param(self) -> re.Pattern[str]:
        names = {re.escape(form) for form in (self.auth_name, quote(self.auth_name, safe=""), quote_plus(self.auth_name))}
        return re.compile(rf"([?&](?:{'|'.join(sorted(names))})=)[^&#\s\"'<>]*")

    def redacted_request(self, request: httpx.Request) -> httpx.Request:
        """A copy of ``request`` safe to keep in an error (pickled, logged, shown): the
        auth header and the auth query parameter are masked, a long key masked anywhere."""
        import httpx

        headers = [
            (name, REDACTED if self._is_auth_header(name) else self.redact(value))
            for name, value in request.headers.multi_items()
        ]
        url = httpx.URL(self.redact(str(request.url)))  # the auth parameter's value masked
        try:
            content = request.content
        except httpx.RequestNotRead:  # a streamed upload: not kept
            content = b""
        for secret in self.secret_forms():
            content = content.replace(secret.encode(), REDACTED.encode())
        return httpx.Request(request.method, url, headers=headers, content=content)

    def redacted_response(self, response: httpx.Response, masked_text: str) -> httpx.Response:
        """A copy of a read ``response`` attached to the redacted request, with
        ``masked_text`` (its body already passed through :meth:`redact`) as the body."""
        import httpx

        headers = [(name, self.redact(value)) for name, value in response.headers.multi_items()]
        body = masked_text.encode()
        headers = [(n, v) for n, v in headers if n.lower() not in ("content-length", "content-encoding", "transfer-encoding")]
        return httpx.Response(
            response.status_code, headers=headers, content=body, request=self.redacted_request(response.request)
        )

    def renew_auth(self, request: httpx.Request) -> None:
        """Put the current key on ``request``, replacing whatever it carries: after a 401
        made the key's provider give a new one, and on a same-origin redirect (whose
        Location may have dropped the auth query parameter)."""
        for name, value in self.auth_headers().items():
            request.headers[name] = value
        for name, value in self.auth_query().items():
            request.url = request.url.copy_set_param(name, value)

    def strip_auth(self, request: httpx.Request) -> None:
        """Take the key off ``request`` (bound for another origin)."""
        for name in {self.auth_name, DEFAULT_AUTH_NAME}:
            request.headers.pop(name, None)
        if self.auth_in == "query" and self.auth_name in request.url.params:
            request.url = request.url.copy_remove_param(self.auth_name)

    def _is_auth_header(self, name: str) -> bool:
        return name.lower() in (self.auth_name.lower(), DEFAULT_AUTH_NAME.lower())

    def same_origin(self, url: httpx.URL) -> bool:
        """True when ``url`` is on this host's origin (scheme, host, port): where the key may go."""
        base = urlsplit(self.base_url)
        default = {"http": 80, "https": 443}
        return (url.scheme, url.host, url.port or default.get(url.scheme)) == (
            base.scheme,
            base.hostname,
            base.port or default.get(base.scheme),
        )

    @property
    def _bearer(self) -> bool:
        return self.auth_name.lower() == DEFAULT_AUTH_NAME.lower()

    def auth_headers(self) -> dict[str, str]:
        """Headers that authenticate a request (empty in query and none modes)."""
        if self.auth_in != "header":
            return {}
        key = self._key()
        if self._bearer:
            return {"Authorization": f"Bearer {key}"}
        return {self.auth_name: key}

    def auth_query(self) -> dict[str, str]:
        """Query parameters that authenticate a request (empty in header mode)."""
        if self.auth_in != "query":
            return {}
        return {self.auth_name: self._key()}

    def identity_headers(self) -> dict[str, str]:
        """Organization / project headers plus the host's default headers."""
        headers = dict(self.default_headers)
        if self.organization:
            headers["OpenAI-Organization"] = self.organization
        if self.project:
            headers["OpenAI-Project"] = self.project
        return headers


def _as_secret(value: str | Secret | KeyProvider | None) -> Secret | None:
    if value is None or isinstance(value, Secret):
        return value
    return Secret(value)
