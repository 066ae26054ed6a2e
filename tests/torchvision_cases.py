"""Test helpers for the torchvision backend's tests.

The cases themselves (``CASES``: (id, tolerance key, spec dict), at least one per op in
``augspec.ops.OP_NAMES``, checked by a guard test) and the synthetic ``edge_images()`` live in
``augspec.benchmarks.torch_cases``, shared with the scripts that measure the envelopes the tests hold the
backend to; they are re-exported here.
"""

from __future__ import annotations

import numpy as np
from augspec.benchmarks.torch_cases import CASES, as_255, edge_images

import augspec
from augspec.contract import Tolerance
from augspec.pipeline import iter_leaves
from augspec.reference import resize as reference_resize

__all__ = ["CASES", "as_255", "edge_images", "small_photo", "tolerance"]


def tolerance(table: dict[str, Tolerance], spec: augspec.Pipeline) -> Tolerance:
    """The case's tolerance from ``table`` (the stated tolerances or a native envelope): the
    largest over its leaf ops (containers have none of their own; to_tensor/normalize add none)."""
    leaves = [table[op.op] for op in iter_leaves(spec.ops)]
    return Tolerance(max(t.max for t in leaves), max(t.mean for t in leaves))


def small_photo(photo: np.ndarray, height: int = 120) -> np.ndarray:
    """The photo downsized with the reference resize (to keep the tests fast)."""
    width = round(photo.shape[1] * height / photo.shape[0])
    return reference_resize(photo, (height, width), "bilinear")
