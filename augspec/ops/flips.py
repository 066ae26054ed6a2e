"""Flips: ``horizontal_flip`` and ``vertical_flip``.

Sampler: ``apply = U[0,1) < p``; replayed params: ``apply`` a bool. Reference: reverse the columns (rows) when applied.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from augspec.ops.base import (
    DEFINITION,
    HW,
    MXNET_RANDOM,
    Fact,
    Numerics,
    OpBase,
    OpDef,
    Params,
    Prob,
    check_bool,
    check_keys,
)


class HorizontalFlip(OpBase):
    """Flip left-right with probability ``p`` (Gluon ``RandomFlipLeftRight`` is p=0.5)."""

    op: Literal["horizontal_flip"] = "horizontal_flip"
    p: Prob = 0.5

    @property
    def is_random(self) -> bool:
        return 0 < self.p < 1


class VerticalFlip(OpBase):
    """Flip top-bottom with probability ``p``."""

    op: Literal["vertical_flip"] = "vertical_flip"
    p: Prob = 0.5

    @property
    def is_random(self) -> bool:
        return 0 < self.p < 1


def _sample(op: HorizontalFlip | VerticalFlip, rng: np.random.Generator, hw: HW) -> Params:
    return {"apply": bool(rng.random() < op.p)}


def _check(op: HorizontalFlip | VerticalFlip, params: Params, hw: HW) -> None:
    # Either outcome is replayable whatever p is (the parity cases replay both).
    check_keys(params, ("apply",))
    check_bool(params, "apply")


def _hflip(
    op: HorizontalFlip, p: Params, x: np.ndarray, fidelity: str, numerics: Numerics = DEFINITION
) -> np.ndarray:
    return x[:, ::-1].copy() if p["apply"] else x


def _vflip(
    op: VerticalFlip, p: Params, x: np.ndarray, fidelity: str, numerics: Numerics = DEFINITION
) -> np.ndarray:
    return x[::-1].copy() if p["apply"] else x


def _edges(op: OpBase, hw: HW) -> list[tuple[str, Params]]:
    return [("applied", {"apply": True}), ("not applied", {"apply": False})]


DEFS = (
    OpDef(
        "horizontal_flip",
        HorizontalFlip,
        ("RandomFlipLeftRight", "RandomHorizontalFlip"),
        _sample,
        _hflip,
        edge_params=_edges,
        odd_sizes=True,  # the middle column of an odd width
        check_params=_check,
    ),
    OpDef(
        "vertical_flip",
        VerticalFlip,
        ("RandomFlipTopBottom", "RandomVerticalFlip"),
        _sample,
        _vflip,
        edge_params=_edges,
        odd_sizes=True,
        check_params=_check,
    ),
)

FACTS = (
    Fact(
        "gluon",
        ("horizontal_flip", "vertical_flip"),
        "edge_only",
        "mxnet's FlipImpl swaps pairs j < mid/2 into the output buffer and never writes the middle "
        "column (row) of an odd-sized image when the output is not the input's own buffer",
        f"{MXNET_RANDOM} (FlipImpl)",
        summary="Gluon's flips never write the middle column (row) of an odd-sized image",
    ),
)
