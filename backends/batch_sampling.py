"""Vectorised sampling: the params of many samples at once, identical to ``augspec.sample``.

``augspec.sample`` builds one ``numpy.random.Generator(PCG64(SeedSequence([seed, epoch,
index])))`` per sample, which costs ~20-40 us of Python per image: more than the whole
batched flip + to_tensor. This module re-implements, in vectorised numpy over the batch,
exactly the pieces of numpy that the samplers use (numpy 1.17+ algorithms, pinned by
tests/test_batched.py against ``augspec.sample`` itself):

- ``SeedSequence`` entropy mixing (``hashmix``/``mix``, pool of four 32-bit words) and
  ``generate_state(4, uint64)``;
- ``PCG64``: 128-bit LCG (``pcg_setseq_128``) with the XSL-RR output, and its 32-bit
  buffer (``next_uint32`` returns the low half of a 64-bit draw, then the high half);
- ``random()``: ``(next_uint64 >> 11) * 2**-53``; ``uniform(a, b)``: ``a + (b - a) * random()``;
- ``integers(0, n)``: Lemire's bounded method on 32-bit draws (no draw when ``n == 1``);
- ``permutation(n)``: Fisher-Yates with ``random_interval`` (masked rejection).

Samples whose draws need a rejection loop simply run it, vectorised over the samples
still rejected. Ops whose draws this module does not reproduce (``lighting``: numpy's
ziggurat normal), and seeds/epochs/indices >= 2**32 (more than one entropy word), fall
back to ``augspec.sample`` per sample: same params, Python speed.

Params come out as *array params*: per op a dict of numpy arrays over the batch (see
:func:`stack_params`), the form the batched kernels take.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from augspec.ops import (
    COLOR_COMPONENTS,
    ColorJitter,
    Compose,
    Lighting,
    OpBase,
    RandomApply,
    RandomCrop,
    RandomResizedCrop,
)
from augspec.ops.choice import RandomChoice, RandomOrder, choose
from augspec.ops.filters import NOISE_SEEDS, quality_from_uniform
from augspec.ops.photometric import APPLY_ONLY
from augspec.pipeline import Pipeline, output_hw, trace_hw
from augspec.sampling import Params, check_replay_list, sample

ArrayParams = dict[str, Any]
CHOICE = (RandomChoice, RandomOrder)
U64 = np.uint64
M32 = U64(0xFFFFFFFF)
_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
U32 = np.uint32
_MIX_L, _MIX_R = U32(0xCA01F9DD), U32(0x4973F715)
_PCG_MULT_HI, _PCG_MULT_LO = U64(2549297995355413924), U64(4865540595714422341)


# ---- SeedSequence -------------------------------------------------------------------


def _consts(init: int, mult: int, count: int) -> list[int]:
    out = [init]
    for _ in range(count):
        out.append((out[-1] * mult) & 0xFFFFFFFF)
    return out


# hashmix call j xors with _HASH_A[j] and multiplies by _HASH_A[j + 1] (16 calls for a pool
# of four); output word i of generate_state uses _HASH_B[i + 1].
_HASH_A = _consts(_INIT_A, _MULT_A, 16)
_HASH_B = _consts(_INIT_B, _MULT_B, 8)
_STATE_XOR = np.array(_HASH_B[:8], U32)[:, None]
_STATE_MULT = np.array(_HASH_B[1:9], U32)[:, None]
Word = Any  # a Python int (a word shared by every sample) or a uint32 array (one per sample)


def _hashmix(value: Word, j: int) -> Word:
    if isinstance(value, int):
        value = ((value ^ _HASH_A[j]) * _HASH_A[j + 1]) & 0xFFFFFFFF
    else:  # uint32 arithmetic wraps modulo 2**32, as numpy's C code does
        value = (value ^ U32(_HASH_A[j])) * U32(_HASH_A[j + 1])
    return value ^ (value >> 16)


def _mix(x: Word, y: Word) -> Word:
    result: Word
    if isinstance(x, int) and isinstance(y, int):
        result = (0xCA01F9DD * x - 0x4973F715 * y) & 0xFFFFFFFF
    else:
        result = _MIX_L * (U32(x) if isinstance(x, int) else x) - _MIX_R * (
            U32(y) if isinstance(y, int) else y
        )
    return result ^ (result >> 16)


def seed_words(entropy: list[Any]) -> list[np.ndarray]:
    """``SeedSequence(entropy).generate_state(4, uint64)``, entropy = uint32 words (arrays broadcast).

    numpy's ``mix_entropy`` on a pool of four words, with the words that are the same for
    every sample (seed, epoch) kept as Python ints and the hashes of one source word into the
    three others computed as one (3, N) array: ~45 numpy calls per batch instead of ~110.
    """
    words = [int(e) if np.ndim(e) == 0 else np.asarray(e, U32) for e in entropy]
    with np.errstate(over="ignore"):
        pool: list[Word] = [_hashmix(words[i] if i < len(words) else 0, i) for i in range(4)]
        j = 4
        for src in range(4):
            dsts = [d for d in range(4) if d != src]
            if isinstance(pool[src], int):
                for dst in dsts:
                    pool[dst] = _mix(pool[dst], _hashmix(pool[src], j))
                    j += 1
                continue
            xor = np.array(_HASH_A[j : j + 3], U32)[:, None]
            mult = np.array(_HASH_A[j + 1 : j + 4], U32)[:, None]
            hashed = (pool[src][None, :] ^ xor) * mult
            hashed ^= hashed >> U32(16)
            targets = np.empty((3, len(pool[src])), U32)
            for k, dst in enumerate(dsts):
                targets[k] = pool[dst]  # a row assignment broadcasts a shared word
            mixed = _mix(targets, hashed)
            for k, dst in enumerate(dsts):
                pool[dst] = mixed[k]
            j += 3
        state = np.empty((8, max(np.size(p) for p in pool)), U32)
        for i in range(8):
            state[i] = pool[i % 4]
        state = (state ^ _STATE_XOR) * _STATE_MULT
        state ^= state >> U32(16)
        state64 = state.astype(U64)
    return [state64[2 * k] | (state64[2 * k + 1] << U64(32)) for k in range(4)]


# ---- 128-bit arithmetic on (hi, lo) uint64 arrays ------------------------------------


def _mulhi64(a: np.ndarray, b: np.ndarray | np.uint64) -> np.ndarray:
    a0, a1 = a & M32, a >> U64(32)
    b0, b1 = b & M32, b >> U64(32)
    p00, p01, p10 = a0 * b0, a0 * b1, a1 * b0
    mid = (p00 >> U64(32)) + (p01 & M32) + (p10 & M32)
    return a1 * b1 + (p01 >> U64(32)) + (p10 >> U64(32)) + (mid >> U64(32))


class VectorPCG64:
    """N independent numpy ``PCG64`` generators, stepped together (or a subset of them).

    ``sel`` picks the generators a draw advances; passing :attr:`all` itself (the object,
    not an equal array) steps every one without fancy indexing.
    """

    def __init__(self, seed: int, epoch: int, indices: np.ndarray) -> None:
        n = len(indices)
        self.all = np.arange(n)
        s = [
            w if np.ndim(w) else np.full(n, w, U64)
            for w in seed_words([U32(seed), U32(epoch), indices.astype(U32)])
        ]
        with np.errstate(over="ignore"):
            self.inc_hi = (s[2] << U64(1)) | (s[3] >> U64(63))
            self.inc_lo = (s[3] << U64(1)) | U64(1)
            self.hi = np.zeros(n, U64)
            self.lo = np.zeros(n, U64)
            self._step(self.all)
            lo = self.lo + s[1]
            self.hi = self.hi + s[0] + (lo < self.lo).astype(U64)
            self.lo = lo
            self._step(self.all)
        self.has32 = np.zeros(n, bool)
        self.buf32 = np.zeros(n, U64)

    def _step(self, sel: np.ndarray) -> None:
        every = sel is self.all
        hi, lo = (self.hi, self.lo) if every else (self.hi[sel], self.lo[sel])
        inc_hi, inc_lo = (
            (self.inc_hi, self.inc_lo) if every else (self.inc_hi[sel], self.inc_lo[sel])
        )
        new_hi = _mulhi64(lo, _PCG_MULT_LO) + lo * _PCG_MULT_HI + hi * _PCG_MULT_LO
        new_lo = lo * _PCG_MULT_LO
        out_lo = new_lo + inc_lo
        out_hi = new_hi + inc_hi + (out_lo < new_lo).astype(U64)
        if every:
            self.hi, self.lo = out_hi, out_lo
        else:
            self.hi[sel], self.lo[sel] = out_hi, out_lo

    def next64(self, sel: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            self._step(sel)
            hi, lo = (self.hi, self.lo) if sel is self.all else (self.hi[sel], self.lo[sel])
            x = hi ^ lo
            rot = hi >> U64(58)
            return (x >> rot) | (x << ((U64(64) - rot) & U64(63)))

    def next32(self, sel: np.ndarray) -> np.ndarray:
        out = np.empty(len(sel), U64)
        buffered = self.has32[sel]
        out[buffered] = self.buf32[sel[buffered]]
        fresh = sel[~buffered]
        if len(fresh):
            draw = self.next64(fresh)
            out[~buffered] = draw & M32
            self.buf32[fresh] = draw >> U64(32)
        self.has32[sel] = ~buffered
        return out

    def random(self, sel: np.ndarray) -> np.ndarray:
        return (self.next64(sel) >> U64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)

    def uniform(self, sel: np.ndarray, low: float, high: float) -> np.ndarray:
        return low + (high - low) * self.random(sel)

    def integers(self, sel: np.ndarray, n_excl: np.ndarray) -> np.ndarray:
        """``Generator.integers(0, n)`` per sample (n < 2**32), Lemire on 32-bit draws."""
        out = np.zeros(len(sel), np.int64)
        todo = np.flatnonzero(n_excl > 1)  # numpy draws nothing when the range is one value
        rng_excl = n_excl.astype(U64)
        with np.errstate(over="ignore"):
            threshold = (U64(0xFFFFFFFF) - (rng_excl - U64(1))) % np.maximum(rng_excl, U64(1))
            first = True
            while len(todo):
                m = self.next32(sel[todo]) * rng_excl[todo]
                leftover = m & M32
                limit = rng_excl[todo] if first else threshold[todo]
                # numpy tests leftover < rng_excl first, then loops while < threshold.
                retry = (leftover < limit) & (leftover < threshold[todo])
                done = ~retry
                out[todo[done]] = (m[done] >> U64(32)).astype(np.int64)
                todo, first = todo[retry], False
        return out

    def interval(self, sel: np.ndarray, max_value: int) -> np.ndarray:
        """numpy's ``random_interval(max)`` (masked rejection on 32-bit draws)."""
        if max_value == 0:
            return np.zeros(len(sel), np.int64)
        mask = (1 << max_value.bit_length()) - 1
        out = np.zeros(len(sel), np.int64)
        todo = np.arange(len(sel))
        while len(todo):
            value = (self.next32(sel[todo]) & U64(mask)).astype(np.int64)
            ok = value <= max_value
            out[todo[ok]] = value[ok]
            todo = todo[~ok]
        return out

    def permutation(self, sel: np.ndarray, n: int) -> np.ndarray:
        perm = np.tile(np.arange(n), (len(sel), 1))
        rows = np.arange(len(sel))
        for i in range(n - 1, 0, -1):
            j = self.interval(sel, i)
            perm[rows, i], perm[rows, j] = perm[rows, j], perm[rows, i].copy()
        return perm


# ---- the samplers, vectorised ----------------------------------------------------------


def _rrc(
    op: RandomResizedCrop, g: VectorPCG64, sel: np.ndarray, hw: tuple[int, int]
) -> ArrayParams:
    height, width = hw
    area = height * width
    log_lo, log_hi = math.log(op.ratio[0]), math.log(op.ratio[1])
    n = len(sel)
    box = {k: np.zeros(n, np.int64) for k in ("top", "left", "height", "width")}
    todo = np.arange(n)
    for _ in range(10):
        if not len(todo):
            break
        target_area = area * g.uniform(sel[todo], op.scale[0], op.scale[1])
        # math.exp, not np.exp: numpy's SIMD exp may differ from libm in the last bit.
        aspect = np.array([math.exp(v) for v in g.uniform(sel[todo], log_lo, log_hi)])
        w = np.rint(np.sqrt(target_area * aspect)).astype(np.int64)
        h = np.rint(np.sqrt(target_area / aspect)).astype(np.int64)
        fits = (w > 0) & (w <= width) & (h > 0) & (h <= height)
        hit = todo[fits]
        box["height"][hit], box["width"][hit] = h[fits], w[fits]
        box["top"][hit] = g.integers(sel[hit], height - h[fits] + 1)
        box["left"][hit] = g.integers(sel[hit], width - w[fits] + 1)
        todo = todo[~fits]
    if len(todo):  # the fallback of augspec.sampling.rrc_box: central box, >= 1 px per side
        in_ratio = width / height
        if in_ratio < min(op.ratio):
            w0, h0 = width, max(1, int(round(width / min(op.ratio))))
        elif in_ratio > max(op.ratio):
            h0, w0 = height, max(1, int(round(height * max(op.ratio))))
        else:
            w0, h0 = width, height
        box["top"][todo], box["left"][todo] = (height - h0) // 2, (width - w0) // 2
        box["height"][todo], box["width"][todo] = h0, w0
    return box


def _random_crop(
    op: RandomCrop, g: VectorPCG64, sel: np.ndarray, hw: tuple[int, int]
) -> ArrayParams:
    output_hw(op, hw)
    ch, cw = op.hw
    n = len(sel)
    top = g.integers(sel, np.full(n, hw[0] + 2 * op.padding - ch + 1))
    left = g.integers(sel, np.full(n, hw[1] + 2 * op.padding - cw + 1))
    return {"top": top, "left": left}


def _color_jitter(op: ColorJitter, g: VectorPCG64, sel: np.ndarray) -> ArrayParams:
    params: ArrayParams = {"order": g.permutation(sel, len(COLOR_COMPONENTS))}
    for name, rng_range in op.ranges().items():
        params[name] = None if rng_range is None else g.uniform(sel, *rng_range)
    return params


def _sample_op(op: OpBase, g: VectorPCG64, sel: np.ndarray, hw: tuple[int, int]) -> ArrayParams:
    name = op.op
    if name in ("horizontal_flip", "vertical_flip", *APPLY_ONLY):
        return {"apply": g.random(sel) < op.p}  # type: ignore[attr-defined]
    if name in ("brightness", "contrast", "saturation", "hue"):
        return {"factor": g.uniform(sel, *op.range)}  # type: ignore[attr-defined]
    if name == "rotation":  # augspec.ops.geometry: apply, then the angle, both always drawn
        return {"apply": g.random(sel) < op.p, "angle": g.uniform(sel, *op.range)}  # type: ignore[attr-defined]
    if name == "affine":  # augspec.ops.affine: six draws in torchvision's order, always
        r = op.ranges(hw)  # type: ignore[attr-defined]
        drawn = {
            k: g.uniform(sel, *r[k]) for k in ("angle", "tx", "ty", "scale", "shear_x", "shear_y")
        }
        return {
            **drawn,
            "tx": np.round(drawn["tx"]).astype(np.int64),
            "ty": np.round(drawn["ty"]).astype(np.int64),
        }
    if name == "channel_permutation":
        return {"perm": g.permutation(sel, 3)}
    if name == "gaussian_blur":
        return {"sigma": g.uniform(sel, *op.sigma_range)}  # type: ignore[attr-defined]
    if name == "gaussian_noise":
        return {"noise_seed": g.integers(sel, np.full(len(sel), NOISE_SEEDS))}
    if name == "jpeg":
        return {"quality": quality_from_uniform(op, g.random(sel))}  # type: ignore[arg-type]
    if isinstance(op, RandomResizedCrop):
        return _rrc(op, g, sel, hw)
    if isinstance(op, RandomCrop):
        return _random_crop(op, g, sel, hw)
    if isinstance(op, ColorJitter):
        return _color_jitter(op, g, sel)
    if isinstance(op, RandomApply):
        apply = g.random(sel) < op.p
        return {"apply": apply, "ops": _sample_ops(op.ops, g, sel, hw)}
    if isinstance(op, Compose):
        return {"ops": _sample_ops(op.ops, g, sel, hw)}
    if isinstance(op, (RandomChoice, RandomOrder)):  # then every op's params, each for hw
        first: ArrayParams = (
            {"choice": choose(op.weights(), g.random(sel))}
            if isinstance(op, RandomChoice)
            else {"perm": g.permutation(sel, len(op.ops))}
        )
        return {**first, "ops": [_sample_ops([c], g, sel, hw)[0] for c in op.ops]}
    if name == "random_erasing":
        from .batch_tensor_ops import sample_erasing  # it imports this module

        return sample_erasing(op, g, sel, hw)  # type: ignore[arg-type]
    return {}


def _sample_ops(
    ops: list[OpBase], g: VectorPCG64, sel: np.ndarray, hw: tuple[int, int]
) -> list[ArrayParams]:
    out = []
    for op in ops:
        out.append({"op": op.op, **_sample_op(op, g, sel, hw)})
        hw = output_hw(op, hw)
    return out


def vectorisable(spec: Pipeline) -> bool:
    """Whether every op's draws are reproduced here (lighting's normal draws are not)."""

    def ok(ops: list[OpBase]) -> bool:
        return all(
            not isinstance(o, Lighting)
            and (not isinstance(o, (Compose, RandomApply, *CHOICE)) or ok(o.ops))
            for o in ops
        )

    return ok(spec.ops)


def _check_indices(seed: int, epoch: int, indices: Any) -> np.ndarray:
    for name, value in (("seed", seed), ("epoch", epoch)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"Expected {name} as an int >= 0; received {name}={value!r}")
    idx = np.asarray(indices)
    if idx.ndim != 1 or idx.dtype.kind not in "iu" or (idx.size and idx.min() < 0):
        raise ValueError(
            f"Expected indices as a 1-D sequence of ints >= 0; received {np.asarray(indices)!r:.80}"
        )
    return idx.astype(np.int64)


def sample_batch(
    spec: Pipeline,
    seed: int,
    epoch: int,
    indices: Any,
    image_size: tuple[int, int],
    vector_min: int = 1,
) -> list[ArrayParams]:
    """Array params of samples ``indices`` (one image size), equal to ``augspec.sample``'s.

    ``vector_min``: fewer samples than this are drawn one by one by ``augspec.sample`` (the
    vectorised generator has a fixed cost of some hundred numpy calls per batch)."""
    idx = _check_indices(seed, epoch, indices)
    hw = (int(image_size[0]), int(image_size[1]))
    trace_hw(spec, hw)
    one_word = seed < 2**32 and epoch < 2**32 and (not idx.size or idx.max() < 2**32)
    if not (one_word and vectorisable(spec)) or idx.size < max(vector_min, 1):
        return stack_checked(spec, [sample(spec, seed, epoch, int(i), hw)["ops"] for i in idx])
    g = VectorPCG64(int(seed), int(epoch), idx)
    return _sample_ops(spec.ops, g, g.all, hw)


# ---- list of dicts <-> array params -----------------------------------------------------


def _stack(ops: list[OpBase], plists: list[list[Params]]) -> list[ArrayParams]:
    out = []
    for i, op in enumerate(ops):
        ps = [pl[i] for pl in plists]
        entry: ArrayParams = {"op": op.op}
        if isinstance(op, (Compose, RandomApply, *CHOICE)):
            entry["ops"] = _stack(op.ops, [p["ops"] for p in ps])
        for key in ps[0] if ps else ():
            if key in ("op", "ops"):
                continue
            if key == "order":
                entry[key] = np.array([[COLOR_COMPONENTS.index(c) for c in p[key]] for p in ps])
            elif ps[0][key] is None:
                entry[key] = None
            else:
                entry[key] = np.array([p[key] for p in ps])
        out.append(entry)
    return out


def stack_params(
    spec: Pipeline, params_list: list[Params], hw: tuple[int, int]
) -> list[ArrayParams]:
    """Array params from a list of ``augspec.sample`` dicts for ``hw`` images, each checked as
    every backend's replay checks it (``augspec.sampling.check_replay_list``)."""
    if not isinstance(params_list, (list, tuple)):
        raise ValueError(
            f"Expected params_list as a list of dicts from augspec.sample; received {type(params_list).__name__}"
        )
    return _stack(spec.ops, check_replay_list(spec, list(params_list), hw))


def stack_checked(spec: Pipeline, plists: list[list[Params]]) -> list[ArrayParams]:
    """Array params from per-op params lists already checked (``check_replay``) or sampled."""
    return _stack(spec.ops, plists)


def subset_params(arrays: list[ArrayParams], rows: np.ndarray) -> list[ArrayParams]:
    """The array params of samples ``rows`` only (e.g. those a random_apply applies to)."""
    out = []
    for entry in arrays:
        sub: ArrayParams = {}
        for key, value in entry.items():
            if key == "op" or value is None:
                sub[key] = value
            elif key == "ops":
                sub[key] = subset_params(value, rows)
            else:
                sub[key] = np.asarray(value)[rows]
        out.append(sub)
    return out


def _unstack(ops: list[OpBase], arrays: list[ArrayParams], k: int) -> list[Params]:
    out = []
    for op, entry in zip(ops, arrays, strict=True):
        p: Params = {"op": op.op}
        for key, value in entry.items():
            if key == "op":
                continue
            if key == "ops":
                p[key] = _unstack(op.ops, value, k)  # type: ignore[attr-defined]
            elif key == "order":
                p[key] = [COLOR_COMPONENTS[int(c)] for c in value[k]]
            elif value is None:
                p[key] = None
            else:
                p[key] = value[k].item() if value.ndim == 1 else value[k].tolist()
        out.append(p)
    return out


def unstack_params(
    spec: Pipeline,
    arrays: list[ArrayParams],
    seed: int,
    epoch: int,
    indices: Any,
    image_size: tuple[int, int],
) -> list[Params]:
    """The ``augspec.sample`` dicts that array params stand for (for checks and logs)."""
    return [
        {
            "seed": int(seed),
            "epoch": int(epoch),
            "index": int(index),
            "image_size": [int(image_size[0]), int(image_size[1])],
            "ops": _unstack(spec.ops, arrays, k),
        }
        for k, index in enumerate(indices)
    ]
