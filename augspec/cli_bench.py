"""``augspec bench [--quick] [--out FILE] [--only NAME ...]``: the benchmarks/ folder's runs.

The benchmarks live in the repository (``benchmarks/``), not in the installed package;
this command finds them next to the ``augspec`` package of an editable install or in the
current directory. No framework is imported until a benchmark runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import Any

from augspec.cli import CommandError

NAMES = ("compile", "batched", "loader", "train")


def _benchmarks() -> Any:
    for root in (Path.cwd(), Path(__file__).resolve().parent.parent):
        if (root / "benchmarks" / "__init__.py").is_file():
            if str(root) not in sys.path:
                sys.path.insert(0, str(root))
            return importlib.import_module("benchmarks")
    raise CommandError(
        "Expected the repository's benchmarks/ folder (run from a checkout, e.g. pip install -e .); "
        f"received none in {Path.cwd()} or next to the augspec package"
    )


def _run(args: argparse.Namespace) -> int:
    _benchmarks().run(args.only, args.quick, args.out)
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("bench", help="throughput benchmarks, ratios measured side by side (benchmarks/)")
    p.add_argument("--quick", action="store_true", help="fewer repeats and smaller data")
    p.add_argument("--out", metavar="FILE", help="write all results as JSON")
    p.add_argument("--only", nargs="+", metavar="NAME", choices=NAMES, help=f"run only these ({', '.join(NAMES)})")
    p.set_defaults(func=_run)
