"""Measure the torchvision-v2 backend per op against the reference and against v1 (not a test).

For every case in :data:`CASES`, on the bundled photo (full size) and the edge images of
:func:`edge_images` (1x1, odd sizes, extreme aspects, saturated, grey, hard edges), for several
seeds: sample params with ``augspec.sample`` and replay them with

- the reference (``augspec.reference.replay``, the definition),
- torchvision-v2 in both fidelities (uint8 CHW tensors),
- torchvision v1 in native fidelity on its PIL path (numpy in) and on its tensor path
  (a uint8 CHW tensor in), the numerics v2 is compared with.

Prints per op (or per case, ``--by-case``) the max and the mean absolute difference in 0-255
units (float tensors x 255). ``max``: over every compared value. ``mean``: the worst mean of a
single output, which is what a :class:`augspec.contract.Tolerance` bounds.

    python -m augspec.benchmarks.measure_torchvision_v2 [--seeds 6] [--by-case]
        [--images all|photo|edges] [--json FILE]

The tests (tests/test_backend_torchvision_v2.py) reuse :data:`CASES` and :func:`edge_images`.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np

import augspec
from augspec import reference
from augspec.images import load_image
from augspec.pipeline import trace_hw

# (case id, the op it measures, spec). Every op of augspec.ops.OP_NAMES has at least one case
# (the tests check it); containers are measured with their leaves inside.
Case = tuple[str, str, dict[str, Any]]


def _spec(*ops: dict[str, Any]) -> dict[str, Any]:
    return {"augspec": 1, "ops": list(ops)}


IMAGENET = {"op": "normalize", "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}

CASES: list[Case] = [
    ("hflip-p.5", "horizontal_flip", _spec({"op": "horizontal_flip", "p": 0.5})),
    ("vflip-p1", "vertical_flip", _spec({"op": "vertical_flip", "p": 1.0})),
    ("rrc-bilinear", "random_resized_crop", _spec({"op": "random_resized_crop", "size": [24, 32]})),
    ("rrc-bilinear-224", "random_resized_crop", _spec({"op": "random_resized_crop", "size": 224})),
    (
        "rrc-bicubic-up",
        "random_resized_crop",
        _spec(
            {
                "op": "random_resized_crop",
                "size": 48,
                "scale": [0.05, 0.3],
                "interpolation": "bicubic",
            }
        ),
    ),
    (
        "rrc-nearest",
        "random_resized_crop",
        _spec(
            {
                "op": "random_resized_crop",
                "size": [13, 7],
                "ratio": [0.5, 2.0],
                "interpolation": "nearest",
            }
        ),
    ),
    ("resize-short", "resize", _spec({"op": "resize", "size": 20})),
    ("resize-exact-down", "resize", _spec({"op": "resize", "size": [31, 17]})),
    ("resize-bilinear-up", "resize", _spec({"op": "resize", "size": [67, 80]})),
    (
        "resize-bicubic-up",
        "resize",
        _spec({"op": "resize", "size": [67, 80], "interpolation": "bicubic"}),
    ),
    (
        "resize-bicubic-down",
        "resize",
        _spec({"op": "resize", "size": 9, "interpolation": "bicubic"}),
    ),
    (
        "resize-nearest",
        "resize",
        _spec({"op": "resize", "size": [9, 40], "interpolation": "nearest"}),
    ),
    ("center-crop", "center_crop", _spec({"op": "center_crop", "size": [2, 3]})),
    ("center-crop-1", "center_crop", _spec({"op": "center_crop", "size": 1})),
    (
        "random-crop-pad",
        "random_crop",
        _spec({"op": "random_crop", "size": [3, 4], "padding": 2, "fill": 128}),
    ),
    ("random-crop", "random_crop", _spec({"op": "random_crop", "size": 1})),
    ("brightness", "brightness", _spec({"op": "brightness", "factor": 0.5})),
    ("brightness-wide", "brightness", _spec({"op": "brightness", "factor": [0.0, 3.0]})),
    ("contrast", "contrast", _spec({"op": "contrast", "factor": 0.5})),
    ("contrast-wide", "contrast", _spec({"op": "contrast", "factor": [0.0, 3.0]})),
    ("saturation", "saturation", _spec({"op": "saturation", "factor": 0.5})),
    ("saturation-wide", "saturation", _spec({"op": "saturation", "factor": [0.0, 5.0]})),
    ("hue", "hue", _spec({"op": "hue", "factor": 0.5})),
    ("hue-small", "hue", _spec({"op": "hue", "factor": [-0.1, 0.1]})),
    (
        "color-aug",
        "color_jitter",
        _spec(
            {
                "op": "color_jitter",
                "brightness": 0.5,
                "contrast": 0.5,
                "saturation": 0.5,
                "hue": 0.5,
            }
        ),
    ),
    (
        "color-jitter-bc",
        "color_jitter",
        _spec({"op": "ColorJitter", "brightness": 0.4, "contrast": 0.4}),
    ),
    ("lighting", "lighting", _spec({"op": "lighting", "alphastd": 0.1})),
    ("lighting-strong", "lighting", _spec({"op": "lighting", "alphastd": 1.0})),
    ("to-tensor", "to_tensor", _spec({"op": "to_tensor"})),
    ("normalize", "normalize", _spec({"op": "to_tensor"}, IMAGENET)),
    (
        "random-apply",
        "random_apply",
        _spec({"op": "random_apply", "p": 0.5, "ops": [{"op": "brightness", "factor": 0.5}]}),
    ),
    (
        "random-apply-hue",
        "random_apply",
        _spec({"op": "random_apply", "p": 0.7, "ops": [{"op": "hue", "factor": 0.3}]}),
    ),
    (
        "compose",
        "compose",
        _spec(
            {
                "op": "compose",
                "ops": [
                    {"op": "horizontal_flip"},
                    {"op": "random_resized_crop", "size": 16},
                    {"op": "to_tensor"},
                ],
            }
        ),
    ),
]


def edge_images() -> dict[str, np.ndarray]:
    """Tiny, odd-sized, extreme-aspect, saturated, grey and hard-edged images."""
    rng = np.random.default_rng(1234)
    stripes = np.zeros((12, 15, 3), np.uint8)
    stripes[:, ::3] = (255, 0, 0)
    stripes[::4] = (0, 255, 255)  # hard saturated edges: where cubic overshoot gets clipped
    return {
        "1x1": rng.integers(0, 256, size=(1, 1, 3), dtype=np.uint8),
        "3x5": rng.integers(0, 256, size=(3, 5, 3), dtype=np.uint8),
        "noise17x23": rng.integers(0, 256, size=(17, 23, 3), dtype=np.uint8),
        "wide2x97": rng.integers(0, 256, size=(2, 97, 3), dtype=np.uint8),
        "tall61x3": rng.integers(0, 256, size=(61, 3, 3), dtype=np.uint8),
        "saturated": (rng.integers(0, 2, size=(11, 9, 3)) * 255).astype(np.uint8),
        "grey": np.repeat(rng.integers(0, 256, size=(13, 10, 1), dtype=np.uint8), 3, axis=2),
        "stripes": stripes,
    }


def as_255(x: Any) -> np.ndarray:
    """An output in 0-255 units as float64: uint8 images as they are, float tensors x 255."""
    x = np.asarray(x)
    return x.astype(np.float64) * (255.0 if x.dtype.kind == "f" else 1.0)


Thunk = Callable[[], np.ndarray]


class Stat:
    """Max absolute difference, worst per-output mean, and errors, of one column."""

    def __init__(self) -> None:
        self.max, self.mean, self.count, self.errors = 0.0, 0.0, 0, 0
        self.first_error = ""

    def add(self, diff: np.ndarray) -> None:
        self.max = max(self.max, float(diff.max()))
        self.mean = max(self.mean, float(diff.mean()))
        self.count += 1

    def __str__(self) -> str:
        if self.errors and not self.count:
            return "error"
        return f"{self.max:g} / {self.mean:.3g}" + (
            f" ({self.errors} errors)" if self.errors else ""
        )


def _column_outputs(
    spec: Any, params: dict[str, Any], image: np.ndarray
) -> dict[str, tuple[Thunk, Thunk]]:
    """What each column compares: (left, right) pairs as thunks returning 0-255 arrays."""
    import torch

    v2 = augspec.backend("torchvision-v2")
    chw = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))
    ref = lambda: as_255(reference.replay(spec, params, image))  # noqa: E731
    v2_native = lambda: as_255(v2.to_numpy(v2.replay(spec, params, image, "native")))  # noqa: E731
    v2_spec = lambda: as_255(v2.to_numpy(v2.replay(spec, params, image, "spec")))  # noqa: E731
    v1_pil = lambda: as_255(augspec.to_numpy(augspec.replay(spec, params, image, "torchvision")))  # noqa: E731
    v1_tensor = lambda: as_255(augspec.to_numpy(augspec.replay(spec, params, chw, "torchvision")))  # noqa: E731
    return {
        "v2 native vs reference": (v2_native, ref),
        "v2 spec vs reference": (v2_spec, ref),
        "v2 native vs v1 PIL": (v2_native, v1_pil),
        "v2 native vs v1 tensor": (v2_native, v1_tensor),
    }


COLUMNS = (
    "v2 native vs reference",
    "v2 spec vs reference",
    "v2 native vs v1 PIL",
    "v2 native vs v1 tensor",
)


def measure(seeds: int, by_case: bool = False, images: str = "all") -> dict[str, dict[str, Stat]]:
    """Per op (or case) and column: the :class:`Stat` over every image (``all``, ``photo`` or
    ``edges``) and seed."""
    chosen = {
        **({"photo": load_image()} if images in ("all", "photo") else {}),
        **(edge_images() if images in ("all", "edges") else {}),
    }
    stats: dict[str, dict[str, Stat]] = defaultdict(lambda: {c: Stat() for c in COLUMNS})
    for case_id, op_name, data in CASES:
        spec = augspec.validate_data(data)
        row = stats[case_id if by_case else op_name]
        for image in chosen.values():
            hw = (int(image.shape[0]), int(image.shape[1]))
            try:
                trace_hw(spec, hw)
            except ValueError:
                continue  # e.g. a crop larger than a tiny image: refused (tested elsewhere)
            for s in range(seeds):
                params = augspec.sample(spec, seed=s, index=s, image_size=hw)
                cache: dict[Any, np.ndarray] = {}
                for column, (left, right) in _column_outputs(spec, params, image).items():
                    try:
                        a = cache.setdefault(left, left())
                        b = cache.setdefault(right, right())
                    except Exception as err:  # noqa: BLE001 - a failing kernel is a measured result
                        row[column].errors += 1
                        row[column].first_error = (
                            row[column].first_error or f"{type(err).__name__}: {err}"
                        )
                        continue
                    row[column].add(np.abs(a - b))
    return dict(stats)


def markdown(stats: dict[str, dict[str, Stat]]) -> str:
    lines = [
        "| op | " + " | ".join(f"{c} (max / mean)" for c in COLUMNS) + " |",
        "|---|" + "---|" * len(COLUMNS),
    ]
    lines += [
        f"| {key} | " + " | ".join(str(row[c]) for c in COLUMNS) + " |"
        for key, row in stats.items()
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=6, help="seeds per case and image (default 6)")
    parser.add_argument("--by-case", action="store_true", help="one row per case instead of per op")
    parser.add_argument(
        "--images",
        choices=("all", "photo", "edges"),
        default="all",
        help="which images (default all)",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the numbers as JSON")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)  # the numbers do not depend on it; the machine is shared
    stats = measure(args.seeds, args.by_case, args.images)
    print(markdown(stats))
    for key, row in stats.items():
        for column, stat in row.items():
            if stat.first_error:
                print(f"{key}, {column}: {stat.errors} errors, first: {stat.first_error[:200]}")
    if args.json:
        data = {
            key: {
                c: {
                    "max": s.max,
                    "mean": s.mean,
                    "outputs": s.count,
                    "errors": s.errors,
                    "first_error": s.first_error,
                }
                for c, s in row.items()
            }
            for key, row in stats.items()
        }
        with open(args.json, "w") as f:
            json.dump(data, f, indent=1)


if __name__ == "__main__":
    main()
