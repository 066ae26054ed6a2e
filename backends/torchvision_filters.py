"""torchvision (v1)'s records for the filter ops (augspec/ops/filters.py): ``GaussianBlur``
(PIL images go through ``pil_to_tensor`` and the tensor kernel) and the port of v2's
``GaussianNoise`` (:mod:`.torch_filters`). Spliced into
:data:`augspec.backends.torchvision.RECORDS`."""

from __future__ import annotations

from typing import Any

import torchvision.transforms.functional as F
from torchvision import transforms as T

from augspec.contract import OpRecord, Params, Tolerance

from . import torch_filters as TF

# PIL images: Pillow's round trip, the definition (0). Tensors: torchvision.io's libjpeg-turbo
# encoder and decoder (benchmarks/measure_filters.py).
JPEG_TOLERANCE = Tolerance(0.0, 0.0)
# The spec's float32 noise added in float32: a last-bit difference at most (x 255).
NOISE_BITS = Tolerance(0.001, 0.0001)

# float32 kernel and conv, torch.round (half to even): one level on a near-tie (measured by
# benchmarks/measure_filters.py: max 1, worst mean 0.0011 over the photo and edge images).
BLUR_TIES = Tolerance(1.0, 0.01)
BLUR_WHY = (
    "float32 outer-product kernel, one conv2d, torch.round: one level on a near-tie "
    "(benchmarks/measure_filters.py)"
)


def tv_kernel_size(op: Any) -> list[int]:
    """torchvision's ``kernel_size`` is ``(x, y)``: the spec's ``[height, width]`` swapped."""
    kh, kw = op.kernel_hw
    return [kw, kh]


def tv_sigma(op: Any) -> Any:
    lo, hi = op.sigma_range
    return lo if lo == hi else (lo, hi)


def gaussian_noise(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return TF.add_noise(op, p["noise_seed"], x)


def _jpeg(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return TF.jpeg_any(x, int(p["quality"]))


def _gaussian_blur(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    sigma = float(p["sigma"])
    return F.gaussian_blur(x, tv_kernel_size(op), [sigma, sigma])


RECORDS: tuple[OpRecord, ...] = (
    OpRecord(
        "gaussian_blur",
        _gaussian_blur,
        BLUR_TIES,
        build=lambda op: T.GaussianBlur(tv_kernel_size(op), tv_sigma(op)),
        why=BLUR_WHY,
    ),
    OpRecord(
        "gaussian_noise",
        gaussian_noise,
        NOISE_BITS,
        build=TF.GaussianNoise,
        status="ported",
        why="torchvision.transforms (v1) has no noise class (v2 has GaussianNoise); the port "
        "draws torch.randn_like as v2 does",
    ),
    OpRecord(
        "jpeg",
        _jpeg,
        JPEG_TOLERANCE,
        build=TF.JPEG,
        status="ported",
        why="torchvision.transforms (v1) has no JPEG class (v2 has JPEG); the port runs Pillow's "
        "encoder and decoder on PIL images (v2's PIL kernel, the spec's definition), "
        "torchvision.io's on tensors",
    ),
)
