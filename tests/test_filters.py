"""The filter ops (augspec/ops/filters.py): their definitions against independent code, what
the spec refuses, the classes' own argument names, the vectorised sampler, and each backend
against the reference."""

from __future__ import annotations

import numpy as np
import pytest

import augspec
from augspec.errors import SpecError
from augspec.ops.filters import gaussian_kernel1d

from .conftest import require_mxnet

RNG = np.random.default_rng(11)
NOISE = RNG.integers(0, 256, (9, 13, 3), dtype=np.uint8)
BACKENDS = ("torchvision", "torchvision-v2", "gluon", "torch-batched")


def _spec(*ops: dict) -> augspec.Pipeline:
    return augspec.validate_data({"augspec": 1, "ops": list(ops)})


def _hwc(out: object, like: np.ndarray) -> np.ndarray:
    x = np.asarray(augspec.to_numpy(out))
    x = x[0] if x.ndim == 4 else x
    return x if x.shape == like.shape else x.transpose(1, 2, 0)


def _module(backend: str) -> object:
    if backend == "gluon":
        require_mxnet()
    return augspec.backend(backend)


# ---- gaussian_blur ----------------------------------------------------------------------


def _direct_blur(x: np.ndarray, kh: int, kw: int, sigma: float) -> np.ndarray:
    """An independent reading of the definition: one 2-D outer-product kernel, summed per pixel."""
    k2 = np.outer(gaussian_kernel1d(kh, sigma), gaussian_kernel1d(kw, sigma))
    padded = np.pad(x.astype(np.float64), ((kh // 2,) * 2, (kw // 2,) * 2, (0, 0)), "reflect")
    h, w = x.shape[:2]
    out = np.zeros(x.shape, np.float64)
    for dy in range(kh):
        for dx in range(kw):
            out += k2[dy, dx] * padded[dy : dy + h, dx : dx + w]
    return out


def test_blur_kernel_is_torchvisions_gaussian() -> None:
    k = gaussian_kernel1d(5, 1.0)
    pdf = np.exp(-0.5 * np.array([4.0, 1.0, 0.0, 1.0, 4.0]))
    np.testing.assert_allclose(k, pdf / pdf.sum(), rtol=0, atol=1e-15)
    assert gaussian_kernel1d(1, 0.3).tolist() == [1.0]


@pytest.mark.parametrize(("kh", "kw", "sigma"), [(3, 3, 0.7), (5, 3, 1.9), (1, 7, 3.0)])
def test_blur_reference_is_the_separable_reading_of_the_2d_kernel(
    kh: int, kw: int, sigma: float
) -> None:
    spec = _spec({"op": "gaussian_blur", "kernel": [kh, kw], "sigma": sigma})
    params = augspec.sample(spec, 0, image_size=NOISE.shape[:2])
    out = augspec.replay(spec, params, NOISE).astype(int)
    direct = np.floor(_direct_blur(NOISE, kh, kw, sigma) + 0.5).astype(int)
    assert np.abs(out - direct).max() <= 1  # summation order: a .5 tie at most
    assert (out != direct).mean() < 0.01


def test_blur_of_a_constant_image_is_the_image() -> None:
    flat = np.full((6, 7, 3), 77, np.uint8)
    spec = _spec({"op": "gaussian_blur", "kernel": 5, "sigma": [0.1, 4.0]})
    for seed in range(4):
        params = augspec.sample(spec, seed, image_size=(6, 7))
        assert np.array_equal(augspec.replay(spec, params, flat), flat)


def test_blur_class_arguments_are_x_first() -> None:
    """torchvision's kernel_size is (x, y): (3, 5) is 3 wide and 5 tall, the spec's [5, 3]."""
    spec = _spec({"op": "GaussianBlur", "kernel_size": [3, 5], "sigma": 1.0})
    assert augspec.io.to_data(spec)["ops"][0] == {
        "op": "gaussian_blur",
        "kernel": [5, 3],
        "sigma": 1.0,
    }
    from augspec.native_names import native_class

    nc = native_class("torchvision-v2", "GaussianBlur")
    assert nc.from_spec({"op": "gaussian_blur", "kernel": [5, 3], "sigma": [0.1, 2.0]}) == {
        "kernel_size": [3, 5]
    }


def test_blur_from_native_reads_both_torchvision_classes() -> None:
    from torchvision import transforms as T
    from torchvision.transforms import v2

    for obj in (T.GaussianBlur((3, 5), (0.2, 1.5)), v2.GaussianBlur((3, 5), (0.2, 1.5))):
        op = augspec.from_native(obj).ops[0]
        assert (op.op, op.kernel_hw, op.sigma_range) == ("gaussian_blur", (5, 3), (0.2, 1.5))


def test_blur_refusals() -> None:
    for op, words in (
        ({"op": "gaussian_blur", "kernel": 4}, "odd kernel sides"),
        ({"op": "gaussian_blur", "kernel": [3, 0]}, "kernel"),
        ({"op": "gaussian_blur", "kernel": 3, "sigma": 0}, "sigma"),
        ({"op": "gaussian_blur", "kernel": 3, "sigma": [2.0, 1.0]}, "min <= max"),
        ({"op": "GaussianBlur", "kernel_size": 3, "kernel": 3}, "not both"),
    ):
        with pytest.raises(SpecError, match=words):
            augspec.validate_data({"augspec": 1, "ops": [op]})


def test_blur_refuses_images_no_larger_than_half_the_kernel_on_every_path() -> None:
    spec = _spec({"op": "gaussian_blur", "kernel": [3, 5]})
    augspec.pipeline.trace_hw(spec, (2, 3))  # 3 // 2 < 2 and 5 // 2 < 3
    for hw in ((1, 3), (2, 2)):
        with pytest.raises(ValueError, match="reflect padding by half the kernel"):
            augspec.sample(spec, 0, image_size=hw)
        for backend in ("reference", "torchvision", "torchvision-v2"):
            compiled = augspec.compile(spec, backend)
            with pytest.raises(ValueError, match="reflect padding"):
                compiled(np.zeros((*hw, 3), np.uint8))


def test_blur_draws_one_number_whatever_the_range() -> None:
    after = {"op": "horizontal_flip", "p": 0.5}
    fixed = _spec({"op": "gaussian_blur", "kernel": 3, "sigma": 1.0}, after)
    ranged = _spec({"op": "gaussian_blur", "kernel": 3, "sigma": [0.5, 2.5]}, after)
    for i in range(20):
        a, b = (augspec.sample(s, 5, index=i, image_size=(8, 8))["ops"] for s in (fixed, ranged))
        assert a[0]["sigma"] == 1.0 and 0.5 <= b[0]["sigma"] <= 2.5
        assert a[1] == b[1]


def test_blur_vectorised_sampling_draws_what_augspec_sample_draws() -> None:
    from augspec.backends import batch_sampling as bs

    spec = _spec({"op": "gaussian_blur", "kernel": 3, "sigma": [0.1, 2.0]}, {"op": "invert"})
    indices = np.arange(0, 300, 7)
    arrays = bs.sample_batch(spec, 3, 1, indices, (8, 8))
    got = bs.unstack_params(spec, arrays, 3, 1, indices, (8, 8))
    assert got == [augspec.sample(spec, 3, 1, int(i), (8, 8)) for i in indices]


@pytest.mark.parametrize("backend", BACKENDS)
def test_blur_replays_within_one_tie_of_the_reference(backend: str) -> None:
    module = _module(backend)
    spec = _spec({"op": "gaussian_blur", "kernel": [5, 3], "sigma": [0.3, 3.0]})
    for image in (NOISE, NOISE[:3, :2], NOISE[:, :2]):
        for seed in range(3):
            params = augspec.sample(spec, seed, image_size=image.shape[:2])
            ref = augspec.replay(spec, params, image).astype(int)
            for fidelity in ("native", "spec"):
                out = _hwc(module.replay(spec, params, image, fidelity), image).astype(int)  # type: ignore[attr-defined]
                diff = np.abs(out - ref)
                assert diff.max() <= 1 and diff.mean() <= 0.01, (backend, fidelity, seed)


def test_gluon_blur_port_draws_sigma_from_mxnets_rng() -> None:
    gluon = _module("gluon")
    spec = _spec({"op": "gaussian_blur", "kernel": 5, "sigma": [0.1, 3.0]})
    compiled = augspec.compile(spec, "gluon")
    assert [(b.status, b.native_class) for b in compiled.builds] == [("ported", "GaussianBlur")]
    runs = []
    for _ in range(2):
        gluon.seed(3)  # type: ignore[attr-defined]
        runs.append([augspec.to_numpy(compiled(NOISE)).tobytes() for _ in range(4)])
    assert runs[0] == runs[1] and len(set(runs[0])) == 4


# ---- gaussian_noise ---------------------------------------------------------------------

TENSOR = (NOISE.transpose(2, 0, 1) / np.float32(255)).astype(np.float32)


def _noise_spec(**fields: object) -> augspec.Pipeline:
    return _spec({"op": "to_tensor"}, {"op": "gaussian_noise", **fields})


def test_noise_is_the_seeds_pcg64_field_scaled_and_clipped() -> None:
    spec = _noise_spec(mean=0.1, sigma=0.2)
    params = augspec.sample(spec, 4, image_size=NOISE.shape[:2])
    seed = params["ops"][1]["noise_seed"]
    assert isinstance(seed, int) and 0 <= seed < 2**31 - 1
    field = np.random.Generator(np.random.PCG64(seed)).standard_normal(TENSOR.shape, np.float32)
    expected = np.clip(TENSOR + (np.float32(0.1) + field * np.float32(0.2)), 0, 1)
    out = augspec.replay(spec, params, NOISE)
    assert out.dtype == np.float32 and np.array_equal(out, expected)
    unclipped = augspec.replay(_noise_spec(mean=0.1, sigma=0.2, clip=False), params, NOISE)
    assert unclipped.min() < 0 or unclipped.max() > 1
    assert np.array_equal(np.clip(unclipped, 0, 1), out)


def test_noise_goes_after_to_tensor_and_loads_v2s_names() -> None:
    with pytest.raises(SpecError, match="Expected gaussian_noise after to_tensor"):
        augspec.validate_data({"augspec": 1, "ops": [{"op": "GaussianNoise"}]})
    with pytest.raises(SpecError, match="sigma"):
        _noise_spec(sigma=-0.1)
    spec = _spec({"op": "to_tensor"}, {"op": "GaussianNoise", "sigma": 0.3, "clip": False})
    assert augspec.io.to_data(spec)["ops"][1] == {
        "op": "gaussian_noise",
        "mean": 0.0,
        "sigma": 0.3,
        "clip": False,
    }
    from torchvision.transforms import v2

    read = augspec.from_native(
        v2.Compose(
            [v2.ToDtype(__import__("torch").float32, scale=True), v2.GaussianNoise(0.1, 0.2)]
        )
    )
    assert augspec.io.to_data(read)["ops"][1] == {
        "op": "gaussian_noise",
        "mean": 0.1,
        "sigma": 0.2,
        "clip": True,
    }


def test_noise_replay_refuses_a_seed_it_could_not_draw() -> None:
    spec = _noise_spec()
    params = augspec.sample(spec, 0, image_size=(4, 4))
    params["ops"][1]["noise_seed"] = 2**31
    with pytest.raises(ValueError, match="noise_seed: Expected an integer"):
        augspec.replay(spec, params, NOISE[:4, :4])


@pytest.mark.parametrize("backend", BACKENDS)
def test_noise_replays_the_same_noise_on_every_backend(backend: str) -> None:
    module = _module(backend)
    for fields in ({}, {"mean": -0.2, "sigma": 0.7, "clip": False}):
        spec = _noise_spec(**fields)
        for seed in range(2):
            params = augspec.sample(spec, seed, image_size=NOISE.shape[:2])
            ref = augspec.replay(spec, params, NOISE)
            for fidelity in ("native", "spec"):
                out = np.asarray(augspec.to_numpy(module.replay(spec, params, NOISE, fidelity)))  # type: ignore[attr-defined]
                out = out[0] if out.ndim == 4 else out
                assert np.abs(out - ref).max() * 255 <= 0.001, (backend, fidelity, fields)


@pytest.mark.parametrize("backend", ["torchvision", "torchvision-v2", "gluon"])
def test_compiled_noise_draws_the_framework_rng_with_the_specs_distribution(backend: str) -> None:
    """Compiled, v2's class and the ports draw their own noise: the same N(mean, sigma^2)."""
    module = _module(backend)
    flat = np.full((40, 50, 3), 128, np.uint8)  # 0.502: no clipping at sigma 0.05
    spec = _noise_spec(mean=0.02, sigma=0.05)
    compiled = augspec.compile(spec, backend)
    module.seed(0)  # type: ignore[attr-defined]
    outs = [np.asarray(augspec.to_numpy(compiled(flat))) for _ in range(2)]
    assert not np.array_equal(outs[0], outs[1])
    noise = np.concatenate([o.ravel() for o in outs]) - np.float32(128 / 255)
    assert abs(noise.mean() - 0.02) < 0.003 and abs(noise.std() - 0.05) < 0.003


def test_noise_vectorised_sampling_draws_what_augspec_sample_draws() -> None:
    from augspec.backends import batch_sampling as bs

    spec = _spec({"op": "jpeg", "quality": [3, 90]}, {"op": "to_tensor"}, {"op": "gaussian_noise"})
    indices = np.arange(0, 300, 7)
    arrays = bs.sample_batch(spec, 3, 1, indices, (8, 8))
    got = bs.unstack_params(spec, arrays, 3, 1, indices, (8, 8))
    assert got == [augspec.sample(spec, 3, 1, int(i), (8, 8)) for i in indices]
    qualities = {p["ops"][0]["quality"] for p in got}
    assert min(qualities) >= 3 and max(qualities) <= 90 and len(qualities) > 20


# ---- jpeg -------------------------------------------------------------------------------


def test_jpeg_is_pillows_round_trip() -> None:
    import io

    from PIL import Image

    spec = _spec({"op": "jpeg", "quality": 37})
    params = augspec.sample(spec, 0, image_size=NOISE.shape[:2])
    buffer = io.BytesIO()
    Image.fromarray(NOISE).save(buffer, format="JPEG", quality=37)
    expected = np.asarray(Image.open(buffer).convert("RGB"))
    assert np.array_equal(augspec.replay(spec, params, NOISE), expected)
    assert not np.array_equal(expected, NOISE)


def test_jpeg_quality_is_uniform_over_the_inclusive_range_with_one_draw() -> None:
    after = {"op": "horizontal_flip", "p": 0.5}
    fixed = _spec({"op": "jpeg", "quality": 50}, after)
    ranged = _spec({"op": "JPEG", "quality": [1, 3]}, after)
    seen = []
    for i in range(60):
        a, b = (augspec.sample(s, 2, index=i, image_size=(8, 8))["ops"] for s in (fixed, ranged))
        assert a[0]["quality"] == 50 and a[1] == b[1]
        seen.append(b[0]["quality"])
    assert set(seen) == {1, 2, 3}


def test_jpeg_refusals_and_v2s_names() -> None:
    for op, words in (
        ({"op": "jpeg", "quality": 0}, "quality"),
        ({"op": "jpeg", "quality": 101}, "quality"),
        ({"op": "jpeg", "quality": [90, 10]}, "min <= max"),
        ({"op": "jpeg", "quality": 50.0}, "quality"),
    ):
        with pytest.raises(SpecError, match=words):
            augspec.validate_data({"augspec": 1, "ops": [op]})
    from torchvision.transforms import v2

    assert augspec.io.to_data(augspec.from_native(v2.JPEG(40)))["ops"][0] == {
        "op": "jpeg",
        "quality": 40,
    }
    read = augspec.from_native(v2.JPEG((20, 80)))
    assert augspec.io.to_data(read)["ops"][0] == {"op": "jpeg", "quality": [20, 80]}


@pytest.mark.parametrize("backend", BACKENDS)
def test_jpeg_replays_bit_exactly_on_every_backend(backend: str) -> None:
    """torchvision.io writes Pillow's file byte for byte and mxnet's decoder reads it as
    Pillow's does (all libjpeg-turbo, the same defaults): measured 0 everywhere."""
    module = _module(backend)
    spec = _spec({"op": "jpeg", "quality": [1, 100]})
    for image in (NOISE, NOISE[:1, :1], NOISE[:2, :9]):
        for seed in range(3):
            params = augspec.sample(spec, seed, image_size=image.shape[:2])
            ref = augspec.replay(spec, params, image)
            for fidelity in ("native", "spec"):
                out = _hwc(module.replay(spec, params, image, fidelity), image)  # type: ignore[attr-defined]
                assert np.array_equal(out, ref), (backend, fidelity, image.shape, seed)


def test_v2_jpeg_compiles_to_v2s_class_without_torchvision_ios_warning() -> None:
    import warnings

    from torchvision.transforms import v2

    compiled = augspec.compile(_spec({"op": "JPEG", "quality": 30}), "torchvision-v2")
    assert isinstance(compiled.native.transforms[-1], v2.JPEG)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = compiled(NOISE)
    params = augspec.sample(_spec({"op": "jpeg", "quality": 30}), 0, image_size=NOISE.shape[:2])
    assert np.array_equal(
        _hwc(out, NOISE), augspec.replay(_spec({"op": "jpeg", "quality": 30}), params, NOISE)
    )


# ---- the parity report's sampler comparison ---------------------------------------------


@pytest.mark.parametrize("backend", ["torchvision-v2", "gluon"])
def test_parity_compares_each_filter_ops_native_sampler_by_distribution(backend: str) -> None:
    from augspec.parity.sampling_parity import run_unit
    from augspec.parity.units import collect_units

    module = _module(backend)
    spec = _spec(
        {"op": "gaussian_blur", "kernel": 5, "sigma": [0.3, 2.0]},
        {"op": "jpeg", "quality": [10, 60]},
        {"op": "to_tensor"},
        {"op": "gaussian_noise", "sigma": 0.05},
    )
    units = [u for u in collect_units([("s", spec)]) if u.name != "to_tensor"]
    assert [u.name for u in units] == ["gaussian_blur", "jpeg", "gaussian_noise"]
    for unit in units:
        result = run_unit(unit, {backend: module}, 40, 0, (8, 8))[backend]
        assert isinstance(result, list) and len(result) == 1, (unit.name, result)
        assert result[0]["verdict"] == "consistent", (unit.name, result)


# ---- RandomPhotometricDistort: a composition of existing ops ----------------------------


def test_photometric_distort_loads_as_its_composition() -> None:
    spec = _spec({"op": "RandomPhotometricDistort", "p": 0.7, "hue": [-0.1, 0.1]})
    top = spec.ops[0]
    assert top.op == "compose"
    assert [o.op for o in top.ops] == ["random_apply", "random_choice", "random_apply"]  # type: ignore[attr-defined]
    before, after = (c.ops for c in top.ops[1].ops)  # type: ignore[attr-defined]
    assert [o.ops[0].op for o in before] == ["contrast", "saturation", "hue"]
    assert [o.ops[0].op for o in after] == ["saturation", "hue", "contrast"]
    assert {o.p for o in [*before, *after]} == {0.7} and before[2].ops[0].range == (-0.1, 0.1)
    assert _spec("RandomPhotometricDistort") == _spec({"op": "RandomPhotometricDistort"})
    with pytest.raises(SpecError, match=r"\(RandomPhotometricDistort\)\.brightness: Expected"):
        _spec({"op": "RandomPhotometricDistort", "brightness": 0.5})
    with pytest.raises(SpecError, match="Unknown argument"):
        _spec({"op": "RandomPhotometricDistort", "sharpness": [0.5, 1.5]})


def test_photometric_distort_reads_back_from_v2_and_code() -> None:
    from torchvision.transforms import v2

    from augspec.importer import import_source
    from augspec.native_names import native_class, natives_for

    expected = _spec({"op": "RandomPhotometricDistort", "contrast": [0.2, 1.8], "p": 0.3})
    assert augspec.from_native(v2.RandomPhotometricDistort(contrast=(0.2, 1.8), p=0.3)) == expected
    source = "from torchvision.transforms import v2\naugs = v2.RandomPhotometricDistort((0.875, 1.125), (0.2, 1.8), p=0.3)\n"
    # a top-level compose is the pipeline itself
    assert import_source(source).get("augs").spec.ops == expected.ops[0].ops  # type: ignore[attr-defined]
    nc = native_class("torchvision-v2", "RandomPhotometricDistort")
    assert nc.from_spec(augspec.io.to_data(expected)["ops"][0]) == {
        "contrast": [0.2, 1.8],
        "p": 0.3,
    }
    assert nc not in natives_for("compose", "torchvision-v2")  # a plain compose stays Compose
    with pytest.raises(ValueError, match="Expected the compose a RandomPhotometricDistort"):
        nc.from_spec({"op": "compose", "ops": [{"op": "invert"}]})


def _v2_params(p: dict) -> dict:
    """v2's make_params for the draws of the expanded composition."""
    import torch

    bright, choice, perm = p["ops"]
    k = choice["choice"]
    branch = choice["ops"][k]["ops"]
    contrast, saturation, hue = (
        (branch[0], branch[1], branch[2]) if k == 0 else (branch[2], branch[0], branch[1])
    )

    def factor(entry: dict) -> float | None:
        return float(entry["ops"][0]["factor"]) if entry["apply"] else None

    return {
        "brightness_factor": factor(bright),
        "contrast_factor": factor(contrast),
        "saturation_factor": factor(saturation),
        "hue_factor": factor(hue),
        "contrast_before": k == 0,
        "channel_permutation": torch.tensor(perm["ops"][0]["perm"]) if perm["apply"] else None,
    }


def test_photometric_distort_composition_is_v2s_transform_on_the_same_draws() -> None:
    """v2's own transform() given the draws of the composition = the v2 backend's replay of it."""
    import torch
    from torchvision.transforms import v2

    spec = _spec({"op": "RandomPhotometricDistort", "p": 0.6, "hue": [-0.2, 0.2]})
    distort = v2.RandomPhotometricDistort(hue=(-0.2, 0.2), p=0.6)
    tensor = torch.from_numpy(NOISE.copy()).permute(2, 0, 1)
    seen = set()
    for seed in range(24):
        params = augspec.sample(spec, seed, image_size=NOISE.shape[:2])
        native = _v2_params(params["ops"][0])
        seen.add((native["contrast_before"], native["hue_factor"] is None))
        ours = augspec.replay(spec, params, NOISE, "torchvision-v2", "native")
        theirs = distort.transform(tensor, native)
        assert torch.equal(ours, theirs), seed
    assert len(seen) == 4
