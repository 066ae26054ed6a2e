"""The cases both torchvision backends are measured on (v1 and v2), and their edge images.

Shared by :mod:`augspec.benchmarks.measure_torchvision` and
:mod:`augspec.benchmarks.measure_torchvision_v2` (which measure the envelopes) and the tests
(which hold the backends to them on the same cases).
"""

from __future__ import annotations

from typing import Any

import numpy as np

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
    (
        "random-choice",
        "random_choice",
        _spec(
            {
                "op": "random_choice",
                "ops": [{"op": "invert", "p": 1.0}, {"op": "vertical_flip", "p": 1.0}],
                "p": [1.0, 3.0],
            }
        ),
    ),
    (
        "random-order",
        "random_order",
        _spec(
            {
                "op": "random_order",
                "ops": [{"op": "posterize", "bits": 3, "p": 1.0}, {"op": "equalize", "p": 1.0}],
            }
        ),
    ),
    (
        "erasing-channels",
        "random_erasing",
        _spec({"op": "to_tensor"}, {"op": "random_erasing", "p": 1.0, "value": [0.2, 0.5, 0.9]}),
    ),
    (
        "erasing-random",
        "random_erasing",
        _spec({"op": "to_tensor"}, {"op": "random_erasing", "p": 0.8, "value": "random"}),
    ),
    ("invert", "invert", _spec({"op": "invert", "p": 1.0})),
    ("solarize-128", "solarize", _spec({"op": "solarize", "threshold": 128, "p": 1.0})),
    ("solarize-0", "solarize", _spec({"op": "solarize", "threshold": 0, "p": 0.5})),
    ("solarize-254.5", "solarize", _spec({"op": "solarize", "threshold": 254.5, "p": 1.0})),
    ("grayscale", "grayscale", _spec({"op": "grayscale", "num_output_channels": 3})),
    ("random-grayscale", "random_grayscale", _spec({"op": "random_grayscale", "p": 0.9})),
    ("autocontrast", "autocontrast", _spec({"op": "autocontrast", "p": 1.0})),
    ("equalize", "equalize", _spec({"op": "equalize", "p": 1.0})),
    ("channel-permutation", "channel_permutation", _spec({"op": "channel_permutation"})),
    ("sharpness-0.5", "sharpness", _spec({"op": "sharpness", "factor": 0.5, "p": 1.0})),
    ("sharpness-3.7", "sharpness", _spec({"op": "sharpness", "factor": 3.7, "p": 0.9})),
    ("posterize-1", "posterize", _spec({"op": "posterize", "bits": 1, "p": 1.0})),
    ("posterize-5", "posterize", _spec({"op": "posterize", "bits": 5, "p": 0.5})),
    ("posterize-8", "posterize", _spec({"op": "posterize", "bits": 8, "p": 1.0})),
    ("pad-4", "pad", _spec({"op": "pad", "padding": 4})),
    ("pad-reflect", "pad", _spec({"op": "pad", "padding": [2, 3], "padding_mode": "reflect"})),
    (
        "rotation-30-bilinear",
        "rotation",
        _spec({"op": "rotation", "degrees": 30, "interpolation": "bilinear"}),
    ),
    ("rotation-30-nearest", "rotation", _spec({"op": "rotation", "degrees": 30})),
    (
        "affine",
        "affine",
        _spec(
            {
                "op": "affine",
                "degrees": 20,
                "translate": [0.1, 0.1],
                "scale": [0.9, 1.1],
                "shear": 10,
            }
        ),
    ),
    ("gaussian-blur-3", "gaussian_blur", _spec({"op": "gaussian_blur", "kernel": 3})),
    (
        "gaussian-blur-5x3",
        "gaussian_blur",
        _spec({"op": "gaussian_blur", "kernel": [5, 3], "sigma": [0.5, 3.0]}),
    ),
    ("gaussian-noise", "gaussian_noise", _spec({"op": "to_tensor"}, {"op": "gaussian_noise"})),
    ("jpeg", "jpeg", _spec({"op": "jpeg", "quality": [10, 95]})),
    ("jpeg-1", "jpeg", _spec({"op": "jpeg", "quality": 1})),
    (
        "gaussian-noise-unclipped",
        "gaussian_noise",
        _spec(
            {"op": "to_tensor"}, {"op": "gaussian_noise", "mean": -0.1, "sigma": 0.5, "clip": False}
        ),
    ),
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


def output_like(out: Any, module: Any, like: np.ndarray) -> np.ndarray:
    """A backend's output of one image in ``like``'s layout (HWC, or CHW for tensors), in
    0-255 units as float64 (:func:`as_255`), for comparison with the reference."""
    x = as_255(module.to_numpy(out))
    if x.ndim == 4:  # a batch of one
        x = x[0]
    return x if x.shape == like.shape else x.transpose(1, 2, 0)
