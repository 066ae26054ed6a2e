"""Shared helpers: interleaved timing, tables, skips, JSON.

Every benchmark times the things it compares *side by side in one process*: each
repeat runs every case once, in a rotating order, and the reported time is the
median over repeats, so a slow moment of the machine hits all cases alike and the
ratios stay meaningful even when the absolute numbers drift.
"""

from __future__ import annotations

import importlib
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from augspec.files import write_text

Result = dict[str, Any]


def example_path(name: str) -> str:
    """The path of a bundled example spec (package data of ``augspec.examples``)."""
    import augspec.examples

    return str(Path(augspec.examples.__file__).parent / f"{name}.yaml")


def interleaved(
    cases: dict[str, Callable[[], Any]], repeats: int, warmup: int = 1
) -> dict[str, float]:
    """Median seconds per call of each case, the cases interleaved repeat by repeat."""
    return {
        name: statistics.median(ts) for name, ts in interleaved_runs(cases, repeats, warmup).items()
    }


def paired_ratio(runs: dict[str, list[float]], num: str, den: str) -> float:
    """Median over repeats of ``num / den`` timed in the same repeat (drift cancels pairwise)."""
    return statistics.median(a / b for a, b in zip(runs[num], runs[den], strict=True))


def interleaved_runs(
    cases: dict[str, Callable[[], Any]], repeats: int, warmup: int = 1
) -> dict[str, list[float]]:
    """Seconds of every repeat of each case, the cases interleaved repeat by repeat."""
    names = list(cases)
    for _ in range(warmup):
        for name in names:
            cases[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            start = time.perf_counter()
            cases[name]()
            times[name].append(time.perf_counter() - start)
    return times


def try_import(module: str) -> tuple[Any, str | None]:
    """(module, None) or (None, why it cannot be used yet)."""
    try:
        return importlib.import_module(module), None
    except Exception as err:  # noqa: BLE001 - any import failure means: skip this part
        return (
            None,
            f"{module} not importable ({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''})",
        )


def new_result(name: str, title: str, columns: list[str]) -> Result:
    return {
        "name": name,
        "title": title,
        "columns": columns,
        "rows": [],
        "skipped": [],
        "notes": [],
    }


def table(result: Result) -> str:
    cols = result["columns"]
    lines = [f"## {result['title']}", "", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in result["rows"]:
        lines.append("| " + " | ".join(_fmt(row.get(c, "")) for c in cols) + " |")
    lines += [f"- note: {n}" for n in result["notes"]]
    lines += [f"- skipped: {s}" for s in result["skipped"]]
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def write_json(path: str, results: list[Result], info: dict[str, Any]) -> None:
    write_text(path, json.dumps({"info": info, "results": results}, indent=2, default=str) + "\n")
