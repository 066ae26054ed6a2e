"""One or more valid spec entries per op: the guard in test_spec.py fails when an op lacks one."""

from __future__ import annotations

from typing import Any

from augspec.contract import Tolerance, chooses_substitute, record_for
from augspec.pipeline import Pipeline, iter_leaves

OP_CASES: dict[str, list[dict[str, Any]]] = {
    "horizontal_flip": [{"op": "horizontal_flip", "p": 0.5}, {"op": "RandomFlipLeftRight"}],
    "vertical_flip": [{"op": "RandomVerticalFlip", "p": 1}, {"op": "RandomFlipTopBottom"}],
    "random_resized_crop": [
        {"op": "RandomResizedCrop", "size": [200, 200], "scale": [0.1, 1], "ratio": [0.5, 2]},
        {"op": "random_resized_crop", "size": 24, "interpolation": "nearest"},
    ],
    "resize": [
        {"op": "Resize", "size": 20},
        {"op": "resize", "size": [12, 30], "interpolation": "bicubic"},
    ],
    "center_crop": [{"op": "CenterCrop", "size": 8}, {"op": "center_crop", "size": [4, 6]}],
    "random_crop": [
        {"op": "RandomCrop", "size": 32, "padding": 4},
        {"op": "random_crop", "size": [5, 7]},
    ],
    "brightness": [
        {"op": "RandomBrightness", "factor": 0.5},
        {"op": "brightness", "factor": [0.2, 1.7]},
    ],
    "contrast": [{"op": "RandomContrast", "factor": 0.5}, {"op": "contrast", "factor": [0.0, 2.0]}],
    "saturation": [
        {"op": "RandomSaturation", "factor": 0.5},
        {"op": "saturation", "factor": [1, 3]},
    ],
    "hue": [{"op": "RandomHue", "factor": 0.5}, {"op": "hue", "factor": [-0.1, 0.2]}],
    "color_jitter": [
        {"op": "ColorJitter", "brightness": 0.5, "contrast": 0.5, "saturation": 0.5, "hue": 0.5},
        {"op": "RandomColorJitter", "brightness": [0.9, 1.1]},
    ],
    "lighting": [{"op": "RandomLighting", "alphastd": 0.1}, {"op": "lighting"}],
    "to_tensor": [{"op": "ToTensor"}],
    "normalize": [
        {"op": "Normalize", "mean": [0.5, 0.4, 0.3], "std": [0.2, 0.2, 0.25]},
        {"op": "normalize", "mean": [0.5], "std": [0.5]},
    ],
    "random_apply": [{"op": "RandomApply", "p": 0.3, "ops": [{"op": "hue", "factor": 0.1}]}],
    "compose": [
        {
            "op": "Compose",
            "ops": [
                {"op": "RandomFlipLeftRight"},
                {"op": "compose", "ops": [{"op": "brightness", "factor": 0.1}]},
            ],
        },
        # v2's RandomPhotometricDistort loads as a compose (augspec/ops/distort.py)
        {"op": "RandomPhotometricDistort", "p": 0.6},
    ],
    "random_choice": [
        {
            "op": "RandomChoice",
            "transforms": [{"op": "hue", "factor": 0.1}, {"op": "RandomVerticalFlip", "p": 1}],
            "p": [1, 3],
        },
        {
            "op": "random_choice",
            "ops": [{"op": "center_crop", "size": 8}, {"op": "resize", "size": [8, 8]}],
        },
    ],
    "random_order": [
        {
            "op": "RandomOrder",
            "transforms": [{"op": "brightness", "factor": 0.4}, {"op": "equalize", "p": 1}],
        },
        {
            "op": "random_order",
            "ops": [
                {"op": "horizontal_flip", "p": 0.5},
                {
                    "op": "compose",
                    "ops": [{"op": "invert", "p": 1}, {"op": "posterize", "bits": 3}],
                },
                {"op": "contrast", "factor": 0.5},
            ],
        },
    ],
    "random_erasing": [
        {"op": "RandomErasing", "p": 1, "scale": [0.1, 0.5], "value": [0.2, 0.5, 0.9]},
        {"op": "random_erasing", "p": 0.7, "value": "random"},
        {"op": "RandomErasing", "ratio": [0.5, 2], "value": -1.5, "inplace": True},
    ],
    "invert": [{"op": "RandomInvert", "p": 0.5}, {"op": "invert", "p": 1}],
    "solarize": [
        {"op": "RandomSolarize", "threshold": 128, "p": 1},
        {"op": "solarize", "threshold": 0.5},
    ],
    "grayscale": [
        {"op": "Grayscale", "num_output_channels": 3},
        {"op": "grayscale", "num_output_channels": 3},
    ],
    "random_grayscale": [{"op": "RandomGrayscale", "p": 0.5}, {"op": "random_grayscale", "p": 1}],
    "autocontrast": [{"op": "RandomAutocontrast", "p": 1}, {"op": "autocontrast", "p": 0.5}],
    "equalize": [{"op": "RandomEqualize", "p": 1}, {"op": "equalize"}],
    "channel_permutation": [{"op": "RandomChannelPermutation"}],
    "sharpness": [
        {"op": "RandomAdjustSharpness", "sharpness_factor": 0.5, "p": 1},
        {"op": "sharpness", "factor": 3.7},
    ],
    "posterize": [
        {"op": "RandomPosterize", "bits": 3, "p": 1},
        {"op": "posterize", "bits": 1, "p": 0.7},
    ],
    "pad": [
        {"op": "Pad", "padding": [1, 2], "fill": 9},
        {"op": "pad", "padding": [2, 0, 1, 3], "padding_mode": "reflect"},
        {"op": "pad", "padding": 2, "padding_mode": "symmetric"},
        {"op": "pad", "padding": 1, "padding_mode": "edge"},
    ],
    "rotation": [
        {"op": "RandomRotation", "degrees": 30},
        {"op": "rotation", "degrees": [-40, 10], "interpolation": "bilinear"},
        {"op": "rotation", "degrees": [5, 25], "interpolation": "bilinear", "zoom_out": True},
        {"op": "rotation", "degrees": 20, "fill": [10, 200, 30], "center": [3.5, 10], "p": 0.6},
    ],
    "affine": [
        {"op": "RandomAffine", "degrees": 15, "translate": [0.1, 0.2], "scale": [0.8, 1.2]},
        {
            "op": "affine",
            "degrees": [-30, 10],
            "shear": [-10, 10, -5, 5],
            "interpolation": "bilinear",
            "fill": 7,
        },
        {"op": "affine", "degrees": 0, "shear": 20, "center": [2.0, 3.5], "fill": [1, 2, 3]},
    ],
    "gaussian_blur": [
        {"op": "GaussianBlur", "kernel_size": [3, 5]},
        {"op": "gaussian_blur", "kernel": 7, "sigma": 1.5},
    ],
    "gaussian_noise": [
        {"op": "GaussianNoise"},
        {"op": "gaussian_noise", "mean": 0.05, "sigma": 0.3, "clip": False},
    ],
    "jpeg": [{"op": "JPEG", "quality": [5, 95]}, {"op": "jpeg", "quality": 50}],
}

TENSOR_OPS = {
    "normalize",
    "gaussian_noise",
    "gaussiannoise",
    "random_erasing",
    "randomerasing",
}  # lower-cased names


def pipeline_for(case: dict[str, Any]) -> dict[str, Any]:
    """A whole pipeline around one op case (adding to_tensor before tensor ops)."""
    ops = (
        [{"op": "to_tensor"}, case]
        if case["op"].lower() in TENSOR_OPS | {"Normalize".lower()}
        else [case]
    )
    return {"augspec": 1, "ops": ops}


def all_cases() -> list[tuple[str, dict[str, Any]]]:
    return [(name, case) for name, cases in OP_CASES.items() for case in cases]


def spec_tolerance(module: Any, spec: Pipeline) -> Tolerance:
    """A backend's stated tolerance for a short pipeline: its leaf ops' tolerances added up."""
    return sum((module.tolerance(op) for op in iter_leaves(spec.ops)), Tolerance(0.0, 0.0))


def substitutes_an_op(module: Any, spec: Pipeline) -> bool:
    """Whether ``fidelity="spec"`` replaces the native class of any of the pipeline's ops."""
    return any(
        chooses_substitute(record_for(module.NAME, module.RECORDS, op.op), op, "spec")
        for op in iter_leaves(spec.ops)
    )
