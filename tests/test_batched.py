"""The batched torch target: vectorised sampling equals augspec.sample; outputs agree with
augspec.reference.replay image by image within the stated per-op tolerances."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import augspec
from augspec.contract import Tolerance
from augspec.ops import OP_NAMES
from augspec.reference import replay
from tests.op_cases import OP_CASES, pipeline_for

torch = pytest.importorskip("torch")
tb = pytest.importorskip("augspec.backends.torch_batched")
bs = pytest.importorskip("augspec.backends.batch_sampling")
br = pytest.importorskip("augspec.backends.batch_resample")

SAMPLING_SPECS: dict[str, dict[str, Any]] = {
    "chapter_combined": {
        "ops": [
            {"op": "RandomFlipLeftRight"},
            {
                "op": "ColorJitter",
                "brightness": 0.5,
                "contrast": 0.5,
                "saturation": 0.5,
                "hue": 0.5,
            },
            {"op": "RandomResizedCrop", "size": [20, 20], "scale": [0.1, 1], "ratio": [0.5, 2]},
        ]
    },
    "crops_and_factors": {
        "ops": [
            {"op": "random_crop", "size": 30, "padding": 4},
            {"op": "vertical_flip", "p": 0.3},
            {"op": "hue", "factor": [-0.1, 0.4]},
            {"op": "random_resized_crop", "size": [9, 11], "scale": [0.02, 1.0], "ratio": [0.2, 5]},
            {
                "op": "RandomApply",
                "p": 0.4,
                "ops": [
                    {
                        "op": "compose",
                        "ops": [
                            {"op": "brightness", "factor": 0.3},
                            {"op": "saturation", "factor": 0.2},
                        ],
                    }
                ],
            },
            {"op": "ColorJitter", "contrast": 0.4, "hue": 0.1},
        ]
    },
    # scale/ratio that never fit a 7x300 image: every sample takes the fallback box
    "rrc_fallback": {
        "ops": [{"op": "random_resized_crop", "size": 5, "scale": [0.9, 1.0], "ratio": [1, 1]}]
    },
}


def _images(n: int, hw: tuple[int, int], photo: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(1)
    tops = rng.integers(0, photo.shape[0] - hw[0] + 1, n)
    lefts = rng.integers(0, photo.shape[1] - hw[1] + 1, n)
    return np.stack([photo[t : t + hw[0], s : s + hw[1]] for t, s in zip(tops, lefts, strict=True)])


SAMPLING_CASES = [
    (name, hw)
    for name in sorted(SAMPLING_SPECS)
    for hw in ((32, 32), (7, 300), (400, 500))
    if not (name == "crops_and_factors" and hw == (7, 300))  # a 30x30 crop cannot fit 7 rows
]


@pytest.mark.parametrize(("name", "hw"), SAMPLING_CASES)
def test_vectorised_sampling_equals_augspec_sample(name: str, hw: tuple[int, int]) -> None:
    spec = augspec.validate_data(SAMPLING_SPECS[name])
    indices = np.arange(0, 1500, 3)
    for seed, epoch in ((0, 0), (12345, 7)):
        arrays = bs.sample_batch(spec, seed, epoch, indices, hw)
        got = bs.unstack_params(spec, arrays, seed, epoch, indices, hw)
        expected = [augspec.sample(spec, seed, epoch, int(i), hw) for i in indices]
        assert got == expected


def test_small_batches_sampled_one_by_one_give_the_same_params() -> None:
    spec = augspec.load("examples/combined_augs.yaml")
    idx = np.arange(5, 13)
    one_by_one = bs.sample_batch(spec, 4, 1, idx, (400, 500), vector_min=tb.VECTOR_SAMPLING_MIN)
    vectorised = bs.sample_batch(spec, 4, 1, idx, (400, 500))
    assert bs.unstack_params(spec, one_by_one, 4, 1, idx, (400, 500)) == bs.unstack_params(
        spec, vectorised, 4, 1, idx, (400, 500)
    )


def test_sampling_fallback_box_is_exercised() -> None:
    spec = augspec.validate_data(SAMPLING_SPECS["rrc_fallback"])
    arrays = bs.sample_batch(spec, 3, 0, np.arange(50), (7, 300))
    assert set(arrays[0]["height"].tolist()) == {7} and set(arrays[0]["width"].tolist()) == {7}


def test_sampling_falls_back_for_lighting_and_huge_indices() -> None:
    spec = augspec.validate_data({"ops": [{"op": "lighting"}, {"op": "horizontal_flip"}]})
    assert not bs.vectorisable(spec)
    idx = [0, 5, 2**40]
    got = bs.unstack_params(spec, bs.sample_batch(spec, 1, 2, idx, (8, 8)), 1, 2, idx, (8, 8))
    assert got == [augspec.sample(spec, 1, 2, i, (8, 8)) for i in idx]
    flip = augspec.validate_data({"ops": [{"op": "horizontal_flip"}]})
    got = bs.unstack_params(
        flip, bs.sample_batch(flip, 2**33, 0, idx, (8, 8)), 2**33, 0, idx, (8, 8)
    )
    assert got == [augspec.sample(flip, 2**33, 0, i, (8, 8)) for i in idx]


def _compared(x: np.ndarray, spec: Any, hwc: bool) -> np.ndarray:
    """0-255 units: images as is, tensors x 255 with normalize undone (its 1/std would scale diffs)."""
    if x.dtype == np.uint8:  # an image: the reference's HWC, or the batch's CHW
        x = x.astype(np.float64)
        return x.transpose(2, 0, 1) if hwc else x
    x = x.astype(np.float64)
    last = spec.ops[-1]
    if last.op == "normalize":
        mean = np.asarray(last.mean * (3 if len(last.mean) == 1 else 1))[:, None, None]
        std = np.asarray(last.std * (3 if len(last.std) == 1 else 1))[:, None, None]
        x = x * std + mean
    return x * 255.0


def test_every_op_has_a_record_and_a_case() -> None:
    for name in OP_NAMES:
        assert name in OP_CASES
        assert tb.RECORDS[name].op == name
        assert isinstance(tb.tolerance(name), Tolerance)


@pytest.mark.parametrize("precision", ["float32", "float64"])
@pytest.mark.parametrize("op_name", OP_NAMES)
def test_each_op_agrees_with_reference_replay(
    op_name: str, precision: str, photo: np.ndarray
) -> None:
    _check_op_against_reference(op_name, precision, photo)


@pytest.mark.parametrize("precision", ["float32", "float64"])
@pytest.mark.parametrize("op_name", ["color_jitter", "random_resized_crop", "resize"])
def test_large_image_paths_agree_with_reference_replay(
    op_name: str, precision: str, photo: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The CPU paths taken above a size (colour jitter sample by sample in place; resampling by
    # F.interpolate, antialiased where a box shrinks), forced on for the small test images.
    monkeypatch.setattr(tb, "PER_SAMPLE_PIXELS", 0)
    monkeypatch.setattr(br, "INTERPOLATE_MIN_PIXELS", 0)
    _check_op_against_reference(op_name, precision, photo)


def _check_op_against_reference(op_name: str, precision: str, photo: np.ndarray) -> None:
    for case in OP_CASES[op_name]:
        spec = augspec.validate_data(pipeline_for(case))
        tol = sum((tb.tolerance(op) for op in spec.ops), Tolerance(0.0, 0.0))
        for hw, n in (((32, 32), 24), ((37, 45), 8), ((120, 100), 4)):
            try:
                augspec.pipeline.trace_hw(spec, hw)
            except ValueError:
                continue
            images = _images(n, hw, photo)
            batch = torch.from_numpy(images).permute(0, 3, 1, 2)
            before = batch.clone()
            out = tb.compile_batched(spec, precision=precision)(
                batch, 11, 2, np.arange(100, 100 + n)
            )
            assert torch.equal(batch, before), "the caller's batch must not be modified"
            for k in range(n):
                params = augspec.sample(spec, 11, 2, 100 + k, hw)
                ref = _compared(replay(spec, params, images[k]), spec, hwc=True)
                got = _compared(out[k].cpu().numpy(), spec, hwc=False)
                assert got.shape == ref.shape
                d = np.abs(got - ref)
                assert tol.allows(float(d.max()), float(d.mean())), (
                    case,
                    hw,
                    k,
                    d.max(),
                    d.mean(),
                    tol,
                )


def test_chapter_pipelines_agree_within_compounded_tolerance(photo: np.ndarray) -> None:
    # Ops round after each step, so one float32 rounding flip can grow through later colour
    # ops: a pipeline is held to the sum of its ops' tolerances, image by image.
    for name in (
        "combined_augs",
        "imagenet_lighting",
        "random_apply_gray_world",
        "eval_resize_crop",
    ):
        spec = augspec.load(f"examples/{name}.yaml")
        tol = sum((tb.tolerance(op) for op in spec.ops), Tolerance(0.0, 0.0))
        images = _images(8, (64, 72), photo)
        out = tb.compile_batched(spec)(
            torch.from_numpy(images).permute(0, 3, 1, 2), 5, 1, np.arange(8)
        )
        for k in range(8):
            ref = replay(spec, augspec.sample(spec, 5, 1, k, (64, 72)), images[k])
            d = np.abs(_compared(out[k].numpy(), spec, hwc=False) - _compared(ref, spec, hwc=True))
            assert tol.allows(float(d.max()), float(d.mean())), (name, k, d.max(), d.mean(), tol)


def test_params_list_path_equals_seed_path(photo: np.ndarray) -> None:
    spec = augspec.validate_data(SAMPLING_SPECS["crops_and_factors"])
    images = _images(6, (40, 40), photo)
    batch = torch.from_numpy(images).permute(0, 3, 1, 2)
    bp = tb.compile_batched(spec)
    plist = [augspec.sample(spec, 9, 3, i, (40, 40)) for i in (4, 8, 15, 16, 23, 42)]
    assert torch.equal(bp(batch, plist), bp(batch, 9, 3, [4, 8, 15, 16, 23, 42]))


def test_numpy_batch_and_uint8_output_without_to_tensor(photo: np.ndarray) -> None:
    spec = augspec.validate_data({"ops": [{"op": "horizontal_flip", "p": 1.0}]})
    images = _images(3, (10, 12), photo)
    out = tb.compile_batched(spec)(images.transpose(0, 3, 1, 2), 0)
    assert out.dtype == torch.uint8
    assert np.array_equal(out.numpy(), images[:, :, ::-1].transpose(0, 3, 1, 2))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda bp: bp(torch.zeros(2, 3, 8, 8), 0), "Expected dtype uint8"),
        (
            lambda bp: bp(torch.zeros(2, 8, 8, 3, dtype=torch.uint8), 0),
            "Expected uint8 images of shape (N, 3, H, W)",
        ),
        (lambda bp: bp(torch.zeros(8, 8, 3, dtype=torch.uint8), 0), "received shape (8, 8, 3)"),
        (lambda bp: bp([1, 2], 0), "Expected a torch tensor or numpy array"),
        (
            lambda bp: bp(torch.zeros(2, 3, 8, 8, dtype=torch.uint8), 0, 0, [1]),
            "one index per image",
        ),
        (
            lambda bp: bp(torch.zeros(2, 3, 8, 8, dtype=torch.uint8), 0, 0, [1, -2]),
            "Expected indices",
        ),
        (lambda bp: bp(torch.zeros(2, 3, 8, 8, dtype=torch.uint8), -1), "Expected seed"),
        (
            lambda bp: bp(
                torch.zeros(1, 3, 8, 8, dtype=torch.uint8),
                [augspec.sample(bp.spec, 0, image_size=(9, 9))],
            ),
            "image_size",
        ),
        (
            lambda bp: bp(
                torch.zeros(2, 3, 8, 8, dtype=torch.uint8),
                [augspec.sample(bp.spec, 0, image_size=(8, 8))],
            ),
            "one params dict per image",
        ),
        (
            lambda bp: bp(torch.zeros(1, 3, 4, 4, dtype=torch.uint8), 0),
            "random_crop: Expected size <= padded image size",
        ),
    ],
)
def test_errors_name_what_was_expected(call: Any, message: str) -> None:
    spec = augspec.validate_data(
        {"ops": [{"op": "horizontal_flip"}, {"op": "random_crop", "size": 6}]}
    )
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call(tb.compile_batched(spec))


def test_compile_errors() -> None:
    spec = augspec.validate_data({"ops": [{"op": "horizontal_flip"}]})
    with pytest.raises(ValueError, match="precision: Expected 'float32' or 'float64'"):
        tb.compile_batched(spec, precision="half")
    with pytest.raises(ValueError, match="spec: Expected an augspec Pipeline"):
        tb.compile_batched({"ops": []})
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="torch sees no GPU"):
            tb.compile_batched(spec, "cuda")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device; torch sees none")
def test_gpu_matches_cpu(photo: np.ndarray) -> None:
    spec = augspec.load("examples/combined_augs.yaml")
    images = _images(16, (48, 48), photo)
    batch = torch.from_numpy(images).permute(0, 3, 1, 2)
    cpu = tb.compile_batched(spec)(batch, 1, 0, np.arange(16)).double()
    gpu = tb.compile_batched(spec, "cuda")(batch.cuda(), 1, 0, np.arange(16)).cpu().double()
    d = (cpu - gpu).abs()
    assert float(d.max()) <= 3 and float((d > 0).double().mean()) < 0.01


# ---- the backend contract: replay one image, compile, seed, to_numpy -------------------------


def test_replay_runs_one_image_as_the_batch_would(photo: np.ndarray) -> None:
    spec = augspec.load("examples/combined_augs.yaml")
    images = _images(5, (40, 44), photo)
    batch = torch.from_numpy(images).permute(0, 3, 1, 2)
    out = tb.compile_batched(spec)(batch, 7, 1, np.arange(5))
    for k in range(5):
        params = augspec.sample(spec, 7, 1, k, (40, 44))
        one = tb.replay(spec, params, images[k])  # HWC numpy
        assert one.shape == (3, 200, 200) and one.dtype == torch.uint8
        assert torch.equal(one, out[k])
        assert torch.equal(tb.replay(spec, params, batch[k], "spec"), out[k])  # CHW tensor
        assert np.array_equal(tb.to_numpy(one), out[k].permute(1, 2, 0).numpy())


def test_replay_checks_its_inputs(photo: np.ndarray) -> None:
    spec = augspec.validate_data({"ops": [{"op": "horizontal_flip"}, {"op": "to_tensor"}]})
    params = augspec.sample(spec, 0, image_size=(8, 9))
    image = photo[:8, :9]
    assert tb.replay(spec, params, image).dtype == torch.float32
    with pytest.raises(ValueError, match="Expected fidelity 'native' or 'spec'"):
        tb.replay(spec, params, image, "fast")
    with pytest.raises(ValueError, match="Expected the size the params were sampled for"):
        tb.replay(spec, params, photo[:9, :9])
    with pytest.raises(ValueError, match="image \\(torch tensor, CHW; shown as HWC\\)"):
        tb.replay(spec, params, torch.zeros(3, 8, 9))
    with pytest.raises(ValueError, match="Expected a PIL image, a uint8 CHW/NCHW tensor"):
        tb.to_numpy([1, 2])


def test_compile_samples_under_seed_like_the_reference_and_pickles(photo: np.ndarray) -> None:
    import pickle

    spec = augspec.load("examples/combined_augs.yaml")
    images = _images(6, (40, 44), photo)
    batch = torch.from_numpy(images).permute(0, 3, 1, 2)
    compiled = augspec.compile(spec, backend="torch-batched")
    assert "batched torch kernel" in compiled.explain()
    tb.seed(3)
    first, second = compiled(batch[:4]), compiled(batch[4:])  # images 0-3, then 4-5
    assert torch.equal(torch.cat([first, second]), compiled.native(batch, 3, 0, np.arange(6)))
    again = pickle.loads(pickle.dumps(compiled))
    tb.seed(3)
    assert torch.equal(again(batch[:4]), first)
    reference = augspec.compile(spec, backend="reference")
    augspec.backend("reference").seed(3)
    tol = sum((tb.tolerance(op) for op in spec.ops), Tolerance(0.0, 0.0))
    for k in range(4):
        d = np.abs(tb.to_numpy(first[k]).astype(np.float64) - reference(images[k]))
        assert tol.allows(float(d.max()), float(d.mean()))
