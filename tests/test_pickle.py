"""Compiled pipelines pickle, and run in DataLoader workers started with ``spawn``.

``spawn`` (the default on macOS and Windows) sends the dataset, compiled pipeline included,
to each worker by pickle.
"""

from __future__ import annotations

import importlib.util
import pickle
from typing import Any

import numpy as np
import pytest

import augspec

SPEC = {
    "augspec": 1,
    "ops": [
        {"op": "horizontal_flip", "p": 1.0},
        {"op": "brightness", "factor": [1.5, 1.5]},
        {"op": "center_crop", "size": [6, 5]},
        {"op": "to_tensor"},
    ],
}


def _needs(*packages: str) -> None:
    missing = [p for p in packages if importlib.util.find_spec(p) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)}")


BACKENDS = {
    "torchvision": ("torch", "torchvision"),
    "torchvision-v2": ("torch", "torchvision"),
    "gluon": ("mxnet",),
    "reference": (),
}


class CompiledImages:
    """A map-style dataset applying a compiled pipeline (module level: spawn pickles it)."""

    def __init__(self, images: np.ndarray, pipeline: Any) -> None:
        self.images = images
        self.pipeline = pipeline

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> np.ndarray:
        return np.asarray(augspec.to_numpy(self.pipeline(self.images[i])), dtype=np.float32)


def _images(n: int = 4) -> np.ndarray:
    # Even sides: mxnet's native flip leaves the middle column of an odd width unwritten
    # (stale memory), which would differ between processes for reasons other than pickling.
    return np.random.default_rng(0).integers(0, 256, size=(n, 10, 12, 3), dtype=np.uint8)


@pytest.mark.parametrize("fidelity", ["native", "spec"])
@pytest.mark.parametrize("backend", list(BACKENDS))
def test_compiled_pickles_and_gives_the_same_output(backend: str, fidelity: str) -> None:
    _needs(*BACKENDS[backend])
    compiled = augspec.compile(SPEC, backend=backend, fidelity=fidelity)
    copy = pickle.loads(pickle.dumps(compiled))
    assert copy.backend == backend and copy.fidelity == fidelity
    assert copy.explain() == compiled.explain()
    image = _images(1)[0]
    # Deterministic ops only (p=1 flip, a one-point factor range), so both must agree exactly.
    a = np.asarray(augspec.to_numpy(compiled(image)))
    b = np.asarray(augspec.to_numpy(copy(image)))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("backend", ["torchvision", "gluon"])
def test_compiled_runs_in_spawned_dataloader_workers(backend: str) -> None:
    _needs("torch", *BACKENDS[backend])
    import torch

    images = _images()
    compiled = augspec.compile(SPEC, backend=backend)
    loader = torch.utils.data.DataLoader(
        CompiledImages(images, compiled),
        batch_size=2,
        num_workers=1,
        multiprocessing_context="spawn",
    )
    got = torch.cat(list(loader)).numpy()
    expected = np.stack([CompiledImages(images, compiled)[i] for i in range(len(images))])
    assert got.shape == (4, 3, 6, 5)
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_compiled_without_spec_refuses_to_pickle() -> None:
    bare = augspec.Compiled("torchvision", "native", native=len)
    with pytest.raises(ValueError, match="without spec="):
        pickle.dumps(bare)
