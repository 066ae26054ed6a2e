"""Backends, imported only when asked for (einops style).

Every backend module satisfies :class:`augspec.contract.Backend`: the same names and
signatures in each (``NAME``, ``RECORDS`` with one :class:`~augspec.contract.OpRecord` per op,
``compile``, ``replay``, ``to_numpy``, ``seed``, ``tolerance``, ``native_sampler``).
tests/test_contract.py walks every op x backend x fidelity.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

# backend name -> (module, packages it needs, extra to install)
BACKENDS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "torchvision": ("augspec.backends.torchvision", ("torch", "torchvision"), "torch"),
    "torchvision-v2": ("augspec.backends.torchvision_v2", ("torch", "torchvision"), "torch"),
    "gluon": ("augspec.backends.gluon", ("mxnet",), "mxnet"),
    # The batched torch target: whole uint8 NCHW batches; replay takes one image as a batch of one.
    "torch-batched": ("augspec.backends.torch_batched", ("torch",), "torch"),
}
ALL = ("reference", *BACKENDS)


def _installed(packages: tuple[str, ...]) -> bool:
    return all(importlib.util.find_spec(p) is not None for p in packages)


def available() -> list[str]:
    """Backends whose framework is installed (``reference`` always is)."""
    return ["reference", *(n for n, (_, pkgs, _) in BACKENDS.items() if _installed(pkgs))]


def load(name: str) -> ModuleType:
    """Import a backend module by name, with a clear error when its framework is missing."""
    if name == "reference":
        return importlib.import_module("augspec.reference")
    if name not in BACKENDS:
        raise ValueError(f"Expected backend one of {', '.join(ALL)}; received backend={name!r}")
    module, packages, extra = BACKENDS[name]
    if not _installed(packages):
        missing = [p for p in packages if importlib.util.find_spec(p) is None]
        raise ValueError(
            f"Expected backend {name!r} to be installed; it needs {', '.join(missing)}. "
            f"Install it with: pip install 'augspec[{extra}]'"
        )
    return importlib.import_module(module)
