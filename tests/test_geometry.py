"""The geometry ops (augspec/ops/geometry.py): ``pad`` and ``rotation`` on known values, what the
spec refuses, the frameworks' own argument names, the sign of the angle in each framework, and
replay on every backend (edge images included) within the records' tolerances."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from augspec.benchmarks.torch_cases import edge_images

import augspec
from augspec.errors import SpecError
from augspec.native_names import native_class
from augspec.ops.geometry import Rotation, pad_image, rotate, zoom_scale
from augspec.pipeline import trace_hw

from .conftest import require_mxnet

ROW = np.arange(1, 4, dtype=np.uint8).reshape(1, 3, 1).repeat(3, axis=2)  # [1 2 3]
RNG = np.random.default_rng(3)
NOISE = RNG.integers(0, 256, (9, 9, 3), dtype=np.uint8)


def _spec(op: dict[str, Any]) -> Any:
    return augspec.validate_data({"augspec": 1, "ops": [op]})


def _replay(
    op: dict[str, Any], image: np.ndarray, backend: str, fidelity: str, **params: Any
) -> np.ndarray:
    spec = _spec(op)
    drawn = augspec.sample(spec, 0, image_size=image.shape[:2])
    drawn["ops"][0].update(params)
    module = augspec.backend(backend)
    out = np.asarray(module.to_numpy(module.replay(spec, drawn, image, fidelity)))
    if out.ndim == 4:
        out = out[0]
    return (
        out
        if out.shape[-1] == 3 and out.ndim == 3 and out.shape[0] != 3
        else out.transpose(1, 2, 0)
    )


@pytest.mark.parametrize(
    ("mode", "row"),
    [
        ("constant", [9, 1, 2, 3, 9, 9]),
        ("edge", [1, 1, 2, 3, 3, 3]),
        ("reflect", [2, 1, 2, 3, 2, 1]),
        ("symmetric", [1, 1, 2, 3, 3, 2]),
    ],
)
def test_pad_modes_on_known_values(mode: str, row: list[int]) -> None:
    out = pad_image(ROW, (1, 0, 2, 0), 9, mode)  # left 1, right 2
    assert out[0, :, 0].tolist() == row


def test_pad_sides_follow_torchvisions_order() -> None:
    assert _spec({"op": "Pad", "padding": 2}).ops[0].sides == (2, 2, 2, 2)
    assert _spec({"op": "Pad", "padding": [1, 2]}).ops[0].sides == (1, 2, 1, 2)
    four = _spec({"op": "pad", "padding": [1, 2, 3, 4], "fill": [5, 6, 7]})
    assert four.ops[0].sides == (1, 2, 3, 4)  # left, top, right, bottom
    assert trace_hw(four, (10, 20))[-1] == (16, 24)
    out = augspec.replay(four, augspec.sample(four, 0, image_size=(1, 1)), NOISE[:1, :1])
    assert out.shape == (7, 5, 3) and out[2, 1].tolist() == NOISE[0, 0].tolist()
    assert out[0, 0].tolist() == [5, 6, 7]


@pytest.mark.parametrize(
    ("op", "hw", "message"),
    [
        ({"op": "pad", "padding": 3, "padding_mode": "reflect"}, (3, 9), "smaller than"),
        ({"op": "pad", "padding": [4, 0], "padding_mode": "symmetric"}, (9, 3), "at most"),
    ],
)
def test_mirrored_padding_wider_than_the_image_is_refused(
    op: dict, hw: tuple[int, int], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        trace_hw(_spec(op), hw)


@pytest.mark.parametrize(
    "op",
    [
        {"op": "pad", "padding": -1},
        {"op": "pad", "padding": [1, 2, 3]},
        {"op": "pad", "padding": 1, "padding_mode": "wrap"},
        {"op": "rotation", "degrees": -5},
        {"op": "rotation", "degrees": [10, 5]},
        {"op": "rotation", "degrees": 5, "expand": True},
        {"op": "rotation", "degrees": 5, "zoom_in": True, "zoom_out": True},
        {"op": "rotation", "degrees": 5, "interpolation": "bicubic"},
        {"op": "RandomRotation", "degrees": 5, "fill": 256},
    ],
)
def test_what_the_spec_refuses(op: dict) -> None:
    with pytest.raises(SpecError):
        _spec(op)


def _op(**fields: Any) -> Rotation:
    return Rotation(**{"degrees": 0, **fields})


def test_rotation_by_zero_is_the_image() -> None:
    for interpolation in ("nearest", "bilinear"):
        assert np.array_equal(rotate(NOISE, _op(interpolation=interpolation), 0.0), NOISE)


def test_a_quarter_turn_is_counter_clockwise_on_screen() -> None:
    for interpolation in ("nearest", "bilinear"):
        out = rotate(NOISE, _op(interpolation=interpolation), 90.0)
        assert np.array_equal(out, np.rot90(NOISE, 1))  # numpy's rot90: counter-clockwise
    assert np.array_equal(rotate(NOISE, _op(), 180.0), NOISE[::-1, ::-1])


def test_fill_outside_and_blended_at_the_border() -> None:
    flat = np.full((8, 8, 3), 200, np.uint8)
    out = rotate(flat, _op(interpolation="bilinear", fill=(0, 100, 255)), 45.0)
    assert out[0, 0].tolist() == [0, 100, 255]  # a corner's source lies far outside
    assert out[4, 4].tolist() == [200, 200, 200]
    # on the border band the fill is blended in bilinearly: values strictly between
    band = out[..., 0][(out[..., 0] > 0) & (out[..., 0] < 200)]
    assert band.size > 0


def test_zoom_scale_is_glouns_formula() -> None:
    assert zoom_scale(0.0, (10, 20), False, True) == pytest.approx(1.0)
    assert zoom_scale(90.0, (10, 20), False, True) == pytest.approx(2.0)  # 20 wide fits 10 high
    assert zoom_scale(90.0, (10, 20), True, False) == pytest.approx(0.5)
    assert zoom_scale(30.0, (10, 20), False, False) == 1.0


def test_rotation_sampler_draws_apply_and_angle_always() -> None:
    spec = _spec({"op": "rotation", "degrees": [10, 20], "p": 0.5})
    drawn = [augspec.sample(spec, 1, index=i, image_size=(5, 5))["ops"][0] for i in range(200)]
    assert all(10 <= d["angle"] <= 20 for d in drawn)
    assert 50 < sum(d["apply"] for d in drawn) < 150
    params = augspec.sample(spec, 1, image_size=(5, 5))
    params["ops"][0]["angle"] = 25.0
    with pytest.raises(ValueError, match="angle"):
        augspec.replay(spec, params, NOISE[:5, :5])


def test_native_argument_names() -> None:
    gluon = native_class("gluon", "RandomRotation")
    assert gluon.to_spec({"angle_limits": (-10, 20), "rotate_with_proba": 0.3}) == {
        "op": "rotation",
        "degrees": [-10, 20],
        "p": 0.3,
        "interpolation": "bilinear",
        "zoom_in": False,
        "zoom_out": False,
    }
    rotate_class = native_class("gluon", "Rotate")
    assert rotate_class.to_spec({"rotation_degrees": 15, "zoom_in": True})["degrees"] == [15, 15]
    assert rotate_class.from_spec(
        {"op": "rotation", "degrees": [15, 15], "interpolation": "bilinear"}
    ) == {"rotation_degrees": 15}
    tv = native_class("torchvision", "RandomRotation")
    assert tv.to_spec({"degrees": 30})["interpolation"] == "nearest"
    with pytest.raises(ValueError, match="p=1"):
        tv.from_spec({"op": "rotation", "degrees": 30, "p": 0.5})
    with pytest.raises(ValueError, match="bilinear"):
        gluon.from_spec({"op": "rotation", "degrees": 30})
    pad = native_class("torchvision", "Pad")
    assert pad.to_spec({"padding": [3], "padding_mode": "edge"}) == {
        "op": "pad",
        "padding": 3,
        "fill": 0,
        "padding_mode": "edge",
    }


def test_gluon_conventions_read_gluons_names() -> None:
    spec = augspec.validate_data(
        {
            "augspec": 1,
            "conventions": "gluon",
            "ops": [{"op": "RandomRotation", "angle_limits": [-10, 10]}],
        }
    )
    op = spec.ops[0]
    assert op.range == (-10.0, 10.0) and op.interpolation == "bilinear"
    with pytest.raises(SpecError, match="conventions: gluon"):
        augspec.validate_data(
            {"augspec": 1, "ops": [{"op": "RandomRotation", "angle_limits": [-10, 10]}]}
        )


def test_torchvision_turns_the_same_way() -> None:
    import torch
    from torchvision.transforms import functional as F

    x = torch.from_numpy(NOISE.transpose(2, 0, 1).copy())
    out = F.rotate(x, 90.0, F.InterpolationMode.BILINEAR).numpy().transpose(1, 2, 0)
    assert np.abs(out.astype(int) - rotate(NOISE, _op(interpolation="bilinear"), 90.0)).max() <= 1


def test_gluon_turns_the_same_way() -> None:
    require_mxnet()
    from augspec.backends.gluon_geometry import native_rotate
    from augspec.backends.gluon_mx import mx

    op = _op(interpolation="bilinear")
    out = native_rotate(op, 90.0, mx.nd.array(NOISE, dtype="uint8")).asnumpy()
    assert np.abs(out.astype(int) - rotate(NOISE, op, 90.0)).max() <= 1


CASES = [
    {"op": "pad", "padding": [1, 2, 0, 3], "fill": [10, 20, 30]},
    {"op": "pad", "padding": 1, "padding_mode": "reflect"},
    {"op": "pad", "padding": [0, 1], "padding_mode": "symmetric"},
    {"op": "pad", "padding": 2, "padding_mode": "edge"},
    {"op": "rotation", "degrees": 30, "interpolation": "bilinear", "fill": 7},
    {"op": "RandomRotation", "degrees": [-40, 40]},
    {
        "op": "rotation",
        "degrees": [-20, 20],
        "interpolation": "bilinear",
        "zoom_out": True,
        "p": 0.5,
    },
    {"op": "rotation", "degrees": [5, 5], "interpolation": "bilinear", "zoom_in": True},
    {"op": "RandomAffine", "degrees": 20, "translate": [0.2, 0.1], "scale": [0.7, 1.3], "shear": 8},
    {"op": "affine", "degrees": [0, 0], "shear": [-20, 20, -10, 10], "interpolation": "bilinear"},
]
BACKENDS = ("torchvision", "torchvision-v2", "gluon", "torch-batched")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "case", CASES, ids=lambda c: f"{c['op']}-{c.get('padding_mode', c.get('degrees'))}"
)
def test_spec_fidelity_within_tolerance_on_edge_images(case: dict, backend: str) -> None:
    if backend == "gluon":
        require_mxnet()
    module = augspec.backend(backend)
    spec = _spec(case)
    tol = module.tolerance(spec.ops[0])
    for name, image in edge_images().items():
        hw = image.shape[:2]
        try:
            trace_hw(spec, hw)
        except ValueError:
            continue  # refused alike on every backend
        params = augspec.sample(spec, 2, index=1, image_size=hw)
        if "apply" in params["ops"][0]:
            params["ops"][0]["apply"] = True
        ref = augspec.replay(spec, params, image).astype(np.float64)
        out = np.asarray(module.to_numpy(module.replay(spec, params, image, "spec")), np.float64)
        if out.ndim == 4:
            out = out[0]
        if out.shape != ref.shape:
            out = out.transpose(1, 2, 0)
        diff = np.abs(out - ref)
        assert tol.allows(float(diff.max()), float(diff.mean())), (name, diff.max(), diff.mean())


def test_from_spec_kwargs_build_the_live_classes() -> None:
    from torchvision import transforms as T
    from torchvision.transforms import v2

    op = {"op": "rotation", "degrees": [-10.0, 20.0], "interpolation": "bilinear", "fill": 3}
    for framework, module in (("torchvision", T), ("torchvision-v2", v2)):
        kwargs = native_class(framework, "RandomRotation").from_spec(op)
        kwargs["interpolation"] = T.InterpolationMode(kwargs["interpolation"])
        assert isinstance(module.RandomRotation(**kwargs), module.RandomRotation)
        pad = native_class(framework, "Pad").from_spec({"op": "pad", "padding": [1, 2]})
        assert isinstance(module.Pad(**pad), module.Pad)
    require_mxnet()
    from augspec.backends.gluon_mx import transforms

    gluon_op = {**op, "fill": 0, "zoom_out": True}
    kwargs = native_class("gluon", "RandomRotation").from_spec(gluon_op)
    assert isinstance(transforms.RandomRotation(**kwargs), transforms.RandomRotation)
    fixed = native_class("gluon", "Rotate").from_spec({**gluon_op, "degrees": [7, 7]})
    assert isinstance(transforms.Rotate(**fixed), transforms.Rotate)


def test_affine_is_rotation_clockwise_and_torchvisions_matrix() -> None:
    from augspec.ops.affine import Affine, _affine

    op = Affine(degrees=90, interpolation="bilinear")
    quarter = {"angle": 90.0, "tx": 0, "ty": 0, "scale": 1.0, "shear_x": 0.0, "shear_y": 0.0}
    assert np.array_equal(_affine(op, quarter, NOISE, "native"), np.rot90(NOISE, -1))  # clockwise
    shifted = _affine(op, {**quarter, "angle": 0.0, "tx": 2, "ty": 1}, NOISE, "native")
    assert np.array_equal(shifted[1:, 2:], NOISE[:-1, :-2]) and shifted[0, 0].tolist() == [0, 0, 0]


def test_affine_on_tensors_matches_torchvisions_inside() -> None:
    import torch
    from torchvision.transforms import functional as F

    from augspec.ops.affine import Affine, _affine

    big = np.ascontiguousarray(np.kron(NOISE, np.ones((4, 4, 1), np.uint8)))  # 36x36, smooth
    op = Affine(degrees=30, interpolation="bilinear", fill=0)
    p = {"angle": 17.0, "tx": 2, "ty": -1, "scale": 0.9, "shear_x": 6.0, "shear_y": -4.0}
    ref = _affine(op, p, big, "native").astype(int)
    x = torch.from_numpy(big.transpose(2, 0, 1).copy())
    out = F.affine(x, 17.0, [2, -1], 0.9, [6.0, -4.0], F.InterpolationMode.BILINEAR)
    diff = np.abs(out.numpy().transpose(1, 2, 0).astype(int) - ref)
    assert diff[8:-8, 8:-8].max() <= 1  # inside; the border band differs (docs/geometry.md)


def test_affine_sampler_follows_torchvisions_draws() -> None:
    spec = _spec({"op": "affine", "degrees": 10, "translate": [0.1, 0.5], "scale": [0.5, 2.0]})
    drawn = [augspec.sample(spec, 3, index=i, image_size=(10, 40))["ops"][0] for i in range(100)]
    assert all(abs(d["tx"]) <= 4 and abs(d["ty"]) <= 5 and isinstance(d["tx"], int) for d in drawn)
    assert all(0.5 <= d["scale"] <= 2.0 and d["shear_x"] == 0.0 for d in drawn)
    params = augspec.sample(spec, 1, image_size=(10, 40))
    params["ops"][0]["tx"] = 9
    with pytest.raises(ValueError, match="tx"):
        augspec.replay(spec, params, np.zeros((10, 40, 3), np.uint8))


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_gluon_takes_a_subnormal_angle(interpolation: str) -> None:
    """mxnet refuses subnormal scalars ("Out of range value for scalar"); a rotation by a
    subnormal angle is the image itself on every backend (found by tests/test_properties.py)."""
    require_mxnet()
    spec = augspec.validate_data(
        {
            "augspec": 1,
            "ops": [{"op": "rotation", "degrees": 2.2e-309, "interpolation": interpolation}],
        }
    )
    image = np.arange(5 * 7 * 3, dtype=np.uint8).reshape(5, 7, 3)
    params = augspec.sample(spec, seed=0, epoch=0, index=0, image_size=(5, 7))
    out = augspec.to_numpy(augspec.replay(spec, params, image, backend="gluon", fidelity="spec"))
    np.testing.assert_array_equal(out, image)
