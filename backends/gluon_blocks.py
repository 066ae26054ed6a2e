"""Gluon Blocks for what ``mxnet.gluon.data.vision.transforms`` lacks or gets wrong.

Each :class:`AugspecBlock` wraps one augspec op and names its kernel. As a transform it
samples its own params from mxnet's RNG (``mx.random.seed`` seeds it), with the spec's
distribution (:mod:`augspec.sampling`'s samplers fed by :class:`MxRandom`), and applies them
with that kernel -- the one ``replay`` uses, so one kernel serves both paths.

- Ported (the framework has no such class; mxnet's own numerics): flips with ``p != 0.5``,
  ``RandomCrop`` with padding, factor ranges the gluon classes cannot express.
- Faithful (``fidelity="spec"`` substitutes; the spec's numerics).

:class:`RandomResizedCrop` is gluon's own class with a guard against the empty boxes its
sampler can draw on tiny images.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
from augspec.backends import gluon_kernels as K
from augspec.backends.gluon_kernels import NDArray, mx_float
from augspec.backends.gluon_mx import mx, transforms

from augspec.ops import OpBase
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
    """One augspec op as a Gluon Block: sample params from mxnet's RNG, then apply its kernel."""

    kernel: ClassVar[Callable[..., NDArray]]  # the contract's (op, params, x, fidelity)
    fidelity: ClassVar[str] = "native"

    def __init__(self, op: OpBase) -> None:
        super().__init__()
        self.op = op

    def sample(self, hw: tuple[int, int]) -> Params:
        """Params for one image of size ``hw`` (the spec's distribution, mxnet's RNG)."""
        return sample_ops([self.op], MX_RANDOM, hw)[0]  # type: ignore[arg-type]

    def apply_params(self, x: NDArray, params: Params) -> NDArray:
        # Not `apply`: gluon.Block.apply(fn) walks child blocks (net.apply(init)) and must keep working.
        return type(self).kernel(self.op, params, x, self.fidelity)

    def forward(self, x: NDArray) -> NDArray:
        return self.apply_params(x, self.sample((int(x.shape[0]), int(x.shape[1]))))

    def __repr__(self) -> str:
        fields = self.op.model_dump(exclude={"op"})
        args = ", ".join(f"{k}={v!r}" for k, v in fields.items())
        return f"{type(self).__name__}({args})"


def _kernel(fn: Callable[..., NDArray]) -> Any:
    # A plain function as a class attribute would bind as a method; the kernel takes no self.
    return staticmethod(fn)


# ---- ported: no gluon class does this; mxnet's own numerics -----------------------


class RandomFlipLeftRightP(AugspecBlock):
    """Flip left-right with probability p (gluon's RandomFlipLeftRight is fixed at 0.5)."""

    kernel = _kernel(K.flip_left_right)


class RandomFlipTopBottomP(AugspecBlock):
    """Flip top-bottom with probability p (gluon's RandomFlipTopBottom is fixed at 0.5)."""

    kernel = _kernel(K.flip_top_bottom)


class RandomCrop(AugspecBlock):
    """Pad each side by ``padding`` with ``fill``, then crop a random box (no gluon class)."""

    kernel = _kernel(K.pad_and_crop)


class RandomBrightnessRange(AugspecBlock):
    """mxnet's brightness kernel with a factor range RandomBrightness(b) cannot express."""

    kernel = _kernel(K.factor_kernel("brightness", K.native_adjust))


class RandomContrastRange(AugspecBlock):
    """mxnet's contrast kernel with a factor range RandomContrast(c) cannot express."""

    kernel = _kernel(K.factor_kernel("contrast", K.native_adjust))


class RandomSaturationRange(AugspecBlock):
    """mxnet's saturation kernel with a factor range RandomSaturation(s) cannot express."""

    kernel = _kernel(K.factor_kernel("saturation", K.native_adjust))


class RandomHueRange(AugspecBlock):
    """mxnet's hue kernel with an asymmetric shift range (RandomHue(h) is symmetric)."""

    kernel = _kernel(K.factor_kernel("hue", K.native_adjust))


class RandomColorJitterRange(AugspecBlock):
    """mxnet's colour kernels in a random order, with ranges RandomColorJitter cannot express."""

    kernel = _kernel(K.jitter_kernel(K.native_adjust))


# ---- substituted in fidelity="spec": the spec's numerics -----------------------------


class FaithfulBlock(AugspecBlock):
    fidelity = "spec"


class FaithfulFlipLeftRight(FaithfulBlock):
    """Flip left-right with probability p, every column written (mx.nd.flip)."""

    kernel = _kernel(K.exact_flip_left_right)


class FaithfulFlipTopBottom(FaithfulBlock):
    """Flip top-bottom with probability p, every row written (mx.nd.flip)."""

    kernel = _kernel(K.exact_flip_top_bottom)


class FaithfulRandomResizedCrop(FaithfulBlock):
    """torchvision's box sampling + antialiased PIL-style resampling (mx.nd.dot)."""

    kernel = _kernel(K.faithful_resized_crop)


class FaithfulResize(FaithfulBlock):
    """Antialiased PIL-style resampling (mx.nd.dot); int size = shorter side."""

    kernel = _kernel(K.faithful_resize_kernel)


class FaithfulCenterCrop(FaithfulBlock):
    """Central crop with a rounded (not truncated) offset."""

    kernel = _kernel(K.faithful_center_crop)


class FaithfulBrightness(FaithfulBlock):
    """x * f, rounded half up."""

    kernel = _kernel(K.factor_kernel("brightness", K.faithful_adjust))


class FaithfulContrast(FaithfulBlock):
    """Blend with the mean grey level, rounded half up."""

    kernel = _kernel(K.factor_kernel("contrast", K.faithful_adjust))


class FaithfulSaturation(FaithfulBlock):
    """Blend with the full grey level 0.299R + 0.587G + 0.114B, rounded half up."""

    kernel = _kernel(K.factor_kernel("saturation", K.faithful_adjust))


class FaithfulHue(FaithfulBlock):
    """HSV hue rotation, rounded half up."""

    kernel = _kernel(K.factor_kernel("hue", K.faithful_adjust))


class FaithfulColorJitter(FaithfulBlock):
    """The four faithful colour adjustments in a random order."""

    kernel = _kernel(K.jitter_kernel(K.faithful_adjust))


class FaithfulLighting(FaithfulBlock):
    """AlexNet PCA lighting offset, rounded half up."""

    kernel = _kernel(K.faithful_lighting)


# ---- native, guarded ---------------------------------------------------------------------


class RandomResizedCrop(transforms.RandomResizedCrop):
    """gluon's own ``RandomResizedCrop`` (same draws, same output), with one difference.

    ``mx.image.random_size_crop`` has no ``w > 0`` check: on an image where
    ``scale[0] * H * W * ratio < 0.25`` (a 1x1 or 2x2 image with the default
    scale) it can draw an empty box, and mxnet then fails inside ``slice`` or
    OpenCV's resize (measured: ~20-25% of calls on 1x1), sometimes only when
    the result is read. When its ten tries all miss, its fallback centre crop
    (``mx.image.scale_down(image, size)``) is empty too where the image is much
    smaller than ``size`` on one side (a 1x3 image, size (1, 4): every call fails;
    found by tests/test_properties.py). Here those cases are waited for and raised
    as augspec's ValueError; images where no empty box can be drawn run untouched.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._safe_sizes: set[tuple[int, int]] = set()  # (H, W) where no empty box can be drawn

    def forward(self, x: NDArray) -> NDArray:
        h, w = int(x.shape[0]), int(x.shape[1])
        if (h, w) in self._safe_sizes:
            return super().forward(x)
        size, scale, ratio, _ = self._args
        empty_fallback = 0 in mx.image.scale_down((w, h), size)
        if scale[0] * h * w * min(ratio[0], 1 / ratio[1]) > 0.25 and not empty_fallback:
            if len(self._safe_sizes) < 4096:  # bounded: a loader of ever-new sizes
                self._safe_sizes.add((h, w))
            return super().forward(x)
        try:
            out = super().forward(x)
            out.wait_to_read()
        except mx.base.MXNetError:
            raise ValueError(
                f"random_resized_crop: gluon's native RandomResizedCrop drew an empty crop box on "
                f"a {h}x{w} image (mx.image.random_size_crop has no width > 0 check; possible when "
                f"scale[0] * H * W * ratio < 0.25, or, after ten misses, when its fallback centre crop "
                f"of size {list(size)} (w, h) is empty; received scale={list(scale)}, ratio={list(ratio)}). "
                "Expected a larger image; or use fidelity='spec', whose crop box is never empty"
            ) from None
        return out
