"""What a training run is: its settings, their checks, and the files it writes.

Framework-free (no torch or mxnet import): the CLI (:mod:`augspec.cli_train`), the runner
and the DDP entry point all build a :class:`TrainConfig` from the options defined here.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

BACKENDS = ("torch", "gluon")
CHECKPOINT = "checkpoint.npz"
# What a run writes into --out: a folder holding any of them holds a run.
RUN_FILES = (CHECKPOINT, "metrics.json", "metrics.csv", "curves.png")
DEFAULT_TEST_SPEC = {"augspec": 1, "ops": [{"op": "to_tensor"}]}
# Settings a resumed run must share with its checkpoint (epochs may grow).
RESUME_FIELDS = (
    "backend",
    "data",
    "synthetic",
    "seed",
    "batch_size",
    "lr",
    "width",
    "adam",
    "mode",
    "fidelity",
    "devices",
    "batched_augment",
)


def parse_devices(text: str) -> tuple[str, list[int]]:
    """ "cpu" -> ("cpu", [0]); "cpu:2" -> ("cpu", [0, 1]); "cuda:0,1" / "gpu:0,1" -> ("gpu", [0, 1])."""
    m = re.fullmatch(r"\s*(cpu|cuda|gpu)(?::([0-9]+(?:,[0-9]+)*))?\s*", str(text))
    if m is None:
        raise ValueError(
            f"Expected devices like 'cpu', 'cpu:2', 'cuda:0,1' or 'gpu:0'; received devices={text!r}"
        )
    kind, rest = m.group(1), m.group(2)
    if kind == "cpu":
        if rest is not None and "," in rest:
            raise ValueError(
                f"Expected 'cpu' or 'cpu:N' (N CPU devices); received devices={text!r}"
            )
        n = int(rest) if rest is not None else 1
        if n < 1:
            raise ValueError(f"Expected at least 1 CPU device; received devices={text!r}")
        return "cpu", list(range(n))
    ids = [int(i) for i in rest.split(",")] if rest is not None else [0]
    if len(set(ids)) != len(ids):
        raise ValueError(f"Expected distinct GPU ids; received devices={text!r}")
    return "gpu", ids


@dataclass
class TrainConfig:
    backend: str
    spec: str
    test_spec: str | None
    data: str | None
    synthetic: int | None
    epochs: int
    batch_size: int
    lr: float
    devices: str
    resume: bool
    out: str
    seed: int = 0
    workers: int = 0
    mode: str = "replay"
    fidelity: str = "native"
    width: int = 64
    adam: str = "mxnet"
    download: bool = False
    progress: bool = True
    checkpoint_every: int = 0
    batched_augment: bool = False
    overwrite: bool = False


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The ``train`` options (shared by ``augspec train`` and ``python -m augspec.trainers.ddp``)."""
    p.add_argument("--backend", required=True, choices=BACKENDS)
    p.add_argument("--spec", required=True, help="training augmentation spec (YAML/JSON)")
    p.add_argument("--test-spec", help="test-time spec (default: to_tensor only)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", metavar="DIR", help="folder holding cifar-10-batches-py")
    src.add_argument(
        "--synthetic", type=int, metavar="N", help="N SYNTHETIC training images (not CIFAR-10)"
    )
    p.add_argument(
        "--download", action="store_true", help="download CIFAR-10 into --data if missing"
    )
    p.add_argument("--epochs", type=int, required=True)
    p.add_argument("--batch-size", type=int, required=True)
    p.add_argument("--lr", type=float, required=True)
    p.add_argument(
        "--devices", default="cpu", help="cpu | cpu:N | cuda:0,1 | gpu:0,1 (default cpu)"
    )
    p.add_argument("--resume", action="store_true", help=f"continue from OUT/{CHECKPOINT}")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the run already in --out (without it, or --resume, such a folder is refused)",
    )
    p.add_argument("--out", required=True, help="folder for metrics, curves and checkpoints")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=0, help="data-loader worker processes")
    p.add_argument(
        "--mode",
        choices=("replay", "compiled"),
        default="replay",
        help="replay: params from the seeding contract (reproducible); compiled: native classes",
    )
    p.add_argument("--fidelity", choices=("native", "spec"), default="native")
    p.add_argument(
        "--width", type=int, default=64, help="ResNet-18 base width (64 = the chapter's)"
    )
    p.add_argument(
        "--adam",
        choices=("mxnet", "torch"),
        default="mxnet",
        help="Adam variant (torch backend): mxnet's epsilon placement (default, = gluon) or torch.optim.Adam",
    )
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    p.add_argument(
        "--checkpoint-every",
        type=int,
        default=0,
        metavar="STEPS",
        help="also checkpoint every STEPS batches within an epoch (0: at epoch ends only); a "
        "resume from one ends as the run would have (replay mode; compiled mode with --workers 0)",
    )
    p.add_argument(
        "--batched-augment",
        action="store_true",
        help="torch, replay mode: augment whole batches on the training device with the batched "
        "torch target (same params as replay; no loader workers)",
    )


def check_args(cfg: TrainConfig) -> None:
    for name in ("epochs", "batch_size"):
        value = getattr(cfg, name)
        if value < 1:
            raise ValueError(f"Expected --{name.replace('_', '-')} >= 1; received {value}")
    if not cfg.lr > 0:
        raise ValueError(f"Expected --lr > 0; received {cfg.lr}")
    if cfg.checkpoint_every < 0:
        raise ValueError(f"Expected --checkpoint-every >= 0; received {cfg.checkpoint_every}")
    if cfg.synthetic is not None and cfg.synthetic < 10:
        raise ValueError(f"Expected --synthetic N >= 10 images; received {cfg.synthetic}")
    if cfg.batched_augment and (cfg.backend != "torch" or cfg.mode != "replay" or cfg.workers):
        raise ValueError(
            "Expected --batched-augment with --backend torch, --mode replay and --workers 0 (it "
            f"augments whole batches in the training process); received --backend {cfg.backend}, "
            f"--mode {cfg.mode}, --workers {cfg.workers}"
        )
    if cfg.backend == "gluon" and cfg.adam != "mxnet":
        raise ValueError(f"Expected --adam mxnet with --backend gluon; received --adam {cfg.adam}")
    if cfg.resume and cfg.overwrite:
        raise ValueError(
            "Expected --resume (continue the run in --out) or --overwrite (replace it); "
            "received both"
        )
    parse_devices(cfg.devices)


def check_out(cfg: TrainConfig) -> None:
    """``--out`` must be a folder (or nothing yet) and hold no other run, unless ``--resume``
    continues it or ``--overwrite`` replaces it: a run's files are never replaced silently."""
    out = Path(cfg.out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"Expected --out to be a folder; received {cfg.out!r}, which is a file")
    if cfg.resume or cfg.overwrite or not out.is_dir():
        return
    found = [name for name in RUN_FILES if (out / name).exists()]
    if found:
        raise ValueError(
            f"Expected --out to be a new folder; received {cfg.out!r}, which holds a run "
            f"({', '.join(found)}). Pass --resume to continue it, --overwrite to replace it, "
            "or choose another --out"
        )


def resnet18_values(width: int, num_classes: int = 10, in_channels: int = 3) -> int:
    """Numbers in the d2l ResNet-18 at ``width`` (weights, biases, BatchNorm's four vectors
    and torch's step counters): what a checkpoint of it holds per model copy."""

    def conv(i: int, o: int, k: int) -> int:
        return i * o * k * k + o

    def block(i: int, c: int, shortcut: bool) -> int:
        return conv(i, c, 3) + conv(c, c, 3) + (conv(i, c, 1) if shortcut else 0) + 2 * (4 * c + 1)

    c = [width, 2 * width, 4 * width, 8 * width]
    total = conv(in_channels, c[0], 3) + 4 * c[0] + 1 + 2 * block(c[0], c[0], False)
    for before, now in zip(c, c[1:], strict=False):
        total += block(before, now, True) + block(now, now, False)
    return total + c[3] * num_classes + num_classes


CHECKPOINT_SLACK_BYTES = 16 * 2**20  # RNG states, the history, the index


def checkpoint_limit(cfg: TrainConfig) -> int:
    """Most bytes of arrays a checkpoint of this run can hold: per model copy (gluon keeps one
    per device) its values, Adam's two moments and a spare, in float64 at most. Loading a
    checkpoint that declares more is refused before anything is allocated."""
    copies = len(parse_devices(cfg.devices)[1]) if cfg.backend == "gluon" else 1
    return 4 * 8 * resnet18_values(cfg.width) * copies + CHECKPOINT_SLACK_BYTES


CIFAR_HW = (32, 32)


def preflight(cfg: TrainConfig) -> None:
    """Checks that need no framework, made before any data loads or process starts.

    The spec files, their sizes on 32x32 CIFAR images (a crop that does not fit
    fails here, not in a loader worker or a DDP rank), that ``--data`` holds the
    CIFAR-10 files, and ``--resume``'s checkpoint.
    """
    from augspec.trainers.run import load_resume

    import augspec
    from augspec.pipeline import trace_hw

    spec = augspec.load(cfg.spec)
    test_spec = (
        augspec.load(cfg.test_spec) if cfg.test_spec else augspec.validate_data(DEFAULT_TEST_SPEC)
    )
    for flag, s in (("--spec", spec), ("--test-spec", test_spec)):
        try:
            trace_hw(s, CIFAR_HW)
        except ValueError as err:
            raise ValueError(f"{flag}: {err} (CIFAR-10 images are 32x32)") from None
    if cfg.data is not None and not cfg.download:
        from augspec.trainers import cifar

        folder = cifar.cifar_folder(cfg.data)
        names = (*cifar.TRAIN_FILES, cifar.TEST_FILE, cifar.META_FILE)
        missing = [n for n in names if not (folder / n).is_file()]
        if missing:
            raise ValueError(cifar._missing_message(folder, missing))
    check_out(cfg)
    if cfg.resume:
        load_resume(cfg, spec.spec_hash(), test_spec.spec_hash())
