"""Op spaces of torchvision 0.29's policies and each sub-op as an augspec spec op (not yet an op).

Groundwork for ``trivial_augment_wide`` / ``rand_augment`` / ``auto_augment`` (issue 12,
"Policies"): a policy's params will carry, per chosen sub-op, the spec dict and params this
module gives, so every backend replays them through its own kernels of those ops.

Sources (torchvision 0.29.1, ``transforms/v2/_auto_augment.py`` ``_AUGMENTATION_SPACE`` and
``_apply_image_or_video_transform``; v1 ``transforms/autoaugment.py`` ``_augmentation_space``,
``_apply_op``): ShearX/Y = ``affine(shear=degrees(atan(m)), center=[0, 0])``; TranslateX/Y =
``affine(translate=[int(m), 0])`` (pixels, truncated toward 0); Rotate = ``rotate(m)``;
Brightness/Color/Contrast/Sharpness = ``adjust_*(1 + m)`` (Color is saturation); Posterize =
``posterize(int(m))``; Solarize = threshold ``255 * m`` (v2: ``linspace(1, 0)`` times the
dtype's max; v1: ``linspace(255, 0)``, the same on uint8); AutoContrast, Equalize, Invert,
Identity take no magnitude. Signed magnitudes are negated with probability 1/2.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

HW = tuple[int, int]
Space = dict[str, tuple[np.ndarray | None, bool]]  # name -> (magnitude bins or None, signed)


def _lin(lo: float, hi: float, n: int) -> np.ndarray:
    """torch.linspace in float32, bit for bit: a float32 step, the first half counted up from
    ``lo`` and the second down from ``hi``, each value rounded once (its fused multiply-add;
    float64 arithmetic then one cast gives the same bits, checked in tests/test_policy_space.py)."""
    step = np.float64((np.float32(hi) - np.float32(lo)) / np.float32(n - 1))
    i = np.arange(n)
    up = np.float64(np.float32(lo)) + step * i
    down = np.float64(np.float32(hi)) - step * (n - 1 - i)
    return np.where(i < n // 2, up, down).astype(np.float32)


def _posterize_bins(n: int, span: int) -> np.ndarray:
    # 8 - (arange(n) / ((n - 1) / span)).round(): torch's float32 division, round half to even.
    step = np.float32((n - 1) / span)
    return (8 - np.round(np.arange(n, dtype=np.float32) / step)).astype(np.int32)


def space(policy: str, num_bins: int, hw: HW) -> Space:
    """The op space of ``policy`` (``"wide"``: TrivialAugmentWide; ``"standard"``:
    AutoAugment / RandAugment), in torchvision's order (the order its index draws pick from)."""
    h, w = hw
    wide = policy == "wide"
    if policy not in ("wide", "standard"):
        raise ValueError(f"Expected policy 'wide' or 'standard'; received policy={policy!r}")
    top = 0.99 if wide else 0.9
    out: Space = {"Identity": (None, False)}
    out["ShearX"] = (_lin(0.0, top if wide else 0.3, num_bins), True)
    out["ShearY"] = (_lin(0.0, top if wide else 0.3, num_bins), True)
    out["TranslateX"] = (_lin(0.0, 32.0 if wide else 150.0 / 331.0 * w, num_bins), True)
    out["TranslateY"] = (_lin(0.0, 32.0 if wide else 150.0 / 331.0 * h, num_bins), True)
    out["Rotate"] = (_lin(0.0, 135.0 if wide else 30.0, num_bins), True)
    for name in ("Brightness", "Color", "Contrast", "Sharpness"):
        out[name] = (_lin(0.0, top, num_bins), True)
    out["Posterize"] = (_posterize_bins(num_bins, 6 if wide else 4), False)
    out["Solarize"] = (_lin(1.0, 0.0, num_bins), False)
    out["AutoContrast"] = (None, False)
    out["Equalize"] = (None, False)
    return out


def sub_op(
    name: str, magnitude: float, hw: HW, interpolation: str = "nearest", fill: Any = 0
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(spec op dict, its params) applying torchvision's sub-op ``name`` at ``magnitude``;
    None for ``Identity``."""
    h, w = hw
    geo = {"interpolation": interpolation, "fill": fill}
    none = {"angle": 0.0, "tx": 0, "ty": 0, "scale": 1.0, "shear_x": 0.0, "shear_y": 0.0}
    if name in ("ShearX", "ShearY"):
        s = math.degrees(math.atan(magnitude))
        shear = (s, s, 0.0, 0.0) if name == "ShearX" else (0.0, 0.0, s, s)
        op = {"op": "affine", "degrees": 0.0, "shear": shear, "center": (0, 0), **geo}
        key = "shear_x" if name == "ShearX" else "shear_y"
        return op, {**none, key: s}
    if name in ("TranslateX", "TranslateY"):
        t = int(magnitude)  # truncation toward 0, as torchvision's int(magnitude)
        frac = min(abs(t) / (w if name == "TranslateX" else h), 1.0)
        translate = (frac, 0.0) if name == "TranslateX" else (0.0, frac)
        op = {"op": "affine", "degrees": 0.0, "translate": translate, **geo}
        return op, {**none, ("tx" if name == "TranslateX" else "ty"): t}
    if name == "Rotate":
        op = {"op": "rotation", "degrees": (magnitude, magnitude), **geo}
        return op, {"apply": True, "angle": float(magnitude)}
    colour = {"Brightness": "brightness", "Color": "saturation", "Contrast": "contrast"}
    if name in colour:
        f = 1.0 + magnitude
        return {"op": colour[name], "factor": (f, f)}, {"factor": f}
    if name == "Sharpness":
        return {"op": "sharpness", "factor": 1.0 + magnitude, "p": 1.0}, {"apply": True}
    if name == "Posterize":
        return {"op": "posterize", "bits": int(magnitude), "p": 1.0}, {"apply": True}
    if name == "Solarize":
        return {"op": "solarize", "threshold": 255.0 * magnitude, "p": 1.0}, {"apply": True}
    simple = {"AutoContrast": "autocontrast", "Equalize": "equalize", "Invert": "invert"}
    if name in simple:
        return {"op": simple[name], "p": 1.0}, {"apply": True}
    if name == "Identity":
        return None  # no sub-op: the image as it is
    raise ValueError(
        f"Expected a torchvision policy sub-op (ShearX, ..., Identity); received name={name!r}"
    )


def _chosen(name: str, magnitude: float, hw: HW, interpolation: str, fill: Any) -> dict[str, Any]:
    made = sub_op(name, magnitude, hw, interpolation, fill)
    op, params = made if made is not None else (None, None)
    return {"name": name, "magnitude": magnitude, "op": op, "params": params}


def draw_trivial_wide(
    rng: np.random.Generator,
    hw: HW,
    num_bins: int = 31,
    interpolation: str = "nearest",
    fill: Any = 0,
) -> dict[str, Any]:
    """TrivialAugmentWide's draw: op (uniform over the space), bin (uniform), sign (1/2 each).
    Always three draws, whichever op comes out (the seeding contract)."""
    ops = space("wide", num_bins, hw)
    name = list(ops)[int(rng.integers(len(ops)))]
    k = int(rng.integers(num_bins))
    negate = bool(rng.random() < 0.5)
    bins, signed = ops[name]
    magnitude = 0.0 if bins is None else float(bins[k]) * (-1.0 if signed and negate else 1.0)
    return {"chosen": [_chosen(name, magnitude, hw, interpolation, fill)]}


def draw_rand_augment(
    rng: np.random.Generator,
    hw: HW,
    num_ops: int = 2,
    magnitude: int = 9,
    num_bins: int = 31,
    interpolation: str = "nearest",
    fill: Any = 0,
) -> dict[str, Any]:
    """RandAugment's draw: ``num_ops`` times an op (uniform) and a sign; the bin is fixed.
    Always two draws per op."""
    if not 0 <= magnitude < num_bins:
        raise ValueError(
            f"Expected magnitude in 0..{num_bins - 1} (a bin index); received magnitude={magnitude}"
        )
    ops = space("standard", num_bins, hw)
    chosen = []
    for _ in range(num_ops):
        name = list(ops)[int(rng.integers(len(ops)))]
        negate = bool(rng.random() < 0.5)
        bins, signed = ops[name]
        m = 0.0 if bins is None else float(bins[magnitude]) * (-1.0 if signed and negate else 1.0)
        chosen.append(_chosen(name, m, hw, interpolation, fill))
    return {"chosen": chosen}


def draw_auto_augment(
    rng: np.random.Generator, hw: HW, policy: str, interpolation: str = "nearest", fill: Any = 0
) -> dict[str, Any]:
    """AutoAugment's draw (as v1's ``get_params``): a sub-policy (uniform), then per sub-op a
    uniform ``u`` (applied when ``u <= p``) and a sign; always five draws."""
    from augspec.ops.policy_tables import POLICIES

    if policy not in POLICIES:
        raise ValueError(f"Expected policy one of {sorted(POLICIES)}; received policy={policy!r}")
    subs = POLICIES[policy]
    index = int(rng.integers(len(subs)))
    draws = [(float(rng.random()), bool(rng.random() < 0.5)) for _ in range(2)]
    ops = space("standard", 10, hw)
    chosen = []
    for (name, p, k), (u, negate) in zip(subs[index], draws, strict=True):
        if u <= p:
            bins, signed = ops.get(name, (None, False))  # Invert: no magnitude
            m = 0.0 if bins is None or k is None else float(bins[k])
            chosen.append(_chosen(name, -m if signed and negate else m, hw, interpolation, fill))
    return {"policy_index": index, "chosen": chosen}
