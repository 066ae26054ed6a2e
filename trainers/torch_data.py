"""torch adapters: a Dataset that augments with a compiled spec or with replayed params, and its loader.

Two modes:

- ``mode="replay"`` (reproducible): sample ``index`` in ``epoch`` gets
  ``augspec.sample(spec, seed, epoch, index)`` replayed with the backend's
  functional ops. The batch order comes from :func:`augspec.trainers.data.batches`.
  So a batch depends only on (seed, epoch, indices): the same with 0, 2 or
  any number of workers, and the same order and params as the Gluon loader.
- ``mode="compiled"`` (the chapter's way): ``augspec.compile(spec,
  "torchvision")``; the native classes draw from torch's global RNG.
  What is reproducible there:

  * ``workers=0``: the main process's torch RNG; reproducible when the
    caller seeds torch (``augspec.backends.load("torchvision").seed(n)``)
    before each epoch, and then only for the same batch size and order.
  * ``workers=k>0``: the loader's generator is seeded from (seed, epoch),
    torch gives worker ``w`` the seed ``base_seed + w`` and
    :func:`seed_worker` seeds every RNG the native classes use from it;
    batches go to workers round-robin. So a run is reproducible for the
    same (seed, epoch, workers, batch_size), but changing the worker count
    changes which RNG stream each sample draws from, hence the
    augmentations (the samples and order stay the same).
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import torch
from augspec.backends import load as load_backend
from augspec.trainers.data import (
    MODES,
    MixedBatches,
    as_chw_float,
    batches,
    check_arrays,
    check_mode,
    check_start_batch,
)
from torch.utils.data import DataLoader, Dataset

__all__ = [
    "MODES",
    "AugmentedDataset",
    "BatchedLoader",
    "MixedBatches",
    "loader_generator",
    "make_batched_loader",
    "make_loader",
    "mix_batches",
    "seed_worker",
]

import augspec


def _as_tensor(out: Any) -> torch.Tensor:
    if isinstance(out, torch.Tensor) and out.is_floating_point() and out.ndim == 3:
        return out.to(torch.float32)
    return torch.from_numpy(as_chw_float(out))


class AugmentedDataset(Dataset):
    """(image CHW float32 tensor, label int64) with the spec applied per sample."""

    def __init__(
        self,
        x: Any,
        y: Any,
        spec: Any,
        mode: str = "replay",
        seed: int = 0,
        epoch: int = 0,
        fidelity: str = "native",
        backend: str = "torchvision",
    ) -> None:
        self.x, self.y = check_arrays(x, y)
        self.spec = augspec.as_pipeline(spec)
        self.mode = check_mode(mode)
        self.seed, self.epoch = int(seed), int(epoch)
        self.fidelity = fidelity
        self.backend = backend  # for replay: "torchvision" or "reference"
        self.compiled = (
            augspec.compile(self.spec, "torchvision", fidelity) if mode == "compiled" else None
        )

    def set_epoch(self, epoch: int) -> None:
        """Replay mode keys params by epoch; call before iterating a new epoch."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        index = int(index)
        image = self.x[index]
        if self.compiled is not None:
            out = self.compiled(image)
        else:
            hw = (int(image.shape[0]), int(image.shape[1]))
            params = augspec.sample(self.spec, self.seed, self.epoch, index, image_size=hw)
            out = augspec.replay(self.spec, params, image, self.backend, self.fidelity)
        return _as_tensor(out), torch.tensor(self.y[index], dtype=torch.int64)


def seed_worker(worker_id: int) -> None:
    """Seed every RNG the native transforms draw from, from torch's per-worker seed."""
    import random

    info = torch.utils.data.get_worker_info()
    base = info.seed if info is not None else torch.initial_seed()
    load_backend("torchvision").seed(base % 2**63)
    random.seed(base)
    np.random.seed(base % 2**32)


def loader_generator(seed: int, epoch: int) -> torch.Generator:
    """The loader's generator (it draws the workers' base seed), keyed by (seed, epoch)."""
    entropy = np.random.SeedSequence([int(seed), int(epoch)], spawn_key=(0x746F7263,))  # "torc"
    return torch.Generator().manual_seed(int(entropy.generate_state(1, np.uint64)[0]) >> 1)


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
    backend: str = "torchvision",
    start_batch: int = 0,
    **loader_kwargs: Any,
) -> DataLoader:
    """A DataLoader over one epoch: batches of (X (B, 3, H, W) float32, y (B,) int64).

    The batch order is :func:`augspec.trainers.data.batches` of (seed, epoch),
    so it is the same in both modes, for any worker count, and in the Gluon
    loader. Make a new loader per epoch. ``start_batch``: skip the epoch's first
    batches (a mid-epoch resume; in replay mode the rest are the same batches).
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise ValueError(f"Expected workers as an int >= 0; received workers={workers!r}")
    dataset = AugmentedDataset(x, y, spec, mode, seed, epoch, fidelity, backend)
    order = [b.tolist() for b in batches(len(dataset), batch_size, seed, epoch, shuffle, drop_last)]
    order = order[check_start_batch(start_batch, len(order)) :]
    return DataLoader(
        dataset,
        batch_sampler=order,
        num_workers=workers,
        worker_init_fn=seed_worker if workers > 0 else None,
        generator=loader_generator(seed, epoch),
        **loader_kwargs,
    )


class BatchedLoader:
    """One epoch of (X (B, 3, H, W) float32, y (B,) int64) augmented a whole batch at a time.

    The batched torch target (``augspec.backends.torch_batched``) in place of a Dataset and
    workers: each batch of indices (the same order as :func:`make_loader`'s) is gathered as
    uint8, moved to ``device`` and augmented there in a few tensor ops with the params of
    (seed, epoch, index): the params replay mode uses, so the batches equal replay mode's
    within the batched target's stated tolerance (``torch_batched.tolerance(op)``; its numerics
    are the reference's, what ``fidelity="spec"`` agrees with). Images a spec leaves as uint8
    get ``to_tensor``'s meaning (/255), as in :func:`augspec.trainers.data.as_chw_float`.
    """

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        pipeline: Any,
        order: list[np.ndarray],
        seed: int,
        epoch: int,
    ) -> None:
        self.x, self.y, self.pipeline, self.order = x, y, pipeline, order  # x: (N, 3, H, W) uint8
        self.seed, self.epoch = int(seed), int(epoch)

    def __len__(self) -> int:
        return len(self.order)

    def __iter__(self) -> Any:
        from augspec.backends.torch_batched import iterate

        batches = iterate(
            self.pipeline, self.x, self.y, self.order, self.seed, self.epoch, channels_first=True
        )
        while True:
            with _augmenting_threads(self.pipeline.device):
                step = next(batches, None)
            if step is None:
                return
            out, labels = step
            yield (out if out.is_floating_point() else torch.div(out, 255.0)), labels


@contextlib.contextmanager
def _augmenting_threads(device: Any) -> Any:
    """One intra-op thread while a batch is augmented on the CPU (the training step keeps its own).

    The batched ops are small and per sample: a multi-threaded region costs more than it
    saves, and far more when another process holds a core (``augspec bench --only loader``:
    13x the compiled loader at one thread, 6.8x at two, docs/performance.md).
    """
    if torch.device(device).type != "cpu":
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def make_batched_loader(
    x: Any,
    y: Any,
    spec: Any,
    batch_size: int,
    seed: int = 0,
    epoch: int = 0,
    device: Any = "cpu",
    shuffle: bool = True,
    drop_last: bool = False,
    start_batch: int = 0,
    precision: str = "float32",
) -> BatchedLoader:
    """:class:`BatchedLoader` over one epoch (``--batched-augment``); ``start_batch`` as in make_loader."""
    from augspec.backends.torch_batched import compile_batched

    x, y = check_arrays(x, y)
    if isinstance(x, list):
        raise ValueError(
            "Expected images of one size for --batched-augment (it gathers whole uint8 batches); "
            f"received {len({im.shape for im in x})} sizes. Drop --batched-augment, or resize the "
            "folder's images to one size"
        )
    order = batches(len(y), batch_size, seed, epoch, shuffle, drop_last)
    order = order[check_start_batch(start_batch, len(order)) :]
    pipeline = compile_batched(augspec.as_pipeline(spec), device, precision)
    # (N, 3, H, W) once, so that every gathered batch is contiguous NCHW
    return BatchedLoader(
        np.ascontiguousarray(x.transpose(0, 3, 1, 2)), y, pipeline, order, seed, epoch
    )


def mix_batches(
    batches: Any,
    spec: Any,
    seed: int,
    epoch: int,
    start_batch: int = 0,
    num_classes: int | None = None,
) -> Any:
    """``batches`` with ``spec.batch_ops`` applied (:class:`MixedBatches`); as they are without."""
    from augspec.backends.batch_mix import mix

    ops = augspec.as_pipeline(spec).batch_ops
    if not ops:
        return batches
    return MixedBatches(batches, ops, seed, epoch, start_batch, num_classes, mix)
