"""Gluon replay kernels: apply given params to an mx NDArray.

Every kernel has the contract's one signature, ``kernel(op, params, x, fidelity) -> NDArray``;
the records in :mod:`augspec.backends.gluon` say which op uses which.

- Native numerics: mxnet's own functional ops, what the ``gluon.data.vision.transforms``
  classes run (``mx.nd.image.*``, ``mx.image.fixed_crop`` / ``center_crop``: OpenCV resize,
  truncating ``saturate_cast``, the HLS hue kernel, the saturation grey-level bug).
- Faithful numerics (what ``fidelity="spec"`` substitutes): the spec's maths. Resampling is
  the reference's weights applied with ``mx.nd.dot``; colour and lighting are the reference's
  own functions (:mod:`augspec.reference`: grey level, HSV, blend, round half up), written once.

Composition kernels (compose, random_apply) recurse through the backend's ``apply_ops`` and
live in :mod:`augspec.backends.gluon`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from augspec.backends.gluon_mx import mx

from augspec import reference
from augspec.ops import CenterCrop, Normalize, OpBase, RandomCrop, RandomResizedCrop, Resize
from augspec.pipeline import resize_shorter_hw
from augspec.sampling import Params

# OpenCV codes as mxnet passes them to cv::resize (measured: 2 is bicubic,
# 3 is area; 0 nearest, 1 bilinear).
INTERP_CODES = {"nearest": 0, "bilinear": 1, "bicubic": 2}

NDArray = Any  # mx.nd.NDArray; mxnet ships no type stubs

_F32 = np.finfo(np.float32)


def mx_float(value: float) -> float:
    """``value`` as an mxnet operator parameter can take it.

    mxnet passes operator parameters as text and parses float ones into float32
    (scalars into double), refusing what does not parse to a normal number
    (measured on 1.9.1: ``Out of range value for max_factor, value='1e-39'``;
    ``1e39`` too; scalars from 1e-308 down). Found by tests/test_properties.py
    with a valid spec, ``brightness: [0.0, 2.2e-313]``. A magnitude below float32's
    smallest normal number is 0 for every op here (a factor, shift or offset of
    1e-38 moves no 0-255 value), and one above float32's largest is that largest.
    """
    value = float(value)
    if abs(value) < _F32.tiny:
        return 0.0
    return float(np.clip(value, -_F32.max, _F32.max))


def _on_values(fn: Callable[[np.ndarray], np.ndarray], x: NDArray) -> NDArray:
    """Apply the reference's numpy maths to an NDArray's values; the result as an NDArray."""
    return mx.nd.array(fn(x.asnumpy()), dtype="uint8")


# ---- flips ------------------------------------------------------------------------
# mxnet's FlipImpl swaps pairs (j, n-1-j) for j < n/2 into a fresh output, so with an odd
# width (height) the middle column (row) is never written: it holds whatever the memory held
# (measured: zeros or stale values). The native classes share the kernel, so replay keeps it;
# the substitute uses nd.flip.


def flip_left_right(op: OpBase, p: Params, x: NDArray, fidelity: str) -> NDArray:
    return mx.nd.image.flip_left_right(x) if p["apply"] else x


def flip_top_bottom(op: OpBase, p: Params, x: NDArray, fidelity: str) -> NDArray:
    return mx.nd.image.flip_top_bottom(x) if p["apply"] else x


def exact_flip_left_right(op: OpBase, p: Params, x: NDArray, fidelity: str) -> NDArray:
    return mx.nd.flip(x, axis=1) if p["apply"] else x


def exact_flip_top_bottom(op: OpBase, p: Params, x: NDArray, fidelity: str) -> NDArray:
    return mx.nd.flip(x, axis=0) if p["apply"] else x


# ---- crops and resizing -------------------------------------------------------------


def native_resized_crop(op: RandomResizedCrop, p: Params, x: NDArray, fidelity: str) -> NDArray:
    # What gluon's RandomResizedCrop does once random_size_crop picked a box.
    h, w = op.hw
    return mx.image.fixed_crop(
        x,
        p["left"],
        p["top"],
        p["width"],
        p["height"],
        size=(w, h),
        interp=INTERP_CODES[op.interpolation],
    )


def native_resize(op: Resize, p: Params, x: NDArray, fidelity: str) -> NDArray:
    code = INTERP_CODES[op.interpolation]
    if isinstance(op.size, tuple):
        return mx.nd.image.resize(x, size=(op.size[1], op.size[0]), interp=code)
    return mx.nd.image.resize(x, size=op.size, keep_ratio=True, interp=code)


def native_center_crop(op: CenterCrop, p: Params, x: NDArray, fidelity: str) -> NDArray:
    h, w = op.hw
    return mx.image.center_crop(x, (w, h), interp=1)[0]


def pad_and_crop(op: RandomCrop, p: Params, x: NDArray, fidelity: str) -> NDArray:
    """Pad with ``fill`` and slice (exact, both fidelities)."""
    pad = op.padding
    if pad:  # the pad op's kernel (backends/gluon_pad.py), written once
        from augspec.backends.gluon_pad import pad_nd

        x = pad_nd(x, (pad, pad, pad, pad), op.fill, "constant")
    ch, cw = op.hw
    return x[p["top"] : p["top"] + ch, p["left"] : p["left"] + cw]


def faithful_resize(x: NDArray, hw: tuple[int, int], interpolation: str) -> NDArray:
    """The reference's separable resampling (antialiased when shrinking) as two mx.nd.dot products.

    OpenCV's resize (what mxnet uses) does not widen its filter when downscaling, and its
    nearest takes ``floor(i * in / out)``; the spec's weights are ``reference.resample_matrix``.
    """
    in_h, in_w, c = x.shape
    h, w = hw
    if (in_h, in_w) == (h, w):
        return x.copy()
    rows = mx.nd.array(reference.resample_matrix(in_h, h, interpolation), dtype="float64")
    cols = mx.nd.array(reference.resample_matrix(in_w, w, interpolation), dtype="float64")
    out = mx.nd.dot(rows, x.astype("float64").reshape((in_h, in_w * c))).reshape((h, in_w, c))
    out = out.transpose((1, 0, 2)).reshape((in_w, h * c))
    out = mx.nd.dot(cols, out).reshape((w, h, c)).transpose((1, 0, 2))
    return _on_values(reference.to_uint8, out)


def faithful_resized_crop(op: RandomResizedCrop, p: Params, x: NDArray, fidelity: str) -> NDArray:
    box = x[p["top"] : p["top"] + p["height"], p["left"] : p["left"] + p["width"]]
    return faithful_resize(box, op.hw, op.interpolation)


def faithful_resize_kernel(op: Resize, p: Params, x: NDArray, fidelity: str) -> NDArray:
    hw = op.size if isinstance(op.size, tuple) else resize_shorter_hw(x.shape[:2], op.size)
    return faithful_resize(x, hw, op.interpolation)


def faithful_center_crop(op: CenterCrop, p: Params, x: NDArray, fidelity: str) -> NDArray:
    # Gluon's center_crop truncates int((W - w) / 2); the spec rounds (torchvision's rule).
    ch, cw = op.hw
    top, left = reference.center_box(x.shape[:2], (ch, cw))
    return x[top : top + ch, left : left + cw]


# ---- colour and lighting -------------------------------------------------------------

ColourAdjust = Callable[[str, NDArray, float], NDArray]


def native_adjust(name: str, x: NDArray, factor: float) -> NDArray:
    """mxnet's random_<name> op with min = max = factor: the native kernel at a given factor."""
    if name == "hue":
        # Gluon's RandomHue draws 1 + U(-h, h) turns (min_factor must be >= 0); same angle.
        factor = 1.0 + factor
    fn = getattr(mx.nd.image, f"random_{name}")
    factor = mx_float(factor)
    return fn(x, min_factor=factor, max_factor=factor)


def faithful_adjust(name: str, x: NDArray, factor: float) -> NDArray:
    """The reference's adjustment (grey level 0.299 R + 0.587 G + 0.114 B, HSV, round half up)."""
    return _on_values(lambda values: reference.COLOR_ADJUST[name](values, factor), x)


def factor_kernel(name: str, adjust: ColourAdjust) -> Callable[..., NDArray]:
    """The replay kernel of one colour op (brightness, contrast, saturation, hue)."""

    def kernel(op: OpBase, p: Params, x: NDArray, fidelity: str) -> NDArray:
        return adjust(name, x, p["factor"])

    kernel.__qualname__ = f"{adjust.__name__}_{name}"
    return kernel


def jitter_kernel(adjust: ColourAdjust) -> Callable[..., NDArray]:
    """The replay kernel of color_jitter: the drawn components in the drawn order."""

    def kernel(op: OpBase, p: Params, x: NDArray, fidelity: str) -> NDArray:
        for name in p["order"]:
            if p[name] is not None:
                x = adjust(name, x, p[name])
        return x

    kernel.__qualname__ = f"{adjust.__name__}_color_jitter"
    return kernel


def native_lighting(op: OpBase, p: Params, x: NDArray, fidelity: str) -> NDArray:
    return mx.nd.image.adjust_lighting(x, alpha=tuple(p["alpha"]))


def faithful_lighting(op: OpBase, p: Params, x: NDArray, fidelity: str) -> NDArray:
    offset = reference.lighting_offset(p["alpha"])
    return _on_values(lambda values: reference.to_uint8(values.astype(np.float64) + offset), x)


# ---- tensor ops ----------------------------------------------------------------------


def to_tensor(op: OpBase, p: Params, x: NDArray, fidelity: str) -> NDArray:
    return mx.nd.image.to_tensor(x)


def normalize(op: Normalize, p: Params, x: NDArray, fidelity: str) -> NDArray:
    return mx.nd.image.normalize(x, mean=tuple(op.mean), std=tuple(op.std))
