"""Faithful torch kernels and the torchvision-style classes built on them.

Used by :mod:`augspec.backends.torchvision`:

- :class:`Lighting` ports AlexNet's PCA lighting noise (torchvision has none).
- ``Faithful*`` classes replace native classes in ``fidelity="spec"`` where
  measurement shows the native numerics departing from the reference. Each
  subclasses the torchvision class it replaces and draws its params with the
  parent's own ``get_params`` (torch's RNG, same draws in the same order), so a
  seeded pipeline picks the same boxes and factors in both fidelities; only the
  arithmetic differs. ``apply(x, params)`` is the given-params path that
  ``replay(fidelity="spec")`` uses, so one kernel serves both.

Every faithful kernel works in float64 on a CHW tensor and rounds once,
``floor(x + 0.5)`` clipped to [0, 255], as the reference does. Each takes and
returns the type it is given: a PIL RGB image or a uint8 CHW tensor.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from PIL import Image
from torchvision import transforms as T

from augspec.ops import COLOR_COMPONENTS, LIGHTING_EIGVAL, LIGHTING_EIGVEC
from augspec.pipeline import resize_shorter_hw
from augspec.reference import GRAY_WEIGHTS, resample_matrix

# ---- image <-> float64 CHW ----------------------------------------------------


def to_float_chw(x: Any) -> tuple[torch.Tensor, bool]:
    """float64 CHW tensor from a PIL RGB image or a uint8 CHW tensor; and whether it was PIL."""
    if isinstance(x, Image.Image):
        return torch.from_numpy(np.array(x)).permute(2, 0, 1).to(torch.float64), True
    return x.to(torch.float64), False


def from_float_chw(x: torch.Tensor, was_pil: bool) -> Any:
    """Round half up, clip, back to the caller's type (the reference's one rounding)."""
    out = torch.floor(x + 0.5).clamp_(0, 255).to(torch.uint8)
    if was_pil:
        return Image.fromarray(out.permute(1, 2, 0).contiguous().numpy(), "RGB")
    return out


def image_hw(x: Any) -> tuple[int, int]:
    if isinstance(x, Image.Image):
        return x.height, x.width
    return int(x.shape[-2]), int(x.shape[-1])


def _pointwise(fn: Callable[[torch.Tensor], torch.Tensor]) -> Callable[[Any], Any]:
    def run(x: Any) -> Any:
        f, was_pil = to_float_chw(x)
        return from_float_chw(fn(f), was_pil)

    return run


# ---- resampling ---------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def banded(in_size: int, out_size: int, interpolation: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The reference's resampling matrix as (taps, weights), each (out, K): its nonzero band.

    Multiplying by the dense matrix wastes most of the work on zeros (a
    600 -> 224 bicubic row has ~11 taps, not 600). Cached: building the
    matrix (a Python loop in the reference) costs more than applying it, and
    datasets repeat sizes.
    """
    matrix = resample_matrix(in_size, out_size, interpolation)
    nonzero = matrix != 0
    first = nonzero.argmax(1)
    last = matrix.shape[1] - 1 - nonzero[:, ::-1].argmax(1)
    taps = first[:, None] + np.arange(int((last - first).max()) + 1)
    inside = taps < matrix.shape[1]
    taps = np.minimum(taps, matrix.shape[1] - 1)
    weights = np.where(inside, np.take_along_axis(matrix, taps, 1), 0.0)
    return torch.from_numpy(taps), torch.from_numpy(weights)


def _resample_axis(f: torch.Tensor, out_size: int, interpolation: str, dim: int) -> torch.Tensor:
    """Resample ``dim`` (1 = rows, 2 = columns) of a float64 CHW tensor to ``out_size``."""
    taps, weights = banded(int(f.shape[dim]), out_size, interpolation)
    gathered = f.index_select(dim, taps.reshape(-1))  # (C, out*K, W) or (C, H, out*K)
    if dim == 1:
        gathered = gathered.view(f.shape[0], *taps.shape, f.shape[2])
        return (gathered * weights[None, :, :, None]).sum(2)
    gathered = gathered.view(f.shape[0], f.shape[1], *taps.shape)
    return (gathered * weights[None, None]).sum(3)


def resample(x: Any, hw: tuple[int, int], interpolation: str) -> Any:
    """Separable resampling with the reference's weight matrices, in float64, one rounding.

    PIL rounds (and clips) to uint8 between its horizontal and vertical
    passes and computes in fixed point; for bicubic the clip of the
    intermediate overshoot is what makes the large differences.
    """
    f, was_pil = to_float_chw(x)
    h_in, w_in = f.shape[-2], f.shape[-1]
    if (h_in, w_in) == tuple(hw):
        return from_float_chw(f, was_pil)
    f = _resample_axis(f, hw[0], interpolation, 1)
    f = _resample_axis(f, hw[1], interpolation, 2)
    return from_float_chw(f, was_pil)


def crop(x: Any, top: int, left: int, height: int, width: int) -> Any:
    if isinstance(x, Image.Image):
        return x.crop((left, top, left + width, top + height))
    return x[..., top : top + height, left : left + width]


# ---- colour -------------------------------------------------------------------


def gray(f: torch.Tensor) -> torch.Tensor:
    """Unrounded grey level (1, H, W) of a float CHW image (ITU-R 601 weights)."""
    w = torch.as_tensor(GRAY_WEIGHTS, dtype=f.dtype).view(3, 1, 1)
    return (f * w).sum(0, keepdim=True)


def rgb_to_hsv(rgb: torch.Tensor) -> torch.Tensor:
    """float RGB CHW in [0, 1] -> HSV in [0, 1], hexcone model (as colorsys and the reference)."""
    r, g, b = rgb[0], rgb[1], rgb[2]
    maxc, _ = rgb.max(0)
    minc, _ = rgb.min(0)
    delta = maxc - minc
    s = torch.where(maxc > 0, delta / torch.where(maxc > 0, maxc, 1.0), 0.0)
    safe = torch.where(delta > 0, delta, 1.0)
    rc, gc, bc = (maxc - r) / safe, (maxc - g) / safe, (maxc - b) / safe
    h = torch.where(r == maxc, bc - gc, torch.where(g == maxc, 2.0 + rc - bc, 4.0 + gc - rc))
    h = torch.where(delta > 0, torch.remainder(h / 6.0, 1.0), 0.0)
    return torch.stack([h, s, maxc])


def hsv_to_rgb(hsv: torch.Tensor) -> torch.Tensor:
    h, s, v = hsv[0], hsv[1], hsv[2]
    i = torch.floor(h * 6.0)
    f = h * 6.0 - i
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    sector = torch.remainder(i.to(torch.int64), 6)
    table = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = torch.zeros_like(hsv)
    for k, channels in enumerate(table):
        out = torch.where(sector == k, torch.stack(channels), out)
    return out


def _hue(f: torch.Tensor, factor: float) -> torch.Tensor:
    hsv = rgb_to_hsv(f / 255.0)
    hsv[0] = torch.remainder(hsv[0] + factor, 1.0)
    return hsv_to_rgb(hsv) * 255.0


ADJUST: dict[str, Callable[[torch.Tensor, float], torch.Tensor]] = {
    "brightness": lambda f, k: f * k,
    "contrast": lambda f, k: k * f + (1.0 - k) * gray(f).mean(),
    "saturation": lambda f, k: k * f + (1.0 - k) * gray(f),
    "hue": _hue,
}


def adjust(x: Any, name: str, factor: float) -> Any:
    """One colour adjustment in float64 with one rounding (PIL truncates and rounds the grey level)."""
    return _pointwise(lambda f: ADJUST[name](f, factor))(x)


def jitter(x: Any, params: dict[str, Any]) -> Any:
    """color_jitter params ({"order", "brightness", ...}) applied in order, rounding after each step."""
    for name in params["order"]:
        if params.get(name) is not None:
            x = adjust(x, name, params[name])
    return x


def lighting_offset(alpha: torch.Tensor) -> torch.Tensor:
    eigvec = torch.tensor(LIGHTING_EIGVEC, dtype=torch.float64)
    eigval = torch.tensor(LIGHTING_EIGVAL, dtype=torch.float64)
    return eigvec @ (alpha.to(torch.float64) * eigval)


# ---- classes ------------------------------------------------------------------


class Lighting(torch.nn.Module):
    """AlexNet PCA lighting noise as a torchvision-style transform (torchvision has none).

    ``alpha ~ N(0, alphastd^2)`` (three values, torch's RNG); adds
    ``eigvec @ (alpha * eigval)`` (0-255 units, ImageNet constants) to every
    pixel. Takes a PIL RGB image or a uint8 CHW tensor, returns the same type.
    """

    def __init__(self, alphastd: float = 0.1) -> None:
        super().__init__()
        self.alphastd = alphastd

    def get_params(self) -> dict[str, Any]:
        alpha = torch.empty(3).normal_(0.0, self.alphastd) if self.alphastd > 0 else torch.zeros(3)
        return {"alpha": [float(a) for a in alpha]}

    def apply_params(self, x: Any, params: dict[str, Any]) -> Any:
        offset = lighting_offset(torch.tensor(params["alpha"])).view(3, 1, 1)
        return _pointwise(lambda f: f + offset)(x)

    def forward(self, x: Any) -> Any:
        return self.apply_params(x, self.get_params())

    def __repr__(self) -> str:
        return f"{type(self).__name__}(alphastd={self.alphastd})"


class FaithfulResize(T.Resize):
    """``Resize`` with the reference's resampling (float64 matmul with its weight matrices)."""

    def __init__(self, size: Any, interpolation: str) -> None:
        super().__init__(size, interpolation=T.InterpolationMode(interpolation))
        self.spec_interpolation = interpolation

    def apply_params(self, x: Any, params: dict[str, Any]) -> Any:
        size = self.size
        if isinstance(size, int) or len(size) == 1:
            short = size if isinstance(size, int) else size[0]
            hw = resize_shorter_hw(image_hw(x), short)
        else:
            hw = (size[0], size[1])
        return resample(x, hw, self.spec_interpolation)

    def forward(self, img: Any) -> Any:
        return self.apply_params(img, {})


class FaithfulRandomResizedCrop(T.RandomResizedCrop):
    """``RandomResizedCrop``: torchvision's box sampling, the reference's resampling."""

    def __init__(self, size: tuple[int, int], scale: Any, ratio: Any, interpolation: str) -> None:
        super().__init__(
            size, scale=scale, ratio=ratio, interpolation=T.InterpolationMode(interpolation)
        )
        self.spec_interpolation = interpolation

    def apply_params(self, x: Any, params: dict[str, Any]) -> Any:
        box = crop(x, params["top"], params["left"], params["height"], params["width"])
        return resample(box, (self.size[0], self.size[1]), self.spec_interpolation)

    def forward(self, img: Any) -> Any:
        top, left, height, width = self.get_params(img, self.scale, self.ratio)
        if height < 1 or width < 1:  # torchvision's fallback box, empty on tiny images:
            img_h, img_w = image_hw(img)  # the spec's (augspec.sampling.rrc_box) is >= 1 px
            height, width = max(height, 1), max(width, 1)
            top, left = (img_h - height) // 2, (img_w - width) // 2
        return self.apply_params(img, {"top": top, "left": left, "height": height, "width": width})


class FaithfulColorJitter(T.ColorJitter):
    """``ColorJitter``: torchvision's draws (randperm order, uniform factors), float64 arithmetic."""

    def sample(self) -> dict[str, Any]:
        fn_idx, *factors = self.get_params(self.brightness, self.contrast, self.saturation, self.hue)
        order = [COLOR_COMPONENTS[int(i)] for i in fn_idx]
        return {"order": order, **dict(zip(COLOR_COMPONENTS, factors, strict=True))}

    def apply_params(self, x: Any, params: dict[str, Any]) -> Any:
        return jitter(x, params)

    def forward(self, img: Any) -> Any:
        return self.apply_params(img, self.sample())
