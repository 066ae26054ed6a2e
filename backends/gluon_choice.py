"""Gluon ports of ``random_choice`` and ``random_order`` (augspec/ops/choice.py).

``mxnet.gluon.data.vision.transforms`` (1.9.1) has ``Compose`` and ``RandomApply`` but no
``RandomChoice``/``RandomOrder``; here they are Blocks holding their children's built blocks,
in the idiom of gluon's ``RandomApply`` (a ``Sequential`` whose ``forward`` decides). They draw
from mxnet's RNG (``mx.random.seed`` seeds them) with the spec's distribution: one uniform for
the choice (the first op whose cumulative normalised weight exceeds it), one shuffle of
``arange(n)`` for the order. The children draw their own params, as in any gluon pipeline.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from augspec.backends.gluon_blocks import MX_RANDOM
from augspec.backends.gluon_kernels import NDArray
from augspec.backends.gluon_mx import mx

from augspec.ops.choice import RandomChoice as RandomChoiceOp
from augspec.ops.choice import choose


class _Container(mx.gluon.nn.Sequential):
    def __init__(self, transforms: list[Any]) -> None:
        super().__init__()
        self.transforms = list(transforms)
        for child in self.transforms:
            if isinstance(child, mx.gluon.Block):
                self.register_child(child)


class RandomChoice(_Container):
    """Apply one of ``transforms``, transform ``i`` with probability ``p[i] / sum(p)``."""

    def __init__(self, transforms: list[Any], p: list[float] | None = None) -> None:
        super().__init__(transforms)
        self.p = p
        weights = np.ones(len(self.transforms)) if p is None else np.asarray(p, np.float64)
        self._weights = weights / weights.sum()

    def forward(self, x: NDArray) -> NDArray:
        k = int(choose(self._weights, MX_RANDOM.random()))
        return self.transforms[k](x)


class RandomOrder(_Container):
    """Apply every transform of ``transforms`` once, in a uniformly random order."""

    def forward(self, x: NDArray) -> NDArray:
        for i in MX_RANDOM.permutation(len(self.transforms)):
            x = self.transforms[int(i)](x)
        return x


def build_choice(op: RandomChoiceOp) -> Any:
    return lambda children: RandomChoice(children, op.p)


def build_order(op: Any) -> Any:
    return RandomOrder
