"""augspec.from_native: live torchvision (v1, v2) and Gluon objects back to specs.

Round trip for every op case on each backend and fidelity: compile(spec) -> from_native -> the
same augmentation (exactly the spec where the case is written as the native class writes it)."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
import torch
import torchvision.transforms as T
import torchvision.transforms.v2 as V

import augspec
from augspec.io import to_data, validate_data
from augspec.native_reader import from_native

from .conftest import require_mxnet
from .op_cases import all_cases, pipeline_for
from .test_native_names import SPEC_OPS, _build

BACKENDS = ("torchvision", "torchvision-v2", "gluon")
CROPS = {"random_resized_crop", "center_crop", "random_crop"}


def _range(name: str, value: Any) -> list[float]:
    """Rounded to 12 digits: gluon's RandomColorJitter keeps b = (1 + b) - 1 as computed."""
    if isinstance(value, (list, tuple)):
        lo, hi = value
    elif name == "hue":
        lo, hi = -value, value
    else:
        lo, hi = max(0.0, 1.0 - value), 1.0 + value
    return [round(float(lo), 12), round(float(hi), 12)]


def canonical(node: Any) -> Any:
    """The meaning of an op dict: factors as ranges, square crop sizes as [s, s], a colour jitter
    with one active component as that component (how torchvision writes it)."""
    if isinstance(node, list):
        return [canonical(n) for n in node]
    op = dict(node)
    name = op["op"]
    if name == "color_jitter":
        parts = {n: _range(n, op[n]) for n in ("brightness", "contrast", "saturation", "hue")}
        identity = {"hue": [0.0, 0.0]}
        active = [n for n, r in parts.items() if r != identity.get(n, [1.0, 1.0])]
        if len(active) == 1:
            return {"op": active[0], "factor": parts[active[0]]}
        return {"op": name, **parts}
    if "factor" in op:
        op["factor"] = _range(name, op["factor"])
    if name in CROPS and isinstance(op["size"], int):
        op["size"] = [op["size"], op["size"]]
    if "ops" in op:
        op["ops"] = canonical(op["ops"])
    if name == "random_choice":  # v2 keeps p / sum(p) (None: equal weights)
        weights = op.get("p") or [1.0] * len(op["ops"])
        op["p"] = [w / sum(weights) for w in weights]
    return op


def _ops(spec: augspec.Pipeline) -> list[Any]:
    return to_data(spec)["ops"]


def _compile(spec: augspec.Pipeline, backend: str, fidelity: str) -> Any:
    if backend == "gluon":
        require_mxnet()
    return augspec.compile(spec, backend=backend, fidelity=fidelity)


@pytest.mark.parametrize("fidelity", ["native", "spec"])
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("name", "case"), all_cases(), ids=lambda v: str(v)[:40])
def test_compiled_object_reads_back_as_the_spec(
    name: str, case: dict[str, Any], backend: str, fidelity: str
) -> None:
    spec = validate_data(pipeline_for(case))
    got = from_native(_compile(spec, backend, fidelity).native)
    assert canonical(_ops(got)) == canonical(_ops(spec))


# Written as every backend's native class writes them: they come back exactly.
EXACT_CASES = [
    {"op": "random_resized_crop", "size": [20, 30], "scale": [0.2, 1.0], "ratio": [0.5, 2.0]},
    {"op": "resize", "size": 20, "interpolation": "bicubic"},
    {"op": "resize", "size": [12, 30]},
    {"op": "center_crop", "size": [4, 6]},
    {"op": "color_jitter", "brightness": 0.5, "contrast": 0.3, "saturation": 0.2, "hue": 0.1},
    {"op": "lighting", "alphastd": 0.1},
    {"op": "random_apply", "p": 0.3, "ops": [{"op": "vertical_flip", "p": 0.5}]},
    {
        "op": "compose",
        "ops": [
            {"op": "horizontal_flip"},
            {"op": "compose", "ops": [{"op": "hue", "factor": 0.1}]},
        ],
    },
]


@pytest.mark.parametrize("backend", BACKENDS)
def test_exact_round_trip(backend: str) -> None:
    spec = validate_data(
        {
            "ops": [
                *EXACT_CASES,
                {"op": "to_tensor"},
                {"op": "normalize", "mean": [0.5], "std": [0.2]},
            ]
        }
    )
    assert from_native(_compile(spec, backend, "native")) == spec


def test_every_parameter_defaults_included() -> None:
    spec = from_native(T.Compose([T.RandomResizedCrop((20, 30)), T.RandomCrop(8)]))
    assert to_data(spec)["ops"] == [
        {
            "op": "random_resized_crop",
            "size": [20, 30],
            "scale": [0.08, 1.0],
            "ratio": [0.75, 4 / 3],
            "interpolation": "bilinear",
        },
        {"op": "random_crop", "size": [8, 8], "padding": 0, "fill": 0},
    ]


def test_gluon_conventions_are_translated() -> None:
    require_mxnet()
    from augspec.backends.gluon_mx import transforms as G

    pipeline = G.Compose(
        [
            G.RandomFlipLeftRight(),
            G.RandomResizedCrop((200, 100), scale=(0.1, 1), ratio=(0.5, 2)),
            G.Resize(256),
            G.Resize(64, keep_ratio=True, interpolation=2),
            G.CenterCrop((30, 20)),
            G.RandomBrightness(0.1),
            G.RandomLighting(0.1),
            G.RandomApply(G.Compose([G.RandomHue(0.2), G.RandomContrast(0.3)]), p=0.4),
            G.ToTensor(),
            G.Normalize(0.5, 0.25),
        ]
    )
    ops = to_data(from_native(pipeline))["ops"]
    assert ops[1]["size"] == [100, 200]  # (width, height) -> [height, width]
    assert ops[2] == {"op": "resize", "size": [256, 256], "interpolation": "bilinear"}  # a square
    assert ops[3] == {"op": "resize", "size": 64, "interpolation": "bicubic"}  # shorter side
    assert ops[4]["size"] == [20, 30]
    assert ops[5] == {"op": "brightness", "factor": 0.1}  # not 0.10000000000000009
    assert ops[6] == {"op": "lighting", "alphastd": 0.1}
    assert ops[7] == {
        "op": "random_apply",
        "p": 0.4,
        "ops": [{"op": "hue", "factor": 0.2}, {"op": "contrast", "factor": 0.3}],
    }
    assert ops[8:] == [{"op": "to_tensor"}, {"op": "normalize", "mean": [0.5], "std": [0.25]}]


def test_v2_idioms() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        pipeline = V.Compose(
            [
                V.ToImage(),
                V.RandomHorizontalFlip(0.3),
                V.Resize(32, antialias=True),
                V.ColorJitter(brightness=0.4),
                V.ToDtype(torch.float32, scale=True),
                V.Normalize([0.5, 0.5, 0.5], [0.2, 0.2, 0.2]),
            ]
        )
    ops = to_data(from_native(pipeline))["ops"]
    assert [o["op"] for o in ops] == [
        "horizontal_flip",
        "resize",
        "brightness",  # ColorJitter with one component: that component
        "to_tensor",
        "normalize",
    ]
    assert ops[1]["size"] == 32  # v2 keeps [32]: the shorter side


@pytest.mark.parametrize(
    ("pipeline", "message"),
    [
        (
            T.Compose([T.ToTensor(), T.RandomHorizontalFlip(), T.Lambda(lambda x: x)]),
            r"ops\[2\] \(Lambda\): .*arbitrary code",
        ),
        (
            V.Compose([V.ToImage(), V.RandomHorizontalFlip(), V.Lambda(lambda x: x)]),
            r"ops\[2\] \(Lambda\)",  # the place in the user's list, skipped ToImage counted
        ),
        (
            T.Compose([T.RandomApply([T.ElasticTransform()], p=0.2)]),
            r"ops\[0\]\.ops\[0\] \(ElasticTransform\): "
            r".*torchvision.transforms.transforms.ElasticTransform",
        ),
        (
            T.Compose([T.Grayscale()]),
            r"ops\[0\] \(grayscale\)\.num_output_channels: Expected num_output_channels=3",
        ),
        (
            T.Compose([T.RandomCrop(4, padding_mode="reflect")]),
            r"ops\[0\] \(RandomCrop\): RandomCrop.padding_mode: Expected 'constant'",
        ),
        (T.Resize(8, max_size=20), r"ops\[0\] \(Resize\): Resize.max_size"),
        (V.Compose([V.ToDtype(torch.uint8)]), r"ops\[0\] \(ToDtype\): ToDtype.dtype"),
        ([object()], r"ops\[0\] \(object\): Expected a transform augspec can read"),
    ],
)
def test_what_cannot_be_read_is_named_with_its_position(pipeline: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        from_native(pipeline)


def test_values_the_spec_refuses_are_spec_errors() -> None:
    # torchvision does not check p; the spec does, with its usual located message.
    with pytest.raises(augspec.SpecError, match=r"ops\[0\] \(horizontal_flip\)\.p: "):
        from_native(T.RandomHorizontalFlip(1.5))


@pytest.mark.parametrize("framework", BACKENDS)
def test_classes_built_from_from_spec_read_back(framework: str) -> None:
    """native_names.from_spec -> the live class -> from_native: the op again."""
    from augspec.native_names import natives_for

    to_tensor = natives_for("to_tensor", framework)[0]
    for op in SPEC_OPS:
        for nc in natives_for(op["op"], framework):
            before = [{"op": "to_tensor"}] if op["op"] in ("normalize", "gaussian_noise") else []
            expected = canonical(to_data(validate_data({"ops": [*before, op]}))["ops"])
            built = (
                [_build(to_tensor, {"dtype": "float32", "scale": True} if to_tensor.args else {})]
                if before
                else []
            )
            got = to_data(from_native([*built, _build(nc, nc.from_spec(op))]))["ops"]
            assert canonical(got) == expected, (nc.name, op)


@pytest.mark.parametrize("backend", ["reference", "torch-batched"])
def test_augspec_whole_pipeline_objects_give_their_spec(backend: str) -> None:
    spec = validate_data({"ops": EXACT_CASES})
    assert from_native(augspec.compile(spec, backend=backend)) == spec


def _canonical_op(op: dict[str, Any]) -> Any:
    before = [{"op": "to_tensor"}] if op["op"] in ("normalize", "gaussian_noise") else []
    return canonical(to_data(validate_data({"ops": [*before, op]}))["ops"])[-1]


@pytest.mark.parametrize("framework", BACKENDS)
def test_to_spec_inverts_from_spec(framework: str) -> None:
    """Framework-free: native_names.to_spec(from_spec(op)) is the op again, for every class."""
    from augspec.native_names import natives_for

    for op in SPEC_OPS:
        for nc in natives_for(op["op"], framework):
            assert _canonical_op(nc.to_spec(nc.from_spec(op))) == _canonical_op(op), (nc.name, op)


def test_the_chapters_two_tabs_read_as_one_spec() -> None:
    """d2l's image-augmentation pipelines, as its torchvision and its Gluon tab write them."""
    require_mxnet()
    from augspec.backends.gluon_mx import transforms as G

    torch_tab = [
        T.RandomHorizontalFlip(),
        T.RandomVerticalFlip(),
        T.RandomResizedCrop((200, 200), scale=(0.1, 1), ratio=(0.5, 2)),
        T.ColorJitter(brightness=0.5, contrast=0, saturation=0, hue=0),
        T.ColorJitter(brightness=0, contrast=0, saturation=0, hue=0.5),
        T.ColorJitter(brightness=0.5, contrast=0.5, saturation=0.5, hue=0.5),
        T.ToTensor(),
    ]
    gluon_tab = [
        G.RandomFlipLeftRight(),
        G.RandomFlipTopBottom(),
        G.RandomResizedCrop((200, 200), scale=(0.1, 1), ratio=(0.5, 2)),
        G.RandomBrightness(0.5),
        G.RandomHue(0.5),
        G.RandomColorJitter(brightness=0.5, contrast=0.5, saturation=0.5, hue=0.5),
        G.ToTensor(),
    ]
    assert from_native(T.Compose(torch_tab)) == from_native(G.Compose(gluon_tab))
