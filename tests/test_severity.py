"""Severity classes: each class assigned to a planted difference, and to a real one."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

import augspec
from augspec import reference
from augspec.contract import Tolerance
from augspec.parity import replay_parity
from augspec.parity.cases import Case
from augspec.parity.severity import (
    BIT_EXACT,
    CONVENTION,
    GEOMETRIC,
    ROUNDING,
    UNDEFINED,
    VISIBLE,
    classify,
    classify_arrays,
    classify_stats,
    moves_pixels,
)
from augspec.parity.units import Unit
from augspec.parity.verdicts import judge_unit

from .conftest import require_mxnet

DOCS = Path(__file__).parent.parent / "docs"


def _image(h: int = 12, w: int = 10) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)


# ---- planted: synthetic arrays and records fed to the classifier -----------------------------


def test_planted_arrays_get_each_class() -> None:
    x = _image()
    plus = np.clip(x.astype(int) + np.array([0, 1, 2]), 0, 255).astype(np.uint8)
    brighter = np.clip(x.astype(int) + 12, 0, 255).astype(np.uint8)
    shifted = np.roll(x, 1, axis=1)
    garbage = x.copy()
    garbage[:, 5] = 0
    garbage_again = x.copy()
    garbage_again[:, 5] = 77
    assert classify_arrays(x, x.copy(), geometric_op=False) == BIT_EXACT
    assert classify_arrays(plus, x, geometric_op=False) == ROUNDING
    assert classify_arrays(plus, x, geometric_op=True) == ROUNDING  # 2 levels: rounding anywhere
    assert classify_arrays(brighter, x, geometric_op=False) == VISIBLE
    assert classify_arrays(shifted, x, geometric_op=True) == GEOMETRIC
    assert classify_arrays(x[:, :9], x, geometric_op=False) == GEOMETRIC  # sizes differ
    assert classify_arrays(garbage, x, geometric_op=True, a_again=garbage_again) == UNDEFINED
    # stable output: the same replay twice is not undefined, however large the difference
    assert classify_arrays(garbage, x, geometric_op=True, a_again=garbage.copy()) == GEOMETRIC


def test_planted_records_get_each_class() -> None:
    def rec(mx: float | None, **kw: Any) -> dict[str, Any]:
        return {"max": mx, "unstable_pixels": 0, "shape_mismatches": [], **kw}

    assert classify_stats(rec(0.0), False) == BIT_EXACT
    assert classify_stats(rec(1.5e-5), False) == ROUNDING  # float32 tensors, x255
    assert classify_stats(rec(2.0), False) == ROUNDING
    assert classify_stats(rec(3.0), False) == VISIBLE
    assert classify_stats(rec(3.0), True) == GEOMETRIC
    assert classify_stats(rec(None, shape_mismatches=["a (2, 2) vs b (3, 3)"]), False) == GEOMETRIC
    assert classify_stats(rec(255.0, unstable_pixels=3), True) == UNDEFINED  # wins over the max
    assert classify(0.0, False, unstable_pixels=1) == UNDEFINED
    assert moves_pixels(["resize"]) and moves_pixels(["horizontal_flip", "brightness"])
    assert not moves_pixels(["saturation", "to_tensor"])


def _fake_backend(kernel: Any) -> Any:
    """A backend whose replay is ``kernel(image)``: enough for run_unit and judge_unit."""
    return SimpleNamespace(
        replay=lambda spec, params, image, fidelity="native": kernel(np.asarray(image)),
        to_numpy=np.asarray,
        tolerance=lambda op: Tolerance(0.0, 0.0),
    )


def test_planted_unwritten_column_is_found_undefined_through_run_unit() -> None:
    """A 'framework' that flips but leaves the middle column as whatever memory held (here:
    a fresh random value on every call): replayed twice, the report says undefined and keeps
    the numbers of the rest (bit-exact)."""
    rng = np.random.default_rng(5)

    def leaky_flip(x: np.ndarray) -> np.ndarray:
        out = x[:, ::-1].copy()
        out[:, x.shape[1] // 2] = rng.integers(0, 256, (x.shape[0], 3))
        return out

    spec = augspec.loads("augspec: 1\nops:\n  - {op: horizontal_flip}\n")
    x = _image(8, 9)
    params = augspec.sample(spec, 0, image_size=(8, 9))
    params["ops"][0]["apply"] = True
    unit = Unit("k", spec.ops[0], spec)
    backends = {"leaky": _fake_backend(leaky_flip)}
    replay = replay_parity.run_unit(unit, [Case("odd", "edge", params, (8, 9))], x, backends)
    entry = judge_unit(replay, backends)["leaky/native"]
    assert entry["severity"] == UNDEFINED
    assert entry["unstable_pixels"] == 8 * 3  # the whole middle column, every channel
    assert entry["stable_max"] == 0.0


def test_planted_stale_zeros_are_undefined_because_they_ignore_the_input() -> None:
    """Unwritten memory often reads the same twice (zeros of a fresh page): a value that does
    not move when every input value moves, while the reference's does, is undefined too."""

    def zero_middle_flip(x: np.ndarray) -> np.ndarray:
        out = x[:, ::-1].copy()
        out[:, x.shape[1] // 2] = 0
        return out

    spec = augspec.loads("augspec: 1\nops:\n  - {op: horizontal_flip}\n")
    x = np.full((6, 7, 3), 200, dtype=np.uint8)
    params = augspec.sample(spec, 0, image_size=(6, 7))
    params["ops"][0]["apply"] = True
    unit = Unit("k", spec.ops[0], spec)
    backends = {"stale": _fake_backend(zero_middle_flip)}
    replay = replay_parity.run_unit(unit, [Case("odd", "edge", params, (6, 7))], x, backends)
    assert judge_unit(replay, backends)["stale/native"]["severity"] == UNDEFINED


def test_planted_shift_and_tint_through_run_unit() -> None:
    spec_crop = augspec.loads("augspec: 1\nops:\n  - {op: center_crop, size: 4}\n")
    spec_tint = augspec.loads("augspec: 1\nops:\n  - {op: brightness, factor: [1.0, 1.0]}\n")
    x = _image(8, 8)

    def shifted_crop(img: np.ndarray) -> np.ndarray:
        return img[1:5, 1:5].copy()  # one pixel up-left of the spec's centred box

    def tinted(img: np.ndarray) -> np.ndarray:
        return np.clip(img.astype(int) + 9, 0, 255).astype(np.uint8)

    for spec, kernel, expected in (
        (spec_crop, shifted_crop, GEOMETRIC),
        (spec_tint, tinted, VISIBLE),
    ):
        unit = Unit("k", spec.ops[0], spec)
        params = augspec.sample(spec, 0, image_size=(8, 8))
        backends = {"planted": _fake_backend(kernel)}
        replay = replay_parity.run_unit(unit, [Case("c", "sample", params, (8, 8))], x, backends)
        assert judge_unit(replay, backends)["planted/native"]["severity"] == expected


# ---- real cases: one per class -------------------------------------------------------------


@pytest.fixture(scope="module")
def frameworks() -> dict[str, Any]:
    pytest.importorskip("torchvision", reason="needs the torchvision backend (augspec[torch])")
    require_mxnet("needs the gluon backend (augspec[mxnet])")
    return {n: augspec.backend(n) for n in ("torchvision", "gluon")}


def _real(
    spec_text: str, image: np.ndarray, backends: dict[str, Any], apply: bool | None = None
) -> dict[str, Any]:
    spec = augspec.loads(spec_text)
    hw = (int(image.shape[0]), int(image.shape[1]))
    params = augspec.sample(spec, 3, image_size=hw)
    if apply is not None:
        params["ops"][0]["apply"] = apply
    unit = Unit("k", spec.ops[0], spec)
    replay = replay_parity.run_unit(unit, [Case("c", "edge", params, hw)], image, backends)
    return judge_unit(replay, backends)


def test_real_differences_get_each_class(photo: np.ndarray, frameworks: dict[str, Any]) -> None:
    small = reference.resize(photo, (48, 40), "bilinear")
    odd = np.ascontiguousarray(small[:47, :39])
    flip = "augspec: 1\nops:\n  - {op: horizontal_flip}\n"
    even_flip = _real(flip, small, frameworks, apply=True)
    assert even_flip["gluon/native"]["severity"] == BIT_EXACT
    odd_flip = _real(flip, odd, frameworks, apply=True)
    assert odd_flip["gluon/native"]["severity"] == UNDEFINED  # the unwritten middle column
    assert odd_flip["torchvision/native"]["severity"] == BIT_EXACT
    bright = _real("augspec: 1\nops:\n  - {op: brightness, factor: 0.5}\n", small, frameworks)
    assert bright["torchvision/native"]["severity"] == ROUNDING  # PIL's blend truncates
    sat = _real("augspec: 1\nops:\n  - {op: saturation, factor: [0.2, 0.6]}\n", small, frameworks)
    assert sat["gluon/native"]["severity"] == VISIBLE  # mxnet's 0.114*B grey level
    crop = _real("augspec: 1\nops:\n  - {op: center_crop, size: 20}\n", odd, frameworks)
    assert crop["gluon/native"]["severity"] == GEOMETRIC  # truncated odd margin


def test_real_conventions_measured_from_the_written_code(
    photo: np.ndarray, frameworks: dict[str, Any]
) -> None:
    from augspec.parity import conventions

    order = conventions.size_order(photo)
    assert order["torchvision"].startswith("200x100") and order["gluon"].startswith("100x200")
    assert order["differs"] and order["changes_shape"]
    ints = conventions.int_size(photo)
    assert ints["torchvision"].startswith("300x256") and ints["gluon"].startswith("256x256")
    flips = conventions.flip_probability()
    assert (
        abs(flips["rates"]["torchvision"] - 0.5) < 0.1 and abs(flips["rates"]["gluon"] - 0.5) < 0.1
    )
    assert abs(flips["rates"]["torchvision_p0.2"] - 0.2) < 0.08 and "TypeError" in flips["gluon"]
    rng = conventions.which_rng()
    assert rng["seeded_by"]["gluon RandomResizedCrop(16)"] == "random.seed"
    assert rng["seeded_by"]["torchvision RandomResizedCrop(16)"] == "torch.manual_seed"


# ---- the committed report ------------------------------------------------------------------


def first_page(md: str) -> list[str]:
    lines = md.splitlines()
    end = next(i for i, line in enumerate(lines) if line.startswith("## Appendix"))
    return lines[:end]


def broken_links(md: str, folder: Path) -> list[str]:
    """Links to anchors that the page does not define, and to files that do not exist."""
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', md))
    targets = re.findall(r"\]\(([^)\s]+)\)", md) + re.findall(r'src="([^"]+)"', md)
    bad = []
    for t in targets:
        if t.startswith("#"):
            if t[1:] not in anchors:
                bad.append(t)
        elif not t.startswith("http") and not (folder / t).is_file():
            bad.append(t)
    return bad


def test_committed_report_first_page_fits_and_links_resolve() -> None:
    md = (DOCS / "differences.md").read_text()
    page = first_page(md)
    assert len(page) <= 60, len(page)
    text = "\n".join(page)
    for heading in (
        "## The differences that matter",
        "## The chapter's pipelines",
        "## Conventions",
    ):
        assert heading in text
    assert re.search(r"CIFAR-10 train_augs.*\| 32x32 \| no difference \|", text)
    assert CONVENTION in text and "RandomResizedCrop((200, 100))" in text
    assert broken_links(md, DOCS) == []
