"""``python -m benchmarks [--quick] [--out FILE] [--only NAME ...]``."""

from __future__ import annotations

import argparse
import sys

from . import BENCHMARKS, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=(__package__ or "") + " " + (run.__doc__ or ""))
    add_arguments(parser)
    args = parser.parse_args(argv)
    run(args.only, args.quick, args.out)
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="fewer repeats and smaller data (about a minute)")
    parser.add_argument("--out", metavar="FILE", help="write all results as JSON")
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=list(BENCHMARKS),
                        help=f"run only these ({', '.join(BENCHMARKS)})")


if __name__ == "__main__":
    sys.exit(main())
