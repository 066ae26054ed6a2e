"""The argument conversions of the filter classes (augspec/ops/filters.py) for
:mod:`augspec.native_names`: torchvision's ``GaussianBlur(kernel_size, sigma)`` (v1 and v2).
Framework-free."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from augspec.native_convert import Kwargs, OpDict, _bad, plain

if TYPE_CHECKING:
    from augspec.native_names import NativeClass


def _kernel_from_tv(nc: NativeClass, value: Any) -> Any:
    """torchvision's ``kernel_size``: an int, or ``(x, y)`` = (width, height) -> the spec's
    ``[height, width]`` (one int stays one int)."""
    value = plain(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    if isinstance(value, list) and len(value) == 2:
        return [value[1], value[0]]
    raise _bad(nc, "kernel_size", value, "an odd int or (x, y): two odd ints, width first")


def _one_if_equal(value: Any) -> Any:
    """A pair of equal values as that value: torchvision keeps an int kernel_size k as (k, k),
    v1 a number sigma s as (s, s), v2 as [s, s] (the same blur)."""
    if isinstance(value, list) and len(value) == 2 and value[0] == value[1]:
        return value[0]
    return value


def gaussian_blur_to(nc: NativeClass, kw: Kwargs) -> OpDict:
    out: OpDict = {"op": nc.op, "sigma": _one_if_equal(plain(kw["sigma"]))}
    if "kernel_size" in kw:
        out["kernel"] = _one_if_equal(_kernel_from_tv(nc, kw["kernel_size"]))
    return out


def gaussian_blur_from(nc: NativeClass, op: OpDict) -> Kwargs:
    kernel = op["kernel"]
    size = kernel if isinstance(kernel, int) else [kernel[1], kernel[0]]
    return {"kernel_size": size, "sigma": op.get("sigma", [0.1, 2.0])}


def jpeg_to(nc: NativeClass, kw: Kwargs) -> OpDict:
    """v2's ``JPEG(quality)``: an int, or ``[min, max]``; v2 keeps an int ``q`` as ``[q, q]``,
    read back as the int."""
    out: OpDict = {"op": nc.op}
    if "quality" in kw:
        out["quality"] = _one_if_equal(plain(kw["quality"]))
    return out


def jpeg_from(nc: NativeClass, op: OpDict) -> Kwargs:
    return {"quality": op["quality"]}


def distort_to(nc: NativeClass, kw: Kwargs) -> OpDict:
    """v2's ``RandomPhotometricDistort``: the ``compose`` it is (augspec/ops/distort.py)."""
    from augspec.ops.distort import expand

    return expand({k: plain(v) for k, v in kw.items()})


def distort_from(nc: NativeClass, op: OpDict) -> Kwargs:
    from augspec.ops.distort import collapse

    return collapse(op)
