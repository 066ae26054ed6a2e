"""Measure the photometric ops (augspec/ops/photometric.py) on every backend (not a test).

For each op, on the bundled photo, a low-contrast copy of it (``photo // 4 + 60``: where
autocontrast stretches) and the edge images of :func:`edge_images` (1x1, odd sizes, extreme
aspects, saturated, grey), for several seeds: sample params with ``augspec.sample`` and replay
them with the reference and with each backend in both fidelities. Prints the max absolute
difference (0-255 units) over every compared value and the worst mean of a single output (what
a :class:`augspec.contract.Tolerance` bounds), with the image of that worst mean.

    python -m augspec.benchmarks.measure_photometric [--seeds 8]
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
from augspec.backends import available
from augspec.benchmarks.torch_cases import edge_images, output_like

import augspec
from augspec.images import load_image

OPS: list[dict[str, Any]] = [
    {"op": "invert", "p": 0.5},
    {"op": "solarize", "threshold": 128, "p": 0.5},
    {"op": "posterize", "bits": 3, "p": 0.5},
    {"op": "grayscale", "num_output_channels": 3},
    {"op": "random_grayscale", "p": 0.5},
    {"op": "autocontrast", "p": 0.5},
    {"op": "equalize", "p": 0.5},
    {"op": "channel_permutation"},
    {"op": "sharpness", "factor": 0.5, "p": 0.5},
]
BACKENDS = ("torchvision", "torchvision-v2", "gluon", "torch-batched")


def images() -> dict[str, np.ndarray]:
    photo = load_image()
    return {
        "photo": photo,
        "low-contrast photo": (photo // 4 + 60).astype(np.uint8),
        **edge_images(),
    }


def measure(
    case: dict[str, Any], backend: str, fidelity: str, seeds: int
) -> tuple[float, float, str]:
    """(max, worst single-output mean, the image of that mean) of |backend - reference|."""
    spec = augspec.validate_data({"augspec": 1, "ops": [case]})
    module = augspec.backend(backend)
    top, worst, where = 0.0, 0.0, "-"
    for name, image in images().items():
        for seed in range(seeds):
            params = augspec.sample(
                spec, seed=seed, index=seed, image_size=(int(image.shape[0]), int(image.shape[1]))
            )
            ref = augspec.replay(spec, params, image).astype(np.float64)
            diff = np.abs(
                output_like(module.replay(spec, params, image, fidelity), module, ref) - ref
            )
            top = max(top, float(diff.max()))
            if float(diff.mean()) > worst:
                worst, where = float(diff.mean()), name
    return top, worst, where


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    args = parser.parse_args(argv)
    names = [b for b in BACKENDS if b in available()]
    print(f"{'op':19s} {'backend':15s} {'fidelity':8s} {'max':>4s} {'mean':>9s}  worst image")
    for case in OPS:
        for backend in names:
            for fidelity in ("native", "spec"):
                top, worst, where = measure(case, backend, fidelity, args.seeds)
                print(
                    f"{case['op']:19s} {backend:15s} {fidelity:8s} {top:4g} {worst:9.3g}  {where}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
