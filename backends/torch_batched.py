"""Batched compile target for torch: one spec applied to a whole uint8 NCHW batch at once.

``compile_batched(spec, device)`` returns a :class:`BatchedPipeline`. Calling it with a
batch (torch or numpy uint8, shape (N, 3, H, W)) and either a list of ``augspec.sample``
dicts or ``(seed, epoch, indices)`` applies the spec with per-sample params in a few
batched torch ops, on CPU or GPU:

- flips: the flipped samples copied over a copy of the batch, moved as int64 rows;
- brightness/contrast/saturation/hue (:mod:`.batch_color`): per-sample factors broadcast
  over (C, H, W), a few in-place elementwise passes each (hue: the reference's hexcone
  model without ``where``/``remainder``);
- color_jitter: for each of the four positions, each component on the samples whose
  drawn order puts it there; on images of :data:`PER_SAMPLE_PIXELS` or more, sample by
  sample in its drawn order, in place, and when a random_resized_crop follows, only the
  steps up to contrast (whose grey mean is the whole image's) on the whole image, the rest
  on the crop's box (the crop reads nothing else); on CPU in float32, through the compiled
  kernel of :mod:`.batch_fused` when it is available (bit for bit the same);
- random_resized_crop / resize: the reference's separable resampling weights
  (:func:`augspec.reference.resample_matrix`, rebuilt vectorised per sample). Bilinear boxes
  growing in height on a narrow input (:func:`.batch_resample.grow_rows`): one dense bmm for
  the columns, then row0 + w * (row1 - row0) from gathered rows, written as uint8 in chunks
  when the crop is the last op; on CPU, outputs of :data:`INTERPOLATE_MIN_PIXELS` or more:
  torch's own separable kernel per sample (``F.interpolate``, antialiased where a box
  shrinks: PIL's filter, the reference's weights); otherwise K-tap bands gathered from the un-cropped
  batch (dense matrices for small inputs);
- random_crop: zero/fill padding, then one gather of per-sample windows;
- lighting: a per-sample RGB offset; to_tensor (one uint8 -> float32 pass) and normalize:
  float maths.

Sampling from ``(seed, epoch, indices)`` is vectorised too (``batch_sampling``): identical
params to ``augspec.sample``, without one Python generator per image.

Numerics: images stay integer-valued between ops (round half up and clip to [0, 255]
after every op, as the reference does) but the arithmetic is float32, not the reference's
float64, so a value that lands within float32 error of a .5 boundary may round the other
way: at most 1 (0-255 units) per op on a small fraction of pixels. :data:`TOLERANCES`
states the bound per op; tests/test_batched.py checks them against
``augspec.reference.replay`` image by image.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from augspec.ops import (
    COLOR_COMPONENTS,
    LIGHTING_EIGVAL,
    LIGHTING_EIGVEC,
    CenterCrop,
    Compose,
    OpBase,
    RandomApply,
    RandomCrop,
    RandomResizedCrop,
    Resize,
    ToTensor,
)
from augspec.pipeline import Pipeline, resize_shorter_hw, trace_hw
from augspec.reference import center_box
from augspec.sampling import Params

from . import batch_fused
from .batch_color import COLOR_ADJUST, adjust_contrast
from .batch_resample import (
    band_weights,
    grow_rows,
    interpolate_each,
    round_clip,
    taps_along_rows,
    to_uint8,
)
from .batch_sampling import ArrayParams, sample_batch, stack_params

# Max abs difference to ``augspec.reference.replay`` per op, 0-255 units (tensors x 255),
# and the bound on the fraction of values that may differ at all.
TOLERANCES: dict[str, tuple[float, float]] = {
    "horizontal_flip": (0.0, 0.0),
    "vertical_flip": (0.0, 0.0),
    "center_crop": (0.0, 0.0),
    "random_crop": (0.0, 0.0),
    "to_tensor": (0.0, 0.0),
    "normalize": (1e-3, 1.0),  # float32 (x - mean) / std, same formula: ulps only
    "brightness": (1.0, 0.01),
    "contrast": (1.0, 0.01),
    "saturation": (1.0, 0.01),
    "hue": (1.0, 0.02),
    "color_jitter": (1.0, 0.03),
    "lighting": (1.0, 0.01),
    "random_resized_crop": (1.0, 0.01),
    "resize": (1.0, 0.01),
}

PRECISIONS = {"float32": torch.float32, "float64": torch.float64}

Kernel = Callable[[Any, ArrayParams, "Batch"], "Batch"]  # op model, array params, batch
_KERNELS: dict[str, Kernel] = {}


class Batch:
    """The batch between ops: a tensor and whether it is still an image (0-255 values).

    A floating-point ``x`` always belongs to the pipeline (the caller's batch is uint8 and
    ``as_float`` copies it), so kernels may overwrite a float ``x`` in place.
    """

    def __init__(self, x: torch.Tensor, is_image: bool = True, dtype: torch.dtype = torch.float32) -> None:
        self.x = x
        self.is_image = is_image
        self.dtype = dtype  # the arithmetic precision (float32, or float64 to match the reference bit for bit)

    def as_float(self) -> torch.Tensor:
        return self.x if self.x.dtype == self.dtype else self.x.to(self.dtype)

    def new(self, x: torch.Tensor, is_image: bool | None = None) -> Batch:
        return Batch(x, self.is_image if is_image is None else is_image, self.dtype)


def _kernel(*names: str) -> Callable[[Kernel], Kernel]:
    def register(fn: Kernel) -> Kernel:
        for name in names:
            _KERNELS[name] = fn
        return fn

    return register


def _column(values: Any, x: torch.Tensor) -> torch.Tensor:
    """Per-sample values as an (N, 1, 1, 1) tensor on the batch's device and dtype."""
    return torch.as_tensor(np.asarray(values), dtype=x.dtype, device=x.device).view(-1, 1, 1, 1)


# ---- geometry -------------------------------------------------------------------


def _wide(x: torch.Tensor) -> torch.Tensor:
    """A contiguous batch as (N, -1) rows of the widest integer type that tiles a sample.

    Selecting/copying whole samples of a uint8 batch moves one byte per element; viewed as
    int64 the same copies move 8 (measured ~3x faster for index_select/index_copy_)."""
    flat = x.reshape(x.shape[0], -1).view(torch.uint8)
    for size, dtype in ((8, torch.int64), (4, torch.int32), (2, torch.int16)):
        if flat.shape[1] % size == 0:
            return flat.view(dtype)
    return flat


def _flip(dim: int) -> Kernel:
    def kernel(op: OpBase, p: ArrayParams, b: Batch) -> Batch:
        apply = np.asarray(p["apply"], bool)
        if not apply.any():
            return b
        if apply.all():
            return b.new(b.x.flip(dim))
        # Copy the batch, then overwrite the flipped samples (torch.where with a broadcast
        # (N, 1, 1, 1) mask is several times slower on CPU), moving whole samples as int64 rows.
        x = b.x.contiguous()
        rows = torch.as_tensor(np.flatnonzero(apply), device=x.device)
        flipped = _wide(x).index_select(0, rows).view(torch.uint8).view(x.dtype).view(-1, *x.shape[1:])
        out = _wide(x).clone()
        out.index_copy_(0, rows, _wide(flipped.flip(dim)))
        return b.new(out.view(torch.uint8).view(x.dtype).view(x.shape))

    return kernel


_kernel("horizontal_flip")(_flip(3))
_kernel("vertical_flip")(_flip(2))


# On CPU, bilinear/bicubic outputs of at least this many pixels are resampled one sample at
# a time by torch's separable kernels (F.interpolate), which run several times faster there
# than the batched band/dense code. ``antialias=True`` is PIL's filter and normalisation, the
# reference's weights (bicubic a = -0.5, support scaled when shrinking); without antialias,
# bilinear at scale <= 1 (both axes growing) is the same triangle with edge clamping.
INTERPOLATE_MIN_PIXELS = 64 * 64


def _grows_rows(x: torch.Tensor, boxes: np.ndarray, out_hw: tuple[int, int], interpolation: str) -> bool:
    return interpolation == "bilinear" and int(boxes[:, 2].max()) < out_hw[0] and x.shape[3] <= 128 and out_hw[0] > 1


def _crops_each(x: torch.Tensor, boxes: np.ndarray, out_hw: tuple[int, int], interpolation: str) -> bool:
    """Whether :func:`resample` takes the per-sample ``F.interpolate`` path."""
    return (
        not _grows_rows(x, boxes, out_hw, interpolation)
        and x.device.type == "cpu"
        and interpolation != "nearest"
        and out_hw[0] * out_hw[1] >= INTERPOLATE_MIN_PIXELS
    )


def resample(
    x: torch.Tensor, boxes: np.ndarray, out_hw: tuple[int, int], interpolation: str, uint8: bool = False
) -> torch.Tensor:
    """Resize box ``(top, left, height, width)`` of each sample to ``out_hw``: rows, then columns.

    ``uint8``: return uint8 (the image leaves the pipeline), else float whole numbers."""
    n, c, h, w = x.shape
    oh, ow = out_hw
    if _grows_rows(x, boxes, out_hw, interpolation):
        return grow_rows(x, boxes, out_hw, uint8)
    if _crops_each(x, boxes, out_hw, interpolation):
        out = interpolate_each(x, boxes, out_hw, interpolation)
        return to_uint8(out) if uint8 else out
    rows_idx, rows_w = band_weights(boxes[:, 0], boxes[:, 2], oh, interpolation)
    cols_idx, cols_w = band_weights(boxes[:, 1], boxes[:, 3], ow, interpolation)
    tmp = taps_along_rows(x.permute(0, 2, 3, 1).reshape(n, h, w * c), rows_idx, rows_w)  # (N, oh, W*C)
    tmp = tmp.view(n, oh, w, c).transpose(1, 2).reshape(n, w, oh * c)
    out = taps_along_rows(tmp, cols_idx, cols_w)  # (N, ow, oh*C)
    out = round_clip(out.view(n, ow, oh, c).permute(0, 3, 2, 1).contiguous())
    return to_uint8(out) if uint8 else out


def _boxes(p: ArrayParams) -> np.ndarray:
    """random_resized_crop's (N, 4) boxes: top, left, height, width."""
    return np.stack([p["top"], p["left"], p["height"], p["width"]], 1).astype(np.int64)


@_kernel("random_resized_crop")
def _rrc(op: RandomResizedCrop, p: ArrayParams, b: Batch) -> Batch:
    return b.new(resample(b.as_float(), _boxes(p), op.hw, op.interpolation))


@_kernel("resize")
def _resize(op: Resize, p: ArrayParams, b: Batch) -> Batch:
    n, _, h, w = b.x.shape
    hw = op.size if isinstance(op.size, tuple) else resize_shorter_hw((h, w), op.size)
    if (h, w) == tuple(hw):
        return b
    boxes = np.tile(np.array([0, 0, h, w], np.int64), (n, 1))
    return b.new(resample(b.as_float(), boxes, hw, op.interpolation))


@_kernel("center_crop")
def _center_crop(op: CenterCrop, p: ArrayParams, b: Batch) -> Batch:
    ch, cw = op.hw
    top, left = center_box((b.x.shape[2], b.x.shape[3]), (ch, cw))
    return b.new(b.x[:, :, top : top + ch, left : left + cw])


@_kernel("random_crop")
def _random_crop(op: RandomCrop, p: ArrayParams, b: Batch) -> Batch:
    x = b.x
    if op.padding:
        pad = op.padding
        x = F.pad(x.float(), (pad, pad, pad, pad), value=float(op.fill)).to(x.dtype)
    n, c = x.shape[:2]
    ch, cw = op.hw
    dev = x.device
    rows = torch.as_tensor(np.asarray(p["top"]), device=dev).view(n, 1) + torch.arange(ch, device=dev)
    cols = torch.as_tensor(np.asarray(p["left"]), device=dev).view(n, 1) + torch.arange(cw, device=dev)
    x = x.gather(2, rows.view(n, 1, ch, 1).expand(n, c, ch, x.shape[3]))
    x = x.gather(3, cols.view(n, 1, 1, cw).expand(n, c, ch, cw))
    return b.new(x)


# ---- colour ------------------------------------------------------------------------


def _factor_kernel(name: str) -> Kernel:
    def kernel(op: OpBase, p: ArrayParams, b: Batch) -> Batch:
        x = b.as_float()
        return b.new(COLOR_ADJUST[name](x, _column(p["factor"], x)))

    return kernel


for _name in COLOR_COMPONENTS:
    _kernel(_name)(_factor_kernel(_name))


# Images at least this large run color_jitter sample by sample (each in its own drawn order,
# in place on its slice of the batch): no gather/scatter copies of per-position subsets,
# which cost more than the per-call overhead of a Python loop over the samples at these sizes.
PER_SAMPLE_PIXELS = 128 * 128


def _jitter_one(p: ArrayParams, k: int, whole: torch.Tensor, box: np.ndarray | None = None) -> None:
    """Sample ``k``'s jitter, in place on ``whole`` (1, C, H, W). With its ``box`` (top,
    left, height, width; the next op reads nothing else): the steps before contrast run on
    the whole image (contrast's grey mean is the whole image's), contrast's blend and every
    later step on the box only; the box comes out as without ``box`` (elementwise ops)."""
    region = whole
    if box is not None:
        top, left, h, w = box.tolist()
        region = whole[:, :, top : top + h, left : left + w]
    contrast = COLOR_COMPONENTS.index("contrast") if p["contrast"] is not None else -1
    order = np.asarray(p["order"])[k].tolist()
    target = whole if contrast in order else region
    if batch_fused.usable(whole):
        names = [COLOR_COMPONENTS[c] for c in order if p[COLOR_COMPONENTS[c]] is not None]
        steps = [(name, _column(np.asarray(p[name])[k : k + 1], whole)) for name in names]
        return batch_fused.jitter(steps, whole, region, target)
    for comp_index in order:
        name = COLOR_COMPONENTS[comp_index]
        if p[name] is None:
            continue
        f = _column(np.asarray(p[name])[k : k + 1], whole)
        if comp_index == contrast:
            adjust_contrast(region, f, mean_of=whole)
            target = region
        else:
            COLOR_ADJUST[name](target, f)


def _jitter_crop(
    p: ArrayParams, op: RandomResizedCrop, p_crop: ArrayParams, b: Batch, uint8: bool, flip: tuple[int, Any] | None
) -> Batch:
    """color_jitter then random_resized_crop, sample by sample (large images, the crop taking
    the per-sample ``F.interpolate`` path): each sample converted to float in one reused
    buffer, jittered (see :func:`_jitter_one`) and cropped into the output; ``flip`` (dim,
    per-sample apply) is a preceding flip, done here. No batch-sized copies: on CPU their first
    touch (page faults) cost ~0.4 ms per 400x500 image (float), ~0.14 ms (the flip's)."""
    boxes = _boxes(p_crop)
    n, c = b.x.shape[:2]
    buf = torch.empty((1, *b.x.shape[1:]), dtype=b.dtype, device=b.x.device)
    out = torch.empty((n, c, *op.hw), dtype=torch.uint8 if uint8 else b.dtype, device=b.x.device)
    for k in range(n):
        src = b.x[k : k + 1]
        _jitter_one(p, k, buf.copy_(src.flip(flip[0]) if flip is not None and flip[1][k] else src), boxes[k])
        crop = interpolate_each(buf, boxes[k : k + 1], op.hw, op.interpolation)
        out[k : k + 1] = to_uint8(crop) if uint8 else crop
    return b.new(out)


def _per_sample_crop(b: Batch, op: OpBase, p_crop: ArrayParams) -> bool:
    """Whether a jitter then ``op`` (a random_resized_crop) runs as :func:`_jitter_crop`."""
    return (
        isinstance(op, RandomResizedCrop)
        and b.x.shape[2] * b.x.shape[3] >= PER_SAMPLE_PIXELS
        and _crops_each(b.x, _boxes(p_crop), op.hw, op.interpolation)
    )


@_kernel("color_jitter")
def _color_jitter(op: OpBase, p: ArrayParams, b: Batch) -> Batch:
    x = b.as_float()  # ours to overwrite (see Batch)
    if x.shape[2] * x.shape[3] >= PER_SAMPLE_PIXELS:
        for k in range(len(x)):
            _jitter_one(p, k, x[k : k + 1])
        return b.new(x)
    order = np.asarray(p["order"])
    for position in range(order.shape[1]):
        for comp_index, name in enumerate(COLOR_COMPONENTS):
            if p[name] is None:
                continue
            rows = np.flatnonzero(order[:, position] == comp_index)
            if not len(rows):
                continue
            if len(rows) == len(x):
                COLOR_ADJUST[name](x, _column(p[name], x))
                continue
            sel = torch.as_tensor(rows, device=x.device)
            x[sel] = COLOR_ADJUST[name](x[sel], _column(np.asarray(p[name])[rows], x))
    return b.new(x)


@_kernel("lighting")
def _lighting(op: OpBase, p: ArrayParams, b: Batch) -> Batch:
    alpha = np.asarray(p["alpha"], np.float64)  # (N, 3)
    offset = (alpha * np.asarray(LIGHTING_EIGVAL)) @ np.asarray(LIGHTING_EIGVEC).T
    x = b.as_float()
    off = torch.as_tensor(offset, dtype=x.dtype, device=x.device).view(-1, 3, 1, 1)
    return b.new(round_clip(x.add_(off)))


# ---- tensors and structure ------------------------------------------------------


@_kernel("to_tensor")
def _to_tensor(op: OpBase, p: ArrayParams, b: Batch) -> Batch:
    # Always float32, as the reference: x / 255 correctly rounded to float32, for both
    # precisions. One pass: uint8 (or float) in, float32 out.
    out = torch.empty(b.x.shape, dtype=torch.float32, device=b.x.device)
    return b.new(torch.div(b.x, 255.0, out=out), is_image=False)


@_kernel("normalize")
def _normalize(op: Any, p: ArrayParams, b: Batch) -> Batch:
    channels = b.x.shape[1]
    # float32 constants, as the reference's np.asarray(mean, float32)
    mean = torch.tensor(op.mean * (channels if len(op.mean) == 1 else 1), dtype=torch.float32)
    std = torch.tensor(op.std * (channels if len(op.std) == 1 else 1), dtype=torch.float32)
    mean, std = (t.to(b.x.device, b.x.dtype).view(1, -1, 1, 1) for t in (mean, std))
    return b.new((b.x - mean) / std, is_image=False)


def _subset(arrays: list[ArrayParams], rows: np.ndarray) -> list[ArrayParams]:
    out = []
    for entry in arrays:
        sub: ArrayParams = {}
        for key, value in entry.items():
            if key == "op" or value is None:
                sub[key] = value
            elif key == "ops":
                sub[key] = _subset(value, rows)
            else:
                sub[key] = np.asarray(value)[rows]
        out.append(sub)
    return out


@_kernel("random_apply")
def _random_apply(op: RandomApply, p: ArrayParams, b: Batch) -> Batch:
    rows = np.flatnonzero(np.asarray(p["apply"], bool))
    if not len(rows):
        return b
    if len(rows) == len(b.x):
        return apply_ops(op.ops, p["ops"], b)
    sel = torch.as_tensor(rows, device=b.x.device)
    part = apply_ops(op.ops, _subset(p["ops"], rows), b.new(b.x[sel]))
    x = b.x.to(part.x.dtype, copy=True)
    x[sel] = part.x
    return b.new(x, part.is_image)


@_kernel("compose")
def _compose(op: Compose, p: ArrayParams, b: Batch) -> Batch:
    return apply_ops(op.ops, p["ops"], b)


def apply_ops(ops: Sequence[OpBase], arrays: list[ArrayParams], b: Batch, truncated: bool = False) -> Batch:
    """``truncated``: the caller converts an image result to uint8, so a final
    random_resized_crop may return uint8 itself."""
    if len(ops) != len(arrays):
        raise ValueError(f"arrays: Expected one entry per op ({len(ops)}); received {len(arrays)}")
    i, flip = 0, None
    while i < len(ops):
        op, p = ops[i], arrays[i]
        last = truncated and i == len(ops) - 1
        if (
            op.op in ("horizontal_flip", "vertical_flip")
            and i + 2 < len(ops)
            and ops[i + 1].op == "color_jitter"
            and _per_sample_crop(b, ops[i + 2], arrays[i + 2])
        ):  # flip, jitter, crop (the chapter's combined_augs): all three per sample
            flip = (3 if op.op == "horizontal_flip" else 2, np.asarray(p["apply"], bool))
        elif op.op == "color_jitter" and i + 1 < len(ops) and _per_sample_crop(b, ops[i + 1], arrays[i + 1]):
            crop = ops[i + 1]
            assert isinstance(crop, RandomResizedCrop)
            b = _jitter_crop(p, crop, arrays[i + 1], b, truncated and i + 2 == len(ops), flip)
            i, flip = i + 1, None
        elif last and isinstance(op, RandomResizedCrop) and b.is_image:
            b = b.new(resample(b.as_float(), _boxes(p), op.hw, op.interpolation, uint8=True))
        else:
            b = _KERNELS[op.op](op, p, b)
        i += 1
    return b


# ---- the compiled object ----------------------------------------------------------------


def _check_batch(batch: Any, device: torch.device) -> torch.Tensor:
    if isinstance(batch, np.ndarray):
        batch = torch.from_numpy(np.ascontiguousarray(batch))
    if not isinstance(batch, torch.Tensor):
        raise ValueError(
            f"batch: Expected a torch tensor or numpy array of shape (N, 3, H, W); received {type(batch).__name__}"
        )
    if batch.dim() != 4 or batch.shape[1] != 3 or batch.shape[0] < 1:
        raise ValueError(
            f"batch: Expected uint8 images of shape (N, 3, H, W) with N >= 1 (NCHW RGB); "
            f"received shape {tuple(batch.shape)}"
        )
    if batch.dtype != torch.uint8:
        raise ValueError(f"batch: Expected dtype uint8 (0-255); received dtype {str(batch.dtype).replace('torch.', '')}")
    return batch.to(device, non_blocking=True)


# Batches smaller than this are sampled image by image (``augspec.sample``, numpy's own
# generator: ~37 us per combined_augs image) rather than by the vectorised generator, whose
# numpy calls cost ~0.5-0.8 ms per batch whatever its size; the params are the same.
VECTOR_SAMPLING_MIN = 16


class BatchedPipeline:
    """A spec compiled for whole uint8 NCHW batches; call ``(batch, params_list)`` or ``(batch, seed, epoch, indices)``."""

    def __init__(
        self, spec: Pipeline, device: str | torch.device = "cpu", precision: str = "float32"
    ) -> None:
        self.spec = spec
        self.device = torch.device(device)
        self.precision = precision
        self._dtype = PRECISIONS[precision]
        self.makes_tensor = any(isinstance(o, ToTensor) for o in spec.ops)

    def sample(self, seed: int, epoch: int, indices: Any, image_size: tuple[int, int]) -> list[ArrayParams]:
        """Array params for ``indices``, identical to ``augspec.sample`` (vectorised)."""
        return sample_batch(self.spec, seed, epoch, indices, image_size, VECTOR_SAMPLING_MIN)

    def apply(self, batch: Any, arrays: list[ArrayParams]) -> torch.Tensor:
        """Apply array params (from :meth:`sample` or ``stack_params``) to a batch."""
        x = _check_batch(batch, self.device)
        trace_hw(self.spec, (int(x.shape[2]), int(x.shape[3])))
        out = apply_ops(self.spec.ops, arrays, Batch(x, dtype=self._dtype), truncated=True)
        # Images leave as uint8 NCHW (values are already whole numbers in [0, 255]).
        return to_uint8(out.x) if out.is_image else out.x

    def __call__(
        self,
        batch: Any,
        params: list[Params] | int,
        epoch: int = 0,
        indices: Any = None,
    ) -> torch.Tensor:
        x = _check_batch(batch, self.device)
        hw = (int(x.shape[2]), int(x.shape[3]))
        if isinstance(params, (list, tuple)):
            if len(params) != len(x):
                raise ValueError(
                    f"params: Expected one params dict per image ({len(x)}); received {len(params)}"
                )
            for k, p in enumerate(params):
                if isinstance(p, dict) and list(p.get("image_size", hw)) != list(hw):
                    raise ValueError(
                        f"params[{k}]: Expected params sampled for the batch's image size {list(hw)}; "
                        f"received image_size={p.get('image_size')}"
                    )
            arrays = stack_params(self.spec, list(params))
        else:
            if indices is None:
                indices = np.arange(len(x))
            if len(indices) != len(x):
                raise ValueError(
                    f"indices: Expected one index per image ({len(x)}); received {len(indices)}"
                )
            arrays = sample_batch(self.spec, params, epoch, indices, hw, VECTOR_SAMPLING_MIN)
        return self.apply(x, arrays)

    def __repr__(self) -> str:
        ops = ", ".join(o.op for o in self.spec.ops)
        return f"BatchedPipeline([{ops}], device={self.device}, precision={self.precision})"


def compile_batched(
    spec: Pipeline, device: str | torch.device = "cpu", precision: str = "float32"
) -> BatchedPipeline:
    """Compile ``spec`` for uint8 NCHW batches on ``device`` ('cpu', 'cuda', 'cuda:1', ...).

    ``precision``: "float32" (fast; see :data:`TOLERANCES`) or "float64" (the reference's
    arithmetic: agrees with it except where the two round an exact .5 differently).
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision: Expected 'float32' or 'float64'; received precision={precision!r}")
    if not isinstance(spec, Pipeline):
        raise ValueError(f"spec: Expected an augspec Pipeline; received {type(spec).__name__}")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"device: Expected a torch device such as 'cpu' or 'cuda'; received device={device!r}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device: Expected a visible CUDA device; received device={device!r} but torch sees no GPU")
    return BatchedPipeline(spec, dev, precision)


def iterate(
    pipeline: BatchedPipeline,
    images: np.ndarray,
    labels: np.ndarray,
    index_batches: Sequence[Any],
    seed: int,
    epoch: int,
    channels_first: bool = False,
) -> Any:
    """Yield ``(X, y)`` per batch of indices: the batch-level replacement of a DataLoader.

    ``images`` (N, H, W, 3) uint8 in memory (CIFAR); each batch is gathered, moved to the
    pipeline's device as uint8 and augmented there with the params of (seed, epoch, index),
    the same params the per-sample replay loaders use. ``index_batches`` is the epoch's
    order, e.g. ``augspec.trainers.data.batches(n, batch_size, seed, epoch)``.
    ``channels_first``: ``images`` is already (N, 3, H, W) (transposed once, so that batches
    arrive contiguous: saves a transposing copy per batch, ~0.9 us per 32x32 image on CPU).
    """
    axis = 1 if channels_first else 3
    if not isinstance(images, np.ndarray) or images.ndim != 4 or images.shape[axis] != 3 or images.dtype != np.uint8:
        layout = "(N, 3, H, W)" if channels_first else "(N, H, W, 3)"
        raise ValueError(
            f"images: Expected a numpy array {layout} uint8; received {getattr(images, 'shape', type(images).__name__)}"
        )
    for idx in index_batches:
        idx = np.asarray(idx, np.int64)
        batch = torch.from_numpy(images[idx]).to(pipeline.device, non_blocking=True)
        batch = batch if channels_first else batch.permute(0, 3, 1, 2)
        y = torch.from_numpy(np.asarray(labels[idx], np.int64)).to(pipeline.device, non_blocking=True)
        yield pipeline(batch, seed, epoch, idx), y
