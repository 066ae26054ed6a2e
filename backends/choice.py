"""Records of ``random_choice`` and ``random_order`` (augspec/ops/choice.py) for the backends that
replay one image at a time (torchvision v1, v2, gluon): the same two kernels on any of them,
recursing through the backend's own ``apply_ops``; only the built class differs.

Replay applies op ``choice`` with its params (``random_choice``), or every op in ``perm`` order
with its own params (``random_order``): no arithmetic of the container's own, so the tolerance
is the children's, added up (``contract.stated_tolerance``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from augspec.contract import EXACT, OpRecord, Params

ApplyOps = Callable[[list[Any], list[Params], Any, str], Any]
_WHY = "no arithmetic of its own: its children's tolerances add up"


def choice_kernel(apply_ops: ApplyOps) -> Callable[[Any, Params, Any, str], Any]:
    def random_choice(op: Any, p: Params, x: Any, fidelity: str) -> Any:
        k = int(p["choice"])
        return apply_ops([op.ops[k]], [p["ops"][k]], x, fidelity)

    return random_choice


def order_kernel(apply_ops: ApplyOps) -> Callable[[Any, Params, Any, str], Any]:
    def random_order(op: Any, p: Params, x: Any, fidelity: str) -> Any:
        for i in p["perm"]:
            x = apply_ops([op.ops[int(i)]], [p["ops"][int(i)]], x, fidelity)
        return x

    return random_order


def records(
    apply_ops: ApplyOps,
    build_choice: Callable[[Any], Any],
    build_order: Callable[[Any], Any],
    status: str = "native",
    why: str = _WHY,
) -> tuple[OpRecord, OpRecord]:
    """The two records; ``build_*(op)`` returns a constructor of the built children
    (``contract.build_tree``), e.g. ``lambda op: lambda children: T.RandomChoice(children, op.p)``."""
    return (
        OpRecord(
            "random_choice",
            choice_kernel(apply_ops),
            EXACT,
            build=build_choice,
            status=status,  # type: ignore[arg-type]
            why=why,
        ),
        OpRecord(
            "random_order",
            order_kernel(apply_ops),
            EXACT,
            build=build_order,
            status=status,  # type: ignore[arg-type]
            why=why,
        ),
    )
