"""torch DistributedDataParallel: gloo on CPU (NCCL on GPU), launched by torchrun or spawned here.

- ``torchrun --nproc-per-node N -m augspec.trainers.ddp --backend torch --spec ... --out ...``:
  every process runs the same ``augspec train`` arguments as one rank (gloo
  for ``--devices cpu``, NCCL with one GPU per rank for ``--devices cuda``).
- ``augspec train --backend torch --devices cpu:N`` spawns N gloo processes
  on localhost with :func:`spawn`.
- :func:`run_steps` runs k training steps from a saved model on given
  batches and saves the losses and weights (the 1-vs-2-process parity test).

Each rank trains on its contiguous slice of every global batch (the same
slicing as Gluon's ``split_and_load``), DDP averages the gradients, and
BatchNorm uses each rank's own shard statistics (no SyncBatchNorm; Gluon's
multi-device BatchNorm does the same). Only rank 0 prints, writes metrics and
checkpoints; every rank resumes from the same checkpoint.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def _spawn_local(fn: Any, world: int, *args: Any) -> None:
    """``mp.spawn(fn, (world, rendezvous, *args))``: ``world`` ranks on this machine.

    They meet through a fresh file (``file://`` rendezvous, removed afterwards), not a TCP
    port picked in advance: a port found free here can be taken by another process before
    rank 0 binds it (seen once as a failed DDP test while other jobs ran).
    """
    folder = tempfile.mkdtemp(prefix="augspec-ddp-")
    try:
        mp.spawn(
            fn, args=(world, os.path.join(folder, "rendezvous"), *args), nprocs=world, join=True
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _init(rank: int, world: int, rendezvous: str, backend: str = "gloo") -> None:
    dist.init_process_group(
        backend, init_method=f"file://{rendezvous}", rank=rank, world_size=world
    )


def _train_worker(rank: int, world: int, rendezvous: str, cfg: dict[str, Any]) -> None:
    from augspec.trainers.config import TrainConfig
    from augspec.trainers.run import run

    torch.set_num_threads(max(1, (os.cpu_count() or 1) // world))
    _init(rank, world, rendezvous)
    try:
        run(TrainConfig(**cfg), rank=rank, world=world)
    finally:
        dist.destroy_process_group()


def spawn(world: int, cfg: dict[str, Any]) -> None:
    """Run ``augspec train`` as ``world`` gloo processes on localhost."""
    _spawn_local(_train_worker, world, cfg)


def run_steps(
    rank: int,
    world: int,
    rendezvous: str,
    init_path: str,
    data_path: str,
    out_path: str,
    lr: float,
    adam: str,
) -> None:
    """k DDP steps from the torch state dict in ``init_path`` on the batches in ``data_path`` (npz X{k}, y{k}).

    Rank 0 saves ``losses`` (mean per step over the global batch) and the
    final parameters (``p0``, ``p1``, ... in ``state_dict`` order) to ``out_path``.
    """
    from augspec.trainers import torch as trainer_mod
    from augspec.trainers.models_torch import resnet18

    torch.set_num_threads(1)
    if world > 1:
        _init(rank, world, rendezvous)
    state = torch.load(init_path, weights_only=True)
    width = int(state["0.weight"].shape[0])
    net: Any = resnet18(10, 3, width)
    net.load_state_dict(state)
    if world > 1:
        net = torch.nn.parallel.DistributedDataParallel(net)
    devs = [torch.device("cpu")]
    trainer = trainer_mod.make_trainer(net, lr, adam)
    loss = trainer_mod.make_loss()
    data = np.load(data_path)
    losses = []
    for k in range(len(data.files) // 2):
        loss_sum, _ = trainer_mod.train_batch(
            net, data[f"X{k}"], data[f"y{k}"], loss, trainer, devs
        )
        losses.append(loss_sum / len(data[f"y{k}"]))
    if rank == 0:
        params = {
            f"p{i}": v.detach().numpy()
            for i, v in enumerate(trainer_mod.unwrap(net).state_dict().values())
        }
        np.savez(out_path, losses=np.asarray(losses), **params)
    if world > 1:
        dist.destroy_process_group()


def spawn_steps(
    world: int, init_path: str, data_path: str, out_path: str, lr: float, adam: str = "mxnet"
) -> None:
    """:func:`run_steps` on ``world`` gloo processes (``world=1``: in this process, no DDP)."""
    if world == 1:
        run_steps(0, 1, "", init_path, data_path, out_path, lr, adam)
        return
    _spawn_local(run_steps, world, init_path, data_path, out_path, lr, adam)


def torchrun_main(argv: list[str] | None = None) -> int:
    """Entry point under torchrun: this process is rank ``$RANK`` of ``$WORLD_SIZE``."""
    import argparse

    from augspec.trainers.config import TrainConfig, add_arguments, parse_devices
    from augspec.trainers.run import run

    parser = argparse.ArgumentParser(prog="python -m augspec.trainers.ddp")
    add_arguments(parser)
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    cfg = TrainConfig(**{f: getattr(args, f) for f in TrainConfig.__dataclass_fields__})
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    gpu = parse_devices(cfg.devices)[0] == "gpu"
    if gpu:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group("nccl" if gpu else "gloo")
    try:
        run(cfg, rank=rank, world=world)
    finally:
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(torchrun_main())
