"""Hostile spec files (issue 16, items 2-4): bounded loading, no silent misreadings, safe output.

Every case gets a :class:`SpecError` naming the place and what was expected, fast and small:
aliases ("billion laughs"), special files (FIFO, ``/dev/zero``, a folder), files over the size
cap, nesting deeper than :data:`augspec.io.MAX_NESTING`, huge numbers, an ``op`` that is not a
name, duplicate keys, YAML 1.1 number forms, a format version that is not the integer 1; and
``augspec validate`` prints what a file says with its control characters escaped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
import yaml

import augspec
from augspec.cli import error_line, main
from augspec.io import (
    MAX_NESTING,
    MAX_SPEC_BYTES,
    SpecError,
    dumps,
    load,
    loads,
    parse_text,
    validate_data,
)
from augspec.reading import MAX_SPEC_BYTES_ENV

REPO = Path(__file__).resolve().parents[1]
OK = "augspec: 1\nops: [{op: to_tensor}]\n"


def laughs(levels: int = 9) -> str:
    """A "billion laughs" file: ``levels`` anchors, each a list of nine aliases to the last
    (9**10 leaves from under 500 bytes)."""
    lines = ["augspec: 1", "ops: [{op: to_tensor}]", "a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


def nested_compose(depth: int) -> dict:
    op: dict = {"op": "horizontal_flip"}
    for _ in range(depth):
        op = {"op": "compose", "ops": [op]}
    return {"augspec": 1, "ops": [op]}


def _problems(text: str, source: str = "spec.yaml") -> str:
    with pytest.raises(SpecError) as err:
        loads(text, source)
    return str(err.value)


def _limited(args: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``python -m augspec.cli ARGS`` with at most 1.5 GB of address space and ``timeout`` s,
    so that a case that would exhaust the machine or block fails the test instead."""
    limit = (
        "import resource, runpy, sys; "
        "resource.setrlimit(resource.RLIMIT_AS, (1536 * 2**20, 1536 * 2**20)); "
        "sys.argv = ['augspec', *sys.argv[1:]]; "
        "runpy.run_module('augspec.cli', run_name='__main__')"
    )
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    try:
        return subprocess.run(
            [sys.executable, "-c", limit, *args],
            capture_output=True, text=True, timeout=timeout, env=env, cwd=REPO,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail(f"augspec {' '.join(args)} still running after {timeout} s")


# ---- item 2: bounded loading ---------------------------------------------------------------


def test_billion_laughs_is_refused_fast_and_small(tmp_path: Path) -> None:
    path = tmp_path / "laughs.yaml"
    path.write_text(laughs(6))  # 9**7 leaves: today's loader survives this one in-process
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(SpecError) as err:
            load(path)
        seconds, (_, peak) = time.perf_counter() - start, tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "line 4" in str(err.value) and "Expected no YAML aliases" in str(err.value)
    assert "*a0" in str(err.value)
    assert seconds < 1.0 and peak < 5 * 2**20, (seconds, peak)


def test_validate_survives_a_bomb_and_reports_every_file(tmp_path: Path) -> None:
    """In a process limited to 1.5 GB: today's loader runs out of memory on the bomb."""
    bomb, good = tmp_path / "bomb.yaml", tmp_path / "good.yaml"
    bomb.write_text(laughs())
    good.write_text(OK)
    proc = _limited(["validate", str(good), str(bomb), str(good)])
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.count("good.yaml: ok (1 ops: to_tensor)") == 2
    assert f"{bomb}: line 4 column" in proc.stderr and "aliases" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_special_files_are_refused_without_reading_them(tmp_path: Path) -> None:
    fifo, good = tmp_path / "pipe.yaml", tmp_path / "good.yaml"
    os.mkfifo(fifo)
    good.write_text(OK)
    proc = _limited(["validate", str(fifo), "/dev/zero", str(tmp_path), str(good)], timeout=30)
    assert proc.returncode == 1
    err = proc.stderr
    assert f"{fifo}: <file>: Expected a regular spec file; received a FIFO (named pipe)" in err
    assert "/dev/zero: <file>: Expected a regular spec file; received a character device" in err
    assert f"{tmp_path}: <file>: Expected a regular spec file; received a directory" in err
    assert "good.yaml: ok" in proc.stdout


def test_a_folder_is_refused_in_process(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="Expected a regular spec file; received a directory"):
        load(tmp_path)


def test_size_cap_is_documented_and_overridable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert MAX_SPEC_BYTES == 1_000_000
    path = tmp_path / "big.yaml"
    path.write_text(f"augspec: 1\ndescription: {'x' * MAX_SPEC_BYTES}\nops: [{{op: to_tensor}}]\n")
    size = path.stat().st_size
    with pytest.raises(SpecError) as err:
        load(path)
    message = str(err.value)
    assert f"Expected a spec file of at most {MAX_SPEC_BYTES} bytes" in message
    assert MAX_SPEC_BYTES_ENV in message and f"received {size} bytes" in message
    assert load(path, max_bytes=2 * MAX_SPEC_BYTES).description == "x" * MAX_SPEC_BYTES
    monkeypatch.setenv(MAX_SPEC_BYTES_ENV, str(2 * MAX_SPEC_BYTES))
    assert len(load(path).ops) == 1
    monkeypatch.setenv(MAX_SPEC_BYTES_ENV, "100")
    with pytest.raises(SpecError, match="at most 100 bytes"):
        loads(OK * 10)
    monkeypatch.setenv(MAX_SPEC_BYTES_ENV, "lots")
    with pytest.raises(ValueError, match=f"Expected {MAX_SPEC_BYTES_ENV} to be a positive"):
        load(path)


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_nesting_is_capped_and_whatever_loads_also_dumps(fmt: str) -> None:
    deep = json.dumps(nested_compose(MAX_NESTING // 2))
    with pytest.raises(SpecError) as err:
        loads(deep, fmt=fmt)
    assert f"nested at most {MAX_NESTING} deep" in str(err.value)
    spec = loads(json.dumps(nested_compose(MAX_NESTING // 2 - 2)), fmt=fmt)
    for out in ("yaml", "json"):
        assert loads(dumps(spec, out), fmt=out) == spec
    with pytest.raises(SpecError, match="nest"):  # libyaml stops at 1000 itself
        loads("[" * 100_000 + "]" * 100_000, fmt=fmt)


def test_nesting_is_capped_for_data_too() -> None:
    with pytest.raises(SpecError, match=f"nested at most {MAX_NESTING} deep"):
        validate_data(nested_compose(300))


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ("augspec: 1\nops: [{op: resize, size: " + "9" * 6000 + "}]\n", "yaml"),
        ('{"augspec": 1, "ops": [{"op": "resize", "size": ' + "9" * 6000 + "}]}", "json"),
        ("augspec: 1\nops: [{op: brightness, factor: 0." + "1" * 6000 + "}]\n", "yaml"),
    ],
    ids=["yaml int", "json int", "yaml float"],
)
def test_huge_numbers_are_refused(text: str, fmt: str) -> None:
    with pytest.raises(SpecError, match="Expected a number of at most 100 characters"):
        loads(text, fmt=fmt)


@pytest.mark.parametrize(
    "op", ["{a: 1}", "[resize]", "1", "null"], ids=["mapping", "list", "number", "null"]
)
def test_an_op_that_is_not_a_name_is_refused(op: str) -> None:
    message = _problems(f"augspec: 1\nops: [{{op: {op}}}]\n")
    assert "ops[0].op: Expected an op name (a string); received op=" in message


def test_nothing_but_spec_error_escapes_validate_data() -> None:
    for data in (
        {"augspec": 1, "ops": [{"op": "compose", "ops": [{"op": {"x": 1}}]}]},
        {"augspec": 1, "ops": [{"op": "resize", "size": {"a": [1]}}]},
        {"augspec": 1, "ops": {"op": "to_tensor"}},
        {"augspec": [1], "ops": []},
    ):
        with pytest.raises(SpecError):
            validate_data(data)


# ---- item 3: no silent misreadings ---------------------------------------------------------


def test_duplicate_keys_are_refused_in_yaml_naming_key_and_line() -> None:
    message = _problems("augspec: 1\nops:\n  - {op: resize, size: 8, op: center_crop}\n")
    assert "line 3" in message and "Expected each key once" in message and "'op'" in message
    message = _problems("augspec: 1\nops:\n  - op: resize\n    size: 8\n    size: 9\n")
    assert "line 5 column 5" in message and "'size' again (first at line 4)" in message
    assert "line 2" in _problems("augspec: 1\naugspec: 1\nops: [{op: to_tensor}]\n")


def test_duplicate_keys_are_refused_in_json_naming_key_and_line() -> None:
    text = '{"augspec": 1,\n "ops": [\n  {"op": "resize", "size": 8, "op": "center_crop"}]}'
    message = _problems(text, "spec.json")
    assert "line 3" in message and "'op' again" in message


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("4:00", ["size='4:00' (str)"]),  # YAML 1.2: a string (1.1: the sexagesimal 240)
        ("017", ["leading zeros", "017"]),  # 1.1: octal 15; 1.2: 17; refused
        ("-017", ["leading zeros"]),
        ("0b1111", ["size='0b1111' (str)"]),  # 1.1: binary 15
        ("1_5", ["size='1_5' (str)"]),  # 1.1: 15
    ],
)
def test_yaml_11_number_forms_are_not_read_as_numbers(value: str, words: list[str]) -> None:
    message = _problems(f"augspec: 1\nops: [{{op: resize, size: {value}}}]\n")
    for word in words:
        assert word in message, message


def test_yaml_12_forms_read_as_yaml_12_does() -> None:
    spec = loads("augspec: 1\ndescription: 4:00\nops: [{op: resize, size: 0o17}]\n")
    assert spec.description == "4:00" and spec.ops[0].size == 15  # type: ignore[attr-defined]
    spec = loads("augspec: 1\nops: [{op: brightness, factor: 5e-1}]\n")
    assert spec.ops[0].factor == 0.5  # type: ignore[attr-defined]
    assert parse_text("a: [yes, no, on, off, 2001-12-14, ~, true]\n")["a"] == [
        "yes", "no", "on", "off", "2001-12-14", None, True,
    ]  # fmt: skip


@pytest.mark.parametrize("version", ["true", "1.0", "'1'", "[1]"])
def test_format_version_must_be_the_integer_1(version: str) -> None:
    message = _problems(f"augspec: {version}\nops: [{{op: to_tensor}}]\n")
    assert "augspec: Expected 1 (the format version, an integer)" in message


def test_examples_and_golden_files_read_as_before() -> None:
    """The new loader reads every shipped file exactly as PyYAML's safe loader / json did."""
    paths = [*(REPO / "examples").glob("*.yaml"), *(REPO / "examples").glob("*.json")]
    paths += list((REPO / "tests" / "golden").iterdir())
    assert len(paths) > 10
    for path in paths:
        text = path.read_text()
        old = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        assert parse_text(text, str(path)) == old, path
        spec = augspec.load(path)
        assert loads(dumps(spec)) == spec


# ---- item 4: output safe to print ----------------------------------------------------------

HOSTILE = 'augspec: 1\nops:\n  - {op: "\\e[2J\\e[32mok\\e[0m", size: 8}\n  - {op: resize, "\\rok\\u202e": 8}\n'


def test_validate_escapes_what_a_file_says(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "evil.yaml"
    path.write_text(HOSTILE)
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr()
    text = out.out + out.err
    assert "\x1b" not in text and "\r" not in text and "\u202e" not in text
    assert "\\x1b[2J" in text and "\\r" in text and "\\u202e" in text
    assert all(line.startswith(f"{path}: ") for line in out.err.splitlines())


def test_cli_error_lines_escape_control_characters() -> None:
    line = error_line("show", SpecError("x.yaml", [augspec.io.Problem("ops[0] (\x1b[2J)", "bad")]))
    assert "\x1b" not in line and "\\x1b[2J" in line and "\n" not in line
    assert "\x07" not in error_line("show", OSError("bell\x07"))


@pytest.mark.parametrize("version", [True, 1.0, "1"])
def test_the_model_itself_takes_only_the_integer_1_as_version(version: object) -> None:
    from pydantic import ValidationError

    from augspec.pipeline import Pipeline

    with pytest.raises(ValidationError, match="the format version, an integer"):
        Pipeline.model_validate({"augspec": version, "ops": [{"op": "horizontal_flip"}]})


@pytest.mark.parametrize("ratio", [[1.0e300, 1.0e308], [1.0e-300, 1.0], [0.5, 20000.0]])
def test_an_aspect_ratio_no_image_can_have_is_refused_at_load(ratio: list[float]) -> None:
    spec = {"augspec": 1, "ops": [{"op": "random_resized_crop", "size": 8, "ratio": ratio}]}
    with pytest.raises(SpecError, match=r"ratio: .*Expected ratio within \[1/16384, 16384\]"):
        validate_data(spec)


def test_json_duplicate_line_is_found_past_braces_and_quotes_inside_strings() -> None:
    text = (
        '{"augspec": 1,\n "description": "a { brace, a \\" quote: and } \\\\",\n'
        ' "ops": [{"op": "to_tensor"},\n'
        '   {"op": "normalize", "mean": [0.5], "std": [0.5], "std": [0.25]}]}'
    )
    message = _problems(text, "spec.json")
    assert "line 4: Expected each key once in an object; received 'std' again" in message
