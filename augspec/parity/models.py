"""Candidate explanations as numbers: variants of the reference that each change one rule.

A difference is explained by a model only when measurement shows the
backend closer to the model than to the reference (see ``verdicts``). Each
model is the reference replayed under other :class:`~augspec.ops.base.Numerics` (rounding,
resampling filter, grey level), passed explicitly to the reference kernels, so it reuses
them and stays honest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from augspec.images import to_numpy_image
from augspec.ops import apply_reference
from augspec.ops.base import Numerics
from augspec.ops.colour import COLOUR_OPS
from augspec.ops.resize import RESAMPLE_OPS
from augspec.pipeline import Pipeline
from augspec.sampling import Params, check_replay

__all__ = ["COLOUR_OPS", "MODELS", "RESAMPLE_OPS", "Model", "model_replay", "models_for"]


@dataclass(frozen=True)
class Model:
    name: str
    description: str
    ops: tuple[str, ...]
    numerics: Numerics  # the reference's rules with one changed


def truncate(x: np.ndarray) -> np.ndarray:
    """What a C cast (or torch .to(uint8)) does after a clamp: toward zero."""
    return np.clip(x, 0, 255).astype(np.uint8)


# mxnet's saturation grey level: only the last channel's term survives (see ops/colour FACTS).
BLUE_GREY = (0.0, 0.0, 0.114)

MODELS: dict[str, Model] = {
    m.name: m
    for m in (
        Model(
            "truncate",
            "the reference with truncation toward zero instead of round-half-up",
            COLOUR_OPS,
            Numerics(rounding=truncate),
        ),
        Model(
            "no_antialias",
            "the reference resampling without widening the filter when shrinking",
            RESAMPLE_OPS,
            Numerics(antialias=False),
        ),
        Model(
            "blue_grey",
            "truncation, and saturation blended with 0.114*B instead of the luma",
            ("saturation", "color_jitter"),
            Numerics(rounding=truncate, saturation_grey=BLUE_GREY),
        ),
    )
}


def models_for(op: str) -> list[Model]:
    return [m for m in MODELS.values() if op in m.ops]


def model_replay(model: Model, spec: Pipeline, params: Params, image: np.ndarray) -> np.ndarray:
    """Replay ``params`` with the reference kernels under the model's numerics."""
    x = to_numpy_image(image)
    plist = check_replay(spec, params, (int(x.shape[0]), int(x.shape[1])))
    return apply_reference(spec.ops, plist, x, "native", model.numerics)
