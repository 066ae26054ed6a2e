"""Faithful torch kernels and the torchvision-style classes built on them.

Used by :mod:`augspec.backends.torchvision`:

- :class:`Lighting` ports AlexNet's PCA lighting noise (torchvision has none).
- ``Faithful*`` classes replace native classes in ``fidelity="spec"`` where
  measurement shows the native numerics departing from the reference. Each
  subclasses the torchvision class it replaces and draws its params with the
  parent's own ``get_params`` (torch's RNG, same draws in the same order), so a
  seeded pipeline picks the same boxes and factors in both fidelities; only the
  arithmetic differs. ``apply_params(x, params)`` is the given-params path; the
  backend's substitute kernels call the same functions (:func:`resize`,
  :func:`resized_crop`, :func:`adjust`, :func:`jitter`, :func:`add_lighting`).

Colour and lighting call the reference's own definitions (``augspec.reference``)
on a numpy HWC view. Resampling uses the reference's weight matrices, applied in
torch on their nonzero band (float64, one rounding ``floor(x + 0.5)`` clipped to
[0, 255], as the reference). Each takes and returns the type it is given: a PIL
RGB image or a uint8 CHW tensor.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import torch
from PIL import Image
from torchvision import transforms as T

from augspec.ops import COLOR_COMPONENTS
from augspec.pipeline import resize_shorter_hw
from augspec.reference import COLOR_ADJUST, lighting_offset, resample_matrix, to_uint8

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


def resize(x: Any, size: int | list[int] | tuple[int, ...], interpolation: str) -> Any:
    """The spec's resize: an int (or one-element size) sets the shorter side, (h, w) is exact."""
    if isinstance(size, int) or len(size) == 1:
        hw = resize_shorter_hw(image_hw(x), size if isinstance(size, int) else size[0])
    else:
        hw = (size[0], size[1])
    return resample(x, hw, interpolation)


def resized_crop(x: Any, box: dict[str, Any], hw: tuple[int, int], interpolation: str) -> Any:
    """Crop ``box`` ({"top", "left", "height", "width"}) and resample it to ``hw``."""
    cropped = crop(x, box["top"], box["left"], box["height"], box["width"])
    return resample(cropped, hw, interpolation)


# ---- colour and lighting: the reference's own definitions ----------------------


def _as_hwc(x: Any) -> tuple[np.ndarray, Any]:
    """numpy HWC uint8 view of a PIL RGB image or a uint8 CHW tensor; and how to give it back."""
    if isinstance(x, Image.Image):
        return np.asarray(x), lambda a: Image.fromarray(a, "RGB")
    device = x.device
    return x.detach().cpu().permute(1, 2, 0).numpy(), (
        lambda a: torch.from_numpy(a).permute(2, 0, 1).contiguous().to(device)
    )


def adjust(x: Any, name: str, factor: float) -> Any:
    """One colour adjustment exactly as the reference defines it (PIL truncates, rounds the grey level)."""
    a, back = _as_hwc(x)
    return back(COLOR_ADJUST[name](a, factor))


def jitter(x: Any, params: dict[str, Any]) -> Any:
    """color_jitter params ({"order", "brightness", ...}) applied in order, rounding after each step."""
    for name in params["order"]:
        if params.get(name) is not None:
            x = adjust(x, name, params[name])
    return x


def add_lighting(x: Any, alpha: list[float]) -> Any:
    """The reference's PCA lighting: its offset added to every pixel, one rounding."""
    a, back = _as_hwc(x)
    return back(to_uint8(a.astype(np.float64) + lighting_offset(alpha)))


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
        return add_lighting(x, params["alpha"])

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
        return resize(x, self.size, self.spec_interpolation)

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
        return resized_crop(x, params, (self.size[0], self.size[1]), self.spec_interpolation)

    def forward(self, img: Any) -> Any:
        top, left, height, width = self.get_params(img, self.scale, self.ratio)
        if height < 1 or width < 1:  # torchvision's fallback box, empty on tiny images:
            img_h, img_w = image_hw(img)  # the spec's (augspec.sampling.rrc_box) is >= 1 px
            height, width = max(height, 1), max(width, 1)
            top, left = (img_h - height) // 2, (img_w - width) // 2
        return self.apply_params(img, {"top": top, "left": left, "height": height, "width": width})


class FaithfulColorJitter(T.ColorJitter):
    """``ColorJitter``: torchvision's draws (randperm order, uniform factors), the reference's arithmetic."""

    def sample(self) -> dict[str, Any]:
        fn_idx, *factors = self.get_params(
            self.brightness, self.contrast, self.saturation, self.hue
        )
        order = [COLOR_COMPONENTS[int(i)] for i in fn_idx]
        return {"order": order, **dict(zip(COLOR_COMPONENTS, factors, strict=True))}

    def apply_params(self, x: Any, params: dict[str, Any]) -> Any:
        return jitter(x, params)

    def forward(self, img: Any) -> Any:
        return self.apply_params(img, self.sample())
