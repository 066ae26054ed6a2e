"""Gluon replay kernels: apply given params to an mx NDArray.

Two kernel sets are registered in :mod:`augspec.registry`:

- backend ``"gluon"``: mxnet's own functional ops, with the numerics of the
  native ``gluon.data.vision.transforms`` classes (``mx.nd.image.*``,
  ``mx.image.fixed_crop`` / ``center_crop``: OpenCV resize, truncating
  ``saturate_cast``, the HLS hue kernel, the saturation grey-level bug).
- backend ``"gluon:spec"``: faithful substitutes written with mxnet ops
  (float64 NDArray arithmetic, round half up), only for the ops that
  ``compile(spec, fidelity="spec")`` substitutes. Every other op falls back
  to its ``"gluon"`` kernel.

Kernel signature: ``kernel(op, params, x) -> NDArray`` (as the reference's).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from augspec.backends.gluon_mx import mx

from augspec.ops import (
    COLOR_COMPONENTS,
    CenterCrop,
    Normalize,
    OpBase,
    RandomApply,
    RandomCrop,
    RandomResizedCrop,
    Resize,
)
from augspec.pipeline import resize_shorter_hw
from augspec.reference import center_box, lighting_offset, resample_matrix
from augspec.registry import get_kernel, kernels, register_kernel
from augspec.sampling import Params

NATIVE = "gluon"
SPEC = "gluon:spec"

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


def kernel_for(op_name: str, fidelity: str) -> Any:
    """The replay kernel of an op: its substitute in fidelity "spec" where there is one."""
    if fidelity == "spec" and (op_name, SPEC) in kernels(SPEC):
        return get_kernel(op_name, SPEC)
    return get_kernel(op_name, NATIVE)


def apply_ops(ops: list[OpBase], plist: list[Params], x: NDArray, fidelity: str) -> NDArray:
    for op, p in zip(ops, plist, strict=True):
        x = kernel_for(op.op, fidelity)(op, p, x)
    return x


# ---- native numerics: mxnet's functional ops ----------------------------------


# mxnet's FlipImpl swaps pairs (j, n-1-j) for j < n/2 into a fresh output, so
# with an odd width (height) the middle column (row) is never written: it
# holds whatever the memory held (measured: zeros or stale values). The
# native classes share the kernel, so replay keeps it; "spec" uses nd.flip.
@register_kernel("horizontal_flip", NATIVE)
def flip_left_right(op: OpBase, p: Params, x: NDArray) -> NDArray:
    return mx.nd.image.flip_left_right(x) if p["apply"] else x


@register_kernel("vertical_flip", NATIVE)
def flip_top_bottom(op: OpBase, p: Params, x: NDArray) -> NDArray:
    return mx.nd.image.flip_top_bottom(x) if p["apply"] else x


@register_kernel("horizontal_flip", SPEC)
def exact_flip_left_right(op: OpBase, p: Params, x: NDArray) -> NDArray:
    return mx.nd.flip(x, axis=1) if p["apply"] else x


@register_kernel("vertical_flip", SPEC)
def exact_flip_top_bottom(op: OpBase, p: Params, x: NDArray) -> NDArray:
    return mx.nd.flip(x, axis=0) if p["apply"] else x


@register_kernel("random_resized_crop", NATIVE)
def native_resized_crop(op: RandomResizedCrop, p: Params, x: NDArray) -> NDArray:
    # What gluon's RandomResizedCrop does once random_size_crop picked a box.
    h, w = op.hw
    return mx.image.fixed_crop(
        x, p["left"], p["top"], p["width"], p["height"], size=(w, h),
        interp=INTERP_CODES[op.interpolation],
    )


@register_kernel("resize", NATIVE)
def native_resize(op: Resize, p: Params, x: NDArray) -> NDArray:
    code = INTERP_CODES[op.interpolation]
    if isinstance(op.size, tuple):
        return mx.nd.image.resize(x, size=(op.size[1], op.size[0]), interp=code)
    return mx.nd.image.resize(x, size=op.size, keep_ratio=True, interp=code)


@register_kernel("center_crop", NATIVE)
def native_center_crop(op: CenterCrop, p: Params, x: NDArray) -> NDArray:
    h, w = op.hw
    return mx.image.center_crop(x, (w, h), interp=1)[0]


@register_kernel("random_crop", NATIVE)
def pad_and_crop(op: RandomCrop, p: Params, x: NDArray) -> NDArray:
    """No gluon class crops with padding; pad with ``fill`` and slice (exact, both fidelities)."""
    h, w, c = x.shape
    pad = op.padding
    if pad:
        padded = mx.nd.full((h + 2 * pad, w + 2 * pad, c), op.fill, dtype=x.dtype)
        padded[pad : pad + h, pad : pad + w] = x
        x = padded
    ch, cw = op.hw
    return x[p["top"] : p["top"] + ch, p["left"] : p["left"] + cw]


def _fixed_factor(name: str, x: NDArray, factor: float) -> NDArray:
    """mxnet's random_<name> op with min = max = factor: the native kernel at a given factor."""
    if name == "hue":
        # Gluon's RandomHue draws 1 + U(-h, h) turns (min_factor must be >= 0); same angle.
        factor = 1.0 + factor
    fn = getattr(mx.nd.image, f"random_{name}")
    factor = mx_float(factor)
    return fn(x, min_factor=factor, max_factor=factor)


def _register_colour_kernels(backend: str, adjust: Callable[[str, NDArray, float], NDArray], kind: str) -> None:
    """The four factor ops and color_jitter (the four in its drawn order) for ``backend``,
    each applying ``adjust(name, x, factor)``: mxnet's own ops (native) or the faithful ones."""

    def factor_kernel(name: str) -> Any:
        def kernel(op: OpBase, p: Params, x: NDArray) -> NDArray:
            return adjust(name, x, p["factor"])

        kernel.__qualname__ = f"{kind}_{name}"
        return kernel

    for name in COLOR_COMPONENTS:
        register_kernel(name, backend)(factor_kernel(name))

    def color_jitter(op: OpBase, p: Params, x: NDArray) -> NDArray:
        for name in p["order"]:
            if p[name] is not None:
                x = adjust(name, x, p[name])
        return x

    color_jitter.__qualname__ = f"{kind}_color_jitter"
    register_kernel("color_jitter", backend)(color_jitter)


_register_colour_kernels(NATIVE, _fixed_factor, "native")


@register_kernel("lighting", NATIVE)
def native_lighting(op: OpBase, p: Params, x: NDArray) -> NDArray:
    return mx.nd.image.adjust_lighting(x, alpha=tuple(p["alpha"]))


@register_kernel("to_tensor", NATIVE)
def to_tensor(op: OpBase, p: Params, x: NDArray) -> NDArray:
    return mx.nd.image.to_tensor(x)


@register_kernel("normalize", NATIVE)
def normalize(op: Normalize, p: Params, x: NDArray) -> NDArray:
    return mx.nd.image.normalize(x, mean=tuple(op.mean), std=tuple(op.std))


@register_kernel("random_apply", NATIVE)
def random_apply_native(op: RandomApply, p: Params, x: NDArray) -> NDArray:
    return apply_ops(op.ops, p["ops"], x, "native") if p["apply"] else x


@register_kernel("random_apply", SPEC)
def random_apply_spec(op: RandomApply, p: Params, x: NDArray) -> NDArray:
    return apply_ops(op.ops, p["ops"], x, "spec") if p["apply"] else x


@register_kernel("compose", NATIVE)
def compose_native(op: Any, p: Params, x: NDArray) -> NDArray:
    return apply_ops(op.ops, p["ops"], x, "native")


@register_kernel("compose", SPEC)
def compose_spec(op: Any, p: Params, x: NDArray) -> NDArray:
    return apply_ops(op.ops, p["ops"], x, "spec")


# ---- spec numerics: faithful substitutes in mxnet ops ----------------------------


def to_uint8(x: NDArray) -> NDArray:
    """The spec's one rounding: round half up, clip, uint8 (mxnet's kernels truncate)."""
    return mx.nd.clip(mx.nd.floor(x + 0.5), 0, 255).astype("uint8")


def _f64(x: NDArray) -> NDArray:
    return x.astype("float64")


def faithful_resize(x: NDArray, hw: tuple[int, int], interpolation: str) -> NDArray:
    """PIL-style separable resampling (antialiased when shrinking) as two mx.nd.dot products.

    OpenCV's resize (what mxnet uses) does not widen its filter when
    downscaling, and its nearest takes ``floor(i * in / out)``; the spec's
    weights are the reference's ``resample_matrix``.
    """
    in_h, in_w, c = x.shape
    h, w = hw
    if (in_h, in_w) == (h, w):
        return x.copy()
    rows = mx.nd.array(resample_matrix(in_h, h, interpolation), dtype="float64")
    cols = mx.nd.array(resample_matrix(in_w, w, interpolation), dtype="float64")
    out = mx.nd.dot(rows, _f64(x).reshape((in_h, in_w * c))).reshape((h, in_w, c))
    out = out.transpose((1, 0, 2)).reshape((in_w, h * c))
    out = mx.nd.dot(cols, out).reshape((w, h, c)).transpose((1, 0, 2))
    return to_uint8(out)


@register_kernel("random_resized_crop", SPEC)
def faithful_resized_crop(op: RandomResizedCrop, p: Params, x: NDArray) -> NDArray:
    box = x[p["top"] : p["top"] + p["height"], p["left"] : p["left"] + p["width"]]
    return faithful_resize(box, op.hw, op.interpolation)


@register_kernel("resize", SPEC)
def faithful_resize_kernel(op: Resize, p: Params, x: NDArray) -> NDArray:
    hw = op.size if isinstance(op.size, tuple) else resize_shorter_hw(x.shape[:2], op.size)
    return faithful_resize(x, hw, op.interpolation)


@register_kernel("center_crop", SPEC)
def faithful_center_crop(op: CenterCrop, p: Params, x: NDArray) -> NDArray:
    # Gluon's center_crop truncates int((W - w) / 2); the spec rounds (torchvision's rule).
    ch, cw = op.hw
    top, left = center_box(x.shape[:2], (ch, cw))
    return x[top : top + ch, left : left + cw]


GRAY_WEIGHTS = (0.299, 0.587, 0.114)


def gray(xf: NDArray) -> NDArray:
    """Unrounded grey level (H, W, 1) of a float64 HWC image."""
    r, g, b = (xf[:, :, i : i + 1] for i in range(3))
    return GRAY_WEIGHTS[0] * r + GRAY_WEIGHTS[1] * g + GRAY_WEIGHTS[2] * b


def adjust_brightness(x: NDArray, factor: float) -> NDArray:
    return to_uint8(_f64(x) * mx_float(factor))


def adjust_contrast(x: NDArray, factor: float) -> NDArray:
    factor = mx_float(factor)
    xf = _f64(x)
    mean = float(gray(xf).mean().asscalar())
    return to_uint8(xf * factor + (1.0 - factor) * mean)


def adjust_saturation(x: NDArray, factor: float) -> NDArray:
    # mxnet's AdjustSaturationImpl assigns instead of summing the grey level
    # (gray = 0.114 * B only): a 60-70 level departure on the photo.
    xf, factor = _f64(x), mx_float(factor)
    return to_uint8(mx.nd.broadcast_add(xf * factor, gray(xf) * (1.0 - factor)))


def _rgb_to_hsv(rgb: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    r, g, b = rgb[:, :, 0], rgb[:, :, 1], rgb[:, :, 2]
    maxc = mx.nd.maximum(mx.nd.maximum(r, g), b)
    minc = mx.nd.minimum(mx.nd.minimum(r, g), b)
    delta = maxc - minc
    s = mx.nd.where(maxc > 0, delta / mx.nd.where(maxc > 0, maxc, mx.nd.ones_like(maxc)), mx.nd.zeros_like(maxc))
    safe = mx.nd.where(delta > 0, delta, mx.nd.ones_like(delta))
    rc, gc, bc = (maxc - r) / safe, (maxc - g) / safe, (maxc - b) / safe
    h = mx.nd.where(r == maxc, bc - gc, mx.nd.where(g == maxc, 2.0 + rc - bc, 4.0 + gc - rc))
    h = h / 6.0
    h = mx.nd.where(delta > 0, h - mx.nd.floor(h), mx.nd.zeros_like(h))
    return h, s, maxc


def _hsv_to_rgb(h: NDArray, s: NDArray, v: NDArray) -> NDArray:
    i = mx.nd.floor(h * 6.0)
    f = h * 6.0 - i
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    i = i - 6.0 * mx.nd.floor(i / 6.0)  # i mod 6
    sectors = ((v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q))
    channels = []
    for c in range(3):
        out = mx.nd.zeros_like(v)
        for k, sector in enumerate(sectors):
            out = mx.nd.where(i == k, sector[c], out)
        channels.append(out)
    return mx.nd.stack(*channels, axis=2)


def adjust_hue(x: NDArray, factor: float) -> NDArray:
    # mxnet rotates hue in HLS and truncates; HSV and HLS share the hue angle,
    # so the spec's HSV rotation with round half up is what differs (by 1).
    h, s, v = _rgb_to_hsv(_f64(x) / 255.0)
    h = h + mx_float(factor)
    h = h - mx.nd.floor(h)
    return to_uint8(_hsv_to_rgb(h, s, v) * 255.0)


COLOR_ADJUST = {
    "brightness": adjust_brightness,
    "contrast": adjust_contrast,
    "saturation": adjust_saturation,
    "hue": adjust_hue,
}


_register_colour_kernels(SPEC, lambda name, x, f: COLOR_ADJUST[name](x, f), "faithful")


@register_kernel("lighting", SPEC)
def faithful_lighting(op: OpBase, p: Params, x: NDArray) -> NDArray:
    offset = mx.nd.array(np.asarray(lighting_offset(p["alpha"])).reshape(1, 1, 3), dtype="float64")
    return to_uint8(mx.nd.broadcast_add(_f64(x), offset))
