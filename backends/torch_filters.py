"""Torch kernels and ports for the filter ops (augspec/ops/filters.py) shared by the
torchvision (v1) and v2 backends: the spec's noise added in torch, and v2's ``GaussianNoise``
ported to v1 (which has no noise class)."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import Any

import torch
from torchvision.transforms import v2


def add_noise(op: Any, noise_seed: int, x: torch.Tensor) -> torch.Tensor:
    """The spec's noise of ``noise_seed`` added to a float CHW tensor as v2's
    ``gaussian_noise_image`` adds its own: ``x + (mean + noise * sigma)``, clamped to [0, 1]."""
    from augspec.ops.filters import scaled_noise

    term = torch.from_numpy(scaled_noise(op, noise_seed, tuple(x.shape))).to(x.device)
    out = x + term
    return out.clamp(0.0, 1.0) if op.clip else out


class GaussianNoise(torch.nn.Module):
    """v2's ``GaussianNoise(mean, sigma, clip)`` for torchvision v1: ``torch.randn_like`` noise
    (torch's generator), added to the float tensor and clamped as v2 does. ``op`` is the spec op
    it was built from (what ``from_native`` reads back)."""

    def __init__(self, op: Any) -> None:
        super().__init__()
        self.op = op

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not (isinstance(x, torch.Tensor) and x.is_floating_point()):
            raise ValueError(
                "Expected a float tensor (gaussian_noise goes after to_tensor); "
                f"received {type(x).__name__} {getattr(x, 'dtype', '')}"
            )
        noise = self.op.mean + torch.randn_like(x) * self.op.sigma  # v2's order
        out = x + noise
        return out.clamp(0.0, 1.0) if self.op.clip else out

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.op.mean}, sigma={self.op.sigma}, clip={self.op.clip})"


# torchvision 0.29 deprecates its image coding (torchvision/io/image.py, _warn_deprecated: "use
# TorchCodec") and warns on every encode_jpeg / decode_jpeg call, so on every v2.JPEG call.
_IO_DEPRECATED = "The image decoding and encoding capabilities of TorchVision are deprecated"


@contextlib.contextmanager
def quiet_image_io() -> Iterator[None]:
    """torchvision.io's per-call deprecation warning silenced (that one warning only)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_IO_DEPRECATED, category=DeprecationWarning)
        yield


def jpeg_tensor(x: torch.Tensor, quality: int) -> torch.Tensor:
    """torchvision.io's JPEG round trip (libjpeg-turbo) of a uint8 CHW tensor: v2's jpeg_image."""
    from torchvision.io import decode_jpeg, encode_jpeg

    with quiet_image_io():
        return decode_jpeg(encode_jpeg(x.cpu(), quality=quality)).to(x.device)


def jpeg_v2(x: Any, quality: int) -> Any:
    """v2's functional ``jpeg`` (its kernel for the input's type), its deprecation warning quiet."""
    from torchvision.transforms.v2 import functional as F

    with quiet_image_io():
        return F.jpeg(x, quality)


class QuietJPEG(v2.JPEG):
    """v2's ``JPEG`` (its draw, its kernel) without torchvision.io's per-call deprecation warning."""

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        with quiet_image_io():
            return super().transform(inpt, params)


def jpeg_any(x: Any, quality: int) -> Any:
    """A PIL RGB image through Pillow (the spec's definition), a uint8 tensor through
    torchvision.io's encode_jpeg / decode_jpeg."""
    if isinstance(x, torch.Tensor):
        return jpeg_tensor(x, quality)
    import numpy as np
    from PIL import Image

    from augspec.ops.filters import jpeg_round_trip

    return Image.fromarray(jpeg_round_trip(np.asarray(x), quality), "RGB")


class JPEG(torch.nn.Module):
    """v2's ``JPEG(quality)`` for torchvision v1: ``quality ~ torch.randint(min, max + 1)`` as v2
    draws it; PIL images through Pillow's encoder and decoder (v2's PIL kernel), tensors through
    torchvision.io. ``op`` is the spec op it was built from."""

    def __init__(self, op: Any) -> None:
        super().__init__()
        self.op = op

    def forward(self, img: Any) -> Any:
        lo, hi = self.op.quality_range
        return jpeg_any(img, int(torch.randint(lo, hi + 1, ()).item()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(quality={self.op.quality!r})"
