"""What ``run_parity`` returns: the report dict, which renders itself in a notebook.

A :class:`ParityReport` is the plain dict written as JSON (so every existing use keeps working),
plus ``_repr_markdown_`` / ``_repr_html_`` showing the ranked first page (the differences that
matter, the chapter's pipelines, the conventions) with its sheets as thumbnails.
"""

from __future__ import annotations

import os
from typing import Any

from augspec.parity import first_page


class ParityReport(dict[str, Any]):
    """The parity report (``report["units"]``, ``report["conventions"]``, ...) that Jupyter
    renders as its ranked summary. ``out_dir`` is where its sheets were written."""

    def __init__(self, data: dict[str, Any], out_dir: str = "") -> None:
        super().__init__(data)
        self.out_dir = out_dir

    def _prefix(self) -> str:
        return (self.out_dir.rstrip("/") + "/") if self.out_dir else ""

    def _detail(self) -> str:
        """The written report, where the per-op detail that the summary links to lives."""
        name = str(self.get("settings", {}).get("json_name", "report.json"))
        return self._prefix() + name.removesuffix(".json") + ".md"

    def _repr_markdown_(self) -> str:
        text = "\n".join(first_page.render_markdown(self))
        prefix = self._prefix()
        # paths are relative to the report's folder; make them relative to here
        text = text.replace('src="img/', f'src="{prefix}img/').replace("](img/", f"]({prefix}img/")
        text = text.replace("](#op-", f"]({self._detail()}#op-")
        return "# augspec parity: what differs\n\n" + text

    def _repr_html_(self) -> str:
        return first_page.render_html(self, self._prefix(), self._detail())

    def summary(self) -> str:
        """The ranked first page as Markdown (what a notebook shows)."""
        return self._repr_markdown_()


def as_report(data: dict[str, Any], out_dir: str) -> ParityReport:
    return ParityReport(data, os.path.normpath(out_dir) if out_dir else "")
