"""Faithful torch kernels and v2 substitutes for the photometric ops (augspec/ops/photometric.py)
where torchvision's own kernels depart from the spec.

v2's ``rgb_to_grayscale`` (``functional/_color.py`` ``_rgb_to_grayscale_image``) weights red
0.2989 (the spec: 0.299) and casts the float grey level to uint8, truncating: every grey value
lands up to one level low (measured on the photo: max 1, mean 0.51). The substitutes keep v2's
classes (the same ``make_params`` draws) and compute the spec's grey level in float64, rounded
half up. Their autocontrast truncates too (PIL's table ``int(i * scale + offset)``, v2's float32
``diff / ((hi - lo) / 255)`` cast to uint8): a low-contrast image measured max 1, mean 0.47 (v1)
and 0.51 (v2); the substitutes round. torchvision v1 runs the same tensor kernel on a tensor given to ``replay`` (its PIL
path, ``convert("L")``, rounds a fixed-point grey level: max 1, mean 1.3e-05); its substitutes
apply the spec's grey level on both paths.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torchvision import transforms as T
from torchvision.transforms import v2

# ITU-R 601, the spec's grey level (augspec.ops.base.LUMA)
_LUMA = (0.299, 0.587, 0.114)


def grayscale(x: torch.Tensor) -> torch.Tensor:
    """The spec's grey level of a uint8 CHW image or NCHW batch, in all three channels."""
    r, g, b = x.to(torch.float64).unbind(dim=-3)
    grey = r * _LUMA[0] + g * _LUMA[1] + b * _LUMA[2]
    grey = torch.floor(grey + 0.5).clamp_(0, 255).to(torch.uint8).unsqueeze(-3)
    return grey.expand(x.shape).contiguous()


def autocontrast(x: torch.Tensor) -> torch.Tensor:
    """The spec's autocontrast of a uint8 CHW image or NCHW batch: per channel
    ``(x - lo) * 255 / (hi - lo)`` in float64, rounded half up; a constant channel kept."""
    values = x.to(torch.float64)
    lo = values.amin(dim=(-2, -1), keepdim=True)
    hi = values.amax(dim=(-2, -1), keepdim=True)
    flat = hi == lo
    stretched = (values - lo) * 255.0 / torch.where(flat, torch.ones_like(hi), hi - lo)
    stretched = torch.floor(stretched + 0.5).clamp_(0, 255)
    return torch.where(flat, values, stretched).to(torch.uint8)


def sharpen(x: torch.Tensor, factor: float) -> torch.Tensor:
    """The spec's sharpness of a uint8 (N)CHW tensor: blend with PIL's SMOOTH image (interior
    (1 1 1; 1 5 1; 1 1 1) / 13 rounded, border kept) in float64, rounded half up."""
    values = x.to(torch.float64)
    smooth = values.clone()
    h, w = x.shape[-2:]
    if h >= 3 and w >= 3:
        total = 4 * values[..., 1:-1, 1:-1]
        for dy in range(3):
            for dx in range(3):
                total = total + values[..., dy : h - 2 + dy, dx : w - 2 + dx]
        smooth[..., 1:-1, 1:-1] = torch.floor(total / 13.0 + 0.5)
    out = factor * values + (1.0 - factor) * smooth
    return torch.floor(out + 0.5).clamp_(0, 255).to(torch.uint8)


def on_image(kernel: Any, reference_kernel: Any, x: Any) -> Any:
    """A faithful kernel on a uint8 tensor, or the reference's on a PIL RGB image."""
    if isinstance(x, torch.Tensor):
        return kernel(x)
    from PIL import Image

    return Image.fromarray(reference_kernel(np.asarray(x)), "RGB")


def autocontrast_any(x: Any) -> Any:
    from augspec.ops.photometric import autocontrast as reference_autocontrast

    return on_image(autocontrast, reference_autocontrast, x)


class FaithfulRandomAutocontrastV1(T.RandomAutocontrast):
    """``transforms.RandomAutocontrast(p)``: its draw, the spec's rounding."""

    def forward(self, img: Any) -> Any:
        return autocontrast_any(img) if torch.rand(1) < self.p else img


class FaithfulRandomAutocontrast(v2.RandomAutocontrast):
    """``v2.RandomAutocontrast(p)``: v2's draw, the spec's rounding."""

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return autocontrast(inpt)


def grayscale_any(x: Any) -> Any:
    """The spec's grey level of a PIL RGB image (the reference's maths) or a uint8 tensor."""
    from augspec.ops.photometric import grayscale as reference_grayscale

    return on_image(grayscale, reference_grayscale, x)


class FaithfulGrayscaleV1(T.Grayscale):
    """``transforms.Grayscale(3)`` with the spec's grey level, on PIL images and tensors."""

    def forward(self, img: Any) -> Any:
        return grayscale_any(img)


class FaithfulRandomGrayscaleV1(T.RandomGrayscale):
    """``transforms.RandomGrayscale(p)``: its draw (``torch.rand(1) < p``), the spec's grey level."""

    def forward(self, img: Any) -> Any:
        return grayscale_any(img) if torch.rand(1) < self.p else img


class FaithfulGrayscale(v2.Grayscale):
    """``v2.Grayscale(3)`` with the spec's grey level (0.299 R, rounded half up)."""

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return grayscale(inpt)


class FaithfulRandomGrayscale(v2.RandomGrayscale):
    """``v2.RandomGrayscale(p)``: v2's draw, the spec's grey level."""

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return grayscale(inpt)


def permute_channels(x: Any, perm: list[int]) -> Any:
    """Output channel ``i`` is input channel ``perm[i]``: a PIL RGB image or a (N)CHW tensor."""
    if isinstance(x, torch.Tensor):
        return x[..., list(perm), :, :]
    from PIL import Image

    bands = x.split()
    return Image.merge("RGB", [bands[int(i)] for i in perm])


class ChannelPermutation(torch.nn.Module):
    """v2's ``RandomChannelPermutation`` for torchvision v1 (which has none): a uniform
    permutation of the three channels from ``torch.randperm(3)``, PIL images or tensors.
    ``op`` is the spec op it was built from (what ``from_native`` reads back)."""

    def __init__(self) -> None:
        super().__init__()
        from augspec.ops.photometric import ChannelPermutation as Op

        self.op = Op()

    def forward(self, img: Any) -> Any:
        return permute_channels(img, [int(i) for i in torch.randperm(3)])

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def sharpen_any(x: Any, factor: float) -> Any:
    from augspec.ops.photometric import sharpen as reference_sharpen

    return on_image(lambda t: sharpen(t, factor), lambda a: reference_sharpen(a, factor), x)


class FaithfulRandomAdjustSharpnessV1(T.RandomAdjustSharpness):
    """``transforms.RandomAdjustSharpness``: its draw, the spec's rounding (PIL's blend truncates)."""

    def forward(self, img: Any) -> Any:
        if torch.rand(1).item() < self.p:
            return sharpen_any(img, self.sharpness_factor)
        return img


class FaithfulRandomAdjustSharpness(v2.RandomAdjustSharpness):
    """``v2.RandomAdjustSharpness``: v2's draw, the spec's rounding (v2 truncates)."""

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return sharpen(inpt, self.sharpness_factor)
