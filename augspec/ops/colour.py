"""Colour: ``brightness``, ``contrast``, ``saturation``, ``hue`` and ``color_jitter``, and the
colour maths, written once (grey level, blend, HSV; rounding from :mod:`augspec.ops.base`).

Samplers: ``factor ~ U(range)`` (for hue, fractions of a turn). ``color_jitter``: ``order`` = a
uniform permutation of the four components, then each active component's factor as above
(``None`` when inactive). Replayed params are checked against these: a finite number in the
spec's range (``None`` exactly where inactive), ``order`` a permutation of the components.

Reference: arithmetic in float64, rounded once per op with round-half-up, clipped to [0, 255].
Grey level ``0.299 R + 0.587 G + 0.114 B`` (ITU-R 601), unrounded. Hue: RGB -> HSV (hexcone),
``h = (h + factor) mod 1``, HSV -> RGB.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, field_validator

from augspec.ops.base import (
    DEFINITION,
    GRAY_WEIGHTS,
    HW,
    MXNET_RANDOM,
    TV_PIL,
    Fact,
    Factor,
    Numerics,
    OpBase,
    OpDef,
    Params,
    Rounding,
    _check_range,
    check_keys,
    check_number,
    to_uint8,
)

COLOR_COMPONENTS = ("brightness", "contrast", "saturation", "hue")
IDENTITY = {"brightness": 1.0, "contrast": 1.0, "saturation": 1.0, "hue": 0.0}

FactorRange = Factor | tuple[Factor, Factor]


def _factor_range(name: str, v: float | tuple[float, float]) -> tuple[float, float]:
    """One number b means the range [max(0, 1 - b), 1 + b] (both frameworks' convention)."""
    if isinstance(v, tuple):
        return v
    return (max(0.0, 1.0 - v), 1.0 + v)


class _FactorOp(OpBase):
    """An op that multiplies something by a factor drawn uniformly from a range."""

    factor: FactorRange

    @field_validator("factor")
    @classmethod
    def _factor(cls, v: float | tuple[float, float]) -> float | tuple[float, float]:
        if isinstance(v, tuple):
            _check_range("factor", v)
        return v

    @property
    def range(self) -> tuple[float, float]:
        return _factor_range("factor", self.factor)

    @property
    def is_random(self) -> bool:
        lo, hi = self.range
        return lo != hi


class Brightness(_FactorOp):
    """Scale pixel values by a factor: ``out = x * f``."""

    op: Literal["brightness"] = "brightness"


class Contrast(_FactorOp):
    """Blend with the mean grey level: ``out = f * x + (1 - f) * mean(gray(x))``."""

    op: Literal["contrast"] = "contrast"


class Saturation(_FactorOp):
    """Blend with the grey image: ``out = f * x + (1 - f) * gray(x)``."""

    op: Literal["saturation"] = "saturation"


_HueBound = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-0.5, le=0.5)]
HueRange = (
    Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=0.5)]
    | tuple[_HueBound, _HueBound]
)


def _hue_range(v: float | tuple[float, float]) -> tuple[float, float]:
    return v if isinstance(v, tuple) else (-v, v)


class Hue(OpBase):
    """Rotate hue by a shift drawn from [-h, h] (fractions of a full turn, h <= 0.5)."""

    op: Literal["hue"] = "hue"
    factor: HueRange

    @field_validator("factor")
    @classmethod
    def _factor(cls, v: float | tuple[float, float]) -> float | tuple[float, float]:
        if isinstance(v, tuple):
            _check_range("factor", v)
        return v

    @property
    def range(self) -> tuple[float, float]:
        return _hue_range(self.factor)

    @property
    def is_random(self) -> bool:
        lo, hi = self.range
        return lo != hi


class ColorJitter(OpBase):
    """Brightness, contrast, saturation and hue, applied in a random order.

    A zero (or absent) component is skipped. The order is a random
    permutation drawn per sample (torchvision's semantics).
    """

    op: Literal["color_jitter"] = "color_jitter"
    brightness: FactorRange = 0.0
    contrast: FactorRange = 0.0
    saturation: FactorRange = 0.0
    hue: HueRange = 0.0

    @field_validator("brightness", "contrast", "saturation", "hue")
    @classmethod
    def _pairs(cls, v: float | tuple[float, float], info: Any) -> float | tuple[float, float]:
        if isinstance(v, tuple):
            _check_range(info.field_name, v)
        return v

    def ranges(self) -> dict[str, tuple[float, float] | None]:
        """The factor range of each component; None where it is a no-op (torchvision's rule)."""
        out: dict[str, tuple[float, float] | None] = {}
        for name in COLOR_COMPONENTS:
            value = getattr(self, name)
            if name == "hue":
                rng, identity = _hue_range(value), (0.0, 0.0)
            else:
                rng, identity = _factor_range(name, value), (1.0, 1.0)
            out[name] = None if rng == identity else rng
        return out

    @property
    def is_random(self) -> bool:
        return any(r is not None for r in self.ranges().values())


# ---- the colour maths ------------------------------------------------------------------


def gray(image: np.ndarray, weights: np.ndarray = GRAY_WEIGHTS) -> np.ndarray:
    """Unrounded grey level (H, W, 1) in float64."""
    return (image.astype(np.float64) @ weights)[..., None]


def blend(
    image: np.ndarray, other: np.ndarray | float, factor: float, rounding: Rounding = to_uint8
) -> np.ndarray:
    return rounding(factor * image.astype(np.float64) + (1.0 - factor) * other)


def adjust_brightness(
    image: np.ndarray, factor: float, rounding: Rounding = to_uint8
) -> np.ndarray:
    return blend(image, 0.0, factor, rounding)


def adjust_contrast(image: np.ndarray, factor: float, rounding: Rounding = to_uint8) -> np.ndarray:
    return blend(image, float(gray(image).mean()), factor, rounding)


def adjust_saturation(
    image: np.ndarray,
    factor: float,
    rounding: Rounding = to_uint8,
    grey_weights: np.ndarray = GRAY_WEIGHTS,
) -> np.ndarray:
    return blend(image, gray(image, grey_weights), factor, rounding)


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
        np.stack(c, -1) for c in ((v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q))
    ]
    out = np.zeros_like(hsv)
    for k, c in enumerate(choices):
        out = np.where((i == k)[..., None], c, out)
    return out


def adjust_hue(image: np.ndarray, factor: float, rounding: Rounding = to_uint8) -> np.ndarray:
    hsv = rgb_to_hsv(image.astype(np.float64) / 255.0)
    hsv[..., 0] = (hsv[..., 0] + factor) % 1.0
    return rounding(hsv_to_rgb(hsv) * 255.0)


# The reference's adjustments, ``(image, factor) -> image`` (backends replay with these).
COLOR_ADJUST: dict[str, Callable[..., np.ndarray]] = {
    "brightness": adjust_brightness,
    "contrast": adjust_contrast,
    "saturation": adjust_saturation,
    "hue": adjust_hue,
}


def adjust(
    name: str, image: np.ndarray, factor: float, numerics: Numerics = DEFINITION
) -> np.ndarray:
    """One colour component under ``numerics`` (the reference's by default)."""
    if name == "saturation":
        grey = np.asarray(numerics.saturation_grey, dtype=np.float64)
        return adjust_saturation(image, factor, numerics.rounding, grey)
    return COLOR_ADJUST[name](image, factor, numerics.rounding)


# ---- samplers and kernels ----------------------------------------------------------------


def _uniform(rng: np.random.Generator, rng_range: tuple[float, float]) -> float:
    return float(rng.uniform(rng_range[0], rng_range[1]))


def _factor_sample(op: _FactorOp | Hue, rng: np.random.Generator, hw: HW) -> Params:
    return {"factor": _uniform(rng, op.range)}


def _jitter_sample(op: ColorJitter, rng: np.random.Generator, hw: HW) -> Params:
    order = [COLOR_COMPONENTS[i] for i in rng.permutation(len(COLOR_COMPONENTS))]
    params: Params = {"order": order}
    for name, rng_range in op.ranges().items():
        params[name] = None if rng_range is None else _uniform(rng, rng_range)
    return params


def _factor_check(op: _FactorOp | Hue, params: Params, hw: HW) -> None:
    check_keys(params, ("factor",))
    lo, hi = op.range
    check_number(params, "factor", lo, hi, "the spec's {} range", op.op)


_JITTER_KEYS = ("order", *COLOR_COMPONENTS)
_COMPONENT_SET = frozenset(COLOR_COMPONENTS)


def _jitter_check(op: ColorJitter, params: Params, hw: HW) -> None:
    check_keys(params, _JITTER_KEYS)
    order = params["order"]
    if (
        not isinstance(order, list)
        or len(order) != len(COLOR_COMPONENTS)
        or not all(isinstance(c, str) for c in order)
        or set(order) != _COMPONENT_SET
    ):
        raise ValueError(
            f"order: Expected a permutation of {list(COLOR_COMPONENTS)}; received order={order!r:.80}"
        )
    for name, rng_range in op.ranges().items():
        if rng_range is not None:
            check_number(params, name, rng_range[0], rng_range[1], "the spec's {} range", name)
        elif params[name] is not None:
            raise ValueError(
                f"{name}: Expected null (the spec's {name} is a no-op); "
                f"received {name}={params[name]!r:.60}"
            )


def _factor_kernel(
    op: _FactorOp | Hue, p: Params, x: np.ndarray, fidelity: str, numerics: Numerics = DEFINITION
) -> np.ndarray:
    return adjust(op.op, x, p["factor"], numerics)


def _jitter_kernel(
    op: ColorJitter, p: Params, x: np.ndarray, fidelity: str, numerics: Numerics = DEFINITION
) -> np.ndarray:
    for name in p["order"]:
        if p[name] is not None:
            x = adjust(name, x, p[name], numerics)
    return x


# ---- parity cases ------------------------------------------------------------------------


def _factor_values(name: str, rng: tuple[float, float]) -> list[tuple[str, float]]:
    values = [(f"{name} = range min", rng[0]), (f"{name} = range max", rng[1])]
    ident = IDENTITY[name]
    if rng[0] < ident < rng[1]:
        values.append((f"{name} = identity", ident))
    if name == "hue":
        values += [(f"hue = {v:+.3f}", v) for v in (-1 / 3, 1 / 6) if rng[0] <= v <= rng[1]]
    return values


def _factor_edges(op: _FactorOp | Hue, hw: HW) -> list[tuple[str, Params]]:
    return [(label, {"factor": v}) for label, v in _factor_values(op.op, op.range)]


def _factor_features(op: _FactorOp | Hue, p: Params, hw: HW) -> dict[str, float]:
    return {"strength": abs(p["factor"] - IDENTITY[op.op])}


def _jitter_edges(op: ColorJitter, hw: HW) -> list[tuple[str, Params]]:
    ranges = op.ranges()
    out = []
    for end, order in ((0, list(COLOR_COMPONENTS)), (1, list(reversed(COLOR_COMPONENTS)))):
        params: Params = {"order": order}
        for name, rng in ranges.items():
            params[name] = None if rng is None else rng[end]
        label = f"all factors at range {'min' if end == 0 else 'max'}, order {'/'.join(order)}"
        out.append((label, params))
    return out


def _jitter_features(op: ColorJitter, p: Params, hw: HW) -> dict[str, float]:
    active = [n for n in COLOR_COMPONENTS if p.get(n) is not None]
    return {"strength": sum(abs(p[n] - IDENTITY[n]) for n in active)}


def _factor_def(name: str, model: type[OpBase], aliases: tuple[str, ...]) -> OpDef:
    return OpDef(
        name,
        model,
        aliases,
        _factor_sample,
        _factor_kernel,
        edge_params=_factor_edges,
        features=_factor_features,
        check_params=_factor_check,
    )


DEFS = (
    _factor_def("brightness", Brightness, ("RandomBrightness",)),
    _factor_def("contrast", Contrast, ("RandomContrast",)),
    _factor_def("saturation", Saturation, ("RandomSaturation",)),
    _factor_def("hue", Hue, ("RandomHue",)),
    OpDef(
        "color_jitter",
        ColorJitter,
        ("ColorJitter", "RandomColorJitter"),
        _jitter_sample,
        _jitter_kernel,
        edge_params=_jitter_edges,
        features=_jitter_features,
        check_params=_jitter_check,
    ),
)

COLOUR_OPS = ("brightness", "contrast", "saturation", "hue", "color_jitter", "lighting")
_ENHANCE = ("brightness", "contrast", "saturation", "color_jitter")

FACTS = (
    Fact(
        "gluon",
        COLOUR_OPS,
        "model:truncate",
        "mxnet's image operators compute in float32 and store with saturate_cast<uint8_t>, "
        "which clamps and then truncates toward zero (no rounding)",
        f"{MXNET_RANDOM} (saturate_cast)",
        summary="mxnet's colour kernels truncate instead of rounding",
    ),
    Fact(
        "gluon",
        ("saturation", "color_jitter"),
        "model:blue_grey",
        "mxnet's AdjustSaturationImpl assigns instead of accumulating the grey level "
        "(`gray = input[l*3 + c] * coef[c]` in a loop over c), so it blends with 0.114*B, not the luma",
        f"{MXNET_RANDOM} (AdjustSaturationImpl)",
        summary="Gluon's saturation blends with 0.114*B instead of the luma (an mxnet bug)",
    ),
    Fact(
        "gluon",
        ("hue", "color_jitter"),
        "model:truncate",
        "mxnet rotates hue in HLS space in float32 (RGB2HLSConvert/HLS2RGBConvert); HLS and HSV share "
        "the hue angle, so what remains is the final truncating cast",
        f"{MXNET_RANDOM} (AdjustHueImpl)",
    ),
    Fact(
        "torchvision",
        _ENHANCE,
        "leans_low",
        "torchvision's PIL path uses PIL.ImageEnhance, which blends with Image.blend into 8 bits "
        "(truncating); Contrast blends with int(mean + 0.5) of the 'L' image and Color with the "
        "8-bit 'L' image, both rounded grey levels",
        f"{TV_PIL} (adjust_*), PIL/ImageEnhance.py",
    ),
    Fact(
        "torchvision",
        _ENHANCE,
        "model:truncate",
        "PIL's Image.blend stores its 8-bit result truncated, not rounded",
        "PIL/ImageEnhance.py (_Enhance.enhance)",
    ),
    Fact(
        "torchvision",
        ("hue", "color_jitter"),
        "beyond_rounding",
        "torchvision's PIL adjust_hue converts to 8-bit HSV and adds np.int32(hue_factor * 255) "
        "to the hue channel: hue quantised to 1/255 of a turn, S and V to 8 bits",
        f"{TV_PIL} (adjust_hue)",
        summary="torchvision's PIL path rotates hue in 8-bit HSV",
    ),
)
