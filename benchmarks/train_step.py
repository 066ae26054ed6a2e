"""Training-step throughput per backend: the d2l ResNet-18 (CIFAR variant), batch 64.

Each backend's own ``trainers`` functions (``devices``, ``prepare``, ``make_loss``,
``make_trainer``, ``train_batch``) on a fixed batch of 64 CIFAR-shaped images, CPU (and
GPU when present). Repeats alternate between the backends in one process; mxnet is
imported through ``backends.gluon_mx``, which gives torch its thread count back and lets
mxnet's operators use every core (left to itself mxnet 1.9.1 takes half the processors:
one of two here, which made the Gluon step ~0.6x torch's), so both frameworks run with
the machine's cores. The threads each framework uses are printed in the notes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .common import Result, interleaved, new_result, try_import

NAME = "train"
BATCH = 64


def _torch_step(device: str) -> tuple[Any, Any]:
    from augspec.trainers import models_torch
    from augspec.trainers import torch as trainer

    devs = trainer.devices(device)
    net = trainer.prepare(models_torch.resnet18(), devs)
    loss, opt = trainer.make_loss(), trainer.make_trainer(net, 0.001)
    x, y = _batch()
    import torch

    xt, yt = torch.from_numpy(x).to(devs[0]), torch.from_numpy(y).to(devs[0])

    def step() -> None:
        trainer.train_batch(net, xt, yt, loss, opt, devs)  # returns floats: synchronised

    return step, net


def _gluon_step(device: str) -> tuple[Any, Any]:
    from augspec.backends.gluon_mx import mx
    from augspec.trainers import gluon as trainer
    from augspec.trainers import models_gluon

    devs = trainer.devices(device)
    net = trainer.prepare(models_gluon.resnet18(), devs)
    loss, opt = trainer.make_loss(), trainer.make_trainer(net, 0.001)
    x, y = _batch()
    xg, yg = mx.nd.array(x, ctx=devs[0]), mx.nd.array(y, ctx=devs[0], dtype="float32")

    def step() -> None:
        trainer.train_batch(net, xg, yg, loss, opt, devs)  # reads back loss/accuracy: synchronised

    return step, net


def _batch() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.random((BATCH, 3, 32, 32), dtype=np.float32), rng.integers(0, 10, BATCH).astype(
        np.int64
    )


def run(quick: bool = False) -> Result:
    result = new_result(
        NAME,
        f"Training-step throughput, ResNet-18 (CIFAR), batch {BATCH}",
        ["device", "backend", "ms/step", "images/s", "gluon / torch"],
    )
    torch, why = try_import("torch")
    targets = [("cpu", "cpu")]
    if torch is not None and torch.cuda.is_available():
        targets.append(("gpu", "gpu:0"))
    else:
        result["skipped"].append("GPU rows: no CUDA device visible to torch")
    repeats = 5 if quick else 15
    for label, device in targets:
        cases = {}
        for backend, build in (("torch", _torch_step), ("gluon", _gluon_step)):
            mod, why = try_import(f"augspec.trainers.{backend}")
            if mod is None:
                result["skipped"].append(f"{backend} trainer: {why}")
                continue
            try:
                cases[backend], _ = build(device)
            except ValueError as err:  # e.g. mxnet built without CUDA
                result["skipped"].append(f"{backend} on {label}: {err}")
        if not cases:
            continue
        t = interleaved(cases, repeats, warmup=2)
        for backend, seconds in t.items():
            ratio = (t["torch"] / t["gluon"]) if backend == "gluon" and "torch" in t else ""
            result["rows"].append(
                {
                    "device": label,
                    "backend": backend,
                    "ms/step": seconds * 1e3,
                    "images/s": BATCH / seconds,
                    "gluon / torch": ratio,
                }
            )
    result["notes"].append(
        "gluon / torch = gluon images/s divided by torch images/s (the issue's bar: >= 0.8)"
    )
    if torch is not None:
        import os

        result["notes"].append(
            f"threads: torch {torch.get_num_threads()}, mxnet operators "
            f"{os.environ.get('MXNET_OMP_MAX_THREADS') or os.environ.get('OMP_NUM_THREADS') or len(os.sched_getaffinity(0))}"
        )
    return result
