"""The d2l ResNet-18 in torch and Gluon: same architecture, weight transfer, same logits and gradients.

Tolerances (measured on CPU, width 16, 32x32 inputs, batch 8):

- float64 on both sides: gradients agree to 3.5e-15 (relative L2 over all
  parameters), loss exactly: the two networks compute the same function.
- float32: loss within 2e-6, logits within ~7e-5 (eval mode). Gradients agree
  to ~3e-6 relative L2 -- unless some ReLU input lies within float32 rounding
  of zero, where one framework passes the gradient and the other does not: in
  the batch below one of 65,536 first-stage activations flips, which gives a
  relative L2 gradient difference of 8.5e-4 (max |diff| 1.6e-3 against a
  largest gradient of 1.0). Tests allow: float64 1e-10; float32 loss 1e-5,
  logits 1e-3, gradients 1e-2 relative L2.
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
from augspec.trainers import models_gluon, models_torch, transfer  # noqa: E402

WIDTH = 16
LOGIT_ATOL = 1e-3
GRAD_RTOL_F32 = 1e-2
GRAD_RTOL_F64 = 1e-10


def _pair(width: int = WIDTH) -> tuple[Any, Any]:
    tnet = models_torch.resnet18(10, 3, width)
    gnet = models_gluon.initialize_net(models_gluon.resnet18(10, 3, width))
    transfer.torch_to_gluon(tnet, gnet)
    return tnet, gnet


def _batch(n: int = 8, size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    return rng.standard_normal((n, 3, size, size)).astype(np.float32), rng.integers(0, 10, n)


def test_parameter_counts_match_and_are_the_chapters() -> None:
    for width in (64, WIDTH):
        tnet = models_torch.resnet18(10, 3, width)
        gnet = models_gluon.initialize_net(models_gluon.resnet18(10, 3, width))
        assert models_torch.count_parameters(tnet) == models_gluon.count_parameters(gnet)
    # The chapter's network: 11.18M parameters (d2l resnet18(10, 3), convs with bias).
    assert models_torch.count_parameters(models_torch.resnet18()) == 11_176_970
    names = [n for n, _ in transfer.torch_arrays(models_torch.resnet18(10, 3, WIDTH))]
    assert len(names) == len(transfer.gluon_arrays(_pair()[1]))


def _loss_and_grads(tnet: Any, gnet: Any, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Loss difference and relative L2 gradient difference after one forward/backward on each side."""
    loss_t = torch.nn.functional.cross_entropy(
        tnet.train()(torch.from_numpy(x)), torch.from_numpy(y)
    )
    loss_t.backward()
    dtype = str(x.dtype)
    with mx.autograd.record():
        logits_g = gnet(mx.nd.array(x, dtype=dtype))
        loss_g = mx.gluon.loss.SoftmaxCrossEntropyLoss()(
            logits_g, mx.nd.array(y, dtype=dtype)
        ).mean()
    loss_g.backward()
    grads_t = [p.grad.numpy() for p in tnet.parameters()]
    grads_g = [p.grad().asnumpy() for p in gnet.collect_params().values() if p.grad_req != "null"]
    diff = np.concatenate([(a - b).ravel() for a, b in zip(grads_t, grads_g, strict=True)])
    whole = np.concatenate([a.ravel() for a in grads_t])
    rel_l2 = np.linalg.norm(diff) / np.linalg.norm(whole)
    return abs(loss_t.item() - float(loss_g.asscalar())), float(rel_l2)


def test_same_weights_give_same_gradients_in_float64() -> None:
    tnet, gnet = _pair()
    tnet = tnet.double()
    gnet.cast("float64")
    x, y = _batch()
    loss_diff, rel_l2 = _loss_and_grads(tnet, gnet, x.astype(np.float64), y)
    assert loss_diff < 1e-12
    assert rel_l2 <= GRAD_RTOL_F64, f"relative L2 gradient difference {rel_l2:.3g}"


def test_same_weights_give_same_logits_and_gradients() -> None:
    tnet, gnet = _pair()
    x, y = _batch()
    loss_diff, rel_l2 = _loss_and_grads(tnet, gnet, x, y)
    assert loss_diff < 1e-5
    assert rel_l2 <= GRAD_RTOL_F32, f"relative L2 gradient difference {rel_l2:.3g}"
    # Evaluation mode: running statistics travel with the weights.
    with torch.no_grad():
        eval_t = tnet.eval()(torch.from_numpy(x)).numpy()
    transfer.torch_to_gluon(
        tnet, gnet
    )  # the train step moved both sides' BN statistics differently
    eval_g = gnet(mx.nd.array(x)).asnumpy()
    np.testing.assert_allclose(eval_t, eval_g, atol=LOGIT_ATOL, rtol=0)


def test_transfer_round_trip_is_exact_including_bn_statistics() -> None:
    gnet = models_gluon.initialize_net(models_gluon.resnet18(10, 3, WIDTH))
    rng = np.random.default_rng(2)
    for p in gnet.collect_params().values():  # non-trivial running stats, gammas, biases
        p.set_data(mx.nd.array(rng.uniform(0.5, 1.5, p.shape).astype(np.float32)))
    tnet = models_torch.resnet18(10, 3, WIDTH)
    transfer.gluon_to_torch(gnet, tnet)
    back = models_gluon.initialize_net(models_gluon.resnet18(10, 3, WIDTH))
    transfer.torch_to_gluon(tnet, back)
    for (_, a), (_, b) in zip(
        transfer.gluon_arrays(gnet), transfer.gluon_arrays(back), strict=True
    ):
        np.testing.assert_array_equal(a, b)
    running = [n for n, _ in transfer.torch_arrays(tnet) if "running_var" in n]
    assert running and not np.allclose(tnet.state_dict()[running[0]].numpy(), 1.0)


def test_transfer_refuses_other_architectures() -> None:
    tnet = models_torch.resnet18(10, 3, 8)
    gnet = models_gluon.initialize_net(models_gluon.resnet18(10, 3, WIDTH))
    with pytest.raises(ValueError, match="Expected matching shapes"):
        transfer.torch_to_gluon(tnet, gnet)
    gnet5 = models_gluon.initialize_net(models_gluon.resnet18(5, 3, 8))
    with pytest.raises(ValueError, match="Expected matching shapes"):
        transfer.gluon_to_torch(gnet5, tnet)


@pytest.mark.parametrize("side", ["torch", "gluon"])
def test_initialisation_is_xavier_uniform_with_zero_biases(side: str) -> None:
    if side == "torch":
        arrays = transfer.torch_arrays(models_torch.resnet18(10, 3, WIDTH))
    else:
        arrays = transfer.gluon_arrays(
            models_gluon.initialize_net(models_gluon.resnet18(10, 3, WIDTH))
        )
    checked = 0
    for name, a in arrays:
        if a.ndim in (2, 4):  # conv / dense weights
            receptive = int(np.prod(a.shape[2:])) if a.ndim == 4 else 1
            bound = math.sqrt(6 / ((a.shape[0] + a.shape[1]) * receptive))
            assert np.abs(a).max() <= bound
            if a.size >= 2000:  # uniform on [-b, b]: std b/sqrt(3)
                assert abs(a.std() / (bound / math.sqrt(3)) - 1) < 0.1, name
                checked += 1
        elif name.endswith(("bias", "beta", "running_mean")):
            assert not a.any(), name
        else:  # gamma / BN weight, running_var
            assert np.all(a == 1), name
    assert checked > 10


def test_bn_running_variance_differs_by_bessels_correction() -> None:
    """Measured semantic difference: torch keeps the unbiased batch variance, MXNet the biased one."""
    tbn = torch.nn.BatchNorm2d(4, momentum=0.1)
    gbn = mx.gluon.nn.BatchNorm(momentum=0.9, in_channels=4)
    gbn.initialize()
    x = np.random.default_rng(3).normal(1.0, 3.0, (6, 4, 5, 5)).astype(np.float32)
    tbn.train()(torch.from_numpy(x))
    with mx.autograd.record():
        out = gbn(mx.nd.array(x))
    out.backward()  # MXNet updates its running statistics in the backward pass
    n = x.shape[0] * x.shape[2] * x.shape[3]
    batch_t = (np.asarray(tbn.running_var) - 0.9) / 0.1
    batch_g = (gbn.running_var.data().asnumpy() - 0.9) / 0.1
    np.testing.assert_allclose(batch_t, batch_g * n / (n - 1), rtol=1e-5)
    np.testing.assert_allclose(
        np.asarray(tbn.running_mean), gbn.running_mean.data().asnumpy(), rtol=1e-5, atol=1e-6
    )
