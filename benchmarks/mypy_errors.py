"""What mypy prints for the six standard mistakes, with and without ``oaimap.mypy_plugin``.

    python benchmarks/mypy_errors.py [--show]

The mistakes are the ones a person makes first with ``client.call`` (one per line of
``MISTAKES``): a wrong operation name, a misspelt payload key, a wrong value type, a
missing required key, a wrong type inside a nested value, and the result used as the
wrong type. Each variant type-checks the same file with ``--strict``, once with the
plugin off (today's overloads alone) and once with it on, and counts the lines mypy
prints (the summary line left out). tests/test_mypy_plugin.py runs ``count_lines``.
"""

from __future__ import annotations

import argparse
import tempfile
import textwrap
from pathlib import Path

MISTAKES = textwrap.dedent(
    '''
    from oaimap import Client

    client = Client()
    client.call("responses.creat", {"model": "gpt-4.1-mini", "input": "hi"})
    client.call("responses.create", {"model": "gpt-4.1-mini", "input": "hi", "temprature": 0.2})
    client.call("responses.create", {"model": "gpt-4.1-mini", "input": "hi", "temperature": "hot"})
    client.call("chat.completions.create", {"model": "gpt-4.1-mini"})
    client.call("responses.create", {"model": "gpt-4.1-mini", "input": "hi", "metadata": {"run": 7}})
    text: str = client.call("responses.create", {"model": "gpt-4.1-mini", "input": "hi"})
    '''
).lstrip()

FLAGS = ["--strict", "--no-error-summary", "--no-color-output", "--hide-error-context", "--no-pretty"]


def run_mypy(files: list[Path], work: Path, plugin: bool) -> str:
    """mypy's stdout + stderr for ``files``; the cache lives in ``work`` (one per variant
    keeps the runs independent but each reruns fast)."""
    from mypy import api

    config = work / ("with-plugin.ini" if plugin else "without-plugin.ini")
    config.write_text("[mypy]\n" + ("plugins = oaimap.mypy_plugin\n" if plugin else ""))
    cache = work / ("cache-plugin" if plugin else "cache-plain")
    out, err, _ = api.run([*FLAGS, "--config-file", str(config), "--cache-dir", str(cache), *map(str, files)])
    return out + err


def count_lines(work: Path, plugin: bool) -> tuple[int, str]:
    """(lines mypy prints for MISTAKES, the output itself)."""
    source = work / "six_mistakes.py"
    source.write_text(MISTAKES)
    output = run_mypy([source], work, plugin)
    return len(output.splitlines()), output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="print mypy's output too")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for plugin in (False, True):
            lines, output = count_lines(Path(tmp), plugin)
            print(f"{'with' if plugin else 'without'} the plugin: {lines} lines")
            if args.show:
                print(textwrap.indent(output, "    "))


if __name__ == "__main__":
    main()
