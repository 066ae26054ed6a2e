"""`augspec code`: generated Python round-trips through `import` and, executed, through
`from_native`, for every op on every backend and fidelity."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import augspec
from augspec.cli import main
from augspec.codegen import code
from augspec.importer import import_source
from augspec.pipeline_diff import diff_pipelines

from .op_cases import all_cases, pipeline_for

ROOT = Path(__file__).parent.parent
BACKENDS = ("torchvision", "torchvision-v2", "gluon")
CASES = all_cases()


def _framework(backend: str) -> None:
    if backend == "gluon":
        from .conftest import require_mxnet

        require_mxnet()
    elif importlib.util.find_spec("torchvision") is None:
        pytest.skip("needs torchvision (pip install 'augspec[torch]')")


def _run(source: str) -> Any:
    namespace: dict[str, Any] = {}
    exec(compile(source, "<generated>", "exec"), namespace)  # noqa: S102 - code we generated
    return namespace["augs"]


COLOUR_OPS = {"brightness", "contrast", "saturation", "hue", "color_jitter"}


def _holds_colour(ops: Any) -> bool:
    return any(op.op in COLOUR_OPS or _holds_colour(getattr(op, "ops", ())) for op in ops)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("fidelity", ["native", "spec"])
def test_every_op_round_trips_through_code_import_and_from_native(
    backend: str, fidelity: str
) -> None:
    _framework(backend)
    from augspec.native_reader import from_native

    for name, case in CASES:
        spec = augspec.validate_data(pipeline_for(case))
        source = code(spec, backend, fidelity)
        imported = import_source(source)
        assert not imported.skipped, (name, source, imported.skipped)
        back = imported.get("augs").spec
        assert diff_pipelines(spec, back).equivalent, (name, source, back)
        live = from_native(_run(source))
        assert diff_pipelines(spec, live).equivalent, (name, source, live)
        if not _holds_colour(spec.ops):  # a colour range reads back as its own number form
            assert back == spec, (name, source)  # exact, not only equivalent


def test_generated_code_uses_native_classes_ports_and_says_what_departs() -> None:
    _framework("gluon")
    spec = augspec.validate_data(
        {
            "ops": [
                {"op": "random_crop", "size": 32, "padding": 4},
                {"op": "saturation", "factor": 0.5},
                {"op": "horizontal_flip", "p": 0.3},
                {"op": "resize", "size": [100, 200]},
            ]
        }
    )
    gluon = code(spec, "gluon")
    assert "from mxnet.gluon.data.vision import transforms" in gluon
    assert "from augspec import ports" in gluon
    assert "    # augspec port: no gluon class for this op (pad + random box)\n" in gluon
    assert '    ports.gluon("random_crop", size=32, padding=4),\n' in gluon
    assert "transforms.RandomSaturation(0.5)" in gluon and "0.114*B" in gluon
    assert 'ports.gluon("horizontal_flip", p=0.3)' in gluon
    assert "transforms.Resize((200, 100))" in gluon  # gluon's (width, height)
    tv = code(spec, "torchvision")
    assert "transforms.RandomCrop(32, padding=4)," in tv and "ports" not in tv
    assert "transforms.Resize((100, 200))" in tv
    faithful = code(spec, "torchvision", "spec")
    assert 'ports.torchvision("saturation", factor=0.5, fidelity="spec")' in faithful
    compiled = augspec.compile(spec, "torchvision", "spec").native
    assert type(_run(faithful).transforms[1]) is type(compiled.transforms[1])


@pytest.mark.parametrize("backend", BACKENDS)
def test_generated_pipeline_runs_on_an_image(backend: str) -> None:
    _framework(backend)
    spec = augspec.load(ROOT / "examples" / "combined_augs.yaml")
    pipeline = _run(code(spec, backend))
    image = np.random.default_rng(0).integers(0, 256, (220, 240, 3), dtype=np.uint8)
    if backend == "gluon":
        from augspec.backends.gluon_mx import mx

        out = pipeline(mx.nd.array(image, dtype="uint8"))
    else:
        from PIL import Image

        out = pipeline(Image.fromarray(image))
    shape = tuple(out.shape) if hasattr(out, "shape") else (out.height, out.width, 3)
    assert sorted(shape) == [3, 200, 200]  # HWC (PIL, NDArray) or CHW (v2's tensor)


def test_cli_code_from_a_spec_and_from_a_python_file(capsys: pytest.CaptureFixture[str]) -> None:
    _framework("torchvision")
    assert (
        main(["code", str(ROOT / "examples" / "combined_augs.yaml"), "--backend", "torchvision"])
        == 0
    )
    out = capsys.readouterr().out
    assert out.startswith(
        "from torchvision import transforms\n\n"
        "# The chapter's combined augmentation (flip, colour, shape)\n"  # its description
        "combined_augs = transforms.Compose(["
    )
    gluon_file = f"{ROOT / 'examples' / 'porting' / 'chapter_gluon.py'}:shape_aug"
    assert main(["code", gluon_file, "--backend", "torchvision-v2", "--var", "crop"]) == 0
    out = capsys.readouterr().out
    assert "crop = v2.Compose([\n    v2.ToImage()," in out
    assert "v2.RandomResizedCrop((200, 200), scale=(0.1, 1.0), ratio=(0.5, 2.0))" in out
    assert (
        main(["code", str(ROOT / "examples" / "porting" / "chapter_torch.py"), "--name", "nope"])
        == 2
    )
    assert "Expected a pipeline variable named 'nope'" in capsys.readouterr().err
