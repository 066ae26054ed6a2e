"""torchvision (v1)'s records for the photometric ops (augspec/ops/photometric.py): the v1
classes and functional kernels (PIL path, or tensor path for tensors given to ``replay``), the
faithful substitutes (:mod:`.torch_photometric`) where they depart from the spec (grayscale on
tensors, autocontrast and sharpness truncate), and the port of v2's RandomChannelPermutation.
Spliced into :data:`augspec.backends.torchvision.RECORDS`."""

from __future__ import annotations

from typing import Any

import torchvision.transforms.functional as F
from torchvision import transforms as T

from augspec.contract import EXACT, OpRecord, Params, Substitute, Tolerance, always

from . import torch_photometric as P

# A .5 tie that another summation order decides the other way (as the v1 backend's _TIES).
_TIES = Tolerance(1.0, 0.001)
# PIL's convert("L"): (19595 R + 38470 G + 7471 B + 0x8000) >> 16, the spec's weights in 16-bit
# fixed point, rounded: one level on a near-tie (photo: max 1, mean 1.3e-05).
_GREY_WHY = "PIL's convert('L') is the ITU-R 601 grey level in 16-bit fixed point, rounded"
# The same class on a tensor (replay keeps tensors on torchvision's tensor path) runs
# _functional_tensor.rgb_to_grayscale: 0.2989 R + 0.587 G + 0.114 B truncated (mean 0.51).
_GREY_TENSOR_WHY = (
    "on a tensor torchvision's rgb_to_grayscale weights red 0.2989 and truncates to uint8 "
    "(mean 0.51); on PIL, convert('L') rounds a 16-bit fixed-point grey level (max 1)"
)


def _invert(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return F.invert(x) if p["apply"] else x


def _solarize(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return F.solarize(x, op.threshold) if p["apply"] else x


def _posterize(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return F.posterize(x, op.bits) if p["apply"] else x


def _grayscale(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return F.rgb_to_grayscale(x, 3)


def _random_grayscale(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return F.rgb_to_grayscale(x, 3) if p["apply"] else x


def _autocontrast(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return F.autocontrast(x) if p["apply"] else x


def _equalize(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return F.equalize(x) if p["apply"] else x


def _faithful_autocontrast(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return P.autocontrast_any(x) if p["apply"] else x


def _channel_permutation(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return P.permute_channels(x, p["perm"])


def _sharpness(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return F.adjust_sharpness(x, op.factor) if p["apply"] else x


def _faithful_sharpness(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return P.sharpen_any(x, op.factor) if p["apply"] else x


def _faithful_grayscale(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return P.grayscale_any(x) if p.get("apply", True) else x


RECORDS: tuple[OpRecord, ...] = (
    OpRecord(
        "invert",
        _invert,
        EXACT,
        build=lambda op: T.RandomInvert(op.p),
        why="ImageOps.invert: 255 - x (measured 0)",
    ),
    OpRecord(
        "solarize",
        _solarize,
        EXACT,
        build=lambda op: T.RandomSolarize(op.threshold, op.p),
        why="ImageOps.solarize: 255 - x where x >= threshold (measured 0)",
    ),
    OpRecord(
        "posterize",
        _posterize,
        EXACT,
        build=lambda op: T.RandomPosterize(op.bits, op.p),
        why="ImageOps.posterize: x & ~(2**(8 - bits) - 1) (measured 0)",
    ),
    OpRecord(
        "grayscale",
        _grayscale,
        _TIES,
        build=lambda op: T.Grayscale(3),
        substitute=Substitute(
            always(_GREY_TENSOR_WHY), lambda op: P.FaithfulGrayscaleV1(3), _faithful_grayscale
        ),
        why=_GREY_WHY,
    ),
    OpRecord(
        "random_grayscale",
        _random_grayscale,
        _TIES,
        build=lambda op: T.RandomGrayscale(op.p),
        substitute=Substitute(
            always(_GREY_TENSOR_WHY),
            lambda op: P.FaithfulRandomGrayscaleV1(op.p),
            _faithful_grayscale,
        ),
        why=_GREY_WHY,
    ),
    OpRecord(
        "autocontrast",
        _autocontrast,
        EXACT,
        build=lambda op: T.RandomAutocontrast(op.p),
        substitute=Substitute(
            always(
                "ImageOps.autocontrast truncates its table int(i * scale + offset) "
                "(the tensor kernel casts a float32 quotient): max 1, mean 0.47"
            ),
            lambda op: P.FaithfulRandomAutocontrastV1(op.p),
            _faithful_autocontrast,
        ),
        why="the substitute rounds (x - lo) * 255 / (hi - lo) half up, in float64",
    ),
    OpRecord(
        "equalize",
        _equalize,
        EXACT,
        build=lambda op: T.RandomEqualize(op.p),
        why="ImageOps.equalize (and its tensor copy) is the spec's integer table (measured 0)",
    ),
    OpRecord(
        "sharpness",
        _sharpness,
        _TIES,
        build=lambda op: T.RandomAdjustSharpness(op.factor, op.p),
        substitute=Substitute(
            always(
                "PIL's ImageEnhance.Sharpness blends with Image.blend, which truncates (the tensor kernel "
                "casts its float32 blend to uint8): max 1, mean 0.49 at factor 0.5"
            ),
            lambda op: P.FaithfulRandomAdjustSharpnessV1(op.factor, op.p),
            _faithful_sharpness,
        ),
        why="the substitute blends with PIL's SMOOTH image in float64 and rounds half up",
    ),
    OpRecord(
        "channel_permutation",
        _channel_permutation,
        EXACT,
        build=lambda op: P.ChannelPermutation(),
        status="ported",
        why="torchvision.transforms (v1) has no channel permutation (v2 has RandomChannelPermutation)",
    ),
)
