"""The argument conversions of the geometry classes (:mod:`augspec.native_names`): torchvision
``Pad`` and ``RandomRotation`` (v1, v2), Gluon ``RandomRotation`` and ``Rotate``.
Framework-free."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from augspec.native_convert import Kwargs, OpDict, interpolation_name, plain, show

if TYPE_CHECKING:
    from augspec.native_names import NativeClass


def _bad(nc: NativeClass, arg: str, value: Any, expected: str) -> ValueError:
    return ValueError(f"{nc.name}.{arg}: Expected {expected}; received {arg}={show(value)}")


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _fill(nc: NativeClass, value: Any) -> Any:
    """One level 0-255 or one per channel (a float with an integer value is that int)."""
    value = plain(value)
    if value is None:
        return 0
    if isinstance(value, dict) and len(set(map(repr, value.values()))) == 1:
        value = next(iter(value.values()))
    items = value if isinstance(value, list) else [value]
    items = [int(v) if isinstance(v, float) and v.is_integer() else v for v in items]
    if len(items) == 1 and _int(items[0]):
        return items[0]
    if len(items) == 3 and all(_int(v) for v in items):
        return items
    raise _bad(nc, "fill", value, "one int 0-255, or three (one per channel)")


def _padding(nc: NativeClass, value: Any) -> Any:
    value = plain(value)
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if _int(value) or (isinstance(value, list) and len(value) in (2, 4) and all(map(_int, value))):
        if min(value if isinstance(value, list) else [value]) < 0:
            raise _bad(nc, "padding", value, "padding >= 0 (a crop is center_crop/random_crop)")
        return value
    raise _bad(
        nc, "padding", value, "an int, [left/right, top/bottom] or [left, top, right, bottom]"
    )


def pad_to(nc: NativeClass, kw: Kwargs) -> OpDict:
    out: OpDict = {"op": nc.op}
    if "padding" in kw:
        out["padding"] = _padding(nc, kw["padding"])
    out["fill"] = _fill(nc, kw["fill"])
    out["padding_mode"] = plain(kw["padding_mode"])
    return out


def pad_from(nc: NativeClass, op: OpDict) -> Kwargs:
    return {
        "padding": op["padding"],
        "fill": op.get("fill", 0),
        "padding_mode": op.get("padding_mode", "constant"),
    }


def _degrees(nc: NativeClass, arg: str, value: Any, pair: bool) -> Any:
    """torchvision's degrees: a number d ([-d, d]) or (min, max); Gluon's angle_limits: a pair."""
    value = plain(value)
    if isinstance(value, list) and len(value) == 2:
        return value
    if not pair and isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    raise _bad(nc, arg, value, "(min, max)" if pair else "a number d ([-d, d]) or (min, max)")


def rotation_to(nc: NativeClass, kw: Kwargs) -> OpDict:
    out: OpDict = {"op": nc.op}
    if nc.framework != "gluon":
        if "degrees" in kw:
            out["degrees"] = _degrees(nc, "degrees", kw["degrees"], pair=False)
        out["interpolation"] = interpolation_name(nc, kw["interpolation"])
        out["expand"] = kw["expand"]
        center = plain(kw["center"])
        if center is not None:
            out["center"] = center
        out["fill"] = _fill(nc, kw["fill"])
        return out
    if nc.name == "Rotate":
        if "rotation_degrees" in kw:
            angle = plain(kw["rotation_degrees"])
            out["degrees"] = [angle, angle]
    else:
        if "angle_limits" in kw:
            out["degrees"] = _degrees(nc, "angle_limits", kw["angle_limits"], pair=True)
        out["p"] = plain(kw["rotate_with_proba"])
    out["interpolation"] = "bilinear"  # Gluon's BilinearSampler
    out["zoom_in"] = kw["zoom_in"]
    out["zoom_out"] = kw["zoom_out"]
    return out


def _range(op: OpDict) -> list[float]:
    d = op["degrees"]
    return list(d) if isinstance(d, (list, tuple)) else [-d, d]


def _refuse_unless(nc: NativeClass, ok: bool, what: str, op: OpDict) -> None:
    if not ok:
        raise ValueError(f"{nc.name}: Expected {what}; received {show(op)}")


def rotation_from(nc: NativeClass, op: OpDict) -> Kwargs:
    lo, hi = _range(op)
    if nc.framework != "gluon":
        _refuse_unless(
            nc,
            op.get("p", 1.0) == 1 and not op.get("zoom_in") and not op.get("zoom_out"),
            "p=1 and no zoom (torchvision's RandomRotation always rotates, at scale 1)",
            op,
        )
        out: Kwargs = {
            "degrees": op["degrees"],
            "interpolation": op.get("interpolation", "nearest"),
            "fill": op.get("fill", 0),
        }
        if op.get("center") is not None:
            out["center"] = op["center"]
        return out
    fill = op.get("fill", 0)
    _refuse_unless(
        nc,
        op.get("interpolation", "nearest") == "bilinear"
        and fill in (0, [0, 0, 0])
        and op.get("center") is None,
        "interpolation='bilinear', fill=0 and no center (Gluon rotates bilinearly about the "
        "centre, zeros outside)",
        op,
    )
    zoom = {"zoom_in": op.get("zoom_in", False), "zoom_out": op.get("zoom_out", False)}
    if nc.name == "Rotate":
        _refuse_unless(nc, lo == hi and op.get("p", 1.0) == 1, "one angle [a, a] and p=1", op)
        return {"rotation_degrees": lo, **zoom}
    _refuse_unless(nc, lo < hi, "degrees (min, max) with min < max (Rotate takes one angle)", op)
    return {"angle_limits": (lo, hi), **zoom, "rotate_with_proba": op.get("p", 1.0)}


def _optional_list(nc: NativeClass, arg: str, value: Any, sizes: tuple[int, ...]) -> Any:
    value = plain(value)
    if value is None or (isinstance(value, list) and len(value) in sizes):
        return value
    if 1 in sizes and isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    raise _bad(nc, arg, value, f"None or {' / '.join(map(str, sizes))} numbers")


def affine_to(nc: NativeClass, kw: Kwargs) -> OpDict:
    """``RandomAffine(degrees, translate, scale, shear, interpolation, fill, center)``."""
    out: OpDict = {"op": nc.op}
    if "degrees" in kw:
        out["degrees"] = _degrees(nc, "degrees", kw["degrees"], pair=False)
    for arg, sizes in (("translate", (2,)), ("scale", (2,)), ("shear", (1, 2, 4))):
        value = _optional_list(nc, arg, kw[arg], sizes)
        if value is not None:
            out[arg] = value
    out["interpolation"] = interpolation_name(nc, kw["interpolation"])
    out["fill"] = _fill(nc, kw["fill"])
    center = plain(kw["center"])
    if center is not None:
        out["center"] = center
    return out


def affine_from(nc: NativeClass, op: OpDict) -> Kwargs:
    out: Kwargs = {"degrees": op["degrees"]}
    for arg in ("translate", "scale", "shear", "center"):
        if op.get(arg) is not None:
            out[arg] = op[arg]
    out["interpolation"] = op.get("interpolation", "nearest")
    out["fill"] = op.get("fill", 0)
    return out
