"""Command line: `python -m services.matching.engine solve INSTANCE.json [-o RESULT.json]`.

Exit 0 with the result; exit 2 with one line on stderr for bad input (naming field and index);
exit 1 with one line if the engine itself fails. Never a traceback: planners read this output.
"""

from __future__ import annotations

import argparse
import json
import sys
from time import perf_counter

from .api import run
from .instance import load_instance
from .validation import InstanceError

EXIT_BAD_INPUT = 2
EXIT_ENGINE_FAILED = 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m services.matching.engine",
        description="Optimal matching of residents to openings.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    solve = commands.add_parser("solve", help="solve an instap.pairs/1 or instap.match/1 file")
    solve.add_argument("instance", help="instance JSON file, or - for standard input")
    solve.add_argument("-o", "--output", help="write the result here instead of standard output")
    return parser


def _read(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise InstanceError("input", f"cannot read {path}: {exc.strerror}") from None


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        started = perf_counter()
        instance = load_instance(_read(args.instance))
        read = perf_counter() - started
        result = run(instance)
        result.seconds["read"] = read
        text = json.dumps(result.to_json(), ensure_ascii=False)
    except InstanceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except RecursionError:
        print("error: input: nested too deeply", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:  # noqa: BLE001 - the contract forbids tracebacks on any input
        print(f"engine failed: {type(exc).__name__}: {exc}".replace("\n", " "), file=sys.stderr)
        return EXIT_ENGINE_FAILED
    try:
        if args.output:
            with open(args.output, "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
        else:
            sys.stdout.write(text + "\n")
    except OSError as exc:
        print(f"error: cannot write {args.output or 'stdout'}: {exc.strerror}", file=sys.stderr)
        return EXIT_ENGINE_FAILED
    return 0
