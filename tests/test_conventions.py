"""Spec files in a framework's words: native argument names, `conventions:`, bare op names, and
the errors about them (augspec.conventions, augspec.io)."""

from __future__ import annotations

import pytest

import augspec
from augspec.io import to_data


def _ops(text: str) -> list[dict[str, object]]:
    return to_data(augspec.loads(text))["ops"]


def _problems(text: str) -> list[str]:
    with pytest.raises(augspec.SpecError) as err:
        augspec.loads(text)
    return [str(p) for p in err.value.problems]


def test_native_argument_names_load_as_canonical_fields() -> None:
    ops = _ops(
        """
ops:
  - {op: RandomBrightness, brightness: 0.5}
  - {op: RandomContrast, contrast: 0.4}
  - {op: RandomSaturation, saturation: 0.3}
  - {op: RandomHue, hue: 0.1}
  - {op: RandomLighting, alpha: 0.1}
  - {op: RandomColorJitter, brightness: 0.5, contrast: 0.5, saturation: 0.5, hue: 0.5}
  - {op: ColorJitter, brightness: [0.5, 1.5], hue: 0.2}
  - {op: RandomApply, transforms: [{op: RandomHorizontalFlip, p: 0.3}], p: 0.2}
  - {op: Resize, size: 20, antialias: true, max_size: null}
  - {op: RandomCrop, size: 8, padding: 2, padding_mode: constant, pad_if_needed: false}
  - {op: ToTensor}
  - {op: Normalize, mean: [0.5], std: [0.2], inplace: false}
"""
    )
    assert ops[0] == {"op": "brightness", "factor": 0.5}
    assert ops[3] == {"op": "hue", "factor": 0.1}
    assert ops[4] == {"op": "lighting", "alphastd": 0.1}
    assert ops[5]["op"] == "color_jitter" and ops[5]["hue"] == 0.5
    assert ops[6] == {
        "op": "color_jitter",
        "brightness": [0.5, 1.5],
        "contrast": 0.0,
        "saturation": 0.0,
        "hue": 0.2,
    }
    assert ops[7] == {"op": "random_apply", "p": 0.2, "ops": [{"op": "horizontal_flip", "p": 0.3}]}
    assert ops[8] == {"op": "resize", "size": 20, "interpolation": "bilinear"}
    assert ops[9] == {"op": "random_crop", "size": 8, "padding": 2, "fill": 0}
    assert ops[11] == {"op": "normalize", "mean": [0.5], "std": [0.2]}


def test_canonical_fields_on_aliases_still_load() -> None:
    ops = _ops(
        "ops:\n  - {op: RandomBrightness, factor: 0.5}\n  - {op: RandomLighting, alphastd: 0.2}"
    )
    assert ops == [{"op": "brightness", "factor": 0.5}, {"op": "lighting", "alphastd": 0.2}]


def test_gluon_conventions_translate_sizes_and_codes() -> None:
    text = """
augspec: 1
conventions: gluon
ops:
  - {op: RandomResizedCrop, size: [200, 100], scale: [0.1, 1], ratio: [0.5, 2]}
  - {op: Resize, size: 256}
  - {op: resize, size: 256}
  - {op: Resize, size: 64, keep_ratio: true, interpolation: 2}
  - {op: CenterCrop, size: [30, 20]}
  - {op: random_crop, size: [10, 20]}
  - RandomFlipLeftRight
"""
    ops = _ops(text)
    assert ops[0]["size"] == [100, 200]  # Gluon's (width, height)
    assert ops[1]["size"] == ops[2]["size"] == [256, 256]  # Gluon's int Resize is a square
    assert ops[3] == {"op": "resize", "size": 64, "interpolation": "bicubic"}
    assert ops[4] == {"op": "center_crop", "size": [20, 30]}
    assert ops[5]["size"] == [20, 10]
    assert ops[6] == {"op": "horizontal_flip", "p": 0.5}


def test_default_and_torchvision_conventions_keep_height_width() -> None:
    for head in ("", "conventions: augspec\n", "conventions: torchvision\n"):
        ops = _ops(
            head
            + "ops:\n  - {op: RandomResizedCrop, size: [200, 100]}\n  - {op: Resize, size: 256}"
        )
        assert ops[0]["size"] == [200, 100] and ops[1]["size"] == 256
    # torchvision's int interpolation codes are PIL's (3: bicubic).
    assert (
        _ops("conventions: torchvision\nops:\n  - {op: resize, size: 8, interpolation: 3}")[0][
            "interpolation"
        ]
        == "bicubic"
    )


def test_dump_writes_canonical_and_reloads_equal(tmp_path: object) -> None:
    spec = augspec.loads("conventions: gluon\nops:\n  - {op: RandomResizedCrop, size: [200, 100]}")
    text = augspec.dumps(spec)
    assert "conventions" not in text and "random_resized_crop" in text
    assert augspec.loads(text) == spec


def test_bare_op_names_are_the_op_with_its_defaults() -> None:
    ops = _ops("ops:\n  - RandomFlipLeftRight\n  - {op: Compose, ops: [to_tensor]}")
    assert ops == [
        {"op": "horizontal_flip", "p": 0.5},
        {"op": "compose", "ops": [{"op": "to_tensor"}]},
    ]
    (problem,) = _problems("ops:\n  - RandomFlip")
    assert "Expected an op mapping such as {op: RandomFlip}" in problem
    assert "Unknown op" not in problem


def test_python_tuples_in_yaml_get_one_error_each() -> None:
    for text in (
        "ops:\n  - {op: RandomResizedCrop, size: (200, 200)}",
        "ops:\n  - op: RandomResizedCrop\n    size: (200, 200)",
    ):
        assert _problems(text) == [
            "ops[0] (RandomResizedCrop).size: Expected a list: YAML has no tuples, so (200, 200) "
            "is not a pair; write [200, 200]; received size='(200, 200)'"
        ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "ops:\n  - {op: brightness, brightness: 0.5}",
            "ops[0] (brightness).brightness: Unknown field; expected one of: factor; received brightness=0.5",
        ),
        (
            "ops:\n  - {op: RandomBrightness, brightnes: 0.5}",
            "ops[0] (RandomBrightness).brightnes: Unknown field (did you mean 'brightness'?); "
            "expected one of: factor; or RandomBrightness's own: brightness; received brightnes=0.5",
        ),
        (
            "ops:\n  - {op: RandomBrightness}",
            "ops[0] (RandomBrightness).factor: Field required (write factor, or RandomBrightness's "
            "own name brightness); received nothing for factor",
        ),
        (
            "ops:\n  - {op: RandomBrightness, brightness: 0.5, factor: 0.2}",
            "ops[0] (RandomBrightness).brightness: Expected brightness (RandomBrightness's name) "
            "or factor (augspec's), not both; received brightness=0.5 and factor=0.2",
        ),
        (
            "ops:\n  - {op: Resize, size: 20, keep_ratio: true}",
            "ops[0] (Resize).keep_ratio: Expected an argument of torchvision's Resize (the file's "
            "conventions are augspec); keep_ratio is gluon's: declare 'conventions: gluon' at the "
            "top of the file (Gluon's sizes are then (width, height)); received keep_ratio=True",
        ),
        (
            "conventions: gluon\nops:\n  - {op: RandomResizedCrop, size: 20, interpolation: 3}",
            "ops[0] (RandomResizedCrop).interpolation: Expected one of the OpenCV codes {0: "
            "'nearest', 1: 'bilinear', 2: 'bicubic'} (the spec has nearest, bilinear, bicubic); "
            "received interpolation=3",
        ),
        (
            "ops:\n  - {op: Resize, size: 20, antialias: false}",
            "ops[0] (Resize).antialias: Expected True (the spec resamples with antialiasing, as "
            "PIL); received antialias=False",
        ),
        (
            "conventions: keras\nops:\n  - RandomFlipLeftRight",
            "conventions: Expected one of augspec, torchvision, gluon (whose sizes and codes the "
            "file's numbers follow); received conventions='keras'",
        ),
        (
            "ops:\n  - {op: Compose, ops: [{op: hue, hue: 0.1}]}",
            "ops[0] (Compose).ops[0] (hue).hue: Unknown field; expected one of: factor; received hue=0.1",
        ),
    ],
)
def test_errors_name_the_op_and_its_own_fields(text: str, expected: str) -> None:
    assert expected in _problems(text)


def test_python_api_translates_too() -> None:
    spec = augspec.Pipeline.model_validate(
        {"conventions": "gluon", "ops": [{"op": "RandomResizedCrop", "size": [4, 2]}]}
    )
    assert spec.ops[0].size == (2, 4)  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="YAML has no tuples"):
        augspec.Pipeline.model_validate({"ops": [{"op": "Resize", "size": "(2, 4)"}]})


def test_schema_takes_what_loading_takes() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = augspec.Pipeline.model_json_schema()
    assert schema["properties"]["conventions"]["enum"] == ["augspec", "torchvision", "gluon"]
    validator = jsonschema.Draft202012Validator(schema)
    accepted = {
        "conventions": "gluon",
        "ops": [
            "RandomFlipLeftRight",
            {"op": "RandomBrightness", "brightness": 0.5},
            {"op": "RandomLighting", "alpha": 0.1},
            {"op": "Resize", "size": 3, "keep_ratio": True},
            {"op": "Compose", "ops": ["to_tensor"]},
        ],
    }
    assert list(validator.iter_errors(accepted)) == []
    # (Per op, not per alias: {op: brightness, brightness: 1} passes the schema; load refuses it.)
    for refused in (["Flip"], [{"op": "RandomBrightness"}], [{"op": "RandomBrightness", "x": 1}]):
        assert list(validator.iter_errors({"ops": refused})), refused
