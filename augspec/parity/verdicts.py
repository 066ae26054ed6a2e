"""Verdicts and explanations, chosen from what was measured.

The verdict rule (per op, backend and fidelity, against the reference):
``bit-exact`` if the max difference is 0 over every case; ``within
tolerance`` if max and mean are within the backend's stated spec tolerance
for the op (its ``TOLERANCES``: what "agrees with the spec" means);
``different`` otherwise. Both fidelities are judged by the same tolerance, so
a native class reported ``different`` is one that ``fidelity="spec"``
substitutes. torchvision vs Gluon: bit-exact if equal; within tolerance if
within the sum of the two stated tolerances.

Explanations come from measured *patterns* (which way the difference leans,
whether it grows with the downscale factor or the factor's distance from
identity, whether only edge cases show it, whether a candidate model of
:mod:`augspec.parity.models` reproduces the backend). A sourced framework
fact from :data:`FACTS` is cited only when the pattern it explains was
measured for that backend and op.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from augspec.parity.models import MODELS
from augspec.parity.replay_parity import REFERENCE, UnitReplay

BIT_EXACT, WITHIN, DIFFERENT, NOT_MEASURED = "bit-exact", "within tolerance", "different", "not measured"


@dataclass(frozen=True)
class Fact:
    backend: str
    ops: tuple[str, ...]
    pattern: str  # the measured pattern that must be present to cite this fact
    text: str
    source: str


COLOUR = ("brightness", "contrast", "saturation", "hue", "color_jitter", "lighting")
MXNET_RANDOM = "apache/mxnet src/operator/image/image_random-inl.h"
TV_PIL = "torchvision/transforms/_functional_pil.py"

FACTS: tuple[Fact, ...] = (
    Fact("gluon", COLOUR, "model:truncate",
         "mxnet's image operators compute in float32 and store with saturate_cast<uint8_t>, "
         "which clamps and then truncates toward zero (no rounding)", f"{MXNET_RANDOM} (saturate_cast)"),
    Fact("gluon", ("saturation", "color_jitter"), "model:blue_grey",
         "mxnet's AdjustSaturationImpl assigns instead of accumulating the grey level "
         "(`gray = input[l*3 + c] * coef[c]` in a loop over c), so it blends with 0.114*B, not the luma",
         f"{MXNET_RANDOM} (AdjustSaturationImpl)"),
    Fact("gluon", ("hue", "color_jitter"), "model:truncate",
         "mxnet rotates hue in HLS space in float32 (RGB2HLSConvert/HLS2RGBConvert); HLS and HSV share "
         "the hue angle, so what remains is the final truncating cast", f"{MXNET_RANDOM} (AdjustHueImpl)"),
    Fact("gluon", ("random_resized_crop", "resize"), "model:no_antialias",
         "Gluon resizes with OpenCV cv::resize (INTER_LINEAR by default), which does not widen its filter "
         "when shrinking (no antialiasing); the reference, like PIL, does",
         "apache/mxnet src/operator/image/resize-inl.h (ResizeImpl)"),
    Fact("gluon", ("center_crop",), "edge_only",
         "mxnet's center_crop places the box at int((W - w) / 2), truncating an odd margin; "
         "the reference (and torchvision) round it", "mxnet/image/image.py (center_crop)"),
    Fact("gluon", ("horizontal_flip", "vertical_flip"), "edge_only",
         "mxnet's FlipImpl swaps pairs j < mid/2 into the output buffer and never writes the middle "
         "column (row) of an odd-sized image when the output is not the input's own buffer",
         f"{MXNET_RANDOM} (FlipImpl)"),
    Fact("torchvision", ("brightness", "contrast", "saturation", "color_jitter"), "leans_low",
         "torchvision's PIL path uses PIL.ImageEnhance, which blends with Image.blend into 8 bits "
         "(truncating); Contrast blends with int(mean + 0.5) of the 'L' image and Color with the "
         "8-bit 'L' image, both rounded grey levels", f"{TV_PIL} (adjust_*), PIL/ImageEnhance.py"),
    Fact("torchvision", ("brightness", "contrast", "saturation", "color_jitter"), "model:truncate",
         "PIL's Image.blend stores its 8-bit result truncated, not rounded", "PIL/ImageEnhance.py (_Enhance.enhance)"),
    Fact("torchvision", ("hue", "color_jitter"), "beyond_rounding",
         "torchvision's PIL adjust_hue converts to 8-bit HSV and adds np.int32(hue_factor * 255) "
         "to the hue channel: hue quantised to 1/255 of a turn, S and V to 8 bits", f"{TV_PIL} (adjust_hue)"),
    Fact("torchvision", ("random_resized_crop", "resize"), "plus_minus_one",
         "PIL resamples 8-bit images with fixed-point weights, so a few pixels round the other way",
         "Pillow src/libImaging/Resample.c (PRECISION_BITS)"),
)


# ---- verdicts ---------------------------------------------------------------------------


def tolerance(module: Any, unit_op: Any) -> tuple[float, float] | None:
    """The backend's stated spec (max, mean) for an op; containers add up their children's.

    The same for both fidelities: native is judged by what the spec allows.
    """
    table = getattr(module, "TOLERANCES", {})
    if unit_op.op in table:
        lo, hi = table[unit_op.op]
        return float(lo), float(hi)
    children = getattr(unit_op, "ops", None)
    if not children:
        return None
    parts = [tolerance(module, c) for c in children]
    if any(p is None for p in parts):
        return None
    return sum(p[0] for p in parts if p), sum(p[1] for p in parts if p)


def verdict(stats: dict[str, Any], tol: tuple[float, float] | None) -> str:
    if stats["max"] is None and not stats["shape_mismatches"]:
        return NOT_MEASURED
    if stats["shape_mismatches"]:
        return DIFFERENT
    if stats["max"] == 0:
        return BIT_EXACT
    if tol is not None and stats["max"] <= tol[0] and stats["mean"] <= tol[1]:
        return WITHIN
    return DIFFERENT


def sum_tolerance(a: tuple[float, float] | None, b: tuple[float, float] | None) -> tuple[float, float] | None:
    if a is None or b is None:
        return None
    return a[0] + b[0], a[1] + b[1]


# ---- patterns ---------------------------------------------------------------------------


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def patterns(stats: dict[str, Any], model_stats: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
    """(pattern key, sentence) for what the numbers of one backend-vs-reference pair show."""
    out: list[tuple[str, str]] = []
    if stats["shape_mismatches"]:
        out.append(("shape", "output sizes differ: " + "; ".join(stats["shape_mismatches"][:2])))
    if not stats["max"]:
        return out
    above, below = stats["a_above_b"], stats["a_below_b"]
    total = above + below
    if below > 0 and above <= 0.02 * total:
        out.append(("leans_low", f"{below / total:.0%} of differing values lie below the reference "
                                 f"({below} below, {above} above): the lean of truncation, not of rounding"))
    elif above > 0 and below <= 0.02 * total:
        out.append(("leans_high", f"{above / total:.0%} of differing values lie above the reference"))
    if stats["max"] <= 1:
        out.append(("plus_minus_one", f"never more than 1 level apart ({above} above, {below} below)"))
    else:
        out.append(("beyond_rounding", f"up to {_fmt(stats['max'])} levels apart: more than a rounding difference"))
    out += _case_patterns(stats["cases"])
    for name, m in model_stats.items():
        if m["max"] is not None and m["max"] <= 1 and (m["max"] < stats["max"] or m["mean"] < 0.5 * stats["mean"]):
            how = "reproduced exactly by" if m["max"] == 0 else "closer to"
            out.append((f"model:{name}", f"{how} {MODELS[name].description} (max {_fmt(m['max'])}, "
                                         f"mean {_fmt(m['mean'])} vs the reference's max {_fmt(stats['max'])}, "
                                         f"mean {_fmt(stats['mean'])})"))
    return out


def _case_patterns(cases: list[dict[str, Any]]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    measured = [c for c in cases if c["max"] is not None]
    sampled = [c for c in measured if c["kind"] == "sample"]
    edges = [c for c in measured if c["kind"] == "edge" and c["max"] > 0]
    if sampled and edges and max(c["max"] for c in sampled) == 0:
        out.append(("edge_only", "only edge cases differ: " + ", ".join(c["label"] for c in edges)))
    shrink = [c for c in measured if c.get("downscale", 0) > 1.25]
    grow = [c for c in measured if 0 < c.get("downscale", 0) <= 1.0]
    if shrink and grow:
        s, g = max(c["max"] for c in shrink), max(c["max"] for c in grow)
        if s > 2 * max(g, 1):
            out.append(("shrink_only", f"large only when shrinking: max {_fmt(s)} over {len(shrink)} cases "
                                       f"shrinking > 1.25x, {_fmt(g)} over {len(grow)} enlarging"))
    strength = [(c["strength"], c["mean"]) for c in measured if "strength" in c]
    if len(strength) >= 4:
        x, y = np.array(strength).T
        if x.std() > 0 and y.std() > 0:
            r = float(np.corrcoef(x, y)[0, 1])
            if r > 0.5:
                out.append(("grows_with_factor", f"grows with the factor's distance from identity "
                                                 f"(correlation of per-case mean difference: {r:.2f})"))
    return out


def explain(backend: str, op: str, found: list[tuple[str, str]]) -> list[dict[str, str]]:
    """The measured sentences, then every fact whose pattern was measured."""
    keys = {k for k, _ in found}
    lines = [{"kind": "measured", "text": text, "pattern": key} for key, text in found]
    for fact in FACTS:
        if fact.backend == backend and op in fact.ops and fact.pattern in keys:
            lines.append({"kind": "source", "text": fact.text, "source": fact.source, "pattern": fact.pattern})
    return lines


def judge_unit(replay: UnitReplay, backends: dict[str, Any]) -> dict[str, Any]:
    """Verdict, tolerance, numbers and explanation for every backend side and the cross pair."""
    summary = replay.summary()
    op = replay.unit.op
    tols: dict[str, tuple[float, float] | None] = {}
    out: dict[str, Any] = {}
    for key, stats in summary.items():
        a, b = key.split(" vs ")
        if b != REFERENCE:
            continue
        name = a.split("/")[0]
        tols[a] = tolerance(backends[name], op)
        models = {k.split(" vs model:")[1]: v for k, v in summary.items() if k.startswith(f"{a} vs model:")}
        found = patterns(stats, models)
        out[a] = _entry(stats, tols[a], explain(name, op.op, found) if stats["max"] or stats["shape_mismatches"] else [])
    for key, stats in summary.items():
        a, b = key.split(" vs ")
        if b == REFERENCE or b.startswith("model:"):
            continue
        tol = sum_tolerance(tols.get(a), tols.get(b))
        out[key] = _entry(stats, tol, [{"kind": "measured", "text": t, "pattern": k} for k, t in patterns(stats, {})])
    for side, err in replay.errors.items():
        out.setdefault(side, {"verdict": NOT_MEASURED})["error"] = err
    return out


def _entry(stats: dict[str, Any], tol: tuple[float, float] | None, explanation: list[dict[str, str]]) -> dict[str, Any]:
    worst = max((c for c in stats["cases"] if c["max"] is not None), key=lambda c: c["max"], default=None)
    return {
        "verdict": verdict(stats, tol),
        "max": stats["max"],
        "mean": stats["mean"],
        "p99": stats["p99"],
        "tolerance": list(tol) if tol is not None else None,
        "pixels": stats["pixels"],
        "above": stats["a_above_b"],
        "below": stats["a_below_b"],
        "worst_case": worst["label"] if worst else None,
        "explanation": explanation,
        "cases": stats["cases"],
    }
