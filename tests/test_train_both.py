"""``augspec train --backend both``: torch and Gluon side by side, its comparison, and its resume.

Small and fast: SYNTHETIC data (64 training images), ResNet-18 at width 8, batch 16
(4 steps per epoch), 2 epochs, Adam lr 1e-4 (the trainer-parity test's rate). One run
with ``--checkpoint-every 3`` keeps its end-of-epoch-1 and its mid-epoch-2 checkpoints;
each is put back and resumed, and must end as that run did, bit for bit.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
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
    # mxnet's import touches numpy names removed since; gluon_mx gives torch its threads back
    warnings.simplefilter("ignore", DeprecationWarning)
    from augspec.backends.gluon_mx import mx  # noqa: E402, F401

from augspec.trainers import checkpoint, compare  # noqa: E402

from augspec.cli import main  # noqa: E402

from .test_trainers import LOSS_TOL  # noqa: E402

FLIP = "augspec: 1\nops:\n  - op: horizontal_flip\n    p: 0.5\n  - op: to_tensor\n"
N, BATCH, EPOCHS, EVERY = 64, 16, 2, 3
STEPS = N // BATCH  # per epoch
KEYS = ("epoch", "train_loss", "train_acc", "test_acc", "examples")
COMPARISON_FILES = ("comparison.csv", "comparison.md", "comparison.json", "steps.csv")


def _args(spec: Path, out: Path, *extra: str, backend: str = "both") -> list[str]:
    return [
        "train", "--backend", backend, "--spec", str(spec), "--synthetic", str(N),
        "--epochs", str(EPOCHS), "--batch-size", str(BATCH), "--lr", "1e-4", "--width", "8",
        "--devices", "cpu", "--out", str(out), "--no-progress", *extra,
    ]  # fmt: skip


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spec") / "flip.yaml"
    path.write_text(FLIP)
    return path


@pytest.fixture(scope="module")
def run(spec_file: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A whole run with mid-epoch checkpoints; its epoch-1 and mid-epoch-2 checkpoints kept."""
    out = tmp_path_factory.mktemp("both") / "run"
    kept: dict[str, bytes] = {}
    real_save = checkpoint.save

    def keep(path: Any, tree: dict[str, Any]) -> None:
        real_save(path, tree)
        if "position" in tree and tree["position"]["epoch"] == 1:
            kept["mid_epoch_2"] = Path(path).read_bytes()
        elif "position" not in tree and tree["epoch"] == 1:
            kept["end_epoch_1"] = Path(path).read_bytes()

    with pytest.MonkeyPatch.context() as m:
        m.setattr(checkpoint, "save", keep)
        assert main(_args(spec_file, out, "--checkpoint-every", str(EVERY))) == 0
    assert set(kept) == {"mid_epoch_2", "end_epoch_1"}
    return {"out": out, "kept": kept, "spec": spec_file}


def _metrics(out: Path) -> list[dict[str, Any]]:
    return json.loads((out / "metrics.json").read_text())["epochs"]


def test_both_writes_each_run_and_the_comparison(run: dict[str, Any]) -> None:
    out = run["out"]
    for side in ("torch", "gluon"):
        info = json.loads((out / side / "metrics.json").read_text())
        assert info["backend"] == side and info["synthetic"] is True
        assert [r["epoch"] for r in info["epochs"]] == [1, 2]
        assert (out / side / "metrics.csv").is_file()
        assert (out / side / "curves.png").read_bytes()[:4] == b"\x89PNG"
    for name in ("compare.png", "loss_diff.png"):
        assert (out / name).read_bytes()[:4] == b"\x89PNG"
    assert all((out / name).is_file() for name in COMPARISON_FILES)
    table = (out / "comparison.csv").read_text().splitlines()
    assert table[0].split(",")[:4] == ["epoch", "torch_train_loss", "gluon_train_loss",
                                       "diff_train_loss"]  # fmt: skip
    assert len(table) == 1 + EPOCHS
    assert (out / "comparison.md").read_text().count("\n") == 2 + EPOCHS
    steps = (out / "steps.csv").read_text().splitlines()
    assert steps[0] == "step,epoch,torch_loss,gluon_loss,abs_diff" and len(steps) == 1 + 2 * STEPS
    summary = json.loads((out / "comparison.json").read_text())
    assert summary["steps"] == 2 * STEPS and "rounding" in summary["why"]
    torch_rows, gluon_rows = _metrics(out / "torch"), _metrics(out / "gluon")
    for row, rt, rg in zip(summary["epochs"], torch_rows, gluon_rows, strict=True):
        assert row["torch_train_loss"] == rt["train_loss"]
        assert row["diff_test_acc"] == rg["test_acc"] - rt["test_acc"]


def test_first_steps_agree_within_the_trainer_parity_tolerance(run: dict[str, Any]) -> None:
    assert compare.PARITY_LOSS_TOL == LOSS_TOL  # the tolerance tests/test_trainers.py measures
    summary = json.loads((run["out"] / "comparison.json").read_text())
    print(f"\n--backend both, lr 1e-4, width 8: {summary['steps_within']} steps within "
          f"{LOSS_TOL}, first |loss diff| {summary['first_step_diff']:.2g}, max "
          f"{summary['max_diff']:.2g}")  # fmt: skip
    assert summary["first_step_diff"] < 1e-5  # same weights, same batch: rounding only
    assert summary["steps_within"] >= STEPS  # the whole first epoch
    rows = [line.split(",") for line in (run["out"] / "steps.csv").read_text().splitlines()[1:]]
    assert all(abs(float(t) - float(g)) <= LOSS_TOL for _, _, t, g, _ in rows[:STEPS])
    if summary["parting_step"] is not None:
        assert summary["parting_step"] == summary["steps_within"] + 1


def test_the_torch_side_is_the_torch_run(run: dict[str, Any], tmp_path: Path) -> None:
    """OUT/torch is what ``--backend torch`` makes in replay mode with MXNet's Adam."""
    out = tmp_path / "torch"
    assert main(_args(run["spec"], out, "--mode", "replay", "--adam", "mxnet",
                      backend="torch")) == 0  # fmt: skip
    for a, b in zip(_metrics(out), _metrics(run["out"] / "torch"), strict=True):
        assert {k: a[k] for k in KEYS} == {k: b[k] for k in KEYS}


def _resume_from(run: dict[str, Any], kept: str, dest: Path) -> Path:
    """A copy of the run folder with ``kept`` put back as its checkpoint, then resumed."""
    shutil.copytree(run["out"], dest)
    (dest / "checkpoint.npz").write_bytes(run["kept"][kept])
    for name in (*COMPARISON_FILES, "torch/metrics.json", "gluon/metrics.json"):
        (dest / name).unlink()  # the resume must write them again
    assert main([*_args(run["spec"], dest, "--checkpoint-every", str(EVERY)), "--resume"]) == 0
    return dest


def _assert_same_run(a: Path, b: Path) -> None:
    for side in ("torch", "gluon"):
        for ra, rb in zip(_metrics(a / side), _metrics(b / side), strict=True):
            assert {k: ra[k] for k in KEYS} == {k: rb[k] for k in KEYS}, side  # bit for bit
    assert (a / "steps.csv").read_text() == (b / "steps.csv").read_text()
    assert (a / "comparison.json").read_text() == (b / "comparison.json").read_text()
    ca, cb = checkpoint.load(a / "checkpoint.npz"), checkpoint.load(b / "checkpoint.npz")
    assert ca["epoch"] == cb["epoch"] == EPOCHS and "position" not in cb
    for wa, wb in zip(ca["state"]["torch"]["model"].values(),
                      cb["state"]["torch"]["model"].values(), strict=True):  # fmt: skip
        np.testing.assert_array_equal(wa, wb)
    for wa, wb in zip(ca["state"]["gluon"]["model"], cb["state"]["gluon"]["model"], strict=True):
        np.testing.assert_array_equal(np.asarray(wa), np.asarray(wb))


@pytest.mark.parametrize("kept", ["end_epoch_1", "mid_epoch_2"])
def test_a_resumed_both_run_ends_as_the_whole_run(
    run: dict[str, Any], kept: str, tmp_path: Path
) -> None:
    (tmp_path / "kept.npz").write_bytes(run["kept"][kept])
    ckpt = checkpoint.load(tmp_path / "kept.npz")
    if kept == "mid_epoch_2":
        assert ckpt["position"]["step"] == EVERY and len(ckpt["losses"]["torch"]) == STEPS + EVERY
    else:
        assert len(ckpt["history"]["gluon"]) == 1 and len(ckpt["losses"]["gluon"]) == STEPS
    _assert_same_run(run["out"], _resume_from(run, kept, tmp_path / "resumed"))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--mode", "compiled"), "--mode compiled"),
        (("--adam", "torch"), "--adam torch"),
    ],
)
def test_both_refuses_what_would_break_the_comparison(
    spec_file: Path, tmp_path: Path, capfd: pytest.CaptureFixture, extra: tuple, message: str
) -> None:
    assert main([*_args(spec_file, tmp_path / "x"), *extra]) == 2
    err = capfd.readouterr().err
    assert "Expected --backend both with --mode replay" in err and message in err


def test_both_refuses_several_devices(
    spec_file: Path, tmp_path: Path, capfd: pytest.CaptureFixture
) -> None:
    args = _args(spec_file, tmp_path / "x")
    args[args.index("--devices") + 1] = "cpu:2"
    assert main(args) == 2
    assert "one device" in capfd.readouterr().err


def test_both_prints_one_line_per_epoch_for_each_and_where_they_part(
    spec_file: Path, tmp_path: Path, capfd: pytest.CaptureFixture
) -> None:
    args = _args(spec_file, tmp_path / "one")
    args[args.index("--epochs") + 1] = "1"
    args[args.index("--synthetic") + 1] = "32"
    args.remove("--no-progress")
    assert main(args) == 0
    captured = capfd.readouterr()
    for side in ("torch", "gluon"):
        assert f"[{side}] epoch 1/1: loss " in captured.out
    assert "torch vs gluon: |loss diff|" in captured.out and "why: " in captured.out
    assert "epoch 1/1 torch+gluon" in captured.err  # the progress bar
    assert main(args) == 2  # the folder holds a run now: refused without --resume/--overwrite
    assert "--resume" in capfd.readouterr().err


def test_a_checkpoint_without_both_sides_is_refused_by_name(tmp_path: Path) -> None:
    from augspec.trainers.both import _restore

    ckpt = {"state": {"torch": {}}, "history": {"torch": [], "gluon": []}, "losses": {}}
    with pytest.raises(ValueError, match=r"Expected a --backend both checkpoint \(state"):
        _restore({}, ckpt, tmp_path / "checkpoint.npz")


def test_parting_counts_the_steps_within_and_names_the_first_one_beyond() -> None:
    same = compare.parting([1.0, 2.0, 3.0], [1.0, 2.001, 3.0], tol=2e-3)
    assert same["steps_within"] == 3 and same["parting_step"] is None
    parted = compare.parting([1.0, 2.0, 3.0, 4.0], [1.0, 2.01, 3.0, float("nan")], tol=2e-3)
    assert parted["steps_within"] == 1 and parted["parting_step"] == 2
    assert parted["steps_within_total"] == 2  # step 3 comes back within; NaN never is
    with pytest.raises(ValueError, match="as many torch as gluon step losses"):
        compare.parting([1.0], [], tol=2e-3)
