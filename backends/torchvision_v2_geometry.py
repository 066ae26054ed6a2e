"""torchvision-v2's records for the geometry ops (augspec/ops/geometry.py, affine.py): v2's
``Pad``, ``RandomRotation`` and ``RandomAffine`` on uint8 tensors (CHW, or NCHW batches: one draw
per batch, v2's semantics), the port where ``RandomRotation`` cannot express the op (``p < 1``,
Gluon's zoom: ``F.affine`` with ``scale = 1 / g``) and the faithful substitutes
(:mod:`.torch_geometry`). Spliced into :data:`augspec.backends.torchvision_v2.RECORDS`."""

from __future__ import annotations

from typing import Any

from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as F

from augspec.contract import EXACT, OpRecord, Params, Port, Substitute, Tolerance
from augspec.ops.geometry import fill_rgb, zoom_scale

from . import torch_geometry as G

_INTERP = {"nearest": v2.InterpolationMode.NEAREST, "bilinear": v2.InterpolationMode.BILINEAR}


def _pad_fill(op: Any) -> Any:
    # v2 takes a per-channel fill in constant mode only (the other modes use no fill).
    if op.padding_mode != "constant":
        return 0
    return op.fill if isinstance(op.fill, int) else list(op.fill)


def _pad(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return F.pad(x, list(op.sides), fill=_pad_fill(op), padding_mode=op.padding_mode)


def rotate_native(op: Any, angle: float, x: Any) -> Any:
    """v2's ``F.rotate``, or with Gluon's zoom ``F.affine`` (clockwise: ``-angle``) at
    ``scale = 1 / g``."""
    g = zoom_scale(angle, (int(x.shape[-2]), int(x.shape[-1])), op.zoom_in, op.zoom_out)
    center = list(op.center) if op.center is not None else None
    fill = [float(f) for f in fill_rgb(op.fill)]
    interpolation = _INTERP[op.interpolation]
    if g == 1.0:
        return F.rotate(x, angle, interpolation, False, center, fill)
    return F.affine(x, -angle, [0.0, 0.0], 1.0 / g, [0.0, 0.0], interpolation, fill, center)


def _rotation(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return rotate_native(op, p["angle"], x) if p["apply"] else x


def _faithful_rotation(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return G.rotate_any(x, op, p["angle"]) if p["apply"] else x


class RotationPort(v2.Transform):
    """v2's ``RandomRotation`` where the class cannot express the op: ``apply`` (p < 1) and the
    angle in ``make_params`` (torch's generator), v2's ``F.rotate``/``F.affine`` to apply."""

    def __init__(self, op: Any) -> None:
        super().__init__()
        self.op = op

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        apply, angle = G.draw(self.op)
        return {"apply": apply, "angle": angle}

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return _rotation(self.op, params, inpt, "native")


def _cannot_express(op: Any) -> str | None:
    if op.p != 1:
        return "v2's RandomRotation always rotates (no p)"
    if op.zoom_in or op.zoom_out:
        return "v2's RandomRotation has no zoom (Gluon's): F.affine with scale 1/g"
    return None


def _build(op: Any) -> Any:
    center = list(op.center) if op.center is not None else None
    fill = op.fill if isinstance(op.fill, int) else list(op.fill)
    return v2.RandomRotation(G.degrees_of(op), _INTERP[op.interpolation], False, center, fill)


_ROTATION_WHY = (
    "v2's _apply_grid_transform (functional/_geometry.py) multiplies the zero-padded "
    "grid_sample by the sampled mask again (the border band darkened toward 0 before the fill "
    "is blended in), samples a float32 grid and rounds half to even"
)


def _affine(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    center = list(op.center) if op.center is not None else None
    translate = [p["tx"], p["ty"]]
    shear = [p["shear_x"], p["shear_y"]]
    fill = [float(f) for f in fill_rgb(op.fill)]
    interpolation = _INTERP[op.interpolation]
    return F.affine(x, p["angle"], translate, p["scale"], shear, interpolation, fill, center)


def _faithful_affine(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return G.affine_any(x, op, p)


def _build_affine(op: Any) -> Any:
    kwargs = G.affine_kwargs(op)
    kwargs["interpolation"] = _INTERP[op.interpolation]
    return v2.RandomAffine(**kwargs)


def _departs(op: Any) -> str | None:
    """v2's nearest mode matches the spec (measured 0): only its blended border departs."""
    return None if op.interpolation == "nearest" else _ROTATION_WHY


RECORDS: tuple[OpRecord, ...] = (
    OpRecord(
        "pad",
        _pad,
        EXACT,
        build=lambda op: v2.Pad(
            op.padding if isinstance(op.padding, int) else list(op.padding),
            fill=_pad_fill(op),
            padding_mode=op.padding_mode,
        ),
        why="pad_image: torch's pad (constant, replicate, reflect) and index arithmetic "
        "(symmetric) (measured 0)",
    ),
    OpRecord(
        "rotation",
        _rotation,
        Tolerance(1.0, 0.01),
        build=_build,
        port=Port(_cannot_express, RotationPort),
        substitute=Substitute(_departs, G.FaithfulRotationV2, _faithful_rotation),
        why="the substitute is the reference's float64 inverse mapping (one rounding tie of room)",
    ),
    OpRecord(
        "affine",
        _affine,
        Tolerance(1.0, 0.01),
        build=_build_affine,
        substitute=Substitute(_departs, G.FaithfulAffineV2, _faithful_affine),
        why="the substitute is the reference's float64 inverse mapping (one rounding tie of room)",
    ),
)
