"""AlexNet's PCA lighting noise: ``lighting``.

Sampler: ``alpha ~ N(0, alphastd^2)``, three values. Reference: add
``eigvec @ (alpha * eigval)`` to every pixel, rounded half up once.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from augspec.ops.base import DEFINITION, HW, Factor, Numerics, OpBase, OpDef, Params

# AlexNet's PCA lighting noise: eigenvalues and eigenvectors of the RGB
# covariance of ImageNet in 0-255 units (the constants Gluon uses).
LIGHTING_EIGVAL = (55.46, 4.794, 1.148)
LIGHTING_EIGVEC = (
    (-0.5675, 0.7192, 0.4009),
    (-0.5808, -0.0045, -0.8140),
    (-0.5836, -0.6948, 0.4203),
)


class Lighting(OpBase):
    """AlexNet-style PCA lighting noise: add ``eigvec @ (alpha * eigval)`` to every pixel.

    ``alpha`` is drawn per sample from N(0, alphastd^2), one per channel.
    """

    op: Literal["lighting"] = "lighting"
    alphastd: Factor = 0.1

    @property
    def is_random(self) -> bool:
        return self.alphastd > 0


def lighting_offset(alpha: list[float]) -> np.ndarray:
    """The RGB offset AlexNet's PCA noise adds to every pixel (0-255 units)."""
    return np.asarray(LIGHTING_EIGVEC) @ (np.asarray(alpha) * np.asarray(LIGHTING_EIGVAL))


def _sample(op: Lighting, rng: np.random.Generator, hw: HW) -> Params:
    return {"alpha": [float(a) for a in rng.normal(0.0, op.alphastd, size=3)]}


def _lighting(
    op: Lighting, p: Params, x: np.ndarray, fidelity: str, numerics: Numerics = DEFINITION
) -> np.ndarray:
    return numerics.rounding(x.astype(np.float64) + lighting_offset(p["alpha"]))


def _edges(op: Lighting, hw: HW) -> list[tuple[str, Params]]:
    s = 3 * op.alphastd
    return [
        ("alpha = 0", {"alpha": [0.0, 0.0, 0.0]}),
        ("alpha = +-3 std", {"alpha": [s, -s, s]}),
        ("alpha = -+3 std", {"alpha": [-s, s, -s]}),
    ]


def _features(op: Lighting, p: Params, hw: HW) -> dict[str, float]:
    return {"strength": float(sum(abs(a) for a in p["alpha"]))}


DEFS = (
    OpDef(
        "lighting",
        Lighting,
        ("RandomLighting", "Lighting"),
        _sample,
        _lighting,
        edge_params=_edges,
        features=_features,
    ),
)

# Its measured differences are the colour ops' (augspec.ops.colour.FACTS cites them for it).
FACTS = ()
