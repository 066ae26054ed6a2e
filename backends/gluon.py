"""The MXNet Gluon backend: augspec specs as ``mxnet.gluon.data.vision.transforms``.

Input: ``mx.nd.NDArray`` HWC uint8 (what ``mx.image.imread`` gives); numpy
arrays and PIL images are converted (``Compiled.prepare``). Output: NDArray.

Per op (native class and translation; status in fidelity "spec"; measured
reason, numbers from ``benchmarks/measure_gluon.py`` vs the reference, 0-255).
"spec" substitutes an op iff its native class measured beyond the op's stated
spec tolerance, :data:`TOLERANCES`; :data:`NATIVE_ENVELOPE` keeps what the
native classes measured, for the regression tests:

- horizontal_flip / vertical_flip: ``RandomFlipLeftRight()`` / ``RandomFlipTopBottom()``
  when p == 0.5 (fixed in gluon: ``std::bernoulli_distribution()``); any other p
  is the ported ``RandomFlipLeftRightP`` / ``RandomFlipTopBottomP`` (same mxnet kernel).
  Substituted: mxnet's flip kernel (``FlipImpl``, shared by the classes and
  ``mx.nd.image.flip_*``) swaps pairs into a fresh output and never writes
  the middle column (odd width) / row (odd height): zeros or stale memory
  there (max 255 on odd edge images; exact on even sizes). compile cannot
  know the image size, so "spec" substitutes ``mx.nd.flip`` for every size.
- random_resized_crop: ``RandomResizedCrop((w, h), scale, ratio, interpolation=code)``;
  codes are OpenCV's (measured: 0 nearest, 1 bilinear, 2 bicubic, 3 area).
  Substituted: OpenCV resize has no antialiasing when shrinking (photo, size
  224: max 83, mean 2.2), its nearest samples ``floor(i*in/out)`` and its
  cubic uses a=-0.75. Gluon's sampler (``mx.image.random_size_crop``, Python
  ``random``) has no ``w > 0`` check (on a 1x1 image ~20-25% of calls draw an
  empty box; "native" keeps the draws and raises augspec's ValueError for them
  instead of mxnet's error, see ``_RandomResizedCrop``) and falls back to a
  centre crop of ``size`` without resizing, not torchvision's clamped box.
- resize: ``Resize((w, h))``; an int size -> ``Resize(size, keep_ratio=True)``
  (shorter side; the long side is truncated, ``int(data_h * size / data_w)``,
  as torchvision's ``int()``: same sizes). Substituted: OpenCV resize (photo
  -> 224: max 88, mean 3.3; upscaling to 900x800: max 1, mean 0.12).
- center_crop: ``CenterCrop((w, h))``. Substituted: gluon truncates the offset
  ``int((W - w) / 2)``, torchvision/spec round it: a one-pixel shift when
  ``(W - w) / 2`` ends in .5 and rounds up (photo, 97x61: max 102, mean 12.6;
  224: exact).
- random_crop: no gluon class; ported ``RandomCrop`` Block (pad + slice, exact).
- brightness / contrast: ``RandomBrightness(b)`` / ``RandomContrast(c)`` (range
  ``[max(0, 1-b), 1+b]`` as the spec); other ranges -> ported ``*Range`` Blocks
  on mxnet's kernel. Substituted: mxnet's ``saturate_cast`` truncates instead
  of rounding (max 1, mean ~0.5, always towards 0).
- saturation: ``RandomSaturation(s)``. Substituted: mxnet's kernel assigns
  ``gray = B * 0.114`` instead of summing the three channels (photo, 0.5:
  max 100, mean 12.7; max 193 over the edge cases).
- hue: ``RandomHue(h)`` (draws ``1 + U(-h, h)`` turns: the same angle).
  Substituted: HLS rotation with truncation (max 1, mean ~0.35).
- color_jitter: ``RandomColorJitter(b, c, s, h)`` when every range is
  ``1 +- x`` with x <= 1 (gluon draws ``1 + U(-b, b)`` with no clamp at 0)
  and hue is symmetric; else the ported ``RandomColorJitterRange``.
  Substituted: the saturation bug and truncation above.
- lighting: ``RandomLighting(alphastd)``. Substituted: truncation (max 1).
- to_tensor: ``ToTensor()``; normalize: ``Normalize(mean, std)``. Native (exact).
- random_apply: ``RandomApply(Compose(ops), p)`` (applies when ``random.random() <= p``);
  compose: ``Compose(ops)``. Native.

RNGs (measured by seeding one at a time): the C++ image ops
(flips, colour, lighting) and augspec's ported/faithful Blocks draw from
mxnet's RNG; ``RandomResizedCrop`` and ``RandomApply`` from Python's
``random``. numpy's global RNG is not used. :func:`seed` seeds both.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
from augspec.backends.gluon_blocks import FAITHFUL, PORTED, block_for
from augspec.backends.gluon_kernels import INTERP_CODES, NDArray, apply_ops, mx_float
from augspec.backends.gluon_mx import mx, transforms

from augspec.compiled import Compiled, OpBuild, Status
from augspec.images import check_hwc_uint8, to_numpy_image
from augspec.ops import (
    Brightness,
    CenterCrop,
    ColorJitter,
    Compose,
    Contrast,
    Hue,
    Lighting,
    Normalize,
    OpBase,
    RandomApply,
    RandomResizedCrop,
    Resize,
    Saturation,
)
from augspec.pipeline import Pipeline, trace_hw
from augspec.sampling import Params, check_replay

NAME = "gluon"

# Two tables of (max_abs, mean_abs) vs the reference, 0-255 units (tensors compared
# after *255). Tensor ops get 1e-3 / 1e-4 where 0 was measured (float32 rounding room).
#
# TOLERANCES: the stated spec tolerance, what "agrees with the spec" means for this
# backend. fidelity="spec" keeps an op's native class iff its measured native
# difference is within it (FAITHFUL lists exactly the ops whose native class is
# not), the tests hold fidelity="spec" to it, and the parity report judges both
# fidelities by it.
TOLERANCES: dict[str, tuple[float, float]] = {
    "horizontal_flip": (0.0, 0.0),
    "vertical_flip": (0.0, 0.0),
    # float64 dot products in another order than the reference's einsum:
    # a value at exactly .5 may round the other way (measured: max 1, mean < 1e-4).
    "random_resized_crop": (1.0, 0.001),
    "resize": (1.0, 0.001),
    "center_crop": (0.0, 0.0),
    "random_crop": (0.0, 0.0),
    # Measured 0; one rounding tie of room, as for resize.
    "brightness": (1.0, 0.001),
    "contrast": (1.0, 0.001),
    "saturation": (1.0, 0.001),
    "hue": (1.0, 0.001),
    # One rounding per component: a .5 tie that the summation order decides
    # differently in one step (the grey level 0.299 R + 0.587 G + 0.114 B is often
    # an exact multiple of 0.001, so k * x + (1 - k) * grey lands on .5) is one
    # level there, and every later blend multiplies it by its factor: 1 -> 1.4 ->
    # 1.96 under two later factors of 1.4, i.e. 3 after rounding (measured: max 3,
    # mean 1e-5 on the photo, all factors 1.4, saturation first; torchvision's
    # substitute gives the same values, only the reference's sum differs).
    "color_jitter": (3.0, 0.001),
    "lighting": (1.0, 0.001),
    "to_tensor": (1e-3, 1e-4),
    "normalize": (1e-3, 1e-4),
}

# NATIVE_ENVELOPE: what fidelity="native" measured over the photo, edge cases and
# 8 seeds (benchmarks/measure_gluon.py), rounded up a little; for the backend's
# regression tests only.
NATIVE_ENVELOPE: dict[str, tuple[float, float]] = {
    **TOLERANCES,
    # Unwritten middle column/row on odd sizes (stale memory): any value there.
    "horizontal_flip": (255.0, 0.5),
    "vertical_flip": (255.0, 0.5),
    # OpenCV resize: no antialiasing when shrinking, nearest at floor(i*in/out),
    # cubic a=-0.75 (and a 1x1 box upscaled differs nowhere, a 224 crop a lot).
    "random_resized_crop": (255.0, 2.0),
    "resize": (255.0, 1.0),
    # Offset int((W-w)/2) vs round((W-w)/2): whole-image one-pixel shifts.
    "center_crop": (255.0, 16.0),
    # saturate_cast truncates: every value may be 1 lower than the spec's rounding.
    "brightness": (1.0, 0.5),
    "contrast": (1.0, 0.5),
    # Grey level 0.114*B only (the loop assigns instead of summing).
    "saturation": (200.0, 25.0),
    # HLS rotation in float32, truncated.
    "hue": (1.0, 0.4),
    # The saturation bug and truncation, composed in random order.
    "color_jitter": (100.0, 8.0),
    "lighting": (1.0, 0.5),
}

SUBSTITUTE_WHY = {
    "horizontal_flip": "mxnet's flip leaves the middle column unwritten on odd widths",
    "vertical_flip": "mxnet's flip leaves the middle row unwritten on odd heights",
    "random_resized_crop": "OpenCV resize: no antialiasing when shrinking, other nearest/cubic",
    "resize": "OpenCV resize: no antialiasing when shrinking, other nearest/cubic",
    "center_crop": "offset truncated int((W-w)/2), spec rounds it: 1 px shift",
    "brightness": "mxnet truncates instead of rounding (max 1, biased down)",
    "contrast": "mxnet truncates instead of rounding (max 1, biased down)",
    "saturation": "mxnet's grey level is 0.114*B only (assignment bug): max 100 on the photo",
    "hue": "HLS rotation truncated instead of rounded (max 1)",
    "color_jitter": "saturation grey-level bug and truncation, as the single ops",
    "lighting": "mxnet truncates instead of rounding (max 1, biased down)",
}


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


def _checker(spec: Pipeline) -> Any:
    def check(image: Any) -> None:
        trace_hw(spec, image_hw(image))

    return check


# ---- compile ---------------------------------------------------------------------


def _symmetric_amount(rng: tuple[float, float], clamped: bool) -> float | None:
    """b such that ``rng`` is (max(0, 1-b), 1+b) (or (1-b, 1+b) with b <= 1); None if none."""
    b = rng[1] - 1.0
    lo = max(0.0, 1.0 - b) if clamped else 1.0 - b
    if b < 0 or abs(lo - rng[0]) > 1e-12 or (not clamped and b > 1):
        return None
    return b


def _native_factor(op: OpBase) -> Any:
    """The gluon class for a brightness/contrast/saturation/hue op, or None if not expressible."""
    if isinstance(op, Hue):
        lo, hi = op.range
        return transforms.RandomHue(hi) if lo == -hi else None
    cls = {
        "brightness": transforms.RandomBrightness,
        "contrast": transforms.RandomContrast,
        "saturation": transforms.RandomSaturation,
    }[op.op]
    amount = _symmetric_amount(op.range, clamped=True)  # type: ignore[attr-defined]
    return None if amount is None else cls(amount)


def _native_jitter(op: ColorJitter) -> Any:
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
    return transforms.RandomColorJitter(**args)


class _RandomResizedCrop(transforms.RandomResizedCrop):
    """gluon's own ``RandomResizedCrop`` (same draws, same output), with one difference.

    ``mx.image.random_size_crop`` has no ``w > 0`` check: on an image where
    ``scale[0] * H * W * ratio < 0.25`` (a 1x1 or 2x2 image with the default
    scale) it can draw an empty box, and mxnet then fails inside ``slice`` or
    OpenCV's resize (measured: ~20-25% of calls on 1x1), sometimes only when
    the result is read. When its ten tries all miss, its fallback centre crop
    (``mx.image.scale_down(image, size)``) is empty too where the image is much
    smaller than ``size`` on one side (a 1x3 image, size (1, 4): every call fails;
    found by tests/test_properties.py). Here those cases are waited for and raised
    as augspec's ValueError; images where no empty box can be drawn run untouched.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._safe_shapes: set[tuple[int, int, int]] = set()  # uint8 HWC shapes: no empty box

    def forward(self, x: NDArray) -> NDArray:
        # The guard below costs ~2 us per call (reading .shape, scale_down); a uint8 image
        # of a shape it already passed is read with the shared probe and runs untouched.
        dims = _PROBE(x.handle) if _PROBE is not None and type(x) is mx.nd.NDArray else None
        if dims is not None and dims in self._safe_shapes:
            return super().forward(x)
        size, scale, ratio, _ = self._args
        h, w = int(x.shape[0]), int(x.shape[1])
        empty_fallback = 0 in mx.image.scale_down((w, h), size)
        if scale[0] * h * w * min(ratio[0], 1 / ratio[1]) > 0.25 and not empty_fallback:
            if dims is not None and len(self._safe_shapes) < 4096:
                self._safe_shapes.add(dims)
            return super().forward(x)  # no empty box possible
        try:
            out = super().forward(x)
            out.wait_to_read()
        except mx.base.MXNetError:
            raise ValueError(
                f"random_resized_crop: gluon's native RandomResizedCrop drew an empty crop box on "
                f"a {h}x{w} image (mx.image.random_size_crop has no width > 0 check; possible when "
                f"scale[0] * H * W * ratio < 0.25, or, after ten misses, when its fallback centre crop "
                f"of size {list(size)} (w, h) is empty; received scale={list(scale)}, ratio={list(ratio)}). "
                "Expected a larger image; or use fidelity='spec', whose crop box is never empty"
            ) from None
        return out


_RandomResizedCrop.__name__ = _RandomResizedCrop.__qualname__ = "RandomResizedCrop"


def _native_block(op: OpBase) -> Any:
    """The gluon class a user would write for ``op``, or None where gluon has none."""
    if op.op == "horizontal_flip":
        return transforms.RandomFlipLeftRight() if op.p == 0.5 else None  # type: ignore[attr-defined]
    if op.op == "vertical_flip":
        return transforms.RandomFlipTopBottom() if op.p == 0.5 else None  # type: ignore[attr-defined]
    if isinstance(op, RandomResizedCrop):
        h, w = op.hw
        return _RandomResizedCrop(
            (w, h), scale=op.scale, ratio=op.ratio, interpolation=INTERP_CODES[op.interpolation]
        )
    if isinstance(op, Resize):
        code = INTERP_CODES[op.interpolation]
        if isinstance(op.size, tuple):
            return transforms.Resize((op.size[1], op.size[0]), interpolation=code)
        return transforms.Resize(op.size, keep_ratio=True, interpolation=code)
    if isinstance(op, CenterCrop):
        h, w = op.hw
        return transforms.CenterCrop((w, h))
    if isinstance(op, (Brightness, Contrast, Saturation, Hue)):
        return _native_factor(op)
    if isinstance(op, ColorJitter):
        return _native_jitter(op)
    if isinstance(op, Lighting):
        return transforms.RandomLighting(mx_float(op.alphastd))  # mxnet refuses a float32 subnormal
    if op.op == "to_tensor":
        return transforms.ToTensor()
    if isinstance(op, Normalize):
        return transforms.Normalize(mean=tuple(op.mean), std=tuple(op.std))
    return None  # random_crop


def _build_op(op: OpBase, fidelity: str, position: str, builds: list[OpBuild]) -> Any:
    if isinstance(op, (Compose, RandomApply)):
        entry = len(builds)
        builds.append(OpBuild(position, op.op, "native", ""))  # completed below
        inner = _build_ops(op.ops, fidelity, f"{position}.ops", builds)
        if isinstance(op, RandomApply):
            block, cls = transforms.RandomApply(inner, op.p), "RandomApply(Compose)"
        else:
            block, cls = inner, "Compose"
        builds[entry] = OpBuild(position, op.op, "native", cls)
        return block
    status: Status
    if fidelity == "spec" and op.op in FAITHFUL:
        block, status, why = block_for(FAITHFUL, op), "substituted", SUBSTITUTE_WHY[op.op]
    else:
        block, status, why = _native_block(op), "native", ""
        if block is None:
            block, status = block_for(PORTED, op), "ported"
            why = "no gluon class for this op" if op.op == "random_crop" else (
                "gluon's class cannot express these arguments"
            )
    builds.append(OpBuild(position, op.op, status, type(block).__name__, why))
    return block


def _build_ops(ops: list[OpBase], fidelity: str, path: str, builds: list[OpBuild]) -> Any:
    blocks = [_build_op(op, fidelity, f"{path}[{i}]", builds) for i, op in enumerate(ops)]
    return transforms.Compose(blocks)


def _check_fidelity(fidelity: str) -> None:
    if fidelity not in ("native", "spec"):
        raise ValueError(f"Expected fidelity 'native' or 'spec'; received fidelity={fidelity!r}")


def compile(spec: Pipeline, fidelity: str = "native") -> Compiled:
    """A ``transforms.Compose`` of gluon classes (and ported / faithful Blocks)."""
    _check_fidelity(fidelity)
    builds: list[OpBuild] = []
    native = _build_ops(spec.ops, fidelity, "ops", builds)
    check = _checker(spec)
    return Compiled(NAME, fidelity, native, builds, check=check, prepare=prepare,
                    run=_runner(native, check))


def _shape_probe() -> Any:
    """``probe(handle) -> (h, w, c)`` of a uint8 3-dim NDArray handle, else None (None: no probe here).

    ``NDArray.dtype`` and ``.shape`` are two ctypes calls that each build fresh out-params
    and a tuple: ~1.3 us together, 4-7% of a 32x32 flip. The probe makes the same two C
    calls (``MXNDArrayGetDType``, ``MXNDArrayGetShapeEx``) with out-params allocated once
    per thread and reused. Per thread because ctypes releases the GIL during the call: two
    threads calling one compiled pipeline (a thread-pool loader) would otherwise read each
    other's shapes (a lock instead measured ~0.3 us more per call). With mxnet's int64
    tensor sizes enabled the 32-bit shape call does not apply: no probe (the runner then
    reads ``.dtype``/``.shape``).
    """
    import ctypes
    import threading

    from mxnet.ndarray import ndarray as nd_module

    if nd_module._int64_enabled():
        return None
    lib = nd_module._LIB
    get_dtype, get_shape = lib.MXNDArrayGetDType, lib.MXNDArrayGetShapeEx
    uint8_code = nd_module._DTYPE_NP_TO_MX[np.uint8]
    local = threading.local()

    def out_params() -> tuple[Any, ...]:
        dtype, ndim, dims = ctypes.c_int(), ctypes.c_int(), ctypes.POINTER(ctypes.c_int)()
        local.out = (dtype, ndim, dims, ctypes.byref(dtype), ctypes.byref(ndim), ctypes.byref(dims))
        return local.out

    def probe(handle: Any) -> tuple[int, int, int] | None:
        try:
            dtype, ndim, dims, dtype_ref, ndim_ref, dims_ref = local.out
        except AttributeError:  # this thread's first call
            dtype, ndim, dims, dtype_ref, ndim_ref, dims_ref = out_params()
        if get_dtype(handle, dtype_ref) or dtype.value != uint8_code:
            return None
        if get_shape(handle, ndim_ref, dims_ref) or ndim.value != 3:
            return None
        return dims[0], dims[1], dims[2]

    return probe


_PROBE = _shape_probe()


def _runner(native: Any, check: Any) -> Any:
    """check + prepare + native in one frame, with the input check cached per shape.

    Whether an NDArray passes ``check`` depends only on its dtype and shape, so a uint8
    ``NDArray`` of a shape already checked goes straight to the blocks; its dtype and shape
    are read by :func:`_shape_probe` (~0.5 us; ``.dtype`` + ``.shape`` ~1.3 us, the full
    check ~5 us). Anything else gets the full check (and its errors) every time. A Compose
    of one block calls that block directly (what the Compose would do).
    """
    shapes: set[tuple[int, ...]] = set()
    children = list(native._children.values())
    target = children[0] if len(children) == 1 else native
    uint8, nd_array = np.uint8, mx.nd.NDArray
    probe = _PROBE

    def run_probed(image: Any) -> Any:
        if type(image) is nd_array and probe(image.handle) in shapes:
            return target(image)
        check(image)
        if type(image) is nd_array and len(shapes) < 4096:
            shapes.add(tuple(image.shape))
        return target(prepare(image))

    def run(image: Any) -> Any:
        if type(image) is nd_array and image.dtype is uint8 and image.shape in shapes:
            return target(image)
        check(image)
        if type(image) is nd_array and len(shapes) < 4096:
            shapes.add(tuple(image.shape))
        return target(prepare(image))

    return run if probe is None else run_probed


# ---- replay, conversion, seeding ---------------------------------------------------


def replay(spec: Pipeline, params: Params, image: Any, fidelity: str = "native") -> NDArray:
    """Apply sampled params with mxnet's functional ops ("spec": the faithful substitutes)."""
    _check_fidelity(fidelity)
    plist = check_replay(spec, params, image_hw(image))
    return apply_ops(spec.ops, plist, prepare(image), fidelity)


def to_numpy(x: Any) -> np.ndarray:
    """numpy HWC uint8 for images, CHW float32 for tensors."""
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, mx.nd.NDArray):
        out = x.asnumpy()
        if out.dtype not in (np.uint8, np.float32):
            raise ValueError(f"Expected a uint8 image or float32 tensor; received dtype {out.dtype}")
        return out
    raise ValueError(f"Expected an mx NDArray or numpy array; received {type(x).__name__}")


def seed(n: int) -> None:
    """Seed every RNG the gluon classes draw from: mxnet's and Python's ``random``."""
    random.seed(n)
    mx.random.seed(n)
