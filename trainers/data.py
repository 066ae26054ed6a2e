"""Framework-free batches: the epoch's order and the augmented pixels, from the seeding contract.

Both trainers can draw their batches from here and so see the SAME images in
the SAME order: the order is a numpy permutation of ``(seed, epoch)`` and the
augmentation of sample ``index`` is ``augspec.sample(spec, seed, epoch,
index)`` replayed on a backend. Nothing depends on worker count or framework.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

import augspec
from augspec.sampling import generator

# The shuffle stream is keyed apart from the per-sample streams
# SeedSequence([seed, epoch, index]): SeedSequence([seed, epoch]) alone would
# equal the stream of index 0 (trailing zero words do not change the pool).
SHUFFLE_STREAM = 0x73687566  # "shuf"
# How the loaders augment: replayed params of the seeding contract, or the compiled native classes.
MODES = ("replay", "compiled")


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"Expected mode one of {', '.join(MODES)}; received mode={mode!r}")
    return mode


def check_arrays(x: Any, y: Any) -> tuple[Any, np.ndarray]:
    """Images (N, H, W, 3) uint8, or a list of (H, W, 3) uint8 arrays of different sizes (an
    image folder's), and one int64 label per image."""
    y = np.asarray(y, dtype=np.int64)
    if isinstance(x, list):
        bad = [k for k, im in enumerate(x) if _not_hwc_uint8(im)]
        if bad:
            im = np.asarray(x[bad[0]])
            raise ValueError(
                f"Expected images as (H, W, 3) uint8 arrays; received image {bad[0]} of shape "
                f"{im.shape} {im.dtype}"
            )
    else:
        x = np.asarray(x)
        if x.ndim != 4 or x.shape[-1] != 3 or x.dtype != np.uint8:
            raise ValueError(
                f"Expected images (N, H, W, 3) uint8; received shape {x.shape} {x.dtype}"
            )
    if y.shape != (len(x),):
        raise ValueError(f"Expected {len(x)} labels (one per image); received shape {y.shape}")
    return x, y


def _not_hwc_uint8(image: Any) -> bool:
    return not (
        isinstance(image, np.ndarray)
        and image.ndim == 3
        and image.shape[2] == 3
        and image.dtype == np.uint8
    )


def _check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"Expected {name} as an int >= {low}; received {name}={value!r}")
    return int(value)


def check_start_batch(start_batch: Any, n_batches: int) -> int:
    """``start_batch`` (batches of the epoch already done) as an int in [0, n_batches]."""
    start_batch = _check_int("start_batch", start_batch, 0)
    if start_batch > n_batches:
        raise ValueError(
            f"Expected start_batch <= {n_batches} (the epoch's batches); received {start_batch}"
        )
    return start_batch


def epoch_order(n: int, seed: int, epoch: int, shuffle: bool = True) -> np.ndarray:
    """The order of the ``n`` samples in ``epoch``: a permutation of (seed, epoch), or 0..n-1."""
    n = _check_int("n", n, 0)
    generator(seed, epoch)  # same checks (ints >= 0) and errors as the sampler
    if not shuffle:
        return np.arange(n, dtype=np.int64)
    seq = np.random.SeedSequence([int(seed), int(epoch)], spawn_key=(SHUFFLE_STREAM,))
    return np.random.Generator(np.random.PCG64(seq)).permutation(n).astype(np.int64)


def batches(
    n: int,
    batch_size: int,
    seed: int,
    epoch: int,
    shuffle: bool = True,
    drop_last: bool = False,
) -> list[np.ndarray]:
    """The epoch's batches as arrays of sample indices (int64)."""
    batch_size = _check_int("batch_size", batch_size, 1)
    order = epoch_order(n, seed, epoch, shuffle)
    stop = len(order) - len(order) % batch_size if drop_last else len(order)
    return [order[i : i + batch_size] for i in range(0, stop, batch_size)]


def as_chw_float(x: Any) -> np.ndarray:
    """A replayed sample as CHW float32.

    A spec that ends after ``to_tensor`` already gives CHW float32; one that
    stops before it (HWC uint8) gets ``to_tensor``'s meaning (CHW, /255) so
    that every batch is a model input.
    """
    x = augspec.to_numpy(x)
    if x.dtype == np.uint8 and x.ndim == 3 and x.shape[2] == 3:
        return np.ascontiguousarray(x.transpose(2, 0, 1)).astype(np.float32) / np.float32(255)
    if x.ndim != 3 or x.shape[0] != 3:
        raise ValueError(
            f"Expected an augmented image CHW or HWC with 3 channels; received shape {x.shape}"
        )
    return np.asarray(x, dtype=np.float32)


def augment_one(
    spec: Any,
    image: np.ndarray,
    seed: int,
    epoch: int,
    index: int,
    backend: str = "reference",
    fidelity: str = "native",
) -> np.ndarray:
    """Sample ``index``'s params under (seed, epoch) and replay them on ``backend``: CHW float32."""
    params = augspec.sample(
        spec, seed, epoch, int(index), image_size=(int(image.shape[0]), int(image.shape[1]))
    )
    return as_chw_float(augspec.replay(spec, params, image, backend, fidelity))


def augment_batch(
    spec: Any,
    images: np.ndarray,
    seed: int,
    epoch: int,
    indices: Any,
    backend: str = "reference",
    fidelity: str = "native",
) -> np.ndarray:
    """Augment a batch: ``images[k]`` is dataset sample ``indices[k]``. Returns NCHW float32.

    Pass the batch's images with their dataset indices, e.g.
    ``idx = batches(...)[b]; augment_batch(spec, train_x[idx], seed, epoch, idx)``:
    the index, not the position in the batch, keys the augmentation.
    """
    spec = augspec.as_pipeline(spec)
    indices = np.asarray(indices).reshape(-1)
    if len(images) != len(indices):
        raise ValueError(
            f"Expected one dataset index per image; received {len(images)} images and "
            f"{len(indices)} indices (pass train_x[idx], idx rather than the whole array)"
        )
    out = [
        augment_one(spec, images[k], seed, epoch, int(i), backend, fidelity)
        for k, i in enumerate(indices)
    ]
    return np.stack(out) if out else np.zeros((0, 3, 0, 0), np.float32)


def iter_batches(
    x: np.ndarray,
    y: np.ndarray,
    spec: Any,
    batch_size: int,
    seed: int,
    epoch: int,
    backend: str = "reference",
    shuffle: bool = True,
    drop_last: bool = False,
    fidelity: str = "native",
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(X NCHW float32, y int64) per batch of the epoch, in the contract's order."""
    if len(x) != len(y):
        raise ValueError(
            f"Expected as many labels as images; received {len(x)} images, {len(y)} labels"
        )
    spec = augspec.as_pipeline(spec)
    for idx in batches(len(x), batch_size, seed, epoch, shuffle, drop_last):
        images = x[idx] if isinstance(x, np.ndarray) else [x[int(i)] for i in idx]
        yield (
            augment_batch(spec, images, seed, epoch, idx, backend, fidelity),
            np.asarray(y[idx], dtype=np.int64),
        )


class MixedBatches:
    """An epoch's (X, y) batches with a spec's ``batch_ops`` (MixUp/CutMix) applied to each.

    Batch ``i`` of the epoch (``start_batch`` counted: a resumed run mixes as the
    uninterrupted one) gets ``augspec.batch_ops.sample_batch(batch_ops, seed, epoch, i,
    (H, W))``, applied by ``mix`` (the framework's kernel: ``augspec.backends.batch_mix.mix``
    for torch, ``batch_mix_gluon.mix`` for Gluon) on the batch's device. Labels come out
    (B, classes) float32 class probabilities. Nothing depends on worker count.
    """

    def __init__(
        self,
        batches: Any,
        batch_ops: list[Any],
        seed: int,
        epoch: int,
        start_batch: int,
        num_classes: int | None,
        mix: Any,
    ) -> None:
        self.batches, self.batch_ops, self.mix = batches, batch_ops, mix
        self.seed, self.epoch, self.start_batch = int(seed), int(epoch), int(start_batch)
        self.num_classes = num_classes

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self) -> Iterator[Any]:
        from augspec.batch_ops import sample_batch

        for i, (x, y) in enumerate(self.batches, start=self.start_batch):
            hw = (int(x.shape[-2]), int(x.shape[-1]))
            params = sample_batch(self.batch_ops, self.seed, self.epoch, i, hw)
            yield self.mix(self.batch_ops, params, x, y, self.num_classes)
