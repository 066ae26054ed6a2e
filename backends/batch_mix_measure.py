"""Measure the batch ops on every backend against the numpy reference (docs/batch_ops.md).

``python -m augspec.backends.batch_mix_measure`` prints a Markdown table: for each case, the
max absolute difference of the images and of the mixed labels between the reference and
v2's classes (replayed params), the torch kernel (float32 and uint8) and the Gluon port,
over ``--batches`` batch indices of a float32 (N, 3, H, W) batch in [0, 1]; then augspec's
sampler against v2's native ``make_params`` (two-sample KS over ``--draws`` draws).
"""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from augspec.backends.batch_mix import mix, replay_v2

from augspec.batch_ops import mix_reference, sample_batch
from augspec.io import validate_data

CASES: dict[str, list[Any]] = {
    "mixup(alpha=0.2)": [{"op": "mixup", "alpha": 0.2}],
    "cutmix(alpha=1.0)": [{"op": "cutmix"}],
    "batch_choice(mixup, cutmix)": [{"op": "batch_choice", "ops": ["mixup", "cutmix"]}],
    "cutmix, then mixup": ["cutmix", "mixup"],
}
CLASSES = 10


def _gluon_mix() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # mxnet touches old numpy names
        from augspec.backends.batch_mix_gluon import mix as gluon_mix
        from augspec.backends.gluon_mx import mx
    return gluon_mix, mx


def measure_case(
    batch_ops: list[Any], batches: int, n: int, hw: tuple[int, int]
) -> dict[str, tuple[float, float]]:
    """Backend -> (max |image diff|, max |label diff|) against the reference, over the batches."""
    gluon_mix, mx = _gluon_mix()
    ops = validate_data({"augspec": 1, "ops": ["to_tensor"], "batch_ops": batch_ops}).batch_ops
    rng = np.random.default_rng(0)
    worst: dict[str, list[float]] = {}
    for b in range(batches):
        x8 = rng.integers(0, 256, size=(n, 3, *hw), dtype=np.uint8)
        x, y = x8.astype(np.float32) / 255, rng.integers(0, CLASSES, size=n)
        params = sample_batch(ops or [], 0, 0, b, hw)
        rx, ry = mix_reference(ops or [], params, x, y, CLASSES, channels_first=True)
        r8, _ = mix_reference(ops or [], params, x8, y, CLASSES, channels_first=True)
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        got = {
            "torchvision-v2 (replay)": replay_v2(ops or [], params, tx, ty, CLASSES),
            "torch kernel (float32)": mix(ops or [], params, tx, ty, CLASSES),
            "gluon port (mx.nd)": gluon_mix(
                ops or [], params, mx.nd.array(x), mx.nd.array(y, dtype="int32"), CLASSES
            ),
        }
        k8, _ = mix(ops or [], params, torch.from_numpy(x8), ty, CLASSES)
        diffs = {name: (_max_diff(ox, rx), _max_diff(oy, ry)) for name, (ox, oy) in got.items()}
        diffs["torch kernel (uint8)"] = (_max_diff(k8, r8), 0.0)
        for name, (dx, dy) in diffs.items():
            old = worst.setdefault(name, [0.0, 0.0])
            worst[name] = [max(old[0], dx), max(old[1], dy)]
    return {name: (v[0], v[1]) for name, v in worst.items()}


def _max_diff(a: Any, b: np.ndarray) -> float:
    a = a.asnumpy() if hasattr(a, "asnumpy") else np.asarray(a)
    return float(np.abs(a.astype(np.float64) - b.astype(np.float64)).max())


def table(batches: int = 20, n: int = 8, hw: tuple[int, int] = (32, 32)) -> str:
    lines = [
        "| case | backend | max image diff | max label diff |",
        "| --- | --- | --- | --- |",
    ]
    for case, ops in CASES.items():
        for name, (dx, dy) in measure_case(ops, batches, n, hw).items():
            lines.append(f"| {case} | {name} | {dx:.3g} | {dy:.3g} |")
    return "\n".join(lines)


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov D: the largest gap between the empirical CDFs."""
    grid = np.sort(np.concatenate([a, b]))
    cdf_a = np.searchsorted(np.sort(a), grid, side="right") / len(a)
    cdf_b = np.searchsorted(np.sort(b), grid, side="right") / len(b)
    return float(np.abs(cdf_a - cdf_b).max())


def sampler_table(draws: int = 2000, hw: tuple[int, int] = (32, 32)) -> str:
    """augspec's sampler against v2's own ``make_params`` (torch's Beta and randint): KS D."""
    from torchvision.transforms import v2

    crit = 1.95 * np.sqrt(2 / draws)
    lines = [
        f"| drawn ({draws} each) | KS D | 0.1% critical value |",
        "| --- | --- | --- |",
    ]
    probe = torch.zeros(1, 3, *hw)
    for name, data, native, key in (
        ("mixup alpha=0.2: lam", {"op": "mixup", "alpha": 0.2}, v2.MixUp(alpha=0.2), "lam"),
        ("mixup alpha=1.0: lam", {"op": "mixup"}, v2.MixUp(), "lam"),
        ("cutmix alpha=1.0: adjusted lam", {"op": "cutmix"}, v2.CutMix(), "lam_adjusted"),
    ):
        ops = validate_data({"augspec": 1, "ops": ["to_tensor"], "batch_ops": [data]}).batch_ops
        ours = np.array([sample_batch(ops or [], 0, 0, i, hw)[0]["lam"] for i in range(draws)])
        torch.manual_seed(0)
        theirs = np.array([native.make_params([probe])[key] for _ in range(draws)])
        lines.append(f"| {name} | {ks_statistic(ours, theirs):.3f} | {crit:.3f} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=20, help="batch indices per case")
    parser.add_argument("--draws", type=int, default=2000, help="draws per sampler comparison")
    args = parser.parse_args(argv)
    print(table(args.batches))
    print()
    print(sampler_table(args.draws))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
