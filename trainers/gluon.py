"""The Gluon trainer: the d2l chapter's ``train_batch_ch13`` / ``train_ch13`` (MXNet version).

Same public names as ``trainers/torch.py`` (see there for what is matched):
``devices``, ``prepare``, ``make_loss``, ``make_trainer``, ``train_batch``,
``evaluate``, ``train``, ``get_state``, ``set_state``, ``seed_all``.

- ``train_batch`` splits the batch across devices with
  ``gluon.utils.split_and_load`` (the chapter's ``split_batch``), runs forward
  and backward per device, and ``trainer.step(batch_size)`` sums the devices'
  gradients and rescales by 1/batch_size: the gradient of the batch mean.
- Several CPU contexts (``--devices cpu:2``) run the real multi-device code
  on a CPU-only machine. BatchNorm normalises each device's shard with that
  shard's own statistics and keeps per-device running statistics (no sync),
  exactly like torch DDP without SyncBatchNorm; so a 2-device run differs
  from a 1-device run by the BN statistics only (measured in the tests).
- MXNet 1.x has no way to read its RNG state; ``seed_epoch`` reseeds it from
  (seed, epoch) at the start of every epoch instead, so a resumed run draws
  the same numbers as an uninterrupted one.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from augspec.backends.gluon_mx import mx  # restores torch's thread count after importing mxnet
from augspec.trainers.checkpoint import host_rng_state, set_host_rng_state
from augspec.trainers.config import parse_devices
from augspec.trainers.metrics import Accumulator, epoch_record, position, progress, resume_epoch

gluon = mx.gluon
autograd = mx.autograd
NAME = "gluon"


def devices(text: str = "cpu") -> list[Any]:
    """Parse ``--devices``: "cpu" -> [cpu(0)], "cpu:2" -> [cpu(0), cpu(1)], "gpu:0,1" -> GPUs."""
    kind, ids = parse_devices(text)
    if kind == "cpu":
        return [mx.cpu(i) for i in ids]
    n = mx.context.num_gpus()
    bad = [i for i in ids if i >= n]
    if bad:
        raise ValueError(f"Expected GPU ids < {n} (mxnet sees {n} GPUs); received devices={text!r}")
    return [mx.gpu(i) for i in ids]


def prepare(net: Any, devs: list[Any], hybridize: bool = True) -> Any:
    """Put the parameters on every device (keeping their values) and hybridize."""
    if any(p._data is None for p in net.collect_params().values()):  # noqa: SLF001 - not initialised yet
        from augspec.trainers.models_gluon import initialize_net

        initialize_net(net, devs)
    else:
        net.collect_params().reset_ctx(devs)
    if hybridize:
        net.hybridize()
    return net


def make_loss() -> Any:
    """Per-sample softmax cross-entropy (the chapter's ``SoftmaxCrossEntropyLoss``)."""
    return gluon.loss.SoftmaxCrossEntropyLoss()


def make_trainer(net: Any, lr: float, adam: str = "mxnet") -> Any:
    """``gluon.Trainer`` with MXNet's Adam (``adam`` must be "mxnet": torch's variant is torch-side only)."""
    if adam != "mxnet":
        raise ValueError(f"Expected adam 'mxnet' for the gluon trainer; received adam={adam!r}")
    if not lr > 0:
        raise ValueError(f"Expected lr > 0; received lr={lr!r}")
    return gluon.Trainer(net.collect_params(), "adam", {"learning_rate": lr})


def _split(x: Any, y: Any, devs: list[Any]) -> tuple[list[Any], list[Any]]:
    x = x if isinstance(x, mx.nd.NDArray) else mx.nd.array(np.asarray(x), dtype="float32")
    y = y if isinstance(y, mx.nd.NDArray) else mx.nd.array(np.asarray(y), dtype="float32")
    return (
        gluon.utils.split_and_load(x, devs, even_split=False),
        gluon.utils.split_and_load(y.astype("float32"), devs, even_split=False),
    )


def train_batch(
    net: Any, x: Any, y: Any, loss: Any, trainer: Any, devs: list[Any]
) -> tuple[float, float]:
    """One step on a batch split across ``devs``; returns (loss sum, correct count)."""
    xs, ys = _split(x, y, devs)
    if ys[0].ndim == 2:  # (B, classes) labels mixed by batch_ops: class probabilities
        loss = soft_label_loss(loss)
    with autograd.record():
        preds = [net(xi) for xi in xs]
        losses = [loss(p, yi) for p, yi in zip(preds, ys, strict=True)]
    for lo in losses:
        lo.backward()
    trainer.step(sum(int(xi.shape[0]) for xi in xs))
    loss_sum = sum(float(lo.sum().asscalar()) for lo in losses)
    correct = sum(
        float((p.argmax(axis=1) == hard_labels(yi)).sum().asscalar())
        for p, yi in zip(preds, ys, strict=True)
    )
    return loss_sum, correct


_SOFT_LOSS: dict[str, Any] = {}  # one block for every step, made on first use


def soft_label_loss(loss: Any) -> Any:
    """``loss`` for (B, classes) probabilities: SoftmaxCrossEntropyLoss(sparse_label=False)."""
    if isinstance(loss, gluon.loss.SoftmaxCrossEntropyLoss) and loss._sparse_label:  # noqa: SLF001
        if "loss" not in _SOFT_LOSS:
            _SOFT_LOSS["loss"] = gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False)
        return _SOFT_LOSS["loss"]
    return loss


def hard_labels(y: Any) -> Any:
    """Class indices; for mixed (B, classes) labels the dominant class (as trainers/torch.py)."""
    return y.argmax(axis=1) if y.ndim == 2 else y


def evaluate(net: Any, data_iter: Iterable[Any], devs: list[Any]) -> float:
    """Accuracy in prediction mode, each device with its own BN running statistics (as the chapter)."""
    metric = Accumulator(2)
    for x, y in data_iter:
        xs, ys = _split(x, y, devs)
        for xi, yi in zip(xs, ys, strict=True):
            metric.add(float((net(xi).argmax(axis=1) == yi).sum().asscalar()), int(yi.shape[0]))
    return metric[0] / max(metric[1], 1)


def train(
    net: Any,
    train_iter: Callable[[int], Iterable[Any]],
    test_iter: Callable[[], Iterable[Any]],
    epochs: int,
    trainer: Any,
    devs: list[Any],
    loss: Any = None,
    start_epoch: int = 0,
    on_epoch_end: Callable[[dict[str, Any]], None] | None = None,
    show_progress: bool = True,
    resume_at: dict[str, Any] | None = None,
    on_step_end: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """The chapter's ``train_ch13``: epochs ``start_epoch..epochs-1``, one record per epoch.

    ``resume_at`` and ``on_step_end``: as in ``trainers/torch.py``'s ``train``.
    """
    loss = loss if loss is not None else make_loss()
    history = []
    for epoch in range(start_epoch, epochs):
        metric = Accumulator(3)
        step, before = resume_epoch(metric, resume_at, epoch, start_epoch)
        start = time.perf_counter()
        for x, y in progress(train_iter(epoch), f"epoch {epoch + 1}/{epochs}", show_progress):
            loss_sum, correct = train_batch(net, x, y, loss, trainer, devs)
            metric.add(loss_sum, correct, int(y.shape[0]))
            step += 1
            if on_step_end is not None:
                on_step_end(position(epoch, step, metric, before + time.perf_counter() - start))
        mx.nd.waitall()
        seconds = before + time.perf_counter() - start
        record = epoch_record(epoch, metric, evaluate(net, test_iter(), devs), seconds)
        history.append(record)
        if on_epoch_end is not None:
            on_epoch_end(record)
    return history


# ---------------------------------------------------------------- state for checkpoints


def get_state(net: Any, trainer: Any) -> dict[str, Any]:
    """Model (every device's copy, in parameter order), trainer states and RNG states."""
    params = list(net.collect_params().values())
    model = [[d.asnumpy() for d in p.list_data()] for p in params]
    return {
        "model": model,
        "model_names": [p.name for p in params],
        "optimizer": np.frombuffer(_trainer_bytes(trainer), dtype=np.uint8),
        "rng": rng_state(),
    }


def set_state(net: Any, trainer: Any, state: dict[str, Any]) -> None:
    params = list(net.collect_params().values())
    if len(params) != len(state["model"]):
        raise ValueError(
            f"Expected {len(params)} parameter arrays in the checkpoint; received {len(state['model'])}"
        )
    for p, copies in zip(params, state["model"], strict=True):
        data = p.list_data()
        if len(data) != len(copies):
            raise ValueError(
                f"Expected the checkpoint's device count {len(copies)} for {p.name}; "
                f"received a run on {len(data)} devices (resume on the same --devices)"
            )
        for d, value in zip(data, copies, strict=True):
            d[:] = mx.nd.array(np.asarray(value), dtype=d.dtype, ctx=d.context)
    _load_trainer_bytes(trainer, np.asarray(state["optimizer"], dtype=np.uint8).tobytes())
    set_rng_state(state["rng"])


def _trainer_bytes(trainer: Any) -> bytes:
    fd, tmp = tempfile.mkstemp(suffix=".states")
    os.close(fd)
    try:
        trainer.save_states(tmp)
        with open(tmp, "rb") as f:
            return f.read()
    finally:
        os.unlink(tmp)


def _load_trainer_bytes(trainer: Any, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(suffix=".states")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        trainer.load_states(tmp)
    finally:
        os.unlink(tmp)


def rng_state() -> dict[str, Any]:
    """python and numpy states (mxnet's cannot be read: see ``seed_epoch``)."""
    return host_rng_state()


def set_rng_state(state: dict[str, Any]) -> None:
    set_host_rng_state(state)


def seed_epoch(seed: int, epoch: int, step: int = 0) -> None:
    """Reseed mxnet's RNG from (seed, epoch[, step]) (MXNet 1.x cannot save and restore it).

    ``step``: batches done, for a mid-epoch checkpoint and the resume from it.
    """
    words = [int(seed), int(epoch)] + ([int(step)] if step else [])
    entropy = np.random.SeedSequence(words, spawn_key=(0x6D786E,))  # "mxn"
    mx.random.seed(int(entropy.generate_state(1)[0]) % 2**31)


def seed_all(seed: int) -> None:
    """Seed python, numpy and mxnet (model initialisation and native transforms)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    mx.random.seed(seed % 2**31)
