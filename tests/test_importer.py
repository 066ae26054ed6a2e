"""`augspec import`: pipelines read from Python source with ast, never executed."""

from __future__ import annotations

from pathlib import Path

import pytest

import augspec
from augspec.cli import main
from augspec.importer import import_file, import_source

PORTING = Path(__file__).parent.parent / "examples" / "porting"

CHAPTER_OPS = {
    "shape_aug": ["random_resized_crop"],
    "color_aug": ["color_jitter"],
    "augs": ["horizontal_flip", "color_jitter", "random_resized_crop"],
    "train_augs": ["horizontal_flip", "to_tensor"],
    "test_augs": ["to_tensor"],
    "finetune_train_augs": ["random_resized_crop", "horizontal_flip", "to_tensor", "normalize"],
    "finetune_test_augs": ["resize", "center_crop", "to_tensor", "normalize"],
}


@pytest.mark.parametrize("name", ["chapter_gluon.py", "chapter_torch.py"])
def test_the_chapters_pipelines_one_spec_per_variable(name: str) -> None:
    result = import_file(PORTING / name)
    assert {s.name: [o.op for o in s.spec.ops] for s in result.specs} == CHAPTER_OPS
    framework = "gluon" if "gluon" in name else "torchvision"
    assert all(s.frameworks == (framework,) for s in result.specs)
    # `normalize` alone is no pipeline (normalize needs to_tensor first): said, with its line.
    lines = (PORTING / name).read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text.startswith("normalize = "))
    assert [(s.name, s.line) for s in result.skipped] == [("normalize", line)]
    augs = result.get("augs").spec
    assert augs.ops[2].model_dump() == {
        "op": "random_resized_crop",
        "size": (200, 200),
        "scale": (0.1, 1.0),
        "ratio": (0.5, 2.0),
        "interpolation": "bilinear",
    }


GLUON_RRC = {"op": "random_resized_crop", "size": [100, 200], "scale": [0.1, 1], "ratio": [0.5, 2]}
IMPORT_STYLES = [
    ("from mxnet.gluon.data.vision import transforms", "transforms"),
    ("from mxnet import gluon", "gluon.data.vision.transforms"),
    ("import mxnet as mx", "mx.gluon.data.vision.transforms"),
    ("import mxnet", "mxnet.gluon.data.vision.transforms"),
    ("from mxnet.gluon.data import vision", "vision.transforms"),
    ("from mxnet.gluon.data.vision import transforms as gt", "gt"),
]


@pytest.mark.parametrize("header, prefix", IMPORT_STYLES)
def test_gluon_import_styles_and_its_width_height_sizes(header: str, prefix: str) -> None:
    source = f"{header}\naug = {prefix}.RandomResizedCrop((200, 100), (0.1, 1), ratio=(0.5, 2))\n"
    spec = import_source(source).get("aug").spec
    # Gluon's (200, 100) is (width, height): the spec's [height, width] is [100, 200].
    assert spec == augspec.validate_data({"ops": [GLUON_RRC]})


TV_STYLES = [
    ("import torchvision", "torchvision.transforms.", "torchvision"),
    ("import torchvision.transforms as T", "T.", "torchvision"),
    ("from torchvision import transforms as T", "T.", "torchvision"),
    ("from torchvision.transforms import v2", "v2.", "torchvision-v2"),
    ("from torchvision.transforms import RandomCrop, Compose", "", "torchvision"),
    ("from torchvision.transforms import *", "", "torchvision"),
]


@pytest.mark.parametrize("header, prefix, framework", TV_STYLES)
def test_torchvision_import_styles(header: str, prefix: str, framework: str) -> None:
    source = f"{header}\nt = {prefix}Compose([{prefix}RandomCrop(32, 4)])\n"
    imported = import_source(source).get("t")
    assert imported.frameworks == (framework,)
    assert imported.spec.ops[0].model_dump() == {
        "op": "random_crop",
        "size": 32,
        "padding": 4,
        "fill": 0,
    }


def test_names_bound_earlier_literals_arithmetic_and_nested_pipelines() -> None:
    source = """
import torchvision.transforms as T
SIZE = 200
lo = 3 / 4
flip = T.RandomHorizontalFlip(p=0.25)
crop = T.RandomResizedCrop((SIZE, SIZE), scale=(0.1, 1), ratio=(lo, 4 / 3))
def build():
    inner = T.Compose([flip, T.RandomApply([T.ColorJitter(brightness=0.4)], p=0.3)])
    return T.Compose([inner, crop])
pipeline = T.Compose([T.Compose([flip, T.ColorJitter(hue=0.1)]), crop])
"""
    result = import_source(source)
    crop = result.get("crop").spec.ops[0]
    assert crop.size == (200, 200) and crop.ratio == (0.75, 4 / 3)
    inner = result.get("inner").spec
    assert inner.ops[1].op == "random_apply" and inner.ops[1].p == 0.3
    assert inner.ops[1].ops[0].model_dump() == {"op": "brightness", "factor": 0.4}
    nested = result.get("pipeline").spec
    assert [o.op for o in nested.ops] == ["compose", "random_resized_crop"]
    assert nested.ops[0].ops[0].p == 0.25


def test_what_cannot_be_read_is_reported_with_its_line_and_skipped() -> None:
    source = """from torchvision import transforms as T
import random
size = random.randint(100, 200)
a = T.CenterCrop(size)
b = T.Compose([T.RandomHorizontalFlip(), T.Lambda(lambda x: x)])
c = T.Compose([T.RandomHorizontalFlip(), lambda img: img])
d = T.Resize(int(3.7))
e = T.ElasticTransform()
f = T.CenterCrop(undefined_name)
ok = T.CenterCrop(8)
net = build_model()
"""
    result = import_source(source, "train.py")
    assert [s.name for s in result.specs] == ["ok"]
    skipped = {s.name: (s.line, s.reason) for s in result.skipped}
    assert sorted(skipped) == ["a", "b", "c", "d", "e", "f"]  # net: not a transform, not listed
    assert skipped["a"][0] == 4 and "size (line 3" in skipped["a"][1]
    assert skipped["b"][0] == 5 and "Lambda" in skipped["b"][1]
    assert skipped["c"][0] == 6 and "lambda" in skipped["c"][1]
    assert skipped["e"][0] == 8 and "ElasticTransform" in skipped["e"][1]
    assert "undefined_name" in skipped["f"][1]
    assert "line 4: a:" in str(result.skipped[0])
    with pytest.raises(ValueError, match=r"named 'b' \(line 5: b: .*Lambda.*\); received a file"):
        result.get("b")


def test_import_never_executes_the_file(tmp_path: Path) -> None:
    marker = tmp_path / "marker.txt"
    script = tmp_path / "train.py"
    script.write_text(
        f"open({str(marker)!r}, 'w').write('ran')\n"
        "raise SystemExit('this file must not run')\n"
        "import module_that_does_not_exist\n"
        "from torchvision import transforms\n"
        "augs = transforms.Compose([transforms.RandomVerticalFlip(0.3)])\n",
        encoding="utf-8",
    )
    result = import_file(script)
    assert not marker.exists()
    assert result.get("augs").spec.ops[0].model_dump() == {"op": "vertical_flip", "p": 0.3}


def test_conversion_classes_are_dropped_and_ports_read_back() -> None:
    source = """import torch
from torchvision.transforms import v2
from augspec import ports
augs = v2.Compose([v2.ToImage(), ports.torchvision_v2('lighting', alphastd=0.2),
                   v2.ToDtype(torch.float32, scale=True)])
"""
    spec = import_source(source).get("augs").spec
    assert [o.model_dump() for o in spec.ops] == [
        {"op": "lighting", "alphastd": 0.2},
        {"op": "to_tensor"},
    ]


def test_bad_source_and_bad_names_are_value_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="syntax error at line 1"):
        import_source("augs = (")
    with pytest.raises(ValueError, match="pipelines are: none"):
        import_source("x = 1").get("augs")


def test_cli_import_writes_one_spec_per_pipeline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(PORTING / "chapter_gluon.py"), "--out", str(tmp_path)]) == 0
    written = sorted(p.stem for p in tmp_path.glob("*.yaml"))
    assert written == sorted(CHAPTER_OPS)
    back = augspec.load(tmp_path / "finetune_test_augs.yaml")
    assert back.ops[0].model_dump() == {
        "op": "resize",
        "size": (256, 256),
        "interpolation": "bilinear",
    }
    assert "normalize: not a pipeline on its own" in capsys.readouterr().err
    assert main(["import", str(PORTING / "chapter_torch.py"), "--name", "augs"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# augs (") and "op: color_jitter" in out
    assert main(["import", str(PORTING / "chapter_torch.py"), "--name", "nope"]) == 2


def test_a_pipeline_changed_after_it_was_built_is_reported_not_guessed() -> None:
    source = """from torchvision import transforms as T
augs = T.Compose([T.RandomHorizontalFlip()])
kept = T.Compose([T.CenterCrop(8)])
augs.transforms.append(T.ToTensor())
kept(image)
jitter = T.ColorJitter(0.1)
jitter.brightness = (0.5, 1.5)
"""
    result = import_source(source)
    assert [s.name for s in result.specs] == ["kept"]
    assert [(s.name, s.line) for s in result.skipped] == [("augs", 4), ("jitter", 7)]
    assert "augs.transforms.append(T.ToTensor())" in result.skipped[0].reason


def test_a_name_assigned_in_two_branches_is_not_guessed() -> None:
    source = """from torchvision import transforms as T
augs = T.Compose([T.CenterCrop(8)])
augs = T.Compose([T.CenterCrop(16)])
if TRAIN:
    t = T.Compose([T.RandomHorizontalFlip()])
else:
    t = T.Compose([T.CenterCrop(8)])
"""
    result = import_source(source)
    assert [(s.name, s.spec.ops[0].size) for s in result.specs] == [("augs", 16)]
    assert [(s.name, s.line) for s in result.skipped] == [("t", 7)]
    assert "at line 5 and at line 7" in result.skipped[0].reason
