"""``augspec.diff(a, b)`` (named pipeline_diff so that ``augspec.diff`` stays the function): are two
pipelines the same augmentation?

Both are put in canonical form (:mod:`augspec.canonical`), then aligned op by op (the longest
common run of op names, as ``difflib`` aligns lines); an op present in both but at another place
is an *order* difference, an op in one only is *missing* from the other, and aligned ops are
compared field by field (*probability* for ``p``, *parameter* for the rest, ranges shown as
``[min, max]``). No difference: equivalent.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from typing import Any

from augspec.canonical import CanonicalOp, canonical_ops, describe
from augspec.pipeline import Pipeline

__all__ = ["DiffResult", "Difference", "diff_pipelines"]

# Two numbers are the same parameter within float32 rounding (a Gluon object read back, or a
# float32 literal, carries one): relative 1e-6.
REL_TOL = 1e-6


@dataclass(frozen=True)
class Difference:
    """One difference: ``kind`` (order, missing, probability, parameter), where in each
    pipeline (``a``/``b``: the source position, '' where absent) and what."""

    kind: str
    a: str
    b: str
    text: str


@dataclass
class DiffResult:
    a: list[CanonicalOp]
    b: list[CanonicalOp]
    pairs: list[tuple[int, int]]  # aligned canonical positions (a index, b index)
    differences: list[Difference] = field(default_factory=list)

    @property
    def equivalent(self) -> bool:
        return not self.differences

    def report(self, name_a: str = "A", name_b: str = "B") -> str:
        """The text ``augspec diff`` prints."""
        if self.equivalent:
            ops = ", ".join(describe(op) for op in self.a) or "no ops"
            return f"equivalent: {len(self.a)} ops after canonicalisation: {ops}"
        n = len(self.differences)
        lines = [f"not equivalent: {n} difference{'s' if n > 1 else ''} ({name_a} vs {name_b})"]
        for d in self.differences:
            where = " / ".join(
                w for w in (f"{name_a} {d.a}" if d.a else "", f"{name_b} {d.b}" if d.b else "") if w
            )
            text = d.text
            if d.kind == "missing":
                text += f", not in {name_b if d.a else name_a}"
            lines.append(f"  {d.kind:<11} {where}: {text}")
        return "\n".join(lines)


def _same(x: Any, y: Any) -> bool:
    if isinstance(x, bool) or isinstance(y, bool):
        return x is y
    if isinstance(x, (int, float)) and isinstance(y, (int, float)):
        return math.isclose(x, y, rel_tol=REL_TOL, abs_tol=1e-12)
    if isinstance(x, list) and isinstance(y, list):
        return len(x) == len(y) and all(_same(u, v) for u, v in zip(x, y, strict=True))
    return bool(x == y)


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    return "null (inactive)" if value is None else repr(value)


def _compare(a: CanonicalOp, b: CanonicalOp, out: list[Difference]) -> None:
    """Field differences of two aligned ops of the same name (a random_apply: p, then its ops)."""
    if a.op == "random_apply":
        if not _same(a.data["p"], b.data["p"]):
            text = f"random_apply p: {_shown(a.data['p'])} vs {_shown(b.data['p'])}"
            out.append(Difference("probability", a.src, b.src, text))
        out += _differences(list(a.children), list(b.children))[1]
        return
    for key in dict.fromkeys([*a.data, *b.data]):
        if key == "op" or _same(a.data.get(key), b.data.get(key)):
            continue
        kind = "probability" if key == "p" else "parameter"
        text = f"{a.op}.{key}: {_shown(a.data.get(key))} vs {_shown(b.data.get(key))}"
        out.append(Difference(kind, a.src, b.src, text))


def _differences(
    a: list[CanonicalOp], b: list[CanonicalOp]
) -> tuple[list[tuple[int, int]], list[Difference]]:
    matcher = difflib.SequenceMatcher(a=[o.op for o in a], b=[o.op for o in b], autojunk=False)
    pairs: list[tuple[int, int]] = []
    for block in matcher.get_matching_blocks():
        pairs += [(block.a + k, block.b + k) for k in range(block.size)]
    out: list[Difference] = []
    left_a = [i for i in range(len(a)) if i not in {p[0] for p in pairs}]
    left_b = [j for j in range(len(b)) if j not in {p[1] for p in pairs}]
    moved: list[tuple[int, int]] = []
    for i in left_a:
        j = next((j for j in left_b if b[j].op == a[i].op), None)
        if j is not None:
            left_b.remove(j)
            moved.append((i, j))
    for i, j in sorted(moved):
        text = f"{a[i].op} is op {i + 1} of {len(a)} in one and op {j + 1} of {len(b)} in the other"
        out.append(Difference("order", a[i].src, b[j].src, text))
    for i in (i for i in left_a if i not in {m[0] for m in moved}):
        out.append(Difference("missing", a[i].src, "", describe(a[i])))
    for j in left_b:
        out.append(Difference("missing", "", b[j].src, describe(b[j])))
    for i, j in sorted(pairs + moved):
        _compare(a[i], b[j], out)
    return sorted(pairs + moved), out


def diff_pipelines(a: Pipeline, b: Pipeline) -> DiffResult:
    """Canonicalise both pipelines and list their differences (none: the same augmentation)."""
    ca, cb = canonical_ops(a), canonical_ops(b)
    pairs, differences = _differences(ca, cb)
    return DiffResult(ca, cb, pairs, differences)
