"""Import mxnet without changing torch's (or OpenMP's) thread count.

Measured (2-core machine, mxnet 1.9.1, torch 2.x, both on the system
``libgomp.so.1``): importing mxnet calls ``omp_set_num_threads(1)`` on the
importing thread. So ``import torch; import mxnet`` drops
``torch.get_num_threads()`` from 2 to 1, and ``import mxnet; import torch``
starts torch at 1 (torch reads ``omp_get_max_threads()`` lazily; no
``OMP_NUM_THREADS`` is set by mxnet). mxnet runs its operators on its own
engine threads, so giving the importing thread its OpenMP setting back does
not change mxnet's own threading.

The cause (mxnet's ``src/engine/openmp.cc``): unless ``MXNET_OMP_MAX_THREADS`` or
``OMP_NUM_THREADS`` is set, mxnet takes *half* the processors OpenMP reports (it assumes
hyper-threading on x86: 1 on a 2-core machine), calls ``omp_set_num_threads`` with that
and runs every operator with that many threads. Measured: the Gluon training step used
one of the two cores (one engine thread busy) and ran at ~0.6x torch's two-thread step.
So, where neither variable is set, :func:`import_mxnet` sets ``MXNET_OMP_MAX_THREADS`` to
the cores this process may run on (what OpenMP and torch use by default) for the import
only (mxnet reads it once, then it is removed so that child processes start clean);
mxnet then uses every core and leaves the importing thread's OpenMP setting alone. Set
either variable yourself to choose otherwise.

Every gluon backend module imports mxnet from here.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import warnings
from typing import Any


def _default_omp_threads() -> int:
    """What OpenMP would pick before anyone called omp_set_num_threads."""
    env = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _omp_set_num_threads(n: int) -> None:
    # No GNU OpenMP in this process: mxnet changed nothing there to restore.
    with contextlib.suppress(OSError, AttributeError):
        # Same soname as the one mxnet loaded, so dlopen returns that library.
        ctypes.CDLL("libgomp.so.1").omp_set_num_threads(n)


def import_mxnet() -> Any:
    """``import mxnet``, then put the thread counts back as they were."""
    if "mxnet" in sys.modules:
        return sys.modules["mxnet"]
    torch = sys.modules.get("torch")
    torch_threads = torch.get_num_threads() if torch is not None else None
    ours = not any(os.environ.get(k) for k in ("MXNET_OMP_MAX_THREADS", "OMP_NUM_THREADS"))
    if ours:  # else mxnet's own choice (half the processors), see the module docstring
        os.environ["MXNET_OMP_MAX_THREADS"] = str(_default_omp_threads())
    try:
        with warnings.catch_warnings():
            # mxnet 1.9.1 touches numpy names that numpy has since deprecated (np.bool, the NEP 32
            # financial functions): its import-time DeprecationWarnings are not the caller's to fix.
            warnings.simplefilter("ignore", DeprecationWarning)
            import mxnet
    finally:
        if ours:
            os.environ.pop("MXNET_OMP_MAX_THREADS", None)

    if torch is not None and torch_threads is not None:
        torch.set_num_threads(torch_threads)  # sets OpenMP and MKL together
    else:
        _omp_set_num_threads(_default_omp_threads())
    return mxnet


mx = import_mxnet()
from mxnet.gluon.data.vision import transforms  # noqa: E402  (mxnet must be imported above first)

__all__ = ["import_mxnet", "mx", "transforms"]
