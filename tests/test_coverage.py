"""augspec.coverage / ``augspec ops``: the class lists match the installed frameworks, every
class is classified once, the README's copy of the table is the generated one, and a refused
class is refused at load with its note."""

from __future__ import annotations

import importlib
import inspect
import json
from typing import Any

import pytest

import augspec
from augspec import coverage
from augspec.cli import main
from augspec.errors import SpecError
from augspec.native_names import CONVERSION_CLASSES, FRAMEWORKS, NATIVE_CLASSES
from augspec.ops import OP_NAMES
from augspec.ops.refused import REFUSED

from .conftest import require_mxnet


def _live_classes(framework: str) -> set[str]:
    if framework == "gluon":
        require_mxnet()
        from augspec.backends.gluon_mx import transforms as module
    else:
        module = importlib.import_module(
            "torchvision.transforms.v2"
            if framework == "torchvision-v2"
            else "torchvision.transforms"
        )
    return {n for n in dir(module) if not n.startswith("_") and inspect.isclass(getattr(module, n))}


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_class_lists_match_the_installed_frameworks(framework: str) -> None:
    listed = coverage.FRAMEWORK_CLASSES[framework]
    assert len(set(listed)) == len(listed)
    live = _live_classes(framework)
    assert set(listed) == live, (
        f"{framework}: not listed {sorted(live - set(listed))}, gone {sorted(set(listed) - live)}"
    )


def test_every_class_is_classified_once_and_no_entry_is_stale() -> None:
    every = {n for names in coverage.FRAMEWORK_CLASSES.values() for n in names}
    mapped = {(nc.framework, nc.name) for nc in NATIVE_CLASSES}
    for framework, names in coverage.FRAMEWORK_CLASSES.items():
        for name in names:
            homes = [
                (framework, name) in mapped,
                name in REFUSED,
                (framework, name) in CONVERSION_CLASSES,
                name in coverage.NOT_TRANSFORMS,
                name in coverage.NOT_CLASSIFICATION,
                name in coverage.BATCH_OPS,
                name in coverage.PLANNED and (framework, name) not in mapped,
            ]
            assert sum(homes) == 1, (framework, name, homes)
    assert {n for _, n in mapped} <= every
    tables = (REFUSED, coverage.NOT_TRANSFORMS, coverage.NOT_CLASSIFICATION, coverage.BATCH_OPS)
    for table in (*tables, coverage.PLANNED):
        assert set(table) <= every, sorted(set(table) - every)
    # A planned op that exists is mapped, not planned: the two cannot both hold.
    assert not set(coverage.PLANNED.values()) & set(OP_NAMES)


@pytest.mark.parametrize("op_name", OP_NAMES)
def test_every_op_has_examples_for_its_statuses(op_name: str) -> None:
    assert coverage.examples(op_name), f"add {op_name}'s required fields to coverage._REQUIRED"


def test_statuses_come_from_the_records() -> None:
    require_mxnet()
    table = {(r.framework, r.name): r for r in coverage.rows()}
    resize = table[("torchvision", "Resize")]
    assert resize.op == "resize"
    # torchvision keeps bilinear and substitutes nearest/bicubic; gluon substitutes every one.
    assert resize.statuses == ("native/substituted", "native/substituted", "substituted", "ported")
    assert table[("torchvision-v2", "RandomInvert")].statuses == (
        "native",
        "native",
        "ported",
        "ported",
    )
    assert table[("gluon", "RandomLighting")].statuses[0] == "ported"  # torchvision has none
    assert table[("torchvision", "Lambda")].kind == "refused"
    assert table[("torchvision", "RandomPerspective")].kind == "missing"
    assert "perspective" in table[("torchvision", "RandomPerspective")].note
    # Gluon's Rotate is the rotation op (degrees [a, a]): native where Gluon can express it
    assert table[("gluon", "Rotate")].op == "rotation"


def test_the_readme_carries_the_generated_table() -> None:
    require_mxnet()
    readme = coverage.README.read_text(encoding="utf-8")
    block = coverage.readme_block(coverage.rows())
    assert block in readme, (
        "README's coverage table drifted: run python -m augspec.coverage --write-readme"
    )


def test_replace_block_needs_the_markers() -> None:
    doc = f"a\n{coverage.BEGIN}\nold\n{coverage.END}\nb\n"
    assert coverage.replace_block(doc, "NEW") == "a\nNEW\nb\n"
    with pytest.raises(ValueError, match="Expected the README to hold the markers"):
        coverage.replace_block("no markers", "NEW")


def test_augspec_ops_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    require_mxnet()
    assert main(["ops"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("framework ")
    assert "RandomInvert" in out and coverage.summary(coverage.rows()) in out
    assert main(["ops", "--markdown"]) == 0
    assert capsys.readouterr().out == coverage.markdown(coverage.rows())


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_refused_class_is_refused_at_load_with_its_alternative(name: str) -> None:
    nested: dict[str, Any] = {"op": "compose", "ops": [{"op": name}]}
    for op in ({"op": name}, nested, name):  # name alone: a bare op name
        with pytest.raises(SpecError) as err:
            augspec.validate_data({"augspec": 1, "ops": [op]})
        text = str(err.value)
        assert f"({name}): Expected an op a spec can hold; received op={name!r}" in text
        assert REFUSED[name] in text
    assert name not in json.dumps(augspec.Pipeline.model_json_schema())
