"""Figures (matplotlib, Agg): one sheet per op and the ``show`` grid.

A sheet shows the input, the two backends' outputs for the same params, and
the |difference| between them as a heat map in 0-255 units.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from augspec.images import require_matplotlib
from augspec.ops import Normalize, ToTensor
from augspec.pipeline import Pipeline, iter_leaves


def displayable(x: np.ndarray, spec: Pipeline) -> np.ndarray:
    """HWC uint8 for imshow: images as is, tensors scaled back (un-normalised) to 0-255."""
    if x.dtype == np.uint8:
        return x
    hwc = np.asarray(x, dtype=np.float64).transpose(1, 2, 0)
    leaves = list(iter_leaves(spec.ops))
    norms = [o for o in leaves if isinstance(o, Normalize)]
    if norms:
        hwc = hwc * np.asarray(norms[-1].std) + np.asarray(norms[-1].mean)
    elif not any(isinstance(o, ToTensor) for o in leaves):
        return np.clip(hwc, 0, 255).astype(np.uint8)
    return np.clip(np.floor(hwc * 255 + 0.5), 0, 255).astype(np.uint8)


def _figure(width: float, height: float) -> Any:
    matplotlib = require_matplotlib("drawing a figure (augspec show, the parity sheets)")
    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100)


def save_png(fig: Any, path: str) -> None:
    """Write a figure as a 256-colour PNG: a third of the bytes, for committed docs."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    buf.seek(0)
    with Image.open(buf) as img:
        img.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(
            path, optimize=True
        )


def op_sheet(
    path: str,
    title: str,
    image: np.ndarray,
    outputs: list[tuple[str, np.ndarray]],
    diff: np.ndarray | None,
    diff_title: str,
) -> None:
    """input | output A | output B | heat map of |A - B| (None: sizes differ, stated in the panel)."""
    fig = _figure(3.2 * (len(outputs) + 2), 3.8)
    axes = fig.subplots(1, len(outputs) + 2)
    panels = [("input", image), *outputs]
    for ax, (name, img) in zip(axes, panels, strict=False):
        ax.imshow(img, interpolation="nearest")
        ax.set_title(f"{name}\n{img.shape[0]}x{img.shape[1]}", fontsize=9)
        ax.axis("off")
    ax = axes[-1]
    if diff is None:
        ax.text(0.5, 0.5, "output sizes differ", ha="center", va="center")
        ax.axis("off")
    else:
        heat = diff.max(axis=-1) if diff.ndim == 3 else diff
        im = ax.imshow(
            heat, cmap="inferno", vmin=0, vmax=max(float(heat.max()), 1.0), interpolation="nearest"
        )
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
        ax.set_title(diff_title, fontsize=9)
        ax.axis("off")
    fig.suptitle(title, fontsize=10)
    save_png(fig, path)


def grid(path: str, title: str, panels: list[tuple[str, np.ndarray]], rows: int, cols: int) -> None:
    """rows x cols images with their captions (the chapter's ``show_images``)."""
    fig = _figure(2.2 * cols, 2.4 * rows + 0.4)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    for ax in axes:
        ax.axis("off")
    for ax, (caption, img) in zip(axes, panels, strict=False):
        ax.imshow(img, interpolation="nearest")
        ax.set_title(caption, fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    save_png(fig, path)
