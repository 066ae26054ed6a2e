"""CIFAR-10 reader, writer, checksums, download (offline: local files and a closed port only)."""

from __future__ import annotations

import io
import os
import pickle
import socket
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest
from augspec.trainers import cifar
from augspec.trainers.cifar import CIFAR_FOLDER, CIFAR_URL


def _small_set(n_train: int = 30, n_test: int = 12) -> tuple[tuple, tuple]:
    rng = np.random.default_rng(7)
    train = (
        rng.integers(0, 256, (n_train, 32, 32, 3), dtype=np.uint8),
        rng.integers(0, 10, n_train),
    )
    test = (rng.integers(0, 256, (n_test, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, n_test))
    return train, test


def test_write_then_load_round_trips_pixels_labels_and_names(tmp_path: Path) -> None:
    train, test = _small_set()
    sums = cifar.write_cifar_batches(tmp_path, train, test, n_batches=3)
    assert sorted(sums) == [
        "batches.meta",
        "data_batch_1",
        "data_batch_2",
        "data_batch_3",
        "test_batch",
    ]
    data = cifar.load_cifar10(tmp_path, checksums=sums)
    np.testing.assert_array_equal(data.train_x, train[0])
    np.testing.assert_array_equal(data.train_y, train[1])
    np.testing.assert_array_equal(data.test_x, test[0])
    np.testing.assert_array_equal(data.test_y, test[1])
    assert data.train_x.dtype == np.uint8 and data.train_y.dtype == np.int64
    assert data.classes == cifar.CLASSES and data.synthetic is False and data.label == "CIFAR-10"
    # The folder itself works as root; unverified loading finds data_batch_1..3.
    again = cifar.load_cifar10(tmp_path / CIFAR_FOLDER, verify=False)
    np.testing.assert_array_equal(again.train_x, train[0])


def test_written_batch_has_the_official_layout(tmp_path: Path) -> None:
    """b"data" rows are the red plane, then green, then blue (row-major), as the CIFAR page says."""
    train, test = _small_set(4, 2)
    cifar.write_cifar_batches(tmp_path, train, test, n_batches=1)
    with open(tmp_path / CIFAR_FOLDER / "data_batch_1", "rb") as f:
        obj = pickle.load(f, encoding="bytes")
    assert set(obj) == {b"data", b"labels", b"batch_label", b"filenames"}
    assert obj[b"data"].shape == (4, 3072) and obj[b"data"].dtype == np.uint8
    img = train[0][2]
    np.testing.assert_array_equal(obj[b"data"][2, :1024], img[:, :, 0].ravel())
    np.testing.assert_array_equal(obj[b"data"][2, 2048:], img[:, :, 2].ravel())
    assert obj[b"labels"] == [int(v) for v in train[1]]


def test_official_checksums_refuse_other_files_naming_file_and_both_md5s(tmp_path: Path) -> None:
    train, test = _small_set()
    cifar.write_cifar_batches(tmp_path, train, test)  # 5 batches: every official name exists
    with pytest.raises(
        ValueError, match="data_batch_1: Expected md5 c99cafc152244af753f735de768cd75f"
    ) as err:
        cifar.load_cifar10(tmp_path)
    assert cifar.md5_file(tmp_path / CIFAR_FOLDER / "data_batch_1") in str(err.value)


def test_one_changed_byte_is_a_checksum_mismatch(tmp_path: Path) -> None:
    train, test = _small_set()
    sums = cifar.write_cifar_batches(tmp_path, train, test, n_batches=2)
    path = tmp_path / CIFAR_FOLDER / "data_batch_2"
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # inside the pixel bytes: still unpickles
    path.write_bytes(bytes(raw))
    with pytest.raises(
        ValueError, match=r"data_batch_2: Expected md5 [0-9a-f]{32}; received md5"
    ) as err:
        cifar.load_cifar10(tmp_path, checksums=sums)
    assert sums["data_batch_2"] in str(err.value) and cifar.md5_file(path) in str(err.value)
    # Unverified, the changed pixel loads silently: the checksum is what catches it.
    assert cifar.load_cifar10(tmp_path, verify=False).train_x.shape == (30, 32, 32, 3)


def test_truncated_batch_is_refused_with_and_without_verification(tmp_path: Path) -> None:
    train, test = _small_set()
    sums = cifar.write_cifar_batches(tmp_path, train, test, n_batches=2)
    path = tmp_path / CIFAR_FOLDER / "test_batch"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ValueError, match=r"test_batch: Expected md5 .*\(\d+ bytes\).*truncated"):
        cifar.load_cifar10(tmp_path, checksums=sums)
    with pytest.raises(
        ValueError, match="test_batch: Expected a CIFAR python-pickle batch; the file is truncated"
    ):
        cifar.load_cifar10(tmp_path, verify=False)


def test_missing_folder_names_where_to_put_the_data_and_the_url(tmp_path: Path) -> None:
    with pytest.raises(ValueError) as err:
        cifar.load_cifar10(tmp_path)
    msg = str(err.value)
    assert str(tmp_path / CIFAR_FOLDER) in msg and CIFAR_URL in msg and "data_batch_1" in msg


def test_pickle_with_code_is_refused_and_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self) -> tuple:
            return (os.mkdir, (str(marker),))

    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps({b"data": Evil()}))
    with pytest.raises(ValueError, match="refused global"):
        cifar.read_batch(path)
    assert not marker.exists()


def test_bad_batch_contents_are_named(tmp_path: Path) -> None:
    path = tmp_path / "b"
    path.write_bytes(pickle.dumps({b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}))
    with pytest.raises(
        ValueError, match=r"Expected data of shape \(N, 3072\) uint8; received shape \(2, 100\)"
    ):
        cifar.read_batch(path)
    path.write_bytes(pickle.dumps({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 10]}))
    with pytest.raises(ValueError, match=r"Expected labels in 0..9; received labels in 0..10"):
        cifar.read_batch(path)
    path.write_bytes(pickle.dumps({b"labels": [0]}))
    with pytest.raises(ValueError, match="Expected key 'data'"):
        cifar.read_batch(path)


def test_writer_refuses_wrong_shapes(tmp_path: Path) -> None:
    x = np.zeros((3, 28, 28, 3), np.uint8)
    with pytest.raises(ValueError, match=r"train: Expected images of shape \(N, 32, 32, 3\) uint8"):
        cifar.write_cifar_batches(tmp_path, (x, np.zeros(3)), (x, np.zeros(3)))
    good = np.zeros((3, 32, 32, 3), np.uint8)
    with pytest.raises(ValueError, match="test: Expected 3 labels"):
        cifar.write_cifar_batches(tmp_path, (good, np.zeros(3)), (good, np.zeros(2)))


# ---------------------------------------------------------------- download


def _archive(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    train, test = _small_set()
    src = tmp_path / "src"
    sums = cifar.write_cifar_batches(src, train, test, n_batches=5)
    archive = tmp_path / "served.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(src / CIFAR_FOLDER, arcname=CIFAR_FOLDER)
    return archive, sums


def _closed_port_url() -> str:
    with socket.socket() as s:  # bind, read the port, close: nothing listens there now
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/cifar-10-python.tar.gz"


def test_offline_download_names_the_folder_and_url_and_leaves_no_partial_file(
    tmp_path: Path,
) -> None:
    url = _closed_port_url()
    root = tmp_path / "data"
    with pytest.raises(ValueError, match="Could not download CIFAR-10") as err:
        cifar.download_cifar10(root, url=url, timeout=5)
    assert str(root / CIFAR_FOLDER) in str(err.value) and url in str(err.value)
    assert list(root.iterdir()) == []


def test_download_streams_checks_md5_and_extracts(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    archive, sums = _archive(tmp_path)
    root = tmp_path / "data"
    folder = cifar.download_cifar10(
        root, progress=True, url=archive.as_uri(), md5=cifar.md5_file(archive)
    )
    assert folder == root / CIFAR_FOLDER
    assert cifar.load_cifar10(root, checksums=sums).train_x.shape == (30, 32, 32, 3)
    assert cifar.CIFAR_ARCHIVE in capsys.readouterr().err  # the tqdm bar
    assert not list(root.glob("*.part"))
    # The archive now in root is reused: no fetch (this URL cannot be reached).
    cifar.download_cifar10(root, url=_closed_port_url(), md5=cifar.md5_file(archive))


def test_download_without_tqdm_has_no_bar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    archive, _ = _archive(tmp_path)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import now raises ImportError
    cifar.download_cifar10(
        tmp_path / "data", progress=True, url=archive.as_uri(), md5=cifar.md5_file(archive)
    )
    assert cifar.CIFAR_ARCHIVE not in capsys.readouterr().err


def test_downloaded_archive_with_wrong_md5_is_refused_and_removed(tmp_path: Path) -> None:
    archive, _ = _archive(tmp_path)
    root = tmp_path / "data"
    with pytest.raises(
        ValueError,
        match=f"cifar-10-python.tar.gz: Expected md5 {cifar.ARCHIVE_MD5}; received md5 {cifar.md5_file(archive)}",
    ):
        cifar.download_cifar10(root, progress=False, url=archive.as_uri())
    assert not (root / cifar.CIFAR_ARCHIVE).exists()


def test_archive_members_outside_root_are_refused(tmp_path: Path) -> None:
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("../escaped.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    root = tmp_path / "data"
    with pytest.raises(ValueError, match="Expected plain files under"):
        cifar.download_cifar10(
            root, progress=False, url=archive.as_uri(), md5=cifar.md5_file(archive)
        )
    assert not (tmp_path / "escaped.txt").exists()


# ---------------------------------------------------------------- synthetic


def test_synthetic_set_is_labelled_deterministic_and_balanced() -> None:
    a = cifar.synthetic_cifar(200, seed=3)
    b = cifar.synthetic_cifar(200, seed=3)
    c = cifar.synthetic_cifar(200, seed=4)
    assert a.synthetic is True and "SYNTHETIC" in a.label and "SYNTHETIC" in a.describe()
    assert a.train_x.shape == (200, 32, 32, 3) and a.train_x.dtype == np.uint8
    assert a.train_y.dtype == np.int64 and a.test_x.shape == (40, 32, 32, 3)
    np.testing.assert_array_equal(a.train_x, b.train_x)
    assert not np.array_equal(a.train_x, c.train_x)
    assert np.bincount(a.train_y, minlength=10).tolist() == [20] * 10
    with pytest.raises(
        ValueError, match="Expected num_classes as an int >= 2; received num_classes=1"
    ):
        cifar.synthetic_cifar(10, num_classes=1)


def test_synthetic_set_is_learnable_by_a_nearest_centroid_on_held_out_images() -> None:
    """The learnability floor: even class means separate held-out images far above chance."""
    data = cifar.synthetic_cifar(300, seed=0, n_test=200)
    feats = lambda x: x.reshape(len(x), -1).astype(np.float32) / 255  # noqa: E731
    centroids = np.stack([feats(data.train_x[data.train_y == c]).mean(0) for c in range(10)])
    dist = ((feats(data.test_x)[:, None, :] - centroids[None]) ** 2).sum(-1)
    accuracy = float((dist.argmin(1) == data.test_y).mean())
    assert accuracy > 0.5, f"nearest-centroid accuracy {accuracy:.2f} (chance 0.10)"
    # And the images are not copies of each other: pixel noise and phase differ.
    assert len({x.tobytes() for x in data.train_x}) == 300


def test_written_files_read_in_torchvision_and_protocol_2_pickles_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Interop: torchvision's own CIFAR10 reader sees the same pixels and labels."""
    datasets = pytest.importorskip("torchvision.datasets")
    train, test = _small_set()
    cifar.write_cifar_batches(tmp_path, train, test)
    # torchvision checks the official md5s; these are test files, so skip that check only.
    monkeypatch.setattr(datasets.CIFAR10, "_check_integrity", lambda self: True)
    monkeypatch.setattr(datasets.cifar, "check_integrity", lambda path, md5=None: True)
    tv = datasets.CIFAR10(str(tmp_path), train=True, download=False)
    np.testing.assert_array_equal(tv.data, train[0])
    assert tv.targets == [int(v) for v in train[1]] and tv.classes == cifar.CLASSES
    # Protocol 2 written by Python 3 holds bytes through _codecs.encode: allowed.
    path = tmp_path / "p2"
    path.write_bytes(
        pickle.dumps(
            {b"data": train[0][:2].transpose(0, 3, 1, 2).reshape(2, -1), b"labels": [1, 2]},
            protocol=2,
        )
    )
    np.testing.assert_array_equal(cifar.read_batch(path)[0], train[0][:2])


def test_cifar_and_data_modules_import_no_framework() -> None:
    code = (
        "import sys, augspec.trainers.cifar, augspec.trainers.data; "
        "print(sorted(m for m in ('torch', 'mxnet', 'torchvision') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
