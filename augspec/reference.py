"""Reference kernels: numpy code that *is* the definition of each op given its params.

Dtype and layout rules:

- Input: RGB HWC uint8. Every op before ``to_tensor`` takes and returns HWC
  uint8; arithmetic is done in float64 and rounded once per op with
  round-half-up (``floor(x + 0.5)``), then clipped to [0, 255].
- ``to_tensor`` returns CHW float32 in [0, 1] (``x / 255``); ``normalize``
  takes and returns CHW float32.
- Resampling (resize, random_resized_crop) follows PIL's separable filters
  with pixel centres at +0.5: ``bilinear`` is the triangle filter, ``bicubic``
  the cubic convolution with a = -0.5, both widened by the scale factor when
  downscaling (antialiasing), both in float with one rounding at the end.
  ``nearest`` takes source pixel ``floor((i + 0.5) * in / out)``.
- Grey level: ``0.299 R + 0.587 G + 0.114 B`` (ITU-R 601), unrounded.
- Hue: RGB -> HSV (hexcone), ``h = (h + factor) mod 1``, HSV -> RGB.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from augspec.images import to_numpy_image
from augspec.ops import (
    LIGHTING_EIGVAL,
    LIGHTING_EIGVEC,
    CenterCrop,
    Compose,
    Normalize,
    OpBase,
    RandomApply,
    RandomCrop,
    RandomResizedCrop,
    Resize,
)
from augspec.pipeline import Pipeline, resize_shorter_hw
from augspec.registry import get_kernel, register_kernel
from augspec.sampling import Params, check_replay

BACKEND = "reference"
GRAY_WEIGHTS = np.array([0.299, 0.587, 0.114])


def to_uint8(x: np.ndarray) -> np.ndarray:
    """Round half up and clip: the one rounding rule of the reference."""
    return np.clip(np.floor(x + 0.5), 0, 255).astype(np.uint8)


# ---- resampling -------------------------------------------------------------


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


def resample_matrix(in_size: int, out_size: int, interpolation: str) -> np.ndarray:
    """Weights (out_size, in_size) mapping input samples to output samples along one axis."""
    scale = in_size / out_size
    centers = (np.arange(out_size) + 0.5) * scale
    if interpolation == "nearest":
        src = np.minimum(np.floor(centers).astype(int), in_size - 1)
        m = np.zeros((out_size, in_size))
        m[np.arange(out_size), src] = 1.0
        return m
    kernel, support = FILTERS[interpolation]
    filter_scale = max(scale, 1.0)
    support *= filter_scale
    x = np.arange(in_size) + 0.5
    m = np.zeros((out_size, in_size))
    for i, c in enumerate(centers):
        lo = max(int(c - support + 0.5), 0)
        hi = min(int(c + support + 0.5), in_size)
        w = kernel((x[lo:hi] - c) / filter_scale)
        m[i, lo:hi] = w / w.sum()
    return m


def resize(image: np.ndarray, hw: tuple[int, int], interpolation: str) -> np.ndarray:
    h, w = hw
    if image.shape[:2] == (h, w):
        return image.copy()
    rows = resample_matrix(image.shape[0], h, interpolation)
    cols = resample_matrix(image.shape[1], w, interpolation)
    out = np.einsum("ih,hwc->iwc", rows, image.astype(np.float64))
    out = np.einsum("jw,iwc->ijc", cols, out)
    return to_uint8(out)


# ---- colour -----------------------------------------------------------------


def gray(image: np.ndarray) -> np.ndarray:
    """Unrounded grey level (H, W, 1) in float64."""
    return (image.astype(np.float64) @ GRAY_WEIGHTS)[..., None]


def blend(image: np.ndarray, other: np.ndarray | float, factor: float) -> np.ndarray:
    return to_uint8(factor * image.astype(np.float64) + (1.0 - factor) * other)


def adjust_brightness(image: np.ndarray, factor: float) -> np.ndarray:
    return blend(image, 0.0, factor)


def adjust_contrast(image: np.ndarray, factor: float) -> np.ndarray:
    return blend(image, float(gray(image).mean()), factor)


def adjust_saturation(image: np.ndarray, factor: float) -> np.ndarray:
    return blend(image, gray(image), factor)


def rgb_to_hsv(rgb: np.ndarray) -> np.ndarray:
    """float RGB in [0, 1] -> HSV in [0, 1] (hexcone model, as colorsys)."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    maxc = rgb.max(-1)
    minc = rgb.min(-1)
    delta = maxc - minc
    s = np.where(maxc > 0, delta / np.where(maxc > 0, maxc, 1), 0.0)
    safe = np.where(delta > 0, delta, 1)
    rc, gc, bc = (maxc - r) / safe, (maxc - g) / safe, (maxc - b) / safe
    h = np.where(r == maxc, bc - gc, np.where(g == maxc, 2.0 + rc - bc, 4.0 + gc - rc))
    h = np.where(delta > 0, (h / 6.0) % 1.0, 0.0)
    return np.stack([h, s, maxc], -1)


def hsv_to_rgb(hsv: np.ndarray) -> np.ndarray:
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    i = i.astype(int) % 6
    choices = [
        np.stack(c, -1)
        for c in ((v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q))
    ]
    out = np.zeros_like(hsv)
    for k, c in enumerate(choices):
        out = np.where((i == k)[..., None], c, out)
    return out


def adjust_hue(image: np.ndarray, factor: float) -> np.ndarray:
    hsv = rgb_to_hsv(image.astype(np.float64) / 255.0)
    hsv[..., 0] = (hsv[..., 0] + factor) % 1.0
    return to_uint8(hsv_to_rgb(hsv) * 255.0)


COLOR_ADJUST = {
    "brightness": adjust_brightness,
    "contrast": adjust_contrast,
    "saturation": adjust_saturation,
    "hue": adjust_hue,
}


def lighting_offset(alpha: list[float]) -> np.ndarray:
    """The RGB offset AlexNet's PCA noise adds to every pixel (0-255 units)."""
    return np.asarray(LIGHTING_EIGVEC) @ (np.asarray(alpha) * np.asarray(LIGHTING_EIGVAL))


# ---- kernels ----------------------------------------------------------------


def _register(name: str) -> Any:
    return register_kernel(name, BACKEND)


@_register("horizontal_flip")
def _hflip(op: OpBase, p: Params, x: np.ndarray) -> np.ndarray:
    return x[:, ::-1].copy() if p["apply"] else x


@_register("vertical_flip")
def _vflip(op: OpBase, p: Params, x: np.ndarray) -> np.ndarray:
    return x[::-1].copy() if p["apply"] else x


@_register("random_resized_crop")
def _rrc(op: RandomResizedCrop, p: Params, x: np.ndarray) -> np.ndarray:
    box = x[p["top"] : p["top"] + p["height"], p["left"] : p["left"] + p["width"]]
    return resize(box, op.hw, op.interpolation)


@_register("resize")
def _resize(op: Resize, p: Params, x: np.ndarray) -> np.ndarray:
    hw = op.size if isinstance(op.size, tuple) else resize_shorter_hw((x.shape[0], x.shape[1]), op.size)
    return resize(x, hw, op.interpolation)


def center_box(hw: tuple[int, int], crop: tuple[int, int]) -> tuple[int, int]:
    """Top-left of the central crop; torchvision's rounding (round((H - h) / 2))."""
    return int(round((hw[0] - crop[0]) / 2.0)), int(round((hw[1] - crop[1]) / 2.0))


@_register("center_crop")
def _center_crop(op: CenterCrop, p: Params, x: np.ndarray) -> np.ndarray:
    ch, cw = op.hw
    top, left = center_box((x.shape[0], x.shape[1]), (ch, cw))
    return x[top : top + ch, left : left + cw].copy()


@_register("random_crop")
def _random_crop(op: RandomCrop, p: Params, x: np.ndarray) -> np.ndarray:
    pad = op.padding
    if pad:
        x = np.pad(x, ((pad, pad), (pad, pad), (0, 0)), constant_values=op.fill)
    ch, cw = op.hw
    return x[p["top"] : p["top"] + ch, p["left"] : p["left"] + cw].copy()


def _factor_kernel(name: str) -> Any:
    def kernel(op: OpBase, p: Params, x: np.ndarray) -> np.ndarray:
        return COLOR_ADJUST[name](x, p["factor"])

    kernel.__qualname__ = f"adjust_{name}_kernel"
    return kernel


for _name in ("brightness", "contrast", "saturation", "hue"):
    _register(_name)(_factor_kernel(_name))


@_register("color_jitter")
def _color_jitter(op: OpBase, p: Params, x: np.ndarray) -> np.ndarray:
    for name in p["order"]:
        if p[name] is not None:
            x = COLOR_ADJUST[name](x, p[name])
    return x


@_register("lighting")
def _lighting(op: OpBase, p: Params, x: np.ndarray) -> np.ndarray:
    return to_uint8(x.astype(np.float64) + lighting_offset(p["alpha"]))


@_register("to_tensor")
def _to_tensor(op: OpBase, p: Params, x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x.transpose(2, 0, 1)).astype(np.float32) / np.float32(255)


@_register("normalize")
def _normalize(op: Normalize, p: Params, x: np.ndarray) -> np.ndarray:
    mean = np.asarray(op.mean, dtype=np.float32)[:, None, None]
    std = np.asarray(op.std, dtype=np.float32)[:, None, None]
    return ((x - mean) / std).astype(np.float32)


@_register("random_apply")
def _random_apply(op: RandomApply, p: Params, x: np.ndarray) -> np.ndarray:
    return apply_ops(op.ops, p["ops"], x) if p["apply"] else x


@_register("compose")
def _compose(op: Compose, p: Params, x: np.ndarray) -> np.ndarray:
    return apply_ops(op.ops, p["ops"], x)


def apply_ops(ops: list[OpBase], plist: list[Params], x: np.ndarray) -> np.ndarray:
    for op, p in zip(ops, plist, strict=True):
        x = get_kernel(op.op, BACKEND)(op, p, x)
    return x


def replay(spec: Pipeline, params: Params, image: Any) -> np.ndarray:
    """Apply ``params`` (from :func:`augspec.sample`) to ``image`` with the reference kernels."""
    x = to_numpy_image(image)
    plist = check_replay(spec, params, (int(x.shape[0]), int(x.shape[1])))  # before any pixel moves
    return apply_ops(spec.ops, plist, x)
