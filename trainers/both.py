"""``augspec train --backend both``: torch and Gluon side by side, from the same weights on the same batches.

One process trains the two frameworks in lockstep: the torch ResNet-18 is built
and seeded exactly as ``--backend torch`` builds it, its weights (and BatchNorm
statistics) are transferred into the Gluon one (``transfer.py``), and every
batch, made once by the torch replay loader (replay mode: the params of the
seeding contract), trains torch and then Gluon. Both use MXNet's Adam (the
torch side ``MXNetAdam``), as the trainer-parity test does. So ``OUT/torch`` is
the run ``--backend torch --mode replay --adam mxnet`` makes, and ``OUT/gluon``
Gluon trained on exactly the same pixels.

``OUT/torch`` and ``OUT/gluon`` are normal run folders (metrics.csv,
metrics.json, curves.png); ``OUT`` holds the comparison (``compare.py``) and
one checkpoint for both (``checkpoint.npz``: both states, both histories and
every step's losses, written atomically, so the two can never be resumed at
different steps). ``--resume`` continues both and the comparison;
``--checkpoint-every`` checkpoints within an epoch as for one framework.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
from augspec.trainers import checkpoint, compare
from augspec.trainers.config import (
    CHECKPOINT,
    TrainConfig,
    check_out,
    load_specs,
    parse_devices,
    resolve,
)
from augspec.trainers.metrics import (
    Accumulator,
    epoch_line,
    epoch_record,
    progress,
    summary_lines,
    write_metrics,
)

SIDES = compare.FRAMEWORKS  # ("torch", "gluon"): torch steps first on every batch


def check_both(cfg: TrainConfig) -> None:
    """What ``--backend both`` needs: replay mode, MXNet's Adam on both sides, one device."""
    wrong = []
    if cfg.mode != "replay":
        wrong.append(f"--mode {cfg.mode} (expected replay: both see the same replayed batches)")
    if cfg.adam != "mxnet":
        wrong.append(f"--adam {cfg.adam} (expected mxnet: Gluon has only MXNet's Adam)")
    if len(parse_devices(cfg.devices)[1]) != 1:
        wrong.append(f"--devices {cfg.devices} (expected one device: cpu, cuda:N or gpu:N)")
    if wrong:
        raise ValueError(
            "Expected --backend both with --mode replay, --adam mxnet and one device; received "
            + "; ".join(wrong)
        )


def sub_config(cfg: TrainConfig, side: str) -> TrainConfig:
    """The run one framework makes inside ``cfg``: its own folder ``OUT/<side>``."""
    return replace(cfg, backend=side, out=str(Path(cfg.out) / side))


class Side:
    """One framework's model, optimizer, devices and the numbers it has produced."""

    def __init__(self, name: str, fw: Any, net: Any, trainer: Any, devs: list[Any]) -> None:
        self.name, self.fw, self.net, self.trainer, self.devs = name, fw, net, trainer, devs
        self.loss = fw.make_loss()
        self.history: list[dict[str, Any]] = []
        self.losses: list[float] = []  # every step's mean batch loss
        self.metric = Accumulator(3)  # this epoch's loss sum, correct, examples
        self.seconds = 0.0  # this epoch's time (its steps plus the shared loading)

    def step(self, x: Any, y: Any) -> None:
        start = time.perf_counter()
        loss_sum, correct = self.fw.train_batch(self.net, x, y, self.loss, self.trainer, self.devs)
        self.seconds += time.perf_counter() - start
        self.metric.add(loss_sum, correct, len(y))
        self.losses.append(loss_sum / len(y))

    def correct(self, x: Any, y: Any) -> int:
        """Correct predictions on one test batch (the trainer's own evaluation mode)."""
        return round(self.fw.evaluate(self.net, [(x, y)], self.devs) * len(y))

    def state(self) -> dict[str, Any]:
        return self.fw.get_state(self.net, self.trainer)


def build_sides(cfg: TrainConfig, num_classes: int = 10) -> dict[str, Side]:
    """torch as ``--backend torch`` builds it; Gluon with the torch weights transferred in."""
    from augspec.trainers import gluon as gtrain
    from augspec.trainers import torch as ttrain
    from augspec.trainers import transfer
    from augspec.trainers.models_gluon import resnet18 as gluon_resnet18
    from augspec.trainers.models_torch import resnet18 as torch_resnet18

    tdevs = ttrain.devices(cfg.devices)
    ttrain.seed_all(cfg.seed)
    tnet = ttrain.prepare(torch_resnet18(num_classes, 3, cfg.width), tdevs)
    gdevs = gtrain.devices(cfg.devices)
    gtrain.seed_all(cfg.seed)
    gnet = gtrain.prepare(gluon_resnet18(num_classes, 3, cfg.width), gdevs)
    transfer.torch_to_gluon(ttrain.unwrap(tnet), gnet)
    return {
        "torch": Side("torch", ttrain, tnet, ttrain.make_trainer(tnet, cfg.lr, "mxnet"), tdevs),
        "gluon": Side("gluon", gtrain, gnet, gtrain.make_trainer(gnet, cfg.lr), gdevs),
    }


def _restore(
    sides: dict[str, Side], ckpt: dict[str, Any], path: Path
) -> tuple[int, dict[str, Any] | None]:
    """Put both sides back as the checkpoint left them; returns (epoch, mid-epoch position)."""
    for key in ("state", "history", "losses"):
        if not (isinstance(ckpt[key], dict) and set(SIDES) <= set(ckpt[key])):
            raise ValueError(
                f"Expected a --backend both checkpoint ({key} for torch and gluon); received "
                f"{path} without them (written by another run?)"
            )
    for name, side in sides.items():
        side.fw.set_state(side.net, side.trainer, ckpt["state"][name])
        side.history = list(ckpt["history"][name])
        side.losses = [float(v) for v in np.asarray(ckpt["losses"][name]).reshape(-1)]
    return int(ckpt["epoch"]), ckpt.get("position")


def torch_data_mix(batches: Any, spec: Any, seed: int, epoch: int, done: int, classes: int) -> Any:
    """The spec's batch_ops on the torch batches (both sides then see the same mixed batches)."""
    from augspec.trainers.torch_data import mix_batches

    return mix_batches(batches, spec, seed, epoch, done, classes)


def _per_side(x: Any, y: Any) -> dict[str, tuple[Any, Any]]:
    """One batch from the torch loader as each framework takes it (the same numbers)."""
    return {"torch": (x, y), "gluon": (x.numpy(), y.numpy())}


class BothRun:
    """The lockstep loop, its files and its checkpoints."""

    def __init__(self, cfg: TrainConfig) -> None:
        from augspec.trainers.run import data_id, load_data

        self.cfg = cfg
        self.spec, self.test_spec = load_specs(cfg)
        self.data = load_data(cfg)
        self.label = data_id(cfg, self.data)
        self.sides = build_sides(cfg, len(self.data.classes))
        self.steps_per_epoch = -(-len(self.data.train_y) // cfg.batch_size)
        self.out = Path(cfg.out)
        short = self.data.label.split(" (")[0]  # the label without its provenance
        self.title = f"{Path(str(cfg.spec)).name}: torch vs gluon, {short}"

    def info(self, side: Side) -> dict[str, Any]:
        return {
            "data": self.label,
            "synthetic": bool(self.data.synthetic),
            "backend": side.name,
            "devices": str(side.devs),
            "spec": self.cfg.spec,
            "spec_hash": self.spec.spec_hash(),
            "test_spec_hash": self.test_spec.spec_hash(),
            "config": asdict(sub_config(self.cfg, side.name)),
            "side_by_side": str(self.out / "comparison.json"),
            "openmp": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY")},
        }

    def save(self, epoch: int, position: dict[str, Any] | None = None) -> None:
        tree = {
            "epoch": epoch,
            "spec_hash": self.spec.spec_hash(),
            "test_spec_hash": self.test_spec.spec_hash(),
            "config": asdict(self.cfg),
            "history": {n: s.history for n, s in self.sides.items()},
            "state": {n: s.state() for n, s in self.sides.items()},
            "losses": {n: np.asarray(s.losses, np.float64) for n, s in self.sides.items()},
        }
        if position is not None:
            tree["position"] = position
        checkpoint.save(self.out / CHECKPOINT, tree)

    def loader(self, x: Any, y: Any, spec: Any, epoch: int, shuffle: bool, start: int) -> Any:
        from augspec.trainers import torch_data

        return torch_data.make_loader(
            x, y, spec, self.cfg.batch_size, workers=self.cfg.workers, seed=self.cfg.seed,
            epoch=epoch, mode="replay", shuffle=shuffle, fidelity=self.cfg.fidelity,
            start_batch=start,
        )  # fmt: skip

    def test_accuracies(self) -> dict[str, float]:
        correct, total = dict.fromkeys(self.sides, 0), 0
        for x, y in self.loader(self.data.test_x, self.data.test_y, self.test_spec, 0, False, 0):
            for name, batch in _per_side(x, y).items():
                correct[name] += self.sides[name].correct(*batch)
            total += len(y)
        return {name: c / max(total, 1) for name, c in correct.items()}

    def train_epoch(self, epoch: int, resume_at: dict[str, Any] | None) -> None:
        """One epoch in lockstep (from ``resume_at``'s step when it lies in this epoch)."""
        cfg, gluon = self.cfg, self.sides["gluon"]
        done = int(resume_at["step"]) if resume_at and int(resume_at["epoch"]) == epoch else 0
        for name, side in self.sides.items():
            side.metric = Accumulator(3)
            side.seconds = 0.0
            if done and resume_at is not None:
                side.metric.data = [float(v) for v in resume_at["metric"][name]]
                side.seconds = float(resume_at["seconds"][name])
        gluon.fw.seed_epoch(cfg.seed, epoch, done)  # as --backend gluon does (mxnet's RNG)
        batches = self.loader(self.data.train_x, self.data.train_y, self.spec, epoch, True, done)
        batches = torch_data_mix(batches, self.spec, cfg.seed, epoch, done, len(self.data.classes))
        step, waited = done, time.perf_counter()
        for x, y in progress(batches, f"epoch {epoch + 1}/{cfg.epochs} torch+gluon", cfg.progress):
            loading = time.perf_counter() - waited  # shared: each framework's run would load too
            for name, batch in _per_side(x, y).items():  # torch first, then Gluon
                self.sides[name].step(*batch)
                self.sides[name].seconds += loading
            step += 1
            every = cfg.checkpoint_every
            if every and step % every == 0 and step < self.steps_per_epoch:
                self.save(epoch, {
                    "epoch": epoch, "step": step,
                    "metric": {n: list(s.metric.data) for n, s in self.sides.items()},
                    "seconds": {n: s.seconds for n, s in self.sides.items()},
                })  # fmt: skip
                gluon.fw.seed_epoch(cfg.seed, epoch, step)  # as a resume from here will
            waited = time.perf_counter()

    def end_epoch(self, epoch: int) -> dict[str, Any]:
        accuracies = self.test_accuracies()
        for name, side in self.sides.items():
            side.history.append(epoch_record(epoch, side.metric, accuracies[name], side.seconds))
        self.save(epoch + 1)
        for side in self.sides.values():
            write_metrics(self.out / side.name, side.history, self.info(side))
        t, g = self.sides["torch"], self.sides["gluon"]
        info = self.info(t)
        summary = compare.write_comparison(
            self.out, t.history, g.history, t.losses, g.losses, self.steps_per_epoch, self.title,
            info={"data": self.label, "spec": self.cfg.spec, "openmp": info["openmp"]},
        )  # fmt: skip
        for side in (t, g):
            print(f"[{side.name}] {epoch_line(side.history[-1], self.cfg.epochs)}", flush=True)
        return summary


def run_both(cfg: TrainConfig) -> dict[str, Any]:
    """Train both frameworks side by side; returns the comparison summary (``comparison.json``)."""
    from augspec.trainers.run import load_resume

    cfg = resolve(cfg)
    check_both(cfg)
    check_out(cfg)
    for name in SIDES:
        check_out(sub_config(cfg, name))
    run = BothRun(cfg)
    start, resume_at = 0, None
    if cfg.resume:
        ckpt = load_resume(cfg, run.spec.spec_hash(), run.test_spec.spec_hash())
        start, resume_at = _restore(run.sides, ckpt, run.out / CHECKPOINT)
    for name in SIDES:
        (run.out / name).mkdir(parents=True, exist_ok=True)
    print(f"data: {run.label}", flush=True)
    summary: dict[str, Any] = {}
    for epoch in range(start, cfg.epochs):
        run.train_epoch(epoch, resume_at)
        summary = run.end_epoch(epoch)
    for side in run.sides.values():
        for line in summary_lines(side.history, str(side.devs)):
            print(f"[{side.name}] {line}")
    for line in compare.summary_lines(summary):
        print(line)
    print(f"comparison: {run.out / 'comparison.md'}, compare.png, loss_diff.png", flush=True)
    return summary
