"""`augspec show` / `augspec.show`: the same draws on every backend, captions that name the
params drawn, a heat-map row with --diff, and a window or a clear message without --out."""

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
from augspec.show_figure import abs_diff, caption, diff_pair, draws, op_caption_lines

from .conftest import require_mxnet

EXAMPLES_DIR = Path(__file__).parent.parent / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.yaml")) + sorted(EXAMPLES_DIR.glob("*.json"))
ALL = ("torchvision", "torchvision-v2", "gluon", "reference")


@pytest.fixture(scope="module")
def tiny(photo: np.ndarray) -> np.ndarray:
    return reference.resize(photo, (40, 34), "bilinear")


@pytest.fixture(scope="module")
def tiny_file(tiny: np.ndarray, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("show") / "tiny.png"
    Image.fromarray(tiny).save(path)
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


def _show(spec: Path, image: Path, out: Path, *extra: str) -> int:
    return main(["show", str(spec), "--image", str(image), *extra, "--out", str(out)])


# ---- the same draws on every backend ---------------------------------------------------------


@pytest.mark.parametrize("name", ["combined_augs.yaml", "cifar_recipe.json"])
def test_one_seed_gives_the_same_draws_on_every_backend(
    name: str, tiny: np.ndarray, frameworks: Any
) -> None:
    """The bug this replaces: one backend drew from its framework's RNG, so `--backend gluon`
    and `--backend both` showed different samples at one seed."""
    spec = augspec.load(str(EXAMPLES_DIR / name))
    together = draws(spec, tiny, ALL, 3, seed=5, fidelity="spec")
    for backend in ALL:
        alone = draws(spec, tiny, [backend], 3, seed=5, fidelity="spec")
        assert [d.params for d in alone] == [d.params for d in together]
        assert [d.caption for d in alone] == [d.caption for d in together]
        for a, t in zip(alone, together, strict=True):
            np.testing.assert_array_equal(a.outputs[backend], t.outputs[backend])
    for d in together:  # spec fidelity: every backend shows the reference's picture
        for backend in ALL:
            # 1 level: torchvision keeps PIL's bilinear resampling in spec fidelity
            heat = abs_diff(d.outputs[backend], d.outputs["reference"])
            assert heat is not None and heat.max() <= 1, backend


def test_single_backend_panels_are_the_side_by_side_panels(
    tiny: np.ndarray, frameworks: Any
) -> None:
    spec = augspec.load(str(EXAMPLES_DIR / "combined_augs.yaml"))
    both = samples(spec, tiny, "both", 3, seed=7)
    gluon = samples(spec, tiny, "gluon", 3, seed=7)
    assert [c for c, _ in gluon] == [f"gluon #{i}" for i in range(3)]
    for (_, alone), (_, side) in zip(gluon, both[1::2], strict=True):
        np.testing.assert_array_equal(alone, side)


@pytest.mark.parametrize(
    ("which", "names"),
    [("both", ("torchvision", "gluon")), ("all", ALL)],
)
def test_side_by_side_replays_the_same_sampled_params(
    which: str, names: tuple[str, ...], tiny: np.ndarray, frameworks: Any
) -> None:
    spec = augspec.load(str(EXAMPLES_DIR / "combined_augs.yaml"))
    panels = samples(spec, tiny, which, 3, seed=7)
    assert [c for c, _ in panels] == [f"{b} #{i}" for i in range(3) for b in names]
    for i in range(3):
        params = augspec.sample(spec, seed=7, index=i, image_size=(tiny.shape[0], tiny.shape[1]))
        for k, backend in enumerate(names):
            expected = displayable(
                np.asarray(augspec.to_numpy(augspec.replay(spec, params, tiny, backend))), spec
            )
            np.testing.assert_array_equal(panels[len(names) * i + k][1], expected)


# ---- captions --------------------------------------------------------------------------------


def test_caption_names_every_param_drawn(tiny: np.ndarray) -> None:
    spec = augspec.load(str(EXAMPLES_DIR / "combined_augs.yaml"))
    for index in range(6):
        params = augspec.sample(spec, 0, 0, index, (tiny.shape[0], tiny.shape[1]))
        flip, jitter, crop = params["ops"]
        lines = caption(params).splitlines()
        assert lines[0] == f"flip: {'yes' if flip['apply'] else 'no'}"
        assert lines[1] == (
            f"jitter b{jitter['brightness']:.2f} c{jitter['contrast']:.2f} "
            f"s{jitter['saturation']:.2f} h{jitter['hue']:+.2f}"
        )
        assert (
            lines[2] == f"crop {crop['height']}x{crop['width']} at y={crop['top']} x={crop['left']}"
        )


@pytest.mark.parametrize(
    ("params", "lines"),
    [
        ({"op": "vertical_flip", "apply": True}, ["v-flip: yes"]),
        ({"op": "random_crop", "top": 3, "left": 0}, ["crop at y=3 x=0"]),
        ({"op": "saturation", "factor": 0.2163}, ["saturation x0.22"]),
        ({"op": "hue", "factor": -0.1}, ["hue -0.100"]),
        ({"op": "lighting", "alpha": [0.1, -0.2, 0.0]}, ["lighting +0.10 -0.20 +0.00"]),
        (
            {"op": "color_jitter", "brightness": 1.5, "contrast": None, "saturation": None}
            | {"hue": None, "order": ["brightness"]},
            ["jitter b1.50"],
        ),
        ({"op": "resize"}, []),
        (
            {"op": "random_apply", "apply": False, "ops": [{"op": "hue", "factor": 0.1}]},
            ["apply: no"],
        ),
        (
            {"op": "random_apply", "apply": True}
            | {"ops": [{"op": "compose", "ops": [{"op": "brightness", "factor": 1.0}]}]},
            ["apply: yes", "brightness x1.00"],
        ),
        ({"op": "rotate", "angle": 12.345, "center": [1, 2]}, ["rotate angle=12.3 center=(1, 2)"]),
    ],
)
def test_op_captions(params: dict[str, Any], lines: list[str]) -> None:
    assert op_caption_lines(params) == lines


def test_a_pipeline_that_draws_nothing_says_so() -> None:
    spec = augspec.load(str(EXAMPLES_DIR / "test_augs.yaml"))
    assert caption(augspec.sample(spec, 0, 0, 0, (8, 8))) == "(nothing random)"


# ---- the Figure (augspec.show) ---------------------------------------------------------------


def _image_axes(fig: Any) -> list[Any]:
    return [ax for ax in fig.axes if ax.images and ax.get_label() != "<colorbar>"]


def test_show_returns_a_captioned_figure(tiny: np.ndarray) -> None:
    from matplotlib.figure import Figure

    spec = str(EXAMPLES_DIR / "combined_augs.yaml")
    fig = augspec.show(spec, Image.fromarray(tiny), backend="reference", n=3, seed=2)
    assert isinstance(fig, Figure)
    axes = _image_axes(fig)
    assert len(axes) == 3
    for i, ax in enumerate(axes):
        params = augspec.sample(spec, 2, 0, i, (tiny.shape[0], tiny.shape[1]))
        assert ax.get_title(loc="left") == f"#{i}\n{caption(params)}"
        assert ax.images[0].get_array().shape == (200, 200, 3)
    assert axes[0].get_ylabel() == "reference"
    assert "combined_augs.yaml" in fig.get_suptitle()
    assert "fidelity=native" in fig.get_suptitle()


def test_diff_adds_a_row_of_heat_maps_on_the_same_params(tiny: np.ndarray, frameworks: Any) -> None:
    spec = EXAMPLES_DIR / "color_aug.yaml"
    plain = augspec.show(spec, tiny, backend="both", n=2, seed=1)
    fig = augspec.show(spec, tiny, backend="both", n=2, seed=1, diff=True)
    assert len(_image_axes(plain)) == 4 and len(_image_axes(fig)) == 6
    assert any(ax.get_label() == "<colorbar>" for ax in fig.axes)
    drawn = draws(augspec.load(str(spec)), tiny, ["torchvision", "gluon"], 2, seed=1)
    heat_axes = _image_axes(fig)[4:]
    assert heat_axes[0].get_ylabel() == "|torchvision - gluon|"
    for ax, d in zip(heat_axes, drawn, strict=True):
        heat = abs_diff(d.outputs["torchvision"], d.outputs["gluon"])
        assert heat is not None and heat.max() > 10  # native: Gluon's saturation bug shows
        np.testing.assert_array_equal(ax.images[0].get_array(), heat)
        assert ax.get_title() == f"max {int(heat.max())}, mean {heat.mean():.2g}"
    spec_fig = augspec.show(spec, tiny, backend="both", n=2, seed=1, diff=True, fidelity="spec")
    assert all(ax.images[0].get_array().max() == 0 for ax in _image_axes(spec_fig)[4:])


def test_diff_pairs() -> None:
    assert diff_pair(ALL) == ("torchvision", "gluon")
    assert diff_pair(("torchvision-v2", "reference")) == ("torchvision-v2", "reference")
    assert diff_pair(("gluon",)) == ("gluon", "reference")
    with pytest.raises(ValueError, match="Expected two backends"):
        diff_pair(("reference",))


def test_show_refuses_bad_arguments(tiny: np.ndarray) -> None:
    spec = EXAMPLES_DIR / "flip_left_right.yaml"
    with pytest.raises(ValueError, match="n: Expected an int >= 1; received n=0"):
        augspec.show(spec, tiny, backend="reference", n=0)
    with pytest.raises(ValueError, match="fidelity"):
        augspec.show(spec, tiny, backend="reference", fidelity="exact")
    with pytest.raises(ValueError, match="received backend='keras'"):
        augspec.show(spec, tiny, backend="keras")
    with pytest.raises(ValueError, match="Expected an RGB image"):
        augspec.show(spec, tiny[..., 0], backend="reference")


def test_the_show_function_survives_importing_its_module() -> None:
    import augspec.show_figure

    assert callable(augspec.show) and augspec.show.__module__ == "augspec"
    assert augspec.show_figure.show is not augspec.show


# ---- the CLI ---------------------------------------------------------------------------------


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_example_shows_side_by_side_with_diff(
    example: Path, tiny_file: Path, tmp_path: Path, frameworks: Any
) -> None:
    assert augspec.load(str(example)).ops  # validated
    out = tmp_path / "diff.png"
    assert _show(example, tiny_file, out, "--rows", "1", "--cols", "2", "--diff") == 0
    width, height = _size(out)
    assert width > 0 and height > 0


def test_cli_diff_adds_a_row(tiny_file: Path, tmp_path: Path, frameworks: Any) -> None:
    plain, diff = tmp_path / "plain.png", tmp_path / "diff.png"
    spec = EXAMPLES_DIR / "combined_augs.yaml"
    assert _show(spec, tiny_file, plain, "--rows", "1", "--cols", "2") == 0
    assert _show(spec, tiny_file, diff, "--rows", "1", "--cols", "2", "--diff") == 0
    (w1, h1), (w2, h2) = _size(plain), _size(diff)
    assert h2 > h1 * 1.3 and w2 == w1  # a third row of panels


@pytest.mark.parametrize("backend", ALL)
def test_single_backend_grid_has_rows_by_cols(
    backend: str, tiny_file: Path, tmp_path: Path, frameworks: Any
) -> None:
    small, big = tmp_path / "small.png", tmp_path / "big.png"
    spec = EXAMPLES_DIR / "shape_aug.yaml"
    assert _show(spec, tiny_file, small, "--backend", backend, "--rows", "1", "--cols", "1") == 0
    assert _show(spec, tiny_file, big, "--backend", backend, "--rows", "2", "--cols", "3") == 0
    (w1, h1), (w2, h2) = _size(small), _size(big)
    assert w2 > 2 * w1 and h2 > h1


def test_cli_says_what_it_drew(
    tiny_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sub" / "g.png"
    spec = EXAMPLES_DIR / "brightness.yaml"
    assert _show(spec, tiny_file, out, "--backend", "reference", "--fidelity", "spec") == 0
    assert capsys.readouterr().out.strip() == f"wrote {out} (8 samples, reference, fidelity=spec)"
    assert _size(out)[0] > 0


def test_tensor_outputs_are_shown_as_images(tiny: np.ndarray) -> None:
    spec = augspec.load(str(EXAMPLES_DIR / "eval_resize_crop.yaml"))
    ((_, shown),) = samples(spec, tiny, "reference", 1, seed=0)
    assert shown.dtype == np.uint8 and shown.shape == (224, 224, 3)
    plain = reference.replay(
        augspec.loads("augspec: 1\nops: [{op: resize, size: 256}, {op: center_crop, size: 224}]"),
        augspec.sample(spec, 0, 0, 0, (tiny.shape[0], tiny.shape[1]))
        | {"ops": [{"op": "resize"}, {"op": "center_crop"}]},
        tiny,
    )
    assert np.abs(shown.astype(int) - plain.astype(int)).max() <= 1  # normalise undone


def test_without_out_and_without_a_display_it_says_how_to_save(
    tiny_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = EXAMPLES_DIR / "brightness.yaml"
    assert main(["show", str(spec), "--image", str(tiny_file), "--backend", "reference"]) == 2
    err = capsys.readouterr().err
    assert "received no --out" in err and "--out grid.png" in err and "'agg'" in err.lower()


def test_without_out_it_opens_a_window_where_there_is_one(
    tiny_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import matplotlib.pyplot as plt

    import augspec.cli_show as cli_show

    shown: list[Any] = []
    monkeypatch.setattr(cli_show, "matplotlib_backend", lambda: "TkAgg")
    monkeypatch.setattr(plt, "show", lambda: shown.append(plt.gcf()))
    spec = EXAMPLES_DIR / "flip_left_right.yaml"
    args = ["show", str(spec), "--image", str(tiny_file), "--backend", "reference"]
    try:
        assert main([*args, "--rows", "1", "--cols", "3"]) == 0
        (fig,) = shown
        assert len(_image_axes(fig)) == 3
        assert _image_axes(fig)[0].get_title(loc="left").startswith("#0\nflip: ")
    finally:
        plt.close("all")


def test_show_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "g.png")
    assert main(["show", str(tmp_path / "nope.yaml"), "--backend", "reference", "--out", out]) == 2
    err = capsys.readouterr().err
    assert err.startswith("augspec show: error:") and len(err.strip().splitlines()) == 1
    spec = str(EXAMPLES_DIR / "brightness.yaml")
    assert main(["show", spec, "--backend", "reference", "--seed", "-1", "--out", out]) == 2
    assert "Expected --seed >= 0" in capsys.readouterr().err
    assert main(["show", spec, "--backend", "reference", "--diff", "--out", out]) == 2
    assert "diff: Expected two backends" in capsys.readouterr().err
