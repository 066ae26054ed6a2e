"""Replay parity: the same params through every backend, both fidelities, and the reference.

For each unit and case, every *side* (``reference``, ``<backend>/native`` and
``<backend>/spec`` for each backend: torchvision, torchvision-v2, gluon; and the
candidate models of ``models``) replays the case; every *pair* of sides
accumulates the absolute difference in 0-255 units of the input image: max, mean
over all pixels of all cases, 99th percentile, which way it leans, and per-case
maxima.

A backend side whose output departs from the reference beyond rounding is replayed once more
after other work through the same backend (:func:`scramble`): values that change between the
two replays are *undefined* (memory the framework never wrote, e.g. the middle column of an
odd-sized Gluon flip). Their count is kept, and every pair's numbers are also kept over the
stable values only, so the report can say "undefined" instead of printing unstable numbers.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from augspec import reference
from augspec.ops import Brightness
from augspec.parity.cases import Case
from augspec.parity.models import model_replay, models_for
from augspec.parity.severity import COPY_OPS, ROUNDING_LEVELS, unstable_mask
from augspec.parity.units import Unit
from augspec.pipeline import Pipeline, iter_leaves
from augspec.sampling import sample

FIDELITIES = ("native", "spec")
REFERENCE = "reference"

Replayer = Callable[[Case, np.ndarray], np.ndarray]


def as_255(x: np.ndarray, scale: np.ndarray | float) -> np.ndarray:
    """An output in 0-255 units of the input, HWC: uint8 images as is, CHW tensors scaled."""
    if x.dtype == np.uint8:
        return x
    hwc = np.asarray(x, dtype=np.float64).transpose(1, 2, 0)
    return hwc * scale


def percentile_from_counts(counts: np.ndarray, q: float) -> float:
    """np.percentile(values, q) (linear method) for integer values given as a histogram."""
    n = int(counts.sum())
    cum = np.cumsum(counts)
    pos = q / 100.0 * (n - 1)
    lo, hi = int(np.floor(pos)), int(np.ceil(pos))
    v_lo = int(np.searchsorted(cum, lo, side="right"))
    v_hi = int(np.searchsorted(cum, hi, side="right"))
    return float(v_lo + (v_hi - v_lo) * (pos - lo))


@dataclass
class PairStats:
    """Accumulated |a - b| over the cases of one unit."""

    a: str
    b: str
    count: int = 0
    total: float = 0.0
    max: float = 0.0
    above: int = 0  # pixels where a > b
    below: int = 0  # pixels where a < b
    int_counts: np.ndarray = field(default_factory=lambda: np.zeros(256, dtype=np.int64))
    floats: list[np.ndarray] = field(default_factory=list)
    cases: list[dict[str, Any]] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    # Values that changed between two replays of the same params, and the numbers without them.
    unstable_pixels: int = 0
    unstable_cases: list[str] = field(default_factory=list)
    stable_max: float = 0.0
    stable_total: float = 0.0
    stable_count: int = 0

    def add(
        self,
        case: Case,
        a: np.ndarray,
        b: np.ndarray,
        scale: np.ndarray | float,
        unstable: np.ndarray | None = None,
    ) -> None:
        """Accumulate |a - b|; ``unstable`` (HWC, as_255's layout) marks undefined values."""
        a255, b255 = as_255(a, scale), as_255(b, scale)
        if a255.shape != b255.shape:
            self.mismatches.append(f"{case.label}: {self.a} {a255.shape} vs {self.b} {b255.shape}")
            self.cases.append(
                {"label": case.label, "kind": case.kind, "max": None, "mean": None, **case.features}
            )
            return
        signed = a255.astype(np.float64) - b255.astype(np.float64)
        diff = np.abs(signed)
        if a255.dtype == np.uint8 and b255.dtype == np.uint8:
            self.int_counts += np.bincount(diff.astype(np.int64).ravel(), minlength=256)
        else:
            self.floats.append(diff.ravel().astype(np.float64))
        self.count += diff.size
        self.total += float(diff.sum())
        case_max = float(diff.max()) if diff.size else 0.0
        self.max = max(self.max, case_max)
        self.above += int((signed > 0).sum())
        self.below += int((signed < 0).sum())
        stable = diff
        if unstable is not None and unstable.shape == diff.shape and unstable.any():
            self.unstable_pixels += int(unstable.sum())
            self.unstable_cases.append(case.label)
            stable = diff[~unstable]
        self.stable_count += stable.size
        self.stable_total += float(stable.sum())
        self.stable_max = max(self.stable_max, float(stable.max()) if stable.size else 0.0)
        self.cases.append(
            {
                "label": case.label,
                "kind": case.kind,
                "max": case_max,
                "mean": float(diff.mean()) if diff.size else 0.0,
                **case.features,
            }
        )

    def p99(self) -> float:
        if not self.floats:
            return percentile_from_counts(self.int_counts, 99.0) if self.count else 0.0
        ints = np.repeat(np.arange(256, dtype=np.float64), self.int_counts)
        return float(np.percentile(np.concatenate([ints, *self.floats]), 99.0))

    def summary(self) -> dict[str, Any]:
        measured = self.count > 0
        return {
            "a": self.a,
            "b": self.b,
            "max": self.max if measured else None,
            "mean": self.total / self.count if measured else None,
            "p99": self.p99() if measured else None,
            "pixels": self.count,
            "a_above_b": self.above,
            "a_below_b": self.below,
            "shape_mismatches": self.mismatches,
            "unstable_pixels": self.unstable_pixels,
            "unstable_cases": self.unstable_cases,
            "stable_max": self.stable_max if measured else None,
            "stable_mean": self.stable_total / self.stable_count if self.stable_count else None,
            "cases": self.cases,
        }


def backend_sides(backends: dict[str, Any]) -> list[str]:
    return [f"{name}/{f}" for name in backends for f in FIDELITIES]


def side_replayers(unit: Unit, backends: dict[str, Any]) -> dict[str, Replayer]:
    """Every side of a unit: the reference, each backend x fidelity, each candidate model."""
    spec = unit.pipeline

    def ref(case: Case, image: np.ndarray) -> np.ndarray:
        return reference.replay(spec, case.params, image)

    sides: dict[str, Replayer] = {REFERENCE: ref}
    for name, module in backends.items():
        for fidelity in FIDELITIES:
            sides[f"{name}/{fidelity}"] = _backend_replayer(module, spec, fidelity)
    for model in models_for(unit.name):
        sides[f"model:{model.name}"] = _model_replayer(model, spec)
    return sides


def _backend_replayer(module: Any, spec: Any, fidelity: str) -> Replayer:
    def run(case: Case, image: np.ndarray) -> np.ndarray:
        return np.asarray(module.to_numpy(module.replay(spec, case.params, image, fidelity)))

    return run


def _model_replayer(model: Any, spec: Any) -> Replayer:
    def run(case: Case, image: np.ndarray) -> np.ndarray:
        return model_replay(model, spec, case.params, image)

    return run


def framework_pairs(backends: list[str]) -> list[tuple[str, str]]:
    """Every two backends, in the given order, per fidelity (e.g. torchvision vs torchvision-v2)."""
    return [
        (f"{a}/{f}", f"{b}/{f}") for f in FIDELITIES for a, b in itertools.combinations(backends, 2)
    ]


def pairs_for(sides: list[str], backends: list[str]) -> list[tuple[str, str]]:
    """Backend sides vs the reference and vs each model; every two backends per fidelity."""
    models = [s for s in sides if s.startswith("model:")]
    out = [(s, REFERENCE) for s in backend_sides_from(sides)]
    out += [(s, m) for s in backend_sides_from(sides) for m in models]
    return out + framework_pairs(backends)


def backend_sides_from(sides: list[str]) -> list[str]:
    return [s for s in sides if "/" in s and not s.startswith("model:")]


def case_image(image: np.ndarray, case: Case) -> np.ndarray:
    h, w = case.image_hw
    return image if image.shape[:2] == (h, w) else np.ascontiguousarray(image[:h, :w])


@dataclass
class UnitReplay:
    unit: Unit
    cases: list[Case]
    pairs: dict[tuple[str, str], PairStats]
    errors: dict[str, str]

    def summary(self) -> dict[str, Any]:
        return {f"{a} vs {b}": p.summary() for (a, b), p in self.pairs.items()}


# Other work between two replays: a full-size output through the same backend, so that a buffer
# the framework reuses holds other values the second time.
SCRAMBLE = Pipeline(ops=[Brightness(factor=(0.5, 0.5))])


def scramble(module: Any, image: np.ndarray, variant: int = 0) -> None:
    """Replay brightness changes of other images (inverted, shifted) through ``module``, all
    held at once so that several of the framework's buffers are filled, then discard them."""
    base = 255 - image if variant % 2 == 0 else (255 - image)[::-1]
    hw = (int(image.shape[0]), int(image.shape[1]))
    params = sample(SCRAMBLE, seed=0, index=0, image_size=hw)
    held = [
        module.replay(
            SCRAMBLE, params, np.ascontiguousarray(np.roll(base, 17 * k, axis=0)), "native"
        )
        for k in range(4)
    ]
    for out in held:
        module.to_numpy(out)


def _hwc(mask: np.ndarray, out: np.ndarray) -> np.ndarray:
    return mask if out.dtype == np.uint8 else mask.transpose(1, 2, 0)


def _beyond_rounding(out: np.ndarray, ref: np.ndarray | None, scale: np.ndarray | float) -> bool:
    if ref is None:
        return False
    x, y = as_255(out, scale), as_255(ref, scale)
    if x.shape != y.shape:
        return False
    return bool(np.abs(x.astype(np.float64) - y.astype(np.float64)).max() > ROUNDING_LEVELS)


RECHECKS = 2  # replays after other work; garbage rarely repeats itself twice


def unstable_values(
    run: Replayer,
    module: Any,
    case: Case,
    image: np.ndarray,
    first: np.ndarray,
    reference_run: Replayer | None = None,
) -> np.ndarray | None:
    """Where replays after :func:`scramble` disagree with ``first`` (HWC layout of ``first``; a
    pixel counts whole when any channel changed); None if nowhere.

    Unwritten memory often holds the same thing twice (zeros of a fresh page), so for ops that
    only copy values (``reference_run`` given: flips and crops, :data:`COPY_OPS`) a value that
    stays put when every input value moves by 128 (mod 256), while the reference's moves, is
    undefined too: it was never copied from the input.
    """
    mask = np.zeros(first.shape, dtype=bool)
    for variant in range(RECHECKS):
        scramble(module, image, variant)
        run(case, np.ascontiguousarray(255 - image))  # its own buffers, filled otherwise
        again = run(case, image)
        if again.shape != first.shape:
            return np.ones(first.shape, dtype=bool)
        mask |= unstable_mask(first, again)
    if reference_run is not None:
        moved = np.ascontiguousarray(image ^ np.uint8(128))
        ref_a, ref_b = reference_run(case, image), reference_run(case, moved)
        side_b = run(case, moved)
        if side_b.shape == first.shape and ref_a.shape == ref_b.shape == first.shape:
            mask |= (first == side_b) & (ref_a != ref_b)
    if not mask.any():
        return None
    channel_axis = -1 if first.dtype == np.uint8 else 0
    return np.broadcast_to(mask.any(axis=channel_axis, keepdims=True), mask.shape).copy()


def run_unit(
    unit: Unit,
    cases: list[Case],
    image: np.ndarray,
    backends: dict[str, Any],
    progress: Callable[[], None] | None = None,
) -> UnitReplay:
    """Replay every case on every side and accumulate every pair."""
    sides = side_replayers(unit, backends)
    pairs = {(a, b): PairStats(a, b) for a, b in pairs_for(list(sides), list(backends))}
    errors: dict[str, str] = {}
    scale = unit.output_scale
    leaves = {o.op for o in iter_leaves(unit.pipeline.ops)} - {"to_tensor"}
    copies_only = bool(leaves) and leaves <= COPY_OPS
    for case in cases:
        img = case_image(image, case)
        outputs: dict[str, np.ndarray] = {}
        unstable: dict[str, np.ndarray] = {}
        for side, run in sides.items():
            if side in errors:
                continue
            try:
                outputs[side] = run(case, img)
                if "/" in side and _beyond_rounding(outputs[side], outputs.get(REFERENCE), scale):
                    mask = unstable_values(
                        run,
                        backends[side.split("/")[0]],
                        case,
                        img,
                        outputs[side],
                        sides[REFERENCE] if copies_only else None,
                    )
                    if mask is not None:
                        unstable[side] = _hwc(mask, outputs[side])
            except Exception as err:  # noqa: BLE001 - a backend failing is a measured result
                errors[side] = (
                    f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
                )
        for (a, b), stats in pairs.items():
            if a in outputs and b in outputs:
                stats.add(case, outputs[a], outputs[b], scale, _union(unstable, a, b))
        if progress is not None:
            progress()
    return UnitReplay(unit, cases, pairs, errors)


def _union(unstable: dict[str, np.ndarray], a: str, b: str) -> np.ndarray | None:
    masks = [unstable[s] for s in (a, b) if s in unstable]
    if len(masks) == 2 and masks[0].shape == masks[1].shape:
        return masks[0] | masks[1]
    return masks[0] if masks else None


def replay_case(
    unit: Unit, case: Case, image: np.ndarray, backends: dict[str, Any]
) -> dict[str, np.ndarray]:
    """All sides' outputs for one case (for the sheets); failing sides are left out."""
    out: dict[str, np.ndarray] = {}
    img = case_image(image, case)
    for side, run in side_replayers(unit, backends).items():
        try:
            out[side] = run(case, img)
        except Exception:  # noqa: BLE001, S112 - the sheet shows what ran
            continue
    return out
