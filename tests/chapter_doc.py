"""Run docs/chapter.md as a notebook: its python blocks in order, in one namespace.

The document is an executed Markdown notebook: each ```python block is a cell; the ```text
block after it is what the cell printed (a cell whose last line is an expression shows its
repr, as in Jupyter), and an image link ``![...](img/chapter-*.png)`` after it is the matplotlib
Figure the cell returned. ``tests/test_chapter_doc.py`` runs it and holds every printed
output to the document, so the document cannot drift from the code. After a deliberate
change, rewrite the outputs and pictures with:

    python -m tests.chapter_doc --update
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "chapter.md"
NOTEBOOK = ROOT / "docs" / "chapter.ipynb"
FENCE = re.compile(r"```(python|text)\n(.*?)```\n", re.S)
IMAGE = re.compile(r"!\[[^\]]*\]\((img/chapter-[\w-]+\.png)\)")


@dataclass
class Cell:
    """One python block and what follows it up to the next one."""

    code: str
    code_end: int  # offset just after the python block
    text_span: tuple[int, int] | None = None  # the body of its ```text block
    expected: str | None = None
    image: str | None = None  # docs/-relative path of its picture
    output: str = ""
    figure: Any = None


def parse(doc: str) -> list[Cell]:
    cells: list[Cell] = []
    marks = [(m.start(), "fence", m) for m in FENCE.finditer(doc)]
    marks += [(m.start(), "image", m) for m in IMAGE.finditer(doc)]
    for _, kind, m in sorted(marks, key=lambda t: t[0]):
        if kind == "fence" and m[1] == "python":
            cells.append(Cell(code=m[2], code_end=m.end()))
        elif not cells:
            raise ValueError(f"docs/chapter.md: Expected a python block before {m[0][:40]!r}")
        elif kind == "fence":
            cells[-1].text_span, cells[-1].expected = m.span(2), m[2]
        else:
            cells[-1].image = m[1]
    return cells


def run_cell(cell: Cell, namespace: dict[str, Any]) -> None:
    """Execute like a notebook cell: stdout captured, the last expression's value shown."""
    from matplotlib.figure import Figure

    tree = ast.parse(cell.code)
    last = tree.body[-1] if tree.body else None
    shown = last.value if isinstance(last, ast.Expr) else None
    if shown is not None:
        tree.body.pop()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(tree, "docs/chapter.md", "exec"), namespace)  # noqa: S102
        if shown is not None:
            code = compile(ast.Expression(shown), "docs/chapter.md", "eval")
            value = eval(code, namespace)  # noqa: S307
            if isinstance(value, Figure):
                cell.figure = value
            elif value is not None:
                print(repr(value))
    cell.output = out.getvalue()


def run(doc: str) -> list[Cell]:
    """Every cell, in order, in one namespace (the document finds its files from any folder)."""
    cells = parse(doc)
    namespace: dict[str, Any] = {"__name__": "chapter"}
    for cell in cells:
        run_cell(cell, namespace)
    return cells


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def notebook(doc: str) -> dict[str, Any]:
    """docs/chapter.ipynb: the document's prose as Markdown cells, its python blocks as code
    cells holding the outputs written under them; a picture is linked (as Markdown output)
    rather than embedded, so the notebook stays small."""
    cells: list[dict[str, Any]] = []
    marks = sorted([*FENCE.finditer(doc), *IMAGE.finditer(doc)], key=lambda m: m.start())
    prose_from = 0

    def prose(upto: int) -> None:
        text = doc[prose_from:upto].strip("\n")
        if text:
            cells.append({"cell_type": "markdown", "metadata": {}, "source": _lines(text)})

    for m in marks:
        prose(m.start())
        prose_from = m.end()
        if m.re is IMAGE:
            data = {"text/markdown": [f"![]({m[1]})"], "text/plain": ["<Figure>"]}
            cells[-1]["outputs"].append(
                {"output_type": "display_data", "metadata": {}, "data": data}
            )
        elif m[1] == "python":
            code = m[2].rstrip("\n")
            cells.append(
                {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": []}
                | {"source": _lines(code)}
            )
        else:
            cells[-1]["outputs"].append(
                {"output_type": "stream", "name": "stdout", "text": _lines(m[2])}
            )
    prose(len(doc))
    kernel = {"display_name": "Python 3", "language": "python", "name": "python3"}
    metadata = {"kernelspec": kernel, "language_info": {"name": "python"}}
    return {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 4}


def notebook_text(doc: str) -> str:
    return json.dumps(notebook(doc), indent=1, ensure_ascii=False) + "\n"


def update(doc: str, cells: list[Cell]) -> str:
    """The document with each cell's output written in (a ```text block added where missing)
    and its figure saved to its image path."""
    from augspec.show_figure import save_png

    for cell in reversed(cells):
        if cell.figure is not None:
            if cell.image is None:
                raise ValueError(f"Expected an ![...](img/chapter-NAME.png) after {cell.code!r}")
            save_png(cell.figure, DOC.parent / cell.image)
        if cell.text_span is not None:
            start, end = cell.text_span
            doc = doc[:start] + cell.output + doc[end:]
        elif cell.output:
            doc = doc[: cell.code_end] + f"```text\n{cell.output}```\n" + doc[cell.code_end :]
    return doc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="rewrite outputs and pictures")
    args = parser.parse_args()
    doc = DOC.read_text(encoding="utf-8")
    cells = run(doc)
    if args.update:
        from augspec.files import write_text

        doc = update(doc, cells)
        write_text(DOC, doc)
        write_text(NOTEBOOK, notebook_text(doc))
        print(f"updated {DOC} ({len(cells)} cells) and {NOTEBOOK}")
    else:
        stale = [i for i, c in enumerate(cells) if (c.expected or "") != c.output]
        print(f"{len(cells)} cells, outputs differing: {stale or 'none'}")


if __name__ == "__main__":
    main()
