"""Measure the torchvision backend against the reference, per op (not a test).

For every case in :data:`CASES`, on the bundled photo (full size) and the synthetic
:func:`edge_images`, for 8 seeds: replay the sampled params with the reference and with the
torchvision backend (PIL path and tensor path; native and spec fidelity), and print per op the
max and mean absolute difference in 0-255 units (tensor outputs * 255). Mean = over every
compared value of the op. The backend's ``NATIVE_ENVELOPE`` / ``TENSOR_NATIVE_ENVELOPE`` are
these numbers rounded up; tests/test_backend_torchvision.py holds it to them on the same cases.

    python -m augspec.benchmarks.measure_torchvision [--seeds 8] [--by-case]
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from typing import Any

import numpy as np
import torch
from augspec.backends import torchvision as tv

import augspec
from augspec import reference
from augspec.images import load_image
from augspec.pipeline import trace_hw

# (id, the op whose tolerance applies, spec dict): at least one per op (a test guards it).
Case = tuple[str, str, dict[str, Any]]


def _spec(*ops: dict[str, Any]) -> dict[str, Any]:
    return {"augspec": 1, "ops": list(ops)}


IMAGENET = {"op": "normalize", "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}

CASES: list[Case] = [
    ("hflip-p.5", "horizontal_flip", _spec({"op": "horizontal_flip", "p": 0.5})),
    ("hflip-p1", "horizontal_flip", _spec({"op": "RandomFlipLeftRight", "p": 1.0})),
    ("vflip-p.5", "vertical_flip", _spec({"op": "vertical_flip", "p": 0.5})),
    ("vflip-p1", "vertical_flip", _spec({"op": "vertical_flip", "p": 1.0})),
    ("rrc-bilinear", "random_resized_crop", _spec({"op": "random_resized_crop", "size": [24, 32]})),
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
        "random-apply-p0",
        "random_apply",
        _spec({"op": "random_apply", "p": 0.0, "ops": [{"op": "hue", "factor": 0.5}]}),
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
    """Synthetic edge cases: tiny, odd-sized, saturated and grey images."""
    rng = np.random.default_rng(1234)
    noise = rng.integers(0, 256, size=(17, 23, 3), dtype=np.uint8)
    saturated = (rng.integers(0, 2, size=(11, 9, 3)) * 255).astype(np.uint8)
    grey = np.repeat(rng.integers(0, 256, size=(13, 10, 1), dtype=np.uint8), 3, axis=2)
    # Hard edges with saturated colours: where bicubic overshoot is clipped.
    stripes = np.zeros((12, 15, 3), np.uint8)
    stripes[:, ::3] = (255, 0, 0)
    stripes[::4] = (0, 255, 255)
    return {
        "1x1": rng.integers(0, 256, size=(1, 1, 3), dtype=np.uint8),
        "3x5": rng.integers(0, 256, size=(3, 5, 3), dtype=np.uint8),
        "noise17x23": noise,
        "saturated": saturated,
        "grey": grey,
        "stripes": stripes,
    }


def as_compared(x: np.ndarray) -> np.ndarray:
    """Outputs in 0-255 units as float64: uint8 images as is, float tensors * 255."""
    x = np.asarray(x)
    return x.astype(np.float64) * (255.0 if x.dtype.kind == "f" else 1.0)


COLUMNS = ("native", "spec", "tensor-native", "tensor-spec")


class Stat:
    """Running max and mean of absolute differences."""

    def __init__(self) -> None:
        self.max, self.total, self.count = 0.0, 0.0, 0

    def add(self, diff: np.ndarray) -> None:
        self.max = max(self.max, float(diff.max()))
        self.total += float(diff.sum())
        self.count += diff.size

    def __str__(self) -> str:
        return f"{self.max:7.3f} / {self.total / max(self.count, 1):6.4f}"


def measure(seeds: int, by_case: bool = False) -> dict[str, dict[str, Stat]]:
    images = {"photo": load_image(), **edge_images()}
    stats: dict[str, dict[str, Stat]] = defaultdict(lambda: {c: Stat() for c in COLUMNS})
    for case_id, op_key, data in CASES:
        key = case_id if by_case else op_key
        spec = augspec.validate_data(data)
        for image in images.values():
            hw = (int(image.shape[0]), int(image.shape[1]))
            try:
                trace_hw(spec, hw)
            except ValueError:
                continue  # e.g. a crop larger than a tiny image: refused, tested elsewhere
            chw = torch.from_numpy(image.copy()).permute(2, 0, 1).contiguous()
            for seed in range(seeds):
                params = augspec.sample(spec, seed, image_size=hw)
                ref = as_compared(reference.replay(spec, params, image))
                runs = {
                    "native": (image, "native"),
                    "spec": (image, "spec"),
                    "tensor-native": (chw, "native"),
                    "tensor-spec": (chw, "spec"),
                }
                for column, (x, fidelity) in runs.items():
                    out = as_compared(tv.to_numpy(tv.replay(spec, params, x, fidelity)))
                    stats[key][column].add(np.abs(out - ref))
    return stats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--by-case", action="store_true", help="one row per case, not per op")
    args = parser.parse_args()
    stats = measure(args.seeds, args.by_case)
    print("max / mean abs diff vs reference (0-255 units)")
    print(
        f"| {'case' if args.by_case else 'op':<20} | "
        + " | ".join(f"{c:<16}" for c in COLUMNS)
        + " |"
    )
    print("|" + "---|" * (len(COLUMNS) + 1))
    for key, row in stats.items():
        print(f"| {key:<20} | " + " | ".join(f"{row[c]!s:<16}" for c in COLUMNS) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
