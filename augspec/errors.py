"""The errors augspec raises for bad specs: one line per problem, safe to print."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a spec: where it is, what was received, what was expected."""

    location: str
    message: str
    received: str | None = None

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}"
        if self.received is not None and "received" not in self.message:
            text += f"; received {self.received}"
        return printable(text)


def printable(text: str) -> str:
    """``text`` with control and format characters escaped (``\\x1b``, ``\\u202e``), so that
    what a spec file says cannot move the cursor, clear a terminal or reorder a line."""
    return "".join(
        ch
        if ch == " " or unicodedata.category(ch)[0] not in "CZ"
        else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )


class SpecError(ValueError):
    """A spec that could not be read or did not validate."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s)\n{lines}")
