"""Measure random_choice, random_order (augspec/ops/choice.py) and random_erasing
(augspec/ops/tensor_ops.py) on every backend (not a test).

Same method as :mod:`augspec.benchmarks.measure_photometric`: on the bundled photo and the edge
images, for several seeds, sample params with ``augspec.sample`` and replay them with the
reference and with each backend in both fidelities. Prints the max absolute difference (0-255
units; tensors x 255) and the worst mean of a single output, with its image.

    python -m augspec.benchmarks.measure_tensor_ops [--seeds 8]
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
from augspec.backends import available
from augspec.benchmarks.measure_photometric import BACKENDS, images

import augspec

TO_TENSOR = {"op": "to_tensor"}
PIPELINES: list[tuple[str, list[dict[str, Any]]]] = [
    (
        "random_choice",
        [
            {
                "op": "random_choice",
                "ops": [
                    {"op": "invert", "p": 1.0},
                    {"op": "vertical_flip", "p": 1.0},
                    {"op": "equalize", "p": 1.0},
                ],
                "p": [1.0, 2.0, 1.0],
            }
        ],
    ),
    (
        "random_order",
        [
            {
                "op": "random_order",
                "ops": [
                    {"op": "invert", "p": 0.5},
                    {"op": "posterize", "bits": 3, "p": 1.0},
                    {"op": "horizontal_flip", "p": 0.5},
                ],
            }
        ],
    ),
    ("random_erasing (0)", [TO_TENSOR, {"op": "random_erasing", "p": 0.9}]),
    (
        "random_erasing (rgb)",
        [TO_TENSOR, {"op": "random_erasing", "p": 0.9, "value": [0.2, 0.5, 0.9]}],
    ),
    ("random_erasing (random)", [TO_TENSOR, {"op": "random_erasing", "p": 0.9, "value": "random"}]),
]


def _aligned(out: Any, module: Any, ref: np.ndarray) -> np.ndarray:
    x = np.asarray(module.to_numpy(out))
    if x.ndim == 4:  # a batch of one
        x = x[0]
    if x.dtype == np.uint8 and x.shape != ref.shape:
        x = x.transpose(1, 2, 0)
    return np.asarray(x, dtype=np.float64) * (255.0 if x.dtype.kind == "f" else 1.0)


def measure(
    ops: list[dict[str, Any]], backend: str, fidelity: str, seeds: int
) -> tuple[float, float, str]:
    """(max, worst single-output mean, the image of that mean) of |backend - reference|."""
    spec = augspec.validate_data({"augspec": 1, "ops": ops})
    module = augspec.backend(backend)
    top, worst, where = 0.0, 0.0, "-"
    for name, image in images().items():
        for seed in range(seeds):
            hw = (int(image.shape[0]), int(image.shape[1]))
            params = augspec.sample(spec, seed=seed, index=seed, image_size=hw)
            ref = np.asarray(augspec.replay(spec, params, image))
            ref255 = ref.astype(np.float64) * (255.0 if ref.dtype.kind == "f" else 1.0)
            diff = np.abs(
                _aligned(module.replay(spec, params, image, fidelity), module, ref) - ref255
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
    print(f"{'case':24s} {'backend':15s} {'fidelity':8s} {'max':>4s} {'mean':>9s}  worst image")
    for label, ops in PIPELINES:
        for backend in names:
            for fidelity in ("native", "spec"):
                top, worst, where = measure(ops, backend, fidelity, args.seeds)
                print(f"{label:24s} {backend:15s} {fidelity:8s} {top:4g} {worst:9.3g}  {where}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
