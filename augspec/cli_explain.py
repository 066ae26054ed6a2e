"""``augspec explain SPEC``: what each op compiles to on each backend, and why.

For every backend asked for (default: every installed framework backend) and each fidelity,
one line per op: native (the framework's own class), ported (augspec wrote it in the
framework's idiom: the framework has no such class or cannot express the arguments) or
substituted (``fidelity="spec"`` replaced a native class that departs from the spec), with the
class and the reason. Missing frameworks are named with the extra that installs them.
"""

from __future__ import annotations

import argparse
import textwrap
from typing import Any

FRAMEWORK_BACKENDS = ("torchvision", "torchvision-v2", "gluon")


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "explain",
        help="what each op compiles to on each backend: native, ported or substituted, and why",
    )
    p.add_argument("spec", metavar="SPEC", help="spec file (YAML or JSON)")
    p.add_argument(
        "--backend",
        action="append",
        choices=(*FRAMEWORK_BACKENDS, "torch-batched", "reference"),
        help="a backend to explain (repeat for several; default: every installed framework)",
    )
    p.add_argument(
        "--fidelity",
        choices=("native", "spec", "both"),
        default="both",
        help="native: the framework's classes; spec: with faithful substitutes (default: both)",
    )
    p.set_defaults(func=run)


LEGEND = (
    "native: the framework's own class. ported: the framework has no such class (or cannot "
    "take the arguments), so augspec wrote it in the framework's idiom. substituted: "
    'fidelity="spec" replaced a native class that measured beyond its tolerance from the spec '
    "(augspec parity shows the numbers)."
)


# (heading, OpBuild field) of each column of the table
_COLUMNS = (("position", "position"), ("op", "op"), ("status", "status"), ("class", "native_class"))


def table(compiled: Any) -> str:
    """One compiled pipeline: a heading, then one aligned line per op (nested ops included);
    a reason already given in this table is not repeated."""
    builds = compiled.builds
    wide = [max([len(h), *(len(getattr(b, f)) for b in builds)]) for h, f in _COLUMNS]
    lines = [f"augspec pipeline compiled for {compiled.backend} (fidelity={compiled.fidelity})"]
    head = "  " + "  ".join(h.ljust(w) for (h, _), w in zip(_COLUMNS, wide, strict=True))
    lines.append(head.rstrip())
    said: dict[str, str] = {}
    for b in builds:
        cells = [getattr(b, f).ljust(w) for (_, f), w in zip(_COLUMNS, wide, strict=True)]
        why = f"same reason as {said[b.why]}" if b.why in said else b.why
        said.setdefault(b.why, b.position)
        lines.append(("  " + "  ".join(cells) + (f" - {why}" if b.why else "")).rstrip())
    return "\n".join(lines)


def explanations(spec: Any, names: list[str], fidelities: list[str]) -> list[str]:
    """The table of each backend and fidelity, in order."""
    import augspec

    return [
        table(augspec.compile(spec, name, fidelity)) for name in names for fidelity in fidelities
    ]


def run(args: argparse.Namespace) -> int:
    import augspec
    from augspec.backends import available

    spec = augspec.load(args.spec)
    names = list(dict.fromkeys(args.backend or [])) or [
        n for n in FRAMEWORK_BACKENDS if n in available()
    ]
    if not names:
        raise ValueError(
            "Expected torch or mxnet to be installed to explain a backend; received neither "
            "(pip install 'augspec[torch]' or 'augspec[mxnet]', or pass --backend reference)"
        )
    fidelities = ["native", "spec"] if args.fidelity == "both" else [args.fidelity]
    legend = textwrap.fill(LEGEND, width=100)
    print("\n\n".join([*explanations(spec, names, fidelities), legend]))
    return 0
