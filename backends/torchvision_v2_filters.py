"""torchvision-v2's records for the filter ops (augspec/ops/filters.py): v2's ``GaussianBlur``
and ``GaussianNoise`` (compiled, it draws torch noise; replay adds the spec's noise of the
sampled ``noise_seed`` with v2's arithmetic).
Spliced into :data:`augspec.backends.torchvision_v2.RECORDS`."""

from __future__ import annotations

from typing import Any

from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as F

from augspec.contract import OpRecord, Params

from . import torch_filters as TF
from .torchvision_filters import (
    BLUR_TIES,
    BLUR_WHY,
    JPEG_TOLERANCE,
    NOISE_BITS,
    gaussian_noise,
    tv_kernel_size,
    tv_sigma,
)


def _jpeg(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return TF.jpeg_v2(x, int(p["quality"]))


def _gaussian_blur(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    sigma = float(p["sigma"])
    return F.gaussian_blur(x, tv_kernel_size(op), [sigma, sigma])


RECORDS: tuple[OpRecord, ...] = (
    OpRecord(
        "gaussian_blur",
        _gaussian_blur,
        BLUR_TIES,
        build=lambda op: v2.GaussianBlur(tv_kernel_size(op), tv_sigma(op)),
        why=f"gaussian_blur_image: {BLUR_WHY}",
    ),
    OpRecord(
        "gaussian_noise",
        gaussian_noise,
        NOISE_BITS,
        build=lambda op: v2.GaussianNoise(op.mean, op.sigma, op.clip),
        why="gaussian_noise_image: x + (mean + randn_like * sigma), clamped; compiled it draws "
        "torch's noise (the same distribution as the spec's PCG64 noise, other values)",
    ),
    OpRecord(
        "jpeg",
        _jpeg,
        JPEG_TOLERANCE,
        build=lambda op: TF.QuietJPEG(list(op.quality_range)),
        why="jpeg_image: torchvision.io encode_jpeg / decode_jpeg (libjpeg-turbo), byte for byte "
        "Pillow's file and decode (measured 0); built as v2.JPEG with torchvision 0.29's "
        "per-call deprecation warning of torchvision.io silenced",
    ),
)
