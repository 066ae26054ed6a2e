"""Measure the torchvision backend against the reference, per op (not a test).

For every case in :data:`CASES`, on the bundled photo (full size) and the synthetic
:func:`edge_images`, for 8 seeds: replay the sampled params with the reference and with the
torchvision backend (PIL path and tensor path; native and spec fidelity), and print per op the
max and mean absolute difference in 0-255 units (tensor outputs * 255). Mean = over every
compared value of the op. The backend's ``NATIVE_ENVELOPE`` / ``TENSOR_NATIVE_ENVELOPE`` are
these numbers rounded up; tests/test_backend_torchvision.py holds it to them on the same cases.

    python -m augspec.benchmarks.measure_torchvision [--seeds 8] [--by-case]
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import numpy as np
import torch
from augspec.backends import torchvision as tv
from augspec.benchmarks.torch_cases import CASES, as_255, edge_images

import augspec
from augspec import reference
from augspec.images import load_image
from augspec.pipeline import trace_hw

COLUMNS = ("native", "spec", "tensor-native", "tensor-spec")


class Stat:
    """Running max and mean of absolute differences."""

    def __init__(self) -> None:
        self.max, self.total, self.count = 0.0, 0.0, 0

    def add(self, diff: np.ndarray) -> None:
        self.max = max(self.max, float(diff.max()))
        self.total += float(diff.sum())
        self.count += diff.size

    def __str__(self) -> str:
        return f"{self.max:7.3f} / {self.total / max(self.count, 1):6.4f}"


def measure(seeds: int, by_case: bool = False) -> dict[str, dict[str, Stat]]:
    images = {"photo": load_image(), **edge_images()}
    stats: dict[str, dict[str, Stat]] = defaultdict(lambda: {c: Stat() for c in COLUMNS})
    for case_id, op_key, data in CASES:
        key = case_id if by_case else op_key
        spec = augspec.validate_data(data)
        for image in images.values():
            hw = (int(image.shape[0]), int(image.shape[1]))
            try:
                trace_hw(spec, hw)
            except ValueError:
                continue  # e.g. a crop larger than a tiny image: refused, tested elsewhere
            chw = torch.from_numpy(image.copy()).permute(2, 0, 1).contiguous()
            for seed in range(seeds):
                params = augspec.sample(spec, seed, image_size=hw)
                ref = as_255(reference.replay(spec, params, image))
                runs = {
                    "native": (image, "native"),
                    "spec": (image, "spec"),
                    "tensor-native": (chw, "native"),
                    "tensor-spec": (chw, "spec"),
                }
                for column, (x, fidelity) in runs.items():
                    out = as_255(tv.to_numpy(tv.replay(spec, params, x, fidelity)))
                    stats[key][column].add(np.abs(out - ref))
    return stats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--by-case", action="store_true", help="one row per case, not per op")
    args = parser.parse_args()
    stats = measure(args.seeds, args.by_case)
    print("max / mean abs diff vs reference (0-255 units)")
    print(
        f"| {'case' if args.by_case else 'op':<20} | "
        + " | ".join(f"{c:<16}" for c in COLUMNS)
        + " |"
    )
    print("|" + "---|" * (len(COLUMNS) + 1))
    for key, row in stats.items():
        print(f"| {key:<20} | " + " | ".join(f"{row[c]!s:<16}" for c in COLUMNS) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
