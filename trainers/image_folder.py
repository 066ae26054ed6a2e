"""An image-folder data set (``DIR/train/<class>/*``, ``DIR/test/<class>/*``), read once for both frameworks.

One shared reader, not torchvision's ``ImageFolder`` on one side and Gluon's
``ImageFolderDataset`` on the other: Gluon decodes with OpenCV and torchvision with Pillow,
and the two JPEG decoders need not give the same pixels. Here every file is decoded with
Pillow (``convert("RGB")``, torchvision's ``pil_loader``) into HWC uint8 numpy arrays that
both trainers take, so both frameworks see the same pixels and labels by construction.

torchvision's ``ImageFolder`` conventions: the classes are the sub-folders of ``train/``
in sorted order (label = position), files are walked in sorted order (sub-folders
included, links followed) and kept when their lower-cased name ends in one of
:data:`IMAGE_EXTENSIONS`. ``test/`` must hold the same classes.

Every file is decoded when the data set is read, before training: a corrupt or
unreadable file stops the run there with its name (or, with ``skip_bad=True``, is left
out and counted), never mid-epoch. Images of different sizes come back as a list; the
caller checks that the spec makes them one size (:func:`check_spec_sizes`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

# torchvision.datasets.folder.IMG_EXTENSIONS
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
SPLITS = ("train", "test")


def is_image_folder(root: str | Path) -> bool:
    """True when ``root`` holds ``train/`` and ``test/`` folders (the image-folder layout)."""
    root = Path(root)
    return all((root / s).is_dir() for s in SPLITS)


def find_classes(split: str | Path) -> list[str]:
    """The class folders of ``split``, sorted (torchvision's ``find_classes``)."""
    split = Path(split)
    classes = sorted(e.name for e in os.scandir(split) if e.is_dir())
    if not classes:
        raise ValueError(
            f"{split}: Expected one folder per class ({split}/<class>/<image>); received none"
        )
    return classes


def list_files(split: str | Path, classes: Sequence[str]) -> list[tuple[Path, int]]:
    """(file, label) for every image file, classes in order, files sorted (torchvision's walk)."""
    split = Path(split)
    found = []
    for label, name in enumerate(classes):
        for folder, _, names in sorted(os.walk(split / name, followlinks=True)):
            for fname in sorted(names):
                if fname.lower().endswith(IMAGE_EXTENSIONS):
                    found.append((Path(folder) / fname, label))
    return found


def read_image(path: str | Path) -> np.ndarray:
    """One file as RGB HWC uint8; a ValueError naming the file when it cannot be decoded."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as err:
        raise ValueError(_unreadable(path, err)) from None


@dataclass
class Split:
    """One split: images (an (N, H, W, 3) array when all share one size, else a list), labels."""

    images: Any
    labels: np.ndarray
    files: list[Path]
    skipped: list[Path] = field(default_factory=list)

    def sizes(self) -> list[tuple[int, int]]:
        """The distinct (height, width) of its images, sorted."""
        return sorted({(int(x.shape[0]), int(x.shape[1])) for x in self.images})


def read_split(split: str | Path, classes: Sequence[str], skip_bad: bool = False) -> Split:
    """Decode every image of one split (see the module docstring for the order and errors)."""
    split = Path(split)
    images, labels, files, skipped = [], [], [], []
    for path, label in list_files(split, classes):
        try:
            image = read_image(path)
        except ValueError:
            if not skip_bad:
                raise
            skipped.append(path)
            continue
        images.append(image)
        labels.append(label)
        files.append(path)
    if not images:
        raise ValueError(_no_images(split, len(skipped)))
    same = len({x.shape for x in images}) == 1
    return Split(
        images=np.stack(images) if same else images,
        labels=np.asarray(labels, dtype=np.int64),
        files=files,
        skipped=skipped,
    )


@dataclass
class ImageFolderData:
    """Both splits of an image folder, with the class names (label order)."""

    root: Path
    classes: list[str]
    train: Split
    test: Split

    @property
    def skipped(self) -> list[Path]:
        return [*self.train.skipped, *self.test.skipped]


def read_classes(root: str | Path) -> list[str]:
    """The classes of ``root/train``; ``root/test`` must have the same (a ValueError otherwise)."""
    root = Path(root)
    if not is_image_folder(root):
        raise ValueError(
            f"{root}: Expected an image-folder layout ({root}/train/<class>/<image> and "
            f"{root}/test/<class>/<image>); received no "
            + " or ".join(s + "/" for s in SPLITS if not (root / s).is_dir())
        )
    classes = find_classes(root / "train")
    test_classes = find_classes(root / "test")
    if test_classes != classes:
        raise ValueError(
            f"{root}/test: Expected the class folders of {root}/train ({', '.join(classes)}); "
            f"received {', '.join(test_classes)}. The label of a class is its position in the "
            "sorted list, so both splits need the same folders"
        )
    return classes


def read_image_folder(root: str | Path, skip_bad: bool = False) -> ImageFolderData:
    """Read ``root/train`` and ``root/test``, decoding every image (see the module docstring)."""
    root = Path(root)
    classes = read_classes(root)
    return ImageFolderData(
        root=root,
        classes=classes,
        train=read_split(root / "train", classes, skip_bad),
        test=read_split(root / "test", classes, skip_bad),
    )


def header_sizes(
    split: str | Path, classes: Sequence[str], skip_bad: bool = False
) -> list[tuple[int, int]]:
    """The distinct (height, width) of a split's images from their headers (no decoding): the
    check made before anything loads. An unreadable header: as :func:`read_image`."""
    from PIL import Image, UnidentifiedImageError

    sizes: set[tuple[int, int]] = set()
    files = list_files(split, classes)
    for path, _ in files:
        try:
            with Image.open(path) as im:
                width, height = im.size
        except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as err:
            if skip_bad:
                continue
            raise ValueError(_unreadable(path, err)) from None
        sizes.add((int(height), int(width)))
    if not sizes:
        raise ValueError(_no_images(Path(split), len(files)))
    return sorted(sizes)


def _unreadable(path: str | Path, err: BaseException) -> str:
    return (
        f"{path}: Expected a readable image ({', '.join(IMAGE_EXTENSIONS)}); the file is "
        f"corrupt, truncated or not an image ({type(err).__name__}: {err}). Remove it, or "
        "pass --skip-bad-files to leave such files out"
    )


def _no_images(split: Path, unreadable: int) -> str:
    return (
        f"{split}: Expected image files ({', '.join(IMAGE_EXTENSIONS)}) under {split}/<class>/; "
        "received none" + (f" readable ({unreadable} unreadable)" if unreadable else "")
    )


def check_spec_sizes(
    flag: str, spec: Any, sizes: Sequence[tuple[int, int]], where: str
) -> tuple[int, int]:
    """The one output size ``spec`` gives every input size in ``sizes``, or a ValueError that
    says which op to add. Raises as ``trace_hw`` does for an op that does not fit a size."""
    from augspec.pipeline import trace_hw

    outputs: dict[tuple[int, int], tuple[int, int]] = {}
    for hw in sizes:
        try:
            outputs[hw] = trace_hw(spec, hw)[-1]
        except ValueError as err:
            raise ValueError(f"{flag}: {err} ({where} images are {_hw(hw)})") from None
    distinct = sorted(set(outputs.values()))
    if len(distinct) > 1:
        examples = ", ".join(f"{_hw(i)} -> {_hw(o)}" for i, o in list(outputs.items())[:3])
        raise ValueError(
            f"{flag}: Expected a spec that gives every image one size; {where} holds images of "
            f"{len(sizes)} sizes and the spec keeps them apart ({examples}). Add an op that ends "
            "in a fixed size before to_tensor, e.g. {op: resize, size: [32, 32]} or "
            "{op: random_resized_crop, size: [32, 32]} (train), {op: resize, size: 36} then "
            "{op: center_crop, size: [32, 32]} (test)"
        )
    return distinct[0]


def _hw(hw: tuple[int, int]) -> str:
    return f"{hw[0]}x{hw[1]}"
