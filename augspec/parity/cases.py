"""The params a unit is replayed with: sampled ones plus the edge cases that matter for the op.

Every case is a full params dict (``augspec.sample`` format) for the unit's
pipeline, plus the image size it was made for (some edge cases trim the image
by a pixel to get odd margins) and a few *features* (downscale factor,
distance of a factor from identity) that the verdicts correlate with the
measured differences. What is an edge case, and which features, each op's definition says
(``augspec.ops.OPS[name].edge_params`` / ``features`` / ``odd_sizes``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from augspec.ops import OPS, OpBase
from augspec.ops.colour import IDENTITY
from augspec.parity.units import Unit
from augspec.pipeline import output_hw
from augspec.sampling import Params, sample

__all__ = ["IDENTITY", "Case", "make_cases"]


@dataclass
class Case:
    label: str
    kind: str  # "sample" | "edge"
    params: Params
    image_hw: tuple[int, int]
    features: dict[str, float] = field(default_factory=dict)


def _with_last(params: Params, op_params: Params) -> Params:
    """``params`` with the last op's params updated by ``op_params`` (the rest kept)."""
    out = copy.deepcopy(params)
    out["ops"][-1] = {**out["ops"][-1], **copy.deepcopy(op_params)}
    return out


def _trimmed_sizes(op: OpBase, hw: tuple[int, int]) -> list[tuple[int, int]]:
    """Odd sizes matter (centring, shorter-side rounding, the middle column of a flip): the image minus a pixel."""
    if not OPS[op.op].odd_sizes:
        return []
    trimmed = (hw[0] - 1, hw[1] - 1)
    try:
        output_hw(op, trimmed)
    except ValueError:
        return []
    return [trimmed] if min(trimmed) >= 1 else []


def _op_input_hw(unit: Unit, hw: tuple[int, int]) -> tuple[int, int]:
    for op in unit.pipeline.ops[:-1]:
        hw = output_hw(op, hw)
    return hw


def make_cases(unit: Unit, hw: tuple[int, int], n_samples: int, seed: int) -> list[Case]:
    """``n_samples`` sampled cases (1 for a deterministic op) and the op's edge cases."""
    op = unit.op
    opdef = OPS[op.op]
    op_hw = _op_input_hw(unit, hw)
    n = n_samples if op.is_random else 1
    cases = []
    for i in range(n):
        params = sample(unit.pipeline, seed=seed, index=i, image_size=hw)
        features = opdef.features(op, params["ops"][-1], op_hw)
        cases.append(Case(f"sample {i}", "sample", params, hw, features))
    base = cases[0].params
    for label, op_params in opdef.edge_params(op, op_hw):
        p = _with_last(base, op_params)
        cases.append(Case(label, "edge", p, hw, opdef.features(op, p["ops"][-1], op_hw)))
    for small in _trimmed_sizes(op, hw):
        p = sample(unit.pipeline, seed=seed, index=0, image_size=small)
        edges = opdef.edge_params(op, _op_input_hw(unit, small))
        if edges:  # the op's first edge case on the odd image (a flip: applied)
            p = _with_last(p, edges[0][1])
        odd = (
            " and ".join(n for n, v in (("height", small[0]), ("width", small[1])) if v % 2) or "no"
        )
        label = f"image {small[0]}x{small[1]} (odd {odd})"
        cases.append(Case(label, "edge", p, small, opdef.features(op, p["ops"][-1], small)))
    return cases
