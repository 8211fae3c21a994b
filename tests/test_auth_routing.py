"""The seed's Service Host auth contract, checked on the wire."""

from __future__ import annotations

import logging

import httpx
import pytest

from oaimap import AuthenticationError, Client, ConfigurationError
from oaimap.server import Reply

KEY = "sk-secret/auth+routing=42"  # reserved URL characters: percent-encoded forms must not leak either
PAYLOAD = {"response_id": "resp_1"}


def _sent(server, **client_kwargs):
    with Client(base_url=server.url, max_retries=0, **client_kwargs) as client:
        client.call("responses.retrieve", PAYLOAD)
    return server.requests[-1]


@pytest.mark.parametrize("header_name", [None, "", "Authorization", "authorization"])
def test_default_or_blank_header_name_sends_bearer(server, header_name):
    sent = _sent(server, api_key=KEY, auth_header=header_name)
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.query == []


def test_custom_header_name_sends_the_bare_key_and_no_authorization(server):
    sent = _sent(server, api_key=KEY, auth_header="api-key")
    assert sent.headers["api-key"] == KEY
    assert "authorization" not in sent.headers


def test_query_mode_puts_the_key_in_the_query_and_no_auth_header(server):
    sent = _sent(server, api_key=KEY, auth_query="key")
    assert sent.query == [("key", KEY)]
    assert "authorization" not in sent.headers and "key" not in sent.headers


def test_query_mode_with_blank_name_uses_authorization(server):
    sent = _sent(server, api_key=KEY, auth_query="")
    assert sent.query == [("Authorization", KEY)]
    assert "authorization" not in sent.headers


def test_missing_key_fails_before_any_request(server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with Client(base_url=server.url) as client, pytest.raises(ConfigurationError, match="no API key"):
        client.call("responses.retrieve", PAYLOAD)
    assert server.requests == []


def test_key_comes_from_the_environment_or_a_named_variable(server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    monkeypatch.setenv("MY_PROVIDER_KEY", "sk-from-named-env")
    assert _sent(server).headers["authorization"] == "Bearer sk-from-env"
    assert _sent(server, api_key_env="MY_PROVIDER_KEY").headers["authorization"] == "Bearer sk-from-named-env"


def test_base_url_organization_and_project_from_environment(server, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", server.url)
    monkeypatch.setenv("OPENAI_ORG_ID", "org_1")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj_1")
    with Client(api_key=KEY) as client:
        client.call("responses.retrieve", PAYLOAD)
    sent = server.requests[-1]
    assert sent.headers["openai-organization"] == "org_1"
    assert sent.headers["openai-project"] == "proj_1"


def test_default_headers_and_query_and_base_url_query_are_sent(server):
    sent = _sent(
        server,
        api_key=KEY,
        default_headers={"X-Team": "blue"},
        default_query={"api-version": "2025-01-01"},
    )
    assert sent.headers["x-team"] == "blue"
    assert ("api-version", "2025-01-01") in sent.query
    with Client(api_key=KEY, base_url=server.url + "/?tenant=t1", max_retries=0) as client:
        client.call("responses.retrieve", PAYLOAD)
    assert server.requests[-1].path == "/v1/responses/resp_1"
    assert server.requests[-1].query == [("tenant", "t1")]


def test_the_key_never_shows_in_repr_errors_or_logs(server, caplog):
    caplog.set_level(logging.DEBUG)
    server.script("responses.retrieve", Reply(401, json={"error": {"message": "bad key", "type": "auth"}}))
    with Client(api_key=KEY, base_url=server.url, auth_query="key", max_retries=0) as client:
        assert KEY not in repr(client) and KEY not in repr(client.host) and KEY not in str(client.host.api_key)
        with pytest.raises(AuthenticationError) as info:
            client.call("responses.retrieve", PAYLOAD)
        client.call("responses.retrieve", PAYLOAD)
    assert server.requests[-1].query == [("key", KEY)]  # it was really sent...
    assert KEY not in str(info.value) and KEY not in repr(info.value)
    assert caplog.records, "httpx and oaimap should have logged the requests"
    assert all(KEY not in record.getMessage() for record in caplog.records)  # ...but never logged


@pytest.mark.parametrize("bad_key", ["sk-abc\n", "sk-abc\r", "sk-a\x00bc", "sk-\x7fabc", "sk-\u00e9t\u00e9"])
def test_keys_that_cannot_travel_fail_before_sending_without_showing_the_key(server, bad_key):
    with Client(api_key=bad_key, base_url=server.url) as client, pytest.raises(ConfigurationError) as info:
        client.call("responses.retrieve", PAYLOAD)
    assert bad_key.strip() not in str(info.value)
    assert server.requests == []


def test_a_key_with_inner_spaces_travels_as_it_is(server):
    # Only what cannot be sent is refused: a space is a legal header value character.
    with Client(api_key="sk abc 123", base_url=server.url) as client:
        client.call("responses.retrieve", PAYLOAD)
    assert server.requests[-1].headers["authorization"] == "Bearer sk abc 123"


def test_a_key_echoed_by_the_server_is_masked_in_the_error(server):
    echo = {"error": {"message": f"Incorrect API key provided: {KEY}", "type": "invalid_request_error"}}
    server.script("responses.retrieve", Reply(401, json=echo))
    with Client(api_key=KEY, base_url=server.url, max_retries=0) as client, pytest.raises(AuthenticationError) as info:
        client.call("responses.retrieve", PAYLOAD)
    assert KEY not in str(info.value) and KEY not in str(info.value.body)
    assert "Incorrect API key provided: **********" in str(info.value)


def test_connection_errors_keep_a_cause_without_the_request(monkeypatch):
    from oaimap import APIConnectionError

    with Client(api_key=KEY, base_url="http://127.0.0.1:9/v1", auth_query="key", max_retries=0) as client:
        with pytest.raises(APIConnectionError) as info:
            client.call("responses.retrieve", PAYLOAD)
    cause = info.value.__cause__
    assert isinstance(cause, httpx.ConnectError) and str(cause) in str(info.value)
    with pytest.raises(RuntimeError):  # the original held the request, key in its URL
        cause.request
    assert info.value.__suppress_context__
    assert KEY not in str(info.value) and KEY not in str(info.value.request.url)


def test_log_redaction_does_not_keep_clients_alive():
    import gc
    import weakref

    from oaimap.client import _redactor

    client = Client(api_key="sk-short-lived", base_url="http://127.0.0.1:9/v1")
    ref = weakref.ref(client)
    assert client in _redactor.clients
    client.close()
    del client
    gc.collect()
    assert ref() is None
