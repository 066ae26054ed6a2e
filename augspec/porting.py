"""``augspec port FILE.py --to BACKEND``: import, generate the other framework's code, and say
what will change the pixels.

For each pipeline of the file: the generated module (:func:`augspec.codegen.code_module`), then,
as Python comments (the output stays a runnable module), per op: the conventions translated
(Gluon's sizes are (width, height), its ``Resize(int)`` a square), and where the source
framework's native class and the target's depart from the spec (each backend record's sourced
reason), with the fidelity choice that removes the difference.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from augspec.importer import ImportedSpec
from augspec.native_names import FRAMEWORKS
from augspec.ops import OpBase

__all__ = ["port_notes", "source_framework"]


def source_framework(imported: ImportedSpec) -> str | None:
    """The framework a pipeline was written with, where it is one framework augspec compiles to."""
    known = [f for f in imported.frameworks if f in FRAMEWORKS]
    return known[0] if len(known) == 1 else None


def _leaves(ops: list[OpBase], prefix: str = "ops") -> Iterator[tuple[str, OpBase]]:
    for i, op in enumerate(ops):
        children = getattr(op, "ops", None)
        if children is None:
            yield f"{prefix}[{i}]", op
        else:
            yield from _leaves(children, f"{prefix}[{i}].ops")


def _convention_note(op: Any, source: str | None, target: str) -> str | None:
    size = getattr(op, "size", None)
    if size is None or "gluon" not in (source, target):
        return None
    if op.op == "resize" and isinstance(size, int):
        return (
            f"resize's int {size} is the shorter side: gluon writes Resize({size}, keep_ratio=True) "
            f"(gluon's Resize({size}) is a {size}x{size} square)"
        )
    if op.op == "resize" and size[0] == size[1] and source == "gluon":
        s = size[0]
        return (
            f"gluon's Resize({s}) is a {s}x{s} square: written Resize(({s}, {s})) "
            f"({target}'s Resize({s}) would resize the shorter side)"
        )
    if isinstance(size, tuple) and size[0] != size[1]:
        h, w = size
        return f"size {h}x{w} (height x width): gluon writes ({w}, {h}), torchvision ({h}, {w})"
    return None


def _departs(backend: str, op: OpBase) -> str | None:
    from augspec.ports import how_built

    how, why = how_built(backend, op, "spec")
    return why if how == "substituted" else None


def port_notes(imported: ImportedSpec, target: str, fidelity: str = "native") -> list[str]:
    """The comment lines printed after the generated code of one pipeline."""
    source = source_framework(imported)
    lines: list[str] = []
    old_only: list[str] = []
    new_departs: list[str] = []
    for where, op in _leaves(list(imported.spec.ops)):
        note = _convention_note(op, source, target)
        if note:
            lines.append(f"  {where} {op.op}: {note}")
        old = _departs(source, op) if source else None
        new = _departs(target, op)
        if old is None and new is None:
            continue
        (new_departs if new else old_only).append(where)
        lines.append(f"  {where} {op.op}: pixels depart from the spec")
        if old:
            lines.append(f"      {source} (the original, native): {old}")
        if new:
            done = " -> replaced (--fidelity spec)" if fidelity == "spec" else ""
            lines.append(f"      {target} (the port, native): {new}{done}")
    head = f"{imported.name} (line {imported.line}): {source or 'augspec'} -> {target}"
    if not lines:
        return [f"{head}: no convention to translate, no op whose pixels depart from the spec"]
    out = [f"{head}:", *lines]
    if new_departs and fidelity == "native":
        out.append(
            f"  fidelity: --fidelity spec writes augspec's faithful substitutes for "
            f"{', '.join(new_departs)}: the port then follows the spec (as "
            f"augspec.compile(spec, {target!r}, 'spec'))"
        )
    if old_only:
        out.append(
            f"  {', '.join(old_only)}: the port follows the spec natively; its pixels differ from "
            f"the original's, whose native {source} classes departed (augspec.compile(spec, "
            f"{source!r}, 'spec') follows the spec: compare with that)"
        )
    return out
