"""Candidate explanations as numbers: variants of the reference that each change one rule.

A difference is explained by a model only when measurement shows the
backend closer to the model than to the reference (see ``verdicts``). Each
model is the reference run with one rule swapped (rounding, resampling
filter, grey level), so it reuses the reference kernels and stays honest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from augspec import reference
from augspec.pipeline import Pipeline
from augspec.sampling import Params

COLOUR_OPS = ("brightness", "contrast", "saturation", "hue", "color_jitter", "lighting")
RESAMPLE_OPS = ("random_resized_crop", "resize")


@dataclass(frozen=True)
class Model:
    name: str
    description: str
    ops: tuple[str, ...]
    patch: Callable[[], Any]  # a context manager factory that swaps the rule in the reference


def _truncate(x: np.ndarray) -> np.ndarray:
    # What a C cast (or torch .to(uint8)) does after a clamp: toward zero.
    return np.clip(x, 0, 255).astype(np.uint8)


@contextmanager
def _swapped(obj: Any, name: str, value: Any) -> Iterator[None]:
    old = obj[name] if isinstance(obj, dict) else getattr(obj, name)
    if isinstance(obj, dict):
        obj[name] = value
    else:
        setattr(obj, name, value)
    try:
        yield
    finally:
        if isinstance(obj, dict):
            obj[name] = old
        else:
            setattr(obj, name, old)


def _resample_no_antialias(in_size: int, out_size: int, interpolation: str) -> np.ndarray:
    """The reference filter without widening when shrinking (OpenCV's / torch's antialias=False)."""
    if interpolation == "nearest" or out_size >= in_size:
        return _ORIGINAL_RESAMPLE(in_size, out_size, interpolation)
    kernel, support = reference.FILTERS[interpolation]
    centers = (np.arange(out_size) + 0.5) * in_size / out_size
    x = np.arange(in_size) + 0.5
    m = np.zeros((out_size, in_size))
    for i, c in enumerate(centers):
        lo, hi = max(int(c - support + 0.5), 0), min(int(c + support + 0.5), in_size)
        w = kernel(x[lo:hi] - c)
        m[i, lo:hi] = w / w.sum()
    return m


_ORIGINAL_RESAMPLE = reference.resample_matrix


def _saturation_blue_grey(image: np.ndarray, factor: float) -> np.ndarray:
    grey = image[..., 2:3].astype(np.float64) * 0.114
    return _truncate(factor * image.astype(np.float64) + (1.0 - factor) * grey)


@contextmanager
def _truncating() -> Iterator[None]:
    with _swapped(reference, "to_uint8", _truncate):
        yield


@contextmanager
def _no_antialias() -> Iterator[None]:
    with _swapped(reference, "resample_matrix", _resample_no_antialias):
        yield


@contextmanager
def _truncating_blue_grey() -> Iterator[None]:
    with _truncating(), _swapped(reference.COLOR_ADJUST, "saturation", _saturation_blue_grey):
        yield


MODELS: dict[str, Model] = {
    m.name: m
    for m in (
        Model("truncate", "the reference with truncation toward zero instead of round-half-up",
              COLOUR_OPS, _truncating),
        Model("no_antialias", "the reference resampling without widening the filter when shrinking",
              RESAMPLE_OPS, _no_antialias),
        Model("blue_grey", "truncation, and saturation blended with 0.114*B instead of the luma",
              ("saturation", "color_jitter"), _truncating_blue_grey),
    )
}


def models_for(op: str) -> list[Model]:
    return [m for m in MODELS.values() if op in m.ops]


def model_replay(model: Model, spec: Pipeline, params: Params, image: np.ndarray) -> np.ndarray:
    with model.patch():
        return reference.replay(spec, params, image)
