"""``augspec bench [--quick] [--out FILE] [--only NAME ...]``: the benchmarks' runs.

The benchmarks ship inside the package as :mod:`augspec.benchmarks` (the repository's
``benchmarks/`` folder), so the command works from any folder. No framework is imported
until a benchmark runs.
"""

from __future__ import annotations

import argparse
from typing import Any

from augspec.benchmarks import add_arguments
from augspec.benchmarks import run as run_benchmarks


def _run(args: argparse.Namespace) -> int:
    run_benchmarks(args.only, args.quick, args.out)
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "bench", help="throughput benchmarks, ratios measured side by side (augspec.benchmarks)"
    )
    add_arguments(p)
    p.set_defaults(func=_run)
