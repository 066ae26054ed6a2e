"""Colour kernels of the batched torch target: per-sample factors, few passes over the pixels.

Every kernel takes a float batch ``x`` (N, 3, H, W) holding whole numbers in [0, 255] and a
per-sample factor ``f`` of shape (N, 1, 1, 1) (a tensor on ``x``'s device and dtype), and
overwrites ``x`` with the result (returned too), rounded as the reference rounds
(``floor(v + 0.5)`` clipped to [0, 255]). Writing in place matters on CPU: every fresh
image-sized tensor costs page faults as well as a pass (measured ~30% of the jitter at
400x500). Callers pass tensors they own (never the caller's uint8 batch). The formulas are the reference's
(:mod:`augspec.reference`) rearranged so that each is a handful of fused elementwise passes:

- brightness: ``f * x + 0.5``, floor, clamp;
- contrast: the grey mean from the three channel means (one reduction), then
  ``f * x + ((1 - f) * mean + 0.5)``;
- saturation: the per-pixel grey plane, then ``f * x + (1 - f) * grey`` as one ``addcmul``
  broadcast over the channels;
- hue: the hexcone model with elementwise max/min (no reductions over the channel axis) and
  the HSV -> RGB step written as ``out_c = v - delta * clamp(min(k_c, 4 - k_c), 0, 1)`` with
  ``k_c = (n_c + 6 h) mod 6``, n = (5, 3, 1): the same function as the reference's six-sector
  table (``delta = v * s``), no clamp needed (the result lies between min and max); the shift
  is folded into per-channel offsets, so the image is never reduced mod 6.

The +0.5 of the rounding is folded into the constant term, so float32 results can differ from
the reference's float64 only where a value lies within float32 error of a .5 boundary
(see the tolerances of ``torch_batched.RECORDS``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from augspec.ops import COLOR_COMPONENTS

GRAY = (0.299, 0.587, 0.114)


def _floor_clip(x: torch.Tensor) -> torch.Tensor:
    """In place: floor (the +0.5 is already in ``x``) and clip to [0, 255]."""
    return x.floor_().clamp_(0.0, 255.0)


def gray(x: torch.Tensor) -> torch.Tensor:
    """Unrounded grey level (N, 1, H, W)."""
    return (x[:, 0:1] * GRAY[0]).add_(x[:, 1:2], alpha=GRAY[1]).add_(x[:, 2:3], alpha=GRAY[2])


def adjust_brightness(x: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    # x * f + 0.5 as two in-place ops (an addcmul whose first operand is the broadcast one runs
    # ~4x slower per element on CPU).
    return _floor_clip(x.mul_(f).add_(0.5))


def contrast_offset(src: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """Contrast's constant term ``(1 - f) * mean + 0.5`` (N, 1, 1, 1), ``mean`` the grey mean of ``src``."""
    weights = torch.tensor(GRAY, dtype=src.dtype, device=src.device)
    mean = (src.mean(dim=(2, 3)) @ weights).view(-1, 1, 1, 1)  # grey mean = weighted channel means
    return (1.0 - f) * mean + 0.5


def adjust_contrast(x: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    offset = contrast_offset(x, f)  # before x is overwritten
    return _floor_clip(x.mul_(f).add_(offset))


def adjust_saturation(x: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    other = gray(x).mul_(1.0 - f).add_(0.5)  # (N, 1, H, W), broadcast over the channels
    return _floor_clip(x.mul_(f).add_(other))


def adjust_hue(x: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """Hexcone HSV hue rotation by ``f`` turns, in 0-255 units, without ``where``/``remainder``.

    (Both run at 1-4 ns per element on CPU, against ~0.1 ns for arithmetic, min/max and clamp.)
    The values are whole numbers, so "r is the maximum" is ``clamp(r - max(g, b) + 1, 0, 1)``,
    an exact 0/1; hue is continuous wherever ``delta > 0``, so how ties are split does not
    change it. The output ramp ``clamp(min(u, 4 - u), 0, 1)`` of ``u = (n_c + 6h) mod 6`` is
    written for the unreduced ``k in [0, 11)`` as ``clamp(2 - ||k - 5| - 3|, 0, 1)``.
    """
    r, g, b = x[:, 0:1], x[:, 1:2], x[:, 2:3]
    # Six (N, 1, H, W) buffers, reused through out= / in-place ops (fresh image-sized tensors
    # cost page faults on CPU): the names say what each holds at that point.
    max_gb, min_gb = torch.maximum(g, b), torch.minimum(g, b)
    maxc = torch.maximum(r, max_gb)
    delta = torch.sub(maxc, torch.minimum(r, min_gb, out=min_gb), out=min_gb)
    num = g - b
    is_r = torch.sub(r, max_gb, out=max_gb).add_(1.0).clamp_(0.0, 1.0)
    is_g = torch.minimum(num, torch.sub(g, r).sub_(1.0)).add_(1.0).clamp_(0.0, 1.0)  # g max, r < g
    # Hue in sixths of a turn, times delta: (g - b), 2 delta + (b - r), 4 delta + (r - g).
    num.mul_(is_r)
    t = torch.sub(b, r).add_(delta, alpha=2.0)
    num.addcmul_(t, is_g)
    minus_is_b = is_r.add_(is_g).sub_(1.0)
    num.addcmul_(torch.sub(r, g, out=t).add_(delta, alpha=4.0), minus_is_b, value=-1.0)
    hue6 = num.div_(
        torch.clamp(delta, min=1.0, out=t)
    )  # in [-1, 5); delta == 0 gives 0, as the reference
    # v - delta * ramp = min + delta * (1 - ramp), and 1 - ramp = clamp(||k - 5| - 3| - 1, 0, 1) with
    # k - 5 = (hue6 + 6 f) mod 6 + n_c - 5. ||y| - 3| has period 6 on [-6, 6], so instead of reducing
    # the image mod 6, each channel's offset 6 f + n_c - 5 is reduced (per sample) into [-5, 1):
    # y = hue6 + offset lies in [-6, 6), and no pass over the image wraps it.
    y = torch.add(hue6, hue_offsets(f), out=x)  # into x: r, g and b are no longer needed
    # 1 - ramp = clamp(||y| - 3|, 1, 2) - 1, so the output min + delta * (1 - ramp) is
    # (max - 2 delta) + delta * clamp(||y| - 3|, 1, 2)
    y.abs_().sub_(3.0).abs_().clamp_(1.0, 2.0)
    base = maxc.sub_(delta, alpha=2.0).add_(0.5)  # + 0.5 for the rounding
    # between min and max, so only floor is needed
    return torch.addcmul(base, delta, y, out=x).floor_()


def hue_offsets(f: torch.Tensor) -> torch.Tensor:
    """Per-channel offsets ``(6 f + n_c) mod 6 - 5`` (N, 3, 1, 1) of :func:`adjust_hue`."""
    n = torch.tensor([0.0, -2.0, -4.0], dtype=f.dtype, device=f.device).view(1, 3, 1, 1)  # n_c - 5
    return torch.remainder(6.0 * f + n + 5.0, 6.0).sub_(5.0)


COLOR_ADJUST = {
    "brightness": adjust_brightness,
    "contrast": adjust_contrast,
    "saturation": adjust_saturation,
    "hue": adjust_hue,
}


def jitter_in_order(
    x: torch.Tensor, order: Sequence[int], factors: Mapping[str, torch.Tensor | None]
) -> torch.Tensor:
    """One sample's ColorJitter, in place on ``x`` (1, C, H, W), components in its drawn ``order``
    (indices into ``COLOR_COMPONENTS``; a None factor is skipped)."""
    for c in order:
        name = COLOR_COMPONENTS[c]
        f = factors[name]
        if f is not None:
            COLOR_ADJUST[name](x, f)
    return x
