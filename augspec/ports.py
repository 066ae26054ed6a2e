"""augspec's own transforms for what a framework lacks, by a stable public path.

``augspec code`` writes these where a framework has no class for an op or its class cannot
express the op's arguments (a *port*, in the framework's idiom and with its numerics), and, with
``--fidelity spec``, where the native class departs from the spec (a *faithful substitute*):

    from augspec import ports
    ports.gluon("random_crop", size=[32, 32], padding=4)
    ports.torchvision("lighting", alphastd=0.1)
    ports.torchvision("saturation", factor=0.5, fidelity="spec")

Each returns the object the backend's record builds for that op (the same one
``augspec.compile`` puts in a pipeline), so the generated code and the compiled pipeline agree;
``augspec import`` reads these calls back as their op. The arguments are the spec's fields
(sizes ``[height, width]``, whatever the framework's convention).
"""

from __future__ import annotations

from typing import Any

from augspec.contract import build_op, check_fidelity, chooses_substitute, port_reason, record_for

__all__ = [
    "build",
    "gluon",
    "gluon_random_choice",
    "gluon_random_order",
    "torchvision",
    "torchvision_v2",
]


def build(backend: str, op: str, fidelity: str = "native", **fields: Any) -> Any:
    """The object backend ``backend`` builds for op ``op`` with ``fields``: its port where the
    framework cannot express the op, its faithful substitute where ``fidelity="spec"`` replaces
    the native class, else the native class (what ``augspec.compile`` builds)."""
    import augspec
    from augspec.io import validate_data

    check_fidelity(fidelity)
    from augspec.ops import canonical_op
    from augspec.pipeline import TENSOR_STATE_OPS

    # An op on the tensor (gaussian_noise) is validated where it can stand: after to_tensor.
    before = [{"op": "to_tensor"}] if canonical_op(op) in TENSOR_STATE_OPS else []
    data = {"augspec": 1, "ops": [*before, {"op": op, **fields}]}
    parsed = validate_data(data, f"ports.{backend}").ops[-1]
    if getattr(parsed, "ops", None) is not None:
        raise ValueError(
            f"ports.{backend}: Expected a leaf op (compositions are the framework's Compose / "
            f"RandomApply); received op={op!r}"
        )
    module = augspec.backend(backend)
    record = record_for(backend, module.RECORDS, parsed.op)
    obj, _ = build_op(record, parsed, fidelity, "ports")
    return obj


def gluon(op: str, fidelity: str = "native", **fields: Any) -> Any:
    """A Gluon Block for ``op`` (see :func:`build`)."""
    return build("gluon", op, fidelity, **fields)


def torchvision(op: str, fidelity: str = "native", **fields: Any) -> Any:
    """A torchvision (v1) transform for ``op`` (see :func:`build`)."""
    return build("torchvision", op, fidelity, **fields)


def torchvision_v2(op: str, fidelity: str = "native", **fields: Any) -> Any:
    """A ``torchvision.transforms.v2`` transform for ``op`` (see :func:`build`)."""
    return build("torchvision-v2", op, fidelity, **fields)


def how_built(backend: str, op: Any, fidelity: str = "native") -> tuple[str, str]:
    """('native' | 'ported' | 'substituted', why) for one parsed leaf op on a backend."""
    import augspec

    record = record_for(backend, augspec.backend(backend).RECORDS, op.op)
    if chooses_substitute(record, op, fidelity):
        assert record.substitute is not None  # narrowed by chooses_substitute
        return "substituted", record.substitute.when(op) or ""
    why = port_reason(record, op)
    if why is not None:
        return "ported", why
    return record.status, record.why if record.status == "ported" else ""


def gluon_random_choice(transforms: list[Any], p: list[float] | None = None) -> Any:
    """Gluon has no RandomChoice: augspec's Block (one of ``transforms``, weights ``p``)."""
    from augspec.backends.gluon_choice import RandomChoice

    return RandomChoice(list(transforms), p)


def gluon_random_order(transforms: list[Any]) -> Any:
    """Gluon has no RandomOrder: augspec's Block (every transform, in a random order)."""
    from augspec.backends.gluon_choice import RandomOrder

    return RandomOrder(list(transforms))
