"""augspec: one declarative image-augmentation spec, compiled to torchvision and Gluon.

Nothing here imports torch or mxnet; a backend is imported when first asked for.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

from augspec.compiled import Compiled, OpBuild
from augspec.contract import Backend, OpRecord, Tolerance, check_fidelity
from augspec.io import SpecError, dump, dumps, load, loads, validate_data
from augspec.ops import ALIASES, OP_NAMES
from augspec.pipeline import FORMAT_VERSION, Pipeline
from augspec.sampling import Params
from augspec.sampling import sample as _sample

__version__ = "0.1.0"

__all__ = [
    "ALIASES",
    "FORMAT_VERSION",
    "OP_NAMES",
    "Backend",
    "Compiled",
    "OpBuild",
    "OpRecord",
    "Pipeline",
    "SpecError",
    "Tolerance",
    "as_pipeline",
    "backend",
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
    # Imported by name so that `import augspec` never imports a framework.
    return importlib.import_module("augspec.backends")


def backend(name: str) -> Backend:
    """The backend module ``name`` ('reference', 'torchvision', 'torchvision-v2', 'gluon', ...)."""
    module: Backend = _backends().load(name)
    return module


def as_pipeline(spec: Any) -> Pipeline:
    """A Pipeline from a Pipeline, a dict (the file's content) or a spec file path."""
    if isinstance(spec, Pipeline):
        return spec
    if isinstance(spec, dict):
        return validate_data(spec)
    if isinstance(spec, Path) or (
        isinstance(spec, str) and "\n" not in spec and spec.endswith((".yaml", ".yml", ".json"))
    ):
        return load(spec)
    raise ValueError(
        "spec: Expected a Pipeline, a dict or a spec file path (.yaml, .yml, .json); "
        f"received {type(spec).__name__} {str(spec)[:80]!r}"
    )


def compile(spec: Any, backend: str = "torchvision", fidelity: str = "native") -> Compiled:
    """Compile ``spec`` to native transforms of ``backend``.

    ``fidelity="native"``: the framework's own classes, as the d2l chapter
    writes them. ``fidelity="spec"``: faithful substitutes where the native
    class departs from the spec beyond its tolerance (see :func:`explain`).
    """
    check_fidelity(fidelity)
    return _backends().load(backend).compile(as_pipeline(spec), fidelity)


def explain(spec: Any, backend: str = "torchvision", fidelity: str = "spec") -> str:
    """Which ops compile to native classes, which are ported, which are substituted, and why."""
    return compile(spec, backend, fidelity).explain()


def sample(
    spec: Any,
    seed: int = 0,
    epoch: int = 0,
    index: int = 0,
    image_size: tuple[int, int] = (224, 224),
) -> Params:
    """Draw the params of one sample (a plain, JSON-able dict); ``image_size`` is (height, width).

    The params of ``index`` in ``epoch`` under ``seed`` come from
    ``numpy.random.SeedSequence([seed, epoch, index])`` and nothing else.
    """
    return _sample(as_pipeline(spec), seed, epoch, index, image_size)


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
    check_fidelity(fidelity)
    return _backends().load(backend).replay(as_pipeline(spec), params, image, fidelity)


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
    raise ValueError(
        "Expected a numpy array, PIL image, torch tensor or mx NDArray; "
        f"received {type(x).__name__}"
    )
