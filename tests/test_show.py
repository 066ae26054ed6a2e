"""`augspec show`: the grid is drawn, and `both` shows the same params through each framework."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import augspec
from augspec import reference
from augspec.cli import main
from augspec.cli_show import samples
from augspec.parity.sheets import displayable

from .conftest import require_mxnet

EXAMPLES_DIR = Path(__file__).parent.parent / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.yaml")) + sorted(EXAMPLES_DIR.glob("*.json"))


@pytest.fixture(scope="module")
def tiny_file(photo: np.ndarray, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("show") / "tiny.png"
    Image.fromarray(reference.resize(photo, (40, 34), "bilinear")).save(path)
    return path


@pytest.fixture(scope="module")
def frameworks() -> None:
    # importorskip silences the DeprecationWarning that importing mxnet raises under our filters.
    pytest.importorskip(
        "torchvision", reason="show --backend both needs torchvision (augspec[torch])"
    )
    require_mxnet("show --backend both needs mxnet (augspec[mxnet])")
    from augspec.parity import load_backends

    assert not load_backends()[1]


def _size(path: Path) -> tuple[int, int]:
    with Image.open(path) as img:
        return img.size


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_example_validates_and_shows_side_by_side(
    example: Path, tiny_file: Path, tmp_path: Path, frameworks: Any
) -> None:
    spec = augspec.load(str(example))  # validated
    assert spec.ops
    out = tmp_path / "grid.png"
    assert (
        main(
            [
                "show",
                str(example),
                "--image",
                str(tiny_file),
                "--rows",
                "1",
                "--cols",
                "2",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    width, height = _size(out)
    assert width > height > 0  # 1 row of 2 x 2 panels


@pytest.mark.parametrize("backend", ["torchvision", "torchvision-v2", "gluon", "reference"])
def test_single_backend_grid_has_rows_by_cols(
    backend: str, tiny_file: Path, tmp_path: Path, frameworks: Any
) -> None:
    small, big = tmp_path / "small.png", tmp_path / "big.png"
    spec = str(EXAMPLES_DIR / "shape_aug.yaml")
    for out, rows, cols in ((small, "1", "1"), (big, "2", "3")):
        args = ["show", spec, "--image", str(tiny_file), "--backend", backend]
        assert main([*args, "--rows", rows, "--cols", cols, "--out", str(out)]) == 0
    (w1, h1), (w2, h2) = _size(small), _size(big)
    assert w2 > 2 * w1 and h2 > h1


@pytest.mark.parametrize(
    ("which", "names"),
    [
        ("both", ("torchvision", "gluon")),
        ("all", ("torchvision", "torchvision-v2", "gluon", "reference")),
    ],
)
def test_side_by_side_replays_the_same_sampled_params(
    which: str, names: tuple[str, ...], tiny_file: Path, frameworks: Any
) -> None:
    with Image.open(tiny_file) as img:
        image = np.asarray(img.convert("RGB"))
    spec = augspec.load(str(EXAMPLES_DIR / "combined_augs.yaml"))
    panels = samples(spec, image, which, 3, seed=7)
    assert [c for c, _ in panels] == [f"{b} #{i}" for i in range(3) for b in names]
    for i in range(3):
        params = augspec.sample(spec, seed=7, index=i, image_size=(image.shape[0], image.shape[1]))
        for k, backend in enumerate(names):
            expected = displayable(
                np.asarray(augspec.to_numpy(augspec.replay(spec, params, image, backend))), spec
            )
            np.testing.assert_array_equal(panels[len(names) * i + k][1], expected)


def test_tensor_outputs_are_shown_as_images(tiny_file: Path) -> None:
    with Image.open(tiny_file) as img:
        image = np.asarray(img.convert("RGB"))
    spec = augspec.load(str(EXAMPLES_DIR / "eval_resize_crop.yaml"))
    ((_, shown),) = samples(spec, image, "reference", 1, seed=0)
    assert shown.dtype == np.uint8 and shown.shape == (224, 224, 3)
    plain = reference.replay(
        augspec.loads("augspec: 1\nops: [{op: resize, size: 256}, {op: center_crop, size: 224}]"),
        augspec.sample(spec, 0, 0, 0, (image.shape[0], image.shape[1]))
        | {"ops": [{"op": "resize"}, {"op": "center_crop"}]},
        image,
    )
    assert np.abs(shown.astype(int) - plain.astype(int)).max() <= 1  # normalise undone


def test_show_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "show",
                str(tmp_path / "nope.yaml"),
                "--backend",
                "reference",
                "--out",
                str(tmp_path / "g.png"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert err.startswith("augspec show: error:") and len(err.strip().splitlines()) == 1
    assert (
        main(
            [
                "show",
                str(EXAMPLES_DIR / "brightness.yaml"),
                "--backend",
                "reference",
                "--seed",
                "-1",
                "--out",
                str(tmp_path / "g.png"),
            ]
        )
        == 2
    )
    assert "Expected --seed >= 0" in capsys.readouterr().err
