"""Torch kernels for the geometry ops (augspec/ops/geometry.py), shared by the torchvision
backends' substitutes and ports and by the batched target.

- :func:`pad`: the spec's padding of a (N)CHW tensor (any dtype): ``constant`` with a fill per
  channel, ``edge``/``reflect`` by ``torch.nn.functional.pad`` (replicate/reflect, in float: torch
  pads only float tensors so), ``symmetric`` by index arithmetic.
- :func:`rotate`: the reference's rotation of a (N)CHW tensor, one angle per image, float64
  grid and weights (the image extended by ``fill`` outside, bilinear or nearest), unrounded.
- The faithful substitutes for v1 (PIL images or tensors) and v2: ``RandomRotation``'s own
  torch draws (``uniform_``; ``apply`` from ``torch.rand`` only where p < 1), the spec's
  arithmetic.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torchvision import transforms as T
from torchvision.transforms import v2


def _fill_column(fill: Any, x: torch.Tensor) -> torch.Tensor:
    values = [fill] * 3 if isinstance(fill, int) else list(fill)
    return torch.tensor(values, dtype=x.dtype, device=x.device).view(-1, 1, 1)


def pad(x: torch.Tensor, sides: tuple[int, int, int, int], fill: Any, mode: str) -> torch.Tensor:
    """``x`` ((N)CHW) padded by ``sides`` (left, top, right, bottom) in ``mode``."""
    left, top, right, bottom = sides
    h, w = x.shape[-2:]
    if mode == "constant":
        out = torch.empty(
            (*x.shape[:-2], h + top + bottom, w + left + right), dtype=x.dtype, device=x.device
        )
        out[...] = _fill_column(fill, x)
        out[..., top : top + h, left : left + w] = x
        return out
    if mode == "symmetric":
        rows = torch.cat(
            [
                torch.arange(top - 1, -1, -1),
                torch.arange(h),
                torch.arange(h - 1, h - 1 - bottom, -1),
            ]
        ).to(x.device)
        cols = torch.cat(
            [
                torch.arange(left - 1, -1, -1),
                torch.arange(w),
                torch.arange(w - 1, w - 1 - right, -1),
            ]
        ).to(x.device)
        return x.index_select(-2, rows).index_select(-1, cols)
    batch = x if x.ndim == 4 else x.unsqueeze(0)
    values = batch if batch.is_floating_point() else batch.to(torch.float32)
    torch_mode = "replicate" if mode == "edge" else "reflect"
    out = F.pad(values, (left, right, top, bottom), mode=torch_mode).to(x.dtype)
    return out if x.ndim == 4 else out[0]


def warp(
    x: torch.Tensor,
    lins: np.ndarray,
    shifts: np.ndarray,
    centre: tuple[float, float],
    fill: Any,
    interpolation: str,
) -> torch.Tensor:
    """The reference's inverse mapping of an NCHW batch (0-255 values), float64, unrounded:
    sample ``k``'s source points are ``c + lins[k] (q - c - shifts[k])`` (augspec.ops.geometry
    ``warp_points``), the image extended by ``fill`` outside."""
    n, c, h, w = x.shape
    dev = x.device
    lin = torch.as_tensor(np.asarray(lins, np.float64), device=dev).view(n, 2, 2, 1, 1)
    shift = torch.as_tensor(np.asarray(shifts, np.float64), device=dev).view(n, 2, 1, 1)
    cx, cy = centre
    dx = (torch.arange(w, dtype=torch.float64, device=dev) + 0.5 - cx).view(1, 1, w) - shift[:, 0]
    dy = (torch.arange(h, dtype=torch.float64, device=dev) + 0.5 - cy).view(1, h, 1) - shift[:, 1]
    sx = cx + lin[:, 0, 0] * dx + lin[:, 0, 1] * dy - 0.5
    sy = cy + lin[:, 1, 0] * dx + lin[:, 1, 1] * dy - 0.5
    fill_values = _fill_column(fill, x.to(torch.float64)).view(1, -1, 1, 1)
    shifted = (x.to(torch.float64) - fill_values).reshape(n, c, h * w)
    if interpolation == "nearest":
        corners = [(torch.floor(sx + 0.5), torch.floor(sy + 0.5), torch.ones_like(sx))]
    else:
        x0, y0 = torch.floor(sx), torch.floor(sy)
        fx, fy = sx - x0, sy - y0
        corners = [
            (x0, y0, (1 - fx) * (1 - fy)),
            (x0 + 1, y0, fx * (1 - fy)),
            (x0, y0 + 1, (1 - fx) * fy),
            (x0 + 1, y0 + 1, fx * fy),
        ]
    out = torch.zeros((n, c, h * w), dtype=torch.float64, device=dev)
    for xs, ys, weight in corners:
        inside = (xs >= 0) & (xs <= w - 1) & (ys >= 0) & (ys <= h - 1)
        index = (ys.clamp(0, h - 1) * w + xs.clamp(0, w - 1)).to(torch.long).view(n, 1, h * w)
        picked = shifted.gather(2, index.expand(n, c, h * w))
        out += torch.where(inside, weight, torch.zeros_like(weight)).view(n, 1, h * w) * picked
    return out.view(n, c, h, w) + fill_values


def rotate(x: torch.Tensor, op: Any, angles: Any) -> torch.Tensor:
    """The spec's rotation of ``x`` ((N)CHW, 0-255 values), float64, unrounded: image ``k``
    by ``angles[k]`` degrees (one angle for a CHW image)."""
    from augspec.ops.geometry import centre_of, rotation_matrix

    batch = x.unsqueeze(0) if x.ndim == 3 else x
    hw = (int(batch.shape[2]), int(batch.shape[3]))
    angles = np.atleast_1d(np.asarray(angles, np.float64))
    lins = np.stack([rotation_matrix(op, float(a), hw) for a in angles])
    shifts = np.zeros((len(angles), 2))
    out = warp(batch, lins, shifts, centre_of(op.center, hw), op.fill, op.interpolation)
    return out[0] if x.ndim == 3 else out


def round_uint8(x: torch.Tensor) -> torch.Tensor:
    return torch.floor(x + 0.5).clamp_(0, 255).to(torch.uint8)


def rotate_any(x: Any, op: Any, angle: float) -> Any:
    """The spec's rotation of a PIL RGB image or a uint8 (N)CHW tensor by ``angle`` degrees."""
    if isinstance(x, torch.Tensor):
        n = 1 if x.ndim == 3 else len(x)
        return round_uint8(rotate(x, op, [angle] * n))
    from PIL import Image

    from augspec.ops.geometry import rotate as reference_rotate

    return Image.fromarray(reference_rotate(np.asarray(x), op, angle), "RGB")


def draw(op: Any) -> tuple[bool, float]:
    """``apply`` (``torch.rand(1) < p``; not drawn where p = 1, so that the draws are
    ``RandomRotation``'s own) and the angle (torch's ``uniform_``, as its ``get_params``)."""
    apply = op.p == 1 or bool(torch.rand(1).item() < op.p)
    lo, hi = op.range
    return apply, float(torch.empty(1).uniform_(lo, hi).item())


class FaithfulRotationV1(torch.nn.Module):
    """The spec's rotation for torchvision v1 where ``RandomRotation`` cannot express the op
    (``p < 1``, Gluon's zoom) or, in ``fidelity="spec"``, departs from it: ``apply`` from
    ``torch.rand``, the angle from torch's ``uniform_`` (``RandomRotation.get_params``' draw),
    the reference's arithmetic. ``op`` is the spec op (what ``from_native`` reads back)."""

    def __init__(self, op: Any) -> None:
        super().__init__()
        self.op = op

    def forward(self, img: Any) -> Any:
        apply, angle = draw(self.op)
        return rotate_any(img, self.op, angle) if apply else img

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.op.model_dump(exclude={'op'})})"


class FaithfulRotationV2(v2.Transform):
    """As :class:`FaithfulRotationV1`, in v2's idiom (``make_params`` draws once per call)."""

    def __init__(self, op: Any) -> None:
        super().__init__()
        self.op = op

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        apply, angle = draw(self.op)
        return {"apply": apply, "angle": angle}

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return rotate_any(inpt, self.op, params["angle"]) if params["apply"] else inpt


def degrees_of(op: Any) -> list[float]:
    lo, hi = op.range
    return [lo, hi]


# ---- affine -----------------------------------------------------------------------------


def affine_params(angle: float, translate: Any, scale: float, shear: Any) -> dict[str, Any]:
    """torchvision's drawn (angle, translate, scale, shear) as the spec's params."""
    return {
        "angle": float(angle),
        "tx": int(translate[0]),
        "ty": int(translate[1]),
        "scale": float(scale),
        "shear_x": float(shear[0]),
        "shear_y": float(shear[1]),
    }


def affine(x: torch.Tensor, op: Any, plist: list[dict[str, Any]]) -> torch.Tensor:
    """The spec's affine map of an NCHW batch (0-255 values), float64, unrounded: sample ``k``
    with ``plist[k]``."""
    from augspec.ops.affine import inverse_matrix
    from augspec.ops.geometry import centre_of

    hw = (int(x.shape[2]), int(x.shape[3]))
    lins = np.stack([inverse_matrix(p) for p in plist])
    shifts = np.array([[p["tx"], p["ty"]] for p in plist], np.float64)
    return warp(x, lins, shifts, centre_of(op.center, hw), op.fill, op.interpolation)


def affine_any(x: Any, op: Any, p: dict[str, Any]) -> Any:
    """The spec's affine map of a PIL RGB image or a uint8 (N)CHW tensor (the same params for
    every image of a batch)."""
    if isinstance(x, torch.Tensor):
        batch = x.unsqueeze(0) if x.ndim == 3 else x
        out = round_uint8(affine(batch, op, [p] * len(batch)))
        return out[0] if x.ndim == 3 else out
    from PIL import Image

    from augspec.ops.affine import _affine

    return Image.fromarray(_affine(op, p, np.asarray(x), "spec"), "RGB")


class FaithfulAffineV1(T.RandomAffine):
    """``transforms.RandomAffine``: its ``get_params`` draws, the spec's arithmetic."""

    def __init__(self, op: Any) -> None:
        super().__init__(**affine_kwargs(op))
        self.op = op

    def forward(self, img: Any) -> Any:
        h, w = (
            (img.shape[-2], img.shape[-1])
            if isinstance(img, torch.Tensor)
            else (img.height, img.width)
        )
        drawn = self.get_params(self.degrees, self.translate, self.scale, self.shear, [w, h])
        return affine_any(img, self.op, affine_params(*drawn))


class FaithfulAffineV2(v2.RandomAffine):
    """``v2.RandomAffine``: its ``make_params`` draws, the spec's arithmetic."""

    def __init__(self, op: Any) -> None:
        super().__init__(**affine_kwargs(op))
        self.op = op

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        drawn = affine_params(
            params["angle"], params["translate"], params["scale"], params["shear"]
        )
        return affine_any(inpt, self.op, drawn)


def affine_kwargs(op: Any) -> dict[str, Any]:
    """``RandomAffine``'s arguments for the spec op (torchvision's own names and forms)."""
    return {
        "degrees": list(op.degrees),
        "translate": list(op.translate) if op.translate is not None else None,
        "scale": list(op.scale) if op.scale is not None else None,
        "shear": list(op.shear) if op.shear is not None else None,
        "interpolation": T.InterpolationMode(op.interpolation),
        "fill": op.fill if isinstance(op.fill, int) else list(op.fill),
        "center": list(op.center) if op.center is not None else None,
    }
