"""Test setup: every test starts from seeded RNGs; warnings are errors (pyproject.toml)."""

from __future__ import annotations

import importlib.util
import random
from typing import Any

import numpy as np
import pytest


def require_mxnet(reason: str = "needs mxnet (pip install 'augspec[mxnet]')") -> Any:
    """mxnet, imported through ``augspec.backends.gluon_mx``, or skip the caller.

    Not ``pytest.importorskip("mxnet")``: a plain import of mxnet drops torch to one thread for
    the rest of the session (mxnet calls omp_set_num_threads(1)); gluon_mx puts it back.
    """
    if importlib.util.find_spec("mxnet") is None:
        pytest.skip(reason)
    from augspec.backends.gluon_mx import mx

    return mx


_TORCH_THREADS: list[int] = []  # torch's thread count when a test first imported torch


@pytest.fixture(autouse=True)
def _torch_keeps_its_threads(request: pytest.FixtureRequest) -> Any:
    """Fail the test after which torch runs on fewer threads than it started with.

    A plain ``import mxnet`` silently drops torch to one thread for the rest of the session
    (and makes every later torch test slower), so it is caught where it happens.
    """
    import sys

    yield
    torch = sys.modules.get("torch")
    if torch is None:
        return
    if not _TORCH_THREADS:
        _TORCH_THREADS.append(torch.get_num_threads())
        return
    now = torch.get_num_threads()
    if now != _TORCH_THREADS[0]:
        torch.set_num_threads(_TORCH_THREADS[0])  # later tests run as configured
        pytest.fail(
            f"torch threads changed from {_TORCH_THREADS[0]} to {now} during {request.node.nodeid}; "
            "import mxnet through augspec.backends.gluon_mx (tests: conftest.require_mxnet)"
        )


@pytest.fixture(autouse=True)
def _seed_everything() -> None:
    random.seed(0)
    np.random.seed(0)
    import sys

    # Seed the frameworks only where a test already imported them: importing
    # them here would slow every test and break the lazy-import tests.
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(0)
    if "mxnet" in sys.modules:
        sys.modules["mxnet"].random.seed(0)


@pytest.fixture(scope="session")
def photo() -> np.ndarray:
    """The photo bundled with matplotlib, HWC uint8 (600x512)."""
    from augspec.images import load_image

    return load_image()
