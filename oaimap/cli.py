"""The ``oaimap`` command: ``oaimap demo``, ``oaimap serve [--state FILE]``, ``oaimap specs diff PATH``, ``oaimap specs compile``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def _serve(args: argparse.Namespace) -> int:
    if args.examples:
        from .server import LoopbackServer

        server = LoopbackServer(port=args.port)
        kind = "examples server (each operation answers its spec example)"
    else:
        from .simulator import Simulator

        server = Simulator(port=args.port, state_file=args.state)
        kind = "API simulator" + (f" (state kept in {args.state})" if args.state else "")
    with server:
        print(f"oaimap {kind} on {server.url} (Ctrl-C to stop)", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


def _demo(args: argparse.Namespace) -> int:
    from .demo import run

    return run()


def _specs_diff(args: argparse.Namespace) -> int:
    # The drift report reads the OpenAPI document with codegen/, which only a source
    # checkout has: an installed wheel ships the runtime alone.
    try:
        from codegen.openapi.drift import report
    except ModuleNotFoundError as exc:
        if exc.name not in ("codegen", "codegen.openapi", "codegen.openapi.drift"):
            raise
        print("oaimap specs diff needs a source checkout of oaimap (its codegen/ package); an installed oaimap has only the runtime", file=sys.stderr)
        return 2
    code, text = report(args.document, args.specs)
    print(text)
    return code


def _specs_compile(args: argparse.Namespace) -> int:
    from .specs import precompile

    bundled = precompile(args.specs)
    print(f"compiled the specs in {args.specs or 'the installed package'} ({bundled} operations with a fast validator)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="oaimap", description="One declarative door to the OpenAI API.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="start the loopback server and make real calls through Client")
    demo.set_defaults(func=_demo)
    serve = commands.add_parser("serve", help="run the API simulator on 127.0.0.1 until interrupted")
    serve.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free port)")
    serve.add_argument("--state", type=Path, default=None, help="JSON file that keeps the simulator's objects across restarts")
    serve.add_argument("--examples", action="store_true", help="stateless: answer every operation with its spec example")
    serve.set_defaults(func=_serve)
    specs = commands.add_parser("specs", help="work with the operation specs")
    specs_commands = specs.add_subparsers(dest="specs_command", required=True)
    diff = specs_commands.add_parser("diff", help="compare specs/ with an OpenAPI document; exit 1 when they drifted")
    diff.add_argument("document", help="path of the OpenAPI document (YAML or JSON)")
    diff.add_argument("--specs", default=None, help="specs directory (default: the installed specs)")
    diff.set_defaults(func=_specs_diff)
    compile_ = specs_commands.add_parser(
        "compile", help="write the compiled forms a first call reads (for read-only installs; a wheel ships them)"
    )
    compile_.add_argument("--specs", type=Path, default=None, help="specs directory (default: the installed specs)")
    compile_.set_defaults(func=_specs_compile)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
