"""One ``augspec train`` run (single process, or one DDP rank): data, model, loop, metrics, checkpoints.

Both frameworks go through the same code: the trainer modules
``augspec.trainers.torch`` and ``augspec.trainers.gluon`` expose the same
names. Only rank 0 prints, writes metrics and checkpoints.
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from augspec.trainers import checkpoint
from augspec.trainers.config import (
    CHECKPOINT,
    RESUME_FIELDS,
    TrainConfig,
    check_out,
    checkpoint_limit,
    load_specs,
    resolve,
)
from augspec.trainers.metrics import epoch_line, summary_lines, write_metrics


def load_data(cfg: TrainConfig) -> Any:
    """The run's data, decoded before the first step (``trainers/sources.py``)."""
    from augspec.trainers.sources import load_data as load

    return load(cfg, progress=cfg.progress)


def data_id(cfg: TrainConfig, data: Any) -> str:
    """The ``data:`` line: what the data is (SYNTHETIC, CIFAR-10, the bundled sample with its
    provenance, or a folder) and its counts."""
    return (
        f"{data.label}: {len(data.train_y)} train, {len(data.test_y)} test images, "
        f"{len(data.classes)} classes"
    )


def _loaders(
    cfg: TrainConfig,
    data: Any,
    spec: Any,
    test_spec: Any,
    trainer_mod: Any,
    resume_at: dict[str, Any] | None = None,
    device: Any = "cpu",
) -> tuple[Any, Any]:
    """Loader factories; ``resume_at`` (a mid-epoch checkpoint's position) skips the batches done.

    ``--batched-augment`` (torch): batches augmented whole on ``device`` (the training device).
    """
    loader_mod = importlib.import_module(
        "augspec.trainers.torch_data" if cfg.backend == "torch" else "augspec.trainers.gluon_data"
    )

    def loader(
        x: Any, y: Any, s: Any, epoch: int, shuffle: bool = True, start_batch: int = 0
    ) -> Any:
        if cfg.batched_augment:
            return loader_mod.make_batched_loader(
                x, y, s, cfg.batch_size, seed=cfg.seed, epoch=epoch, device=device,
                shuffle=shuffle, start_batch=start_batch,
            )  # fmt: skip
        return loader_mod.make_loader(
            x, y, s, cfg.batch_size, workers=cfg.workers, seed=cfg.seed, epoch=epoch,
            mode=cfg.mode, shuffle=shuffle, fidelity=cfg.fidelity, start_batch=start_batch,
        )  # fmt: skip

    def train_iter(epoch: int) -> Any:
        done = int(resume_at["step"]) if resume_at and int(resume_at["epoch"]) == epoch else 0
        if cfg.backend == "gluon" and not cfg.batched_augment:
            # mxnet's RNG cannot be checkpointed: reseeded at epoch starts and mid-epoch checkpoints
            trainer_mod.seed_epoch(cfg.seed, epoch, done)
        batches = loader(data.train_x, data.train_y, spec, epoch, start_batch=done)
        # the spec's batch_ops (MixUp/CutMix), keyed by (seed, epoch, batch): soft labels
        return loader_mod.mix_batches(batches, spec, cfg.seed, epoch, done, len(data.classes))

    def test_iter() -> Any:
        return loader(data.test_x, data.test_y, test_spec, 0, shuffle=False)

    return train_iter, test_iter


def rank_devices(cfg: TrainConfig, fw: Any) -> list[Any]:
    """A DDP rank's one device: its GPU (set by the launcher) or the CPU."""
    from augspec.trainers.config import parse_devices

    if parse_devices(cfg.devices)[0] == "gpu":
        import torch

        return [torch.device("cuda", torch.cuda.current_device())]
    return fw.devices("cpu")


def build_model(
    cfg: TrainConfig, fw: Any, devs: list[Any], world: int, num_classes: int = 10
) -> tuple[Any, Any]:
    fw.seed_all(cfg.seed)
    if cfg.backend == "torch":
        from augspec.trainers.models_torch import resnet18

        net = fw.prepare(resnet18(num_classes, 3, cfg.width), devs)
        if world > 1:
            from torch.nn.parallel import DistributedDataParallel

            ids = [devs[0].index] if devs[0].type == "cuda" else None
            net = DistributedDataParallel(net, device_ids=ids)
        return net, fw.make_trainer(net, cfg.lr, cfg.adam)
    from augspec.trainers.models_gluon import resnet18 as gluon_resnet18

    net = fw.prepare(gluon_resnet18(num_classes, 3, cfg.width), devs)
    return net, fw.make_trainer(net, cfg.lr, cfg.adam)


CHECKPOINT_KEYS = ("epoch", "spec_hash", "config", "history", "state")


def load_resume(cfg: TrainConfig, spec_hash: str, test_spec_hash: str) -> dict[str, Any]:
    """``--out``'s checkpoint, checked against this run (a ValueError naming the file otherwise).

    It is read only if its arrays fit this run's model (:func:`checkpoint_limit`)."""
    path = Path(cfg.out) / CHECKPOINT
    if not path.is_file():
        raise ValueError(
            f"Expected a checkpoint to resume from at {path}; found none (run without --resume first)"
        )
    ckpt = checkpoint.load(path, max_bytes=checkpoint_limit(cfg))
    missing = [k for k in CHECKPOINT_KEYS if k not in ckpt]
    if missing or not isinstance(ckpt.get("config"), dict):
        raise ValueError(
            f"Expected a training checkpoint with {', '.join(CHECKPOINT_KEYS)}; received {path} "
            f"without {', '.join(missing) or 'a config dict'} (not written by augspec train?)"
        )
    check_resume(ckpt, cfg, spec_hash, path, test_spec_hash)
    return ckpt


def check_resume(
    ckpt: dict[str, Any], cfg: TrainConfig, spec_hash: str, path: Path, test_spec_hash: str
) -> None:
    """Refuse, naming it, any setting that would make the resumed run another run."""
    if ckpt["spec_hash"] != spec_hash:
        raise ValueError(
            f"Expected the spec the checkpoint was trained with (spec hash {ckpt['spec_hash']}); "
            f"received --spec {cfg.spec} with spec hash {spec_hash}. Resume with the same spec, "
            f"or start afresh in another --out (checkpoint: {path})"
        )
    saved = ckpt["config"]
    # Checkpoints written before test_spec_hash was stored: compare the --test-spec given.
    if ckpt.get("test_spec_hash", test_spec_hash) != test_spec_hash or (
        "test_spec_hash" not in ckpt and saved.get("test_spec") != cfg.test_spec
    ):
        raise ValueError(
            f"Expected the test spec the checkpoint was evaluated with (--test-spec "
            f"{saved.get('test_spec') or 'default'}, test spec hash "
            f"{ckpt.get('test_spec_hash', '?')}); received --test-spec {cfg.test_spec or 'default'} "
            f"with test spec hash {test_spec_hash} (checkpoint: {path})"
        )
    fields = list(RESUME_FIELDS)
    if cfg.mode == "compiled":  # native samplers: each worker's RNG stream depends on the count
        fields.append("workers")
    if cfg.backend == "gluon":  # mxnet's RNG is reseeded at every mid-epoch checkpoint
        fields.append("checkpoint_every")
    for name in fields:
        if saved.get(name) != getattr(cfg, name):
            raise ValueError(
                f"Expected {name}={saved.get(name)!r} as in the checkpoint {path}; received {name}={getattr(cfg, name)!r}"
            )
    if ckpt["epoch"] >= cfg.epochs:
        raise ValueError(
            f"Expected --epochs > {ckpt['epoch']} (the checkpoint has finished {ckpt['epoch']} epochs); received {cfg.epochs}"
        )


def run(cfg: TrainConfig, rank: int = 0, world: int = 1) -> list[dict[str, Any]]:
    """Train as configured; returns the full history (resumed epochs included)."""
    cfg = resolve(cfg)
    check_out(cfg)
    fw = importlib.import_module(f"augspec.trainers.{cfg.backend}")
    spec, test_spec = load_specs(cfg)
    data = load_data(cfg)
    devs = rank_devices(cfg, fw) if world > 1 else fw.devices(cfg.devices)
    net, trainer = build_model(cfg, fw, devs, world, len(data.classes))
    Path(cfg.out).mkdir(parents=True, exist_ok=True)
    path = Path(cfg.out) / CHECKPOINT
    history: list[dict[str, Any]] = []
    start, resume_at = 0, None
    if cfg.resume:
        ckpt = load_resume(cfg, spec.spec_hash(), test_spec.spec_hash())
        fw.set_state(net, trainer, ckpt["state"])
        history, start = list(ckpt["history"]), int(ckpt["epoch"])
        resume_at = ckpt.get("position")  # set by a mid-epoch checkpoint
    info = {
        "data": data_id(cfg, data),
        "synthetic": bool(data.synthetic),
        "backend": cfg.backend,
        "devices": str(devs) if world == 1 else f"{world} DDP processes ({cfg.devices})",
        "spec": cfg.spec,
        "spec_hash": spec.spec_hash(),
        "test_spec_hash": test_spec.spec_hash(),
        "config": asdict(cfg),
        "openmp": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY")},
    }
    lead = rank == 0
    if lead:
        print(f"data: {info['data']}", flush=True)

    def on_epoch_end(record: dict[str, Any]) -> None:
        history.append(record)
        if not lead:
            return
        print(epoch_line(record, cfg.epochs), flush=True)
        checkpoint.save(path, {
            "epoch": record["epoch"], "spec_hash": info["spec_hash"], "config": asdict(cfg),
            "test_spec_hash": info["test_spec_hash"], "history": history,
            "state": fw.get_state(net, trainer),
        })  # fmt: skip
        write_metrics(cfg.out, history, info)

    steps_per_epoch = -(-len(data.train_y) // cfg.batch_size)

    def on_step_end(position: dict[str, Any]) -> None:
        """Every --checkpoint-every steps within an epoch: the state and the position in it."""
        step = position["step"]
        if not cfg.checkpoint_every or step % cfg.checkpoint_every or step >= steps_per_epoch:
            return
        if lead:
            checkpoint.save(path, {
                "epoch": position["epoch"], "position": position, "spec_hash": info["spec_hash"],
                "test_spec_hash": info["test_spec_hash"], "config": asdict(cfg),
                "history": history, "state": fw.get_state(net, trainer),
            })  # fmt: skip
        if cfg.backend == "gluon":  # as a resume from here will (mxnet's RNG cannot be saved)
            fw.seed_epoch(cfg.seed, position["epoch"], step)

    train_iter, test_iter = _loaders(cfg, data, spec, test_spec, fw, resume_at, devs[0])
    ran = fw.train(
        net, train_iter, test_iter, cfg.epochs, trainer, devs,
        start_epoch=start, on_epoch_end=on_epoch_end, show_progress=cfg.progress and lead,
        resume_at=resume_at, on_step_end=on_step_end,
    )  # fmt: skip
    if lead and ran:
        for line in summary_lines(ran, str(info["devices"])):
            print(line, flush=True)
    sys.stdout.flush()
    return history
