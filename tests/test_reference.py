"""Reference kernels on small hand-computed images."""

from __future__ import annotations

import colorsys

import numpy as np
import pytest

import augspec
from augspec import reference
from augspec.contract import EXACT, OpRecord, record_for, records_table
from augspec.io import validate_data
from tests.op_cases import OP_CASES, TENSOR_OPS


def _spec(*ops: dict) -> augspec.Pipeline:
    return validate_data({"augspec": 1, "ops": list(ops)})


def _img(values: list) -> np.ndarray:
    return np.asarray(values, dtype=np.uint8)


def _run(op: dict, params: dict, image: np.ndarray) -> np.ndarray:
    spec = _spec(op)
    p = {"image_size": list(image.shape[:2]), "ops": [{"op": spec.ops[0].op, **params}]}
    return augspec.replay(spec, p, image)


RGB_2x2 = _img([[[10, 20, 30], [40, 50, 60]], [[70, 80, 90], [200, 210, 220]]])


def test_every_leaf_op_has_a_reference_record() -> None:
    assert set(OP_CASES) <= set(reference.RECORDS)


def test_records_refuse_duplicates_and_list_known_ops() -> None:
    hue = reference.RECORDS["hue"]
    with pytest.raises(ValueError, match="received a second for op='hue'"):
        records_table(hue, OpRecord("hue", hue.kernel, EXACT))
    with pytest.raises(ValueError, match=r"known: .*horizontal_flip.*received op='blur'"):
        record_for("reference", reference.RECORDS, "blur")


def test_flips() -> None:
    h = _run({"op": "horizontal_flip"}, {"apply": True}, RGB_2x2)
    assert h[0, 0].tolist() == [40, 50, 60] and h[1, 1].tolist() == [70, 80, 90]
    v = _run({"op": "vertical_flip"}, {"apply": True}, RGB_2x2)
    assert v[0, 0].tolist() == [70, 80, 90]
    assert np.array_equal(_run({"op": "vertical_flip"}, {"apply": False}, RGB_2x2), RGB_2x2)


def test_brightness_rounds_half_up_and_clips() -> None:
    out = _run({"op": "brightness", "factor": 0.5}, {"factor": 1.25}, RGB_2x2)
    # 10*1.25 = 12.5 -> 13; 220*1.25 = 275 -> 255
    assert out[0, 0].tolist() == [13, 25, 38] and out[1, 1].tolist() == [250, 255, 255]


def test_contrast_blends_with_mean_grey() -> None:
    img = _img([[[0, 0, 0], [100, 100, 100]]])
    out = _run({"op": "contrast", "factor": 0.5}, {"factor": 0.5}, img)
    # mean grey = 50; 0.5*0 + 0.5*50 = 25; 0.5*100 + 25 = 75
    assert out[0, 0].tolist() == [25, 25, 25] and out[0, 1].tolist() == [75, 75, 75]


def test_saturation_zero_gives_grey() -> None:
    img = _img([[[255, 0, 0]]])
    out = _run({"op": "saturation", "factor": 1.0}, {"factor": 0.0}, img)  # range [0, 2]
    assert out[0, 0].tolist() == [76, 76, 76]  # 0.299 * 255 = 76.245


@pytest.mark.parametrize("shift", [0.0, 1 / 3, -0.25, 0.5])
def test_hue_matches_colorsys(shift: float) -> None:
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    out = _run({"op": "hue", "factor": 0.5}, {"factor": shift}, img)
    for y, x in [(0, 0), (2, 3), (4, 6)]:
        r, g, b = img[y, x] / 255.0
        hh, s, v = colorsys.rgb_to_hsv(r, g, b)
        expect = np.floor(np.array(colorsys.hsv_to_rgb((hh + shift) % 1.0, s, v)) * 255 + 0.5)
        assert out[y, x].tolist() == expect.astype(int).tolist()


def test_hue_third_turn_permutes_primaries() -> None:
    img = _img([[[255, 0, 0], [0, 255, 0]]])
    out = _run({"op": "hue", "factor": 0.5}, {"factor": 1 / 3}, img)
    assert out[0, 0].tolist() == [0, 255, 0] and out[0, 1].tolist() == [0, 0, 255]


def test_color_jitter_applies_in_the_given_order() -> None:
    img = _img([[[100, 150, 200]]])
    p = {
        "order": ["brightness", "saturation", "contrast", "hue"],
        "brightness": 2.0,
        "contrast": None,
        "saturation": 0.0,
        "hue": None,
    }
    out = _run({"op": "color_jitter", "brightness": 1, "saturation": 1}, p, img)
    # brightness first: (200, 255, 255) clipped, then grey 0.299*200 + 0.587*255 + 0.114*255 = 238.6
    assert out[0, 0].tolist() == [239, 239, 239]
    p["order"] = ["saturation", "brightness", "contrast", "hue"]
    out = _run({"op": "color_jitter", "brightness": 1, "saturation": 1}, p, img)
    # grey 0.299*100 + 0.587*150 + 0.114*200 = 140.75, then *2 = 281.5 -> 255
    assert out[0, 0].tolist() == [255, 255, 255]


def test_lighting_adds_the_pca_offset() -> None:
    img = np.full((2, 2, 3), 100, np.uint8)
    alpha = [0.1, 0.0, 0.0]
    out = _run({"op": "lighting"}, {"alpha": alpha}, img)
    offset = 0.1 * 55.46 * np.array([-0.5675, -0.5808, -0.5836])
    assert out[0, 0].tolist() == np.floor(100 + offset + 0.5).astype(int).tolist()


def test_to_tensor_and_normalize() -> None:
    spec = _spec({"op": "to_tensor"}, {"op": "normalize", "mean": [0.5], "std": [0.25]})
    p = augspec.sample(spec, 0, 0, 0, (2, 2))
    out = augspec.replay(spec, p, RGB_2x2)
    assert out.shape == (3, 2, 2) and out.dtype == np.float32
    assert out[0, 0, 0] == pytest.approx((10 / 255 - 0.5) / 0.25)
    assert out[2, 1, 1] == pytest.approx((220 / 255 - 0.5) / 0.25)


def test_center_crop_and_random_crop_with_padding() -> None:
    img = np.arange(5 * 6 * 3, dtype=np.uint8).reshape(5, 6, 3)
    out = _run({"op": "center_crop", "size": [3, 2]}, {}, img)
    assert np.array_equal(out, img[1:4, 2:4])  # round((5-3)/2)=1, round((6-2)/2)=2
    out = _run({"op": "random_crop", "size": [4, 4], "padding": 1}, {"top": 0, "left": 3}, img)
    assert out[0].sum() == 0  # the zero padding row
    assert np.array_equal(out[1:, :3], img[0:3, 2:5])


def test_resize_identity_and_nearest() -> None:
    assert np.array_equal(_run({"op": "resize", "size": [2, 2]}, {}, RGB_2x2), RGB_2x2)
    up = _run({"op": "resize", "size": [4, 4], "interpolation": "nearest"}, {}, RGB_2x2)
    assert np.array_equal(up, RGB_2x2.repeat(2, 0).repeat(2, 1))


def test_bilinear_upscale_is_the_triangle_filter() -> None:
    row = _img([[[0, 0, 0], [100, 100, 100]]])
    out = _run({"op": "resize", "size": [1, 4]}, {}, row)
    # output centres at input coordinates 0.25, 0.75, 1.25, 1.75 (pixel units, +0.5 convention):
    # clamped at the edges -> 0, 25, 75, 100
    assert out[0, :, 0].tolist() == [0, 25, 75, 100]


def test_bilinear_downscale_by_two_averages_with_antialiasing() -> None:
    row = _img([[[0] * 3, [40] * 3, [80] * 3, [120] * 3]])
    out = _run({"op": "resize", "size": [1, 2]}, {}, row)
    # triangle of half-width 2 centred at 1.0 and 3.0: weights 1/8, 3/8, 3/8, 1/8 (normalised)
    # left: (0*3 + 40*3 + 80*1) / 7 = 28.57 -> 29 ; right: (40*1 + 80*3 + 120*3) / 7 = 91.4 -> 91
    assert out[0, :, 0].tolist() == [29, 91]


def test_resize_int_keeps_aspect_shorter_side() -> None:
    img = np.zeros((30, 45, 3), np.uint8)
    assert _run({"op": "resize", "size": 20}, {}, img).shape == (20, 30, 3)
    assert _run({"op": "resize", "size": 7}, {}, np.zeros((10, 15, 3), np.uint8)).shape == (
        7,
        10,
        3,
    )


def test_random_resized_crop_crops_then_resizes() -> None:
    img = np.arange(8 * 8 * 3, dtype=np.uint8).reshape(8, 8, 3)
    out = _run(
        {"op": "random_resized_crop", "size": 4, "interpolation": "nearest"},
        {"top": 2, "left": 2, "height": 4, "width": 4},
        img,
    )
    assert np.array_equal(out, img[2:6, 2:6])


@pytest.mark.parametrize(
    ("image", "needle"),
    [
        (np.zeros((4, 4), np.uint8), "grayscale"),
        (np.zeros((4, 4, 1), np.uint8), "grayscale"),
        (np.zeros((4, 4, 4), np.uint8), "RGBA"),
        (np.zeros((4, 4, 3), np.float32), "Expected dtype uint8"),
        (np.zeros((0, 4, 3), np.uint8), "height and width >= 1"),
    ],
)
def test_bad_images_are_refused(image: np.ndarray, needle: str) -> None:
    spec = _spec({"op": "horizontal_flip"})
    with pytest.raises(ValueError, match=needle):
        augspec.replay(
            spec, {"image_size": [4, 4], "ops": [{"op": "horizontal_flip", "apply": True}]}, image
        )


def test_replay_refuses_an_image_of_another_size() -> None:
    spec = _spec({"op": "horizontal_flip"})
    params = augspec.sample(spec, 0, 0, 0, (4, 4))
    with pytest.raises(
        ValueError, match=r"Expected the size the params were sampled for, \[4, 4\]"
    ):
        augspec.replay(spec, params, np.zeros((5, 4, 3), np.uint8))


@pytest.mark.parametrize("name", sorted(set(OP_CASES) - TENSOR_OPS - {"to_tensor"}))
def test_every_image_op_keeps_uint8_hwc(name: str, photo: np.ndarray) -> None:
    spec = validate_data({"augspec": 1, "ops": [OP_CASES[name][0]]})
    small = photo[::8, ::8]
    out = augspec.replay(spec, augspec.sample(spec, 0, 0, 0, small.shape[:2]), small)
    assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3
