"""Gluon port of the tensor ops (augspec/ops/tensor_ops.py): ``random_erasing``.

``mxnet.gluon.data.vision.transforms`` (1.9.1) has no erasing class. The port is an
:class:`~augspec.backends.gluon_blocks.AugspecBlock` on the CHW float32 NDArray that
``ToTensor`` gives: it draws the spec's params from mxnet's RNG (its size is the tensor's
``shape[1:]``, not an image's ``shape[:2]``) and writes the values into a copy of the box with
``NDArray`` slice assignment, exact.
"""

from __future__ import annotations

from augspec.backends.gluon_blocks import AugspecBlock, _kernel
from augspec.backends.gluon_kernels import NDArray
from augspec.backends.gluon_mx import mx

from augspec.ops import OpBase
from augspec.ops.tensor_ops import erase_values
from augspec.sampling import Params


def random_erasing(op: OpBase, p: Params, x: NDArray, fidelity: str) -> NDArray:
    if not p["apply"] or not p["height"] or not p["width"]:
        return x
    t, left, h, w = p["top"], p["left"], p["height"], p["width"]
    values = erase_values(op, p, int(x.shape[0]))  # type: ignore[arg-type]
    out = x.copy()
    out[:, t : t + h, left : left + w] = mx.nd.broadcast_to(
        mx.nd.array(values, dtype="float32"), shape=(int(x.shape[0]), h, w)
    )
    return out


class RandomErasing(AugspecBlock):
    """torchvision's RandomErasing on gluon's CHW float32 tensor (no gluon class)."""

    kernel = _kernel(random_erasing)

    def forward(self, x: NDArray) -> NDArray:
        return self.apply_params(x, self.sample((int(x.shape[1]), int(x.shape[2]))))
