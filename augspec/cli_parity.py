"""``augspec parity SPEC... --out DIR``: measured parity between torchvision (v1 and v2), Gluon and the
reference."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from typing import Any

# The parity package imports no framework at import time (backends load when measured).
from augspec.parity.run import FRAMEWORK_BACKENDS


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"Expected a positive integer; received {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"Expected a positive integer; received {value}")
    return value


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "parity",
        help="measure every op of the specs on torchvision, torchvision-v2, Gluon and the reference; "
        "write a report",
        description="Per op: replay parity (same params, max/mean/p99 difference), native sampling "
        "parity (KS / binomial), a verdict and explanation, and a sheet PNG.",
    )
    p.add_argument("specs", nargs="+", metavar="SPEC", help="spec files (YAML or JSON)")
    p.add_argument("--image", help="input image (default: matplotlib's grace_hopper.jpg)")
    p.add_argument(
        "--samples",
        type=_positive,
        default=200,
        help="native draws per random op for the sampling tests (default 200)",
    )
    p.add_argument(
        "--replays",
        type=_positive,
        default=None,
        help="sampled params replayed per random op, besides its edge cases "
        "(default: samples / 25, at least 8)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the sampled params and native RNGs")
    p.add_argument(
        "--name", default="report", help="base name of the .md and .json files (default report)"
    )
    p.add_argument(
        "--backends",
        nargs="+",
        choices=FRAMEWORK_BACKENDS,
        default=None,
        help="backends to measure, in the report's column order "
        f"(default: {' '.join(FRAMEWORK_BACKENDS)})",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--out", required=True, help="output directory")
    p.set_defaults(func=run)


def _command(args: argparse.Namespace, replays: int) -> str:
    """The command line that reproduces this run (stated in the report)."""
    parts = ["augspec parity", *map(shlex.quote, args.specs)]
    if args.image:
        parts += ["--image", shlex.quote(args.image)]
    parts += [f"--samples {args.samples}", f"--replays {replays}", f"--seed {args.seed}"]
    if args.backends:
        parts += ["--backends", *args.backends]
    if args.name != "report":
        parts += ["--name", args.name]
    return " ".join([*parts, "--out", shlex.quote(args.out)])


def run(args: argparse.Namespace) -> int:
    from augspec.images import default_image_path, load_image
    from augspec.parity import run_parity

    if args.seed < 0:
        raise ValueError(f"Expected --seed >= 0; received --seed={args.seed}")
    image = load_image(args.image)
    source = args.image or f"matplotlib's {os.path.basename(default_image_path())}"
    replays = args.replays or max(8, args.samples // 25)
    os.makedirs(args.out, exist_ok=True)
    command = _command(args, replays)
    report = run_parity(
        args.specs,
        image,
        source,
        args.out,
        samples=args.samples,
        replays=replays,
        seed=args.seed,
        name=args.name,
        backend_names=args.backends,
        command=command,
        progress=not args.no_progress,
    )
    if not report["backends"]:
        print(
            "augspec parity: no framework backend could be loaded; "
            + "; ".join(report["missing_backends"].values()),
            file=sys.stderr,
        )
        return 1
    print(
        f"wrote {os.path.join(args.out, args.name + '.md')}, {args.name}.json and "
        f"{len(report['units'])} sheets in {os.path.join(args.out, 'img')}"
    )
    ranked = ranked_summary(report)
    if not ranked:
        print("no difference beyond rounding (at most 2 levels) was measured")
        return 0
    print("the differences that matter, ranked (details in the report):")
    for line in ranked:
        print(f"  {line}")
    return 0


def ranked_summary(report: Any, limit: int = 8) -> list[str]:
    """One line per ranked difference: rank, class, what differs, its size."""
    from augspec.parity.first_page import ranked_rows

    rows = ranked_rows(report)
    return [
        f"{i + 1:2d}. [{r['severity']}] {r['cells'][0].replace('`', '')}"
        for i, r in enumerate(rows[:limit])
    ] + ([f"    ... {len(rows) - limit} more"] if len(rows) > limit else [])
