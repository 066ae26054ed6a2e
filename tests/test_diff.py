"""`augspec diff`: canonical forms, equivalent pipelines, planted differences, exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import augspec
from augspec.canonical import canonical_ops
from augspec.cli import main
from augspec.importer import import_file

ROOT = Path(__file__).parent.parent
PORTING = ROOT / "examples" / "porting"

CHAPTER = [
    {"op": "RandomFlipLeftRight"},
    {"op": "ColorJitter", "brightness": 0.5, "contrast": 0.5, "saturation": 0.5, "hue": 0.5},
    {"op": "RandomResizedCrop", "size": [200, 200], "scale": [0.1, 1], "ratio": [0.5, 2]},
]


def _spec(*ops: dict[str, Any]) -> augspec.Pipeline:
    return augspec.validate_data({"augspec": 1, "ops": list(ops)})


@pytest.mark.parametrize(
    "a, b",
    [
        # one active ColorJitter component is that op; factors as ranges
        ([{"op": "ColorJitter", "brightness": 0.5}], [{"op": "brightness", "factor": [0.5, 1.5]}]),
        ([{"op": "ColorJitter", "hue": 0.2}], [{"op": "RandomHue", "factor": [-0.2, 0.2]}]),
        # nested Compose flattens; RandomApply(p=1) is its contents
        (
            [{"op": "compose", "ops": [{"op": "RandomFlipLeftRight"}, {"op": "ToTensor"}]}],
            [
                {"op": "RandomApply", "p": 1, "ops": [{"op": "horizontal_flip"}]},
                {"op": "to_tensor"},
            ],
        ),
        # no-ops vanish: p=0 flips, identity ranges, RandomApply(p=0), alphastd 0
        (
            [
                {"op": "horizontal_flip", "p": 0},
                {"op": "brightness", "factor": [1, 1]},
                {"op": "RandomApply", "p": 0, "ops": [{"op": "hue", "factor": 0.4}]},
                {"op": "lighting", "alphastd": 0},
                {"op": "CenterCrop", "size": 8},
            ],
            [{"op": "center_crop", "size": [8, 8]}],
        ),
        # RandomApply of RandomApply multiplies; defaults filled
        (
            [
                {
                    "op": "RandomApply",
                    "p": 0.5,
                    "ops": [{"op": "RandomApply", "p": 0.5, "ops": [{"op": "lighting"}]}],
                }
            ],
            [{"op": "RandomApply", "p": 0.25, "ops": [{"op": "lighting", "alphastd": 0.1}]}],
        ),
        (
            [{"op": "to_tensor"}, {"op": "normalize", "mean": [0.5], "std": [0.5, 0.5, 0.5]}],
            [{"op": "to_tensor"}, {"op": "Normalize", "mean": [0.5, 0.5, 0.5], "std": [0.5]}],
        ),
    ],
)
def test_equivalent_pipelines_are_equivalent(a: list[Any], b: list[Any]) -> None:
    result = augspec.diff(_spec(*a), _spec(*b))
    assert result.equivalent, result.report()
    assert result.report().startswith("equivalent: ")


def test_planted_differences_are_each_reported() -> None:
    base = _spec(*CHAPTER)
    assert augspec.diff(base, base).equivalent
    swapped = _spec(CHAPTER[0], CHAPTER[2], CHAPTER[1])
    ranged = _spec(CHAPTER[0], {**CHAPTER[1], "saturation": 0.4}, CHAPTER[2])
    missing = _spec(CHAPTER[0], CHAPTER[2])
    flip_p = _spec({"op": "horizontal_flip", "p": 0.3}, *CHAPTER[1:])
    kinds = {
        "order": swapped,
        "parameter": ranged,
        "missing": missing,
        "probability": flip_p,
    }
    for kind, other in kinds.items():
        result = augspec.diff(base, other)
        assert not result.equivalent
        assert [d.kind for d in result.differences] == [kind], result.report()
    text = augspec.diff(base, ranged).report("gluon.py", "torch.py")
    assert (
        "parameter   gluon.py ops[1] / torch.py ops[1]: color_jitter.saturation: [0.5, 1.5] vs [0.6, 1.4]"
        in text
    )
    text = augspec.diff(base, missing).report()
    assert "missing     A ops[1]: color_jitter(brightness=[0.5, 1.5]," in text
    assert text.endswith(", not in B")
    assert "horizontal_flip.p: 0.5 vs 0.3" in augspec.diff(base, flip_p).report()


def test_random_apply_children_are_compared() -> None:
    a = _spec({"op": "RandomApply", "p": 0.3, "ops": [{"op": "hue", "factor": 0.1}]})
    b = _spec({"op": "RandomApply", "p": 0.4, "ops": [{"op": "hue", "factor": 0.2}]})
    kinds = [d.kind for d in augspec.diff(a, b).differences]
    assert kinds == ["probability", "parameter"]


def test_canonical_ops_keep_where_they_came_from() -> None:
    spec = _spec(
        {
            "op": "compose",
            "ops": [{"op": "CenterCrop", "size": 4}, {"op": "ColorJitter", "contrast": 0.1}],
        }
    )
    assert [(c.src, c.data) for c in canonical_ops(spec)] == [
        ("ops[0].ops[0]", {"op": "center_crop", "size": [4, 4]}),
        ("ops[0].ops[1]", {"op": "contrast", "factor": [0.9, 1.1]}),
    ]


def test_the_chapters_gluon_and_torch_pipelines_are_equivalent() -> None:
    gluon, torch = (
        import_file(PORTING / "chapter_gluon.py"),
        import_file(PORTING / "chapter_torch.py"),
    )
    assert [s.name for s in gluon.specs] == [s.name for s in torch.specs]
    for g in gluon.specs:
        result = augspec.diff(g.spec, torch.get(g.name).spec)
        assert result.equivalent, (g.name, result.report())


def test_cli_diff_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gluon, torch = str(PORTING / "chapter_gluon.py"), str(PORTING / "chapter_torch.py")
    assert main(["diff", gluon, torch]) == 0
    out = capsys.readouterr().out
    assert "finetune_test_augs: equivalent: 4 ops" in out
    # The naive port: gluon's Resize(256) is a square, torchvision's the shorter side.
    naive = tmp_path / "naive.py"
    naive.write_text(
        "import torchvision.transforms as T\n"
        "t = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(),\n"
        "               T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])\n",
        encoding="utf-8",
    )
    assert main(["diff", f"{gluon}:finetune_test_augs", f"{naive}:t"]) == 1
    out = capsys.readouterr().out
    assert "resize.size: [256, 256] vs 256" in out
    spec = tmp_path / "augs.yaml"
    augspec.dump(_spec(*CHAPTER), spec)
    assert main(["diff", str(spec), torch, "--name", "augs"]) == 0
    assert main(["diff", str(spec), f"{torch}:train_augs"]) == 1
    assert "missing" in capsys.readouterr().out


def test_cli_diff_measure_replays_each_pair(capsys: pytest.CaptureFixture[str]) -> None:
    from .conftest import require_mxnet

    require_mxnet()
    gluon, torch = str(PORTING / "chapter_gluon.py"), str(PORTING / "chapter_torch.py")
    args = ["diff", f"{gluon}:train_augs", f"{torch}:train_augs", "--measure", "--samples", "2"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "measured (gluon vs torchvision, native" in out
    # The photo is 600 wide (even): gluon's flip is exact there, as torchvision's.
    assert "horizontal_flip(p=0.5): gluon vs torchvision: max 0, mean 0 (same params)" in out
