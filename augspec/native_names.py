"""The framework classes that mean an augspec op, with their own argument names and conventions.

Usage (framework-free: this module imports neither torch nor mxnet)::

    from augspec.native_names import native_class, natives_for, positional_to_kwargs

    nc = native_class("gluon", "RandomResizedCrop")        # ValueError lists the known names
    kw = positional_to_kwargs(nc, [(200, 100)], {"scale": (0.1, 1)})   # {"size": .., "scale": ..}
    nc.to_spec(kw)       # {"op": "random_resized_crop", "size": [100, 200], "scale": [0.1, 1], ...}
    nc.from_spec({"op": "random_resized_crop", "size": [100, 200]})   # {"size": [200, 100]}
    natives_for("brightness", "torchvision")   # [ColorJitter]: the classes that can write the op

``to_spec(kwargs)`` takes the class's own keyword arguments (positional ones mapped with
:func:`positional_to_kwargs`; missing ones take the class's defaults) in the framework's own
conventions and returns a canonical op dict (``[height, width]`` sizes, interpolation names,
ranges as the spec writes them); ValueError, naming class, argument and value, where the spec
cannot express them (``padding_mode='reflect'``, ``max_size=...``, an OpenCV area filter).
Containers (``Compose``, ``RandomApply``) take their children already converted: ``transforms``
is a list of canonical op dicts (Gluon's ``RandomApply`` takes one block; a ``Compose`` there is
unwrapped). ``from_spec(op)`` is the inverse: the class's keyword arguments that rebuild ``op``
(defaults left out; containers give ``transforms`` as the list of child op dicts, and Gluon's
``RandomApply`` expects them wrapped in one ``Compose``). Values stay plain: torchvision
interpolation is the mode's value (``"bicubic"``: v2 takes it as is, v1 as
``InterpolationMode("bicubic")``), Gluon's the OpenCV code (``2``), v2 ``ToDtype``'s dtype
``"float32"``. A class that writes several ops (``ColorJitter``: brightness, ..., color_jitter)
lists the others in ``also``; its ``to_spec`` gives a ``ColorJitter`` with one active component
as that component's op (``ColorJitter(brightness=0.5)`` is ``{op: brightness, factor: 0.5}``,
what the torchvision backends compile ``brightness`` to).

:data:`CONVERSION_CLASSES` are classes that only change the container (``v2.ToImage``,
``PILToTensor``): they carry no augmentation and are skipped by ``from_native`` and ``import``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from augspec import native_convert as C
from augspec import native_convert_filters as CF
from augspec import native_geometry as CG
from augspec.native_convert import (
    COMPONENTS,
    GLUON_INTERPOLATION,
    PIL_INTERPOLATION,
    Kwargs,
    OpDict,
    interpolation_name,
    listed,
    plain,
    same,
    short_float,
    show,
)

__all__ = [
    "CONVERSION_CLASSES",
    "FRAMEWORKS",
    "GLUON_INTERPOLATION",
    "MODULES",
    "NATIVE_CLASSES",
    "PIL_INTERPOLATION",
    "NativeClass",
    "classes_named",
    "interpolation_name",
    "native_class",
    "natives_for",
    "plain",
    "positional_to_kwargs",
    "short_float",
]

FRAMEWORKS: Final = ("torchvision", "torchvision-v2", "gluon")
MODULES: Final = {
    "torchvision": "torchvision.transforms",
    "torchvision-v2": "torchvision.transforms.v2",
    "gluon": "mxnet.gluon.data.vision.transforms",
}
_REQUIRED: Final = object()  # marks an argument without a default in the tables below


@dataclass(frozen=True)
class NativeClass:
    """One framework class that means an augspec op (see the module docstring)."""

    framework: str
    module: str
    name: str
    op: str
    args: tuple[str, ...]
    defaults: dict[str, Any]
    also: tuple[str, ...]  # other ops from_spec can write with this class
    # The conversions (augspec.native_convert), by op: native kwargs -> op dict, and back.
    _to: Callable[[NativeClass, Kwargs], OpDict] = field(repr=False, compare=False)
    _from: Callable[[NativeClass, OpDict], Kwargs] = field(repr=False, compare=False)

    @property
    def where(self) -> str:
        return f"{self.module}.{self.name}"

    @property
    def ops(self) -> tuple[str, ...]:
        return (self.op, *self.also)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(a for a in self.args if a not in self.defaults)

    def to_spec(self, kwargs: Kwargs) -> OpDict:
        unknown = [k for k in kwargs if k not in self.args]
        if unknown:
            raise ValueError(
                f"{self.name}.{unknown[0]}: Unknown argument; expected one of: "
                f"{listed(self.args)}; received {unknown[0]}={show(kwargs[unknown[0]])}"
            )
        missing = [a for a in self.required if a not in kwargs]
        if missing:
            raise ValueError(
                f"{self.name}.{missing[0]}: Expected a value ({self.name} has no default for it); "
                "received none"
            )
        return C.single_component(self._to(self, {**self.defaults, **kwargs}))

    def convert_present(self, kwargs: Kwargs) -> OpDict:
        """Like :meth:`to_spec` for spec loading: a missing required argument is left out (the
        canonical field may be written instead), and the op stays the one the file names."""
        return self._to(self, {**self.defaults, **kwargs})

    def from_spec(self, op: OpDict) -> Kwargs:
        name = op.get("op")
        if name not in self.ops:
            raise ValueError(
                f"{self.name}: Expected one of the ops it writes ({listed(self.ops)}); "
                f"received op={name!r}"
            )
        kwargs = self._from(self, op)
        return {
            k: v
            for k, v in kwargs.items()
            if k not in self.defaults or not same(v, self.defaults[k])
        }


# ---- the classes -------------------------------------------------------------------------

R = _REQUIRED
_RRC_TV = {
    "size": R,
    "scale": [0.08, 1.0],
    "ratio": [0.75, 4 / 3],
    "interpolation": "bilinear",
    "antialias": True,
}
_RESIZE_TV = {"size": R, "interpolation": "bilinear", "max_size": None, "antialias": True}
_RANDOM_CROP = {
    "size": R,
    "padding": None,
    "pad_if_needed": False,
    "fill": 0,
    "padding_mode": "constant",
}
_JITTER = {"brightness": 0, "contrast": 0, "saturation": 0, "hue": 0}
_JITTER_V2 = dict.fromkeys(COMPONENTS)
_APPLY = {"transforms": R, "p": 0.5}
_ROTATION_TV = {
    "degrees": R,
    "interpolation": "nearest",
    "expand": False,
    "center": None,
    "fill": 0,
}
_ZOOM = {"zoom_in": False, "zoom_out": False}
_AFFINE_TV = {
    "degrees": R,
    "translate": None,
    "scale": None,
    "shear": None,
    "interpolation": "nearest",
    "fill": 0,
    "center": None,
}
_ERASING = {"p": 0.5, "scale": [0.02, 0.33], "ratio": [0.3, 3.3], "value": 0, "inplace": False}

_Conv = tuple[Callable[[NativeClass, Kwargs], OpDict], Callable[[NativeClass, OpDict], Kwargs]]
FLIP: _Conv = (C.flip_to, C.flip_from)
_CONVERTERS: dict[str, _Conv] = {
    "horizontal_flip": FLIP,
    "vertical_flip": FLIP,
    "random_resized_crop": (C.rrc_to, C.rrc_from),
    "resize": (C.resize_to, C.resize_from),
    "center_crop": (C.center_crop_to, C.center_crop_from),
    "random_crop": (C.random_crop_to, C.random_crop_from),
    "brightness": (C.factor_to, C.factor_from),
    "contrast": (C.factor_to, C.factor_from),
    "saturation": (C.factor_to, C.factor_from),
    "hue": (C.factor_to, C.factor_from),
    "color_jitter": (C.jitter_to, C.jitter_from),
    "lighting": (C.lighting_to, C.lighting_from),
    "to_tensor": (C.to_tensor_to, C.to_tensor_from),
    "normalize": (C.normalize_to, C.normalize_from),
    "random_apply": (C.random_apply_to, C.random_apply_from),
    "compose": (C.compose_to, C.compose_from),
    "random_choice": (C.random_choice_to, C.random_choice_from),
    "random_order": (C.compose_to, C.compose_from),
    "random_erasing": (C.erasing_to, C.erasing_from),
    "invert": (C.same_names_to, C.same_names_from),
    "solarize": (C.same_names_to, C.same_names_from),
    "posterize": (C.same_names_to, C.same_names_from),
    "grayscale": (C.same_names_to, C.same_names_from),
    "random_grayscale": (C.same_names_to, C.same_names_from),
    "autocontrast": (C.same_names_to, C.same_names_from),
    "equalize": (C.same_names_to, C.same_names_from),
    "channel_permutation": (C.same_names_to, C.same_names_from),
    "sharpness": (C.sharpness_to, C.sharpness_from),
    "pad": (CG.pad_to, CG.pad_from),
    "rotation": (CG.rotation_to, CG.rotation_from),
    "affine": (CG.affine_to, CG.affine_from),
    "gaussian_blur": (CF.gaussian_blur_to, CF.gaussian_blur_from),
    "gaussian_noise": (C.same_names_to, C.same_names_from),
    "jpeg": (CF.jpeg_to, CF.jpeg_from),
}

# (name, op, {arg: default or R} in signature order, also)
_TORCHVISION: tuple[tuple[str, str, dict[str, Any], tuple[str, ...]], ...] = (
    ("RandomHorizontalFlip", "horizontal_flip", {"p": 0.5}, ()),
    ("RandomVerticalFlip", "vertical_flip", {"p": 0.5}, ()),
    ("RandomResizedCrop", "random_resized_crop", _RRC_TV, ()),
    ("Resize", "resize", _RESIZE_TV, ()),
    ("CenterCrop", "center_crop", {"size": R}, ()),
    ("RandomCrop", "random_crop", _RANDOM_CROP, ()),
    ("ColorJitter", "color_jitter", _JITTER, ("brightness", "contrast", "saturation", "hue")),
    ("ToTensor", "to_tensor", {}, ()),
    ("Normalize", "normalize", {"mean": R, "std": R, "inplace": False}, ()),
    ("RandomApply", "random_apply", _APPLY, ()),
    ("Compose", "compose", {"transforms": R}, ()),
    ("RandomInvert", "invert", {"p": 0.5}, ()),
    ("RandomSolarize", "solarize", {"threshold": R, "p": 0.5}, ()),
    ("RandomPosterize", "posterize", {"bits": R, "p": 0.5}, ()),
    ("Grayscale", "grayscale", {"num_output_channels": 1}, ()),
    ("RandomGrayscale", "random_grayscale", {"p": 0.1}, ()),
    ("RandomAutocontrast", "autocontrast", {"p": 0.5}, ()),
    ("RandomEqualize", "equalize", {"p": 0.5}, ()),
    ("RandomAdjustSharpness", "sharpness", {"sharpness_factor": R, "p": 0.5}, ()),
    ("Pad", "pad", {"padding": R, "fill": 0, "padding_mode": "constant"}, ()),
    ("RandomRotation", "rotation", _ROTATION_TV, ()),
    ("RandomAffine", "affine", _AFFINE_TV, ()),
    ("GaussianBlur", "gaussian_blur", {"kernel_size": R, "sigma": [0.1, 2.0]}, ()),
    ("RandomChoice", "random_choice", {"transforms": R, "p": None}, ()),
    ("RandomOrder", "random_order", {"transforms": R}, ()),
    ("RandomErasing", "random_erasing", _ERASING, ()),
)
# After PILToTensor (a conversion): uint8 -> float32 scaled to [0, 1], the spec's to_tensor
# (v1 requires the dtype; v2's defaults to float32).
_V1_ONLY: tuple[tuple[str, str, dict[str, Any], tuple[str, ...]], ...] = (
    ("ConvertImageDtype", "to_tensor", {"dtype": R}, ()),
)
_V2_ONLY: tuple[tuple[str, str, dict[str, Any], tuple[str, ...]], ...] = (
    ("ConvertImageDtype", "to_tensor", {"dtype": "float32"}, ()),
    ("ToDtype", "to_tensor", {"dtype": R, "scale": False}, ()),
    ("RandomChannelPermutation", "channel_permutation", {}, ()),
    ("GaussianNoise", "gaussian_noise", {"mean": 0.0, "sigma": 0.1, "clip": True}, ()),
    ("JPEG", "jpeg", {"quality": R}, ()),
    # No op of its own: the compose it is (augspec/ops/distort.py); natives_for leaves it out.
    (
        "RandomPhotometricDistort",
        "compose",
        {
            "brightness": [0.875, 1.125],
            "contrast": [0.5, 1.5],
            "saturation": [0.5, 1.5],
            "hue": [-0.05, 0.05],
            "p": 0.5,
        },
        (),
    ),
)
# Classes that write a composition of ops rather than one op (by name: their own converters).
EXPANDING: dict[str, _Conv] = {
    "RandomPhotometricDistort": (CF.distort_to, CF.distort_from),
}
_GLUON: tuple[tuple[str, str, dict[str, Any], tuple[str, ...]], ...] = (
    ("RandomFlipLeftRight", "horizontal_flip", {}, ()),
    ("RandomFlipTopBottom", "vertical_flip", {}, ()),
    (
        "RandomResizedCrop",
        "random_resized_crop",
        {"size": R, "scale": [0.08, 1.0], "ratio": [0.75, 4 / 3], "interpolation": 1},
        (),
    ),
    ("Resize", "resize", {"size": R, "keep_ratio": False, "interpolation": 1}, ()),
    ("CenterCrop", "center_crop", {"size": R, "interpolation": 1}, ()),
    ("RandomBrightness", "brightness", {"brightness": R}, ()),
    ("RandomContrast", "contrast", {"contrast": R}, ()),
    ("RandomSaturation", "saturation", {"saturation": R}, ()),
    ("RandomHue", "hue", {"hue": R}, ()),
    ("RandomColorJitter", "color_jitter", _JITTER, ("brightness", "contrast", "saturation", "hue")),
    ("RandomLighting", "lighting", {"alpha": R}, ()),
    ("RandomRotation", "rotation", {"angle_limits": R, **_ZOOM, "rotate_with_proba": 1.0}, ()),
    ("Rotate", "rotation", {"rotation_degrees": R, **_ZOOM}, ()),
    ("ToTensor", "to_tensor", {}, ()),
    ("Normalize", "normalize", {"mean": 0.0, "std": 1.0}, ()),
    ("RandomApply", "random_apply", _APPLY, ()),
    ("Compose", "compose", {"transforms": R}, ()),
)


def _make(
    framework: str, name: str, op: str, sig: dict[str, Any], also: tuple[str, ...]
) -> NativeClass:
    to, back = EXPANDING.get(name) or _CONVERTERS[op]
    if framework == "torchvision-v2" and name == "ColorJitter":
        sig = _JITTER_V2
    return NativeClass(
        framework,
        MODULES[framework],
        name,
        op,
        tuple(sig),
        {k: v for k, v in sig.items() if v is not R},
        also,
        to,
        back,
    )


NATIVE_CLASSES: tuple[NativeClass, ...] = (
    *(_make("torchvision", *row) for row in (*_TORCHVISION, *_V1_ONLY)),
    *(_make("torchvision-v2", *row) for row in (*_TORCHVISION, *_V2_ONLY)),
    *(_make("gluon", *row) for row in _GLUON),
)

# Classes that change only the container (PIL <-> tensor), no pixel values: skipped.
CONVERSION_CLASSES: tuple[tuple[str, str], ...] = (
    ("torchvision", "PILToTensor"),
    ("torchvision", "ToPILImage"),
    ("torchvision-v2", "ToImage"),
    ("torchvision-v2", "PILToTensor"),
    ("torchvision-v2", "ToPILImage"),
    ("torchvision-v2", "ToPureTensor"),
    # No pixel change on augspec's RGB images: v2.RGB converts grey to RGB, Identity returns its input.
    ("torchvision-v2", "RGB"),
    ("torchvision-v2", "Identity"),
)

_BY_NAME = {(nc.framework, nc.name): nc for nc in NATIVE_CLASSES}


def _check_framework(framework: str) -> None:
    if framework not in FRAMEWORKS:
        raise ValueError(
            f"Expected a framework in {', '.join(FRAMEWORKS)}; received framework={framework!r}"
        )


def native_class(framework: str, name: str) -> NativeClass:
    """The class ``name`` of ``framework``; ValueError listing the known names."""
    _check_framework(framework)
    found = _BY_NAME.get((framework, name))
    if found is None:
        known = sorted(n for f, n in _BY_NAME if f == framework)
        raise ValueError(
            f"Expected a {framework} class augspec knows ({', '.join(known)}); received {name!r}"
        )
    return found


def natives_for(op: str, framework: str) -> list[NativeClass]:
    """The classes of ``framework`` that can write ``op`` (its own class first)."""
    _check_framework(framework)
    own = [
        nc
        for nc in NATIVE_CLASSES
        if nc.framework == framework and nc.op == op and nc.name not in EXPANDING
    ]
    other = [nc for nc in NATIVE_CLASSES if nc.framework == framework and op in nc.also]
    return own + other


def classes_named(name: str) -> list[NativeClass]:
    """Every framework's class called ``name`` (torchvision, v2, gluon order)."""
    return [nc for nc in NATIVE_CLASSES if nc.name == name]


def positional_to_kwargs(
    nc: NativeClass, args: list[Any], kwargs: dict[str, Any]
) -> dict[str, Any]:
    """Positional arguments named by the class's signature, merged with ``kwargs``."""
    if len(args) > len(nc.args):
        raise ValueError(
            f"{nc.name}: Expected at most {len(nc.args)} positional argument(s) "
            f"({listed(nc.args)}); received {len(args)}"
        )
    out = dict(zip(nc.args, args, strict=False))
    for key, value in kwargs.items():
        if key not in nc.args:
            raise ValueError(
                f"{nc.name}.{key}: Unknown argument; expected one of: {listed(nc.args)}; "
                f"received {key}={show(value)}"
            )
        if key in out:
            raise ValueError(
                f"{nc.name}.{key}: Expected it once; received it by position and by name"
            )
        out[key] = value
    return out
