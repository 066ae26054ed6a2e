"""What every op definition is made of: the strict scalar types, the model base class, the
rounding rule and the numerics of the reference, and :class:`OpDef` (one per op).

Numbers are strict: ``"0.5"`` (a string) and ``true`` are refused where a number is expected,
and NaN/inf are refused everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

# Strict scalars: ints are accepted where a float is expected, strings and
# bools are not; NaN and inf are refused.
Num = Annotated[float, Field(strict=True, allow_inf_nan=False)]
NonNeg = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0)]
Prob = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=1)]
PosInt = Annotated[int, Field(strict=True, gt=0)]
NonNegInt = Annotated[int, Field(strict=True, ge=0)]

# The largest image side any op may produce, take or pad to: sizes above it are
# refused when the spec is validated, and image/output sizes when the shape is
# traced (augspec.pipeline.trace_hw), before any pixel is allocated. The
# largest image is MAX_SIDE x MAX_SIDE x 3 (805 M values: 0.8 GB as uint8,
# 3.2 GB as float32 after to_tensor).
MAX_SIDE = 16384
Side = Annotated[int, Field(strict=True, gt=0, le=MAX_SIDE)]

# The largest colour factor / lighting alphastd. Any factor above a few hundred already saturates
# every pixel; beyond float32 (3.4e38) torchvision's uniform_ and mxnet's parameter parser fail
# with their own errors, so the spec refuses such values up front, the same for every backend.
MAX_FACTOR = 1e6
Factor = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=MAX_FACTOR)]

# Normalize runs in float32 on both backends (smallest normal and largest float32).
FLOAT32_TINY = 1.1754943508222875e-38
FLOAT32_MAX = 3.4028234663852886e38

# (height, width) or one int; what one int means is op-specific (documented
# on each op).
Size = Side | tuple[Side, Side]

Interpolation = Literal["nearest", "bilinear", "bicubic"]

Params = dict[str, Any]
HW = tuple[int, int]


def canonical_op(name: Any) -> Any:
    """Map an alias (``RandomFlipLeftRight``) to its canonical tag; pass others through."""
    if isinstance(name, str):
        from augspec.ops import ALIASES  # built from the definitions, after this module

        return ALIASES.get(name, name)
    return name


def _op_schema_with_aliases(schema: dict[str, Any], model: type) -> None:
    """Let the JSON Schema accept every alias of the op's tag, as the loader does."""
    from augspec.ops import ALIASES

    prop = schema.get("properties", {}).get("op")
    if prop is None or "const" not in prop:
        return
    tag = prop.pop("const")
    prop["enum"] = [tag, *sorted(a for a, t in ALIASES.items() if t == tag)]
    # In a file, op is how the union is told apart: required there.
    schema["required"] = ["op", *(f for f in schema.get("required", []) if f != "op")]
    from augspec.conventions import schema_native_names  # the classes' own argument names

    schema_native_names(schema, prop["enum"][1:])


class OpBase(BaseModel):
    """Common config: frozen, no extra fields, aliases accepted for ``op``."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_extra=_op_schema_with_aliases
    )

    if TYPE_CHECKING:  # each subclass declares its own Literal tag
        op: str

    @field_validator("op", mode="before", check_fields=False)
    @classmethod
    def _alias_to_canonical(cls, value: Any) -> Any:
        return canonical_op(value)

    @property
    def is_random(self) -> bool:
        return False


def _check_range(name: str, pair: tuple[float, float]) -> tuple[float, float]:
    lo, hi = pair
    if lo > hi:
        raise ValueError(
            f"Expected {name} as (min, max) with min <= max; received {name}={list(pair)}"
        )
    return pair


def _size_hw(size: int | tuple[int, int]) -> tuple[int, int]:
    return (size, size) if isinstance(size, int) else (size[0], size[1])


# ---- the numerics of the reference ---------------------------------------------------

Rounding = Callable[[np.ndarray], np.ndarray]
LUMA = (0.299, 0.587, 0.114)  # grey level: ITU-R 601, unrounded
GRAY_WEIGHTS = np.array(LUMA)


def to_uint8(x: np.ndarray) -> np.ndarray:
    """Round half up and clip: the one rounding rule of the reference."""
    return np.clip(np.floor(x + 0.5), 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class Numerics:
    """The numeric rules the reference kernels follow, passed explicitly.

    The reference is :data:`DEFINITION`; the parity models (augspec.parity.models) replay with
    one rule changed, to test an explanation of a measured difference.
    ``rounding``: float -> uint8 (round half up). ``antialias``: widen the resampling filter
    when shrinking. ``saturation_grey``: the RGB weights of the grey image saturation blends with.
    """

    rounding: Rounding = to_uint8
    antialias: bool = True
    saturation_grey: tuple[float, float, float] = LUMA


DEFINITION = Numerics()


# ---- one definition per op -----------------------------------------------------------


class Sampler(Protocol):
    def __call__(self, op: Any, rng: np.random.Generator, hw: HW, /) -> Params: ...


class ReferenceKernel(Protocol):
    """The contract's kernel signature ``(op, params, x, fidelity)``; ``numerics`` defaults
    to the definition and is passed only by the parity models."""

    def __call__(
        self, op: Any, params: Params, x: np.ndarray, fidelity: str, numerics: Numerics = ..., /
    ) -> np.ndarray: ...


EdgeParams = Callable[[Any, HW], list[tuple[str, Params]]]
Features = Callable[[Any, Params, HW], dict[str, float]]
OutputHW = Callable[[Any, HW], HW]


def no_edges(op: Any, hw: HW) -> list[tuple[str, Params]]:
    return []


def no_features(op: Any, params: Params, hw: HW) -> dict[str, float]:
    return {}


def same_hw(op: Any, hw: HW) -> HW:
    return hw


def no_params(op: Any, rng: np.random.Generator, hw: HW) -> Params:
    return {}


# ---- params checks: what a sampler could have produced ---------------------------------
# Each op's ``check_params(op, params, hw)`` raises ValueError("key: Expected ...; received
# key=...") for params its sampler could not have drawn on an ``hw`` input; augspec.sampling
# prefixes the op's place. They run on every replay: plain comparisons, no allocation.

ParamsCheck = Callable[[Any, Params, HW], None]
_NUMBER = (int, float, np.integer, np.floating)
_INT = (int, np.integer)


def _shown(key: str, value: Any) -> str:
    return f"{key}={value!r:.60}"


def check_keys(params: Params, keys: tuple[str, ...]) -> None:
    """``params`` has exactly ``op`` and ``keys``."""
    for key in keys:
        if key not in params:
            listed = ", ".join(("op", *keys))
            raise ValueError(
                f"{key}: Expected the key {key!r} (the op's params: {listed}); "
                f"received params without it"
            )
    if len(params) != len(keys) + 1:
        extra = next(k for k in params if k != "op" and k not in keys)
        listed = ", ".join(("op", *keys))
        raise ValueError(
            f"{extra}: Expected only the keys {listed}; received an unknown key {_shown(str(extra), params[extra])}"
        )


def no_check(op: Any, params: Params, hw: HW) -> None:
    """An op that draws nothing: its params are ``{"op": name}`` alone."""
    check_keys(params, ())


# Native samplers (torch's uniform_, mxnet's) draw in float32: a bound rounded to float32 lies
# up to one float32 step (2**-23 relative) outside the spec's float64 bound.
_F32_STEP = 2.0**-23


def check_number(params: Params, key: str, lo: float, hi: float, what: str, *args: object) -> None:
    """A finite number (not a bool) in [lo, hi], widened by float32 rounding; NaN fails the
    comparison. The message says ``what.format(*args)`` (formatted only on failure: this runs
    on every replay)."""
    value = params[key]
    within = (
        not isinstance(value, bool)
        and isinstance(value, _NUMBER)
        and bool(lo <= value <= hi or lo - abs(lo) * _F32_STEP <= value <= hi + abs(hi) * _F32_STEP)
    )
    if not within:
        raise ValueError(
            f"{key}: Expected a number in [{lo!r}, {hi!r}] ({what.format(*args)}); "
            f"received {_shown(key, value)}"
        )


def check_int(params: Params, key: str, lo: int, hi: int, what: str, *args: object) -> None:
    """An int (not a bool, not a float) in [lo, hi]; ``what`` as for :func:`check_number`."""
    value = params[key]
    if isinstance(value, bool) or not isinstance(value, _INT) or not lo <= value <= hi:
        raise ValueError(
            f"{key}: Expected an integer in [{lo}, {hi}] ({what.format(*args)}); "
            f"received {_shown(key, value)}"
        )


def check_bool(params: Params, key: str) -> None:
    value = params[key]
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{key}: Expected true or false; received {_shown(key, value)}")


# Sources the facts cite most often.
MXNET_RANDOM = "apache/mxnet src/operator/image/image_random-inl.h"
TV_PIL = "torchvision/transforms/_functional_pil.py"


@dataclass(frozen=True)
class Fact:
    """A sourced framework fact, cited by the parity report only where ``pattern`` was measured
    for ``backend`` and one of ``ops``."""

    backend: str
    ops: tuple[str, ...]
    pattern: str  # the measured pattern that must be present to cite this fact
    text: str
    source: str
    # One short clause for the parity report's first page ("what differs"); "" = none.
    summary: str = ""


@dataclass(frozen=True)
class OpDef:
    """Everything framework-neutral about one op.

    ``model``: the pydantic model (its ``op`` tag is ``name``). ``aliases``: the class names of
    every framework that mean this op. ``sample(op, rng, hw)``: the documented distribution of
    its params (augspec.sampling). ``reference(op, params, x, fidelity)``: the numpy kernel that
    is the definition (the reference backend's record; the parity models also pass
    :class:`Numerics`). ``output_hw(op, hw)``: the output size (ValueError when the op cannot
    take ``hw``). ``edge_params(op, hw)``: labelled params the parity report replays besides
    sampled ones (laid over the sampled params, so a container keeps its children's);
    ``features(op, params, hw)``: numbers the verdicts correlate differences with;
    ``odd_sizes``: whether the image minus a pixel is an edge case (replayed with the first
    edge params, where there are any). ``check_params(op, params, hw)``: refuses (ValueError)
    params its sampler could not have drawn for an ``hw`` input (missing or unknown keys,
    wrong types, non-finite or out-of-range values): run by every replay.
    """

    name: str
    model: type[OpBase]
    aliases: tuple[str, ...]
    sample: Sampler
    reference: ReferenceKernel
    output_hw: OutputHW = same_hw
    edge_params: EdgeParams = no_edges
    features: Features = no_features
    odd_sizes: bool = False
    check_params: ParamsCheck = no_check

    def __post_init__(self) -> None:
        tag = self.model.model_fields["op"].default
        if tag != self.name:
            raise ValueError(
                f"Expected the model of op {self.name!r} to be tagged {self.name!r}; "
                f"received {self.model.__name__} tagged {tag!r}"
            )
