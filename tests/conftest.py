"""Test setup: every test starts from seeded RNGs; warnings are errors (pyproject.toml)."""

from __future__ import annotations

import random

import numpy as np
import pytest


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
