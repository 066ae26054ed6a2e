"""Measure the filter ops (augspec/ops/filters.py) on every backend (not a test).

For each op, on the bundled photo and the edge images of :func:`edge_images` that the op can
take (1x1, odd sizes, extreme aspects, saturated, grey), for several seeds: sample params with
``augspec.sample`` and replay them with the reference and with each backend in both fidelities.
Prints the max absolute difference (0-255 units) over every compared value and the worst mean
of a single output (what a :class:`augspec.contract.Tolerance` bounds), with that image.

    python -m augspec.benchmarks.measure_filters [--seeds 8]
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
from augspec.backends import available
from augspec.benchmarks.torch_cases import as_255, edge_images, output_like

import augspec
from augspec.images import load_image
from augspec.pipeline import trace_hw

# Each case is a list of ops (a tensor op goes after to_tensor).
CASES: list[list[dict[str, Any]]] = [
    [{"op": "gaussian_blur", "kernel": 3}],
    [{"op": "gaussian_blur", "kernel": [5, 9], "sigma": [0.5, 3.0]}],
    [{"op": "gaussian_blur", "kernel": 23, "sigma": [0.1, 2.0]}],
    [{"op": "to_tensor"}, {"op": "gaussian_noise"}],
    [{"op": "to_tensor"}, {"op": "gaussian_noise", "mean": -0.1, "sigma": 0.5, "clip": False}],
    [{"op": "jpeg", "quality": [1, 100]}],
    [{"op": "jpeg", "quality": 75}],
    [{"op": "jpeg", "quality": 95}],
]
BACKENDS = ("torchvision", "torchvision-v2", "gluon", "torch-batched")


def images() -> dict[str, np.ndarray]:
    return {"photo": load_image(), **edge_images()}


def measure(
    ops: list[dict[str, Any]], backend: str, fidelity: str, seeds: int
) -> tuple[float, float, str]:
    """(max, worst single-output mean, the image of that mean) of |backend - reference|."""
    spec = augspec.validate_data({"augspec": 1, "ops": ops})
    module = augspec.backend(backend)
    top, worst, where = 0.0, 0.0, "-"
    for name, image in images().items():
        hw = (int(image.shape[0]), int(image.shape[1]))
        try:
            trace_hw(spec, hw)
        except ValueError:
            continue  # an image the op refuses (smaller than half the blur kernel)
        for seed in range(seeds):
            params = augspec.sample(spec, seed=seed, index=seed, image_size=hw)
            ref = as_255(augspec.replay(spec, params, image))
            diff = np.abs(
                output_like(module.replay(spec, params, image, fidelity), module, ref) - ref
            )
            top = max(top, float(diff.max()))
            if float(diff.mean()) > worst:
                worst, where = float(diff.mean()), name
    return top, worst, where


QUALITIES = (1, 5, 10, 30, 50, 75, 90, 95, 100)


def coders() -> str:
    """Whether torchvision.io writes Pillow's JPEG files and whether torchvision.io and mxnet
    decode them as Pillow does (the photo, a 17x23 and a 1x1 noise image, :data:`QUALITIES`)."""
    import torch
    from augspec.backends.torch_filters import quiet_image_io
    from torchvision.io import decode_jpeg, encode_jpeg

    from augspec.ops.filters import jpeg_bytes, jpeg_round_trip

    rng = np.random.default_rng(0)
    tests = (
        load_image(),
        rng.integers(0, 256, (17, 23, 3), np.uint8),
        rng.integers(0, 256, (1, 1, 3), np.uint8),
    )
    same, total, tv_max, mx_max = 0, 0, 0, -1
    for q in QUALITIES:
        for img in tests:
            tensor = torch.from_numpy(np.array(img)).permute(2, 0, 1).contiguous()
            with quiet_image_io():
                data = bytes(encode_jpeg(tensor, quality=q).numpy())
                decoded = decode_jpeg(torch.frombuffer(bytearray(data), dtype=torch.uint8))
            ref = jpeg_round_trip(img, q).astype(int)
            same, total = same + (data == jpeg_bytes(img, q)), total + 1
            tv_max = max(tv_max, int(np.abs(decoded.permute(1, 2, 0).numpy() - ref).max()))
            if "gluon" in available():
                from augspec.backends.gluon_mx import mx

                mx_out = mx.image.imdecode(jpeg_bytes(img, q)).asnumpy().astype(int)
                mx_max = max(mx_max, int(np.abs(mx_out - ref).max()))
    mx_text = "mxnet not installed" if mx_max < 0 else f"mx.image.imdecode max {mx_max}"
    return (
        f"jpeg coders: torchvision.io files identical to Pillow's: {same} of {total}; "
        f"decode_jpeg max {tv_max}; {mx_text} (against Pillow's decode)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    args = parser.parse_args(argv)
    names = [b for b in BACKENDS if b in available()]
    print(f"{'case':44s} {'backend':15s} {'fidelity':8s} {'max':>6s} {'mean':>9s}  worst image")
    for ops in CASES:
        label = ", ".join(f"{k}={v}" for k, v in ops[-1].items())[:44]
        for backend in names:
            for fidelity in ("native", "spec"):
                top, worst, where = measure(ops, backend, fidelity, args.seeds)
                print(f"{label:44s} {backend:15s} {fidelity:8s} {top:6.4g} {worst:9.3g}  {where}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
