"""Containers that pick: ``random_choice`` (one of its ops) and ``random_order`` (all, shuffled).

Both frameworks' classes are aliases: torchvision ``RandomChoice(transforms, p=None)`` and
``RandomOrder(transforms)`` (v1 and v2). Gluon 1.9.1 has neither; its backend ports them as
Blocks drawing from mxnet's RNG (backends/gluon_choice.py).

- ``random_choice``: ``p`` (optional) weights per op, normalised by their sum as both
  torchvision versions do (v1 ``random.choices(weights=p)``, v2 ``p / sum(p)``); None: equal.
  Sampler: one draw ``u = U[0,1)``, ``choice`` = the first op whose cumulative normalised
  weight exceeds ``u`` (an op of weight 0 is never chosen); then **every** op's params, each
  for the input size, in listed order, whichever was chosen (every op draws the same amount
  whatever it decides, as ``random_apply`` samples the ops it may skip). Params:
  ``{"choice": k, "ops": [params of op 0, ..., params of op n-1]}``; replay applies op ``k``
  with ``ops[k]`` only.
- ``random_order``: sampler ``perm = permutation(len(ops))`` (numpy's Fisher-Yates), then every
  op's params in listed order. Params: ``{"perm": [i0, i1, ...], "ops": [params per op, in
  listed order]}``; replay applies ``ops[i0]``, then ``ops[i1]``, ... each with its own params.

So a replay on any backend applies exactly the chosen op / order with the sampled params.
Sizes and image state: the traced output size must not depend on the draw, so every op of a
``random_choice`` must give the same output size (each from the input size), and every op of a
``random_order`` must keep the size; each op must keep the image state (no ``to_tensor``
inside), as ``random_apply``'s ops must (augspec.pipeline).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field, model_validator

from augspec.ops.base import (
    DEFINITION,
    HW,
    NonNeg,
    Numerics,
    OpBase,
    OpDef,
    Params,
    check_keys,
)

if TYPE_CHECKING:
    from augspec.ops.base import OpBase as AnyOp  # the union, bound by augspec.ops

# Containers of this family (the pipeline's state/leaf walkers treat them as containers).
CHOICE_CONTAINERS = ("random_choice", "random_order")


class RandomChoice(OpBase):
    """Apply one of ``ops``, op ``i`` with probability ``p[i] / sum(p)`` (equal if no ``p``)."""

    op: Literal["random_choice"] = "random_choice"
    ops: list[AnyOp] = Field(min_length=1)
    p: list[NonNeg] | None = None

    @model_validator(mode="after")
    def _weights(self) -> RandomChoice:
        if self.p is None:
            return self
        if len(self.p) != len(self.ops):
            raise ValueError(
                f"Expected p with one weight per op ({len(self.ops)}); received p={self.p}"
            )
        if not sum(self.p) > 0 or not np.isfinite(sum(self.p)):
            raise ValueError(
                f"Expected p with a finite positive sum (weights, normalised by their sum); "
                f"received p={self.p}"
            )
        return self

    @property
    def is_random(self) -> bool:
        return True

    def weights(self) -> np.ndarray:
        """Normalised weights, float64 (the spec's; torchvision normalises the same way)."""
        p = np.ones(len(self.ops)) if self.p is None else np.asarray(self.p, dtype=np.float64)
        return p / p.sum()


class RandomOrder(OpBase):
    """Apply every op of ``ops`` once, in a random order (a uniform permutation)."""

    op: Literal["random_order"] = "random_order"
    ops: list[AnyOp] = Field(min_length=1)

    @property
    def is_random(self) -> bool:
        return True


# ---- samplers --------------------------------------------------------------------------


def choose(weights: np.ndarray, u: np.ndarray | float) -> np.ndarray:
    """The op index(es) a uniform draw ``u`` selects: first cumulative weight above ``u``."""
    cum = np.cumsum(weights)
    last = int(np.flatnonzero(weights > 0)[-1])  # rounding of cum[-1] never picks a 0 weight
    return np.minimum(np.searchsorted(cum, u, side="right"), last)


def _each_child(ops: list[OpBase], rng: np.random.Generator, hw: HW) -> list[Params]:
    from augspec.sampling import sample_ops

    return [sample_ops([child], rng, hw)[0] for child in ops]


def _choice_sample(op: RandomChoice, rng: np.random.Generator, hw: HW) -> Params:
    choice = int(choose(op.weights(), rng.random()))
    return {"choice": choice, "ops": _each_child(op.ops, rng, hw)}


def _order_sample(op: RandomOrder, rng: np.random.Generator, hw: HW) -> Params:
    perm = [int(i) for i in rng.permutation(len(op.ops))]
    return {"perm": perm, "ops": _each_child(op.ops, rng, hw)}


# ---- sizes ------------------------------------------------------------------------------


def _child_hw(child: OpBase, hw: HW) -> HW:
    from augspec.ops import output_hw

    return output_hw(child, hw)


def _choice_hw(op: RandomChoice, hw: HW) -> HW:
    outs = [_child_hw(child, hw) for child in op.ops]
    if any(out != outs[0] for out in outs):
        shown = ", ".join(f"{h}x{w}" for h, w in outs)
        raise ValueError(
            f"random_choice: Expected its ops to give one output size (the traced size must not "
            f"depend on the draw); received ops that make {hw[0]}x{hw[1]} into {shown}"
        )
    return outs[0]


def _order_hw(op: RandomOrder, hw: HW) -> HW:
    for child in op.ops:
        out = _child_hw(child, hw)
        if out != hw:
            raise ValueError(
                f"random_order: Expected each of its ops to keep the image size {hw[0]}x{hw[1]} "
                f"(any order must give the same size); received {child.op} making it "
                f"{out[0]}x{out[1]}"
            )
    return hw


# ---- params checks ------------------------------------------------------------------------


def _check_each_child(ops: list[OpBase], plist: object, hw: HW) -> None:
    """One params dict per op, each checked for the input size (the ops take it in turn)."""
    from augspec.sampling import check_ops

    if not isinstance(plist, list) or len(plist) != len(ops):
        got = len(plist) if isinstance(plist, list) else f"ops={plist!r:.60}"
        raise ValueError(
            f"ops: Expected a list of {len(ops)} params dicts (one per op); received {got}"
        )
    for k, child in enumerate(ops):
        try:
            check_ops([child], [plist[k]], hw)
        except ValueError as err:
            raise ValueError(f"ops[{k}]{str(err).removeprefix('ops[0]')}") from None


def _choice_check(op: RandomChoice, params: Params, hw: HW) -> None:
    check_keys(params, ("choice", "ops"))
    value = params["choice"]
    weights = op.weights()
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or not 0 <= value < len(op.ops)
        or weights[int(value)] == 0
    ):
        allowed = [k for k in range(len(op.ops)) if weights[k] > 0]
        raise ValueError(
            f"choice: Expected the index of an op of positive weight, one of {allowed}; "
            f"received choice={value!r:.60}"
        )
    _check_each_child(op.ops, params["ops"], hw)


def _order_check(op: RandomOrder, params: Params, hw: HW) -> None:
    check_keys(params, ("perm", "ops"))
    perm = params["perm"]
    n = len(op.ops)
    if (
        not isinstance(perm, (list, tuple))
        or any(isinstance(i, bool) or not isinstance(i, (int, np.integer)) for i in perm)
        or sorted(int(i) for i in perm) != list(range(n))
    ):
        raise ValueError(
            f"perm: Expected a permutation of 0..{n - 1} (a list of {n} ints); "
            f"received perm={perm!r:.60}"
        )
    _check_each_child(op.ops, params["ops"], hw)


# ---- reference kernels --------------------------------------------------------------------


def _apply_one(
    child: OpBase, p: Params, x: np.ndarray, fidelity: str, numerics: Numerics
) -> np.ndarray:
    from augspec.ops import apply_reference

    return apply_reference([child], [p], x, fidelity, numerics)


def _random_choice(
    op: RandomChoice, p: Params, x: np.ndarray, fidelity: str, numerics: Numerics = DEFINITION
) -> np.ndarray:
    k = int(p["choice"])
    return _apply_one(op.ops[k], p["ops"][k], x, fidelity, numerics)


def _random_order(
    op: RandomOrder, p: Params, x: np.ndarray, fidelity: str, numerics: Numerics = DEFINITION
) -> np.ndarray:
    for i in p["perm"]:
        x = _apply_one(op.ops[int(i)], p["ops"][int(i)], x, fidelity, numerics)
    return x


# ---- parity edges -------------------------------------------------------------------------


def _choice_edges(op: RandomChoice, hw: HW) -> list[tuple[str, Params]]:
    weights = op.weights()
    return [(f"op {k} chosen", {"choice": k}) for k in range(len(op.ops)) if weights[k] > 0]


def _order_edges(op: RandomOrder, hw: HW) -> list[tuple[str, Params]]:
    n = len(op.ops)
    return [
        ("listed order", {"perm": list(range(n))}),
        ("reversed", {"perm": list(range(n))[::-1]}),
    ]


DEFS = (
    OpDef(
        "random_choice",
        RandomChoice,
        ("RandomChoice",),
        _choice_sample,
        _random_choice,
        output_hw=_choice_hw,
        edge_params=_choice_edges,
        check_params=_choice_check,
    ),
    OpDef(
        "random_order",
        RandomOrder,
        ("RandomOrder",),
        _order_sample,
        _random_order,
        output_hw=_order_hw,
        edge_params=_order_edges,
        check_params=_order_check,
    ),
)

FACTS = ()
