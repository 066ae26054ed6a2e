"""Sampling: draw the random parameters of every op as a plain, JSON-able dict.

Seeding contract: the params of sample ``index`` in ``epoch`` under ``seed``
come from ``numpy.random.Generator(PCG64(SeedSequence([seed, epoch, index])))``
and from nothing else, so they do not depend on worker count, batch order or
backend. Ops draw from that one generator in pipeline order; every op draws
the same amount whatever it decides (a skipped ``random_apply`` still samples
its children), so one op's outcome never shifts the next op's draws.

Each op's distribution is documented and drawn by its definition
(``augspec.ops.OPS[name].sample``, in the op's family module); this module walks the ops.
"""

from __future__ import annotations

import numpy as np

from augspec.ops import OPS, OpBase
from augspec.ops.base import Params, Sampler
from augspec.ops.crops import rrc_box
from augspec.pipeline import Pipeline, output_hw, trace_hw

__all__ = [
    "Params",
    "Sampler",
    "check_ops",
    "check_replay",
    "check_replay_list",
    "generator",
    "rrc_box",
    "sample",
    "sample_ops",
]


def generator(seed: int, epoch: int = 0, index: int = 0) -> np.random.Generator:
    """The generator of the seeding contract."""
    for name, value in (("seed", seed), ("epoch", epoch), ("index", index)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"Expected {name} as an int >= 0; received {name}={value!r}")
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, epoch, index])))


def sample_ops(ops: list[OpBase], rng: np.random.Generator, hw: tuple[int, int]) -> list[Params]:
    out = []
    for op in ops:
        params = {"op": op.op, **OPS[op.op].sample(op, rng, hw)}
        out.append(params)
        hw = output_hw(op, hw)
    return out


def sample(
    spec: Pipeline,
    seed: int = 0,
    epoch: int = 0,
    index: int = 0,
    image_size: tuple[int, int] = (224, 224),
) -> Params:
    """Draw the params of one sample; ``image_size`` is the input (height, width)."""
    hw = (int(image_size[0]), int(image_size[1]))
    trace_hw(spec, hw)
    rng = generator(seed, epoch, index)
    return {
        "seed": int(seed),
        "epoch": int(epoch),
        "index": int(index),
        "image_size": list(hw),
        "ops": sample_ops(spec.ops, rng, hw),
    }


# The keys of a params dict from augspec.sample; seed/epoch/index are a record of where the
# params came from (hand-built params may leave them out), image_size and ops are required.
_TOP_KEYS = ("seed", "epoch", "index", "image_size", "ops")


def _check_top(params: Params, hw: tuple[int, int]) -> None:
    for key in params:
        if key not in _TOP_KEYS:
            raise ValueError(
                f"params.{key}: Expected only the keys {', '.join(_TOP_KEYS)} (from augspec.sample); "
                f"received an unknown key {key}={params[key]!r:.60}"
            )
    for key in ("seed", "epoch", "index"):
        value = params.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"params.{key}: Expected an int >= 0; received {key}={value!r:.60}")
    size = params.get("image_size")
    if (
        not isinstance(size, list)
        or len(size) != 2
        or any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) for s in size)
    ):
        raise ValueError(
            "params.image_size: Expected [height, width] (two ints, the size the params were "
            f"sampled for); received image_size={size!r:.60}"
        )
    if size[0] != hw[0] or size[1] != hw[1]:
        raise ValueError(
            f"image: Expected the size the params were sampled for, {list(size)} (params.image_size); "
            f"received {list(hw)}"
        )


def check_ops(ops: list[OpBase], plist: object, hw: tuple[int, int]) -> None:
    """Check each op's params (its definition's ``check_params``) for an ``hw`` input; the
    ValueError names the op's place: ``ops[2] (hue).factor: Expected ...; received ...``."""
    sizes = [hw]
    for op in ops[:-1]:
        sizes.append(output_hw(op, sizes[-1]))
    _check_each(ops, plist, sizes)


def _check_each(ops: list[OpBase], plist: object, sizes: list[tuple[int, int]]) -> None:
    if not isinstance(plist, list) or len(plist) != len(ops):
        got = len(plist) if isinstance(plist, list) else f"ops={plist!r:.60}"
        raise ValueError(
            f"ops: Expected a list of {len(ops)} params dicts (one per op); received {got}"
        )
    for i, op in enumerate(ops):
        p = plist[i]
        if not isinstance(p, dict) or p.get("op") != op.op:
            tag = p.get("op") if isinstance(p, dict) else p
            raise ValueError(f"ops[{i}]: Expected params for op={op.op!r}; received op={tag!r:.60}")
        try:
            OPS[op.op].check_params(op, p, sizes[i])
        except ValueError as err:
            raise ValueError(f"ops[{i}] ({op.op}).{err}") from None


def check_replay(spec: Pipeline, params: Params, hw: tuple[int, int]) -> list[Params]:
    """What every backend's ``replay`` checks first: ``params`` are what
    ``augspec.sample(spec, ..., image_size=hw)`` could have drawn, in structure and in value
    (each op's ``check_params``, with the size that op sees), and every op can take that size
    (the shared crop errors). Returns the per-op params list."""
    return _check_sample(spec, params, hw, trace_hw(spec, hw))


def check_replay_list(
    spec: Pipeline, params_list: list[Params], hw: tuple[int, int]
) -> list[list[Params]]:
    """:func:`check_replay` for each params dict of a batch of ``hw`` images (the batched
    target's params-list entry); the ValueError names the dict: ``params[3]: ops[2] ...``."""
    sizes = trace_hw(spec, hw)
    plists = []
    for k, params in enumerate(params_list):
        try:
            plists.append(_check_sample(spec, params, hw, sizes))
        except ValueError as err:
            raise ValueError(f"params[{k}]: {err}") from None
    return plists


def _check_sample(
    spec: Pipeline, params: Params, hw: tuple[int, int], sizes: list[tuple[int, int]]
) -> list[Params]:
    if not isinstance(params, dict) or not isinstance(params.get("ops"), list):
        raise ValueError(
            f"Expected params as a dict from augspec.sample (with an 'ops' list); received {params!r:.80}"
        )
    _check_top(params, hw)
    _check_each(spec.ops, params["ops"], sizes)
    return params["ops"]
