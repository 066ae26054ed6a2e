"""AlexNet's PCA lighting noise: ``lighting``.

Sampler: ``alpha ~ N(0, alphastd^2)``, three values. Reference: add
``eigvec @ (alpha * eigval)`` to every pixel, rounded half up once. Replayed params: three
finite numbers within :data:`MAX_ALPHA_STDS` standard deviations.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from augspec.ops.base import (
    DEFINITION,
    HW,
    Factor,
    Numerics,
    OpBase,
    OpDef,
    Params,
    check_keys,
    check_number,
)

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


# numpy's normal draws (doubles) never reach this many standard deviations: a replayed alpha
# beyond it is an edit (and alpha must be 0 where alphastd is 0).
MAX_ALPHA_STDS = 64
_ALPHA_KEYS = ("alpha[0]", "alpha[1]", "alpha[2]")


def _check(op: Lighting, params: Params, hw: HW) -> None:
    check_keys(params, ("alpha",))
    alpha = params["alpha"]
    if not isinstance(alpha, list) or len(alpha) != 3:
        raise ValueError(f"alpha: Expected a list of 3 numbers; received alpha={alpha!r:.80}")
    bound = MAX_ALPHA_STDS * op.alphastd
    what = "within {} standard deviations, alphastd={}"
    for i, key in enumerate(_ALPHA_KEYS):
        check_number({key: alpha[i]}, key, -bound, bound, what, MAX_ALPHA_STDS, op.alphastd)


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
        check_params=_check,
    ),
)

# Its measured differences are the colour ops' (augspec.ops.colour.FACTS cites them for it).
FACTS = ()
