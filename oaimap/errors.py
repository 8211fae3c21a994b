"""The exception hierarchy.

Everything oaimap raises derives from :class:`OaimapError`. HTTP failures follow the
shape users of openai-python know: :class:`APIStatusError` carries the status, the
API's error body and the ``x-request-id``, with one subclass per well-known status.
No message built here ever contains the API key: messages are made from operation
names, JSON paths and the server's own error body (masked by the service host), and the
request and response an error keeps are the host's redacted copies, so an error can be
shown, logged or pickled (task queues store pickled exceptions) without the key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from .host import ServiceHost


def _rebuild(cls: type[BaseException], args: tuple[Any, ...]) -> BaseException:
    error = cls.__new__(cls)
    error.args = args
    return error


class OaimapError(Exception):
    """Base class of every error raised by oaimap."""

    def __reduce__(self) -> Any:
        # Subclasses take keyword-only or extra arguments, which the default
        # (cls, args) reduction cannot replay: rebuild from args plus attributes.
        return (_rebuild, (type(self), self.args), self.__dict__)


class SpecError(OaimapError):
    """A spec file is malformed: names the file, the operation and the JSON path."""


class UnknownOperationError(OaimapError, LookupError):
    """No operation or alias has this name; ``suggestions`` holds the closest ones."""

    def __init__(self, name: str, suggestions: list[str]):
        self.name = name
        self.suggestions = suggestions
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"unknown operation {name!r}.{hint}")


class ConfigurationError(OaimapError):
    """The service host cannot make a request (for example: no API key)."""


@dataclass(frozen=True)
class Violation:
    """One failing part of a payload: a JSON path (``$.input[0].type``) and why."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class UsageError(OaimapError, TypeError):
    """The operation was asked for what it does not do (``paginate`` on an operation that
    answers no pages, ``output=`` on a JSON answer); nothing was sent."""

    def __init__(self, operation: str, message: str):
        self.operation = operation
        super().__init__(f"{operation}: {message}")


class UnsupportedOperationError(ConfigurationError):
    """The client's provider profile does not serve this operation; nothing was sent."""

    def __init__(self, operation: str, profile: str):
        super().__init__(f"{operation}: the {profile!r} provider profile does not serve this operation")
        self.operation = operation
        self.profile = profile


class ValidationError(OaimapError, ValueError):
    """A payload does not match its operation's schema; nothing was sent.

    ``violations`` lists every failing JSON path, not only the first one.
    """

    def __init__(self, operation: str, violations: list[Violation]):
        self.operation = operation
        self.violations = violations
        lines = "\n".join(f"  - {v}" for v in violations)
        super().__init__(f"invalid payload for {operation} ({len(violations)} problem(s)):\n{lines}")

    @property
    def paths(self) -> list[str]:
        return [v.path for v in self.violations]


class PollTimeoutError(OaimapError, TimeoutError):
    """A polling helper did not reach a terminal state in time; ``last`` is the last result."""

    def __init__(self, message: str, last: Any = None):
        super().__init__(message)
        self.last = last


class UploadIncompleteError(OaimapError):
    """A multipart Upload stopped before it was complete; nothing of it is lost.

    ``part_ids`` holds, by part index, the id of each part that landed and None for each
    that did not; ``resume_state`` is what the same call takes as its payload's ``resume``
    key to go on: the missing parts are sent, the landed ones are not, then the Upload is
    completed. The failure that stopped it is the ``__cause__``.
    """

    def __init__(self, operation: str, upload_id: str, part_ids: list[str | None], part_size: int, size: int, reason: str):
        self.operation = operation
        self.upload_id = upload_id
        self.part_ids = part_ids
        self.part_size = part_size
        self.size = size
        landed = [i for i, part in enumerate(part_ids) if part is not None]
        missing = [i for i, part in enumerate(part_ids) if part is None]
        where = f"part(s) {_indices(missing)} missing" if missing else "every part landed, the Upload is not completed"
        super().__init__(
            f"{operation}: Upload {upload_id} stopped with {len(landed)} of {len(part_ids)} part(s) landed "
            f"({_indices(landed) or 'none'}); {where}: {reason}. Call {operation} again with the same file and "
            f"'resume': error.resume_state in the payload to send only what is missing."
        )

    @property
    def resume_state(self) -> dict[str, Any]:
        """The payload's ``resume`` value that continues this Upload (plain JSON)."""
        return {"upload_id": self.upload_id, "part_ids": list(self.part_ids), "part_size": self.part_size, "bytes": self.size}


class CheckpointError(OaimapError):
    """A ``map`` checkpoint file cannot be used: it records another operation or other
    input (a payload's digest differs at the same index), or a line in it is not ours."""

    def __init__(self, operation: str, path: str, reason: str):
        self.operation = operation
        self.path = path
        super().__init__(f"{operation}: checkpoint {path}: {reason}")


class RecordedError(OaimapError):
    """An item's failure as a ``map`` checkpoint recorded it in an earlier run: the
    original error's class name (``kind``), HTTP status (None when it had none) and text."""

    def __init__(self, operation: str, kind: str, status: int | None, message: str):
        self.operation = operation
        self.kind = kind
        self.status = status
        super().__init__(message)


def _indices(numbers: list[int]) -> str:
    """``0, 2-4, 7``: part indices, runs shortened."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


class APIError(OaimapError):
    """Something went wrong talking to the API."""

    def __init__(self, message: str, request: httpx.Request | None = None):
        super().__init__(message)
        self.message = message
        self.request = request


class APIConnectionError(APIError):
    """The request never got an HTTP response (refused, reset, DNS, TLS...)."""


class APITimeoutError(APIConnectionError):
    """The request timed out."""


class APIResponseValidationError(APIError):
    """A successful answer that is not what the operation promises: a body that is not
    JSON for a JSON operation, or (``parse`` helpers) structured output that is not the
    JSON it should be. ``body`` holds the start of the text."""

    def __init__(self, message: str, response: httpx.Response | None, body: str):
        super().__init__(message, response.request if response is not None else None)
        self.response = response
        self.status_code = response.status_code if response is not None else None
        self.body = body
        self.request_id = response.headers.get("x-request-id") if response is not None else None


class StreamError(APIError):
    """A server-sent event stream carried an ``error`` event or ended too early."""

    def __init__(self, message: str, event: Any = None):
        super().__init__(message)
        self.event = event


class WebSocketError(APIError):
    """A websocket channel (Responses websocket mode, Realtime) failed or was misused:
    handshake refused (``status_code`` set), unknown or duplicate ``connection_id``,
    connection not open."""

    def __init__(self, message: str, *, connection_id: str | None = None, status_code: int | None = None):
        super().__init__(message)
        self.connection_id = connection_id
        self.status_code = status_code


class WebSocketClosedError(WebSocketError):
    """A websocket closed without the client asking (a server drop: ``code`` 1006, or a
    server-initiated close); ``code`` and ``reason`` say how."""

    def __init__(self, message: str, *, connection_id: str | None, code: int | None, reason: str | None):
        super().__init__(message, connection_id=connection_id)
        self.code = code
        self.reason = reason


class WebhookVerificationError(OaimapError, ValueError):
    """A webhook request failed verification. ``check`` names the failing check:
    ``secret``, ``headers``, ``timestamp``, ``signature`` or ``payload``. The message
    never holds the secret nor the signatures' bytes."""

    def __init__(self, check: str, message: str):
        super().__init__(message)
        self.check = check


class APIStatusError(APIError):
    """The API answered with a 4xx or 5xx status."""

    status_code: int

    def __init__(self, message: str, response: httpx.Response, body: Any):
        super().__init__(message, response.request)
        self.response = response
        self.status_code = response.status_code
        self.body = body
        self.request_id = response.headers.get("x-request-id")

    @property
    def error(self) -> dict[str, Any] | None:
        """The ``error`` object of the body (``message``, ``type``, ``param``, ``code``)."""
        if isinstance(self.body, dict) and isinstance(self.body.get("error"), dict):
            return self.body["error"]
        return None


class BadRequestError(APIStatusError):
    status_code = 400


class AuthenticationError(APIStatusError):
    status_code = 401


class PermissionDeniedError(APIStatusError):
    status_code = 403


class NotFoundError(APIStatusError):
    status_code = 404


class ConflictError(APIStatusError):
    status_code = 409


class UnprocessableEntityError(APIStatusError):
    status_code = 422


class RateLimitError(APIStatusError):
    status_code = 429


class InternalServerError(APIStatusError):
    """Any status of 500 or more."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    cls.status_code: cls
    for cls in (
        BadRequestError,
        AuthenticationError,
        PermissionDeniedError,
        NotFoundError,
        ConflictError,
        UnprocessableEntityError,
        RateLimitError,
    )
}


def status_message(subject: str, status_code: int, masked_text: str, request_id: str | None) -> tuple[str, Any]:
    """``(message, body)`` for an error status answered to ``subject`` (an operation, a
    websocket handshake). ``masked_text`` is the answer's body, already through the
    host's redaction; ``body`` is it parsed (JSON, else the text, None when empty). The
    message shows the status, the API's ``error.message`` (or the start of a body that is
    not JSON) and the request id."""
    try:
        body: Any = json.loads(masked_text)
    except ValueError:
        body = masked_text or None
    detail = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        detail = body["error"].get("message")
    elif isinstance(body, str):
        detail = body[:500]
    message = f"{subject}: HTTP {status_code}"
    if detail:
        message += f" - {detail}"
    if request_id:
        message += f" (request id {request_id})"
    return message, body


def status_error(operation: str, response: httpx.Response, host: ServiceHost) -> APIStatusError:
    """Build the right :class:`APIStatusError` subclass for a read error response.

    The error keeps ``host``'s redacted copy of the response (and its request); the key
    is masked wherever the server echoed it (message and body).
    """
    text = host.redact(response.text)
    message, body = status_message(operation, response.status_code, text, response.headers.get("x-request-id"))
    cls = _BY_STATUS.get(response.status_code)
    if cls is None:
        cls = InternalServerError if response.status_code >= 500 else APIStatusError
    return cls(message, response=host.redacted_response(response, text), body=body)


def transport_error(
    operation: str, exc: httpx.RequestError, host: ServiceHost, request: httpx.Request | None, context: str
) -> APIConnectionError:
    """The oaimap error for an httpx transport failure (``context`` says when it happened).

    The cause is kept as a fresh httpx exception of the same type with the (masked)
    message and no request attached: the original holds the request with the key.
    """
    kind = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
    detail = host.redact(str(exc)) or "no detail"
    error = kind(
        f"{operation}: {context}: {type(exc).__name__}: {detail}",
        host.redacted_request(request) if request is not None else None,
    )
    error.__cause__ = type(exc)(detail)
    error.__suppress_context__ = True  # the original, request and key attached, is not shown
    return error


def undecodable_body(operation: str, response: httpx.Response, host: ServiceHost, expected: str) -> APIResponseValidationError:
    """The error for a successful response whose body is not ``expected`` (e.g. JSON)."""
    text = host.redact(response.text)
    excerpt = text[:200] + ("..." if len(text) > 200 else "")
    message = f"{operation}: HTTP {response.status_code} with a body that is not {expected}"
    ctype = response.headers.get("content-type")
    if ctype:
        message += f" (content-type {ctype})"
    request_id = response.headers.get("x-request-id")
    if request_id:
        message += f" (request id {request_id})"
    message += f": {excerpt!r}"
    return APIResponseValidationError(message, host.redacted_response(response, text), excerpt)
