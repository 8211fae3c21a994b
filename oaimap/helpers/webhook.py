"""Declared helper ``kind: webhook``: verify and unwrap the webhooks OpenAI sends.

Local operations (no HTTP call): ``webhooks.verify_signature`` (the seed's
``verifyWebhookSignature``, answers ``{"verified": True}``) and ``webhooks.unwrap``
(``unwrapWebhookEvent``, answers the parsed event). Setting in the spec: ``action``
(``verify`` or ``unwrap``). Also usable without a client::

    from oaimap.helpers.webhook import unwrap, verify_signature
    event = unwrap(request_body, request_headers, secret="whsec_...")

The Standard Webhooks scheme: headers ``webhook-id``, ``webhook-timestamp`` (unix
seconds) and ``webhook-signature`` (space-separated ``v1,<base64>`` entries; any one
matching passes, which is how secrets are rotated); the signature is HMAC-SHA256 over
``{id}.{timestamp}.{raw body}`` keyed with the base64-decoded secret (``whsec_`` prefix
optional). Header names are case-insensitive; the timestamp may be at most ``tolerance``
seconds (300 by default) in the past or the future.

Every failure raises :class:`~oaimap.errors.WebhookVerificationError`, whose ``check``
says which check failed; no message ever holds the secret or any signature bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import re
import time
from typing import Any, Iterable, Mapping

from ..errors import ValidationError, Violation, WebhookVerificationError
from ..host import Secret
from ..specs import Operation
from ..wire import CallOptions

DEFAULT_TOLERANCE = 300
SECRET_PREFIX = "whsec_"
REQUIRED_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
_DIGITS = re.compile(r"[0-9]+")


def _header_map(headers: Any) -> dict[str, str]:
    """Lower-cased header name -> value, from a mapping, an object with ``items()``
    (Starlette, http.client) or ``(name, value)`` pairs; repeated names are joined."""
    if headers is None:
        raise WebhookVerificationError("headers", "webhook headers are missing")
    if isinstance(headers, Mapping) or callable(getattr(headers, "items", None)):
        items: Iterable[Any] = headers.items()
    elif isinstance(headers, (list, tuple)):
        items = headers
    else:
        raise WebhookVerificationError(
            "headers", f"webhook headers must be a mapping or (name, value) pairs, not {type(headers).__name__}"
        )
    found: dict[str, list[str]] = {}
    for item in items:
        try:
            name, value = item
        except (TypeError, ValueError):
            raise WebhookVerificationError("headers", "webhook headers must be (name, value) pairs") from None
        if isinstance(name, bytes):
            name = name.decode("latin-1")
        values = value if isinstance(value, (list, tuple)) else [value]
        for v in values:
            if v is None:
                continue
            found.setdefault(str(name).strip().lower(), []).append(
                v.decode("latin-1") if isinstance(v, bytes) else str(v)
            )
    return {name: " ".join(values) for name, values in found.items()}


def _secret_key(secret: str | Secret | None) -> bytes:
    if isinstance(secret, Secret):
        secret = secret.reveal()
    if not secret or not isinstance(secret, str):
        raise WebhookVerificationError(
            "secret",
            "no webhook secret: pass secret=..., Client(webhook_secret=...) or set OPENAI_WEBHOOK_SECRET",
        )
    encoded = secret.strip()
    if encoded.startswith(SECRET_PREFIX):
        encoded = encoded[len(SECRET_PREFIX) :]
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if not key:
        raise WebhookVerificationError("secret", "the webhook secret is not valid base64 (expected whsec_<base64>)")
    return key


def _body_bytes(payload: Any, operation: str) -> bytes:
    if isinstance(payload, (bytes, bytearray, memoryview)):
        return bytes(payload)
    if isinstance(payload, str):
        return payload.encode("utf-8")
    raise ValidationError(
        operation,
        [Violation("$.payload", f"must be the raw request body (str or bytes), got {type(payload).__name__}")],
    )


def verify_signature(
    payload: str | bytes,
    headers: Any,
    secret: str | Secret | None = None,
    tolerance: int | float | None = DEFAULT_TOLERANCE,
    *,
    now: float | None = None,
    operation: str = "webhooks.verify_signature",
) -> dict[str, bool]:
    """Check a webhook request; ``{"verified": True}`` or WebhookVerificationError."""
    body = _body_bytes(payload, operation)
    key = _secret_key(secret)
    tolerance = DEFAULT_TOLERANCE if tolerance is None else tolerance
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not 0 <= tolerance < math.inf:
        # NaN compares false with everything: it would silently switch the check off.
        raise ValidationError(operation, [Violation("$.tolerance", f"must be a finite number of seconds >= 0, got {tolerance!r}")])
    found = _header_map(headers)
    missing = [name for name in REQUIRED_HEADERS if not found.get(name, "").strip()]
    if missing:
        raise WebhookVerificationError("headers", f"missing webhook header(s): {', '.join(missing)}")
    webhook_id = found["webhook-id"].strip()
    timestamp = found["webhook-timestamp"].strip()
    if not _DIGITS.fullmatch(timestamp):
        raise WebhookVerificationError("timestamp", "webhook-timestamp is not a unix timestamp in seconds")
    age = (time.time() if now is None else now) - int(timestamp)
    if age > tolerance:
        raise WebhookVerificationError(
            "timestamp", f"webhook timestamp is too old ({int(age)} s ago, tolerance {tolerance} s)"
        )
    if -age > tolerance:
        raise WebhookVerificationError(
            "timestamp", f"webhook timestamp is too far in the future ({int(-age)} s ahead, tolerance {tolerance} s)"
        )
    candidates = [entry[3:] for entry in found["webhook-signature"].split() if entry.startswith("v1,")]
    if not candidates:
        raise WebhookVerificationError("signature", "webhook-signature holds no v1 signature")
    signed = f"{webhook_id}.{timestamp}.".encode("utf-8") + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest())
    matched = False
    for candidate in candidates:  # every entry is compared: no early exit to time
        matched |= hmac.compare_digest(expected, candidate.encode("utf-8"))
    if not matched:
        raise WebhookVerificationError(
            "signature", f"no webhook signature matches ({len(candidates)} v1 signature(s) checked)"
        )
    return {"verified": True}


def unwrap(
    payload: str | bytes,
    headers: Any,
    secret: str | Secret | None = None,
    tolerance: int | float | None = DEFAULT_TOLERANCE,
    *,
    now: float | None = None,
    operation: str = "webhooks.unwrap",
) -> Any:
    """Verify a webhook request, then return its parsed JSON event."""
    verify_signature(payload, headers, secret, tolerance, now=now, operation=operation)
    try:
        return json.loads(_body_bytes(payload, operation))
    except ValueError:
        raise WebhookVerificationError("payload", "the webhook body is not valid JSON") from None


def _call(client: Any, op: Operation, payload: dict[str, Any]) -> Any:
    secret = payload.get("secret")
    if secret is None:
        secret = client.host.webhook_secret
    action = (op.helper or {}).get("action", "verify")
    fn = unwrap if action == "unwrap" else verify_signature
    return fn(payload["payload"], payload["headers"], secret, payload.get("tolerance"), operation=op.name)


def run(client: Any, op: Operation, payload: dict[str, Any], options: CallOptions) -> Any:
    return _call(client, op, payload)


async def arun(client: Any, op: Operation, payload: dict[str, Any], options: CallOptions) -> Any:
    return _call(client, op, payload)
