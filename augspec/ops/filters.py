"""Filters, noise and compression: ``gaussian_blur`` (torchvision ``GaussianBlur``, v1 and
v2), ``gaussian_noise`` (v2 ``GaussianNoise``) and ``jpeg`` (v2 ``JPEG``).

``gaussian_blur``: ``kernel`` ``[height, width]`` (odd, or one int for a square; torchvision's
``kernel_size`` is ``(x, y)``, i.e. ``(width, height)``: translated when read) and ``sigma``
(one number: fixed; ``[min, max]``: drawn). Sampler: ``sigma ~ U(min, max)``, one draw whatever
the range (torchvision draws one sigma per image and uses it for both axes). Reference: the
1-D kernel ``exp(-0.5 (i / sigma)^2)`` for ``i = -k//2 .. k//2``, normalised to sum 1, in
float64, per axis; the image padded by ``k // 2`` on each side with reflection (the edge pixel
not repeated: torch's and numpy's ``reflect``), convolved separably (rows, then columns) in
float64 and rounded half up. torchvision's reflect padding needs ``k // 2`` below the side:
smaller images are refused when the spec's shapes are traced (torchvision raises there).

``gaussian_noise`` (``mean``, ``sigma``, ``clip`` as v2's) acts on the CHW float32 tensor, after
``to_tensor`` (v2 also takes uint8 images, in 255 units, truncating the noise to int16; the spec
has one definition, on [0, 1] floats). Sampler: ``noise_seed ~ U{0, ..., 2**31 - 2}`` (one draw;
a JSON-able int). Reference: ``noise = Generator(PCG64(noise_seed)).standard_normal((C, H, W),
float32)``, ``out = x + (float32(mean) + noise * float32(sigma))`` in float32, clipped to [0, 1]
when ``clip``. Every backend regenerates the same noise from the seed in replay; v2's own class
(compile, fidelity native and spec) draws ``torch.randn_like`` instead: the same distribution,
other values.

``jpeg``: ``quality`` (1-100, or ``[min, max]`` inclusive). Sampler: one ``u ~ U[0, 1)``,
``quality = min + min(floor(u * (max - min + 1)), max - min)`` (one draw whatever the range;
v2 draws ``torch.randint(min, max + 1)``). Reference: the image encoded and decoded by Pillow
(libjpeg, Pillow's defaults: baseline, 4:2:0 chroma subsampling, no optimisation) at that
quality: ``Image.save(buf, "JPEG", quality=q)``, then ``Image.open(buf).convert("RGB")``.

Gluon 1.9.1 has none of these classes, torchvision v1 no noise or JPEG class: their backends port them
(``backends/gluon_filters.py``, ``backends/torchvision_filters.py``).
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field, field_validator

from augspec.ops.base import (
    DEFINITION,
    HW,
    MAX_FACTOR,
    MAX_SIDE,
    Fact,
    Numerics,
    OpBase,
    OpDef,
    Params,
    _check_range,
    check_int,
    check_keys,
    check_number,
)

# An odd kernel side (torchvision: "Kernel size value should be an odd and positive number").
KernelSide = Annotated[int, Field(strict=True, gt=0, le=MAX_SIDE)]
# A blur's standard deviation: > 0 (torchvision refuses 0), bounded as the colour factors are.
Sigma = Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0, le=MAX_FACTOR)]


class GaussianBlur(OpBase):
    """Blur with a Gaussian kernel whose sigma is drawn per image (torchvision ``GaussianBlur``)."""

    op: Literal["gaussian_blur"] = "gaussian_blur"
    kernel: KernelSide | tuple[KernelSide, KernelSide]
    sigma: Sigma | tuple[Sigma, Sigma] = (0.1, 2.0)

    @field_validator("kernel")
    @classmethod
    def _odd(cls, v: int | tuple[int, int]) -> int | tuple[int, int]:
        sides = (v,) if isinstance(v, int) else v
        if any(s % 2 == 0 for s in sides):
            shown = v if isinstance(v, int) else list(v)
            raise ValueError(
                f"Expected odd kernel sides (the kernel is centred on a pixel, as torchvision "
                f"requires); received kernel={shown}"
            )
        return v

    @field_validator("sigma")
    @classmethod
    def _sigma(cls, v: float | tuple[float, float]) -> float | tuple[float, float]:
        if isinstance(v, tuple):
            _check_range("sigma", v)
        return v

    @property
    def kernel_hw(self) -> HW:
        k = self.kernel
        return (k, k) if isinstance(k, int) else (k[0], k[1])

    @property
    def sigma_range(self) -> tuple[float, float]:
        s = self.sigma
        return (s, s) if isinstance(s, (int, float)) else (s[0], s[1])

    @property
    def is_random(self) -> bool:
        lo, hi = self.sigma_range
        return lo != hi


def _sample_blur(op: GaussianBlur, rng: np.random.Generator, hw: HW) -> Params:
    return {"sigma": float(rng.uniform(*op.sigma_range))}


def _check_blur(op: GaussianBlur, params: Params, hw: HW) -> None:
    check_keys(params, ("sigma",))
    lo, hi = op.sigma_range
    check_number(params, "sigma", lo, hi, "the op's sigma range")
    if params["sigma"] <= 0:  # a float32 widening of a tiny bound must stay positive
        raise ValueError(f"sigma: Expected a number > 0; received sigma={params['sigma']!r}")


def _blur_hw(op: GaussianBlur, hw: HW) -> HW:
    kh, kw = op.kernel_hw
    if hw[0] <= kh // 2 or hw[1] <= kw // 2:
        raise ValueError(
            f"(gaussian_blur): Expected an image taller than {kh // 2} and wider than {kw // 2} "
            f"pixels (reflect padding by half the kernel [{kh}, {kw}] needs the padding below "
            f"each side, as torchvision's does); received an image of {hw[0]}x{hw[1]}"
        )
    return hw


def _blur_edges(op: GaussianBlur, hw: HW) -> list[tuple[str, Params]]:
    lo, hi = op.sigma_range
    return [("smallest sigma", {"sigma": lo}), ("largest sigma", {"sigma": hi})]


def gaussian_kernel1d(size: int, sigma: float) -> np.ndarray:
    """torchvision's 1-D Gaussian (``_get_gaussian_kernel1d``) in float64."""
    half = (size - 1) // 2
    offsets = np.arange(-half, half + 1, dtype=np.float64)
    pdf = np.exp(-0.5 * (offsets / sigma) ** 2)
    return pdf / pdf.sum()


def _convolve_axis(values: np.ndarray, kernel: np.ndarray, axis: int) -> np.ndarray:
    """Reflect-pad ``values`` along ``axis`` by half the kernel and convolve (valid part)."""
    half = len(kernel) // 2
    pad = [(0, 0)] * values.ndim
    pad[axis] = (half, half)
    padded = np.pad(values, pad, mode="reflect")
    n = values.shape[axis]
    out = np.zeros(values.shape, np.float64)
    for i, weight in enumerate(kernel):
        out += weight * np.take(padded, np.arange(i, i + n), axis=axis)
    return out


def blurred(x: np.ndarray, kernel_hw: HW, sigma: float) -> np.ndarray:
    """The unrounded blur of an HWC image (float64): rows, then columns."""
    kh, kw = kernel_hw
    values = x.astype(np.float64)
    values = _convolve_axis(values, gaussian_kernel1d(kw, sigma), axis=1)
    return _convolve_axis(values, gaussian_kernel1d(kh, sigma), axis=0)


def _gaussian_blur(
    op: GaussianBlur, p: Params, x: np.ndarray, fidelity: str, numerics: Numerics = DEFINITION
) -> np.ndarray:
    return numerics.rounding(blurred(x, op.kernel_hw, float(p["sigma"])))


# ---- gaussian_noise -----------------------------------------------------------------

# The sub-seeds: [0, NOISE_SEEDS), int32-sized (mxnet's randint draws int32) and JSON-safe.
NOISE_SEEDS = 2**31 - 1
# |mean| and sigma in [0, 1] units: bounded as the colour factors are (float32 everywhere).
NoiseMean = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-MAX_FACTOR, le=MAX_FACTOR)]
NoiseSigma = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=MAX_FACTOR)]


class GaussianNoise(OpBase):
    """Add ``N(mean, sigma^2)`` noise to the [0, 1] tensor, clipped (v2 ``GaussianNoise``)."""

    op: Literal["gaussian_noise"] = "gaussian_noise"
    mean: NoiseMean = 0.0
    sigma: NoiseSigma = 0.1
    clip: bool = True

    @property
    def is_random(self) -> bool:
        return self.sigma > 0


def _sample_noise(op: GaussianNoise, rng: np.random.Generator, hw: HW) -> Params:
    return {"noise_seed": int(rng.integers(0, NOISE_SEEDS))}


def _check_noise(op: GaussianNoise, params: Params, hw: HW) -> None:
    check_keys(params, ("noise_seed",))
    check_int(params, "noise_seed", 0, NOISE_SEEDS - 1, "the noise field's seed")


def _noise_edges(op: GaussianNoise, hw: HW) -> list[tuple[str, Params]]:
    return [("noise seed 0", {"noise_seed": 0})]


def noise_field(noise_seed: int, shape: tuple[int, ...]) -> np.ndarray:
    """The standard normal noise of ``noise_seed`` (float32): what every backend adds."""
    rng = np.random.Generator(np.random.PCG64(int(noise_seed)))
    return rng.standard_normal(shape, dtype=np.float32)


def scaled_noise(op: GaussianNoise, noise_seed: int, shape: tuple[int, ...]) -> np.ndarray:
    """``float32(mean) + noise * float32(sigma)`` in float32 (the term added to the tensor)."""
    noise = noise_field(noise_seed, shape)
    return np.float32(op.mean) + noise * np.float32(op.sigma)


def _gaussian_noise(
    op: GaussianNoise, p: Params, x: np.ndarray, fidelity: str, numerics: Numerics = DEFINITION
) -> np.ndarray:
    out = x.astype(np.float32) + scaled_noise(op, p["noise_seed"], x.shape)
    return np.clip(out, 0.0, 1.0) if op.clip else out


# ---- jpeg ---------------------------------------------------------------------------

Quality = Annotated[int, Field(strict=True, ge=1, le=100)]


class JPEG(OpBase):
    """Encode and decode as JPEG at a quality drawn per image (v2 ``JPEG``)."""

    op: Literal["jpeg"] = "jpeg"
    quality: Quality | tuple[Quality, Quality]

    @field_validator("quality")
    @classmethod
    def _quality(cls, v: int | tuple[int, int]) -> int | tuple[int, int]:
        if isinstance(v, tuple) and v[0] > v[1]:
            raise ValueError(
                f"Expected quality as (min, max) with min <= max; received quality={list(v)}"
            )
        return v

    @property
    def quality_range(self) -> tuple[int, int]:
        q = self.quality
        return (q, q) if isinstance(q, int) else (q[0], q[1])

    @property
    def is_random(self) -> bool:
        return True  # the compression itself is lossy whatever the quality drawn


def quality_from_uniform(op: JPEG, u: float | np.ndarray) -> np.ndarray:
    """The quality a draw ``u ~ U[0, 1)`` picks: uniform over ``[min, max]`` (inclusive)."""
    lo, hi = op.quality_range
    return lo + np.minimum(np.floor(np.asarray(u) * (hi - lo + 1)), hi - lo).astype(np.int64)


def _sample_jpeg(op: JPEG, rng: np.random.Generator, hw: HW) -> Params:
    return {"quality": int(quality_from_uniform(op, rng.random()))}


def _check_jpeg(op: JPEG, params: Params, hw: HW) -> None:
    check_keys(params, ("quality",))
    lo, hi = op.quality_range
    check_int(params, "quality", lo, hi, "the op's quality range")


def _jpeg_edges(op: JPEG, hw: HW) -> list[tuple[str, Params]]:
    lo, hi = op.quality_range
    return [("lowest quality", {"quality": lo}), ("highest quality", {"quality": hi})]


def jpeg_bytes(x: np.ndarray, quality: int) -> bytes:
    """The JPEG file Pillow writes for an HWC uint8 RGB image at ``quality``."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(x), "RGB").save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def jpeg_round_trip(x: np.ndarray, quality: int) -> np.ndarray:
    """The definition: Pillow's encode at ``quality``, then Pillow's decode, as RGB."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(jpeg_bytes(x, quality))) as decoded:
        return np.asarray(decoded.convert("RGB"))


def _jpeg(
    op: JPEG, p: Params, x: np.ndarray, fidelity: str, numerics: Numerics = DEFINITION
) -> np.ndarray:
    return jpeg_round_trip(x, int(p["quality"]))


DEFS = (
    OpDef(
        "gaussian_blur",
        GaussianBlur,
        ("GaussianBlur",),
        _sample_blur,
        _gaussian_blur,
        output_hw=_blur_hw,
        edge_params=_blur_edges,
        check_params=_check_blur,
    ),
    OpDef(
        "gaussian_noise",
        GaussianNoise,
        ("GaussianNoise",),
        _sample_noise,
        _gaussian_noise,
        edge_params=_noise_edges,
        check_params=_check_noise,
    ),
    OpDef(
        "jpeg",
        JPEG,
        ("JPEG",),
        _sample_jpeg,
        _jpeg,
        edge_params=_jpeg_edges,
        check_params=_check_jpeg,
    ),
)

_TV_BLUR = "torchvision/transforms/_functional_tensor.py (gaussian_blur, _get_gaussian_kernel1d)"
_TV2_BLUR = "torchvision/transforms/v2/functional/_misc.py (gaussian_blur_image)"

FACTS: tuple[Fact, ...] = (
    Fact(
        "torchvision",
        ("gaussian_blur",),
        "plus_minus_one",
        "torchvision blurs in float32 (PIL images go through pil_to_tensor): the 2-D kernel is the "
        "outer product of two float32 1-D kernels, one conv2d, then torch.round (half to even): "
        "a value within float32 error of .5 may round the other way than the spec's float64",
        _TV_BLUR,
    ),
    Fact(
        "torchvision-v2",
        ("gaussian_blur",),
        "plus_minus_one",
        "v2's gaussian_blur_image builds the same float32 2-D kernel, convolves in float32 and "
        "rounds with round_ (half to even): one level on a near-tie",
        _TV2_BLUR,
    ),
    Fact(
        "torchvision-v2",
        ("gaussian_noise",),
        "distribution_only",
        "v2's GaussianNoise draws its noise with torch.randn_like (torch's generator): compiled, "
        "it adds other values than the spec's PCG64 noise of the sampled noise_seed, from the "
        "same N(mean, sigma^2); replay regenerates the spec's noise and adds it as v2 does",
        "torchvision/transforms/v2/functional/_misc.py (gaussian_noise_image)",
    ),
)
