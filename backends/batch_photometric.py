"""The batched torch target's kernels for the photometric ops (augspec/ops/photometric.py):
per-sample ``apply`` masks over the whole batch, PIL's integer tables (equalize) by
``scatter_add_``, per-sample, per-channel autocontrast, the SMOOTH filter by shifted sums.
Registered in :data:`augspec.backends.torch_batched.RECORDS`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from .batch_resample import round_clip
from .batch_sampling import ArrayParams

if TYPE_CHECKING:
    from .torch_batched import Batch


def _where_applied(p: ArrayParams, b: Batch, changed: torch.Tensor) -> Batch:
    """``changed`` on the samples whose ``apply`` is true, the batch elsewhere."""
    mask = torch.as_tensor(np.asarray(p["apply"], bool), device=b.x.device).view(-1, 1, 1, 1)
    return b.new(torch.where(mask, changed, b.x))


def invert(op: Any, p: ArrayParams, b: Batch, fidelity: str) -> Batch:
    return _where_applied(p, b, 255 - b.x)


def solarize(op: Any, p: ArrayParams, b: Batch, fidelity: str) -> Batch:
    return _where_applied(p, b, torch.where(b.x >= op.threshold, 255 - b.x, b.x))


def posterize(op: Any, p: ArrayParams, b: Batch, fidelity: str) -> Batch:
    if b.x.is_floating_point():  # integer values: floor(x / 2**k) * 2**k is exact
        step = float(2 ** (8 - op.bits))
        return _where_applied(p, b, torch.floor(b.x / step) * step)
    return _where_applied(p, b, b.x & ((0xFF << (8 - op.bits)) & 0xFF))


def autocontrast(op: Any, p: ArrayParams, b: Batch, fidelity: str) -> Batch:
    x = b.as_float()
    lo = x.amin(dim=(2, 3), keepdim=True)
    hi = x.amax(dim=(2, 3), keepdim=True)
    flat = hi == lo
    stretched = round_clip((x - lo) * 255.0 / torch.where(flat, torch.ones_like(hi), hi - lo))
    return _where_applied(p, b, torch.where(flat, x, stretched))


def equalize(op: Any, p: ArrayParams, b: Batch, fidelity: str) -> Batch:
    # PIL's integer table per sample and channel (augspec/ops/photometric.py), as v2's
    # equalize_image builds it: histograms by scatter_add, integer floor divisions.
    x = b.x if b.x.dtype == torch.uint8 else b.x.round().to(torch.uint8)
    flat = x.flatten(start_dim=-2).to(torch.long)
    hist = torch.zeros((*x.shape[:2], 256), dtype=torch.long, device=x.device)
    hist.scatter_add_(-1, flat, torch.ones_like(flat))
    cum = hist.cumsum(-1)
    last = hist.gather(-1, cum.argmax(-1, keepdim=True))
    step = (flat.shape[-1] - last) // 255
    below = torch.cat([torch.zeros_like(cum[..., :1]), cum[..., :-1]], -1)
    lut = ((below + step // 2) // step.clamp(min=1)).clamp_(0, 255)
    out = lut.gather(-1, flat).view(x.shape)
    out = torch.where(step.unsqueeze(-1) == 0, x.to(torch.long), out).to(b.x.dtype)
    return _where_applied(p, b, out)


def sharpness(op: Any, p: ArrayParams, b: Batch, fidelity: str) -> Batch:
    # float64 whatever the precision: in float32 a factor such as 3.7 (not a float32 number)
    # moves ~1.5% of the blended values across a .5 boundary (32x32 crops of the photo).
    x = b.x.to(torch.float64)
    h, w = x.shape[-2:]
    smooth = x.clone()
    if h >= 3 and w >= 3:
        total = 4 * x[..., 1:-1, 1:-1]
        for dy in range(3):
            for dx in range(3):
                total = total + x[..., dy : h - 2 + dy, dx : w - 2 + dx]
        smooth[..., 1:-1, 1:-1] = round_clip(total / 13.0)
    out = round_clip(op.factor * x + (1.0 - op.factor) * smooth)
    return _where_applied(p, b, out.to(b.dtype))


def channel_permutation(op: Any, p: ArrayParams, b: Batch, fidelity: str) -> Batch:
    n, c, h, w = b.x.shape
    perm = torch.as_tensor(np.asarray(p["perm"], np.int64), device=b.x.device)
    return b.new(b.x.gather(1, perm.view(n, c, 1, 1).expand(n, c, h, w)))


def _grey(b: Batch) -> torch.Tensor:
    x = b.as_float()
    grey = x[:, 0:1] * 0.299 + x[:, 1:2] * 0.587 + x[:, 2:3] * 0.114
    return round_clip(grey).expand(x.shape).contiguous()


def grayscale(op: Any, p: ArrayParams, b: Batch, fidelity: str) -> Batch:
    return b.new(_grey(b))


def random_grayscale(op: Any, p: ArrayParams, b: Batch, fidelity: str) -> Batch:
    return _where_applied(p, b, _grey(b))
