"""``augspec show SPEC --out grid.png``: the chapter's ``apply()``, as a picture.

Runs the pipeline rows x cols times on one image and draws the grid. With
``--backend both`` (torchvision | gluon) or ``all`` (torchvision | torchvision-v2 | gluon |
reference) each sample is drawn once (``augspec.sample``) and replayed through each backend
side by side, so a reader sees the same augmentation through each framework; with one
backend, its compiled pipeline (the framework's own native classes) draws its own params, as
in the chapter.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import numpy as np

SIDE_BY_SIDE = {
    "both": ("torchvision", "gluon"),
    "all": ("torchvision", "torchvision-v2", "gluon", "reference"),
}
BACKEND_CHOICES = ("torchvision", "torchvision-v2", "gluon", "reference", *SIDE_BY_SIDE)


def register(subparsers: Any) -> None:
    from augspec.cli_parity import _positive

    p = subparsers.add_parser(
        "show", help="draw a grid of augmented images (the chapter's apply())"
    )
    p.add_argument("spec", metavar="SPEC", help="spec file (YAML or JSON)")
    p.add_argument("--image", help="input image (default: matplotlib's grace_hopper.jpg)")
    p.add_argument(
        "--backend",
        choices=BACKEND_CHOICES,
        default="both",
        help="one backend's compiled pipeline, or the same params side by side: "
        "both (torchvision | gluon, the default) or all (+ torchvision-v2 and the reference)",
    )
    p.add_argument("--rows", type=_positive, default=2)
    p.add_argument("--cols", type=_positive, default=4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="output PNG")
    p.set_defaults(func=run)


def samples(
    spec: Any, image: np.ndarray, backend: str, n: int, seed: int
) -> list[tuple[str, np.ndarray]]:
    """(caption, displayable image) for n runs of the pipeline."""
    import augspec
    import augspec.backends as backends
    from augspec.parity.sheets import displayable

    hw = (int(image.shape[0]), int(image.shape[1]))
    if backend in SIDE_BY_SIDE:
        mods = {name: backends.load(name) for name in SIDE_BY_SIDE[backend]}
        out = []
        for i in range(n):
            params = augspec.sample(spec, seed=seed, index=i, image_size=hw)
            for name, mod in mods.items():
                y = mod.to_numpy(mod.replay(spec, params, image, "native"))
                out.append((f"{name} #{i}", displayable(np.asarray(y), spec)))
        return out
    mod = backends.load(backend)
    compiled = mod.compile(spec, "native")
    mod.seed(seed)
    return [
        (f"{backend} #{i}", displayable(np.asarray(mod.to_numpy(compiled(image))), spec))
        for i in range(n)
    ]


def run(args: argparse.Namespace) -> int:
    from augspec.images import load_image, require_matplotlib
    from augspec.io import load
    from augspec.parity.sheets import grid

    if args.seed < 0:
        raise ValueError(f"Expected --seed >= 0; received --seed={args.seed}")
    require_matplotlib("augspec show")  # before any sampling: the grid is a matplotlib figure
    spec = load(args.spec)
    image = load_image(args.image)
    n = args.rows * args.cols
    panels = samples(spec, image, args.backend, n, args.seed)
    side_by_side = SIDE_BY_SIDE.get(args.backend, ())
    cols = args.cols * max(1, len(side_by_side))
    title = f"{os.path.basename(args.spec)} - {args.backend}" + (
        f" (same sampled params, {' | '.join(side_by_side)})"
        if side_by_side
        else " (reference kernels)"
        if args.backend == "reference"
        else " (native classes)"
    )
    parent = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(parent, exist_ok=True)
    grid(args.out, title, panels, args.rows, cols)
    print(f"wrote {args.out} ({n} samples, {args.backend})")
    return 0
