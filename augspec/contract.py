"""The backend contract: what every backend module provides, and one record per op.

A backend is a module (Keras 3 style: the same names and signatures in each) that satisfies
:class:`Backend`. Inside it, **one** :class:`OpRecord` per op says everything the backend knows
about that op: how to build the native object (or the port, where the framework has no such
class), the replay kernel, the faithful substitute where the native one departs from the
reference beyond the stated tolerance, that tolerance, and the sourced reason.

One kernel signature for every backend: ``kernel(op, params, x, fidelity) -> x``. Composition
kernels recurse through their backend's ``apply_ops``.

One rule for ``fidelity="spec"`` (:func:`chooses_substitute`): an op is substituted exactly
where its record has a substitute whose ``when(op)`` gives a reason, i.e. where the native
class measured beyond the record's tolerance. The contract test (tests/test_contract.py) checks
every op x backend x fidelity against the reference within that tolerance.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from augspec.compiled import Compiled, OpBuild
from augspec.pipeline import Pipeline

Fidelity = Literal["native", "spec"]
FIDELITIES: tuple[Fidelity, ...] = ("native", "spec")
Params = dict[str, Any]
# The one kernel signature: (op model, its params, the image/tensor/batch, fidelity) -> result.
Kernel = Callable[[Any, Any, Any, str], Any]


@dataclass(frozen=True)
class Tolerance:
    """Max and mean absolute difference to the reference, in 0-255 units (tensors x 255).

    One type, one meaning in every backend: an output agrees with the spec iff its max
    absolute difference is <= ``max`` and its mean absolute difference is <= ``mean``.
    """

    max: float
    mean: float

    def allows(self, max_abs: float, mean_abs: float) -> bool:
        return max_abs <= self.max and mean_abs <= self.mean

    def __add__(self, other: Tolerance) -> Tolerance:
        return Tolerance(self.max + other.max, self.mean + other.mean)

    def as_pair(self) -> tuple[float, float]:
        return (self.max, self.mean)


EXACT = Tolerance(0.0, 0.0)


@dataclass(frozen=True)
class Substitute:
    """The faithful replacement of a native class, used by ``fidelity="spec"``.

    ``when(op)`` returns why the native class departs for this op (it may depend on the op's
    fields, e.g. only bicubic resizing), or None where the native class is kept.
    ``build(op)`` makes the compiled object, ``kernel`` replays given params.
    """

    when: Callable[[Any], str | None]
    build: Callable[[Any], Any] | None
    kernel: Kernel


@dataclass(frozen=True)
class Port:
    """Where the framework's class cannot express an op's arguments (e.g. a flip with p != 0.5
    where the class flips with p = 0.5 only): ``when(op)`` says why (None: the class can),
    ``build(op)`` makes the port, written in the framework's idiom; it replays with the record's
    own kernel."""

    when: Callable[[Any], str | None]
    build: Callable[[Any], Any]


def always(reason: str) -> Callable[[Any], str | None]:
    """A ``Substitute.when`` for ops substituted whatever their fields."""
    return lambda op: reason


@dataclass(frozen=True)
class OpRecord:
    """Everything one backend knows about one op.

    ``build(op)``: the native object (status ``native``) or the port written in the
    framework's idiom (status ``ported``); None for backends that do not compile (the
    reference, the batched target). ``kernel``: replay with the native numerics.
    ``port``: where the native class cannot express some of the op's arguments, the port
    built for those (status ``ported``). ``why``: the sourced reason for a port (what the
    framework lacks) or for the tolerance.
    """

    op: str
    kernel: Kernel
    tolerance: Tolerance
    build: Callable[[Any], Any] | None = None
    status: Literal["native", "ported"] = "native"
    substitute: Substitute | None = None
    port: Port | None = None
    why: str = ""


def records_table(*records: OpRecord) -> dict[str, OpRecord]:
    """op name -> record; refuses duplicates (one record per op)."""
    table: dict[str, OpRecord] = {}
    for rec in records:
        if rec.op in table:
            raise ValueError(f"Expected one record per op; received a second for op={rec.op!r}")
        table[rec.op] = rec
    return table


def record_for(backend: str, records: Mapping[str, OpRecord], op: str) -> OpRecord:
    """The record of ``op``, or a ValueError listing what the backend knows."""
    try:
        return records[op]
    except KeyError:
        raise ValueError(
            f"Expected an op with a record in backend {backend!r} (known: {', '.join(sorted(records))}); "
            f"received op={op!r}"
        ) from None


def substitution_reason(record: OpRecord, op: Any) -> str | None:
    """Why ``fidelity="spec"`` replaces this op's native class, or None where it stays native."""
    return None if record.substitute is None else record.substitute.when(op)


def chooses_substitute(record: OpRecord, op: Any, fidelity: str) -> bool:
    """The one rule for ``fidelity="spec"``: substitute exactly where the record says why."""
    check_fidelity(fidelity)
    return fidelity == "spec" and substitution_reason(record, op) is not None


def kernel_for(record: OpRecord, op: Any, fidelity: str) -> Kernel:
    if chooses_substitute(record, op, fidelity):
        assert record.substitute is not None  # narrowed by chooses_substitute
        return record.substitute.kernel
    return record.kernel


def port_reason(record: OpRecord, op: Any) -> str | None:
    """Why this op is built as the record's port rather than the native class, or None."""
    return None if record.port is None else record.port.when(op)


def build_op(record: OpRecord, op: Any, fidelity: str, position: str) -> tuple[Any, OpBuild]:
    """Build one leaf op's object and say how it was built: substitute, port or native class."""
    if chooses_substitute(record, op, fidelity):
        assert record.substitute is not None and record.substitute.build is not None
        obj = record.substitute.build(op)
        why = substitution_reason(record, op) or ""
        return obj, OpBuild(position, op.op, "substituted", type(obj).__name__, why)
    why_port = port_reason(record, op)
    if why_port is not None:
        assert record.port is not None  # narrowed by port_reason
        obj = record.port.build(op)
        return obj, OpBuild(position, op.op, "ported", type(obj).__name__, why_port)
    if record.build is None:
        raise ValueError(f"Expected a backend that compiles; op {op.op!r} has no build here")
    obj = record.build(op)
    return obj, OpBuild(
        position,
        op.op,
        record.status,
        type(obj).__name__,
        record.why if record.status == "ported" else "",
    )


def build_tree(
    backend: str,
    records: Mapping[str, OpRecord],
    op: Any,
    fidelity: str,
    position: str,
    builds: list[OpBuild],
) -> Any:
    """Build ``op`` and, for a composition, its children first.

    A composition's record builds a constructor that takes its built children
    (``T.Compose``, ``functools.partial(T.RandomApply, p=...)``). ``builds`` gets one
    :class:`OpBuild` per op, a container before its children.
    """
    record = record_for(backend, records, op.op)
    child_ops = getattr(op, "ops", None)
    if child_ops is None:
        obj, how = build_op(record, op, fidelity, position)
        builds.append(how)
        return obj
    if record.build is None:
        raise ValueError(f"Expected a backend that compiles; op {op.op!r} has no build here")
    index = len(builds)
    children = build_ops(backend, records, child_ops, fidelity, f"{position}.ops", builds)
    obj = record.build(op)(children)
    builds.insert(index, OpBuild(position, op.op, record.status, type(obj).__name__))
    return obj


def build_ops(
    backend: str,
    records: Mapping[str, OpRecord],
    ops: Sequence[Any],
    fidelity: str,
    prefix: str,
    builds: list[OpBuild],
) -> list[Any]:
    """Build each op of a list (``prefix[i]`` its position), appending to ``builds``."""
    return [
        build_tree(backend, records, op, fidelity, f"{prefix}[{i}]", builds)
        for i, op in enumerate(ops)
    ]


def apply_records(
    backend: str,
    records: Mapping[str, OpRecord],
    ops: Sequence[Any],
    plist: Sequence[Any],
    x: Any,
    fidelity: str,
) -> Any:
    """Run each op's kernel (the substitute's where ``fidelity="spec"`` substitutes)."""
    for op, p in zip(ops, plist, strict=True):
        x = kernel_for(record_for(backend, records, op.op), op, fidelity)(op, p, x, fidelity)
    return x


def stated_tolerance(backend: str, records: Mapping[str, OpRecord], op: Any) -> Tolerance:
    """The tolerance of ``op`` (an op or its name) in a backend: its record's, plus its
    children's for a composition (their roundings add up)."""
    name = op if isinstance(op, str) else op.op
    own = record_for(backend, records, name).tolerance
    children = getattr(op, "ops", ())
    return sum((stated_tolerance(backend, records, child) for child in children), own)


def check_fidelity(fidelity: Any) -> None:
    if fidelity not in FIDELITIES:
        raise ValueError(f"Expected fidelity 'native' or 'spec'; received fidelity={fidelity!r}")


@runtime_checkable
class Backend(Protocol):
    """What every backend module provides (``augspec.backends.load(name)`` returns one).

    ``NAME``: the backend's name. ``RECORDS``: op name -> :class:`OpRecord`.
    ``compile``: the native pipeline (raises ValueError on a backend that only replays).
    ``replay``: apply sampled params with the backend's own kernels.
    ``to_numpy``: a result as numpy (HWC uint8 images, CHW float32 tensors).
    ``seed``: seed every RNG the backend's native classes draw from.
    ``tolerance(op)``: the stated tolerance of an op.
    ``native_sampler(op)``: for the parity report, a function ``(hw, n, seed) -> draws``
    sampling the native class's own params (e.g. crop boxes), or None where the report
    probes the native class through its outputs.
    """

    NAME: str
    RECORDS: Mapping[str, OpRecord]

    def compile(self, spec: Pipeline, fidelity: str = "native") -> Compiled: ...

    def replay(
        self, spec: Pipeline, params: Params, image: Any, fidelity: str = "native"
    ) -> Any: ...

    def to_numpy(self, x: Any) -> np.ndarray: ...

    def seed(self, n: int) -> None: ...

    def tolerance(self, op: Any) -> Tolerance: ...

    def native_sampler(
        self, op: Any
    ) -> Callable[[tuple[int, int], int, int], list[Any]] | None: ...
