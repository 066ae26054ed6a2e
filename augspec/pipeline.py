"""The pipeline model, the image-state rules between ops, and shape tracing."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from augspec.batch_ops import BatchOpList
from augspec.ops import (
    MAX_SIDE,
    AnyOp,
    Compose,
    Normalize,
    OpBase,
    RandomApply,
    ToTensor,
    output_hw,
)
from augspec.ops.choice import RandomChoice, RandomOrder
from augspec.ops.resize import resize_shorter_hw

__all__ = [
    "FORMAT_VERSION",
    "IMAGE",
    "MAX_SIDE",
    "TENSOR",
    "Pipeline",
    "check_image_hw",
    "check_state_order",
    "iter_leaves",
    "output_hw",
    "resize_shorter_hw",
    "trace_hw",
]

FORMAT_VERSION: Final = 1

# MAX_SIDE (defined in augspec.ops, where spec sizes are checked against it) is the
# largest image side any op may produce or accept: refusing absurd sizes up front
# beats an out-of-memory kill half-way through a batch (imported here so that
# augspec.pipeline.MAX_SIDE keeps working). Each op's output size is its definition's
# (augspec.ops.output_hw); resize_shorter_hw is re-exported for the backends.


def _conventions_schema(schema: dict[str, Any]) -> None:
    """A file may say whose conventions its numbers follow; it is read away at load."""
    from augspec.conventions import CONVENTIONS, ops_take_bare_names

    if "ops" in schema.get("properties", {}):
        ops_take_bare_names(schema["properties"]["ops"])
    schema.setdefault("properties", {})["conventions"] = {
        "enum": list(CONVENTIONS),
        "default": "augspec",
        "description": "whose sizes and codes the file's numbers follow (translated at load: "
        "gluon sizes are (width, height) and its int resize a square)",
    }


class Pipeline(BaseModel):
    """An augmentation pipeline: a format version and a list of ops applied in order.

    Data given to it may name ops by framework classes with their own argument names, and
    declare ``conventions`` (augspec.conventions); both are translated before validation, so
    a pipeline always holds (and dumps) canonical ops.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_conventions_schema)

    @model_validator(mode="before")
    @classmethod
    def _native_names(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        from augspec.conventions import translate_data

        data, problems = translate_data(data)
        if problems:
            raise ValueError("; ".join(str(p) for p in problems))
        return data

    augspec: Literal[1] = FORMAT_VERSION

    @field_validator("augspec", mode="before")
    @classmethod
    def _version_is_the_integer_1(cls, value: Any) -> Any:
        # Literal[1] alone accepts True and 1.0 (they compare equal to 1).
        if type(value) is not int or value != FORMAT_VERSION:
            raise ValueError(
                f"Expected {FORMAT_VERSION} (the format version, an integer); received augspec={value!r} "
                f"({type(value).__name__})"
            )
        return value

    description: str | None = None
    ops: list[AnyOp] = Field(min_length=1)
    # Optional MixUp/CutMix on whole batches after ``ops`` (augspec/batch_ops.py); None when
    # absent, so older files dump and hash as before.
    batch_ops: BatchOpList = None

    @model_validator(mode="after")
    def _image_state_order(self) -> Pipeline:
        check_state_order(self.ops)
        return self

    def flat_ops(self) -> list[OpBase]:
        """Leaf ops in order, nested Compose/RandomApply expanded (for listings)."""
        return list(iter_leaves(self.ops))

    def spec_hash(self) -> str:
        """A stable hash of the canonical JSON form (stored in checkpoints)."""
        data = self.model_dump(mode="json")
        if data.get("batch_ops") is None:  # hashes of specs without batch ops stay as they were
            data.pop("batch_ops", None)
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def iter_leaves(ops: list[OpBase]) -> Iterator[OpBase]:
    for op in ops:
        if isinstance(op, (Compose, RandomApply, RandomChoice, RandomOrder)):
            yield from iter_leaves(op.ops)
        else:
            yield op


# Image state: ops before to_tensor see HWC uint8 images; to_tensor turns them
# into CHW float32 tensors, which only normalize accepts. Gluon's flips and
# crops assume HWC and silently act on the wrong axes of a CHW tensor, so the
# spec refuses such orders instead of letting the backends disagree.
IMAGE, TENSOR = "HWC uint8 image", "CHW float32 tensor"
# Ops that act on the tensor (after to_tensor) besides normalize.
TENSOR_STATE_OPS: Final = frozenset({"gaussian_noise", "random_erasing"})


def _state_after(ops: list[OpBase], state: str, path: str, first: int = 0) -> str:
    for i, op in enumerate(ops, first):
        where = f"{path}[{i}] ({op.op})"
        if isinstance(op, (RandomChoice, RandomOrder)):  # each op alone must keep the state
            for k, child in enumerate(op.ops):
                if _state_after([child], state, f"{where}.ops", k) != state:
                    raise ValueError(
                        f"{where}.ops[{k}]: Expected {op.op}'s ops to keep the image state; "
                        f"received {child.op}, which turns a {state} into another"
                    )
        elif isinstance(op, Compose):
            state = _state_after(op.ops, state, f"{where}.ops")
        elif isinstance(op, RandomApply):
            after = _state_after(op.ops, state, f"{where}.ops")
            if after != state:
                raise ValueError(
                    f"{where}: Expected random_apply to keep the image state; "
                    f"received ops that turn a {state} into a {after}"
                )
        elif isinstance(op, ToTensor):
            if state != IMAGE:
                raise ValueError(f"{where}: Expected to_tensor once; received a second to_tensor")
            state = TENSOR
        elif isinstance(op, Normalize) or op.op in TENSOR_STATE_OPS:
            if state != TENSOR:
                raise ValueError(
                    f"{where}: Expected {op.op} after to_tensor (it acts on a {TENSOR}); "
                    f"received it on a {state}"
                )
        elif state != IMAGE:
            raise ValueError(
                f"{where}: Expected {op.op} before to_tensor (it acts on a {IMAGE}); "
                f"received it on a {state}"
            )
    return state


def check_state_order(ops: list[OpBase]) -> None:
    _state_after(ops, IMAGE, "ops")


def check_image_hw(hw: tuple[int, int], where: str = "image") -> None:
    h, w = hw
    if h < 1 or w < 1:
        raise ValueError(f"{where}: Expected height and width >= 1; received shape {h}x{w}")
    if h > MAX_SIDE or w > MAX_SIDE:
        raise ValueError(
            f"{where}: Expected height and width <= {MAX_SIDE}; received shape {h}x{w}"
        )


def trace_hw(spec: Pipeline, hw: tuple[int, int]) -> list[tuple[int, int]]:
    """Input size of each top-level op and the final size; raises before any pixel moves."""
    check_image_hw(hw)
    sizes = [hw]
    for i, op in enumerate(spec.ops):
        try:
            hw = output_hw(op, hw)
        except ValueError as err:
            raise ValueError(f"ops[{i}] {err}") from None
        check_image_hw(hw, f"ops[{i}] ({op.op}) output")
        sizes.append(hw)
    return sizes
