"""``python -m augspec.benchmarks [--quick] [--out FILE] [--only NAME ...]`` (= ``augspec bench``)."""

from __future__ import annotations

import argparse
import sys

from . import add_arguments, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m augspec.benchmarks", description=run.__doc__)
    add_arguments(parser)
    args = parser.parse_args(argv)
    run(args.only, args.quick, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
