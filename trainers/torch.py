"""The torch trainer: the d2l chapter's ``train_batch_ch13`` / ``train_ch13`` with matched semantics.

Same public names as ``trainers/gluon.py``: ``devices``, ``prepare``,
``make_loss``, ``make_trainer``, ``train_batch``, ``evaluate``, ``train``,
``get_state``, ``set_state``, ``seed_all``.

What is made the same as Gluon (measured in tests/test_trainers.py):

- Loss: per-sample softmax cross-entropy; the gradient is that of the batch
  MEAN. Gluon gets it from ``l.backward()`` (sum) + ``trainer.step(batch_size)``
  (rescale 1/batch_size); here ``l.mean().backward()``. (The d2l torch chapter
  backpropagates the sum; with Adam that only changes the relative size of
  epsilon.) Under DDP each rank backpropagates the mean of its shard and DDP
  averages gradients across ranks: the global mean when shards are equal.
- Adam: ``adam="mxnet"`` (default) is :class:`MXNetAdam`, MXNet's update
  ``w -= lr*sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps)`` with epsilon added to
  the UNcorrected sqrt(v). ``torch.optim.Adam`` adds it to the corrected one,
  ``sqrt(v)/sqrt(1-b2^t) + eps`` (torch/optim/adam.py, ``_single_tensor_adam``),
  so its effective epsilon is smaller by sqrt(1-b2^t) (0.03 at step 1).
  ``adam="torch"`` selects torch.optim.Adam; the measured effect is in the
  trainer-parity test and docs.
- Initialisation: see ``models_torch.py`` (Xavier-uniform, zero biases).

Not the same (documented, measured): BatchNorm running statistics. torch
updates them in the forward pass with the UNBIASED batch variance
(n/(n-1)); MXNet updates them in the backward pass with the biased one. It
changes evaluation-mode outputs only, never the training losses.

Devices: ``"cpu"`` -> one CPU device; ``"cuda:0,1"`` / ``"gpu:0,1"`` ->
those GPUs with ``nn.DataParallel`` when more than one. Several CPU
processes are DDP (``trainers/ddp.py``), not a device list.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import torch
from augspec.trainers.checkpoint import host_rng_state, set_host_rng_state
from augspec.trainers.config import parse_devices
from augspec.trainers.metrics import Accumulator, epoch_record, position, progress, resume_epoch
from torch import nn

NAME = "torch"
ADAMS = ("mxnet", "torch")


def devices(text: str = "cpu") -> list[torch.device]:
    """Parse ``--devices`` ("cpu", "cuda:0,1", "gpu:0") into torch devices."""
    kind, ids = parse_devices(text)
    if kind == "cpu":
        if ids != [0]:
            raise ValueError(
                f"Expected devices 'cpu' for the torch trainer (one CPU device; several CPU "
                f"processes run through DDP: python -m augspec.trainers.ddp); received devices={text!r}"
            )
        return [torch.device("cpu")]
    if not torch.cuda.is_available():
        raise ValueError(
            f"Expected a CUDA GPU for devices={text!r}; torch sees none (use --devices cpu)"
        )
    n = torch.cuda.device_count()
    bad = [i for i in ids if i >= n]
    if bad:
        raise ValueError(f"Expected GPU ids < {n}; received devices={text!r}")
    return [torch.device(f"cuda:{i}") for i in ids]


def prepare(net: nn.Module, devs: list[torch.device]) -> nn.Module:
    """Move ``net`` to the first device; wrap in ``nn.DataParallel`` over several GPUs."""
    net = net.to(devs[0])
    if len(devs) > 1:
        return nn.DataParallel(net, device_ids=[d.index for d in devs])
    return net


def unwrap(net: nn.Module) -> nn.Module:
    """The model inside DataParallel / DDP wrappers."""
    inner = getattr(net, "module", net)
    return inner if isinstance(inner, nn.Module) else net


def make_loss() -> nn.Module:
    """Per-sample cross-entropy (Gluon's SoftmaxCrossEntropyLoss); train_batch takes the mean."""
    return nn.CrossEntropyLoss(reduction="none")


class MXNetAdam(torch.optim.Optimizer):
    """Adam exactly as MXNet 1.9 ``optimizer.Adam`` + ``adam_update`` computes it.

    m = b1*m + (1-b1)*g;  v = b2*v + (1-b2)*g^2;
    w -= lr * sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ):
        if not (lr > 0 and math.isfinite(lr)):
            raise ValueError(f"Expected lr > 0; received lr={lr!r}")
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps})

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> None:  # type: ignore[override]
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                state["step"] += 1
                t = state["step"]
                m, v = state["exp_avg"], state["exp_avg_sq"]
                m.mul_(b1).add_(p.grad, alpha=1 - b1)
                v.mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                lr_t = group["lr"] * math.sqrt(1 - b2**t) / (1 - b1**t)
                p.addcdiv_(m, v.sqrt().add_(group["eps"]), value=-lr_t)


def make_trainer(net: nn.Module, lr: float, adam: str = "mxnet") -> torch.optim.Optimizer:
    """Adam with learning rate ``lr`` (see the module docstring for ``adam``)."""
    if adam not in ADAMS:
        raise ValueError(f"Expected adam one of {', '.join(ADAMS)}; received adam={adam!r}")
    if adam == "torch":
        return torch.optim.Adam(net.parameters(), lr=lr)
    return MXNetAdam(net.parameters(), lr=lr)


def _shard(net: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Under DDP, this rank's slice of the global batch (mxnet ``split_data``'s slicing)."""
    if not isinstance(net, nn.parallel.DistributedDataParallel):
        return x, y
    import torch.distributed as dist

    rank, world = dist.get_rank(), dist.get_world_size()
    step = len(x) // world
    stop = len(x) if rank == world - 1 else (rank + 1) * step
    return x[rank * step : stop], y[rank * step : stop]


def _global_sums(net: nn.Module, *values: float) -> list[float]:
    if not isinstance(net, nn.parallel.DistributedDataParallel):
        return list(values)
    import torch.distributed as dist

    t = torch.tensor(values, dtype=torch.float64)
    dist.all_reduce(t)
    return t.tolist()


def _as_tensors(x: Any, y: Any, dev: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.from_numpy(x) if isinstance(x, np.ndarray) else x
    if isinstance(y, np.ndarray):  # (B,) class indices, or (B, classes) mixed by batch_ops
        y = torch.from_numpy(np.asarray(y, dtype=np.float32 if y.ndim == 2 else np.int64))
    return x.to(dev), y.to(dev)


def hard_labels(y: torch.Tensor) -> torch.Tensor:
    """Class indices; for labels mixed by batch_ops (B, classes), the dominant class of each.

    Train accuracy under MixUp/CutMix counts a prediction right when it is the argmax of the
    mixed label (its larger share); the loss is the cross-entropy with the mixed label.
    """
    return y.argmax(dim=1) if y.ndim == 2 else y


def train_batch(
    net: nn.Module,
    x: Any,
    y: Any,
    loss: nn.Module,
    trainer: torch.optim.Optimizer,
    devs: list[torch.device],
) -> tuple[float, float]:
    """One step on a global batch; returns (loss sum, correct count) over the whole batch."""
    x, y = _shard(net, *_as_tensors(x, y, devs[0]))
    net.train()
    trainer.zero_grad()
    pred = net(x)
    losses = loss(pred, y)
    losses.mean().backward()
    trainer.step()
    loss_sum = float(losses.detach().sum())
    correct = float((pred.detach().argmax(dim=1) == hard_labels(y)).sum())
    loss_sum, correct = _global_sums(net, loss_sum, correct)  # DDP: over every rank's shard
    return loss_sum, correct


@torch.no_grad()
def evaluate(net: nn.Module, data_iter: Iterable[Any], devs: list[torch.device]) -> float:
    """Accuracy over ``data_iter`` in evaluation mode (BatchNorm running statistics)."""
    net.eval()
    metric = Accumulator(2)
    for x, y in data_iter:
        x, y = _as_tensors(x, y, devs[0])
        metric.add(float((unwrap(net)(x).argmax(dim=1) == y).sum()), y.numel())
    return metric[0] / max(metric[1], 1)


def train(
    net: nn.Module,
    train_iter: Callable[[int], Iterable[Any]],
    test_iter: Callable[[], Iterable[Any]],
    epochs: int,
    trainer: torch.optim.Optimizer,
    devs: list[torch.device],
    loss: nn.Module | None = None,
    start_epoch: int = 0,
    on_epoch_end: Callable[[dict[str, Any]], None] | None = None,
    show_progress: bool = True,
    resume_at: dict[str, Any] | None = None,
    on_step_end: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """The chapter's ``train_ch13``: epochs ``start_epoch..epochs-1``, one record per epoch.

    ``train_iter(epoch)`` gives that epoch's (X, y) batches; ``test_iter()`` the test batches.
    ``resume_at``: a mid-epoch checkpoint's position in ``start_epoch`` (``train_iter`` then
    gives the batches after it); ``on_step_end(position)`` runs after every batch.
    """
    loss = loss if loss is not None else make_loss()
    history = []
    for epoch in range(start_epoch, epochs):
        metric = Accumulator(3)  # loss sum, correct, examples
        step, before = resume_epoch(metric, resume_at, epoch, start_epoch)
        start = time.perf_counter()
        batches = train_iter(epoch)
        for x, y in progress(batches, f"epoch {epoch + 1}/{epochs}", show_progress):
            loss_sum, correct = train_batch(net, x, y, loss, trainer, devs)
            metric.add(loss_sum, correct, len(y))
            step += 1
            if on_step_end is not None:
                on_step_end(position(epoch, step, metric, before + time.perf_counter() - start))
        if devs[0].type == "cuda":
            torch.cuda.synchronize(devs[0])
        seconds = before + time.perf_counter() - start
        record = epoch_record(epoch, metric, evaluate(net, test_iter(), devs), seconds)
        history.append(record)
        if on_epoch_end is not None:
            on_epoch_end(record)
    return history


# ---------------------------------------------------------------- state for checkpoints


def get_state(net: nn.Module, trainer: torch.optim.Optimizer) -> dict[str, Any]:
    """Model, optimizer and RNG states as numpy arrays / plain values (see checkpoint.py)."""
    model = {k: v.detach().cpu().numpy() for k, v in unwrap(net).state_dict().items()}
    return {"model": model, "optimizer": _to_numpy(trainer.state_dict()), "rng": rng_state()}


def set_state(net: nn.Module, trainer: torch.optim.Optimizer, state: dict[str, Any]) -> None:
    unwrap(net).load_state_dict(
        {k: torch.from_numpy(np.asarray(v)) for k, v in state["model"].items()}
    )
    trainer.load_state_dict(_to_torch(state["optimizer"]))
    set_rng_state(state["rng"])


def _to_numpy(obj: Any) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu().numpy()
    if isinstance(obj, dict):
        return {k: _to_numpy(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_numpy(v) for v in obj)
    return obj


def _to_torch(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return torch.from_numpy(obj.copy())
    if isinstance(obj, dict):
        return {k: _to_torch(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_to_torch(v) for v in obj]
    return obj


def rng_state() -> dict[str, Any]:
    """Every RNG the torch trainer draws from: python, numpy (legacy global), torch CPU (+CUDA)."""
    state = host_rng_state()
    state["torch"] = torch.get_rng_state().numpy()
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["torch_cuda"] = [s.numpy() for s in torch.cuda.get_rng_state_all()]
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    set_host_rng_state(state)
    torch.set_rng_state(torch.from_numpy(np.asarray(state["torch"], dtype=np.uint8).copy()))
    if "torch_cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(
            [torch.from_numpy(np.asarray(s, dtype=np.uint8).copy()) for s in state["torch_cuda"]]
        )


def seed_all(seed: int) -> None:
    """Seed python, numpy and torch (model initialisation and native transforms)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
