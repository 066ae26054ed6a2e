"""The batched torch target: one spec applied to a whole uint8 NCHW batch at once.

``compile_batched(spec, device)`` returns a :class:`BatchedPipeline`. Calling it with a
batch (torch or numpy uint8, shape (N, 3, H, W)) and either a list of ``augspec.sample``
dicts or ``(seed, epoch, indices)`` applies the spec with per-sample params in a few
batched torch ops, on CPU or GPU:

- flips: the flipped samples copied over a copy of the batch, moved as int64 rows;
- brightness/contrast/saturation/hue (:mod:`.batch_color`): per-sample factors broadcast
  over (C, H, W), a few in-place elementwise passes each (hue: the reference's hexcone
  model without ``where``/``remainder``);
- color_jitter: for each of the four positions, each component on the samples whose drawn
  order puts it there; on images of :data:`PER_SAMPLE_PIXELS` or more, sample by sample in
  its drawn order, in place;
- random_resized_crop / resize (:func:`.batch_resample.resample`): the reference's separable
  resampling weights, vectorised per sample (or torch's own separable kernel per sample for
  large outputs on CPU);
- random_crop: zero/fill padding, then one gather of per-sample windows;
- lighting: a per-sample RGB offset; to_tensor (one uint8 -> float32 pass) and normalize:
  float maths.
- the photometric ops (invert ... sharpness, channel_permutation): :mod:`.batch_photometric`.

Sampling from ``(seed, epoch, indices)`` is vectorised too (:mod:`.batch_sampling`): identical
params to ``augspec.sample``, without one Python generator per image.

As a backend of :class:`augspec.contract.Backend` (``backend="torch-batched"``): one
:class:`~augspec.contract.OpRecord` per op in :data:`RECORDS`, whose kernel takes the per-batch
array params and a :class:`Batch`; ``replay`` runs one image as a batch of one; ``compile``
returns a :class:`~augspec.compiled.Compiled` around a :class:`BatchedPipeline` (called on a
batch, it samples under :func:`seed` like the reference's compiled pipeline; pass params or
``(seed, epoch, indices)`` to ``.native`` to choose them). There are no native classes to
depart from the spec, so both fidelities run the same kernels.

Numerics: images stay integer-valued between ops (round half up and clip to [0, 255]
after every op, as the reference does) but the arithmetic is float32, not the reference's
float64, so a value that lands within float32 error of a .5 boundary may round the other
way: at most 1 (0-255 units) per op on a small fraction of pixels. Each record's tolerance
states the bound (max and mean absolute difference to ``augspec.reference.replay``);
``precision="float64"`` is the reference's arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from augspec.backends.torch_arrays import to_numpy  # noqa: F401  (the contract's to_numpy)

from augspec.compiled import Compiled, OpBuild
from augspec.contract import (
    EXACT,
    OpRecord,
    Tolerance,
    apply_records,
    check_fidelity,
    record_for,
    records_table,
)
from augspec.images import check_hwc_uint8, to_numpy_image
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
from augspec.sampling import Params, check_replay

from . import batch_choice as BC
from . import batch_filters as BF
from . import batch_geometry as BG
from . import batch_photometric as BP
from . import batch_tensor_ops as BT
from .batch_color import COLOR_ADJUST, jitter_in_order
from .batch_resample import resample, round_clip, to_uint8
from .batch_sampling import (
    ArrayParams,
    sample_batch,
    stack_checked,
    stack_params,
    subset_params,
)

NAME = "torch-batched"

PRECISIONS = {"float32": torch.float32, "float64": torch.float64}


class Batch:
    """The batch between ops: a tensor and whether it is still an image (0-255 values).

    A floating-point ``x`` always belongs to the pipeline (the caller's batch is uint8 and
    ``as_float`` copies it), so kernels may overwrite a float ``x`` in place.
    """

    def __init__(
        self, x: torch.Tensor, is_image: bool = True, dtype: torch.dtype = torch.float32
    ) -> None:
        self.x = x
        self.is_image = is_image
        self.dtype = dtype  # the arithmetic precision (float32, or float64 to match the reference bit for bit)

    def as_float(self) -> torch.Tensor:
        return self.x if self.x.dtype == self.dtype else self.x.to(self.dtype)

    def new(self, x: torch.Tensor, is_image: bool | None = None) -> Batch:
        return Batch(x, self.is_image if is_image is None else is_image, self.dtype)


# The one kernel signature of the contract: (op, per-batch array params, batch, fidelity).
Kernel = Callable[[Any, ArrayParams, Batch, str], Batch]


def _column(values: Any, x: torch.Tensor) -> torch.Tensor:
    """Per-sample values as an (N, 1, 1, 1) tensor on the batch's device and dtype."""
    return torch.as_tensor(np.asarray(values), dtype=x.dtype, device=x.device).view(-1, 1, 1, 1)


# ---- geometry -------------------------------------------------------------------


def _wide(x: torch.Tensor) -> torch.Tensor:
    """A contiguous batch as (N, -1) rows of the widest integer type that tiles a sample.

    Selecting/copying whole samples of a uint8 batch moves one byte per element; viewed as
    int64 the same copies move 8 (several times faster for index_select/index_copy_)."""
    flat = x.reshape(x.shape[0], -1).view(torch.uint8)
    for size, dtype in ((8, torch.int64), (4, torch.int32), (2, torch.int16)):
        if flat.shape[1] % size == 0:
            return flat.view(dtype)
    return flat


def _flip(dim: int) -> Kernel:
    def kernel(op: OpBase, p: ArrayParams, b: Batch, fidelity: str) -> Batch:
        apply = np.asarray(p["apply"], bool)
        if not apply.any():
            return b
        if apply.all():
            return b.new(b.x.flip(dim))
        # Copy the batch, then overwrite the flipped samples (torch.where with a broadcast
        # (N, 1, 1, 1) mask is several times slower on CPU), moving whole samples as int64 rows.
        x = b.x.contiguous()
        rows = torch.as_tensor(np.flatnonzero(apply), device=x.device)
        flipped = (
            _wide(x).index_select(0, rows).view(torch.uint8).view(x.dtype).view(-1, *x.shape[1:])
        )
        out = _wide(x).clone()
        out.index_copy_(0, rows, _wide(flipped.flip(dim)))
        return b.new(out.view(torch.uint8).view(x.dtype).view(x.shape))

    return kernel


def _boxes(p: ArrayParams) -> np.ndarray:
    """random_resized_crop's (N, 4) boxes: top, left, height, width."""
    return np.stack([p["top"], p["left"], p["height"], p["width"]], 1).astype(np.int64)


def _rrc(op: RandomResizedCrop, p: ArrayParams, b: Batch, fidelity: str) -> Batch:
    return b.new(resample(b.as_float(), _boxes(p), op.hw, op.interpolation))


def _resize(op: Resize, p: ArrayParams, b: Batch, fidelity: str) -> Batch:
    n, _, h, w = b.x.shape
    hw = op.size if isinstance(op.size, tuple) else resize_shorter_hw((h, w), op.size)
    if (h, w) == tuple(hw):
        return b
    boxes = np.tile(np.array([0, 0, h, w], np.int64), (n, 1))
    return b.new(resample(b.as_float(), boxes, hw, op.interpolation))


def _center_crop(op: CenterCrop, p: ArrayParams, b: Batch, fidelity: str) -> Batch:
    ch, cw = op.hw
    top, left = center_box((b.x.shape[2], b.x.shape[3]), (ch, cw))
    return b.new(b.x[:, :, top : top + ch, left : left + cw])


def _random_crop(op: RandomCrop, p: ArrayParams, b: Batch, fidelity: str) -> Batch:
    x = b.x
    if op.padding:
        pad = op.padding
        x = F.pad(x.float(), (pad, pad, pad, pad), value=float(op.fill)).to(x.dtype)
    n, c = x.shape[:2]
    ch, cw = op.hw
    dev = x.device
    rows = torch.as_tensor(np.asarray(p["top"]), device=dev).view(n, 1) + torch.arange(
        ch, device=dev
    )
    cols = torch.as_tensor(np.asarray(p["left"]), device=dev).view(n, 1) + torch.arange(
        cw, device=dev
    )
    x = x.gather(2, rows.view(n, 1, ch, 1).expand(n, c, ch, x.shape[3]))
    x = x.gather(3, cols.view(n, 1, 1, cw).expand(n, c, ch, cw))
    return b.new(x)


# ---- colour ------------------------------------------------------------------------


def _adjust(op: OpBase, p: ArrayParams, b: Batch, fidelity: str) -> Batch:
    x = b.as_float()
    return b.new(COLOR_ADJUST[op.op](x, _column(p["factor"], x)))


# Images at least this large run color_jitter sample by sample (each in its own drawn order,
# in place on its slice of the batch): no gather/scatter copies of per-position subsets,
# which cost more than the per-call overhead of a Python loop over the samples at these sizes.
PER_SAMPLE_PIXELS = 128 * 128


def _color_jitter(op: OpBase, p: ArrayParams, b: Batch, fidelity: str) -> Batch:
    x = b.as_float()  # ours to overwrite (see Batch)
    order = np.asarray(p["order"])
    if x.shape[2] * x.shape[3] >= PER_SAMPLE_PIXELS:
        for k in range(len(x)):
            factors = {
                n: None if p[n] is None else _column(np.asarray(p[n])[k : k + 1], x)
                for n in COLOR_COMPONENTS
            }
            jitter_in_order(x[k : k + 1], order[k].tolist(), factors)
        return b.new(x)
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


def _lighting(op: OpBase, p: ArrayParams, b: Batch, fidelity: str) -> Batch:
    alpha = np.asarray(p["alpha"], np.float64)  # (N, 3)
    offset = (alpha * np.asarray(LIGHTING_EIGVAL)) @ np.asarray(LIGHTING_EIGVEC).T
    x = b.as_float()
    off = torch.as_tensor(offset, dtype=x.dtype, device=x.device).view(-1, 3, 1, 1)
    return b.new(round_clip(x.add_(off)))


# ---- tensors and structure ------------------------------------------------------


def _to_tensor(op: OpBase, p: ArrayParams, b: Batch, fidelity: str) -> Batch:
    # Always float32, as the reference: x / 255 correctly rounded to float32, for both
    # precisions. One pass: uint8 (or float) in, float32 out.
    out = torch.empty(b.x.shape, dtype=torch.float32, device=b.x.device)
    return b.new(torch.div(b.x, 255.0, out=out), is_image=False)


def _normalize(op: Any, p: ArrayParams, b: Batch, fidelity: str) -> Batch:
    channels = b.x.shape[1]
    # float32 constants, as the reference's np.asarray(mean, float32)
    mean = torch.tensor(op.mean * (channels if len(op.mean) == 1 else 1), dtype=torch.float32)
    std = torch.tensor(op.std * (channels if len(op.std) == 1 else 1), dtype=torch.float32)
    mean, std = (t.to(b.x.device, b.x.dtype).view(1, -1, 1, 1) for t in (mean, std))
    return b.new((b.x - mean) / std, is_image=False)


def _random_apply(op: RandomApply, p: ArrayParams, b: Batch, fidelity: str) -> Batch:
    rows = np.flatnonzero(np.asarray(p["apply"], bool))
    if not len(rows):
        return b
    if len(rows) == len(b.x):
        return apply_ops(op.ops, p["ops"], b, fidelity)
    sel = torch.as_tensor(rows, device=b.x.device)
    part = apply_ops(op.ops, subset_params(p["ops"], rows), b.new(b.x[sel]), fidelity)
    x = b.x.to(part.x.dtype, copy=True)
    x[sel] = part.x
    return b.new(x, part.is_image)


def _compose(op: Compose, p: ArrayParams, b: Batch, fidelity: str) -> Batch:
    return apply_ops(op.ops, p["ops"], b, fidelity)


# ---- records: one per op ---------------------------------------------------------------

_WHY = "torch has no batched class with per-sample params: augspec's kernel on the whole batch"
# Measured (tests/test_batched.py's photo crops at 32x32, 37x45 and 120x100, both CPU paths of
# each op, float32): max 1 where a float32 value lands on the other side of a .5 boundary than
# the reference's float64; worst image mean 0.004 (random_resized_crop), 0.003 (hue).
_ONE_ROUNDING = Tolerance(1.0, 0.01)
_COMPOSITION_WHY = "no arithmetic of its own: its children's tolerances add up"


def _record(op: str, kernel: Kernel, tolerance: Tolerance, why: str = _WHY) -> OpRecord:
    return OpRecord(op, kernel, tolerance, status="ported", why=why)


RECORDS: dict[str, OpRecord] = records_table(
    _record("horizontal_flip", _flip(3), EXACT),
    _record("vertical_flip", _flip(2), EXACT),
    _record("random_resized_crop", _rrc, _ONE_ROUNDING),
    _record("resize", _resize, _ONE_ROUNDING),
    _record("center_crop", _center_crop, EXACT),
    _record("random_crop", _random_crop, EXACT),
    _record("brightness", _adjust, _ONE_ROUNDING),
    _record("contrast", _adjust, _ONE_ROUNDING),
    _record("saturation", _adjust, _ONE_ROUNDING),
    _record("hue", _adjust, _ONE_ROUNDING),
    # Up to four roundings in a row: one flipped by float32 grows by the later factors
    # (measured max 2, worst image mean 0.001), as in the torchvision backend's record.
    _record("color_jitter", _color_jitter, Tolerance(3.0, 0.01)),
    _record("lighting", _lighting, _ONE_ROUNDING),
    _record("to_tensor", _to_tensor, EXACT),
    # float32 (x - mean) / std, the reference's formula and constants: ulps only
    _record("normalize", _normalize, Tolerance(0.001, 0.0001)),
    _record("random_apply", _random_apply, EXACT, _COMPOSITION_WHY),
    _record("compose", _compose, EXACT, _COMPOSITION_WHY),
    _record("random_choice", BC.choice_kernel(lambda *a: apply_ops(*a)), EXACT, _COMPOSITION_WHY),
    _record("random_order", BC.order_kernel(lambda *a: apply_ops(*a)), EXACT, _COMPOSITION_WHY),
    _record("random_erasing", BT.random_erasing, EXACT),
    _record("invert", BP.invert, EXACT),
    _record("solarize", BP.solarize, EXACT),
    _record("posterize", BP.posterize, EXACT),
    _record("grayscale", BP.grayscale, _ONE_ROUNDING),
    _record("random_grayscale", BP.random_grayscale, _ONE_ROUNDING),
    _record("autocontrast", BP.autocontrast, _ONE_ROUNDING),
    _record("equalize", BP.equalize, EXACT),
    _record("channel_permutation", BP.channel_permutation, EXACT),
    _record("sharpness", BP.sharpness, _ONE_ROUNDING),
    _record("pad", BG.pad, EXACT),
    _record("rotation", BG.rotation, _ONE_ROUNDING),
    _record("affine", BG.affine, _ONE_ROUNDING),
    _record("gaussian_blur", BF.gaussian_blur, _ONE_ROUNDING),
    _record("gaussian_noise", BF.gaussian_noise, Tolerance(0.001, 0.0001)),
    _record("jpeg", BF.jpeg, EXACT),
)


def apply_ops(
    ops: Sequence[OpBase], arrays: list[ArrayParams], b: Batch, fidelity: str = "native"
) -> Batch:
    """Run each op's record kernel on the batch (both fidelities: the same kernels)."""
    if len(ops) != len(arrays):
        raise ValueError(f"arrays: Expected one entry per op ({len(ops)}); received {len(arrays)}")
    out: Batch = apply_records(NAME, RECORDS, ops, arrays, b, fidelity)
    return out


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
        raise ValueError(
            f"batch: Expected dtype uint8 (0-255); received dtype {str(batch.dtype).replace('torch.', '')}"
        )
    return batch.to(device, non_blocking=True)


# Batches smaller than this are sampled image by image (``augspec.sample``, numpy's own
# generator) rather than by the vectorised generator, whose numpy calls cost a fixed
# amount per batch whatever its size; the params are the same.
VECTOR_SAMPLING_MIN = 16

_seed = [0]  # seed(n) sets it; a BatchedPipeline called without params samples under it


class BatchedPipeline:
    """A spec compiled for whole uint8 NCHW batches.

    Call ``(batch, params_list)`` or ``(batch, seed, epoch, indices)``; ``(batch)`` alone
    samples under the seed set by :func:`seed` (epoch 0), numbering images across calls as
    the reference's compiled pipeline does: the k-th image since ``seed(n)`` gets index k.
    """

    def __init__(
        self, spec: Pipeline, device: str | torch.device = "cpu", precision: str = "float32"
    ) -> None:
        self.spec = spec
        self.device = torch.device(device)
        self.precision = precision
        self._dtype = PRECISIONS[precision]
        self.makes_tensor = any(isinstance(o, ToTensor) for o in spec.ops)
        self._seed, self._calls = _seed[0], 0

    def sample(
        self, seed: int, epoch: int, indices: Any, image_size: tuple[int, int]
    ) -> list[ArrayParams]:
        """Array params for ``indices``, identical to ``augspec.sample`` (vectorised)."""
        return sample_batch(self.spec, seed, epoch, indices, image_size, VECTOR_SAMPLING_MIN)

    def apply(
        self, batch: Any, arrays: list[ArrayParams], fidelity: str = "native"
    ) -> torch.Tensor:
        """Apply array params (from :meth:`sample` or ``stack_params``) to a batch."""
        x = _check_batch(batch, self.device)
        trace_hw(self.spec, (int(x.shape[2]), int(x.shape[3])))
        out = apply_ops(self.spec.ops, arrays, Batch(x, dtype=self._dtype), fidelity)
        # Images leave as uint8 NCHW (values are already whole numbers in [0, 255]).
        return to_uint8(out.x) if out.is_image else out.x

    def __call__(
        self,
        batch: Any,
        params: list[Params] | int | None = None,
        epoch: int = 0,
        indices: Any = None,
    ) -> torch.Tensor:
        x = _check_batch(batch, self.device)
        hw = (int(x.shape[2]), int(x.shape[3]))
        if params is None:
            params, indices = self._next_indices(len(x))
        if isinstance(params, (list, tuple)):
            return self.apply(x, self._stacked(list(params), len(x), hw))
        if indices is None:
            indices = np.arange(len(x))
        if len(indices) != len(x):
            raise ValueError(
                f"indices: Expected one index per image ({len(x)}); received {len(indices)}"
            )
        return self.apply(
            x, sample_batch(self.spec, params, epoch, indices, hw, VECTOR_SAMPLING_MIN)
        )

    def _next_indices(self, n: int) -> tuple[int, np.ndarray]:
        if self._seed != _seed[0]:  # re-seeded: start again at index 0
            self._seed, self._calls = _seed[0], 0
        start, self._calls = self._calls, self._calls + n
        return self._seed, np.arange(start, start + n)

    def _stacked(self, params: list[Params], n: int, hw: tuple[int, int]) -> list[ArrayParams]:
        if len(params) != n:
            raise ValueError(
                f"params: Expected one params dict per image ({n}); received {len(params)}"
            )
        return stack_params(self.spec, params, hw)  # each checked as replay checks it

    def __repr__(self) -> str:
        ops = ", ".join(o.op for o in self.spec.ops)
        return f"BatchedPipeline([{ops}], device={self.device}, precision={self.precision})"


def compile_batched(
    spec: Pipeline, device: str | torch.device = "cpu", precision: str = "float32"
) -> BatchedPipeline:
    """Compile ``spec`` for uint8 NCHW batches on ``device`` ('cpu', 'cuda', 'cuda:1', ...).

    ``precision``: "float32" (fast; see the records' tolerances) or "float64" (the reference's
    arithmetic: agrees with it except where the two round an exact .5 differently).
    """
    if precision not in PRECISIONS:
        raise ValueError(
            f"precision: Expected 'float32' or 'float64'; received precision={precision!r}"
        )
    if not isinstance(spec, Pipeline):
        raise ValueError(f"spec: Expected an augspec Pipeline; received {type(spec).__name__}")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(
            f"device: Expected a torch device such as 'cpu' or 'cuda'; received device={device!r}"
        ) from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device: Expected a visible CUDA device; received device={device!r} but torch sees no GPU"
        )
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
    arrive contiguous: saves a transposing copy per batch).
    """
    axis = 1 if channels_first else 3
    if (
        not isinstance(images, np.ndarray)
        or images.ndim != 4
        or images.shape[axis] != 3
        or images.dtype != np.uint8
    ):
        layout = "(N, 3, H, W)" if channels_first else "(N, H, W, 3)"
        raise ValueError(
            f"images: Expected a numpy array {layout} uint8; received {getattr(images, 'shape', type(images).__name__)}"
        )
    for idx in index_batches:
        idx = np.asarray(idx, np.int64)
        batch = torch.from_numpy(images[idx]).to(pipeline.device, non_blocking=True)
        batch = batch if channels_first else batch.permute(0, 3, 1, 2)
        y = torch.from_numpy(np.asarray(labels[idx], np.int64)).to(
            pipeline.device, non_blocking=True
        )
        yield pipeline(batch, seed, epoch, idx), y


# ---- the rest of the backend contract ------------------------------------------------


def compile(spec: Pipeline, fidelity: str = "native") -> Compiled:
    """``spec`` as a :class:`BatchedPipeline` on CPU in a picklable :class:`Compiled`.

    Call it on a uint8 NCHW batch: params are sampled under :func:`seed` (see
    :class:`BatchedPipeline`). For a device, float64, or params of your choosing, call
    ``.native(batch, seed, epoch, indices)`` or use :func:`compile_batched`.
    """
    check_fidelity(fidelity)
    return Compiled(NAME, fidelity, BatchedPipeline(spec), _builds(spec.ops, "ops"), spec=spec)


def _builds(ops: Sequence[OpBase], prefix: str) -> list[OpBuild]:
    """One OpBuild per op, containers before their children (as the other backends list them)."""
    found: list[OpBuild] = []
    for i, op in enumerate(ops):
        why = record_for(NAME, RECORDS, op.op).why
        found.append(OpBuild(f"{prefix}[{i}]", op.op, "ported", "batched torch kernel", why))
        found += _builds(getattr(op, "ops", ()), f"{prefix}[{i}].ops")
    return found


def _as_batch_of_one(image: Any) -> torch.Tensor:
    """(1, 3, H, W) uint8 from one HWC uint8 numpy/PIL image or one CHW uint8 tensor."""
    if isinstance(image, torch.Tensor):
        shape = tuple(image.shape)
        hwc = (*shape[1:], shape[0]) if len(shape) == 3 else shape
        check_hwc_uint8(
            hwc, str(image.dtype).removeprefix("torch."), "image (torch tensor, CHW; shown as HWC)"
        )
        return image.unsqueeze(0)
    return torch.from_numpy(
        np.ascontiguousarray(to_numpy_image(image).transpose(2, 0, 1))
    ).unsqueeze(0)


def replay(spec: Pipeline, params: Params, image: Any, fidelity: str = "native") -> torch.Tensor:
    """Apply ``params`` (from ``augspec.sample``) to one image, run as a batch of one.

    ``image``: HWC uint8 numpy (or PIL RGB), or a CHW uint8 tensor. Returns a uint8 CHW
    tensor for images, a float32 CHW tensor after ``to_tensor``.
    """
    check_fidelity(fidelity)
    x = _as_batch_of_one(image)
    plist = check_replay(spec, params, (int(x.shape[2]), int(x.shape[3])))
    return BatchedPipeline(spec, x.device).apply(x, stack_checked(spec, [plist]), fidelity)[0]


def seed(n: int) -> None:
    """Seed compiled pipelines called without params: their next image is index 0 under seed ``n``.

    The batched target draws from no RNG of its own: params come from augspec's sampler."""
    _seed[0] = int(n)


def tolerance(op: Any) -> Tolerance:
    """The stated tolerance of ``op`` (an op or its name); a composition adds up its children's."""
    name = op if isinstance(op, str) else op.op
    own = record_for(NAME, RECORDS, name).tolerance
    return sum((tolerance(child) for child in getattr(op, "ops", ())), own)


def native_sampler(op: Any) -> None:
    """No native sampler: the batched target samples with augspec's sampler."""
    return None
