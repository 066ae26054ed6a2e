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

from augspec.ops import OPS, Compose, OpBase, RandomApply
from augspec.ops.base import Params, Sampler
from augspec.ops.crops import rrc_box
from augspec.pipeline import Pipeline, output_hw, trace_hw

__all__ = [
    "Params",
    "Sampler",
    "check_params",
    "check_replay",
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


def check_params(spec: Pipeline, params: Params) -> list[Params]:
    """Check that ``params`` were sampled for ``spec``; return its per-op list."""
    if not isinstance(params, dict) or not isinstance(params.get("ops"), list):
        raise ValueError(
            f"Expected params as a dict from augspec.sample (with an 'ops' list); received {params!r:.80}"
        )
    _match(spec.ops, params["ops"], "params.ops")
    return params["ops"]


def check_replay(spec: Pipeline, params: Params, hw: tuple[int, int]) -> list[Params]:
    """What every backend's ``replay`` checks first: ``params`` were sampled for ``spec`` and for
    an image of size ``hw``, and every op can take that size (the shared crop errors). Returns
    the per-op params list."""
    plist = check_params(spec, params)
    if list(hw) != list(params.get("image_size", hw)):
        raise ValueError(
            f"image: Expected the size the params were sampled for, {params['image_size']}; "
            f"received {list(hw)}"
        )
    trace_hw(spec, hw)
    return plist


def _match(ops: list[OpBase], plist: list[Params], where: str) -> None:
    if len(ops) != len(plist):
        raise ValueError(
            f"{where}: Expected {len(ops)} entries (one per op); received {len(plist)}"
        )
    for i, (op, p) in enumerate(zip(ops, plist, strict=True)):
        if not isinstance(p, dict) or p.get("op") != op.op:
            got = p.get("op") if isinstance(p, dict) else p
            raise ValueError(f"{where}[{i}]: Expected params for op={op.op!r}; received op={got!r}")
        if isinstance(op, (Compose, RandomApply)):
            _match(op.ops, p["ops"], f"{where}[{i}].ops")
