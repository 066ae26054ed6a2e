"""Shared cases for the torchvision backend's tests and benchmarks/measure_torchvision.py.

``CASES``: (id, tolerance key, spec dict); every op in ``augspec.ops.OP_NAMES``
has at least one (a guard test checks it). Containers (``random_apply``,
``compose``) have no tolerance of their own: theirs is the largest of their leaves.
``edge_images()``: synthetic images that exercise rounding, clipping and sizes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import augspec
from augspec.pipeline import iter_leaves
from augspec.reference import resize as reference_resize

Case = tuple[str, str, dict[str, Any]]


def _spec(*ops: dict[str, Any]) -> dict[str, Any]:
    return {"augspec": 1, "ops": list(ops)}


IMAGENET = {"op": "normalize", "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}

CASES: list[Case] = [
    ("hflip-p.5", "horizontal_flip", _spec({"op": "horizontal_flip", "p": 0.5})),
    ("hflip-p1", "horizontal_flip", _spec({"op": "RandomFlipLeftRight", "p": 1.0})),
    ("vflip-p.5", "vertical_flip", _spec({"op": "vertical_flip", "p": 0.5})),
    ("vflip-p1", "vertical_flip", _spec({"op": "vertical_flip", "p": 1.0})),
    ("rrc-bilinear", "random_resized_crop",
     _spec({"op": "random_resized_crop", "size": [24, 32]})),
    ("rrc-bicubic-up", "random_resized_crop",
     _spec({"op": "random_resized_crop", "size": 48, "scale": [0.05, 0.3], "interpolation": "bicubic"})),
    ("rrc-nearest", "random_resized_crop",
     _spec({"op": "random_resized_crop", "size": [13, 7], "ratio": [0.5, 2.0], "interpolation": "nearest"})),
    ("resize-short", "resize", _spec({"op": "resize", "size": 20})),
    ("resize-exact-down", "resize", _spec({"op": "resize", "size": [31, 17]})),
    ("resize-bicubic-up", "resize",
     _spec({"op": "resize", "size": [67, 80], "interpolation": "bicubic"})),
    ("resize-bicubic-down", "resize",
     _spec({"op": "resize", "size": 9, "interpolation": "bicubic"})),
    ("resize-nearest", "resize", _spec({"op": "resize", "size": [9, 40], "interpolation": "nearest"})),
    ("center-crop", "center_crop", _spec({"op": "center_crop", "size": [2, 3]})),
    ("center-crop-1", "center_crop", _spec({"op": "center_crop", "size": 1})),
    ("random-crop-pad", "random_crop",
     _spec({"op": "random_crop", "size": [3, 4], "padding": 2, "fill": 128})),
    ("random-crop", "random_crop", _spec({"op": "random_crop", "size": 1})),
    ("brightness", "brightness", _spec({"op": "brightness", "factor": 0.5})),
    ("brightness-wide", "brightness", _spec({"op": "brightness", "factor": [0.0, 3.0]})),
    ("contrast", "contrast", _spec({"op": "contrast", "factor": 0.5})),
    ("contrast-wide", "contrast", _spec({"op": "contrast", "factor": [0.0, 3.0]})),
    ("saturation", "saturation", _spec({"op": "saturation", "factor": 0.5})),
    ("saturation-wide", "saturation", _spec({"op": "saturation", "factor": [0.0, 5.0]})),
    ("hue", "hue", _spec({"op": "hue", "factor": 0.5})),
    ("hue-small", "hue", _spec({"op": "hue", "factor": [-0.1, 0.1]})),
    ("color-aug", "color_jitter",
     _spec({"op": "color_jitter", "brightness": 0.5, "contrast": 0.5, "saturation": 0.5, "hue": 0.5})),
    ("color-jitter-bc", "color_jitter",
     _spec({"op": "ColorJitter", "brightness": 0.4, "contrast": 0.4})),
    ("lighting", "lighting", _spec({"op": "lighting", "alphastd": 0.1})),
    ("lighting-strong", "lighting", _spec({"op": "lighting", "alphastd": 1.0})),
    ("to-tensor", "to_tensor", _spec({"op": "to_tensor"})),
    ("normalize", "normalize", _spec({"op": "to_tensor"}, IMAGENET)),
    ("random-apply", "random_apply",
     _spec({"op": "random_apply", "p": 0.5, "ops": [{"op": "brightness", "factor": 0.5}]})),
    ("random-apply-p0", "random_apply",
     _spec({"op": "random_apply", "p": 0.0, "ops": [{"op": "hue", "factor": 0.5}]})),
    ("compose", "compose",
     _spec({"op": "compose", "ops": [
         {"op": "horizontal_flip"}, {"op": "random_resized_crop", "size": 16},
         {"op": "to_tensor"}]})),
]


def tolerance(table: dict[str, tuple[float, float]], spec: augspec.Pipeline) -> tuple[float, float]:
    """The case's tolerance from ``table`` (``TOLERANCES`` or a native envelope): the largest
    over its leaf ops (to_tensor/normalize add none)."""
    leaves = [table[op.op] for op in iter_leaves(spec.ops)]
    return max(t[0] for t in leaves), max(t[1] for t in leaves)


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


def small_photo(photo: np.ndarray, height: int = 120) -> np.ndarray:
    """The photo downsized with the reference resize (to keep the tests fast)."""
    width = round(photo.shape[1] * height / photo.shape[0])
    return reference_resize(photo, (height, width), "bilinear")


def as_compared(x: np.ndarray) -> np.ndarray:
    """Outputs in 0-255 units as float64: uint8 images as is, float tensors * 255."""
    x = np.asarray(x)
    return x.astype(np.float64) * (255.0 if x.dtype.kind == "f" else 1.0)
