"""The ops: one definition per op (:class:`OpDef`), grouped by family, and the registry built
from them.

Every op is tagged by ``op`` (a discriminated union). The canonical tag is a snake_case name;
every Gluon and torchvision class name from the d2l chapter loads as an alias of its op
(``RandomFlipLeftRight`` and ``RandomHorizontalFlip`` both load as ``horizontal_flip``).

Adding an op: write its model, sampler, reference kernel and :class:`OpDef` in a family module
and add the OpDef to that module's ``DEFS`` (a new family module also goes in
:data:`FAMILIES`); OPS, ALIASES, OP_NAMES, the union, the reference backend's records, the
sampler dispatch, output sizes and the parity cases follow from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Union

import numpy as np
from pydantic import BaseModel, Discriminator, Tag, model_validator
from pydantic.json_schema import SkipJsonSchema

from augspec.ops import affine as affine_family
from augspec.ops import choice as choice_family
from augspec.ops import (
    colour,
    composition,
    crops,
    distort,
    flips,
    lighting,
    photometric,
    resize,
    tensor,
)
from augspec.ops import filters as filters_family
from augspec.ops import geometry as geometry_family
from augspec.ops import tensor_ops as tensor_ops_family
from augspec.ops.base import (
    DEFINITION,
    FLOAT32_MAX,
    FLOAT32_TINY,
    GRAY_WEIGHTS,
    HW,
    MAX_FACTOR,
    MAX_SIDE,
    Fact,
    Factor,
    Interpolation,
    NonNeg,
    NonNegInt,
    Num,
    Numerics,
    OpBase,
    OpDef,
    Params,
    PosInt,
    Prob,
    Side,
    Size,
    _check_range,
    _size_hw,
    canonical_op,
    to_uint8,
)
from augspec.ops.colour import (
    COLOR_COMPONENTS,
    Brightness,
    ColorJitter,
    Contrast,
    FactorRange,
    Hue,
    HueRange,
    Saturation,
    _factor_range,
    _FactorOp,
    _hue_range,
)
from augspec.ops.composition import Compose, RandomApply
from augspec.ops.crops import CenterCrop, RandomCrop, RandomResizedCrop
from augspec.ops.flips import HorizontalFlip, VerticalFlip
from augspec.ops.lighting import LIGHTING_EIGVAL, LIGHTING_EIGVEC, Lighting
from augspec.ops.refused import REFUSED
from augspec.ops.resize import Resize
from augspec.ops.tensor import Normalize, ToTensor

__all__ = [
    "ALIASES",
    "COLOR_COMPONENTS",
    "DEFINITION",
    "FACTS",
    "FLOAT32_MAX",
    "FLOAT32_TINY",
    "GRAY_WEIGHTS",
    "LIGHTING_EIGVAL",
    "LIGHTING_EIGVEC",
    "MAX_FACTOR",
    "MAX_SIDE",
    "MODEL_BY_NAME",
    "OPS",
    "OP_MODELS",
    "OP_NAMES",
    "AnyOp",
    "Brightness",
    "CenterCrop",
    "ColorJitter",
    "Compose",
    "Contrast",
    "Fact",
    "Factor",
    "FactorRange",
    "HorizontalFlip",
    "Hue",
    "HueRange",
    "Interpolation",
    "Lighting",
    "NonNeg",
    "NonNegInt",
    "Normalize",
    "Num",
    "Numerics",
    "OpBase",
    "OpDef",
    "PosInt",
    "Prob",
    "RandomApply",
    "RandomCrop",
    "RandomResizedCrop",
    "Resize",
    "Saturation",
    "Side",
    "Size",
    "ToTensor",
    "VerticalFlip",
    "_FactorOp",
    "_check_range",
    "_factor_range",
    "_hue_range",
    "_size_hw",
    "apply_reference",
    "build_registry",
    "canonical_op",
    "output_hw",
    "to_uint8",
]

# One module per family; each lists its definitions in DEFS and its facts in FACTS.
FAMILIES = (
    flips,
    crops,
    resize,
    colour,
    lighting,
    photometric,
    geometry_family,
    affine_family,
    filters_family,
    tensor,
    composition,
    choice_family,
    tensor_ops_family,
)

# The first ops keep the order the union, OP_NAMES and the JSON Schema have always had;
# an op added later goes after them, in family order.
_PINNED_ORDER = (
    "horizontal_flip",
    "vertical_flip",
    "random_resized_crop",
    "resize",
    "center_crop",
    "random_crop",
    "brightness",
    "contrast",
    "saturation",
    "hue",
    "color_jitter",
    "lighting",
    "to_tensor",
    "normalize",
    "random_apply",
    "compose",
)


def build_registry(defs: Iterable[OpDef]) -> tuple[dict[str, OpDef], dict[str, str]]:
    """(name -> OpDef, alias -> name); refuses a second definition of a name or an alias."""
    ops: dict[str, OpDef] = {}
    aliases: dict[str, str] = {}
    for d in defs:
        if d.name in ops:
            raise ValueError(f"Expected one OpDef per op; received a second for op={d.name!r}")
        ops[d.name] = d
        for alias in d.aliases:
            if alias in aliases or alias in ops:
                raise ValueError(
                    f"Expected each alias to mean one op; received alias={alias!r} for op={d.name!r} "
                    f"and op={aliases.get(alias, alias)!r}"
                )
            aliases[alias] = d.name
    return ops, aliases


def _in_order(defs: Iterable[OpDef]) -> list[OpDef]:
    rank = {name: i for i, name in enumerate(_PINNED_ORDER)}
    listed = list(defs)
    return sorted(listed, key=lambda d: (rank.get(d.name, len(rank)), listed.index(d)))


OPS, ALIASES = build_registry(_in_order(d for family in FAMILIES for d in family.DEFS))
FACTS: tuple[Fact, ...] = tuple(f for family in FAMILIES for f in family.FACTS)

OP_MODELS: tuple[type[OpBase], ...] = tuple(d.model for d in OPS.values())
OP_NAMES: tuple[str, ...] = tuple(OPS)
MODEL_BY_NAME: dict[str, type[OpBase]] = {name: d.model for name, d in OPS.items()}


def _op_tag(value: Any) -> str | None:
    """The discriminator: read ``op`` from a dict or a model, mapping aliases."""
    tag = canonical_op(value.get("op")) if isinstance(value, dict) else getattr(value, "op", None)
    return tag if tag in MODEL_BY_NAME or tag in REFUSED or tag == distort.CLASS else None


class _RefusedOp(BaseModel):
    """The union's branch for a class no spec can hold (augspec/ops/refused.py): it refuses."""

    @model_validator(mode="before")
    @classmethod
    def _refuse(cls, value: Any) -> Any:
        name = value.get("op") if isinstance(value, dict) else value
        raise ValueError(
            f"Expected an op a spec can hold; received op={name!r}. {REFUSED.get(str(name), '')}"
        )


def _known_ops_text() -> str:
    aliases = ", ".join(sorted(ALIASES))
    return f"{', '.join(OP_NAMES)} (aliases: {aliases})"


if TYPE_CHECKING:
    AnyOp = OpBase
else:
    # The union is built from the registry so that no op can be left out of it.
    AnyOp = Annotated[
        Union[  # noqa: UP007
            tuple(
                [Annotated[m, Tag(n)] for n, m in MODEL_BY_NAME.items()]
                + [Annotated[_RefusedOp, Tag(n), SkipJsonSchema()] for n in REFUSED]
                + [Annotated[distort.DistortEntry, Tag(distort.CLASS)]]  # in the schema only
            )
        ],
        Discriminator(
            _op_tag,
            custom_error_type="unknown_op",
            custom_error_message=f"Unknown op. Expected one of: {_known_ops_text()}",
        ),
    ]

RandomApply.model_rebuild(_types_namespace={"AnyOp": AnyOp})
Compose.model_rebuild(_types_namespace={"AnyOp": AnyOp})
for _container in (choice_family.RandomChoice, choice_family.RandomOrder):
    _container.model_rebuild(_types_namespace={"AnyOp": AnyOp})


def output_hw(op: OpBase, hw: HW) -> HW:
    """The (height, width) an op produces from an input of ``hw``; ValueError if it cannot."""
    return OPS[op.op].output_hw(op, hw)


def apply_reference(
    ops: Sequence[OpBase],
    plist: Sequence[Params],
    x: np.ndarray,
    fidelity: str = "native",
    numerics: Numerics = DEFINITION,
) -> np.ndarray:
    """Run each op's reference kernel under ``numerics`` (the definition's by default)."""
    for op, p in zip(ops, plist, strict=True):
        x = OPS[op.op].reference(op, p, x, fidelity, numerics)
    return x
