"""The report's first page: the differences that matter, ranked; the chapter; the conventions.

Everything here is computed from the report dict (which is also the JSON): the measured
per-op entries are grouped by the sourced fact that explains them (one difference = one cause
on one backend), ranked by effect, and each group says what differs, how much, what triggers
it, whether the chapter's pipelines hit it, and the fix. Rendered as Markdown (the committed
report, ``_repr_markdown_``) and as HTML (``_repr_html_``) from the same rows.
"""

from __future__ import annotations

import html
import re
from typing import Any

from augspec.parity.severity import (
    BIT_EXACT,
    CONVENTION,
    GEOMETRIC,
    ROUNDING,
    ROUNDING_LEVELS,
    UNDEFINED,
    VISIBLE,
    in_words,
)

SHOWN = (VISIBLE, GEOMETRIC, UNDEFINED)  # classes that get their own ranked entry
THUMB_PX = 96


def _n(x: float | None) -> str:
    return "-" if x is None else f"{x:.3g}"


def _cause(entry: dict[str, Any]) -> dict[str, str] | None:
    """The most specific sourced fact cited for an entry (fewest ops), or None."""
    facts = [e for e in entry.get("explanation", []) if e["kind"] == "source"]
    if not facts:
        return None
    return min(facts, key=lambda f: len(f.get("ops", "").split(",")))


def _leaves(unit: dict[str, Any]) -> set[str]:
    """Op names in a unit's spec (a container's children, recursively)."""
    names = set()
    stack = [unit["spec"]]
    while stack:
        op = stack.pop()
        names.add(op["op"])
        stack.extend(op.get("ops", []))
    return names


def _effect(item: dict[str, Any]) -> float:
    """Mean difference per pixel, 0-255, over the values that are defined."""
    e = item["entry"]
    return float(e.get("stable_mean") if e.get("stable_mean") is not None else e["mean"] or 0.0)


def group_differences(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One group per (backend, cause): the native classes' measured differences beyond rounding."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    orphans = []
    for unit in report["units"]:
        for backend in report["backends"]:
            entry = unit["replay"].get(f"{backend}/native", {})
            if entry.get("severity") not in SHOWN:
                continue
            item = {"unit": unit, "entry": entry}
            cause = _cause(entry)
            if cause is None:
                orphans.append((backend, item))
                continue
            key = (backend, cause["source"])
            groups.setdefault(key, {"backend": backend, "cause": cause, "items": []})
            groups[key]["items"].append(item)
    for backend, item in orphans:  # a compound op goes with the fact that covers its parts
        leaves = _leaves(item["unit"])
        homes = [
            g
            for (b, _), g in groups.items()
            if b == backend and leaves & set((g["cause"] or {}).get("ops", "").split(","))
        ]
        if homes:
            max(homes, key=lambda g: max(_effect(i) for i in g["items"]))["items"].append(item)
        else:  # compound ops with no single cited cause: one entry per backend
            key = (backend, "compound")
            groups.setdefault(key, {"backend": backend, "cause": None, "items": []})
            groups[key]["items"].append(item)
    out = []
    for g in groups.values():
        g["items"].sort(key=_effect, reverse=True)
        g["worst"] = g["items"][0]
        g["severity"] = g["worst"]["entry"]["severity"]
        g["effect"] = _effect(g["worst"])
        out.append(g)
    return out


def _rank_key(row: dict[str, Any]) -> tuple[int, float]:
    """Output-size conventions first (nothing lines up), then by mean difference per pixel;
    then conventions of draws and seeds; then undefined values (a line of pixels)."""
    if row["severity"] == CONVENTION:
        return (0, 0.0) if row["changes_shape"] else (2, 0.0)
    if row["severity"] == UNDEFINED:
        return (3, -row["effect"])
    return (1, -row["effect"])


def _sampled_beyond_rounding(item: dict[str, Any]) -> bool:
    """Whether the op differs beyond rounding on sampled params (not only on edge cases)."""
    return any(
        c["kind"] == "sample" and (c["max"] is None or c["max"] > ROUNDING_LEVELS)
        for c in item["entry"].get("cases", [])
    )


def _chapter_hits(report: dict[str, Any], group: dict[str, Any]) -> tuple[list[str], str]:
    """A chapter pipeline is hit when it holds one of the group's ops, that op differs on
    sampled params (not only on edge cases), and the whole pipeline measured beyond rounding."""
    backend = group["backend"]
    measured = {c["file"]: c for c in report.get("chapter", [])}
    sources = {s for i in group["items"] for s in i["unit"]["sources"]}
    using = [f for f in measured if f in sources]
    if not using:
        return [], "no chapter pipeline uses it"
    hit = []
    for f in using:
        pair = measured[f]["pairs"].get(f"{backend}/native vs reference", {})
        sampled = any(
            _sampled_beyond_rounding(i) for i in group["items"] if f in i["unit"]["sources"]
        )
        if sampled and pair.get("severity") not in (BIT_EXACT, ROUNDING, None):
            hit.append(f.removesuffix(".yaml"))
    if hit:
        return [f"{h}.yaml" for h in hit], "hits " + ", ".join(hit)
    names = ", ".join(f.removesuffix(".yaml") for f in using)
    return [], f"not on the chapter's images ({names})"


def _plain(label: str) -> str:
    """A unit label without square brackets (they would end a Markdown link's text)."""
    return label.replace("[", "(").replace("]", ")")


def _trigger(group: dict[str, Any]) -> str:
    labels = [
        f"[`{_plain(i['unit']['label'])}`](#{i['unit']['anchor']})" for i in group["items"][:2]
    ]
    more = len(group["items"]) - 2
    text = ", ".join(labels) + (f" +{more} more" if more > 0 else "")
    worst = group["worst"]["entry"]
    patterns = {e["pattern"] for e in worst.get("explanation", [])}
    if worst.get("unstable_cases"):
        text += "; only on " + ", ".join(worst["unstable_cases"])
    elif "edge_only" in patterns:
        text += "; only on edge cases (odd sizes, extreme factors)"
    elif "shrink_only" in patterns:
        text += "; when shrinking > 1.25x"
    return text


def _size(group: dict[str, Any]) -> str:
    e = group["worst"]["entry"]
    words = in_words(group["severity"], e["max"], e.get("stable_mean"))
    if group["severity"] == UNDEFINED:
        return (
            f"{words}: {e['unstable_pixels']} values changed between replays; "
            f"the rest max {_n(e['stable_max'])}"
        )
    return f"{words}: max {_n(e['stable_max'])} / mean {_n(e['stable_mean'])} levels"


def _fix(group: dict[str, Any]) -> str:
    spec_ok = all(
        i["unit"]["replay"].get(f"{group['backend']}/spec", {}).get("verdict")
        in ("bit-exact", "within tolerance")
        for i in group["items"]
    )
    return '`fidelity="spec"`' if spec_ok else "a spec change"


def _thumb(sheet: str, alt: str) -> str:
    return f'[<img src="{sheet}" width="{THUMB_PX}" alt="{alt}">]({sheet})'


def ranked_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The first page's table: measured groups and conventions, ranked by effect."""
    rows = []
    for g in group_differences(report):
        unit = g["worst"]["unit"]
        cause = g["cause"]
        what = (
            (cause.get("summary") or cause["text"].split(";")[0])
            if cause
            else "compound ops beyond rounding, no single cited cause (see detail)"
        )
        hit_files, hit_text = _chapter_hits(report, g)
        rows.append(
            {
                "severity": g["severity"],
                "effect": g["effect"],
                "changes_shape": False,
                "hits": hit_files,
                "short": what.split(" (")[0],
                "cells": [
                    f"{g['backend']}: {what}",
                    g["severity"],
                    _size(g),
                    _trigger(g),
                    hit_text,
                    _fix(g),
                    _thumb(unit["sheet"], unit["op"]),
                ],
            }
        )
    for c in report.get("conventions", []):
        if c["severity"] != CONVENTION:
            continue
        rows.append(
            {
                "severity": CONVENTION,
                "effect": 0.0,
                "changes_shape": c["changes_shape"],
                "hits": c.get("chapter_files", []),
                "short": c["title"].lower(),
                "cells": [
                    f"{c['title']}: `{c['code']}`",
                    CONVENTION,
                    f"torchvision {c['torchvision']}; Gluon {c['gluon']}",
                    f"[same code, two meanings](#convention-{c['id'].replace('_', '-')})",
                    c.get("chapter", "-"),
                    c["fix"],
                    _thumb(c["picture"], c["id"]),
                ],
            }
        )
    return sorted(rows, key=_rank_key)


def rounding_only(report: dict[str, Any]) -> str:
    found = [
        f"{b} `{u['op']}`"
        for u in report["units"]
        for b in report["backends"]
        if u["replay"].get(f"{b}/native", {}).get("severity") == ROUNDING
    ]
    uniq = list(dict.fromkeys(found))
    return f"Rounding only (at most 2 levels, invisible): {len(uniq)} native classes, e.g. " + (
        ", ".join(uniq[:4]) + "." if uniq else "none."
    )


def _pair_cell(pair: dict[str, Any] | None) -> str:
    if not pair:
        return "-"
    sev = pair["severity"]
    if sev == BIT_EXACT:
        return "no difference"
    if sev == UNDEFINED:
        return f"undefined ({pair['unstable_pixels']} values)"
    if pair["shape_mismatches"]:
        return f"{sev}: sizes differ"
    return f"{sev} (max {_n(pair['max'])} / mean {_n(pair['mean'])})"


def chapter_rows(report: dict[str, Any], ranked: list[dict[str, Any]]) -> list[list[str]]:
    names = list(report["backends"])
    rows = []
    for c in report.get("chapter", []):
        why = [f"#{i + 1}" for i, r in enumerate(ranked) if c["file"] in r.get("hits", [])]
        vs = c["pairs"]
        cross = _pair_cell(vs.get("torchvision/native vs gluon/native"))
        each = "; ".join(f"{n}: {_pair_cell(vs.get(f'{n}/native vs reference'))}" for n in names)
        anchor = next((u["anchor"] for u in report["units"] if c["file"] in u["sources"]), None)
        title = f"[{c['title']}](#{anchor})" if anchor else c["title"]
        rows.append(
            [title, f"{c['image_hw'][0]}x{c['image_hw'][1]}", cross, each, ", ".join(why) or "-"]
        )
    return rows


def convention_rows(report: dict[str, Any]) -> list[list[str]]:
    return [
        [
            f'<a id="convention-{c["id"].replace("_", "-")}"></a>{c["title"]}: `{c["code"]}`',
            c["torchvision"],
            c["gluon"],
            c["spec"],
            f"[picture]({c['picture']})",
        ]
        for c in report.get("conventions", [])
    ]


DIFF_HEAD = ["what differs", "class", "how much", "triggered by", "chapter", "fix", "sheet"]
CHAPTER_HEAD = [
    "chapter pipeline",
    "image",
    "torchvision vs Gluon (native)",
    "each vs the spec",
    "entries above that apply",
]
CONV_HEAD = ["same written code", "torchvision", "Gluon", "what the spec means", "picture"]


def sections(report: dict[str, Any]) -> list[tuple[str, str, list[str], list[list[str]]]]:
    """(heading, text, table head, rows) of the first page."""
    ranked = ranked_rows(report)
    return [
        (
            "The differences that matter",
            "Ranked by effect: conventions that change the output size first, then by mean "
            "difference per pixel (0-255 levels, the native class against the spec on the same "
            "params), then conventions of draws and seeds, then undefined values. "
            + rounding_only(report),
            ["#", *DIFF_HEAD],
            [[str(i + 1), *r["cells"]] for i, r in enumerate(ranked)],
        ),
        (
            "The chapter's pipelines",
            "Each replayed whole on the chapter's own images, same params everywhere.",
            CHAPTER_HEAD,
            chapter_rows(report, ranked),
        ),
        (
            "Conventions: the same code, two meanings",
            "Built directly with each framework's classes, as the chapter writes them.",
            CONV_HEAD,
            convention_rows(report),
        ),
    ]


def _md_table(head: list[str], rows: list[list[str]]) -> list[str]:
    def esc(cell: str) -> str:
        return cell.replace("|", "\\|").replace("\n", " ")

    return [
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
        *["| " + " | ".join(esc(c) for c in row) + " |" for row in rows],
    ]


def render_markdown(report: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for heading, text, head, rows in sections(report):
        lines += [f"## {heading}", "", text, "", *_md_table(head, rows), ""]
    return lines


_LINK = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")
_CODE = re.compile(r"`([^`]*)`")


_THUMB = re.compile(r"\[(<img [^>]*>)\]\(([^)]*)\)")


def _html_cell(cell: str, img_prefix: str, detail: str = "") -> str:
    """The few Markdown forms the cells use (links, code, a linked <img>), as HTML; links to
    the per-op detail go to ``detail`` (the report file) when given."""
    parts = re.split(r"(\[<img [^>]*>\]\([^)]*\)|<a id=\"[^\"]*\"></a>)", cell)
    out = []
    for part in parts:
        thumb = _THUMB.fullmatch(part)
        if thumb:
            img = thumb[1].replace('src="', f'src="{img_prefix}')
            out.append(f'<a href="{_href(thumb[2], img_prefix, detail)}">{img}</a>')
        elif part.startswith("<a id="):
            out.append(part)
        else:
            text = html.escape(part, quote=False)
            text = _CODE.sub(r"<code>\1</code>", text)
            out.append(
                _LINK.sub(lambda m: f'<a href="{_href(m[2], img_prefix, detail)}">{m[1]}</a>', text)
            )
    return "".join(out)


def _href(target: str, img_prefix: str, detail: str = "") -> str:
    if target.startswith("#op-") and detail:
        return detail + target
    return target if target.startswith("#") else img_prefix + target


def render_html(report: dict[str, Any], img_prefix: str = "", detail: str = "") -> str:
    """The first page as HTML; ``detail``: the report file that per-op links point into."""
    out = ["<div class='augspec-parity'>", "<h3>augspec parity: what differs</h3>"]
    for heading, text, head, rows in sections(report):
        out.append(f"<h4>{html.escape(heading)}</h4><p>{_html_cell(text, img_prefix)}</p>")
        out.append("<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>")
        for row in rows:
            cells = "".join(f"<td>{_html_cell(c, img_prefix, detail)}</td>" for c in row)
            out.append(f"<tr>{cells}</tr>")
        out.append("</table>")
    out.append("</div>")
    return "\n".join(out)
