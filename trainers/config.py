"""What a training run is: its settings, their checks, and the files it writes.

Framework-free (no torch or mxnet import): the CLI (:mod:`augspec.cli_train`), the runner
and the DDP entry point all build a :class:`TrainConfig` from the options defined here.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from augspec.trainers.threads import check_threads

BACKENDS = ("torch", "gluon", "both")  # both: side by side (trainers/both.py)
CHECKPOINT = "checkpoint.npz"
# What a run writes into --out: a folder holding any of them holds a run.
RUN_FILES = (CHECKPOINT, "metrics.json", "metrics.csv", "curves.png")
# No --test-spec: the ops of the chapter's test_augs (examples/test_augs.yaml), as a dict so
# that its hash, kept in checkpoints, does not depend on that file's description.
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
    "batched_augment",  # before mode, which follows from it by default
    "mode",
    "fidelity",
    "devices",
)


def parse_devices(text: str) -> tuple[str, list[int]]:
    """ "cpu" -> ("cpu", [0]); "cpu:2" -> ("cpu", [0, 1]); "cuda:0,1" / "gpu:0,1" -> ("gpu", [0, 1]);
    "auto": every GPU torch sees, else "cpu"."""
    if text == "auto":  # unresolved (torchrun builds its config without resolve): torch's GPUs
        text = visible_devices("torch")
    m = re.fullmatch(r"\s*(cpu|cuda|gpu)(?::([0-9]+(?:,[0-9]+)*))?\s*", str(text))
    if m is None:
        raise ValueError(
            f"Expected devices like 'auto', 'cpu', 'cpu:2', 'cuda:0,1' or 'gpu:0'; received devices={text!r}"
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


DEFAULT_SPEC_FILE = "train_augs.yaml"
DEFAULT_TEST_SPEC_FILE = "test_augs.yaml"
RUNS = "runs"  # default --out: runs/<backend>-<YYYYmmdd-HHMMSS>


def example_spec(name: str) -> str:
    """The path of a bundled example spec (augspec/examples when installed, examples/ here)."""
    from importlib import resources

    return str(resources.files("augspec.examples").joinpath(name))


@dataclass
class TrainConfig:
    """One run's settings. The defaults are the chapter's run (what ``augspec train`` does with
    no flags); empty and ``None`` fields are resolved by :func:`resolve`."""

    backend: str = "torch"
    spec: str = ""  # empty: the bundled train_augs.yaml
    test_spec: str | None = None  # None: DEFAULT_TEST_SPEC, the ops of the chapter's test_augs
    data: str | None = None  # None (and no synthetic): the bundled CIFAR-10 sample
    synthetic: int | None = None
    epochs: int = 10
    batch_size: int = 256
    lr: float = 0.001
    devices: str = "auto"
    resume: bool = False
    out: str = ""  # empty: runs/<backend>-<YYYYmmdd-HHMMSS>
    seed: int = 0
    workers: int = 0
    mode: str | None = None  # None: compiled (the framework's own classes), replay for both/batched
    fidelity: str = "native"
    width: int = 64
    adam: str | None = None  # None: the framework's own (torch: torch.optim.Adam; gluon: mxnet)
    download: bool = False
    progress: bool = True
    checkpoint_every: int = 0
    batched_augment: bool = False
    overwrite: bool = False
    threads: int = 0
    skip_bad_files: bool = False


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The ``train`` options (shared by ``augspec train`` and ``python -m augspec.trainers.ddp``).

    Every option has a default (:class:`TrainConfig`'s); with none given the run is the chapter's."""
    d = TrainConfig()
    p.add_argument("--backend", default=d.backend, choices=BACKENDS, help="(default: %(default)s)")
    p.add_argument(
        "--spec",
        default=d.spec,
        help=f"training augmentation spec, YAML/JSON (default: the bundled {DEFAULT_SPEC_FILE}, "
        "the chapter's flip + ToTensor)",
    )
    p.add_argument(
        "--test-spec",
        help=f"test-time spec (default: ToTensor only, the chapter's {DEFAULT_TEST_SPEC_FILE})",
    )
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "--data",
        metavar="DIR",
        help="CIFAR-10 (DIR/cifar-10-batches-py, or --download into DIR) or an image-folder "
        "layout (DIR/train/<class>/*, DIR/test/<class>/*) (default: the 1,200 real CIFAR-10 "
        "photos bundled with augspec)",
    )
    src.add_argument(
        "--synthetic", type=int, metavar="N", help="N SYNTHETIC training images (not CIFAR-10)"
    )
    p.add_argument(
        "--download", action="store_true", help="download CIFAR-10 into --data if missing"
    )
    p.add_argument(
        "--skip-bad-files",
        action="store_true",
        help="image folders: leave out files that cannot be decoded and say how many "
        "(default: stop naming the first one)",
    )
    p.add_argument("--epochs", type=int, default=d.epochs, help="(default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=d.batch_size, help="(default: %(default)s)")
    p.add_argument(
        "--lr", type=float, default=d.lr, help="Adam's learning rate (default: %(default)s)"
    )
    p.add_argument(
        "--devices",
        default=d.devices,
        help="auto | cpu | cpu:N | cuda:0,1 | gpu:0,1 (default: auto = every visible GPU, else the CPU)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=0,
        metavar="N",
        help="CPU threads (OMP_NUM_THREADS); 0: the frameworks' defaults on an idle machine, the "
        "free cores with OMP_WAIT_POLICY=PASSIVE when others are busy at the start, so a loaded "
        "machine does not collapse (default: 0; docs/performance.md)",
    )
    p.add_argument("--resume", action="store_true", help=f"continue from OUT/{CHECKPOINT}")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the run already in --out (without it, or --resume, such a folder is refused)",
    )
    p.add_argument(
        "--out",
        default=d.out,
        help=f"folder for metrics, curves and checkpoints (default: {RUNS}/<backend>-<YYYYmmdd-HHMMSS>)",
    )
    p.add_argument("--seed", type=int, default=0, help="(default: %(default)s)")
    p.add_argument(
        "--workers", type=int, default=0, help="data-loader worker processes (default: %(default)s)"
    )
    p.add_argument(
        "--mode",
        choices=("replay", "compiled"),
        help="compiled: the framework's own transform classes in its own DataLoader, as the "
        "chapter's tab for it; replay: params from the seeding contract, the same on both "
        "frameworks (default: compiled; replay with --backend both or --batched-augment)",
    )
    p.add_argument(
        "--fidelity", choices=("native", "spec"), default="native", help="(default: %(default)s)"
    )
    p.add_argument(
        "--width",
        type=int,
        default=d.width,
        help="ResNet-18 base width (default: %(default)s, the chapter's)",
    )
    p.add_argument(
        "--adam",
        choices=("mxnet", "torch"),
        help="Adam variant: torch.optim.Adam or mxnet's epsilon placement (= gluon; torch "
        "backend only) (default: the framework's own: torch with --backend torch, mxnet with "
        "gluon and both)",
    )
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    p.add_argument(
        "--checkpoint-every",
        type=int,
        default=0,
        metavar="STEPS",
        help="also checkpoint every STEPS batches within an epoch (0: at epoch ends only); a "
        "resume from one ends as the run would have (replay mode; compiled mode with --workers 0) "
        "(default: 0)",
    )
    p.add_argument(
        "--batched-augment",
        action="store_true",
        help="torch, replay mode: augment whole batches on the training device with the batched "
        "torch target (same params as replay; no loader workers)",
    )


def default_out(backend: str, now: datetime | None = None) -> str:
    """``runs/<backend>-<YYYYmmdd-HHMMSS>``, with -2, -3 ... when that folder exists already."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    base = Path(RUNS) / f"{backend}-{stamp}"
    out, k = base, 1
    while out.exists():
        k += 1
        out = base.with_name(f"{base.name}-{k}")
    return str(out)


def visible_devices(backend: str) -> str:
    """``--devices auto``: every GPU the framework sees (``cuda:0,1,...``), else ``cpu``."""
    if backend == "both":  # one device, one that both frameworks see (trainers/both.py)
        gpu = visible_devices("torch") != "cpu" and visible_devices("gluon") != "cpu"
        return "cuda:0" if gpu else "cpu"
    if backend == "gluon":
        from augspec.backends.gluon_mx import mx

        n = int(mx.context.num_gpus())
    else:
        import torch

        n = torch.cuda.device_count() if torch.cuda.is_available() else 0
    return f"cuda:{','.join(map(str, range(n)))}" if n else "cpu"


def resolve(cfg: TrainConfig) -> TrainConfig:
    """Fill the defaults that depend on other settings (idempotent; imports a framework
    only to count GPUs for ``--devices auto``). Call :func:`augspec.trainers.threads.apply_threads`
    first: counting GPUs starts the framework's OpenMP runtime."""
    if cfg.resume and not cfg.out:
        raise ValueError(
            "Expected --out naming the run to continue with --resume; received no --out "
            f"(a new run goes to {RUNS}/<backend>-<YYYYmmdd-HHMMSS>)"
        )
    replay = cfg.backend == "both" or cfg.batched_augment
    return replace(
        cfg,
        spec=cfg.spec or example_spec(DEFAULT_SPEC_FILE),
        mode=cfg.mode or ("replay" if replay else "compiled"),
        adam=cfg.adam or ("torch" if cfg.backend == "torch" else "mxnet"),
        devices=visible_devices(cfg.backend) if cfg.devices == "auto" else cfg.devices,
        out=cfg.out or default_out(cfg.backend),
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
    if cfg.backend == "gluon" and cfg.adam not in (None, "mxnet"):
        raise ValueError(f"Expected --adam mxnet with --backend gluon; received --adam {cfg.adam}")
    check_threads(cfg.threads)
    if cfg.resume and cfg.overwrite:
        raise ValueError(
            "Expected --resume (continue the run in --out) or --overwrite (replace it); "
            "received both"
        )
    parse_devices(cfg.devices)
    if cfg.backend == "both":
        from augspec.trainers.both import check_both

        check_both(cfg)


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
    copies = 2 if cfg.backend == "both" else copies  # one torch and one Gluon model
    return 4 * 8 * resnet18_values(cfg.width) * copies + CHECKPOINT_SLACK_BYTES


CIFAR_HW = (32, 32)


def load_specs(cfg: TrainConfig) -> tuple[Any, Any]:
    """The train and test pipelines (unresolved ``None`` specs: the chapter's)."""
    import augspec

    spec = augspec.load(cfg.spec or example_spec(DEFAULT_SPEC_FILE))
    test_spec = (
        augspec.load(cfg.test_spec) if cfg.test_spec else augspec.validate_data(DEFAULT_TEST_SPEC)
    )
    if test_spec.batch_ops:  # MixUp/CutMix are training-time: evaluation sees plain labels
        raise ValueError(
            f"--test-spec {cfg.test_spec}: Expected no batch_ops (MixUp/CutMix mix training "
            f"batches only); received batch_ops={[op.op for op in test_spec.batch_ops]}. "
            "Move them to --spec"
        )
    return spec, test_spec


def preflight(cfg: TrainConfig) -> None:
    """Checks that need no framework, made before any data loads or process starts.

    The spec files; ``--out``; ``--resume``'s checkpoint; the data (CIFAR-10's files, an
    image folder's classes and sizes); that both specs fit the data's image sizes and give
    the model one size (a crop that does not fit fails here, not in a loader worker or a
    DDP rank).
    """
    from augspec.trainers.run import load_resume
    from augspec.trainers.sources import check_data

    spec, test_spec = load_specs(cfg)
    check_out(cfg)
    if cfg.resume:  # first: another spec or setup than the run's is the error to fix
        load_resume(cfg, spec.spec_hash(), test_spec.spec_hash())
    check_data(cfg, spec, test_spec)
