"""``Compiled.__call__``: the shared input check (cached per size where a backend can), then the native pipeline.

A cached size must never let a bad input through: after a good call, an image of the same
size but another mode, channel count or dtype still gets the shared error, and the outputs are
the native pipeline's.
"""

from __future__ import annotations

import numpy as np
import pytest

import augspec

FLIP = {"ops": [{"op": "horizontal_flip", "p": 1.0}]}
CROP = {"ops": [{"op": "horizontal_flip"}, {"op": "center_crop", "size": 8}, {"op": "to_tensor"}]}


def _image(h: int, w: int, c: int = 3) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (h, w, c), dtype=np.uint8)


def test_torchvision_run_checks_every_new_kind_of_input() -> None:
    pytest.importorskip("torchvision")
    from augspec.backends import torchvision as tv
    from PIL import Image

    compiled = augspec.compile(augspec.validate_data(CROP), "torchvision")
    good = Image.fromarray(_image(12, 10))
    for _ in range(2):  # the second call takes the cached path
        tv.seed(3)
        out = compiled(good)
        tv.seed(3)
        assert np.array_equal(out.numpy(), compiled.native(good).numpy())
    for bad, message in (
        (Image.fromarray(_image(12, 10, 4)), "mode 'RGB'"),
        (Image.fromarray(_image(12, 10)[..., 0]), "mode 'RGB'"),
        (_image(12, 10).astype(np.float32), "dtype uint8"),
        (Image.fromarray(_image(6, 10)), "center_crop"),
    ):
        with pytest.raises(ValueError, match=message):
            compiled(bad)
    assert np.array_equal(
        np.asarray(augspec.compile(augspec.validate_data(FLIP), "torchvision")(good)),
        np.asarray(good)[:, ::-1],
    )


def test_gluon_run_checks_every_new_kind_of_input() -> None:
    gluon = pytest.importorskip("augspec.backends.gluon")
    mx = gluon.mx
    compiled = augspec.compile(augspec.validate_data(FLIP), "gluon")
    image = _image(12, 10)
    good = mx.nd.array(image, dtype="uint8")
    for _ in range(2):
        assert np.array_equal(compiled(good).asnumpy(), image[:, ::-1])
    for bad, message in (
        (mx.nd.array(image, dtype="float32"), "dtype uint8"),
        (mx.nd.array(_image(12, 10, 4), dtype="uint8"), "RGB image"),
        (mx.nd.array(image[..., 0], dtype="uint8"), "RGB image"),
    ):
        with pytest.raises(ValueError, match=message):
            compiled(bad)
    assert np.array_equal(compiled(image).asnumpy(), image[:, ::-1])  # numpy: full check, converted


def test_compiled_call_checks_prepares_then_runs_native() -> None:
    from augspec.compiled import Compiled

    seen: list[str] = []
    plain = Compiled(
        "x",
        "native",
        lambda image: image + 1,
        check=lambda image: seen.append("check"),
        prepare=lambda image: image * 10,
    )
    assert plain(1) == 11 and seen == ["check"]


def test_gluon_random_resized_crop_guard_after_cached_shapes() -> None:
    gluon = pytest.importorskip("augspec.backends.gluon")
    mx = gluon.mx
    rrc = {
        "ops": [
            {"op": "random_resized_crop", "size": [4, 1], "scale": [0.01, 0.02], "ratio": [1, 1]}
        ]
    }
    compiled = augspec.compile(augspec.validate_data(rrc), "gluon")
    big = mx.nd.array(_image(40, 40), dtype="uint8")
    for _ in range(2):
        assert compiled(big).shape == (4, 1, 3)
    tiny = mx.nd.array(_image(1, 3), dtype="uint8")  # the fallback crop is empty: every call fails
    with pytest.raises(ValueError, match="empty crop box"):
        compiled(tiny).wait_to_read()
