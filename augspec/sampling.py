"""Sampling: draw the random parameters of every op as a plain, JSON-able dict.

Seeding contract: the params of sample ``index`` in ``epoch`` under ``seed``
come from ``numpy.random.Generator(PCG64(SeedSequence([seed, epoch, index])))``
and from nothing else, so they do not depend on worker count, batch order or
backend. Ops draw from that one generator in pipeline order; every op draws
the same amount whatever it decides (a skipped ``random_apply`` still samples
its children), so one op's outcome never shifts the next op's draws.

Distributions (documented per op, checked by tests):

- ``horizontal_flip`` / ``vertical_flip``: ``apply = U[0,1) < p``.
- ``random_resized_crop``: torchvision's algorithm. Up to 10 tries of
  ``area ~ U(scale) * H * W``, ``log(aspect) ~ U(log ratio)``,
  ``w = round(sqrt(area * aspect))``, ``h = round(sqrt(area / aspect))``;
  the first box that fits is placed uniformly. Otherwise the central box
  with the aspect clamped into ``ratio``, at least 1 pixel per side
  (torchvision's fallback rounds a side to 0 on tiny images with a narrow
  ``ratio``, e.g. 1x1 with ratio [0.5, 0.5]: an empty box).
- ``random_crop``: ``top ~ U{0..H+2p-h}``, ``left ~ U{0..W+2p-w}``.
- ``brightness``/``contrast``/``saturation``: ``factor ~ U(range)``;
  ``hue``: ``factor ~ U(range)`` (fractions of a turn).
- ``color_jitter``: ``order`` = a uniform permutation of the four components,
  then each active component's factor as above (``None`` when inactive).
- ``lighting``: ``alpha ~ N(0, alphastd^2)``, three values.
- ``random_apply``: ``apply = U[0,1) < p``, children sampled always.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from augspec.ops import (
    COLOR_COMPONENTS,
    Brightness,
    ColorJitter,
    Compose,
    Contrast,
    Hue,
    Lighting,
    OpBase,
    RandomApply,
    RandomCrop,
    RandomResizedCrop,
    Saturation,
)
from augspec.pipeline import Pipeline, output_hw, trace_hw

Params = dict[str, Any]
Sampler = Callable[[Any, np.random.Generator, tuple[int, int]], Params]

_SAMPLERS: dict[str, Sampler] = {}


def _sampler(name: str) -> Callable[[Sampler], Sampler]:
    def register(fn: Sampler) -> Sampler:
        if name in _SAMPLERS:
            raise ValueError(f"Expected one sampler per op; received a second for op={name!r}")
        _SAMPLERS[name] = fn
        return fn

    return register


def generator(seed: int, epoch: int = 0, index: int = 0) -> np.random.Generator:
    """The generator of the seeding contract."""
    for name, value in (("seed", seed), ("epoch", epoch), ("index", index)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"Expected {name} as an int >= 0; received {name}={value!r}")
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, epoch, index])))


def _flip(op: Any, rng: np.random.Generator, hw: tuple[int, int]) -> Params:
    return {"apply": bool(rng.random() < op.p)}


_sampler("horizontal_flip")(_flip)
_sampler("vertical_flip")(_flip)


def _no_params(op: Any, rng: np.random.Generator, hw: tuple[int, int]) -> Params:
    return {}


for _name in ("resize", "center_crop", "to_tensor", "normalize"):
    _sampler(_name)(_no_params)


def rrc_box(
    hw: tuple[int, int],
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


@_sampler("random_resized_crop")
def _rrc(op: RandomResizedCrop, rng: np.random.Generator, hw: tuple[int, int]) -> Params:
    top, left, h, w = rrc_box(hw, op.scale, op.ratio, rng)
    return {"top": top, "left": left, "height": h, "width": w}


@_sampler("random_crop")
def _random_crop(op: RandomCrop, rng: np.random.Generator, hw: tuple[int, int]) -> Params:
    output_hw(op, hw)  # raises a clear error if the crop cannot fit
    ch, cw = op.hw
    top = int(rng.integers(0, hw[0] + 2 * op.padding - ch + 1))
    left = int(rng.integers(0, hw[1] + 2 * op.padding - cw + 1))
    return {"top": top, "left": left}


def _uniform(rng: np.random.Generator, rng_range: tuple[float, float]) -> float:
    return float(rng.uniform(rng_range[0], rng_range[1]))


@_sampler("brightness")
@_sampler("contrast")
@_sampler("saturation")
@_sampler("hue")
def _factor(
    op: Brightness | Contrast | Saturation | Hue, rng: np.random.Generator, hw: tuple[int, int]
) -> Params:
    return {"factor": _uniform(rng, op.range)}


@_sampler("color_jitter")
def _color_jitter(op: ColorJitter, rng: np.random.Generator, hw: tuple[int, int]) -> Params:
    order = [COLOR_COMPONENTS[i] for i in rng.permutation(len(COLOR_COMPONENTS))]
    params: Params = {"order": order}
    for name, rng_range in op.ranges().items():
        params[name] = None if rng_range is None else _uniform(rng, rng_range)
    return params


@_sampler("lighting")
def _lighting(op: Lighting, rng: np.random.Generator, hw: tuple[int, int]) -> Params:
    return {"alpha": [float(a) for a in rng.normal(0.0, op.alphastd, size=3)]}


@_sampler("random_apply")
def _random_apply(op: RandomApply, rng: np.random.Generator, hw: tuple[int, int]) -> Params:
    apply = bool(rng.random() < op.p)
    return {"apply": apply, "ops": sample_ops(op.ops, rng, hw)}


@_sampler("compose")
def _compose(op: Compose, rng: np.random.Generator, hw: tuple[int, int]) -> Params:
    return {"ops": sample_ops(op.ops, rng, hw)}


def sample_ops(ops: list[OpBase], rng: np.random.Generator, hw: tuple[int, int]) -> list[Params]:
    out = []
    for op in ops:
        params = {"op": op.op, **_SAMPLERS[op.op](op, rng, hw)}
        out.append(params)
        hw = output_hw(op, hw)
    return out


def sample(
    spec: Pipeline,
    seed: int = 0,
    epoch: int = 0,
    index: int = 0,
    image_size: tuple[int, int] = (224, 224),
) -> Params:
    """Draw the params of one sample; ``image_size`` is the input (height, width)."""
    hw = (int(image_size[0]), int(image_size[1]))
    trace_hw(spec, hw)
    rng = generator(seed, epoch, index)
    return {
        "seed": int(seed),
        "epoch": int(epoch),
        "index": int(index),
        "image_size": list(hw),
        "ops": sample_ops(spec.ops, rng, hw),
    }


def check_params(spec: Pipeline, params: Params) -> list[Params]:
    """Check that ``params`` were sampled for ``spec``; return its per-op list."""
    if not isinstance(params, dict) or not isinstance(params.get("ops"), list):
        raise ValueError(
            f"Expected params as a dict from augspec.sample (with an 'ops' list); received {params!r:.80}"
        )
    _match(spec.ops, params["ops"], "params.ops")
    return params["ops"]


def check_replay(spec: Pipeline, params: Params, hw: tuple[int, int]) -> list[Params]:
    """What every backend's ``replay`` checks first: ``params`` were sampled for ``spec`` and for
    an image of size ``hw``, and every op can take that size (the shared crop errors). Returns
    the per-op params list."""
    plist = check_params(spec, params)
    if list(hw) != list(params.get("image_size", hw)):
        raise ValueError(
            f"image: Expected the size the params were sampled for, {params['image_size']}; "
            f"received {list(hw)}"
        )
    trace_hw(spec, hw)
    return plist


def _match(ops: list[OpBase], plist: list[Params], where: str) -> None:
    if len(ops) != len(plist):
        raise ValueError(
            f"{where}: Expected {len(ops)} entries (one per op); received {len(plist)}"
        )
    for i, (op, p) in enumerate(zip(ops, plist, strict=True)):
        if not isinstance(p, dict) or p.get("op") != op.op:
            got = p.get("op") if isinstance(p, dict) else p
            raise ValueError(f"{where}[{i}]: Expected params for op={op.op!r}; received op={got!r}")
        if isinstance(op, (Compose, RandomApply)):
            _match(op.ops, p["ops"], f"{where}[{i}].ops")
