"""``augspec train --batched-augment``: the batched torch target as the training loader.

Its batches must equal replay mode's (the same params from the seeding contract) within the
batched target's stated tolerance, and a short run must train exactly as replay mode does
when the spec's ops are exact (flip + to_tensor).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
tdata = pytest.importorskip("augspec.trainers.torch_data")
tb = pytest.importorskip("augspec.backends.torch_batched")

from augspec.trainers.cifar import synthetic_cifar  # noqa: E402

import augspec  # noqa: E402
from augspec.cli import main  # noqa: E402
from augspec.contract import Tolerance  # noqa: E402

FLIP = "augspec: 1\nops:\n  - op: horizontal_flip\n    p: 0.5\n  - op: to_tensor\n"
COLOUR = {
    "ops": [
        {"op": "horizontal_flip"},
        {"op": "random_crop", "size": 32, "padding": 4},
        {"op": "color_jitter", "brightness": 0.4, "contrast": 0.4, "saturation": 0.4, "hue": 0.1},
        {"op": "to_tensor"},
    ]
}


def _args(spec: Path, out: Path, *extra: str) -> list[str]:
    return [
        "train", "--backend", "torch", "--spec", str(spec), "--synthetic", "64", "--epochs", "1",
        "--batch-size", "32", "--lr", "0.01", "--width", "8", "--out", str(out), "--no-progress", *extra,
    ]  # fmt: skip


def test_batched_augment_run_equals_replay_run(tmp_path: Path) -> None:
    spec = tmp_path / "flip.yaml"
    spec.write_text(FLIP)
    assert main(_args(spec, tmp_path / "replay", "--mode", "replay")) == 0
    assert main(_args(spec, tmp_path / "batched", "--batched-augment")) == 0
    replay, batched = (
        json.loads((tmp_path / d / "metrics.json").read_text()) for d in ("replay", "batched")
    )
    assert batched["config"]["batched_augment"] is True
    for key in ("train_loss", "train_acc", "test_acc", "examples"):
        assert batched["epochs"][0][key] == pytest.approx(
            replay["epochs"][0][key], rel=1e-6, abs=1e-7
        ), key


def _batches(loader: object) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(x.numpy(), y.numpy()) for x, y in loader]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "spec_data",
    [{"ops": [{"op": "horizontal_flip"}, {"op": "random_crop", "size": 28, "padding": 2}]}, COLOUR],
)
def test_batched_loader_equals_replay_loader(spec_data: dict) -> None:
    data = synthetic_cifar(96, seed=3)
    x, y = data.train_x[:96], data.train_y[:96]
    spec = augspec.validate_data(spec_data)
    exact = len(spec.ops) == 2  # geometry only: exact against torchvision's own replay
    tol = sum((tb.tolerance(op) for op in spec.ops), Tolerance(0.0, 0.0)) + Tolerance(1e-3, 1e-4)
    kw = {"seed": 5, "epoch": 2, "start_batch": 1}
    batched = _batches(tdata.make_batched_loader(x, y, spec, 40, **kw))
    replay = _batches(
        tdata.make_loader(
            x, y, spec, 40, mode="replay", backend="torchvision" if exact else "reference", **kw
        )
    )
    assert [len(b[1]) for b in batched] == [40, 16]  # batch 0 skipped, the last one short
    for (bx, by), (rx, ry) in zip(batched, replay, strict=True):
        assert np.array_equal(by, ry) and bx.dtype == np.float32 and bx.shape == rx.shape
        d = np.abs(bx.astype(np.float64) - rx) * 255
        if exact:
            assert d.max() < 1e-3
        else:  # within the sum of the ops' stated tolerances, image by image
            for img in d:
                assert tol.allows(float(img.max()), float(img.mean())), (img.max(), img.mean(), tol)


def test_batched_augment_is_refused_where_it_cannot_apply(
    tmp_path: Path, capfd: pytest.CaptureFixture
) -> None:
    spec = tmp_path / "flip.yaml"
    spec.write_text(FLIP)
    for extra in (("--workers", "2"), ("--mode", "compiled")):
        assert main(_args(spec, tmp_path / "o", "--batched-augment", *extra)) == 2
        assert (
            "Expected --batched-augment with --backend torch, --mode replay and --workers 0"
            in capfd.readouterr().err
        )
    gluon = [
        a if a != "torch" else "gluon" for a in _args(spec, tmp_path / "o", "--batched-augment")
    ]
    assert main(gluon) == 2
    assert "received --backend gluon" in capfd.readouterr().err


def test_batched_loader_augments_at_one_thread_and_leaves_the_training_step_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = synthetic_cifar(64, seed=1)
    loader = tdata.make_batched_loader(data.train_x[:64], data.train_y[:64], COLOUR, 16, seed=2)
    seen: list[int] = []
    apply = tb.BatchedPipeline.apply

    def counting(self: object, *args: object, **kwargs: object) -> object:
        seen.append(torch.get_num_threads())
        return apply(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(tb.BatchedPipeline, "apply", counting)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        for _ in loader:
            assert torch.get_num_threads() == 2  # the consumer (the training step) keeps its own
    finally:
        torch.set_num_threads(before)
    assert seen and set(seen) == {1}
