"""Batch ops (MixUp, CutMix, batch_choice): spec, sampler, reference vs torchvision v2, the
torch kernels, the Gluon port, and both trainers on mixed batches."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import numpy as np
import pytest
import torch
import yaml
from augspec.backends.batch_mix import compile_v2, mix, replay_v2
from pydantic import ValidationError
from torchvision.transforms import v2

import augspec
from augspec.batch_ops import (
    BatchChoice,
    CutMix,
    MixUp,
    cutmix_box,
    mix_reference,
    sample_batch,
)
from augspec.io import dumps, validate_data

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # mxnet's import touches old numpy names
    from augspec.backends.batch_mix_gluon import mix as gluon_mix
    from augspec.backends.gluon_mx import mx

from .test_trainers import LOSS_TOL

FLIP = {"augspec": 1, "ops": ["horizontal_flip", "to_tensor"]}
MIX_SPEC = FLIP | {
    "batch_ops": [{"op": "RandomChoice", "transforms": [{"op": "MixUp", "alpha": 0.4}, "CutMix"]}]
}
CLASSES = 10


def _spec(batch_ops: Any) -> augspec.Pipeline:
    return validate_data(FLIP | {"batch_ops": batch_ops})


# ---- spec ------------------------------------------------------------------------------


def test_v2_class_names_and_argument_names_load_as_the_canonical_ops() -> None:
    spec = validate_data(MIX_SPEC | {"batch_ops": MIX_SPEC["batch_ops"] + [{"op": "mixup"}]})
    choice, mixup = spec.batch_ops or []
    assert isinstance(choice, BatchChoice) and isinstance(mixup, MixUp)
    assert choice.ops == [MixUp(alpha=0.4), CutMix()]
    text = dumps(spec)
    assert "op: batch_choice" in text and "transforms" not in text and "MixUp" not in text
    assert validate_data(yaml.safe_load(text)) == spec
    assert validate_data(json.loads(dumps(spec, "json"))) == spec


def test_a_spec_without_batch_ops_dumps_and_hashes_as_before() -> None:
    plain, empty = validate_data(FLIP), validate_data(FLIP | {"batch_ops": []})
    assert plain == empty and plain.batch_ops is None
    assert "batch_ops" not in dumps(plain)
    body = plain.model_dump(mode="json")
    body.pop("batch_ops")
    import hashlib

    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    assert plain.spec_hash() == hashlib.sha256(text.encode()).hexdigest()[:16]
    assert validate_data(MIX_SPEC).spec_hash() != plain.spec_hash()


@pytest.mark.parametrize(
    ("batch_ops", "words"),
    [
        ([{"op": "mixup", "alpha": 0}], "alpha"),
        ([{"op": "MixUp", "alpha": float("nan")}], "alpha"),
        ([{"op": "CutMix", "labels_getter": "my_getter"}], "labels_getter"),
        ([{"op": "batch_choice", "ops": ["mixup", "cutmix"], "p": [1.0]}], "p"),
        ([{"op": "batch_choice", "ops": [{"op": "batch_choice", "ops": ["mixup"]}]}], "ops"),
        ([{"op": "RandomChoice", "ops": ["mixup"], "transforms": ["cutmix"]}], "transforms"),
        ([{"op": "mixup", "num_classes": 1}], "num_classes"),
        ({"op": "mixup"}, "batch_ops"),
        ([{"op": "horizontal_flip"}], "horizontal_flip"),
    ],
)
def test_bad_batch_ops_are_refused_naming_the_field(batch_ops: Any, words: str) -> None:
    with pytest.raises((ValueError, ValidationError)) as err:
        _spec(batch_ops)
    assert words in str(err.value)


def test_the_schema_accepts_the_class_names() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    named = [{"op": "RandomChoice", "transforms": [{"op": "MixUp"}, {"op": "CutMix"}]}]
    jsonschema.validate(FLIP | {"batch_ops": named}, augspec.Pipeline.model_json_schema())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(FLIP | {"batch_ops": [{"op": "mixup", "alpha": "x"}]},
                            augspec.Pipeline.model_json_schema())  # fmt: skip


def test_test_spec_with_batch_ops_is_refused(tmp_path: Path) -> None:
    from augspec.trainers.config import TrainConfig, load_specs

    path = tmp_path / "mix.json"
    path.write_text(json.dumps(MIX_SPEC))
    with pytest.raises(ValueError, match="Expected no batch_ops"):
        load_specs(TrainConfig(test_spec=str(path)))


# ---- sampler ---------------------------------------------------------------------------


def test_params_are_keyed_by_seed_epoch_batch_and_json_able() -> None:
    ops = _spec([{"op": "mixup"}, {"op": "cutmix"}]).batch_ops or []
    a = sample_batch(ops, 3, 1, 7, (32, 24))
    assert a == sample_batch(ops, 3, 1, 7, (32, 24))
    assert json.loads(json.dumps(a)) == a
    assert a != sample_batch(ops, 3, 1, 8, (32, 24)) != sample_batch(ops, 3, 2, 7, (32, 24))
    x1, y1, x2, y2 = a[1]["box"]
    assert 0 <= x1 <= x2 <= 24 and 0 <= y1 <= y2 <= 32
    assert a[1]["lam"] == 1 - (x2 - x1) * (y2 - y1) / (32 * 24)
    with pytest.raises(ValueError, match="batch_index"):
        sample_batch(ops, 0, 0, -1, (8, 8))


def test_batch_choice_draws_every_op_and_follows_p() -> None:
    ops = _spec([{"op": "batch_choice", "ops": ["mixup", "cutmix"], "p": [0.0, 1.0]}, "mixup"])
    draws = [sample_batch(ops.batch_ops or [], 0, 0, i, (8, 8)) for i in range(50)]
    assert {d[0]["index"] for d in draws} == {1}
    free = _spec([{"op": "batch_choice", "ops": ["mixup", "cutmix"]}, "mixup"]).batch_ops or []
    picked = [sample_batch(free, 0, 0, i, (8, 8)) for i in range(50)]
    assert {d[0]["index"] for d in picked} == {0, 1}
    # the op after a batch_choice draws the same whichever op was chosen (a fixed stream)
    assert [d[1] for d in draws] == [d[1] for d in picked]


def _ks(a: np.ndarray, b: np.ndarray) -> float:
    grid = np.sort(np.concatenate([a, b]))
    cdf = lambda s: np.searchsorted(np.sort(s), grid, side="right") / len(s)  # noqa: E731
    return float(np.abs(cdf(a) - cdf(b)).max())


N_DRAWS = 400
KS_CRIT = 1.95 * np.sqrt(2 / N_DRAWS)  # two-sample KS at the 0.1% level


@pytest.mark.parametrize("alpha", [0.2, 1.0])
def test_lam_follows_torchs_beta(alpha: float) -> None:
    ops = _spec([{"op": "mixup", "alpha": alpha}]).batch_ops or []
    ours = np.array([sample_batch(ops, 0, 0, i, (8, 8))[0]["lam"] for i in range(N_DRAWS)])
    torch.manual_seed(0)
    native = v2.MixUp(alpha=alpha, num_classes=CLASSES)
    theirs = np.array([native.make_params([])["lam"] for _ in range(N_DRAWS)])
    assert _ks(ours, theirs) < KS_CRIT
    assert _ks(ours, np.random.default_rng(1).uniform(size=N_DRAWS)) > KS_CRIT or alpha == 1.0


def test_cutmix_lam_follows_v2s_box_distribution() -> None:
    ops = _spec([{"op": "cutmix"}]).batch_ops or []
    ours = np.array([sample_batch(ops, 0, 0, i, (20, 30))[0]["lam"] for i in range(N_DRAWS)])
    torch.manual_seed(0)
    native, probe = v2.CutMix(num_classes=CLASSES), torch.zeros(1, 3, 20, 30)
    theirs = np.array([native.make_params([probe])["lam_adjusted"] for _ in range(N_DRAWS)])
    assert _ks(ours, theirs) < KS_CRIT


def test_cutmix_box_is_v2s() -> None:
    assert cutmix_box(0.75, 0, 0, (10, 20)) == ([0, 0, 5, 2], 0.95)
    assert cutmix_box(0.0, 10, 5, (10, 20)) == ([0, 0, 20, 10], 0.0)


# ---- reference vs v2 classes vs the torch kernels vs the Gluon port ---------------------

CASES = {
    "mixup": [{"op": "mixup", "alpha": 0.4}],
    "cutmix": [{"op": "cutmix"}],
    "choice_then_mixup": [{"op": "batch_choice", "ops": ["mixup", "cutmix"]}, "mixup"],
    "cutmix_twice": ["cutmix", "cutmix"],
}


def _batch(dtype: Any = np.float32, n: int = 5) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(n, 3, 7, 9))
    return (x.astype(dtype) / (1 if dtype == np.uint8 else 255)).astype(dtype), np.arange(n) % 3


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("batch_index", [0, 1, 2])
def test_reference_equals_v2_classes_and_torch_kernel(case: str, batch_index: int) -> None:
    ops = _spec(CASES[case]).batch_ops or []
    x, y = _batch()
    params = sample_batch(ops, 0, 0, batch_index, (7, 9))
    rx, ry = mix_reference(ops, params, x, y, CLASSES, channels_first=True)
    vx, vy = replay_v2(ops, params, torch.from_numpy(x), torch.from_numpy(y), CLASSES)
    kx, ky = mix(ops, params, torch.from_numpy(x), torch.from_numpy(y), CLASSES)
    assert ry.shape == (5, CLASSES) and ry.dtype == np.float32
    np.testing.assert_array_equal(vy.numpy(), ry)  # labels: exact
    np.testing.assert_array_equal(ky.numpy(), ry)
    np.testing.assert_allclose(vx.numpy(), rx, rtol=0, atol=1e-6)  # images: float rounding
    np.testing.assert_array_equal(kx.numpy(), vx.numpy())  # the kernel is v2's maths
    np.testing.assert_allclose(ry.sum(axis=1), 1.0, rtol=0, atol=1e-6)


@pytest.mark.parametrize("case", CASES)
def test_gluon_port_equals_the_reference(case: str) -> None:
    ops = _spec(CASES[case]).batch_ops or []
    x, y = _batch()
    params = sample_batch(ops, 0, 0, 1, (7, 9))
    rx, ry = mix_reference(ops, params, x, y, CLASSES, channels_first=True)
    gx, gy = gluon_mix(ops, params, mx.nd.array(x), mx.nd.array(y, dtype="int32"), CLASSES)
    np.testing.assert_allclose(gx.asnumpy(), rx, rtol=0, atol=1e-6)
    np.testing.assert_allclose(gy.asnumpy(), ry, rtol=0, atol=1e-7)


def test_uint8_batches_round_the_float_mix() -> None:
    ops = _spec(CASES["choice_then_mixup"]).batch_ops or []
    x, y = _batch(np.uint8)
    params = sample_batch(ops, 0, 0, 0, (7, 9))
    rx, ry = mix_reference(ops, params, x.transpose(0, 2, 3, 1), y, CLASSES)  # NHWC
    kx, ky = mix(ops, params, torch.from_numpy(x), torch.from_numpy(y), CLASSES)
    assert rx.dtype == np.uint8 and kx.dtype == torch.uint8
    np.testing.assert_array_equal(kx.numpy().transpose(0, 2, 3, 1), rx)
    np.testing.assert_array_equal(ky.numpy(), ry)


def test_native_v2_compile_mixes_a_batch() -> None:
    spec = validate_data(MIX_SPEC)
    f = compile_v2(spec.batch_ops or [], CLASSES)
    assert isinstance(f.transforms[0], v2.RandomChoice)
    x, y = _batch()
    out, labels = f(torch.from_numpy(x), torch.from_numpy(y))
    assert out.shape == x.shape and labels.shape == (5, CLASSES)
    np.testing.assert_allclose(labels.sum(dim=1).numpy(), 1.0, atol=1e-6)


def test_labels_out_of_range_and_class_count_mismatch_are_refused() -> None:
    ops = _spec([{"op": "mixup", "num_classes": 4}]).batch_ops or []
    x, y = _batch()
    params = sample_batch(ops, 0, 0, 0, (7, 9))
    with pytest.raises(ValueError, match="num_classes=4"):
        mix_reference(ops, params, x, y, CLASSES)
    plain = _spec(["mixup"]).batch_ops or []
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    with pytest.raises(ValueError, match="class indices in 0..1"):
        mix(plain, params, tx, ty, 2)
    with pytest.raises(ValueError, match="params of cutmix"):
        mix(_spec(["cutmix"]).batch_ops or [], params, tx, ty, CLASSES)


# ---- loaders and trainers -----------------------------------------------------------------


def test_loaders_mix_the_same_batches_in_torch_and_gluon() -> None:
    from augspec.trainers import gluon_data, torch_data

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(24, 8, 8, 3), dtype=np.uint8)
    labels = rng.integers(0, CLASSES, size=24)
    spec = validate_data(MIX_SPEC)
    kw = {"seed": 0, "epoch": 1, "start_batch": 1}
    t = torch_data.mix_batches(
        torch_data.make_loader(images, labels, spec, 8, **kw), spec, 0, 1, 1, CLASSES
    )
    g = gluon_data.mix_batches(
        gluon_data.make_loader(images, labels, spec, 8, backend="reference", **kw),
        spec, 0, 1, 1, CLASSES,
    )  # fmt: skip
    b = torch_data.mix_batches(
        torch_data.make_batched_loader(images, labels, spec, 8, **kw), spec, 0, 1, 1, CLASSES
    )
    got = list(zip(t, g, b, strict=True))
    assert len(got) == 2
    for (tx, ty), (gx, gy), (bx, by) in got:
        assert ty.shape == (8, CLASSES)
        np.testing.assert_array_equal(gy.asnumpy(), ty.numpy())
        np.testing.assert_array_equal(by.numpy(), ty.numpy())
        np.testing.assert_allclose(gx.asnumpy(), tx.numpy(), rtol=0, atol=1e-6)
        np.testing.assert_allclose(bx.numpy(), tx.numpy(), rtol=0, atol=1e-6)
    assert torch_data.mix_batches([1], validate_data(FLIP), 0, 0) == [1]  # no batch ops


def test_a_resumed_epoch_mixes_its_batches_as_the_whole_epoch() -> None:
    from augspec.trainers import torch_data

    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(24, 8, 8, 3), dtype=np.uint8)
    labels = rng.integers(0, CLASSES, size=24)
    spec = validate_data(MIX_SPEC)

    def epoch(start: int) -> list[Any]:
        loader = torch_data.make_loader(images, labels, spec, 8, seed=2, epoch=3, start_batch=start)
        return list(torch_data.mix_batches(loader, spec, 2, 3, start, CLASSES))

    whole, resumed = epoch(0), epoch(2)
    assert len(whole) == 3 and len(resumed) == 1
    assert torch.equal(whole[2][0], resumed[0][0]) and torch.equal(whole[2][1], resumed[0][1])
    assert not torch.equal(whole[1][1], whole[2][1])


def _train(tmp_path: Path, backend: str, spec: Path) -> Path:
    from augspec.cli import main

    out = tmp_path / backend
    args = [
        "train", "--backend", backend, "--spec", str(spec), "--synthetic", "64", "--epochs",
        "1", "--batch-size", "16", "--lr", "1e-4", "--width", "8", "--devices", "cpu",
        "--mode", "replay", "--adam", "mxnet", "--out", str(out), "--no-progress",
    ]  # fmt: skip
    assert main(args) == 0
    return out


def _first_epoch(out: Path) -> dict[str, Any]:
    return json.loads((out / "metrics.json").read_text())["epochs"][0]


def test_both_trainers_train_on_mixed_batches_with_the_same_first_losses(
    tmp_path: Path,
) -> None:
    spec = tmp_path / "mix.json"
    spec.write_text(json.dumps(MIX_SPEC))
    both = _train(tmp_path, "both", spec)
    rows = [line.split(",") for line in (both / "steps.csv").read_text().splitlines()[1:]]
    assert len(rows) == 4
    assert all(abs(float(t) - float(g)) <= LOSS_TOL for _, _, t, g, _ in rows)
    side = _first_epoch(both / "torch")
    # the torch side is the torch run (same mixed batches, same steps), bit for bit
    alone = {name: _first_epoch(_train(tmp_path, name, spec)) for name in ("torch", "gluon")}
    assert alone["torch"] == {**side, "seconds": ANY, "examples_per_sec": ANY}
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps(FLIP))
    for backend, mixed in alone.items():  # batch ops change what each trainer alone trains on
        unmixed = _first_epoch(_train(tmp_path / "plain", backend, plain))
        assert np.isfinite(mixed["train_loss"]) and mixed["train_loss"] != unmixed["train_loss"]
        assert mixed["test_acc"] >= 0 and mixed["examples"] == unmixed["examples"] == 64


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_the_kernel_mixes_on_the_gpu_as_on_the_cpu() -> None:
    ops = _spec(CASES["choice_then_mixup"]).batch_ops or []
    x, y = _batch()
    params = sample_batch(ops, 0, 0, 0, (7, 9))
    cx, cy = mix(ops, params, torch.from_numpy(x), torch.from_numpy(y), CLASSES)
    gx, gy = mix(ops, params, torch.from_numpy(x).cuda(), torch.from_numpy(y).cuda(), CLASSES)
    np.testing.assert_allclose(gx.cpu().numpy(), cx.numpy(), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(gy.cpu().numpy(), cy.numpy())
