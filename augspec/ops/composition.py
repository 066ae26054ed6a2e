"""Containers: ``random_apply`` and ``compose``.

Samplers: ``random_apply``: ``apply = U[0,1) < p``, children sampled always (every op draws
the same amount whatever it decides); ``compose``: its children's params in order.
Replayed params: ``apply`` a bool, ``ops`` one checked params dict per child.
Children are sampled, replayed and sized through the registry (:mod:`augspec.ops`), imported
when first called: the registry is built from these definitions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field

from augspec.ops.base import (
    DEFINITION,
    HW,
    Numerics,
    OpBase,
    OpDef,
    Params,
    Prob,
    check_bool,
    check_keys,
)

if TYPE_CHECKING:
    from augspec.ops.base import OpBase as AnyOp  # the union, bound by augspec.ops


class RandomApply(OpBase):
    """Apply ``ops`` (in order) with probability ``p``, or none of them."""

    op: Literal["random_apply"] = "random_apply"
    p: Prob = 0.5
    ops: list[AnyOp] = Field(min_length=1)

    @property
    def is_random(self) -> bool:
        return True


class Compose(OpBase):
    """Apply ``ops`` in order (nesting allowed)."""

    op: Literal["compose"] = "compose"
    ops: list[AnyOp] = Field(min_length=1)

    @property
    def is_random(self) -> bool:
        return any(o.is_random for o in self.ops)


def _sample_children(ops: list[OpBase], rng: np.random.Generator, hw: HW) -> list[Params]:
    from augspec.sampling import sample_ops

    return sample_ops(ops, rng, hw)


def _children_hw(ops: list[OpBase], hw: HW) -> HW:
    from augspec.ops import output_hw

    for child in ops:
        hw = output_hw(child, hw)
    return hw


def _replay_children(
    ops: list[OpBase], plist: list[Params], x: np.ndarray, fidelity: str, numerics: Numerics
) -> np.ndarray:
    from augspec.ops import apply_reference

    return apply_reference(ops, plist, x, fidelity, numerics)


def _check_children(ops: list[OpBase], plist: object, hw: HW) -> None:
    from augspec.sampling import check_ops

    check_ops(ops, plist, hw)


def _random_apply_check(op: RandomApply, params: Params, hw: HW) -> None:
    check_keys(params, ("apply", "ops"))
    check_bool(params, "apply")
    _check_children(op.ops, params["ops"], hw)  # skipped or not, as they were sampled


def _compose_check(op: Compose, params: Params, hw: HW) -> None:
    check_keys(params, ("ops",))
    _check_children(op.ops, params["ops"], hw)


def _random_apply_sample(op: RandomApply, rng: np.random.Generator, hw: HW) -> Params:
    apply = bool(rng.random() < op.p)
    return {"apply": apply, "ops": _sample_children(op.ops, rng, hw)}


def _random_apply_hw(op: RandomApply, hw: HW) -> HW:
    out = _children_hw(op.ops, hw)
    # RandomApply may skip its ops, so they must not change the size.
    if out != hw:
        raise ValueError(
            f"random_apply: Expected its ops to keep the image size {hw[0]}x{hw[1]}; "
            f"received ops that make it {out[0]}x{out[1]}"
        )
    return out


def _random_apply(
    op: RandomApply, p: Params, x: np.ndarray, fidelity: str, numerics: Numerics = DEFINITION
) -> np.ndarray:
    return _replay_children(op.ops, p["ops"], x, fidelity, numerics) if p["apply"] else x


def _random_apply_edges(op: RandomApply, hw: HW) -> list[tuple[str, Params]]:
    # Applied to the sampled children's params (the parity cases keep those).
    return [("applied", {"apply": True}), ("not applied", {"apply": False})]


def _compose_sample(op: Compose, rng: np.random.Generator, hw: HW) -> Params:
    return {"ops": _sample_children(op.ops, rng, hw)}


def _compose(
    op: Compose, p: Params, x: np.ndarray, fidelity: str, numerics: Numerics = DEFINITION
) -> np.ndarray:
    return _replay_children(op.ops, p["ops"], x, fidelity, numerics)


DEFS = (
    OpDef(
        "random_apply",
        RandomApply,
        ("RandomApply",),
        _random_apply_sample,
        _random_apply,
        output_hw=_random_apply_hw,
        edge_params=_random_apply_edges,
        check_params=_random_apply_check,
    ),
    OpDef(
        "compose",
        Compose,
        ("Compose",),
        _compose_sample,
        _compose,
        output_hw=lambda op, hw: _children_hw(op.ops, hw),
        check_params=_compose_check,
    ),
)

FACTS = ()
