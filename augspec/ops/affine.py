"""``affine``: torchvision ``RandomAffine(degrees, translate, scale, shear, interpolation, fill,
center)`` (v1, v2; Gluon 1.9.1 has no such class: ported).

Sampler (torchvision's ``get_params``, every draw always made): ``angle = U(degrees)``;
``tx = round(U(-a W, a W))``, ``ty = round(U(-b H, b H))`` for ``translate = (a, b)`` (0 without
translate; Python's round, half to even, as torchvision's ``int(round(...))``);
``scale = U(scale)`` (1 without); ``shear_x = U(shear[0], shear[1])``, ``shear_y =
U(shear[2], shear[3])`` (0 without). Replayed params: ``angle, tx, ty, scale, shear_x,
shear_y``.

Kernel: the rotation's inverse mapping (:func:`augspec.ops.geometry.warp_points`, same pixel
convention, fill and interpolation), with torchvision's inverse matrix
(``_get_inverse_affine_matrix``): with ``r`` the angle and ``sx, sy`` the shears in radians,
``a = cos(r - sy) / cos(sy)``, ``b = -cos(r - sy) tan(sx) / cos(sy) - sin(r)``,
``c = sin(r - sy) / cos(sy)``, ``d = -sin(r - sy) tan(sx) / cos(sy) + cos(r)``; the source of the
output pixel centre ``q`` is ``centre + [[d, -b], [-c, a]] / scale (q - centre - (tx, ty))``.
torchvision's ``affine`` angle turns clockwise on screen (``rotate`` passes ``-angle``):
``affine`` with angle ``t`` is ``rotation`` with ``-t``.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, field_validator

from augspec.ops.base import (
    DEFINITION,
    HW,
    MAX_FACTOR,
    Fact,
    Num,
    Numerics,
    OpBase,
    OpDef,
    Params,
    check_int,
    check_keys,
    check_number,
)
from augspec.ops.geometry import Fill, centre_of, sample_extended, warp_points

Degree = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-MAX_FACTOR, le=MAX_FACTOR)]
# A shear of 90 degrees or more has no finite matrix (tan, 1 / cos).
ShearDegree = Annotated[float, Field(strict=True, allow_inf_nan=False, gt=-90, lt=90)]
Fraction = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=1)]
ScaleValue = Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0, le=MAX_FACTOR)]


def _symmetric(name: str, v: Any) -> tuple[float, ...]:
    """One number d >= 0 as (-d, d); ranges (min, max) checked, kept."""
    if not isinstance(v, tuple):
        if v < 0:
            raise ValueError(
                f"Expected one {name} value >= 0 (it means [-d, d]); received {name}={v!r}"
            )
        return (-float(v), float(v))
    for lo, hi in zip(v[::2], v[1::2], strict=True):
        if lo > hi:
            raise ValueError(
                f"Expected {name} as (min, max) pairs with min <= max; received {name}={list(v)}"
            )
    return v


class Affine(OpBase):
    """A random affine map (torchvision ``RandomAffine``); see the module for its definition."""

    op: Literal["affine"] = "affine"
    degrees: Degree | tuple[Degree, Degree]
    translate: tuple[Fraction, Fraction] | None = None
    scale: tuple[ScaleValue, ScaleValue] | None = None
    shear: (
        ShearDegree
        | tuple[ShearDegree, ShearDegree]
        | tuple[ShearDegree, ShearDegree, ShearDegree, ShearDegree]
        | None
    ) = None
    interpolation: Literal["nearest", "bilinear"] = "nearest"
    fill: Fill = 0
    center: tuple[Num, Num] | None = None

    @field_validator("degrees", mode="after")
    @classmethod
    def _degrees(cls, v: Any) -> Any:
        return _symmetric("degrees", v)

    @field_validator("shear", mode="after")
    @classmethod
    def _shear(cls, v: Any) -> Any:
        return None if v is None else _symmetric("shear", v)

    @field_validator("scale", mode="after")
    @classmethod
    def _scale(cls, v: Any) -> Any:
        if v is not None and v[0] > v[1]:
            raise ValueError(
                f"Expected scale as (min, max) with min <= max; received scale={list(v)}"
            )
        return v

    def ranges(self, hw: HW) -> dict[str, tuple[float, float]]:
        """The range of each drawn value on an ``hw`` image (translate: before rounding)."""
        h, w = hw
        a, b = self.translate or (0.0, 0.0)
        # The validators store degrees and shear as (min, max) pairs (shear: one or two).
        shear: tuple[float, ...] = self.shear or (0.0, 0.0)  # type: ignore[assignment]
        return {
            "angle": (float(self.degrees[0]), float(self.degrees[1])),  # type: ignore[index]
            "tx": (-a * w, a * w),
            "ty": (-b * h, b * h),
            "scale": (float(self.scale[0]), float(self.scale[1])) if self.scale else (1.0, 1.0),
            "shear_x": (shear[0], shear[1]),
            "shear_y": (shear[2], shear[3]) if len(shear) == 4 else (0.0, 0.0),
        }

    @property
    def is_random(self) -> bool:
        return True


def _sample(op: Affine, rng: np.random.Generator, hw: HW) -> Params:
    r = op.ranges(hw)
    angle = float(rng.uniform(*r["angle"]))
    tx = int(round(float(rng.uniform(*r["tx"]))))
    ty = int(round(float(rng.uniform(*r["ty"]))))
    scale = float(rng.uniform(*r["scale"]))
    shear_x = float(rng.uniform(*r["shear_x"]))
    shear_y = float(rng.uniform(*r["shear_y"]))
    return {
        "angle": angle,
        "tx": tx,
        "ty": ty,
        "scale": scale,
        "shear_x": shear_x,
        "shear_y": shear_y,
    }


_KEYS = ("angle", "tx", "ty", "scale", "shear_x", "shear_y")


def _check(op: Affine, params: Params, hw: HW) -> None:
    check_keys(params, _KEYS)
    r = op.ranges(hw)
    for key in ("angle", "scale", "shear_x", "shear_y"):
        check_number(params, key, *r[key], "drawn from the op's {0} range", key)
    for key in ("tx", "ty"):
        bound = int(math.ceil(r[key][1]))
        check_int(params, key, -bound, bound, "a rounded translation within the op's range")


def inverse_matrix(p: Params) -> np.ndarray:
    """torchvision's ``_get_inverse_affine_matrix`` (its linear part, scale included)."""
    rot = math.radians(p["angle"])
    sx, sy = math.radians(p["shear_x"]), math.radians(p["shear_y"])
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    return np.array([[d, -b], [-c, a]]) / p["scale"]


def _affine(
    op: Affine, p: Params, x: np.ndarray, fidelity: str, numerics: Numerics = DEFINITION
) -> np.ndarray:
    hw = (int(x.shape[0]), int(x.shape[1]))
    sx, sy = warp_points(inverse_matrix(p), (p["tx"], p["ty"]), centre_of(op.center, hw), hw)
    return numerics.rounding(sample_extended(x, sx, sy, op.fill, op.interpolation))


def _edges(op: Affine, hw: HW) -> list[tuple[str, Params]]:
    r = op.ranges(hw)
    lo = {k: (int(math.ceil(v[0])) if k in ("tx", "ty") else v[0]) for k, v in r.items()}
    hi = {k: (int(math.floor(v[1])) if k in ("tx", "ty") else v[1]) for k, v in r.items()}
    return [("every value at its minimum", lo), ("every value at its maximum", hi)]


DEFS = (
    OpDef(
        "affine",
        Affine,
        ("RandomAffine",),
        _sample,
        _affine,
        edge_params=_edges,
        odd_sizes=True,
        check_params=_check,
    ),
)

FACTS: tuple[Fact, ...] = ()
