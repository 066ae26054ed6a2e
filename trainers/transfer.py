"""Weight transfer between the torch and Gluon ResNet-18 (numpy in between).

Both models register their parameters in the same order (see the model
modules), so they are paired by position, and every pair is checked: same
kind (weight<->weight, bias<->bias, BN weight<->gamma, bias<->beta,
running_mean, running_var) and same shape. BatchNorm running statistics travel
too; torch's ``num_batches_tracked`` has no Gluon counterpart and is left as is
(it only matters for ``momentum=None``, which neither side uses).
"""

from __future__ import annotations

from typing import Any

import numpy as np

# torch suffix -> Gluon suffix
_KIND = {
    "weight": ("weight", "gamma"),
    "bias": ("bias", "beta"),
    "running_mean": ("running_mean",),
    "running_var": ("running_var",),
}


def torch_arrays(tmodel: Any) -> list[tuple[str, np.ndarray]]:
    """(name, numpy copy) of every torch parameter and BN buffer, in order."""
    return [
        (name, tensor.detach().cpu().numpy().copy())
        for name, tensor in tmodel.state_dict().items()
        if not name.endswith("num_batches_tracked")
    ]


def gluon_arrays(gnet: Any) -> list[tuple[str, np.ndarray]]:
    """(name, numpy copy from the first context) of every Gluon parameter, in order."""
    return [
        (name, p.data(p.list_ctx()[0]).asnumpy().copy())
        for name, p in gnet.collect_params().items()
    ]


def _pairs(tmodel: Any, gnet: Any) -> list[tuple[str, str, Any]]:
    tnames = [n for n in tmodel.state_dict() if not n.endswith("num_batches_tracked")]
    gparams = list(gnet.collect_params().items())
    if len(tnames) != len(gparams):
        raise ValueError(
            f"Expected the same number of parameter arrays on both sides; received "
            f"torch={len(tnames)}, gluon={len(gparams)} (different architectures?)"
        )
    tstate = tmodel.state_dict()
    pairs = []
    for tname, (gname, gparam) in zip(tnames, gparams, strict=True):
        kind = tname.rsplit(".", 1)[-1]
        if not gname.endswith(_KIND.get(kind, ("<none>",))):
            raise ValueError(
                f"Expected matching parameter kinds; received torch {tname!r} vs gluon {gname!r}"
            )
        if tuple(tstate[tname].shape) != tuple(gparam.shape):
            raise ValueError(
                f"Expected matching shapes; received torch {tname!r} {tuple(tstate[tname].shape)} "
                f"vs gluon {gname!r} {tuple(gparam.shape)}"
            )
        pairs.append((tname, gname, gparam))
    return pairs


def torch_to_gluon(tmodel: Any, gnet: Any) -> None:
    """Copy every torch parameter and BN buffer into ``gnet`` (all its contexts)."""
    tstate = tmodel.state_dict()
    for tname, _gname, gparam in _pairs(tmodel, gnet):
        gparam.set_data(tstate[tname].detach().cpu().numpy())


def gluon_to_torch(gnet: Any, tmodel: Any) -> None:
    """Copy every Gluon parameter and BN buffer (first context) into ``tmodel``."""
    import torch

    tstate = tmodel.state_dict()
    with torch.no_grad():
        for tname, _gname, gparam in _pairs(tmodel, gnet):
            value = gparam.data(gparam.list_ctx()[0]).asnumpy()
            tstate[tname].copy_(torch.from_numpy(value))
