"""A fused CPU kernel for the batched ColorJitter: one pass per step over each image row.

:mod:`.batch_color` writes each colour step as a handful of torch elementwise passes over
the image (hue alone ~35 plane passes, ~0.78 ms at 400x500). The C function below runs a
sequence of brightness/contrast/saturation/hue steps row by row with the row in L1, doing
**the same float32 operations in the same order** as :mod:`.batch_color` (no FMA
contraction: ``-ffp-contract=off``), so its output is bit for bit the torch path's. What
could not be matched that way stays in torch: contrast's grey mean (a reduction) and the
per-sample constants, and saturation's grey plane (torch's ``add(alpha=...)`` fuses the
multiply-add in its vectorised loop but not in its scalar tail).

It is compiled on first use with the system C compiler (``$CC``, else ``cc``/``gcc``) into
``$AUGSPEC_CACHE`` (default ``~/.cache/augspec``), keyed by the source, flags and CPU, and
loaded with ctypes (no torch headers: compiling takes well under a second). Without a
compiler, when compiling or loading fails, off x86 AVX2/AVX512 builds, or with
``AUGSPEC_FUSED=0``, :func:`available` is False and the callers use the torch path.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import torch

from .batch_color import COLOR_ADJUST, adjust_contrast, contrast_offset, gray, hue_offsets

SOURCE = r"""
#include <math.h>
#include <stdint.h>
/* ops: 0 brightness (f), 1 contrast (f, c), 2 saturation (f, 1 - f; grey plane given), 3 hue (3 offsets).
   Each line is batch_color's torch ops, in their order, in float32. */
static inline float mx(float a, float b) { return a > b ? a : b; }
static inline float mn(float a, float b) { return a < b ? a : b; }
static inline float clampf(float v, float lo, float hi) { return mn(mx(v, lo), hi); }

void augspec_jitter(float *x, const float *gray, int64_t h, int64_t w, int64_t sc, int64_t sh, int64_t gsh,
                    int nsteps, const int *ops, const float *params) {
    for (int64_t i = 0; i < h; i++) {
        float *restrict r = x + i * sh, *restrict g = r + sc, *restrict b = g + sc;
        for (int s = 0; s < nsteps; s++) {
            const float *p = params + 4 * s;
            const float f = p[0], q = p[1];
            switch (ops[s]) {
            case 0:
            case 1: {
                const float add = ops[s] == 0 ? 0.5f : q;
                for (int64_t j = 0; j < w; j++) {
                    r[j] = clampf(floorf(r[j] * f + add), 0.0f, 255.0f);
                    g[j] = clampf(floorf(g[j] * f + add), 0.0f, 255.0f);
                    b[j] = clampf(floorf(b[j] * f + add), 0.0f, 255.0f);
                }
                break;
            }
            case 2: {
                const float *restrict gr = gray + i * gsh;
                for (int64_t j = 0; j < w; j++) {
                    const float o = gr[j] * q + 0.5f;
                    r[j] = clampf(floorf(r[j] * f + o), 0.0f, 255.0f);
                    g[j] = clampf(floorf(g[j] * f + o), 0.0f, 255.0f);
                    b[j] = clampf(floorf(b[j] * f + o), 0.0f, 255.0f);
                }
                break;
            }
            case 3: {
                const float o0 = p[0], o1 = p[1], o2 = p[2];
                for (int64_t j = 0; j < w; j++) {
                    const float R = r[j], G = g[j], B = b[j];
                    const float max_gb = mx(G, B), min_gb = mn(G, B);
                    const float maxc = mx(R, max_gb);
                    const float delta = maxc - mn(R, min_gb);
                    float num = G - B;
                    const float is_r = clampf((R - max_gb) + 1.0f, 0.0f, 1.0f);
                    const float is_g = clampf(mn(num, (G - R) - 1.0f) + 1.0f, 0.0f, 1.0f);
                    num = num * is_r;
                    const float t = (B - R) + 2.0f * delta;
                    num = num + t * is_g;
                    const float minus_is_b = (is_r + is_g) - 1.0f;
                    const float t2 = (R - G) + 4.0f * delta;
                    num = num + (-t2) * minus_is_b;
                    const float hue6 = num / mx(delta, 1.0f);
                    const float base = (maxc - 2.0f * delta) + 0.5f;
                    float y;
                    y = clampf(fabsf(fabsf(hue6 + o0) - 3.0f), 1.0f, 2.0f); r[j] = floorf(base + delta * y);
                    y = clampf(fabsf(fabsf(hue6 + o1) - 3.0f), 1.0f, 2.0f); g[j] = floorf(base + delta * y);
                    y = clampf(fabsf(fabsf(hue6 + o2) - 3.0f), 1.0f, 2.0f); b[j] = floorf(base + delta * y);
                }
                break;
            }
            }
        }
    }
}
"""

# -fno-trapping-math lets gcc vectorise floorf (values unchanged); -ffp-contract=off keeps
# every multiply and add separately rounded, as torch's ops are.
FLAGS = ["-O3", "-march=native", "-ffp-contract=off", "-fno-trapping-math", "-fPIC", "-shared"]
STEP_CODES = {"brightness": 0, "contrast": 1, "saturation": 2, "hue": 3}

_state: dict[str, Any] = {}  # "fn": the loaded function, or None after a failed attempt


def _cpu_key() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        text = ""
    lines = [ln for ln in text.splitlines() if ln.startswith(("model name", "flags"))][:2]
    return platform.machine() + "|" + "|".join(lines)


def _build() -> Any:
    if os.environ.get("AUGSPEC_FUSED", "1") == "0":
        return None
    if platform.machine() not in ("x86_64", "AMD64") or torch.backends.cpu.get_cpu_capability() not in ("AVX2", "AVX512"):
        return None
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not cc:
        return None
    key = hashlib.sha256("\n".join([SOURCE, " ".join(FLAGS), cc, _cpu_key()]).encode()).hexdigest()[:16]
    cache = Path(os.environ.get("AUGSPEC_CACHE") or Path.home() / ".cache" / "augspec")
    lib = cache / f"jitter_{key}.so"
    try:
        if not lib.exists():
            cache.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=cache) as tmp:
                src = Path(tmp) / "jitter.c"
                src.write_text(SOURCE)
                out = Path(tmp) / "jitter.so"
                subprocess.run([cc, *FLAGS, "-o", str(out), str(src), "-lm"], check=True, capture_output=True, timeout=60)
                os.replace(out, lib)  # atomic: concurrent processes see a whole library or none
        fn = ctypes.CDLL(str(lib)).augspec_jitter
    except (OSError, subprocess.SubprocessError):
        return None
    i64, ptr = ctypes.c_int64, ctypes.c_void_p
    fn.argtypes = [ptr, ptr, i64, i64, i64, i64, i64, ctypes.c_int, ptr, ptr]
    fn.restype = None
    return fn


# Probe orders and factors for the self-check: every step, first and after the others.
_PROBE = [
    [("brightness", 1.37), ("contrast", 0.61), ("saturation", 1.45), ("hue", 0.23)],
    [("hue", -0.41), ("saturation", 0.52), ("contrast", 1.48), ("brightness", 0.55)],
    [("saturation", 0.0), ("hue", 0.5), ("brightness", 1.5), ("contrast", 0.0)],
]


def _matches_torch_path() -> bool:
    """Run the probe through the kernel and through batch_color's torch ops: equal bit for bit?

    The kernel repeats torch's float32 operations in torch's order; this checks that promise on
    the machine at hand (another CPU, torch or compiler) before the kernel is ever used.
    """
    gen = torch.Generator().manual_seed(0)
    image = torch.randint(0, 256, (1, 3, 37, 43), generator=gen).to(torch.float32)
    for order in _PROBE:
        steps = [(name, torch.tensor(f, dtype=torch.float32).view(1, 1, 1, 1)) for name, f in order]
        by_kernel, by_torch = image.clone(), image.clone()
        jitter(steps, by_kernel, by_kernel, by_kernel)
        for name, f in steps:
            if name == "contrast":
                adjust_contrast(by_torch, f, mean_of=by_torch)
            else:
                COLOR_ADJUST[name](by_torch, f)
        if not torch.equal(by_kernel, by_torch):
            return False
    return True


def available() -> bool:
    """Whether the fused kernel can run: compiled, loaded and checked on the first call."""
    if "fn" not in _state:
        _state["fn"] = _build()
        if _state["fn"] is not None and not _matches_torch_path():
            _state["fn"] = None  # e.g. another CPU's torch kernels round differently: torch path
    return _state["fn"] is not None


def disable() -> None:
    """Use the torch path from now on (tests; ``reset`` re-enables)."""
    _state["fn"] = None


def reset() -> None:
    _state.pop("fn", None)


def usable(x: torch.Tensor) -> bool:
    """Whether ``x`` (1, 3, H, W), a float32 CPU image or a box of one, can go through :func:`run`."""
    return (
        x.device.type == "cpu" and x.dtype == torch.float32 and x.dim() == 4 and x.shape[0] == 1
        and x.shape[1] == 3 and x.stride(3) == 1 and available()
    )


def run(x: torch.Tensor, steps: list[tuple[str, list[float]]], gray: torch.Tensor | None = None) -> None:
    """Apply ``steps`` (name, float32 params) to ``x`` in place. ``gray``: the (1, 1, H, W)
    rounded-to-float32 grey plane for a saturation step, which must then be the first step."""
    h, w = int(x.shape[2]), int(x.shape[3])
    ops = (ctypes.c_int * len(steps))(*(STEP_CODES[name] for name, _ in steps))
    # c_float rounds each Python float (a float32 value from torch) back to that float32
    params = (ctypes.c_float * (4 * len(steps)))(*(v for _, values in steps for v in (*values, 0.0, 0.0, 0.0)[:4]))
    g_ptr, g_stride = (gray.data_ptr(), gray.stride(2)) if gray is not None else (None, 0)
    _state["fn"](x.data_ptr(), g_ptr, h, w, x.stride(1), x.stride(2), g_stride, len(steps), ops, params)


def jitter(factors: list[tuple[str, torch.Tensor]], whole: torch.Tensor, region: torch.Tensor, target: torch.Tensor) -> None:
    """``torch_batched._jitter_one`` through the kernel: ``factors`` (step name, (1, 1, 1, 1)
    factor) in the drawn order, applied to ``target`` (``whole`` or its box ``region``) in place,
    contrast's blend and the steps after it on ``region``. Runs of steps go to one kernel call
    each; torch computes what the kernel takes as given: contrast's constant (after the steps
    before it, on the whole image), saturation's grey plane (a run starts there), hue's offsets."""
    steps: list[tuple[str, list[float]]] = []
    gray_plane = None
    for name, f in factors:
        if name in ("contrast", "saturation") and steps:
            run(target, steps, gray_plane)
            steps = []
        if name == "contrast":
            steps.append((name, [f.item(), contrast_offset(whole, f).item()]))
            target = region
        elif name == "saturation":
            gray_plane = gray(target)
            steps.append((name, [f.item(), (1.0 - f).item()]))
        elif name == "hue":
            steps.append((name, hue_offsets(f).flatten().tolist()))
        else:
            steps.append((name, [f.item()]))
    if steps:
        run(target, steps, gray_plane)
