"""Gluon ports of the filter ops (augspec/ops/filters.py): ``gaussian_blur`` and
``gaussian_noise``. ``mxnet.gluon.data.vision.transforms`` (1.9.1) has no blur or noise class.

The port is an :class:`~augspec.backends.gluon_blocks.AugspecBlock` (it draws sigma from mxnet's
RNG with the spec's distribution) whose kernel is written with ``mx.nd`` ops: the HWC uint8
NDArray as a 1x3xHxW float64 batch, ``mx.nd.pad(mode="reflect")`` by half the kernel, two
depthwise ``mx.nd.Convolution`` passes (a 1 x kw row kernel, then a kh x 1 column kernel; the
spec's float64 1-D Gaussians), rounded half up. The noise port draws a noise seed from mxnet's
RNG and adds the spec's noise of that seed (numpy's PCG64, float32) with ``mx.nd`` arithmetic.
"""

from __future__ import annotations

from augspec.backends.gluon_blocks import AugspecBlock, _kernel
from augspec.backends.gluon_kernels import NDArray
from augspec.backends.gluon_mx import mx

from augspec.contract import Tolerance
from augspec.ops import OpBase
from augspec.ops.filters import gaussian_kernel1d, jpeg_bytes, scaled_noise
from augspec.sampling import Params


def _depthwise(v: NDArray, taps: NDArray, kernel: tuple[int, int]) -> NDArray:
    """One depthwise convolution of a 1x3xHxW batch with the same taps on each channel."""
    weight = mx.nd.tile(taps.reshape((1, 1, *kernel)), reps=(3, 1, 1, 1))
    return mx.nd.Convolution(
        v, weight, kernel=kernel, num_filter=3, num_group=3, no_bias=True, layout="NCHW"
    )


def gaussian_blur(op: OpBase, p: Params, x: NDArray, fidelity: str) -> NDArray:
    kh, kw = op.kernel_hw  # type: ignore[attr-defined]
    sigma = float(p["sigma"])
    v = x.astype("float64").transpose((2, 0, 1)).expand_dims(0)
    # mxnet pads 4-D inputs on the last two axes only: (N, C, top/bottom, left/right).
    v = mx.nd.pad(v, mode="reflect", pad_width=(0, 0, 0, 0, kh // 2, kh // 2, kw // 2, kw // 2))
    row = mx.nd.array(gaussian_kernel1d(kw, sigma), dtype="float64")
    col = mx.nd.array(gaussian_kernel1d(kh, sigma), dtype="float64")
    v = _depthwise(_depthwise(v, row, (1, kw)), col, (kh, 1))
    out = mx.nd.clip(mx.nd.floor(v + 0.5), 0, 255).astype("uint8")
    return out[0].transpose((1, 2, 0))


class GaussianBlur(AugspecBlock):
    """torchvision's GaussianBlur: sigma ~ U(min, max) per image, reflect padding (no gluon class)."""

    kernel = _kernel(gaussian_blur)


def gaussian_noise(op: OpBase, p: Params, x: NDArray, fidelity: str) -> NDArray:
    """The spec's noise of ``noise_seed`` added to the CHW float32 NDArray, clipped to [0, 1]."""
    term = scaled_noise(op, p["noise_seed"], tuple(int(n) for n in x.shape))  # type: ignore[arg-type]
    out = x + mx.nd.array(term, dtype="float32", ctx=x.context)
    return mx.nd.clip(out, 0.0, 1.0) if op.clip else out  # type: ignore[attr-defined]


class GaussianNoise(AugspecBlock):
    """torchvision v2's GaussianNoise (no gluon class): a noise seed from mxnet's RNG, the spec's
    PCG64 noise of that seed added to the tensor."""

    kernel = _kernel(gaussian_noise)

    def forward(self, x: NDArray) -> NDArray:
        # After to_tensor: x is CHW; the sampler's size argument is unused (one seed per image).
        return self.apply_params(x, self.sample((int(x.shape[1]), int(x.shape[2]))))


# Pillow's file decoded by mxnet's OpenCV (benchmarks/measure_filters.py).
JPEG_DECODE = Tolerance(0.0, 0.0)


def jpeg(op: OpBase, p: Params, x: NDArray, fidelity: str) -> NDArray:
    """Pillow's JPEG file of the image at the drawn quality (the spec's encoder), decoded by
    ``mx.image.imdecode`` (mxnet's OpenCV decoder) as RGB."""
    data = jpeg_bytes(x.asnumpy(), int(p["quality"]))
    return mx.image.imdecode(data, flag=1, to_rgb=True)


class JPEG(AugspecBlock):
    """torchvision v2's JPEG (no gluon class): the quality from mxnet's RNG, Pillow's encoder,
    mxnet's decoder."""

    kernel = _kernel(jpeg)
