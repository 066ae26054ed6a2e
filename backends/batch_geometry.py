"""The batched torch target's kernels for the geometry ops (augspec/ops/geometry.py): ``pad``
on the whole batch (:func:`.torch_geometry.pad`, which pads with ``torch.nn.functional.pad``),
``rotation`` with one angle per sample (the reference's float64 grid, gathered per sample) and
per-sample ``apply`` masks. Registered in :data:`augspec.backends.torch_batched.RECORDS`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from . import torch_geometry as G
from .batch_resample import round_clip
from .batch_sampling import ArrayParams

if TYPE_CHECKING:
    from .torch_batched import Batch


def pad(op: Any, p: ArrayParams, b: Batch, fidelity: str) -> Batch:
    return b.new(G.pad(b.x, op.sides, op.fill, op.padding_mode))


def rotation(op: Any, p: ArrayParams, b: Batch, fidelity: str) -> Batch:
    apply = np.asarray(p["apply"], bool)
    if not apply.any():
        return b
    rows = np.flatnonzero(apply)
    angles = np.asarray(p["angle"], np.float64)[rows]
    x = b.x if len(rows) == len(b.x) else b.x[torch.as_tensor(rows, device=b.x.device)]
    rotated = round_clip(G.rotate(x, op, angles)).to(b.dtype)
    if len(rows) == len(b.x):
        return b.new(rotated)
    out = b.x.to(b.dtype, copy=True)
    out[torch.as_tensor(rows, device=b.x.device)] = rotated
    return b.new(out)


def affine(op: Any, p: ArrayParams, b: Batch, fidelity: str) -> Batch:
    n = len(b.x)
    keys = ("angle", "tx", "ty", "scale", "shear_x", "shear_y")
    plist = [{k: np.asarray(p[k])[i].item() for k in keys} for i in range(n)]
    return b.new(round_clip(G.affine(b.x, op, plist)).to(b.dtype))
