"""CIFAR-10 as numpy arrays: read, verify, download, write, and a learnable synthetic stand-in.

numpy only (no torch, no mxnet). The on-disk format is the official
``cifar-10-batches-py`` folder: pickled dicts with ``b"data"`` ((N, 3072)
uint8, row-major, the 1024 red values, then green, then blue),
``b"labels"`` (list of ints), ``b"batch_label"``, ``b"filenames"``; and
``batches.meta`` with ``b"label_names"``. Arrays come back as NHWC uint8
images and int64 labels.

Checksums are the official md5s (the same ones torchvision's
``datasets/cifar.py`` lists). Tests write their own small files with
:func:`write_cifar_batches`, which returns the md5s of what it wrote, to pass
as ``checksums=``.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import struct
import tarfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from augspec.trainers.checkpoint import atomic_file

CIFAR_FOLDER = "cifar-10-batches-py"
CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR_ARCHIVE = "cifar-10-python.tar.gz"
ARCHIVE_MD5 = "c58f30108f718f92721af3b95e74349a"
TRAIN_FILES = tuple(f"data_batch_{k}" for k in range(1, 6))
TEST_FILE = "test_batch"
META_FILE = "batches.meta"
# Official md5 of every file in cifar-10-batches-py.
FILE_MD5: dict[str, str] = {
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
    "test_batch": "40351d587109b95175f43aff81a1287e",
    "batches.meta": "5ff9c542aee3614f3951f8cda6e48888",
}
CLASSES = [
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
]  # fmt: skip
SYNTHETIC_LABEL = "SYNTHETIC CIFAR-shaped data (not CIFAR-10)"
_ROW = 32 * 32 * 3


@dataclass
class CifarData:
    """Train and test arrays: images (N, 32, 32, 3) uint8, labels (N,) int64.

    Also what an image folder reads into (``trainers/sources.py``): there the images are
    (N, H, W, 3), or a list of HWC arrays when their sizes differ, and ``name`` says what
    the data is (the bundled sample, or the folder)."""

    train_x: Any
    train_y: np.ndarray
    test_x: Any
    test_y: np.ndarray
    classes: list[str] = field(default_factory=lambda: list(CLASSES))
    synthetic: bool = False
    source: str = ""
    name: str = ""  # the label when not SYNTHETIC (default: CIFAR-10)
    skipped: int = 0  # unreadable files left out (--skip-bad-files)

    @property
    def label(self) -> str:
        """What the data is, for printouts and metrics (says SYNTHETIC when it is)."""
        return SYNTHETIC_LABEL if self.synthetic else (self.name or "CIFAR-10")

    def describe(self) -> str:
        return (
            f"{self.label} from {self.source}: {len(self.train_y)} train, "
            f"{len(self.test_y)} test, {len(self.classes)} classes"
        )


# ---------------------------------------------------------------- checksums


def md5_file(path: str | Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_md5(path: str | Path, expected: str) -> None:
    """Raise a ValueError naming the file and both md5s when they differ."""
    received = md5_file(path)
    if received != expected:
        size = os.path.getsize(path)
        raise ValueError(
            f"{path}: Expected md5 {expected}; received md5 {received} ({size} bytes). "
            "The file is corrupt, truncated or not the official CIFAR-10 file: "
            "delete it and download again"
        )


# ---------------------------------------------------------------- reading


class _BatchUnpickler(pickle.Unpickler):
    """Unpickles only what CIFAR batches hold (dicts, lists, bytes, numpy arrays).

    Pickle can run arbitrary code; refusing every other global keeps a
    tampered file (with ``verify=False``) from doing so.
    """

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("_codecs", "encode"),  # how Python 3 protocol-2 pickles hold bytes
    }

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refused global {module}.{name}")
        return super().find_class(module, name)


def _unpickle(path: Path) -> dict[bytes, Any]:
    try:
        with open(path, "rb") as f:
            obj = _BatchUnpickler(io.BytesIO(f.read()), encoding="bytes").load()
    except (
        pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
        IndexError, KeyError, OverflowError, MemoryError,  # what corrupt pickle opcodes raise
    ) as err:  # fmt: skip
        raise ValueError(
            f"{path}: Expected a CIFAR python-pickle batch; the file is truncated or "
            f"not a CIFAR batch ({type(err).__name__}: {err})"
        ) from None
    if not isinstance(obj, dict):
        raise ValueError(f"{path}: Expected a pickled dict; received {type(obj).__name__}")
    return obj


def _key(obj: dict[bytes, Any], key: str, path: Path) -> Any:
    for k in (key.encode(), key):
        if k in obj:
            return obj[k]
    raise ValueError(
        f"{path}: Expected key {key!r} in the batch; received keys {sorted(map(str, obj))}"
    )


def read_batch(path: str | Path, num_classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """One batch file -> (images (N, 32, 32, 3) uint8, labels (N,) int64)."""
    path = Path(path)
    obj = _unpickle(path)
    data = np.asarray(_key(obj, "data", path))
    labels = np.asarray(_key(obj, "labels", path), dtype=np.int64)
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != _ROW:
        raise ValueError(
            f"{path}: Expected data of shape (N, {_ROW}) uint8; "
            f"received shape {data.shape} {data.dtype}"
        )
    if labels.shape != (data.shape[0],):
        raise ValueError(
            f"{path}: Expected {data.shape[0]} labels (one per image); received {labels.size}"
        )
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"{path}: Expected labels in 0..{num_classes - 1}; "
            f"received labels in {labels.min()}..{labels.max()}"
        )
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


def read_meta(path: str | Path) -> list[str]:
    path = Path(path)
    names = _key(_unpickle(path), "label_names", path)
    return [n.decode() if isinstance(n, bytes) else str(n) for n in names]


def cifar_folder(root: str | Path) -> Path:
    """``root/cifar-10-batches-py``, or ``root`` itself when it is that folder."""
    root = Path(root)
    if root.name == CIFAR_FOLDER or (root / META_FILE).exists():
        return root
    return root / CIFAR_FOLDER


def _missing_message(folder: Path, missing: list[str]) -> str:
    return (
        f"Expected the CIFAR-10 files in {folder}; missing {', '.join(missing)}. "
        f"Download {CIFAR_URL} and extract it into {folder.parent} (it holds {CIFAR_FOLDER}/), "
        "or call augspec.trainers.cifar.download_cifar10(root) where a network exists"
    )


def _train_files(folder: Path, checksums: dict[str, str] | None, verify: bool) -> list[str]:
    if checksums is not None:
        return [n for n in checksums if n.startswith("data_batch_")]
    if verify:
        return list(TRAIN_FILES)
    # Unverified small sets: data_batch_1, data_batch_2, ... as far as they go.
    names, k = [], 1
    while (folder / f"data_batch_{k}").exists():
        names.append(f"data_batch_{k}")
        k += 1
    return names or ["data_batch_1"]


def load_cifar10(
    root: str | Path, verify: bool = True, checksums: dict[str, str] | None = None
) -> CifarData:
    """Read ``root/cifar-10-batches-py`` into numpy.

    ``verify``: check each file's md5 against ``checksums`` (default: the
    official ones) before unpickling it.
    """
    folder = cifar_folder(root)
    train_names = _train_files(folder, checksums, verify)
    names = [*train_names, TEST_FILE, META_FILE]
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        raise ValueError(_missing_message(folder, missing))
    if verify:
        sums = FILE_MD5 if checksums is None else checksums
        for name in names:
            check_md5(folder / name, sums[name])
    classes = read_meta(folder / META_FILE)
    parts = [read_batch(folder / n, len(classes)) for n in train_names]
    test_x, test_y = read_batch(folder / TEST_FILE, len(classes))
    return CifarData(
        train_x=np.concatenate([p[0] for p in parts]),
        train_y=np.concatenate([p[1] for p in parts]),
        test_x=test_x,
        test_y=test_y,
        classes=classes,
        synthetic=False,
        source=str(folder),
    )


# ---------------------------------------------------------------- writing


def _check_split(name: str, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(x), np.asarray(y)
    if x.dtype != np.uint8 or x.ndim != 4 or x.shape[1:] != (32, 32, 3):
        raise ValueError(
            f"{name}: Expected images of shape (N, 32, 32, 3) uint8; received {x.shape} {x.dtype}"
        )
    if y.shape != (x.shape[0],):
        raise ValueError(f"{name}: Expected {x.shape[0]} labels; received shape {y.shape}")
    return x, y


_PurePickler: Any = pickle._Pickler  # the pure-Python pickler, whose dispatch table can be extended


class _Py2Pickler(_PurePickler):
    """Protocol 2 with bytes as Python 2 ``str`` (BINSTRING), as the official files hold them.

    So every CIFAR reader sees what it expects: ``encoding="bytes"`` (the
    CIFAR page's recipe) gets ``b"data"`` keys, torchvision's
    ``encoding="latin1"`` gets ``"data"``. Python 3's own pickler writes
    bytes as ``_codecs.encode(...)`` calls, which stay bytes for both.
    """

    dispatch = dict(_PurePickler.dispatch)

    def save_bytes(self, obj: bytes) -> None:
        n = len(obj)
        if n < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([n]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", n) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_bytes


def _dump(path: Path, obj: dict[bytes, Any]) -> str:
    with atomic_file(path, prefix=path.name + ".", suffix=".tmp") as f:
        _Py2Pickler(f, protocol=2).dump(obj)
    return md5_file(path)


def _batch_dict(label: str, x: np.ndarray, y: np.ndarray, start: int) -> dict[bytes, Any]:
    return {
        b"batch_label": label.encode(),
        b"labels": [int(v) for v in y],
        b"data": np.ascontiguousarray(x.transpose(0, 3, 1, 2).reshape(len(x), _ROW)),
        b"filenames": [f"image_{start + i:06d}.png".encode() for i in range(len(x))],
    }


def write_cifar_batches(
    root: str | Path,
    train: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    n_batches: int = 5,
    classes: list[str] | None = None,
) -> dict[str, str]:
    """Write ``root/cifar-10-batches-py`` in the official format; return {file name: md5}."""
    if not isinstance(n_batches, int) or not 1 <= n_batches <= 99:
        raise ValueError(f"Expected n_batches as an int in 1..99; received n_batches={n_batches!r}")
    train_x, train_y = _check_split("train", *train)
    test_x, test_y = _check_split("test", *test)
    classes = list(CLASSES if classes is None else classes)
    folder = Path(root) / CIFAR_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    sums: dict[str, str] = {}
    start = 0
    for k, idx in enumerate(np.array_split(np.arange(len(train_y)), n_batches), 1):
        name = f"data_batch_{k}"
        label = f"training batch {k} of {n_batches}"
        sums[name] = _dump(folder / name, _batch_dict(label, train_x[idx], train_y[idx], start))
        start += len(idx)
    sums[TEST_FILE] = _dump(
        folder / TEST_FILE, _batch_dict("testing batch 1 of 1", test_x, test_y, 0)
    )
    meta = {
        b"label_names": [c.encode() for c in classes],
        b"num_cases_per_batch": int(np.ceil(len(train_y) / n_batches)),
        b"num_vis": _ROW,
    }
    sums[META_FILE] = _dump(folder / META_FILE, meta)
    return sums


# ---------------------------------------------------------------- download


def _progress_bar(total: int | None, enabled: bool) -> Any:
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is optional: no bar then
        return None
    return tqdm(total=total, unit="B", unit_scale=True, desc=CIFAR_ARCHIVE)


def _fetch(url: str, dest: Path, progress: bool, timeout: float) -> None:
    """Stream ``url`` into a temp file next to ``dest``, then rename it into place."""
    with (
        atomic_file(dest, prefix=dest.name + ".", suffix=".part") as out,
        urllib.request.urlopen(url, timeout=timeout) as resp,
    ):
        length = resp.headers.get("Content-Length") if hasattr(resp, "headers") else None
        bar = _progress_bar(int(length) if length else None, progress)
        try:
            for chunk in iter(lambda: resp.read(1 << 16), b""):
                out.write(chunk)
                if bar is not None:
                    bar.update(len(chunk))
        finally:
            if bar is not None:
                bar.close()


def _extract(archive: Path, root: Path) -> None:
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar.getmembers():
            target = (root / member.name).resolve()
            if not target.is_relative_to(root.resolve()) or not (member.isfile() or member.isdir()):
                raise ValueError(
                    f"{archive}: Expected plain files under {root}; received member {member.name!r}"
                )
        if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4: refuse links and odd modes too
            tar.extractall(root, filter="data")
        else:
            tar.extractall(root)


def download_cifar10(
    root: str | Path,
    progress: bool = True,
    url: str = CIFAR_URL,
    md5: str = ARCHIVE_MD5,
    timeout: float = 30.0,
) -> Path:
    """Download and extract CIFAR-10 into ``root``; return the ``cifar-10-batches-py`` folder.

    An archive already in ``root`` (``cifar-10-python.tar.gz``) is used
    without downloading, after its md5 is checked. Without network: a
    ValueError naming the folder to put the data in and the URL.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    archive = root / CIFAR_ARCHIVE
    if not archive.exists():
        try:
            _fetch(url, archive, progress, timeout)
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise ValueError(
                f"Could not download CIFAR-10 from {url} ({reason}). Expected the data in "
                f"{root / CIFAR_FOLDER}: on a machine with network, download {url} and "
                f"extract it into {root} (or put {CIFAR_ARCHIVE} in {root} and run again)"
            ) from None
    try:
        check_md5(archive, md5)
    except ValueError:
        archive.unlink()  # a bad download must not be reused next time
        raise
    _extract(archive, root)
    return root / CIFAR_FOLDER


# ---------------------------------------------------------------- synthetic


def _class_colours(num_classes: int) -> np.ndarray:
    """Well-separated colours: hues around the wheel, alternating value."""
    hue = np.arange(num_classes) / num_classes
    k = np.floor(hue * 6).astype(int) % 6
    f = hue * 6 - np.floor(hue * 6)
    v = np.where(np.arange(num_classes) % 2 == 0, 0.85, 0.6)
    p, q, t = v * 0.25, v * (1 - 0.75 * f), v * (1 - 0.75 * (1 - f))
    table = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    rgb = np.stack([np.choose(k, [row[c] for row in table]) for c in range(3)], axis=1)
    return rgb


def synthetic_cifar(
    n: int, seed: int = 0, num_classes: int = 10, n_test: int | None = None
) -> CifarData:
    """A LEARNABLE synthetic CIFAR-shaped set (``synthetic=True``; not CIFAR-10).

    Each class has its own colour and stripe pattern (frequency 1..5 cycles,
    horizontal or vertical: patterns that flips and crops keep), plus a random
    phase, brightness and pixel noise per image, so a small ResNet learns it
    well above chance in an epoch or two on a few hundred images. Labels are
    balanced. ``n_test`` (default ``max(n // 5, num_classes)``) test images
    come from the same distribution with other draws.
    """
    for name, value, low in (("n", n, 1), ("num_classes", num_classes, 2), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"Expected {name} as an int >= {low}; received {name}={value!r}")
    n_test = max(n // 5, num_classes) if n_test is None else n_test
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5C1FA8]))
    train_x, train_y = _synthetic_split(int(n), num_classes, rng)
    test_x, test_y = _synthetic_split(int(n_test), num_classes, rng)
    return CifarData(
        train_x, train_y, test_x, test_y,
        classes=[f"synthetic_{c}" for c in range(num_classes)],
        synthetic=True,
        source=f"synthetic_cifar(seed={seed})",
    )  # fmt: skip


def _synthetic_split(
    n: int, num_classes: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    y = rng.permutation(np.arange(n) % num_classes).astype(np.int64)
    colours = _class_colours(num_classes)[y]  # (n, 3) in [0, 1]
    freq = (1 + y % 5)[:, None]
    vertical = ((y // 5) % 2 == 1)[:, None, None]
    phase = rng.uniform(0, 2 * np.pi, size=(n, 1))
    pos = np.arange(32)[None, :] / 32.0
    wave = np.cos(2 * np.pi * freq * pos + phase)  # (n, 32)
    stripes = np.where(vertical, wave[:, None, :], wave[:, :, None])  # (n, 32, 32)
    gain = rng.uniform(0.8, 1.2, size=(n, 1, 1, 1))
    img = 255 * colours[:, None, None, :] * gain * (0.7 + 0.3 * stripes[..., None])
    img = img + rng.normal(0, 12, size=img.shape)
    return np.clip(np.floor(img + 0.5), 0, 255).astype(np.uint8), y
