"""Gluon Blocks for what ``mxnet.gluon.data.vision.transforms`` lacks or gets wrong.

Each Block wraps one augspec op. As a transform it samples its own params
from mxnet's RNG (``mx.random.seed`` seeds it), with the spec's distribution
(:mod:`augspec.sampling`'s samplers fed by :class:`MxRandom`), and applies them
with :meth:`apply` -- the same kernel ``replay`` uses, so one kernel serves
both paths.

- Ported (the framework has no such class; mxnet's own numerics): flips with
  ``p != 0.5``, ``RandomCrop`` with padding, factor ranges the gluon classes
  cannot express.
- Faithful (``fidelity="spec"`` substitutes; the spec's numerics in mxnet ops).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from augspec.backends.gluon_kernels import NATIVE, SPEC, NDArray, mx_float
from augspec.backends.gluon_mx import mx

from augspec.ops import OpBase
from augspec.registry import get_kernel
from augspec.sampling import Params, sample_ops


class MxRandom:
    """The draws augspec's samplers make (numpy Generator method names), from mxnet's RNG."""

    def random(self) -> float:
        return self.uniform(0.0, 1.0)

    def uniform(self, low: float, high: float) -> float:
        draw = mx.nd.random.uniform(mx_float(low), mx_float(high), shape=(1,), dtype="float64")
        return float(draw.asscalar())

    def integers(self, low: int, high: int) -> int:
        """Uniform int in [low, high) (numpy's convention)."""
        return int(mx.nd.random.randint(low, high, shape=(1,)).asscalar())

    def normal(self, loc: float, scale: float, size: int) -> np.ndarray:
        if mx_float(scale) == 0:
            return np.full(size, float(loc))
        draw = mx.nd.random.normal(mx_float(loc), mx_float(scale), shape=(size,), dtype="float64")
        return np.asarray(draw.asnumpy())

    def permutation(self, n: int) -> np.ndarray:
        return mx.nd.random.shuffle(mx.nd.arange(n)).asnumpy().astype(int)


MX_RANDOM = MxRandom()


class AugspecBlock(mx.gluon.Block):
    """One augspec op as a Gluon Block: sample params from mxnet's RNG, then apply them."""

    kernel_backend = NATIVE

    def __init__(self, op: OpBase) -> None:
        super().__init__()
        self.op = op

    def sample(self, hw: tuple[int, int]) -> Params:
        """Params for one image of size ``hw`` (the spec's distribution, mxnet's RNG)."""
        return sample_ops([self.op], MX_RANDOM, hw)[0]  # type: ignore[arg-type]

    def apply_params(self, x: NDArray, params: Params) -> NDArray:
        # Not `apply`: gluon.Block.apply(fn) walks child blocks (net.apply(init)) and must keep working.
        return get_kernel(self.op.op, self.kernel_backend)(self.op, params, x)

    def forward(self, x: NDArray) -> NDArray:
        return self.apply_params(x, self.sample((int(x.shape[0]), int(x.shape[1]))))

    def __repr__(self) -> str:
        fields = self.op.model_dump(exclude={"op"})
        args = ", ".join(f"{k}={v!r}" for k, v in fields.items())
        return f"{type(self).__name__}({args})"


# ---- ported: no gluon class does this; mxnet's own numerics -----------------------


class RandomFlipLeftRightP(AugspecBlock):
    """Flip left-right with probability p (gluon's RandomFlipLeftRight is fixed at 0.5)."""


class RandomFlipTopBottomP(AugspecBlock):
    """Flip top-bottom with probability p (gluon's RandomFlipTopBottom is fixed at 0.5)."""


class RandomCrop(AugspecBlock):
    """Pad each side by ``padding`` with ``fill``, then crop a random box (no gluon class)."""


class RandomBrightnessRange(AugspecBlock):
    """mxnet's brightness kernel with a factor range RandomBrightness(b) cannot express."""


class RandomContrastRange(AugspecBlock):
    """mxnet's contrast kernel with a factor range RandomContrast(c) cannot express."""


class RandomSaturationRange(AugspecBlock):
    """mxnet's saturation kernel with a factor range RandomSaturation(s) cannot express."""


class RandomHueRange(AugspecBlock):
    """mxnet's hue kernel with an asymmetric shift range (RandomHue(h) is symmetric)."""


class RandomColorJitterRange(AugspecBlock):
    """mxnet's colour kernels in a random order, with ranges RandomColorJitter cannot express."""


# ---- substituted in fidelity="spec": the spec's numerics in mxnet ops -----------------


class FaithfulBlock(AugspecBlock):
    kernel_backend = SPEC


class FaithfulFlipLeftRight(FaithfulBlock):
    """Flip left-right with probability p, every column written (mx.nd.flip)."""


class FaithfulFlipTopBottom(FaithfulBlock):
    """Flip top-bottom with probability p, every row written (mx.nd.flip)."""


class FaithfulRandomResizedCrop(FaithfulBlock):
    """torchvision's box sampling + antialiased PIL-style resampling (mx.nd.dot)."""


class FaithfulResize(FaithfulBlock):
    """Antialiased PIL-style resampling (mx.nd.dot); int size = shorter side."""


class FaithfulCenterCrop(FaithfulBlock):
    """Central crop with a rounded (not truncated) offset."""


class FaithfulBrightness(FaithfulBlock):
    """x * f, rounded half up."""


class FaithfulContrast(FaithfulBlock):
    """Blend with the mean grey level, rounded half up."""


class FaithfulSaturation(FaithfulBlock):
    """Blend with the full grey level 0.299R + 0.587G + 0.114B, rounded half up."""


class FaithfulHue(FaithfulBlock):
    """HSV hue rotation, rounded half up."""


class FaithfulColorJitter(FaithfulBlock):
    """The four faithful colour adjustments in a random order."""


class FaithfulLighting(FaithfulBlock):
    """AlexNet PCA lighting offset, rounded half up."""


PORTED: dict[str, type[AugspecBlock]] = {
    "horizontal_flip": RandomFlipLeftRightP,
    "vertical_flip": RandomFlipTopBottomP,
    "random_crop": RandomCrop,
    "brightness": RandomBrightnessRange,
    "contrast": RandomContrastRange,
    "saturation": RandomSaturationRange,
    "hue": RandomHueRange,
    "color_jitter": RandomColorJitterRange,
}

FAITHFUL: dict[str, type[AugspecBlock]] = {
    "horizontal_flip": FaithfulFlipLeftRight,
    "vertical_flip": FaithfulFlipTopBottom,
    "random_resized_crop": FaithfulRandomResizedCrop,
    "resize": FaithfulResize,
    "center_crop": FaithfulCenterCrop,
    "brightness": FaithfulBrightness,
    "contrast": FaithfulContrast,
    "saturation": FaithfulSaturation,
    "hue": FaithfulHue,
    "color_jitter": FaithfulColorJitter,
    "lighting": FaithfulLighting,
}


def block_for(table: dict[str, type[AugspecBlock]], op: OpBase) -> Any:
    return table[op.op](op)
