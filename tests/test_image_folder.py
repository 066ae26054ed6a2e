"""Image-folder data (``--data DIR`` with train/<class>/, test/<class>/, and the bundled sample).

One reader for both frameworks (``trainers/image_folder.py``): torchvision's ImageFolder
conventions (classes sorted, files sorted, its extensions), every file decoded before
training, and the same arrays and labels through the torch and the Gluon loaders.
"""

from __future__ import annotations

import importlib.util
import json
import re
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from augspec.trainers import image_folder
from augspec.trainers.image_folder import read_image_folder
from PIL import Image

import augspec
from augspec.data import CIFAR10_SAMPLE

from .conftest import require_mxnet

REPO = Path(__file__).resolve().parents[1]
TO_TENSOR = {"augspec": 1, "ops": [{"op": "to_tensor"}]}
HAS_FRAMEWORKS = importlib.util.find_spec("torch") is not None and (
    importlib.util.find_spec("mxnet") is not None
)


def _image(path: Path, hw: tuple[int, int], seed: int) -> None:
    pixels = np.random.default_rng(seed).integers(0, 256, (*hw, 3), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)


def write_folder(root: Path, sizes: dict[str, tuple[int, int]] | None = None) -> Path:
    """train/ and test/ with classes b_cat, a_dog (written out of order), PNG and JPEG,
    a nested folder and a file that is not an image."""
    sizes = sizes or {}
    seed = 0
    for split, per_class in (("train", 3), ("test", 2)):
        for name in ("b_cat", "a_dog"):
            for k in range(per_class):
                ext = ".png" if k % 2 == 0 else ".JPG"  # upper case counts, as in torchvision
                _image(root / split / name / f"{k}{ext}", sizes.get(name, (8, 10)), seed)
                seed += 1
        _image(root / split / "a_dog" / "nested" / "deep.png", (8, 10), seed)
        (root / split / "b_cat" / "notes.txt").write_text("not an image")
    return root


def test_classes_are_sorted_and_files_walk_in_torchvisions_order(tmp_path: Path) -> None:
    root = write_folder(tmp_path / "d")
    data = read_image_folder(root)
    assert data.classes == ["a_dog", "b_cat"]
    names = [p.relative_to(root / "train").as_posix() for p in data.train.files]
    assert names == [
        "a_dog/0.png", "a_dog/1.JPG", "a_dog/2.png", "a_dog/nested/deep.png",
        "b_cat/0.png", "b_cat/1.JPG", "b_cat/2.png",
    ]  # fmt: skip
    assert data.train.labels.tolist() == [0, 0, 0, 0, 1, 1, 1]
    assert data.train.images.shape == (7, 8, 10, 3) and data.train.images.dtype == np.uint8
    assert len(data.test.labels) == 5
    if importlib.util.find_spec("torchvision") is not None:
        from torchvision.datasets import ImageFolder

        tv = ImageFolder(str(root / "train"))
        assert tv.classes == data.classes
        assert [(Path(p), y) for p, y in tv.samples] == list(
            zip(data.train.files, data.train.labels.tolist(), strict=True)
        )


def test_test_split_must_have_the_train_classes(tmp_path: Path) -> None:
    root = write_folder(tmp_path / "d")
    _image(root / "test" / "c_owl" / "0.png", (8, 10), 99)
    with pytest.raises(
        ValueError,
        match=r"Expected the class folders of .*train \(a_dog, b_cat\); received a_dog, b_cat, c_owl",
    ):
        read_image_folder(root)
    half = tmp_path / "half"
    _image(half / "train" / "a_dog" / "0.png", (8, 10), 98)
    with pytest.raises(ValueError, match=r"Expected an image-folder layout .* received no test/$"):
        read_image_folder(half)


def test_bad_files_are_named_or_skipped_and_counted(tmp_path: Path) -> None:
    root = write_folder(tmp_path / "d")
    truncated = root / "train" / "a_dog" / "1.JPG"
    truncated.write_bytes(truncated.read_bytes()[:60])  # header intact, pixels cut off
    fake = root / "test" / "b_cat" / "9.png"
    fake.write_bytes(b"this is not a png")
    with pytest.raises(ValueError, match="1.JPG: Expected a readable image") as err:
        read_image_folder(root)
    assert "--skip-bad-files" in str(err.value)
    with pytest.raises(ValueError, match=r"9.png: Expected a readable image"):
        image_folder.header_sizes(root / "test", ["a_dog", "b_cat"])  # before anything decodes
    data = read_image_folder(root, skip_bad=True)
    assert sorted(p.name for p in data.skipped) == ["1.JPG", "9.png"]
    assert len(data.train.labels) == 6 and len(data.test.labels) == 5


def test_different_sizes_need_a_spec_that_ends_in_one_size(tmp_path: Path) -> None:
    from augspec.trainers.image_folder import check_spec_sizes

    root = write_folder(tmp_path / "d", {"b_cat": (12, 6)})
    data = read_image_folder(root)
    assert isinstance(data.train.images, list) and data.train.sizes() == [(8, 10), (12, 6)]
    flip = augspec.validate_data({"augspec": 1, "ops": [{"op": "horizontal_flip"}]})
    with pytest.raises(ValueError, match=r"--spec: .* holds images of 2 sizes .*{op: resize"):
        check_spec_sizes("--spec", flip, data.train.sizes(), "d/train")
    resize = augspec.validate_data({"augspec": 1, "ops": [{"op": "resize", "size": [6, 6]}]})
    assert check_spec_sizes("--spec", resize, data.train.sizes(), "d/train") == (6, 6)
    crop = augspec.validate_data({"augspec": 1, "ops": [{"op": "center_crop", "size": 9}]})
    with pytest.raises(
        ValueError, match=r"--spec: ops\[0\] center_crop.* \(d/train images are 8x10\)"
    ):
        check_spec_sizes("--spec", crop, data.train.sizes(), "d/train")


def test_the_bundled_sample_is_package_data_and_reads_as_cifar10() -> None:
    data = read_image_folder(CIFAR10_SAMPLE)
    assert data.classes == [
        "airplane", "automobile", "bird", "cat", "deer",
        "dog", "frog", "horse", "ship", "truck",
    ]  # fmt: skip
    assert data.train.images.shape == (1000, 32, 32, 3) and data.test.images.shape == (
        200,
        32,
        32,
        3,
    )
    assert np.bincount(data.train.labels).tolist() == [100] * 10
    assert np.bincount(data.test.labels).tolist() == [20] * 10
    assert (CIFAR10_SAMPLE / "README.md").read_text().startswith("# cifar10-sample")
    pyproject = (REPO / "pyproject.toml").read_text()  # (tomllib is Python 3.11+)
    assert '\n    "augspec.data",\n' in pyproject  # in [tool.setuptools] packages
    found = re.search(r'^"augspec.data" = (\[.*\])$', pyproject, re.M)  # its package-data
    assert found is not None
    patterns = json.loads(found.group(1))
    files = [
        p.relative_to(CIFAR10_SAMPLE.parent).as_posix()
        for p in CIFAR10_SAMPLE.rglob("*")
        if p.is_file()
    ]
    unshipped = [f for f in files if not any(fnmatch(f, pat) for pat in patterns)]
    assert len(files) == 1201 and not unshipped, unshipped


def _through_loaders(x: Any, y: Any, batch: int) -> tuple[list[Any], list[Any]]:
    """Every batch of both frameworks' compiled loaders (their own ToTensor) as numpy."""
    from augspec.trainers import gluon_data, torch_data

    kw: dict[str, Any] = {"mode": "compiled", "shuffle": False, "seed": 0}
    t = [(a.numpy(), b.numpy()) for a, b in torch_data.make_loader(x, y, TO_TENSOR, batch, **kw)]
    g = [
        (a.asnumpy(), b.asnumpy()) for a, b in gluon_data.make_loader(x, y, TO_TENSOR, batch, **kw)
    ]
    return t, g


@pytest.mark.skipif(not HAS_FRAMEWORKS, reason="needs torch and mxnet")
@pytest.mark.parametrize("which", ["tiny", "tiny-mixed-sizes", "bundled"])
def test_image_folders_load_identically_on_both_frameworks(which: str, tmp_path: Path) -> None:
    require_mxnet()
    if which == "bundled":
        root = CIFAR10_SAMPLE
    else:
        root = write_folder(tmp_path / "d", {"b_cat": (12, 6)} if "mixed" in which else None)
    data = read_image_folder(root)
    for split in (data.train, data.test):
        # a batch holds one size: images of mixed sizes go one at a time
        batch = 1 if "mixed" in which else 64
        torch_batches, gluon_batches = _through_loaders(split.images, split.labels, batch)
        images = [split.images[k] for k in range(len(split.labels))]
        for (tx, ty), (gx, gy) in zip(torch_batches, gluon_batches, strict=True):
            np.testing.assert_array_equal(tx, gx)
            np.testing.assert_array_equal(ty, gy.astype(np.int64))
        assert len(torch_batches) == -(-len(images) // batch)
        for k, image in enumerate(images):  # the decoded pixels, in the reader's order
            tx, ty = torch_batches[k // batch]
            want = image.transpose(2, 0, 1).astype(np.float32) / np.float32(255)
            np.testing.assert_array_equal(tx[k % batch], want)
            assert ty[k % batch] == split.labels[k]


@pytest.mark.skipif(not HAS_FRAMEWORKS, reason="needs torch and mxnet")
def test_gluons_own_image_folder_reader_agrees_on_the_bundled_sample() -> None:
    """Gluon's ImageFolderDataset (OpenCV) on the PNG sample: same classes, labels, pixels."""
    mx = require_mxnet()
    ours = read_image_folder(CIFAR10_SAMPLE)
    theirs = mx.gluon.data.vision.ImageFolderDataset(str(CIFAR10_SAMPLE / "test"))
    assert theirs.synsets == ours.classes
    assert [Path(p) for p, _ in theirs.items] == ours.test.files
    for k in range(0, len(theirs), 37):
        image, label = theirs[k]
        np.testing.assert_array_equal(image.asnumpy(), ours.test.images[k])
        assert label == ours.test.labels[k]
