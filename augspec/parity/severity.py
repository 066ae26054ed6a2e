"""Severity classes: how much a measured difference matters, instead of a yes/no verdict.

Every measured difference (a backend against the reference, or two backends against each
other, on the same params) gets one class:

- ``bit-exact``: no value differs.
- ``rounding``: at most :data:`ROUNDING_LEVELS` levels (0-255 units) anywhere.
- ``visible``: colour or intensity beyond rounding.
- ``geometric``: content shifted, cropped or resampled differently (an op that moves pixels
  differs beyond rounding, or the output sizes differ).
- ``undefined``: values that change from run to run (a replay repeated after other work gives
  other values: memory the framework never wrote). Their numbers are not reported as such.
- ``convention``: the same written code (class name and positional arguments) means different
  things in two frameworks (size order, what an int size means, flip probability, how jitter
  factors are drawn, which RNG): measured by :mod:`augspec.parity.conventions`.

``undefined`` wins over every other class (the numbers of an unstable output mean nothing),
then a different output size (geometric), then the size of the largest difference.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from augspec.ops import crops, flips, resize

BIT_EXACT = "bit-exact"
ROUNDING = "rounding"
VISIBLE = "visible"
GEOMETRIC = "geometric"
UNDEFINED = "undefined"
CONVENTION = "convention"
SEVERITIES = (BIT_EXACT, ROUNDING, VISIBLE, GEOMETRIC, UNDEFINED, CONVENTION)

ROUNDING_LEVELS = 2.0  # "rounding": no value more than this many 0-255 levels apart

# Ops that move pixels (flip, crop, resample): their differences beyond rounding are geometric.
GEOMETRIC_OPS = frozenset(d.name for family in (flips, crops, resize) for d in family.DEFS)

# Ops whose every output value is an input value (or a constant fill): moving every input
# value moves every output value they wrote, which is how unwritten memory is told apart.
COPY_OPS = frozenset({"horizontal_flip", "vertical_flip", "center_crop", "random_crop"})

WHAT = {
    BIT_EXACT: "no value differs",
    ROUNDING: f"at most {ROUNDING_LEVELS:g} levels (of 255) apart: rounding",
    VISIBLE: "colour or intensity beyond rounding",
    GEOMETRIC: "content shifted, cropped or resampled differently",
    UNDEFINED: "values change from run to run (memory never written)",
    CONVENTION: "the same written code means different things",
}


def moves_pixels(op_names: list[str] | tuple[str, ...] | set[str]) -> bool:
    """Whether any of the ops moves pixels (its differences are geometric, not colour)."""
    return any(name in GEOMETRIC_OPS for name in op_names)


def classify(
    max_diff: float | None,
    geometric_op: bool,
    unstable_pixels: int = 0,
    shapes_differ: bool = False,
) -> str:
    """The class of one measured difference from its numbers."""
    if unstable_pixels > 0:
        return UNDEFINED
    if shapes_differ:
        return GEOMETRIC
    if not max_diff:
        return BIT_EXACT
    if max_diff <= ROUNDING_LEVELS:
        return ROUNDING
    return GEOMETRIC if geometric_op else VISIBLE


def classify_stats(stats: dict[str, Any], geometric_op: bool) -> str:
    """The class of a pair's accumulated numbers (:meth:`PairStats.summary` or a verdict entry)."""
    return classify(
        stats.get("max"),
        geometric_op,
        int(stats.get("unstable_pixels") or 0),
        bool(stats.get("shape_mismatches")),
    )


def unstable_mask(first: np.ndarray, again: np.ndarray) -> np.ndarray:
    """Where two replays of the same params disagree (True: the value is not defined)."""
    if first.shape != again.shape:
        raise ValueError(
            f"Expected two replays of the same params to have one shape; received "
            f"{first.shape} and {again.shape}"
        )
    return np.asarray(first != again)


def classify_arrays(
    a: np.ndarray, b: np.ndarray, geometric_op: bool, a_again: np.ndarray | None = None
) -> str:
    """The class of ``a`` against ``b`` (0-255 units), ``a_again`` being ``a`` replayed again."""
    if a_again is not None and unstable_mask(a, a_again).any():
        return UNDEFINED
    if a.shape != b.shape:
        return classify(None, geometric_op, shapes_differ=True)
    diff = np.abs(a.astype(np.float64) - b.astype(np.float64))
    return classify(float(diff.max()) if diff.size else 0.0, geometric_op)


def in_words(severity: str, max_diff: float | None, mean_diff: float | None) -> str:
    """The size of a difference in human terms (what a reader would see)."""
    if severity == UNDEFINED:
        return "garbage where the framework wrote nothing"
    if severity == CONVENTION:
        return "a different result from the same line of code"
    if not max_diff:
        return "identical"
    mean = mean_diff or 0.0
    if severity == ROUNDING:
        return "invisible (rounding)"
    if mean >= 8:
        return "obvious at a glance"
    if mean >= 1:
        return "visible side by side"
    return "visible in places, on close inspection"
