"""Reading and writing spec files (YAML through the safe loader/dumper only, and JSON).

The bounded reading of text is :mod:`augspec.reading`; the errors are :mod:`augspec.errors`
(both re-exported here, where users look for them).

Every failure becomes a :class:`SpecError` whose ``problems`` list each error
with the file, the op position, the field, the value received and what was
expected.
"""

from __future__ import annotations

import bisect
import json
from pathlib import Path
from typing import Any, Final

import yaml
from pydantic import ValidationError

from augspec.conventions import translate_data
from augspec.errors import Problem, SpecError, printable
from augspec.files import write_text
from augspec.pipeline import Pipeline
from augspec.reading import (
    MAX_NESTING,
    MAX_NODES,
    MAX_SPEC_BYTES,
    parse_text,
    read_spec_bytes,
    too_deep,
)

__all__ = [
    "MAX_NESTING",
    "MAX_NODES",
    "MAX_SPEC_BYTES",
    "Problem",
    "SpecError",
    "dump",
    "dumps",
    "load",
    "loads",
    "parse_text",
    "printable",
    "to_data",
    "validate_data",
]

MAX_PROBLEMS: Final = 100
"""Most problems one :class:`SpecError` lists (the rest are counted)."""

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
    for key, node, is_field in _walk(loc, data):
        if isinstance(key, int):
            parts.append(f"[{key}]")
            if isinstance(node, dict) and "op" in node:
                parts.append(f" ({node['op']})")
        elif is_field:
            parts.append(f".{key}")
    text = "".join(parts).lstrip(".")
    return (text or "<top level>"), (node if loc else data)


def _walk(loc: tuple[Any, ...], data: Any) -> list[tuple[Any, Any, bool]]:
    """Each key of ``loc`` with the node it leads to and whether the user wrote it (pydantic
    adds union branch labels: the op's tag right after an op's index, type names)."""
    from augspec.ops import canonical_op

    out: list[tuple[Any, Any, bool]] = []
    node = data
    tag = None  # the branch label pydantic puts right after an op's list index
    for key in loc:
        if isinstance(key, int):
            node = node[key] if isinstance(node, list) and key < len(node) else None
            tag = canonical_op(node.get("op")) if isinstance(node, dict) else None
            out.append((key, node, True))
            continue
        if tag is not None and key == tag:
            tag = None
            out.append((key, node, False))
            continue
        tag = None
        if _is_branch_label(key, node):
            out.append((key, node, False))
            continue
        node = node.get(key) if isinstance(node, dict) else None
        out.append((key, node, True))
    return out


def _received(node: Any, err: Any, loc: str) -> str:
    value = err.get("input", node)
    field = loc.rsplit(".", 1)[-1] if "." in loc else loc.split(" ")[0]
    if err["type"] == "unknown_op" and isinstance(value, dict):
        return f"op={value.get('op')!r}"
    if err["type"] == "missing":
        return f"nothing for {field}"
    if err["type"] == "extra_forbidden":
        return f"{field}={_short_repr(value)}"
    return f"{field}={_short_repr(value)} ({type(value).__name__})"


def _short_repr(value: Any, limit: int = 200) -> str:
    """``repr`` cut to ``limit`` characters: a value may be most of a 1 MB file."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _unknown_field_message(field: str, loc: tuple[Any, ...], data: Any) -> str:
    """Name the fields the op has (and the native names its class takes), and the closest one
    to what was written."""
    import difflib

    from augspec.conventions import allowed_names
    from augspec.ops import MODEL_BY_NAME, canonical_op

    steps = _walk(loc[:-1], data)
    node = steps[-1][1] if steps else data
    name = node.get("op") if isinstance(node, dict) else None
    model = MODEL_BY_NAME.get(canonical_op(name)) if isinstance(name, str) else None
    fields = [f for f in (model.model_fields if model else Pipeline.model_fields) if f != "op"]
    if model is None:
        fields.append("conventions")
    native = allowed_names(name) if isinstance(name, str) else []
    close = difflib.get_close_matches(field, fields + native, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    also = f"; or {name}'s own: {', '.join(native)}" if native else ""
    return f"Unknown field{hint}; expected one of: {', '.join(fields)}{also}"


def _native_name_hint(field: str, loc: tuple[Any, ...], data: Any) -> str:
    """`` (or RandomBrightness's brightness)`` where the op's class names the field so."""
    from augspec.conventions import native_name_for

    steps = _walk(loc[:-1], data)
    node = steps[-1][1] if steps else None
    name = node.get("op") if isinstance(node, dict) else None
    native = native_name_for(name, field) if isinstance(name, str) else None
    return f" (write {field}, or {name}'s own name {native})" if native else ""


def problems_from_validation(err: ValidationError, data: Any) -> list[Problem]:
    """One problem per location: the errors of a union's branches are merged with 'or'."""
    merged: dict[str, tuple[list[str], str]] = {}
    located = [(_loc_text(tuple(e["loc"]), data), e) for e in err.errors()]
    # A union branch whose *type* did not match (size=[a, b] against the int branch)
    # is noise when another branch matched the type and failed on the value.
    valued = sorted({loc for (loc, _), e in located if not e["type"].endswith("_type")})
    for (loc, node), e in located:
        if e["type"].endswith("_type") and _has_at_or_under(valued, loc):
            continue
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = _unknown_field_message(str(e["loc"][-1]), e["loc"], data)
        elif e["type"] == "missing":
            msg += _native_name_hint(str(e["loc"][-1]), e["loc"], data)
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
            " or " + (m[len("Expected ") :] if m.startswith("Expected ") else m)
            for m in messages[1:]
        )
        problems.append(Problem(loc, text, received))
    if len(problems) > MAX_PROBLEMS:
        more = len(problems) - MAX_PROBLEMS
        problems = [
            *problems[:MAX_PROBLEMS],
            Problem("<file>", f"{more} more problem(s) not shown"),
        ]
    return problems


def _has_at_or_under(locations: list[str], loc: str) -> bool:
    """Whether sorted ``locations`` hold ``loc`` or one inside it (``loc[...`` or ``loc....``)."""
    for prefix in (loc, loc + "[", loc + "."):
        i = bisect.bisect_left(locations, prefix)
        if i < len(locations) and (
            locations[i] == loc or locations[i].startswith(prefix) and prefix != loc
        ):
            return True
    return False


def validate_data(data: Any, source: str = "<data>") -> Pipeline:
    """Validate already-parsed data (a dict) into a :class:`Pipeline`; every failure is a
    :class:`SpecError`."""
    if data is None:
        raise SpecError(
            source,
            [
                Problem(
                    "<file>",
                    "Expected a mapping with 'augspec' and 'ops'; received an empty document",
                )
            ],
        )
    if not isinstance(data, dict):
        raise SpecError(
            source,
            [
                Problem(
                    "<top level>",
                    "Expected a mapping with 'augspec' and 'ops'",
                    f"{type(data).__name__}",
                )
            ],
        )
    problems = _shape_problems(data)
    if problems:
        raise SpecError(source, problems)
    data, problems = translate_data(data)  # native argument names and conventions
    if problems:
        raise SpecError(source, problems)
    try:
        return Pipeline.model_validate(data)
    except ValidationError as err:
        raise SpecError(source, problems_from_validation(err, data)) from None
    except (TypeError, RecursionError, ValueError) as err:  # a value pydantic's checks choke on
        raise SpecError(
            source,
            [
                Problem(
                    "<top level>",
                    f"Expected a valid spec; received data that fails with {type(err).__name__}: {err}",
                )
            ],
        ) from None


def _shape_problems(data: dict[str, Any]) -> list[Problem]:
    """What pydantic would misread or crash on: nesting deeper than :data:`MAX_NESTING`,
    and an ``op`` that is not a name. (A format version that is not the integer 1 is the
    pipeline model's own check.)"""
    stack: list[tuple[Any, str, int]] = [(data, "", 1)]
    while stack:
        node, where, depth = stack.pop()
        if depth > MAX_NESTING:
            return [Problem(where or "<top level>", too_deep())]
        if isinstance(node, dict):
            op = node.get("op")
            if "op" in node and not isinstance(op, str):
                return [
                    Problem(
                        f"{where}.op".lstrip("."),
                        "Expected an op name (a string)",
                        f"op={op!r} ({type(op).__name__})",
                    )
                ]
            stack.extend((v, f"{where}.{k}", depth + 1) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, f"{where}[{i}]", depth + 1) for i, v in enumerate(node))
    return []


def loads(
    text: str, source: str = "<text>", fmt: str | None = None, max_bytes: int | None = None
) -> Pipeline:
    return validate_data(parse_text(text, source, fmt, max_bytes), source)


def load(path: str | Path, max_bytes: int | None = None) -> Pipeline:
    """Load and validate a ``.yaml``/``.yml`` or ``.json`` spec file.

    Only regular files of at most ``max_bytes`` (default :func:`max_spec_bytes`: 1 MB or
    ``$AUGSPEC_MAX_SPEC_BYTES``) are read. Every failure is a :class:`SpecError`.
    """
    path = Path(path)
    try:
        text = read_spec_bytes(path, max_bytes).decode("utf-8")
    except UnicodeDecodeError:
        raise SpecError(
            str(path), [Problem("<file>", "Expected UTF-8 text; received binary data")]
        ) from None
    return loads(text, str(path), max_bytes=max_bytes)


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
    write_text(path, dumps(spec, fmt))
