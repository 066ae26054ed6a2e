"""The padding kernel of the Gluon backend, in mx.nd ops (written once: ``pad``'s port and
``random_crop``'s fill padding use it). Imports nothing of augspec's Gluon modules, so that
:mod:`.gluon_kernels` can use it without a cycle.

``constant``: an NDArray of the fill with the image assigned into it; ``edge`` and ``reflect``:
``mx.nd.pad`` (which pads 4-D NCHW float input only, so the HWC uint8 image goes through a float32
NCHW view and back: every value stays an integer, exact); ``symmetric`` (``mx.nd.pad`` has no such
mode): ``mx.nd.take`` of the mirrored row and column indices.
"""

from __future__ import annotations

from typing import Any

from augspec.backends.gluon_mx import mx

NDArray = Any  # mx.nd.NDArray; mxnet ships no type stubs


def _fill_levels(fill: Any) -> list[int]:
    return [fill] * 3 if isinstance(fill, int) else [int(f) for f in fill]


def _mirrored(n: int, before: int, after: int) -> NDArray:
    """Indices of a side of ``n`` pixels padded symmetrically (border pixel repeated)."""
    index = list(range(before - 1, -1, -1)) + list(range(n)) + list(range(n - 1, n - 1 - after, -1))
    return mx.nd.array(index, dtype="int64")


def pad_nd(x: NDArray, sides: tuple[int, int, int, int], fill: Any, mode: str) -> NDArray:
    """``x`` (HWC) padded by ``sides`` (left, top, right, bottom) in ``mode``."""
    left, top, right, bottom = sides
    h, w, c = (int(s) for s in x.shape)
    if mode == "constant":
        levels = mx.nd.array(_fill_levels(fill), dtype=x.dtype).reshape((1, 1, c))
        out = mx.nd.broadcast_to(levels, shape=(h + top + bottom, w + left + right, c)).copy()
        out[top : top + h, left : left + w] = x
        return out
    if mode == "symmetric":
        rows = mx.nd.take(x, _mirrored(h, top, bottom), axis=0)
        return mx.nd.take(rows, _mirrored(w, left, right), axis=1)
    nchw = x.astype("float32").transpose((2, 0, 1)).expand_dims(axis=0)
    widths = (0, 0, 0, 0, top, bottom, left, right)
    padded = mx.nd.pad(nchw, mode=mode, pad_width=widths)
    return padded[0].transpose((1, 2, 0)).astype(x.dtype)
