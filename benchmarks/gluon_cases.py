"""The gluon backend's measured cases: specs per op and synthetic edge-case images.

Shared by :mod:`augspec.benchmarks.measure_gluon` (which measures the envelopes) and the
tests (tests/test_backend_gluon.py holds the backend to them on the same cases).
"""

from __future__ import annotations

from typing import Any

import numpy as np

# op name -> list of pipelines (the ``ops`` list of a spec) exercising it.
# to_tensor comes last where an op needs a tensor.
CASES: dict[str, list[list[dict[str, Any]]]] = {
    "horizontal_flip": [
        [{"op": "horizontal_flip", "p": 0.5}],
        [{"op": "horizontal_flip", "p": 1.0}],
        [{"op": "horizontal_flip", "p": 0.3}],
    ],
    "vertical_flip": [
        [{"op": "vertical_flip", "p": 0.5}],
        [{"op": "vertical_flip", "p": 1.0}],
    ],
    "random_resized_crop": [
        [{"op": "random_resized_crop", "size": 224}],  # downscale from the photo
        [{"op": "random_resized_crop", "size": [96, 80], "interpolation": "bicubic"}],
        [{"op": "random_resized_crop", "size": [40, 50], "interpolation": "nearest"}],
        [{"op": "random_resized_crop", "size": [9, 7], "scale": [0.5, 1.0]}],
    ],
    "resize": [
        [{"op": "resize", "size": 224}],
        [{"op": "resize", "size": [61, 45], "interpolation": "bicubic"}],
        [{"op": "resize", "size": 7, "interpolation": "nearest"}],
        [{"op": "resize", "size": [13, 17]}],
    ],
    "center_crop": [
        [{"op": "center_crop", "size": 1}],
        [{"op": "center_crop", "size": [2, 3]}],
        [{"op": "center_crop", "size": [97, 61]}],
    ],
    "random_crop": [
        [{"op": "random_crop", "size": 32, "padding": 4}],
        [{"op": "random_crop", "size": [3, 5], "padding": 1, "fill": 255}],
        [{"op": "random_crop", "size": 1}],
    ],
    "brightness": [
        [{"op": "brightness", "factor": 0.5}],
        [{"op": "brightness", "factor": [0.2, 1.8]}],
        [{"op": "brightness", "factor": 1.5}],
    ],
    "contrast": [
        [{"op": "contrast", "factor": 0.5}],
        [{"op": "contrast", "factor": [0.3, 1.2]}],
    ],
    "saturation": [
        [{"op": "saturation", "factor": 0.5}],
        [{"op": "saturation", "factor": [0.0, 2.0]}],
    ],
    "hue": [
        [{"op": "hue", "factor": 0.1}],
        [{"op": "hue", "factor": 0.5}],
        [{"op": "hue", "factor": [-0.3, 0.1]}],
    ],
    "color_jitter": [
        [{"op": "color_jitter", "brightness": 0.4, "contrast": 0.4, "saturation": 0.4, "hue": 0.1}],
        [{"op": "color_jitter", "brightness": [0.5, 2.5], "hue": [-0.1, 0.3]}],
    ],
    "lighting": [
        [{"op": "lighting", "alphastd": 0.1}],
        [{"op": "lighting", "alphastd": 0.5}],
    ],
    "random_choice": [
        [
            {
                "op": "random_choice",
                "ops": [{"op": "hue", "factor": 0.1}, {"op": "vertical_flip", "p": 1.0}],
                "p": [1.0, 3.0],
            }
        ]
    ],
    "random_order": [
        [
            {
                "op": "random_order",
                "ops": [{"op": "brightness", "factor": 0.4}, {"op": "equalize", "p": 1.0}],
            }
        ]
    ],
    "random_erasing": [
        [{"op": "to_tensor"}, {"op": "random_erasing", "p": 1.0, "value": [0.2, 0.5, 0.9]}],
        [{"op": "to_tensor"}, {"op": "random_erasing", "p": 0.8, "value": "random"}],
    ],
    "invert": [[{"op": "invert", "p": 0.5}], [{"op": "invert", "p": 1.0}]],
    "solarize": [
        [{"op": "solarize", "threshold": 128, "p": 1.0}],
        [{"op": "solarize", "threshold": 0, "p": 0.5}],
        [{"op": "solarize", "threshold": 254.5, "p": 1.0}],
    ],
    "grayscale": [[{"op": "grayscale", "num_output_channels": 3}]],
    "random_grayscale": [[{"op": "random_grayscale", "p": 0.5}]],
    "autocontrast": [[{"op": "autocontrast", "p": 1.0}], [{"op": "autocontrast", "p": 0.5}]],
    "equalize": [[{"op": "equalize", "p": 1.0}], [{"op": "equalize", "p": 0.5}]],
    "channel_permutation": [[{"op": "channel_permutation"}]],
    "sharpness": [
        [{"op": "sharpness", "factor": 0.5, "p": 1.0}],
        [{"op": "sharpness", "factor": 3.7, "p": 0.5}],
    ],
    "gaussian_blur": [
        [{"op": "gaussian_blur", "kernel": 3}],
        [{"op": "gaussian_blur", "kernel": [5, 3], "sigma": [0.5, 3.0]}],
    ],
    "gaussian_noise": [
        [{"op": "to_tensor"}, {"op": "gaussian_noise"}],
        [{"op": "to_tensor"}, {"op": "gaussian_noise", "mean": -0.1, "sigma": 0.5, "clip": False}],
    ],
    "jpeg": [[{"op": "jpeg", "quality": [10, 95]}], [{"op": "jpeg", "quality": 1}]],
    "posterize": [
        [{"op": "posterize", "bits": 1, "p": 1.0}],
        [{"op": "posterize", "bits": 5, "p": 0.5}],
        [{"op": "posterize", "bits": 8, "p": 1.0}],
    ],
    "pad": [
        [{"op": "pad", "padding": 4, "fill": 0}],
        [{"op": "pad", "padding": [2, 3], "padding_mode": "reflect"}],
        [{"op": "pad", "padding": 2, "padding_mode": "symmetric"}],
    ],
    "rotation": [
        [{"op": "rotation", "degrees": 30, "interpolation": "bilinear"}],
        [{"op": "rotation", "degrees": 30}],
        [{"op": "rotation", "degrees": [-20, 20], "interpolation": "bilinear", "zoom_in": True}],
    ],
    "affine": [
        [
            {
                "op": "affine",
                "degrees": 20,
                "translate": [0.1, 0.1],
                "scale": [0.9, 1.1],
                "shear": 10,
            }
        ],
        [{"op": "affine", "degrees": 0, "shear": [-10, 10, -10, 10], "interpolation": "bilinear"}],
    ],
    "to_tensor": [[{"op": "to_tensor"}]],
    "normalize": [
        [
            {"op": "to_tensor"},
            {"op": "normalize", "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
        ],
        [{"op": "to_tensor"}, {"op": "normalize", "mean": [0.5], "std": [0.25]}],
    ],
    "random_apply": [
        [
            {
                "op": "random_apply",
                "p": 0.5,
                "ops": [{"op": "brightness", "factor": 0.3}, {"op": "horizontal_flip", "p": 1.0}],
            }
        ],
        [{"op": "random_apply", "p": 1.0, "ops": [{"op": "saturation", "factor": 0.5}]}],
        [{"op": "random_apply", "p": 0.0, "ops": [{"op": "hue", "factor": 0.2}]}],
    ],
    "compose": [
        [
            {
                "op": "compose",
                "ops": [
                    {"op": "horizontal_flip"},
                    {"op": "resize", "size": 20},
                    {"op": "center_crop", "size": 15},
                ],
            }
        ],
    ],
}


def edge_images(seed: int = 0) -> dict[str, np.ndarray]:
    """Synthetic edge cases: tiny, odd, saturated, grey, noise."""
    rng = np.random.default_rng(seed)
    saturated = rng.choice(np.array([0, 255], dtype=np.uint8), size=(21, 19, 3))
    grey = np.repeat(rng.integers(0, 256, size=(17, 23, 1), dtype=np.uint8), 3, axis=2)
    return {
        "1x1": rng.integers(0, 256, size=(1, 1, 3), dtype=np.uint8),
        "3x5": rng.integers(0, 256, size=(3, 5, 3), dtype=np.uint8),
        "odd_37x23": rng.integers(0, 256, size=(37, 23, 3), dtype=np.uint8),
        "saturated": saturated,
        "grey": grey,
        "noise_64x48": rng.integers(0, 256, size=(64, 48, 3), dtype=np.uint8),
    }


def hw(image: np.ndarray) -> tuple[int, int]:
    return int(image.shape[0]), int(image.shape[1])


def diff_255(out: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Absolute difference in 0-255 units (float tensors are scaled by 255)."""
    scale = 255.0 if out.dtype == np.float32 else 1.0
    return np.abs(out.astype(np.float64) - ref.astype(np.float64)) * scale
