"""Gluon adapters: ``ArrayDataset(...).transform_first(compiled)`` as in the chapter, a replay
dataset keyed by the seeding contract, and a ``gluon.data.DataLoader`` over either.

Batches are (X NDArray (B, 3, H, W) float32, y NDArray (B,) int32); int32 labels
as ``gluon.data.vision.CIFAR10`` gives them.

- ``mode="replay"`` (reproducible): sample ``index`` in ``epoch`` gets
  ``augspec.sample(spec, seed, epoch, index)`` replayed with the gluon
  backend's functional ops (or ``backend="reference"``); the batch order is
  :func:`augspec.trainers.data.batches` of (seed, epoch). A batch depends
  only on (seed, epoch, indices): the same for 0 or 2 workers, and the same
  order and params as the torch loader.
- ``mode="compiled"`` (the chapter's way): the native gluon classes draw from
  mxnet's RNG and Python's ``random``. Measured on mxnet 1.9.1: the
  DataLoader forks its worker pool without reseeding, so every worker starts
  from the SAME RNG state and the workers' batches repeat each other's
  draws. :class:`CompiledDataset` reseeds each worker process on first use
  from (seed, epoch, process id): the streams are decorrelated, but a pool
  hands batches to whichever worker is free, so with workers > 0 the
  augmentations are not reproducible from run to run, nor across worker
  counts. With ``workers=0`` they are reproducible when the caller seeds
  the gluon backend (``augspec.backends.load("gluon").seed(n)``) first.
  Use replay mode where results must repeat.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from augspec.backends import load as load_backend
from augspec.backends.gluon_mx import mx  # restores torch's thread count after importing mxnet
from augspec.trainers.data import (
    MODES,
    MixedBatches,
    as_chw_float,
    batches,
    check_arrays,
    check_mode,
    check_start_batch,
)

import augspec

gluon = mx.gluon
_Dataset: Any = gluon.data.Dataset  # a plain name for mypy, which cannot see mxnet's classes

__all__ = [
    "MODES",
    "CompiledDataset",
    "MixedBatches",
    "ReplayDataset",
    "make_dataset",
    "make_loader",
    "mix_batches",
]


def _as_nd(out: Any) -> Any:
    """A pipeline output as a CHW float32 NDArray (HWC uint8 gets to_tensor's meaning)."""
    if (
        isinstance(out, mx.nd.NDArray)
        and out.dtype == np.float32
        and out.ndim == 3
        and out.shape[0] == 3
    ):
        return out
    return mx.nd.array(as_chw_float(out), dtype="float32")


class ReplayDataset(_Dataset):
    """(image CHW float32 NDArray, label int32): params of (seed, epoch, index) replayed."""

    def __init__(
        self,
        x: Any,
        y: Any,
        spec: Any,
        seed: int = 0,
        epoch: int = 0,
        fidelity: str = "native",
        backend: str = "gluon",
    ) -> None:
        self.x, y64 = check_arrays(x, y)
        self.y = y64.astype(np.int32)
        self.spec = augspec.as_pipeline(spec)
        self.seed, self.epoch = int(seed), int(epoch)
        self.fidelity, self.backend = fidelity, backend

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, index: int) -> tuple[Any, np.int32]:
        index = int(index)
        image = self.x[index]
        hw = (int(image.shape[0]), int(image.shape[1]))
        params = augspec.sample(self.spec, self.seed, self.epoch, index, image_size=hw)
        out = augspec.replay(self.spec, params, image, self.backend, self.fidelity)
        return _as_nd(out), self.y[index]


class ToModelInput:
    """The compiled pipeline, plus to_tensor's meaning when the spec stops before it."""

    def __init__(self, compiled: Any) -> None:
        self.compiled = compiled

    def __call__(self, image: Any) -> Any:
        return _as_nd(self.compiled(image))


class CompiledDataset(_Dataset):
    """Wraps ``ArrayDataset(...).transform_first(compiled)``; reseeds each worker process once.

    Why: the gluon DataLoader forks its workers with the parent's RNG state
    and does not reseed them, so without this every worker draws the same
    flips and crops (see the module docstring for what stays unreproducible).
    """

    def __init__(self, inner: Any, seed: int, epoch: int) -> None:
        self.inner = inner
        self.seed, self.epoch = int(seed), int(epoch)
        self._seeded_pid = os.getpid()  # the creating process keeps its RNG as the caller set it

    def __len__(self) -> int:
        return len(self.inner)

    def __getitem__(self, index: int) -> Any:
        pid = os.getpid()
        if pid != self._seeded_pid:
            entropy = np.random.SeedSequence([self.seed, self.epoch, pid], spawn_key=(0x676C75,))
            load_backend("gluon").seed(int(entropy.generate_state(1)[0]))
            self._seeded_pid = pid
        return self.inner[index]


def make_dataset(
    x: Any,
    y: Any,
    spec: Any,
    mode: str = "replay",
    seed: int = 0,
    epoch: int = 0,
    fidelity: str = "native",
    backend: str = "gluon",
) -> Any:
    """A Gluon dataset of (CHW float32 NDArray, int32 label) with the spec applied."""
    check_mode(mode)
    if mode == "replay":
        return ReplayDataset(x, y, spec, seed, epoch, fidelity, backend)
    x, y64 = check_arrays(x, y)
    compiled = augspec.compile(spec, "gluon", fidelity)
    # NDArray HWC uint8, like gluon's CIFAR10 dataset (one per image when their sizes differ)
    images = (
        [mx.nd.array(im, dtype="uint8") for im in x]
        if isinstance(x, list)
        else mx.nd.array(x, dtype="uint8")
    )
    labels = y64.astype(np.int32)
    inner = gluon.data.ArrayDataset(images, labels).transform_first(ToModelInput(compiled))
    return CompiledDataset(inner, seed, epoch)


def make_loader(
    x: Any,
    y: Any,
    spec: Any,
    batch_size: int,
    workers: int = 0,
    seed: int = 0,
    epoch: int = 0,
    mode: str = "replay",
    shuffle: bool = True,
    drop_last: bool = False,
    fidelity: str = "native",
    backend: str = "gluon",
    start_batch: int = 0,
    **loader_kwargs: Any,
) -> Any:
    """A ``gluon.data.DataLoader`` over one epoch, in the order of ``batches(n, batch_size, seed, epoch)``.

    Make a new loader per epoch (its worker pool is forked when it is built).
    ``start_batch``: skip the epoch's first batches (a mid-epoch resume).
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise ValueError(f"Expected workers as an int >= 0; received workers={workers!r}")
    dataset = make_dataset(x, y, spec, mode, seed, epoch, fidelity, backend)
    order = [b.tolist() for b in batches(len(dataset), batch_size, seed, epoch, shuffle, drop_last)]
    order = order[check_start_batch(start_batch, len(order)) :]
    return gluon.data.DataLoader(dataset, batch_sampler=order, num_workers=workers, **loader_kwargs)


def mix_batches(
    batches: Any,
    spec: Any,
    seed: int,
    epoch: int,
    start_batch: int = 0,
    num_classes: int | None = None,
) -> Any:
    """``batches`` with ``spec.batch_ops`` applied (:class:`MixedBatches`); as they are without."""
    from augspec.backends.batch_mix_gluon import mix

    ops = augspec.as_pipeline(spec).batch_ops
    if not ops:
        return batches
    return MixedBatches(batches, ops, seed, epoch, start_batch, num_classes, mix)
