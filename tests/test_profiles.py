"""Provider profiles (``specs/profiles/*.yaml``, ``oaimap/profiles.py``): one name picks
where requests go, how they authenticate, which defaults they carry, which operations
the provider serves and how it routes them. The wire is checked on a real socket
(``tests/faultserver.py`` records each request exactly as it arrived)."""

from __future__ import annotations

import json
import os
from fnmatch import fnmatchcase

import pytest

from oaimap import Client, ConfigurationError, SpecError, UnsupportedOperationError, ValidationError, profiles
from oaimap.specs import SpecRegistry, dump_yaml

from faultserver import FaultServer, json_reply

CHAT = {"model": "dep1", "messages": [{"role": "user", "content": "hi"}]}
ANSWER = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "dep1", "choices": []}


@pytest.fixture
def fault():
    with FaultServer() as server:
        yield server


@pytest.fixture(autouse=True)
def _no_profile_env(monkeypatch, tmp_path):
    for name in ("OAIMAP_PROFILE", "AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # no user profiles but the test's


def _one(fault, client, name, payload, answer=ANSWER):
    fault.cue(json_reply(answer))
    client.call(name, payload)
    (seen,) = fault.seen
    return seen


def test_azure_routes_by_deployment_with_api_version_and_api_key(fault):
    with Client(profile="azure", base_url=fault.url, api_key="az-key-0123456789", max_retries=0) as client:
        seen = _one(fault, client, "chat.completions.create", CHAT)
    assert seen.method == "POST"
    assert seen.target == "/openai/deployments/dep1/chat/completions?api-version=2024-10-21"
    headers = dict(seen.headers)
    assert headers["api-key"] == "az-key-0123456789" and "authorization" not in headers


def test_azure_reads_its_own_environment(fault, monkeypatch):
    monkeypatch.setenv("OAIMAP_PROFILE", "azure")
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", fault.url)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "az-env-key-0123")
    with Client(max_retries=0) as client:
        seen = _one(fault, client, "embeddings.create", {"model": "emb", "input": "x"})
    assert seen.target == "/openai/deployments/emb/embeddings?api-version=2024-10-21"
    assert dict(seen.headers)["api-key"] == "az-env-key-0123"


def test_azure_with_an_entra_token_function(fault):
    token = iter(["entra-1", "entra-2"])
    with Client(profile="azure", base_url=fault.url, api_key=lambda: next(token), auth_header="Authorization", max_retries=0) as client:
        seen = _one(fault, client, "chat.completions.create", CHAT)
    headers = dict(seen.headers)
    assert headers["authorization"] == "Bearer entra-1" and "api-key" not in headers


def test_azure_authoring_routes_have_no_deployment(fault):
    with Client(profile="azure", base_url=fault.url, api_key="k", max_retries=0) as client:
        seen = _one(fault, client, "files.list", {}, {"object": "list", "data": []})
    assert seen.target == "/openai/files?api-version=2024-10-21"


def test_a_deployment_name_is_one_path_segment(fault):
    with Client(profile="azure", base_url=fault.url, api_key="k", max_retries=0) as client:
        seen = _one(fault, client, "chat.completions.create", {**CHAT, "model": "a/b c"})
    assert seen.target.startswith("/openai/deployments/a%2Fb%20c/chat/completions?")


def test_an_operation_the_provider_does_not_serve_fails_before_sending(fault):
    with Client(profile="azure", base_url=fault.url, api_key="k", max_retries=0) as client:
        with pytest.raises(UnsupportedOperationError, match="'azure' provider profile does not serve") as info:
            client.call("beta.assistants.create", {"model": "m"})
    assert info.value.operation == "beta.assistants.create" and fault.seen == []


def test_azure_v1_uses_the_openai_v1_base_without_api_version(fault):
    with Client(profile="azure-v1", base_url=fault.url, api_key="k", max_retries=0) as client:
        seen = _one(fault, client, "chat.completions.create", CHAT)
    assert seen.target == "/openai/v1/chat/completions"
    assert dict(seen.headers)["api-key"] == "k"


def test_a_local_server_without_a_key(fault, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-not-for-ollama-0123")
    with Client(profile="ollama", base_url=fault.url + "/v1", max_retries=0) as client:
        seen = _one(fault, client, "chat.completions.create", CHAT)
    assert seen.target == "/v1/chat/completions"
    assert "authorization" not in dict(seen.headers)


def test_the_callers_settings_win_over_the_profile(fault):
    with Client(profile="azure", base_url=fault.url, api_key="k", default_query={"api-version": "2025-04-01-preview"},
                max_retries=0) as client:
        seen = _one(fault, client, "chat.completions.create", CHAT)
    assert seen.target.endswith("?api-version=2025-04-01-preview")


# -- the user's own profiles --------------------------------------------------------------------
def _user_profile(tmp_path, name, data, mode=0o600):
    folder = tmp_path / "config" / "oaimap" / "profiles"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(dump_yaml(data))
    os.chmod(path, mode)
    return path


def test_a_user_profile_extends_a_shipped_one(fault, tmp_path):
    _user_profile(tmp_path, "work", {"profile": "work", "summary": "Our Azure resource.", "extends": "azure",
                                     "base_url": fault.url, "default_query": {"api-version": "2025-01-01-preview"}})
    with Client(profile="work", api_key="k", max_retries=0) as client:
        seen = _one(fault, client, "chat.completions.create", CHAT)
    assert seen.target == "/openai/deployments/dep1/chat/completions?api-version=2025-01-01-preview"
    assert "work" in profiles.names()


def test_a_literal_key_needs_a_file_only_its_owner_reads(fault, tmp_path):
    data = {"profile": "mine", "summary": "Mine.", "extends": "compatible", "base_url": fault.url + "/v1", "api_key": "sk-literal-0123"}
    _user_profile(tmp_path, "mine", data, mode=0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        Client(profile="mine")
    _user_profile(tmp_path, "mine", data, mode=0o600)
    with Client(profile="mine", max_retries=0) as client:
        seen = _one(fault, client, "models.list", {}, {"object": "list", "data": []})
    assert dict(seen.headers)["authorization"] == "Bearer sk-literal-0123"
    assert "sk-literal" not in repr(profiles.load("mine"))


def test_a_broken_or_unknown_profile_is_a_clear_error(tmp_path):
    _user_profile(tmp_path, "bad", {"profile": "bad", "summary": "x", "auth": {"cookie": "c"}})
    with pytest.raises(SpecError, match=r"bad\.yaml: \$\.auth"):
        Client(profile="bad", api_key="k")
    with pytest.raises(ConfigurationError, match="no provider profile 'nope'; known: .*azure"):
        Client(profile="nope", api_key="k")


# -- the shipped profiles ------------------------------------------------------------------------
SHIPPED = sorted(p.stem for p in profiles.shipped_dir().glob("*.yaml"))


def test_the_issue_s_presets_are_shipped():
    assert {"openai", "azure", "azure-v1", "vllm", "litellm", "ollama", "llamacpp", "compatible"} <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_pattern_of_a_shipped_profile_names_real_operations(name):
    profile = profiles.load(name)
    operations = [op.name for op in SpecRegistry.shared().operations()]
    patterns = [*(profile.serves or ()), *(p for route in profile.routes for p in route.operations)]
    for pattern in patterns:
        assert any(fnmatchcase(op, pattern) for op in operations), f"{name}: {pattern!r} matches no operation"


# -- schema overlays: the provider's real contract ----------------------------------------------
VLLM_CHAT = {
    "model": "llava",
    "messages": [
        {"role": "user", "content": [{"type": "text", "text": "what happens?"},
                                     {"type": "video_url", "video_url": {"url": "https://example.com/v.mp4"}}]},
        {"role": "ipython", "content": "{\"temperature\": 21}"},
    ],
    "top_k": 20,
    "guided_choice": ["yes", "no"],
}


def test_vllm_extensions_validate_and_are_sent(fault):
    with Client(profile="vllm", base_url=fault.url + "/v1", max_retries=0) as client:
        seen = _one(fault, client, "chat.completions.create", VLLM_CHAT)
    body = json.loads(seen.raw.split(b"\r\n\r\n", 1)[1])
    assert body["top_k"] == 20 and body["messages"][0]["content"][1]["type"] == "video_url"


def test_the_official_contract_refuses_them(fault):
    with Client(base_url=fault.url + "/v1", api_key="k", strict=True, max_retries=0) as client:
        with pytest.raises(ValidationError) as info:
            client.call("chat.completions.create", VLLM_CHAT)
    paths = [v.path for v in info.value.violations]
    assert any(p.startswith("$.messages[0].content") for p in paths) and any(p.startswith("$.messages[1]") for p in paths)
    assert "$.top_k" in paths and fault.seen == []


@pytest.mark.parametrize(
    "change, path",
    [
        ({"top_k": "twenty"}, "$.top_k"),
        ({"guided_choice": "yes"}, "$.guided_choice"),
        ({"messages": [{"role": "user", "content": [{"type": "video_url", "video_url": {}}]}]}, "$.messages[0].content"),
        ({"messages": [{"role": "ipython"}]}, "$.messages[0]"),
    ],
)
def test_strict_where_the_provider_is_strict(fault, change, path):
    with Client(profile="vllm", base_url=fault.url + "/v1", max_retries=0) as client:
        with pytest.raises(ValidationError) as info:
            client.call("chat.completions.create", {**VLLM_CHAT, **change})
    assert any(v.path.startswith(path) for v in info.value.violations), info.value.violations
    assert fault.seen == []


def test_litellm_metadata_tags(fault):
    payload = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "metadata": {"tags": ["team-a", "batch"]}}
    with Client(base_url=fault.url + "/v1", api_key="k", max_retries=0) as client:
        with pytest.raises(ValidationError, match=r"\$\.metadata\.tags"):
            client.call("chat.completions.create", payload)
    with Client(profile="litellm", base_url=fault.url + "/v1", api_key="k", max_retries=0) as client:
        seen = _one(fault, client, "chat.completions.create", payload)
    assert json.loads(seen.raw.split(b"\r\n\r\n", 1)[1])["metadata"] == {"tags": ["team-a", "batch"]}


def test_an_overlay_leaves_the_shared_operations_alone():
    official = SpecRegistry.shared().get("chat.completions.create")
    with Client(profile="vllm") as client:
        variant = client.operation("chat.completions.create")
    assert "top_k" in variant.params_in("body") and "top_k" not in official.params_in("body")
    assert variant.variant.startswith("vllm-") and official.variant == ""


@pytest.mark.parametrize("payload", [VLLM_CHAT, {**VLLM_CHAT, "top_k": "x"}, {**VLLM_CHAT, "messages": [{"role": "ipython"}]},
                                     {"model": "m", "messages": [{"role": "user", "content": "hi"}]}])
def test_the_fast_path_and_the_reference_agree_on_a_variant(payload):
    from oaimap import fastpath
    from oaimap.validation import violations

    with Client(profile="vllm") as client:
        op = client.operation("chat.completions.create")
    for strict in (False, True):
        assert fastpath.is_valid(op, payload, strict) == (not violations(op, payload, strict))


def test_a_local_server_gets_the_key_only_when_there_is_one(fault, monkeypatch):
    monkeypatch.setenv("VLLM_API_KEY", "vllm-key-0123")
    with Client(profile="vllm", base_url=fault.url + "/v1", max_retries=0) as client:
        seen = _one(fault, client, "models.list", {}, {"object": "list", "data": []})
    assert dict(seen.headers)["authorization"] == "Bearer vllm-key-0123"


# -- validation levels: per profile, client and call ---------------------------------------------
OFF_CONTRACT = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": "hot", "tool_choice": "any"}


def test_full_refuses_what_warn_logs_and_sends(fault, caplog):
    with Client(base_url=fault.url + "/v1", api_key="k", max_retries=0) as client:
        with pytest.raises(ValidationError):
            client.call("chat.completions.create", OFF_CONTRACT)
        fault.cue(json_reply(ANSWER))
        with caplog.at_level("WARNING", logger="oaimap"):
            client.call("chat.completions.create", OFF_CONTRACT, validation="warn")
    assert len(fault.seen) == 1 and "$.temperature" in caplog.text and "$.tool_choice" in caplog.text


def test_the_compatible_profile_warns_by_default(fault, caplog):
    with Client(profile="compatible", base_url=fault.url + "/v1", max_retries=0) as client:
        assert client.validation == "warn"
        with caplog.at_level("WARNING", logger="oaimap"):
            _one(fault, client, "chat.completions.create", OFF_CONTRACT)
    assert "chat.completions.create" in caplog.text


def test_shape_checks_types_and_required_keys_only(fault):
    with Client(base_url=fault.url + "/v1", api_key="k", validation="shape", max_retries=0) as client:
        seen = _one(fault, client, "chat.completions.create", {**OFF_CONTRACT, "temperature": 9.5})  # bounds and enums: not shape
        assert seen.method == "POST"
        for wrong, path in [({"temperature": "hot"}, "$.temperature"), ({"messages": "hi"}, "$.messages")]:
            with pytest.raises(ValidationError) as info:
                client.call("chat.completions.create", {**OFF_CONTRACT, "tool_choice": "auto", **wrong})
            assert path in info.value.paths
        with pytest.raises(ValidationError, match=r"\$\.model: required"):
            client.call("chat.completions.create", {"messages": []})


def test_off_checks_only_what_cannot_be_sent(fault):
    with Client(base_url=fault.url + "/v1", api_key="k", validation="off", max_retries=0) as client:
        _one(fault, client, "chat.completions.create", {"model": 5})
        with pytest.raises(ValidationError, match="no JSON form"):
            client.call("chat.completions.create", {"model": "m", "temperature": float("nan")})


def test_an_unknown_level_is_refused():
    with pytest.raises(ConfigurationError, match="validation must be one of"):
        Client(api_key="k", validation="lenient")


def test_the_docs_site_shows_each_provider_beside_the_official_operation():
    from pathlib import Path

    site = Path(__file__).resolve().parents[1] / "docs" / "site"
    chat = (site / "chat.html").read_text()
    section = chat[chat.index('id="chat.completions.create"'):]
    section = section[: section.index("</section>")]
    assert '<a href="providers.html#vllm"><code>vllm</code></a> adds <code>top_k</code> (integer)' in section
    assert "routes it to <code>/deployments/{model}/chat/completions</code>" in section
    providers = (site / "providers.html").read_text()
    assert all(f'id="{name}"' in providers for name in SHIPPED)
    assert "Widens <code>chat.yaml#/ChatCompletionRequestMessage</code>" in providers


# -- every preset on the wire --------------------------------------------------------------------
PRESET_AUTH = {  # profile -> (header the key travels in, its value for key "k-0123456789") or None
    "openai": ("authorization", "Bearer k-0123456789"),
    "azure": ("api-key", "k-0123456789"),
    "azure-v1": ("api-key", "k-0123456789"),
    "vllm": ("authorization", "Bearer k-0123456789"),
    "litellm": ("authorization", "Bearer k-0123456789"),
    "llamacpp": ("authorization", "Bearer k-0123456789"),
    "compatible": ("authorization", "Bearer k-0123456789"),
    "ollama": None,
}


@pytest.mark.parametrize("name", sorted(PRESET_AUTH))
def test_every_preset_on_the_wire(fault, name):
    with Client(profile=name, base_url=fault.url + "/v1" if name not in ("azure", "azure-v1") else fault.url,
                api_key="k-0123456789", max_retries=0) as client:
        seen = _one(fault, client, "chat.completions.create", CHAT)
    headers = dict(seen.headers)
    expected = PRESET_AUTH[name]
    if expected is None:
        assert "authorization" not in headers and "api-key" not in headers
    else:
        assert headers[expected[0]] == expected[1]
    route = {"azure": "/openai/deployments/dep1/chat/completions?api-version=2024-10-21",
             "azure-v1": "/openai/v1/chat/completions"}.get(name, "/v1/chat/completions")
    assert seen.target == route


def test_azure_on_your_data_is_typed(fault):
    with Client(profile="azure", base_url=fault.url, api_key="k", max_retries=0) as client:
        with pytest.raises(ValidationError, match=r"\$\.data_sources\[0\]"):
            client.call("chat.completions.create", {**CHAT, "data_sources": [{"type": "azure_search"}]})
        seen = _one(fault, client, "chat.completions.create",
                    {**CHAT, "data_sources": [{"type": "azure_search", "parameters": {"index_name": "i"}}]})
    assert b"azure_search" in seen.raw


def test_azure_from_the_resource_name(monkeypatch):
    assert Client(profile="azure", profile_vars={"resource": "myres"}, api_key="k").host.base_url == "https://myres.openai.azure.com/openai"
    monkeypatch.setenv("AZURE_OPENAI_RESOURCE", "envres")
    assert Client(profile="azure-v1", api_key="k").host.base_url == "https://envres.openai.azure.com/openai/v1"
    monkeypatch.delenv("AZURE_OPENAI_RESOURCE")
    with pytest.raises(ConfigurationError, match="needs resource: pass profile_vars=.*AZURE_OPENAI_RESOURCE"):
        Client(profile="azure", api_key="k")


def test_a_profile_says_how_its_streams_end(fault, tmp_path):
    from faultserver import sse

    from oaimap import StreamError

    chunk = json.dumps({"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
                        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    _user_profile(tmp_path, "strict-done", {"profile": "strict-done", "summary": "Always sends [DONE].",
                                            "extends": "compatible", "stream_end": {"chat.completions.*": ["[DONE]"]}})
    request = {**CHAT, "stream": True}
    with Client(base_url=fault.url + "/v1", api_key="k", max_retries=0) as client:  # a finish_reason suffices
        fault.cue(sse(f"data: {chunk}\n\n"))
        assert [c["choices"][0]["finish_reason"] for c in client.call("chat.completions.create", request)] == ["stop"]
    with Client(profile="strict-done", base_url=fault.url + "/v1", api_key="k", max_retries=0) as client:
        fault.cue(sse(f"data: {chunk}\n\n"))
        with pytest.raises(StreamError, match=r"expected \[DONE\].*cut short"):
            list(client.call("chat.completions.create", request))
        fault.cue(sse(f"data: {chunk}\n\n", "data: [DONE]\n\n"))
        assert len(list(client.call("chat.completions.create", request))) == 1
