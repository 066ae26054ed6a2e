"""Canonical form of a pipeline: one way to write each augmentation, for :mod:`augspec.pipeline_diff`.

Two pipelines that do the same augmentation (the same distribution of outputs) come out as the
same list of plain op dicts:

- every field explicit (defaults filled), sizes of crops as ``[h, w]`` (an int is a square;
  ``resize``'s int keeps its own meaning, the shorter side);
- colour factors as ``[min, max]`` ranges (``0.5`` means ``[0.5, 1.5]``; hue ``0.5`` means
  ``[-0.5, 0.5]``), and an identity range (``[1, 1]``, hue ``[0, 0]``) means no op;
- a ColorJitter with one active component is that component's op, with none it is no op;
- nested Compose flattens; ``RandomApply(p=1)`` is its contents, ``RandomApply(p=0)`` no op,
  ``RandomApply(p=a)`` of one ``RandomApply(p=b)`` is ``RandomApply(p=a*b)``;
- flips with ``p=0`` and lighting with ``alphastd=0`` are no ops; ``normalize`` with three equal
  values per list writes one (broadcast alike); ``random_crop`` without padding has no fill.

Each canonical op keeps the position of the op it came from (``src``) for the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from augspec.ops import COLOR_COMPONENTS, OpBase
from augspec.ops.colour import _factor_range, _hue_range
from augspec.pipeline import Pipeline

__all__ = ["CanonicalOp", "canonical_ops", "describe"]

_SQUARE_SIZES = ("random_resized_crop", "center_crop", "random_crop")
_FACTOR_OPS = ("brightness", "contrast", "saturation", "hue")


@dataclass(frozen=True)
class CanonicalOp:
    """One op in canonical form: ``data`` (plain, JSON-able, ``op`` first; a random_apply's
    ``ops`` are canonical ops too) and ``src``, where it came from (``ops[1].ops[0]``)."""

    data: dict[str, Any]
    src: str
    children: tuple[CanonicalOp, ...] = ()

    @property
    def op(self) -> str:
        return str(self.data["op"])


def _component_range(name: str, value: Any) -> list[float] | None:
    """A colour component's [min, max]; None where it is the identity (a no-op)."""
    value = tuple(value) if isinstance(value, list) else value
    lo, hi = _hue_range(value) if name == "hue" else _factor_range(name, value)
    identity = 0.0 if name == "hue" else 1.0
    return None if lo == hi == identity else [float(lo), float(hi)]


def _leaf(op: OpBase, src: str) -> list[CanonicalOp]:
    data = op.model_dump(mode="json")
    name = data["op"]
    if name in _FACTOR_OPS:
        rng = _component_range(name, data["factor"])
        return [] if rng is None else [CanonicalOp({"op": name, "factor": rng}, src)]
    if name == "color_jitter":
        active = {c: _component_range(c, data[c]) for c in COLOR_COMPONENTS}
        on = {c: r for c, r in active.items() if r is not None}
        if len(on) <= 1:
            return [CanonicalOp({"op": c, "factor": r}, src) for c, r in on.items()]
        return [CanonicalOp({"op": name, **active}, src)]
    if name in ("horizontal_flip", "vertical_flip") and data["p"] == 0:
        return []
    if name == "lighting" and data["alphastd"] == 0:
        return []
    if name in _SQUARE_SIZES and isinstance(data["size"], int):
        data["size"] = [data["size"], data["size"]]
    if name == "random_crop" and data["padding"] == 0:
        data["fill"] = 0
    if name == "normalize":
        for key in ("mean", "std"):
            if len(set(data[key])) == 1:
                data[key] = data[key][:1]
    return [CanonicalOp(data, src)]


def _random_apply(op: Any, src: str) -> list[CanonicalOp]:
    children = _canonical_list(op.ops, f"{src}.ops")
    p = float(op.p)
    if p == 0 or not children:
        return []
    if p == 1:
        return children
    if len(children) == 1 and children[0].op == "random_apply":
        inner = children[0]
        p *= float(inner.data["p"])
        children = list(inner.children)
    data = {"op": "random_apply", "p": p, "ops": [c.data for c in children]}
    return [CanonicalOp(data, src, tuple(children))]


def _choice(op: Any, src: str) -> list[CanonicalOp]:
    """random_choice / random_order: each op's canonical list; random_choice's weights
    normalised (v2 keeps p / sum(p); no p is equal weights)."""
    children = []
    for k, child in enumerate(op.ops):
        each = _canonical_list([child], f"{src}.ops[{k}]")
        if len(each) == 1:
            children.append(each[0].data)
        else:  # several ops (or none: an identity kept as written) in one place
            children.append(
                {"op": "compose", "ops": [c.data for c in each]}
                if each
                else child.model_dump(mode="json")
            )
    data: dict[str, Any] = {"op": op.op, "ops": children}
    if op.op == "random_choice":
        data["p"] = [float(w) for w in op.weights()]
    return [CanonicalOp(data, src)]


def _canonical_list(ops: list[Any], prefix: str) -> list[CanonicalOp]:
    out: list[CanonicalOp] = []
    for i, op in enumerate(ops):
        src = f"{prefix}[{i}]"
        if op.op == "compose":
            out += _canonical_list(op.ops, f"{src}.ops")
        elif op.op == "random_apply":
            out += _random_apply(op, src)
        elif op.op in ("random_choice", "random_order"):
            out += _choice(op, src)
        else:
            out += _leaf(op, src)
    return out


def canonical_ops(spec: Pipeline) -> list[CanonicalOp]:
    """The canonical op list of a pipeline (see the module's docstring for the rules)."""
    return _canonical_list(list(spec.ops), "ops")


def _value_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "[" + ", ".join(_value_text(v) for v in value) + "]"
    return "null" if value is None else str(value)


def describe(op: CanonicalOp) -> str:
    """``name(field=value, ...)``, a random_apply with its children, for reports."""
    if op.op == "random_apply":
        inner = ", ".join(describe(c) for c in op.children)
        return f"random_apply(p={_value_text(op.data['p'])}, ops=[{inner}])"
    fields = ", ".join(f"{k}={_value_text(v)}" for k, v in op.data.items() if k != "op")
    return f"{op.op}({fields})"
