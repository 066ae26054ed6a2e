"""``augspec.train``: the ``augspec train`` command as a Python call, with the same defaults.

Imports no framework until the run starts (the trainers import torch / mxnet).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from augspec.files import write_text


def _spec_path(value: Any, out: Path, name: str) -> str | None:
    """A spec argument as a file path: paths stay; a Pipeline or a dict is written into ``out``."""
    import augspec

    if value is None or isinstance(value, (str, Path)):
        return None if value is None else str(value)
    pipeline = augspec.as_pipeline(value)
    path = out / name
    out.mkdir(parents=True, exist_ok=True)
    write_text(path, augspec.dumps(pipeline, "yaml"))
    return str(path)


def train(
    spec: Any = None,
    backend: str = "torch",
    data: str | Path | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """Train the d2l ResNet-18 as ``augspec train`` does; returns the run's metrics.

    With no argument it is the chapter's run (torch, the bundled train_augs/test_augs specs,
    width 64, Adam lr 0.001, batch 256, 10 epochs, every visible GPU else the CPU) on the
    1,200 real CIFAR-10 photos bundled with augspec. ``spec`` (and ``test_spec=``): a
    Pipeline, a dict or a spec file path; a Pipeline or dict is saved into the run folder
    (``train_spec.yaml`` / ``test_spec.yaml``) so that the run can be resumed. ``data``: a
    CIFAR-10 folder or an image folder (``data/train/<class>/*``, ``data/test/<class>/*``).
    ``overrides``: any other option of ``augspec train`` by its Python name (``epochs=2``,
    ``width=16``, ``batch_size=64``, ``out="runs/x"``, ``synthetic=512``, ``threads=1``...).

    Returns the run's ``metrics.json`` as a dict (``epochs``: one dict per epoch with
    ``train_loss``, ``train_acc``, ``test_acc``, ``examples_per_sec``...) plus ``out``, the
    run folder; with ``backend="both"``: ``torch``, ``gluon`` (each side's metrics) and
    ``comparison`` (the comparison's summary).
    """
    from augspec.trainers.config import TrainConfig, check_out, resolve
    from augspec.trainers.threads import apply_threads

    known = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(
            f"augspec.train: Expected options of augspec train ({', '.join(sorted(known))}); "
            f"received {', '.join(unknown)}"
        )
    test_spec = overrides.pop("test_spec", None)
    settings = {"backend": backend, "data": None if data is None else str(data), **overrides}
    cfg = TrainConfig(**settings)
    apply_threads(cfg.threads)
    cfg = resolve(cfg)
    check_out(cfg)  # before a spec file is written into another run's folder
    out = Path(str(cfg.out))
    cfg.spec = _spec_path(spec, out, "train_spec.yaml") or cfg.spec
    cfg.test_spec = _spec_path(test_spec, out, "test_spec.yaml") or cfg.test_spec
    from augspec.cli_train import command

    command(argparse.Namespace(**asdict(cfg)))
    return run_metrics(out, cfg.backend)


def run_metrics(out: Path, backend: str) -> dict[str, Any]:
    """What a run folder's metrics files say (see :func:`train`)."""

    def read(path: Path) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return result

    if backend == "both":
        found = {side: read(out / side / "metrics.json") for side in ("torch", "gluon")}
        return {"out": str(out), **found, "comparison": read(out / "comparison.json")}
    return {"out": str(out), **read(out / "metrics.json")}
