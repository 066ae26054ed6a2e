"""The reference backend: the numpy kernels that *are* the definition of each op.

The kernels live with their ops (``augspec.ops.OPS[name].reference``, one family module per
group of ops); this module is the reference as a backend of the contract (NAME, RECORDS,
compile, replay, to_numpy, seed, tolerance, native_sampler) and re-exports the maths other
modules use (resampling, colour, rounding).

Dtype and layout rules:

- Input: RGB HWC uint8. Every op before ``to_tensor`` takes and returns HWC
  uint8; arithmetic is done in float64 and rounded once per op with
  round-half-up (``floor(x + 0.5)``), then clipped to [0, 255].
- ``to_tensor`` returns CHW float32 in [0, 1] (``x / 255``); ``normalize``
  takes and returns CHW float32.
- Resampling (resize, random_resized_crop) follows PIL's separable filters
  (:mod:`augspec.ops.resize`); colour maths (grey level, blend, HSV) are in
  :mod:`augspec.ops.colour`.
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
    check_fidelity,
    record_for,
    records_table,
)
from augspec.images import to_numpy_image
from augspec.ops import OPS, OpBase, apply_reference
from augspec.ops.base import GRAY_WEIGHTS, to_uint8
from augspec.ops.colour import (
    COLOR_ADJUST,
    adjust_brightness,
    adjust_contrast,
    adjust_hue,
    adjust_saturation,
    blend,
    gray,
    hsv_to_rgb,
    rgb_to_hsv,
)
from augspec.ops.crops import center_box
from augspec.ops.lighting import lighting_offset
from augspec.ops.resize import FILTERS, resample_matrix, resize
from augspec.pipeline import Pipeline
from augspec.sampling import Params, check_replay, sample

__all__ = [
    "COLOR_ADJUST",
    "FILTERS",
    "GRAY_WEIGHTS",
    "NAME",
    "RECORDS",
    "ReferencePipeline",
    "adjust_brightness",
    "adjust_contrast",
    "adjust_hue",
    "adjust_saturation",
    "blend",
    "center_box",
    "compile",
    "gray",
    "hsv_to_rgb",
    "lighting_offset",
    "native_sampler",
    "replay",
    "resample_matrix",
    "resize",
    "rgb_to_hsv",
    "seed",
    "to_numpy",
    "to_uint8",
    "tolerance",
]

NAME = "reference"

# The reference is the definition: every record is exact and native, in both fidelities.
RECORDS: dict[str, OpRecord] = records_table(
    *(OpRecord(name, opdef.reference, EXACT) for name, opdef in OPS.items())
)


def replay(spec: Pipeline, params: Params, image: Any, fidelity: str = "native") -> np.ndarray:
    """Apply ``params`` (from :func:`augspec.sample`) to ``image`` with the reference kernels.

    ``fidelity`` is accepted for the contract; the reference is the definition in both.
    """
    check_fidelity(fidelity)
    x = to_numpy_image(image)
    plist = check_replay(spec, params, (int(x.shape[0]), int(x.shape[1])))  # before any pixel moves
    return apply_reference(spec.ops, plist, x, fidelity)


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
