"""The d2l ResNet-18 CIFAR variant in torch (d2l ``resnet18(10, 3)``).

3x3 stem conv (64) + BatchNorm + ReLU, no max-pool, four stages of two
residual blocks (64, 128, 256, 512 channels; stages 2-4 halve the size with a
strided 1x1 shortcut), global average pool, dense ``num_classes``. The module
layout mirrors ``models_gluon.py`` one to one, so ``transfer.py`` can pair
parameters in registration order.

``width`` scales the channel counts (64 is the chapter's network); tests use a
narrower one to stay fast while keeping every layer.

Initialisation is the same scheme as the Gluon side (``init.Xavier()`` in the
chapter): Xavier-uniform weights, zero biases, BatchNorm gamma 1 / beta 0.
The d2l torch chapter applies Xavier to weights only and leaves torch's default
uniform bias; zero biases here make both sides draw from one distribution.
"""

from __future__ import annotations

import torch
from torch import nn

# Same as Gluon's BatchNorm defaults: eps 1e-5, running = 0.9*running + 0.1*batch.
BN_EPS = 1e-5
BN_MOMENTUM = 0.1


class Residual(nn.Module):
    """d2l's residual block; attribute order = Gluon's parameter order."""

    def __init__(
        self, in_channels: int, channels: int, use_1x1conv: bool = False, strides: int = 1
    ):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, kernel_size=3, padding=1, stride=strides)
        self.conv2 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)
        self.conv3 = (
            nn.Conv2d(in_channels, channels, kernel_size=1, stride=strides) if use_1x1conv else None
        )
        self.bn1 = nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)
        self.bn2 = nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        if self.conv3 is not None:
            x = self.conv3(x)
        return torch.relu(y + x)


def resnet_block(
    in_channels: int, channels: int, num_residuals: int, first_block: bool = False
) -> nn.Sequential:
    blocks: list[nn.Module] = []
    for i in range(num_residuals):
        if i == 0 and not first_block:
            blocks.append(Residual(in_channels, channels, use_1x1conv=True, strides=2))
        else:
            blocks.append(Residual(channels, channels))
    return nn.Sequential(*blocks)


def resnet18(num_classes: int = 10, in_channels: int = 3, width: int = 64) -> nn.Sequential:
    """The chapter's ResNet-18 (CIFAR variant), initialised like the Gluon side."""
    if width < 1:
        raise ValueError(f"Expected width >= 1; received width={width}")
    c = [width, 2 * width, 4 * width, 8 * width]
    net = nn.Sequential(
        nn.Conv2d(in_channels, c[0], kernel_size=3, stride=1, padding=1),
        nn.BatchNorm2d(c[0], eps=BN_EPS, momentum=BN_MOMENTUM),
        nn.ReLU(),
        resnet_block(c[0], c[0], 2, first_block=True),
        resnet_block(c[0], c[1], 2),
        resnet_block(c[1], c[2], 2),
        resnet_block(c[2], c[3], 2),
        nn.AdaptiveAvgPool2d((1, 1)),
        nn.Flatten(),
        nn.Linear(c[3], num_classes),
    )
    init_weights(net)
    return net


def init_weights(net: nn.Module) -> None:
    """Xavier-uniform weights, zero biases (= MXNet ``init.Xavier()`` defaults)."""
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def count_parameters(net: nn.Module) -> int:
    """Trainable parameters (BatchNorm running statistics excluded)."""
    return sum(p.numel() for p in net.parameters() if p.requires_grad)
