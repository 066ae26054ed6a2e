"""torchvision-v2's records for the photometric ops (augspec/ops/photometric.py): v2's own
classes and functional kernels, and the faithful substitutes (:mod:`.torch_photometric`) where v2
departs from the spec (grayscale, autocontrast and sharpness truncate to uint8). Spliced into
:data:`augspec.backends.torchvision_v2.RECORDS`."""

from __future__ import annotations

from typing import Any

from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as F

from augspec.contract import EXACT, OpRecord, Params, Substitute, Tolerance, always

from . import torch_photometric as P

# A .5 tie that another summation order decides the other way (as the v2 backend's _TIES).
_TIES = Tolerance(1.0, 0.001)

_SHARPNESS_WHY = (
    "v2 adjust_sharpness_image blends with the rounded SMOOTH image in float32 and casts to "
    "uint8, truncating (factor 0.5: max 1, mean 0.49)"
)
_AUTOCONTRAST_WHY = (
    "v2 autocontrast_image divides by (hi - lo) / 255 in float32 and casts to uint8, "
    "truncating (a low-contrast image: max 1, mean 0.51)"
)
_GREY_WHY = (
    "v2 _rgb_to_grayscale_image (functional/_color.py) weights red 0.2989 and casts the grey "
    "level to uint8, truncating (photo: max 1, mean 0.51)"
)


def _invert(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return F.invert(x) if p["apply"] else x


def _solarize(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return F.solarize(x, op.threshold) if p["apply"] else x


def _posterize(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return F.posterize(x, op.bits) if p["apply"] else x


def _grayscale(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return F.rgb_to_grayscale(x, num_output_channels=3)


def _random_grayscale(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return F.rgb_to_grayscale(x, num_output_channels=3) if p["apply"] else x


def _autocontrast(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return F.autocontrast(x) if p["apply"] else x


def _equalize(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return F.equalize(x) if p["apply"] else x


def _faithful_autocontrast(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return P.autocontrast(x) if p["apply"] else x


def _channel_permutation(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return F.permute_channels(x, list(p["perm"]))


def _sharpness(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return F.adjust_sharpness(x, op.factor) if p["apply"] else x


def _faithful_sharpness(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return P.sharpen(x, op.factor) if p["apply"] else x


def _faithful_grayscale(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return P.grayscale(x) if p.get("apply", True) else x


RECORDS: tuple[OpRecord, ...] = (
    OpRecord(
        "invert",
        _invert,
        EXACT,
        build=lambda op: v2.RandomInvert(op.p),
        why="invert_image: 255 - x on uint8 (measured 0)",
    ),
    OpRecord(
        "solarize",
        _solarize,
        EXACT,
        build=lambda op: v2.RandomSolarize(op.threshold, op.p),
        why="solarize_image: where(x >= threshold, 255 - x, x) (measured 0)",
    ),
    OpRecord(
        "posterize",
        _posterize,
        EXACT,
        build=lambda op: v2.RandomPosterize(op.bits, op.p),
        why="posterize_image: x & (2**bits - 1) << (8 - bits) on uint8 (measured 0)",
    ),
    OpRecord(
        "grayscale",
        _grayscale,
        _TIES,
        build=lambda op: v2.Grayscale(3),
        substitute=Substitute(
            always(_GREY_WHY), lambda op: P.FaithfulGrayscale(3), _faithful_grayscale
        ),
        why=f"{_GREY_WHY}; substituted by the spec's grey level (torch_photometric.grayscale)",
    ),
    OpRecord(
        "random_grayscale",
        _random_grayscale,
        _TIES,
        build=lambda op: v2.RandomGrayscale(op.p),
        substitute=Substitute(
            always(_GREY_WHY), lambda op: P.FaithfulRandomGrayscale(op.p), _faithful_grayscale
        ),
        why=f"{_GREY_WHY}; substituted by the spec's grey level (torch_photometric.grayscale)",
    ),
    OpRecord(
        "autocontrast",
        _autocontrast,
        EXACT,
        build=lambda op: v2.RandomAutocontrast(op.p),
        substitute=Substitute(
            always(_AUTOCONTRAST_WHY),
            lambda op: P.FaithfulRandomAutocontrast(op.p),
            _faithful_autocontrast,
        ),
        why=f"{_AUTOCONTRAST_WHY}; the substitute rounds in float64",
    ),
    OpRecord(
        "equalize",
        _equalize,
        EXACT,
        build=lambda op: v2.RandomEqualize(op.p),
        why="equalize_image computes PIL's integer table, the spec's (measured 0)",
    ),
    OpRecord(
        "sharpness",
        _sharpness,
        _TIES,
        build=lambda op: v2.RandomAdjustSharpness(op.factor, op.p),
        substitute=Substitute(
            always(_SHARPNESS_WHY),
            lambda op: P.FaithfulRandomAdjustSharpness(op.factor, op.p),
            _faithful_sharpness,
        ),
        why=f"{_SHARPNESS_WHY}; the substitute rounds in float64",
    ),
    OpRecord(
        "channel_permutation",
        _channel_permutation,
        EXACT,
        build=lambda op: v2.RandomChannelPermutation(),
        why="permute_channels_image indexes the channels (measured 0)",
    ),
)
