"""The op models: every op round-trips through dict/JSON/YAML; bad specs get clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

import augspec
from augspec.io import SpecError, dumps, loads, to_data, validate_data
from augspec.ops import ALIASES, OP_NAMES
from augspec.pipeline import Pipeline
from tests.op_cases import OP_CASES, all_cases, pipeline_for

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.*[lnm]"))
GOLDEN = Path(__file__).parent / "golden"


def test_every_op_has_a_test_case() -> None:
    assert set(OP_CASES) == set(OP_NAMES), (
        f"ops without a test case: {set(OP_NAMES) - set(OP_CASES)}"
    )


def test_every_alias_maps_to_a_known_op() -> None:
    assert set(ALIASES.values()) <= set(OP_NAMES)
    for alias, name in ALIASES.items():
        spec = validate_data(pipeline_for(OP_CASES[name][0] | {"op": alias}))
        assert spec.ops[-1].op == name


@pytest.mark.parametrize(
    ("name", "case"), all_cases(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_round_trip_dict_json_yaml(name: str, case: dict) -> None:
    spec = validate_data(pipeline_for(case))
    assert spec.ops[-1].op == name
    data = to_data(spec)
    assert validate_data(data) == spec
    for fmt in ("json", "yaml"):
        text = dumps(spec, fmt)
        again = loads(text, fmt=fmt)
        assert again == spec
        assert dumps(again, fmt) == text  # exact: a second round trip changes no byte


def test_models_are_frozen() -> None:
    spec = validate_data(pipeline_for(OP_CASES["horizontal_flip"][0]))
    with pytest.raises(ValueError, match="frozen"):
        spec.ops[0].p = 0.1  # type: ignore[misc]


def _problems(text: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        loads(text, "spec.yaml")
    return [str(p) for p in info.value.problems]


def test_unknown_op_lists_the_known_ones() -> None:
    [msg] = _problems("augspec: 1\nops: [{op: RandomBlur}]")
    assert msg.startswith("ops[0] (RandomBlur): Unknown op")
    assert "received op='RandomBlur'" in msg
    for name in ("horizontal_flip", "color_jitter", "RandomFlipLeftRight"):
        assert name in msg


def test_misspelt_field_names_the_field_and_suggests() -> None:
    [msg] = _problems("augspec: 1\nops: [{op: RandomResizedCrop, size: 10, scal: [0.1, 1]}]")
    assert "ops[0] (RandomResizedCrop).scal" in msg
    assert "did you mean 'scale'" in msg and "received scal=[0.1, 1]" in msg


def test_inverted_range_names_field_and_value() -> None:
    [msg] = _problems("augspec: 1\nops: [{op: RandomResizedCrop, size: 10, scale: [0.9, 0.1]}]")
    assert "ops[0] (RandomResizedCrop).scale" in msg
    assert "min <= max" in msg and "scale=[0.9, 0.1]" in msg


def test_number_as_string_is_refused() -> None:
    [msg] = _problems('augspec: 1\nops: [{op: horizontal_flip, p: "0.5"}]')
    assert "ops[0] (horizontal_flip).p" in msg and "Expected a valid number" in msg
    assert "received p='0.5' (str)" in msg


def test_bool_is_not_a_number() -> None:
    [msg] = _problems("augspec: 1\nops: [{op: horizontal_flip, p: true}]")
    assert "received p=True" in msg


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_nan_and_inf_are_refused(value: str) -> None:
    [msg] = _problems(f"augspec: 1\nops: [{{op: brightness, factor: {value}}}]")
    assert "ops[0] (brightness).factor" in msg and "finite" in msg


def test_nan_in_json_is_refused() -> None:
    with pytest.raises(SpecError, match="finite number; received NaN"):
        loads('{"augspec": 1, "ops": [{"op": "brightness", "factor": NaN}]}', "spec.json")


def test_python_object_tag_is_refused_by_the_safe_loader() -> None:
    [msg] = _problems("augspec: 1\nops: !!python/object/apply:os.system ['echo hacked']")
    assert "safe loader" in msg and "python/object" in msg


def test_truncated_file() -> None:
    [msg] = _problems("augspec: 1\nops: [{op: RandomResizedCrop, size: [200,")
    assert msg.startswith("line ") and "Invalid YAML" in msg


def test_truncated_json_file() -> None:
    with pytest.raises(SpecError, match="Invalid JSON"):
        loads('{"augspec": 1, "ops": [{"op": "to_te', "spec.json")


@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n"])
def test_empty_file(text: str) -> None:
    [msg] = _problems(text)
    assert "Expected a mapping with 'augspec' and 'ops'" in msg and "empty" in msg


def test_missing_version_and_ops() -> None:
    msgs = _problems("description: nothing else\n")
    assert any(m.startswith("ops:") and "Field required" in m for m in msgs)


def test_wrong_format_version() -> None:
    [msg] = _problems("augspec: 2\nops: [{op: to_tensor}]")
    assert msg.startswith("augspec: Expected 1") and "received augspec=2" in msg


def test_every_error_is_listed_with_its_position() -> None:
    msgs = _problems(
        "augspec: 1\nops:\n - {op: horizontal_flip, p: 2}\n - {op: Nope}\n"
        " - {op: compose, ops: [{op: hue, factor: 0.7}]}\n"
    )
    assert len(msgs) == 3
    assert msgs[0].startswith("ops[0] (horizontal_flip).p")
    assert msgs[1].startswith("ops[1] (Nope)")
    assert msgs[2].startswith("ops[2] (compose).ops[0] (hue).factor")


def test_normalize_before_to_tensor_is_refused() -> None:
    [msg] = _problems("augspec: 1\nops: [{op: Normalize, mean: [0.5], std: [0.5]}]")
    assert "Expected normalize after to_tensor" in msg


def test_flip_after_to_tensor_is_refused() -> None:
    [msg] = _problems("augspec: 1\nops: [{op: ToTensor}, {op: RandomFlipLeftRight}]")
    assert "Expected horizontal_flip before to_tensor" in msg


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"mean": [0.5, 0.5], "std": [0.5, 0.5]}, "length 1 or 3"),
        ({"mean": [0.5], "std": [0.0]}, "every std > 0"),
    ],
)
def test_normalize_checks(fields: dict, needle: str) -> None:
    with pytest.raises(SpecError, match=needle):
        validate_data({"augspec": 1, "ops": [{"op": "to_tensor"}, {"op": "normalize", **fields}]})


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_validates_and_matches_the_schema(path: Path) -> None:
    spec = augspec.load(path)
    assert isinstance(spec, Pipeline)
    data = (
        yaml.safe_load(path.read_text()) if path.suffix != ".json" else json.loads(path.read_text())
    )
    jsonschema.validate(data, Pipeline.model_json_schema())


def test_examples_cover_the_chapter() -> None:
    names = {p.stem for p in EXAMPLES}
    chapter = {
        "flip_left_right",
        "flip_top_bottom",
        "shape_aug",
        "brightness",
        "hue",
        "color_aug",
        "combined_augs",
        "train_augs",
        "test_augs",
    }
    assert chapter <= names


@pytest.mark.parametrize(
    "doc",
    [
        {"augspec": 1, "ops": [{"op": "RandomBlur"}]},
        {"augspec": 1, "ops": [{"op": "RandomResizedCrop", "size": 10, "scal": [0.1, 1]}]},
        {"augspec": 1, "ops": [{"op": "horizontal_flip", "p": "0.5"}]},
        {"augspec": 1, "ops": [{"op": "horizontal_flip", "p": 1.5}]},
        {"augspec": 1, "ops": []},
        {"augspec": 2, "ops": [{"op": "to_tensor"}]},
        {"ops": [{"op": "to_tensor"}], "extra": 1},
        {"augspec": 1, "ops": [{"p": 0.5}]},
    ],
)
def test_schema_rejects_what_the_loader_rejects(doc: dict) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, Pipeline.model_json_schema())
    with pytest.raises(SpecError):
        validate_data(doc)


@pytest.mark.parametrize(
    ("name", "case"), all_cases(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_schema_accepts_every_op_case(name: str, case: dict) -> None:
    jsonschema.validate(pipeline_for(case), Pipeline.model_json_schema())


def test_golden_files_pin_the_format() -> None:
    """Loading the golden YAML and dumping it again gives the golden YAML and JSON, byte for byte."""
    spec = augspec.load(GOLDEN / "all_ops.yaml")
    containers = {"compose", "random_apply", "random_choice", "random_order"}
    assert {o.op for o in spec.flat_ops()} | containers == set(OP_NAMES)
    assert dumps(spec, "yaml") == (GOLDEN / "all_ops.yaml").read_text()
    assert dumps(spec, "json") == (GOLDEN / "all_ops.json").read_text()
    assert augspec.load(GOLDEN / "all_ops.json") == spec


def test_spec_hash_is_stable_and_sensitive() -> None:
    a = augspec.load(GOLDEN / "all_ops.yaml")
    assert a.spec_hash() == augspec.load(GOLDEN / "all_ops.json").spec_hash()
    b = validate_data(to_data(a) | {"description": "changed"})
    assert a.spec_hash() != b.spec_hash()
