"""Batches from the seeding contract: numpy core, torch and Gluon loaders with 0 and 2 workers."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from augspec.trainers import data
from augspec.trainers.cifar import synthetic_cifar

import augspec

from .conftest import require_mxnet

FLIP_CROP = {
    "augspec": augspec.FORMAT_VERSION,
    "ops": [
        {"op": "horizontal_flip"},
        {"op": "random_crop", "size": 32, "padding": 4},
        {"op": "to_tensor"},
    ],
}
FLIP = {"augspec": augspec.FORMAT_VERSION, "ops": [{"op": "horizontal_flip"}, {"op": "to_tensor"}]}
N, BATCH = 96, 16


@pytest.fixture(scope="module")
def cifar_like() -> Any:
    return synthetic_cifar(N, seed=2)


def _flipped(x: np.ndarray, idx: np.ndarray, images: np.ndarray) -> np.ndarray:
    """Which outputs of a flip-only spec are mirrored (each image checked against both outcomes)."""
    plain = images[idx].transpose(0, 3, 1, 2).astype(np.float32) / np.float32(255)
    same = np.array([np.array_equal(x[k], plain[k]) for k in range(len(idx))])
    mirrored = np.array([np.array_equal(x[k], plain[k][:, :, ::-1]) for k in range(len(idx))])
    assert np.all(same | mirrored), "flip-only output is neither the image nor its mirror"
    return ~same


# ---------------------------------------------------------------- numpy core


def test_batches_cover_every_index_once_and_depend_only_on_seed_and_epoch() -> None:
    out = data.batches(50, 16, seed=1, epoch=0)
    assert [len(b) for b in out] == [16, 16, 16, 2]
    assert sorted(np.concatenate(out).tolist()) == list(range(50))
    again = data.batches(50, 16, seed=1, epoch=0)
    assert all(np.array_equal(a, b) for a, b in zip(out, again, strict=True))
    other_epoch = np.concatenate(data.batches(50, 16, seed=1, epoch=1))
    other_seed = np.concatenate(data.batches(50, 16, seed=2, epoch=0))
    assert not np.array_equal(np.concatenate(out), other_epoch)
    assert not np.array_equal(np.concatenate(out), other_seed)
    assert [len(b) for b in data.batches(50, 16, 1, 0, drop_last=True)] == [16, 16, 16]
    assert np.concatenate(data.batches(5, 2, 1, 0, shuffle=False)).tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(
        ValueError, match="Expected batch_size as an int >= 1; received batch_size=0"
    ):
        data.batches(5, 0, 1, 0)
    with pytest.raises(ValueError, match="Expected epoch as an int >= 0; received epoch=-1"):
        data.batches(5, 2, 1, -1)


def test_shuffle_stream_is_not_a_per_sample_stream() -> None:
    """SeedSequence([s, e]) would equal [s, e, 0] (sample 0's params); the shuffle is keyed apart."""
    plain = np.random.Generator(np.random.PCG64(np.random.SeedSequence([4, 0]))).permutation(40)
    sample0 = augspec.sampling.generator(4, 0, 0).permutation(40)
    np.testing.assert_array_equal(plain, sample0)  # why the key is needed
    assert not np.array_equal(data.epoch_order(40, 4, 0), sample0)


def test_augment_batch_is_keyed_by_dataset_index_not_batch_position(cifar_like: Any) -> None:
    idx = data.batches(N, BATCH, seed=5, epoch=3)[0]
    x = data.augment_batch(FLIP_CROP, cifar_like.train_x[idx], 5, 3, idx)
    assert x.shape == (BATCH, 3, 32, 32) and x.dtype == np.float32
    for k in (0, 7):
        params = augspec.sample(augspec.validate_data(FLIP_CROP), 5, 3, int(idx[k]), (32, 32))
        expected = augspec.replay(FLIP_CROP, params, cifar_like.train_x[idx[k]])
        np.testing.assert_array_equal(x[k], expected)
    rev = idx[::-1]
    np.testing.assert_array_equal(
        data.augment_batch(FLIP_CROP, cifar_like.train_x[rev], 5, 3, rev), x[::-1]
    )
    with pytest.raises(
        ValueError, match="Expected one dataset index per image; received 96 images and 16"
    ):
        data.augment_batch(FLIP_CROP, cifar_like.train_x, 5, 3, idx)


def test_spec_without_to_tensor_gives_to_tensor_scaling(cifar_like: Any) -> None:
    no_tensor = {"augspec": augspec.FORMAT_VERSION, "ops": [{"op": "vertical_flip", "p": 1.0}]}
    x = data.augment_batch(no_tensor, cifar_like.train_x[:2], 0, 0, [0, 1])
    expected = cifar_like.train_x[:2, ::-1].transpose(0, 3, 1, 2).astype(np.float32) / 255
    np.testing.assert_array_equal(x, expected)


def test_iter_batches_yields_each_sample_once_with_its_label(cifar_like: Any) -> None:
    seen, labels = [], []
    order = data.batches(N, BATCH, 0, 0)
    for (xb, yb), idx in zip(
        data.iter_batches(cifar_like.train_x, cifar_like.train_y, FLIP, BATCH, 0, 0),
        order,
        strict=True,
    ):
        assert xb.shape == (len(idx), 3, 32, 32)
        seen.append(idx)
        labels.append(yb)
    np.testing.assert_array_equal(np.concatenate(labels), cifar_like.train_y[np.concatenate(seen)])


# ---------------------------------------------------------------- torch


def _torch_epoch(
    d: Any, spec: Any, workers: int, mode: str, epoch: int = 1
) -> list[tuple[np.ndarray, np.ndarray]]:
    from augspec.trainers import torch_data

    loader = torch_data.make_loader(
        d.train_x, d.train_y, spec, BATCH, workers=workers, seed=3, epoch=epoch, mode=mode
    )
    return [(xb.numpy().copy(), yb.numpy().copy()) for xb, yb in loader]


def test_torch_replay_batches_are_the_same_with_0_and_2_workers(cifar_like: Any) -> None:
    pytest.importorskip("torchvision")
    zero = _torch_epoch(cifar_like, FLIP_CROP, 0, "replay")
    two = _torch_epoch(cifar_like, FLIP_CROP, 2, "replay")
    order = data.batches(N, BATCH, 3, 1)
    assert len(zero) == len(two) == len(order)
    for (x0, y0), (x2, y2), idx in zip(zero, two, order, strict=True):
        np.testing.assert_array_equal(x0, x2)
        np.testing.assert_array_equal(y0, y2)
        np.testing.assert_array_equal(y0, cifar_like.train_y[idx])
        # flips and pad+crop are exact on torchvision: the same pixels as the reference
        np.testing.assert_array_equal(
            x0, data.augment_batch(FLIP_CROP, cifar_like.train_x[idx], 3, 1, idx)
        )


def test_torch_compiled_mode_repeats_for_the_same_worker_count_and_draws_fresh_flips(
    cifar_like: Any,
) -> None:
    pytest.importorskip("torchvision")
    first = _torch_epoch(cifar_like, FLIP, 2, "compiled")
    again = _torch_epoch(cifar_like, FLIP, 2, "compiled")
    for (a, _), (b, _) in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    order = data.batches(N, BATCH, 3, 1)
    flips = [_flipped(x, idx, cifar_like.train_x) for (x, _), idx in zip(first, order, strict=True)]
    rate = float(np.mean(np.concatenate(flips)))
    assert 0.3 < rate < 0.7, f"flip rate {rate}"  # p=0.5; 96 draws
    # torch seeds its workers base_seed + id: their batches do not repeat each other's flips
    assert len({f.tobytes() for f in flips}) == len(flips)
    other_epoch = _torch_epoch(cifar_like, FLIP, 2, "compiled", epoch=2)
    assert not all(np.array_equal(a, b) for (a, _), (b, _) in zip(first, other_epoch, strict=True))


# ---------------------------------------------------------------- gluon


def _gluon_epoch(d: Any, spec: Any, workers: int, mode: str) -> list[tuple[np.ndarray, np.ndarray]]:
    from augspec.trainers import gluon_data

    loader = gluon_data.make_loader(
        d.train_x, d.train_y, spec, BATCH, workers=workers, seed=3, epoch=1, mode=mode
    )
    return [(xb.asnumpy(), yb.asnumpy()) for xb, yb in loader]


def test_gluon_replay_batches_are_the_same_with_0_and_2_workers_and_as_torch(
    cifar_like: Any,
) -> None:
    require_mxnet()
    zero = _gluon_epoch(cifar_like, FLIP_CROP, 0, "replay")
    two = _gluon_epoch(cifar_like, FLIP_CROP, 2, "replay")
    order = data.batches(N, BATCH, 3, 1)
    assert len(zero) == len(two) == len(order)
    for (x0, y0), (x2, y2), idx in zip(zero, two, order, strict=True):
        assert x0.dtype == np.float32 and y0.dtype == np.int32
        np.testing.assert_array_equal(x0, x2)
        np.testing.assert_array_equal(y0, y2)
        np.testing.assert_array_equal(y0, cifar_like.train_y[idx])
        np.testing.assert_array_equal(
            x0, data.augment_batch(FLIP_CROP, cifar_like.train_x[idx], 3, 1, idx)
        )


def test_gluon_compiled_workers_draw_different_flips(cifar_like: Any) -> None:
    """mxnet forks its workers with one RNG state; CompiledDataset reseeds each worker.

    Without the reseed (the raw transform_first dataset), worker A's k-th
    batch repeats worker B's k-th batch flip for flip (measured: 4 of 28
    batch pairs identical with 2 workers, 8 batches of 32).
    """
    require_mxnet()
    from augspec.backends.gluon_mx import mx
    from augspec.trainers import gluon_data

    order = data.batches(N, BATCH, 3, 1)

    def flips(dataset: Any) -> list[np.ndarray]:
        loader = mx.gluon.data.DataLoader(
            dataset, batch_sampler=[b.tolist() for b in order], num_workers=2
        )
        return [
            _flipped(xb.asnumpy(), idx, cifar_like.train_x)
            for (xb, _), idx in zip(loader, order, strict=True)
        ]

    reseeded = gluon_data.make_dataset(
        cifar_like.train_x, cifar_like.train_y, FLIP, "compiled", seed=3, epoch=1
    )
    patterns = flips(reseeded)
    assert len({f.tobytes() for f in patterns}) == len(patterns)
    rate = float(np.mean(np.concatenate(patterns)))
    assert 0.3 < rate < 0.7, f"flip rate {rate}"
    raw = flips(reseeded.inner)  # what the chapter's loader does: repeats across workers
    assert len({f.tobytes() for f in raw}) < len(raw)


def test_gluon_compiled_without_workers_repeats_after_seeding(cifar_like: Any) -> None:
    require_mxnet()
    from augspec.backends import load as load_backend

    gluon = load_backend("gluon")
    gluon.seed(11)
    first = _gluon_epoch(cifar_like, FLIP, 0, "compiled")
    gluon.seed(11)
    again = _gluon_epoch(cifar_like, FLIP, 0, "compiled")
    for (a, ya), (b, yb) in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(ya, yb)


def test_importing_the_gluon_adapter_keeps_torch_threads() -> None:
    """In a fresh process: importing mxnet alone would drop torch to 1 thread."""
    pytest.importorskip("torch")
    require_mxnet()
    # torch's default count, read before the import (measured: plain `import mxnet` -> 1).
    code = (
        "import torch; before = torch.get_num_threads(); "
        "import augspec.trainers.gluon_data; print(before, torch.get_num_threads())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, after = out.stdout.split()[-2:]
    assert after == before, out.stdout + out.stderr


def test_loaders_refuse_bad_arguments(cifar_like: Any) -> None:
    pytest.importorskip("torchvision")
    from augspec.trainers import torch_data

    with pytest.raises(
        ValueError, match="Expected mode one of replay, compiled; received mode='native'"
    ):
        torch_data.make_loader(cifar_like.train_x, cifar_like.train_y, FLIP, 8, mode="native")
    with pytest.raises(ValueError, match="Expected workers as an int >= 0; received workers=-1"):
        torch_data.make_loader(cifar_like.train_x, cifar_like.train_y, FLIP, 8, workers=-1)
    with pytest.raises(
        ValueError, match=r"Expected 96 labels \(one per image\); received shape \(95,\)"
    ):
        torch_data.make_loader(cifar_like.train_x, cifar_like.train_y[:-1], FLIP, 8)
