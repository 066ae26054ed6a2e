"""Batch ops (MixUp, CutMix): the ``batch_ops`` section of a spec, its sampler and its reference.

A batch op acts on a whole batch and its labels after the per-image ``ops``: it pairs each
sample with its neighbour (torchvision v2's pairing, ``batch.roll(1, 0)``: sample ``i`` is
mixed with sample ``i - 1``, the first with the last) and mixes the labels as v2 does
(index labels one-hot, then ``lam * y + (1 - lam) * y.roll(1, 0)``). The section is a list
applied in order; ``batch_choice`` (v2 ``RandomChoice``) applies one of its ops per batch.

Seeding contract for batches: the params of batch ``batch_index`` (its position in the
epoch's order) in ``epoch`` under ``seed`` come from
``Generator(PCG64(SeedSequence([seed, epoch, batch_index, BATCH_TAG])))`` and nothing else,
so they do not depend on worker count or backend. Every op draws the same amount whatever
it decides (``batch_choice`` samples all its ops and keeps the chosen one's params).

Distributions (v2's, ``torchvision/transforms/v2/_augment.py``):

- ``mixup``: ``lam ~ Beta(alpha, alpha)``; params ``{"op": "mixup", "lam": lam}``.
- ``cutmix``: ``lam ~ Beta(alpha, alpha)``, a centre ``r_x ~ U{0..W-1}``, ``r_y ~ U{0..H-1}``,
  half sides ``int(0.5 * sqrt(1 - lam) * W)`` and ``... * H``, the box clipped to the image,
  and ``lam`` replaced by ``1 - box area / image area``; params ``{"op": "cutmix", "lam":
  adjusted lam, "box": [x1, y1, x2, y2]}`` (v2's order: columns x1..x2-1, rows y1..y2-1 of
  each image come from its neighbour).
- ``batch_choice``: index ``i`` with probability ``p[i] / sum(p)`` (uniform without ``p``);
  params ``{"op": "batch_choice", "index": i, "chosen": <that op's params>}``.

Images: the reference takes numpy (N, H, W, C) (or (N, C, H, W) with ``channels_first``),
uint8 or float. Float batches are mixed in their own dtype, as v2 does; v2's ``MixUp``
refuses uint8 (its in-place float multiply cannot write bytes), so here uint8 is defined as
the float32 mix rounded half to even and clipped to 0..255. ``cutmix`` copies pixels (exact
for any dtype).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Final, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

__all__ = [
    "ALIASES",
    "BATCH_TAG",
    "AnyBatchOp",
    "BatchChoice",
    "BatchOpList",
    "CutMix",
    "MixUp",
    "batch_generator",
    "check_num_classes",
    "class_count",
    "cutmix_box",
    "mix_reference",
    "one_hot",
    "sample_batch",
]

BATCH_TAG: Final = 0x6D6978  # "mix": keeps batch entropy apart from a sample's [seed, epoch, index]

# Every framework class name that means a batch op, and each class's own argument names.
ALIASES: Final = {"MixUp": "mixup", "CutMix": "cutmix", "RandomChoice": "batch_choice"}
ARGUMENTS: Final = {"batch_choice": {"transforms": "ops"}}

Alpha = Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0, le=1000)]
NumClasses = Annotated[int, Field(strict=True, ge=2, le=1_000_000)]
Weight = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0)]
Params = dict[str, Any]


def _schema_with_aliases(schema: dict[str, Any], model: type) -> None:
    """Let the JSON Schema accept the class names and their argument names, as the loader does."""
    props = schema.get("properties", {})
    prop = props.get("op")
    if prop is None or "const" not in prop:
        return
    tag = prop.pop("const")
    prop["enum"] = [tag, *sorted(a for a, t in ALIASES.items() if t == tag)]
    schema["required"] = ["op", *(f for f in schema.get("required", []) if f != "op")]
    for native, canonical in ARGUMENTS.get(tag, {}).items():
        props[native] = props[canonical]
        if canonical in schema["required"]:  # either name, as the loader takes
            schema["required"].remove(canonical)
            schema["anyOf"] = [{"required": [canonical]}, {"required": [native]}]
    props["labels_getter"] = {"const": "default"}


class _BatchOpBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_schema_with_aliases)


class MixUp(_BatchOpBase):
    """v2 ``MixUp(alpha=1.0, num_classes=None)``; ``num_classes`` None: the data's class count."""

    op: Literal["mixup"] = "mixup"
    alpha: Alpha = 1.0
    num_classes: NumClasses | None = None


class CutMix(_BatchOpBase):
    """v2 ``CutMix(alpha=1.0, num_classes=None)``; ``num_classes`` None: the data's class count."""

    op: Literal["cutmix"] = "cutmix"
    alpha: Alpha = 1.0
    num_classes: NumClasses | None = None


MixOp = Annotated[MixUp | CutMix, Field(discriminator="op")]


class BatchChoice(_BatchOpBase):
    """v2 ``RandomChoice(transforms, p=None)`` over batch ops: one of ``ops`` per batch."""

    op: Literal["batch_choice"] = "batch_choice"
    ops: list[MixOp] = Field(min_length=1)
    p: list[Weight] | None = None

    @model_validator(mode="after")
    def _weights_match(self) -> BatchChoice:
        if self.p is not None and (len(self.p) != len(self.ops) or sum(self.p) <= 0):
            raise ValueError(
                f"Expected p with one weight >= 0 per op ({len(self.ops)}) and a positive sum; "
                f"received p={self.p!r}"
            )
        return self


AnyBatchOp = Annotated[MixUp | CutMix | BatchChoice, Field(discriminator="op")]


def _translate_op(node: Any, where: str) -> Any:
    """Class names (``MixUp``, ``RandomChoice``) and their argument names to the canonical ones."""
    if isinstance(node, str):
        node = {"op": node}
    if not isinstance(node, dict):
        return node
    out = dict(node)
    name = out.get("op")
    name = ALIASES.get(name, name) if isinstance(name, str) else name
    out["op"] = name
    for native, canonical in ARGUMENTS.get(str(name), {}).items():
        if native in out:
            if canonical in out:
                raise ValueError(f"{where}: Expected one of {native} or {canonical}; received both")
            out[canonical] = out.pop(native)
    getter = out.pop("labels_getter", "default")
    if getter != "default":
        raise ValueError(
            f"{where}: Expected labels_getter='default' (a spec holds data, not callables; "
            f"the trainers pass (images, labels)); received labels_getter={getter!r}"
        )
    if isinstance(out.get("ops"), list):
        out["ops"] = [_translate_op(o, f"{where}.ops[{i}]") for i, o in enumerate(out["ops"])]
    return out


def _translate_list(value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, list):
        raise ValueError(
            f"Expected batch_ops as a list of batch ops such as [{{op: mixup, alpha: 0.2}}]; "
            f"received batch_ops={value!r}"
        )
    if not value:
        return None  # an empty section is no section: the same pipeline, the same hash
    return [_translate_op(item, f"batch_ops[{i}]") for i, item in enumerate(value)]


BatchOpList = Annotated[list[AnyBatchOp] | None, BeforeValidator(_translate_list)]


# ---- sampler ------------------------------------------------------------------------


def batch_generator(seed: int, epoch: int, batch_index: int) -> np.random.Generator:
    """The generator of the batch seeding contract (see the module docstring)."""
    for name, value in (("seed", seed), ("epoch", epoch), ("batch_index", batch_index)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"Expected {name} as an int >= 0; received {name}={value!r}")
    entropy = np.random.SeedSequence([int(seed), int(epoch), int(batch_index), BATCH_TAG])
    return np.random.Generator(np.random.PCG64(entropy))


def cutmix_box(lam: float, r_x: int, r_y: int, hw: tuple[int, int]) -> tuple[list[int], float]:
    """v2 CutMix's box around (r_x, r_y) for ``lam`` and the lam adjusted to its area."""
    h, w = hw
    r = 0.5 * math.sqrt(1.0 - lam)
    r_w_half, r_h_half = int(r * w), int(r * h)
    x1, y1 = max(r_x - r_w_half, 0), max(r_y - r_h_half, 0)
    x2, y2 = min(r_x + r_w_half, w), min(r_y + r_h_half, h)
    return [x1, y1, x2, y2], float(1.0 - (x2 - x1) * (y2 - y1) / (w * h))


def _sample_op(op: Any, rng: np.random.Generator, hw: tuple[int, int]) -> Params:
    if isinstance(op, MixUp):
        return {"op": "mixup", "lam": float(rng.beta(op.alpha, op.alpha))}
    if isinstance(op, CutMix):
        lam = float(rng.beta(op.alpha, op.alpha))
        r_x, r_y = int(rng.integers(hw[1])), int(rng.integers(hw[0]))
        box, adjusted = cutmix_box(lam, r_x, r_y, hw)
        return {"op": "cutmix", "lam": adjusted, "box": box}
    weights = np.ones(len(op.ops)) if op.p is None else np.asarray(op.p, np.float64)
    cumulative = np.cumsum(weights / weights.sum())
    index = min(int(np.searchsorted(cumulative, rng.random(), side="right")), len(op.ops) - 1)
    children = [_sample_op(child, rng, hw) for child in op.ops]  # all draw: a fixed stream
    return {"op": "batch_choice", "index": index, "chosen": children[index]}


def sample_batch(
    batch_ops: list[Any], seed: int, epoch: int, batch_index: int, image_size: tuple[int, int]
) -> list[Params]:
    """The params of every batch op for one batch of images of ``image_size`` [height, width]."""
    h, w = (int(v) for v in image_size)
    if h < 1 or w < 1:
        raise ValueError(f"Expected image_size height and width >= 1; received {image_size!r}")
    rng = batch_generator(seed, epoch, batch_index)
    return [_sample_op(op, rng, (h, w)) for op in batch_ops]


# ---- reference (the definition) ------------------------------------------------------


def check_num_classes(op: Any, num_classes: int | None) -> int:
    """The class count labels are one-hot encoded with: the op's, else the data's (must agree)."""
    own = getattr(op, "num_classes", None)
    if own is not None and num_classes is not None and own != num_classes:
        raise ValueError(
            f"batch_ops ({op.op}): Expected num_classes={own} to match the data's "
            f"{num_classes} classes; received data with {num_classes}"
        )
    chosen = own if own is not None else num_classes
    if chosen is None:
        raise ValueError(
            f"batch_ops ({op.op}): Expected num_classes (in the op or from the data) to one-hot "
            "index labels; received none"
        )
    return int(chosen)


def class_count(op: Any, num_classes: int | None) -> int:
    """:func:`check_num_classes` for an op or every op of a ``batch_choice``."""
    leaves = op.ops if isinstance(op, BatchChoice) else [op]
    return [check_num_classes(leaf, num_classes) for leaf in leaves][0]


def one_hot(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """(N,) int labels -> (N, C) float32; (N, C) labels are taken as they are (as float32)."""
    labels = np.asarray(labels)
    if labels.ndim == 2:
        if labels.shape[1] != num_classes:
            raise ValueError(
                f"labels: Expected {num_classes} columns of class probabilities; "
                f"received shape {labels.shape}"
            )
        return labels.astype(np.float32)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ValueError(
            f"labels: Expected (N,) int class indices or (N, C) probabilities; "
            f"received {labels.dtype} shape {labels.shape}"
        )
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"labels: Expected class indices in 0..{num_classes - 1}; "
            f"received {labels.min()}..{labels.max()}"
        )
    return np.eye(num_classes, dtype=np.float32)[labels]


def _mix(a: np.ndarray, rolled: np.ndarray, lam: float) -> np.ndarray:
    """v2's ``rolled.mul_(1 - lam).add_(a.mul(lam))`` in a's float dtype."""
    dtype = a.dtype.type
    return rolled * dtype(1.0 - lam) + a * dtype(lam)


def _mix_images(x: np.ndarray, lam: float) -> np.ndarray:
    if x.dtype == np.uint8:
        mixed = _mix(x.astype(np.float32), np.roll(x, 1, axis=0).astype(np.float32), lam)
        return np.clip(np.rint(mixed), 0, 255).astype(np.uint8)
    return _mix(x, np.roll(x, 1, axis=0), lam)


def _check_params(params: Params, name: str) -> None:
    if not isinstance(params, dict) or params.get("op") != name:
        raise ValueError(f"Expected params of {name}; received {params!r}")


def _apply(
    op: Any, params: Params, x: np.ndarray, y: np.ndarray, channels_first: bool
) -> tuple[np.ndarray, np.ndarray]:
    _check_params(params, op.op)
    if isinstance(op, BatchChoice):
        if params.get("index") not in range(len(op.ops)):
            raise ValueError(
                f"Expected batch_choice params index in 0..{len(op.ops) - 1}; received {params!r}"
            )
        return _apply(op.ops[params["index"]], params["chosen"], x, y, channels_first)
    lam = float(params["lam"])
    if isinstance(op, MixUp):
        return _mix_images(x, lam), _mix(y, np.roll(y, 1, axis=0), lam)
    x1, y1, x2, y2 = (int(v) for v in params["box"])
    out = x.copy()
    rolled = np.roll(x, 1, axis=0)
    if channels_first:
        out[:, :, y1:y2, x1:x2] = rolled[:, :, y1:y2, x1:x2]
    else:
        out[:, y1:y2, x1:x2] = rolled[:, y1:y2, x1:x2]
    return out, _mix(y, np.roll(y, 1, axis=0), lam)


def mix_reference(
    batch_ops: list[Any],
    params: list[Params],
    images: np.ndarray,
    labels: np.ndarray,
    num_classes: int | None = None,
    channels_first: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Apply ``batch_ops`` with ``params`` (from :func:`sample_batch`): (images, (N, C) float32 labels)."""
    images = np.asarray(images)
    if images.ndim != 4 or len(images) != len(labels):
        raise ValueError(
            f"Expected a batch of images (N, H, W, C) or (N, C, H, W) with one label each; "
            f"received images {images.shape} and {len(labels)} labels"
        )
    if len(params) != len(batch_ops):
        raise ValueError(
            f"Expected one params dict per batch op ({len(batch_ops)}); received {len(params)}"
        )
    y = np.asarray(labels)
    for op, p in zip(batch_ops, params, strict=True):
        y = one_hot(y, class_count(op, num_classes if y.ndim == 1 else y.shape[1]))
        images, y = _apply(op, p, images, y, channels_first)
    return images, y
