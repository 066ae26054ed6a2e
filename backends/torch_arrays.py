"""Results of the torch backends as numpy: one conversion for torchvision, v2 and the batched target."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from PIL import Image

from augspec.images import to_numpy_image


def to_numpy(x: Any) -> np.ndarray:
    """numpy HWC uint8 for images (NHWC for batches), float32 CHW (NCHW) for float tensors."""
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, Image.Image):
        return np.array(to_numpy_image(x))
    if isinstance(x, torch.Tensor):
        t = x.detach().cpu()
        if t.dtype == torch.uint8 and t.ndim in (3, 4):
            return t.movedim(-3, -1).contiguous().numpy()
        if t.is_floating_point():
            return t.to(torch.float32).contiguous().numpy()
    raise ValueError(
        "Expected a PIL image, a uint8 CHW/NCHW tensor or a float tensor; "
        f"received {type(x).__name__} {getattr(x, 'dtype', '')} {tuple(getattr(x, 'shape', ()))}"
    )
