"""``augspec train``: the chapter's training run on either framework, with metrics and checkpoints.

Imports torch / mxnet only inside the command. One run: data (CIFAR-10 from
``--data`` or the SYNTHETIC set from ``--synthetic N``), the spec'd loaders
(replay mode by default: augmentation params from the seeding contract),
the d2l ResNet-18, Adam, ``--epochs`` epochs with a progress bar, the
chapter's summary lines, metrics.csv / metrics.json / curves.png, and an
atomic checkpoint (``checkpoint.npz``) after every epoch (and every
``--checkpoint-every`` steps within one). ``--resume`` continues from it,
mid-epoch included, and refuses one written for another spec or setup.

Torch on ``--devices cpu:N`` (N > 1) runs DDP over N gloo processes on
localhost (``trainers/ddp.py``); Gluon on ``cpu:N`` uses N CPU contexts.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path
from typing import Any

from augspec.trainers.config import TrainConfig, add_arguments, check_args, parse_devices, preflight


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "train",
        help="train the d2l ResNet-18 with a spec on torch or gluon",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    add_arguments(p)
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    cfg = TrainConfig(**{f: getattr(args, f) for f in TrainConfig.__dataclass_fields__})
    check_args(cfg)
    preflight(cfg)
    Path(cfg.out).mkdir(parents=True, exist_ok=True)
    kind, ids = parse_devices(cfg.devices)
    if cfg.backend == "torch" and kind == "cpu" and len(ids) > 1:
        from augspec.trainers.ddp import spawn

        spawn(len(ids), asdict(cfg))
        return 0
    from augspec.trainers.run import run

    run(cfg)
    return 0
