"""Sampling-parity probes for the filter ops (augspec/ops/filters.py): what each framework's own
class draws, read back from its output (see :mod:`augspec.parity.sampling_parity`).

- ``gaussian_blur``: a single white pixel on black; the blurred peak (max value / 255) falls
  with sigma, so its distribution is sigma's, seen through the kernel;
- ``gaussian_noise``: a flat grey tensor; the first value minus the grey level is one noise
  draw ``N(mean, sigma^2)`` (clipped alike on both sides): torch's ``randn_like`` (v2's class,
  the v1 port) or mxnet's seed against the spec's PCG64 field;
- ``jpeg``: a small noise image; the first quality in the op's range whose Pillow round trip is
  the output (the same first match on both sides where qualities coincide).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from augspec.parity.units import Unit


def _last(params: dict[str, Any]) -> dict[str, Any]:
    return params["ops"][-1]


def _impulse(kernel_hw: tuple[int, int]) -> np.ndarray:
    kh, kw = kernel_hw
    img = np.zeros((kh + 2, kw + 2, 3), np.uint8)
    img[(kh + 2) // 2, (kw + 2) // 2] = 255
    return img


def _quality_of(op: Any, probe: np.ndarray) -> Any:
    from augspec.ops.filters import jpeg_round_trip

    lo, hi = op.quality_range
    table = {q: jpeg_round_trip(probe, q) for q in range(lo, hi + 1)}

    def recover(out: np.ndarray) -> float:
        hwc = out if out.shape == probe.shape else out.transpose(1, 2, 0)
        return float(next((q for q, ref in table.items() if np.array_equal(ref, hwc)), -1))

    return recover


def filter_probes(unit: Unit, probe_type: Any) -> list[Any]:
    """The probes of a filter op's unit, [] for others (``probe_type``: sampling_parity.Probe,
    passed in to keep this module free of a circular import)."""
    op: Any = unit.op  # the unit's filter op (kernel_hw, quality_range)
    spec = unit.pipeline
    if unit.name == "gaussian_blur":
        return [
            probe_type(
                "blurred impulse peak (falls with sigma)",
                _impulse(op.kernel_hw),
                lambda o: float(np.asarray(o, np.float64).max()) / 255.0,
                lambda p: float(_last(p)["sigma"]),
                "ks",
                spec,
            )
        ]
    if unit.name == "gaussian_noise":
        grey = np.float32(128) / np.float32(255)
        return [
            probe_type(
                "noise added to the first value",
                np.full((6, 7, 3), 128, np.uint8),
                lambda o: float(np.asarray(o, np.float64).ravel()[0] - grey),
                lambda p: float(_last(p)["noise_seed"]),
                "ks",
                spec,
            )
        ]
    if unit.name == "jpeg":
        probe = np.random.default_rng(5).integers(0, 256, (8, 8, 3), dtype=np.uint8)
        return [
            probe_type(
                "quality (first matching round trip)",
                probe,
                _quality_of(op, probe),
                lambda p: float(_last(p)["quality"]),
                "ks",
                spec,
            )
        ]
    return []
