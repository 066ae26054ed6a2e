"""From code to spec and back: ``augspec import``, ``code``, ``diff`` and ``port``.

- ``import FILE.py [--name VAR] [--out DIR]``: the pipelines assigned in a Python file, read
  with ``ast`` (never executed), as spec files; what cannot be read statically is listed on
  stderr with its line and skipped.
- ``code SPEC --backend B [--fidelity spec]``: the Python that builds SPEC with B's classes.
- ``diff A B [--measure]``: whether two pipelines are the same augmentation (exit 0) or not
  (exit 1, the differences op by op); ``--measure`` adds each aligned pair's replay difference.
- ``port FILE.py --to B``: import + code + what will change the pixels and how to avoid it.

SPEC, A and B are spec files (YAML/JSON) or Python files (``FILE.py`` for every pipeline in it,
``FILE.py:VAR`` or ``--name VAR`` for one).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from augspec.codegen import BACKENDS

FIDELITY_HELP = (
    "native: the framework's own classes (default); spec: augspec's faithful substitutes where "
    "a native class departs from the spec"
)


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "import", help="read transform pipelines from a Python file (parsed, never run)"
    )
    p.add_argument("file", metavar="FILE.py")
    p.add_argument("--name", help="only the pipeline assigned to this variable")
    p.add_argument("--out", help="write one spec file per pipeline into this folder")
    p.add_argument("--format", choices=("yaml", "json"), default="yaml")
    p.set_defaults(func=run_import)

    p = subparsers.add_parser("code", help="write the Python that builds a spec in a framework")
    p.add_argument("spec", metavar="SPEC", help="spec file, or FILE.py[:VAR]")
    p.add_argument("--backend", choices=tuple(BACKENDS), default="torchvision")
    p.add_argument("--fidelity", choices=("native", "spec"), default="native", help=FIDELITY_HELP)
    p.add_argument("--name", help="the pipeline variable to take from a Python file")
    p.add_argument("--var", help="the variable the code assigns (default: its name, or augs)")
    p.add_argument("--out", help="write to this file instead of stdout")
    p.set_defaults(func=run_code)

    p = subparsers.add_parser(
        "diff", help="are two pipelines the same augmentation? (exit 0 yes, 1 no)"
    )
    p.add_argument("a", metavar="A", help="spec file, or FILE.py[:VAR]")
    p.add_argument("b", metavar="B", help="spec file, or FILE.py[:VAR]")
    p.add_argument("--name", help="the pipeline variable to take from Python files")
    p.add_argument(
        "--measure",
        action="store_true",
        help="add each aligned pair's replay difference (native fidelity, on the photo)",
    )
    p.add_argument(
        "--backends",
        help="A's and B's framework for --measure, e.g. gluon,torchvision (default: the "
        "frameworks the Python files use, else torchvision,gluon)",
    )
    p.add_argument("--samples", type=int, default=4, help="samples per pair for --measure")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run_diff)

    p = subparsers.add_parser(
        "port", help="a pipeline file ported to another framework, and what changes the pixels"
    )
    p.add_argument("file", metavar="FILE.py")
    p.add_argument("--to", required=True, choices=tuple(BACKENDS), dest="target")
    p.add_argument("--name", help="only the pipeline assigned to this variable")
    p.add_argument("--fidelity", choices=("native", "spec"), default="native", help=FIDELITY_HELP)
    p.add_argument(
        "--measure",
        action="store_true",
        help="replay each op in the source framework and in the port on the photo",
    )
    p.add_argument("--out", help="write the code to this file (the notes still print)")
    p.set_defaults(func=run_port)


# ---- reading the arguments ---------------------------------------------------------------


def _split_var(arg: str, name: str | None) -> tuple[str, str | None]:
    path, sep, var = arg.rpartition(":")
    if sep and path.endswith(".py") and var.isidentifier():
        return path, var
    return arg, name


def load_pipelines(arg: str, name: str | None = None) -> list[Any]:
    """``ImportedSpec``s from a Python file (all, or ``name``), or one from a spec file."""
    import augspec
    from augspec.importer import ImportedSpec, import_file

    path, var = _split_var(arg, name)
    if not path.endswith(".py"):
        spec = augspec.load(path)
        return [ImportedSpec(Path(path).stem.replace("-", "_"), 0, (), spec)]
    result = import_file(path)
    for skipped in result.skipped:
        if var is None or skipped.name == var:
            print(f"{path}:{skipped}", file=sys.stderr)
    if var is not None:
        return [result.get(var)]
    if not result.specs:
        raise ValueError(f"{path}: Expected at least one transform pipeline; received none")
    return result.specs


def _identifier(name: str) -> str:
    return name if name.isidentifier() else "augs"


# ---- the commands ------------------------------------------------------------------------


def run_import(args: argparse.Namespace) -> int:
    from augspec.files import write_text
    from augspec.io import dumps

    specs = load_pipelines(args.file, args.name)
    out = Path(args.out) if args.out else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    for i, imported in enumerate(specs):
        text = dumps(imported.spec, args.format)
        where = f"{args.file} line {imported.line}, {', '.join(imported.frameworks)}"
        if out is not None:
            target = out / f"{imported.name}.{args.format}"
            write_text(target, text)
            print(f"{target}: {imported.name} ({where}, {len(imported.spec.ops)} ops)")
        else:
            sep = "" if i == 0 else ("---\n" if args.format == "yaml" else "\n")
            head = f"# {imported.name} ({where})\n" if args.format == "yaml" else ""
            print(f"{sep}{head}{text}", end="")
    return 0


def run_code(args: argparse.Namespace) -> int:
    from augspec.codegen import code_module
    from augspec.files import write_text

    specs = load_pipelines(args.spec, args.name)
    if args.var and len(specs) > 1:
        raise ValueError(
            f"--var: Expected one pipeline to name; received {len(specs)} (pick one with --name)"
        )
    named = [(args.var or _identifier(s.name), s.spec) for s in specs]
    bare = {name for (name, _), s in zip(named, specs, strict=True) if not s.composed}
    text = code_module(named, args.backend, args.fidelity, bare)
    if args.out:
        write_text(args.out, text)
    else:
        print(text, end="")
    return 0


def _pairs(
    a: list[Any], b: list[Any], labels: tuple[str, str]
) -> tuple[list[tuple[Any, Any]], list[str]]:
    """Same-named pipelines of two files (one of each: that pair), and the names in one only."""
    if len(a) == 1 and len(b) == 1:
        return [(a[0], b[0])], []
    by_name = {s.name: s for s in b}
    pairs = [(s, by_name[s.name]) for s in a if s.name in by_name]
    alone = [f"{s.name}: only in {labels[0]}" for s in a if s.name not in by_name]
    alone += [f"{s.name}: only in {labels[1]}" for s in b if s.name not in {x.name for x in a}]
    return pairs, alone


def _label(arg: str) -> str:
    return Path(_split_var(arg, None)[0]).name


def _measure_backends(args: argparse.Namespace, a: Any, b: Any) -> tuple[str, str]:
    from augspec.porting import source_framework

    if args.backends:
        names = tuple(n.strip() for n in args.backends.split(","))
        if len(names) != 2 or any(n not in BACKENDS and n != "reference" for n in names):
            raise ValueError(
                f"--backends: Expected two backends A,B among {', '.join(BACKENDS)}, reference; "
                f"received {args.backends!r}"
            )
        return names[0], names[1]
    return source_framework(a) or "torchvision", source_framework(b) or "gluon"


def run_diff(args: argparse.Namespace) -> int:
    from augspec.pipeline_diff import diff_pipelines

    labels = (_label(args.a), _label(args.b))
    if labels[0] == labels[1]:
        labels = ("A", "B")
    loaded = load_pipelines(args.a, args.name), load_pipelines(args.b, args.name)
    pairs, alone = _pairs(*loaded, labels)
    same = not alone
    for a, b in pairs:
        result = diff_pipelines(a.spec, b.spec)
        same = same and result.equivalent
        label = a.name if a.name == b.name else f"{a.name} vs {b.name}"
        print(f"{label}: {result.report(*labels)}")
        if args.measure:
            from augspec.diff_measure import measure_pairs

            backends = _measure_backends(args, a, b)
            print(
                f"  measured ({backends[0]} vs {backends[1]}, native, on the photo, "
                f"{args.samples} samples; 0-255 units):"
            )
            for m in measure_pairs(result, backends, samples=args.samples, seed=args.seed):
                print(f"  {m.line(*backends)}")
    for line in alone:
        print(line)
    return 0 if same else 1


def run_port(args: argparse.Namespace) -> int:
    from augspec.codegen import code_module
    from augspec.files import write_text
    from augspec.porting import port_notes

    specs = load_pipelines(args.file, args.name)
    named = [(_identifier(s.name), s.spec) for s in specs]
    bare = {_identifier(s.name) for s in specs if not s.composed}
    text = code_module(named, args.target, args.fidelity, bare)
    notes = [line for s in specs for line in port_notes(s, args.target, args.fidelity)]
    if args.measure:
        notes += _port_measures(specs, args.target, args.fidelity)
    comment = "\n".join(f"# {line}" for line in ["What changes in the port:", *notes])
    if args.out:
        write_text(args.out, text)
        print(f"{args.out}: {len(specs)} pipeline(s) written for {args.target}")
        print(comment)
    else:
        print(f"{text}\n{comment}")
    return 0


def _port_measures(specs: list[Any], target: str, fidelity: str) -> list[str]:
    from augspec.diff_measure import measure_pairs
    from augspec.pipeline_diff import diff_pipelines
    from augspec.porting import source_framework

    lines = []
    for s in specs:
        source = source_framework(s)
        if source is None:
            continue
        result = diff_pipelines(s.spec, s.spec)
        compared = [("native", fidelity)] + ([("spec", "spec")] if fidelity == "spec" else [])
        for fidelities in compared:
            lines.append(
                f"{s.name}: measured, {source} {fidelities[0]} vs the port ({target} "
                f"{fidelities[1]}), same params, on the photo (0-255 units):"
            )
            for m in measure_pairs(result, (source, target), fidelities=fidelities):
                lines.append(m.line(source, target))
    return lines
