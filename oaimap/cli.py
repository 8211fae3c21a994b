"""The ``oaimap`` command (also ``python -m oaimap``).

``call``, ``map``, ``ops``, ``describe``, ``upload``, ``serve``, ``docs``, ``demo``, ``specs diff``,
``specs compile``. Results go to stdout as JSON, diagnostics to stderr. Exit codes:
0 ok, 1 the API (or the connection to it) failed, 2 bad input (an unknown operation,
unreadable JSON, a payload that fails validation, a busy port), 130 interrupted.
A user's mistake prints one line per problem, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import errno
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

# Only the standard library at import: `oaimap --help` answers before httpx and the specs load.
if TYPE_CHECKING:
    from .client import Client
    from .errors import APIStatusError, OaimapError
    from .specs import Operation

EXIT_OK, EXIT_API, EXIT_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
DOCS_SITE = Path(__file__).resolve().parent.parent / "docs" / "site" / "index.html"  # in a source checkout


# -- commands ------------------------------------------------------------------------------------
def _call(args: argparse.Namespace) -> int:
    from .cli_input import CommandLineError, build_payload

    with _client(args) as client:
        op = client.operation(args.operation)
        if op.helper is not None and op.helper.get("kind") == "websocket":
            raise CommandLineError(f"{op.name}: opens a websocket, which a single command cannot hold open")
        payload = build_payload(op, args.data, args.set or [], sys.stdin)
        if args.stream and op.returns != "sse":  # an "sse" operation streams anyway
            if not op.stream_param:
                raise CommandLineError(f"{op.name}: --stream: this operation does not stream")
            payload[op.stream_param] = True
        if op.returns == "binary" and args.output is None:
            raise CommandLineError(f"{op.name}: the answer is binary; give --output FILE (or --output - for stdout)")
        if args.output is not None and op.returns != "binary":
            raise CommandLineError(f"{op.name}: --output is for binary answers (this one is {op.returns}); redirect stdout instead")
        with _progress_bar() as progress:
            if args.output == "-":
                sys.stdout.buffer.write(client.call(args.operation, payload, progress=progress))
                sys.stdout.buffer.flush()
                return EXIT_OK
            if args.output is not None:
                saved = client.call(args.operation, payload, output=args.output, progress=progress)
                _print_json({"path": str(saved), "bytes": Path(saved).stat().st_size})
                return EXIT_OK
            result = client.call(args.operation, payload, progress=None if op.returns == "sse" or args.stream else progress)
        _print_result(result)
    return EXIT_OK


def _map(args: argparse.Namespace) -> int:
    """One call per line of ``--input``; one result line per input in ``--output``."""
    from .cli_input import CommandLineError

    rows = Path(args.input)
    if not rows.is_file():
        raise CommandLineError(f"map: --input: no such file: {args.input}")
    started = time.monotonic()
    with _client(args) as client, open(args.output, "w", encoding="utf-8") as out, _progress_bar() as progress:
        results = client.map(
            args.operation, _JsonlRows(rows, "map"), concurrency=args.concurrency, checkpoint=args.checkpoint, progress=progress
        )
        for result in results:
            out.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
    run = results.run
    print(
        f"oaimap: {run.operation}: {run.ok + run.failed} item(s), {run.ok} ok, {run.failed} failed"
        f" ({run.resumed} from the checkpoint) in {time.monotonic() - started:.1f} s",
        file=sys.stderr,
    )
    return EXIT_OK if run.failed == 0 else EXIT_API


def _batch_submit(args: argparse.Namespace) -> int:
    """Every line of ``--input`` into Batch API batches (split over the limits); the job to ``--job``."""
    from .cli_input import CommandLineError

    if not Path(args.input).is_file():
        raise CommandLineError(f"batch submit: --input: no such file: {args.input}")
    with _client(args) as client:
        rows = iter(_JsonlRows(Path(args.input), "batch submit"))  # an iterator: the file is read once, with no len() pass
        job = client.batch.submit(args.operation, rows, completion_window=args.window)
    Path(args.job).write_text(json.dumps(job.to_json()))
    print(f"oaimap: {job.operation}: {sum(len(p.custom_ids) for p in job.parts)} request(s) in {len(job.parts)} batch(es); job in {args.job}", file=sys.stderr)
    _print_json(job.batch_ids)
    return EXIT_OK


def _batch_job(path: str) -> Any:
    from .batching import BatchJob
    from .cli_input import CommandLineError

    try:
        return BatchJob.from_json(json.loads(Path(path).read_text()))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CommandLineError(f"batch: {path}: not a job file written by `oaimap batch submit` ({exc})") from None


def _batch_status(args: argparse.Namespace) -> int:
    with _client(args) as client:
        _print_json(client.batch.status(_batch_job(args.job)))
    return EXIT_OK


def _batch_results(args: argparse.Namespace) -> int:
    """One line per input, in input order: custom_id, status (ok, error, missing), status code, body."""
    with _client(args) as client:
        outcomes = client.batch.results(_batch_job(args.job))
    with open(args.output, "w", encoding="utf-8") as out:
        for outcome in outcomes.values():
            out.write(json.dumps(vars(outcome), ensure_ascii=False) + "\n")
    failed = sum(not o.ok for o in outcomes.values())
    print(f"oaimap: {len(outcomes)} request(s), {len(outcomes) - failed} ok, {failed} error or missing", file=sys.stderr)
    return EXIT_OK if failed == 0 else EXIT_API


class _JsonlRows:
    """The payloads of a JSONL file, one per non-blank line, read as they are needed;
    ``len`` counts the lines (so a progress bar knows the end)."""

    def __init__(self, path: Path, command: str):
        self.path = path
        self.command = command  # named in a bad line's message

    def __len__(self) -> int:
        with open(self.path, encoding="utf-8") as file:
            return sum(1 for line in file if line.strip())

    def __iter__(self) -> Iterator[Any]:
        from .cli_input import CommandLineError

        with open(self.path, encoding="utf-8") as file:
            for number, line in enumerate(file, 1):
                if not line.strip():
                    continue
                try:
                    payload = json.loads(line)
                except ValueError:
                    payload = None
                if not isinstance(payload, dict):
                    raise CommandLineError(f"{self.command}: --input {self.path} line {number}: not a JSON object")
                yield payload


def _upload(args: argparse.Namespace) -> int:
    from .cli_input import CommandLineError

    path = Path(args.path)
    if not path.is_file():
        raise CommandLineError(f"files.create: no such file: {args.path}")
    with _client(args) as client, _progress_bar() as progress:
        uploaded = client.call("files.create", {"file": path, "purpose": args.purpose}, progress=progress)
    _print_json(uploaded)
    return EXIT_OK


def _ops(args: argparse.Namespace) -> int:
    from .specs import SpecRegistry

    registry = SpecRegistry.shared()
    families = [_family_id(registry.family_ids(), args.family)] if args.family else registry.family_ids()
    ops = [op for family in families for op in registry.family(family).values() if _matches(op, args.grep)]
    if args.json:
        _print_json([_op_summary(op) for op in ops])
        return EXIT_OK
    rows = [(op.name, op.method or "-", op.path or f"(helper: {(op.helper or {}).get('kind')})", op.summary) for op in ops]
    _print_table(rows)
    return EXIT_OK


def _describe(args: argparse.Namespace) -> int:
    from .paramdoc import describe_text
    from .specs import SpecRegistry

    print(describe_text(SpecRegistry.shared().get(args.operation)))
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    from .cli_input import CommandLineError

    log = None if args.quiet else _log_line
    try:
        if args.examples:
            from .server import LoopbackServer

            server = LoopbackServer(port=args.port, log=log)
            kind = "examples server (each operation answers its spec example)"
        else:
            from .simulator import Simulator

            server = Simulator(port=args.port, state_file=args.state, log=log)
            kind = "API simulator" + (f" (state kept in {args.state})" if args.state else "")
    except OSError as exc:
        raise CommandLineError(_listen_failure(args.port, exc)) from None
    with server:
        print(f"oaimap {kind} on {server.url} (Ctrl-C to stop)", flush=True)
        while True:
            time.sleep(3600)


def _docs(args: argparse.Namespace) -> int:
    from .cli_input import CommandLineError

    if not DOCS_SITE.is_file():
        raise CommandLineError(
            "the docs site is built from a source checkout of oaimap (docs/site/, `python -m codegen`); "
            "an installed oaimap does not ship it"
        )
    print(DOCS_SITE)
    if args.open:
        import webbrowser

        webbrowser.open(DOCS_SITE.as_uri())
    return EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    from .demo import run

    return run()


def _specs_diff(args: argparse.Namespace) -> int:
    from .cli_input import CommandLineError

    # The drift report reads the OpenAPI document with codegen/, which only a source
    # checkout has: an installed wheel ships the runtime alone.
    try:
        from codegen.openapi.drift import report
    except ModuleNotFoundError as exc:
        if exc.name not in ("codegen", "codegen.openapi", "codegen.openapi.drift"):
            raise
        raise CommandLineError(
            "specs diff needs a source checkout of oaimap (its codegen/ package); an installed oaimap has only the runtime"
        ) from None
    if not Path(args.document).is_file():
        raise CommandLineError(f"specs diff: no such file: {args.document}")
    if args.specs is not None and not Path(args.specs).is_dir():
        raise CommandLineError(f"specs diff: no such directory: {args.specs}")
    code, text = report(args.document, args.specs)
    print(text)
    return code


def _specs_compile(args: argparse.Namespace) -> int:
    from .specs import precompile

    bundled = precompile(args.specs)
    print(f"compiled the specs in {args.specs or 'the installed package'} ({bundled} operations with a fast validator)")
    return EXIT_OK


# -- shared helpers ----------------------------------------------------------------------------
@contextlib.contextmanager
def _progress_bar() -> Iterator[Any]:
    """A progress bar on stderr while a command uploads, downloads or polls, when stderr is
    a terminal and the extra oaimap[progress] is installed; else None (nothing printed)."""
    from .progress import terminal_bar

    bar = terminal_bar()
    try:
        yield bar
    finally:
        if bar is not None:
            bar.close()


def _client(args: argparse.Namespace) -> Client:
    """A client as the library makes one (key, base URL and profile from the environment),
    with the command line's ``--base-url`` and ``--profile`` first."""
    from .client import Client

    return Client(base_url=args.base_url, profile=args.profile)


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False), flush=True)


def _print_result(result: Any) -> None:
    from .sse import Stream

    if isinstance(result, Stream):  # one compact line per event, as each arrives
        with result:
            for event in result:
                print(json.dumps(event, ensure_ascii=False), flush=True)
    elif isinstance(result, str):  # a text answer (a transcript as text, srt or vtt)
        print(result, end="" if result.endswith("\n") else "\n", flush=True)
    elif result is not None:  # None: the operation answers with no body
        _print_json(result)


def _matches(op: Operation, text: str | None) -> bool:
    if not text:
        return True
    fields = (op.name, op.path, op.summary, *op.aliases, *op.other_names)
    return any(text.lower() in field.lower() for field in fields)


def _family_id(known: list[str], given: str) -> str:
    """A family by its id (``vector-stores``) or as operation names spell it (``vector_stores``)."""
    from .cli_input import CommandLineError

    family = given.replace("_", "-")
    if family in known:
        return family
    close = difflib.get_close_matches(family, known, n=3, cutoff=0.5)
    hint = f" Did you mean: {', '.join(close)}?" if close else f" Families: {', '.join(known)}."
    raise CommandLineError(f"ops: unknown family {given!r}.{hint}")


def _op_summary(op: Operation) -> dict[str, Any]:
    return {
        "name": op.name,
        "family": op.family,
        "method": op.method or None,
        "path": op.path or None,
        "returns": op.returns,
        "summary": op.summary,
        "aliases": list(op.aliases),
    }


def _print_table(rows: list[tuple[str, str, str, str]]) -> None:
    """Aligned columns, one row per line; cut to the terminal's width when stdout is one."""
    if not rows:
        return
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
    for row in rows:
        line = "  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[3]
        if width is not None and len(line) > width:
            line = line[: width - 3] + "..."
        print(line.rstrip())


def _log_line(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _listen_failure(port: int, exc: OSError) -> str:
    if exc.filename is not None:  # the --state file, not the socket
        return f"serve: {exc.filename}: {exc.strerror or exc}"
    if exc.errno == errno.EADDRINUSE:
        return f"serve: port {port} on 127.0.0.1 is already in use; choose another with --port (0: any free port)"
    if exc.errno == errno.EACCES:
        return f"serve: not allowed to listen on port {port} (ports below 1024 need privileges); choose another with --port"
    return f"serve: cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}"


def _problem_lines(exc: OaimapError) -> list[str]:
    """What to tell the user about ``exc``: one line per problem."""
    from .errors import APIStatusError, ValidationError

    if isinstance(exc, ValidationError):
        return [f"{exc.operation}: {violation}" for violation in exc.violations]
    if isinstance(exc, APIStatusError):
        return [_status_line(exc)]
    return [" ".join(str(exc).split())]


def _status_line(exc: APIStatusError) -> str:
    """``OP: HTTP 404 invalid_request_error/code: message (request id ...)``."""
    error = exc.error or {}
    operation = exc.message.split(":", 1)[0]  # errors.status_message starts with the operation
    kind = "/".join(str(part) for part in (error.get("type"), error.get("code")) if part)
    detail = error.get("message") or (exc.body if isinstance(exc.body, str) else None) or "no message"
    line = f"{operation}: HTTP {exc.status_code}" + (f" {kind}" if kind else "") + f": {' '.join(str(detail).split())}"
    return line + (f" (request id {exc.request_id})" if exc.request_id else "")


def _exit_code(exc: OaimapError) -> int:
    from .cli_input import CommandLineError
    from .errors import ConfigurationError, UnknownOperationError, ValidationError

    if isinstance(exc, (ValidationError, UnknownOperationError, ConfigurationError, CommandLineError)):
        return EXIT_INPUT
    return EXIT_API


# -- shell completion (the optional extra oaimap[completion]) ----------------------------------
def _complete(parser: argparse.ArgumentParser) -> None:
    """Answer a completion request of a shell set up with
    ``eval "$(register-python-argcomplete oaimap)"``; without argcomplete, offer nothing."""
    from importlib import import_module

    try:
        argcomplete = import_module("argcomplete")  # optional: not a static import for type checkers
    except ImportError:
        return
    argcomplete.autocomplete(parser)


def _complete_operation(prefix: str, **_: Any) -> list[str]:
    from .specs import SpecRegistry

    return sorted(name for name in SpecRegistry.shared().index if name.startswith(prefix))


def _complete_family(prefix: str, **_: Any) -> list[str]:
    from .specs import SpecRegistry

    return [family for family in SpecRegistry.shared().family_ids() if family.startswith(prefix)]


# -- the parser --------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oaimap",
        description="One declarative door to the OpenAI API.",
        epilog="exit codes: 0 ok, 1 API error, 2 bad input, 130 interrupted",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    client_options = argparse.ArgumentParser(add_help=False)
    client_options.add_argument("--base-url", default=None, help="API base URL (default: OPENAI_BASE_URL, else https://api.openai.com/v1)")
    client_options.add_argument("--profile", default=None, help="provider profile (default: OAIMAP_PROFILE)")

    call = commands.add_parser(
        "call",
        parents=[client_options],
        help="call one operation and print its answer as JSON",
        description="Call one operation; the answer goes to stdout as JSON (a stream: one JSON line per event). "
        "The API key comes from OPENAI_API_KEY or the profile.",
        epilog="--set values are JSON when they parse as JSON, else text ('\"1234\"' forces a string); "
        "a dotted KEY sets a nested value; @PATH gives a file parameter the file, any other key the file's text. "
        "Example: oaimap call responses.create --set model=gpt-4.1-mini --set input=Hello --set temperature=0.2",
    )
    operation = call.add_argument("operation", metavar="OP", help="operation name, e.g. responses.create (see `oaimap ops`)")
    setattr(operation, "completer", _complete_operation)  # read by argcomplete only
    call.add_argument("--data", "-d", metavar="JSON", help="the payload: a JSON object, @FILE, or - for stdin")
    call.add_argument("--set", "-s", action="append", metavar="KEY=VALUE", help="set one key of the payload (repeatable)")
    call.add_argument("--stream", action="store_true", help="ask for a stream; prints one JSON line per event")
    call.add_argument("--output", "-o", metavar="FILE", help="write a binary answer to FILE (- for stdout)")
    call.set_defaults(func=_call)

    map_ = commands.add_parser(
        "map", parents=[client_options], help="call one operation per line of a JSONL file, many at once",
        description="One payload per --input line; one result line per input in --output ({index, ok, value|error}), "
        "in input order; a summary on stderr. Exit 0 when every item succeeded, 1 when some failed.",
    )
    operation = map_.add_argument("operation", metavar="OP", help="operation name, e.g. embeddings.create")
    setattr(operation, "completer", _complete_operation)
    map_.add_argument("--input", "-i", required=True, metavar="FILE", help="JSONL: one payload (a JSON object) per line")
    map_.add_argument("--output", "-o", required=True, metavar="FILE", help="JSONL: one result per input line")
    map_.add_argument("--concurrency", "-c", type=int, default=16, metavar="N", help="calls in flight at most (default 16)")
    map_.add_argument("--checkpoint", metavar="FILE", help="record finished items here; a rerun sends only the others")
    map_.set_defaults(func=_map)

    batch = commands.add_parser("batch", help="run many payloads of one operation through the Batch API")
    batch_commands = batch.add_subparsers(dest="batch_command", required=True, metavar="COMMAND")
    submit = batch_commands.add_parser("submit", parents=[client_options], help="upload and create the batches; write the job file")
    submit.add_argument("operation", metavar="OP", help="an operation the Batch API runs, e.g. embeddings.create")
    submit.add_argument("--input", "-i", required=True, metavar="FILE", help="JSONL: one payload per line")
    submit.add_argument("--job", required=True, metavar="FILE", help="where to write the job (JSON) for status and results")
    submit.add_argument("--window", default="24h", help="completion window (default 24h)")
    submit.set_defaults(func=_batch_submit)
    status = batch_commands.add_parser("status", parents=[client_options], help="print the job's batches as the API has them now")
    status.add_argument("job", metavar="JOB", help="the job file of `batch submit`")
    status.set_defaults(func=_batch_status)
    results = batch_commands.add_parser("results", parents=[client_options], help="one line per input: ok, error or missing")
    results.add_argument("job", metavar="JOB", help="the job file of `batch submit`")
    results.add_argument("--output", "-o", required=True, metavar="FILE", help="JSONL: one outcome per input, in input order")
    results.set_defaults(func=_batch_results)

    ops = commands.add_parser("ops", help="list operations", description="List operations: name, method, path, summary.")
    family = ops.add_argument("family", nargs="?", metavar="FAMILY", help="only this family (a spec file: responses, vector-stores, ...)")
    setattr(family, "completer", _complete_family)
    ops.add_argument("--grep", metavar="TEXT", help="only operations whose name, path or summary contains TEXT")
    ops.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    ops.set_defaults(func=_ops)

    describe = commands.add_parser(
        "describe", help="an operation's parameters: types, required, enums, ranges, defaults, descriptions, example",
        description="Describe one operation (a name or an alias): each parameter with its facts and description, then an example request.",
    )
    operation = describe.add_argument("operation", metavar="OP", help="operation name or alias, e.g. chat.completions.create")
    setattr(operation, "completer", _complete_operation)
    describe.set_defaults(func=_describe)

    upload = commands.add_parser("upload", parents=[client_options], help="upload a file (files.create) and print the file object")
    upload.add_argument("path", metavar="PATH", help="the file to upload")
    upload.add_argument("--purpose", required=True, help="assistants, batch, fine-tune, vision, user_data or evals")
    upload.set_defaults(func=_upload)

    serve = commands.add_parser("serve", help="run the API simulator on 127.0.0.1 until interrupted")
    serve.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free port)")
    serve.add_argument("--state", type=Path, default=None, help="JSON file that keeps the simulator's objects across restarts")
    serve.add_argument("--examples", action="store_true", help="stateless: answer every operation with its spec example")
    serve.add_argument("--quiet", "-q", action="store_true", help="do not log requests to stderr")
    serve.set_defaults(func=_serve)

    docs = commands.add_parser("docs", help="print the path of the docs site (in a source checkout)")
    docs.add_argument("--open", action="store_true", help="open it in the web browser too")
    docs.set_defaults(func=_docs)

    demo = commands.add_parser("demo", help="start the API simulator and make real calls through Client")
    demo.set_defaults(func=_demo)

    specs = commands.add_parser("specs", help="work with the operation specs")
    specs_commands = specs.add_subparsers(dest="specs_command", required=True, metavar="COMMAND")
    diff = specs_commands.add_parser("diff", help="compare specs/ with an OpenAPI document; exit 1 when they drifted")
    diff.add_argument("document", help="path of the OpenAPI document (YAML or JSON)")
    diff.add_argument("--specs", default=None, help="specs directory (default: the installed specs)")
    diff.set_defaults(func=_specs_diff)
    compile_ = specs_commands.add_parser(
        "compile", help="write the compiled forms a first call reads (for read-only installs; a wheel ships them)"
    )
    compile_.add_argument("--specs", type=Path, default=None, help="specs directory (default: the installed specs)")
    compile_.set_defaults(func=_specs_compile)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    if "_ARGCOMPLETE" in os.environ:  # the shell asks for completions: answered here, then exit
        _complete(parser)
    args = parser.parse_args(argv)
    from .errors import OaimapError

    try:
        return int(args.func(args))
    except OaimapError as exc:
        for line in _problem_lines(exc):
            print(f"oaimap: {line}", file=sys.stderr)
        return _exit_code(exc)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `oaimap ops | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nor when stdout is flushed at exit
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
