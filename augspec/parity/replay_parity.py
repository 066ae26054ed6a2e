"""Replay parity: the same params through every backend, both fidelities, and the reference.

For each unit and case, every *side* (``reference``, ``<backend>/native`` and
``<backend>/spec`` for each backend: torchvision, torchvision-v2, gluon; and the
candidate models of ``models``) replays the case; every *pair* of sides
accumulates the absolute difference in 0-255 units of the input image: max, mean
over all pixels of all cases, 99th percentile, which way it leans, and per-case
maxima.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from augspec import reference
from augspec.parity.cases import Case
from augspec.parity.models import model_replay, models_for
from augspec.parity.units import Unit

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

    def add(self, case: Case, a: np.ndarray, b: np.ndarray, scale: np.ndarray | float) -> None:
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
    for case in cases:
        img = case_image(image, case)
        outputs: dict[str, np.ndarray] = {}
        for side, run in sides.items():
            if side in errors:
                continue
            try:
                outputs[side] = run(case, img)
            except Exception as err:  # noqa: BLE001 - a backend failing is a measured result
                errors[side] = (
                    f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
                )
        for (a, b), stats in pairs.items():
            if a in outputs and b in outputs:
                stats.add(case, outputs[a], outputs[b], scale)
        if progress is not None:
            progress()
    return UnitReplay(unit, cases, pairs, errors)


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
