"""Batched tensor ops (augspec/ops/tensor_ops.py) for the torch target: ``random_erasing``.

Constant values: one mask of the per-sample boxes over the batch, ``where(mask, value, x)``.
``value="random"``: each erased sample's noise comes from its own ``noise_seed`` (numpy, as the
reference), written into its box. Both are assignments: exact. :func:`sample_erasing` is the
op's sampler vectorised over the batch (the same draws as ``augspec.sample``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from augspec.ops.tensor_ops import (
    ATTEMPTS,
    NOISE_SEEDS,
    RandomErasing,
    erase_box,
    erase_values,
    place,
)


def sample_erasing(
    op: RandomErasing, g: Any, sel: np.ndarray, hw: tuple[int, int]
) -> dict[str, Any]:
    """random_erasing's params for the samples ``sel`` of a VectorPCG64, as arrays."""
    u_apply = g.random(sel)
    log_lo, log_hi = math.log(op.ratio[0]), math.log(op.ratio[1])
    fracs = np.stack([g.uniform(sel, *op.scale) for _ in range(ATTEMPTS)], 1)
    logs = np.stack([g.uniform(sel, log_lo, log_hi) for _ in range(ATTEMPTS)], 1)
    u_top, u_left = g.random(sel), g.random(sel)
    seeds = g.integers(sel, np.full(len(sel), NOISE_SEEDS, np.int64))
    out = {k: np.zeros(len(sel), np.int64) for k in ("top", "left", "height", "width")}
    apply = np.zeros(len(sel), bool)
    for k in np.flatnonzero(u_apply < op.p):
        box = erase_box(op, hw, fracs[k], logs[k])
        if box is None:
            continue
        h, w = box
        apply[k] = True
        out["height"][k], out["width"][k] = h, w
        out["top"][k] = place(float(u_top[k]), hw[0] - h + 1)
        out["left"][k] = place(float(u_left[k]), hw[1] - w + 1)
    return {"apply": apply, **out, "noise_seed": seeds.astype(np.int64)}


def random_erasing(op: Any, p: dict[str, Any], b: Any, fidelity: str) -> Any:
    apply = np.asarray(p["apply"], bool)
    rows = np.flatnonzero(apply)
    if not len(rows):
        return b
    x = b.x.clone()
    n, c, h, w = x.shape
    top, left = np.asarray(p["top"]), np.asarray(p["left"])
    height, width = np.asarray(p["height"]), np.asarray(p["width"])
    if op.value == "random":
        for k in rows:
            box = {
                "noise_seed": int(np.asarray(p["noise_seed"])[k]),
                "height": int(height[k]),
                "width": int(width[k]),
            }
            values = torch.from_numpy(erase_values(op, box, c)).to(x.device, x.dtype)
            t, lft = int(top[k]), int(left[k])
            x[k, :, t : t + box["height"], lft : lft + box["width"]] = values
        return b.new(x)
    dev = x.device
    ys = torch.arange(h, device=dev).view(1, h)
    xs = torch.arange(w, device=dev).view(1, w)

    def inside(start: np.ndarray, size: np.ndarray, at: torch.Tensor) -> torch.Tensor:
        lo = torch.as_tensor(np.where(apply, start, 0), device=dev).view(n, 1)
        hi = lo + torch.as_tensor(np.where(apply, size, 0), device=dev).view(n, 1)
        return (at >= lo) & (at < hi)

    mask = inside(top, height, ys).view(n, 1, h, 1) & inside(left, width, xs).view(n, 1, 1, w)
    values = torch.from_numpy(erase_values(op, {}, c)).to(dev, x.dtype).view(1, -1, 1, 1)
    return b.new(torch.where(mask, values, x))
