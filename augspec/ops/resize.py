"""Resizing: the ``resize`` op and the resampling maths it shares with ``random_resized_crop``.

Resampling follows PIL's separable filters with pixel centres at +0.5: ``bilinear`` is the
triangle filter, ``bicubic`` the cubic convolution with a = -0.5, both widened by the scale
factor when downscaling (antialiasing), both in float with one rounding at the end.
``nearest`` takes source pixel ``floor((i + 0.5) * in / out)``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from augspec.ops.base import (
    DEFINITION,
    HW,
    Fact,
    Interpolation,
    Numerics,
    OpBase,
    OpDef,
    Params,
    Rounding,
    Size,
    no_check,
    no_params,
    to_uint8,
)


class Resize(OpBase):
    """Resize to ``size``.

    ``size`` (height, width) resizes exactly. One int resizes the *shorter*
    side to that many pixels, keeping the aspect ratio (torchvision's meaning;
    Gluon's ``Resize(int)`` makes a square unless ``keep_ratio=True``; the
    Gluon backend translates).
    """

    op: Literal["resize"] = "resize"
    size: Size
    interpolation: Interpolation = "bilinear"


def resize_shorter_hw(hw: HW, size: int) -> HW:
    """torchvision's rule for ``Resize(int)``: shorter side -> size, longer side truncated."""
    h, w = hw
    if h <= w:
        return size, int(size * w / h)
    return int(size * h / w), size


def resize_hw(op: Resize, hw: HW) -> HW:
    return op.size if isinstance(op.size, tuple) else resize_shorter_hw(hw, op.size)


# ---- resampling ------------------------------------------------------------------------


def _triangle(x: np.ndarray) -> np.ndarray:
    return np.clip(1.0 - np.abs(x), 0.0, None)


def _cubic(x: np.ndarray, a: float = -0.5) -> np.ndarray:
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = (((x - 5) * x + 8) * x - 4) * a
    return np.where(x < 1, near, np.where(x < 2, far, 0.0))


# Resampling filters: (kernel, support in input pixels at scale 1). The batched torch path
# (backends/batch_resample.py) uses these same ones.
FILTERS = {"bilinear": (_triangle, 1.0), "bicubic": (_cubic, 2.0)}


def resample_matrix(
    in_size: int, out_size: int, interpolation: str, antialias: bool = True
) -> np.ndarray:
    """Weights (out_size, in_size) mapping input samples to output samples along one axis.

    ``antialias=False`` does not widen the filter when shrinking (OpenCV's, torch's
    ``antialias=False``): the parity models' explanation of such backends.
    """
    if interpolation == "nearest":
        centers = (np.arange(out_size) + 0.5) * (in_size / out_size)
        src = np.minimum(np.floor(centers).astype(int), in_size - 1)
        m = np.zeros((out_size, in_size))
        m[np.arange(out_size), src] = 1.0
        return m
    if antialias or out_size >= in_size:
        scale = in_size / out_size
        centers = (np.arange(out_size) + 0.5) * scale
        filter_scale = max(scale, 1.0)
    else:
        centers = (np.arange(out_size) + 0.5) * in_size / out_size
        filter_scale = 1.0
    kernel, support = FILTERS[interpolation]
    support *= filter_scale
    x = np.arange(in_size) + 0.5
    m = np.zeros((out_size, in_size))
    for i, c in enumerate(centers):
        lo = max(int(c - support + 0.5), 0)
        hi = min(int(c + support + 0.5), in_size)
        w = kernel((x[lo:hi] - c) / filter_scale)
        m[i, lo:hi] = w / w.sum()
    return m


def resize(
    image: np.ndarray,
    hw: HW,
    interpolation: str,
    antialias: bool = True,
    rounding: Rounding = to_uint8,
) -> np.ndarray:
    """Resample an HWC uint8 image to ``hw`` (separable, in float64, rounded once)."""
    h, w = hw
    if image.shape[:2] == (h, w):
        return image.copy()
    rows = resample_matrix(image.shape[0], h, interpolation, antialias)
    cols = resample_matrix(image.shape[1], w, interpolation, antialias)
    out = np.einsum("ih,hwc->iwc", rows, image.astype(np.float64))
    out = np.einsum("jw,iwc->ijc", cols, out)
    return rounding(out)


def _resize(
    op: Resize, p: Params, x: np.ndarray, fidelity: str, numerics: Numerics = DEFINITION
) -> np.ndarray:
    hw = resize_hw(op, (x.shape[0], x.shape[1]))
    return resize(x, hw, op.interpolation, numerics.antialias, numerics.rounding)


def _features(op: Resize, p: Params, hw: HW) -> dict[str, float]:
    out = resize_hw(op, hw)
    return {"downscale": max(hw[0] / out[0], hw[1] / out[1])}


DEFS = (
    OpDef(
        "resize",
        Resize,
        ("Resize",),
        no_params,
        _resize,
        output_hw=resize_hw,
        features=_features,
        odd_sizes=True,  # the shorter-side rounding
        check_params=no_check,
    ),
)

RESAMPLE_OPS = ("random_resized_crop", "resize")

FACTS = (
    Fact(
        "gluon",
        RESAMPLE_OPS,
        "model:no_antialias",
        "Gluon resizes with OpenCV cv::resize (INTER_LINEAR by default), which does not widen its filter "
        "when shrinking (no antialiasing); the reference, like PIL, does",
        "apache/mxnet src/operator/image/resize-inl.h (ResizeImpl)",
        summary="Gluon resizes with OpenCV without antialiasing when shrinking (aliasing)",
    ),
    Fact(
        "torchvision",
        RESAMPLE_OPS,
        "plus_minus_one",
        "PIL resamples 8-bit images with fixed-point weights, so a few pixels round the other way",
        "Pillow src/libImaging/Resample.c (PRECISION_BITS)",
        summary="PIL resamples with fixed-point weights",
    ),
)
