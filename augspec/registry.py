"""Kernel table keyed by (op, backend), in the style of torchvision v2's registry.

Registering a second kernel for the same key is refused; asking for a missing
key lists what is known.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Kernel = Callable[..., Any]

_KERNELS: dict[tuple[str, str], Kernel] = {}


def register_kernel(op: str, backend: str) -> Callable[[Kernel], Kernel]:
    def register(fn: Kernel) -> Kernel:
        key = (op, backend)
        if key in _KERNELS:
            raise ValueError(
                f"Expected one kernel per (op, backend); received a second for op={op!r}, "
                f"backend={backend!r} ({fn.__module__}.{fn.__qualname__})"
            )
        _KERNELS[key] = fn
        return fn

    return register


def get_kernel(op: str, backend: str) -> Kernel:
    try:
        return _KERNELS[(op, backend)]
    except KeyError:
        known = sorted(o for o, b in _KERNELS if b == backend)
        backends = sorted({b for _, b in _KERNELS})
        raise ValueError(
            f"Expected an op with a kernel for backend={backend!r} (known: {', '.join(known) or 'none'}; "
            f"backends with kernels: {', '.join(backends)}); received op={op!r}"
        ) from None


def kernels(backend: str | None = None) -> list[tuple[str, str]]:
    return sorted(k for k in _KERNELS if backend is None or k[1] == backend)


@contextmanager
def override_kernel(op: str, backend: str, fn: Kernel) -> Iterator[Kernel]:
    """Temporarily replace the kernel of (op, backend); yields the original. For tests."""
    key = (op, backend)
    original = get_kernel(op, backend)
    _KERNELS[key] = fn
    try:
        yield original
    finally:
        _KERNELS[key] = original
