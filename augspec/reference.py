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

from collections.abc import Sequence
from typing import Any

import numpy as np

from augspec.compiled import Compiled, OpBuild
from augspec.contract import (
    EXACT,
    OpRecord,
    Tolerance,
    apply_records,
    check_fidelity,
    record_for,
    records_table,
)
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
from augspec.sampling import Params, check_replay, sample

NAME = "reference"
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


# ---- kernels: one signature, (op, params, x, fidelity) -> x -------------------------


def _hflip(op: OpBase, p: Params, x: np.ndarray, fidelity: str) -> np.ndarray:
    return x[:, ::-1].copy() if p["apply"] else x


def _vflip(op: OpBase, p: Params, x: np.ndarray, fidelity: str) -> np.ndarray:
    return x[::-1].copy() if p["apply"] else x


def _rrc(op: RandomResizedCrop, p: Params, x: np.ndarray, fidelity: str) -> np.ndarray:
    box = x[p["top"] : p["top"] + p["height"], p["left"] : p["left"] + p["width"]]
    return resize(box, op.hw, op.interpolation)


def _resize(op: Resize, p: Params, x: np.ndarray, fidelity: str) -> np.ndarray:
    hw = (
        op.size
        if isinstance(op.size, tuple)
        else resize_shorter_hw((x.shape[0], x.shape[1]), op.size)
    )
    return resize(x, hw, op.interpolation)


def center_box(hw: tuple[int, int], crop: tuple[int, int]) -> tuple[int, int]:
    """Top-left of the central crop; torchvision's rounding (round((H - h) / 2))."""
    return int(round((hw[0] - crop[0]) / 2.0)), int(round((hw[1] - crop[1]) / 2.0))


def _center_crop(op: CenterCrop, p: Params, x: np.ndarray, fidelity: str) -> np.ndarray:
    ch, cw = op.hw
    top, left = center_box((x.shape[0], x.shape[1]), (ch, cw))
    return x[top : top + ch, left : left + cw].copy()


def _random_crop(op: RandomCrop, p: Params, x: np.ndarray, fidelity: str) -> np.ndarray:
    pad = op.padding
    if pad:
        x = np.pad(x, ((pad, pad), (pad, pad), (0, 0)), constant_values=op.fill)
    ch, cw = op.hw
    return x[p["top"] : p["top"] + ch, p["left"] : p["left"] + cw].copy()


def _adjust(op: OpBase, p: Params, x: np.ndarray, fidelity: str) -> np.ndarray:
    return COLOR_ADJUST[op.op](x, p["factor"])


def _color_jitter(op: OpBase, p: Params, x: np.ndarray, fidelity: str) -> np.ndarray:
    for name in p["order"]:
        if p[name] is not None:
            x = COLOR_ADJUST[name](x, p[name])
    return x


def _lighting(op: OpBase, p: Params, x: np.ndarray, fidelity: str) -> np.ndarray:
    return to_uint8(x.astype(np.float64) + lighting_offset(p["alpha"]))


def _to_tensor(op: OpBase, p: Params, x: np.ndarray, fidelity: str) -> np.ndarray:
    return np.ascontiguousarray(x.transpose(2, 0, 1)).astype(np.float32) / np.float32(255)


def _normalize(op: Normalize, p: Params, x: np.ndarray, fidelity: str) -> np.ndarray:
    mean = np.asarray(op.mean, dtype=np.float32)[:, None, None]
    std = np.asarray(op.std, dtype=np.float32)[:, None, None]
    return ((x - mean) / std).astype(np.float32)


def _random_apply(op: RandomApply, p: Params, x: np.ndarray, fidelity: str) -> np.ndarray:
    return apply_ops(op.ops, p["ops"], x, fidelity) if p["apply"] else x


def _compose(op: Compose, p: Params, x: np.ndarray, fidelity: str) -> np.ndarray:
    return apply_ops(op.ops, p["ops"], x, fidelity)


# The reference is the definition: every record is exact and native, in both fidelities.
RECORDS: dict[str, OpRecord] = records_table(
    *(
        OpRecord(name, kernel, EXACT)
        for name, kernel in (
            ("horizontal_flip", _hflip),
            ("vertical_flip", _vflip),
            ("random_resized_crop", _rrc),
            ("resize", _resize),
            ("center_crop", _center_crop),
            ("random_crop", _random_crop),
            ("brightness", _adjust),
            ("contrast", _adjust),
            ("saturation", _adjust),
            ("hue", _adjust),
            ("color_jitter", _color_jitter),
            ("lighting", _lighting),
            ("to_tensor", _to_tensor),
            ("normalize", _normalize),
            ("random_apply", _random_apply),
            ("compose", _compose),
        )
    )
)


def apply_ops(
    ops: Sequence[OpBase], plist: Sequence[Params], x: np.ndarray, fidelity: str = "native"
) -> np.ndarray:
    return apply_records(NAME, RECORDS, ops, plist, x, fidelity)  # type: ignore[no-any-return]


def replay(spec: Pipeline, params: Params, image: Any, fidelity: str = "native") -> np.ndarray:
    """Apply ``params`` (from :func:`augspec.sample`) to ``image`` with the reference kernels.

    ``fidelity`` is accepted for the contract; the reference is the definition in both.
    """
    check_fidelity(fidelity)
    x = to_numpy_image(image)
    plist = check_replay(spec, params, (int(x.shape[0]), int(x.shape[1])))  # before any pixel moves
    return apply_ops(spec.ops, plist, x, fidelity)


# ---- the rest of the backend contract ---------------------------------------------

_seed = [0]  # seed(n) sets it; ReferencePipeline samples under it


class ReferencePipeline:
    """A compiled reference pipeline: call k samples the params of index k, then replays them.

    The params come from augspec's own sampler under the seed set by :func:`seed` (epoch 0),
    so the k-th call after ``seed(n)`` gives ``replay(spec, sample(spec, n, 0, k, hw), image)``.
    """

    def __init__(self, spec: Pipeline) -> None:
        self.spec = spec
        self.calls = 0
        self.seed = _seed[0]

    def __call__(self, image: Any) -> np.ndarray:
        if self.seed != _seed[0]:  # re-seeded: start again at index 0
            self.seed, self.calls = _seed[0], 0
        x = to_numpy_image(image)
        params = sample(self.spec, self.seed, 0, self.calls, (int(x.shape[0]), int(x.shape[1])))
        self.calls += 1
        return replay(self.spec, params, x)

    def __repr__(self) -> str:
        return f"ReferencePipeline({len(self.spec.ops)} ops, seed={self.seed}, calls={self.calls})"


def compile(spec: Pipeline, fidelity: str = "native") -> Compiled:
    """The reference as a pipeline object (sample per call, then replay); picklable."""
    check_fidelity(fidelity)
    return Compiled(NAME, fidelity, ReferencePipeline(spec), _builds(spec.ops, "ops"), spec=spec)


def _builds(ops: Sequence[OpBase], prefix: str) -> list[OpBuild]:
    """One OpBuild per op, containers before their children (as the other backends list them)."""
    found: list[OpBuild] = []
    for i, op in enumerate(ops):
        found.append(OpBuild(f"{prefix}[{i}]", op.op, "native", "reference kernel"))
        found += _builds(getattr(op, "ops", ()), f"{prefix}[{i}].ops")
    return found


def to_numpy(x: Any) -> np.ndarray:
    """The reference's results are numpy already (HWC uint8 images, CHW float32 tensors)."""
    if not isinstance(x, np.ndarray):
        raise ValueError(f"Expected a numpy array from the reference; received {type(x).__name__}")
    return x


def seed(n: int) -> None:
    """Seed compiled reference pipelines: their next call samples index 0 under seed ``n``."""
    _seed[0] = int(n)


def tolerance(op: Any) -> Tolerance:
    """The reference is the definition: exact for every op."""
    record_for(NAME, RECORDS, op if isinstance(op, str) else op.op)
    return EXACT


def native_sampler(op: Any) -> None:
    """The reference has no native sampler of its own: it samples with augspec's."""
    return None
