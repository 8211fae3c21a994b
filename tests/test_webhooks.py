"""Webhooks: ``webhooks.verify_signature`` / ``webhooks.unwrap`` (seed aliases
``verifyWebhookSignature`` / ``unwrapWebhookEvent``), local operations with no HTTP call.
Signatures are made here with hmac, independently of the code under test."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest

import oaimap
from oaimap import AsyncClient, Client
from oaimap.errors import OaimapError, ValidationError, WebhookVerificationError
from oaimap.helpers.webhook import unwrap, verify_signature

RAW_KEY = b"\x01\x02super-secret-webhook-key\xff\xfe"
B64 = base64.b64encode(RAW_KEY).decode()
SECRET = f"whsec_{B64}"
OTHER = "whsec_" + base64.b64encode(b"another key entirely").decode()
EVENT = {"id": "evt_1", "object": "event", "created_at": 1750000000, "type": "batch.completed", "data": {"id": "batch_1"}}
BODY = json.dumps(EVENT)
NOWHERE = "http://127.0.0.1:9/v1"  # nothing listens: a webhook op must not make a request


def sign(body: str | bytes, *, key: bytes = RAW_KEY, msg_id: str = "msg_1", ts: int | None = None) -> str:
    ts = int(time.time()) if ts is None else ts
    raw = body.encode() if isinstance(body, str) else body
    digest = hmac.new(key, f"{msg_id}.{ts}.".encode() + raw, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(body: str | bytes = BODY, *, ts: int | None = None, signature: str | None = None, **kw) -> dict:
    ts = int(time.time()) if ts is None else ts
    return {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(ts),
        "webhook-signature": signature if signature is not None else sign(body, ts=ts, **kw),
    }


@pytest.fixture
def client():
    with Client(api_key="sk-unused", base_url=NOWHERE) as c:
        yield c


def failure(client, payload, name="webhooks.verify_signature") -> WebhookVerificationError:
    with pytest.raises(WebhookVerificationError) as info:
        client.call(name, payload)
    err = info.value
    text = str(err)
    for secret_form in (SECRET, B64, OTHER, OTHER[6:]):
        assert secret_form not in text
    sig = payload["headers"].get("webhook-signature", "") if isinstance(payload["headers"], dict) else ""
    for entry in sig.split():
        assert entry[3:] not in text or not entry[3:]
    return err


# -- success -------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["webhooks.verify_signature", "verifyWebhookSignature"])
def test_valid_signature(client, name):
    assert client.call(name, {"payload": BODY, "headers": headers(), "secret": SECRET}) == {"verified": True}


@pytest.mark.parametrize("name", ["webhooks.unwrap", "unwrapWebhookEvent"])
def test_unwrap_returns_the_event(client, name):
    assert client.call(name, {"payload": BODY, "headers": headers(), "secret": SECRET}) == EVENT


def test_secret_without_prefix_and_bytes_body(client):
    raw = BODY.encode()
    assert client.call("webhooks.verify_signature", {"payload": raw, "headers": headers(raw), "secret": B64}) == {
        "verified": True
    }
    assert client.call("webhooks.unwrap", {"payload": raw, "headers": headers(raw), "secret": B64}) == EVENT


def test_header_names_are_case_insensitive(client):
    h = {k.upper() if "id" in k else k.title(): v for k, v in headers().items()}
    assert set(h) == {"WEBHOOK-ID", "Webhook-Timestamp", "Webhook-Signature"}
    assert client.call("webhooks.unwrap", {"payload": BODY, "headers": h, "secret": SECRET}) == EVENT
    pairs = list(headers().items())  # (name, value) pairs, as ASGI gives them
    assert verify_signature(BODY, [(k.encode(), v.encode()) for k, v in pairs], SECRET) == {"verified": True}


def test_one_valid_signature_among_several(client):
    ts = int(time.time())
    good = sign(BODY, ts=ts)
    rotated = f"{sign(BODY, ts=ts, key=b'old key')} v1a,ignored {good} v1,{'A' * 44}"
    result = client.call("webhooks.verify_signature", {"payload": BODY, "headers": headers(ts=ts, signature=rotated), "secret": SECRET})
    assert result == {"verified": True}


def test_secret_from_the_client_and_environment(monkeypatch):
    with Client(api_key="sk-unused", base_url=NOWHERE, webhook_secret=SECRET) as c:
        assert c.call("webhooks.unwrap", {"payload": BODY, "headers": headers()}) == EVENT
    monkeypatch.setenv("OPENAI_WEBHOOK_SECRET", SECRET)
    with Client(api_key="sk-unused", base_url=NOWHERE) as c:
        assert c.call("verifyWebhookSignature", {"payload": BODY, "headers": headers()}) == {"verified": True}
        # An explicit secret wins over the host's.
        failure(c, {"payload": BODY, "headers": headers(), "secret": OTHER})


async def test_async_client():
    async with AsyncClient(api_key="sk-unused", base_url=NOWHERE, webhook_secret=SECRET) as c:
        assert await c.call("webhooks.unwrap", {"payload": BODY, "headers": headers()}) == EVENT
        with pytest.raises(WebhookVerificationError):
            await c.call("webhooks.unwrap", {"payload": BODY + " ", "headers": headers()})


# -- failures ------------------------------------------------------------------------
def test_wrong_secret(client):
    err = failure(client, {"payload": BODY, "headers": headers(), "secret": OTHER})
    assert err.check == "signature" and "no webhook signature matches" in str(err)


def test_tampered_body(client):
    tampered = BODY.replace("batch_1", "batch_2")
    err = failure(client, {"payload": tampered, "headers": headers(BODY), "secret": SECRET}, "webhooks.unwrap")
    assert err.check == "signature"


def test_tampered_id_or_timestamp(client):
    h = headers()
    h["webhook-id"] = "msg_2"
    assert failure(client, {"payload": BODY, "headers": h, "secret": SECRET}).check == "signature"
    ts = int(time.time())
    h = headers(ts=ts)
    h["webhook-timestamp"] = str(ts - 1)
    assert failure(client, {"payload": BODY, "headers": h, "secret": SECRET}).check == "signature"


def test_expired_and_future_timestamps(client):
    now = int(time.time())
    old = failure(client, {"payload": BODY, "headers": headers(ts=now - 400), "secret": SECRET})
    assert old.check == "timestamp" and "too old" in str(old)
    future = failure(client, {"payload": BODY, "headers": headers(ts=now + 400), "secret": SECRET})
    assert future.check == "timestamp" and "future" in str(future)
    # Inside the default 300 s window, both ways.
    for ts in (now - 250, now + 250):
        assert client.call("webhooks.verify_signature", {"payload": BODY, "headers": headers(ts=ts), "secret": SECRET})
    # A custom tolerance.
    err = failure(client, {"payload": BODY, "headers": headers(ts=now - 60), "secret": SECRET, "tolerance": 10})
    assert err.check == "timestamp" and "tolerance 10 s" in str(err)
    assert verify_signature(BODY, headers(ts=1000), SECRET, now=1000 + 300) == {"verified": True}
    with pytest.raises(WebhookVerificationError):
        verify_signature(BODY, headers(ts=1000), SECRET, now=1000 + 301)


@pytest.mark.parametrize("tolerance", [float("nan"), float("inf"), -1, "300", True])
def test_a_tolerance_that_would_switch_the_check_off_is_refused(client, tolerance):
    # NaN compares false with everything: `age > nan` never fires, so a forged old
    # timestamp would pass. Both doors refuse it: the op's schema and the function.
    with pytest.raises(ValidationError) as info:
        verify_signature(BODY, headers(ts=1000), SECRET, tolerance, now=10**9)
    assert info.value.paths == ["$.tolerance"]
    with pytest.raises(ValidationError) as info:
        client.call("webhooks.unwrap", {"payload": BODY, "headers": headers(ts=1000), "secret": SECRET, "tolerance": tolerance})
    assert info.value.paths == ["$.tolerance"]


def test_malformed_timestamp(client):
    h = headers()
    h["webhook-timestamp"] = "12e9"
    assert failure(client, {"payload": BODY, "headers": h, "secret": SECRET}).check == "timestamp"


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_headers(client, missing):
    h = headers()
    del h[missing]
    err = failure(client, {"payload": BODY, "headers": h, "secret": SECRET})
    assert err.check == "headers" and missing in str(err)


def test_no_v1_signature(client):
    h = headers(signature="v2,abcd " + sign(BODY)[3:])  # a bare base64 entry is not accepted
    err = failure(client, {"payload": BODY, "headers": h, "secret": SECRET})
    assert err.check == "signature" and "no v1 signature" in str(err)


def test_missing_or_malformed_secret(client, monkeypatch):
    monkeypatch.delenv("OPENAI_WEBHOOK_SECRET", raising=False)
    with Client(api_key="sk-unused", base_url=NOWHERE) as bare:
        err = failure(bare, {"payload": BODY, "headers": headers()})
    assert err.check == "secret" and "OPENAI_WEBHOOK_SECRET" in str(err)
    err = failure(client, {"payload": BODY, "headers": headers(), "secret": "whsec_not base64!!"})
    assert err.check == "secret" and "not base64!!" not in str(err)


def test_unwrap_rejects_a_signed_non_json_body(client):
    body = "not json"
    err = failure(client, {"payload": body, "headers": headers(body), "secret": SECRET}, "webhooks.unwrap")
    assert err.check == "payload"
    # ...which verify alone accepts: the signature is right.
    assert client.call("webhooks.verify_signature", {"payload": body, "headers": headers(body), "secret": SECRET})


def test_payload_must_be_the_raw_body(client):
    with pytest.raises(ValidationError) as info:
        client.call("webhooks.unwrap", {"payload": EVENT, "headers": headers(), "secret": SECRET})
    assert info.value.paths == ["$.payload"]
    with pytest.raises(ValidationError) as info:
        client.call("webhooks.verify_signature", {"payload": BODY})
    assert "$.headers" in info.value.paths


def test_errors_are_typed_and_exported():
    assert oaimap.WebhookVerificationError is WebhookVerificationError
    assert issubclass(WebhookVerificationError, OaimapError)
    with pytest.raises(oaimap.WebhookVerificationError):
        unwrap(BODY, headers(), OTHER)


def test_ops_are_local():
    with Client(api_key="k", base_url=NOWHERE) as c:
        op = c.specs.get("unwrapWebhookEvent")
    assert op.name == "webhooks.unwrap" and op.helper["kind"] == "webhook" and op.family == "webhooks"
    assert not op.method and not op.path  # no HTTP route: verified locally
