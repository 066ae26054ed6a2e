"""torchvision-v2 backend: a spec as ``torchvision.transforms.v2`` classes on uint8 tensors.

One module plus its records (:data:`RECORDS`, one :class:`~augspec.contract.OpRecord` per op):
the proof that a backend follows :mod:`augspec.contract` and nothing else.

Per op (v2 class; status in ``fidelity="spec"``):

=================== ============================================ ================================
op                  v2 class                                     spec fidelity
=================== ============================================ ================================
horizontal_flip     RandomHorizontalFlip(p)                      native (exact)
vertical_flip       RandomVerticalFlip(p)                        native (exact)
random_resized_crop RandomResizedCrop(size, scale, ratio,        native for bilinear; substituted
                    interpolation, antialias=True)               for bicubic and nearest
resize              Resize(size, interpolation, antialias=True)  as random_resized_crop
center_crop         CenterCrop((h, w))                           native (exact)
random_crop         RandomCrop((h, w), padding, fill)            native (exact)
brightness ... hue  ColorJitter(<component>=factor)              substituted
color_jitter        ColorJitter(brightness, contrast, ...)       substituted
lighting            (none in v2) ported: :class:`Lighting`       ported (faithful)
to_tensor           ToDtype(torch.float32, scale=True)           native
normalize           Normalize(mean, std)                         native
random_apply        RandomApply([...], p)                        native
compose             Compose([...])                               native
=================== ============================================ ================================

The photometric ops (invert ... sharpness, channel_permutation) have their records in
:mod:`.torchvision_v2_photometric`.

Each record's ``why`` gives the measured reason (``benchmarks/measure_torchvision_v2.py``; the
numbers are in docs/). Substitutes subclass the v2 class they replace and keep its
``make_params`` (the same torch draws), so a seeded pipeline picks the same boxes and factors in
both fidelities; their arithmetic is :mod:`augspec.backends.torchvision_kernels`' faithful tensor
kernels (float64, one round-half-up), the ones the v1 backend substitutes with.

Inputs: numpy HWC uint8 and PIL RGB images (converted to a uint8 CHW tensor: v2's tensor
kernels, not its PIL ones), uint8 CHW tensors, and, since v2 is natively batched on tensors,
uint8 NCHW batches: a batch gets **one** draw per random op (v2's semantics: every image of the
batch is flipped, cropped or jittered alike) in ``compile``'s output, and the same params for
every image in ``replay``. Everything else gets the shared ``augspec.images`` / ``trace_hw``
errors. Outputs: uint8 CHW (NCHW) tensors, float32 after ``to_tensor``.

RNG: v2's classes draw only from torch's global generator (``torch.rand``, ``randint``,
``randperm``, ``uniform_``; the port uses ``normal_``); :func:`seed` seeds it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from augspec.backends.torch_arrays import to_numpy  # noqa: F401  (the contract's to_numpy)
from torchvision.transforms import v2
from torchvision.transforms.v2 import InterpolationMode
from torchvision.transforms.v2 import functional as F

from augspec.compiled import Compiled, OpBuild
from augspec.contract import (
    EXACT,
    OpRecord,
    Params,
    Substitute,
    Tolerance,
    always,
    apply_records,
    build_ops,
    check_fidelity,
    records_table,
    stated_tolerance,
)
from augspec.images import check_hwc_uint8, to_numpy_image
from augspec.ops import COLOR_COMPONENTS
from augspec.pipeline import Pipeline, output_hw, trace_hw
from augspec.sampling import check_replay

from . import choice as CH
from . import torchvision_kernels as K
from . import torchvision_tensor_ops as TT
from .torchvision_v2_filters import RECORDS as FILTER_RECORDS
from .torchvision_v2_geometry import RECORDS as GEOMETRY_RECORDS
from .torchvision_v2_photometric import RECORDS as PHOTOMETRIC_RECORDS

NAME = "torchvision-v2"
COMPOSITION = ("compose", "random_apply")

# ---- inputs ---------------------------------------------------------------------------


def input_hw(image: Any) -> tuple[int, int]:
    """(height, width) of an accepted input; the shared ValueError for anything else."""
    if isinstance(image, torch.Tensor):
        shape = tuple(image.shape)
        dtype = str(image.dtype).removeprefix("torch.")
        if len(shape) == 4:
            if shape[0] < 1:
                raise ValueError(
                    "image batch (torch tensor, NCHW): Expected at least one image; "
                    f"received shape {shape}"
                )
            return check_hwc_uint8(
                (*shape[2:], shape[1]),
                dtype,
                "image batch (torch tensor, NCHW; one image shown as HWC)",
            )
        hwc = (*shape[1:], shape[0]) if len(shape) == 3 else shape
        return check_hwc_uint8(hwc, dtype, "image (torch tensor, CHW; shown as HWC)")
    x = to_numpy_image(image)
    return int(x.shape[0]), int(x.shape[1])


def as_tensor_image(image: Any) -> torch.Tensor:
    """A checked input as what v2's tensor kernels take: uint8 CHW (tensors pass as they are).

    Copies numpy/PIL pixels: the result never shares memory with the caller's array (and a
    read-only array would make ``torch.from_numpy`` warn).
    """
    if isinstance(image, torch.Tensor):
        return image
    x = np.asarray(image)
    return torch.from_numpy(np.array(x.transpose(2, 0, 1), order="C"))


# ---- the port and the substitutes, in v2's idiom (make_params + transform) ---------------


def each_image(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Apply a one-image (CHW) faithful kernel to a CHW image or to each image of an NCHW batch."""
    if x.ndim == 4:
        return torch.stack([fn(image) for image in x])
    return fn(x)


def lighting(x: torch.Tensor, alpha: Sequence[float]) -> torch.Tensor:
    """Add AlexNet's PCA offset ``eigvec @ (alpha * eigval)``, one rounding (CHW or NCHW)."""
    return each_image(lambda im: K.add_lighting(im, list(alpha)), x)


class Lighting(v2.Transform):
    """AlexNet PCA lighting noise as a v2 transform (v2 has none).

    ``make_params``: ``alpha ~ N(0, alphastd^2)``, three values from torch's generator, one
    draw per call (shared by a batch); ``transform``: :func:`lighting`.
    """

    def __init__(self, alphastd: float = 0.1) -> None:
        super().__init__()
        self.alphastd = alphastd

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        if self.alphastd <= 0:  # normal_ refuses std 0
            return {"alpha": [0.0, 0.0, 0.0]}
        return {"alpha": [float(a) for a in torch.empty(3).normal_(0.0, self.alphastd)]}

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return lighting(inpt, params["alpha"])


def _faithful_resize(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return each_image(lambda im: K.resample(im, output_hw(op, K.image_hw(im)), op.interpolation), x)


def _faithful_rrc(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return each_image(lambda im: K.resized_crop(im, p, op.hw, op.interpolation), x)


class FaithfulResize(v2.Resize):
    """``v2.Resize`` with the reference's resampling (float64, one rounding)."""

    def __init__(self, op: Any) -> None:
        size = op.size if isinstance(op.size, int) else list(op.size)
        super().__init__(size, interpolation=InterpolationMode(op.interpolation), antialias=True)
        self.spec_op = op

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return _faithful_resize(self.spec_op, params, inpt, "spec")


class FaithfulRandomResizedCrop(v2.RandomResizedCrop):
    """``v2.RandomResizedCrop``: v2's box draws (``make_params``), the reference's resampling."""

    def __init__(self, op: Any) -> None:
        super().__init__(
            list(op.hw),
            scale=op.scale,
            ratio=op.ratio,
            interpolation=InterpolationMode(op.interpolation),
            antialias=True,
        )
        self.spec_op = op

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        box = super().make_params(flat_inputs)
        if box["height"] < 1 or box["width"] < 1:
            # v2's fallback box rounds a side to 0 on tiny images with a narrow ratio; the
            # spec's (augspec.sampling.rrc_box) keeps >= 1 pixel, centred the same way.
            img_h, img_w = K.image_hw(flat_inputs[0])
            height, width = max(box["height"], 1), max(box["width"], 1)
            box = {
                "top": (img_h - height) // 2,
                "left": (img_w - width) // 2,
                "height": height,
                "width": width,
            }
        return box

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return _faithful_rrc(self.spec_op, params, inpt, "spec")


def _jitter_params(params: dict[str, Any]) -> dict[str, Any]:
    """v2.ColorJitter's params (fn_idx, <name>_factor) as augspec's (order, <name>)."""
    order = [COLOR_COMPONENTS[int(i)] for i in params["fn_idx"]]
    return {"order": order, **{name: params[f"{name}_factor"] for name in COLOR_COMPONENTS}}


def _faithful_jitter(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return each_image(lambda im: K.jitter(im, p), x)


class FaithfulColorJitter(v2.ColorJitter):
    """``v2.ColorJitter``: v2's draws (randperm order, uniform factors), float64 arithmetic."""

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        return _faithful_jitter(None, _jitter_params(params), inpt, "spec")


# ---- native replay kernels: torchvision.transforms.v2.functional ------------------------


def _interp(name: str) -> InterpolationMode:
    return InterpolationMode(name)


def _hflip(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return F.horizontal_flip(x) if p["apply"] else x


def _vflip(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return F.vertical_flip(x) if p["apply"] else x


def _rrc(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return F.resized_crop(
        x,
        p["top"],
        p["left"],
        p["height"],
        p["width"],
        list(op.hw),
        interpolation=_interp(op.interpolation),
        antialias=True,
    )


def _resize(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    size = [op.size] if isinstance(op.size, int) else list(op.size)
    return F.resize(x, size, interpolation=_interp(op.interpolation), antialias=True)


def _center_crop(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return F.center_crop(x, list(op.hw))


def _random_crop(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    if op.padding:
        x = F.pad(x, [op.padding], fill=op.fill)
    return F.crop(x, p["top"], p["left"], op.hw[0], op.hw[1])


ADJUST: dict[str, Callable[..., Any]] = {
    "brightness": F.adjust_brightness,
    "contrast": F.adjust_contrast,
    "saturation": F.adjust_saturation,
    "hue": F.adjust_hue,
}


def _adjust_kernel(name: str) -> Callable[[Any, Params, Any, str], Any]:
    def kernel(op: Any, p: Params, x: Any, fidelity: str) -> Any:
        return ADJUST[name](x, p["factor"])

    kernel.__qualname__ = f"adjust_{name}_kernel"
    return kernel


def _faithful_adjust_kernel(name: str) -> Callable[[Any, Params, Any, str], Any]:
    def kernel(op: Any, p: Params, x: Any, fidelity: str) -> Any:
        return each_image(lambda im: K.adjust(im, name, p["factor"]), x)

    kernel.__qualname__ = f"faithful_{name}_kernel"
    return kernel


def _color_jitter(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    # v2.ColorJitter.transform: components in the drawn order, skipping inactive ones.
    for name in p["order"]:
        if p[name] is not None:
            x = ADJUST[name](x, p[name])
    return x


def _lighting(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return lighting(x, p["alpha"])


def _to_tensor(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return F.to_dtype(x, torch.float32, scale=True)


def _normalize(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return F.normalize(x, list(op.mean), list(op.std))


def _random_apply(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return apply_ops(op.ops, p["ops"], x, fidelity) if p["apply"] else x


def _compose(op: Any, p: Params, x: Any, fidelity: str) -> Any:
    return apply_ops(op.ops, p["ops"], x, fidelity)


def apply_ops(ops: Sequence[Any], plist: Sequence[Params], x: Any, fidelity: str = "native") -> Any:
    """Run each op's kernel: the substitute's where ``fidelity="spec"`` substitutes, else v2's."""
    return apply_records(NAME, RECORDS, ops, plist, x, fidelity)


# ---- builds -----------------------------------------------------------------------------


def _build_color(op: Any) -> v2.ColorJitter:
    if op.op == "color_jitter":
        return v2.ColorJitter(op.brightness, op.contrast, op.saturation, op.hue)
    return v2.ColorJitter(**{op.op: op.factor})


def _build_faithful_color(op: Any) -> FaithfulColorJitter:
    if op.op == "color_jitter":
        return FaithfulColorJitter(op.brightness, op.contrast, op.saturation, op.hue)
    return FaithfulColorJitter(**{op.op: op.factor})


def _resampling_departs(op: Any) -> str | None:
    """Why v2's resampling departs from the reference for this op's interpolation, or None."""
    if op.interpolation == "bicubic":
        return (
            "v2 resize_image (functional/_geometry.py) takes torch's native uint8 antialiased "
            "bicubic on CPU, which rounds and clips to uint8 between its two passes"
        )
    if op.interpolation == "nearest":
        return (
            "v2 resize_image's 'nearest' is torch's legacy nearest: source pixel "
            "floor(i * in / out), not the pixel centre floor((i + 0.5) * in / out)"
        )
    return None


_COLOR_WHY = (
    "v2's uint8 colour kernels (functional/_color.py _blend, adjust_brightness_image) truncate "
    "to uint8 instead of rounding, and contrast/saturation blend with a grey level floored to "
    "an integer and weighted 0.2989 R (_rgb_to_grayscale_image; the spec: 0.299)"
)
_HUE_WHY = (
    "v2's adjust_hue_image works in float HSV, then to_dtype_image truncates x * 255.999 to uint8"
)
# The substitutes are the v1 backend's faithful kernels (measured 0 here); the same allowance
# as there for a .5 tie that a different summation order decides the other way.
_TIES = Tolerance(1.0, 0.001)
_CONTAINER_WHY = "a container: adds no arithmetic; its children's tolerances add up"
_RESAMPLING = Tolerance(1.0, 0.25)
_FLOAT32 = Tolerance(0.001, 0.0001)


def _color_record(name: str, why: str) -> OpRecord:
    return OpRecord(
        name,
        _adjust_kernel(name),
        EXACT if name == "brightness" else _TIES,
        build=_build_color,
        substitute=Substitute(always(why), _build_faithful_color, _faithful_adjust_kernel(name)),
        why=f"{why}; substituted by torchvision_kernels' faithful kernels (the v1 backend's)",
    )


RECORDS: dict[str, OpRecord] = records_table(
    OpRecord(
        "horizontal_flip",
        _hflip,
        EXACT,
        build=lambda op: v2.RandomHorizontalFlip(op.p),
        why="a permutation of pixels (measured 0)",
    ),
    OpRecord(
        "vertical_flip",
        _vflip,
        EXACT,
        build=lambda op: v2.RandomVerticalFlip(op.p),
        why="a permutation of pixels (measured 0)",
    ),
    OpRecord(
        "random_resized_crop",
        _rrc,
        _RESAMPLING,
        build=lambda op: v2.RandomResizedCrop(
            list(op.hw),
            scale=op.scale,
            ratio=op.ratio,
            interpolation=_interp(op.interpolation),
            antialias=True,
        ),
        substitute=Substitute(_resampling_departs, FaithfulRandomResizedCrop, _faithful_rrc),
        why=(
            "bilinear kept: v2 resize_image's uint8 antialiased bilinear (torch's native uint8 "
            "kernel on AVX2/AVX512/arm64 CPUs, else float then round) is PIL's triangle filter "
            "in fixed point: at most one rounding away; bicubic/nearest: see the substitute"
        ),
    ),
    OpRecord(
        "resize",
        _resize,
        _RESAMPLING,
        build=lambda op: v2.Resize(
            op.size if isinstance(op.size, int) else list(op.size),
            interpolation=_interp(op.interpolation),
            antialias=True,
        ),
        substitute=Substitute(_resampling_departs, FaithfulResize, _faithful_resize),
        why="as random_resized_crop (the same resize_image kernel after the crop)",
    ),
    OpRecord(
        "center_crop",
        _center_crop,
        EXACT,
        build=lambda op: v2.CenterCrop(list(op.hw)),
        why="v2 center_crop_image places the box at round((H - h) / 2), as the spec (measured 0)",
    ),
    OpRecord(
        "random_crop",
        _random_crop,
        EXACT,
        build=lambda op: v2.RandomCrop(list(op.hw), padding=op.padding or None, fill=op.fill),
        why="constant padding and slicing only (measured 0)",
    ),
    _color_record("brightness", _COLOR_WHY),
    _color_record("contrast", _COLOR_WHY),
    _color_record("saturation", _COLOR_WHY),
    _color_record("hue", _HUE_WHY),
    OpRecord(
        "color_jitter",
        _color_jitter,
        Tolerance(3.0, 0.001),
        build=_build_color,
        substitute=Substitute(
            always(_COLOR_WHY + "; " + _HUE_WHY), _build_faithful_color, _faithful_jitter
        ),
        why=(
            "substituted; up to four faithful roundings in a row, where a .5 tie decided "
            "differently by the summation order is amplified by the later factors"
        ),
    ),
    OpRecord(
        "lighting",
        _lighting,
        _TIES,
        build=lambda op: Lighting(op.alphastd),
        status="ported",
        why="torchvision.transforms.v2 has no lighting (PCA noise) transform",
    ),
    OpRecord(
        "to_tensor",
        _to_tensor,
        _FLOAT32,
        build=lambda op: v2.ToDtype(torch.float32, scale=True),
        why="v2 to_dtype_image multiplies by 1/255 in float32 (the spec divides): 1 ulp",
    ),
    OpRecord(
        "normalize",
        _normalize,
        _FLOAT32,
        build=lambda op: v2.Normalize(op.mean, op.std),
        why="float32 (x - mean) / std, the spec's formula",
    ),
    # Containers: build gives the v2 class, which compile calls on the built children (they
    # need the fidelity); no tolerance of their own, tolerance(op) adds up their children's.
    OpRecord(
        "random_apply",
        _random_apply,
        EXACT,
        build=lambda op: functools.partial(v2.RandomApply, p=op.p),
        why=_CONTAINER_WHY,
    ),
    OpRecord("compose", _compose, EXACT, build=lambda op: v2.Compose, why=_CONTAINER_WHY),
    *PHOTOMETRIC_RECORDS,
    *GEOMETRY_RECORDS,
    *CH.records(
        lambda *a: apply_ops(*a),
        lambda op: lambda children: v2.RandomChoice(children, p=op.p),
        lambda op: v2.RandomOrder,
    ),
    *TT.V2_RECORDS,
    *FILTER_RECORDS,
)


# ---- the contract ----------------------------------------------------------------------


def compile(spec: Pipeline, fidelity: str = "native") -> Compiled:
    """``spec`` as a ``v2.Compose`` (substitutes in ``fidelity="spec"``).

    The result takes numpy HWC / PIL RGB (converted to a uint8 CHW tensor), uint8 CHW tensors
    and uint8 NCHW batches (one draw per random op for the whole batch, as v2 does).
    """
    check_fidelity(fidelity)
    builds: list[OpBuild] = []
    native = v2.Compose(build_ops(NAME, RECORDS, spec.ops, fidelity, "ops", builds))

    def check(image: Any) -> None:
        trace_hw(spec, input_hw(image))

    return Compiled(NAME, fidelity, native, builds, check=check, prepare=as_tensor_image, spec=spec)


def replay(spec: Pipeline, params: Params, image: Any, fidelity: str = "native") -> Any:
    """Apply sampled ``params`` with v2's functional kernels (the substitutes' where "spec" says).

    Returns a uint8 CHW tensor (NCHW for a batch: the same params for each image), or float32
    after ``to_tensor``.
    """
    check_fidelity(fidelity)
    plist = check_replay(spec, params, input_hw(image))
    return apply_ops(spec.ops, plist, as_tensor_image(image), fidelity)


def seed(n: int) -> None:
    """Seed every RNG v2's classes (and the port and substitutes) draw from: torch's."""
    torch.manual_seed(n)


def tolerance(op: Any) -> Tolerance:
    """The stated tolerance of ``op`` (an op or its name); a composition adds up its children's."""
    return stated_tolerance(NAME, RECORDS, op)


def _rrc_boxes(op: Any) -> Callable[[tuple[int, int], int, int], list[tuple[int, int, int, int]]]:
    def draw(hw: tuple[int, int], n: int, seed: int) -> list[tuple[int, int, int, int]]:
        """n boxes (top, left, height, width) from v2.RandomResizedCrop's public make_params."""
        transform = v2.RandomResizedCrop(
            list(op.hw), scale=op.scale, ratio=op.ratio, antialias=True
        )
        # make_params reads only the size: a zero-stride view allocates no pixels.
        probe = torch.zeros((), dtype=torch.uint8).expand(3, hw[0], hw[1])
        with torch.random.fork_rng(devices=[]):  # leaves the global generator as it was
            torch.manual_seed(seed)
            boxes = [transform.make_params([probe]) for _ in range(n)]
        return [(int(b["top"]), int(b["left"]), int(b["height"]), int(b["width"])) for b in boxes]

    return draw


def native_sampler(op: Any) -> Callable[[tuple[int, int], int, int], list[Any]] | None:
    """For the parity report: v2's own random_resized_crop box sampler; None for other ops."""
    if getattr(op, "op", None) == "random_resized_crop":
        return _rrc_boxes(op)
    return None
