"""Gluon ports of the photometric ops (augspec/ops/photometric.py): ``invert``, ``solarize``,
``posterize``, ``grayscale``, ``random_grayscale``, ``autocontrast``, ``equalize``,
``channel_permutation``, ``sharpness``. ``mxnet.gluon.data.vision.transforms`` (1.9.1) has
no class for any of them.

Each port is an :class:`~augspec.backends.gluon_blocks.AugspecBlock`: it draws ``apply`` from
mxnet's RNG with the spec's distribution and applies its kernel, written with ``mx.nd`` ops on
the HWC uint8 NDArray. The arithmetic runs in float32 on integer values 0-255 (mxnet's uint8
arithmetic is not defined for every operator), where every step is exact: the result is the
reference's, bit for bit. The grey level is the spec's, ``0.299 R + 0.587 G + 0.114 B`` in
float64, rounded half up; autocontrast stretches in float64 and rounds half up; equalize builds
PIL's integer table from ``mx.nd.histogram`` and ``mx.nd.cumsum`` (float64, exact integers).
"""

from __future__ import annotations

from augspec.backends.gluon_blocks import AugspecBlock, _kernel
from augspec.backends.gluon_kernels import NDArray
from augspec.backends.gluon_mx import mx

from augspec.ops import OpBase
from augspec.sampling import Params


def _values(x: NDArray) -> NDArray:
    return x.astype("float32")


def invert(op: OpBase, p: Params, x: NDArray, fidelity: str) -> NDArray:
    return (255.0 - _values(x)).astype("uint8") if p["apply"] else x


def solarize(op: OpBase, p: Params, x: NDArray, fidelity: str) -> NDArray:
    if not p["apply"]:
        return x
    v = _values(x)
    return mx.nd.where(v >= op.threshold, 255.0 - v, v).astype("uint8")  # type: ignore[attr-defined]


def posterize(op: OpBase, p: Params, x: NDArray, fidelity: str) -> NDArray:
    if not p["apply"]:
        return x
    step = float(2 ** (8 - op.bits))  # type: ignore[attr-defined]
    # Division by a power of two and floor are exact in float32: x & ~(step - 1).
    return (mx.nd.floor(_values(x) / step) * step).astype("uint8")


def grayscale(op: OpBase, p: Params, x: NDArray, fidelity: str) -> NDArray:
    if not p.get("apply", True):  # grayscale draws nothing: always applied
        return x
    v = x.astype("float64")
    grey = v[:, :, 0] * 0.299 + v[:, :, 1] * 0.587 + v[:, :, 2] * 0.114
    grey = mx.nd.clip(mx.nd.floor(grey + 0.5), 0, 255).astype("uint8")
    return mx.nd.stack(grey, grey, grey, axis=2)


def autocontrast(op: OpBase, p: Params, x: NDArray, fidelity: str) -> NDArray:
    if not p["apply"]:
        return x
    v = x.astype("float64")
    lo = mx.nd.min(v, axis=(0, 1), keepdims=True)
    hi = mx.nd.max(v, axis=(0, 1), keepdims=True)
    flat = hi == lo
    stretched = mx.nd.broadcast_div(mx.nd.broadcast_sub(v, lo) * 255.0, hi - lo + flat)
    stretched = mx.nd.clip(mx.nd.floor(stretched + 0.5), 0, 255)
    keep = mx.nd.broadcast_like(flat, v)
    return mx.nd.where(keep, v, stretched).astype("uint8")


def _equalize_channel(channel: NDArray) -> NDArray:
    """PIL's equalize table applied to one channel (float64 values 0-255, flattened)."""
    hist = mx.nd.histogram(channel, bins=256, range=(0, 256))[0].astype("float64")
    last = hist[int(channel.max().asscalar())]
    # Integers below 2**53: float64 division then floor is integer division.
    step = float(mx.nd.floor((channel.size - last) / 255).asscalar())
    if step == 0:
        return channel
    below = mx.nd.concat(mx.nd.zeros((1,), dtype="float64"), mx.nd.cumsum(hist)[:-1], dim=0)
    lut = mx.nd.minimum(mx.nd.floor((below + step // 2) / step), 255)
    return mx.nd.take(lut, channel)


def equalize(op: OpBase, p: Params, x: NDArray, fidelity: str) -> NDArray:
    if not p["apply"]:
        return x
    v = x.astype("float64")
    channels = [_equalize_channel(v[:, :, c].reshape(-1)) for c in range(3)]
    return mx.nd.stack(*channels, axis=1).reshape(x.shape).astype("uint8")


def sharpness(op: OpBase, p: Params, x: NDArray, fidelity: str) -> NDArray:
    if not p["apply"]:
        return x
    v = x.astype("float64")
    h, w = int(x.shape[0]), int(x.shape[1])
    smooth = v
    if h >= 3 and w >= 3:
        total = 4 * v[1:-1, 1:-1]
        for dy in range(3):
            for dx in range(3):
                total = total + v[dy : h - 2 + dy, dx : w - 2 + dx]
        inner = mx.nd.floor(total / 13.0 + 0.5)
        rows = mx.nd.concat(v[1:-1, :1], inner, v[1:-1, w - 1 :], dim=1)
        smooth = mx.nd.concat(v[:1], rows, v[h - 1 :], dim=0)
    factor = op.factor  # type: ignore[attr-defined]
    out = factor * v + (1.0 - factor) * smooth
    return mx.nd.clip(mx.nd.floor(out + 0.5), 0, 255).astype("uint8")


def channel_permutation(op: OpBase, p: Params, x: NDArray, fidelity: str) -> NDArray:
    return mx.nd.stack(*(x[:, :, int(i)] for i in p["perm"]), axis=2)


class RandomInvert(AugspecBlock):
    """``255 - x`` with probability ``p`` (torchvision's RandomInvert; no gluon class)."""

    kernel = _kernel(invert)


class RandomSolarize(AugspecBlock):
    """Invert values ``>= threshold`` with probability ``p`` (torchvision's RandomSolarize)."""

    kernel = _kernel(solarize)


class RandomPosterize(AugspecBlock):
    """Keep the ``bits`` high bits with probability ``p`` (torchvision's RandomPosterize)."""

    kernel = _kernel(posterize)


class Grayscale(AugspecBlock):
    """The spec's grey level in all three channels (torchvision's Grayscale(3))."""

    kernel = _kernel(grayscale)


class RandomGrayscale(AugspecBlock):
    """:class:`Grayscale` with probability ``p`` (torchvision's RandomGrayscale)."""

    kernel = _kernel(grayscale)


class RandomAutocontrast(AugspecBlock):
    """Stretch each channel to 0-255 with probability ``p`` (torchvision's RandomAutocontrast)."""

    kernel = _kernel(autocontrast)


class RandomEqualize(AugspecBlock):
    """Equalize each channel with probability ``p`` (torchvision's RandomEqualize)."""

    kernel = _kernel(equalize)


class RandomChannelPermutation(AugspecBlock):
    """A uniform permutation of the three channels (torchvision v2's RandomChannelPermutation)."""

    kernel = _kernel(channel_permutation)


class RandomAdjustSharpness(AugspecBlock):
    """Blend with PIL's SMOOTH image with probability ``p`` (torchvision's RandomAdjustSharpness)."""

    kernel = _kernel(sharpness)
