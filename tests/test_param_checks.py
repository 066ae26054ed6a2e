"""Edited replay params: refused with one ValueError on every backend, or replayed alike.

Params are plain JSON meant to be stored, edited and replayed. Every backend's ``replay`` and
the batched target's params-list entry run one check (``augspec.sampling.check_replay``, each
op's ``check_params``), which refuses what the op's sampler could not have drawn. Before it,
NaN hue segfaulted mxnet, hue 1e10 hung, boxes outside the image gave black images or
OpenCV's errors, and missing keys gave raw KeyError/TypeError.

- A table of hostile edits: each gets the same one-line message on every installed backend,
  in both fidelities, and on the batched target (``replay`` and ``compile_batched(spec)(batch,
  params_list)``, which names the params' place in the list).
- The property test, random mutations of valid params, is tests/test_param_mutations.py.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import augspec
from augspec import backends as registry
from augspec.images import load_image
from augspec.ops import OPS
from augspec.pipeline import trace_hw
from augspec.sampling import check_replay

from .conftest import require_mxnet
from .op_cases import OP_CASES, pipeline_for

BACKENDS = tuple(
    n
    for n, (_, pkgs, _) in registry.BACKENDS.items()
    if all(importlib.util.find_spec(p) is not None for p in pkgs)
)
FIDELITIES = ("native", "spec")

SPEC = augspec.validate_data(
    {
        "augspec": 1,
        "ops": [
            {"op": "horizontal_flip"},
            {
                "op": "color_jitter",
                "brightness": 0.5,
                "contrast": 0.5,
                "saturation": 0.5,
                "hue": 0.2,
            },
            {"op": "hue", "factor": 0.1},
            {"op": "random_resized_crop", "size": [10, 12], "scale": [0.2, 1], "ratio": [0.5, 2]},
            {
                "op": "random_apply",
                "ops": [{"op": "vertical_flip"}, {"op": "brightness", "factor": 0.4}],
            },
            {
                "op": "compose",
                "ops": [
                    {"op": "random_crop", "size": 8, "padding": 1},
                    {"op": "contrast", "factor": 0.3},
                ],
            },
            {"op": "saturation", "factor": [0.5, 1.5]},
            {"op": "lighting", "alphastd": 0.1},
            {"op": "to_tensor"},
            {"op": "normalize", "mean": [0.5], "std": [0.25]},
        ],
    }
)
HW = (16, 20)


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    return np.ascontiguousarray(load_image()[200 : 200 + HW[0], 220 : 220 + HW[1]])


@pytest.fixture(scope="module")
def params() -> dict[str, Any]:
    return augspec.sample(SPEC, seed=3, index=1, image_size=HW)


def _load(name: str) -> Any:
    if name == "gluon":
        require_mxnet()
    return augspec.backend(name)


def _paths(spec: augspec.Pipeline) -> dict[str, Callable[[dict[str, Any], np.ndarray], Any]]:
    """Every replay path: name -> fn(params, image) -> output (numpy)."""
    paths: dict[str, Any] = {"reference": lambda p, x: augspec.replay(spec, p, x)}
    for name in BACKENDS:
        module = _load(name)
        for fidelity in FIDELITIES:
            paths[f"{name}/{fidelity}"] = lambda p, x, m=module, f=fidelity: m.to_numpy(
                m.replay(spec, p, x, f)
            )
    if "torch-batched" in BACKENDS:
        import torch

        tb = _load("torch-batched")
        batched = tb.compile_batched(spec)

        def listed(p: dict[str, Any], x: np.ndarray) -> Any:
            batch = torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))[None]
            return tb.to_numpy(batched(batch, [p]))[0]

        paths["torch-batched params list"] = listed
    return paths


@pytest.fixture(scope="module")
def paths() -> dict[str, Any]:
    return _paths(SPEC)


def _messages(paths: dict[str, Any], p: dict[str, Any], x: np.ndarray) -> dict[str, str]:
    out = {}
    for name, fn in paths.items():
        try:
            fn(p, x)
        except ValueError as err:
            out[name] = str(err)
        else:
            out[name] = "(no error)"
    return out


def _expected(name: str, message: str) -> str:
    """The batched params-list entry names the place of the params in the list."""
    return f"params[0]: {message}" if name.endswith("params list") else message


# ---- the hostile table ---------------------------------------------------------------


def _set(*path: Any, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(p: dict[str, Any]) -> None:
        node = p
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return edit


def _delete(*path: Any) -> Callable[[dict[str, Any]], None]:
    def edit(p: dict[str, Any]) -> None:
        node = p
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return edit


NAN, INF = float("nan"), float("inf")
BOX = "a non-empty box inside the 16x20 image the op sees"
JITTER_KEYS = "op, order, brightness, contrast, saturation, hue"

# name -> (edit, the message every path gives)
HOSTILE: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    # values the sampler cannot draw
    "hue NaN (segfaulted gluon native)": (
        _set("ops", 2, "factor", value=NAN),
        "ops[2] (hue).factor: Expected a number in [-0.1, 0.1] (the spec's hue range); received factor=nan",
    ),
    "hue inf": (
        _set("ops", 2, "factor", value=INF),
        "ops[2] (hue).factor: Expected a number in [-0.1, 0.1] (the spec's hue range); received factor=inf",
    ),
    "hue 1e10 (hung)": (
        _set("ops", 2, "factor", value=1e10),
        "ops[2] (hue).factor: Expected a number in [-0.1, 0.1] (the spec's hue range); "
        "received factor=10000000000.0",
    ),
    "hue just outside its range": (
        _set("ops", 2, "factor", value=0.11),
        "ops[2] (hue).factor: Expected a number in [-0.1, 0.1] (the spec's hue range); received factor=0.11",
    ),
    "jitter brightness NaN (black image)": (
        _set("ops", 1, "brightness", value=NAN),
        "ops[1] (color_jitter).brightness: Expected a number in [0.5, 1.5] (the spec's brightness range); "
        "received brightness=nan",
    ),
    "jitter hue -inf": (
        _set("ops", 1, "hue", value=-INF),
        "ops[1] (color_jitter).hue: Expected a number in [-0.2, 0.2] (the spec's hue range); received hue=-inf",
    ),
    "jitter active component null": (
        _set("ops", 1, "contrast", value=None),
        "ops[1] (color_jitter).contrast: Expected a number in [0.5, 1.5] (the spec's contrast range); "
        "received contrast=None",
    ),
    "saturation NaN": (
        _set("ops", 6, "factor", value=NAN),
        "ops[6] (saturation).factor: Expected a number in [0.5, 1.5] (the spec's saturation range); "
        "received factor=nan",
    ),
    "nested contrast NaN": (
        _set("ops", 5, "ops", 1, "factor", value=NAN),
        "ops[5] (compose).ops[1] (contrast).factor: Expected a number in [0.7, 1.3] "
        "(the spec's contrast range); received factor=nan",
    ),
    "nested brightness negative": (
        _set("ops", 4, "ops", 1, "factor", value=-1.0),
        "ops[4] (random_apply).ops[1] (brightness).factor: Expected a number in [0.6, 1.4] "
        "(the spec's brightness range); received factor=-1.0",
    ),
    "lighting alpha NaN": (
        _set("ops", 7, "alpha", 1, value=NAN),
        "ops[7] (lighting).alpha[1]: Expected a number in [-6.4, 6.4] "
        "(within 64 standard deviations, alphastd=0.1); received alpha[1]=nan",
    ),
    "lighting alpha of 2 values": (
        _set("ops", 7, "alpha", value=[0.0, 0.0]),
        "ops[7] (lighting).alpha: Expected a list of 3 numbers; received alpha=[0.0, 0.0]",
    ),
    # boxes
    "crop box below the image (black image, OpenCV error)": (
        _set("ops", 3, "top", value=15),
        f"ops[3] (random_resized_crop).top: Expected an integer in [0, {{top_max}}] ({BOX}: top + height <= 16); "
        "received top=15",
    ),
    "crop box of negative height (batched: black image)": (
        _set("ops", 3, "height", value=-3),
        f"ops[3] (random_resized_crop).height: Expected an integer in [1, 16] ({BOX}); received height=-3",
    ),
    "empty crop box": (
        _set("ops", 3, "width", value=0),
        f"ops[3] (random_resized_crop).width: Expected an integer in [1, 20] ({BOX}); received width=0",
    ),
    "crop box wider than the image": (
        _set("ops", 3, "width", value=21),
        f"ops[3] (random_resized_crop).width: Expected an integer in [1, 20] ({BOX}); received width=21",
    ),
    "negative left": (
        _set("ops", 3, "left", value=-1),
        f"ops[3] (random_resized_crop).left: Expected an integer in [0, {{left_max}}] "
        f"({BOX}: left + width <= 20); received left=-1",
    ),
    "random_crop past the padded image (on the 10x12 image the crop sees)": (
        _set("ops", 5, "ops", 0, "left", value=7),
        "ops[5] (compose).ops[0] (random_crop).left: Expected an integer in [0, 6] "
        "(the 8x8 box inside the 12x14 padded image); received left=7",
    ),
    # types
    "box top as a float": (
        _set("ops", 3, "top", value=1.0),
        f"ops[3] (random_resized_crop).top: Expected an integer in [0, {{top_max}}] ({BOX}: top + height <= 16); "
        "received top=1.0",
    ),
    "box top as a bool": (
        _set("ops", 3, "top", value=True),
        f"ops[3] (random_resized_crop).top: Expected an integer in [0, {{top_max}}] ({BOX}: top + height <= 16); "
        "received top=True",
    ),
    "hue factor as a bool": (
        _set("ops", 2, "factor", value=False),
        "ops[2] (hue).factor: Expected a number in [-0.1, 0.1] (the spec's hue range); received factor=False",
    ),
    "hue factor as a string": (
        _set("ops", 2, "factor", value="0.05"),
        "ops[2] (hue).factor: Expected a number in [-0.1, 0.1] (the spec's hue range); received factor='0.05'",
    ),
    "flip apply as 1": (
        _set("ops", 0, "apply", value=1),
        "ops[0] (horizontal_flip).apply: Expected true or false; received apply=1",
    ),
    "random_apply apply as a string": (
        _set("ops", 4, "apply", value="yes"),
        "ops[4] (random_apply).apply: Expected true or false; received apply='yes'",
    ),
    "random_apply apply null": (
        _set("ops", 4, "apply", value=None),
        "ops[4] (random_apply).apply: Expected true or false; received apply=None",
    ),
    # jitter order
    "order with a repeat": (
        _set("ops", 1, "order", value=["hue", "hue", "brightness", "contrast"]),
        "ops[1] (color_jitter).order: Expected a permutation of ['brightness', 'contrast', 'saturation', "
        "'hue']; received order=['hue', 'hue', 'brightness', 'contrast']",
    ),
    "order missing a component": (
        _set("ops", 1, "order", value=["hue", "brightness", "contrast"]),
        "ops[1] (color_jitter).order: Expected a permutation of ['brightness', 'contrast', 'saturation', "
        "'hue']; received order=['hue', 'brightness', 'contrast']",
    ),
    "order of lists": (
        _set("ops", 1, "order", value=[[1], [2], [3], [4]]),
        "ops[1] (color_jitter).order: Expected a permutation of ['brightness', 'contrast', 'saturation', "
        "'hue']; received order=[[1], [2], [3], [4]]",
    ),
    # keys
    "missing factor (KeyError)": (
        _delete("ops", 2, "factor"),
        "ops[2] (hue).factor: Expected the key 'factor' (the op's params: op, factor); received params without it",
    ),
    "missing order": (
        _delete("ops", 1, "order"),
        f"ops[1] (color_jitter).order: Expected the key 'order' (the op's params: {JITTER_KEYS}); "
        "received params without it",
    ),
    "missing nested apply": (
        _delete("ops", 4, "ops", 0, "apply"),
        "ops[4] (random_apply).ops[0] (vertical_flip).apply: Expected the key 'apply' "
        "(the op's params: op, apply); received params without it",
    ),
    "unknown key": (
        _set("ops", 2, "angle", value=3),
        "ops[2] (hue).angle: Expected only the keys op, factor; received an unknown key angle=3",
    ),
    "a key on an op that draws nothing": (
        _set("ops", 8, "scale", value=2),
        "ops[8] (to_tensor).scale: Expected only the keys op; received an unknown key scale=2",
    ),
    # nested lists
    "random_apply ops one short": (
        _delete("ops", 4, "ops", 1),
        "ops[4] (random_apply).ops: Expected a list of 2 params dicts (one per op); received 1",
    ),
    "compose ops not a list": (
        _set("ops", 5, "ops", value={"op": "random_crop"}),
        "ops[5] (compose).ops: Expected a list of 2 params dicts (one per op); "
        "received ops={'op': 'random_crop'}",
    ),
    "params of another op": (
        _set("ops", 6, "op", value="brightness"),
        "ops[6]: Expected params for op='saturation'; received op='brightness'",
    ),
    "top-level ops one short": (
        _delete("ops", 9),
        "ops: Expected a list of 10 params dicts (one per op); received 9",
    ),
    # the sample's own keys
    "image_size not the image's": (
        _set("image_size", value=[16, 21]),
        "image: Expected the size the params were sampled for, [16, 21] (params.image_size); received [16, 20]",
    ),
    "image_size of three numbers": (
        _set("image_size", value=[16, 20, 3]),
        "params.image_size: Expected [height, width] (two ints, the size the params were sampled for); "
        "received image_size=[16, 20, 3]",
    ),
    "image_size missing": (
        _delete("image_size"),
        "params.image_size: Expected [height, width] (two ints, the size the params were sampled for); "
        "received image_size=None",
    ),
    "unknown top-level key": (
        _set("note", value="edited"),
        "params.note: Expected only the keys seed, epoch, index, image_size, ops (from augspec.sample); "
        "received an unknown key note='edited'",
    ),
    "negative seed": (
        _set("seed", value=-1),
        "params.seed: Expected an int >= 0; received seed=-1",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_edit_gets_one_message_on_every_backend(
    case: str, params: dict[str, Any], image: np.ndarray, paths: dict[str, Any]
) -> None:
    edit, expected = HOSTILE[case]
    box = params["ops"][3]
    expected = expected.replace("{top_max}", str(HW[0] - box["height"]))
    expected = expected.replace("{left_max}", str(HW[1] - box["width"]))
    edited = copy.deepcopy(params)
    edit(edited)
    messages = _messages(paths, edited, image)
    assert set(BACKENDS) | {"reference"} <= {n.split("/")[0] for n in messages}
    for name, message in messages.items():
        assert message == _expected(name, expected), (name, message)
    assert "\n" not in expected


def test_params_for_another_size_with_image_size_edited_are_refused(
    image: np.ndarray, paths: dict[str, Any]
) -> None:
    """Sampled for 40x40, image_size edited to the 16x20 image's: the boxes no longer fit."""
    p = augspec.sample(SPEC, seed=0, image_size=(40, 40)) | {"image_size": list(HW)}
    messages = _messages(paths, p, image)
    expected = messages["reference"]
    assert re.fullmatch(
        r"ops\[3\] \(random_resized_crop\)\.(top|left|height|width): Expected an integer in .*16x20.*",
        expected,
    ), expected
    for name, message in messages.items():
        assert message == _expected(name, expected), (name, message)


def test_the_unedited_params_replay_on_every_path(
    params: dict[str, Any], image: np.ndarray, paths: dict[str, Any]
) -> None:
    assert json.loads(json.dumps(params)) == params
    for name, fn in paths.items():
        out = np.asarray(fn(params, image))
        assert out.shape == (3, 8, 8), name


def test_a_list_of_params_names_the_bad_one() -> None:
    torch = pytest.importorskip("torch")
    tb = _load("torch-batched")
    spec = augspec.validate_data({"ops": [{"op": "hue", "factor": 0.1}]})
    good = [augspec.sample(spec, 0, index=i, image_size=(4, 5)) for i in range(3)]
    bad = copy.deepcopy(good)
    bad[2]["ops"][0]["factor"] = NAN
    batch = torch.zeros(3, 3, 4, 5, dtype=torch.uint8)
    assert tb.compile_batched(spec)(batch, good).shape == (3, 3, 4, 5)
    with pytest.raises(ValueError) as err:
        tb.compile_batched(spec)(batch, bad)
    assert str(err.value) == (
        "params[2]: ops[0] (hue).factor: Expected a number in [-0.1, 0.1] (the spec's hue range); "
        "received factor=nan"
    )


# ---- every op: sampled params pass, each key is required, the range bounds are inclusive ---


@pytest.mark.parametrize("name", list(OP_CASES))
def test_every_op_checks_its_own_params(name: str) -> None:
    hw = (37, 41)
    checked = 0
    for case in OP_CASES[name]:
        spec = augspec.validate_data(pipeline_for(case))
        try:
            trace_hw(spec, hw)
        except ValueError:
            continue  # a crop larger than the image: refused before any check
        checked += 1
        for seed in range(5):
            params = augspec.sample(spec, seed, index=seed, image_size=hw)
            assert check_replay(spec, params, hw) is params["ops"]
            sizes = trace_hw(spec, hw)
            for i, op in enumerate(spec.ops):
                opdef = OPS[op.op]
                for _label, edge in opdef.edge_params(op, sizes[i]):  # the parity edge cases pass
                    opdef.check_params(op, {**params["ops"][i], **edge}, sizes[i])
                for key in params["ops"][i]:
                    if key == "op":
                        continue
                    missing = copy.deepcopy(params)
                    del missing["ops"][i][key]
                    with pytest.raises(
                        ValueError, match=rf"^ops\[{i}\] \({op.op}\)\.{key}: Expected the key"
                    ):
                        check_replay(spec, missing, hw)
    assert checked, f"no case of {name} runs on a {hw} image"


def test_float32_draws_of_a_bound_are_accepted() -> None:
    """Native samplers draw in float32: float32(0.3) is 0.30000001 > 0.3."""
    spec = augspec.validate_data({"ops": [{"op": "hue", "factor": [-0.1, 0.3]}]})
    p = {"image_size": [2, 2], "ops": [{"op": "hue", "factor": float(np.float32(0.3))}]}
    check_replay(spec, p, (2, 2))
    p["ops"][0]["factor"] = float(np.nextafter(np.float32(0.3), np.float32(1)))
    with pytest.raises(ValueError, match="the spec's hue range"):
        check_replay(spec, p, (2, 2))


# ---- property: random mutations are refused alike or replay alike ----------------------
