"""`augspec port`: a Gluon file with the chapter's pipelines ported to torchvision (and back)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import augspec
from augspec.cli import main
from augspec.importer import import_file, import_source

PORTING = Path(__file__).parent.parent / "examples" / "porting"


def _port(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["port", *args]) == 0
    return capsys.readouterr().out


def test_port_gluon_chapter_to_torchvision(capsys: pytest.CaptureFixture[str]) -> None:
    out = _port(capsys, str(PORTING / "chapter_gluon.py"), "--to", "torchvision")
    namespace: dict[str, Any] = {}
    exec(compile(out, "<port>", "exec"), namespace)  # noqa: S102 - the output is a module
    ported = import_source(out)
    original = import_file(PORTING / "chapter_gluon.py")
    for imported in original.specs:
        assert augspec.diff(imported.spec, ported.get(imported.name).spec).equivalent
        assert type(namespace[imported.name]).__module__.startswith("torchvision.transforms")
    assert (
        "shape_aug = transforms.RandomResizedCrop((200, 200), scale=(0.1, 1.0), ratio=(0.5, 2.0))"
        in out
    )
    assert "    transforms.Resize((256, 256)),\n" in out
    assert "gluon's Resize(256) is a 256x256 square: written Resize((256, 256))" in out
    # What will change the pixels, from both sides, and the fidelity choice.
    assert "gluon (the original, native): saturation grey-level bug" in out
    assert "torchvision (the port, native): PIL's ImageEnhance truncates" in out
    assert "--fidelity spec writes augspec's faithful substitutes for ops[1]" in out


def test_port_with_fidelity_spec_writes_substitutes(capsys: pytest.CaptureFixture[str]) -> None:
    args = [str(PORTING / "chapter_gluon.py"), "--to", "torchvision", "--name", "augs"]
    out = _port(capsys, *args, "--fidelity", "spec")
    assert 'ports.torchvision("color_jitter", brightness=0.5' in out and 'fidelity="spec"' in out
    assert "-> replaced (--fidelity spec)" in out
    namespace: dict[str, Any] = {}
    exec(compile(out, "<port>", "exec"), namespace)  # noqa: S102
    from augspec.native_reader import from_native

    assert augspec.diff(
        from_native(namespace["augs"]), import_file(PORTING / "chapter_gluon.py").get("augs").spec
    ).equivalent


def test_port_torch_chapter_to_gluon_runs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from .conftest import require_mxnet

    require_mxnet()
    target = tmp_path / "ported.py"
    args = [str(PORTING / "chapter_torch.py"), "--to", "gluon", "--out", str(target)]
    out = _port(capsys, *args)
    assert out.startswith(f"{target}: 7 pipeline(s) written for gluon")
    source = target.read_text(encoding="utf-8")
    assert "from mxnet.gluon.data.vision import transforms" in source
    assert (
        "transforms.RandomColorJitter(brightness=0.5, contrast=0.5, saturation=0.5, hue=0.5)"
        in source
    )
    namespace: dict[str, Any] = {}
    exec(compile(source, str(target), "exec"), namespace)  # noqa: S102
    from augspec.native_reader import from_native

    torch = import_file(PORTING / "chapter_torch.py")
    for imported in torch.specs:
        assert augspec.diff(imported.spec, from_native(namespace[imported.name])).equivalent


def test_port_measure_prints_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    from .conftest import require_mxnet

    require_mxnet()
    args = [str(PORTING / "chapter_gluon.py"), "--to", "torchvision", "--name", "train_augs"]
    out = _port(capsys, *args, "--measure")
    assert "train_augs: measured, gluon native vs the port (torchvision native)" in out
    assert "to_tensor(): gluon vs torchvision: max 0, mean 0 (same params)" in out


def test_docs_porting_shows_what_port_prints(capsys: pytest.CaptureFixture[str]) -> None:
    doc = (PORTING.parent.parent / "docs" / "porting.md").read_text(encoding="utf-8")
    out = _port(capsys, str(PORTING / "chapter_gluon.py"), "--to", "torchvision")
    assert out.rstrip() in doc  # regenerate docs/porting.md when the output changes
