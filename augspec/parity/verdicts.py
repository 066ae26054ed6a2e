"""Verdicts and explanations, chosen from what was measured.

The verdict rule (per op, backend and fidelity, against the reference):
``bit-exact`` if the max difference is 0 over every case; ``within
tolerance`` if max and mean are within the backend's stated spec tolerance
for the op (its ``tolerance(op)``: what "agrees with the spec" means);
``different`` otherwise. Both fidelities are judged by the same tolerance, so
a native class reported ``different`` is one that ``fidelity="spec"``
substitutes. Two backends against each other (torchvision vs torchvision-v2,
vs Gluon, ...): bit-exact if equal; within tolerance if within the sum of the
two stated tolerances.

Explanations come from measured *patterns* (which way the difference leans,
whether it grows with the downscale factor or the factor's distance from
identity, whether only edge cases show it, whether a candidate model of
:mod:`augspec.parity.models` reproduces the backend). A sourced framework
fact from :data:`FACTS` is cited only when the pattern it explains was
measured for that backend and op.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from augspec.ops import FACTS as OP_FACTS
from augspec.ops.base import MXNET_RANDOM as MXNET_RANDOM  # re-exported for facts written here
from augspec.ops.base import TV_PIL as TV_PIL
from augspec.ops.base import Fact
from augspec.ops.colour import COLOUR_OPS
from augspec.parity.models import MODELS
from augspec.parity.replay_parity import REFERENCE, UnitReplay
from augspec.parity.severity import UNDEFINED, classify_stats, moves_pixels
from augspec.pipeline import iter_leaves

BIT_EXACT, WITHIN, DIFFERENT, NOT_MEASURED = (
    "bit-exact",
    "within tolerance",
    "different",
    "not measured",
)


# The sourced facts live with the ops they explain (each family module's FACTS, collected in
# augspec.ops.FACTS); the names below stay importable from here.
COLOUR = COLOUR_OPS

# torchvision-v2 runs torchvision's tensor kernels on uint8 tensors (v1: the PIL path).
V2 = "torchvision-v2"
V2_COLOR = "torchvision/transforms/v2/functional/_color.py"
V2_MISC = "torchvision/transforms/v2/functional/_misc.py"
V2_GEOMETRY = "torchvision/transforms/v2/functional/_geometry.py"
_V2_BLENDS = ("brightness", "contrast", "saturation", "color_jitter")
V2_FACTS: tuple[Fact, ...] = (
    Fact(
        V2,
        _V2_BLENDS,
        "leans_low",
        "v2's uint8 colour kernels compute in float32 and cast back with .to(uint8), which "
        "truncates toward zero (no rounding): adjust_brightness_image multiplies and clamps, "
        "_blend computes image1 * ratio + image2 * (1 - ratio) and clamps",
        f"{V2_COLOR} (adjust_brightness_image, _blend)",
    ),
    Fact(
        V2,
        ("contrast", "saturation", "color_jitter"),
        "grows_with_factor",
        "v2's contrast and saturation blend with a grey level 0.2989 R + 0.587 G + 0.114 B floored "
        "to an integer (_rgb_to_grayscale_image, then floor_; contrast takes the mean of that), "
        "where the spec's is 0.299 R ... unrounded; the grey enters weighted by 1 - factor, so "
        "the difference grows with the factor's distance from 1",
        f"{V2_COLOR} (adjust_contrast_image, adjust_saturation_image, _rgb_to_grayscale_image)",
    ),
    Fact(
        V2,
        ("hue", "color_jitter"),
        "plus_minus_one",
        "v2's adjust_hue_image converts uint8 to float32, rotates the hue in float32 HSV and "
        "converts back with to_dtype_image, which truncates x * 255.999 (mul(255 + 1 - 1e-3)"
        ".to(uint8)): one level at most, unlike v1's PIL path (8-bit HSV)",
        f"{V2_COLOR} (adjust_hue_image), {V2_MISC} (to_dtype_image)",
    ),
    Fact(
        V2,
        ("color_jitter",),
        "beyond_rounding",
        "v2's ColorJitter.transform calls the functional kernels one after another on uint8, "
        "so each component's truncation is stored and scaled by the later components' factors",
        "torchvision/transforms/v2/_color.py (ColorJitter.transform)",
        summary="v2's ColorJitter stores each step truncated to uint8; later factors amplify it",
    ),
    Fact(
        V2,
        ("random_resized_crop", "resize"),
        "plus_minus_one",
        "v2's resize_image defaults to antialias=True (since torchvision 0.17) and, for uint8 "
        "bilinear on CPU, runs torch's native uint8 antialiased kernel: PIL's triangle filter in "
        "fixed point (v1 calls PIL itself), so a few pixels round the other way",
        f"{V2_GEOMETRY} (resize_image, _do_native_uint8_resize_on_cpu)",
    ),
    Fact(
        V2,
        ("to_tensor", "normalize"),
        "leans_high",
        "v2's ToDtype(float32, scale=True) multiplies by 1.0 / 255 in float32 "
        "(to_dtype_image: image.to(dtype).mul_(1.0 / 255)) where the spec divides by 255: "
        "the rounded reciprocal lands some values one float32 ulp high",
        f"{V2_MISC} (to_dtype_image)",
    ),
)

FACTS: tuple[Fact, ...] = OP_FACTS + V2_FACTS


# ---- verdicts ---------------------------------------------------------------------------


def tolerance(module: Any, unit_op: Any) -> tuple[float, float]:
    """The backend's stated (max, mean) for an op, ``module.tolerance(op)`` (a container's adds
    up its children's, by the contract). The same for both fidelities: native is judged by what
    the spec allows."""
    return module.tolerance(unit_op).as_pair()


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


def sum_tolerance(
    a: tuple[float, float] | None, b: tuple[float, float] | None
) -> tuple[float, float] | None:
    if a is None or b is None:
        return None
    return a[0] + b[0], a[1] + b[1]


# ---- patterns ---------------------------------------------------------------------------


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def patterns(
    stats: dict[str, Any], model_stats: dict[str, dict[str, Any]], other: str = "the reference"
) -> list[tuple[str, str]]:
    """(pattern key, sentence) for what the numbers of one pair show: a backend against
    ``other`` (the reference, or another backend's side)."""
    out: list[tuple[str, str]] = []
    if stats["shape_mismatches"]:
        out.append(("shape", "output sizes differ: " + "; ".join(stats["shape_mismatches"][:2])))
    if not stats["max"]:
        return out
    above, below = stats["a_above_b"], stats["a_below_b"]
    total = above + below
    if below > 0 and above <= 0.02 * total:
        out.append(
            (
                "leans_low",
                f"{below / total:.0%} of differing values lie below {other} "
                f"({below} below, {above} above): the lean of truncation, not of rounding",
            )
        )
    elif above > 0 and below <= 0.02 * total:
        out.append(("leans_high", f"{above / total:.0%} of differing values lie above {other}"))
    if stats["max"] <= 1:
        out.append(
            ("plus_minus_one", f"never more than 1 level apart ({above} above, {below} below)")
        )
    else:
        out.append(
            (
                "beyond_rounding",
                f"up to {_fmt(stats['max'])} levels apart: more than a rounding difference",
            )
        )
    out += _case_patterns(stats["cases"])
    for name, m in model_stats.items():
        if (
            m["max"] is not None
            and m["max"] <= 1
            and (m["max"] < stats["max"] or m["mean"] < 0.5 * stats["mean"])
        ):
            how = "reproduced exactly by" if m["max"] == 0 else "closer to"
            out.append(
                (
                    f"model:{name}",
                    f"{how} {MODELS[name].description} (max {_fmt(m['max'])}, "
                    f"mean {_fmt(m['mean'])} vs the reference's max {_fmt(stats['max'])}, "
                    f"mean {_fmt(stats['mean'])})",
                )
            )
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
            out.append(
                (
                    "shrink_only",
                    f"large only when shrinking: max {_fmt(s)} over {len(shrink)} cases "
                    f"shrinking > 1.25x, {_fmt(g)} over {len(grow)} enlarging",
                )
            )
    strength = [(c["strength"], c["mean"]) for c in measured if "strength" in c]
    if len(strength) >= 4:
        x, y = np.array(strength).T
        if x.std() > 0 and y.std() > 0:
            r = float(np.corrcoef(x, y)[0, 1])
            if r > 0.5:
                out.append(
                    (
                        "grows_with_factor",
                        f"grows with the factor's distance from identity "
                        f"(correlation of per-case mean difference: {r:.2f})",
                    )
                )
    return out


def explain(backend: str, op: str, found: list[tuple[str, str]]) -> list[dict[str, str]]:
    """The measured sentences, then every fact whose pattern was measured."""
    keys = {k for k, _ in found}
    lines = [{"kind": "measured", "text": text, "pattern": key} for key, text in found]
    for fact in FACTS:
        if fact.backend == backend and op in fact.ops and fact.pattern in keys:
            lines.append(
                {
                    "kind": "source",
                    "text": fact.text,
                    "source": fact.source,
                    "pattern": fact.pattern,
                    "summary": fact.summary,
                    "ops": ",".join(fact.ops),
                }
            )
    return lines


def judge_unit(replay: UnitReplay, backends: dict[str, Any]) -> dict[str, Any]:
    """Verdict, tolerance, numbers and explanation for every backend side and the cross pair."""
    summary = replay.summary()
    op = replay.unit.op
    geometric = moves_pixels([o.op for o in iter_leaves(replay.unit.pipeline.ops)])
    tols: dict[str, tuple[float, float] | None] = {}
    out: dict[str, Any] = {}
    for key, stats in summary.items():
        a, b = key.split(" vs ")
        if b != REFERENCE:
            continue
        name = a.split("/")[0]
        tols[a] = tolerance(backends[name], op)
        models = {
            k.split(" vs model:")[1]: v
            for k, v in summary.items()
            if k.startswith(f"{a} vs model:")
        }
        found = patterns(stats, models)
        out[a] = _entry(
            stats,
            tols[a],
            explain(name, op.op, found) if stats["max"] or stats["shape_mismatches"] else [],
            geometric,
        )
    for key, stats in summary.items():
        a, b = key.split(" vs ")
        if b == REFERENCE or b.startswith("model:"):
            continue
        tol = sum_tolerance(tols.get(a), tols.get(b))
        out[key] = _entry(
            stats,
            tol,
            [{"kind": "measured", "text": t, "pattern": k} for k, t in patterns(stats, {}, b)],
            geometric,
        )
    for side, err in replay.errors.items():
        out.setdefault(side, {"verdict": NOT_MEASURED})["error"] = err
    return out


# Measured sentences that quote the size of the difference: meaningless over unstable values.
_SIZE_PATTERNS = ("beyond_rounding", "plus_minus_one", "leans_low", "leans_high")


def _undefined_explanation(
    stats: dict[str, Any], explanation: list[dict[str, str]]
) -> list[dict[str, str]]:
    """Say the output is undefined instead of quoting its numbers (a cited fact's pattern stays)."""
    cited = {line["pattern"] for line in explanation if line["kind"] == "source"}
    kept = [
        line
        for line in explanation
        if line["kind"] == "source"
        or line["pattern"] not in _SIZE_PATTERNS
        or line["pattern"] in cited
    ]
    cases = ", ".join(stats["unstable_cases"])
    line = {
        "kind": "measured",
        "pattern": "undefined",
        "text": f"{stats['unstable_pixels']} values change between replays of the same params "
        f"({cases}): memory the framework never wrote, so their numbers are not given; the "
        f"other values differ by at most {_fmt(stats['stable_max'] or 0.0)}",
    }
    return [line, *kept]


def _entry(
    stats: dict[str, Any],
    tol: tuple[float, float] | None,
    explanation: list[dict[str, str]],
    geometric: bool,
) -> dict[str, Any]:
    worst = max(
        (c for c in stats["cases"] if c["max"] is not None), key=lambda c: c["max"], default=None
    )
    severity = classify_stats(stats, geometric)
    if severity == UNDEFINED:
        explanation = _undefined_explanation(stats, explanation)
    return {
        "verdict": verdict(stats, tol),
        "severity": severity,
        "max": stats["max"],
        "mean": stats["mean"],
        "p99": stats["p99"],
        "tolerance": list(tol) if tol is not None else None,
        "pixels": stats["pixels"],
        "above": stats["a_above_b"],
        "below": stats["a_below_b"],
        "worst_case": worst["label"] if worst else None,
        "unstable_pixels": stats["unstable_pixels"],
        "unstable_cases": stats["unstable_cases"],
        "stable_max": stats["stable_max"],
        "stable_mean": stats["stable_mean"],
        "explanation": explanation,
        "cases": stats["cases"],
    }
