"""``augspec show SPEC [--out grid.png]``: the chapter's ``apply()``, as a picture that explains itself.

Each sample's params are drawn once (``augspec.sample``) and replayed through the backend(s)
asked for, so the same seed gives the same draws on every backend; each column is captioned
with what was drawn (flip yes/no, factors, crop box). ``--backend both`` (torchvision |
gluon, the default) or ``all`` (+ torchvision-v2 and the reference) shows one row per
backend; ``--diff`` adds a row of |torchvision - gluon| heat maps on the same params (one
backend: it against the reference); ``--fidelity spec`` replays with the faithful
substitutes. Without ``--out`` the grid opens in a window, where matplotlib has one.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import numpy as np

from augspec.show_figure import SHOWN_BACKENDS, SIDE_BY_SIDE, backend_names, draws

BACKEND_CHOICES = (*SHOWN_BACKENDS, *SIDE_BY_SIDE)
# matplotlib backends that cannot open a window (matplotlib.backends.BackendFilter.NON_INTERACTIVE)
NON_INTERACTIVE = ("agg", "cairo", "pdf", "pgf", "ps", "svg", "template")


def register(subparsers: Any) -> None:
    from augspec.cli_parity import _positive

    p = subparsers.add_parser(
        "show", help="draw a grid of augmented images, captioned with the params drawn"
    )
    p.add_argument("spec", metavar="SPEC", help="spec file (YAML or JSON)")
    p.add_argument("--image", help="input image (default: matplotlib's grace_hopper.jpg)")
    p.add_argument(
        "--backend",
        choices=BACKEND_CHOICES,
        default="both",
        help="one backend, or the same params side by side: both (torchvision | gluon, the "
        "default) or all (+ torchvision-v2 and the reference)",
    )
    p.add_argument("--rows", type=_positive, default=2, help="rows of samples (default 2)")
    p.add_argument("--cols", type=_positive, default=4, help="samples per row (default 4)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--fidelity",
        choices=("native", "spec"),
        default="native",
        help="native: each framework's own numerics; spec: with faithful substitutes",
    )
    p.add_argument(
        "--diff",
        action="store_true",
        help="add a row of |torchvision - gluon| heat maps on the same params "
        "(one backend: |backend - reference|)",
    )
    p.add_argument("--out", help="output PNG (default: open a window)")
    p.set_defaults(func=run)


def samples(
    spec: Any, image: np.ndarray, backend: str, n: int, seed: int, fidelity: str = "native"
) -> list[tuple[str, np.ndarray]]:
    """(label, displayable image) for n samples, each backend in turn: 'gluon #3'."""
    names = backend_names(backend)
    return [
        (f"{name} #{d.index}", d.outputs[name])
        for d in draws(spec, image, names, n, seed, fidelity)
        for name in names
    ]


def matplotlib_backend() -> str:
    """The backend matplotlib would open a window with ('agg' where there is no display)."""
    import matplotlib

    return str(matplotlib.get_backend())


def _check_can_show(out: str | None) -> None:
    if out is None and matplotlib_backend().lower() in NON_INTERACTIVE:
        raise ValueError(
            f"Expected --out FILE.png where matplotlib cannot open a window (its backend is "
            f"{matplotlib_backend()!r}: no display); received no --out. Pass --out grid.png to "
            "save the grid, or set MPLBACKEND to an interactive backend (e.g. TkAgg)"
        )


def run(args: argparse.Namespace) -> int:
    from augspec.images import load_image, require_matplotlib
    from augspec.io import load
    from augspec.show_figure import (
        diff_pair,
        draw_figure,
        figure_size,
        new_figure,
        save_png,
        title_for,
    )

    if args.seed < 0:
        raise ValueError(f"Expected --seed >= 0; received --seed={args.seed}")
    require_matplotlib("augspec show")  # before any sampling: the grid is a matplotlib figure
    _check_can_show(args.out)
    spec = load(args.spec)
    image = load_image(args.image)
    names = backend_names(args.backend)
    pair = diff_pair(names) if args.diff else None
    n = args.rows * args.cols
    drawn = draws(spec, image, [*names, *(pair or ())], n, args.seed, args.fidelity)
    cols = min(n, args.cols)
    size = figure_size(drawn, args.rows * (len(names) + (1 if pair else 0)), args.rows, cols)
    title = title_for(os.path.basename(args.spec), names, args.fidelity, args.seed)
    if args.out is None:
        import matplotlib.pyplot as plt

        draw_figure(plt.figure(figsize=size, layout="constrained"), drawn, names, cols, title, pair)
        plt.show()
        return 0
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    save_png(draw_figure(new_figure(size), drawn, names, cols, title, pair), args.out)
    print(f"wrote {args.out} ({n} samples, {args.backend}, fidelity={args.fidelity})")
    return 0
