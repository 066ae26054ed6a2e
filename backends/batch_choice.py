"""Batched ``random_choice`` and ``random_order`` (augspec/ops/choice.py) for the torch target.

Per-sample decisions on a whole batch: the samples are grouped by what they drew (the chosen
op; the order, one group per distinct permutation drawn), each group runs its op(s) as one
sub-batch with its samples' params, and the results are written back in place of the group's
rows. Every op keeps the size (random_order) or gives one size (random_choice), so the groups
fit one output batch; an image group that stayed uint8 beside a float one is widened.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from .batch_sampling import ArrayParams, subset_params

# (ops, array params, batch, fidelity) -> batch: torch_batched.apply_ops.
ApplyOps = Callable[[list[Any], list[ArrayParams], Any, str], Any]


def _merge(b: Any, groups: list[tuple[np.ndarray, Any]]) -> Any:
    """One batch from (rows, sub-batch) groups that cover every row once."""
    dtype = groups[0][1].x.dtype
    for _, part in groups[1:]:
        dtype = torch.promote_types(dtype, part.x.dtype)
    first = groups[0][1].x
    out = torch.empty((len(b.x), *first.shape[1:]), dtype=dtype, device=first.device)
    for rows, part in groups:
        out[torch.as_tensor(rows, device=out.device)] = part.x.to(dtype)
    return b.new(out, groups[0][1].is_image)


def _run_groups(b: Any, keys: np.ndarray, run: Callable[[np.ndarray, Any, Any], Any]) -> Any:
    """``run(key, rows, sub-batch)`` for each distinct key (row of ``keys``); merged."""
    distinct, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    if len(distinct) == 1:
        return run(distinct[0], np.arange(len(keys)), b)
    groups = []
    for g, key in enumerate(distinct):
        rows = np.flatnonzero(inverse == g)
        sel = torch.as_tensor(rows, device=b.x.device)
        groups.append((rows, run(key, rows, b.new(b.x[sel]))))
    return _merge(b, groups)


def choice_kernel(apply_ops: ApplyOps) -> Callable[[Any, ArrayParams, Any, str], Any]:
    def random_choice(op: Any, p: ArrayParams, b: Any, fidelity: str) -> Any:
        choice = np.asarray(p["choice"], np.int64).reshape(-1, 1)

        def run(key: np.ndarray, rows: np.ndarray, part: Any) -> Any:
            k = int(key[0])
            own = p["ops"][k] if len(rows) == len(choice) else subset_params([p["ops"][k]], rows)[0]
            return apply_ops([op.ops[k]], [own], part, fidelity)

        return _run_groups(b, choice, run)

    return random_choice


def order_kernel(apply_ops: ApplyOps) -> Callable[[Any, ArrayParams, Any, str], Any]:
    def random_order(op: Any, p: ArrayParams, b: Any, fidelity: str) -> Any:
        perms = np.asarray(p["perm"], np.int64).reshape(len(b.x), len(op.ops))

        def run(key: np.ndarray, rows: np.ndarray, part: Any) -> Any:
            whole = len(rows) == len(perms)
            own = p["ops"] if whole else subset_params(p["ops"], rows)
            for i in key:
                part = apply_ops([op.ops[int(i)]], [own[int(i)]], part, fidelity)
            return part

        return _run_groups(b, perms, run)

    return random_order
