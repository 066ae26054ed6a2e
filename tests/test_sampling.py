"""Sampler laws with fixed seeds, and the seeding contract."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import augspec
from augspec.io import validate_data
from augspec.sampling import check_replay, generator, rrc_box
from tests.op_cases import all_cases, pipeline_for


def _spec(*ops: dict) -> augspec.Pipeline:
    return validate_data({"augspec": 1, "ops": list(ops)})


def _draws(spec: augspec.Pipeline, n: int, hw=(64, 80), seed: int = 7) -> list[dict]:
    return [augspec.sample(spec, seed, 0, i, hw)["ops"][0] for i in range(n)]


@pytest.mark.parametrize(
    ("name", "case"), all_cases(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_params_are_json_and_check_against_their_spec(name: str, case: dict) -> None:
    spec = validate_data(pipeline_for(case))
    params = augspec.sample(spec, 1, 2, 3, (48, 40))
    assert json.loads(json.dumps(params)) == params
    assert params["ops"][-1]["op"] == name
    assert check_replay(spec, params, (48, 40)) == params["ops"]


def test_seeding_contract_depends_only_on_seed_epoch_index() -> None:
    spec = augspec.load("examples/combined_augs.yaml")
    a = augspec.sample(spec, 3, 1, 42, (300, 400))
    # Draw other samples first, in another order: must not change sample 42.
    for i in (5, 0, 41, 43):
        augspec.sample(spec, 3, 1, i, (300, 400))
    assert augspec.sample(spec, 3, 1, 42, (300, 400)) == a
    assert augspec.sample(spec, 3, 2, 42, (300, 400)) != a
    assert augspec.sample(spec, 4, 1, 42, (300, 400)) != a
    assert augspec.sample(spec, 3, 1, 43, (300, 400)) != a


def test_contract_generator_is_seedsequence_of_the_triple() -> None:
    expected = np.random.Generator(np.random.PCG64(np.random.SeedSequence([9, 1, 5]))).random(4)
    assert np.array_equal(generator(9, 1, 5).random(4), expected)


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True])
def test_bad_seed_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="Expected seed as an int >= 0"):
        generator(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 1.0])
def test_flip_rate(p: float) -> None:
    n = 2000
    rate = np.mean([d["apply"] for d in _draws(_spec({"op": "horizontal_flip", "p": p}), n)])
    # 4.5 binomial standard deviations: fails by chance about once in 150 000 runs.
    assert abs(rate - p) <= 4.5 * math.sqrt(p * (1 - p) / n) + 1e-12


@pytest.mark.parametrize(
    ("op", "lo", "hi"),
    [
        ({"op": "brightness", "factor": 0.5}, 0.5, 1.5),
        ({"op": "contrast", "factor": 1.5}, 0.0, 2.5),  # clamped at 0
        ({"op": "saturation", "factor": [0.2, 0.4]}, 0.2, 0.4),
        ({"op": "hue", "factor": 0.3}, -0.3, 0.3),
    ],
)
def test_factor_ranges_are_uniform(op: dict, lo: float, hi: float) -> None:
    f = np.array([d["factor"] for d in _draws(_spec(op), 2000)])
    assert f.min() >= lo and f.max() <= hi
    # Uniform: mean and quartiles close to the law's.
    assert abs(f.mean() - (lo + hi) / 2) < 0.03 * (hi - lo)
    q1, q3 = np.quantile(f, [0.25, 0.75])
    assert abs(q1 - (lo + 0.25 * (hi - lo))) < 0.04 * (hi - lo)
    assert abs(q3 - (lo + 0.75 * (hi - lo))) < 0.04 * (hi - lo)


def test_color_jitter_order_is_a_uniform_permutation() -> None:
    spec = _spec(
        {"op": "color_jitter", "brightness": 0.5, "contrast": 0.5, "saturation": 0.5, "hue": 0.1}
    )
    draws = _draws(spec, 2400)
    orders = [tuple(d["order"]) for d in draws]
    assert all(sorted(o) == ["brightness", "contrast", "hue", "saturation"] for o in orders)
    counts = np.array([orders.count(o) for o in set(orders)])
    assert len(counts) == 24 and counts.min() > 50  # expected 100 each
    assert all(-0.1 <= d["hue"] <= 0.1 and 0.5 <= d["brightness"] <= 1.5 for d in draws)


def test_color_jitter_skips_inactive_components() -> None:
    [d] = _draws(_spec({"op": "color_jitter", "brightness": 0.2}), 1)
    assert d["contrast"] is None and d["saturation"] is None and d["hue"] is None
    assert 0.8 <= d["brightness"] <= 1.2


def test_lighting_alpha_is_normal() -> None:
    a = np.array([d["alpha"] for d in _draws(_spec({"op": "lighting", "alphastd": 0.1}), 3000)])
    assert a.shape == (3000, 3)
    assert np.all(np.abs(a.mean(0)) < 0.01) and np.all(np.abs(a.std(0) - 0.1) < 0.006)


def test_random_resized_crop_area_and_aspect_laws() -> None:
    hw = (400, 500)
    scale, ratio = (0.1, 1.0), (0.5, 2.0)
    rng = np.random.default_rng(0)
    boxes = np.array([rrc_box(hw, scale, ratio, rng) for _ in range(4000)])
    top, left, h, w = boxes.T
    assert np.all(top >= 0) and np.all(left >= 0)
    assert np.all(top + h <= hw[0]) and np.all(left + w <= hw[1])
    area = h * w / (hw[0] * hw[1])
    aspect = w / h
    # Rounding to whole pixels widens the laws by a little.
    assert area.min() >= 0.1 - 0.01 and area.max() <= 1.0
    assert aspect.min() >= 0.5 - 0.02 and aspect.max() <= 2.0 + 0.02
    # log-aspect is uniform on [log 0.5, log 2] for accepted boxes with small areas
    # (large areas are rejected more often at extreme aspects).
    small = area < 0.3
    la = np.log(aspect[small])
    assert abs(la.mean()) < 0.05
    assert np.mean(la < 0) == pytest.approx(0.5, abs=0.05)


def test_random_resized_crop_falls_back_to_the_centre() -> None:
    # No box with area >= 0.99 fits an aspect in [3, 4] on a square image.
    rng = np.random.default_rng(0)
    top, left, h, w = rrc_box((100, 100), (0.99, 1.0), (3.0, 4.0), rng)
    assert (h, w) == (33, 100) and (top, left) == (33, 0)


def test_random_crop_positions_cover_the_padded_range() -> None:
    draws = _draws(_spec({"op": "random_crop", "size": 32, "padding": 4}), 2000, hw=(32, 32))
    tops = {d["top"] for d in draws}
    lefts = {d["left"] for d in draws}
    assert tops == set(range(9)) and lefts == set(range(9))


def test_random_crop_larger_than_image_is_refused() -> None:
    with pytest.raises(ValueError, match=r"random_crop: Expected size <= padded image size 20x20"):
        augspec.sample(_spec({"op": "random_crop", "size": 32, "padding": 2}), 0, 0, 0, (16, 16))


def test_sizes_are_traced_through_the_pipeline() -> None:
    spec = _spec(
        {"op": "resize", "size": 40},
        {"op": "center_crop", "size": 40},
        {"op": "random_crop", "size": 30},
    )
    params = augspec.sample(spec, 0, 0, 0, (80, 120))
    top, left = params["ops"][2]["top"], params["ops"][2]["left"]
    assert 0 <= top <= 10 and 0 <= left <= 10


def test_random_apply_samples_children_whatever_it_decides() -> None:
    spec = _spec(
        {"op": "random_apply", "p": 0.5, "ops": [{"op": "brightness", "factor": 0.5}]},
        {"op": "hue", "factor": 0.2},
    )
    draws = [augspec.sample(spec, 0, 0, i, (8, 8))["ops"] for i in range(400)]
    applied = [d[0]["apply"] for d in draws]
    assert 150 < sum(applied) < 250
    assert all(len(d[0]["ops"]) == 1 and "factor" in d[0]["ops"][0] for d in draws)


def test_check_replay_refuses_params_of_another_spec() -> None:
    a = _spec({"op": "horizontal_flip"})
    b = _spec({"op": "vertical_flip"})
    with pytest.raises(ValueError, match=r"ops\[0\]: Expected params for op='vertical_flip'"):
        check_replay(b, augspec.sample(a, 0, 0, 0, (4, 4)), (4, 4))
    with pytest.raises(ValueError, match="Expected a list of 2 params dicts"):
        check_replay(
            _spec({"op": "hue", "factor": 0.1}, {"op": "to_tensor"}),
            augspec.sample(a, 0, 0, 0, (4, 4)),
            (4, 4),
        )
