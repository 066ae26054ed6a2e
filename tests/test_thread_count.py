"""Importing the gluon backend leaves torch's thread count as it was, in both import orders.

Plain ``import mxnet`` calls ``omp_set_num_threads(1)`` on the importing
thread (measured: torch 2 -> 1 threads, whichever of the two is imported
first). Each case runs in a fresh interpreter, since imports happen once.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

# find_spec, not importorskip: importing mxnet in this process would drop the session's torch
# threads, the very thing under test (each case runs in a fresh interpreter).
if importlib.util.find_spec("torch") is None or importlib.util.find_spec("mxnet") is None:
    pytest.skip(
        "needs torch and mxnet (pip install 'augspec[torch,mxnet]')", allow_module_level=True
    )


def _threads(code: str) -> list[int]:
    """Run ``code`` in a fresh python; it prints ints separated by spaces."""
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return [int(v) for v in done.stdout.split()]


def test_torch_first_then_gluon_backend_keeps_torch_threads() -> None:
    before, after = _threads(
        "import torch; torch.set_num_threads(2); b = torch.get_num_threads();"
        "import augspec.backends.gluon; print(b, torch.get_num_threads())"
    )
    assert (before, after) == (2, 2)


def test_torch_first_then_plain_mxnet_drops_torch_threads() -> None:
    # The control: without the backend's care the count does change.
    before, after = _threads(
        "import torch; torch.set_num_threads(2); b = torch.get_num_threads();"
        "import mxnet; print(b, torch.get_num_threads())"
    )
    assert (before, after) == (2, 1)


def test_gluon_backend_first_then_torch_starts_at_its_default() -> None:
    (default,) = _threads("import torch; print(torch.get_num_threads())")
    (after_gluon,) = _threads(
        "import augspec.backends.gluon, torch; print(torch.get_num_threads())"
    )
    assert after_gluon == default
    if default > 1:  # the control can only show a drop where there is room for one
        (after_plain,) = _threads("import mxnet, torch; print(torch.get_num_threads())")
        assert after_plain == 1
