"""What the parity report measures: one *unit* per distinct op of the spec files.

A unit is a one-op pipeline (prefixed with ``to_tensor`` where the op acts on
tensors) so every op is measured on its own. Containers (``random_apply``,
``compose``) are measured as a whole and their children one by one. The same
op with the same settings in several files is measured once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from augspec.ops import Compose, Normalize, OpBase, RandomApply, ToTensor
from augspec.ops.choice import CHOICE_CONTAINERS
from augspec.pipeline import IMAGE, TENSOR, Pipeline, iter_leaves


@dataclass
class Unit:
    """One op measured on its own; ``pipeline`` is what gets replayed and compiled."""

    key: str
    op: OpBase
    pipeline: Pipeline
    sources: list[str] = field(default_factory=list)
    # Image-state ops before this one in the first spec that holds it: what makes the
    # op's own input when the image itself does not fit the op (a crop larger than it).
    prefix: list[OpBase] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.op.op

    @property
    def label(self) -> str:
        args = self.op.model_dump(mode="json", exclude_defaults=True, exclude={"op"})
        children = getattr(self.op, "ops", None)
        if isinstance(self.op, (Compose, RandomApply)) or self.name in CHOICE_CONTAINERS:
            args.pop("ops", None)
            args["ops"] = "[" + ", ".join(o.op for o in children or ()) + "]"
        text = ", ".join(
            f"{k}={json.dumps(v) if not isinstance(v, str) else v}" for k, v in args.items()
        )
        return f"{self.name}({text})"

    @property
    def output_scale(self) -> np.ndarray | float:
        """Multiply an output by this to get 0-255 units of the input image."""
        leaves = list(iter_leaves(self.pipeline.ops))
        norms = [o for o in leaves if isinstance(o, Normalize)]
        if norms:
            std = np.asarray(norms[-1].std, dtype=np.float64)
            return 255.0 * (std if std.size == 3 else np.repeat(std, 3))
        if any(isinstance(o, ToTensor) for o in leaves):
            return 255.0
        return 1.0


def op_key(op: OpBase) -> str:
    return json.dumps(op.model_dump(mode="json"), sort_keys=True)


def _unit_pipeline(op: OpBase, state: str) -> Pipeline:
    ops: list[OpBase] = (
        [ToTensor(), op] if state == TENSOR and not isinstance(op, ToTensor) else [op]
    )
    return Pipeline(ops=ops)


def _walk(
    ops: list[OpBase], state: str, source: str, units: dict[str, Unit], before: list[OpBase]
) -> str:
    before = list(before)
    for op in ops:
        key = op_key(op)
        if key not in units:
            units[key] = Unit(key, op, _unit_pipeline(op, state), prefix=list(before))
        if source not in units[key].sources:
            units[key].sources.append(source)
        if isinstance(op, (Compose, RandomApply)):
            state = _walk(op.ops, state, source, units, before)
        elif isinstance(op, ToTensor):
            state = TENSOR
        if state == IMAGE:
            before.append(op)
    return state


def collect_units(specs: list[tuple[str, Pipeline]]) -> list[Unit]:
    """Distinct ops of the given (name, pipeline) pairs, in order of first appearance."""
    units: dict[str, Unit] = {}
    for source, spec in specs:
        _walk(spec.ops, IMAGE, source, units, [])
    return list(units.values())
