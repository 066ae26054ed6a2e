"""DataLoader throughput (images/s) for the chapter's train_augs on CIFAR-shaped data.

One epoch over synthetic CIFAR-shaped images (32x32 uint8, ``trainers.cifar.synthetic_cifar``),
batch 256, per loader: torch DataLoader and Gluon DataLoader with the compiled native
pipeline (the chapter's way) with 0 and 2 workers, the reproducible replay mode, and the
batched torch target as ``augspec train --batched-augment`` uses it
(``trainers.torch_data.make_batched_loader``, no workers). Every loader is
consumed fully and the repeats are interleaved; worker start-up is part of an epoch.
"""

from __future__ import annotations

from typing import Any

import augspec

from .common import Result, example_path, interleaved, new_result, try_import

NAME = "loader"


def _consume(loader: Any) -> int:
    n = 0
    for x, _ in loader:
        n += int(x.shape[0])
    return n


def _one_thread(fn: Any) -> Any:
    """Run ``fn`` with torch at one intra-op thread (the batched loader's ops are small: on a
    machine whose other core is busy, a two-thread OpenMP region waits for the descheduled
    thread at every op)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return fn()
    finally:
        torch.set_num_threads(threads)


def run(quick: bool = False) -> Result:
    result = new_result(
        NAME,
        "Loader throughput, train_augs on CIFAR-shaped data (batch 256)",
        ["loader", "workers", "images/s", "vs torch compiled 0 workers"],
    )
    cifar, why = try_import("augspec.trainers.cifar")
    data_mod, why_d = try_import("augspec.trainers.data")
    if cifar is None or data_mod is None:
        result["skipped"].append(why or why_d)
        return result
    n = 2048 if quick else 10240
    data = cifar.synthetic_cifar(n, seed=0)
    x, y = data.train_x[:n], data.train_y[:n]
    spec = augspec.load(example_path("train_augs"))
    cases: dict[str, Any] = {}
    loaders: dict[str, Any] = {}
    missing: dict[str, str | None] = {}
    for label in ("torch", "gluon"):
        loaders[label], missing[label] = try_import(f"augspec.trainers.{label}_data")
        if loaders[label] is None:
            result["skipped"].append(f"{label} loaders: {missing[label]}")
            continue
        for mode in ("compiled", "replay"):
            for workers in (0, 2):
                cases[f"{label} {mode}|{workers}"] = lambda d=loaders[label], m=mode, w=workers: (
                    _consume(d.make_loader(x, y, spec, 256, workers=w, mode=m))
                )
    tdata = loaders["torch"]
    tb, why_b = try_import("augspec.backends.torch_batched")
    if tb is None or tdata is None:
        result["skipped"].append(f"batched: {why_b or missing['torch']}")
    else:
        cases["torch batched (--batched-augment)|0"] = lambda: _consume(
            tdata.make_batched_loader(x, y, spec, 256)
        )
        cases["torch batched (--batched-augment), torch at 1 thread|0"] = lambda: _one_thread(
            lambda: _consume(tdata.make_batched_loader(x, y, spec, 256))
        )
    if not cases:
        return result
    t = interleaved(cases, 3 if quick else 5)
    base = t.get("torch compiled|0")
    for key, seconds in t.items():
        name, n_workers = key.split("|")
        result["rows"].append(
            {
                "loader": name,
                "workers": int(n_workers),
                "images/s": len(x) / seconds,
                "vs torch compiled 0 workers": (base / seconds) if base else "",
            }
        )
    return result
