"""Geometry: ``pad`` and ``rotation`` (``affine``, in augspec/ops/affine.py, shares the
rotation's inverse mapping: :func:`warp_points`, :func:`sample_extended`).

``pad`` (torchvision ``Pad``, v1 and v2; Gluon 1.9.1 has no Pad class): draws nothing. The
definition pads ``left, top, right, bottom`` pixels (torchvision's order: one int pads every
side, ``[a, b]`` pads ``a`` left and right and ``b`` top and bottom, four ints are ``[left, top,
right, bottom]``) with ``padding_mode``:

- ``constant``: ``fill`` (one value 0-255, or one per channel);
- ``edge``: the border pixel repeated;
- ``reflect``: mirrored without repeating the border pixel (``numpy.pad(mode="reflect")``,
  ``[1 2 3] -> 3 2 [1 2 3] 2 1``): each side's padding must be smaller than the side it
  mirrors (torch's reflect pad refuses more);
- ``symmetric``: mirrored with the border pixel repeated (``[1 2 3] -> 2 1 [1 2 3] 3 2``): at
  most the side (torchvision's tensor kernel indexes past it).

Negative padding (torchvision crops) is refused: a crop is ``center_crop``/``random_crop``.

``rotation`` (torchvision ``RandomRotation``, v1 and v2; Gluon ``RandomRotation`` and
``Rotate``, aliases with their own argument names). Sampler: ``apply = U[0,1) < p`` then
``angle = U(lo, hi)`` (degrees), both always drawn; replayed params ``{apply, angle}``. Gluon's
``Rotate(a)`` is ``degrees: [a, a]`` (``U(a, a) = a``: deterministic, still two draws).

Reference kernel (inverse mapping, float64). Coordinates are continuous with the origin at the
top-left corner of the image: pixel (row i, column j) covers ``[j, j+1) x [i, i+1)``, its centre
is ``(j + 0.5, i + 0.5)`` (torchvision's and PIL's convention; Gluon's pixel-index grid centred at
``((W-1)/2, (H-1)/2)`` is the same point). The centre of rotation ``c`` is ``center`` (x, y) or
``(W/2, H/2)``. For each output pixel centre ``q`` the source point is
``s = c + g * R(angle) (q - c)``, ``R = [[cos, -sin], [sin, cos]]``: on screen (y down) a
positive angle turns the content counter-clockwise, as torchvision documents and Gluon's
``imrotate`` grid does. ``g`` is 1, or Gluon's zoom: with ``r = hypot(H, W)``,
``a = atan(H / W)``, ``bw = max|r cos(a +- |angle|)|``, ``bh = max|r sin(a +- |angle|)|``,
``zoom_out``: ``g = max(bw / W, bh / H)`` (the whole rotated image shows), ``zoom_in``:
``g = min(W / bw, H / bh)`` (Gluon's formula, mxnet/image/image.py ``imrotate``).

- ``bilinear``: the image extended by ``fill`` beyond its border, interpolated at ``s``: each
  of the four neighbours outside the image counts as ``fill`` (for ``fill = 0`` what Gluon's
  ``BilinearSampler`` and torch's ``grid_sample(padding_mode="zeros")`` compute);
- ``nearest``: the pixel ``floor(s)`` (a point on a pixel boundary takes the pixel right/below
  of it), ``fill`` where that pixel is outside the image.

Rounded half up. ``expand`` (torchvision) is refused: the output size would depend on the drawn
angle, and a spec has one output size per input size.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from augspec.ops.base import (
    DEFINITION,
    HW,
    MAX_FACTOR,
    MAX_SIDE,
    Fact,
    Num,
    Numerics,
    OpBase,
    OpDef,
    Params,
    Prob,
    check_bool,
    check_keys,
    check_number,
    no_check,
    no_params,
)

Level = Annotated[int, Field(strict=True, ge=0, le=255)]
# One fill value for every channel, or one per channel (R, G, B).
Fill = Level | tuple[Level, Level, Level]
PadSide = Annotated[int, Field(strict=True, ge=0, le=MAX_SIDE)]
Padding = PadSide | tuple[PadSide, PadSide] | tuple[PadSide, PadSide, PadSide, PadSide]
PaddingMode = Literal["constant", "edge", "reflect", "symmetric"]
# |angle| beyond this is refused: torch's uniform_ and mxnet draw in float32.
MAX_DEGREES = MAX_FACTOR


def fill_rgb(fill: int | tuple[int, int, int]) -> tuple[int, int, int]:
    return (fill, fill, fill) if isinstance(fill, int) else (fill[0], fill[1], fill[2])


# ---- pad ---------------------------------------------------------------------------------


class Pad(OpBase):
    """Pad the image (torchvision ``Pad(padding, fill, padding_mode)``; ``padding`` in
    torchvision's order: int, ``[left/right, top/bottom]`` or ``[left, top, right, bottom]``)."""

    op: Literal["pad"] = "pad"
    padding: Padding
    fill: Fill = 0
    padding_mode: PaddingMode = "constant"

    @property
    def sides(self) -> tuple[int, int, int, int]:
        """(left, top, right, bottom)."""
        return pad_sides(self.padding)


def pad_sides(padding: int | tuple[int, ...]) -> tuple[int, int, int, int]:
    """torchvision's padding (int, pair or 4-tuple) as (left, top, right, bottom)."""
    if isinstance(padding, int):
        return (padding, padding, padding, padding)
    if len(padding) == 2:
        return (padding[0], padding[1], padding[0], padding[1])
    return (padding[0], padding[1], padding[2], padding[3])


def padded_hw(sides: tuple[int, int, int, int], mode: str, hw: HW, what: str = "pad") -> HW:
    """The size after padding ``sides`` (left, top, right, bottom); ValueError where ``mode``
    cannot pad an ``hw`` image so much or the result is too large."""
    left, top, right, bottom = sides
    h, w = hw
    out = (h + top + bottom, w + left + right)
    if max(out) > MAX_SIDE:
        raise ValueError(
            f"{what}: Expected the padded image <= {MAX_SIDE}x{MAX_SIDE}; received padding "
            f"{list(sides)} (left, top, right, bottom) on a {h}x{w} image ({out[0]}x{out[1]})"
        )
    limit = {"reflect": (w - 1, h - 1), "symmetric": (w, h)}.get(mode)
    if limit is not None and (max(left, right) > limit[0] or max(top, bottom) > limit[1]):
        rule = "smaller than" if mode == "reflect" else "at most"
        raise ValueError(
            f"{what}: Expected padding_mode={mode!r} to pad each side by {rule} the image side it "
            f"mirrors ({h}x{w} image: left/right <= {limit[0]}, top/bottom <= {limit[1]}); "
            f"received padding {list(sides)} (left, top, right, bottom)"
        )
    return out


def pad_image(
    x: np.ndarray, sides: tuple[int, int, int, int], fill: Any = 0, mode: str = "constant"
) -> np.ndarray:
    """The padding kernel (HWC): ``sides`` (left, top, right, bottom) in ``mode``. Shared by
    ``pad`` and ``random_crop``'s zero/fill padding."""
    left, top, right, bottom = sides
    if mode != "constant":
        return np.pad(x, ((top, bottom), (left, right), (0, 0)), mode=mode)  # type: ignore[call-overload]
    h, w, c = x.shape
    out = np.empty((h + top + bottom, w + left + right, c), x.dtype)
    out[...] = np.asarray(fill_rgb(fill) if not np.isscalar(fill) else fill, x.dtype)
    out[top : top + h, left : left + w] = x
    return out


def _pad_hw(op: Pad, hw: HW) -> HW:
    return padded_hw(op.sides, op.padding_mode, hw)


def _pad(
    op: Pad, p: Params, x: np.ndarray, fidelity: str, numerics: Numerics = DEFINITION
) -> np.ndarray:
    return pad_image(x, op.sides, op.fill, op.padding_mode)


# ---- rotation ----------------------------------------------------------------------------

Degree = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-MAX_DEGREES, le=MAX_DEGREES)]


class Rotation(OpBase):
    """Rotate by ``angle ~ U(degrees)`` with probability ``p`` (torchvision ``RandomRotation``,
    Gluon ``RandomRotation``/``Rotate``). ``degrees``: ``d`` (>= 0) means ``[-d, d]``."""

    op: Literal["rotation"] = "rotation"
    degrees: Degree | tuple[Degree, Degree]
    # torchvision's default; Gluon's classes are bilinear only (its aliases write bilinear).
    interpolation: Literal["nearest", "bilinear"] = "nearest"
    expand: bool = False
    center: tuple[Num, Num] | None = None
    fill: Fill = 0
    zoom_in: bool = False
    zoom_out: bool = False
    p: Prob = 1.0

    @field_validator("degrees", mode="after")
    @classmethod
    def _degrees(cls, v: Any) -> tuple[float, float]:
        # Stored as the (min, max) pair it means (torchvision keeps [-d, d] too).
        if isinstance(v, tuple):
            if v[0] > v[1]:
                raise ValueError(
                    f"Expected degrees as (min, max) with min <= max; received degrees={list(v)}"
                )
            return v
        if v < 0:
            raise ValueError(
                f"Expected one degrees value >= 0 (it means [-d, d]; write [min, max] for "
                f"another range); received degrees={v!r}"
            )
        return (-float(v), float(v))

    @model_validator(mode="after")
    def _options(self) -> Rotation:
        if self.expand:
            raise ValueError(
                "Expected expand=false (with expand the output size depends on the drawn angle; "
                "a spec has one output size per input size: rotate without expand, or resize "
                "after); received expand=True"
            )
        if self.zoom_in and self.zoom_out:
            raise ValueError(
                "Expected at most one of zoom_in and zoom_out (Gluon refuses both); "
                "received zoom_in=True and zoom_out=True"
            )
        return self

    @property
    def range(self) -> tuple[float, float]:
        """(min, max) degrees (the validator stores one number d as (-d, d))."""
        d = self.degrees
        return (float(d[0]), float(d[1])) if isinstance(d, tuple) else (-float(d), float(d))

    @property
    def is_random(self) -> bool:
        lo, hi = self.range
        return lo < hi or 0 < self.p < 1


def _rotation_sample(op: Rotation, rng: np.random.Generator, hw: HW) -> Params:
    apply = bool(rng.random() < op.p)
    lo, hi = op.range
    return {"apply": apply, "angle": float(rng.uniform(lo, hi))}


def _rotation_check(op: Rotation, params: Params, hw: HW) -> None:
    check_keys(params, ("apply", "angle"))
    check_bool(params, "apply")
    lo, hi = op.range
    check_number(params, "angle", lo, hi, "degrees drawn from the op's range [{0}, {1}]", lo, hi)


def zoom_scale(angle: float, hw: HW, zoom_in: bool, zoom_out: bool) -> float:
    """Gluon's ``globalscale`` (mxnet/image/image.py ``imrotate``): source = centre + g * R d."""
    if not (zoom_in or zoom_out):
        return 1.0
    h, w = float(hw[0]), float(hw[1])
    theta = abs(math.radians(angle))
    rho, corner = math.hypot(h, w), math.atan(h / w)
    bw = max(abs(rho * math.cos(corner + theta)), abs(rho * math.cos(corner - theta)))
    bh = max(abs(rho * math.sin(corner + theta)), abs(rho * math.sin(corner - theta)))
    return max(bw / w, bh / h) if zoom_out else min(w / bw, h / bh)


def centre_of(center: tuple[float, float] | None, hw: HW) -> tuple[float, float]:
    """The centre (x, y) in continuous coordinates: ``center`` or the image's."""
    return (
        (float(center[0]), float(center[1])) if center is not None else (hw[1] / 2.0, hw[0] / 2.0)
    )


def warp_points(
    lin: np.ndarray, shift: tuple[float, float], centre: tuple[float, float], hw: HW
) -> tuple[np.ndarray, np.ndarray]:
    """Source (x, y) of every output pixel in pixel-index units (pixel centres at integers),
    (H, W) each: ``s = c + lin (q - c - shift)`` for the output pixel centre ``q``."""
    h, w = hw
    cx, cy = centre
    dx = (np.arange(w, dtype=np.float64) + 0.5 - cx - shift[0])[None, :]
    dy = (np.arange(h, dtype=np.float64) + 0.5 - cy - shift[1])[:, None]
    sx = cx + lin[0][0] * dx + lin[0][1] * dy - 0.5
    sy = cy + lin[1][0] * dx + lin[1][1] * dy - 0.5
    return sx, sy


def rotation_matrix(op: Rotation, angle: float, hw: HW) -> np.ndarray:
    """``g R(angle)``: the rotation's map from output offsets to source offsets."""
    g = zoom_scale(angle, hw, op.zoom_in, op.zoom_out)
    theta = math.radians(angle)
    cos, sin = math.cos(theta), math.sin(theta)
    return g * np.array([[cos, -sin], [sin, cos]])


def source_points(op: Rotation, angle: float, hw: HW) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) source coordinates in pixel-index units (pixel centres at integers), (H, W) each."""
    return warp_points(rotation_matrix(op, angle, hw), (0.0, 0.0), centre_of(op.center, hw), hw)


def sample_extended(
    x: np.ndarray, sx: np.ndarray, sy: np.ndarray, fill: Any, interpolation: str
) -> np.ndarray:
    """``x`` (HWC) extended by ``fill`` outside, sampled at index coordinates (sx, sy): float64."""
    h, w, _ = x.shape
    shifted = x.astype(np.float64) - np.asarray(fill_rgb(fill), np.float64)
    if interpolation == "nearest":
        corners = [(np.floor(sx + 0.5), np.floor(sy + 0.5), 1.0)]
    else:
        x0, y0 = np.floor(sx), np.floor(sy)
        fx, fy = sx - x0, sy - y0
        corners = [
            (x0, y0, (1 - fx) * (1 - fy)),
            (x0 + 1, y0, fx * (1 - fy)),
            (x0, y0 + 1, (1 - fx) * fy),
            (x0 + 1, y0 + 1, fx * fy),
        ]
    out = np.zeros((*sx.shape, x.shape[2]), np.float64)
    for cxs, cys, weight in corners:
        inside = (cxs >= 0) & (cxs <= w - 1) & (cys >= 0) & (cys <= h - 1)
        ix = np.clip(cxs, 0, w - 1).astype(np.int64)
        iy = np.clip(cys, 0, h - 1).astype(np.int64)
        out += (np.where(inside, weight, 0.0))[..., None] * shifted[iy, ix]
    return out + np.asarray(fill_rgb(fill), np.float64)


def rotate(
    x: np.ndarray, op: Rotation, angle: float, numerics: Numerics = DEFINITION
) -> np.ndarray:
    hw = (int(x.shape[0]), int(x.shape[1]))
    sx, sy = source_points(op, angle, hw)
    return numerics.rounding(sample_extended(x, sx, sy, op.fill, op.interpolation))


def _rotation(
    op: Rotation, p: Params, x: np.ndarray, fidelity: str, numerics: Numerics = DEFINITION
) -> np.ndarray:
    return rotate(x, op, p["angle"], numerics) if p["apply"] else x


def _rotation_edges(op: Rotation, hw: HW) -> list[tuple[str, Params]]:
    lo, hi = op.range
    out = [
        ("smallest angle", {"apply": True, "angle": lo}),
        ("largest angle", {"apply": True, "angle": hi}),
    ]
    if lo <= 90 <= hi:
        out.append(("quarter turn", {"apply": True, "angle": 90.0}))
    out.append(("not applied", {"apply": False, "angle": lo}))
    return out


def _rotation_features(op: Rotation, p: Params, hw: HW) -> dict[str, float]:
    return {"abs_angle": abs(float(p["angle"])) % 360.0}


DEFS = (
    OpDef(
        "pad",
        Pad,
        ("Pad",),
        no_params,
        _pad,
        output_hw=_pad_hw,
        odd_sizes=True,
        check_params=no_check,
    ),
    OpDef(
        "rotation",
        Rotation,
        ("RandomRotation", "Rotate"),
        _rotation_sample,
        _rotation,
        edge_params=_rotation_edges,
        features=_rotation_features,
        odd_sizes=True,
        check_params=_rotation_check,
    ),
)

_TV_V2_GEOMETRY = "torchvision/transforms/v2/functional/_geometry.py"
_TV_TENSOR = "torchvision/transforms/_functional_tensor.py"

FACTS: tuple[Fact, ...] = (
    Fact(
        "torchvision",
        ("rotation", "affine"),
        "beyond_rounding",
        "torchvision's PIL path runs Image.rotate (RandomAffine: Image.transform, the same affine kernel): bilinear takes the fill for a whole output "
        "pixel whose source point lies outside the image and clamps the neighbours inside (the "
        "spec blends the fill in by the bilinear weights: a hard edge instead of a soft one, up "
        "to 124 levels on the border band, within 1 inside); nearest runs in 16.16 fixed point "
        "(affine_fixed), which picks a neighbouring pixel where the source point lies near a "
        "pixel boundary (max 86, mean 0.016 on a 96x128 photo)",
        "Pillow src/libImaging/Geometry.c (ImagingTransformAffine, affine_fixed, bilinear_filter)",
        summary="torchvision's PIL rotate has hard fill edges and fixed-point nearest picks",
    ),
    Fact(
        "torchvision-v2",
        ("rotation", "affine"),
        "beyond_rounding",
        "v2's _apply_grid_transform samples the image with grid_sample(padding_mode='zeros') "
        "(already blended with zeros on the border band), then blends in the fill with the "
        "sampled mask m as mask * (img - fill) + fill, i.e. multiplies the border pixels by m "
        "a second time (the band darkened: up to 64 levels; within 1 inside, float32 grid); v1 "
        "on a tensor does the same (img * mask + (1 - mask) * fill)",
        f"{_TV_V2_GEOMETRY} (_apply_grid_transform), {_TV_TENSOR} (_apply_grid_transform)",
        summary="torchvision's tensor rotate darkens the border band (mask applied twice)",
    ),
    Fact(
        "gluon",
        ("rotation",),
        "beyond_rounding",
        "mxnet's imrotate normalises its grid by (W - 1) / 2 and (H - 1) / 2: on an image one "
        "pixel wide or high that is 0 / 0, the grid is NaN and BilinearSampler's output is "
        "garbage (1x1: mean 185); on every other size it is the spec's rotation up to its float32 "
        "grid (600x512 photo: max 1, mean 1.8e-06)",
        "mxnet python/mxnet/image/image.py (imrotate)",
        summary="Gluon's rotation fails on images one pixel wide or high (0/0 in its grid)",
    ),
)
