"""``augspec ops``: every transform class of torchvision (v1), torchvision v2 and Gluon -> the
spec op it is (or why none) -> each backend's status for that op in ``fidelity="spec"``.

The table is :mod:`augspec.coverage`'s; ``--markdown`` prints it as the README carries it.
"""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "ops",
        help="coverage: each framework class -> spec op -> native/ported/substituted per backend",
    )
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from augspec import coverage

    table = coverage.rows()
    print(coverage.markdown(table) if args.markdown else coverage.text(table), end="")
    return 0
