"""The reference's resampling weights for many boxes at once, as K-tap bands.

:func:`augspec.reference.resample_matrix` builds a dense (out, in) matrix per box, row by
row in Python. A batched resize needs one per sample (each random_resized_crop box has its
own size), so this module builds the same weights vectorised over samples and output
positions, and keeps only the band of non-zero taps: ``idx[n, i, k]`` (absolute input
index, box offset included) and ``weight[n, i, k]`` (zero on padding taps). The band is K
wide, K = the widest filter in the batch (about 2 * support * scale + 1).

The torch resampling built on these weights lives here too, dispatched by :func:`resample`:
:func:`grow_rows` (bilinear boxes that grow in height on a narrow input: CIFAR upsampled),
:func:`interpolate_each` (torch's own separable kernel per sample: large outputs on CPU), and
otherwise K-tap bands or dense matrices (:func:`taps_along_rows`).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from augspec.reference import FILTERS


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
    if interpolation not in FILTERS:
        raise ValueError(
            f"interpolation: Expected one of nearest, bilinear, bicubic; received interpolation={interpolation!r}"
        )
    filter_scale = np.maximum(scale, 1.0)
    kernel, support_at_1 = FILTERS[interpolation]
    support = support_at_1 * filter_scale
    # int() in the reference truncates; both bounds are then clipped into [0, length].
    lo = np.maximum(np.trunc(centers - support + 0.5), 0).astype(np.int64)
    hi = np.minimum(np.trunc(centers + support + 0.5).astype(np.int64), lengths[:, None])
    taps = int((hi - lo).max())
    k = np.arange(taps)
    pos = lo[..., None] + k  # (N, out, K), relative to the box
    valid = pos < hi[..., None]
    w = kernel((pos + 0.5 - centers[..., None]) / filter_scale[..., None])
    w = np.where(valid, w, 0.0)
    w = w / w.sum(-1, keepdims=True)
    pos = np.where(valid, pos, lo[..., None])  # padding taps point at a real pixel, weight 0
    return pos + starts[:, None, None], w


def index_rows(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``x.index_select(0, index)`` into a ``torch.empty`` given as ``out=``."""
    return torch.index_select(x, 0, index, out=x.new_empty((len(index), *x.shape[1:])))


# On CPU, grow_rows' uint8 output is built this many values at a time in reused float/int16 buffers:
# fresh image-sized intermediates (tens of MB for 64 x 200x200) cost page faults on first touch
# on CPU, measured as much as the arithmetic.
CHUNK_VALUES = 1 << 20


def grow_rows(x: torch.Tensor, boxes: np.ndarray, out_hw: tuple[int, int]) -> torch.Tensor:
    """Bilinear, every box growing in height (two taps per output row), narrow input.

    Columns by one dense bmm per sample on the small input, (N, C*H, W) @ (N, W, ow); then
    each output row is ``row0 + w1 * (row1 - row0)`` (weights w0 + w1 = 1 after the
    reference's normalisation; an edge row's second tap has weight 0): the differences of
    consecutive rows are taken on the small (N, C, H, ow) tensor, row0 and its difference
    gathered with index_select, and one in-place ``addcmul_``: output NCHW without transposes.
    uint8 output, by truncation (the floor).
    """
    n, c, h, w = x.shape
    oh, ow = out_hw
    cols_idx, cols_w = band_weights(boxes[:, 1], boxes[:, 3], ow, "bilinear")
    cols = (
        torch.zeros((n, w, ow), dtype=torch.float64)
        .scatter_add_(  # the dense (N, W, ow) matrices
            1, torch.from_numpy(cols_idx).transpose(1, 2), torch.from_numpy(cols_w).transpose(1, 2)
        )
        .to(x.device, x.dtype)
    )
    tmp = torch.bmm(x.reshape(n, c * h, w), cols).view(n * c * h, ow)  # (N, C, H, ow) as rows
    tmp.add_(0.5)  # the rounding's + 0.5, here where it is 6x smaller (the weights sum to 1)
    rows_idx, rows_w = band_weights(
        boxes[:, 0], boxes[:, 2], oh, "bilinear"
    )  # (N, oh, 2), or 1 tap
    if rows_idx.shape[2] == 1:  # every box one row high: a second tap of weight 0
        rows_idx, rows_w = (
            np.repeat(rows_idx, 2, 2),
            np.concatenate([rows_w, np.zeros_like(rows_w)], 2),
        )
    base = (np.arange(n * c) * h).reshape(n, c, 1)
    # a second tap is the next row or (weight 0) the first tap itself: row0 + 0 * diff = row0
    flat = torch.as_tensor((rows_idx[:, None, :, 0] + base).reshape(-1), device=x.device)
    weight = torch.as_tensor(
        np.repeat(rows_w[:, None, :, 1], c, 1).reshape(-1, 1), dtype=x.dtype, device=x.device
    )
    diff = torch.zeros_like(tmp)  # the last row's difference (weight 0 wherever used) stays 0
    torch.sub(tmp[1:], tmp[:-1], out=diff[:-1])
    # non-negative weights summing to 1 keep values (+ 0.5) within [0, 256): floor only
    if x.device.type != "cpu":
        out = index_rows(tmp, flat).addcmul_(index_rows(diff, flat), weight).floor_()
        return out.to(torch.uint8).view(n, c, oh, ow)
    out8 = torch.empty((n * c * oh, ow), dtype=torch.uint8)
    step = max(1, CHUNK_VALUES // ow)  # output rows per chunk
    a, d = tmp.new_empty((min(step, len(flat)), ow)), tmp.new_empty((min(step, len(flat)), ow))
    i16 = torch.empty(a.shape, dtype=torch.int16)
    for start in range(0, len(flat), step):
        rows = slice(start, min(start + step, len(flat)))
        m = rows.stop - start
        torch.index_select(tmp, 0, flat[rows], out=a[:m])
        torch.index_select(diff, 0, flat[rows], out=d[:m])
        i16[:m].copy_(a[:m].addcmul_(d[:m], weight[rows]))  # truncation: the floor
        out8[rows].copy_(i16[:m])
    return out8.view(n, c, oh, ow)


def round_clip(x: torch.Tensor) -> torch.Tensor:
    """The reference's one rounding rule, in place: floor(x + 0.5) clipped to [0, 255]."""
    return x.add_(0.5).floor_().clamp_(0.0, 255.0)


# Inputs up to this many pixels resample with dense per-sample matrices (one bmm per axis,
# cheap at CIFAR sizes); larger ones copy the K taps' rows with index_select (O(K) work).
DENSE_MAX_PIXELS = 96 * 96


def _dense(idx: np.ndarray, w: np.ndarray, in_size: int) -> np.ndarray:
    """The (N, out, in) matrices that a K-tap band stands for."""
    n, out, _ = idx.shape
    m = np.zeros((n, out, in_size))
    rows = np.arange(n)[:, None, None], np.arange(out)[None, :, None]
    np.add.at(m, (*rows, idx), w)
    return m


def taps_along_rows(x: torch.Tensor, idx: np.ndarray, w: np.ndarray) -> torch.Tensor:
    """x (N, H, D) -> (N, out, D): out[n, i] = sum_k w[n, i, k] * x[n, idx[n, i, k]]."""
    n, h, d = x.shape
    _, out, k = idx.shape
    dev, dt = x.device, x.dtype
    if h * max(d, 1) <= DENSE_MAX_PIXELS * 3 or h <= 2 * k:
        return torch.bmm(torch.as_tensor(_dense(idx, w, h), device=dev, dtype=dt), x)
    flat = torch.as_tensor(idx + (np.arange(n) * h)[:, None, None], device=dev).reshape(-1)
    rows = index_rows(x.reshape(n * h, d), flat).view(n * out, k, d)
    weights = torch.as_tensor(w, device=dev, dtype=dt).view(n * out, 1, k)
    return torch.bmm(weights, rows).view(n, out, d)


def interpolate_each(
    x: torch.Tensor, boxes: np.ndarray, out_hw: tuple[int, int], interpolation: str
) -> torch.Tensor:
    """Each sample's box by torch's separable kernel (``F.interpolate``), then rounded."""
    n, c = x.shape[:2]
    oh, ow = out_hw
    out = torch.empty((n, c, oh, ow), dtype=x.dtype, device=x.device)
    for k, (top, left, h, w) in enumerate(boxes.tolist()):
        crop = x[k : k + 1, :, top : top + h, left : left + w]
        if (h, w) == (oh, ow):
            out[k : k + 1] = crop
            continue
        antialias = interpolation == "bicubic" or h > oh or w > ow
        out[k : k + 1] = F.interpolate(
            crop, size=(oh, ow), mode=interpolation, antialias=antialias, align_corners=False
        )
    return round_clip(out)


def to_uint8(x: torch.Tensor) -> torch.Tensor:
    """Whole numbers in [0, 255] (or [0, 256) to truncate) to uint8, through int16: ~3x
    faster on CPU than float -> uint8 directly."""
    return x if x.dtype == torch.uint8 else x.to(torch.int16).to(torch.uint8)


# On CPU, bilinear/bicubic outputs of at least this many pixels are resampled one sample at
# a time by torch's separable kernels (F.interpolate), which run several times faster there
# than the batched band/dense code. ``antialias=True`` is PIL's filter and normalisation, the
# reference's weights (bicubic a = -0.5, support scaled when shrinking); without antialias,
# bilinear at scale <= 1 (both axes growing) is the same triangle with edge clamping.
INTERPOLATE_MIN_PIXELS = 64 * 64


def _grows_rows(
    x: torch.Tensor, boxes: np.ndarray, out_hw: tuple[int, int], interpolation: str
) -> bool:
    return (
        interpolation == "bilinear"
        and int(boxes[:, 2].max()) < out_hw[0]
        and x.shape[3] <= 128
        and out_hw[0] > 1
    )


def _crops_each(
    x: torch.Tensor, boxes: np.ndarray, out_hw: tuple[int, int], interpolation: str
) -> bool:
    return (
        not _grows_rows(x, boxes, out_hw, interpolation)
        and x.device.type == "cpu"
        and interpolation != "nearest"
        and out_hw[0] * out_hw[1] >= INTERPOLATE_MIN_PIXELS
    )


def resample(
    x: torch.Tensor, boxes: np.ndarray, out_hw: tuple[int, int], interpolation: str
) -> torch.Tensor:
    """Resize box ``(top, left, height, width)`` of each float sample to ``out_hw`` (rows, then
    columns), as uint8: the values are whole numbers, and an upsampled batch is large, so it
    is not kept as float (a later op that wants float converts it in one pass)."""
    n, c, h, w = x.shape
    oh, ow = out_hw
    if _grows_rows(x, boxes, out_hw, interpolation):
        return grow_rows(x, boxes, out_hw)
    if _crops_each(x, boxes, out_hw, interpolation):
        return to_uint8(interpolate_each(x, boxes, out_hw, interpolation))
    rows_idx, rows_w = band_weights(boxes[:, 0], boxes[:, 2], oh, interpolation)
    cols_idx, cols_w = band_weights(boxes[:, 1], boxes[:, 3], ow, interpolation)
    tmp = taps_along_rows(
        x.permute(0, 2, 3, 1).reshape(n, h, w * c), rows_idx, rows_w
    )  # (N, oh, W*C)
    tmp = tmp.view(n, oh, w, c).transpose(1, 2).reshape(n, w, oh * c)
    out = taps_along_rows(tmp, cols_idx, cols_w)  # (N, ow, oh*C)
    return to_uint8(round_clip(out.view(n, ow, oh, c).permute(0, 3, 2, 1).contiguous()))
