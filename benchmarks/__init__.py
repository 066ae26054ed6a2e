"""augspec benchmarks: ``augspec bench`` or ``python -m augspec.benchmarks``, from any folder.

Installed with the package as ``augspec.benchmarks`` (from the repository's ``benchmarks/``).

Each benchmark measures the things it compares side by side in one process (interleaved
repeats, medians; see :mod:`benchmarks.common`), prints a markdown table with ratios and
goes into one JSON file (``--out``). Parts whose backend or trainer cannot be imported
are skipped with the reason printed.

- ``compile``: compiled vs hand-written native pipelines, per image, per backend.
- ``batched``: the batched torch target vs the per-image torchvision path.
- ``loader``: DataLoader throughput (images/s) for train_augs, 0 and 2 workers, both backends.
- ``train``: training-step throughput per backend (CPU, batch 64; GPU when present).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import os
import platform
import time
from typing import Any

from .common import Result, table, write_json

# name -> module of this package (imported when the benchmark runs: each imports frameworks)
BENCHMARKS = {
    "compile": "compile_overhead",
    "batched": "batched",
    "loader": "loader",
    "train": "train_step",
}


def machine_info() -> dict[str, Any]:
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
    }
    for name in ("numpy", "torch", "torchvision", "mxnet"):
        # The installed version, without importing: a plain ``import mxnet`` would set this
        # process's OpenMP threads (torch's included) before backends.gluon_mx could.
        try:
            info[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            info[name] = None
    return info


def _loadavg() -> list[float] | None:
    """1, 5 and 15 minute load averages (other jobs on the machine inflate absolute times)."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def run(
    names: list[str] | None = None, quick: bool = False, out: str | None = None
) -> list[Result]:
    """Run the named benchmarks (all by default), print their tables, write JSON to ``out``."""
    names = names or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        raise ValueError(
            f"Expected benchmark names among {', '.join(BENCHMARKS)}; received {', '.join(unknown)}"
        )
    results = []
    load_start = _loadavg()
    print(
        f"machine: {machine_info()['cpus']} cores, load average at start {load_start}", flush=True
    )
    for name in names:
        start = time.perf_counter()
        result = importlib.import_module(f"{__name__}.{BENCHMARKS[name]}").run(quick=quick)
        result["seconds"] = round(time.perf_counter() - start, 1)
        print(table(result), flush=True)
        print(f"({name}: {result['seconds']} s)\n", flush=True)
        results.append(result)
    load_end = _loadavg()
    print(f"load average at end {load_end}", flush=True)
    if out:
        write_json(
            out,
            results,
            {
                **machine_info(),
                "quick": quick,
                "names": names,
                "loadavg_start": load_start,
                "loadavg_end": load_end,
            },
        )
        print(f"wrote {out}")
    return results


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``augspec bench`` and ``python -m augspec.benchmarks``."""
    parser.add_argument(
        "--quick", action="store_true", help="fewer repeats and smaller data (about a minute)"
    )
    parser.add_argument("--out", metavar="FILE", help="write all results as JSON")
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        choices=list(BENCHMARKS),
        help=f"run only these ({', '.join(BENCHMARKS)})",
    )
