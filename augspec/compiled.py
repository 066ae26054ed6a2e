"""What ``compile`` returns: the native object plus a record of how each op was built."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["native", "ported", "substituted"]


@dataclass(frozen=True)
class OpBuild:
    """How one op was compiled.

    ``native``: the framework's own class. ``ported``: the framework has no
    such class, so augspec wrote one in that framework's idiom.
    ``substituted``: the framework has a class, but measurement showed it
    departing from the spec, so ``fidelity="spec"`` swapped in a faithful one.
    """

    position: str
    op: str
    status: Status
    native_class: str
    why: str = ""

    def __str__(self) -> str:
        why = f" - {self.why}" if self.why else ""
        return f"{self.position:<10} {self.op:<20} {self.status:<12} {self.native_class}{why}"


def _recompile(spec_data: dict[str, Any], backend: str, fidelity: str) -> Compiled:
    """Unpickling: compile the spec again on this process's backend."""
    import augspec

    return augspec.compile(augspec.validate_data(spec_data), backend=backend, fidelity=fidelity)


@dataclass
class Compiled:
    """A compiled pipeline: call it on an image; ``.native`` is the framework object.

    Calling checks the input (RGB HWC uint8, sizes that every op can take)
    with the same errors on every backend, then runs ``.native``.

    Pickles (for DataLoader workers started with ``spawn``/``forkserver``) as its spec,
    backend and fidelity: the copy is compiled afresh in the receiving process, so it holds
    its own native objects (with fresh RNG state where a framework keeps one per object).
    """

    backend: str
    fidelity: str
    native: Any
    builds: list[OpBuild] = field(default_factory=list)
    check: Any = None  # callable(image) -> None, raising ValueError
    prepare: Any = None  # callable(image) -> what .native takes (e.g. numpy -> PIL)
    spec: Any = None  # the augspec Pipeline it was compiled from (None: not picklable)

    def __call__(self, image: Any) -> Any:
        if self.check is not None:
            self.check(image)
        if self.prepare is not None:
            image = self.prepare(image)
        return self.native(image)

    def explain(self) -> str:
        head = f"augspec pipeline compiled for {self.backend} (fidelity={self.fidelity})"
        return "\n".join([head, *(f"  {b}" for b in self.builds)])

    def __repr__(self) -> str:
        return f"{self.explain()}\nnative:\n{self.native!r}"

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        if self.spec is None:
            raise ValueError(
                f"Expected a Compiled built with its spec to pickle; received one for backend "
                f"{self.backend!r} without spec= (construct Compiled(..., spec=spec))"
            )
        from augspec.io import to_data

        return (_recompile, (to_data(self.spec), self.backend, self.fidelity))


def cached_input_check(
    spec: Any,
    image_hw: Callable[[Any], tuple[int, int]],
    cache_key: Callable[[Any], Hashable | None],
) -> Callable[[Any], None]:
    """The shared input check of a compiled pipeline, ``trace_hw(spec, image_hw(image))``
    (the same errors on every backend), skipped for an image whose ``cache_key`` passed before.

    A backend's key is what decides whether its native image type passes (an RGB PIL image's
    size, a uint8 NDArray's shape); None for anything else, which gets the full check every
    time. At most 4096 keys are kept: a loader of ever-new sizes does not grow it without bound.
    """
    from augspec.pipeline import trace_hw

    passed: set[Hashable] = set()

    def check(image: Any) -> None:
        key = cache_key(image)
        if key is not None and key in passed:
            return
        trace_hw(spec, image_hw(image))
        if key is not None and len(passed) < 4096:
            passed.add(key)

    return check
