"""oaimap.mypy_plugin: a mistake in ``client.call`` is one or two lines naming the
operation and the key or type; a correct program type-checks as it does without it.

One mypy run (``mypy.api``, ``--strict``, the plugin on) checks every file below; the six
standard mistakes of benchmarks/mypy_errors.py are checked again without the plugin, to
show the difference is the plugin's. The cache lives in tmp.
"""

from __future__ import annotations

import importlib.util
import re
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("mypy.api")

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("mypy_errors", ROOT / "benchmarks" / "mypy_errors.py")
assert _spec is not None and _spec.loader is not None
mypy_errors = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mypy_errors)

GOOD = textwrap.dedent(
    '''
    from typing import Any, Final, Mapping
    from oaimap import AsyncClient, Client
    from oaimap.types import ChatCompletionsCreatePayload, OperationName, ResponsesCreatePayload, UntypedClient

    client = Client()
    reveal_type(client.call("responses.create", {"model": "m", "input": "hi", "temperature": 0.2}))  # T oaimap.meta.JsonObject
    reveal_type(client.call("createModelResponse", {"model": "m", "input": "hi", "stream": True}))  # T oaimap.sse.Stream
    reveal_type(client.call("listInputItems", {"response_id": "r"}))  # T oaimap.meta.JsonList
    reveal_type(client.call("responses.input_tokens.count"))  # T oaimap.meta.JsonObject
    reveal_type(client.call(name="responses.delete", payload={"response_id": "r"}, timeout=5))  # T oaimap.meta.JsonObject
    reveal_type(client.call("files.content", {"file_id": "f"}, output="f.bin"))  # T oaimap.meta.SavedFile
    reveal_type(client.paginate("responses.input_items.list", {"response_id": "r", "order": "asc"}))  # T typing.Iterator[Any]
    reveal_type(client.call("chat.completions.create", {"model": "m", "messages": [{"role": "user", "content": "hi"}]}))  # T oaimap.meta.JsonObject
    payload: ResponsesCreatePayload = {"model": "m", "input": "hi"}
    reveal_type(client.call("responses.create", payload))  # T oaimap.meta.JsonObject | oaimap.sse.Stream
    chat: ChatCompletionsCreatePayload = {"model": "m", "messages": []}
    chat["temperature"] = 0.5
    reveal_type(client.call("chat.completions.create", chat))  # T oaimap.meta.JsonObject | oaimap.sse.Stream
    RETRIEVE: Final = "responses.retrieve"
    reveal_type(client.call(RETRIEVE, {"response_id": "r"}))  # T oaimap.meta.JsonObject

    def run(c: Client, name: OperationName, body: Mapping[str, Any]) -> Any:
        return c.call(name, body, timeout=30)

    def run_anywhere(c: UntypedClient, name: str, body: Mapping[str, Any]) -> Any:
        return c.call(name, body)

    run(client, "responses.create", {"model": "m"})
    run_anywhere(client, "responses.create", {"model": "m"})

    def stream_flag(flag: bool) -> None:
        reveal_type(client.call("responses.create", {"model": "m", "stream": flag}))  # T oaimap.meta.JsonObject | oaimap.sse.Stream

    async def main() -> None:
        async with AsyncClient() as aclient:
            reveal_type(await aclient.call("responses.create", {"model": "m", "input": "hi"}))  # T oaimap.meta.JsonObject
            async for item in aclient.paginate("listInputItems", {"response_id": "r"}):
                print(item)
    '''
)

# `# E <text>`: the line's errors (at most two) include <text> with the "oaimap: " prefix.
BAD = textwrap.dedent(
    '''
    from oaimap import AsyncClient, Client
    from oaimap.types import ChatCompletionsCreatePayload, OperationName

    client = Client()
    client.call("responses.creat", {"model": "m"})  # E unknown operation "responses.creat" (did you mean "responses.create"?)
    client.call("responses.create", {"model": "m", "input": client.call("responses.creat")})  # E unknown operation "responses.creat"
    client.call("createModelRespons", {"model": "m"})  # E unknown operation "createModelRespons" (did you mean "createModelResponse"?)
    client.call("responses.create", {"model": "m", "temprature": 0.2})  # E responses.create: unknown key "temprature" (did you mean "temperature"?)
    client.call("responses.create", {"model": "m", "colour": "red"})  # E responses.create: unknown key "colour"
    client.call("responses.create", {"model": 3})  # E responses.create: "model" expects str, got int
    client.call("responses.create", {"model": "m", "tools": {"type": "web_search"}})  # E responses.create: "tools" expects list[dict[str, Any]], got dict[str, str]
    client.call("chat.completions.create", {"modle": "m", "messages": []})  # E chat.completions.create: missing required key "model" (is "modle" a misspelling?)
    client.call("responses.input_items.list", {"response_id": "r", "order": "up"})  # E responses.input_items.list: "order" expects Literal['asc', 'desc'], got str
    client.call("responses.retrieve")  # E responses.retrieve: missing required key "response_id"
    client.call("responses.retrieve", {})  # E responses.retrieve: missing required key "response_id"
    client.call("responses.create", {"model": "m"}, timeot=3)  # E responses.create: unknown option "timeot" (did you mean "timeout"?)
    client.call("responses.create", {"model": "m"}, timeout="soon")  # E responses.create: option "timeout" expects
    client.paginate("responses.create", {"model": "m"})  # E responses.create does not answer a list, so it cannot be paginated
    name: str = "responses.create"
    client.call(name, {"model": "m"})  # E the operation name must be a literal or oaimap.types.OperationName, got str
    loose = {"model": "m", "input": "hi"}
    client.call("responses.create", loose)  # E responses.create: the payload is dict[str, str], not a ResponsesCreatePayload; annotate it as oaimap.types.ResponsesCreatePayload
    def run(c: Client, name: OperationName) -> None:
        c.call(name, ["model"])  # E the payload must be a mapping, got list[str]
    other: ChatCompletionsCreatePayload = {"model": "m", "messages": []}
    client.call("responses.create", other)  # E responses.create: payload has unknown keys "audio", "frequency_penalty", "function_call", "functions" and

    async def main(aclient: AsyncClient) -> None:
        await aclient.call("responses.create", {"modle": "m"})  # E responses.create: unknown key "modle" (did you mean "model"?)
    '''
)


def _plain(type_text: str) -> str:
    return re.sub(r"\b(builtins|typing|collections\.abc)\.", "", type_text)


def marked(source: str, marker: str) -> dict[int, str]:
    return {
        number: line.split(f"# {marker} ", 1)[1].strip()
        for number, line in enumerate(source.splitlines(), start=1)
        if f"# {marker} " in line
    }


def lines_for(output: str, path: Path) -> dict[int, list[str]]:
    """Line number -> what mypy printed for it (errors and notes, reveal_type aside)."""
    found: dict[int, list[str]] = {}
    for line in output.splitlines():
        match = re.match(rf"{re.escape(str(path))}:(\d+): (error|note): (.*)", line)
        if match and not match.group(3).startswith("Revealed type"):
            found.setdefault(int(match.group(1)), []).append(match.group(3))
    return found


@pytest.fixture(scope="module")
def checked(tmp_path_factory) -> tuple[Path, str]:
    """One mypy run with the plugin over GOOD, BAD and the six mistakes."""
    work = tmp_path_factory.mktemp("mypy-plugin")
    for name, text in (("good.py", GOOD), ("bad.py", BAD), ("six_mistakes.py", mypy_errors.MISTAKES)):
        (work / name).write_text(text)
    output = mypy_errors.run_mypy([work / "good.py", work / "bad.py", work / "six_mistakes.py"], work, plugin=True)
    return work, output


def test_a_correct_program_passes_with_the_result_types_of_the_overloads(checked):
    work, output = checked
    path = work / "good.py"
    assert lines_for(output, path) == {}, output
    revealed = {
        int(m.group(1)): _plain(m.group(2))
        for m in re.finditer(rf"{re.escape(str(path))}:(\d+): note: Revealed type is \"(.*)\"", output)
    }
    assert revealed == {n: _plain(t) for n, t in marked(GOOD, "T").items()}


def test_each_mistake_is_at_most_two_lines_naming_the_operation_and_the_key(checked):
    work, output = checked
    found = lines_for(output, work / "bad.py")
    expected = marked(BAD, "E")
    assert sorted(found) == sorted(expected), output
    for number, text in expected.items():
        printed = found[number]
        assert 1 <= len(printed) <= 2, (number, printed)
        assert any(line.startswith("oaimap: ") and text in line for line in printed), (number, printed)
        assert all(line.endswith("[oaimap]") for line in printed), printed  # one error code to silence


def test_the_six_standard_mistakes_take_six_lines_instead_of_hundreds(checked, tmp_path):
    """Bound: 2 lines per mistake (12) is what an error and one note take; the plugin
    gives one line each. Without it every overload is listed (hundreds of lines each)."""
    work, output = checked
    path = work / "six_mistakes.py"
    with_plugin = [line for line in output.splitlines() if line.startswith(str(path))]
    assert len(with_plugin) <= 12, with_plugin
    assert {int(line.split(":")[1]) for line in with_plugin} == set(range(4, 10))  # every mistake reported
    operations = ["responses.creat", "responses.create", "responses.create", "chat.completions.create", "responses.create"]
    for line, operation in zip(sorted(with_plugin, key=lambda l: int(l.split(":")[1])), operations):
        assert f"oaimap: {'unknown operation ' if operation.endswith('creat') else ''}" in line and operation in line
    without, _ = mypy_errors.count_lines(tmp_path, plugin=False)
    assert without > 50 * len(with_plugin), without
