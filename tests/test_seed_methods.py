"""All 134 seed methods: each alias resolves to its dotted name and does the right
thing on the wire (method, route, query, body), over real HTTP to the loopback server.

The expected routes come from tests/data/seed_methods.yaml (facts from the official
OpenAPI document); the payload of each call is the spec's own example request, with
file parameters replaced by real files on disk. The server rebuilds the payload from
what it received (query brackets, JSON or multipart parts), and it must be exactly what
was sent.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
import yaml

from oaimap.decode import UploadedFile
from oaimap.schemas import has_file_param

CASES = yaml.safe_load((Path(__file__).parent / "data" / "seed_methods.yaml").read_text())
HTTP_CASES = [c for c in CASES if not c.get("helper")]
BETA_FAMILIES = {"assistants", "threads", "messages", "runs"}


def test_the_table_has_all_134_seed_methods():
    assert len(CASES) == 134
    assert len({c["alias"] for c in CASES}) == 134


@pytest.mark.parametrize("case", CASES, ids=[c["alias"] for c in CASES])
def test_every_seed_alias_resolves_to_its_dotted_name(client, case):
    op, via_alias = client.specs.resolve(case["alias"])
    assert via_alias
    assert op.name == case["name"]
    assert op.family == case["family"]


def file_params(op) -> list[str]:
    return [k for k, schema in op.params_in("body").items() if has_file_param(schema)]


def realistic_payload(op, tmp_path: Path) -> dict:
    """The op's example request, with every file parameter pointing at a real file."""
    payload = dict(op.example.get("request") or {})
    for key in file_params(op):
        value = payload.get(key)
        names = value if isinstance(value, list) else [value]
        paths = []
        for index, name in enumerate(names):
            name = Path(str(name or f"{key}{index}.bin")).name
            path = tmp_path / name
            path.write_bytes(f"content of {name}".encode())
            paths.append(path)
        if key in payload or key in op.required:
            payload[key] = paths if isinstance(value, list) else paths[0]
    return payload


@pytest.mark.parametrize("case", HTTP_CASES, ids=[c["alias"] for c in HTTP_CASES])
def test_seed_method_on_the_wire(client, server, tmp_path, case):
    op = client.specs.get(case["alias"])
    payload = realistic_payload(op, tmp_path)
    result = client.call(case["alias"], payload)

    sent = server.requests[-1]
    assert sent.method == case["method"]
    route = case["path"].format(**{k: quote(str(payload[k]), safe="") for k in op.path_fields})
    assert sent.path == "/v1" + route
    assert set(op.path_fields) <= set(case["path_keys"])  # the seed pulled these out as path args
    if case["family"] in BETA_FAMILIES:
        assert sent.headers["openai-beta"] == "assistants=v2"

    # What the server decoded from the wire is exactly what was sent.
    received = dict(sent.payload)
    for key in file_params(op):
        if key in payload:
            sent_files = payload[key] if isinstance(payload[key], list) else [payload[key]]
            got = received.pop(key)
            got_files = got if isinstance(got, list) else [got]
            assert all(isinstance(f, UploadedFile) for f in got_files)
            assert [f.filename for f in got_files] == [p.name for p in sent_files]
            assert [f.data for f in got_files] == [p.read_bytes() for p in sent_files]
    expected = {k: v for k, v in payload.items() if k not in file_params(op)}
    assert received == expected

    if case.get("returns_list"):
        assert isinstance(result, list)  # the seed's shape for list methods
        assert result == (op.example.get("response") or {}).get("data", [])
    elif op.returns == "binary":
        assert isinstance(result, bytes) and result
