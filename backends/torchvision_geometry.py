"""torchvision (v1)'s records for the geometry ops (augspec/ops/geometry.py, affine.py):
``Pad``, ``RandomRotation`` and ``RandomAffine`` (PIL path, or tensor path for tensors given to
``replay``), the port where ``RandomRotation`` cannot express the op (``p < 1``, Gluon's zoom:
``F.affine`` with ``scale = 1 / g``) and the faithful substitutes (:mod:`.torch_geometry`) where
rotation and affine depart from the spec. Spliced into
:data:`augspec.backends.torchvision.RECORDS`."""

from __future__ import annotations

from typing import Any

import torch
import torchvision.transforms.functional as F
from torchvision import transforms as T

from augspec.contract import EXACT, OpRecord, Params, Port, Substitute, Tolerance, always
from augspec.ops.geometry import fill_rgb, zoom_scale

from . import torch_geometry as G

_INTERP = {"nearest": T.InterpolationMode.NEAREST, "bilinear": T.InterpolationMode.BILINEAR}


def _pad(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    if isinstance(x, torch.Tensor) and not isinstance(op.fill, int):
        # v1's tensor pad takes one fill number; the per-channel fill is the spec's kernel.
        return G.pad(x, op.sides, op.fill, op.padding_mode)
    return F.pad(x, _as_written(op.padding), fill=op.fill, padding_mode=op.padding_mode)


def _fill_for(x: Any, fill: Any) -> Any:
    # RandomRotation.forward: a tensor gets one float per channel (torchvision then blends the
    # fill in with its mask); a PIL image the fill as written.
    return [float(f) for f in fill_rgb(fill)] if isinstance(x, torch.Tensor) else fill


def _image_hw(x: Any) -> tuple[int, int]:
    if isinstance(x, torch.Tensor):
        return int(x.shape[-2]), int(x.shape[-1])
    return int(x.height), int(x.width)


def rotate_native(op: Any, angle: float, x: Any) -> Any:
    """torchvision's own rotation: ``F.rotate``, or with Gluon's zoom ``F.affine`` (clockwise
    angle, hence ``-angle``) at ``scale = 1 / g``."""
    g = zoom_scale(angle, _image_hw(x), op.zoom_in, op.zoom_out)
    center = list(op.center) if op.center is not None else None
    fill = _fill_for(x, op.fill)
    interpolation = _INTERP[op.interpolation]
    if g == 1.0:
        return F.rotate(x, angle, interpolation, False, center, fill)
    return F.affine(x, -angle, [0, 0], 1.0 / g, [0.0, 0.0], interpolation, fill, center)


def _rotation(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return rotate_native(op, p["angle"], x) if p["apply"] else x


def _faithful_rotation(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return G.rotate_any(x, op, p["angle"]) if p["apply"] else x


class RotationPort(torch.nn.Module):
    """``RandomRotation`` where the class cannot express the op: ``apply`` from ``torch.rand``
    (p < 1), the angle from ``uniform_`` (as ``get_params``), torchvision's ``F.rotate`` /
    ``F.affine`` (Gluon's zoom as ``scale = 1 / g``)."""

    def __init__(self, op: Any) -> None:
        super().__init__()
        self.op = op

    def forward(self, img: Any) -> Any:
        apply, angle = G.draw(self.op)
        return rotate_native(self.op, angle, img) if apply else img

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.op.model_dump(exclude={'op'})})"


def _cannot_express(op: Any) -> str | None:
    if op.p != 1:
        return "torchvision's RandomRotation always rotates (no p)"
    if op.zoom_in or op.zoom_out:
        return "torchvision's RandomRotation has no zoom (Gluon's): F.affine with scale 1/g"
    return None


def _as_written(fill: Any) -> Any:
    return fill if isinstance(fill, int) else list(fill)


def _build(op: Any) -> Any:
    center = list(op.center) if op.center is not None else None
    return T.RandomRotation(
        G.degrees_of(op), _INTERP[op.interpolation], False, center, _as_written(op.fill)
    )


_ROTATION_WHY = (
    "PIL's rotate (Image.transform, the chapter's PIL path) fills a whole output pixel whose "
    "source point lies outside the image and clamps the neighbours inside (the spec blends the "
    "fill in bilinearly), and picks nearest neighbours in fixed point; on tensors torchvision "
    "multiplies the zero-padded grid_sample by its mask again (the border band darkened)"
)


def _affine(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    center = list(op.center) if op.center is not None else None
    translate = [p["tx"], p["ty"]]
    shear = [p["shear_x"], p["shear_y"]]
    interpolation = _INTERP[op.interpolation]
    return F.affine(
        x, p["angle"], translate, p["scale"], shear, interpolation, _fill_for(x, op.fill), center
    )


def _faithful_affine(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return G.affine_any(x, op, p)


RECORDS: tuple[OpRecord, ...] = (
    OpRecord(
        "pad",
        _pad,
        EXACT,
        build=lambda op: T.Pad(
            _as_written(op.padding), fill=_as_written(op.fill), padding_mode=op.padding_mode
        ),
        why="ImageOps.expand and numpy.pad (PIL path), torch's pad (tensor path) (measured 0)",
    ),
    OpRecord(
        "rotation",
        _rotation,
        Tolerance(1.0, 0.01),
        build=_build,
        port=Port(_cannot_express, RotationPort),
        substitute=Substitute(always(_ROTATION_WHY), G.FaithfulRotationV1, _faithful_rotation),
        why="the substitute is the reference's float64 inverse mapping (one rounding tie of room)",
    ),
    OpRecord(
        "affine",
        _affine,
        Tolerance(1.0, 0.01),
        build=lambda op: T.RandomAffine(**G.affine_kwargs(op)),
        substitute=Substitute(always(_ROTATION_WHY), G.FaithfulAffineV1, _faithful_affine),
        why="the substitute is the reference's float64 inverse mapping (one rounding tie of room)",
    ),
)
