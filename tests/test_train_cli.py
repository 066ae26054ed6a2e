"""``augspec train`` end to end on SYNTHETIC data (CPU): learning, outputs, checkpoints, resume.

Small and fast: the d2l ResNet-18 at width 8, 320 synthetic training images,
batch 32, Adam lr 0.01. A run of 3 epochs must equal a run of 2 epochs
resumed for 1 more (same metrics and weights), on both backends.
"""

from __future__ import annotations

import importlib.util
import json
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

if importlib.util.find_spec("torch") is None or importlib.util.find_spec("mxnet") is None:
    pytest.skip(
        "needs torch and mxnet (pip install 'augspec[torch,mxnet]')", allow_module_level=True
    )
with warnings.catch_warnings():
    # mxnet's import touches numpy names removed since (DeprecationWarning); importing it through
    # gluon_mx (not importorskip) gives torch its thread count back.
    warnings.simplefilter("ignore", DeprecationWarning)
    from augspec.backends.gluon_mx import mx  # noqa: E402, F401  (imported here for its thread fix)

from augspec.trainers import checkpoint  # noqa: E402

from augspec.cli import main  # noqa: E402

FLIP = "augspec: 1\nops:\n  - op: horizontal_flip\n    p: 0.5\n  - op: to_tensor\n"
VFLIP = "augspec: 1\nops:\n  - op: vertical_flip\n    p: 0.5\n  - op: to_tensor\n"


def _args(backend: str, spec: Path, out: Path, epochs: int, *extra: str) -> list[str]:
    return [
        "train", "--backend", backend, "--spec", str(spec), "--synthetic", "320",
        "--epochs", str(epochs), "--batch-size", "32", "--lr", "0.01", "--width", "8",
        "--out", str(out), "--no-progress", *extra,
    ]  # fmt: skip


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spec") / "flip.yaml"
    path.write_text(FLIP)
    return path


@pytest.fixture(scope="module", params=["torch", "gluon"])
def runs(
    request: pytest.FixtureRequest, spec_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict:
    """An uninterrupted 3-epoch run and a 2-epoch run resumed to 3, with their stdout."""
    backend = request.param
    root = tmp_path_factory.mktemp(backend)
    full, part = root / "full", root / "part"
    assert main(_args(backend, spec_file, full, 3)) == 0
    assert main(_args(backend, spec_file, part, 2)) == 0
    assert main(_args(backend, spec_file, part, 3, "--resume")) == 0
    return {"backend": backend, "full": full, "part": part, "spec": spec_file}


def _metrics(out: Path) -> dict:
    return json.loads((out / "metrics.json").read_text())


def test_synthetic_data_is_learned_above_chance(runs: dict) -> None:
    epochs = _metrics(runs["full"])["epochs"]
    assert len(epochs) == 3
    assert epochs[-1]["train_loss"] < epochs[0]["train_loss"]
    assert epochs[-1]["train_acc"] > 0.3  # chance: 0.1
    assert max(e["test_acc"] for e in epochs) > 0.2


def test_resumed_run_equals_uninterrupted_run(runs: dict) -> None:
    full, part = _metrics(runs["full"])["epochs"], _metrics(runs["part"])["epochs"]
    for a, b in zip(full, part, strict=True):
        for key in ("train_loss", "train_acc", "test_acc", "examples"):
            assert a[key] == b[key], (runs["backend"], a["epoch"], key)
    ckpt_full = checkpoint.load(runs["full"] / "checkpoint.npz")
    ckpt_part = checkpoint.load(runs["part"] / "checkpoint.npz")
    assert ckpt_full["epoch"] == ckpt_part["epoch"] == 3
    model_full, model_part = ckpt_full["state"]["model"], ckpt_part["state"]["model"]
    if isinstance(model_full, dict):  # torch: name -> array; gluon: [per-device arrays] in order
        model_full, model_part = list(model_full.values()), list(model_part.values())
    for a, b in zip(model_full, model_part, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_outputs_are_written_and_labelled_synthetic(runs: dict) -> None:
    out = runs["full"]
    info = _metrics(out)
    assert info["synthetic"] is True and "SYNTHETIC" in info["data"]
    assert info["spec_hash"] == checkpoint.load(out / "checkpoint.npz")["spec_hash"]
    csv_lines = (out / "metrics.csv").read_text().splitlines()
    assert csv_lines[0].startswith("epoch,train_loss,train_acc,test_acc") and len(csv_lines) == 4
    assert "SYNTHETIC" in csv_lines[1]
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(out.glob("*.tmp")) and not list(out.glob(".*.tmp"))


def test_summary_lines_and_progress_bar(
    spec_file: Path, tmp_path: Path, capfd: pytest.CaptureFixture
) -> None:
    args = _args("torch", spec_file, tmp_path, 1)
    args.remove("--no-progress")
    assert main(args) == 0
    captured = capfd.readouterr()
    assert re.search(
        r"^loss \d+\.\d{3}, train acc \d\.\d{3}, test acc \d\.\d{3}$", captured.out, re.M
    )
    assert re.search(r"^\d+\.\d examples/sec on \[device\(type='cpu'\)\]$", captured.out, re.M)
    assert "SYNTHETIC" in captured.out
    assert "epoch 1/1" in captured.err  # tqdm on stderr


def test_resume_refuses_another_spec(
    runs: dict, tmp_path: Path, capfd: pytest.CaptureFixture
) -> None:
    other = tmp_path / "vflip.yaml"
    other.write_text(VFLIP)
    assert main(_args(runs["backend"], other, runs["part"], 4, "--resume")) == 2
    err = capfd.readouterr().err
    assert "spec hash" in err and "Expected the spec the checkpoint was trained with" in err


def test_resume_refuses_other_settings_and_missing_checkpoint(
    spec_file: Path, runs: dict, tmp_path: Path, capfd: pytest.CaptureFixture
) -> None:
    args = _args(runs["backend"], spec_file, runs["part"], 4, "--resume")
    args[args.index("--batch-size") + 1] = "16"
    assert main(args) == 2
    assert "batch_size=32" in capfd.readouterr().err
    assert main(_args(runs["backend"], spec_file, tmp_path / "empty", 1, "--resume")) == 2
    assert "Expected a checkpoint to resume from" in capfd.readouterr().err


def test_corrupt_checkpoint_gives_a_clear_error(
    spec_file: Path, tmp_path: Path, capfd: pytest.CaptureFixture
) -> None:
    tmp_path.joinpath("checkpoint.npz").write_bytes(b"PK\x03\x04 truncated")
    assert main(_args("torch", spec_file, tmp_path, 2, "--resume")) == 2
    err = capfd.readouterr().err
    assert "cannot be read" in err and "checkpoint.npz" in err


def test_checkpoint_round_trip_and_atomic_write(tmp_path: Path) -> None:
    tree: dict[str, Any] = {
        "a": np.arange(5, dtype=np.float32),
        "n": 3,
        "t": (1, "x"),
        "d": {0: [np.ones(2), None]},
        "f": 0.5,
    }
    path = tmp_path / "c.npz"
    checkpoint.save(path, tree)
    back = checkpoint.load(path)
    np.testing.assert_array_equal(back["a"], tree["a"])
    assert back["n"] == 3 and back["t"] == (1, "x") and back["f"] == 0.5
    assert list(back["d"]) == [0] and back["d"][0][1] is None
    with pytest.raises(ValueError, match="Expected arrays"):
        checkpoint.save(path, {"bad": object()})
    assert checkpoint.load(path)["n"] == 3  # a failed save leaves the old file
    assert [p.name for p in tmp_path.iterdir()] == ["c.npz"]


def test_bad_arguments_are_refused(
    spec_file: Path, tmp_path: Path, capfd: pytest.CaptureFixture
) -> None:
    assert main(_args("torch", spec_file, tmp_path, 1, "--devices", "tpu")) == 2
    assert "Expected devices like" in capfd.readouterr().err
    assert main(_args("gluon", spec_file, tmp_path, 1, "--adam", "torch")) == 2
    assert "--adam mxnet" in capfd.readouterr().err


def test_torch_train_on_two_gloo_processes_runs_and_says_so(
    spec_file: Path, tmp_path: Path
) -> None:
    """``--devices cpu:2`` on the torch backend: two spawned DDP ranks (file rendezvous)."""
    args = _args("torch", spec_file, tmp_path / "ddp", 1, "--devices", "cpu:2")
    args[args.index("--synthetic") + 1] = "64"
    assert main(args) == 0
    metrics = _metrics(tmp_path / "ddp")
    assert metrics["devices"] == "2 DDP processes (cpu:2)"
    assert (tmp_path / "ddp" / "checkpoint.npz").exists()
    assert [r["examples"] for r in metrics["epochs"]] == [64]
