"""The MXNet Gluon backend: augspec specs as ``mxnet.gluon.data.vision.transforms``.

Input: ``mx.nd.NDArray`` HWC uint8 (what ``mx.image.imread`` gives); numpy arrays and PIL
images are converted (``Compiled.prepare``). Output: NDArray.

:data:`RECORDS` holds one :class:`~augspec.contract.OpRecord` per op: the gluon class the
chapter writes (or the port where gluon's class cannot express the op's arguments, see
:class:`Port`), the replay kernel with mxnet's numerics, the faithful substitute that
``fidelity="spec"`` uses where the native class measured beyond the stated tolerance, that
tolerance (max and mean absolute difference to the reference, 0-255 units; tensors x 255)
and the sourced reasons. Numbers from ``benchmarks/measure_gluon.py``.

RNGs (measured by seeding one at a time): the C++ image ops (flips, colour, lighting) and
augspec's ported/faithful Blocks draw from mxnet's RNG; ``RandomResizedCrop`` and
``RandomApply`` from Python's ``random``. numpy's global RNG is not used. :func:`seed` seeds both.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from augspec.backends import choice as CH
from augspec.backends import gluon_blocks as B
from augspec.backends import gluon_choice as GC
from augspec.backends import gluon_filters as GF
from augspec.backends import gluon_kernels as K
from augspec.backends import gluon_photometric as P
from augspec.backends import gluon_tensor_ops as GT
from augspec.backends.gluon_geometry import RECORDS as GEOMETRY_RECORDS
from augspec.backends.gluon_kernels import INTERP_CODES, NDArray, mx_float
from augspec.backends.gluon_mx import mx, transforms

from augspec.compiled import Compiled, OpBuild, cached_input_check
from augspec.contract import (
    EXACT,
    OpRecord,
    Port,
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
from augspec.ops import ColorJitter, Compose, Hue, OpBase, RandomApply, RandomResizedCrop
from augspec.pipeline import Pipeline
from augspec.sampling import Params, check_replay

NAME = "gluon"


# ---- argument translation ------------------------------------------------------------


def _symmetric_amount(rng: tuple[float, float], clamped: bool) -> float | None:
    """b such that ``rng`` is (max(0, 1-b), 1+b) (or (1-b, 1+b) with b <= 1); None if none."""
    b = rng[1] - 1.0
    lo = max(0.0, 1.0 - b) if clamped else 1.0 - b
    if b < 0 or abs(lo - rng[0]) > 1e-12 or (not clamped and b > 1):
        return None
    return b


def _jitter_args(op: ColorJitter) -> dict[str, float] | None:
    """RandomColorJitter's arguments, or None where it cannot express the ranges."""
    args: dict[str, float] = {}
    for name, rng in op.ranges().items():
        if rng is None:
            args[name] = 0.0
        elif name == "hue":
            if rng[0] != -rng[1]:
                return None
            args[name] = mx_float(rng[1])  # mxnet refuses a float32 subnormal
        else:
            amount = _symmetric_amount(rng, clamped=False)
            if amount is None:
                return None
            args[name] = mx_float(amount)
    return args


def _expressible(args: Any, op: OpBase) -> Any:
    """The native class's arguments; the record's port is built wherever there are none."""
    if args is None:
        raise ValueError(f"{op.op}: Expected arguments gluon's class can express; received {op!r}")
    return args


def _hue_amount(op: Hue) -> float | None:
    lo, hi = op.range
    return hi if lo == -hi else None


def _flip_port(gluon_class: str) -> Callable[[Any], str | None]:
    return lambda op: None if op.p == 0.5 else f"gluon's {gluon_class} flips with p = 0.5 only"


# ---- composition: recurse through this backend's records -------------------------------


def _compose_kernel(op: Compose, p: Params, x: NDArray, fidelity: str) -> NDArray:
    return apply_ops(op.ops, p["ops"], x, fidelity)


def _random_apply_kernel(op: RandomApply, p: Params, x: NDArray, fidelity: str) -> NDArray:
    return apply_ops(op.ops, p["ops"], x, fidelity) if p["apply"] else x


# ---- the records ----------------------------------------------------------------------

# Float64 dot products in another order than the reference's einsum: a value at exactly .5
# may round the other way (measured: max 1, mean < 1e-4); the same one tie of room elsewhere.
ONE_TIE = Tolerance(1.0, 0.001)
# Tensor ops measured 0: float32 rounding room.
FLOAT32_ROOM = Tolerance(1e-3, 1e-4)
# mxnet's saturate_cast truncates where the spec rounds half up: at most 1 level, always down.
TRUNCATES = "mxnet truncates instead of rounding (max 1, biased down)"
# OpenCV resize, what mxnet's resize runs: no antialiasing when shrinking, nearest samples
# floor(i*in/out), cubic a=-0.75 (photo -> 224: max 88, mean 3.3; upscaling to 900x800: max 1,
# mean 0.12; a 224 crop of the photo: max 83, mean 2.2).
OPENCV_RESIZE = "OpenCV resize: no antialiasing when shrinking, other nearest/cubic"


def _flip_record(
    op: str, gluon_class: Any, port: type[B.AugspecBlock], exact: type[B.AugspecBlock], departs: str
) -> OpRecord:
    # mxnet's flip kernel (FlipImpl, shared by the classes and mx.nd.image.flip_*) swaps pairs into
    # a fresh output and never writes the middle line of an odd size: max 255 on odd edge images,
    # exact on even sizes. compile cannot know the image size, so "spec" substitutes every size.
    return OpRecord(
        op,
        kernel=port.kernel,
        tolerance=EXACT,
        build=lambda _: gluon_class(),
        port=Port(_flip_port(gluon_class.__name__), port),
        substitute=Substitute(always(departs), exact, exact.kernel),
    )


def _factor_record(
    name: str,
    gluon_class: Any,
    port: type[B.AugspecBlock],
    faithful: type[B.AugspecBlock],
    departs: str,
) -> OpRecord:
    """brightness / contrast / saturation: ``gluon_class(b)`` draws from ``[max(0, 1-b), 1+b]``."""

    def amount(op: Any) -> float | None:
        return _symmetric_amount(op.range, clamped=True)

    return OpRecord(
        name,
        kernel=port.kernel,
        tolerance=ONE_TIE,
        build=lambda op: gluon_class(_expressible(amount(op), op)),
        port=Port(
            lambda op: (
                None
                if amount(op) is not None
                else f"gluon's {gluon_class.__name__}(b) draws from [max(0, 1-b), 1+b] only"
            ),
            port,
        ),
        substitute=Substitute(always(departs), faithful, faithful.kernel),
        why="measured 0 against the reference in fidelity spec; one rounding tie of room",
    )


def _photometric_port(
    name: str, block: type[B.AugspecBlock], tolerance: Tolerance = EXACT
) -> OpRecord:
    return OpRecord(
        name,
        kernel=block.kernel,
        tolerance=tolerance,
        build=block,
        status="ported",
        why=f"gluon.data.vision.transforms (mxnet 1.9.1) has no {name} class",
    )


RECORDS: Mapping[str, OpRecord] = records_table(
    _flip_record(
        "horizontal_flip",
        transforms.RandomFlipLeftRight,
        B.RandomFlipLeftRightP,
        B.FaithfulFlipLeftRight,
        "mxnet's flip leaves the middle column unwritten on odd widths",
    ),
    _flip_record(
        "vertical_flip",
        transforms.RandomFlipTopBottom,
        B.RandomFlipTopBottomP,
        B.FaithfulFlipTopBottom,
        "mxnet's flip leaves the middle row unwritten on odd heights",
    ),
    # RandomResizedCrop((w, h), scale, ratio, interpolation=OpenCV code). Its sampler
    # (mx.image.random_size_crop, Python random) has no w > 0 check (see B.RandomResizedCrop)
    # and falls back to a centre crop of ``size`` without resizing, not torchvision's clamped box.
    OpRecord(
        "random_resized_crop",
        kernel=K.native_resized_crop,
        tolerance=ONE_TIE,
        build=lambda op: B.RandomResizedCrop(
            (op.hw[1], op.hw[0]),
            scale=op.scale,
            ratio=op.ratio,
            interpolation=INTERP_CODES[op.interpolation],
        ),
        substitute=Substitute(
            always(OPENCV_RESIZE), B.FaithfulRandomResizedCrop, K.faithful_resized_crop
        ),
        why="float64 dot products in another order than the reference's: one rounding tie (max 1)",
    ),
    # Resize((w, h)); an int size -> Resize(size, keep_ratio=True) (shorter side; the long side
    # truncated, int(data_h * size / data_w), as torchvision's int(): the same sizes).
    OpRecord(
        "resize",
        kernel=K.native_resize,
        tolerance=ONE_TIE,
        build=lambda op: (
            transforms.Resize(
                (op.size[1], op.size[0]), interpolation=INTERP_CODES[op.interpolation]
            )
            if isinstance(op.size, tuple)
            else transforms.Resize(
                op.size, keep_ratio=True, interpolation=INTERP_CODES[op.interpolation]
            )
        ),
        substitute=Substitute(always(OPENCV_RESIZE), B.FaithfulResize, K.faithful_resize_kernel),
        why="float64 dot products in another order than the reference's: one rounding tie (max 1)",
    ),
    # Gluon truncates the offset int((W - w) / 2), torchvision and the spec round it: a one-pixel
    # shift when (W - w) / 2 ends in .5 and rounds up (photo, 97x61: max 102, mean 12.6; 224: exact).
    OpRecord(
        "center_crop",
        kernel=K.native_center_crop,
        tolerance=EXACT,
        build=lambda op: transforms.CenterCrop((op.hw[1], op.hw[0])),
        substitute=Substitute(
            always("offset truncated int((W-w)/2), spec rounds it: 1 px shift"),
            B.FaithfulCenterCrop,
            K.faithful_center_crop,
        ),
    ),
    OpRecord(
        "random_crop",
        kernel=K.pad_and_crop,
        tolerance=EXACT,
        build=B.RandomCrop,
        status="ported",
        why="no gluon class for this op (pad + random box)",
    ),
    _factor_record(
        "brightness",
        transforms.RandomBrightness,
        B.RandomBrightnessRange,
        B.FaithfulBrightness,
        TRUNCATES,
    ),
    _factor_record(
        "contrast", transforms.RandomContrast, B.RandomContrastRange, B.FaithfulContrast, TRUNCATES
    ),
    # mxnet's AdjustSaturationImpl assigns instead of summing the grey level (gray = 0.114 * B):
    # photo, factor 0.5: max 100, mean 12.7; max 193 over the edge cases.
    _factor_record(
        "saturation",
        transforms.RandomSaturation,
        B.RandomSaturationRange,
        B.FaithfulSaturation,
        "mxnet's grey level is 0.114*B only (assignment bug): max 100 on the photo",
    ),
    # RandomHue(h) draws 1 + U(-h, h) turns: the same angle as the spec's U(-h, h).
    OpRecord(
        "hue",
        kernel=B.RandomHueRange.kernel,
        tolerance=ONE_TIE,
        build=lambda op: transforms.RandomHue(_expressible(_hue_amount(op), op)),
        port=Port(
            lambda op: (
                None
                if _hue_amount(op) is not None
                else "gluon's RandomHue(h) shifts by a symmetric range [-h, h] only"
            ),
            B.RandomHueRange,
        ),
        substitute=Substitute(
            always("HLS rotation truncated instead of rounded (max 1)"),
            B.FaithfulHue,
            B.FaithfulHue.kernel,
        ),
        why="measured 0 against the reference in fidelity spec; one rounding tie of room",
    ),
    # RandomColorJitter(b, c, s, h) when every range is 1 +- x with x <= 1 (gluon draws
    # 1 + U(-b, b), no clamp at 0) and hue is symmetric. One rounding per component: a .5 tie
    # that the summation order decides differently in one step is one level there, and every
    # later blend multiplies it by its factor: 1 -> 1.4 -> 1.96 under two later factors of 1.4,
    # i.e. 3 after rounding (measured: max 3, mean 1e-5 on the photo, all factors 1.4).
    OpRecord(
        "color_jitter",
        kernel=B.RandomColorJitterRange.kernel,
        tolerance=Tolerance(3.0, 0.001),
        build=lambda op: transforms.RandomColorJitter(**_expressible(_jitter_args(op), op)),
        port=Port(
            lambda op: (
                None
                if _jitter_args(op) is not None
                else "gluon's RandomColorJitter draws 1 + U(-x, x) (no clamp at 0) and a symmetric hue only"
            ),
            B.RandomColorJitterRange,
        ),
        substitute=Substitute(
            always("saturation grey-level bug and truncation, as the single ops"),
            B.FaithfulColorJitter,
            B.FaithfulColorJitter.kernel,
        ),
        why="a rounding tie in one component is scaled by the later components' factors (max 3)",
    ),
    OpRecord(
        "lighting",
        kernel=K.native_lighting,
        tolerance=ONE_TIE,
        build=lambda op: transforms.RandomLighting(
            mx_float(op.alphastd)
        ),  # mxnet refuses a subnormal
        substitute=Substitute(always(TRUNCATES), B.FaithfulLighting, K.faithful_lighting),
        why="measured 0 against the reference in fidelity spec; one rounding tie of room",
    ),
    OpRecord(
        "to_tensor",
        kernel=K.to_tensor,
        tolerance=FLOAT32_ROOM,
        build=lambda op: transforms.ToTensor(),
    ),
    OpRecord(
        "normalize",
        kernel=K.normalize,
        tolerance=FLOAT32_ROOM,
        build=lambda op: transforms.Normalize(mean=tuple(op.mean), std=tuple(op.std)),
    ),
    # RandomApply(Compose(ops), p) applies when random.random() <= p; Compose(ops). compile
    # builds both around their children's blocks (a build needs the fidelity and positions).
    # Compositions build constructors of their built children (contract.build_tree).
    OpRecord(
        "random_apply",
        kernel=_random_apply_kernel,
        tolerance=EXACT,
        build=lambda op: (
            lambda children: transforms.RandomApply(transforms.Compose(children), op.p)
        ),
    ),
    OpRecord(
        "compose", kernel=_compose_kernel, tolerance=EXACT, build=lambda op: transforms.Compose
    ),
    *CH.records(
        lambda *a: apply_ops(*a),  # defined below
        GC.build_choice,
        GC.build_order,
        status="ported",
        why="gluon.data.vision.transforms (mxnet 1.9.1) has no RandomChoice / RandomOrder",
    ),
    _photometric_port("random_erasing", GT.RandomErasing),  # on the CHW float32 tensor
    # Photometric: no gluon class; ported as Blocks with mx.nd ops (exact integer maths).
    _photometric_port("invert", P.RandomInvert),
    _photometric_port("solarize", P.RandomSolarize),
    _photometric_port("posterize", P.RandomPosterize),
    _photometric_port("grayscale", P.Grayscale, ONE_TIE),
    _photometric_port("random_grayscale", P.RandomGrayscale, ONE_TIE),
    _photometric_port("autocontrast", P.RandomAutocontrast),
    _photometric_port("equalize", P.RandomEqualize),
    _photometric_port("channel_permutation", P.RandomChannelPermutation),
    _photometric_port("sharpness", P.RandomAdjustSharpness, ONE_TIE),
    *GEOMETRY_RECORDS,  # pad (ported), rotation: backends/gluon_geometry.py
    _photometric_port("gaussian_blur", GF.GaussianBlur, ONE_TIE),  # no gluon blur class
    _photometric_port("gaussian_noise", GF.GaussianNoise, Tolerance(0.001, 0.0001)),
    _photometric_port("jpeg", GF.JPEG, GF.JPEG_DECODE),
)


def tolerance(op: Any) -> Tolerance:
    """The stated tolerance of ``op`` (an op or its name); a composition adds up its children's."""
    return stated_tolerance(NAME, RECORDS, op)


# ---- input -----------------------------------------------------------------------


def image_hw(image: Any, where: str = "image") -> tuple[int, int]:
    """Check an input image (same errors as every backend); return its (height, width)."""
    if isinstance(image, mx.nd.NDArray):
        return check_hwc_uint8(tuple(image.shape), np.dtype(image.dtype).name, where)
    if not isinstance(image, np.ndarray) and not hasattr(image, "getbands"):
        raise ValueError(
            f"{where}: Expected an mx NDArray, numpy array or PIL image; "
            f"received {type(image).__name__}"
        )
    h, w = to_numpy_image(image, where).shape[:2]
    return int(h), int(w)


def prepare(image: Any) -> NDArray:
    """numpy / PIL -> mx NDArray HWC uint8 (what the gluon transforms take)."""
    if isinstance(image, mx.nd.NDArray):
        return image
    return mx.nd.array(np.ascontiguousarray(to_numpy_image(image)), dtype="uint8")


def _uint8_ndarray_shape(image: Any) -> tuple[int, ...] | None:
    """Whether an NDArray passes the input check depends on its dtype and shape alone."""
    return image.shape if type(image) is mx.nd.NDArray and image.dtype is np.uint8 else None


# ---- compile ---------------------------------------------------------------------


def compile(spec: Pipeline, fidelity: str = "native") -> Compiled:
    """A ``transforms.Compose`` of gluon classes (and ported / faithful Blocks)."""
    check_fidelity(fidelity)
    builds: list[OpBuild] = []
    native = transforms.Compose(build_ops(NAME, RECORDS, spec.ops, fidelity, "ops", builds))
    return Compiled(
        NAME,
        fidelity,
        native,
        builds,
        check=cached_input_check(spec, image_hw, _uint8_ndarray_shape),
        prepare=prepare,
        spec=spec,
    )


# ---- replay, conversion, seeding, samplers ---------------------------------------------


def apply_ops(ops: list[OpBase], plist: list[Params], x: NDArray, fidelity: str) -> NDArray:
    """Each op's kernel (the substitute's where ``fidelity="spec"`` substitutes)."""
    return apply_records(NAME, RECORDS, ops, plist, x, fidelity)


def replay(spec: Pipeline, params: Params, image: Any, fidelity: str = "native") -> NDArray:
    """Apply sampled params with mxnet's functional ops ("spec": the faithful substitutes)."""
    check_fidelity(fidelity)
    plist = check_replay(spec, params, image_hw(image))
    return apply_ops(spec.ops, plist, prepare(image), fidelity)


def to_numpy(x: Any) -> np.ndarray:
    """numpy HWC uint8 for images, CHW float32 for tensors."""
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, mx.nd.NDArray):
        out = x.asnumpy()
        if out.dtype not in (np.uint8, np.float32):
            raise ValueError(
                f"Expected a uint8 image or float32 tensor; received dtype {out.dtype}"
            )
        return out
    raise ValueError(f"Expected an mx NDArray or numpy array; received {type(x).__name__}")


def seed(n: int) -> None:
    """Seed every RNG the gluon classes draw from: mxnet's and Python's ``random``."""
    random.seed(n)
    mx.random.seed(n)


def native_sampler(op: OpBase) -> Callable[[tuple[int, int], int, int], list[Any]] | None:
    """gluon's own crop-box sampler for random_resized_crop (for the parity report); else None."""
    if not isinstance(op, RandomResizedCrop):
        return None
    size = (op.hw[1], op.hw[0])  # mxnet's (w, h)

    def random_size_crop_boxes(
        hw: tuple[int, int], n: int, seed_value: int
    ) -> list[tuple[int, int, int, int]]:
        """mxnet.image.random_size_crop (called by gluon RandomResizedCrop): (top, left, height, width)."""
        seed(seed_value)
        image = mx.nd.zeros((*hw, 3), dtype="uint8")
        boxes = []
        for _ in range(n):
            _, (x0, y0, w, h) = mx.image.random_size_crop(image, size, op.scale, op.ratio)
            boxes.append((int(y0), int(x0), int(h), int(w)))
        return boxes

    return random_size_crop_boxes
