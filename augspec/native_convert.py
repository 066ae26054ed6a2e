"""The argument conversions of :mod:`augspec.native_names`: each framework class's keyword
arguments (its own conventions) to a canonical op dict and back. Framework-free."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from augspec.native_names import NativeClass

# Interpolation codes: Gluon passes OpenCV's, torchvision's int form is PIL's.
GLUON_INTERPOLATION: Final = {0: "nearest", 1: "bilinear", 2: "bicubic"}
PIL_INTERPOLATION: Final = {0: "nearest", 2: "bilinear", 3: "bicubic"}

Kwargs = dict[str, Any]
OpDict = dict[str, Any]
COMPONENTS: Final = ("brightness", "contrast", "saturation", "hue")

# ---- value helpers ---------------------------------------------------------------------


def show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:80] + "..."


def listed(names: Sequence[str]) -> str:
    return ", ".join(names) if names else "(none)"


def same(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b or (_number(a) and _number(b) and a == b)


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _bad(nc: NativeClass, arg: str, value: Any, expected: str) -> ValueError:
    return ValueError(f"{nc.name}.{arg}: Expected {expected}; received {arg}={show(value)}")


def plain(value: Any) -> Any:
    """Tuples as lists, numpy/torch scalars as Python numbers (anything with ``item``)."""
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return value.item()
        except (TypeError, ValueError):
            return value
    return value


def short_float(value: float) -> float:
    """The shortest decimal that is ``value`` to within one rounding of ``1 + value``:
    torchvision and Gluon store ``1 + b``, and ``(1 + 0.1) - 1`` is 0.10000000000000009."""
    value = float(value)
    for digits in range(1, 18):
        candidate = float(f"{value:.{digits}g}")
        if 1.0 + candidate == 1.0 + value and abs(candidate - value) <= 4e-16 * max(
            1.0, abs(value)
        ):
            return candidate
    return value


def interpolation_name(nc: NativeClass, value: Any, arg: str = "interpolation") -> str:
    """A mode name from an ``InterpolationMode`` (its value), a string, or an int code (OpenCV's
    for Gluon, PIL's for torchvision)."""
    modes = ("nearest", "bilinear", "bicubic")
    raw = getattr(value, "value", value)
    if isinstance(raw, str):
        name = raw.rsplit(".", 1)[-1].lower()
        if name in modes:
            return name
    elif isinstance(raw, int) and not isinstance(raw, bool):
        codes = GLUON_INTERPOLATION if nc.framework == "gluon" else PIL_INTERPOLATION
        if raw in codes:
            return codes[raw]
        kind = "OpenCV" if nc.framework == "gluon" else "PIL"
        raise _bad(
            nc,
            arg,
            value,
            f"one of the {kind} codes {dict(codes)} (the spec has {', '.join(modes)})",
        )
    raise _bad(nc, arg, value, f"one of {', '.join(modes)}")


def _interp_out(nc: NativeClass, name: str) -> Any:
    if nc.framework == "gluon":
        return {v: k for k, v in GLUON_INTERPOLATION.items()}[name]
    return name


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _pair(nc: NativeClass, arg: str, value: Any) -> list[Any]:
    value = plain(value)
    if not isinstance(value, list) or len(value) != 2:
        raise _bad(nc, arg, value, "(min, max): two numbers")
    return value


# ---- sizes ---------------------------------------------------------------------------


def _tv_size(nc: NativeClass, value: Any, one_means_int: bool = True) -> Any:
    """torchvision: an int, or a sequence (h, w); a length-1 sequence means the int."""
    value = plain(value)
    if _int(value):
        return value
    if isinstance(value, list) and len(value) == 1 and one_means_int:
        return value[0]
    if isinstance(value, list) and len(value) == 2:
        return value
    raise _bad(nc, "size", value, "an int or a sequence (height, width)")


def _gluon_size(nc: NativeClass, value: Any) -> Any:
    """Gluon: an int, or (width, height) -> the spec's [height, width]."""
    value = plain(value)
    if _int(value):
        return value
    if isinstance(value, list) and len(value) == 2:
        return [value[1], value[0]]
    raise _bad(nc, "size", value, "an int or (width, height)")


def _size_out(nc: NativeClass, size: Any) -> Any:
    if _int(size):
        return size
    h, w = size
    return [w, h] if nc.framework == "gluon" else [h, w]


# ---- flips ---------------------------------------------------------------------------


def flip_to(nc: NativeClass, kw: Kwargs) -> OpDict:
    return {"op": nc.op, "p": plain(kw.get("p", 0.5))}


def flip_from(nc: NativeClass, op: OpDict) -> Kwargs:
    p = op.get("p", 0.5)
    if nc.framework == "gluon":
        if p != 0.5:
            raise ValueError(
                f"{nc.name}: Expected p=0.5 (gluon's {nc.name} flips with probability 0.5 only); "
                f"received p={p!r} (use augspec's port, or another p)"
            )
        return {}
    return {"p": p}


# ---- crops and resizing --------------------------------------------------------------


def _antialias(nc: NativeClass, kw: Kwargs) -> None:
    if kw.get("antialias", True) not in (True, None):
        raise _bad(
            nc, "antialias", kw["antialias"], "True (the spec resamples with antialiasing, as PIL)"
        )


def rrc_to(nc: NativeClass, kw: Kwargs) -> OpDict:
    _antialias(nc, kw)
    out: OpDict = {"op": nc.op}
    if "size" in kw:
        out["size"] = (
            _gluon_size(nc, kw["size"]) if nc.framework == "gluon" else _tv_size(nc, kw["size"])
        )
    out["scale"] = _pair(nc, "scale", kw["scale"])
    out["ratio"] = _pair(nc, "ratio", kw["ratio"])
    out["interpolation"] = interpolation_name(nc, kw["interpolation"])
    return out


def rrc_from(nc: NativeClass, op: OpDict) -> Kwargs:
    return {
        "size": _size_out(nc, op["size"]),
        "scale": list(op.get("scale", [0.08, 1.0])),
        "ratio": list(op.get("ratio", [3 / 4, 4 / 3])),
        "interpolation": _interp_out(nc, op.get("interpolation", "bilinear")),
    }


def resize_to(nc: NativeClass, kw: Kwargs) -> OpDict:
    out: OpDict = {"op": nc.op}
    if nc.framework == "gluon":
        if "size" in kw:
            size = _gluon_size(nc, kw["size"])
            keep = kw.get("keep_ratio", False)
            if not isinstance(keep, bool):
                raise _bad(nc, "keep_ratio", keep, "True or False")
            # Gluon's int size is a square unless keep_ratio (then the shorter side, as the spec's).
            out["size"] = [size, size] if _int(size) and not keep else size
    else:
        _antialias(nc, kw)
        if kw.get("max_size") is not None:
            raise _bad(
                nc, "max_size", kw["max_size"], "None (the spec has no cap on the longer side)"
            )
        if "size" in kw:
            if kw["size"] is None:
                raise _bad(
                    nc,
                    "size",
                    None,
                    "an int or a sequence (height, width) (the spec has no max_size-only resize)",
                )
            out["size"] = _tv_size(nc, kw["size"])
    out["interpolation"] = interpolation_name(nc, kw["interpolation"])
    return out


def resize_from(nc: NativeClass, op: OpDict) -> Kwargs:
    size = op["size"]
    kwargs: Kwargs = {"size": _size_out(nc, size)}
    if nc.framework == "gluon" and _int(size):
        kwargs["keep_ratio"] = True  # the spec's int is the shorter side
    kwargs["interpolation"] = _interp_out(nc, op.get("interpolation", "bilinear"))
    return kwargs


def center_crop_to(nc: NativeClass, kw: Kwargs) -> OpDict:
    out: OpDict = {"op": nc.op}
    if nc.framework == "gluon":
        # interpolation is used only to upscale an image smaller than the crop, which the
        # spec refuses (center_crop: size <= image size): read and dropped.
        interpolation_name(nc, kw["interpolation"])
        if "size" in kw:
            out["size"] = _gluon_size(nc, kw["size"])
    elif "size" in kw:
        out["size"] = _tv_size(nc, kw["size"])
    return out


def center_crop_from(nc: NativeClass, op: OpDict) -> Kwargs:
    return {"size": _size_out(nc, op["size"])}


def _padding(nc: NativeClass, value: Any) -> int:
    value = plain(value)
    if value is None:
        return 0
    if _int(value):
        return value
    if isinstance(value, list) and value and all(_int(v) for v in value) and len(set(value)) == 1:
        return value[0]
    raise _bad(nc, "padding", value, "None, an int, or the same int on every side")


def _fill(nc: NativeClass, value: Any) -> int:
    value = plain(value)
    if isinstance(value, dict) and len(set(map(repr, value.values()))) == 1:
        value = next(iter(value.values()))
    if isinstance(value, list) and value and len(set(value)) == 1:
        value = value[0]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not _int(value):
        raise _bad(nc, "fill", value, "one int 0-255 for every channel")
    return value


def random_crop_to(nc: NativeClass, kw: Kwargs) -> OpDict:
    if kw["pad_if_needed"] not in (False, None):
        raise _bad(
            nc, "pad_if_needed", kw["pad_if_needed"], "False (the spec pads by padding only)"
        )
    if kw["padding_mode"] != "constant":
        raise _bad(nc, "padding_mode", kw["padding_mode"], "'constant' (the spec pads with fill)")
    out: OpDict = {"op": nc.op}
    if "size" in kw:
        out["size"] = _tv_size(nc, kw["size"])
    out["padding"] = _padding(nc, kw["padding"])
    out["fill"] = _fill(nc, kw["fill"])
    return out


def random_crop_from(nc: NativeClass, op: OpDict) -> Kwargs:
    return {
        "size": _size_out(nc, op["size"]),
        "padding": op.get("padding", 0) or None,
        "fill": op.get("fill", 0),
    }


# ---- colour ----------------------------------------------------------------------------


def factor_to(nc: NativeClass, kw: Kwargs) -> OpDict:
    """Gluon RandomBrightness(b) etc.: [max(0, 1-b), 1+b], the spec's meaning of one number;
    RandomHue(h): a shift in [-h, h], the spec's too."""
    arg = nc.args[0]
    out: OpDict = {"op": nc.op}
    if arg in kw:
        value = plain(kw[arg])
        if not _number(value):
            raise _bad(nc, arg, value, "one number")
        out["factor"] = value
    return out


def factor_from(nc: NativeClass, op: OpDict) -> Kwargs:
    value = op["factor"]
    lo, hi = value if isinstance(value, (list, tuple)) else (None, None)
    if lo is None:
        return {nc.args[0]: value}
    if nc.op == "hue":
        if lo == -hi:
            return {"hue": hi}
        raise ValueError(
            f"{nc.name}: Expected a symmetric shift range [-h, h]; received factor={list(value)}"
        )
    b = short_float(hi - 1.0)
    if b >= 0 and max(0.0, 1.0 - b) == lo and 1.0 + b == hi:
        return {nc.args[0]: b}
    raise ValueError(
        f"{nc.name}: Expected a range [max(0, 1-b), 1+b] (what {nc.name}(b) draws from); "
        f"received factor={list(value)}"
    )


def _jitter_value(nc: NativeClass, name: str, value: Any) -> Any:
    value = plain(value)
    if value is None:
        return 0.0
    if isinstance(value, list):
        return _pair(nc, name, value)
    if not _number(value):
        raise _bad(nc, name, value, "a number or (min, max)")
    if nc.framework == "gluon" and name != "hue" and value > 1:
        # Gluon draws 1 + U(-b, b) with no clamp at 0: a negative factor the spec has not.
        raise _bad(
            nc,
            name,
            value,
            "at most 1 (gluon's RandomColorJitter draws 1 + U(-b, b), negative beyond 1)",
        )
    return value


def jitter_to(nc: NativeClass, kw: Kwargs) -> OpDict:
    return {"op": nc.op, **{n: _jitter_value(nc, n, kw[n]) for n in COMPONENTS}}


def _active(name: str, value: Any) -> bool:
    identity = [0.0, 0.0] if name == "hue" else [1.0, 1.0]
    return value not in (0, None) and value != identity


def single_component(op: OpDict) -> OpDict:
    """A ``color_jitter`` with one active component as that component's op (how torchvision
    writes brightness alone, ``ColorJitter(brightness=b)``, and what its backends compile
    ``brightness`` to); any other op dict unchanged."""
    if op.get("op") != "color_jitter":
        return op
    active = [n for n in COMPONENTS if _active(n, op.get(n, 0.0))]
    if len(active) != 1:
        return op
    return {"op": active[0], "factor": op[active[0]]}


def _jitter_component(nc: NativeClass, name: str, value: Any) -> Any:
    if not isinstance(value, (list, tuple)):
        if nc.framework == "gluon" and name != "hue" and value > 1:
            raise ValueError(
                f"{nc.name}: Expected {name} <= 1 (gluon draws 1 + U(-b, b)); received {name}={value!r}"
            )
        return value
    lo, hi = value
    if nc.framework != "gluon":
        return [lo, hi]
    if name == "hue":
        if lo == -hi:
            return hi
    else:
        b = short_float(hi - 1.0)
        if 0 <= b <= 1 and 1.0 - b == lo and 1.0 + b == hi:
            return b
    raise ValueError(
        f"{nc.name}: Expected {name} as a symmetric range 1 +- b (b <= 1) (hue: [-h, h]), "
        f"what gluon's RandomColorJitter draws; received {name}={list(value)}"
    )


def jitter_from(nc: NativeClass, op: OpDict) -> Kwargs:
    if op["op"] == "color_jitter":
        parts = {n: op.get(n, 0.0) for n in COMPONENTS}
    else:
        parts = {n: (op["factor"] if n == op["op"] else 0.0) for n in COMPONENTS}
    # An inactive component is left to the class's default (0, or v2's None: the same).
    return {n: _jitter_component(nc, n, v) for n, v in parts.items() if _active(n, v)}


def lighting_to(nc: NativeClass, kw: Kwargs) -> OpDict:
    out: OpDict = {"op": nc.op}
    if "alpha" in kw:
        value = plain(kw["alpha"])
        if not _number(value):
            raise _bad(nc, "alpha", value, "one number (the standard deviation of the PCA noise)")
        out["alphastd"] = value
    return out


def lighting_from(nc: NativeClass, op: OpDict) -> Kwargs:
    return {"alpha": op.get("alphastd", 0.1)}


# ---- classes whose arguments are the op's fields, by the same names ----------------------


def same_names_to(nc: NativeClass, kw: Kwargs) -> OpDict:
    """``RandomInvert(p)``, ``RandomSolarize(threshold, p)``, ...: the fields as written."""
    return {"op": nc.op, **{arg: plain(kw[arg]) for arg in nc.args if arg in kw}}


def same_names_from(nc: NativeClass, op: OpDict) -> Kwargs:
    return {arg: op[arg] for arg in nc.args if arg in op}


def sharpness_to(nc: NativeClass, kw: Kwargs) -> OpDict:
    """``RandomAdjustSharpness(sharpness_factor, p)``: the factor is the op's ``factor``."""
    out: OpDict = {"op": nc.op, "p": plain(kw["p"])}
    if "sharpness_factor" in kw:
        out["factor"] = plain(kw["sharpness_factor"])
    return out


def sharpness_from(nc: NativeClass, op: OpDict) -> Kwargs:
    return {"sharpness_factor": op["factor"], "p": op.get("p", 0.5)}


# ---- tensors -------------------------------------------------------------------------


def to_tensor_to(nc: NativeClass, kw: Kwargs) -> OpDict:
    if nc.name == "ConvertImageDtype":  # float32 scales uint8 0-255 to [0, 1]: to_tensor
        dtype = str(kw.get("dtype", "")).rsplit(".", 1)[-1]
        if dtype not in ("float32", "float"):
            raise _bad(
                nc,
                "dtype",
                kw.get("dtype"),
                "torch.float32 (the spec's to_tensor; other dtypes leave the spec's "
                "uint8 image / float32 tensor states)",
            )
    if nc.name == "ToDtype":
        dtype = str(kw.get("dtype", "")).rsplit(".", 1)[-1]
        if dtype != "float32":
            raise _bad(nc, "dtype", kw.get("dtype"), "torch.float32 (the spec's to_tensor)")
        if kw["scale"] is not True:
            raise _bad(nc, "scale", kw["scale"], "True (to_tensor scales 0-255 to [0, 1])")
    return {"op": nc.op}


def to_tensor_from(nc: NativeClass, op: OpDict) -> Kwargs:
    if nc.name == "ConvertImageDtype":
        return {"dtype": "float32"}
    return {"dtype": "float32", "scale": True} if nc.name == "ToDtype" else {}


def _channels(nc: NativeClass, arg: str, value: Any) -> list[Any]:
    value = plain(value)
    if _number(value):
        return [value]
    if isinstance(value, list):
        return value
    raise _bad(nc, arg, value, "a number or one per channel")


def normalize_to(nc: NativeClass, kw: Kwargs) -> OpDict:
    # inplace changes where the result is written, not what it is: read and dropped.
    out: OpDict = {"op": nc.op}
    for arg in ("mean", "std"):
        if arg in kw:
            out[arg] = _channels(nc, arg, kw[arg])
    return out


def normalize_from(nc: NativeClass, op: OpDict) -> Kwargs:
    mean, std = list(op["mean"]), list(op["std"])
    if nc.framework == "gluon":
        return {"mean": tuple(mean), "std": tuple(std)}
    return {"mean": mean, "std": std}


# ---- containers ------------------------------------------------------------------------


def _children(nc: NativeClass, value: Any) -> list[Any]:
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise _bad(nc, "transforms", value, "a list of transforms")
    children = list(value)
    if nc.framework == "gluon" and len(children) == 1 and isinstance(children[0], dict):
        # Gluon's RandomApply takes one block: a Compose there is only the list.
        only = children[0]
        if only.get("op") in ("compose", "Compose") and nc.op == "random_apply":
            children = list(only.get("ops") or only.get("transforms") or [])
    return children


def random_apply_to(nc: NativeClass, kw: Kwargs) -> OpDict:
    out: OpDict = {"op": nc.op, "p": plain(kw["p"])}
    if "transforms" in kw:
        out["ops"] = _children(nc, kw["transforms"])
    return out


def random_apply_from(nc: NativeClass, op: OpDict) -> Kwargs:
    return {"transforms": list(op["ops"]), "p": op.get("p", 0.5)}


def compose_to(nc: NativeClass, kw: Kwargs) -> OpDict:
    out: OpDict = {"op": nc.op}
    if "transforms" in kw:
        out["ops"] = _children(nc, kw["transforms"])
    return out


def compose_from(nc: NativeClass, op: OpDict) -> Kwargs:
    return {"transforms": list(op["ops"])}


def random_choice_to(nc: NativeClass, kw: Kwargs) -> OpDict:
    out = compose_to(nc, kw)
    if kw.get("p") is not None:
        out["p"] = _weights(nc, kw["p"])
    return out


def _weights(nc: NativeClass, value: Any) -> list[Any]:
    value = plain(value)
    if not isinstance(value, list) or not all(_number(v) for v in value):
        raise _bad(nc, "p", value, "None or a list of weights, one per transform")
    return value


def erasing_to(nc: NativeClass, kw: Kwargs) -> OpDict:
    """``RandomErasing(p, scale, ratio, value, inplace)``: inplace (where the result is written,
    not what it is) read and dropped; v2 keeps a number as ``[v]`` and "random" as None."""
    out: OpDict = {"op": nc.op}
    for arg in ("p", "scale", "ratio"):
        if arg in kw:
            out[arg] = plain(kw[arg])
    if "value" in kw:
        value = plain(kw["value"])
        if value is None:
            value = "random"
        elif isinstance(value, list) and len(value) == 1:
            value = value[0]
        out["value"] = value
    return out


def erasing_from(nc: NativeClass, op: OpDict) -> Kwargs:
    return {arg: op[arg] for arg in ("p", "scale", "ratio", "value") if arg in op}


def random_choice_from(nc: NativeClass, op: OpDict) -> Kwargs:
    out = compose_from(nc, op)
    if op.get("p") is not None:
        out["p"] = list(op["p"])
    return out
