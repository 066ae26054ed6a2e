"""The README's Python quickstart runs as written (it is the first thing a user copies)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

README = Path(__file__).parent.parent / "README.md"


def test_readme_python_quickstart_runs(capsys: pytest.CaptureFixture[str]) -> None:
    if importlib.util.find_spec("torchvision") is None or importlib.util.find_spec("mxnet") is None:
        pytest.skip("the quickstart uses both backends (pip install 'augspec[all]')")
    from .conftest import require_mxnet

    require_mxnet()  # through gluon_mx, so torch keeps its threads
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert blocks, "README.md has no python block"
    exec(compile(blocks[0], "README.md quickstart", "exec"), {"__name__": "readme"})  # noqa: S102
    out = capsys.readouterr().out
    assert "augspec pipeline compiled for torchvision" in out
    assert out.strip().splitlines()[-1].isdigit()  # the last print: a max difference
