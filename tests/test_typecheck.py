"""mypy is clean across augspec's own packages (``python -m tests.typecheck``)."""

from __future__ import annotations

import importlib.util

import pytest

from .typecheck import run


@pytest.mark.skipif(
    importlib.util.find_spec("mypy") is None, reason="needs mypy (pip install 'augspec[dev]')"
)
def test_mypy_sees_across_packages_and_is_clean() -> None:
    code, report = run()
    assert code == 0, report
    # The seams are checked: no import of augspec's own packages is unresolved.
    assert "augspec.backends" not in report and "Success" in report
