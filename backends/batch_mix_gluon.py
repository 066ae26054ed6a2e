"""Batch ops for Gluon: MXNet has no MixUp/CutMix, so this is the port, the reference's maths
(torchvision v2's) in ``mx.nd`` on (N, C, H, W) float NDArrays on their context.

Pairing as v2's ``roll(1, 0)``: sample ``i`` with sample ``i - 1`` (the first with the last);
labels one-hot (``mx.nd.one_hot``), then ``y.roll * (1 - lam) + y * lam``.
"""

from __future__ import annotations

from typing import Any

from augspec.backends.gluon_mx import mx  # restores torch's thread count after importing mxnet

from augspec.batch_ops import BatchChoice, MixUp, class_count

__all__ = ["mix"]

Params = dict[str, Any]


def _roll(a: Any) -> Any:
    """``torch.roll(a, 1, 0)``: the last row first."""
    return mx.nd.concat(a[-1:], a[:-1], dim=0) if a.shape[0] > 1 else a.copy()


def _mix(a: Any, lam: float) -> Any:
    return _roll(a) * (1.0 - lam) + a * lam


def _one_hot(labels: Any, num_classes: int) -> Any:
    if labels.ndim == 2:
        if labels.shape[1] != num_classes:
            raise ValueError(
                f"labels: Expected {num_classes} columns of class probabilities; "
                f"received shape {labels.shape}"
            )
        return labels.astype("float32")
    values = labels.asnumpy()
    if values.size and (values.min() < 0 or values.max() >= num_classes):
        raise ValueError(
            f"labels: Expected class indices in 0..{num_classes - 1}; "
            f"received {values.min()}..{values.max()}"
        )
    return mx.nd.one_hot(labels.astype("float32"), depth=num_classes, dtype="float32")


def mix(
    batch_ops: list[Any],
    params: list[Params],
    images: Any,
    labels: Any,
    num_classes: int | None = None,
) -> tuple[Any, Any]:
    """Apply ``batch_ops`` with ``params`` to float (N, C, H, W) images; labels -> (N, classes)."""
    if images.ndim != 4 or images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"Expected a batch of images (N, C, H, W) with one label each; received images "
            f"{images.shape} and labels {labels.shape}"
        )
    if len(params) != len(batch_ops):
        raise ValueError(
            f"Expected one params dict per batch op ({len(batch_ops)}); received {len(params)}"
        )
    for op, p in zip(batch_ops, params, strict=True):
        n = class_count(op, num_classes if labels.ndim == 1 else int(labels.shape[1]))
        labels = _one_hot(labels, n)
        leaf, leaf_params = op, p
        if isinstance(op, BatchChoice):
            if p.get("op") != "batch_choice" or p.get("index") not in range(len(op.ops)):
                raise ValueError(f"Expected batch_choice params with an op index; received {p!r}")
            leaf, leaf_params = op.ops[p["index"]], p["chosen"]
        if leaf_params.get("op") != leaf.op:
            raise ValueError(f"Expected params of {leaf.op}; received {leaf_params!r}")
        lam = float(leaf_params["lam"])
        if isinstance(leaf, MixUp):
            images = _mix(images, lam)
        else:
            x1, y1, x2, y2 = (int(v) for v in leaf_params["box"])
            out = images.copy()
            if x2 > x1 and y2 > y1:
                out[:, :, y1:y2, x1:x2] = _roll(images)[:, :, y1:y2, x1:x2]
            images = out
        labels = _mix(labels, lam)
    return images, labels
