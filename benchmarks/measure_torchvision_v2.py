"""Measure the torchvision-v2 backend per op against the reference and against v1 (not a test).

For every case in :data:`CASES`, on the bundled photo (full size) and the edge images of
:func:`edge_images` (1x1, odd sizes, extreme aspects, saturated, grey, hard edges), for several
seeds: sample params with ``augspec.sample`` and replay them with

- the reference (``augspec.reference.replay``, the definition),
- torchvision-v2 in both fidelities (uint8 CHW tensors),
- torchvision v1 in native fidelity on its PIL path (numpy in) and on its tensor path
  (a uint8 CHW tensor in), the numerics v2 is compared with.

Prints per op (or per case, ``--by-case``) the max and the mean absolute difference in 0-255
units (float tensors x 255). ``max``: over every compared value. ``mean``: the worst mean of a
single output, which is what a :class:`augspec.contract.Tolerance` bounds.

    python -m augspec.benchmarks.measure_torchvision_v2 [--seeds 6] [--by-case]
        [--images all|photo|edges] [--json FILE]

The tests (tests/test_backend_torchvision_v2.py) reuse :data:`CASES` and :func:`edge_images`.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np
from augspec.benchmarks.torch_cases import CASES, as_255, edge_images

import augspec
from augspec import reference
from augspec.images import load_image
from augspec.pipeline import trace_hw

Thunk = Callable[[], np.ndarray]


class Stat:
    """Max absolute difference, worst per-output mean, and errors, of one column."""

    def __init__(self) -> None:
        self.max, self.mean, self.count, self.errors = 0.0, 0.0, 0, 0
        self.first_error = ""

    def add(self, diff: np.ndarray) -> None:
        self.max = max(self.max, float(diff.max()))
        self.mean = max(self.mean, float(diff.mean()))
        self.count += 1

    def __str__(self) -> str:
        if self.errors and not self.count:
            return "error"
        return f"{self.max:g} / {self.mean:.3g}" + (
            f" ({self.errors} errors)" if self.errors else ""
        )


def _column_outputs(
    spec: Any, params: dict[str, Any], image: np.ndarray
) -> dict[str, tuple[Thunk, Thunk]]:
    """What each column compares: (left, right) pairs as thunks returning 0-255 arrays."""
    import torch

    v2 = augspec.backend("torchvision-v2")
    chw = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))
    ref = lambda: as_255(reference.replay(spec, params, image))  # noqa: E731
    v2_native = lambda: as_255(v2.to_numpy(v2.replay(spec, params, image, "native")))  # noqa: E731
    v2_spec = lambda: as_255(v2.to_numpy(v2.replay(spec, params, image, "spec")))  # noqa: E731
    v1_pil = lambda: as_255(augspec.to_numpy(augspec.replay(spec, params, image, "torchvision")))  # noqa: E731
    v1_tensor = lambda: as_255(augspec.to_numpy(augspec.replay(spec, params, chw, "torchvision")))  # noqa: E731
    return {
        "v2 native vs reference": (v2_native, ref),
        "v2 spec vs reference": (v2_spec, ref),
        "v2 native vs v1 PIL": (v2_native, v1_pil),
        "v2 native vs v1 tensor": (v2_native, v1_tensor),
    }


COLUMNS = (
    "v2 native vs reference",
    "v2 spec vs reference",
    "v2 native vs v1 PIL",
    "v2 native vs v1 tensor",
)


def measure(seeds: int, by_case: bool = False, images: str = "all") -> dict[str, dict[str, Stat]]:
    """Per op (or case) and column: the :class:`Stat` over every image (``all``, ``photo`` or
    ``edges``) and seed."""
    chosen = {
        **({"photo": load_image()} if images in ("all", "photo") else {}),
        **(edge_images() if images in ("all", "edges") else {}),
    }
    stats: dict[str, dict[str, Stat]] = defaultdict(lambda: {c: Stat() for c in COLUMNS})
    for case_id, op_name, data in CASES:
        spec = augspec.validate_data(data)
        row = stats[case_id if by_case else op_name]
        for image in chosen.values():
            hw = (int(image.shape[0]), int(image.shape[1]))
            try:
                trace_hw(spec, hw)
            except ValueError:
                continue  # e.g. a crop larger than a tiny image: refused (tested elsewhere)
            for s in range(seeds):
                params = augspec.sample(spec, seed=s, index=s, image_size=hw)
                cache: dict[Any, np.ndarray] = {}
                for column, (left, right) in _column_outputs(spec, params, image).items():
                    try:
                        a = cache.setdefault(left, left())
                        b = cache.setdefault(right, right())
                    except Exception as err:  # noqa: BLE001 - a failing kernel is a measured result
                        row[column].errors += 1
                        row[column].first_error = (
                            row[column].first_error or f"{type(err).__name__}: {err}"
                        )
                        continue
                    row[column].add(np.abs(a - b))
    return dict(stats)


def markdown(stats: dict[str, dict[str, Stat]]) -> str:
    lines = [
        "| op | " + " | ".join(f"{c} (max / mean)" for c in COLUMNS) + " |",
        "|---|" + "---|" * len(COLUMNS),
    ]
    lines += [
        f"| {key} | " + " | ".join(str(row[c]) for c in COLUMNS) + " |"
        for key, row in stats.items()
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=6, help="seeds per case and image (default 6)")
    parser.add_argument("--by-case", action="store_true", help="one row per case instead of per op")
    parser.add_argument(
        "--images",
        choices=("all", "photo", "edges"),
        default="all",
        help="which images (default all)",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the numbers as JSON")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)  # the numbers do not depend on it; the machine is shared
    stats = measure(args.seeds, args.by_case, args.images)
    print(markdown(stats))
    for key, row in stats.items():
        for column, stat in row.items():
            if stat.first_error:
                print(f"{key}, {column}: {stat.errors} errors, first: {stat.first_error[:200]}")
    if args.json:
        data = {
            key: {
                c: {
                    "max": s.max,
                    "mean": s.mean,
                    "outputs": s.count,
                    "errors": s.errors,
                    "first_error": s.first_error,
                }
                for c, s in row.items()
            }
            for key, row in stats.items()
        }
        with open(args.json, "w") as f:
            json.dump(data, f, indent=1)


if __name__ == "__main__":
    main()
