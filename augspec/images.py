"""Input checks shared by every backend, so bad images get the same error everywhere.

Accepted input: an RGB image as HWC uint8 (numpy array, PIL image, or a
framework tensor that a backend converts). Refused with a ``ValueError``:
grayscale (2-D or one channel), RGBA/other channel counts, any dtype other
than uint8 (float images included: the spec's ops are defined on 0-255
integers), and zero-size or oversized images.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from augspec.pipeline import check_image_hw


def check_hwc_uint8(shape: tuple[int, ...], dtype: str, where: str = "image") -> tuple[int, int]:
    """Validate an image's shape and dtype; return its (height, width)."""
    if len(shape) != 3 or shape[2] != 3:
        kind = "grayscale" if len(shape) == 2 or (len(shape) == 3 and shape[2] == 1) else (
            "RGBA" if len(shape) == 3 and shape[2] == 4 else "not an HWC image"
        )
        raise ValueError(
            f"{where}: Expected an RGB image of shape (height, width, 3); "
            f"received shape {tuple(shape)} ({kind}). Convert it first, e.g. PIL's .convert('RGB')"
        )
    if dtype != "uint8":
        raise ValueError(
            f"{where}: Expected dtype uint8 (0-255); received dtype {dtype}. "
            "Float images are not accepted: scale and cast to uint8 first"
        )
    check_image_hw((int(shape[0]), int(shape[1])), where)
    return int(shape[0]), int(shape[1])


def to_numpy_image(image: Any, where: str = "image") -> np.ndarray:
    """numpy HWC uint8 from a numpy array or a PIL image (RGB only)."""
    if hasattr(image, "mode") and hasattr(image, "size") and hasattr(image, "getbands"):
        if image.mode != "RGB":
            raise ValueError(
                f"{where}: Expected a PIL image in mode 'RGB'; received mode {image.mode!r}. "
                "Use .convert('RGB')"
            )
        image = np.asarray(image)
    if not isinstance(image, np.ndarray):
        raise ValueError(
            f"{where}: Expected a numpy array or PIL image; received {type(image).__name__}"
        )
    check_hwc_uint8(image.shape, str(image.dtype), where)
    return image


def default_image_path() -> str:
    """The photo that ships inside matplotlib (Grace Hopper, 600x512 JPEG)."""
    import matplotlib.cbook

    return str(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


def load_image(path: str | None = None) -> np.ndarray:
    """Read an image file as RGB HWC uint8; the bundled photo when ``path`` is None."""
    from PIL import Image

    path = path or default_image_path()
    try:
        with Image.open(path) as img:
            return np.asarray(img.convert("RGB"))
    except (OSError, ValueError) as err:
        raise ValueError(f"image: Expected a readable image file; received {path!r} ({err})") from None
