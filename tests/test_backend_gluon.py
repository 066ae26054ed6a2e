"""The gluon backend: compile, replay against the reference, seeding, inputs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from .conftest import require_mxnet

mx = require_mxnet("the gluon backend needs mxnet (pip install 'augspec[mxnet]')")

from augspec.backends import gluon  # noqa: E402
from augspec.backends.gluon_blocks import MX_RANDOM, AugspecBlock  # noqa: E402

import augspec  # noqa: E402
from augspec.contract import EXACT, Tolerance, chooses_substitute  # noqa: E402
from augspec.ops import OP_NAMES  # noqa: E402
from augspec.pipeline import iter_leaves, trace_hw  # noqa: E402
from augspec.reference import resize as reference_resize  # noqa: E402

from .gluon_cases import CASES, NATIVE_ENVELOPE, diff_255, edge_images, hw  # noqa: E402

SEEDS = range(6)
LEAF_OPS = [
    n for n in OP_NAMES if n not in ("compose", "random_apply", "random_choice", "random_order")
]


@pytest.fixture(scope="module")
def images(photo: np.ndarray) -> dict[str, np.ndarray]:
    small = reference_resize(photo, (150, 128), "bilinear")
    return {"photo": small, **edge_images()}


def _spec(ops: list[dict[str, Any]]) -> augspec.Pipeline:
    return augspec.validate_data({"ops": ops})


def _fits(spec: augspec.Pipeline, image: np.ndarray) -> bool:
    try:
        trace_hw(spec, hw(image))
    except ValueError:
        return False
    return True


def test_every_op_has_a_case() -> None:
    assert set(CASES) == set(OP_NAMES)


def _native_envelope(op_name: str) -> Tolerance:
    return NATIVE_ENVELOPE.get(op_name, gluon.RECORDS[op_name].tolerance)


def test_records_and_envelope_cover_every_op() -> None:
    assert set(gluon.RECORDS) == set(OP_NAMES)
    assert set(NATIVE_ENVELOPE) <= set(LEAF_OPS)
    for op_name in LEAF_OPS:
        stated, envelope = gluon.RECORDS[op_name].tolerance, _native_envelope(op_name)
        for tol in (stated, envelope):
            assert 0 <= tol.mean <= tol.max, op_name
        assert envelope.max >= stated.max and envelope.mean >= stated.mean, op_name


def test_substituted_exactly_where_the_native_class_measured_beyond_tolerance() -> None:
    """An op has a substitute iff its native envelope exceeds its stated tolerance."""
    for op_name in LEAF_OPS:
        rec = gluon.RECORDS[op_name]
        beyond = _native_envelope(op_name) != rec.tolerance
        assert (rec.substitute is not None) == beyond, op_name


def test_tolerance_and_native_sampler_follow_the_contract() -> None:
    spec = _spec(
        [{"op": "random_resized_crop", "size": [8, 6], "scale": [0.2, 0.9]}, {"op": "to_tensor"}]
    )
    crop, tensor = spec.ops
    assert gluon.tolerance(crop) == Tolerance(1.0, 0.001) and gluon.tolerance(tensor) != EXACT
    assert gluon.native_sampler(tensor) is None
    draw = gluon.native_sampler(crop)
    assert draw is not None
    boxes = draw((40, 30), 50, 7)
    assert boxes == draw((40, 30), 50, 7)  # seeded by its own seed
    assert boxes != draw((40, 30), 50, 8)
    for top, left, height, width in boxes:
        assert min(top, left) >= 0 and top + height <= 40 and left + width <= 30
        assert 0.2 * 1200 * 0.7 <= height * width <= 0.9 * 1200 * 1.3  # area in scale, +- rounding
    # The boxes gluon's own class draws: same seed, same crops of a coordinate image.
    image = np.zeros((40, 30, 3), np.uint8)
    image[..., 0], image[..., 1] = np.arange(40)[:, None], np.arange(30)[None, :]
    nearest = _spec([{"op": "random_resized_crop", "size": 40, "interpolation": "nearest"}]).ops[0]
    block = gluon.RECORDS["random_resized_crop"].build(nearest)
    gluon.seed(7)
    tops_lefts = [
        tuple(int(v) for v in block(mx.nd.array(image, dtype="uint8")).asnumpy()[0, 0, :2])
        for _ in range(5)
    ]
    big = gluon.native_sampler(nearest)
    assert big is not None
    assert tops_lefts == [(t, left) for t, left, _, _ in big((40, 30), 5, 7)]


@pytest.mark.parametrize("op_name", OP_NAMES)
@pytest.mark.parametrize("fidelity", ["native", "spec"])
def test_compiles_and_runs_with_expected_type_shape_dtype(
    op_name: str, fidelity: str, images: dict[str, np.ndarray]
) -> None:
    gluon.seed(0)
    for ops in CASES[op_name]:
        spec = _spec(ops)
        compiled = augspec.compile(spec, "gluon", fidelity)
        assert isinstance(compiled.native, mx.gluon.data.vision.transforms.Compose)
        statuses = {b.op: b.status for b in compiled.builds}
        for leaf in iter_leaves(spec.ops):
            substituted = chooses_substitute(gluon.RECORDS[leaf.op], leaf, fidelity)
            assert (statuses[leaf.op] == "substituted") == substituted, compiled.explain()
        assert fidelity == "spec" or "substituted" not in statuses.values()
        for name, image in images.items():
            if not _fits(spec, image):
                continue
            if fidelity == "native" and name == "1x1" and op_name == "random_resized_crop":
                # gluon's own RandomResizedCrop draws an empty box on a 1x1 image about a quarter
                # of the time (no w > 0 check in mx.image.random_size_crop): documented ValueError.
                try:
                    out = compiled(image)
                except ValueError as err:
                    assert "empty crop box" in str(err) and "fidelity='spec'" in str(err)
                    continue
            else:
                out = compiled(image)
            assert isinstance(out, mx.nd.NDArray)
            out_np = gluon.to_numpy(out)
            h, w = trace_hw(spec, hw(image))[-1]
            tensor = any(o["op"] == "to_tensor" for o in ops)
            assert out_np.shape == ((3, h, w) if tensor else (h, w, 3))
            assert out_np.dtype == (np.float32 if tensor else np.uint8)


@pytest.mark.parametrize("op_name", OP_NAMES)
@pytest.mark.parametrize("fidelity", ["native", "spec"])
def test_replay_matches_reference_within_tolerance(
    op_name: str, fidelity: str, images: dict[str, np.ndarray]
) -> None:
    worst, total, count = 0.0, 0.0, 0
    for ops in CASES[op_name]:
        spec = _spec(ops)
        for image in images.values():
            if not _fits(spec, image):
                continue
            for seed in SEEDS:
                params = augspec.sample(spec, seed, image_size=hw(image))
                ref = augspec.replay(spec, params, image)
                out = augspec.replay(spec, params, image, "gluon", fidelity)
                assert isinstance(out, mx.nd.NDArray)
                d = diff_255(gluon.to_numpy(out), ref)
                worst, total, count = (
                    max(worst, float(d.max())),
                    total + float(d.sum()),
                    count + d.size,
                )
    if op_name in LEAF_OPS:
        tol = gluon.RECORDS[op_name].tolerance if fidelity == "spec" else _native_envelope(op_name)
        max_tol, mean_tol = tol.as_pair()
    else:  # compose / random_apply: exact children in "spec"; any in "native"
        max_tol, mean_tol = (1.0, 0.01) if fidelity == "spec" else (255.0, 255.0)
    assert worst <= max_tol, (op_name, fidelity, worst)
    assert total / count <= mean_tol, (op_name, fidelity, total / count)


@pytest.mark.parametrize(("op_name", "axis"), [("horizontal_flip", 1), ("vertical_flip", 0)])
def test_native_flip_departs_only_on_the_middle_line_of_odd_sizes(op_name: str, axis: int) -> None:
    rng = np.random.default_rng(1)
    spec = _spec([{"op": op_name, "p": 1.0}])
    params = augspec.sample(spec, 0, image_size=(8, 8))
    for shape in [(8, 6, 3), (7, 9, 3), (1, 1, 3), (3, 5, 3)]:
        image = rng.integers(1, 256, size=shape, dtype=np.uint8)
        params["image_size"] = list(shape[:2])
        out = gluon.to_numpy(gluon.replay(spec, params, image, "native"))
        expected = np.flip(image, axis)
        mid = shape[axis] // 2
        keep = np.ones(shape[:2], bool)
        if shape[axis] % 2:
            keep[(slice(None), mid) if axis == 1 else (mid, slice(None))] = False
        np.testing.assert_array_equal(out[keep], expected[keep])
        exact = gluon.to_numpy(gluon.replay(spec, params, image, "spec"))
        np.testing.assert_array_equal(exact, expected)


PIPELINE: list[dict[str, Any]] = [
    {"op": "RandomFlipLeftRight"},
    {"op": "vertical_flip", "p": 0.3},
    {"op": "random_resized_crop", "size": [40, 36], "scale": [0.3, 1.0]},
    {"op": "random_crop", "size": 32, "padding": 4},
    {"op": "color_jitter", "brightness": 0.4, "contrast": 0.4, "saturation": 0.4, "hue": 0.1},
    {"op": "random_apply", "p": 0.5, "ops": [{"op": "lighting", "alphastd": 0.2}]},
    {"op": "brightness", "factor": [0.6, 1.1]},
    {"op": "to_tensor"},
    {"op": "normalize", "mean": [0.5, 0.5, 0.5], "std": [0.2, 0.2, 0.2]},
]


@pytest.mark.parametrize("fidelity", ["native", "spec"])
def test_seeded_pipelines_repeat_run_after_run(
    fidelity: str, images: dict[str, np.ndarray]
) -> None:
    compiled = augspec.compile(_spec(PIPELINE), "gluon", fidelity)
    x = gluon.prepare(images["photo"])

    def run(seed: int) -> list[np.ndarray]:
        gluon.seed(seed)
        return [compiled(x).asnumpy() for _ in range(6)]

    first, again, other = run(3), run(3), run(4)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(first, other, strict=True))
    assert len({a.tobytes() for a in first}) > 1  # the draws do move within a run


@pytest.mark.parametrize("fidelity", ["native", "spec"])
@pytest.mark.parametrize(
    "op",
    [
        {"op": "horizontal_flip", "p": "P"},
        {"op": "vertical_flip", "p": "P"},
        {"op": "random_apply", "p": "P", "ops": [{"op": "vertical_flip", "p": 1.0}]},
    ],
)
def test_p0_is_identity_and_p1_always_applies(fidelity: str, op: dict[str, Any]) -> None:
    image = np.random.default_rng(2).integers(0, 256, size=(6, 8, 3), dtype=np.uint8)
    applied = {
        "horizontal_flip": image[:, ::-1],
        "vertical_flip": image[::-1],
        "random_apply": image[::-1],
    }[op["op"]]
    gluon.seed(0)
    for p, expected in ((0.0, image), (1.0, applied)):
        compiled = augspec.compile(_spec([{**op, "p": p}]), "gluon", fidelity)
        for _ in range(20):
            np.testing.assert_array_equal(gluon.to_numpy(compiled(image)), expected)


def test_native_flip_rate_is_one_half(images: dict[str, np.ndarray]) -> None:
    compiled = augspec.compile(_spec([{"op": "horizontal_flip"}]), "gluon")
    image = images["photo"]
    gluon.seed(0)
    flips = sum(not np.array_equal(gluon.to_numpy(compiled(image)), image) for _ in range(400))
    assert 160 <= flips <= 240  # binomial(400, 0.5): about 4 sigma either side


def test_translation_of_sizes_and_classes() -> None:
    spec = _spec(
        [
            {"op": "resize", "size": 50},
            {"op": "random_resized_crop", "size": [30, 20], "interpolation": "bicubic"},
            {"op": "center_crop", "size": [10, 7]},
        ]
    )
    compiled = augspec.compile(spec, "gluon")
    assert [b.native_class for b in compiled.builds] == [
        "Resize",
        "RandomResizedCrop",
        "CenterCrop",
    ]
    for shape, resized in (((80, 60, 3), (66, 50)), ((61, 97, 3), (50, 79))):
        image = np.zeros(shape, np.uint8)
        x = gluon.prepare(image)
        resize, rrc, crop = compiled.native
        assert resize(x).shape[:2] == resized == trace_hw(spec, shape[:2])[1]
        assert rrc(resize(x)).shape[:2] == (30, 20)
        assert crop(rrc(resize(x))).shape[:2] == (10, 7)


@pytest.mark.parametrize(
    ("op", "status"),
    [
        ({"op": "brightness", "factor": [0.5, 1.5]}, "native"),
        ({"op": "brightness", "factor": [0.0, 2.5]}, "native"),  # = max(0, 1 - 1.5), 1 + 1.5
        ({"op": "brightness", "factor": [0.2, 1.5]}, "ported"),
        ({"op": "hue", "factor": [-0.2, 0.2]}, "native"),
        ({"op": "hue", "factor": [-0.2, 0.1]}, "ported"),
        ({"op": "color_jitter", "brightness": 0.5, "hue": 0.2}, "native"),
        ({"op": "color_jitter", "brightness": 1.5}, "ported"),  # gluon would not clamp at 0
        ({"op": "horizontal_flip", "p": 0.5}, "native"),
        ({"op": "horizontal_flip", "p": 0.7}, "ported"),
        ({"op": "random_crop", "size": 4}, "ported"),
    ],
)
def test_native_when_expressible_else_ported(op: dict[str, Any], status: str) -> None:
    assert augspec.compile(_spec([op]), "gluon").builds[0].status == status


def test_ported_blocks_sample_from_mxnet_and_apply_like_replay(
    images: dict[str, np.ndarray],
) -> None:
    spec = _spec([{"op": "color_jitter", "brightness": [0.5, 2.5], "hue": [-0.1, 0.3]}])
    block = augspec.compile(spec, "gluon").native[0]
    assert isinstance(block, AugspecBlock)
    image = images["photo"]
    mx.random.seed(5)
    params = block.sample(image.shape[:2])
    mx.random.seed(5)
    out = block(gluon.prepare(image)).asnumpy()
    full = {"image_size": list(image.shape[:2]), "ops": [params]}
    np.testing.assert_array_equal(out, gluon.to_numpy(gluon.replay(spec, full, image)))
    mx.random.seed(5)
    first, second = MX_RANDOM.uniform(0, 1), MX_RANDOM.uniform(0, 1)
    assert first != second  # draws advance
    mx.random.seed(5)
    assert MX_RANDOM.uniform(0, 1) == first  # and mx.random.seed resets them


def test_numpy_pil_and_ndarray_inputs_agree(images: dict[str, np.ndarray]) -> None:
    from PIL import Image

    compiled = augspec.compile(_spec(PIPELINE), "gluon", "spec")
    image = images["photo"]
    outs = []
    for x in (image, Image.fromarray(image), mx.nd.array(image, dtype="uint8")):
        gluon.seed(9)
        outs.append(compiled(x).asnumpy())
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_array_equal(outs[0], outs[2])


BAD_IMAGES: dict[str, np.ndarray] = {
    "grayscale": np.zeros((8, 8), np.uint8),
    "one channel": np.zeros((8, 8, 1), np.uint8),
    "RGBA": np.zeros((8, 8, 4), np.uint8),
    "float": np.zeros((8, 8, 3), np.float32),
    "zero-size": np.zeros((0, 8, 3), np.uint8),
}


@pytest.mark.parametrize("kind", list(BAD_IMAGES))
@pytest.mark.parametrize("as_ndarray", [False, True])
def test_bad_inputs_get_the_reference_error(kind: str, as_ndarray: bool) -> None:
    spec = _spec([{"op": "horizontal_flip"}])
    image = BAD_IMAGES[kind]
    params = augspec.sample(spec, 0, image_size=(8, 8))
    with pytest.raises(ValueError) as ref_err:
        augspec.replay(spec, params, image)
    x = mx.nd.array(image, dtype=image.dtype) if as_ndarray and image.size else image
    with pytest.raises(ValueError) as err:
        augspec.compile(spec, "gluon")(x)
    assert str(err.value) == str(ref_err.value)
    with pytest.raises(ValueError) as err:
        gluon.replay(spec, params, x)
    assert str(err.value) == str(ref_err.value)


def test_crop_larger_than_image_is_refused_before_any_pixel_moves() -> None:
    spec = _spec([{"op": "center_crop", "size": 9}])
    with pytest.raises(ValueError, match="center_crop: Expected size <= image size 8x8"):
        augspec.compile(spec, "gluon")(np.zeros((8, 8, 3), np.uint8))


def test_other_types_are_refused_clearly() -> None:
    spec = _spec([{"op": "to_tensor"}])
    with pytest.raises(ValueError, match="Expected an mx NDArray, numpy array or PIL image"):
        augspec.compile(spec, "gluon")([[1, 2, 3]])
    with pytest.raises(ValueError, match="Expected an mx NDArray or numpy array"):
        gluon.to_numpy([1, 2])
    with pytest.raises(ValueError, match="fidelity"):
        gluon.compile(spec, "exact")
    assert augspec.to_numpy(mx.nd.zeros((3, 2, 2))).dtype == np.float32


def test_compiled_gluon_pipeline_keeps_block_apply_working() -> None:
    """Gluon's Block.apply(fn) walks child blocks; augspec's blocks must not shadow it."""
    spec = augspec.load("examples/cifar_recipe.json")
    for fidelity in ("native", "spec"):
        seen: list[str] = []
        augspec.compile(spec, backend="gluon", fidelity=fidelity).native.apply(
            lambda block, seen=seen: seen.append(type(block).__name__)
        )
        assert "RandomCrop" in seen and len(seen) >= 3, seen
