"""The bad-input matrix (docs/bad-input.md), on every compiling backend.

Every image case runs through ``compile(spec, b, fidelity)(image)`` (both
fidelities), ``replay(spec, params, image, b, fidelity)`` and the reference, on
b in (torchvision, torchvision-v2, gluon), with numpy, PIL and each framework's own
tensor type; each must get the same ValueError. Spec cases must be refused when the
spec is validated; data and checkpoint cases with a ValueError naming the file.
"""

from __future__ import annotations

import importlib.util
import io
import json
import time
import tracemalloc
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

if importlib.util.find_spec("torch") is None or importlib.util.find_spec("mxnet") is None:
    pytest.skip(
        "needs torch and mxnet (pip install 'augspec[torch,mxnet]')", allow_module_level=True
    )
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from augspec.backends.gluon_mx import mx  # noqa: E402  (keeps torch's thread count)
import torch  # noqa: E402
from augspec.backends import gluon  # noqa: E402
from augspec.trainers import checkpoint, cifar  # noqa: E402

import augspec  # noqa: E402
from augspec.ops import MAX_SIDE  # noqa: E402
from augspec.pipeline import trace_hw  # noqa: E402

BACKENDS = ("torchvision", "torchvision-v2", "gluon")
FIDELITIES = ("native", "spec")


def _spec(*ops: dict[str, Any]) -> augspec.Pipeline:
    return augspec.validate_data({"augspec": 1, "ops": list(ops)})


FLIP = _spec({"op": "horizontal_flip", "p": 1.0})


def _paths(
    spec: augspec.Pipeline, params: dict[str, Any], backends: tuple[str, ...] = BACKENDS
) -> dict[str, Any]:
    """Every way an image meets a pipeline: name -> callable(image)."""
    paths: dict[str, Any] = {"reference": lambda x: augspec.replay(spec, params, x)}
    for b in backends:
        for f in FIDELITIES:
            compiled = augspec.compile(spec, b, f)
            paths[f"compile {b}/{f}"] = compiled
            paths[f"replay {b}/{f}"] = lambda x, b=b, f=f: augspec.replay(spec, params, x, b, f)
    return paths


def _messages(paths: dict[str, Any], image: Any) -> dict[str, str]:
    out = {}
    for name, fn in paths.items():
        with pytest.raises(ValueError) as err:
            fn(image)
        out[name] = str(err.value)
    return out


# ---- images ------------------------------------------------------------------------

# name -> (numpy image, words the message must contain)
BAD_IMAGES: dict[str, tuple[np.ndarray, list[str]]] = {
    "int64": (
        np.zeros((8, 8, 3), np.int64),
        ["dtype uint8", "received dtype int64", "astype(np.uint8)"],
    ),
    "float16": (np.zeros((8, 8, 3), np.float16), ["received dtype float16", "Float images"]),
    "bool": (np.zeros((8, 8, 3), bool), ["received dtype bool", "x.astype(np.uint8) * 255"]),
    "float in [0, 1]": (
        np.full((8, 8, 3), 0.5, np.float32),
        ["received dtype float32", "(x * 255)"],
    ),
    "float outside [0, 1]": (
        np.full((8, 8, 3), 300.0, np.float32),
        ["received dtype float32", "outside [0, 1]"],
    ),
    "NaN pixels": (np.full((8, 8, 3), np.nan, np.float64), ["received dtype float64", "NaN"]),
    "grayscale HxW": (np.zeros((8, 8), np.uint8), ["shape (8, 8)", "grayscale", "np.repeat"]),
    "grayscale HxWx1": (
        np.zeros((8, 8, 1), np.uint8),
        ["shape (8, 8, 1)", "grayscale", "np.repeat"],
    ),
    "RGBA": (np.zeros((8, 8, 4), np.uint8), ["shape (8, 8, 4)", "RGBA", "x[..., :3]"]),
    "batch": (np.zeros((2, 8, 8, 3), np.uint8), ["shape (2, 8, 8, 3)", "one image at a time"]),
    "zero height": (np.zeros((0, 8, 3), np.uint8), ["height and width >= 1", "0x8"]),
    "zero width": (np.zeros((8, 0, 3), np.uint8), ["height and width >= 1", "8x0"]),
    # A zero-stride view: 20000x20000x3 without allocating it.
    "over MAX_SIDE": (
        np.broadcast_to(np.zeros((1, 1, 3), np.uint8), (20000, 20000, 3)),
        [f"<= {MAX_SIDE}", "20000x20000"],
    ),
}


@pytest.fixture(scope="module")
def flip_paths() -> dict[str, Any]:
    return _paths(FLIP, augspec.sample(FLIP, 0, image_size=(8, 8)))


@pytest.mark.parametrize("name", list(BAD_IMAGES))
def test_bad_image_gets_one_error_on_every_path(name: str, flip_paths: dict[str, Any]) -> None:
    image, words = BAD_IMAGES[name]
    messages = _messages(flip_paths, image)
    assert len(set(messages.values())) == 1, (
        messages
    )  # identical on both backends and the reference
    message = messages["reference"]
    assert message.startswith("image: Expected")
    for word in words:
        assert word in message, (word, message)


def _torch_chw(image: np.ndarray) -> torch.Tensor:
    if image.ndim != 3:
        return torch.from_numpy(np.ascontiguousarray(image))
    if image.strides[0] == 0:  # keep the big case a view
        return torch.zeros((3, 1, 1), dtype=torch.uint8).expand(3, *image.shape[:2])
    return torch.from_numpy(np.ascontiguousarray(np.moveaxis(image, -1, 0)))


@pytest.mark.parametrize("name", [n for n in BAD_IMAGES if n != "batch"])
def test_framework_tensors_get_the_same_error(name: str, flip_paths: dict[str, Any]) -> None:
    image, _ = BAD_IMAGES[name]
    expected = _messages({"reference": flip_paths["reference"]}, image)["reference"]
    body = expected.split(": ", 1)[1]
    tensor = _torch_chw(image)
    for path, fn in flip_paths.items():
        if "torchvision" in path:  # torch CHW tensors: the shape is shown as HWC
            with pytest.raises(ValueError) as err:
                fn(tensor)
            assert str(err.value) == f"image (torch tensor, CHW; shown as HWC): {body}"
    if name in ("bool", "over MAX_SIDE"):  # no bool NDArrays in mxnet 1.9; no zero-stride views
        return
    nd = mx.nd.array(image, dtype=image.dtype)
    for path, fn in flip_paths.items():
        if "gluon" in path:
            with pytest.raises(ValueError) as err:
                fn(nd)
            assert str(err.value) == expected


@pytest.mark.parametrize("mode", ["L", "LA", "RGBA", "P", "CMYK", "I;16", "F", "1"])
def test_pil_images_other_than_rgb_are_refused_on_every_path(
    mode: str, flip_paths: dict[str, Any]
) -> None:
    messages = _messages(flip_paths, Image.new(mode, (8, 8)))
    assert set(messages.values()) == {
        f"image: Expected a PIL image in mode 'RGB'; received mode {mode!r}. Use .convert('RGB')"
    }


@pytest.mark.parametrize("thing", [None, [[1, 2, 3]], "photo.png"])
def test_non_images_are_refused_naming_their_type(thing: Any, flip_paths: dict[str, Any]) -> None:
    for path, message in _messages(flip_paths, thing).items():
        assert f"received {type(thing).__name__}" in message and "numpy array" in message, path


def test_each_backend_names_what_it_takes_for_the_other_frameworks_tensor(
    flip_paths: dict[str, Any],
) -> None:
    image = np.zeros((8, 8, 3), np.uint8)
    nd, tensor = mx.nd.array(image, dtype="uint8"), torch.zeros((3, 8, 8), dtype=torch.uint8)
    for path, fn in flip_paths.items():
        if "torchvision" in path:
            with pytest.raises(ValueError, match="torch uint8 CHW tensor.*received NDArray"):
                fn(nd)
        elif "gluon" in path:
            with pytest.raises(
                ValueError,
                match="Expected an mx NDArray, numpy array or PIL image; received Tensor",
            ):
                fn(tensor)


# ---- 1x1 images --------------------------------------------------------------------

ONE_BY_ONE: dict[str, list[dict[str, Any]]] = {
    "horizontal_flip": [{"op": "horizontal_flip", "p": 1.0}],
    "vertical_flip": [{"op": "vertical_flip", "p": 1.0}],
    "random_resized_crop": [{"op": "random_resized_crop", "size": [3, 2], "scale": [0.5, 1]}],
    "resize": [{"op": "resize", "size": 5, "interpolation": "bicubic"}],
    "center_crop": [{"op": "center_crop", "size": 1}],
    "random_crop": [{"op": "random_crop", "size": 3, "padding": 1, "fill": 7}],
    "brightness": [{"op": "brightness", "factor": 0.5}],
    "contrast": [{"op": "contrast", "factor": 0.5}],
    "saturation": [{"op": "saturation", "factor": 0.5}],
    "hue": [{"op": "hue", "factor": 0.5}],
    "color_jitter": [
        {"op": "color_jitter", "brightness": 0.5, "contrast": 0.5, "saturation": 0.5, "hue": 0.5}
    ],
    "lighting": [{"op": "lighting", "alphastd": 0.1}],
    "random_choice": [
        {"op": "random_choice", "ops": [{"op": "invert", "p": 1.0}, {"op": "vertical_flip"}]}
    ],
    "random_order": [
        {"op": "random_order", "ops": [{"op": "invert", "p": 1.0}, {"op": "vertical_flip"}]}
    ],
    "random_erasing": [{"op": "to_tensor"}, {"op": "random_erasing", "p": 1.0, "value": "random"}],
    "invert": [{"op": "invert", "p": 1.0}],
    "solarize": [{"op": "solarize", "threshold": 100, "p": 1.0}],
    "posterize": [{"op": "posterize", "bits": 2, "p": 1.0}],
    "grayscale": [{"op": "grayscale", "num_output_channels": 3}],
    "random_grayscale": [{"op": "random_grayscale", "p": 1.0}],
    "autocontrast": [{"op": "autocontrast", "p": 1.0}],
    "equalize": [{"op": "equalize", "p": 1.0}],
    "channel_permutation": [{"op": "channel_permutation"}],
    "sharpness": [{"op": "sharpness", "factor": 2.0, "p": 1.0}],
    "pad": [{"op": "pad", "padding": [1, 2], "padding_mode": "edge"}],
    "rotation": [{"op": "rotation", "degrees": 30, "interpolation": "bilinear"}],
    "affine": [{"op": "affine", "degrees": 30, "translate": [0.5, 0.5], "shear": 10}],
    # A 1x1 image takes only a 1-tap kernel (reflect padding needs k // 2 < side; tested in
    # tests/test_filters.py): the identity.
    "gaussian_blur": [{"op": "gaussian_blur", "kernel": 1, "sigma": [0.1, 2.0]}],
    "gaussian_noise": [{"op": "to_tensor"}, {"op": "gaussian_noise", "sigma": 0.2}],
    "jpeg": [{"op": "jpeg", "quality": [1, 100]}],
    "to_tensor": [{"op": "to_tensor"}],
    "normalize": [{"op": "to_tensor"}, {"op": "normalize", "mean": [0.5], "std": [0.5]}],
    "random_apply": [{"op": "random_apply", "p": 1.0, "ops": [{"op": "vertical_flip", "p": 1.0}]}],
    "compose": [
        {"op": "compose", "ops": [{"op": "resize", "size": [2, 2]}, {"op": "hue", "factor": 0.1}]}
    ],
}
ONE = np.array([[[10, 200, 30]]], np.uint8)


def test_one_by_one_cases_cover_every_op() -> None:
    assert set(ONE_BY_ONE) == set(augspec.OP_NAMES)


@pytest.mark.parametrize("name", list(ONE_BY_ONE))
def test_every_op_runs_on_a_1x1_image(name: str) -> None:
    spec = _spec(*ONE_BY_ONE[name])
    h, w = trace_hw(spec, (1, 1))[-1]
    tensor = any(o["op"] == "to_tensor" for o in ONE_BY_ONE[name])
    for seed in range(3):
        params = augspec.sample(spec, seed, image_size=(1, 1))
        for path, fn in _paths(spec, params).items():
            out = np.asarray(augspec.to_numpy(fn(ONE)))
            assert out.shape == ((3, h, w) if tensor else (h, w, 3)), path


def test_gluon_native_random_resized_crop_on_1x1_fails_clearly_or_runs() -> None:
    """mxnet's own sampler draws empty boxes on tiny images: augspec's ValueError, not mxnet's."""
    spec = _spec({"op": "random_resized_crop", "size": 4})
    compiled = augspec.compile(spec, "gluon", "native")
    assert compiled.builds[0].native_class == "RandomResizedCrop"
    assert isinstance(compiled.native[0], mx.gluon.data.vision.transforms.RandomResizedCrop)
    gluon.seed(0)
    failed = 0
    for _ in range(60):
        try:
            out = compiled(ONE).asnumpy()
        except ValueError as err:
            assert "empty crop box on a 1x1 image" in str(err) and "fidelity='spec'" in str(err)
            failed += 1
        else:
            assert out.shape == (4, 4, 3)
    assert 0 < failed < 60  # measured ~24%
    spec_compiled = augspec.compile(spec, "gluon", "spec")
    for _ in range(20):
        assert spec_compiled(ONE).shape == (4, 4, 3)


# ---- sizes: crops that do not fit, sizes over the limit ----------------------------


@pytest.mark.parametrize(
    ("op", "words"),
    [
        ({"op": "center_crop", "size": 9}, ["center_crop", "size <= image size 8x10", "size=9"]),
        (
            {"op": "random_crop", "size": [4, 12]},
            ["random_crop", "padded image size 8x10", "size=(4, 12)"],
        ),
        ({"op": "random_crop", "size": 12, "padding": 1}, ["padded image size 10x12", "padding=1"]),
    ],
)
def test_crop_larger_than_the_image_is_refused_on_every_path(
    op: dict[str, Any], words: list[str]
) -> None:
    spec = _spec(op)
    with pytest.raises(ValueError) as err:
        augspec.sample(spec, 0, image_size=(8, 10))
    params = augspec.sample(spec, 0, image_size=(40, 40)) | {"image_size": [8, 10]}
    messages = _messages(_paths(spec, params), np.zeros((8, 10, 3), np.uint8))
    assert set(messages.values()) == {str(err.value)}
    assert str(err.value).startswith("ops[0] ")
    for word in words:
        assert word in str(err.value)


@pytest.mark.parametrize(
    "op",
    [
        {"op": "brightness", "factor": 1e39},
        {"op": "saturation", "factor": [0.5, 2e6]},
        {"op": "color_jitter", "brightness": 1e39},
        {"op": "lighting", "alphastd": 1e7},
    ],
)
def test_colour_factors_over_the_limit_are_refused_in_the_spec(op: dict[str, Any]) -> None:
    # Unbounded, these reached torchvision's uniform_ ("to is out of bounds for float") and
    # mxnet's parameter parser ("Out of range value for max_factor") as framework errors.
    with pytest.raises(augspec.SpecError) as err:
        _spec(op)
    assert "less than or equal to 1000000" in str(err.value), str(err.value)
    ok = {k: (1e6 if isinstance(v, float) else [0.5, 1e6]) for k, v in op.items() if k != "op"}
    image = np.full((4, 5, 3), 100, np.uint8)
    for backend in ("torchvision", "gluon"):  # the largest allowed factor runs on both
        for fidelity in ("native", "spec"):
            out = augspec.compile(
                _spec({"op": op["op"], **ok}), backend=backend, fidelity=fidelity
            )(image)
            assert np.asarray(augspec.to_numpy(out)).shape == (4, 5, 3)


@pytest.mark.parametrize(
    ("op", "words"),
    [
        (
            {"op": "resize", "size": [100000, 100000]},
            ["size[0]", "less than or equal to 16384", "100000"],
        ),
        (
            {"op": "resize", "size": 100000},
            ["(resize).size", "less than or equal to 16384", "size=100000"],
        ),
        ({"op": "random_resized_crop", "size": [224, 20000]}, ["size[1]", "16384", "20000"]),
        ({"op": "center_crop", "size": 16385}, ["(center_crop).size", "16384"]),
        ({"op": "random_crop", "size": 4, "padding": 10**9}, ["padding", "16384", "1000000000"]),
    ],
)
def test_sizes_over_the_limit_are_refused_in_the_spec(op: dict[str, Any], words: list[str]) -> None:
    with pytest.raises(augspec.SpecError) as err:
        _spec(op)
    assert len(err.value.problems) <= 2
    for word in words:
        assert word in str(err.value), str(err.value)


@pytest.mark.parametrize(
    ("op", "words"),
    [
        ({"op": "resize", "size": 16384}, ["ops[0] (resize) output", "<= 16384", "16384x20480"]),
        (
            {"op": "random_crop", "size": 8, "padding": 8200},
            ["padded image <= 16384x16384", "padding=8200"],
        ),
    ],
)
def test_sizes_over_the_limit_from_the_image_are_refused_before_allocating(
    op: dict[str, Any], words: list[str]
) -> None:
    spec = _spec(op)
    image = np.zeros((8, 10, 3), np.uint8)
    with pytest.raises(ValueError) as err:
        augspec.sample(spec, 0, image_size=(8, 10))
    for word in words:
        assert word in str(err.value)
    paths = _paths(spec, {"image_size": [8, 10], "ops": [{"op": op["op"]}]})
    tracemalloc.start()
    start = time.perf_counter()
    try:
        messages = _messages(paths, image)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert set(messages.values()) == {str(err.value)}
    assert peak < 1 << 20 and time.perf_counter() - start < 2.0  # nothing image-sized was allocated


def test_the_largest_image_is_accepted() -> None:
    assert trace_hw(_spec({"op": "resize", "size": [MAX_SIDE, MAX_SIDE]}), (MAX_SIDE, 1))[-1] == (
        MAX_SIDE,
        MAX_SIDE,
    )


# ---- Normalize ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mean", "std", "words"),
    [
        ([0.5, 0.5], [0.5], ["(normalize)", "length 1 or 3", "mean=[0.5, 0.5]"]),
        ([0.5] * 4, [0.5] * 4, ["length 1 or 3", "std=[0.5, 0.5, 0.5, 0.5]"]),
        ([0.5], [0.0], ["(normalize).std", "std > 0", "std=[0.0]"]),
        ([0.5], [-1.0], ["(normalize).std", "std > 0", "std=[-1.0]"]),
        ([0.5], [1e-300], ["(normalize).std", "float32", "std=[1e-300]"]),
        ([1e308], [1.0], ["(normalize).mean", "float32", "mean=[1e+308]"]),
        ([], [], ["(normalize).mean", "at least 1 item"]),
        ([float("nan")], [1.0], ["(normalize).mean[0]", "finite"]),
    ],
)
def test_bad_normalize_is_refused_in_the_spec(
    mean: list[float], std: list[float], words: list[str]
) -> None:
    with pytest.raises(augspec.SpecError) as err:
        _spec({"op": "to_tensor"}, {"op": "normalize", "mean": mean, "std": std})
    for word in words:
        assert word in str(err.value), str(err.value)


def test_normalize_at_the_float32_limits_runs_alike_on_both_backends() -> None:
    spec = _spec({"op": "to_tensor"}, {"op": "normalize", "mean": [0.5], "std": [1.2e-38]})
    image = np.full((2, 2, 3), 255, np.uint8)
    params = augspec.sample(spec, 0, image_size=(2, 2))
    ref = augspec.replay(spec, params, image)
    for b in BACKENDS:  # (1 - 0.5) / 1.2e-38 = 4.2e37: finite in float32, the same on both
        out = augspec.to_numpy(augspec.replay(spec, params, image, b))
        np.testing.assert_allclose(out, ref, rtol=1e-6)
        assert np.isfinite(out).all()


# ---- spec files --------------------------------------------------------------------

MALFORMED = {
    "unknown op": (
        "augspec: 1\nops: [{op: flop}]\n",
        ["ops[0]", "Unknown op", "op='flop'", "horizontal_flip"],
    ),
    "unknown field": (
        "augspec: 1\nops: [{op: resize, size: 4, sise: 5}]\n",
        ["sise", "did you mean 'size'"],
    ),
    "string number": (
        "augspec: 1\nops: [{op: brightness, factor: '0.5'}]\n",
        ["(brightness).factor", "'0.5'"],
    ),
    "bad YAML": ("augspec: 1\nops: [{op: flip\n", ["Invalid YAML", "line"]),
    "python tag": (
        "augspec: 1\nops: !!python/object/apply:os.system [ls]\n",
        ["Invalid YAML (safe loader)"],
    ),
    "empty": ("", ["empty file"]),
    "not a mapping": ("- 1\n- 2\n", ["Expected a mapping"]),
    "no ops": ("augspec: 1\n", ["ops", "nothing for ops"]),
    "empty ops": ("augspec: 1\nops: []\n", ["ops", "at least 1 item"]),
    "wrong version": ("augspec: 2\nops: [{op: to_tensor}]\n", ["augspec", "1"]),
    "NaN in JSON": (
        '{"augspec": 1, "ops": [{"op": "brightness", "factor": NaN}]}',
        ["finite number", "NaN"],
    ),
    "order": ("augspec: 1\nops: [{op: to_tensor}, {op: horizontal_flip}]\n", ["before to_tensor"]),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_spec_files_are_refused_naming_the_problem(name: str, tmp_path: Path) -> None:
    text, words = MALFORMED[name]
    path = tmp_path / ("spec.json" if text.startswith("{") else "spec.yaml")
    path.write_text(text)
    with pytest.raises(augspec.SpecError) as err:
        augspec.load(path)
    assert str(err.value).startswith(str(path)) and err.value.problems
    for word in words:
        assert word in str(err.value), str(err.value)
    for b in BACKENDS:  # compile takes the path too: the same error
        with pytest.raises(augspec.SpecError) as again:
            augspec.compile(str(path), b)
        assert str(again.value) == str(err.value)


def test_unreadable_spec_files(tmp_path: Path) -> None:
    with pytest.raises(augspec.SpecError, match="Cannot read file"):
        augspec.load(tmp_path / "missing.yaml")
    (tmp_path / "bin.yaml").write_bytes(bytes(range(256)))
    with pytest.raises(augspec.SpecError, match="Expected UTF-8 text"):
        augspec.load(tmp_path / "bin.yaml")


# ---- CIFAR files -------------------------------------------------------------------


@pytest.fixture()
def small_cifar(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (20, 32, 32, 3), dtype=np.uint8)
    y = np.arange(20) % 10
    sums = cifar.write_cifar_batches(tmp_path, (x, y), (x[:10], y[:10]), n_batches=2)
    return tmp_path, sums


def test_truncated_cifar_file_fails_its_checksum(small_cifar: tuple[Path, dict[str, str]]) -> None:
    root, sums = small_cifar
    path = cifar.cifar_folder(root) / "data_batch_1"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(ValueError) as err:
        cifar.load_cifar10(root, checksums=sums)
    message = str(err.value)
    assert str(path) in message and f"Expected md5 {sums['data_batch_1']}" in message
    assert "received md5" in message and "1000 bytes" in message and "download again" in message
    with pytest.raises(
        ValueError,
        match="data_batch_1: Expected a CIFAR python-pickle batch; the file is truncated",
    ):
        cifar.load_cifar10(root, verify=False)


def test_official_cifar_checksums_are_checked(small_cifar: tuple[Path, dict[str, str]]) -> None:
    root, _ = small_cifar
    folder = cifar.cifar_folder(root)
    for k in (3, 4, 5):  # complete the official file list with copies
        (folder / f"data_batch_{k}").write_bytes((folder / "data_batch_1").read_bytes())
    with pytest.raises(
        ValueError,
        match=f"data_batch_1: Expected md5 {cifar.FILE_MD5['data_batch_1']}; received md5",
    ):
        cifar.load_cifar10(root)


def test_corrupt_cifar_bytes_always_get_a_value_error(
    small_cifar: tuple[Path, dict[str, str]],
) -> None:
    root, _ = small_cifar
    path = cifar.cifar_folder(root) / "data_batch_1"
    original = path.read_bytes()
    rng = np.random.default_rng(1)
    for i in range(60):
        corrupt = bytearray(original)
        for j in rng.integers(0, 200, 3):
            corrupt[j] = int(rng.integers(0, 256))
        for data in (bytes(corrupt), rng.bytes(int(i * 7 + 1)), original[: i * 500]):
            path.write_bytes(data)
            try:
                cifar.load_cifar10(root, verify=False)
            except ValueError as err:
                assert "data_batch_1" in str(err)


def test_missing_cifar_folder_says_where_and_what_to_download(tmp_path: Path) -> None:
    with pytest.raises(
        ValueError,
        match=r"Expected the CIFAR-10 files in .*cifar-10-batches-py; missing data_batch_1",
    ):
        cifar.load_cifar10(tmp_path)


# ---- checkpoints -------------------------------------------------------------------


def _npz(**arrays: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _meta(obj: Any) -> np.ndarray:
    return np.frombuffer(json.dumps(obj).encode(), np.uint8)


@pytest.fixture()
def good_checkpoint(tmp_path: Path) -> bytes:
    path = tmp_path / "good.npz"
    checkpoint.save(path, {"epoch": 1, "w": np.arange(1000, dtype=np.float32)})
    return path.read_bytes()


CORRUPT = {
    "empty": (lambda good: b"", "not an .npz (zip) file"),
    "random bytes": (lambda good: np.random.default_rng(0).bytes(3000), "not an .npz (zip) file"),
    "truncated": (lambda good: good[: len(good) // 2], "BadZipFile"),
    "bit flip": (
        lambda good: good[:200] + bytes([good[200] ^ 0xFF]) + good[201:],
        "cannot be read",
    ),
    "plain npy": (lambda good: _npy(), "single .npy array"),
    "npz without meta": (lambda good: _npz(a0=np.arange(3)), "KeyError: '__meta__'"),
    "meta not JSON": (
        lambda good: _npz(__meta__=np.frombuffer(b"nope", np.uint8)),
        "JSONDecodeError",
    ),
    "other format": (
        lambda good: _npz(__meta__=_meta({"format": "x", "tree": {}})),
        "with format 'x'",
    ),
    "meta a list": (lambda good: _npz(__meta__=_meta([1])), "with format '<list>'"),
    "no tree": (lambda good: _npz(__meta__=_meta({"format": checkpoint.FORMAT})), "with a 'tree'"),
    "missing array": (
        lambda good: _npz(
            __meta__=_meta({"format": checkpoint.FORMAT, "tree": {"__array__": "a7"}})
        ),
        "index does not match its arrays",
    ),
}


def _npy() -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.arange(3))
    return buf.getvalue()


@pytest.mark.parametrize("name", list(CORRUPT))
def test_corrupt_checkpoint_gets_a_value_error_naming_the_file(
    name: str, good_checkpoint: bytes, tmp_path: Path
) -> None:
    make, words = CORRUPT[name]
    path = tmp_path / "checkpoint.npz"
    path.write_bytes(make(good_checkpoint))
    with pytest.raises(ValueError) as err:
        checkpoint.load(path)
    assert str(path) in str(err.value) and words in str(err.value), str(err.value)
