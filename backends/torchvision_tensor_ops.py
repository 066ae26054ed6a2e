"""torchvision (v1 and v2) records of the tensor ops (augspec/ops/tensor_ops.py): ``random_erasing``.

Both versions have ``RandomErasing(p, scale, ratio, value, inplace)``: compile builds it
(status native; its own draws come from torch's RNG, with ``normal_()`` noise for
``value="random"``). Replay erases the sampled box with ``F.erase`` and the values the
reference takes (the noise from the params' ``noise_seed``): an assignment, exact.
"""

from __future__ import annotations

from typing import Any

import torch
import torchvision.transforms.functional as F
from torchvision import transforms as T
from torchvision.transforms import v2

from augspec.contract import EXACT, OpRecord, Params, Tolerance
from augspec.ops.tensor_ops import erase_values

_WHY = "F.erase assigns the values to the box: exact"


def _value(op: Any) -> Any:
    return op.value if not isinstance(op.value, list) else tuple(op.value)


def erase(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    if not p["apply"]:
        return x
    values = torch.from_numpy(erase_values(op, p, int(x.shape[-3])))
    return F.erase(x, p["top"], p["left"], p["height"], p["width"], values.to(x.dtype))


def _erase_v2(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    if not p["apply"]:
        return x
    values = torch.from_numpy(erase_values(op, p, int(x.shape[-3])))
    return v2.functional.erase(x, p["top"], p["left"], p["height"], p["width"], values.to(x.dtype))


V1_RECORDS = (
    OpRecord(
        "random_erasing",
        erase,
        EXACT,
        build=lambda op: T.RandomErasing(op.p, op.scale, op.ratio, _value(op)),
        why=_WHY,
    ),
)
# v2's to_tensor (ToDtype(float32, scale=True)) multiplies by 1/255: 1 ulp off the spec's
# division on some values; erasing passes them through, so its replay carries that room.
_V2_ROOM = Tolerance(0.001, 0.0001)
V2_RECORDS = (
    OpRecord(
        "random_erasing",
        _erase_v2,
        _V2_ROOM,
        build=lambda op: v2.RandomErasing(op.p, op.scale, op.ratio, _value(op)),
        why=_WHY + "; the rest is the tensor it was given (v2's to_tensor: 1 ulp)",
    ),
)
