"""Ops on the CHW float32 tensor (after ``to_tensor``): ``random_erasing``.

``random_erasing`` is torchvision's ``RandomErasing(p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3),
value=0, inplace=False)`` (v1 and v2; ``inplace`` changes where the result is written, not what
it is: read and dropped). Gluon 1.9.1 has no such class; its backend ports it as a Block
(backends/gluon_tensor_ops.py).

Sampler (torchvision's algorithm, with a fixed number of draws whatever happens): one uniform
``u_apply``; then all ten attempts up front, each ``area_frac = U[scale)`` and
``log_ratio = U[log ratio)``; then ``u_top``, ``u_left`` (uniforms) and ``noise_seed`` (an int in
[0, 2**31 - 1)). The op erases iff ``u_apply < p`` and an attempt fits: the first attempt ``k`` whose
``h = round(sqrt(H * W * area_frac * exp(log_ratio)))`` and ``w = round(sqrt(H * W * area_frac /
exp(log_ratio)))`` (Python's ``round``, half to even, as torchvision) satisfy ``h < H`` and
``w < W``; then ``top = floor(u_top * (H - h + 1))``, ``left = floor(u_left * (W - w + 1))``
(torchvision: ``randint(0, H - h + 1)``). No attempt fitting leaves the tensor as it is, as
torchvision returns the image. Params: ``{"apply", "top", "left", "height", "width",
"noise_seed"}`` (``apply`` false: the box is 0, 0, 0, 0).

Reference: the box ``[top:top + height, left:left + width]`` of every channel is set to
``value``: a number (every channel), one number per channel, or ``"random"``: standard normal
float32 values, ``numpy.random.default_rng(noise_seed).standard_normal((C, height, width),
dtype=float32)``. The noise is a function of the sampled ``noise_seed`` (JSON-able and bounded),
so every backend replays the same values (torchvision's own class draws ``normal_()`` from
torch's RNG: the same distribution, other numbers).
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, field_validator

from augspec.ops.base import (
    DEFINITION,
    FLOAT32_MAX,
    HW,
    Numerics,
    OpBase,
    OpDef,
    Params,
    Prob,
    _check_range,
    check_bool,
    check_int,
    check_keys,
)

ATTEMPTS = 10  # torchvision's get_params tries ten boxes
NOISE_SEEDS = 2**31 - 1  # seeds in [0, 2**31 - 1): an int32 bound (mxnet's randint)
Fraction = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=1)]
# An aspect ratio: positive (its log is drawn) and at most 1e6 either way.
Ratio = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=1e-6, le=1e6)]
# An erase value: any float32 (after normalize a tensor may hold any value).
EraseValue = Annotated[
    float, Field(strict=True, allow_inf_nan=False, ge=-FLOAT32_MAX, le=FLOAT32_MAX)
]


class RandomErasing(OpBase):
    """Erase a random box of the CHW tensor with ``value``, with probability ``p``."""

    op: Literal["random_erasing"] = "random_erasing"
    p: Prob = 0.5
    scale: tuple[Fraction, Fraction] = (0.02, 0.33)
    ratio: tuple[Ratio, Ratio] = (0.3, 3.3)
    value: EraseValue | list[EraseValue] | Literal["random"] = 0.0

    @field_validator("scale")
    @classmethod
    def _scale(cls, v: tuple[float, float]) -> tuple[float, float]:
        return _check_range("scale", v)

    @field_validator("ratio")
    @classmethod
    def _ratio(cls, v: tuple[float, float]) -> tuple[float, float]:
        return _check_range("ratio", v)

    @field_validator("value")
    @classmethod
    def _value(cls, v: float | list[float] | str) -> float | list[float] | str:
        if isinstance(v, list) and len(v) not in (1, 3):
            raise ValueError(
                "Expected value a number, one number per RGB channel (3) or 'random'; "
                f"received value={v}"
            )
        return v

    @property
    def is_random(self) -> bool:
        return self.p > 0


def erase_box(
    op: RandomErasing, hw: HW, area_fracs: np.ndarray, log_ratios: np.ndarray
) -> tuple[int, int] | None:
    """(height, width) of the first attempt that fits an ``hw`` image, or None."""
    area = hw[0] * hw[1]
    for frac, log_ratio in zip(area_fracs, log_ratios, strict=True):
        aspect = math.exp(float(log_ratio))
        h = int(round(math.sqrt(area * float(frac) * aspect)))
        w = int(round(math.sqrt(area * float(frac) / aspect)))
        if h < hw[0] and w < hw[1]:
            return h, w
    return None


def place(u: float, room: int) -> int:
    """floor(u * room) for u in [0, 1), kept below ``room`` (torchvision's randint(0, room))."""
    return min(int(math.floor(u * room)), room - 1)


def _sample(op: RandomErasing, rng: np.random.Generator, hw: HW) -> Params:
    u_apply = rng.random()
    log_lo, log_hi = math.log(op.ratio[0]), math.log(op.ratio[1])
    fracs = np.array([rng.uniform(*op.scale) for _ in range(ATTEMPTS)])
    logs = np.array([rng.uniform(log_lo, log_hi) for _ in range(ATTEMPTS)])
    u_top, u_left = rng.random(), rng.random()
    noise_seed = int(rng.integers(0, NOISE_SEEDS))
    box = erase_box(op, hw, fracs, logs) if u_apply < op.p else None
    if box is None:
        return {
            "apply": False,
            "top": 0,
            "left": 0,
            "height": 0,
            "width": 0,
            "noise_seed": noise_seed,
        }
    h, w = box
    return {
        "apply": True,
        "top": place(u_top, hw[0] - h + 1),
        "left": place(u_left, hw[1] - w + 1),
        "height": h,
        "width": w,
        "noise_seed": noise_seed,
    }


def _check(op: RandomErasing, params: Params, hw: HW) -> None:
    check_keys(params, ("apply", "top", "left", "height", "width", "noise_seed"))
    check_bool(params, "apply")
    check_int(params, "noise_seed", 0, NOISE_SEEDS - 1, "the noise's seed")
    if not params["apply"]:
        for key in ("top", "left", "height", "width"):
            check_int(params, key, 0, 0, "no box when apply is false")
        return
    # A box torchvision's get_params can return: h < H, w < W (an area fraction of 0 rounds to 0).
    check_int(params, "height", 0, hw[0] - 1, "less than the height {}", hw[0])
    check_int(params, "width", 0, hw[1] - 1, "less than the width {}", hw[1])
    check_int(params, "top", 0, hw[0] - params["height"], "the box inside {} rows", hw[0])
    check_int(params, "left", 0, hw[1] - params["width"], "the box inside {} columns", hw[1])


def erase_values(op: RandomErasing, p: Params, channels: int) -> np.ndarray:
    """The values the box takes: (C, h, w) noise, or (C or 1, 1, 1) constants; float32."""
    if op.value == "random":
        rng = np.random.default_rng(int(p["noise_seed"]))
        return rng.standard_normal((channels, p["height"], p["width"]), dtype=np.float32)
    values = op.value if isinstance(op.value, list) else [op.value]
    return np.asarray(values, dtype=np.float32)[:, None, None]


def _random_erasing(
    op: RandomErasing, p: Params, x: np.ndarray, fidelity: str, numerics: Numerics = DEFINITION
) -> np.ndarray:
    if not p["apply"]:
        return x
    out = np.array(x, dtype=np.float32, copy=True)
    t, left, h, w = p["top"], p["left"], p["height"], p["width"]
    out[:, t : t + h, left : left + w] = erase_values(op, p, out.shape[0])
    return out


def _edges(op: RandomErasing, hw: HW) -> list[tuple[str, Params]]:
    h, w = max(hw[0] - 1, 0), max(hw[1] - 1, 0)
    base = {"noise_seed": 7}
    edges = [
        ("not applied", {**base, "apply": False, "top": 0, "left": 0, "height": 0, "width": 0})
    ]
    if h and w:
        edges.append(
            ("largest box", {**base, "apply": True, "top": 1, "left": 1, "height": h, "width": w})
        )
        edges.append(
            ("one pixel", {**base, "apply": True, "top": 0, "left": 0, "height": 1, "width": 1})
        )
    return edges


DEFS = (
    OpDef(
        "random_erasing",
        RandomErasing,
        ("RandomErasing",),
        _sample,
        _random_erasing,
        edge_params=_edges,
        check_params=_check,
        odd_sizes=True,
    ),
)

# Tensor ops of this family: the pipeline's state check lets them follow to_tensor only.
TENSOR_FAMILY = ("random_erasing",)

FACTS = ()
