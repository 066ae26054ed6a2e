"""``augspec train`` with no flags is the chapter's run; what a run prints; ``augspec.train``.

The runs here are tiny (image folders of a few 8x10 images written by the test, width 4)
except one epoch on a tenth of the bundled sample.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from augspec.trainers import config, threads
from augspec.trainers.config import TrainConfig, default_out, resolve

import augspec
from augspec.cli import build_parser, main

from .test_image_folder import write_folder

HAS_FRAMEWORKS = importlib.util.find_spec("torch") is not None and (
    importlib.util.find_spec("mxnet") is not None
)
needs_frameworks = pytest.mark.skipif(not HAS_FRAMEWORKS, reason="needs torch and mxnet")


def _parsed(*argv: str) -> TrainConfig:
    args = build_parser().parse_args(["train", *argv])
    return TrainConfig(**{f: getattr(args, f) for f in TrainConfig.__dataclass_fields__})


def test_no_flags_is_the_chapters_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "visible_devices", lambda backend: "cpu")
    cfg = _parsed()
    assert cfg == TrainConfig()  # the parser's defaults are the config's
    assert (cfg.backend, cfg.width, cfg.lr, cfg.batch_size, cfg.epochs) == (
        "torch",
        64,
        0.001,
        256,
        10,
    )
    assert cfg.data is None and cfg.synthetic is None  # the bundled sample
    done = resolve(cfg)
    assert Path(str(done.spec)).name == "train_augs.yaml"
    assert augspec.load(str(done.spec)) == augspec.load(
        Path(__file__).parents[1] / "examples" / "train_augs.yaml"
    )
    assert done.test_spec is None  # the ops of the chapter's test_augs.yaml:
    test_augs = augspec.load(Path(__file__).parents[1] / "examples" / "test_augs.yaml")
    assert config.load_specs(done)[1].ops == test_augs.ops
    # the framework's own tab of the chapter: its classes and loader, its optimizer
    assert (done.mode, done.adam, done.devices) == ("compiled", "torch", "cpu")
    assert re.fullmatch(r"runs/torch-\d{8}-\d{6}(-\d+)?", str(done.out)), done.out
    assert resolve(done) == done  # idempotent
    gluon = resolve(_parsed("--backend", "gluon"))
    assert (gluon.mode, gluon.adam) == ("compiled", "mxnet")
    both = resolve(_parsed("--backend", "both"))
    assert (both.mode, both.adam) == ("replay", "mxnet")  # one stream of params, one Adam
    assert resolve(_parsed("--batched-augment")).mode == "replay"
    explicit = resolve(
        _parsed("--mode", "replay", "--adam", "mxnet", "--devices", "cpu", "--out", "o")
    )
    assert (explicit.mode, explicit.adam, explicit.devices, explicit.out) == (
        "replay",
        "mxnet",
        "cpu",
        "o",
    )


@needs_frameworks
def test_auto_devices_are_every_visible_gpu_else_the_cpu() -> None:
    import torch

    n = torch.cuda.device_count() if torch.cuda.is_available() else 0
    want = f"cuda:{','.join(map(str, range(n)))}" if n else "cpu"
    assert config.visible_devices("torch") == want


def test_help_shows_the_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for shown in (
        "--backend {torch,gluon,both} (default: torch)",
        "--epochs EPOCHS (default: 10)",
        "--batch-size BATCH_SIZE (default: 256)",
        "Adam's learning rate (default: 0.001)",
        "(default: 64, the chapter's)",
        "(default: auto = every visible GPU, else the CPU)",
        "(default: runs/<backend>-<YYYYmmdd-HHMMSS>)",
        "(default: the bundled train_augs.yaml",
        "(default: ToTensor only, the chapter's test_augs.yaml)",
        "(default: the 1,200 real CIFAR-10 photos bundled with augspec)",
        "(default: compiled; replay with --backend both or --batched-augment)",
    ):
        assert shown in text, shown


def test_the_default_out_folder_never_lands_on_another_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    now = datetime(2026, 12, 2, 15, 4, 5)
    first = default_out("gluon", now)
    assert first == "runs/gluon-20261202-150405"
    Path(first).mkdir(parents=True)
    (Path(first) / "metrics.json").write_text("{}")
    assert default_out("gluon", now) == "runs/gluon-20261202-150405-2"
    # an explicit --out onto that run is refused, naming --resume and --overwrite
    with pytest.raises(
        ValueError, match=r"holds a run \(metrics.json\)\. Pass --resume .* --overwrite"
    ):
        config.check_out(TrainConfig(out=first))
    assert main(["train", "--resume", "--synthetic", "20"]) == 2
    assert "Expected --out naming the run to continue with --resume" in capsys.readouterr().err


def _fresh_python(code: str, **env: str) -> list[str]:
    clean = {k: v for k, v in os.environ.items() if k not in threads.CLEAN}
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code],
        env={**clean, **env}, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.split("|")


@needs_frameworks
def test_threads_are_set_before_the_frameworks_start() -> None:
    code = (
        "import os; from augspec.trainers.threads import apply_threads; n = apply_threads({}); "
        "import torch; print(n, os.environ.get('OMP_WAIT_POLICY'), torch.get_num_threads(), sep='|')"
    )
    note, policy, count = _fresh_python(code.format(1), OMP_WAIT_POLICY="ACTIVE")
    assert (note, policy, int(count)) == ("1 threads, OMP_WAIT_POLICY=ACTIVE", "ACTIVE", 1)
    note, policy, count = _fresh_python(code.format(0), OMP_NUM_THREADS="1")  # the user's kept
    assert (note.split(",")[0], int(count)) == ("1 threads", 1)
    with pytest.raises(
        ValueError, match=r"Expected --threads as an int >= 0 .*received threads=-1"
    ):
        threads.apply_threads(-1)


def test_automatic_threads_spin_on_an_idle_machine_and_leave_busy_cores_out() -> None:
    assert 0 <= threads.busy_cores(samples=2, interval=0.0) < 10_000  # from /proc/loadavg
    env = threads.thread_env
    assert env(0, 4, 0) == {}  # idle: the frameworks' own defaults, the fastest there
    passive = {"OMP_WAIT_POLICY": "PASSIVE"}
    assert env(0, 4, 1) == {"OMP_NUM_THREADS": "3", **passive}
    assert env(0, 4, 9) == {"OMP_NUM_THREADS": "1", **passive}
    assert env(2, 4, 3) == {"OMP_NUM_THREADS": "2"}  # --threads N: N, whatever the load


def _train(out: Path, *extra: str) -> list[str]:
    return ["train", "--epochs", "1", "--width", "4", "--batch-size", "8", "--out", str(out),
            "--no-progress", "--devices", "cpu", *extra]  # fmt: skip


def _resize_spec(tmp_path: Path, size: int = 8) -> Path:
    path = tmp_path / f"resize{size}.yaml"
    path.write_text(
        f"augspec: 1\nops:\n  - {{op: resize, size: [{size}, {size}]}}\n  - op: to_tensor\n"
    )
    return path


@needs_frameworks
@pytest.mark.parametrize("backend", ["torch", "gluon"])
def test_an_image_folder_trains_and_the_run_reads_like_the_chapter(
    backend: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    root = write_folder(tmp_path / "photos", {"b_cat": (12, 6)})  # two sizes: needs a resize
    spec = _resize_spec(tmp_path)
    out = tmp_path / "run"
    args = _train(out, "--backend", backend, "--data", str(root), "--spec", str(spec),
                  "--test-spec", str(spec))  # fmt: skip
    assert main(args) == 0
    lines = capfd.readouterr().out.splitlines()
    assert lines[0] == f"data: image folder {root}: 7 train, 5 test images, 2 classes"
    assert sum(line.startswith("data:") for line in lines) == 1
    assert re.fullmatch(
        r"epoch 1/1: loss \d+\.\d{3}, train acc \d\.\d{3}, test acc \d\.\d{3}, \d+\.\d examples/sec",
        lines[1],
    ), lines
    assert re.fullmatch(r"loss \d+\.\d{3}, train acc \d\.\d{3}, test acc \d\.\d{3}", lines[2])
    assert re.fullmatch(r"\d+\.\d examples/sec on \[.*\]", lines[3]) and len(lines) == 4
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["mode"] == "compiled" and metrics["backend"] == backend
    from augspec.trainers.metrics import curves_title

    assert curves_title(metrics) == f"resize8.yaml on {backend}\nimage folder {root}"


def test_sizes_are_checked_before_the_first_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_folder(tmp_path / "photos", {"b_cat": (12, 6)})
    assert main(_train(tmp_path / "a", "--data", str(root))) == 2  # flip + ToTensor: two sizes
    err = capsys.readouterr().err
    assert "--spec: Expected a spec that gives every image one size" in err and "op: resize" in err
    assert not (tmp_path / "a").exists()
    args = _train(tmp_path / "b", "--data", str(root), "--spec", str(_resize_spec(tmp_path, 8)),
                  "--test-spec", str(_resize_spec(tmp_path, 6)))  # fmt: skip
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "received 8x8 from --spec and 6x6 from --test-spec" in err
    assert "change ops[0] (resize) of --test-spec to give 8x8" in err
    assert main(_train(tmp_path / "c", "--data", str(tmp_path / "nothing"))) == 2
    err = capsys.readouterr().err
    assert (
        "Expected the CIFAR-10 files in" in err and "or give --data an image-folder layout" in err
    )


@needs_frameworks
def test_bad_files_stop_before_training_or_are_skipped_and_counted(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    root = write_folder(tmp_path / "photos")
    bad = root / "train" / "b_cat" / "2.png"
    bad.write_bytes(bad.read_bytes()[:70])  # the header reads, the pixels do not
    assert main(_train(tmp_path / "a", "--data", str(root))) == 2
    err = capfd.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{bad}: Expected a readable image" in err[0], err
    assert not (tmp_path / "a" / "metrics.json").exists()
    assert main(_train(tmp_path / "b", "--data", str(root), "--skip-bad-files")) == 0
    out = capfd.readouterr().out
    assert "skipped 1 unreadable files (--skip-bad-files)" in out and ": 6 train, 5 test" in out


@needs_frameworks
def test_python_api_has_the_cli_defaults_and_takes_a_pipeline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    root = write_folder(tmp_path / "photos")
    flip = augspec.validate_data(
        {"augspec": 1, "ops": [{"op": "horizontal_flip"}, {"op": "to_tensor"}]}
    )
    metrics = augspec.train(flip, data=root, epochs=1, width=4, batch_size=8, progress=False)
    assert re.fullmatch(r"runs/torch-\d{8}-\d{6}(-\d+)?", metrics["out"])
    run = Path(metrics["out"])
    assert augspec.load(run / "train_spec.yaml") == flip  # saved so that the run can resume
    config_used = metrics["config"]
    assert (config_used["lr"], config_used["mode"], config_used["adam"]) == (
        0.001,
        "compiled",
        "torch",
    )
    assert config_used["test_spec"] is None and config_used["spec"] == str(run / "train_spec.yaml")
    assert [e["epoch"] for e in metrics["epochs"]] == [1] and "image folder" in metrics["data"]
    with pytest.raises(
        ValueError, match=r"augspec.train: Expected options of augspec train .*received epoch"
    ):
        augspec.train(epoch=1)


@needs_frameworks
def test_the_bundled_sample_is_the_default_data(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No --data: the real photos; one epoch at width 4 on the first 100 (the rest is slow)."""
    from augspec.trainers import sources

    real = sources.load_image_folder

    def first_hundred(root: Path, skip_bad: bool = False, sample: bool = False) -> object:
        data = real(root, skip_bad, sample)
        data.train_x, data.train_y = data.train_x[::10], data.train_y[::10]
        return data

    monkeypatch.setattr(sources, "load_image_folder", first_hundred)
    assert main(_train(tmp_path / "run", "--batch-size", "50")) == 0
    out = capfd.readouterr().out
    assert out.startswith("data: CIFAR-10 sample bundled with augspec (real CIFAR-10 photos")
    assert (
        "provenance in augspec/data/cifar10-sample/README.md): 100 train, 200 test images, 10 classes"
        in out
    )
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["synthetic"] is False and Path(metrics["spec"]).name == "train_augs.yaml"
