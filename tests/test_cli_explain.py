"""`augspec explain SPEC`: per backend and fidelity, one line per op naming what it compiles to
(native / ported / substituted) and why."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import augspec
from augspec.cli import main

from .conftest import require_mxnet

EXAMPLES_DIR = Path(__file__).parent.parent / "examples"
LINE = re.compile(
    r"^  (?P<pos>ops\[\S+)\s+(?P<op>\w+)\s+(?P<status>\w+)\s+(?P<cls>\S+)(?:\s+- (?P<why>.+))?$"
)


@pytest.fixture(scope="module")
def frameworks() -> None:
    pytest.importorskip("torchvision", reason="explain needs torchvision (augspec[torch])")
    require_mxnet("explain --backend gluon needs mxnet (augspec[mxnet])")


def _tables(out: str) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """{(backend, fidelity): [the parsed op lines]} from the CLI's output."""
    tables: dict[tuple[str, str], list[dict[str, Any]]] = {}
    rows: list[dict[str, Any]] = []
    for line in out.splitlines():
        head = re.match(r"augspec pipeline compiled for (\S+) \(fidelity=(\w+)\)$", line)
        if head:
            rows = tables.setdefault((head[1], head[2]), [])
        elif (m := LINE.match(line)) is not None:
            rows.append(m.groupdict())
    return tables


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["explain", *args]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(
    "name", ["combined_augs.yaml", "cifar_recipe.json", "random_apply_gray_world.yaml"]
)
def test_every_op_of_every_backend_is_native_ported_or_substituted(
    name: str, capsys: pytest.CaptureFixture[str], frameworks: Any
) -> None:
    spec = str(EXAMPLES_DIR / name)
    tables = _tables(_run(capsys, spec))
    backends = ("torchvision", "torchvision-v2", "gluon")
    assert sorted(tables) == sorted((b, f) for b in backends for f in ("native", "spec"))
    for (backend, fidelity), rows in tables.items():
        builds = augspec.compile(spec, backend, fidelity).builds
        assert [(r["pos"], r["op"], r["status"], r["cls"]) for r in rows] == [
            (b.position, b.op, b.status, b.native_class) for b in builds
        ]
        for row, build in zip(rows, builds, strict=True):
            assert row["status"] in ("native", "ported", "substituted")
            if row["status"] != "native":  # a port or a substitute always says why
                assert row["why"] == build.why or row["why"].startswith("same reason as ops[")


def test_explain_names_each_status_with_its_reason(
    capsys: pytest.CaptureFixture[str], frameworks: Any
) -> None:
    out = _run(capsys, str(EXAMPLES_DIR / "cifar_recipe.json"), "--backend", "gluon")
    gluon = _tables(out)
    crop = gluon[("gluon", "native")][0]
    assert (crop["op"], crop["status"], crop["cls"]) == ("random_crop", "ported", "RandomCrop")
    assert "no gluon class" in crop["why"]
    out = _run(capsys, str(EXAMPLES_DIR / "combined_augs.yaml"), "--backend", "gluon")
    spec_rows = _tables(out)[("gluon", "spec")]
    assert [r["status"] for r in spec_rows] == ["substituted"] * 3
    assert "saturation" in spec_rows[1]["why"]  # the 0.114*B grey-level bug
    assert [r["status"] for r in _tables(out)[("gluon", "native")]] == ["native"] * 3
    assert "ported: the framework has no such class" in out  # the legend


def test_a_repeated_reason_is_given_once(
    capsys: pytest.CaptureFixture[str], frameworks: Any
) -> None:
    spec = str(EXAMPLES_DIR / "random_apply_gray_world.yaml")
    out = _run(capsys, spec, "--backend", "torchvision-v2", "--fidelity", "spec")
    rows = _tables(out)[("torchvision-v2", "spec")]
    reasons = [r["why"] for r in rows if r["status"] == "substituted"]
    assert len(reasons) == 3 and "truncate" in reasons[0]
    assert reasons[1:] == ["same reason as ops[0].ops[0].ops[0]"] * 2


def test_columns_line_up_under_nested_positions(capsys: pytest.CaptureFixture[str]) -> None:
    spec = str(EXAMPLES_DIR / "random_apply_gray_world.yaml")
    out = _run(capsys, spec, "--backend", "reference", "--fidelity", "native")
    lines = [line for line in out.splitlines() if line.startswith("  ")]
    assert lines[0].split() == ["position", "op", "status", "class"]
    columns = {lines[0].index("op "), lines[1].index("random_apply"), lines[2].index("compose")}
    assert len(columns) == 1 and lines[3].index("brightness") in columns


def test_one_fidelity_and_duplicate_backends(capsys: pytest.CaptureFixture[str]) -> None:
    spec = str(EXAMPLES_DIR / "combined_augs.yaml")
    out = _run(
        capsys, spec, "--backend", "reference", "--backend", "reference", "--fidelity", "spec"
    )
    assert list(_tables(out)) == [("reference", "spec")]
    assert "(fidelity=native)" not in out


def test_explain_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", str(tmp_path / "nope.yaml"), "--backend", "reference"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("augspec explain: error:") and len(err.strip().splitlines()) == 1
    assert "nope.yaml" in err


def test_the_readme_shows_the_real_output(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, frameworks: Any
) -> None:
    monkeypatch.chdir(Path(__file__).parent.parent)  # the README's paths are the repository's
    readme = Path("README.md").read_text(encoding="utf-8")
    block = re.search(r"```text\n\$ augspec (explain [^\n]+)\n(.*?)```", readme, re.S)
    assert block is not None, "README.md: the quickstart shows `augspec explain` and its output"
    out = _run(capsys, *block[1].split()[1:])
    assert out.startswith(block[2]), "README.md's explain output is stale: paste the real one"
