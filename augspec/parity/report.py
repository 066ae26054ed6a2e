"""report.json (every measured number) and report.md (the same numbers, for reading).

Nothing here computes or types a number: the markdown is rendered from the
dict that is also written as JSON.
"""

from __future__ import annotations

import json
from typing import Any

from augspec.files import write_text
from augspec.parity import first_page
from augspec.parity.replay_parity import framework_pairs
from augspec.parity.severity import UNDEFINED, WHAT

VERDICT_MARK = {
    "bit-exact": "bit-exact",
    "within tolerance": "within tolerance",
    "different": "**different**",
    "not measured": "not measured",
}


def _n(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.3g}"
    return str(x)


def cell(entry: dict[str, Any] | None) -> str:
    """Severity class, then the verdict against the stated tolerance and the numbers; for
    undefined output, how many values changed and the numbers of the rest."""
    if not entry:
        return "-"
    if entry.get("verdict") == "not measured":
        return "not measured" + (f" ({entry['error']})" if entry.get("error") else "")
    mark = VERDICT_MARK[entry["verdict"]]
    if entry["verdict"] == "bit-exact":
        return mark
    severity = entry.get("severity", "")
    if severity == UNDEFINED:
        return (
            f"undefined: {entry['unstable_pixels']} values change between replays; the rest "
            f"{_n(entry['stable_max'])} / {_n(entry['stable_mean'])}"
        )
    return f"{severity}, {mark} ({_n(entry['max'])} / {_n(entry['mean'])})"


def sampling_cell(sampling: dict[str, Any]) -> str:
    if not sampling:
        return "not random"
    parts = []
    for backend, tests in sampling.items():
        if isinstance(tests, dict):
            parts.append(f"{backend}: error")
            continue
        if not tests:
            continue
        worst = min(tests, key=lambda t: t["p_value"])
        mark = worst["verdict"] if worst["verdict"] == "consistent" else "**different**"
        parts.append(f"{backend}: {mark} (min p={worst['p_value']:.2g})")
    return "; ".join(parts) or "not random"


def columns(report: dict[str, Any]) -> list[str]:
    """The summary's columns: each backend against the reference in both fidelities, then every
    two backends' native classes against each other (their spec pairs are in each op's table)."""
    names = list(report["backends"])
    cols = [f"{n}/{f}" for n in names for f in ("native", "spec")]
    return cols + [f"{a} vs {b}" for a, b in framework_pairs(names) if a.endswith("/native")]


def _heading(column: str) -> str:
    if " vs " in column:
        a, b = column.split(" vs ")
        return f"{a.removesuffix('/native')} vs {b.removesuffix('/native')} native"
    return column.replace("/", " ")


def verdict_table(report: dict[str, Any]) -> list[str]:
    cols = columns(report)
    head = ["op", *[_heading(c) for c in cols], "native sampling"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for u in report["units"]:
        row = [
            f"[`{u['label']}`](#{u['anchor']})",
            *[cell(u["replay"].get(c)) for c in cols],
            sampling_cell(u["sampling"]),
        ]
        lines.append("| " + " | ".join(row) + " |")
    return lines


def _explanations(entry: dict[str, Any]) -> list[str]:
    out = []
    for line in entry.get("explanation", []):
        if line["kind"] == "source":
            out.append(f"  - source: {line['text']} (`{line['source']}`)")
        else:
            out.append(f"  - measured: {line['text']}")
    return out


def unit_section(u: dict[str, Any], img_prefix: str) -> list[str]:
    lines = [
        f"#### {u['label']}",
        "",
        f'<a id="{u["anchor"]}"></a>',
        "",
        f"In: {', '.join(u['sources'])}. Input: {u['input']} ({u['input_hw'][0]}x{u['input_hw'][1]}). "
        f"Replayed on {u['n_cases']} cases "
        f"({u['n_sampled']} sampled params, {u['n_cases'] - u['n_sampled']} edge cases: "
        f"{', '.join(u['edge_labels']) or 'none'}).",
        "",
    ]
    if u.get("sheet"):
        lines += [
            f"![{u['label']}]({img_prefix}{u['sheet']})",
            "",
            f"Sheet: {u['sheet_caption']}",
            "",
        ]
    lines += [
        "| compared | class | verdict | max | mean | p99 | tolerance (max, mean) | worst case |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, e in u["replay"].items():
        if "max" not in e:
            lines.append(f"| {key} | | not measured: {e.get('error', '')} | | | | | |")
            continue
        tol = "-" if e["tolerance"] is None else f"{_n(e['tolerance'][0])}, {_n(e['tolerance'][1])}"
        label = key if " vs " in key else f"{key} vs reference"
        numbers = f"{_n(e['max'])} | {_n(e['mean'])} | {_n(e['p99'])}"
        if e.get("severity") == UNDEFINED:  # unstable values: no numbers of them
            numbers = (
                f"undefined ({e['unstable_pixels']} values in "
                f"{', '.join(e['unstable_cases'])}); the rest {_n(e['stable_max'])} | "
                f"{_n(e['stable_mean'])} | -"
            )
        lines.append(
            f"| {label} | {e.get('severity', '-')} | {VERDICT_MARK[e['verdict']]} | {numbers} | "
            f"{tol} | {e['worst_case'] or '-'} |"
        )
    lines.append("")
    for key, e in u["replay"].items():
        ex = _explanations(e)
        if ex:
            lines += [f"- {key}:", *ex]
    if any(_explanations(e) for e in u["replay"].values()):
        lines.append("")
    lines += _sampling_section(u["sampling"])
    return lines


def _sampling_section(sampling: dict[str, Any]) -> list[str]:
    if not sampling:
        return []
    lines = [
        "Native sampling (the framework's own class, recovered; compared with `augspec.sample`):",
        "",
        "| backend | quantity | test | n native / spec | native mean | spec mean | statistic | p-value | result | how |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for backend, tests in sampling.items():
        if isinstance(tests, dict):
            lines.append(f"| {backend} | error: {tests.get('error', '')} | | | | | | | | |")
            continue
        for t in tests:
            lines.append(
                f"| {backend} | {t['quantity']} | {t['test']} | {t['n']} / {t.get('n_spec', '-')} | {_n(t['native_mean'])} | "
                f"{_n(t['spec_mean'])} | {t['statistic_name']} {_n(t['statistic'])} | {t['p_value']:.3g} | "
                f"{t['verdict']} | {t['how']} |"
            )
    return [*lines, ""]


APPENDIX = "## Appendix: per-op detail"


def render_markdown(report: dict[str, Any], img_prefix: str = "") -> str:
    s = report["settings"]
    backends = ", ".join(f"{k} ({v})" for k, v in report["backends"].items()) or "none"
    classes = "; ".join(f"**{k}**: {v}" for k, v in WHAT.items())
    lines = [
        "# What differs between torchvision and Gluon augmentation, measured",
        "",
        f"Generated by `{report['command']}`; every number is in `{s['json_name']}`. "
        f"Classes: {classes}. Per-op detail: [appendix](#appendix-per-op-detail).",
        "",
        *first_page.render_markdown(report),
        APPENDIX,
        "",
        '<a id="appendix-per-op-detail"></a>',
        "",
        f"Image: {report['image']['source']} ({report['image']['height']}x{report['image']['width']}). "
        f"Seed {s['seed']}; {s['replays']} sampled params per random op plus its edge cases; "
        f"{s['samples']} native draws per random op. Backends: {backends}."
        + (
            f" Not measured: {', '.join(f'{k} ({v})' for k, v in report['missing_backends'].items())}."
            if report["missing_backends"]
            else ""
        ),
        "",
        "### Verdicts",
        "",
        "Differences are absolute, in 0-255 units of the input image (tensors x255, normalised tensors "
        "x255*std), as max / mean over every pixel of every case. Each cell gives the class (above), "
        "then the verdict: bit-exact if max = 0; within "
        "tolerance if max and mean are within the backend's stated spec tolerance for the op (its "
        "`tolerance(op)`: what agreeing with the spec means); different otherwise. Native and spec "
        "fidelity are judged by the same tolerance, so a native class marked different is one that spec "
        "fidelity replaces with a faithful substitute. A framework-vs-framework column (`a vs b native`: "
        "the two native classes on the same params; both fidelities in each op's table) uses the sum of "
        "the two tolerances. A side that departs beyond rounding is replayed twice more after other "
        "work: values that change are undefined and left out of the numbers beside them. Native "
        f"sampling: KS or binomial test, different if p < {s['alpha']}.",
        "",
        *verdict_table(report),
        "",
        "### Per op",
        "",
    ]
    for u in report["units"]:
        lines += unit_section(u, img_prefix)
    return "\n".join(lines).rstrip() + "\n"


def write(report: dict[str, Any], md_path: str, json_path: str, img_prefix: str = "") -> None:
    write_text(json_path, json.dumps(report, indent=1, sort_keys=False) + "\n")
    write_text(md_path, render_markdown(report, img_prefix))
