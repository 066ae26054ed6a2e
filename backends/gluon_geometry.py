"""Gluon's records for the geometry ops (augspec/ops/geometry.py).

- ``pad``: Gluon 1.9.1 has no Pad class; the port (:class:`Pad`) pads with mx.nd ops
  (:mod:`.gluon_pad`: ``mx.nd.pad`` for edge/reflect, ``mx.nd.take`` for symmetric).
- ``rotation``: Gluon's ``RandomRotation(angle_limits, zoom_in, zoom_out, rotate_with_proba)``
  and ``Rotate(rotation_degrees, zoom_in, zoom_out)`` take float32 CHW tensors only (they refuse
  uint8: a Gluon script rotates after ``ToTensor``), while augspec's images stay HWC uint8 until
  ``to_tensor``: :class:`NativeRotation` hands the class the image as float32 CHW (0-255 values;
  the bilinear sampler is linear, so this is the class on the ``ToTensor`` output times 255) and
  rounds its output half up back to uint8. What the classes cannot express (nearest, a fill
  other than 0, a centre, ``Rotate`` with p < 1) is the port :class:`RotationPort`: the spec's
  inverse mapping in mx.nd ops (float64 grid, ``mx.nd.take`` of the four neighbours).
- ``affine``: Gluon has no affine class; the port (:class:`RandomAffine`) is the same mapping
  (:func:`spec_warp`) with torchvision's inverse matrix (augspec/ops/affine.py).

RNG: Gluon's ``RandomRotation`` draws ``rotate_with_proba`` and the angle from numpy's global
generator (``np.random.random``, ``np.random.uniform`` in mxnet/image/image.py
``random_rotate``), not mxnet's; the ports draw from mxnet's (:class:`~.gluon_blocks.MxRandom`).
"""

from __future__ import annotations

import sys
from typing import Any

from augspec.backends.gluon_blocks import AugspecBlock, FaithfulBlock, _kernel
from augspec.backends.gluon_mx import mx, transforms
from augspec.backends.gluon_pad import NDArray, pad_nd

from augspec.contract import EXACT, OpRecord, Port, Substitute, Tolerance, always
from augspec.ops import OpBase
from augspec.ops.geometry import centre_of, fill_rgb, rotation_matrix
from augspec.sampling import Params


def pad(op: OpBase, p: Params, x: NDArray, fidelity: str) -> NDArray:
    return pad_nd(x, op.sides, op.fill, op.padding_mode)  # type: ignore[attr-defined]


class Pad(AugspecBlock):
    """torchvision's ``Pad`` for Gluon (which has none): :func:`.gluon_pad.pad_nd`."""

    kernel = _kernel(pad)


# ---- rotation ----------------------------------------------------------------------------


def _round_uint8(x: NDArray) -> NDArray:
    return mx.nd.clip(mx.nd.floor(x + 0.5), 0, 255).astype("uint8")


def _as_tensor(x: NDArray) -> NDArray:
    """HWC uint8 -> CHW float32 of the same 0-255 values (what Gluon's rotation takes)."""
    return x.astype("float32").transpose((2, 0, 1))


def _as_image(chw: NDArray) -> NDArray:
    return _round_uint8(chw.transpose((1, 2, 0)))


def _scalar(v: float) -> float:
    """``v`` for an mx.nd scalar argument: mxnet refuses subnormal floats ("Out of range value
    for scalar"); below float64's normal range they are 0 for every pixel anyway."""
    v = float(v)
    return 0.0 if abs(v) < sys.float_info.min else v


def native_rotate(op: Any, angle: float, x: NDArray) -> NDArray:
    """mxnet's ``image.imrotate`` (what both classes call) on the image, rounded back."""
    return _as_image(mx.image.imrotate(_as_tensor(x), _scalar(angle), op.zoom_in, op.zoom_out))


def spec_warp(
    x: NDArray,
    lin: Any,
    shift: tuple[float, float],
    centre: tuple[float, float],
    fill: Any,
    interpolation: str,
) -> NDArray:
    """The spec's inverse mapping in mx.nd ops (augspec.ops.geometry ``warp_points``): float64
    source grid ``c + lin (q - c - shift)``, the image extended by ``fill``, the four (or one,
    nearest) neighbours gathered with ``mx.nd.take``, rounded half up."""
    h, w, c = (int(s) for s in x.shape)
    cx, cy = centre
    dx = (mx.nd.arange(w, dtype="float64") + (0.5 - cx - shift[0])).reshape((1, w))
    dy = (mx.nd.arange(h, dtype="float64") + (0.5 - cy - shift[1])).reshape((h, 1))
    sx = mx.nd.broadcast_add(_scalar(lin[0][0]) * dx, _scalar(lin[0][1]) * dy) + (cx - 0.5)
    sy = mx.nd.broadcast_add(_scalar(lin[1][0]) * dx, _scalar(lin[1][1]) * dy) + (cy - 0.5)
    fill_values = mx.nd.array(fill_rgb(fill), dtype="float64").reshape((1, c))
    flat = mx.nd.broadcast_sub(x.astype("float64").reshape((h * w, c)), fill_values)
    if interpolation == "nearest":
        corners = [(mx.nd.floor(sx + 0.5), mx.nd.floor(sy + 0.5), mx.nd.ones_like(sx))]
    else:
        x0, y0 = mx.nd.floor(sx), mx.nd.floor(sy)
        fx, fy = sx - x0, sy - y0
        corners = [
            (x0, y0, (1 - fx) * (1 - fy)),
            (x0 + 1, y0, fx * (1 - fy)),
            (x0, y0 + 1, (1 - fx) * fy),
            (x0 + 1, y0 + 1, fx * fy),
        ]
    out = mx.nd.zeros((h * w, c), dtype="float64")
    for xs, ys, weight in corners:
        inside = (xs >= 0) * (xs <= w - 1) * (ys >= 0) * (ys <= h - 1)
        index = mx.nd.clip(ys, 0, h - 1) * w + mx.nd.clip(xs, 0, w - 1)
        picked = mx.nd.take(flat, index.reshape((-1,)).astype("int64"), axis=0)
        out = out + mx.nd.broadcast_mul((weight * inside).reshape((-1, 1)), picked)
    return _round_uint8(mx.nd.broadcast_add(out, fill_values).reshape((h, w, c)))


def spec_rotate(op: Any, angle: float, x: NDArray) -> NDArray:
    """The spec's rotation: :func:`spec_warp` with ``g R(angle)``."""
    hw = (int(x.shape[0]), int(x.shape[1]))
    lin = rotation_matrix(op, angle, hw)
    return spec_warp(x, lin, (0.0, 0.0), centre_of(op.center, hw), op.fill, op.interpolation)


def _gluon_can(op: Any) -> bool:
    return (
        op.interpolation == "bilinear"
        and op.center is None
        and fill_rgb(op.fill) == (0, 0, 0)
        and (op.range[0] < op.range[1] or op.p == 1)
    )


def rotation(op: OpBase, p: Params, x: NDArray, fidelity: str) -> NDArray:
    """Native numerics where a Gluon class can express the op, else the port's."""
    if not p["apply"]:
        return x
    rotate = native_rotate if _gluon_can(op) else spec_rotate
    return rotate(op, p["angle"], x)


def faithful_rotation(op: OpBase, p: Params, x: NDArray, fidelity: str) -> NDArray:
    return spec_rotate(op, p["angle"], x) if p["apply"] else x


class RotationPort(AugspecBlock):
    """torchvision's ``RandomRotation`` arguments Gluon's classes cannot express (nearest, a
    fill, a centre, a fixed angle with p < 1): the spec's distribution from mxnet's RNG, the
    spec's inverse mapping in mx.nd ops."""

    kernel = _kernel(rotation)


class FaithfulRotation(FaithfulBlock):
    """The spec's rotation (:func:`spec_rotate`), the spec's draws from mxnet's RNG."""

    kernel = _kernel(faithful_rotation)


class NativeRotation(mx.gluon.Block):
    """Gluon's ``RandomRotation``/``Rotate`` on augspec's HWC uint8 image: the class gets the
    float32 CHW tensor it takes (0-255 values), its output is rounded back to uint8. ``op`` is
    the spec op (what ``from_native`` reads back); ``native`` the Gluon block."""

    def __init__(self, op: Any) -> None:
        super().__init__()
        self.op = op
        lo, hi = op.range
        if lo == hi:
            self.native = transforms.Rotate(lo, op.zoom_in, op.zoom_out)
        else:
            self.native = transforms.RandomRotation((lo, hi), op.zoom_in, op.zoom_out, op.p)

    def forward(self, x: NDArray) -> NDArray:
        return _as_image(self.native(_as_tensor(x)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.native!r})"


def _cannot_express(op: Any) -> str | None:
    if _gluon_can(op):
        return None
    return (
        "Gluon's RandomRotation/Rotate rotate bilinearly about the centre with zeros outside "
        "(Rotate always, one angle): no nearest, fill, center"
    )


def affine(op: OpBase, p: Params, x: NDArray, fidelity: str) -> NDArray:
    """The spec's affine map (augspec/ops/affine.py) with :func:`spec_warp`."""
    from augspec.ops.affine import inverse_matrix

    hw = (int(x.shape[0]), int(x.shape[1]))
    centre = centre_of(op.center, hw)  # type: ignore[attr-defined]
    shift = (float(p["tx"]), float(p["ty"]))
    return spec_warp(x, inverse_matrix(p), shift, centre, op.fill, op.interpolation)  # type: ignore[attr-defined]


class RandomAffine(AugspecBlock):
    """torchvision's ``RandomAffine`` for Gluon (which has none): the spec's draws from mxnet's
    RNG, the spec's inverse mapping in mx.nd ops (:func:`spec_warp`)."""

    kernel = _kernel(affine)


RECORDS: tuple[OpRecord, ...] = (
    OpRecord(
        "pad",
        kernel=pad,
        tolerance=EXACT,
        build=Pad,
        status="ported",
        why="gluon.data.vision.transforms (mxnet 1.9.1) has no Pad class",
    ),
    OpRecord(
        "rotation",
        kernel=rotation,
        tolerance=Tolerance(1.0, 0.01),
        build=NativeRotation,
        port=Port(_cannot_express, RotationPort),
        substitute=Substitute(
            always(
                "mxnet's imrotate samples a float32 grid (and divides by (W-1)/2: NaN on one-pixel sides)"
            ),
            FaithfulRotation,
            faithful_rotation,
        ),
        why="the substitute is the spec's float64 inverse mapping in mx.nd (one rounding tie of room)",
    ),
    OpRecord(
        "affine",
        kernel=affine,
        tolerance=Tolerance(1.0, 0.01),
        build=RandomAffine,
        status="ported",
        why="gluon.data.vision.transforms (mxnet 1.9.1) has no affine class",
    ),
)
