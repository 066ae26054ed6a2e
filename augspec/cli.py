"""The ``augspec`` command.

Subcommands live in their own modules, each with ``register(subparsers)``; a
module whose optional dependencies are missing still registers and explains
what to install when run. Errors from inside a framework never reach the
user as a traceback: they get one line (``augspec CMD: error: ...`` on stderr)
and exit status 2. ``--traceback`` (or ``AUGSPEC_TRACEBACK=1``) prints the
full traceback instead, for debugging.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import traceback
from collections.abc import Sequence

from augspec import SpecError, load
from augspec.errors import printable
from augspec.files import write_text
from augspec.pipeline import Pipeline

# Modules that add subcommands, in the order --help lists them.
COMMAND_MODULES = (
    "augspec.cli_explain",
    "augspec.cli_show",
    "augspec.cli_parity",
    "augspec.cli_train",
    "augspec.cli_bench",
    "augspec.cli_code",
    "augspec.cli_ops",
)


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit status 2."""


def _validate(args: argparse.Namespace) -> int:
    """Every file gets its lines, whatever another one holds; what a file says is printed with
    its control characters escaped."""
    failed = 0
    for path in args.files:
        shown = printable(path)
        try:
            spec = load(path)
        except SpecError as err:
            failed += 1
            for problem in err.problems:
                print(f"{shown}: {problem}", file=sys.stderr)
            continue
        except Exception as err:  # noqa: BLE001 - one file's failure must not hide the others'
            failed += 1
            print(
                f"{shown}: {error_line('validate', err).split(': error: ', 1)[1]}", file=sys.stderr
            )
            continue
        if not args.quiet:
            names = printable(", ".join(o.op for o in spec.ops))
            print(f"{shown}: ok ({len(spec.ops)} ops: {names})")
    return 1 if failed else 0


def _schema(args: argparse.Namespace) -> int:
    schema = Pipeline.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "augspec pipeline"
    text = json.dumps(schema, indent=2)
    if args.out:
        write_text(args.out, text + "\n")
    else:
        print(text)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="augspec",
        description="One image-augmentation spec for torchvision and MXNet Gluon.",
    )
    parser.add_argument(
        "--traceback",
        action="store_true",
        default=os.environ.get("AUGSPEC_TRACEBACK", "") not in ("", "0"),
        help="on an error, print the full traceback instead of one line "
        "(also: AUGSPEC_TRACEBACK=1)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("validate", help="validate spec files (exit 1 listing every problem)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    p.set_defaults(func=_validate)
    p = sub.add_parser("schema", help="print the JSON Schema of a pipeline file")
    p.add_argument("--out", help="write to this file instead of stdout")
    p.set_defaults(func=_schema)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name != name:  # a real import error inside the module
                raise
            continue
        module.register(sub)
    return parser


def error_line(command: str, err: BaseException) -> str:
    """The one line the CLI prints for an error: ``augspec CMD: error: ...``."""
    lines = [line.strip() for line in str(err).strip().splitlines() if line.strip()]
    if any(line.startswith(("Traceback (most recent", "Original Traceback")) for line in lines):
        # An error re-raised from another process (a DataLoader worker, a DDP rank) carries
        # that process's traceback in its message: keep its last line, the original error.
        where = lines[0].strip(" -.:")
        text = f"{lines[-1].removeprefix('ValueError: ')} ({where})"
        return f"augspec {command}: error: {printable(text)}"
    if isinstance(err, (CommandError, ValueError)):  # augspec's own errors (SpecError included)
        text = " / ".join(lines) if lines else type(err).__name__
    else:  # OSError, a framework's error: its type and first line, never a traceback
        text = f"{type(err).__name__}: {lines[0]}" if lines else type(err).__name__
    return f"augspec {command}: error: {printable(text)}"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print(f"augspec {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader stopped reading (`augspec explain ... | head`): not an error to report.
        # stdout goes to devnull so that Python's flush at exit does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as err:  # noqa: BLE001 - the CLI promises no framework tracebacks
        if args.traceback:
            traceback.print_exc()
        print(error_line(args.command, err), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
