"""The d2l ResNet-18 CIFAR variant in Gluon (d2l ``resnet18(10)``).

Same layout as ``models_torch.py`` (see there). Layers are given their input
channels up front instead of Gluon's deferred shapes, so the parameters exist
right after ``initialize`` and weight transfer needs no dummy forward pass.
The chapter initialises with ``init.Xavier()``: uniform, ``factor_type="avg"``,
``magnitude=3`` -> U(+-sqrt(6 / (fan_in + fan_out))), biases zero, BatchNorm
gamma 1 / beta 0 -- the same as ``models_torch.init_weights``.
"""

from __future__ import annotations

from typing import Any

from augspec.backends.gluon_mx import mx  # restores torch's thread count after import

nn = mx.gluon.nn

# MXNet's defaults, written out: running = 0.9*running + 0.1*batch, eps 1e-5.
BN_EPS = 1e-5
BN_MOMENTUM = 0.9


class Residual(mx.gluon.HybridBlock):
    """d2l's residual block; child order = torch's attribute order."""

    def __init__(
        self,
        in_channels: int,
        channels: int,
        use_1x1conv: bool = False,
        strides: int = 1,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        with self.name_scope():
            self.conv1 = nn.Conv2D(
                channels, kernel_size=3, padding=1, strides=strides, in_channels=in_channels
            )
            self.conv2 = nn.Conv2D(channels, kernel_size=3, padding=1, in_channels=channels)
            self.conv3 = (
                nn.Conv2D(channels, kernel_size=1, strides=strides, in_channels=in_channels)
                if use_1x1conv
                else None
            )
            self.bn1 = _batch_norm(channels)
            self.bn2 = _batch_norm(channels)

    def hybrid_forward(self, F: Any, x: Any) -> Any:  # noqa: N803 - Gluon's signature
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        if self.conv3 is not None:
            x = self.conv3(x)
        return F.relu(y + x)


def _batch_norm(channels: int) -> Any:
    return nn.BatchNorm(momentum=BN_MOMENTUM, epsilon=BN_EPS, in_channels=channels)


def resnet_block(
    in_channels: int, channels: int, num_residuals: int, first_block: bool = False
) -> Any:
    blk = nn.HybridSequential()
    for i in range(num_residuals):
        if i == 0 and not first_block:
            blk.add(Residual(in_channels, channels, use_1x1conv=True, strides=2))
        else:
            blk.add(Residual(channels, channels))
    return blk


def resnet18(num_classes: int = 10, in_channels: int = 3, width: int = 64) -> Any:
    """The chapter's ResNet-18 (CIFAR variant); call ``initialize_net`` next."""
    if width < 1:
        raise ValueError(f"Expected width >= 1; received width={width}")
    c = [width, 2 * width, 4 * width, 8 * width]
    # A fixed prefix and every layer made inside its name scope: parameter names
    # are then the same for every instance. gluon.Trainer orders its optimizer
    # states by parameter NAME, so a checkpoint's trainer state only fits a net
    # whose names sort the same way (global name counters would break resume
    # within one process).
    net = nn.HybridSequential(prefix="resnet18_")
    with net.name_scope():
        net.add(
            nn.Conv2D(c[0], kernel_size=3, strides=1, padding=1, in_channels=in_channels),
            _batch_norm(c[0]),
            nn.Activation("relu"),
            resnet_block(c[0], c[0], 2, first_block=True),
            resnet_block(c[0], c[1], 2),
            resnet_block(c[1], c[2], 2),
            resnet_block(c[2], c[3], 2),
            nn.GlobalAvgPool2D(),
            nn.Dense(num_classes, in_units=c[3]),
        )
    return net


def initialize_net(net: Any, ctx: Any = None) -> Any:
    """The chapter's ``net.initialize(init=init.Xavier(), ctx=devices)``."""
    net.initialize(init=mx.init.Xavier(), ctx=ctx, force_reinit=True)
    return net


def count_parameters(net: Any) -> int:
    """Trainable parameters (``grad_req != 'null'``: BN running stats excluded)."""
    total = 0
    for p in net.collect_params().values():
        if p.grad_req != "null":
            n = 1
            for d in p.shape:
                n *= d
            total += n
    return total
