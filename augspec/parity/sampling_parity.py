"""Native sampling parity: what each framework's own class draws, recovered and tested.

For every random unit, ``n`` images go through the backend's native class
(``compile(..., "native")``, seeded once with the backend's ``seed``) and the
sampled quantity is read back from the output:

- flips / ``random_apply``: whether the output is the flipped (changed) probe;
  binomial test of the count against ``p``;
- brightness: output / input on a flat grey probe; contrast: the spread of a
  two-level grey probe; saturation: the R-B spread of a flat colour (does
  not depend on the grey level used); hue: the HSV hue of a flat red probe;
  lighting: the offset on a flat grey probe projected on the first PCA axis
  (the other two are below one 8-bit level);
- ``color_jitter``: each active component separately, through a jitter with
  only that component;
- ``random_crop``: a coordinate-encoded probe (pixel value = its index), so
  the crop offset is read off exactly;
- ``random_resized_crop``: the boxes drawn by the backend's ``native_sampler(op)``
  (the framework's own box sampler, which its class calls: torchvision
  ``RandomResizedCrop.get_params``, v2 ``RandomResizedCrop.make_params``, Gluon
  ``mxnet.image.random_size_crop``); a backend that has none is not tested for it.

The spec side is ``3 n`` ``augspec.sample`` draws of the same op (for probes,
replayed through the same backend, so both sides share its rounding);
continuous quantities are compared with a two-sample KS test.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from augspec.ops import LIGHTING_EIGVAL, LIGHTING_EIGVEC, ColorJitter, OpBase, RandomResizedCrop
from augspec.parity.stats import binom_test, ks_2samp
from augspec.parity.units import Unit
from augspec.pipeline import Pipeline
from augspec.reference import rgb_to_hsv
from augspec.sampling import sample

ALPHA = 0.01  # p-values below this are reported as a different distribution
# The spec side of a KS test is cheap: more draws make the test about the native side.
SPEC_DRAWS_PER_NATIVE = 3
PROBE_HOW = (
    "recovered from a probe image; spec side: augspec.sample params replayed "
    "through the same backend (same rounding)"
)

Recover = Callable[[np.ndarray], float]


@dataclass
class Probe:
    """A probe image, how to read the quantity from an output, and from the spec's params."""

    quantity: str
    image: np.ndarray
    recover: Recover
    from_params: Callable[[dict[str, Any]], float]
    test: str  # "binomial" | "ks"
    pipeline: Pipeline


def _noise(hw: tuple[int, int] = (6, 7)) -> np.ndarray:
    return np.random.default_rng(1234).integers(0, 256, (*hw, 3), dtype=np.uint8)


def _flat(rgb: tuple[int, int, int], hw: tuple[int, int] = (8, 8)) -> np.ndarray:
    return np.broadcast_to(np.asarray(rgb, dtype=np.uint8), (*hw, 3)).copy()


def _hue_shift(out: np.ndarray, before: np.ndarray) -> float:
    h_out = rgb_to_hsv(out.reshape(-1, 3).mean(0) / 255.0)[0]
    h_in = rgb_to_hsv(before.reshape(-1, 3).mean(0) / 255.0)[0]
    return float((h_out - h_in + 0.5) % 1.0 - 0.5)


def _factor_probe(
    name: str, hi: float, pipeline: Pipeline, param: Callable[[dict[str, Any]], float]
) -> Probe:
    if name == "brightness":
        level = int(min(200, max(16, 250 // max(hi, 1e-6))))
        img = _flat((level, level, level))
        return Probe(
            "brightness factor",
            img,
            lambda o: float(o.astype(float).mean() / level),
            param,
            "ks",
            pipeline,
        )
    if name == "contrast":
        img = _flat((96, 96, 96))
        img[4:] = 160

        def spread(o: np.ndarray) -> float:
            return float((o[4:].astype(float).mean() - o[:4].astype(float).mean()) / 64.0)

        return Probe("contrast factor", img, spread, param, "ks", pipeline)
    if name == "saturation":
        img = _flat((160, 128, 96))
        return Probe(
            "saturation factor",
            img,
            lambda o: float(
                (o[..., 0].astype(float).mean() - o[..., 2].astype(float).mean()) / 64.0
            ),
            param,
            "ks",
            pipeline,
        )
    img = _flat((200, 60, 60))
    return Probe("hue shift (turns)", img, lambda o: _hue_shift(o, img), param, "ks", pipeline)


def _last(params: dict[str, Any]) -> dict[str, Any]:
    return params["ops"][-1]


def _component(name: str) -> Callable[[dict[str, Any]], float]:
    def read(params: dict[str, Any]) -> float:
        return float(_last(params)[name])

    return read


def probes_for(unit: Unit) -> list[Probe]:
    """The probes that recover what ``unit``'s op samples; [] for deterministic ops."""
    op, spec = unit.op, unit.pipeline
    if not op.is_random or unit.name == "compose":
        return []
    name = unit.name
    if name in ("horizontal_flip", "vertical_flip"):
        # Even sides: which of the two images the output matches more of (an odd side's middle
        # line is the replay parity's business, not the sampler's).
        probe = _noise((6, 8))
        flipped = probe[:, ::-1] if name == "horizontal_flip" else probe[::-1]
        return [
            Probe(
                "flip applied",
                probe,
                lambda o: float((o == flipped).mean() > (o == probe).mean()),
                lambda p: float(_last(p)["apply"]),
                "binomial",
                spec,
            )
        ]
    if name == "random_apply":
        probe = _noise()
        return [
            Probe(
                "ops applied",
                probe,
                lambda o: float(not np.array_equal(o, probe)),
                lambda p: float(_last(p)["apply"]),
                "binomial",
                spec,
            )
        ]
    if name in ("brightness", "contrast", "saturation", "hue"):
        return [_factor_probe(name, op.range[1], spec, lambda p: float(_last(p)["factor"]))]  # type: ignore[attr-defined]
    if isinstance(op, ColorJitter):
        jitter_probes: list[Probe] = []
        for comp, rng in op.ranges().items():
            if rng is None:
                continue
            only = Pipeline(ops=[ColorJitter(**{comp: getattr(op, comp)})])
            jitter_probes.append(_factor_probe(comp, rng[1], only, _component(comp)))
        return jitter_probes
    if name == "lighting":
        axis = np.asarray(LIGHTING_EIGVEC)[:, 0]
        axis = axis / np.linalg.norm(axis)
        img = _flat((128, 128, 128))
        return [
            Probe(
                "lighting alpha[0]",
                img,
                lambda o: float(
                    axis
                    @ (o.reshape(-1, 3).mean(0) - 128.0)
                    / LIGHTING_EIGVAL[0]
                    / np.linalg.norm(np.asarray(LIGHTING_EIGVEC)[:, 0])
                ),
                lambda p: float(_last(p)["alpha"][0]),
                "ks",
                spec,
            )
        ]
    from augspec.parity.filter_probes import filter_probes

    return filter_probes(unit, Probe)  # gaussian_blur, gaussian_noise, jpeg; [] for others


def coordinate_image(hw: tuple[int, int]) -> np.ndarray:
    """Each pixel's value encodes its index + 1 in 24 bits (0 is left for padding)."""
    code = np.arange(1, hw[0] * hw[1] + 1, dtype=np.int64).reshape(hw)
    return np.stack([(code >> 16) & 255, (code >> 8) & 255, code & 255], -1).astype(np.uint8)


def crop_offset(out: np.ndarray, width: int, padding: int) -> tuple[int, int]:
    code = (out[..., 0].astype(np.int64) << 16) | (out[..., 1].astype(np.int64) << 8) | out[..., 2]
    ys, xs = np.nonzero(code)
    if ys.size == 0:
        raise ValueError(
            "Expected a crop that holds at least one image pixel; received only padding"
        )
    y, x = divmod(int(code[ys[0], xs[0]]) - 1, width)
    return y + padding - int(ys[0]), x + padding - int(xs[0])


# ---- drawing from the frameworks ----------------------------------------------------


def native_draws(backend: Any, probe: Probe, n: int, seed: int) -> list[float]:
    """n outputs of the backend's native class on the probe, recovered."""
    compiled = backend.compile(probe.pipeline, "native")
    backend.seed(seed)
    return [probe.recover(np.asarray(backend.to_numpy(compiled(probe.image)))) for _ in range(n)]


def spec_draws(backend: Any, probe: Probe, m: int, seed: int) -> list[float]:
    """m ``augspec.sample`` draws replayed through the same backend and read back the same way.

    Replaying (rather than reading the params) puts both sides through the same
    rounding, so the test compares what is drawn, not how pixels are rounded.
    """
    hw = (int(probe.image.shape[0]), int(probe.image.shape[1]))
    out = []
    for i in range(m):
        params = sample(probe.pipeline, seed=seed, index=i, image_size=hw)
        y = backend.to_numpy(backend.replay(probe.pipeline, params, probe.image, "native"))
        out.append(probe.recover(np.asarray(y)))
    return out


BoxSampler = Callable[[tuple[int, int], int, int], list[tuple[int, int, int, int]]]


def box_sampler(name: str, module: Any, op: OpBase) -> tuple[str, BoxSampler] | None:
    """The backend's own crop-box sampler for ``op`` and what it is, or None where it has none.

    Asked of the backend (``native_sampler``, :class:`augspec.contract.Backend`), so the report
    holds no copy of a framework's sampler. None (every op but random_resized_crop today)
    leaves the op to the probes.
    """
    draw = module.native_sampler(op)
    return None if draw is None else (_describe(name, draw), draw)


def _describe(name: str, draw: Callable[..., Any]) -> str:
    """What the sampler is: its docstring's first line (it names the framework function)."""
    doc = inspect.getdoc(draw)
    summary = doc.splitlines()[0].rstrip(".") if doc else "the framework's own sampler"
    return f"{name} native_sampler: {summary}"


def _box_quantities(
    boxes: list[tuple[int, int, int, int]], hw: tuple[int, int]
) -> dict[str, list[float]]:
    H, W = hw
    return {
        "crop area fraction": [h * w / (H * W) for _, _, h, w in boxes],
        "crop log aspect (w/h)": [math.log(w / h) for _, _, h, w in boxes],
        "crop centre y / H": [(t + h / 2) / H for t, _, h, _ in boxes],
    }


# ---- tests ----------------------------------------------------------------------------


def compare(
    quantity: str, test: str, native: list[float], spec: list[float], p: float | None, how: str
) -> dict[str, Any]:
    if test == "binomial":
        k = int(round(sum(native)))
        rate, pval = binom_test(k, len(native), float(p if p is not None else np.mean(spec)))
        stat_name, stat = "rate", rate
    else:
        stat, pval = ks_2samp(native, spec)
        stat_name = "KS D"
    return {
        "quantity": quantity,
        "test": "exact binomial vs p" if test == "binomial" else "two-sample KS vs augspec.sample",
        "n": len(native),
        "n_spec": len(spec),
        "native_mean": float(np.mean(native)),
        "spec_mean": float(np.mean(spec)),
        "expected_rate": p,
        "statistic_name": stat_name,
        "statistic": float(stat),
        "p_value": float(pval),
        "verdict": "consistent" if pval >= ALPHA else "different",
        "how": how,
    }


def run_unit(
    unit: Unit, backends: dict[str, Any], n: int, seed: int, image_hw: tuple[int, int]
) -> dict[str, Any]:
    """Per backend: a list of tested quantities (or an error line)."""
    out: dict[str, Any] = {}
    for name, module in backends.items():
        try:
            out[name] = _unit_backend(unit, name, module, n, seed, image_hw)
        except Exception as err:  # noqa: BLE001 - a failing class is a measured result
            out[name] = {
                "error": f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
            }
    return out


def _unit_backend(
    unit: Unit, name: str, module: Any, n: int, seed: int, hw: tuple[int, int]
) -> list[dict[str, Any]]:
    op: OpBase = unit.op
    sampler = box_sampler(name, module, op)
    if sampler is not None and isinstance(op, RandomResizedCrop):
        how, draw = sampler
        native_boxes = _box_quantities(draw(hw, n, seed), hw)
        spec_boxes = []
        for i in range(SPEC_DRAWS_PER_NATIVE * n):
            p = _last(sample(unit.pipeline, seed=seed, index=i, image_size=hw))
            spec_boxes.append((p["top"], p["left"], p["height"], p["width"]))
        sampled = _box_quantities(spec_boxes, hw)
        return [compare(q, "ks", native_boxes[q], sampled[q], None, how) for q in native_boxes]
    if unit.name == "random_crop":
        return _crop_draws(unit, module, n, seed, hw)
    results = []
    for probe in probes_for(unit):
        native = native_draws(module, probe, n, seed)
        spec = spec_draws(module, probe, SPEC_DRAWS_PER_NATIVE * n, seed)
        rate = getattr(op, "p", None) if probe.test == "binomial" else None
        results.append(compare(probe.quantity, probe.test, native, spec, rate, PROBE_HOW))
    return results


def _crop_draws(
    unit: Unit, module: Any, n: int, seed: int, hw: tuple[int, int]
) -> list[dict[str, Any]]:
    op: Any = unit.op
    probe = coordinate_image(hw)
    compiled = module.compile(unit.pipeline, "native")
    module.seed(seed)
    native = [
        crop_offset(np.asarray(module.to_numpy(compiled(probe))), hw[1], op.padding)
        for _ in range(n)
    ]
    spec = [
        (_last(p)["top"], _last(p)["left"])
        for p in (
            sample(unit.pipeline, seed=seed, index=i, image_size=hw)
            for i in range(SPEC_DRAWS_PER_NATIVE * n)
        )
    ]
    how = "read off a coordinate-encoded probe"
    return [
        compare("crop top", "ks", [t for t, _ in native], [t for t, _ in spec], None, how),
        compare("crop left", "ks", [x for _, x in native], [x for _, x in spec], None, how),
    ]
