"""Seeds: the same seed gives the same params and outputs, across processes, worker counts and loaders.

- Across processes: :func:`probe` (sampled params, replayed and seeded-compiled outputs of
  every backend and fidelity, both loaders' batches, both models' initial weights) gives
  the same JSON in this process and in two fresh interpreters with other hash seeds
  (``PYTHONHASHSEED``), so nothing depends on set/dict order, ids or leftover global state.
- Across worker counts: the torch and Gluon loaders give the same batches with 0 and 2
  workers over two epochs, in spec fidelity, for a spec with every kind of random op
  (tests/test_trainer_data.py covers a flip + crop spec in native fidelity).
- Through both loaders: the torch loader and the Gluon loader give bit-identical batches
  when both replay on the reference, and batches within the backends' stated tolerances
  (each backend's ``tolerance(op)``) when each replays on its own framework in spec fidelity.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import augspec

from .conftest import require_mxnet

if importlib.util.find_spec("torch") is None:
    pytest.skip("needs torch (pip install 'augspec[torch]')", allow_module_level=True)

REPO = Path(__file__).resolve().parents[1]
# Every random op, on 40x48 images: (random) sizes, colours, lighting, nesting, tensor ops.
RICH = {
    "augspec": 1,
    "ops": [
        {"op": "horizontal_flip"},
        {"op": "vertical_flip", "p": 0.3},
        {"op": "random_resized_crop", "size": [28, 30], "scale": [0.3, 1.0]},
        {"op": "random_crop", "size": 26, "padding": 2, "fill": 7},
        {"op": "color_jitter", "brightness": 0.4, "contrast": 0.4, "saturation": 0.4, "hue": 0.1},
        {"op": "random_apply", "p": 0.5, "ops": [{"op": "lighting", "alphastd": 0.2}]},
        {"op": "compose", "ops": [{"op": "center_crop", "size": 24}, {"op": "resize", "size": 20}]},
        {"op": "to_tensor"},
        {"op": "normalize", "mean": [0.5, 0.4, 0.3], "std": [0.2, 0.25, 0.3]},
    ],
}
# Ops on which the backends' spec-fidelity outputs are compared against each other.
COLOR_CROP = {
    "augspec": 1,
    "ops": [
        {"op": "horizontal_flip"},
        {"op": "brightness", "factor": 0.3},
        {"op": "random_resized_crop", "size": 24, "scale": [0.5, 1.0]},
        {"op": "random_crop", "size": 24, "padding": 2},
        {"op": "to_tensor"},
    ],
}
N, BATCH = 40, 8


def _sha(x: Any) -> str:
    a = np.ascontiguousarray(augspec.to_numpy(x) if not isinstance(x, np.ndarray) else x)
    return hashlib.sha256(a.tobytes() + str((a.shape, a.dtype)).encode()).hexdigest()[:16]


def _data(n: int = N, hw: tuple[int, int] = (40, 48)) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    return rng.integers(0, 256, (n, *hw, 3), dtype=np.uint8), rng.integers(0, 10, n)


def probe() -> dict[str, Any]:
    """Everything a seed decides, as JSON-able values (hashes for arrays)."""
    from augspec.backends import load as load_backend
    from augspec.backends.gluon_mx import mx  # noqa: F401  (keeps torch's threads)
    from augspec.trainers import gluon as gtrain
    from augspec.trainers import gluon_data, models_gluon, models_torch, torch_data
    from augspec.trainers import torch as ttrain

    spec = augspec.validate_data(RICH)
    x, y = _data(8)
    out: dict[str, Any] = {
        "params": [augspec.sample(spec, 5, e, i, (40, 48)) for e in (0, 1) for i in range(4)]
    }
    for backend in ("reference", "torchvision", "gluon"):
        for fidelity in ("native", "spec") if backend != "reference" else ("native",):
            out[f"replay {backend} {fidelity}"] = [
                _sha(
                    augspec.replay(
                        spec, augspec.sample(spec, 5, 1, i, (40, 48)), x[i], backend, fidelity
                    )
                )
                if backend != "reference"
                else _sha(augspec.replay(spec, augspec.sample(spec, 5, 1, i, (40, 48)), x[i]))
                for i in range(4)
            ]
    for backend in ("torchvision", "gluon"):
        for fidelity in ("native", "spec"):
            compiled = augspec.compile(spec, backend, fidelity)
            load_backend(backend).seed(7)  # the native classes draw from the framework's RNGs
            out[f"compiled {backend} {fidelity}"] = [_sha(compiled(x[i])) for i in range(4)]
    out["torch loader"] = [
        _sha(xb.numpy()) + _sha(yb.numpy())
        for xb, yb in torch_data.make_loader(x, y, spec, 3, seed=5, epoch=1)
    ]
    out["gluon loader"] = [
        _sha(xb.asnumpy()) + _sha(yb.asnumpy())
        for xb, yb in gluon_data.make_loader(x, y, spec, 3, seed=5, epoch=1)
    ]
    ttrain.seed_all(3)
    out["torch init"] = _sha(
        np.concatenate(
            [v.numpy().ravel() for v in models_torch.resnet18(10, 3, 8).state_dict().values()]
        )
    )
    gtrain.seed_all(3)
    net = gtrain.prepare(models_gluon.resnet18(10, 3, 8), gtrain.devices("cpu"), hybridize=False)
    out["gluon init"] = _sha(
        np.concatenate([p.data().asnumpy().ravel() for p in net.collect_params().values()])
    )
    return json.loads(json.dumps(out))


PROBE = "import json; from tests.test_seeds import probe; print(json.dumps(probe()))"


def test_the_same_seed_gives_the_same_params_and_outputs_in_fresh_processes() -> None:
    pytest.importorskip("torchvision")
    require_mxnet()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", PROBE],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=REPO,
            env={**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(REPO)},
        )
        for hash_seed in ("0", "4242")
    ]
    here = probe()
    runs = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr.decode()
        runs.append(json.loads(stdout.decode().splitlines()[-1]))
    for run in runs:
        assert run.keys() == here.keys()
        for key in here:
            assert run[key] == here[key], key
    # the probe sees the seed: another one changes params, outputs and weights
    spec = augspec.validate_data(RICH)
    assert augspec.sample(spec, 6, 0, 0, (40, 48)) != here["params"][0]


# ---------------------------------------------------------------- loaders


def _torch_batches(spec: Any, workers: int, epoch: int, **kw: Any) -> list[tuple[Any, Any]]:
    from augspec.trainers import torch_data

    x, y = _data()
    loader = torch_data.make_loader(x, y, spec, BATCH, workers=workers, seed=9, epoch=epoch, **kw)
    return [(xb.numpy().copy(), yb.numpy().astype(np.int64)) for xb, yb in loader]


def _gluon_batches(spec: Any, workers: int, epoch: int, **kw: Any) -> list[tuple[Any, Any]]:
    from augspec.trainers import gluon_data

    x, y = _data()
    loader = gluon_data.make_loader(x, y, spec, BATCH, workers=workers, seed=9, epoch=epoch, **kw)
    return [(xb.asnumpy(), yb.asnumpy().astype(np.int64)) for xb, yb in loader]


def _assert_equal_batches(a: list, b: list) -> None:
    assert len(a) == len(b) == -(-N // BATCH)
    for (xa, ya), (xb, yb) in zip(a, b, strict=True):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)


@pytest.mark.parametrize("loader", ["torch", "gluon"])
def test_loader_batches_are_the_same_with_0_and_2_workers_in_spec_fidelity(loader: str) -> None:
    pytest.importorskip("torchvision")
    if loader == "gluon":
        require_mxnet()
    batches = _torch_batches if loader == "torch" else _gluon_batches
    epochs = [batches(RICH, 0, epoch, fidelity="spec") for epoch in (0, 1)]
    for epoch, zero in enumerate(epochs):
        _assert_equal_batches(zero, batches(RICH, 2, epoch, fidelity="spec"))
    # a new epoch is a new draw (same images, other order and augmentations)
    assert not np.array_equal(epochs[0][0][0], epochs[1][0][0])


def test_torch_and_gluon_loaders_give_the_same_batches_on_the_reference() -> None:
    pytest.importorskip("torchvision")
    require_mxnet()
    for workers in (0, 2):
        _assert_equal_batches(
            _torch_batches(RICH, workers, 1, backend="reference"),
            _gluon_batches(RICH, 0, 1, backend="reference"),
        )


def _spec_tolerance(backend: str, op: str) -> float:
    """The backend's stated spec-fidelity max difference to the reference for ``op`` (0-255)."""
    return float(_backend(backend).tolerance(op).max)


def _backend(name: str) -> Any:
    from augspec.backends import load

    return load(name)


def test_torch_and_gluon_loaders_agree_within_the_stated_tolerances_in_spec_fidelity() -> None:
    pytest.importorskip("torchvision")
    require_mxnet()
    spec = augspec.validate_data(COLOR_CROP)
    # Flips and crops move pixels exactly; brightness and the bilinear resize are each within
    # their stated tolerance of the reference on both sides, and the resize's weights are a
    # convex combination, so a difference never grows: the sum of the stated tolerances bounds it.
    bound = sum(
        _spec_tolerance("torchvision", op.op) + _spec_tolerance("gluon", op.op)
        for op in spec.flat_ops()
    )
    tv = _torch_batches(COLOR_CROP, 0, 0, fidelity="spec")
    gl = _gluon_batches(COLOR_CROP, 2, 0, fidelity="spec")
    assert len(tv) == len(gl)
    diffs = []
    for (xa, ya), (xb, yb) in zip(tv, gl, strict=True):
        np.testing.assert_array_equal(ya, yb)
        diffs.append(np.abs(xa.astype(np.float64) - xb) * 255)
    diff = np.concatenate([d.ravel() for d in diffs])
    print(f"torch vs gluon loaders, spec fidelity: max {diff.max():.3f}, mean {diff.mean():.5f}")
    assert diff.max() <= bound + 1e-3, (diff.max(), bound)
