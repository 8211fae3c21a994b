"""Typed stubs: mypy accepts good calls, rejects bad ones, and knows what comes back.

mypy runs through its API (``mypy.api.run``) with one cache directory for the module,
so only the first run pays for checking httpx and the stdlib. The real stubs are the
committed ``oaimap/_typed.pyi`` / ``__init__.pyi`` (tests/test_generated.py makes sure
they match the specs); a made-up family (tests/data/codegen_synth) covers every spec
feature the generator handles, in a throwaway package.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from codegen import stubs
from codegen._resolve import Resolver, shape

mypy_api = pytest.importorskip("mypy.api")

ROOT = Path(__file__).resolve().parents[1]
SYNTH = Path(__file__).resolve().parent / "data" / "codegen_synth"
MYPY_FLAGS = ["--strict", "--no-error-summary", "--show-absolute-path", "--hide-error-context"]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("mypy-cache")


def run_mypy(cache_dir: Path, *args: str, mypy_path: Path | None = None) -> tuple[str, int]:
    flags = [*MYPY_FLAGS, "--cache-dir", str(cache_dir)]
    if mypy_path is not None:
        # a config file keeps MYPYPATH out of the process environment
        config = cache_dir.parent / f"mypy-{mypy_path.name}.ini"
        config.write_text(f"[mypy]\nmypy_path = {mypy_path}\n")
        flags += ["--config-file", str(config)]
    else:
        flags += ["--config-file", ""]
    out, err, status = mypy_api.run([*flags, *args])
    return out + err, status


def errors_by_line(output: str, path: Path) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for line in output.splitlines():
        match = re.match(rf"{re.escape(str(path))}:(\d+): error: (.*)", line)
        if match:
            found.setdefault(int(match.group(1)), []).append(match.group(2))
    return found


def _plain(type_text: str) -> str:
    """Revealed types without the module prefixes mypy versions disagree on."""
    return re.sub(r"\b(builtins|typing|collections\.abc)\.", "", type_text)


def revealed(output: str, path: Path) -> dict[int, str]:
    return {
        int(m.group(1)): _plain(m.group(2))
        for m in re.finditer(rf"{re.escape(str(path))}:(\d+): note: Revealed type is \"(.*)\"", output)
    }


def marked_lines(source: str, marker: str) -> dict[int, str]:
    """Line number -> the text after ``# <marker>`` on lines that carry the marker."""
    return {
        number: _plain(line.split(f"# {marker}", 1)[1].strip())
        for number, line in enumerate(source.splitlines(), start=1)
        if f"# {marker}" in line
    }


# -- the real stubs -----------------------------------------------------------------------
GOOD = textwrap.dedent(
    '''
    from typing import Any
    from oaimap import AsyncClient, Client

    client = Client(api_key="sk-test")
    client.call("responses.create", {"model": "gpt-4.1-mini", "input": "hi"})
    reveal_type(client.call("responses.create", {"model": "m", "input": "hi"}))  # T oaimap.meta.JsonObject
    reveal_type(client.call("createModelResponse", {"model": "m", "input": "hi", "stream": True}))  # T oaimap.sse.Stream
    reveal_type(client.call("responses.input_items.list", {"response_id": "r", "order": "asc"}))  # T oaimap.meta.JsonObject
    reveal_type(client.call("listInputItems", {"response_id": "r"}))  # T oaimap.meta.JsonList
    reveal_type(client.call("responses.input_tokens.count"))  # T oaimap.meta.JsonObject
    reveal_type(client.call("responses.delete", {"response_id": "r"}, timeout=5, max_retries=0))  # T oaimap.meta.JsonObject
    reveal_type(client.paginate("responses.input_items.list", {"response_id": "r"}))  # T typing.Iterator[Any]
    reveal_type(client.call("responses.retrieve", {"response_id": "r"}).meta.request_id)  # T str | None
    reveal_type(client.call("listInputItems", {"response_id": "r"}).meta.rate_limits.reset_tokens)  # T float | None
    with Client() as scoped:
        reveal_type(scoped.call("responses.retrieve", {"response_id": "r"}))  # T oaimap.meta.JsonObject

    def stream_flag(flag: bool) -> None:
        reveal_type(client.call("responses.create", {"model": "m", "stream": flag}))  # T oaimap.meta.JsonObject | oaimap.sse.Stream

    async def main() -> None:
        async with AsyncClient() as aclient:
            reveal_type(await aclient.call("responses.create", {"model": "m", "input": "hi"}))  # T oaimap.meta.JsonObject
            events = await aclient.call("responses.create", {"model": "m", "input": "hi", "stream": True})
            reveal_type(events)  # T oaimap.sse.AsyncStream
            async for item in aclient.paginate("listInputItems", {"response_id": "r"}):
                print(item)
    '''
)

BAD = textwrap.dedent(
    '''
    from oaimap import Client

    client = Client()
    client.call("responses.create", {"model": 3})  # E wrong type
    client.call("responses.creat", {"model": "m"})  # E unknown operation name
    client.call("createModelRespons", {"model": "m"})  # E unknown alias
    client.call("responses.input_items.list", {"response_id": "r", "order": "up"})  # E enum value
    client.call("responses.retrieve", {})  # E missing required path param
    client.call("responses.create", {"modle": "m"})  # E unknown key
    client.call("responses.create", {"model": "m"}, timeot=3)  # E unknown call option
    client.paginate("responses.create", {"model": "m"})  # E paginate a non-list op
    page: dict[str, object] = client.call("listInputItems", {"response_id": "r"})  # E alias returns a list
    name: str = "responses.create"
    client.call(name, {"model": "m"})  # E plain str is not an operation name
    '''
)


def test_mypy_accepts_good_calls_and_infers_return_types(tmp_path, cache_dir):
    snippet = tmp_path / "good_calls.py"
    snippet.write_text(GOOD)
    output, status = run_mypy(cache_dir, str(snippet))
    assert status == 0, output
    assert errors_by_line(output, snippet) == {}
    assert revealed(output, snippet) == marked_lines(GOOD, "T")


def test_mypy_rejects_bad_calls_line_by_line(tmp_path, cache_dir):
    snippet = tmp_path / "bad_calls.py"
    snippet.write_text(BAD)
    output, status = run_mypy(cache_dir, str(snippet))
    assert status == 1, output
    assert sorted(errors_by_line(output, snippet)) == sorted(marked_lines(BAD, "E")), output[:4000]


def test_the_stubs_themselves_pass_strict_mypy(cache_dir):
    output, status = run_mypy(cache_dir, "-m", "oaimap._typed", "-m", "oaimap")
    assert status == 0, output[:4000]


def test_every_operation_and_alias_has_an_overload():
    from oaimap.specs import SpecRegistry

    typed = (ROOT / "oaimap" / "_typed.pyi").read_text(encoding="utf-8")
    literals = set(re.findall(r'"([^"]+)"', " ".join(re.findall(r"def call\(self, name: Literal\[(.*?)\]", typed))))
    names = {n for op in SpecRegistry(ROOT / "specs").operations() for n in (op.name, *op.other_names, *op.aliases)}
    assert names and literals == names


# -- every spec feature, on a made-up family ------------------------------------------------
FAKE_CLIENT = '''
from typing import Any, Iterator, AsyncIterator, Mapping

class Client:
    def __init__(self, api_key: str | None = None) -> None: ...
    def call(self, name: str, payload: Mapping[str, Any] | None = None, **options: Any) -> Any: ...
    def paginate(self, name: str, payload: Mapping[str, Any] | None = None, **options: Any) -> Iterator[Any]: ...
    def __enter__(self) -> "Client": ...

class AsyncClient:
    async def call(self, name: str, payload: Mapping[str, Any] | None = None, **options: Any) -> Any: ...
    def paginate(self, name: str, payload: Mapping[str, Any] | None = None, **options: Any) -> AsyncIterator[Any]: ...
    async def __aenter__(self) -> "AsyncClient": ...
'''
FAKE_SSE = '''
from typing import Any, Iterator, AsyncIterator
class Stream:
    def __iter__(self) -> Iterator[Any]: ...
class AsyncStream:
    def __aiter__(self) -> AsyncIterator[Any]: ...
'''
FAKE_WIRE = '''
from dataclasses import dataclass
from pathlib import Path
@dataclass
class CallOptions:
    timeout: float | None = None
    output: str | Path | None = None
'''

SYNTH_GOOD = textwrap.dedent(
    '''
    from synthpkg._typed import AsyncClient, Client, SynthThingsCreatePayload

    c = Client()
    reveal_type(c.call("synth.things.create", {"name": "n", "stream": True}))  # T synthpkg.sse.Stream
    reveal_type(c.call("createThing", {"name": "n", "kind": None, "size": 2, "mode": {"level": 1}}))  # T synthpkg.meta.JsonObject
    reveal_type(c.call("synth.things.create", {"name": "n", "upload": b"data", "tags": ["red"], "ratio": 0.5, "OpenAI-Beta": "x=1"}))  # T synthpkg.meta.JsonObject
    reveal_type(c.call("synth.things.list", {"from": 3}))  # T synthpkg.meta.JsonObject
    reveal_type(c.call("listThings"))  # T synthpkg.meta.JsonList
    reveal_type(c.call("synth.things.content", {"thing_id": "t"}))  # T synthpkg.meta.BytesResult
    reveal_type(c.call("synth.things.content", {"thing_id": "t"}, output="thing.bin"))  # T synthpkg.meta.SavedFile
    reveal_type(c.call("synth.things.describe", {"thing_id": "t"}))  # T synthpkg.meta.TextResult
    reveal_type(c.call("synth.events.follow"))  # T synthpkg.sse.Stream
    reveal_type(c.call("connectLive", {"action": "connect"}))  # T Any
    reveal_type(c.paginate("listThings", {"limit": 5}))  # T typing.Iterator[Any]
    c.call("synth.things.delete", {"thing_id": "t"})
    payload: SynthThingsCreatePayload = {"name": "typed"}

    async def main(a: AsyncClient) -> None:
        reveal_type(await a.call("synth.events.follow"))  # T synthpkg.sse.AsyncStream
    '''
)

SYNTH_BAD = textwrap.dedent(
    '''
    from synthpkg._typed import Client

    c = Client()
    c.call("synth.things.create", {"name": "n", "kind": "gamma"})  # E enum
    c.call("synth.things.create", {"name": "n", "upload": 3})  # E file
    c.call("synth.things.create", {"name": "n", "tags": ["blue"]})  # E enum via $ref
    c.call("synth.things.create", {"name": "n", "size": "big"})  # E $ref integer
    c.call("synth.things.create", {"name": "n", "mode": 5})  # E anyOf
    c.call("synth.things.create", {"size": 2})  # E required key
    c.call("synth.things.content", {"thing_id": "t"}, output=None)  # E output must be a path
    c.call("synth.things.delete")  # E path param needed
    c.call("synth.nope", {})  # E unknown name
    c.call("connectLive", {"action": "open"})  # E helper enum
    '''
)


@pytest.fixture(scope="module")
def synth_package(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("synth")
    package = root / "synthpkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "client.pyi").write_text(FAKE_CLIENT)
    (package / "sse.pyi").write_text(FAKE_SSE)
    (package / "wire.py").write_text(FAKE_WIRE)
    (package / "meta.py").write_text((ROOT / "oaimap" / "meta.py").read_text())
    (package / "retries.py").write_text((ROOT / "oaimap" / "retries.py").read_text())
    (package / "_typed.pyi").write_text(stubs.render_typed(SYNTH, package))
    return root


def test_synthetic_family_stub_text():
    typed = stubs.render_typed(SYNTH, ROOT / "oaimap")
    assert typed.startswith(stubs.HEADER)
    # header params and keywords are not identifiers: the functional TypedDict form
    assert 'SynthThingsCreatePayload = TypedDict(\n    "SynthThingsCreatePayload"' in typed
    assert '"OpenAI-Beta": str,' in typed and '"from": int,' in typed
    assert '"name": Required[str],' in typed
    assert '"kind": Literal["alpha", "beta"] | None,' in typed
    assert '"size": int,' in typed  # $ref into _schemas/, relative to the spec file
    assert '"mode": str | dict[str, Any],' in typed  # anyOf with a local $ref inside _schemas
    assert '"tags": list[Literal["red", "green"]],' in typed
    assert '"meta": dict[str, Any] | None,' in typed  # nullable: true
    assert '"ratio": float | None,' in typed  # oneOf with null
    assert '"upload": FileInput,' in typed
    assert '"stream": Required[Literal[True]],' in typed
    assert 'Literal["synth.things.delete"], payload: SynthThingsDeletePayload, **options: Unpack[CallOptions]) -> None' in typed
    assert 'Literal["synth.live.connect", "connectLive"]' in typed


def test_mypy_checks_every_spec_feature(synth_package, cache_dir, tmp_path):
    good = tmp_path / "synth_good.py"
    good.write_text(SYNTH_GOOD)
    bad = tmp_path / "synth_bad.py"
    bad.write_text(SYNTH_BAD)
    output, _ = run_mypy(cache_dir, str(good), str(bad), mypy_path=synth_package)
    stub_errors = [line for line in output.splitlines() if "_typed.pyi" in line and ": error:" in line]
    assert stub_errors == []
    assert errors_by_line(output, good) == {}, output[:4000]
    assert revealed(output, good) == marked_lines(SYNTH_GOOD, "T")
    assert sorted(errors_by_line(output, bad)) == sorted(marked_lines(SYNTH_BAD, "E")), output[:4000]


@pytest.mark.parametrize(
    "schema, expected",
    [
        ({"type": "string"}, "str"),
        ({"type": ["string", "null"]}, "str | None"),
        ({"type": "integer", "nullable": True}, "int | None"),
        ({"anyOf": [{"type": "string"}, {"enum": ["a", "b"]}]}, "str"),  # a literal adds nothing to str
        ({"enum": ["a", "b", None]}, 'Literal["a", "b"] | None'),
        ({"enum": [1, 2.5]}, "float"),
        ({"const": "x"}, 'Literal["x"]'),
        ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, "float"),
        ({"type": "array", "items": {"type": "string", "format": "binary"}}, "list[FileInput]"),
        ({"type": "object", "additionalProperties": {"type": "string"}}, "dict[str, str]"),
        ({"type": "object", "properties": {"a": {"type": "string"}}}, "dict[str, Any]"),
        ({"allOf": [{"type": "object", "properties": {"a": {}}}, {"type": "object"}]}, "dict[str, Any]"),
        ({"anyOf": [{"type": "string"}, {}]}, "Any"),
        ({}, "Any"),
        ({"anyOf": []}, "Any"),
        ({"anyOf": [{"type": "string"}], "oneOf": [{"type": "null"}]}, "str | None"),
        ({"$ref": "_schemas/shapes.yaml#/Mode"}, "str | dict[str, Any]"),
    ],
)
def test_schema_to_python_type(schema, expected):
    assert stubs.py_type(shape(Resolver(), schema, SYNTH / "synth.yaml")) == expected


def test_init_stub_follows_the_lazy_exports():
    init = stubs.render_init(ROOT / "oaimap")
    import oaimap

    for name in oaimap.__all__:
        if name != "__version__":
            assert f"import {name} as {name}\n" in init
    assert "from ._typed import Client as Client\n" in init


PROVIDER = textwrap.dedent(
    '''
    from typing import TYPE_CHECKING
    from oaimap import Client

    if TYPE_CHECKING:
        from oaimap._typed import ChatCompletionsCreateForVllmPayload

    client = Client(profile="vllm")
    payload: "ChatCompletionsCreateForVllmPayload" = {"model": "m", "messages": [], "top_k": 20, "guided_choice": ["a"]}
    reveal_type(client.call("chat.completions.create", payload))  # T oaimap.meta.JsonObject | oaimap.sse.Stream
    wrong: "ChatCompletionsCreateForVllmPayload" = {"model": "m", "messages": [], "top_k": "twenty"}  # E provider key typed
    '''
)


def test_a_provider_payload_type_checks_where_the_official_one_does(tmp_path, cache_dir):
    snippet = tmp_path / "provider_calls.py"
    snippet.write_text(PROVIDER)
    output, status = run_mypy(cache_dir, str(snippet))
    assert sorted(errors_by_line(output, snippet)) == sorted(marked_lines(PROVIDER, "E")), output[:4000]
    assert revealed(output, snippet) == marked_lines(PROVIDER, "T")


# -- descriptions on hover, public names ----------------------------------------------------
def test_a_parameter_description_is_its_field_docstring():
    import ast

    text = stubs._typed_dict(
        "P",
        [("model", "str", True), ("n", "int", False)],
        doc="Payload of ``p``: do it",
        field_docs={"model": 'Which "model" """ runs\\it,\n  on one line.'},
    )
    cls = ast.parse(text).body[0]
    assert isinstance(cls, ast.ClassDef) and ast.get_docstring(cls) == "Payload of ``p``: do it"
    body = [ast.unparse(node) for node in cls.body[1:]]
    assert body[:2] == ["model: Required[str]", repr('Which "model" """ runs\\it, on one line.')]
    assert body[2:] == ["n: int"]  # no description, no docstring


def test_the_specs_descriptions_reach_the_stubs():
    import keyword

    from codegen._resolve import payload_params
    from oaimap.specs import SpecRegistry

    typed = (ROOT / "oaimap" / "_typed.pyi").read_text(encoding="utf-8")
    def class_form(op: object) -> bool:  # the functional form has no room for docstrings
        return all(key.isidentifier() and not keyword.iskeyword(key) for key, _, _ in payload_params(op))

    described = [
        (key, schema["description"])
        for op in SpecRegistry(ROOT / "specs").operations()
        if class_form(op)
        for key, _, schema in payload_params(op)
        if isinstance(schema, dict) and isinstance(schema.get("description"), str)
    ]
    assert described
    for key, description in described:
        one_line = " ".join(description.split())
        assert re.search(rf'\n    {re.escape(key)}: [^\n]+\n    """{re.escape(one_line)}', typed), key


def test_oaimap_types_names_every_operation_and_stays_light_at_run_time():
    import subprocess
    import sys

    code = (
        "import sys, typing\n"
        "import oaimap.types as t\n"
        "assert t.ResponsesCreatePayload is dict and t.ChatCompletionsCreateStreamPayload is dict\n"
        "assert 'oaimap.client' not in sys.modules and 'httpx' not in sys.modules\n"
        "print('\\n'.join(typing.get_args(t.OperationName)))\n"
        "assert t.JsonObject.__module__ == 'oaimap.meta' and t.UntypedClient.__module__ == 'oaimap.client'\n"
        "try:\n    t.ResponsesCreatPayload\nexcept AttributeError:\n    pass\nelse:\n    raise SystemExit('typo accepted')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    from oaimap.specs import SpecRegistry

    names = {n for op in SpecRegistry(ROOT / "specs").operations() for n in (op.name, *op.other_names, *op.aliases)}
    assert set(out.stdout.split()) == names
