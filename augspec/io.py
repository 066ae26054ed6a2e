"""Reading and writing spec files (YAML through the safe loader/dumper only, and JSON).

Every failure becomes a :class:`SpecError` whose ``problems`` list each error
with the file, the op position, the field, the value received and what was
expected.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from augspec.pipeline import Pipeline


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
        return text


class SpecError(ValueError):
    """A spec that could not be read or did not validate."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s)\n{lines}")


_TYPE_LABELS = {"int", "float", "str", "bool", "list", "tuple", "dict"}


def _is_branch_label(key: str, node: Any) -> bool:
    """Pydantic puts union branch names (op tags, 'constrained-float', 'tuple[...]') into error
    locations; they are not where the user wrote anything."""
    from augspec.ops import OP_NAMES

    if isinstance(node, dict) and key in node:
        return False
    return key in OP_NAMES or key in _TYPE_LABELS or any(c in key for c in "[]-")


def _loc_text(loc: tuple[Any, ...], data: Any) -> tuple[str, Any]:
    """Render a pydantic error location as ``ops[2] (random_resized_crop).scale``."""
    parts: list[str] = []
    node = data
    for key in loc:
        if isinstance(key, int):
            parts.append(f"[{key}]")
            node = node[key] if isinstance(node, list) and key < len(node) else None
            if isinstance(node, dict) and "op" in node:
                parts.append(f" ({node['op']})")
        elif not _is_branch_label(key, node):
            parts.append(f".{key}")
            node = node.get(key) if isinstance(node, dict) else None
    text = "".join(parts).lstrip(".")
    return (text or "<top level>"), node


def _received(node: Any, err: Any, loc: str) -> str:
    value = err.get("input", node)
    field = loc.rsplit(".", 1)[-1] if "." in loc else loc.split(" ")[0]
    if err["type"] == "unknown_op" and isinstance(value, dict):
        return f"op={value.get('op')!r}"
    if err["type"] == "missing":
        return f"nothing for {field}"
    if err["type"] == "extra_forbidden":
        return f"{field}={value!r}"
    return f"{field}={value!r} ({type(value).__name__})"


def _unknown_field_message(field: str, loc: tuple[Any, ...], data: Any) -> str:
    """Name the fields the op has, and the closest one to what was written."""
    import difflib

    from augspec.ops import MODEL_BY_NAME, canonical_op

    node = data
    for key in loc[:-1]:
        if isinstance(node, list) and isinstance(key, int) and key < len(node) or isinstance(node, dict) and key in node:
            node = node[key]
    model = MODEL_BY_NAME.get(canonical_op(node.get("op"))) if isinstance(node, dict) else None
    fields = [f for f in (model.model_fields if model else Pipeline.model_fields) if f != "op"]
    close = difflib.get_close_matches(field, fields, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"Unknown field{hint}; expected one of: {', '.join(fields)}"


def problems_from_validation(err: ValidationError, data: Any) -> list[Problem]:
    """One problem per location: the errors of a union's branches are merged with 'or'."""
    merged: dict[str, tuple[list[str], str]] = {}
    located = [(_loc_text(tuple(e["loc"]), data), e) for e in err.errors()]
    # A union branch whose *type* did not match (size=[a, b] against the int branch)
    # is noise when another branch matched the type and failed on the value.
    valued = [loc for (loc, _), e in located if not e["type"].endswith("_type")]
    for (loc, node), e in located:
        if e["type"].endswith("_type") and any(
            v == loc or v.startswith((loc + "[", loc + ".")) for v in valued
        ):
            continue
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = _unknown_field_message(str(e["loc"][-1]), e["loc"], data)
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        elif msg.startswith("Input should be "):
            msg = "Expected " + msg[len("Input should be ") :]
        messages, received = merged.setdefault(loc, ([], _received(node, e, loc)))
        if msg not in messages:
            messages.append(msg)
    problems = []
    for loc, (messages, received) in merged.items():
        text = messages[0] + "".join(
            " or " + (m[len("Expected ") :] if m.startswith("Expected ") else m) for m in messages[1:]
        )
        problems.append(Problem(loc, text, received))
    return problems


def validate_data(data: Any, source: str = "<data>") -> Pipeline:
    """Validate already-parsed data (a dict) into a :class:`Pipeline`."""
    if data is None:
        raise SpecError(source, [Problem("<file>", "Expected a mapping with 'augspec' and 'ops'; received an empty document")])
    if not isinstance(data, dict):
        raise SpecError(
            source,
            [Problem("<top level>", "Expected a mapping with 'augspec' and 'ops'", f"{type(data).__name__}")],
        )
    try:
        return Pipeline.model_validate(data)
    except ValidationError as err:
        raise SpecError(source, problems_from_validation(err, data)) from None


def parse_text(text: str, source: str = "<text>", fmt: str | None = None) -> Any:
    """Parse YAML or JSON text (``fmt``: 'yaml', 'json' or None to guess from ``source``)."""
    if fmt is None:
        fmt = "json" if source.endswith(".json") else "yaml"
    if not text.strip():
        raise SpecError(source, [Problem("<file>", "Expected a mapping with 'augspec' and 'ops'; received an empty file")])
    try:
        if fmt == "json":
            # NaN/Infinity are not JSON; refuse them at parse time too.
            return json.loads(text, parse_constant=_refuse_constant)
        return yaml.safe_load(text)
    except json.JSONDecodeError as err:
        raise SpecError(source, [Problem(f"line {err.lineno} column {err.colno}", f"Invalid JSON: {err.msg}")]) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1} column {mark.column + 1}" if mark else "<file>"
        what = getattr(err, "problem", None) or str(err)
        raise SpecError(source, [Problem(where, f"Invalid YAML (safe loader): {what}")]) from None


def _refuse_constant(name: str) -> float:
    raise json.JSONDecodeError(f"Expected a finite number; received {name}", name, 0)


def loads(text: str, source: str = "<text>", fmt: str | None = None) -> Pipeline:
    return validate_data(parse_text(text, source, fmt), source)


def load(path: str | Path) -> Pipeline:
    """Load and validate a ``.yaml``/``.yml`` or ``.json`` spec file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise SpecError(str(path), [Problem("<file>", f"Cannot read file: {err.strerror}")]) from None
    except UnicodeDecodeError:
        raise SpecError(str(path), [Problem("<file>", "Expected UTF-8 text; received binary data")]) from None
    return loads(text, str(path))


def to_data(spec: Pipeline) -> dict[str, Any]:
    """The plain (JSON-able) form of a pipeline; defaults kept so files are explicit."""
    return _op_first(spec.model_dump(mode="json", exclude_none=True))


def _op_first(node: Any) -> Any:
    """Put ``op`` first in every op mapping, so files read 'what, then how'."""
    if isinstance(node, list):
        return [_op_first(v) for v in node]
    if isinstance(node, dict):
        head = {"op": node["op"]} if "op" in node else {}
        return head | {k: _op_first(v) for k, v in node.items() if k != "op"}
    return node


def dumps(spec: Pipeline, fmt: str = "yaml") -> str:
    data = to_data(spec)
    if fmt == "json":
        return json.dumps(data, indent=2) + "\n"
    if fmt == "yaml":
        return yaml.safe_dump(data, sort_keys=False, default_flow_style=None)
    raise ValueError(f"Expected fmt 'yaml' or 'json'; received fmt={fmt!r}")


def dump(spec: Pipeline, path: str | Path) -> None:
    path = Path(path)
    fmt = "json" if path.suffix == ".json" else "yaml"
    path.write_text(dumps(spec, fmt), encoding="utf-8")
