"""augspec.native_names: the framework classes, their signatures (checked against the live
classes so the data cannot drift), and their argument conventions."""

from __future__ import annotations

import enum
import importlib
import inspect
import warnings
from typing import Any

import pytest

from augspec.native_names import (
    CONVERSION_CLASSES,
    FRAMEWORKS,
    NATIVE_CLASSES,
    NativeClass,
    native_class,
    natives_for,
    positional_to_kwargs,
    short_float,
)
from augspec.ops import ALIASES, OP_NAMES

from .conftest import require_mxnet


def _module(framework: str) -> Any:
    if framework == "gluon":
        require_mxnet()
        from augspec.backends.gluon_mx import transforms

        return transforms
    return importlib.import_module(
        "torchvision.transforms.v2" if framework == "torchvision-v2" else "torchvision.transforms"
    )


def _plain_default(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple):
        return [_plain_default(v) for v in value]
    if type(value).__name__ == "dtype":  # torch.float32 -> "float32", as native_names writes it
        return str(value).rsplit(".", 1)[-1]
    return value


@pytest.mark.parametrize("nc", NATIVE_CLASSES, ids=lambda nc: f"{nc.framework}.{nc.name}")
def test_signature_matches_the_live_class(nc: NativeClass) -> None:
    cls = getattr(_module(nc.framework), nc.name)
    params = [
        p
        for name, p in inspect.signature(cls.__init__).parameters.items()
        if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    assert nc.args == tuple(p.name for p in params)
    live = {p.name: _plain_default(p.default) for p in params if p.default is not p.empty}
    assert nc.defaults == live


@pytest.mark.parametrize(("framework", "name"), CONVERSION_CLASSES)
def test_conversion_classes_exist(framework: str, name: str) -> None:
    assert hasattr(_module(framework), name)


def test_every_alias_with_a_class_is_covered() -> None:
    names = {nc.name for nc in NATIVE_CLASSES}
    # Lighting (an alias from other code bases) is a class in none of the three frameworks.
    assert set(ALIASES) - names == {"Lighting"}
    assert all(nc.op in OP_NAMES and set(nc.also) <= set(OP_NAMES) for nc in NATIVE_CLASSES)
    for framework in FRAMEWORKS:
        for op in OP_NAMES:
            expressible = natives_for(op, framework)
            missing = {
                "gluon": {
                    "random_crop",
                    "invert",
                    "solarize",
                    "posterize",
                    "grayscale",
                    "random_grayscale",
                    "autocontrast",
                    "equalize",
                    "channel_permutation",
                    "sharpness",
                    "pad",  # geometry: no gluon Pad (ported)
                    "affine",  # no gluon affine class (ported)
                    "gaussian_blur",  # filters: no gluon class (ported)
                    "gaussian_noise",
                    "jpeg",
                    "random_choice",  # no gluon class (ported)
                    "random_order",
                    "random_erasing",
                },
                "torchvision": {"lighting", "channel_permutation", "gaussian_noise", "jpeg"},
            }
            assert bool(expressible) == (op not in missing.get(framework, {"lighting"})), (
                framework,
                op,
            )


def test_gluon_sizes_are_width_height_and_int_resize_is_a_square() -> None:
    rrc = native_class("gluon", "RandomResizedCrop")
    assert rrc.to_spec({"size": (200, 100)})["size"] == [100, 200]
    resize = native_class("gluon", "Resize")
    assert resize.to_spec({"size": 256})["size"] == [256, 256]
    assert resize.to_spec({"size": 256, "keep_ratio": True})["size"] == 256
    assert resize.from_spec({"op": "resize", "size": 256}) == {"size": 256, "keep_ratio": True}
    assert resize.from_spec({"op": "resize", "size": [100, 200], "interpolation": "bicubic"}) == {
        "size": [200, 100],
        "interpolation": 2,
    }
    center = native_class("gluon", "CenterCrop")
    assert center.to_spec({"size": (30, 20)}) == {"op": "center_crop", "size": [20, 30]}
    tv = native_class("torchvision", "Resize")
    assert tv.to_spec({"size": [7]})["size"] == 7  # a length-1 sequence is the shorter side
    assert tv.to_spec({"size": (100, 200)})["size"] == [100, 200]


def test_native_argument_names() -> None:
    assert native_class("gluon", "RandomBrightness").to_spec({"brightness": 0.5}) == {
        "op": "brightness",
        "factor": 0.5,
    }
    assert native_class("gluon", "RandomLighting").to_spec({"alpha": 0.1}) == {
        "op": "lighting",
        "alphastd": 0.1,
    }
    v2_jitter = native_class("torchvision-v2", "ColorJitter")
    assert v2_jitter.to_spec({"contrast": (0.2, 1.5), "hue": 0.1}) == {
        "op": "color_jitter",
        "brightness": 0.0,
        "contrast": [0.2, 1.5],
        "saturation": 0.0,
        "hue": 0.1,
    }
    # One active component is that component's op (torchvision's way of writing it alone).
    assert v2_jitter.to_spec({"contrast": (0.2, 1.5)}) == {"op": "contrast", "factor": [0.2, 1.5]}
    flip = native_class("gluon", "RandomFlipLeftRight")
    assert flip.to_spec({}) == {"op": "horizontal_flip", "p": 0.5}
    todtype = native_class("torchvision-v2", "ToDtype")
    assert todtype.to_spec({"dtype": "torch.float32", "scale": True}) == {"op": "to_tensor"}
    apply = native_class("gluon", "RandomApply")
    inner = {"op": "compose", "ops": [{"op": "hue", "factor": 0.1}]}
    assert apply.to_spec({"transforms": inner, "p": 0.3})["ops"] == inner["ops"]


@pytest.mark.parametrize(
    ("framework", "name", "kwargs", "message"),
    [
        ("gluon", "RandomResizedCrop", {"size": 4, "interpolation": 3}, "OpenCV codes"),
        ("torchvision", "Resize", {"size": 4, "max_size": 9}, "max_size"),
        ("torchvision", "Resize", {"size": 4, "antialias": False}, "antialias"),
        ("torchvision", "RandomCrop", {"size": 4, "padding_mode": "reflect"}, "padding_mode"),
        ("torchvision", "RandomCrop", {"size": 4, "padding": [1, 2]}, "padding"),
        ("torchvision-v2", "ToDtype", {"dtype": "torch.uint8"}, "dtype"),
        ("gluon", "RandomColorJitter", {"brightness": 1.5}, "no clamp|negative"),
        ("gluon", "RandomBrightness", {}, "no default"),
        ("torchvision", "CenterCrop", {"sizes": 3}, "Unknown argument"),
    ],
)
def test_what_the_spec_cannot_express_is_refused(
    framework: str, name: str, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message) as err:
        native_class(framework, name).to_spec(kwargs)
    assert name in str(err.value)


def test_from_spec_refuses_what_the_class_cannot_write() -> None:
    with pytest.raises(ValueError, match="p=0.5"):
        native_class("gluon", "RandomFlipTopBottom").from_spec({"op": "vertical_flip", "p": 0.2})
    with pytest.raises(ValueError, match=r"max\(0, 1-b\)"):
        native_class("gluon", "RandomContrast").from_spec({"op": "contrast", "factor": [0.2, 1.1]})
    with pytest.raises(ValueError, match="symmetric"):
        native_class("gluon", "RandomHue").from_spec({"op": "hue", "factor": [-0.1, 0.2]})
    with pytest.raises(ValueError, match="writes"):
        native_class("torchvision", "Resize").from_spec({"op": "center_crop", "size": 3})


def test_from_spec_recovers_short_amounts() -> None:
    assert short_float((1 + 0.1) - 1) == 0.1
    nc = native_class("gluon", "RandomSaturation")
    assert nc.from_spec({"op": "saturation", "factor": [0.9, 1.1]}) == {"saturation": 0.1}
    tv = native_class("torchvision", "ColorJitter")
    assert tv.from_spec({"op": "hue", "factor": 0.2}) == {"hue": 0.2}


def test_positional_arguments_follow_the_signature() -> None:
    nc = native_class("torchvision", "RandomResizedCrop")
    assert positional_to_kwargs(nc, [(200, 200)], {"scale": (0.1, 1)}) == {
        "size": (200, 200),
        "scale": (0.1, 1),
    }
    with pytest.raises(ValueError, match="at most 5 positional"):
        positional_to_kwargs(nc, [1, 2, 3, 4, 5, 6], {})
    with pytest.raises(ValueError, match="Unknown argument; expected one of: size, scale"):
        positional_to_kwargs(nc, [], {"sizes": 3})
    with pytest.raises(ValueError, match="by position and by name"):
        positional_to_kwargs(nc, [3], {"size": 3})


def test_unknown_names_list_the_known_ones() -> None:
    with pytest.raises(ValueError, match="RandomLighting.*received 'Lambda'"):
        native_class("gluon", "Lambda")
    with pytest.raises(ValueError, match="framework"):
        natives_for("resize", "keras")


# Build every class from from_spec's kwargs: the live class must accept them.
SPEC_OPS: list[dict[str, Any]] = [
    {"op": "horizontal_flip", "p": 0.5},
    {"op": "vertical_flip", "p": 0.5},
    {
        "op": "random_resized_crop",
        "size": [20, 30],
        "scale": [0.2, 1.0],
        "interpolation": "bicubic",
    },
    {"op": "resize", "size": [20, 30], "interpolation": "nearest"},
    {"op": "resize", "size": 24},
    {"op": "center_crop", "size": [10, 12]},
    {"op": "random_crop", "size": [10, 12], "padding": 2, "fill": 3},
    {"op": "brightness", "factor": 0.5},
    {"op": "contrast", "factor": 0.4},
    {"op": "saturation", "factor": 0.3},
    {"op": "hue", "factor": 0.1},
    {"op": "color_jitter", "brightness": 0.5, "contrast": 0.5, "saturation": 0.5, "hue": 0.25},
    {"op": "lighting", "alphastd": 0.1},
    {"op": "to_tensor"},
    {"op": "normalize", "mean": [0.5, 0.4, 0.3], "std": [0.2, 0.2, 0.2]},
    {"op": "invert", "p": 0.3},
    {"op": "solarize", "threshold": 100.5, "p": 0.5},
    {"op": "posterize", "bits": 2},
    {"op": "grayscale", "num_output_channels": 3},
    {"op": "random_grayscale", "p": 0.4},
    {"op": "autocontrast", "p": 0.2},
    {"op": "equalize", "p": 0.6},
    {"op": "channel_permutation"},
    {"op": "sharpness", "factor": 2.0, "p": 0.3},
    {"op": "pad", "padding": [1, 2, 3, 4], "fill": [1, 2, 3], "padding_mode": "constant"},
    {"op": "pad", "padding": 2, "padding_mode": "symmetric"},
    {"op": "affine", "degrees": [-10, 20], "translate": [0.1, 0.2], "shear": [1, 2, 3, 4]},
    {"op": "gaussian_blur", "kernel": [5, 3], "sigma": [0.2, 1.5]},
    {"op": "gaussian_blur", "kernel": 3, "sigma": 0.7},
    {"op": "gaussian_noise", "mean": 0.1, "sigma": 0.2, "clip": False},
    {"op": "jpeg", "quality": 40},
    {"op": "jpeg", "quality": [20, 80]},
]


def _build(nc: NativeClass, kwargs: dict[str, Any]) -> Any:
    import torch
    from torchvision.transforms import InterpolationMode

    kwargs = dict(kwargs)
    if nc.framework == "torchvision" and "interpolation" in kwargs:
        kwargs["interpolation"] = InterpolationMode(kwargs["interpolation"])
    if "dtype" in kwargs:
        kwargs["dtype"] = getattr(torch, kwargs["dtype"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # v2.ToTensor is deprecated
        return getattr(_module(nc.framework), nc.name)(**kwargs)


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("op", SPEC_OPS, ids=lambda op: f"{op['op']}-{op.get('size', '')}")
def test_from_spec_kwargs_build_the_live_class(framework: str, op: dict[str, Any]) -> None:
    for nc in natives_for(op["op"], framework):
        assert _build(nc, nc.from_spec(op)) is not None
