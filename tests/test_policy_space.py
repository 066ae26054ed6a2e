"""augspec/ops/policy_space.py: torchvision's policy op spaces and each sub-op as a spec op.

Checked against torchvision 0.29's own code: the magnitude bins bit for bit, and each sub-op
(our spec dict + params through the reference kernels) against v2's
``_apply_image_or_video_transform`` with the same op name and magnitude.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torchvision import tv_tensors
from torchvision.transforms import InterpolationMode, v2

from augspec.ops import MODEL_BY_NAME, apply_reference
from augspec.ops.policy_space import space, sub_op

HW = (13, 17)
CLASSES = {
    "wide": v2.TrivialAugmentWide(num_magnitude_bins=31),
    "standard": v2.RandAugment(num_magnitude_bins=31),
}
# Blends round in float32 in torchvision and exactly in the reference (their stated tolerances).
ROUNDING = {"Brightness": 2, "Color": 2, "Contrast": 2, "Sharpness": 2, "AutoContrast": 1}


@pytest.mark.parametrize("policy", ["wide", "standard"])
@pytest.mark.parametrize("bins", [10, 31])
@pytest.mark.parametrize("hw", [HW, (224, 224), (1, 331)])
def test_bins_are_torchvisions_bit_for_bit(policy: str, bins: int, hw: tuple[int, int]) -> None:
    ours = space(policy, bins, hw)
    theirs = CLASSES[policy]._AUGMENTATION_SPACE
    assert list(ours) == list(theirs)
    for name, (fn, signed) in theirs.items():
        t = fn(bins, *hw)
        mine, my_signed = ours[name]
        assert my_signed == signed, name
        assert (t is None) == (mine is None), name
        if t is not None and mine is not None:
            assert mine.dtype == t.numpy().dtype, name
            assert np.array_equal(mine, t.numpy()), name


def _cases() -> list[tuple[str, str, float]]:
    out = []
    for policy in ("wide", "standard"):
        for name, (bins, signed) in space(policy, 31, HW).items():
            for i in [0, 7, 30] if bins is not None else [0]:
                for sign in (1, -1) if signed else (1,):
                    m = float(bins[i]) * sign if bins is not None else 0.0
                    # 30 degrees puts nearest samples on exact .5 ties (sin 30 = 1/2): the
                    # rotation op's own documented difference, not the policy's.
                    if not (name == "Rotate" and abs(m) == 30.0):
                        out.append((policy, name, m))
    return out + [("auto", "Invert", 0.0)]


@pytest.mark.parametrize(("policy", "name", "magnitude"), _cases())
def test_sub_op_replays_torchvisions_apply(policy: str, name: str, magnitude: float) -> None:
    x = np.random.default_rng(0).integers(0, 256, (*HW, 3), dtype=np.uint8)
    cls = CLASSES.get(policy, v2.AutoAugment())
    t = tv_tensors.Image(torch.from_numpy(x).permute(2, 0, 1).contiguous())
    ref = cls._apply_image_or_video_transform(
        t, name, magnitude, interpolation=InterpolationMode.NEAREST, fill=cls._fill
    )
    made = sub_op(name, magnitude, HW)
    if made is None:
        ours = x
    else:
        op, params = made
        ours = apply_reference([MODEL_BY_NAME[op["op"]].model_validate(op)], [params], x)
    diff = np.abs(ours.astype(int) - ref.permute(1, 2, 0).numpy().astype(int)).max()
    assert diff <= ROUNDING.get(name, 0), (name, magnitude, diff)


def test_identity_is_no_sub_op_and_unknown_names_are_refused() -> None:
    assert sub_op("Identity", 0.0, HW) is None
    with pytest.raises(ValueError, match="received name='Blur'"):
        sub_op("Blur", 0.1, HW)
    with pytest.raises(ValueError, match="received policy='cifar'"):
        space("cifar", 31, HW)


class _Counting:
    """A numpy Generator that counts its draws."""

    def __init__(self, seed: int) -> None:
        self.rng, self.calls = np.random.default_rng(seed), 0

    def integers(self, n: int) -> int:
        self.calls += 1
        return int(self.rng.integers(n))

    def random(self) -> float:
        self.calls += 1
        return float(self.rng.random())


def test_draws_cover_the_space_with_a_fixed_draw_count() -> None:
    from augspec.ops.policy_space import draw_rand_augment, draw_trivial_wide

    seen: set[str] = set()
    for seed in range(400):
        rng = _Counting(seed)
        ta = draw_trivial_wide(rng, HW)  # type: ignore[arg-type]
        assert rng.calls == 3
        seen.add(ta["chosen"][0]["name"])
        rng = _Counting(seed)
        ra = draw_rand_augment(rng, HW)  # type: ignore[arg-type]
        assert rng.calls == 4 and len(ra["chosen"]) == 2
        for c in ra["chosen"]:  # magnitude 9 of 31 bins, signed
            bins, signed = space("standard", 31, HW)[c["name"]]
            expect = 0.0 if bins is None else float(bins[9])
            assert abs(c["magnitude"]) == expect
    assert seen == set(space("wide", 31, HW))
    with pytest.raises(ValueError, match="received magnitude=31"):
        draw_rand_augment(np.random.default_rng(0), HW, magnitude=31)


def test_auto_augment_tables_and_draws() -> None:
    from torchvision.transforms import AutoAugment, AutoAugmentPolicy

    from augspec.ops.policy_space import draw_auto_augment
    from augspec.ops.policy_tables import POLICIES

    for pol in AutoAugmentPolicy:
        assert [tuple(s) for s in AutoAugment(pol).policies] == list(POLICIES[pol.value])
        assert [tuple(s) for s in v2.AutoAugment(pol)._policies] == list(POLICIES[pol.value])
    for seed in range(50):
        rng = _Counting(seed)
        out = draw_auto_augment(rng, HW, "cifar10")  # type: ignore[arg-type]
        assert rng.calls == 5 and len(out["chosen"]) <= 2
    with pytest.raises(ValueError, match="received policy='cifar'"):
        draw_auto_augment(np.random.default_rng(0), HW, "cifar")
