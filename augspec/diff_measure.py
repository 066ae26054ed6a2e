"""``augspec diff --measure``: the pixel difference of each aligned pair of ops.

For each pair that :func:`augspec.pipeline_diff.diff_pipelines` aligned, the first pipeline's op is
replayed on its framework's native classes (``fidelity="native"``) and the second's on its own,
on the photo, with the **same sampled params** where the second op could have drawn them
(otherwise each op's own, said so): the number is what changes the pixels when one is used for
the other, framework numerics and spec differences together. Max and mean absolute difference
in 0-255 units (tensors x 255), over a few samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from augspec.canonical import CanonicalOp, describe
from augspec.io import validate_data
from augspec.pipeline import Pipeline
from augspec.pipeline_diff import DiffResult

__all__ = ["PairMeasure", "measure_pairs"]

_TENSOR_OPS = ("normalize", "random_erasing")


@dataclass(frozen=True)
class PairMeasure:
    a: CanonicalOp
    b: CanonicalOp
    max_abs: float | None
    mean_abs: float | None
    same_params: bool
    note: str = ""

    def line(self, backend_a: str, backend_b: str) -> str:
        a, b = describe(self.a), describe(self.b)
        head = (
            f"{a}: {backend_a} vs {backend_b}"
            if a == b
            else f"{a} on {backend_a} vs {b} on {backend_b}"
        )
        if self.max_abs is None or self.mean_abs is None:
            return f"  {head}: {self.note}"
        params = "same params" if self.same_params else "each op's own params (they differ)"
        return f"  {head}: max {self.max_abs:.3g}, mean {self.mean_abs:.3g} ({params})"


def _spec_data(data: dict[str, Any]) -> dict[str, Any]:
    """A canonical op's data as spec data (an inactive ColorJitter component is 0)."""
    out = {k: (0.0 if v is None else v) for k, v in data.items() if k != "ops"}
    if "ops" in data:
        out["ops"] = [_spec_data(child) for child in data["ops"]]
    return out


def _pipeline(op: CanonicalOp) -> Pipeline:
    ops = [_spec_data(op.data)]
    if op.op in _TENSOR_OPS:
        ops.insert(0, {"op": "to_tensor"})
    return validate_data({"augspec": 1, "ops": ops}, describe(op))


def _as_255(x: Any) -> np.ndarray:
    import augspec

    arr = np.asarray(augspec.to_numpy(x))
    return arr.astype(np.float64) * (255.0 if arr.dtype.kind == "f" else 1.0)


def _measure_pair(
    a: CanonicalOp,
    b: CanonicalOp,
    backends: tuple[str, str],
    image: np.ndarray,
    samples: int,
    seed: int,
    fidelities: tuple[str, str],
) -> PairMeasure:
    import augspec
    from augspec.sampling import check_replay

    spec_a, spec_b = _pipeline(a), _pipeline(b)
    hw = (int(image.shape[0]), int(image.shape[1]))
    worst, total, same = 0.0, 0.0, True
    for index in range(samples):
        params_a = augspec.sample(spec_a, seed, 0, index, hw)
        try:
            check_replay(spec_b, params_a, hw)
            params_b = params_a
        except ValueError:
            params_b, same = augspec.sample(spec_b, seed, 0, index, hw), False
        out_a = _as_255(augspec.replay(spec_a, params_a, image, backends[0], fidelities[0]))
        out_b = _as_255(augspec.replay(spec_b, params_b, image, backends[1], fidelities[1]))
        if out_a.shape != out_b.shape:
            note = f"output shapes differ: {out_a.shape} vs {out_b.shape}"
            return PairMeasure(a, b, None, None, same, note)
        d = np.abs(out_a - out_b)
        worst, total = max(worst, float(d.max())), total + float(d.mean())
    return PairMeasure(a, b, worst, total / samples, same)


def measure_pairs(
    result: DiffResult,
    backends: tuple[str, str],
    image: np.ndarray | None = None,
    samples: int = 4,
    seed: int = 0,
    fidelities: tuple[str, str] = ("native", "native"),
) -> list[PairMeasure]:
    """One :class:`PairMeasure` per aligned pair, on ``image`` (default: the photo); each side
    replayed in its fidelity (``native`` by default: the framework's own classes)."""
    from augspec.images import load_image

    img = load_image() if image is None else image
    out = []
    for i, j in result.pairs:
        a, b = result.a[i], result.b[j]
        try:
            out.append(_measure_pair(a, b, backends, img, samples, seed, fidelities))
        except ValueError as err:  # an op that cannot run alone (normalize inside random_apply)
            out.append(PairMeasure(a, b, None, None, False, f"not measured: {err}"))
    return out
