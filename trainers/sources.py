"""Which data a run trains on, its checks before training, and loading it (framework-free).

- ``--synthetic N``: the learnable SYNTHETIC set (tests);
- no ``--data``: the 1,200 real CIFAR-10 photos bundled in ``augspec.data`` (an image folder);
- ``--data DIR`` holding ``train/`` and ``test/``: an image folder (``trainers/image_folder.py``);
- ``--data DIR`` otherwise: CIFAR-10's python batches in ``DIR/cifar-10-batches-py``
  (``--download`` fetches them).

Before training (:func:`check_data`, no decoding): the files are there, an image folder's
classes agree and its headers can be read, and both specs fit the images' sizes and give
the model one size. :func:`load_data` then decodes everything, so a corrupt file stops the
run before its first step (or is skipped with ``--skip-bad-files``), never mid-epoch.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from augspec.trainers.config import CIFAR_HW, TrainConfig

KINDS = ("synthetic", "sample", "image-folder", "cifar10")


def source_kind(cfg: TrainConfig) -> str:
    """One of :data:`KINDS` (see the module docstring)."""
    from augspec.trainers.image_folder import is_image_folder

    if cfg.synthetic is not None:
        return "synthetic"
    if cfg.data is None:
        return "sample"
    return "image-folder" if is_image_folder(cfg.data) else "cifar10"


def folder_root(cfg: TrainConfig) -> Path:
    """The image folder a run reads: ``--data`` or the bundled sample."""
    from augspec.data import CIFAR10_SAMPLE

    return CIFAR10_SAMPLE if cfg.data is None else Path(cfg.data)


def _check_cifar_files(cfg: TrainConfig) -> None:
    from augspec.trainers import cifar

    folder = cifar.cifar_folder(str(cfg.data))
    names = (*cifar.TRAIN_FILES, cifar.TEST_FILE, cifar.META_FILE)
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        raise ValueError(
            f"{cifar._missing_message(folder, missing)}; or give --data an image-folder layout "
            "(DIR/train/<class>/<image>, DIR/test/<class>/<image>)"
        )


def check_data(cfg: TrainConfig, spec: Any, test_spec: Any) -> tuple[int, int]:
    """The checks made before any data loads; returns the model's input size (height, width)."""
    kind = source_kind(cfg)
    if kind in ("synthetic", "cifar10"):
        if kind == "cifar10" and not cfg.download:
            _check_cifar_files(cfg)
        return check_model_size(spec, test_spec, [CIFAR_HW], [CIFAR_HW], "CIFAR-10", "CIFAR-10")
    from augspec.trainers.image_folder import header_sizes, read_classes

    root = folder_root(cfg)
    classes = read_classes(root)
    train = header_sizes(root / "train", classes, cfg.skip_bad_files)
    test = header_sizes(root / "test", classes, cfg.skip_bad_files)
    return check_model_size(spec, test_spec, train, test, f"{root}/train", f"{root}/test")


def check_model_size(
    spec: Any,
    test_spec: Any,
    train_sizes: Sequence[tuple[int, int]],
    test_sizes: Sequence[tuple[int, int]],
    train_source: str,
    test_source: str,
) -> tuple[int, int]:
    """Both specs fit their images and give one size: the size the model trains and tests at.

    The d2l ResNet-18 ends in a global average pool, so it takes any size; but a model
    trained at one size and tested at another is not the chapter's. The error names the
    op to change."""
    from augspec.trainers.image_folder import check_spec_sizes

    train_hw = check_spec_sizes("--spec", spec, train_sizes, train_source)
    test_hw = check_spec_sizes("--test-spec", test_spec, test_sizes, test_source)
    if train_hw != test_hw:
        op = last_resizing_op(test_spec, test_sizes[0])
        change = (
            f"change ops[{op[0]}] ({op[1]}) of --test-spec to give {_hw(train_hw)}"
            if op
            else f"add {{op: resize, size: [{train_hw[0]}, {train_hw[1]}]}} to --test-spec before to_tensor"
        )
        raise ValueError(
            f"Expected --spec and --test-spec to give the model images of one size; received "
            f"{_hw(train_hw)} from --spec and {_hw(test_hw)} from --test-spec on {test_source}: {change}"
        )
    return train_hw


def last_resizing_op(spec: Any, hw: tuple[int, int]) -> tuple[int, str] | None:
    """(position, op name) of the last top-level op that changes the size, if any."""
    from augspec.pipeline import trace_hw

    sizes = trace_hw(spec, hw)
    changed = [i for i in range(len(spec.ops)) if sizes[i] != sizes[i + 1]]
    return (changed[-1], spec.ops[changed[-1]].op) if changed else None


def _hw(hw: tuple[int, int]) -> str:
    return f"{hw[0]}x{hw[1]}"


# ---------------------------------------------------------------- loading


def load_data(cfg: TrainConfig, progress: bool = False) -> Any:
    """The run's data as :class:`augspec.trainers.cifar.CifarData` (images may be a list when
    an image folder's sizes differ)."""
    from augspec.trainers import cifar

    kind = source_kind(cfg)
    if kind == "synthetic":
        return cifar.synthetic_cifar(int(cfg.synthetic or 0), seed=cfg.seed)
    if kind == "cifar10":
        root = Path(str(cfg.data))
        if cfg.download and not (root / cifar.CIFAR_FOLDER).is_dir():
            cifar.download_cifar10(root, progress=progress)
        return cifar.load_cifar10(root)
    return load_image_folder(folder_root(cfg), cfg.skip_bad_files, sample=kind == "sample")


def load_image_folder(root: Path, skip_bad: bool = False, sample: bool = False) -> Any:
    from augspec.trainers.cifar import CifarData
    from augspec.trainers.image_folder import read_image_folder

    from augspec.data import SAMPLE_LABEL

    folder = read_image_folder(root, skip_bad)
    skipped = folder.skipped
    name = SAMPLE_LABEL if sample else f"image folder {root}"
    if skipped:
        name += f"; skipped {len(skipped)} unreadable files (--skip-bad-files), e.g. {skipped[0]}"
    return CifarData(
        train_x=folder.train.images,
        train_y=folder.train.labels,
        test_x=folder.test.images,
        test_y=folder.test.labels,
        classes=folder.classes,
        synthetic=False,
        source=str(root),
        name=name,
        skipped=len(skipped),
    )
