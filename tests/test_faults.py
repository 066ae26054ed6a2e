"""Faults: a training run killed with SIGKILL, and checkpoint writes that never finish.

- ``augspec train`` (both backends, CPU, SYNTHETIC data, ResNet-18 at width 8) with
  ``--checkpoint-every 2`` runs as a subprocess; as soon as a mid-epoch checkpoint
  exists it is killed with SIGKILL, then ``--resume`` finishes it. Its metrics, history
  and final weights are bit-identical to an uninterrupted run (one without
  ``--checkpoint-every``: mid-epoch checkpoints change nothing in replay mode).
- An interrupted checkpoint write (the rename or fsync raising; the writer SIGKILLed
  between writing its temp file and the rename) leaves the previous checkpoint intact,
  byte for byte; a leftover temp file breaks neither the next save nor a resume, and the
  next save removes it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

if importlib.util.find_spec("torch") is None:
    pytest.skip("needs torch (pip install 'augspec[torch]')", allow_module_level=True)

from augspec.trainers import checkpoint  # noqa: E402

from augspec.cli import main  # noqa: E402

from .conftest import require_mxnet  # noqa: E402

SPEC = (
    "augspec: 1\nops:\n  - op: horizontal_flip\n"
    "  - {op: random_crop, size: 32, padding: 4}\n  - op: to_tensor\n"
)
N, BATCH, EPOCHS, EVERY = 640, 16, 2, 3
STEPS = N // BATCH  # batches per epoch
KEYS = ("epoch", "train_loss", "train_acc", "test_acc", "examples")
REPO = Path(__file__).resolve().parents[1]


def _args(backend: str, spec: Path, out: Path, *extra: str, epochs: int = EPOCHS) -> list[str]:
    return [
        "train", "--backend", backend, "--spec", str(spec), "--synthetic", str(N),
        "--epochs", str(epochs), "--batch-size", str(BATCH), "--lr", "0.01", "--width", "8",
        "--out", str(out), "--no-progress", "--mode", "replay", *extra,
    ]  # fmt: skip


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spec") / "flip_crop.yaml"
    path.write_text(SPEC)
    return path


@pytest.fixture(scope="module", params=["torch", "gluon"])
def uninterrupted(
    request: pytest.FixtureRequest, spec_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path]:
    """An uninterrupted run (no mid-epoch checkpoints) per backend."""
    backend = request.param
    if backend == "gluon":
        require_mxnet()
    out = tmp_path_factory.mktemp(f"{backend}-full")
    assert main(_args(backend, spec_file, out)) == 0
    return backend, out


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1"}


def _kill_after_mid_epoch_checkpoint(argv: list[str], out: Path, timeout: float = 180) -> None:
    """Start ``augspec train`` and SIGKILL it as soon as a mid-epoch checkpoint exists."""
    path = out / "checkpoint.npz"
    proc = subprocess.Popen(
        [sys.executable, "-m", "augspec", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=_env(),
        cwd=REPO,
    )
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"the run ended (rc {proc.returncode}) before it was killed")
            try:
                if "position" in checkpoint.load(path):
                    os.kill(proc.pid, signal.SIGKILL)
                    break
            except ValueError:  # not written yet
                pass
            time.sleep(0.01)
        else:
            pytest.fail(f"no mid-epoch checkpoint within {timeout} s")
    finally:
        if proc.poll() is None:  # already SIGKILLed, or the test failed: never leave it running
            os.kill(proc.pid, signal.SIGKILL)
        output = proc.communicate()[0].decode(errors="replace")
    assert proc.returncode == -signal.SIGKILL, output


def _metrics(out: Path) -> list[dict[str, Any]]:
    return json.loads((out / "metrics.json").read_text())["epochs"]


def _weights(out: Path) -> list[np.ndarray]:
    model = checkpoint.load(out / "checkpoint.npz")["state"]["model"]
    # torch: name -> array; gluon: one list of per-device arrays per parameter
    return [np.asarray(v) for v in (model.values() if isinstance(model, dict) else model)]


def _assert_same_run(a: Path, b: Path) -> None:
    ma, mb = _metrics(a), _metrics(b)
    assert len(ma) == len(mb) == EPOCHS
    for ra, rb in zip(ma, mb, strict=True):
        for key in KEYS:
            assert ra[key] == rb[key], (key, ra, rb)  # bit-identical, not approximately equal
    for wa, wb in zip(_weights(a), _weights(b), strict=True):
        np.testing.assert_array_equal(wa, wb)


def _leave_stale_temp(out: Path) -> Path:
    """What a writer killed mid-write leaves: a truncated temp file next to the checkpoint."""
    stale = out / ".checkpoint.npz.killed0.tmp"
    stale.write_bytes(b"PK\x03\x04" + b"\0" * 100)
    return stale


def test_sigkill_mid_epoch_then_resume_equals_uninterrupted_run(
    uninterrupted: tuple[str, Path], spec_file: Path, tmp_path: Path
) -> None:
    backend, full = uninterrupted
    argv = _args(backend, spec_file, tmp_path, "--checkpoint-every", str(EVERY))
    _kill_after_mid_epoch_checkpoint(argv, tmp_path)
    ckpt = checkpoint.load(tmp_path / "checkpoint.npz")
    pos = ckpt["position"]
    print(f"{backend}: SIGKILLed; last checkpoint at step {pos['step']}/{STEPS} of epoch 1")
    # killed inside the first epoch, after a mid-epoch checkpoint and before the epoch's end
    assert ckpt["epoch"] == pos["epoch"] == 0 and ckpt["history"] == []
    assert 0 < pos["step"] < STEPS and pos["step"] % EVERY == 0
    assert pos["metric"][2] == pos["step"] * BATCH  # examples seen so far
    assert not (tmp_path / "metrics.json").exists()
    stale = _leave_stale_temp(tmp_path)
    assert main([*argv, "--resume"]) == 0
    _assert_same_run(full, tmp_path)
    assert not stale.exists() and not list(tmp_path.glob(".*.tmp"))


def _run_and_resume_mid_epoch_2(
    argv: list[str], out: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Run ``argv`` into ``out`` (a copy kept in ``out/../whole``), then resume it from its
    mid-epoch checkpoint in epoch 2 (no kill needed: the checkpoint is put back)."""
    real_save = checkpoint.save
    saved: list[bytes] = []

    def keep(p: Any, tree: dict[str, Any]) -> None:
        real_save(p, tree)
        if "position" in tree and tree["position"]["epoch"] == 1:
            saved.append(Path(p).read_bytes())

    with monkeypatch.context() as m:
        m.setattr(checkpoint, "save", keep)
        assert main(argv) == 0
    whole = out.parent / "whole"
    shutil.copytree(out, whole)
    [mid] = saved  # one mid-epoch checkpoint in epoch 2
    (out / "checkpoint.npz").write_bytes(mid)
    (out / "metrics.json").unlink()
    assert main([*argv, "--resume"]) == 0
    return whole


def test_a_resume_from_a_mid_epoch_checkpoint_in_epoch_2_is_exact(
    uninterrupted: tuple[str, Path],
    spec_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backend, full = uninterrupted
    out = tmp_path / "run"
    argv = _args(backend, spec_file, out, "--checkpoint-every", str(STEPS // 2 + 1))
    whole = _run_and_resume_mid_epoch_2(argv, out, monkeypatch)
    _assert_same_run(full, whole)  # replay mode: mid-epoch checkpoints change nothing
    _assert_same_run(full, out)


@pytest.mark.parametrize("backend", ["torch", "gluon"])
def test_compiled_mode_without_workers_resumes_mid_epoch_exactly(
    backend: str, spec_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The native classes draw from the frameworks' RNGs: torch's is checkpointed; mxnet's
    cannot be read, so it is reseeded at every mid-epoch checkpoint, and the resume equals
    the run with the same ``--checkpoint-every`` (for gluon not the run without it)."""
    if backend == "gluon":
        require_mxnet()
    out = tmp_path / "run"
    argv = _args(
        backend, spec_file, out, "--mode", "compiled", "--checkpoint-every", str(STEPS // 2 + 1)
    )
    whole = _run_and_resume_mid_epoch_2(argv, out, monkeypatch)
    _assert_same_run(whole, out)


# ---------------------------------------------------------------- interrupted writes


def _tree(k: int) -> dict[str, Any]:
    return {"k": k, "w": np.full((64, 64), float(k), np.float32), "history": [{"epoch": k}]}


@pytest.mark.parametrize("fail_in", ["replace", "fsync"])
def test_a_failed_write_leaves_the_previous_checkpoint_intact(
    fail_in: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "checkpoint.npz"
    checkpoint.save(path, _tree(1))
    before = path.read_bytes()

    def crash(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(os, fail_in, crash)
        with pytest.raises(OSError, match="No space left"):
            checkpoint.save(path, _tree(2))
    assert path.read_bytes() == before
    assert checkpoint.load(path)["k"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.npz"]  # temp file removed
    checkpoint.save(path, _tree(3))
    assert checkpoint.load(path)["k"] == 3


KILLED_WRITER = """
import os, signal, sys
import numpy as np
from augspec.trainers import checkpoint
def die(*args):
    os.kill(os.getpid(), signal.SIGKILL)
setattr(os, sys.argv[2], die)
checkpoint.save(sys.argv[1], {"k": 2, "w": np.full((64, 64), 2.0, np.float32)})
"""


@pytest.mark.parametrize("die_in", ["fsync", "replace"])
def test_a_writer_killed_mid_write_leaves_the_previous_checkpoint_and_a_harmless_temp(
    die_in: str, tmp_path: Path
) -> None:
    path = tmp_path / "checkpoint.npz"
    checkpoint.save(path, _tree(1))
    before = path.read_bytes()
    proc = subprocess.run(
        [sys.executable, "-c", KILLED_WRITER, str(path), die_in],
        capture_output=True,
        env=_env(),
        cwd=REPO,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    assert path.read_bytes() == before and checkpoint.load(path)["k"] == 1
    [temp] = list(tmp_path.glob(".checkpoint.npz.*.tmp"))  # SIGKILL ran no cleanup
    assert temp.stat().st_size > 0
    checkpoint.save(path, _tree(3))  # the next save works and removes the leftover
    assert checkpoint.load(path)["k"] == 3
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.npz"]


@pytest.mark.parametrize("uninterrupted", ["torch"], indirect=True)  # the writer is framework-free
def test_training_killed_while_writing_a_checkpoint_resumes_from_the_previous_one(
    uninterrupted: tuple[str, Path], spec_file: Path, tmp_path: Path
) -> None:
    """Epoch 1's checkpoint exists; the writer of epoch 2's is killed before its rename."""
    backend, full = uninterrupted
    argv = _args(backend, spec_file, tmp_path)
    assert main(_args(backend, spec_file, tmp_path, epochs=1)) == 0
    path = tmp_path / "checkpoint.npz"
    before = path.read_bytes()
    code = (
        "import os, signal, sys\n"
        "from augspec.trainers import checkpoint\n"
        "real = checkpoint.save\n"
        "def save(p, tree):\n"
        "    os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)\n"
        "    real(p, tree)\n"
        "checkpoint.save = save\n"
        "from augspec.cli import main\n"
        "main(sys.argv[1:])\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, *argv, "--resume"], capture_output=True, env=_env(), cwd=REPO
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    assert path.read_bytes() == before  # epoch 1's checkpoint, byte for byte
    assert checkpoint.load(path)["epoch"] == 1
    assert len(_metrics(tmp_path)) == 1  # killed before epoch 2's metrics were written
    assert list(tmp_path.glob(".checkpoint.npz.*.tmp"))  # the killed writer's temp file
    assert main([*argv, "--resume"]) == 0
    _assert_same_run(full, tmp_path)
    assert not list(tmp_path.glob(".*.tmp"))
