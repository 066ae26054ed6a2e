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
from augspec.native_reader import from_native
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
    "code",
    "compile",
    "diff",
    "dump",
    "dumps",
    "explain",
    "from_native",
    "import_file",
    "import_source",
    "load",
    "loads",
    "replay",
    "sample",
    "show",
    "to_numpy",
    "train",
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


def show(
    spec: Any,
    image: Any = None,
    backend: str | list[str] = "both",
    n: int = 4,
    seed: int = 0,
    diff: bool = False,
    fidelity: str = "native",
    cols: int | None = None,
    epoch: int = 0,
    title: str | None = None,
) -> Any:
    """n augmented samples of ``image`` as a matplotlib Figure (shown inline in Jupyter).

    Sample i's params are ``sample(spec, seed, epoch, i)``, replayed through each backend
    ('both': torchvision | gluon, 'all', one name or a list), one row per backend, captioned
    with the params drawn, so one seed gives the same draws on every backend. ``diff=True``
    adds a row of |torchvision - gluon| heat maps (one backend: it against the reference).
    ``image``: None (the bundled photo), a file path, a numpy HWC uint8 array or a PIL image.
    ``title`` replaces the spec's name (file name or description) in the figure's title.
    Save with ``fig.savefig("grid.png")``. Needs matplotlib (``augspec[plots]``).
    """
    from augspec.show_figure import show as _show

    return _show(spec, image, backend, n, seed, diff, fidelity, cols, epoch, title)


def train(spec: Any = None, backend: str = "torch", data: Any = None, **overrides: Any) -> Any:
    """Train the d2l ResNet-18 as ``augspec train`` does, with its defaults; returns the metrics.

    No argument: the chapter's run on the bundled real CIFAR-10 photos. ``spec``: a Pipeline,
    a dict or a path (None: the bundled train_augs.yaml); ``data``: a CIFAR-10 folder or an
    image folder (None: the bundled sample); ``overrides``: any ``augspec train`` option by
    its Python name (``epochs=2, width=16, out="runs/x"``). See :func:`augspec.training.train`.
    """
    from augspec.training import train as _train

    return _train(spec, backend, data, **overrides)


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


def code(
    spec: Any, backend: str = "torchvision", fidelity: str = "native", name: str = "augs"
) -> str:
    """Python source that builds ``spec`` with ``backend``'s own classes (augspec's ports where
    it has none), assigned to ``name``; see :mod:`augspec.codegen`."""
    from augspec.codegen import code as _code

    return _code(as_pipeline(spec), backend, fidelity, name)


def diff(a: Any, b: Any) -> Any:
    """Whether two pipelines are the same augmentation: a ``DiffResult`` (``.equivalent``,
    ``.differences``, ``.report()``); see :mod:`augspec.pipeline_diff`."""
    from augspec.pipeline_diff import diff_pipelines

    return diff_pipelines(as_pipeline(a), as_pipeline(b))


def import_source(text: str, source: str = "<source>") -> Any:
    """The transform pipelines assigned in Python source, read with ``ast`` (never executed):
    an ``ImportResult`` (``.specs``, ``.skipped``, ``.get(name)``); see :mod:`augspec.importer`."""
    from augspec.importer import import_source as _import_source

    return _import_source(text, source)


def import_file(path: str | Path) -> Any:
    """:func:`import_source` of a Python file (never executed)."""
    from augspec.importer import import_file as _import_file

    return _import_file(path)
