"""Crops: ``random_resized_crop``, ``center_crop`` and ``random_crop``.

Samplers:

- ``random_resized_crop``: torchvision's algorithm. Up to 10 tries of
  ``area ~ U(scale) * H * W``, ``log(aspect) ~ U(log ratio)``,
  ``w = round(sqrt(area * aspect))``, ``h = round(sqrt(area / aspect))``;
  the first box that fits is placed uniformly. Otherwise the central box
  with the aspect clamped into ``ratio``, at least 1 pixel per side
  (torchvision's fallback rounds a side to 0 on tiny images with a narrow
  ``ratio``, e.g. 1x1 with ratio [0.5, 0.5]: an empty box).
- ``random_crop``: ``top ~ U{0..H+2p-h}``, ``left ~ U{0..W+2p-w}``.

Replayed params are checked against the size the op sees: integer boxes, non-empty and inside
the (padded) image. An edited box of another area or aspect is a crop every backend makes alike.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, field_validator

from augspec.ops.base import (
    DEFINITION,
    HW,
    MAX_SIDE,
    Fact,
    Interpolation,
    NonNeg,
    Numerics,
    OpBase,
    OpDef,
    Params,
    Size,
    _check_range,
    _size_hw,
    check_int,
    check_keys,
    no_check,
    no_params,
)
from augspec.ops.geometry import pad_image
from augspec.ops.resize import resize


class RandomResizedCrop(OpBase):
    """Crop a random area/aspect box, then resize it to ``size``.

    ``size``: (height, width), or one int for a square output. ``scale`` is the
    range of the box area as a fraction of the image area; ``ratio`` the range
    of its width/height aspect, drawn log-uniformly.
    """

    op: Literal["random_resized_crop"] = "random_resized_crop"
    size: Size
    scale: tuple[NonNeg, NonNeg] = (0.08, 1.0)
    ratio: tuple[NonNeg, NonNeg] = (3 / 4, 4 / 3)
    interpolation: Interpolation = "bilinear"

    @field_validator("scale")
    @classmethod
    def _scale(cls, v: tuple[float, float]) -> tuple[float, float]:
        _check_range("scale", v)
        if v[1] <= 0 or v[1] > 1:
            raise ValueError(f"Expected scale max in (0, 1]; received scale={list(v)}")
        return v

    @field_validator("ratio")
    @classmethod
    def _ratio(cls, v: tuple[float, float]) -> tuple[float, float]:
        _check_range("ratio", v)
        # An aspect beyond MAX_SIDE:1 fits no image augspec takes; bounding it keeps log/exp
        # of the ratio finite in every framework's sampler.
        if v[0] < 1 / MAX_SIDE or v[1] > MAX_SIDE:
            raise ValueError(
                f"Expected ratio within [1/{MAX_SIDE}, {MAX_SIDE}] (aspect width/height); "
                f"received ratio={list(v)}"
            )
        return v

    @property
    def hw(self) -> tuple[int, int]:
        return _size_hw(self.size)

    @property
    def is_random(self) -> bool:
        return True


class CenterCrop(OpBase):
    """Crop the central (height, width) box; one int means a square."""

    op: Literal["center_crop"] = "center_crop"
    size: Size

    @property
    def hw(self) -> tuple[int, int]:
        return _size_hw(self.size)


class RandomCrop(OpBase):
    """Zero-pad each side by ``padding`` pixels, then crop a random ``size`` box.

    The CIFAR recipe is ``{op: random_crop, size: 32, padding: 4}``.
    """

    op: Literal["random_crop"] = "random_crop"
    size: Size
    padding: Annotated[int, Field(strict=True, ge=0, le=MAX_SIDE)] = 0
    fill: Annotated[int, Field(strict=True, ge=0, le=255)] = 0

    @property
    def hw(self) -> tuple[int, int]:
        return _size_hw(self.size)

    @property
    def is_random(self) -> bool:
        return True


# ---- random_resized_crop -----------------------------------------------------------------


def rrc_box(
    hw: HW,
    scale: tuple[float, float],
    ratio: tuple[float, float],
    rng: np.random.Generator,
) -> tuple[int, int, int, int]:
    """torchvision's RandomResizedCrop.get_params with numpy draws: (top, left, height, width)."""
    height, width = hw
    area = height * width
    log_lo, log_hi = math.log(ratio[0]), math.log(ratio[1])
    for _ in range(10):
        target_area = area * rng.uniform(scale[0], scale[1])
        aspect = math.exp(rng.uniform(log_lo, log_hi))
        w = int(round(math.sqrt(target_area * aspect)))
        h = int(round(math.sqrt(target_area / aspect)))
        if 0 < w <= width and 0 < h <= height:
            top = int(rng.integers(0, height - h + 1))
            left = int(rng.integers(0, width - w + 1))
            return top, left, h, w
    # Fallback: the central box, aspect clamped into ratio (never empty: torchvision's can be).
    in_ratio = width / height
    if in_ratio < min(ratio):
        w, h = width, max(1, int(round(width / min(ratio))))
    elif in_ratio > max(ratio):
        h, w = height, max(1, int(round(height * max(ratio))))
    else:
        w, h = width, height
    return (height - h) // 2, (width - w) // 2, h, w


def _rrc_sample(op: RandomResizedCrop, rng: np.random.Generator, hw: HW) -> Params:
    top, left, h, w = rrc_box(hw, op.scale, op.ratio, rng)
    return {"top": top, "left": left, "height": h, "width": w}


_INSIDE = "a non-empty box inside the {0}x{1} image the op sees"


def check_box(params: Params, hw: HW) -> None:
    """A non-empty (top, left, height, width) box inside an ``hw`` image."""
    check_keys(params, ("top", "left", "height", "width"))
    H, W = hw
    check_int(params, "height", 1, H, _INSIDE, H, W)
    check_int(params, "width", 1, W, _INSIDE, H, W)
    check_int(params, "top", 0, H - params["height"], _INSIDE + ": top + height <= {0}", H, W)
    check_int(params, "left", 0, W - params["width"], _INSIDE + ": left + width <= {1}", H, W)


def _rrc_check(op: RandomResizedCrop, params: Params, hw: HW) -> None:
    check_box(params, hw)


def _rrc(
    op: RandomResizedCrop, p: Params, x: np.ndarray, fidelity: str, numerics: Numerics = DEFINITION
) -> np.ndarray:
    box = x[p["top"] : p["top"] + p["height"], p["left"] : p["left"] + p["width"]]
    return resize(box, op.hw, op.interpolation, numerics.antialias, numerics.rounding)


def _fit_box(hw: HW, area: float, aspect: float) -> HW:
    h = max(1, min(hw[0], int(round(math.sqrt(area / aspect)))))
    w = max(1, min(hw[1], int(round(math.sqrt(area * aspect)))))
    return h, w


def _rrc_edges(op: RandomResizedCrop, hw: HW) -> list[tuple[str, Params]]:
    H, W = hw
    oh, ow = op.hw
    out = [("full image", {"top": 0, "left": 0, "height": H, "width": W})]
    for name, aspect in (("min", op.ratio[0]), ("max", op.ratio[1])):
        h, w = _fit_box(hw, max(op.scale[0], 1e-3) * H * W, aspect)
        box = {"top": H - h, "left": W - w, "height": h, "width": w}
        out.append((f"smallest area, {name} aspect, bottom-right", box))
    if oh <= H and ow <= W:
        box = {"top": 1, "left": 1, "height": oh, "width": ow}
        out.append(("box = output size (no resampling)", box))
    h2, w2 = max(1, oh // 2), max(1, ow // 2)
    if h2 <= H and w2 <= W:
        box = {"top": 0, "left": 0, "height": h2, "width": w2}
        out.append(("box = half the output (2x upscale)", box))
    return out


def _rrc_features(op: RandomResizedCrop, p: Params, hw: HW) -> dict[str, float]:
    return {"downscale": max(p["height"] / op.hw[0], p["width"] / op.hw[1])}


# ---- center_crop -------------------------------------------------------------------------


def center_box(hw: HW, crop: HW) -> HW:
    """Top-left of the central crop; torchvision's rounding (round((H - h) / 2))."""
    return int(round((hw[0] - crop[0]) / 2.0)), int(round((hw[1] - crop[1]) / 2.0))


def _center_crop_hw(op: CenterCrop, hw: HW) -> HW:
    h, w = hw
    ch, cw = op.hw
    if ch > h or cw > w:
        raise ValueError(
            f"center_crop: Expected size <= image size {h}x{w}; received size={op.size}"
        )
    return op.hw


def _center_crop(
    op: CenterCrop, p: Params, x: np.ndarray, fidelity: str, numerics: Numerics = DEFINITION
) -> np.ndarray:
    ch, cw = op.hw
    top, left = center_box((x.shape[0], x.shape[1]), (ch, cw))
    return x[top : top + ch, left : left + cw].copy()


# ---- random_crop -------------------------------------------------------------------------


def _random_crop_hw(op: RandomCrop, hw: HW) -> HW:
    h, w = hw
    ch, cw = op.hw
    ph, pw = h + 2 * op.padding, w + 2 * op.padding
    if ph > MAX_SIDE or pw > MAX_SIDE:
        raise ValueError(
            f"random_crop: Expected the padded image <= {MAX_SIDE}x{MAX_SIDE}; "
            f"received padding={op.padding} on a {h}x{w} image ({ph}x{pw})"
        )
    if ch > ph or cw > pw:
        raise ValueError(
            f"random_crop: Expected size <= padded image size {ph}x{pw}; "
            f"received size={op.size}, padding={op.padding} on a {h}x{w} image"
        )
    return op.hw


def _random_crop_sample(op: RandomCrop, rng: np.random.Generator, hw: HW) -> Params:
    _random_crop_hw(op, hw)  # raises a clear error if the crop cannot fit
    ch, cw = op.hw
    top = int(rng.integers(0, hw[0] + 2 * op.padding - ch + 1))
    left = int(rng.integers(0, hw[1] + 2 * op.padding - cw + 1))
    return {"top": top, "left": left}


def _random_crop_check(op: RandomCrop, params: Params, hw: HW) -> None:
    check_keys(params, ("top", "left"))
    ph, pw = hw[0] + 2 * op.padding, hw[1] + 2 * op.padding
    ch, cw = op.hw
    where = "the {0}x{1} box inside the {2}x{3} padded image"
    check_int(params, "top", 0, ph - ch, where, ch, cw, ph, pw)
    check_int(params, "left", 0, pw - cw, where, ch, cw, ph, pw)


def _random_crop(
    op: RandomCrop, p: Params, x: np.ndarray, fidelity: str, numerics: Numerics = DEFINITION
) -> np.ndarray:
    pad = op.padding
    if pad:
        x = pad_image(x, (pad, pad, pad, pad), op.fill)  # the pad op's kernel, written once
    ch, cw = op.hw
    return x[p["top"] : p["top"] + ch, p["left"] : p["left"] + cw].copy()


def _random_crop_edges(op: RandomCrop, hw: HW) -> list[tuple[str, Params]]:
    ph, pw = hw[0] + 2 * op.padding - op.hw[0], hw[1] + 2 * op.padding - op.hw[1]
    return [
        ("top-left corner (padding)", {"top": 0, "left": 0}),
        ("bottom-right corner", {"top": ph, "left": pw}),
    ]


DEFS = (
    OpDef(
        "random_resized_crop",
        RandomResizedCrop,
        ("RandomResizedCrop",),
        _rrc_sample,
        _rrc,
        output_hw=lambda op, hw: op.hw,
        edge_params=_rrc_edges,
        features=_rrc_features,
        check_params=_rrc_check,
    ),
    OpDef(
        "center_crop",
        CenterCrop,
        ("CenterCrop",),
        no_params,
        _center_crop,
        output_hw=_center_crop_hw,
        odd_sizes=True,  # the centring of an odd margin
        check_params=no_check,
    ),
    OpDef(
        "random_crop",
        RandomCrop,
        ("RandomCrop",),
        _random_crop_sample,
        _random_crop,
        output_hw=_random_crop_hw,
        edge_params=_random_crop_edges,
        check_params=_random_crop_check,
    ),
)

FACTS = (
    Fact(
        "gluon",
        ("center_crop",),
        "edge_only",
        "mxnet's center_crop places the box at int((W - w) / 2), truncating an odd margin; "
        "the reference (and torchvision) round it",
        "mxnet/image/image.py (center_crop)",
        summary="Gluon's CenterCrop truncates an odd margin where the spec rounds it",
    ),
)
