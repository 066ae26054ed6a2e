"""`augspec validate` and `augspec schema`, and the promise that the core imports no framework."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from augspec.cli import main

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.*[lnm]"))


def test_validate_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", *map(str, EXAMPLES)]) == 0
    out = capsys.readouterr().out
    assert out.count(": ok (") == len(EXAMPLES)


def test_validate_lists_every_error_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "augspec: 1\nops:\n - {op: RandomBlur}\n - {op: RandomResizedCrop, size: 9, scale: [0.9, 0.1]}\n"
    )
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert main(["validate", str(bad), str(EXAMPLES[0]), str(empty)]) == 1
    captured = capsys.readouterr()
    err = captured.err.splitlines()
    assert len(err) == 3
    assert err[0].startswith(f"{bad}: ops[0] (RandomBlur): Unknown op")
    assert err[1].startswith(
        f"{bad}: ops[1] (RandomResizedCrop).scale: Expected scale as (min, max)"
    )
    assert "received scale=[0.9, 0.1]" in err[1]
    assert err[2].startswith(f"{empty}: <file>: Expected a mapping")
    assert ": ok (" in captured.out


def test_validate_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 1
    assert "Cannot read file" in capsys.readouterr().err


def test_schema_is_valid_json_schema_and_accepts_examples(tmp_path: Path) -> None:
    out = tmp_path / "schema.json"
    assert main(["schema", "--out", str(out)]) == 0
    schema = json.loads(out.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    for path in EXAMPLES:
        data = (
            json.loads(path.read_text())
            if path.suffix == ".json"
            else yaml.safe_load(path.read_text())
        )
        jsonschema.validate(data, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"augspec": 1, "ops": [{"op": "flip"}]}, schema)


def test_console_script_runs() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "augspec", "schema"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0 and json.loads(proc.stdout)["title"] == "augspec pipeline"


def test_core_and_cli_import_no_framework() -> None:
    code = (
        "import sys, augspec, augspec.cli, augspec.reference, augspec.backends;"
        "augspec.cli.build_parser();"
        "print(sorted(m for m in ('torch', 'torchvision', 'mxnet') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


def test_missing_backend_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from augspec import backends

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda n, *a: None if n == "mxnet" else real(n, *a)
    )
    assert "gluon" not in backends.available()
    with pytest.raises(ValueError, match=r"pip install 'augspec\[mxnet\]'"):
        backends.load("gluon")
    with pytest.raises(
        ValueError,
        match="Expected backend one of reference, torchvision, torchvision-v2, gluon, torch-batched; received backend='keras'",
    ):
        backends.load("keras")
