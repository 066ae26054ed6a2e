"""Reading spec text, bounded and unambiguous.

Only regular files up to a size cap; YAML through the safe loader with YAML 1.2 core-schema
scalars, no aliases, no duplicate keys, bounded nesting, value count and number length; JSON
with the same refusals. Every failure is a :class:`~augspec.errors.SpecError`.
"""

from __future__ import annotations

import gc
import json
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import yaml

from augspec.errors import Problem, SpecError

MAX_SPEC_BYTES: Final = 1_000_000
"""Default cap on a spec file's size in bytes (a real spec is a few kB); raise it with the
``AUGSPEC_MAX_SPEC_BYTES`` environment variable or ``load(path, max_bytes=...)``."""
MAX_SPEC_BYTES_ENV: Final = "AUGSPEC_MAX_SPEC_BYTES"
MAX_NESTING: Final = 50
"""Deepest nesting of mappings and lists a spec may have (about 24 nested composes): deeper
specs would exhaust Python's recursion in validation or in :func:`dumps`."""
MAX_NODES: Final = 100_000
"""Most values (scalars, lists, mappings) a YAML spec may hold; a real one has a few hundred."""
MAX_NUMBER_CHARS: Final = 100
"""Longest number literal read (Python refuses to convert ints of more than 4300 digits)."""


def max_spec_bytes(max_bytes: int | None = None) -> int:
    """The size cap in force: ``max_bytes``, else ``$AUGSPEC_MAX_SPEC_BYTES``, else 1 MB."""
    if max_bytes is not None:
        return max_bytes
    text = os.environ.get(MAX_SPEC_BYTES_ENV, "").strip()
    if not text:
        return MAX_SPEC_BYTES
    if not text.isdigit() or int(text) < 1:
        raise ValueError(
            f"Expected {MAX_SPEC_BYTES_ENV} to be a positive number of bytes; received {text!r}"
        )
    return int(text)


class _Refused(yaml.MarkedYAMLError):
    """A YAML construct augspec refuses (alias, duplicate key, ambiguous number, too deep)."""


_YAML11_INT = "tag:augspec,2026:yaml11-int"


class _Resolver(yaml.resolver.BaseResolver):
    """YAML 1.2 core-schema scalars (what JSON and most YAML parsers read), not YAML 1.1's.

    So ``4:00`` is the string '4:00' (1.1: the sexagesimal 240), ``on``/``yes`` are strings,
    ``1e3`` is a float, ``0o17`` is 15; ``017`` is refused (1.1 reads octal 15, 1.2 decimal 17).
    """


for _tag, _pattern, _first in (
    (_YAML11_INT, r"[-+]?0[0-9_]+", "-+0"),
    ("tag:yaml.org,2002:bool", r"true|True|TRUE|false|False|FALSE", "tTfF"),
    ("tag:yaml.org,2002:null", r"~|null|Null|NULL|", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:int", r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
        "-+.0123456789",
    ),
):
    _Resolver.add_implicit_resolver(_tag, re.compile(f"^(?:{_pattern})$"), list(_first))


class _SpecLoader(yaml.composer.Composer, yaml.constructor.SafeConstructor, _Resolver):
    """PyYAML's safe loader, refusing aliases, duplicate keys and deep nesting, with 1.2 numbers.

    The events come from libyaml's parser where PyYAML has it (about 10x faster than the
    Python one), from PyYAML's Python parser otherwise (see :func:`_yaml_loader`).
    """

    def __init__(self, stream: str):
        self._start_parser(stream)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        _Resolver.__init__(self)
        self._depth = self._nodes = 0

    def _start_parser(self, stream: str) -> None:
        raise NotImplementedError

    peek_event: Callable[[], Any]  # from the parser class (libyaml's or PyYAML's)

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        mark: Any = event.start_mark
        if isinstance(event, yaml.AliasEvent):
            # Aliases are how a few hundred bytes expand to gigabytes ("billion laughs").
            raise _Refused(
                problem=f"Expected no YAML aliases; received *{event.anchor} (write the value "
                "out: augspec refuses anchors' aliases)",
                problem_mark=mark,
            )
        self._nodes += 1
        if self._nodes > MAX_NODES:  # bounds the memory of a file within the size cap
            raise _Refused(
                problem=f"Expected at most {MAX_NODES} values (scalars, lists, mappings) in a "
                "spec; received more",
                problem_mark=event.start_mark,
            )
        nested = isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent))
        self._depth += nested
        if self._depth > MAX_NESTING:
            raise _Refused(problem=too_deep(), problem_mark=event.start_mark)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= nested

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (list, dict)):
                raise _Refused(
                    problem=f"Expected a plain key; received a {type(key).__name__} as a key",
                    problem_mark=key_node.start_mark,
                )
            if key in seen:
                raise _Refused(
                    problem=f"Expected each key once in a mapping; received {key!r} again "
                    f"(first at line {seen[key]})",
                    problem_mark=key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)

    def construct_yaml11_int(self, node: Any) -> Any:
        raise _Refused(
            problem=f"Expected a number without leading zeros; received {node.value} (YAML 1.1 "
            "reads it as octal, YAML 1.2 as decimal: write it without the zeros, or 0o... for octal)",
            problem_mark=node.start_mark,
        )

    def construct_yaml_int(self, node: Any) -> int:
        text = _bounded_number(self.construct_scalar(node), node.start_mark)
        sign, digits = (-1, text[1:]) if text[0] == "-" else (1, text.lstrip("+"))
        if digits.startswith(("0o", "0x")):
            return sign * int(digits[2:], 8 if digits[1] == "o" else 16)
        return sign * int(digits)

    def construct_yaml_float(self, node: Any) -> float:
        text = _bounded_number(self.construct_scalar(node), node.start_mark)
        low = text.lower()
        return float(low.replace(".", "") if low.lstrip("+-") in (".inf", ".nan") else low)


_SpecLoader.add_constructor(_YAML11_INT, _SpecLoader.construct_yaml11_int)  # type: ignore[type-var]
_SpecLoader.add_constructor("tag:yaml.org,2002:int", _SpecLoader.construct_yaml_int)  # type: ignore[type-var]
_SpecLoader.add_constructor("tag:yaml.org,2002:float", _SpecLoader.construct_yaml_float)  # type: ignore[type-var]


class _PySpecLoader(_SpecLoader, yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):
    def _start_parser(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)


def _yaml_loader() -> type[_SpecLoader]:
    """The loader class: on libyaml's parser when PyYAML was built with it."""
    cparser = getattr(getattr(yaml, "_yaml", None), "CParser", None)
    if cparser is None:
        return _PySpecLoader

    class _CSpecLoader(_SpecLoader, cparser):  # type: ignore[misc, valid-type]
        def _start_parser(self, stream: str) -> None:
            cparser.__init__(self, stream)  # type: ignore[misc]

    return _CSpecLoader


_LOADER = _yaml_loader()


def too_deep() -> str:
    return (
        f"Expected mappings and lists nested at most {MAX_NESTING} deep; received deeper "
        "nesting (flatten nested compose ops)"
    )


def _bounded_number(text: str, mark: Any = None) -> str:
    if len(text) > MAX_NUMBER_CHARS:
        problem = (
            f"Expected a number of at most {MAX_NUMBER_CHARS} characters; received {len(text)}"
        )
        if mark is None:
            raise ValueError(problem)
        raise _Refused(problem=problem, problem_mark=mark)
    return text


class _JsonDuplicate(ValueError):
    def __init__(self, key: str, line: int | None = None):
        super().__init__(f"Expected each key once in an object; received {key!r} again")
        self.key, self.line = key, line


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json's object_pairs_hook: a dict, refusing a key written twice (json keeps the last)."""
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise _JsonDuplicate(key)
        seen.add(key)
    return dict(pairs)


# A JSON key (a string followed by ':'), any other string, or a brace: enough to follow
# objects, since braces inside strings are consumed with their string.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"\s*:|"(?:[^"\\]|\\.)*"|[{}]')


def _duplicate_key_line(text: str) -> tuple[str, int] | None:
    """The first key written twice in one object of (valid) JSON ``text``, and its line.

    Run only after json found a duplicate: the fast C parser gives no positions to its hook.
    """
    objects: list[set[str]] = []
    for token in _JSON_TOKEN.finditer(text):
        value = token.group()
        if value == "{":
            objects.append(set())
        elif value == "}":
            objects.pop()
        elif value.endswith(":") and objects:
            key = json.loads(value[: value.rindex('"') + 1])
            if key in objects[-1]:
                return key, text.count("\n", 0, token.start()) + 1
            objects[-1].add(key)
    return None


def _parse_json(text: str) -> Any:
    try:
        return json.loads(
            text,
            object_pairs_hook=_no_duplicate_keys,
            parse_constant=_refuse_constant,  # NaN/Infinity are not JSON
            parse_int=lambda t: int(_bounded_number(t)),
            parse_float=lambda t: float(_bounded_number(t)),
        )
    except _JsonDuplicate as err:
        found = _duplicate_key_line(text)
        raise _JsonDuplicate(err.key, found[1] if found else None) from None


def parse_text(
    text: str, source: str = "<text>", fmt: str | None = None, max_bytes: int | None = None
) -> Any:
    """Parse YAML or JSON text (``fmt``: 'yaml', 'json' or None to guess from ``source``).

    YAML is read with the safe loader, YAML 1.2 scalars, no aliases; both formats refuse
    duplicate keys, nesting deeper than :data:`MAX_NESTING` and text over the size cap.
    """
    if fmt is None:
        fmt = "json" if source.endswith(".json") else "yaml"
    if not text.strip():
        raise SpecError(
            source,
            [
                Problem(
                    "<file>", "Expected a mapping with 'augspec' and 'ops'; received an empty file"
                )
            ],
        )
    limit = max_spec_bytes(max_bytes)
    if len(text) > limit or len(text.encode("utf-8")) > limit:
        raise SpecError(
            source, [Problem("<file>", _too_big(limit), f"{len(text.encode('utf-8'))} bytes")]
        )
    try:
        if fmt == "json":
            return _parse_json(text)
        return _parse_yaml(text)
    except json.JSONDecodeError as err:
        raise SpecError(
            source, [Problem(f"line {err.lineno} column {err.colno}", f"Invalid JSON: {err.msg}")]
        ) from None
    except _Refused as err:
        mark: Any = err.problem_mark
        raise SpecError(
            source, [Problem(f"line {mark.line + 1} column {mark.column + 1}", str(err.problem))]
        ) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1} column {mark.column + 1}" if mark else "<file>"
        what = getattr(err, "problem", None) or str(err)
        raise SpecError(source, [Problem(where, f"Invalid YAML (safe loader): {what}")]) from None
    except _JsonDuplicate as err:
        where = "<file>" if err.line is None else f"line {err.line}"
        raise SpecError(source, [Problem(where, str(err))]) from None
    except RecursionError:
        raise SpecError(source, [Problem("<file>", too_deep())]) from None
    except ValueError as err:  # a number over MAX_NUMBER_CHARS in JSON
        raise SpecError(source, [Problem("<file>", f"Invalid JSON: {err}")]) from None


def _parse_yaml(text: str) -> Any:
    # The cyclic GC would walk the growing tree again and again (seconds on a deeply nested
    # 1 MB file); the loader makes no cycles (no aliases), so it is paused while it runs.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _LOADER(text).get_single_data()
    finally:
        if paused:
            gc.enable()


def _too_big(limit: int) -> str:
    return (
        f"Expected a spec file of at most {limit} bytes (set {MAX_SPEC_BYTES_ENV} or pass "
        "max_bytes= to allow larger)"
    )


def _refuse_constant(name: str) -> float:
    raise json.JSONDecodeError(f"Expected a finite number; received {name}", name, 0)


_FILE_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    return next((name for test, name in _FILE_KINDS if test(mode)), "not a regular file")


def read_spec_bytes(path: Path, max_bytes: int | None = None) -> bytes:
    """A regular file's bytes, at most the size cap: special files are refused before any
    read (``/dev/zero`` never ends, a FIFO blocks), checked again on the opened descriptor."""
    limit = max_spec_bytes(max_bytes)

    def refuse(message: str, received: str | None = None) -> SpecError:
        return SpecError(str(path), [Problem("<file>", message, received)])

    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            raise refuse("Expected a regular spec file", _kind(mode))
        # O_NONBLOCK: should the path become a FIFO after the stat, open does not wait for a writer.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as err:
        raise refuse(f"Cannot read file: {err.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise refuse("Expected a regular spec file", _kind(info.st_mode))
        if info.st_size > limit:
            raise refuse(_too_big(limit), f"{info.st_size} bytes")
        try:
            data = f.read(limit + 1)
        except OSError as err:
            raise refuse(f"Cannot read file: {err.strerror}") from None
    if len(data) > limit:  # grew after the stat
        raise refuse(_too_big(limit), f"more than {limit} bytes")
    return data
