"""augspec: one declarative image-augmentation spec, compiled to torchvision and Gluon.

Nothing here imports torch or mxnet; a backend is imported when first asked for.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from augspec.compiled import Compiled, OpBuild
from augspec.io import SpecError, dump, dumps, load, loads, validate_data
from augspec.ops import ALIASES, OP_NAMES
from augspec.pipeline import FORMAT_VERSION, Pipeline
from augspec.sampling import sample

__version__ = "0.1.0"

__all__ = [
    "ALIASES",
    "FORMAT_VERSION",
    "OP_NAMES",
    "Compiled",
    "OpBuild",
    "Pipeline",
    "SpecError",
    "compile",
    "dump",
    "dumps",
    "explain",
    "load",
    "loads",
    "replay",
    "sample",
    "to_numpy",
    "validate_data",
]


def _backends() -> ModuleType:
    # augspec.backends lives in the repository's backends/ folder (package-dir),
    # which static tools cannot follow; import it by name.
    return importlib.import_module("augspec.backends")


def _spec(spec: Any) -> Pipeline:
    if isinstance(spec, Pipeline):
        return spec
    if isinstance(spec, dict):
        return validate_data(spec)
    if isinstance(spec, str) and "\n" not in spec and spec.endswith((".yaml", ".yml", ".json")):
        return load(spec)
    raise ValueError(
        f"Expected a Pipeline, a dict or a spec file path; received {type(spec).__name__}"
    )


def compile(spec: Any, backend: str = "torchvision", fidelity: str = "native") -> Compiled:
    """Compile ``spec`` to native transforms of ``backend`` ('torchvision' or 'gluon').

    ``fidelity="native"``: the framework's own classes, as the d2l chapter
    writes them. ``fidelity="spec"``: faithful substitutes where the native
    class departs from the spec beyond its tolerance (see :func:`explain`).
    """
    backends = _backends()
    if fidelity not in ("native", "spec"):
        raise ValueError(f"Expected fidelity 'native' or 'spec'; received fidelity={fidelity!r}")
    return backends.load(backend).compile(_spec(spec), fidelity)


def explain(spec: Any, backend: str = "torchvision", fidelity: str = "spec") -> str:
    """Which ops compile to native classes, which are ported, which are substituted, and why."""
    return compile(spec, backend, fidelity).explain()


def replay(
    spec: Any,
    params: dict[str, Any],
    image: Any,
    backend: str = "reference",
    fidelity: str = "native",
) -> Any:
    """Apply sampled ``params`` to ``image`` with a backend's own functional ops.

    ``fidelity="native"`` uses the numerics of the framework's own classes;
    ``"spec"`` uses the faithful substitutes where ``compile(..., "spec")`` would.
    """
    backends = _backends()
    if fidelity not in ("native", "spec"):
        raise ValueError(f"Expected fidelity 'native' or 'spec'; received fidelity={fidelity!r}")
    if backend == "reference":
        return backends.load(backend).replay(_spec(spec), params, image)
    return backends.load(backend).replay(_spec(spec), params, image, fidelity)


def to_numpy(x: Any) -> Any:
    """A backend result as numpy: HWC uint8 for images, CHW float32 for tensors."""
    import numpy as np

    if isinstance(x, np.ndarray):
        return x
    mod = type(x).__module__.split(".")[0]
    backends = _backends()
    if mod in ("torch", "PIL"):
        return backends.load("torchvision").to_numpy(x)
    if mod == "mxnet":
        return backends.load("gluon").to_numpy(x)
    raise ValueError(f"Expected a numpy array, PIL image, torch tensor or mx NDArray; received {type(x).__name__}")
