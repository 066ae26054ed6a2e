"""Measure the geometry ops (augspec/ops/geometry.py) on every backend (not a test).

For each case, on a 96x128 crop of the bundled photo and the edge images of
:func:`edge_images` (1x1, odd sizes, extreme aspects, saturated, grey), for several seeds:
sample params with ``augspec.sample`` and replay them with the reference and with each backend
in both fidelities. Prints the max absolute difference (0-255 units) over every compared value
and the worst mean of a single output (what a :class:`augspec.contract.Tolerance` bounds), with
the image of that worst mean; "nan" where the backend's output was not finite or failed.

    python -m augspec.benchmarks.measure_geometry [--seeds 4] [--ops pad,rotation]
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
from augspec.backends import available
from augspec.benchmarks.torch_cases import edge_images, output_like

import augspec
from augspec.images import load_image

CASES: list[dict[str, Any]] = [
    {"op": "pad", "padding": [1, 2, 3, 0], "fill": [10, 20, 30]},
    {"op": "pad", "padding": 2, "padding_mode": "edge"},
    {"op": "pad", "padding": [1, 0], "padding_mode": "reflect"},
    {"op": "pad", "padding": [1, 1, 0, 1], "padding_mode": "symmetric"},
    {"op": "rotation", "degrees": 30, "interpolation": "bilinear"},
    {"op": "rotation", "degrees": 30},
    {"op": "rotation", "degrees": [-45, 45], "interpolation": "bilinear", "fill": 128},
    {"op": "rotation", "degrees": [-20, 20], "interpolation": "bilinear", "zoom_in": True},
    {"op": "rotation", "degrees": [10, 40], "interpolation": "bilinear", "zoom_out": True},
    {"op": "rotation", "degrees": [15, 15], "interpolation": "bilinear", "p": 0.5},
    {
        "op": "affine",
        "degrees": 30,
        "translate": [0.1, 0.2],
        "scale": [0.8, 1.2],
        "shear": [-15, 15, -10, 10],
        "interpolation": "bilinear",
    },
    {"op": "affine", "degrees": 20, "translate": [0.1, 0.1], "shear": 10},
]
BACKENDS = ("torchvision", "torchvision-v2", "gluon", "torch-batched")


def images() -> dict[str, np.ndarray]:
    return {"photo 96x128": np.ascontiguousarray(load_image()[150:246, 180:308]), **edge_images()}


def measure(
    case: dict[str, Any], backend: str, fidelity: str, seeds: int
) -> tuple[float, float, str]:
    """(max, worst single-output mean, the image of that mean) of |backend - reference|."""
    spec = augspec.validate_data({"augspec": 1, "ops": [case]})
    module = augspec.backend(backend)
    top, worst, where = 0.0, 0.0, "-"
    for name, image in images().items():
        hw = (int(image.shape[0]), int(image.shape[1]))
        try:
            augspec.pipeline.trace_hw(spec, hw)
        except ValueError:
            continue  # e.g. reflect padding wider than the image: refused for every backend
        for seed in range(seeds):
            params = augspec.sample(spec, seed=seed, index=seed, image_size=hw)
            ref = augspec.replay(spec, params, image).astype(np.float64)
            try:
                out = output_like(module.replay(spec, params, image, fidelity), module, ref)
                diff = np.abs(out - ref)
            except Exception:  # noqa: BLE001  (a native failure is a measurement too)
                diff = np.array([np.nan])
            if not np.isfinite(diff).all():
                return float("nan"), float("nan"), name
            top = max(top, float(diff.max()))
            if float(diff.mean()) > worst:
                worst, where = float(diff.mean()), name
    return top, worst, where


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--ops", default="pad,rotation,affine")
    args = parser.parse_args(argv)
    wanted = args.ops.split(",")
    names = [b for b in BACKENDS if b in available()]
    print(f"{'case':70s} {'backend':15s} {'fidelity':8s} {'max':>5s} {'mean':>9s}  worst image")
    for case in CASES:
        if case["op"] not in wanted:
            continue
        label = ", ".join(f"{k}={v}" for k, v in case.items() if k != "op")
        label = f"{case['op']}({label})"
        for backend in names:
            for fidelity in ("native", "spec"):
                top, worst, where = measure(case, backend, fidelity, args.seeds)
                print(f"{label:70s} {backend:15s} {fidelity:8s} {top:5g} {worst:9.3g}  {where}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
