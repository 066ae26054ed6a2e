"""Trainer parity: torch vs Gluon, and 2 devices vs 1, from transferred weights on the same batches.

Setup: the d2l ResNet-18 at width 16 (every layer kept; 0.70M parameters),
32x32 SYNTHETIC images, batch 16, K=4 Adam steps at lr 1e-4, batches
augmented by ``data.augment_batch`` (flip spec replayed on the reference).

Measured on CPU (2 cores), printed by the tests with ``-s`` (K=4 unless noted):

- torch (``adam="mxnet"``) vs Gluon: |loss diff| per step 7e-7, 7.4e-5,
  4.1e-5, 3.6e-5; weights: relative L2 of the difference / L2 of the change
  0.034. The floor from float32 rounding alone (torch vs torch with weights
  perturbed by 1e-7 relative, 5 steps): 4e-6 loss, 0.0065 weights. Adam
  amplifies rounding: a parameter whose true gradient is 0 (the conv biases
  just before BatchNorm) or tiny moves by ~lr per step in a direction set by
  rounding noise, and a ReLU input within rounding of 0 passes its gradient
  on one side only (see test_models). At lr 1e-3 (5 steps) the same run gives
  0.012 loss / 0.15 weights (floor 2e-3 / 0.032): the trajectories stay
  together but not bit-close. Tolerances: loss 2e-3 per step, weights 0.2.
- ``torch.optim.Adam`` (epsilon after bias correction) instead of
  ``MXNetAdam``, 5 steps: loss diff 3.3e-4, weights 0.041 vs Gluon (0.038
  with MXNetAdam) -- the epsilon placement is small next to rounding here.
- Gluon on 2 CPU contexts vs 1: BatchNorm uses each device's shard (8
  images) statistics, so a 2-device run is NOT the 1-device run: |loss diff|
  per step 0.056, 0.054, 0.119, 0.038; weights 1.03 relative. It IS exactly
  the 1-device run that processes the two shards one after the other (same
  per-shard BN): loss and weights differ by 0 -- tested within 1e-5.
- torch DDP on 2 gloo processes (1 thread each) vs 1 process over the same
  two shards at 1 thread: loss and weights differ by 0 (tested within 1e-5);
  with the 1-process run at 2 threads, conv summation order changes and
  Adam amplifies it to |loss diff| 3e-4 by step 4 (rounding, not a bug); vs Gluon on 2 contexts:
  loss 6.2e-5, weights 0.015 (tested within the torch-vs-Gluon tolerances).
"""

from __future__ import annotations

import importlib.util
import math
import warnings
from typing import Any

import numpy as np
import pytest

if importlib.util.find_spec("torch") is None or importlib.util.find_spec("mxnet") is None:
    pytest.skip(
        "needs torch and mxnet (pip install 'augspec[torch,mxnet]')", allow_module_level=True
    )
with warnings.catch_warnings():
    # mxnet's import touches numpy names removed since (DeprecationWarning); importing it through
    # gluon_mx (not importorskip) gives torch its thread count back.
    warnings.simplefilter("ignore", DeprecationWarning)
    from augspec.backends.gluon_mx import mx  # noqa: E402
import torch  # noqa: E402
from augspec.trainers import gluon as gtrain  # noqa: E402
from augspec.trainers import models_gluon, models_torch, transfer  # noqa: E402
from augspec.trainers import torch as ttrain  # noqa: E402
from augspec.trainers.cifar import synthetic_cifar  # noqa: E402
from augspec.trainers.data import augment_batch, batches  # noqa: E402

import augspec  # noqa: E402

WIDTH, BATCH, STEPS, LR = 16, 16, 4, 1e-4
LOSS_TOL, WEIGHT_REL_TOL = 2e-3, 0.2
SHARD_TOL = 1e-5
FLIP = {"augspec": 1, "ops": [{"op": "horizontal_flip", "p": 0.5}, {"op": "to_tensor"}]}


@pytest.fixture(scope="module")
def steps_data() -> list[tuple[np.ndarray, np.ndarray]]:
    spec = augspec.validate_data(FLIP)
    data = synthetic_cifar(STEPS * BATCH, seed=0)
    return [
        (augment_batch(spec, data.train_x[idx], 0, 0, idx, backend="reference"), data.train_y[idx])
        for idx in batches(STEPS * BATCH, BATCH, seed=0, epoch=0)
    ]


@pytest.fixture(scope="module")
def initial_state() -> dict[str, Any]:
    torch.manual_seed(0)
    return models_torch.resnet18(10, 3, WIDTH).state_dict()


def _torch_net(state: dict[str, Any]) -> Any:
    net = models_torch.resnet18(10, 3, WIDTH)
    net.load_state_dict(state)
    return net


def _gluon_net(state: dict[str, Any], devs: list[Any]) -> Any:
    net = gtrain.prepare(models_gluon.resnet18(10, 3, WIDTH), devs)
    transfer.torch_to_gluon(_torch_net(state), net)
    return net


def _run_torch(state: dict[str, Any], data: list, adam: str = "mxnet") -> tuple[np.ndarray, list]:
    net = _torch_net(state)
    trainer, loss, devs = (
        ttrain.make_trainer(net, LR, adam),
        ttrain.make_loss(),
        ttrain.devices("cpu"),
    )
    losses = [ttrain.train_batch(net, x, y, loss, trainer, devs)[0] / len(y) for x, y in data]
    return np.array(losses), _weights(transfer.torch_arrays(net))


def _run_gluon(state: dict[str, Any], data: list, devices: str = "cpu") -> tuple[np.ndarray, list]:
    devs = gtrain.devices(devices)
    net = _gluon_net(state, devs)
    trainer, loss = gtrain.make_trainer(net, LR), gtrain.make_loss()
    losses = [gtrain.train_batch(net, x, y, loss, trainer, devs)[0] / len(y) for x, y in data]
    return np.array(losses), _weights(transfer.gluon_arrays(net))


def _weights(arrays: list[tuple[str, np.ndarray]]) -> list[np.ndarray]:
    """Trainable arrays only (BN running statistics follow other rules; see test_models)."""
    return [a for name, a in arrays if "running" not in name]


def _rel(a: list[np.ndarray], b: list[np.ndarray], start: list[np.ndarray]) -> float:
    """L2 of (a - b) over L2 of how far training moved the weights."""
    num = sum(float(((x - y) ** 2).sum()) for x, y in zip(a, b, strict=True))
    den = sum(float(((x - s) ** 2).sum()) for x, s in zip(a, start, strict=True))
    return math.sqrt(num / den)


def _start(state: dict[str, Any]) -> list[np.ndarray]:
    return _weights(transfer.torch_arrays(_torch_net(state)))


def test_torch_and_gluon_trainers_match_after_k_steps(
    steps_data: list, initial_state: dict
) -> None:
    loss_t, w_t = _run_torch(initial_state, steps_data)
    loss_g, w_g = _run_gluon(initial_state, steps_data)
    rel = _rel(w_t, w_g, _start(initial_state))
    print(
        f"\ntorch vs gluon, {STEPS} steps: |loss diff| per step {np.abs(loss_t - loss_g)}, weights rel {rel:.3g}"
    )
    assert abs(loss_t[0] - loss_g[0]) < 1e-5  # identical weights: same loss before any update
    assert np.abs(loss_t - loss_g).max() < LOSS_TOL
    assert rel < WEIGHT_REL_TOL


def _sequential_shards_gluon(state: dict[str, Any], data: list, n: int) -> tuple[np.ndarray, list]:
    """One context doing what n devices do: per-shard forward (own BN stats), summed grads, one step."""
    devs = gtrain.devices("cpu")
    net = _gluon_net(state, devs)
    trainer, loss = gtrain.make_trainer(net, LR), gtrain.make_loss()
    losses = []
    for x, y in data:
        shards = np.array_split(np.arange(len(y)), n)
        with mx.autograd.record():
            ls = [
                loss(net(mx.nd.array(x[s])), mx.nd.array(y[s].astype(np.float32))) for s in shards
            ]
        mx.autograd.backward(ls)
        trainer.step(len(y))
        losses.append(sum(float(lo.sum().asscalar()) for lo in ls) / len(y))
    return np.array(losses), _weights(transfer.gluon_arrays(net))


def test_gluon_two_cpu_contexts_equal_one_context_over_the_same_shards(
    steps_data: list, initial_state: dict
) -> None:
    loss_2, w_2 = _run_gluon(initial_state, steps_data, "cpu:2")
    loss_s, w_s = _sequential_shards_gluon(initial_state, steps_data, 2)
    loss_1, w_1 = _run_gluon(initial_state, steps_data, "cpu")
    start = _start(initial_state)
    print(
        f"\ngluon cpu:2 vs sequential shards: loss {np.abs(loss_2 - loss_s).max():.3g}, weights rel {_rel(w_2, w_s, start):.3g};"
        f" cpu:2 vs cpu (per-device BN): loss {np.abs(loss_2 - loss_1)}, weights rel {_rel(w_2, w_1, start):.3g}"
    )
    assert np.abs(loss_2 - loss_s).max() < SHARD_TOL
    assert max(float(np.abs(a - b).max()) for a, b in zip(w_2, w_s, strict=True)) < SHARD_TOL
    # BatchNorm statistics are per device: the first loss already differs from the full-batch one.
    assert abs(loss_2[0] - loss_1[0]) > 1e-4


def _sequential_shards_torch(state: dict[str, Any], data: list, n: int) -> tuple[np.ndarray, list]:
    net = _torch_net(state)
    trainer, loss = ttrain.make_trainer(net, LR), ttrain.make_loss()
    net.train()
    losses = []
    for x, y in data:
        trainer.zero_grad()
        total = 0.0
        for s in np.array_split(np.arange(len(y)), n):
            per_sample = loss(net(torch.from_numpy(x[s])), torch.from_numpy(y[s]))
            (per_sample.mean() / n).backward()  # DDP: mean over the shard, averaged over ranks
            total += float(per_sample.detach().sum())
        trainer.step()
        losses.append(total / len(y))
    return np.array(losses), _weights(transfer.torch_arrays(net))


def test_torch_ddp_two_gloo_processes_equal_one_process(
    steps_data: list, initial_state: dict, tmp_path
) -> None:
    from augspec.trainers.ddp import spawn_steps

    torch.save(initial_state, tmp_path / "init.pt")
    np.savez(tmp_path / "data.npz", **{f"X{k}": x for k, (x, _) in enumerate(steps_data)},
             **{f"y{k}": y for k, (_, y) in enumerate(steps_data)})  # fmt: skip
    spawn_steps(
        2, str(tmp_path / "init.pt"), str(tmp_path / "data.npz"), str(tmp_path / "out.npz"), LR
    )
    out = np.load(tmp_path / "out.npz")
    names = [n for n in initial_state if not n.endswith("num_batches_tracked")]
    w_ddp = [out[f"p{i}"] for i, n in enumerate(initial_state) if n in names and "running" not in n]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the ranks' thread count: same summation order, same rounding
    try:
        loss_s, w_s = _sequential_shards_torch(initial_state, steps_data, 2)
    finally:
        torch.set_num_threads(threads)
    loss_g2, w_g2 = _run_gluon(initial_state, steps_data, "cpu:2")
    start = _start(initial_state)
    print(
        f"\ntorch DDP x2 vs 1 process over the same shards: loss {np.abs(out['losses'] - loss_s).max():.3g}, "
        f"weights rel {_rel(w_ddp, w_s, start):.3g}; DDP x2 vs gluon cpu:2: loss "
        f"{np.abs(out['losses'] - loss_g2).max():.3g}, weights rel {_rel(w_ddp, w_g2, start):.3g}"
    )
    assert np.abs(out["losses"] - loss_s).max() < SHARD_TOL
    assert max(float(np.abs(a - b).max()) for a, b in zip(w_ddp, w_s, strict=True)) < SHARD_TOL
    assert np.abs(out["losses"] - loss_g2).max() < LOSS_TOL
    assert _rel(w_ddp, w_g2, start) < WEIGHT_REL_TOL


def test_mxnet_adam_in_torch_is_mxnets_update() -> None:
    rng = np.random.default_rng(4)
    w0 = rng.standard_normal(50).astype(np.float32)
    scale = 10.0 ** rng.uniform(-10, 0, 50)  # per element, from far below epsilon to 1
    grads = [(rng.standard_normal(50) * scale).astype(np.float32) for _ in range(8)]
    tw = torch.nn.Parameter(torch.from_numpy(w0.copy()))
    ref = torch.nn.Parameter(torch.from_numpy(w0.copy()))
    opt, std = ttrain.MXNetAdam([tw], lr=1e-2), torch.optim.Adam([ref], lr=1e-2)
    mw = mx.nd.array(w0)
    mopt = mx.optimizer.Adam(learning_rate=1e-2)
    updater = mx.optimizer.get_updater(mopt)
    for g in grads:
        tw.grad, ref.grad = torch.from_numpy(g), torch.from_numpy(g)
        opt.step()
        std.step()
        updater(0, mx.nd.array(g), mw)
    np.testing.assert_allclose(tw.detach().numpy(), mw.asnumpy(), rtol=0, atol=2e-6)
    # torch.optim.Adam puts epsilon after the bias correction: tiny gradients move differently.
    tiny = scale < 1e-9
    assert tiny.any()
    assert np.abs(ref.detach().numpy() - tw.detach().numpy())[tiny].max() > 1e-3


def test_loss_is_the_batch_mean_on_both_sides(initial_state: dict, steps_data: list) -> None:
    """Gluon: sum backward + step(batch_size); torch: mean backward -> same first update."""
    x, y = steps_data[0]
    _, w_t = _run_torch(initial_state, [(x, y)])
    _, w_g = _run_gluon(initial_state, [(x, y)])
    _, w_g_double = _run_gluon(initial_state, [(np.concatenate([x, x]), np.concatenate([y, y]))])
    start = _start(initial_state)
    assert _rel(w_t, w_g, start) < 0.05
    assert _rel(w_g, w_g_double, start) < 0.05  # a duplicated batch has the same mean gradient


def test_devices_parse_and_refuse() -> None:
    assert [str(d) for d in gtrain.devices("cpu:2")] == ["cpu(0)", "cpu(1)"]
    assert ttrain.devices("cpu") == [torch.device("cpu")]
    with pytest.raises(ValueError, match="DDP"):
        ttrain.devices("cpu:2")
    with pytest.raises(ValueError, match="Expected devices like"):
        gtrain.devices("tpu:0")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (torch sees none)")
def test_torch_train_batch_on_gpus_with_dataparallel(steps_data: list, initial_state: dict) -> None:
    n = torch.cuda.device_count()
    devs = ttrain.devices("cuda:" + ",".join(str(i) for i in range(n)))
    net = ttrain.prepare(_torch_net(initial_state), devs)
    assert isinstance(net, torch.nn.DataParallel) == (n > 1)
    trainer, loss = ttrain.make_trainer(net, LR), ttrain.make_loss()
    losses = [ttrain.train_batch(net, x, y, loss, trainer, devs)[0] / len(y) for x, y in steps_data]
    loss_cpu, _ = _run_torch(initial_state, steps_data)
    assert np.abs(np.array(losses) - loss_cpu).max() < LOSS_TOL * 5
