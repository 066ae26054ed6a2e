"""The reference's resampling weights for many boxes at once, as K-tap bands.

:func:`augspec.reference.resample_matrix` builds a dense (out, in) matrix per box, row by
row in Python. A batched resize needs one per sample (each random_resized_crop box has its
own size), so this module builds the same weights vectorised over samples and output
positions, and keeps only the band of non-zero taps: ``idx[n, i, k]`` (absolute input
index, box offset included) and ``weight[n, i, k]`` (zero on padding taps). The band is K
wide, K = the widest filter in the batch (about 2 * support * scale + 1).
"""

from __future__ import annotations

import numpy as np

SUPPORT = {"bilinear": 1.0, "bicubic": 2.0}


def _triangle(x: np.ndarray) -> np.ndarray:
    return np.clip(1.0 - np.abs(x), 0.0, None)


def _cubic(x: np.ndarray, a: float = -0.5) -> np.ndarray:
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = (((x - 5) * x + 8) * x - 4) * a
    return np.where(x < 1, near, np.where(x < 2, far, 0.0))


_KERNELS = {"bilinear": _triangle, "bicubic": _cubic}


def band_weights(
    starts: np.ndarray, lengths: np.ndarray, out_size: int, interpolation: str
) -> tuple[np.ndarray, np.ndarray]:
    """Taps mapping input ``[start, start + length)`` of each sample to ``out_size`` samples.

    Returns ``(idx, weight)``, both (N, out_size, K); ``idx`` int64, ``weight`` float64.
    """
    starts = np.asarray(starts, np.int64)
    lengths = np.asarray(lengths, np.int64)
    scale = (lengths / out_size)[:, None]  # (N, 1)
    centers = (np.arange(out_size) + 0.5)[None, :] * scale  # (N, out)
    if interpolation == "nearest":
        src = np.minimum(np.floor(centers).astype(np.int64), lengths[:, None] - 1)
        return (src + starts[:, None])[..., None], np.ones(src.shape + (1,))
    if interpolation not in _KERNELS:
        raise ValueError(
            f"interpolation: Expected one of nearest, bilinear, bicubic; received interpolation={interpolation!r}"
        )
    filter_scale = np.maximum(scale, 1.0)
    support = SUPPORT[interpolation] * filter_scale
    # int() in the reference truncates; both bounds are then clipped into [0, length].
    lo = np.maximum(np.trunc(centers - support + 0.5), 0).astype(np.int64)
    hi = np.minimum(np.trunc(centers + support + 0.5).astype(np.int64), lengths[:, None])
    taps = int((hi - lo).max())
    k = np.arange(taps)
    pos = lo[..., None] + k  # (N, out, K), relative to the box
    valid = pos < hi[..., None]
    w = _KERNELS[interpolation]((pos + 0.5 - centers[..., None]) / filter_scale[..., None])
    w = np.where(valid, w, 0.0)
    w = w / w.sum(-1, keepdims=True)
    pos = np.where(valid, pos, lo[..., None])  # padding taps point at a real pixel, weight 0
    return pos + starts[:, None, None], w
