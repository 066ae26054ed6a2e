"""``--checkpoint-every`` under torch DDP (``--devices cpu:2``: two gloo processes).

Rank 0 writes the mid-epoch checkpoints; every rank resumes from the same one. A run with
``--checkpoint-every 3`` (64 SYNTHETIC images, batch 16: 4 steps per epoch, 2 epochs, width
8) keeps its mid-epoch checkpoint of epoch 2 (step 3 of 4; the ranks are spawned, so the copy
is made inside rank 0 by :func:`_keeping_worker`); it is put back and ``--resume`` finishes
the run, which must end as the uninterrupted run did: same metrics and weights, bit for bit,
in replay mode and in compiled mode (torch's default: the native classes draw from torch's RNG,
which the checkpoint holds; every rank draws the same stream, so rank 0's state is theirs).
(That mid-epoch checkpoints themselves change nothing is tests/test_faults.py's, single-process.)
Two DDP launches per mode: each spawns two processes that import torch, the test's main cost.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest

if importlib.util.find_spec("torch") is None:
    pytest.skip("needs torch (pip install 'augspec[torch]')", allow_module_level=True)

from augspec.trainers import checkpoint, config  # noqa: E402

from augspec.cli import main  # noqa: E402

FLIP = "augspec: 1\nops:\n  - op: horizontal_flip\n    p: 0.5\n  - op: to_tensor\n"
N, BATCH, EPOCHS, EVERY = 64, 16, 2, 3
KEYS = ("epoch", "train_loss", "train_acc", "test_acc", "examples")


def _argv(spec: Path, out: Path, mode: str, *extra: str) -> list[str]:
    return [
        "train", "--backend", "torch", "--spec", str(spec), "--synthetic", str(N),
        "--epochs", str(EPOCHS), "--batch-size", str(BATCH), "--lr", "0.01", "--width", "8",
        "--devices", "cpu:2", "--mode", mode, "--out", str(out), "--no-progress", *extra,
    ]  # fmt: skip


def _config(argv: list[str]) -> dict[str, Any]:
    """The settings ``augspec train argv`` hands each DDP rank."""
    parser = argparse.ArgumentParser()
    config.add_arguments(parser)
    args = parser.parse_args(argv[1:])
    cfg = config.TrainConfig(
        **{f: getattr(args, f) for f in config.TrainConfig.__dataclass_fields__}
    )
    return asdict(config.resolve(cfg))


def _keeping_worker(rank: int, world: int, rendezvous: str, cfg: dict[str, Any], keep: str) -> None:
    """A DDP rank of ``augspec train`` whose rank 0 also copies epoch 2's mid-epoch checkpoint."""
    from augspec.trainers import ddp

    real_save = checkpoint.save

    def save(path: Any, tree: dict[str, Any]) -> None:
        real_save(path, tree)
        if "position" in tree and tree["position"]["epoch"] == 1:
            shutil.copyfile(path, keep)

    checkpoint.save = save  # type: ignore[assignment]  # this spawned process only
    ddp._train_worker(rank, world, rendezvous, cfg)


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spec") / "flip.yaml"
    path.write_text(FLIP)
    return path


def _metrics(out: Path) -> dict[str, Any]:
    return json.loads((out / "metrics.json").read_text())


def _assert_same_run(a: Path, b: Path) -> None:
    ma, mb = _metrics(a)["epochs"], _metrics(b)["epochs"]
    assert len(ma) == len(mb) == EPOCHS
    for ra, rb in zip(ma, mb, strict=True):
        assert {k: ra[k] for k in KEYS} == {k: rb[k] for k in KEYS}  # bit for bit
    wa = checkpoint.load(a / "checkpoint.npz")["state"]["model"]
    wb = checkpoint.load(b / "checkpoint.npz")["state"]["model"]
    assert list(wa) == list(wb)
    for name in wa:
        np.testing.assert_array_equal(wa[name], wb[name], err_msg=name)


@pytest.mark.parametrize("mode", ["replay", "compiled"])
def test_ddp_mid_epoch_resume_ends_as_the_uninterrupted_run(
    mode: str, spec_file: Path, tmp_path: Path
) -> None:
    from augspec.trainers.ddp import _spawn_local

    full, out, keep = tmp_path / "full", tmp_path / "run", tmp_path / "mid.npz"
    argv = _argv(spec_file, full, mode, "--checkpoint-every", str(EVERY))
    full.mkdir()
    _spawn_local(_keeping_worker, 2, _config(argv), str(keep))  # the uninterrupted run
    assert _metrics(full)["devices"] == "2 DDP processes (cpu:2)"
    shutil.copytree(full, out, ignore=shutil.ignore_patterns("checkpoint.npz", "metrics.json"))
    argv = _argv(spec_file, out, mode, "--checkpoint-every", str(EVERY))
    mid = checkpoint.load(keep)
    assert mid["epoch"] == mid["position"]["epoch"] == 1 and mid["position"]["step"] == EVERY
    assert len(mid["history"]) == 1 and mid["position"]["metric"][2] == EVERY * BATCH
    shutil.copyfile(keep, out / "checkpoint.npz")
    assert main([*argv, "--resume"]) == 0  # both ranks resume at step 3 of epoch 2
    _assert_same_run(full, out)
