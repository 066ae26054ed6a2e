"""Tensor ops: ``to_tensor`` (HWC uint8 [0, 255] -> CHW float32 [0, 1]) and ``normalize``.

Neither draws params. ``normalize`` runs in float32, as both frameworks do.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from augspec.ops.base import (
    DEFINITION,
    FLOAT32_MAX,
    FLOAT32_TINY,
    Num,
    Numerics,
    OpBase,
    OpDef,
    Params,
    no_check,
    no_params,
)


class ToTensor(OpBase):
    """HWC uint8 [0, 255] -> CHW float32 [0, 1]."""

    op: Literal["to_tensor"] = "to_tensor"


class Normalize(OpBase):
    """Per channel ``(x - mean) / std`` on a CHW float tensor (after ``to_tensor``)."""

    op: Literal["normalize"] = "normalize"
    mean: Annotated[list[Num], Field(min_length=1)]
    std: Annotated[list[Num], Field(min_length=1)]

    @field_validator("std")
    @classmethod
    def _std(cls, v: list[float]) -> list[float]:
        if any(s <= 0 for s in v):
            raise ValueError(f"Expected every std > 0; received std={v}")
        # Both frameworks divide in float32: a std that is 0 there (torchvision
        # raises, mxnet returns inf) or a value beyond float32 is refused here.
        if any(s < FLOAT32_TINY or s > FLOAT32_MAX for s in v):
            raise ValueError(
                f"Expected every std in [{FLOAT32_TINY:.4g}, {FLOAT32_MAX:.4g}] "
                f"(a normal float32: both backends divide in float32); received std={v}"
            )
        return v

    @field_validator("mean")
    @classmethod
    def _mean(cls, v: list[float]) -> list[float]:
        if any(abs(m) > FLOAT32_MAX for m in v):
            raise ValueError(
                f"Expected every |mean| <= {FLOAT32_MAX:.4g} (a float32); received mean={v}"
            )
        return v

    @model_validator(mode="after")
    def _lengths(self) -> Normalize:
        if len(self.mean) not in (1, 3) or len(self.std) not in (1, 3):
            raise ValueError(
                "Expected mean and std of length 1 or 3 (one per RGB channel); "
                f"received mean={self.mean}, std={self.std}"
            )
        return self


def _to_tensor(
    op: ToTensor, p: Params, x: np.ndarray, fidelity: str, numerics: Numerics = DEFINITION
) -> np.ndarray:
    return np.ascontiguousarray(x.transpose(2, 0, 1)).astype(np.float32) / np.float32(255)


def _normalize(
    op: Normalize, p: Params, x: np.ndarray, fidelity: str, numerics: Numerics = DEFINITION
) -> np.ndarray:
    mean = np.asarray(op.mean, dtype=np.float32)[:, None, None]
    std = np.asarray(op.std, dtype=np.float32)[:, None, None]
    return ((x - mean) / std).astype(np.float32)


DEFS = (
    OpDef("to_tensor", ToTensor, ("ToTensor",), no_params, _to_tensor, check_params=no_check),
    OpDef("normalize", Normalize, ("Normalize",), no_params, _normalize, check_params=no_check),
)

FACTS = ()
