"""The batched torch target's kernels for the filter ops (augspec/ops/filters.py):
``gaussian_blur`` with a sigma per sample (each sample's own 1-D Gaussian, rows then columns,
reflect padding, shifted multiply-adds over the whole batch), ``gaussian_noise`` (each sample's
PCG64 noise field) and ``jpeg`` (Pillow's round trip, sample by sample).
Registered in :data:`augspec.backends.torch_batched.RECORDS`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F

from .batch_resample import round_clip
from .batch_sampling import ArrayParams

if TYPE_CHECKING:
    from .torch_batched import Batch


def gaussian_taps(size: int, sigma: np.ndarray, like: torch.Tensor) -> torch.Tensor:
    """(N, size) 1-D Gaussians, one per sigma: the reference's kernel, in float64, then the
    batch's precision."""
    half = size // 2
    offsets = torch.arange(-half, half + 1, dtype=torch.float64)
    s = torch.as_tensor(np.asarray(sigma, np.float64)).view(-1, 1)
    pdf = torch.exp(-0.5 * (offsets / s) ** 2)
    return (pdf / pdf.sum(dim=1, keepdim=True)).to(like.device, like.dtype)


def _convolve_axis(x: torch.Tensor, taps: torch.Tensor, dim: int) -> torch.Tensor:
    """Reflect-pad ``x`` (N, C, H, W) along ``dim`` (2 or 3) and add each sample's taps times the
    shifted copies, in tap order (the reference's order). Elementwise ops only: no cuDNN
    convolution, whose float32 default on recent GPUs is TF32 (10-bit mantissa)."""
    half = taps.shape[1] // 2
    padded = F.pad(x, (half, half, 0, 0) if dim == 3 else (0, 0, half, half), mode="reflect")
    out = torch.zeros_like(x)
    for i in range(taps.shape[1]):
        out += taps[:, i].view(-1, 1, 1, 1) * padded.narrow(dim, i, x.shape[dim])
    return out


def gaussian_blur(op: Any, p: ArrayParams, b: Batch, fidelity: str) -> Batch:
    x = b.as_float()
    kh, kw = op.kernel_hw
    sigma = np.asarray(p["sigma"], np.float64)
    x = _convolve_axis(x, gaussian_taps(kw, sigma, x), dim=3)  # rows, then columns
    x = _convolve_axis(x, gaussian_taps(kh, sigma, x), dim=2)
    return b.new(round_clip(x))


def gaussian_noise(op: Any, p: ArrayParams, b: Batch, fidelity: str) -> Batch:
    """Each sample's noise (the spec's PCG64 field of its ``noise_seed``, float32) added to the
    float32 tensor batch, clamped to [0, 1]."""
    from augspec.ops.filters import scaled_noise

    shape = tuple(int(n) for n in b.x.shape[1:])
    terms = np.stack([scaled_noise(op, int(s), shape) for s in np.asarray(p["noise_seed"])])
    out = b.x + torch.from_numpy(terms).to(b.x.device, b.x.dtype)
    return b.new(out.clamp_(0.0, 1.0) if op.clip else out)


def jpeg(op: Any, p: ArrayParams, b: Batch, fidelity: str) -> Batch:
    """Each sample through Pillow's JPEG round trip at its quality (the definition; on the CPU,
    sample by sample: JPEG coding has no batched torch kernel)."""
    from augspec.ops.filters import jpeg_round_trip

    images = b.x.round().to(torch.uint8) if b.x.is_floating_point() else b.x
    host = images.permute(0, 2, 3, 1).cpu().numpy()
    quality = np.asarray(p["quality"])
    out = np.stack([jpeg_round_trip(img, int(q)) for img, q in zip(host, quality, strict=True)])
    back = torch.from_numpy(out).permute(0, 3, 1, 2).to(b.x.device)
    return b.new(back.to(b.x.dtype) if b.x.is_floating_point() else back.contiguous())
