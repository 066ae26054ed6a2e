"""Input checks shared by every backend, so bad images get the same error everywhere.

Accepted input: an RGB image as HWC uint8 (numpy array, PIL image, or a
framework tensor that a backend converts). Refused with a ``ValueError``
naming what was received and how to convert it: grayscale (2-D or one
channel), RGBA/other channel counts, a batch (4-D), any dtype other than
uint8 (float images included, whatever their range, so float images with
values outside [0, 1] or NaN pixels are refused by their dtype: the spec's
ops are defined on 0-255 integers), and zero-size images or sides over
``augspec.ops.MAX_SIDE`` (checked from the shape, before any pixel is copied).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from augspec.pipeline import check_image_hw


def _shape_hint(shape: tuple[int, ...]) -> str:
    """What the shape looks like, and how to turn it into RGB HWC."""
    if len(shape) == 2 or (len(shape) == 3 and shape[2] == 1):
        return "grayscale). Convert it first: np.repeat(x.reshape(h, w, 1), 3, axis=2) or PIL's .convert('RGB')"
    if len(shape) == 3 and shape[2] == 4:
        return (
            "RGBA). Drop or composite the alpha channel first: x[..., :3] or PIL's .convert('RGB')"
        )
    if len(shape) == 4:
        return "a batch?). Pass one image at a time (or use augspec.backends.torch_batched for batches)"
    return "not an HWC RGB image). Convert it first, e.g. PIL's .convert('RGB')"


def _dtype_hint(dtype: str) -> str:
    if dtype.startswith(("float", "bfloat")):
        return (
            "Float images are not accepted, whatever their range (values outside [0, 1] and NaN "
            "included): scale, round and cast first, e.g. (x * 255).round().clip(0, 255).astype(np.uint8)"
        )
    if dtype == "bool":
        return "Masks are not images: cast first, e.g. x.astype(np.uint8) * 255"
    return "Clip and cast first, e.g. x.clip(0, 255).astype(np.uint8)"


def check_hwc_uint8(shape: tuple[int, ...], dtype: str, where: str = "image") -> tuple[int, int]:
    """Validate an image's shape and dtype; return its (height, width)."""
    if len(shape) != 3 or shape[2] != 3:
        raise ValueError(
            f"{where}: Expected an RGB image of shape (height, width, 3); "
            f"received shape {tuple(shape)} ({_shape_hint(tuple(shape))}"
        )
    if dtype != "uint8":
        raise ValueError(
            f"{where}: Expected dtype uint8 (0-255); received dtype {dtype}. {_dtype_hint(dtype)}"
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
            f"{where}: Expected a numpy array or PIL image (torchvision also takes a torch uint8 "
            f"CHW tensor, gluon an mx NDArray HWC uint8); received {type(image).__name__}"
        )
    check_hwc_uint8(image.shape, str(image.dtype), where)
    return image


def require_matplotlib(what: str) -> ModuleType:
    """matplotlib, or an error naming what needs it (``what``) and the extra that installs it.

    matplotlib is the ``plots`` extra: only drawing (and the bundled photo) needs it.
    """
    try:
        import matplotlib
    except ModuleNotFoundError as err:
        if err.name != "matplotlib":
            raise
        raise ModuleNotFoundError(
            f"{what} needs matplotlib, which is not installed. "
            "Install it with: pip install 'augspec[plots]'",
            name="matplotlib",
        ) from None
    return matplotlib


def default_image_path() -> str:
    """The photo that ships inside matplotlib (Grace Hopper, 600x512 JPEG)."""
    require_matplotlib("the default image (matplotlib's grace_hopper.jpg; or pass an image path)")
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
        raise ValueError(
            f"image: Expected a readable image file; received {path!r} ({err})"
        ) from None
