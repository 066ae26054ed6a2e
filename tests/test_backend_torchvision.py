"""The torchvision backend: compile (both fidelities), replay vs the reference, RNG, inputs."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torchvision")

from augspec.backends import torchvision as tv  # noqa: E402
from PIL import Image  # noqa: E402
from torchvision import transforms as T  # noqa: E402

import augspec  # noqa: E402
from augspec import reference  # noqa: E402
from augspec.contract import Backend, Tolerance  # noqa: E402
from augspec.ops import OP_NAMES  # noqa: E402
from augspec.pipeline import iter_leaves, trace_hw  # noqa: E402

from .torchvision_cases import CASES, as_255, edge_images, small_photo, tolerance  # noqa: E402

SEEDS = range(5)
CASE_IDS = [c[0] for c in CASES]
LEAF_OPS = [
    n for n in OP_NAMES if n not in ("compose", "random_apply", "random_choice", "random_order")
]
EXPECTED_SUBSTITUTES = {
    "brightness",
    "contrast",
    "saturation",
    "hue",
    "color_jitter",
    "grayscale",
    "random_grayscale",
    "autocontrast",
    "sharpness",
    "rotation",
    "affine",
}


@pytest.fixture(scope="module")
def images(photo: np.ndarray) -> dict[str, np.ndarray]:
    return {"photo": small_photo(photo), **edge_images()}


def _spec(case: tuple[str, str, dict]) -> augspec.Pipeline:
    return augspec.validate_data(case[2])


def _fits(spec: augspec.Pipeline, image: np.ndarray) -> bool:
    try:
        trace_hw(spec, (image.shape[0], image.shape[1]))
    except ValueError:
        return False
    return True


def _chw(image: np.ndarray) -> Any:
    return torch.from_numpy(image.copy()).permute(2, 0, 1).contiguous()


# ---- guards -------------------------------------------------------------------------------


def test_every_op_has_a_case() -> None:
    covered = {c[1] for c in CASES} | {op.op for c in CASES for op in iter_leaves(_spec(c).ops)}
    assert set(OP_NAMES) <= covered, f"ops without a case: {set(OP_NAMES) - covered}"


STATED = {op: tv.tolerance(op) for op in LEAF_OPS}


def test_one_record_per_op_with_the_contract_names() -> None:
    assert tv.NAME == "torchvision"
    assert isinstance(tv, Backend)
    assert sorted(tv.RECORDS) == sorted(OP_NAMES)
    for name, record in tv.RECORDS.items():
        assert record.op == name and record.build is not None, name
        ported = ("lighting", "channel_permutation", "gaussian_noise", "jpeg")  # no v1 class
        assert (record.status == "ported") == (name in ported), name
        if record.substitute is not None:
            assert record.substitute.build is not None and record.substitute.kernel, name
    assert tv.RECORDS["lighting"].why == "torchvision has no lighting op"


@pytest.mark.parametrize(
    "table",
    [STATED, tv.NATIVE_ENVELOPE, tv.TENSOR_NATIVE_ENVELOPE],
    ids=["spec", "native-pil", "native-tensor"],
)
def test_tolerances_cover_every_leaf_op(table: dict) -> None:
    assert sorted(table) == sorted(LEAF_OPS)
    for op, tol in table.items():
        assert isinstance(tol, Tolerance), op
        assert 0 <= tol.mean <= max(tol.max, 0.001), op
        assert tol.max >= STATED[op].max and tol.mean >= STATED[op].mean, op


def test_stated_tolerance_is_one_rounding_per_step() -> None:
    # The point of fidelity="spec": at most one rounding away from the reference; color_jitter
    # chains up to four roundings, so a .5 tie in one step may grow by the later factors.
    assert all(tol.max <= 1.0 for op, tol in STATED.items() if op != "color_jitter")
    assert STATED["color_jitter"].max <= 3.0


def test_composition_tolerance_adds_up_its_children() -> None:
    spec = augspec.validate_data(
        {
            "ops": [
                {
                    "op": "random_apply",
                    "p": 0.5,
                    "ops": [
                        {"op": "hue", "factor": 0.1},
                        {"op": "compose", "ops": [{"op": "lighting"}]},
                    ],
                }
            ]
        }
    )
    assert tv.tolerance(spec.ops[0]) == STATED["hue"] + STATED["lighting"]
    assert tv.tolerance(spec.ops[0].ops[0]) == tv.tolerance("hue") == STATED["hue"]
    with pytest.raises(ValueError, match="received op='blur'"):
        tv.tolerance("blur")


def test_substitution_reason_is_the_records() -> None:
    for data, departs in (
        ({"op": "resize", "size": 8}, False),
        ({"op": "resize", "size": 8, "interpolation": "bicubic"}, True),
        ({"op": "random_resized_crop", "size": 8, "interpolation": "nearest"}, True),
        ({"op": "hue", "factor": 0.1}, True),
        ({"op": "horizontal_flip"}, False),
    ):
        op = augspec.validate_data({"ops": [data]}).ops[0]
        assert (tv.substitution_reason(op) is not None) == departs, data


def test_native_sampler_draws_torchvisions_boxes_under_its_seed() -> None:
    spec = augspec.validate_data(
        {
            "ops": [
                {"op": "random_resized_crop", "size": 8, "scale": [0.1, 1], "ratio": [0.5, 2]},
                {"op": "horizontal_flip"},
            ]
        }
    )
    rrc, flip = spec.ops
    assert tv.native_sampler(flip) is None
    sample = tv.native_sampler(rrc)
    assert sample is not None
    tv.seed(123)
    before = torch.get_rng_state()
    boxes = sample((30, 40), 50, 7)
    assert torch.equal(torch.get_rng_state(), before)  # the caller's torch RNG is untouched
    assert boxes == sample((30, 40), 50, 7) and boxes != sample((30, 40), 50, 8)
    torch.manual_seed(7)
    img = torch.empty(3, 30, 40)
    expected = [T.RandomResizedCrop.get_params(img, [0.1, 1.0], [0.5, 2.0]) for _ in range(50)]
    assert boxes == [tuple(int(v) for v in box) for box in expected]
    for top, left, h, w in boxes:
        assert min(top, left) >= 0 and top + h <= 30 and left + w <= 40 and min(h, w) >= 1


# ---- compile --------------------------------------------------------------------------------


@pytest.mark.parametrize("fidelity", ["native", "spec"])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_compile_output_type_shape_dtype(case, fidelity, images) -> None:
    spec = _spec(case)
    compiled = augspec.compile(spec, "torchvision", fidelity)
    assert isinstance(compiled.native, T.Compose)
    image = images["noise17x23"]
    out = compiled(image)
    hw = trace_hw(spec, image.shape[:2])[-1]
    if any(op.op == "to_tensor" for op in iter_leaves(spec.ops)):
        assert isinstance(out, torch.Tensor) and out.dtype == torch.float32
        assert tuple(out.shape) == (3, *hw)
    else:
        assert isinstance(out, Image.Image) and out.mode == "RGB"
        assert (out.height, out.width) == hw


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_compile_statuses(case) -> None:
    spec = _spec(case)
    native = augspec.compile(spec, "torchvision", "native")
    faithful = augspec.compile(spec, "torchvision", "spec")
    for compiled in (native, faithful):
        positions = [b.position for b in compiled.builds]
        assert len(positions) == len(set(positions))
        for b in compiled.builds:
            assert (b.status == "ported") == (
                b.op in ("lighting", "channel_permutation", "gaussian_noise", "jpeg")
            )
    assert all(b.status != "substituted" for b in native.builds)
    leaf_builds = [
        b
        for b in faithful.builds
        if b.op not in ("compose", "random_apply", "random_choice", "random_order")
    ]
    for op, b in zip(spec.flat_ops(), leaf_builds, strict=True):
        assert op.op == b.op
        substituted = op.op in EXPECTED_SUBSTITUTES or (
            op.op in ("resize", "random_resized_crop")
            and getattr(op, "interpolation", None) != "bilinear"
        )
        assert (b.status == "substituted") == substituted, str(b)
        if substituted:
            assert b.why and b.native_class.startswith("Faithful")
            assert b.why in faithful.explain()


def test_native_classes_are_the_chapters() -> None:
    spec = augspec.validate_data(
        {
            "ops": [
                {"op": "RandomFlipLeftRight"},
                {
                    "op": "color_jitter",
                    "brightness": 0.5,
                    "contrast": 0.5,
                    "saturation": 0.5,
                    "hue": 0.5,
                },
                {
                    "op": "random_resized_crop",
                    "size": [200, 100],
                    "scale": [0.1, 1],
                    "ratio": [0.5, 2],
                },
                {"op": "random_apply", "p": 0.3, "ops": [{"op": "lighting"}]},
                {"op": "to_tensor"},
                {"op": "normalize", "mean": [0.5], "std": [0.25]},
            ]
        }
    )
    t = tv.compile(spec, "native").native.transforms
    assert [type(x).__name__ for x in t] == [
        "RandomHorizontalFlip",
        "ColorJitter",
        "RandomResizedCrop",
        "RandomApply",
        "ToTensor",
        "Normalize",
    ]
    assert t[0].p == 0.5
    assert list(t[1].brightness) == [0.5, 1.5] and list(t[1].hue) == [-0.5, 0.5]
    assert tuple(t[2].size) == (200, 100) and tuple(t[2].ratio) == (0.5, 2)
    assert t[2].interpolation == T.InterpolationMode.BILINEAR
    assert t[3].p == 0.3 and type(t[3].transforms[0]).__name__ == "Lighting"


@pytest.mark.parametrize(
    ("size", "expected_hw"), [(20, (20, 30)), ((7, 50), (7, 50))], ids=["int-shorter", "hw"]
)
def test_resize_and_crop_size_conventions(size, expected_hw) -> None:
    image = np.zeros((40, 60, 3), np.uint8)
    for op in ("resize", "random_resized_crop", "center_crop"):
        expected = (size, size) if op != "resize" and isinstance(size, int) else expected_hw
        out = augspec.compile({"ops": [{"op": op, "size": size}]}, "torchvision")(image)
        assert (out.height, out.width) == expected, op


# ---- replay against the reference -----------------------------------------------------------


@pytest.mark.parametrize("path", ["pil", "tensor"])
@pytest.mark.parametrize("fidelity", ["native", "spec"])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_replay_matches_reference_within_tolerance(case, fidelity, path, images) -> None:
    spec = _spec(case)
    envelope = tv.NATIVE_ENVELOPE if path == "pil" else tv.TENSOR_NATIVE_ENVELOPE
    max_tol, mean_tol = tolerance(STATED if fidelity == "spec" else envelope, spec).as_pair()
    worst, total, count = 0.0, 0.0, 0
    for name, image in images.items():
        if not _fits(spec, image):
            continue
        x = image if path == "pil" else _chw(image)
        for seed in SEEDS:
            params = augspec.sample(spec, seed, image_size=image.shape[:2])
            out = tv.replay(spec, params, x, fidelity)
            expected_type = Image.Image if path == "pil" else torch.Tensor
            assert isinstance(out, (expected_type, torch.Tensor))
            got = tv.to_numpy(out)
            ref = reference.replay(spec, params, image)
            assert got.shape == ref.shape and got.dtype == ref.dtype, name
            diff = np.abs(as_255(got) - as_255(ref))
            assert diff.max() <= max_tol + 1e-4, (name, seed, diff.max())
            worst = max(worst, float(diff.max()))
            total, count = total + float(diff.sum()), count + diff.size
    assert count > 0
    assert total / count <= mean_tol + 1e-4, (worst, total / count)


def test_native_replay_is_what_the_native_classes_compute(images) -> None:
    """Same numerics: a class run on a seeded draw equals replay of the params it drew."""
    image = images["photo"]
    spec = augspec.validate_data(
        {
            "ops": [
                {
                    "op": "color_jitter",
                    "brightness": 0.5,
                    "contrast": 0.5,
                    "saturation": 0.5,
                    "hue": 0.5,
                }
            ]
        }
    )
    jitter = tv.compile(spec, "native").native.transforms[0]
    for seed in range(4):
        tv.seed(seed)
        order, *factors = jitter.get_params(
            jitter.brightness, jitter.contrast, jitter.saturation, jitter.hue
        )
        params = {
            "op": "color_jitter",
            "order": [("brightness", "contrast", "saturation", "hue")[int(i)] for i in order],
        }
        params.update(zip(("brightness", "contrast", "saturation", "hue"), factors, strict=True))
        tv.seed(seed)
        native_out = tv.to_numpy(tv.compile(spec, "native")(image))
        replayed = tv.to_numpy(
            tv.replay(spec, {"image_size": list(image.shape[:2]), "ops": [params]}, image)
        )
        np.testing.assert_array_equal(native_out, replayed)


# ---- RNG ------------------------------------------------------------------------------------

RANDOM_PIPELINE = {
    "ops": [
        {"op": "horizontal_flip"},
        {"op": "random_resized_crop", "size": [20, 24]},
        {"op": "random_apply", "p": 0.5, "ops": [{"op": "lighting", "alphastd": 0.5}]},
        {"op": "color_jitter", "brightness": 0.5, "contrast": 0.5, "saturation": 0.5, "hue": 0.5},
        {"op": "random_crop", "size": 16, "padding": 2},
        {"op": "to_tensor"},
    ]
}


@pytest.mark.parametrize("fidelity", ["native", "spec"])
def test_seeded_pipeline_is_repeatable_and_seed_dependent(fidelity, images) -> None:
    compiled = tv.compile(augspec.validate_data(RANDOM_PIPELINE), fidelity)
    image = images["photo"]

    def run(seed: int, other: int) -> list[np.ndarray]:
        tv.seed(seed)
        random.seed(other)  # measured: python's and numpy's RNGs do not feed the classes
        np.random.seed(other)
        return [compiled(image).numpy() for _ in range(3)]

    first, again, other_rngs = run(1, 0), run(1, 0), run(1, 99)
    for a, b, c in zip(first, again, other_rngs, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)
    assert any(not np.array_equal(a, b) for a, b in zip(first, run(2, 0), strict=True))
    assert not np.array_equal(first[0], first[1])  # draws advance between calls


def test_substitutes_draw_what_the_native_classes_draw(images) -> None:
    """Same seed -> same boxes/factors in both fidelities; only the arithmetic differs."""
    image = images["photo"]
    spec = augspec.validate_data(
        {
            "ops": [
                {"op": "random_resized_crop", "size": 24, "interpolation": "bicubic"},
                {
                    "op": "color_jitter",
                    "brightness": 0.5,
                    "contrast": 0.5,
                    "saturation": 0.5,
                    "hue": 0.05,
                },
                {"op": "to_tensor"},
            ]
        }
    )
    native, faithful = tv.compile(spec, "native"), tv.compile(spec, "spec")
    for seed in range(4):
        tv.seed(seed)
        a = native(image).numpy() * 255
        tv.seed(seed)
        b = faithful(image).numpy() * 255
        assert np.abs(a - b).mean() < 3.0  # a different box would differ by tens


# ---- probabilities --------------------------------------------------------------------------


@pytest.mark.parametrize("op", ["horizontal_flip", "vertical_flip", "random_apply"])
@pytest.mark.parametrize("fidelity", ["native", "spec"])
def test_p0_is_identity_p1_always_applies(op, fidelity, images) -> None:
    image = images["noise17x23"]
    flipped = {
        "horizontal_flip": image[:, ::-1],
        "vertical_flip": image[::-1],
        "random_apply": image[:, ::-1],
    }[op]
    for p, expected in ((0.0, image), (1.0, flipped)):
        if op == "random_apply":
            data = {
                "ops": [
                    {"op": "random_apply", "p": p, "ops": [{"op": "horizontal_flip", "p": 1.0}]}
                ]
            }
        else:
            data = {"ops": [{"op": op, "p": p}]}
        compiled = tv.compile(augspec.validate_data(data), fidelity)
        for _ in range(20):
            np.testing.assert_array_equal(tv.to_numpy(compiled(image)), expected)


def test_flip_rate_is_p(images) -> None:
    image = images["noise17x23"]
    compiled = augspec.compile({"ops": [{"op": "horizontal_flip", "p": 0.3}]}, "torchvision")
    flips = sum(not np.array_equal(tv.to_numpy(compiled(image)), image) for _ in range(600))
    assert 0.24 < flips / 600 < 0.36  # binomial(600, 0.3): sd 0.019, band > 3 sd


# ---- inputs and conversions -----------------------------------------------------------------


def test_tensor_and_pil_inputs_match_numpy(images) -> None:
    image = images["photo"]
    compiled = tv.compile(augspec.validate_data(RANDOM_PIPELINE), "native")
    outs = []
    for x in (image, Image.fromarray(image), _chw(image)):
        tv.seed(3)
        outs.append(compiled(x).numpy())
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_array_equal(outs[0], outs[2])


def test_replay_on_tensor_stays_on_the_tensor_path(images) -> None:
    spec = augspec.validate_data({"ops": [{"op": "hue", "factor": 0.3}]})
    params = augspec.sample(spec, 0, image_size=images["photo"].shape[:2])
    out = tv.replay(spec, params, _chw(images["photo"]))
    assert isinstance(out, torch.Tensor) and out.dtype == torch.uint8 and out.shape[0] == 3
    assert tv.to_numpy(out).shape == images["photo"].shape


BAD_INPUTS = {
    "grayscale-2d": (np.zeros((8, 8), np.uint8), "grayscale"),
    "grayscale-pil": (Image.new("L", (8, 8)), "mode 'RGB'"),
    "grayscale-tensor": (torch.zeros(1, 8, 8, dtype=torch.uint8), "grayscale"),
    "rgba": (np.zeros((8, 8, 4), np.uint8), "RGBA"),
    "rgba-pil": (Image.new("RGBA", (8, 8)), "mode 'RGB'"),
    "float": (np.zeros((8, 8, 3), np.float32), "dtype uint8"),
    "float-tensor": (torch.zeros(3, 8, 8), "dtype uint8"),
    "zero-size": (np.zeros((0, 8, 3), np.uint8), "height and width >= 1"),
    "list": ([[1, 2, 3]], "numpy array or PIL image"),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_inputs_get_the_shared_error(name) -> None:
    image, message = BAD_INPUTS[name]
    spec = augspec.validate_data({"ops": [{"op": "horizontal_flip"}]})
    with pytest.raises(ValueError, match=message):
        tv.compile(spec, "native")(image)
    params = {"image_size": [8, 8], "ops": [{"op": "horizontal_flip", "apply": True}]}
    with pytest.raises(ValueError, match=message):
        tv.replay(spec, params, image)
    if not isinstance(image, torch.Tensor):  # same message as the reference's
        with pytest.raises(ValueError) as ref_err:
            reference.replay(spec, params, image)
        with pytest.raises(ValueError) as tv_err:
            tv.replay(spec, params, image)
        assert str(tv_err.value) == str(ref_err.value)


@pytest.mark.parametrize(
    "op", [{"op": "center_crop", "size": 9}, {"op": "random_crop", "size": [4, 12]}]
)
def test_crop_larger_than_image_is_refused_before_running(op) -> None:
    compiled = augspec.compile({"ops": [op]}, "torchvision", "spec")
    with pytest.raises(ValueError, match=f"ops\\[0\\] {op['op']}: Expected size <="):
        compiled(np.zeros((8, 10, 3), np.uint8))


def test_replay_refuses_params_for_another_size(images) -> None:
    spec = augspec.validate_data({"ops": [{"op": "horizontal_flip"}]})
    params = augspec.sample(spec, 0, image_size=(5, 5))
    with pytest.raises(ValueError, match="Expected the size the params were sampled for"):
        tv.replay(spec, params, images["photo"])
    with pytest.raises(ValueError, match="fidelity"):
        tv.replay(spec, params, images["photo"], "exact")
    with pytest.raises(ValueError, match="fidelity"):
        tv.compile(spec, "exact")


def test_to_numpy_conversions() -> None:
    image = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    np.testing.assert_array_equal(tv.to_numpy(Image.fromarray(image)), image)
    np.testing.assert_array_equal(tv.to_numpy(_chw(image)), image)
    t = torch.rand(3, 2, 2)
    got = tv.to_numpy(t)
    assert got.dtype == np.float32 and got.shape == (3, 2, 2)
    np.testing.assert_array_equal(augspec.to_numpy(t), got)
    with pytest.raises(ValueError, match="Expected a PIL image"):
        tv.to_numpy(torch.zeros(3, 2, 2, dtype=torch.int32))


def test_lighting_port_draws_from_torch_and_zero_std_is_identity(images) -> None:
    image = images["noise17x23"]
    strong = tv.compile(augspec.validate_data({"ops": [{"op": "lighting", "alphastd": 1.0}]}))
    tv.seed(5)
    a = tv.to_numpy(strong(image))
    tv.seed(5)
    np.testing.assert_array_equal(a, tv.to_numpy(strong(image)))
    assert not np.array_equal(a, image)
    none = tv.compile(augspec.validate_data({"ops": [{"op": "lighting", "alphastd": 0.0}]}))
    np.testing.assert_array_equal(tv.to_numpy(none(image)), image)
