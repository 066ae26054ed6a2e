"""``augspec train``: the chapter's training run on either framework, with metrics and checkpoints.

With no option it is the chapter's run: torch, the bundled train_augs/test_augs specs,
ResNet-18 (width 64), Adam lr 0.001, batch 256, 10 epochs, every visible GPU (else the
CPU), on the 1,200 real CIFAR-10 photos bundled with augspec, into
runs/<backend>-<date-time>/. Data: the bundled sample, CIFAR-10 (--data DIR
[--download]), an image folder (--data DIR with train/<class>/ and test/<class>/) or
SYNTHETIC (--synthetic N). It prints the data line, one line per epoch and the chapter's
two final lines; writes metrics.csv, metrics.json, curves.png and an atomic checkpoint
after every epoch (and every --checkpoint-every steps); --resume continues from it,
mid-epoch included, and refuses one written for another spec or setup.

Torch on ``--devices cpu:N`` (N > 1) runs DDP over N gloo processes on
localhost (``trainers/ddp.py``); Gluon on ``cpu:N`` uses N CPU contexts.
``--backend both`` trains the two side by side from the same weights on the same batches
and compares them (``trainers/both.py``, ``trainers/compare.py``).
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path
from typing import Any

from augspec.trainers.config import (
    TrainConfig,
    add_arguments,
    check_args,
    parse_devices,
    preflight,
    resolve,
)
from augspec.trainers.threads import apply_threads


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "train",
        help="train the d2l ResNet-18 with a spec on torch or gluon (no option: the chapter's run)",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    add_arguments(p)
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    cfg = TrainConfig(**{f: getattr(args, f) for f in TrainConfig.__dataclass_fields__})
    apply_threads(cfg.threads)  # before any framework import: OpenMP reads its variables once
    cfg = resolve(cfg)  # the chapter's defaults; --devices auto counts the GPUs
    check_args(cfg)
    preflight(cfg)
    Path(cfg.out).mkdir(parents=True, exist_ok=True)
    if cfg.backend == "both":  # torch and Gluon side by side, one process
        from augspec.trainers.both import run_both

        run_both(cfg)
        return 0
    kind, ids = parse_devices(cfg.devices)
    if cfg.backend == "torch" and kind == "cpu" and len(ids) > 1:
        from augspec.trainers.ddp import spawn

        spawn(len(ids), asdict(cfg))
        return 0
    from augspec.trainers.run import run

    run(cfg)
    return 0
