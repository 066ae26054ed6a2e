"""The op models: one frozen pydantic model per augmentation op.

Every op is tagged by ``op`` (a discriminated union). The canonical tag is a
snake_case name; every Gluon and torchvision class name from the d2l chapter
loads as an alias of its op (``RandomFlipLeftRight`` and
``RandomHorizontalFlip`` both load as ``horizontal_flip``).

Numbers are strict: ``"0.5"`` (a string) and ``true`` are refused where a
number is expected, and NaN/inf are refused everywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

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

# The d2l chapter's class names (and their torchvision/Gluon siblings) mapped
# to the canonical op tag.
ALIASES: dict[str, str] = {
    "RandomFlipLeftRight": "horizontal_flip",
    "RandomHorizontalFlip": "horizontal_flip",
    "RandomFlipTopBottom": "vertical_flip",
    "RandomVerticalFlip": "vertical_flip",
    "RandomResizedCrop": "random_resized_crop",
    "Resize": "resize",
    "CenterCrop": "center_crop",
    "RandomCrop": "random_crop",
    "RandomBrightness": "brightness",
    "RandomContrast": "contrast",
    "RandomSaturation": "saturation",
    "RandomHue": "hue",
    "ColorJitter": "color_jitter",
    "RandomColorJitter": "color_jitter",
    "RandomLighting": "lighting",
    "Lighting": "lighting",
    "ToTensor": "to_tensor",
    "Normalize": "normalize",
    "RandomApply": "random_apply",
    "Compose": "compose",
}


def canonical_op(name: Any) -> Any:
    """Map an alias (``RandomFlipLeftRight``) to its canonical tag; pass others through."""
    if isinstance(name, str):
        return ALIASES.get(name, name)
    return name


def _op_schema_with_aliases(schema: dict[str, Any], model: type) -> None:
    """Let the JSON Schema accept every alias of the op's tag, as the loader does."""
    prop = schema.get("properties", {}).get("op")
    if prop is None or "const" not in prop:
        return
    tag = prop.pop("const")
    prop["enum"] = [tag, *sorted(a for a, t in ALIASES.items() if t == tag)]
    # In a file, op is how the union is told apart: required there.
    schema["required"] = ["op", *(f for f in schema.get("required", []) if f != "op")]


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


class HorizontalFlip(OpBase):
    """Flip left-right with probability ``p`` (Gluon ``RandomFlipLeftRight`` is p=0.5)."""

    op: Literal["horizontal_flip"] = "horizontal_flip"
    p: Prob = 0.5

    @property
    def is_random(self) -> bool:
        return 0 < self.p < 1


class VerticalFlip(OpBase):
    """Flip top-bottom with probability ``p``."""

    op: Literal["vertical_flip"] = "vertical_flip"
    p: Prob = 0.5

    @property
    def is_random(self) -> bool:
        return 0 < self.p < 1


class RandomResizedCrop(OpBase):
    """Crop a random area/aspect box, then resize it to ``size``.

    ``size``: (height, width), or one int for a square output. ``scale`` is the
    range of the box area as a fraction of the image area; ``ratio`` the range
    of its width/height aspect, drawn log-uniformly.
    """

    op: Literal["random_resized_crop"] = "random_resized_crop"
    size: Size
    scale: tuple[NonNeg, NonNeg] = (0.08, 1.0)
    ratio: tuple[NonNeg, NonNeg] = (3 / 4, 4 / 3)
    interpolation: Interpolation = "bilinear"

    @field_validator("scale")
    @classmethod
    def _scale(cls, v: tuple[float, float]) -> tuple[float, float]:
        _check_range("scale", v)
        if v[1] <= 0 or v[1] > 1:
            raise ValueError(f"Expected scale max in (0, 1]; received scale={list(v)}")
        return v

    @field_validator("ratio")
    @classmethod
    def _ratio(cls, v: tuple[float, float]) -> tuple[float, float]:
        _check_range("ratio", v)
        if v[0] <= 0:
            raise ValueError(f"Expected ratio min > 0; received ratio={list(v)}")
        return v

    @property
    def hw(self) -> tuple[int, int]:
        return _size_hw(self.size)

    @property
    def is_random(self) -> bool:
        return True


class Resize(OpBase):
    """Resize to ``size``.

    ``size`` (height, width) resizes exactly. One int resizes the *shorter*
    side to that many pixels, keeping the aspect ratio (torchvision's meaning;
    Gluon's ``Resize(int)`` makes a square unless ``keep_ratio=True``; the
    Gluon backend translates).
    """

    op: Literal["resize"] = "resize"
    size: Size
    interpolation: Interpolation = "bilinear"


class CenterCrop(OpBase):
    """Crop the central (height, width) box; one int means a square."""

    op: Literal["center_crop"] = "center_crop"
    size: Size

    @property
    def hw(self) -> tuple[int, int]:
        return _size_hw(self.size)


class RandomCrop(OpBase):
    """Zero-pad each side by ``padding`` pixels, then crop a random ``size`` box.

    The CIFAR recipe is ``{op: random_crop, size: 32, padding: 4}``.
    """

    op: Literal["random_crop"] = "random_crop"
    size: Size
    padding: Annotated[int, Field(strict=True, ge=0, le=MAX_SIDE)] = 0
    fill: Annotated[int, Field(strict=True, ge=0, le=255)] = 0

    @property
    def hw(self) -> tuple[int, int]:
        return _size_hw(self.size)

    @property
    def is_random(self) -> bool:
        return True


FactorRange = Factor | tuple[Factor, Factor]


def _factor_range(name: str, v: float | tuple[float, float]) -> tuple[float, float]:
    """One number b means the range [max(0, 1 - b), 1 + b] (both frameworks' convention)."""
    if isinstance(v, tuple):
        return v
    return (max(0.0, 1.0 - v), 1.0 + v)


class _FactorOp(OpBase):
    """An op that multiplies something by a factor drawn uniformly from a range."""

    factor: FactorRange

    @field_validator("factor")
    @classmethod
    def _factor(cls, v: float | tuple[float, float]) -> float | tuple[float, float]:
        if isinstance(v, tuple):
            _check_range("factor", v)
        return v

    @property
    def range(self) -> tuple[float, float]:
        return _factor_range("factor", self.factor)

    @property
    def is_random(self) -> bool:
        lo, hi = self.range
        return lo != hi


class Brightness(_FactorOp):
    """Scale pixel values by a factor: ``out = x * f``."""

    op: Literal["brightness"] = "brightness"


class Contrast(_FactorOp):
    """Blend with the mean grey level: ``out = f * x + (1 - f) * mean(gray(x))``."""

    op: Literal["contrast"] = "contrast"


class Saturation(_FactorOp):
    """Blend with the grey image: ``out = f * x + (1 - f) * gray(x)``."""

    op: Literal["saturation"] = "saturation"


_HueBound = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-0.5, le=0.5)]
HueRange = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=0.5)] | tuple[
    _HueBound, _HueBound
]


def _hue_range(v: float | tuple[float, float]) -> tuple[float, float]:
    return v if isinstance(v, tuple) else (-v, v)


class Hue(OpBase):
    """Rotate hue by a shift drawn from [-h, h] (fractions of a full turn, h <= 0.5)."""

    op: Literal["hue"] = "hue"
    factor: HueRange

    @field_validator("factor")
    @classmethod
    def _factor(cls, v: float | tuple[float, float]) -> float | tuple[float, float]:
        if isinstance(v, tuple):
            _check_range("factor", v)
        return v

    @property
    def range(self) -> tuple[float, float]:
        return _hue_range(self.factor)

    @property
    def is_random(self) -> bool:
        lo, hi = self.range
        return lo != hi


class ColorJitter(OpBase):
    """Brightness, contrast, saturation and hue, applied in a random order.

    A zero (or absent) component is skipped. The order is a random
    permutation drawn per sample (torchvision's semantics).
    """

    op: Literal["color_jitter"] = "color_jitter"
    brightness: FactorRange = 0.0
    contrast: FactorRange = 0.0
    saturation: FactorRange = 0.0
    hue: HueRange = 0.0

    @field_validator("brightness", "contrast", "saturation", "hue")
    @classmethod
    def _pairs(cls, v: float | tuple[float, float], info: Any) -> float | tuple[float, float]:
        if isinstance(v, tuple):
            _check_range(info.field_name, v)
        return v

    def ranges(self) -> dict[str, tuple[float, float] | None]:
        """The factor range of each component; None where it is a no-op (torchvision's rule)."""
        out: dict[str, tuple[float, float] | None] = {}
        for name in COLOR_COMPONENTS:
            value = getattr(self, name)
            if name == "hue":
                rng, identity = _hue_range(value), (0.0, 0.0)
            else:
                rng, identity = _factor_range(name, value), (1.0, 1.0)
            out[name] = None if rng == identity else rng
        return out

    @property
    def is_random(self) -> bool:
        return any(r is not None for r in self.ranges().values())


COLOR_COMPONENTS = ("brightness", "contrast", "saturation", "hue")

# AlexNet's PCA lighting noise: eigenvalues and eigenvectors of the RGB
# covariance of ImageNet in 0-255 units (the constants Gluon uses).
LIGHTING_EIGVAL = (55.46, 4.794, 1.148)
LIGHTING_EIGVEC = (
    (-0.5675, 0.7192, 0.4009),
    (-0.5808, -0.0045, -0.8140),
    (-0.5836, -0.6948, 0.4203),
)


class Lighting(OpBase):
    """AlexNet-style PCA lighting noise: add ``eigvec @ (alpha * eigval)`` to every pixel.

    ``alpha`` is drawn per sample from N(0, alphastd^2), one per channel.
    """

    op: Literal["lighting"] = "lighting"
    alphastd: Factor = 0.1

    @property
    def is_random(self) -> bool:
        return self.alphastd > 0


class ToTensor(OpBase):
    """HWC uint8 [0, 255] -> CHW float32 [0, 1]."""

    op: Literal["to_tensor"] = "to_tensor"


class Normalize(OpBase):
    """Per channel ``(x - mean) / std`` on a CHW float tensor (after ``to_tensor``)."""

    op: Literal["normalize"] = "normalize"
    mean: Annotated[list[Num], Field(min_length=1)]
    std: Annotated[list[Num], Field(min_length=1)]

    @field_validator("std")
    @classmethod
    def _std(cls, v: list[float]) -> list[float]:
        if any(s <= 0 for s in v):
            raise ValueError(f"Expected every std > 0; received std={v}")
        # Both frameworks divide in float32: a std that is 0 there (torchvision
        # raises, mxnet returns inf) or a value beyond float32 is refused here.
        if any(s < FLOAT32_TINY or s > FLOAT32_MAX for s in v):
            raise ValueError(
                f"Expected every std in [{FLOAT32_TINY:.4g}, {FLOAT32_MAX:.4g}] "
                f"(a normal float32: both backends divide in float32); received std={v}"
            )
        return v

    @field_validator("mean")
    @classmethod
    def _mean(cls, v: list[float]) -> list[float]:
        if any(abs(m) > FLOAT32_MAX for m in v):
            raise ValueError(
                f"Expected every |mean| <= {FLOAT32_MAX:.4g} (a float32); received mean={v}"
            )
        return v

    @model_validator(mode="after")
    def _lengths(self) -> Normalize:
        if len(self.mean) not in (1, 3) or len(self.std) not in (1, 3):
            raise ValueError(
                "Expected mean and std of length 1 or 3 (one per RGB channel); "
                f"received mean={self.mean}, std={self.std}"
            )
        return self


class RandomApply(OpBase):
    """Apply ``ops`` (in order) with probability ``p``, or none of them."""

    op: Literal["random_apply"] = "random_apply"
    p: Prob = 0.5
    ops: list[AnyOp] = Field(min_length=1)

    @property
    def is_random(self) -> bool:
        return True


class Compose(OpBase):
    """Apply ``ops`` in order (nesting allowed)."""

    op: Literal["compose"] = "compose"
    ops: list[AnyOp] = Field(min_length=1)

    @property
    def is_random(self) -> bool:
        return any(o.is_random for o in self.ops)


OP_MODELS: tuple[type[OpBase], ...] = (
    HorizontalFlip,
    VerticalFlip,
    RandomResizedCrop,
    Resize,
    CenterCrop,
    RandomCrop,
    Brightness,
    Contrast,
    Saturation,
    Hue,
    ColorJitter,
    Lighting,
    ToTensor,
    Normalize,
    RandomApply,
    Compose,
)

OP_NAMES: tuple[str, ...] = tuple(m.model_fields["op"].default for m in OP_MODELS)
MODEL_BY_NAME: dict[str, type[OpBase]] = dict(zip(OP_NAMES, OP_MODELS, strict=True))


def _op_tag(value: Any) -> str | None:
    """The discriminator: read ``op`` from a dict or a model, mapping aliases."""
    tag = canonical_op(value.get("op")) if isinstance(value, dict) else getattr(value, "op", None)
    return tag if tag in MODEL_BY_NAME else None


def _known_ops_text() -> str:
    aliases = ", ".join(sorted(ALIASES))
    return f"{', '.join(OP_NAMES)} (aliases: {aliases})"


if TYPE_CHECKING:
    AnyOp = OpBase
else:
    # The union is built from OP_MODELS so that no op can be left out of it.
    AnyOp = Annotated[
        Union[tuple(Annotated[m, Tag(n)] for n, m in MODEL_BY_NAME.items())],  # noqa: UP007
        Discriminator(
            _op_tag,
            custom_error_type="unknown_op",
            custom_error_message=f"Unknown op. Expected one of: {_known_ops_text()}",
        ),
    ]

RandomApply.model_rebuild()
Compose.model_rebuild()
