"""The CLI's error promise: one line ``augspec CMD: error: ...`` on stderr, exit 2, never a traceback.

(``augspec validate`` keeps its documented exit 1, listing every problem.) ``--traceback`` or
``AUGSPEC_TRACEBACK=1`` prints the full traceback as well, for debugging.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

if importlib.util.find_spec("torch") is None or importlib.util.find_spec("mxnet") is None:
    pytest.skip(
        "needs torch and mxnet (pip install 'augspec[torch,mxnet]')", allow_module_level=True
    )
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from augspec.backends.gluon_mx import mx  # noqa: E402, F401  (keeps torch's thread count)
import augspec  # noqa: E402
import augspec.cli_show  # noqa: E402
from augspec.cli import error_line, main  # noqa: E402

FLIP = "augspec: 1\nops: [{op: horizontal_flip, p: 1.0}, {op: to_tensor}]\n"


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    out = {
        "flip": tmp_path / "flip.yaml",
        "crop": tmp_path / "crop.yaml",
        "rrc": tmp_path / "rrc.yaml",
        "unknown_op": tmp_path / "flop.yaml",
        "gray": tmp_path / "gray.png",
        "rgba": tmp_path / "rgba.png",
        "one": tmp_path / "one.png",
        "text": tmp_path / "not_an_image.png",
    }
    out["flip"].write_text(FLIP)
    out["crop"].write_text("augspec: 1\nops: [{op: center_crop, size: 64}, {op: to_tensor}]\n")
    out["rrc"].write_text("augspec: 1\nops: [{op: random_resized_crop, size: 4}]\n")
    out["unknown_op"].write_text("augspec: 1\nops: [{op: flop}]\n")
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (12, 10), dtype=np.uint8), "L").save(out["gray"])
    Image.fromarray(rng.integers(0, 256, (12, 10, 4), dtype=np.uint8), "RGBA").save(out["rgba"])
    Image.fromarray(np.zeros((1, 1, 3), np.uint8)).save(out["one"])
    out["text"].write_text("hello")
    return out


def _fails(args: list[str], capsys: pytest.CaptureFixture[str], *words: str) -> str:
    assert main(args) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"augspec {args[0]}: error: "), err
    assert "Traceback" not in err
    for word in words:
        assert word in err, (word, err)
    return err


def _train(spec: Path, out: Path, *extra: str) -> list[str]:
    return [
        "train", "--backend", "torch", "--spec", str(spec), "--epochs", "1", "--batch-size", "4",
        "--lr", "0.01", "--width", "8", "--out", str(out), "--no-progress", *extra,
    ]  # fmt: skip


def test_show_errors(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "g.png")
    _fails(
        ["show", str(tmp_path / "missing.yaml"), "--out", out],
        capsys,
        "missing.yaml",
        "Cannot read file",
    )
    _fails(["show", str(files["unknown_op"]), "--out", out], capsys, "Unknown op", "op='flop'")
    _fails(
        ["show", str(files["flip"]), "--image", str(tmp_path / "nope.png"), "--out", out],
        capsys,
        "image: Expected a readable image file",
        "nope.png",
    )
    _fails(
        ["show", str(files["flip"]), "--image", str(files["text"]), "--out", out],
        capsys,
        "not_an_image.png",
        "cannot identify image file",
    )
    _fails(
        [
            "show",
            str(files["crop"]),
            "--image",
            str(files["one"]),
            "--backend",
            "gluon",
            "--out",
            out,
        ],
        capsys,
        "center_crop",
        "image size 1x1",
        "size=64",
    )
    _fails(
        [
            "show",
            str(files["flip"]),
            "--backend",
            "reference",
            "--out",
            str(files["text"] / "g.png"),
        ],
        capsys,
        "Error: [Errno",
        "not_an_image.png",
    )  # an OSError: its type and message


def test_gluon_random_resized_crop_on_1x1(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``show`` replays the spec's own draws on every backend, so a 1x1 image is cropped as the
    spec says; the compiled native Gluon class, which draws its own boxes, fails in one clear
    error instead (seed 0: some of the 32 draws are empty)."""
    out = tmp_path / "g.png"
    args = ["show", str(files["rrc"]), "--image", str(files["one"]), "--backend", "gluon",
            "--rows", "4", "--cols", "8", "--out", str(out)]  # fmt: skip
    assert main(args) == 0 and out.is_file()
    assert capsys.readouterr().err == ""
    augspec.backend("gluon").seed(0)
    native = augspec.compile(augspec.load(files["rrc"]), "gluon", "native")
    one = np.zeros((1, 1, 3), np.uint8)
    with pytest.raises(ValueError, match="empty crop box on a 1x1 image"):
        for _ in range(32):
            native(one)


@pytest.mark.parametrize("image", ["gray", "rgba"])
def test_image_files_are_converted_to_rgb_on_both_backends(
    image: str, files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A grayscale or RGBA *file* is read as RGB (PIL's convert), the same for every backend."""
    out = tmp_path / "g.png"
    args = ["show", str(files["flip"]), "--image", str(files[image]), "--backend", "both",
            "--rows", "1", "--cols", "1", "--out", str(out)]  # fmt: skip
    assert main(args) == 0 and out.is_file()
    assert capsys.readouterr().err == ""


def test_parity_and_schema_errors(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _fails(["parity", str(files["unknown_op"]), "--out", str(tmp_path / "p")], capsys, "Unknown op")
    _fails(["parity", str(files["crop"]), "--image", str(files["one"]), "--samples", "2", "--out",
            str(tmp_path / "p")], capsys, "image size 1x1")  # fmt: skip
    _fails(["schema", "--out", str(files["text"] / "s.json")], capsys, "NotADirectoryError")


def test_validate_lists_every_problem_with_exit_1(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "validate",
                str(files["unknown_op"]),
                str(tmp_path / "missing.yaml"),
                str(files["flip"]),
            ]
        )
        == 1
    )
    captured = capsys.readouterr()
    assert "flop.yaml: ops[0] (flop): Unknown op" in captured.err
    assert "missing.yaml: <file>: Cannot read file" in captured.err
    assert "flip.yaml: ok" in captured.out


def test_train_errors_come_before_any_training(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _fails(
        _train(files["flip"], tmp_path / "a", "--data", str(tmp_path / "nocifar")),
        capsys,
        "Expected the CIFAR-10 files in",
        "missing data_batch_1",
        "cifar-10-python.tar.gz",
    )
    _fails(
        _train(files["crop"], tmp_path / "b", "--synthetic", "20"),
        capsys,
        "--spec: ops[0] center_crop",
        "image size 32x32",
        "CIFAR-10 images are 32x32",
    )
    # DDP would run these in two spawned processes: refused before spawning.
    _fails(
        _train(files["crop"], tmp_path / "c", "--synthetic", "20", "--devices", "cpu:2"),
        capsys,
        "--spec: ops[0] center_crop",
    )
    _fails(
        _train(
            files["flip"],
            tmp_path / "d",
            "--synthetic",
            "20",
            "--test-spec",
            str(files["unknown_op"]),
        ),
        capsys,
        "flop.yaml",
        "Unknown op",
    )


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04 truncated", bytes(range(256)) * 8])
@pytest.mark.parametrize("devices", ["cpu", "cpu:2"])
def test_corrupt_checkpoint_with_resume(
    data: bytes,
    devices: str,
    files: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "checkpoint.npz").write_bytes(data)
    _fails(
        _train(files["flip"], tmp_path, "--synthetic", "20", "--resume", "--devices", devices),
        capsys,
        "Expected an augspec checkpoint",
        "checkpoint.npz",
        "corrupt or truncated",
    )


def test_a_checkpoint_not_from_training_is_refused(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from augspec.trainers import checkpoint

    checkpoint.save(tmp_path / "checkpoint.npz", {"epoch": 1})
    _fails(
        _train(files["flip"], tmp_path, "--synthetic", "20", "--resume"),
        capsys,
        "Expected a training checkpoint with",
        "without spec_hash",
        "checkpoint.npz",
    )


def test_framework_errors_are_one_line_and_traceback_shows_them(
    files: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def boom(args: object) -> int:
        raise RuntimeError(
            "MXNetError: Check failed: src_idx < dshape_len\nStack trace:\n  [bt] (0) libmxnet.so"
        )

    monkeypatch.setattr(augspec.cli_show, "run", boom)
    args = ["show", str(files["flip"]), "--out", str(tmp_path / "g.png")]
    err = _fails(args, capsys)
    assert (
        err.strip()
        == "augspec show: error: RuntimeError: MXNetError: Check failed: src_idx < dshape_len"
    )
    assert main(["--traceback", *args]) == 2
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and err.strip().splitlines()[-1].startswith(
        "augspec show: error:"
    )
    monkeypatch.setenv("AUGSPEC_TRACEBACK", "1")
    assert main(args) == 2
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_errors_from_other_processes_keep_only_the_original_error() -> None:
    worker = ValueError(
        "Caught ValueError in DataLoader worker process 0.\nOriginal Traceback (most recent call last):\n"
        '  File "worker.py", line 1, in fetch\nValueError: ops[0] center_crop: Expected size <= image size 32x32\n'
    )
    assert error_line("train", worker) == (
        "augspec train: error: ops[0] center_crop: Expected size <= image size 32x32 "
        "(Caught ValueError in DataLoader worker process 0)"
    )
    rank = RuntimeError(
        "\n\n-- Process 1 terminated with the following error:\nTraceback (most recent call last):\n"
        '  File "spawn.py", line 90\nOSError: [Errno 28] No space left on device\n'
    )
    assert error_line("train", rank) == (
        "augspec train: error: OSError: [Errno 28] No space left on device "
        "(Process 1 terminated with the following error)"
    )


def test_a_real_process_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    env = {**os.environ, "AUGSPEC_TRACEBACK": ""}
    proc = subprocess.run(
        [sys.executable, "-m", "augspec", "show", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "g.png")],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        f"augspec show: error: {tmp_path / 'missing.yaml'}: 1 problem(s) / <file>: Cannot read file: "
        "No such file or directory"
    ]
