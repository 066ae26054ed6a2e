"""``from_native(obj)``: live transform objects (torchvision v1, v2, Gluon) as an augspec spec.

Each object is recognised by its class's module and name (no framework is imported here): its
constructor arguments are read back from the attributes the class keeps, then translated by
:mod:`augspec.native_names` (sizes to ``[height, width]``, Gluon's int ``Resize`` to a square,
interpolation codes to names, ...), every parameter written, defaults included. A top-level
``Compose`` (or a list) is the pipeline's ``ops``; nested ``Compose``/``RandomApply`` become
``compose``/``random_apply``; Gluon's ``HybridSequential`` (which its ``Compose`` makes of
consecutive hybrid blocks) is spliced into its parent. Classes that only convert the container
(``v2.ToImage``, ``PILToTensor``) are skipped. What a class keeps is what comes back: torchvision
keeps a crop's int size as ``(s, s)`` (read as ``[s, s]``, the same crop), and a ``ColorJitter``
with one active component is that component's op (``{op: brightness, ...}``).

augspec's own ports and faithful substitutes (the objects ``augspec.compile`` builds where a
framework has no class, or in ``fidelity="spec"``) are read too: through the op they hold
(``op`` / ``spec_op``), else as the framework class they subclass, else (``Lighting``) through
the attributes named as the op's fields. A ``Compiled`` pipeline is read through its ``native``;
augspec's whole-pipeline objects (the reference's and the batched torch target's) through
the spec they hold.

A class augspec does not know, or a ``Lambda``, is a ValueError naming its position and class:
``ops[2] (Lambda): ...``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from augspec.io import validate_data
from augspec.native_convert import COMPONENTS, short_float
from augspec.native_names import CONVERSION_CLASSES, NativeClass, native_class
from augspec.pipeline import Pipeline

__all__ = ["from_native", "native_framework"]

Reader = Callable[[Any, str], dict[str, Any]]


def native_framework(obj: Any) -> str | None:
    """The framework a transform's class belongs to (by its module), or None."""
    return native_framework_of_class(type(obj))


def native_framework_of_class(cls: type) -> str | None:
    module = cls.__module__ or ""
    if module.startswith("torchvision.transforms.v2"):
        return "torchvision-v2"
    if module.startswith("torchvision.transforms"):
        return "torchvision"
    if module.startswith("mxnet.gluon"):
        return "gluon"
    return None


def from_native(obj: Any) -> Pipeline:
    """A :class:`~augspec.pipeline.Pipeline` equal to the transform ``obj`` (see the module)."""
    if hasattr(obj, "native") and hasattr(obj, "backend") and hasattr(obj, "fidelity"):
        obj = obj.native  # an augspec Compiled
    held = getattr(obj, "spec", None)
    if isinstance(held, Pipeline) and (type(obj).__module__ or "").startswith("augspec."):
        return held  # augspec's own whole-pipeline objects (reference, torch-batched)
    if isinstance(obj, (list, tuple)):
        items = list(obj)
    elif _is_container(obj, "Compose") or _is_sequential(obj):
        items = _children_of(obj)
    else:
        items = [obj]
    ops = _read_list(items, "ops")
    if not ops:
        raise ValueError(
            "from_native: Expected at least one transform augspec can read; received "
            f"{type(obj).__name__} with none (only container conversions)"
        )
    return validate_data({"augspec": 1, "ops": ops}, "<from_native>")


# ---- walking -----------------------------------------------------------------------------


def _is_sequential(obj: Any) -> bool:
    """Gluon's (Hybrid)Sequential: what its Compose groups consecutive hybrid blocks into."""
    cls = type(obj)
    return native_framework(obj) == "gluon" and cls.__name__ in ("Sequential", "HybridSequential")


def _is_container(obj: Any, name: str) -> bool:
    return native_framework(obj) is not None and type(obj).__name__ == name


def _children_of(obj: Any) -> list[Any]:
    if native_framework(obj) == "gluon":
        children: list[Any] = []
        for child in obj._children.values():
            children.extend(_children_of(child) if _is_sequential(child) else [child])
        return children
    return list(obj.transforms)


def _read_list(items: list[Any], where: str) -> list[dict[str, Any]]:
    """The ops of ``items``; a position in an error is the item's place in the native list."""
    read = (_read(item, f"{where}[{i}]") for i, item in enumerate(items))
    return [op for op in read if op is not None]


def _read(obj: Any, where: str) -> dict[str, Any] | None:
    framework = native_framework(obj)
    name = type(obj).__name__
    if framework is not None and (framework, name) in CONVERSION_CLASSES:
        return None
    if (type(obj).__module__ or "").startswith("augspec."):
        return _read_augspec(obj, where)
    if framework is None or name == "Lambda":
        raise _unknown(obj, where)
    try:
        nc = native_class(framework, name)
    except ValueError:
        raise _unknown(obj, where) from None
    return _convert(nc, obj, where)


def _convert(nc: NativeClass, obj: Any, where: str) -> dict[str, Any]:
    try:
        kwargs = _READERS[(nc.framework == "gluon", nc.name)](obj, where)
        return nc.to_spec(kwargs)
    except ValueError as err:
        if str(err).startswith(where):
            raise
        raise ValueError(f"{where} ({nc.name}): {err}") from None


def _unknown(obj: Any, where: str) -> ValueError:
    cls = type(obj)
    name = cls.__name__
    if name == "Lambda":
        why = (
            "a Lambda runs arbitrary code, which no spec can express (write it as augspec ops, "
            "or leave it out of the pipeline)"
        )
    else:
        why = f"{cls.__module__}.{name} is no torchvision (v1, v2) or Gluon class augspec maps to an op"
    return ValueError(f"{where} ({name}): Expected a transform augspec can read; {why}")


def _read_augspec(obj: Any, where: str) -> dict[str, Any]:
    """augspec's own ports and substitutes: the op they hold, the framework class they extend,
    or their attributes named as the op's fields."""
    from augspec.ops import ALIASES, MODEL_BY_NAME, OpBase

    if type(obj).__name__ in ("RandomChoice", "RandomOrder"):  # gluon ports of containers
        read: dict[str, Any] = {
            "op": ALIASES[type(obj).__name__],
            "ops": _read_list(list(obj.transforms), f"{where}.ops"),
        }
        if getattr(obj, "p", None) is not None:
            read["p"] = list(obj.p)
        return read
    for attr in ("op", "spec_op"):
        held = getattr(obj, attr, None)
        if isinstance(held, OpBase):
            data: dict[str, Any] = held.model_dump(mode="json", exclude_none=True)
            return data
    for base in type(obj).__mro__[1:]:
        framework = native_framework_of_class(base)
        if framework is not None and (framework == "gluon", base.__name__) in _READERS:
            return _convert(native_class(framework, base.__name__), obj, where)
    op = ALIASES.get(type(obj).__name__)
    if op is not None:
        fields = [f for f in MODEL_BY_NAME[op].model_fields if f != "op"]
        if fields and all(hasattr(obj, f) for f in fields):
            return {"op": op, **{f: getattr(obj, f) for f in fields}}
    raise _unknown(obj, where)


# ---- readers: the constructor's arguments back from the attributes each class keeps ------


def _attrs(*names: str) -> Reader:
    return lambda obj, where: {n: getattr(obj, n) for n in names}


def _jitter_amount(name: str, value: Any) -> Any:
    """torchvision keeps (max(0, 1-b), 1+b) (hue: (-h, h)) or None: back to b where it is one."""
    if value is None:
        return 0.0
    lo, hi = (float(v) for v in value)
    if name == "hue":
        return hi if lo == -hi else [lo, hi]
    b = short_float(hi - 1.0)
    return b if b >= 0 and max(0.0, 1.0 - b) == lo and 1.0 + b == hi else [lo, hi]


def _tv_jitter(obj: Any, where: str) -> dict[str, Any]:
    return {n: _jitter_amount(n, getattr(obj, n)) for n in COMPONENTS}


def _tv_children(obj: Any, where: str) -> list[dict[str, Any]]:
    return _read_list(list(obj.transforms), f"{where}.ops")


def _tv_apply(obj: Any, where: str) -> dict[str, Any]:
    return {"transforms": _tv_children(obj, where), "p": obj.p}


def _tv_dtype(obj: Any, where: str) -> dict[str, Any]:
    dtype = obj.dtype
    if isinstance(dtype, dict):  # v2 takes a dict per input type
        kinds = set(map(str, dtype.values()))
        dtype = kinds.pop() if len(kinds) == 1 else dtype
    return {"dtype": str(dtype), "scale": obj.scale}


def _gluon_children(obj: Any, where: str) -> list[dict[str, Any]]:
    return _read_list(_children_of(obj), f"{where}.ops")


def _gluon_apply(obj: Any, where: str) -> dict[str, Any]:
    # RandomApply takes one block; to_spec unwraps a Compose there into the op's list.
    inner = obj.transforms
    if _is_sequential(inner) or isinstance(inner, (list, tuple)):
        items = _children_of(inner) if _is_sequential(inner) else list(inner)
        return {"transforms": _read_list(items, f"{where}.ops"), "p": obj.p}
    only = _read(inner, f"{where}.ops[0]")
    return {"transforms": [] if only is None else [only], "p": obj.p}


def _gluon_factor(arg: str) -> Reader:
    # RandomBrightness(b) etc. keep (max(0, 1-b), 1+b); RandomHue(h) too.
    return lambda obj, where: {arg: short_float(obj._args[1] - 1.0)}


def _gluon_jitter(obj: Any, where: str) -> dict[str, Any]:
    # augspec's gluon backend passes b = (1 + b) - 1 as computed (0.30000000000000004).
    return {
        n: short_float(v) if isinstance(v, float) and n != "hue" else v
        for n, v in zip(COMPONENTS, obj._args, strict=True)
    }


def _gluon_rrc(obj: Any, where: str) -> dict[str, Any]:
    size, scale, ratio, interpolation = obj._args
    return {"size": size, "scale": scale, "ratio": ratio, "interpolation": interpolation}


_TV: dict[str, Reader] = {
    "RandomHorizontalFlip": _attrs("p"),
    "RandomVerticalFlip": _attrs("p"),
    "RandomResizedCrop": _attrs("size", "scale", "ratio", "interpolation", "antialias"),
    "Resize": _attrs("size", "interpolation", "max_size", "antialias"),
    "CenterCrop": _attrs("size"),
    "RandomCrop": _attrs("size", "padding", "pad_if_needed", "fill", "padding_mode"),
    "ColorJitter": _tv_jitter,
    "ToTensor": _attrs(),
    "ToDtype": _tv_dtype,
    "Normalize": _attrs("mean", "std", "inplace"),
    "RandomApply": _tv_apply,
    "Compose": lambda obj, where: {"transforms": _tv_children(obj, where)},
    "RandomInvert": _attrs("p"),
    "RandomSolarize": _attrs("threshold", "p"),
    "RandomPosterize": _attrs("bits", "p"),
    "Grayscale": _attrs("num_output_channels"),
    "RandomGrayscale": _attrs("p"),
    "RandomAutocontrast": _attrs("p"),
    "RandomEqualize": _attrs("p"),
    "RandomChannelPermutation": _attrs(),
    "RandomAdjustSharpness": _attrs("sharpness_factor", "p"),
    "Pad": _attrs("padding", "fill", "padding_mode"),
    "RandomRotation": _attrs("degrees", "interpolation", "expand", "center", "fill"),
    "RandomAffine": _attrs(
        "degrees", "translate", "scale", "shear", "interpolation", "fill", "center"
    ),
    "RandomChoice": _tv_apply,  # v2 keeps p normalised (the same weights)
    "RandomOrder": lambda obj, where: {"transforms": _tv_children(obj, where)},
    "RandomErasing": _attrs("p", "scale", "ratio", "value", "inplace"),
    "ConvertImageDtype": lambda obj, where: {"dtype": str(obj.dtype)},
    "GaussianBlur": _attrs("kernel_size", "sigma"),
    "GaussianNoise": _attrs("mean", "sigma", "clip"),
    "JPEG": _attrs("quality"),
    "RandomPhotometricDistort": _attrs("brightness", "contrast", "saturation", "hue", "p"),
}
_GLUON: dict[str, Reader] = {
    "RandomFlipLeftRight": _attrs(),
    "RandomFlipTopBottom": _attrs(),
    "RandomResizedCrop": _gluon_rrc,
    "Resize": lambda obj, where: {
        "size": obj._size,
        "keep_ratio": obj._keep,
        "interpolation": obj._interpolation,
    },
    "CenterCrop": lambda obj, where: {"size": obj._args[0], "interpolation": obj._args[1]},
    "RandomBrightness": _gluon_factor("brightness"),
    "RandomContrast": _gluon_factor("contrast"),
    "RandomSaturation": _gluon_factor("saturation"),
    "RandomHue": _gluon_factor("hue"),
    "RandomColorJitter": _gluon_jitter,
    "RandomLighting": lambda obj, where: {"alpha": obj._alpha},
    "RandomRotation": lambda obj, where: dict(
        zip(("angle_limits", "zoom_in", "zoom_out"), obj._args, strict=True),
        rotate_with_proba=obj._rotate_with_proba,
    ),
    "Rotate": lambda obj, where: dict(
        zip(("rotation_degrees", "zoom_in", "zoom_out"), obj._args, strict=True)
    ),
    "ToTensor": _attrs(),
    "Normalize": lambda obj, where: {"mean": obj._mean, "std": obj._std},
    "RandomApply": _gluon_apply,
    "Compose": lambda obj, where: {"transforms": _gluon_children(obj, where)},
}
_READERS: dict[tuple[bool, str], Reader] = {
    **{(False, name): reader for name, reader in _TV.items()},
    **{(True, name): reader for name, reader in _GLUON.items()},
}
