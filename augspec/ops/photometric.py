"""Photometric ops on uint8 values: ``invert``, ``solarize``, ``posterize``, ``grayscale``,
``random_grayscale``, ``autocontrast``, ``equalize``, ``channel_permutation``, ``sharpness``.

All but ``grayscale`` and ``channel_permutation`` are applied with probability ``p``, as
torchvision's ``Random*`` classes (v1 and v2) are. Sampler: ``apply = U[0,1) < p`` (one draw
whatever ``p`` is); replayed params: ``apply`` a bool. Reference (on uint8 values):

- ``invert``: ``255 - x``;
- ``solarize``: ``255 - x`` where ``x >= threshold``, else ``x`` (``threshold`` in 0-255 units;
  torchvision compares ``img >= threshold`` on tensors, PIL's ``ImageOps.solarize`` keeps
  ``i < threshold``: the same set);
- ``posterize``: keep the ``bits`` (1-8) high bits of each value (``x & (0xFF << (8 - bits))``;
  ``bits=8`` is the image).
- ``grayscale`` (always) and ``random_grayscale`` (with probability ``p``, default 0.1 as
  torchvision's): the grey level ``0.299 R + 0.587 G + 0.114 B`` (ITU-R 601, float64, the
  ``saturation`` op's grey level) rounded half up, in all three channels. ``grayscale`` draws
  nothing. Only ``num_output_channels=3``, and written: augspec images stay RGB, and
  torchvision's default, 1, is refused with that reason.
- ``autocontrast``: per channel, ``(x - lo) * 255 / (hi - lo)`` in float64 rounded half up
  (``lo``, ``hi``: the channel's min and max; a constant channel is kept).
- ``equalize``: per channel, PIL's ``ImageOps.equalize`` (integer maths, what torchvision copies):
  ``h`` the histogram, ``step = (sum(h) - h[last value present]) // 255``; ``step == 0`` keeps the
  channel, else ``lut[i] = min(255, (step // 2 + h[0] + ... + h[i-1]) // step)``.
- ``sharpness`` (``RandomAdjustSharpness(sharpness_factor, p)``): blend with the image
  smoothed by ``[[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13`` (rounded; no sum / 13 lies on .5),
  border pixels (and images under 3x3) unsmoothed: ``factor * x + (1 - factor) * smooth`` in
  float64, rounded half up and clipped.
- ``channel_permutation`` (v2 ``RandomChannelPermutation``): sampler ``perm = permutation(3)``
  (always drawn); output channel ``i`` is input channel ``perm[i]``.

Gluon 1.9.1 has none of these classes: its backend ports them (``backends/gluon_photometric.py``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from augspec.ops.base import (
    DEFINITION,
    HW,
    Fact,
    Factor,
    Numerics,
    OpBase,
    OpDef,
    Params,
    Prob,
    ReferenceKernel,
    check_bool,
    check_keys,
    no_check,
    no_params,
)
from augspec.ops.colour import gray

# A solarize threshold in 0-255 units: above 255 no uint8 value is inverted (v2 refuses it).
Threshold = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=255)]
# Bits kept by posterize: 1-8. torchvision documents 0-8 and v2's tensor kernel takes 0 (all
# black), but v1 on a PIL image (the chapter's path) calls PIL's ImageOps.posterize, which
# refuses bits=0 ("bits must be between or equal to 1 and 8", Pillow 13): the spec keeps what
# every backend runs.
Bits = Annotated[int, Field(strict=True, ge=1, le=8)]


class _ApplyOp(OpBase):
    """An op applied with probability ``p`` (torchvision's ``Random*`` photometric classes)."""

    p: Prob = 0.5

    @property
    def is_random(self) -> bool:
        return 0 < self.p < 1


class Invert(_ApplyOp):
    """``255 - x`` with probability ``p`` (torchvision ``RandomInvert``)."""

    op: Literal["invert"] = "invert"


class Solarize(_ApplyOp):
    """Invert every value ``>= threshold`` with probability ``p`` (``RandomSolarize``)."""

    op: Literal["solarize"] = "solarize"
    threshold: Threshold


class Posterize(_ApplyOp):
    """Keep the ``bits`` high bits of each value with probability ``p`` (``RandomPosterize``)."""

    op: Literal["posterize"] = "posterize"
    bits: Bits


class Grayscale(OpBase):
    """The grey level in all three channels (torchvision ``Grayscale(num_output_channels=3)``)."""

    op: Literal["grayscale"] = "grayscale"
    # Required: torchvision's default is 1, which augspec cannot express; writing 3 keeps
    # {op: Grayscale} from meaning something else than Grayscale() does.
    num_output_channels: Literal[3]

    @model_validator(mode="before")
    @classmethod
    def _channels_written(cls, data: Any) -> Any:
        if isinstance(data, dict) and "num_output_channels" not in data:
            raise ValueError(
                "Expected num_output_channels: 3 written out (torchvision's Grayscale() "
                "defaults to 1, one channel, which augspec images cannot hold: they stay RGB); "
                "received no num_output_channels"
            )
        return data

    @field_validator("num_output_channels", mode="before")
    @classmethod
    def _three_channels(cls, value: Any) -> Any:
        if value == 1 and not isinstance(value, bool):
            raise ValueError(
                "Expected num_output_channels=3 (augspec images stay RGB: the grey level in "
                "all three channels; one-channel output is not supported yet); received "
                "num_output_channels=1 (torchvision's default: write num_output_channels: 3)"
            )
        return value


class Autocontrast(_ApplyOp):
    """Stretch each channel to 0-255 with probability ``p`` (``RandomAutocontrast``)."""

    op: Literal["autocontrast"] = "autocontrast"


class Equalize(_ApplyOp):
    """Equalize each channel's histogram with probability ``p`` (``RandomEqualize``)."""

    op: Literal["equalize"] = "equalize"


class Sharpness(_ApplyOp):
    """Blend with a smoothed copy with probability ``p`` (``RandomAdjustSharpness``): 0 blurs,
    1 keeps, 2 sharpens."""

    op: Literal["sharpness"] = "sharpness"
    factor: Factor


class ChannelPermutation(OpBase):
    """Shuffle the three channels (torchvision v2 ``RandomChannelPermutation``)."""

    op: Literal["channel_permutation"] = "channel_permutation"

    @property
    def is_random(self) -> bool:
        return True


class RandomGrayscale(_ApplyOp):
    """:class:`Grayscale` with probability ``p`` (torchvision ``RandomGrayscale``, p=0.1)."""

    op: Literal["random_grayscale"] = "random_grayscale"
    p: Prob = 0.1


# The ops whose params are ``{"apply": U[0,1) < p}`` alone (the batched sampler draws them so).
APPLY_ONLY = (
    "invert",
    "solarize",
    "posterize",
    "random_grayscale",
    "autocontrast",
    "equalize",
    "sharpness",
)


def _sample(op: _ApplyOp, rng: np.random.Generator, hw: HW) -> Params:
    return {"apply": bool(rng.random() < op.p)}


def _check(op: _ApplyOp, params: Params, hw: HW) -> None:
    # Either outcome is replayable whatever p is (the parity cases replay both).
    check_keys(params, ("apply",))
    check_bool(params, "apply")


def _edges(op: OpBase, hw: HW) -> list[tuple[str, Params]]:
    return [("applied", {"apply": True}), ("not applied", {"apply": False})]


def invert(x: np.ndarray) -> np.ndarray:
    return (255 - x.astype(np.int16)).astype(np.uint8)


def solarize(x: np.ndarray, threshold: float) -> np.ndarray:
    return np.where(x >= threshold, invert(x), x)


def posterize(x: np.ndarray, bits: int) -> np.ndarray:
    return x & np.uint8((0xFF << (8 - bits)) & 0xFF)


def grayscale(x: np.ndarray, numerics: Numerics = DEFINITION) -> np.ndarray:
    """The rounded grey level, three times (H, W, 3)."""
    return np.repeat(numerics.rounding(gray(x)), 3, axis=2)


def _grayscale(
    op: Grayscale, p: Params, x: np.ndarray, fidelity: str, numerics: Numerics = DEFINITION
) -> np.ndarray:
    return grayscale(x, numerics)


def _random_grayscale(
    op: RandomGrayscale, p: Params, x: np.ndarray, fidelity: str, numerics: Numerics = DEFINITION
) -> np.ndarray:
    return grayscale(x, numerics) if p["apply"] else x


def autocontrast(x: np.ndarray, numerics: Numerics = DEFINITION) -> np.ndarray:
    values = x.astype(np.float64)
    lo = values.min(axis=(0, 1), keepdims=True)
    hi = values.max(axis=(0, 1), keepdims=True)
    flat = hi == lo
    stretched = numerics.rounding((values - lo) * 255.0 / np.where(flat, 1.0, hi - lo))
    return np.where(flat, x, stretched)


def equalize_lut(channel: np.ndarray) -> np.ndarray | None:
    """PIL's equalize table of one uint8 channel, or None where it keeps the channel."""
    hist = np.bincount(channel.ravel(), minlength=256).astype(np.int64)
    last = hist[np.flatnonzero(hist)[-1]]
    step = (int(hist.sum()) - int(last)) // 255
    if step == 0:
        return None
    below = np.concatenate([[0], np.cumsum(hist)[:-1]])
    return np.minimum((below + step // 2) // step, 255).astype(np.uint8)


def equalize(x: np.ndarray) -> np.ndarray:
    out = x.copy()
    for c in range(x.shape[2]):
        lut = equalize_lut(x[..., c])
        if lut is not None:
            out[..., c] = lut[x[..., c]]
    return out


def _autocontrast(
    op: Autocontrast, p: Params, x: np.ndarray, fidelity: str, numerics: Numerics = DEFINITION
) -> np.ndarray:
    return autocontrast(x, numerics) if p["apply"] else x


def _equalize(
    op: Equalize, p: Params, x: np.ndarray, fidelity: str, numerics: Numerics = DEFINITION
) -> np.ndarray:
    return equalize(x) if p["apply"] else x


def smoothed(x: np.ndarray) -> np.ndarray:
    """PIL's SMOOTH filter: interior pixels (1 1 1; 1 5 1; 1 1 1) / 13, rounded; border kept."""
    out = x.copy()
    h, w = x.shape[:2]
    if h < 3 or w < 3:
        return out
    v = x.astype(np.int64)
    total = 4 * v[1:-1, 1:-1]
    for dy in range(3):
        for dx in range(3):
            total = total + v[dy : h - 2 + dy, dx : w - 2 + dx]
    out[1:-1, 1:-1] = np.floor(total / 13.0 + 0.5).astype(np.uint8)
    return out


def sharpen(x: np.ndarray, factor: float, numerics: Numerics = DEFINITION) -> np.ndarray:
    values = x.astype(np.float64)
    return numerics.rounding(factor * values + (1.0 - factor) * smoothed(x).astype(np.float64))


def _sharpness(
    op: Sharpness, p: Params, x: np.ndarray, fidelity: str, numerics: Numerics = DEFINITION
) -> np.ndarray:
    return sharpen(x, op.factor, numerics) if p["apply"] else x


def _sample_perm(op: ChannelPermutation, rng: np.random.Generator, hw: HW) -> Params:
    return {"perm": [int(i) for i in rng.permutation(3)]}


def _check_perm(op: ChannelPermutation, params: Params, hw: HW) -> None:
    check_keys(params, ("perm",))
    perm = params["perm"]
    if (
        not isinstance(perm, (list, tuple))
        or any(isinstance(i, bool) or not isinstance(i, (int, np.integer)) for i in perm)
        or sorted(int(i) for i in perm) != [0, 1, 2]
    ):
        raise ValueError(
            f"perm: Expected a permutation of [0, 1, 2] (a list of 3 ints); received perm={perm!r:.60}"
        )


def _perm_edges(op: OpBase, hw: HW) -> list[tuple[str, Params]]:
    return [("identity", {"perm": [0, 1, 2]}), ("reversed (BGR)", {"perm": [2, 1, 0]})]


def _channel_permutation(
    op: ChannelPermutation, p: Params, x: np.ndarray, fidelity: str, numerics: Numerics = DEFINITION
) -> np.ndarray:
    return x[..., [int(i) for i in p["perm"]]]


def _invert(
    op: Invert, p: Params, x: np.ndarray, fidelity: str, numerics: Numerics = DEFINITION
) -> np.ndarray:
    return invert(x) if p["apply"] else x


def _solarize(
    op: Solarize, p: Params, x: np.ndarray, fidelity: str, numerics: Numerics = DEFINITION
) -> np.ndarray:
    return solarize(x, op.threshold) if p["apply"] else x


def _posterize(
    op: Posterize, p: Params, x: np.ndarray, fidelity: str, numerics: Numerics = DEFINITION
) -> np.ndarray:
    return posterize(x, op.bits) if p["apply"] else x


def _def(name: str, model: type[_ApplyOp], alias: str, kernel: ReferenceKernel) -> OpDef:
    return OpDef(
        name,
        model,
        (alias,),
        _sample,
        kernel,
        edge_params=_edges,
        check_params=_check,
    )


DEFS = (
    _def("invert", Invert, "RandomInvert", _invert),
    _def("solarize", Solarize, "RandomSolarize", _solarize),
    _def("posterize", Posterize, "RandomPosterize", _posterize),
    OpDef(
        "grayscale",
        Grayscale,
        ("Grayscale",),
        no_params,
        _grayscale,
        check_params=no_check,
    ),
    _def("random_grayscale", RandomGrayscale, "RandomGrayscale", _random_grayscale),
    _def("autocontrast", Autocontrast, "RandomAutocontrast", _autocontrast),
    _def("equalize", Equalize, "RandomEqualize", _equalize),
    _def("sharpness", Sharpness, "RandomAdjustSharpness", _sharpness),
    OpDef(
        "channel_permutation",
        ChannelPermutation,
        ("RandomChannelPermutation",),
        _sample_perm,
        _channel_permutation,
        edge_params=_perm_edges,
        check_params=_check_perm,
    ),
)

_TV_V2_COLOR = "torchvision/transforms/v2/functional/_color.py"
_TV_TENSOR = "torchvision/transforms/_functional_tensor.py"

FACTS: tuple[Fact, ...] = (
    Fact(
        "torchvision-v2",
        ("grayscale", "random_grayscale"),
        "leans_low",
        "v2's _rgb_to_grayscale_image weights red 0.2989 (not 0.299) and casts the float grey "
        "level to uint8 with .to(image.dtype), which truncates: about half the values one level low",
        f"{_TV_V2_COLOR} (_rgb_to_grayscale_image)",
        summary="torchvision v2's grayscale truncates its grey level (and weights red 0.2989)",
    ),
    Fact(
        "torchvision",
        ("grayscale", "random_grayscale"),
        "plus_minus_one",
        "torchvision's PIL path converts with Image.convert('L'): (19595 R + 38470 G + 7471 B + "
        "0x8000) >> 16, the ITU-R 601 weights in 16-bit fixed point, rounded: one level apart "
        "where the float64 grey level lies within 2**-16 of a .5 boundary",
        "torchvision/transforms/_functional_pil.py (to_grayscale), Pillow src/libImaging/Convert.c (L24)",
    ),
    Fact(
        "gluon",
        ("grayscale", "random_grayscale"),
        "plus_minus_one",
        "augspec's Gluon port sums 0.299 R + 0.587 G + 0.114 B with mx.nd in that order, the "
        "reference with a numpy matrix product: a grey level exactly on .5 in one order may round "
        "the other way in the other",
        "augspec/backends/gluon_photometric.py (grayscale), augspec/ops/colour.py (gray)",
    ),
    Fact(
        "torchvision",
        ("autocontrast",),
        "leans_low",
        "PIL's ImageOps.autocontrast builds its table as int(i * scale + offset), truncating; "
        "torchvision's tensor kernel casts a float32 quotient to uint8, truncating too",
        f"PIL/ImageOps.py (autocontrast), {_TV_TENSOR} (autocontrast)",
        summary="torchvision's autocontrast truncates where the spec rounds",
    ),
    Fact(
        "torchvision",
        ("sharpness",),
        "leans_low",
        "torchvision's PIL path runs ImageEnhance.Sharpness: Image.blend of the SMOOTH-filtered "
        "image and the image, stored truncated; its tensor kernel casts a float32 blend to uint8",
        f"PIL/ImageEnhance.py (Sharpness), {_TV_TENSOR} (adjust_sharpness)",
        summary="torchvision's sharpness truncates its blend where the spec rounds",
    ),
    Fact(
        "torchvision-v2",
        ("sharpness",),
        "leans_low",
        "v2's adjust_sharpness_image blends x + (1 - factor) * (smooth - x) in float32 and casts "
        "to uint8, truncating",
        f"{_TV_V2_COLOR} (adjust_sharpness_image)",
    ),
    Fact(
        "torchvision-v2",
        ("autocontrast",),
        "leans_low",
        "v2's autocontrast_image divides (x - lo) by (hi - lo) / 255 in float32 and casts to uint8, "
        "truncating; the float32 quotient of an exact integer may land just below it",
        f"{_TV_V2_COLOR} (autocontrast_image)",
    ),
)
