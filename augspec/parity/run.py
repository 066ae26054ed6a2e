"""The parity run: units -> cases -> replays + native draws -> verdicts -> report + sheets."""

from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np

import augspec
from augspec import reference
from augspec.io import load
from augspec.parity import chapter, conventions, replay_parity, sampling_parity, sheets
from augspec.parity.cases import make_cases
from augspec.parity.replay_parity import REFERENCE, framework_pairs
from augspec.parity.report import write
from augspec.parity.result import ParityReport, as_report
from augspec.parity.sampling_parity import ALPHA
from augspec.parity.units import Unit, collect_units
from augspec.parity.verdicts import judge_unit
from augspec.pipeline import Pipeline, output_hw, trace_hw

# The order of the report's columns and of its framework-vs-framework pairs.
FRAMEWORK_BACKENDS = ("torchvision", "torchvision-v2", "gluon")


def load_backends(names: list[str] | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """Importable backend modules by name, and why the others are missing."""
    import augspec.backends as backends

    loaded: dict[str, Any] = {}
    missing: dict[str, str] = {}
    for name in names or FRAMEWORK_BACKENDS:
        try:
            loaded[name] = backends.load(name)
        except (ImportError, ValueError) as err:
            missing[name] = str(err).splitlines()[0]
    return loaded, missing


def _framework_version(name: str) -> str:
    import importlib.metadata as md

    pkg = {"torchvision-v2": "torchvision", "gluon": "mxnet"}.get(name, name)
    try:
        return f"{pkg} {md.version(pkg)}"
    except md.PackageNotFoundError:
        return pkg


def _op_input_hw(unit: Unit, hw: tuple[int, int]) -> tuple[int, int]:
    for op in unit.pipeline.ops[:-1]:
        hw = output_hw(op, hw)
    return hw


def unit_image(unit: Unit, image: np.ndarray, seed: int) -> tuple[np.ndarray, str]:
    """The image itself, or, where the op cannot take it, the image through the ops before it."""
    hw = (int(image.shape[0]), int(image.shape[1]))
    try:
        trace_hw(unit.pipeline, hw)
        return image, "the input image"
    except ValueError:
        if not unit.prefix:
            raise
    prefix = Pipeline(ops=unit.prefix)
    params = augspec.sample(prefix, seed=seed, index=0, image_size=hw)
    x = reference.replay(prefix, params, image)
    names = ", ".join(o.op for o in unit.prefix)
    return x, f"the input image after {names} (reference kernels, sample 0 of seed {seed})"


def _progress(total: int, enabled: bool) -> Any:
    try:
        from tqdm import tqdm
    except ImportError:  # tqdm is optional: no bar then
        return None
    return tqdm(total=total, desc="parity", unit="step", file=sys.stderr, disable=not enabled)


def _sheet_pair(judged: dict[str, Any], names: list[str]) -> tuple[str, str]:
    """The two sides the sheet's heat map compares: of every two frameworks (native), the pair
    that differs most; with one framework, it against the reference."""
    if len(names) < 2:
        return REFERENCE, f"{names[0]}/native" if names else REFERENCE
    pairs = [p for p in framework_pairs(names) if p[0].endswith("/native")]

    def largest(pair: tuple[str, str]) -> float:
        return judged.get(f"{pair[0]} vs {pair[1]}", {}).get("max") or 0.0

    return max(pairs, key=largest)  # the first pair (torchvision vs v2) on a tie


def _sheet(
    unit: Unit,
    index: int,
    cases: list[Any],
    judged: dict[str, Any],
    image: np.ndarray,
    backends: dict[str, Any],
    img_dir: str,
) -> tuple[str, str]:
    """Every framework's native output on the case where two of them differ most, and the
    heat map of that pair's difference."""
    a, b = _sheet_pair(judged, list(backends))
    key = f"{a} vs {b}" if a != REFERENCE else b
    entry = judged.get(key, {})
    labels = [c["label"] for c in entry.get("cases", []) if c.get("max") is not None]
    maxima = [c["max"] for c in entry.get("cases", []) if c.get("max") is not None]
    pick = labels[int(np.argmax(maxima))] if maxima else cases[0].label
    case = next(c for c in cases if c.label == pick)
    outs = replay_parity.replay_case(unit, case, image, backends)
    sides = [f"{n}/native" for n in backends] or [REFERENCE]
    shown = [(s, sheets.displayable(outs[s], unit.pipeline)) for s in sides if s in outs]
    diff = None
    if a in outs and b in outs:
        x, y = (replay_parity.as_255(outs[s], unit.output_scale) for s in (a, b))
        diff = np.abs(x.astype(np.float64) - y.astype(np.float64)) if x.shape == y.shape else None
    name = f"{index:02d}_{unit.name}.png"
    dmax = f"max {diff.max():.3g}, mean {diff.mean():.3g}" if diff is not None else "sizes differ"
    caption = f"case '{case.label}'; |{a} - {b}|: {dmax}"
    sheets.op_sheet(
        os.path.join(img_dir, name),
        unit.label,
        replay_parity.case_image(image, case),
        shown,
        diff,
        f"|{a} - {b}| (0-255)\n{dmax}",
    )
    return name, caption


def run_parity(
    spec_paths: list[str],
    image: np.ndarray,
    image_source: str,
    out_dir: str,
    samples: int = 200,
    replays: int = 12,
    seed: int = 0,
    name: str = "report",
    backend_names: list[str] | None = None,
    command: str = "augspec parity",
    progress: bool = True,
) -> ParityReport:
    """Measure every op of the spec files, the chapter's pipelines among them and the conventions;
    write NAME.md, NAME.json and img/*.png under out_dir. The result renders itself in Jupyter."""
    specs = [(os.path.basename(p), load(p)) for p in spec_paths]
    backends, missing = load_backends(backend_names)
    units = collect_units(specs)
    hw = (int(image.shape[0]), int(image.shape[1]))
    img_dir = os.path.join(out_dir, "img")
    os.makedirs(img_dir, exist_ok=True)
    inputs = [unit_image(u, image, seed) for u in units]
    plan = [
        (u, make_cases(u, (int(x.shape[0]), int(x.shape[1])), replays, seed))
        for u, (x, _) in zip(units, inputs, strict=True)
    ]
    bar = _progress(sum(len(c) + 1 for _, c in plan), progress)
    unit_reports = []
    for index, ((unit, cases), (unit_input, input_text)) in enumerate(
        zip(plan, inputs, strict=True)
    ):
        unit_hw = (int(unit_input.shape[0]), int(unit_input.shape[1]))
        if bar is not None:
            bar.set_postfix_str(unit.name)
        replay = replay_parity.run_unit(
            unit, cases, unit_input, backends, bar.update if bar is not None else None
        )
        judged = judge_unit(replay, backends)
        sampling = (
            sampling_parity.run_unit(unit, backends, samples, seed, _op_input_hw(unit, unit_hw))
            if sampling_parity.probes_for(unit)
            or unit.name in ("random_resized_crop", "random_crop")
            else {}
        )
        sheet, caption = _sheet(unit, index, cases, judged, unit_input, backends, img_dir)
        if bar is not None:
            bar.update(1)
        unit_reports.append(
            {
                "op": unit.name,
                "label": unit.label,
                "anchor": f"op-{index:02d}-{unit.name.replace('_', '-')}",
                "spec": unit.op.model_dump(mode="json"),
                "sources": unit.sources,
                "input": input_text,
                "input_hw": list(unit_hw),
                "n_cases": len(cases),
                "n_sampled": sum(c.kind == "sample" for c in cases),
                "edge_labels": [c.label for c in cases if c.kind == "edge"],
                "replay": judged,
                "models": {k: _strip(v) for k, v in replay.summary().items() if "model:" in k},
                "sampling": sampling,
                "sheet": f"img/{sheet}",
                "sheet_caption": caption,
            }
        )
    if bar is not None:
        bar.close()
    report: dict[str, Any] = {
        "augspec_version": augspec.__version__,
        "command": command,
        "settings": {
            "seed": seed,
            "samples": samples,
            "replays": replays,
            "alpha": ALPHA,
            "json_name": f"{name}.json",
        },
        "image": {"source": image_source, "height": hw[0], "width": hw[1]},
        "specs": [p for p, _ in specs],
        "backends": {n: _framework_version(n) for n in backends},
        "missing_backends": missing,
        "units": unit_reports,
        "chapter": chapter.measure(specs, image, backends, replays, seed),
        "conventions": (
            conventions.measure(image, img_dir, chapter.chapter_specs(specs))
            if {"torchvision", "gluon"} <= set(backends)
            else []
        ),
    }
    write(report, os.path.join(out_dir, f"{name}.md"), os.path.join(out_dir, f"{name}.json"))
    return as_report(report, out_dir)


def _strip(stats: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in stats.items() if k != "cases"}
