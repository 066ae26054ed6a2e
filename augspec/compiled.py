"""What ``compile`` returns: the native object plus a record of how each op was built."""

from __future__ import annotations

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


@dataclass
class Compiled:
    """A compiled pipeline: call it on an image; ``.native`` is the framework object.

    Calling checks the input (RGB HWC uint8, sizes that every op can take)
    with the same errors on every backend, then runs ``.native``.
    """

    backend: str
    fidelity: str
    native: Any
    builds: list[OpBuild] = field(default_factory=list)
    check: Any = None  # callable(image) -> None, raising ValueError
    prepare: Any = None  # callable(image) -> what .native takes (e.g. numpy -> PIL)
    # callable(image) -> output: check + prepare + native in one call, the backend's fast path
    # (it may skip re-checking an input type and size it has already checked). None: the three.
    # Given at construction, it becomes the instance's __call__ (see __post_init__); set it
    # then, not later.
    run: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.run is not None:
            # One frame before the native pipeline: a per-instance subclass whose __call__ is
            # the backend's runner itself (a staticmethod, so no bound-method hop through
            # ``Compiled.__call__``; measured ~0.03 us of the ~0.2 us a 32x32 flip pays).
            cls = type(self)
            fast = type(cls.__name__, (cls,), {"__call__": staticmethod(self.run),
                                               "__qualname__": cls.__qualname__,
                                               "__module__": cls.__module__})
            object.__setattr__(self, "__class__", fast)

    def __call__(self, image: Any) -> Any:
        if self.run is not None:
            return self.run(image)
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
