"""Batch ops in torch: native torchvision v2 ``MixUp``/``CutMix``, replay through them, and the
batched kernels the trainers and the batched target use.

- :func:`compile_v2`: the spec's ``batch_ops`` as v2 classes (``MixUp``, ``CutMix``,
  ``RandomChoice``, in a ``Compose``); they draw from torch's RNG, as a user's v2 code does.
- :func:`replay_v2`: the params of :func:`augspec.batch_ops.sample_batch` applied by the v2
  classes' own ``transform`` (their maths, our draws).
- :func:`mix`: the same maths on (N, C, H, W) tensors on any device (CPU or GPU, uint8 or
  float), for whole batches: ``torch-batched`` and the torch trainers. uint8 follows the
  reference's definition (float32 mix, rounded half to even), which v2's MixUp refuses.

The definition is the numpy reference, ``augspec.batch_ops.mix_reference``.
"""

from __future__ import annotations

from typing import Any

import torch
from torchvision.transforms import v2

from augspec.batch_ops import BatchChoice, CutMix, MixUp, class_count

__all__ = ["compile_v2", "labels_one_hot", "mix", "replay_v2"]

Params = dict[str, Any]


def _native(op: Any, num_classes: int | None) -> Any:
    if isinstance(op, BatchChoice):
        return v2.RandomChoice([_native(o, num_classes) for o in op.ops], p=op.p)
    cls = v2.MixUp if isinstance(op, MixUp) else v2.CutMix
    n = op.num_classes if op.num_classes is not None else num_classes
    return cls(alpha=op.alpha, num_classes=n)


def compile_v2(batch_ops: list[Any], num_classes: int | None = None) -> Any:
    """``v2.Compose`` of the native classes; call it as ``f(images, labels)`` on a batch."""
    return v2.Compose([_native(op, num_classes) for op in batch_ops])


def labels_one_hot(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """(N,) index labels one-hot as float32 (v2's ``one_hot`` + ``.float()``); 2-D as float32."""
    if labels.ndim == 2:
        if labels.shape[1] != num_classes:
            raise ValueError(
                f"labels: Expected {num_classes} columns of class probabilities; "
                f"received shape {tuple(labels.shape)}"
            )
        return labels.float()
    if labels.ndim != 1 or labels.is_floating_point():
        raise ValueError(
            f"labels: Expected (N,) int class indices or (N, C) probabilities; "
            f"received {labels.dtype} shape {tuple(labels.shape)}"
        )
    if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= num_classes):
        raise ValueError(
            f"labels: Expected class indices in 0..{num_classes - 1}; "
            f"received {int(labels.min())}..{int(labels.max())}"
        )
    return torch.nn.functional.one_hot(labels.long(), num_classes).float()


def _check_batch(images: torch.Tensor, labels: torch.Tensor) -> None:
    if images.ndim != 4 or images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"Expected a batch of images (N, C, H, W) with one label each; received images "
            f"{tuple(images.shape)} and labels {tuple(labels.shape)}"
        )


def _leaf(op: Any, params: Params) -> tuple[Any, Params]:
    if params.get("op") != op.op:
        raise ValueError(f"Expected params of {op.op}; received {params!r}")
    if isinstance(op, BatchChoice):
        if params.get("index") not in range(len(op.ops)):
            raise ValueError(
                f"Expected batch_choice params index in 0..{len(op.ops) - 1}; received {params!r}"
            )
        return _leaf(op.ops[params["index"]], params["chosen"])
    return op, params


def replay_v2(
    batch_ops: list[Any],
    params: list[Params],
    images: torch.Tensor,
    labels: torch.Tensor,
    num_classes: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The sampled params through the v2 classes' ``transform`` (float (N, C, H, W) images)."""
    _check_batch(images, labels)
    for op, p in zip(batch_ops, params, strict=True):
        leaf, leaf_params = _leaf(op, p)
        n = class_count(op, num_classes if labels.ndim == 1 else int(labels.shape[1]))
        native = _native(leaf, n)
        v2_params: dict[str, Any]
        if isinstance(leaf, MixUp):
            v2_params = {"lam": float(leaf_params["lam"])}
        else:
            v2_params = {"box": tuple(leaf_params["box"]), "lam_adjusted": leaf_params["lam"]}
        v2_params |= {"labels": labels, "batch_size": int(labels.shape[0])}
        images, labels = native.transform(images, v2_params), native.transform(labels, v2_params)
    return images, labels


def _mix(a: torch.Tensor, lam: float) -> torch.Tensor:
    """v2's ``a.roll(1, 0).mul_(1 - lam).add_(a.mul(lam))``."""
    return a.roll(1, 0).mul_(1.0 - lam).add_(a.mul(lam))


def _apply(
    leaf: Any, p: Params, x: torch.Tensor, y: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    lam = float(p["lam"])
    if isinstance(leaf, MixUp):
        if x.is_floating_point():
            return _mix(x, lam), _mix(y, lam)
        mixed = _mix(x.float(), lam).round_().clamp_(0, 255).to(x.dtype)
        return mixed, _mix(y, lam)
    if not isinstance(leaf, CutMix):
        raise ValueError(f"Expected a mixup or cutmix op; received {leaf!r}")
    x1, y1, x2, y2 = (int(v) for v in p["box"])
    out = x.clone()
    out[..., y1:y2, x1:x2] = x.roll(1, 0)[..., y1:y2, x1:x2]
    return out, _mix(y, lam)


def mix(
    batch_ops: list[Any],
    params: list[Params],
    images: torch.Tensor,
    labels: torch.Tensor,
    num_classes: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Apply ``batch_ops`` with ``params`` to (N, C, H, W) images on their device; labels become
    (N, classes) float32 (the reference's maths, in torch)."""
    _check_batch(images, labels)
    if len(params) != len(batch_ops):
        raise ValueError(
            f"Expected one params dict per batch op ({len(batch_ops)}); received {len(params)}"
        )
    for op, p in zip(batch_ops, params, strict=True):
        n = class_count(op, num_classes if labels.ndim == 1 else int(labels.shape[1]))
        labels = labels_one_hot(labels, n)
        images, labels = _apply(*_leaf(op, p), images, labels)
    return images, labels
