"""Nothing lost (issue 16, item 6): ``augspec train`` never replaces a run silently.

``--out`` onto another run's folder is refused without ``--resume`` or ``--overwrite``;
``--resume`` refuses any setting that changes the run (the test spec included), naming it;
a checkpoint is read only if the sizes its headers declare fit this run's model; a failed
checkpoint write (a full disk) is one line naming the file, and the old checkpoint is kept.

Fast: torch, SYNTHETIC data (20 images), ResNet-18 at width 4, batch 10, one epoch.
"""

from __future__ import annotations

import errno
import gc
import importlib.util
import io
import os
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

if importlib.util.find_spec("torch") is None:
    pytest.skip("needs torch (pip install 'augspec[torch]')", allow_module_level=True)

from augspec.trainers import checkpoint
from augspec.trainers.config import TrainConfig, checkpoint_limit, resnet18_values

from augspec.cli import main

FLIP = "augspec: 1\nops: [{op: horizontal_flip, p: 0.5}, {op: to_tensor}]\n"
OTHER_TEST = "augspec: 1\nops: [{op: center_crop, size: 30}, {op: to_tensor}]\n"


def _args(spec: Path, out: Path, epochs: int = 1, *extra: str) -> list[str]:
    return [
        "train", "--backend", "torch", "--spec", str(spec), "--synthetic", "20",
        "--epochs", str(epochs), "--batch-size", "10", "--lr", "0.01", "--width", "4",
        "--out", str(out), "--no-progress", *extra,
    ]  # fmt: skip


@pytest.fixture()
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "flip.yaml"
    path.write_text(FLIP)
    return path


def _one_error_line(capfd: pytest.CaptureFixture[str]) -> str:
    gc.collect()  # a zip left open would print its ZipFile.__del__ traceback now
    err = capfd.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("augspec train: error: "), err
    return lines[0]


def test_out_onto_an_existing_run_is_refused(
    spec: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert main(_args(spec, out)) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert "checkpoint.npz" in before and "metrics.json" in before
    capfd.readouterr()
    assert main(_args(spec, out)) == 2
    line = _one_error_line(capfd)
    assert f"received {str(out)!r}, which holds a run" in line
    assert "checkpoint.npz" in line and "--resume" in line and "--overwrite" in line
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # nothing touched
    assert main(_args(spec, out, 1, "--resume", "--overwrite")) == 2
    assert "received both" in _one_error_line(capfd)
    assert main(_args(spec, out, 1, "--overwrite")) == 0
    assert (out / "checkpoint.npz").read_bytes() != before["checkpoint.npz"]
    (tmp_path / "file").write_text("x")
    assert main(_args(spec, tmp_path / "file")) == 2
    assert "Expected --out to be a folder" in _one_error_line(capfd)


def test_out_with_metrics_only_is_a_run_and_an_empty_folder_is_not(
    spec: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "metrics.csv").write_text("epoch\n")
    assert main(_args(spec, tmp_path)) == 2
    assert "(metrics.csv)" in _one_error_line(capfd)
    assert main(_args(spec, tmp_path / "empty")) == 0


def test_resume_refuses_another_test_spec(
    spec: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other_test.yaml"
    other.write_text(OTHER_TEST)
    out = tmp_path / "run"
    assert main(_args(spec, out)) == 0
    capfd.readouterr()
    assert main(_args(spec, out, 2, "--resume", "--test-spec", str(other))) == 2
    line = _one_error_line(capfd)
    assert "Expected the test spec the checkpoint was evaluated with" in line
    assert f"received --test-spec {other}" in line
    # the same test spec in another file is the same run
    same = tmp_path / "same.yaml"
    same.write_text("augspec: 1\nops:\n  - op: to_tensor\n")
    assert main(_args(spec, out, 2, "--resume", "--test-spec", str(same))) == 0


def test_resume_refuses_batched_augment_switched_on(
    spec: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    assert main(_args(spec, tmp_path)) == 0
    capfd.readouterr()
    assert main(_args(spec, tmp_path, 2, "--resume", "--batched-augment")) == 2
    line = _one_error_line(capfd)
    assert "Expected batched_augment=False as in the checkpoint" in line
    assert "received batched_augment=True" in line


def _crafted_checkpoint(path: Path, claimed: int) -> None:
    """A valid zip whose one array's .npy header claims ``claimed`` bytes of float32."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (claimed // 4,)}
    )
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a0.npy", header.getvalue() + bytes(2 * 2**20))
        zf.writestr("__meta__.npy", header.getvalue())


def test_a_crafted_checkpoint_is_refused_before_anything_is_allocated(
    spec: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    _crafted_checkpoint(tmp_path / "checkpoint.npz", 2 * 2**30)
    tracemalloc.start()
    try:
        code = main(_args(spec, tmp_path, 2, "--resume"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code == 2
    line = _one_error_line(capfd)
    assert "whose arrays declare 2147483648 bytes" in line and "nothing was loaded" in line
    assert "checkpoint.npz" in line
    assert peak < 200 * 2**20, peak  # today's loader asks for the 2 GiB the header claims


def test_the_checkpoint_limit_follows_the_model() -> None:
    assert resnet18_values(64) == 11_184_795  # torch's state_dict of the chapter's ResNet-18
    cfg = TrainConfig(
        backend="gluon", spec="s", test_spec=None, data=None, synthetic=20, epochs=1,
        batch_size=10, lr=0.1, devices="cpu:2", resume=True, out="o", width=8,
    )  # fmt: skip
    assert checkpoint_limit(cfg) == 2 * 32 * resnet18_values(8) + 16 * 2**20


def test_a_full_disk_is_one_line_and_keeps_the_old_checkpoint(
    spec: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(_args(spec, tmp_path)) == 0
    path = tmp_path / "checkpoint.npz"
    before = path.read_bytes()
    capfd.readouterr()
    real_fdopen = os.fdopen

    class Full(io.FileIO):
        def write(self, data: object) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def fdopen(fd: int, mode: str = "r", *args: object, **kwargs: object) -> object:
        return Full(fd, "wb") if "w" in mode else real_fdopen(fd, mode, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(os, "fdopen", fdopen)
        code = main(_args(spec, tmp_path, 2, "--resume"))
    assert code == 2
    line = _one_error_line(capfd)
    assert f"Cannot write the checkpoint {path} (No space left on device)" in line
    assert path.read_bytes() == before
    assert checkpoint.load(path)["epoch"] == 1
    assert not list(tmp_path.glob(".*.tmp"))
