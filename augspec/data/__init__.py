"""Data shipped with augspec: 1,200 real CIFAR-10 photos, the training default.

``cifar10-sample/`` is an image-folder layout (``train/<class>/<index>.png``: 100 per class;
``test/<class>/<index>.png``: 20 per class), pixel-exact CIFAR-10 images; its README.md
gives their provenance. ``augspec train`` with no ``--data`` trains on it.
"""

from __future__ import annotations

from pathlib import Path

CIFAR10_SAMPLE = Path(__file__).resolve().parent / "cifar10-sample"
SAMPLE_LABEL = (
    "CIFAR-10 sample bundled with augspec (real CIFAR-10 photos, pixel-exact, from the "
    "ConvNetJS CIFAR-10 demo; provenance in augspec/data/cifar10-sample/README.md)"
)

__all__ = ["CIFAR10_SAMPLE", "SAMPLE_LABEL"]
