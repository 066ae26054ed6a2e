"""The params a unit is replayed with: sampled ones plus the edge cases that matter for the op.

Every case is a full params dict (``augspec.sample`` format) for the unit's
pipeline, plus the image size it was made for (some edge cases trim the image
by a pixel to get odd margins) and a few *features* (downscale factor,
distance of a factor from identity) that the verdicts correlate with the
measured differences.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

from augspec.ops import (
    COLOR_COMPONENTS,
    CenterCrop,
    ColorJitter,
    Hue,
    Lighting,
    OpBase,
    RandomApply,
    RandomCrop,
    RandomResizedCrop,
    Resize,
)
from augspec.parity.units import Unit
from augspec.pipeline import output_hw, resize_shorter_hw
from augspec.sampling import Params, sample

IDENTITY = {"brightness": 1.0, "contrast": 1.0, "saturation": 1.0, "hue": 0.0}


@dataclass
class Case:
    label: str
    kind: str  # "sample" | "edge"
    params: Params
    image_hw: tuple[int, int]
    features: dict[str, float] = field(default_factory=dict)


def _with_last(params: Params, op_params: dict[str, Any]) -> Params:
    out = copy.deepcopy(params)
    out["ops"][-1] = {"op": out["ops"][-1]["op"], **op_params}
    return out


def _fit_box(hw: tuple[int, int], area: float, aspect: float) -> tuple[int, int]:
    h = max(1, min(hw[0], int(round(math.sqrt(area / aspect)))))
    w = max(1, min(hw[1], int(round(math.sqrt(area * aspect)))))
    return h, w


def _rrc_edges(op: RandomResizedCrop, hw: tuple[int, int]) -> list[tuple[str, dict[str, Any]]]:
    H, W = hw
    oh, ow = op.hw
    out = [("full image", {"top": 0, "left": 0, "height": H, "width": W})]
    for name, aspect in (("min", op.ratio[0]), ("max", op.ratio[1])):
        h, w = _fit_box(hw, max(op.scale[0], 1e-3) * H * W, aspect)
        out.append((f"smallest area, {name} aspect, bottom-right", {"top": H - h, "left": W - w, "height": h, "width": w}))
    if oh <= H and ow <= W:
        out.append(("box = output size (no resampling)", {"top": 1, "left": 1, "height": oh, "width": ow}))
    h2, w2 = max(1, oh // 2), max(1, ow // 2)
    if h2 <= H and w2 <= W:
        out.append(("box = half the output (2x upscale)", {"top": 0, "left": 0, "height": h2, "width": w2}))
    return out


def _factor_edges(name: str, rng: tuple[float, float]) -> list[tuple[str, float]]:
    values = [(f"{name} = range min", rng[0]), (f"{name} = range max", rng[1])]
    ident = IDENTITY[name]
    if rng[0] < ident < rng[1]:
        values.append((f"{name} = identity", ident))
    if name == "hue":
        values += [(f"hue = {v:+.3f}", v) for v in (-1 / 3, 1 / 6) if rng[0] <= v <= rng[1]]
    return values


def _jitter_edges(op: ColorJitter) -> list[tuple[str, dict[str, Any]]]:
    ranges = op.ranges()
    out = []
    for end, order in ((0, list(COLOR_COMPONENTS)), (1, list(reversed(COLOR_COMPONENTS)))):
        params: dict[str, Any] = {"order": order}
        for name, rng in ranges.items():
            params[name] = None if rng is None else rng[end]
        out.append((f"all factors at range {'min' if end == 0 else 'max'}, order {'/'.join(order)}", params))
    return out


def _edge_op_params(op: OpBase, hw: tuple[int, int]) -> list[tuple[str, dict[str, Any]]]:
    name = op.op
    if name in ("horizontal_flip", "vertical_flip"):
        return [("applied", {"apply": True}), ("not applied", {"apply": False})]
    if isinstance(op, RandomResizedCrop):
        return _rrc_edges(op, hw)
    if isinstance(op, RandomCrop):
        ph, pw = hw[0] + 2 * op.padding - op.hw[0], hw[1] + 2 * op.padding - op.hw[1]
        return [("top-left corner (padding)", {"top": 0, "left": 0}), ("bottom-right corner", {"top": ph, "left": pw})]
    if name in ("brightness", "contrast", "saturation") or isinstance(op, Hue):
        return [(lbl, {"factor": v}) for lbl, v in _factor_edges(name, op.range)]  # type: ignore[attr-defined]
    if isinstance(op, ColorJitter):
        return _jitter_edges(op)
    if isinstance(op, Lighting):
        s = 3 * op.alphastd
        return [("alpha = 0", {"alpha": [0.0, 0.0, 0.0]}), ("alpha = +-3 std", {"alpha": [s, -s, s]}),
                ("alpha = -+3 std", {"alpha": [-s, s, -s]})]
    return []


def _trimmed_sizes(op: OpBase, hw: tuple[int, int]) -> list[tuple[int, int]]:
    """Odd sizes matter (centring, shorter-side rounding, the middle column of a flip): the image minus a pixel."""
    if isinstance(op, (CenterCrop, Resize)) or op.op in ("horizontal_flip", "vertical_flip"):
        trimmed = (hw[0] - 1, hw[1] - 1)
        try:
            output_hw(op, trimmed)
        except ValueError:
            return []
        return [trimmed] if min(trimmed) >= 1 else []
    return []


def _features(op: OpBase, op_params: dict[str, Any], hw: tuple[int, int]) -> dict[str, float]:
    if isinstance(op, RandomResizedCrop):
        return {"downscale": max(op_params["height"] / op.hw[0], op_params["width"] / op.hw[1])}
    if isinstance(op, Resize):
        out = op.size if isinstance(op.size, tuple) else resize_shorter_hw(hw, op.size)
        return {"downscale": max(hw[0] / out[0], hw[1] / out[1])}
    if "factor" in op_params:
        return {"strength": abs(op_params["factor"] - IDENTITY.get(op.op, 1.0))}
    if isinstance(op, ColorJitter):
        return {"strength": sum(abs(op_params[n] - IDENTITY[n]) for n in COLOR_COMPONENTS if op_params.get(n) is not None)}
    if isinstance(op, Lighting):
        return {"strength": float(sum(abs(a) for a in op_params["alpha"]))}
    return {}


def _op_input_hw(unit: Unit, hw: tuple[int, int]) -> tuple[int, int]:
    for op in unit.pipeline.ops[:-1]:
        hw = output_hw(op, hw)
    return hw


def make_cases(unit: Unit, hw: tuple[int, int], n_samples: int, seed: int) -> list[Case]:
    """``n_samples`` sampled cases (1 for a deterministic op) and the op's edge cases."""
    op = unit.op
    n = n_samples if op.is_random else 1
    cases = []
    for i in range(n):
        params = sample(unit.pipeline, seed=seed, index=i, image_size=hw)
        last = params["ops"][-1]
        cases.append(Case(f"sample {i}", "sample", params, hw, _features(op, last, _op_input_hw(unit, hw))))
    base = cases[0].params
    if isinstance(op, RandomApply):
        for apply in (True, False):
            p = copy.deepcopy(base)
            p["ops"][-1]["apply"] = apply
            cases.append(Case(f"{'applied' if apply else 'not applied'}", "edge", p, hw))
    for label, op_params in _edge_op_params(op, _op_input_hw(unit, hw)):
        cases.append(Case(label, "edge", _with_last(base, op_params), hw, _features(op, op_params, _op_input_hw(unit, hw))))
    for small in _trimmed_sizes(op, hw):
        p = sample(unit.pipeline, seed=seed, index=0, image_size=small)
        if op.op in ("horizontal_flip", "vertical_flip"):
            p["ops"][-1]["apply"] = True
        odd = " and ".join(n for n, v in (("height", small[0]), ("width", small[1])) if v % 2) or "no"
        cases.append(Case(f"image {small[0]}x{small[1]} (odd {odd})", "edge", p, small, _features(op, p["ops"][-1], small)))
    return cases
