"""Random mutations of valid replay params: refused with one message everywhere, or replayed
alike.

Each mutation (delete a key, NaN/inf/huge/wrong-typed values, negate, scale, shift a box, edit
``image_size`` and the image) is either refused with the same one-line ValueError on every
installed backend, or replays on every backend within its stated tolerance of the reference
(fidelity "spec"; "native" must still run). The table of hand-written hostile edits is
tests/test_param_checks.py.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from augspec.benchmarks.torch_cases import as_255
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import augspec
from augspec.images import load_image
from augspec.sampling import check_replay

from .op_cases import spec_tolerance, substitutes_an_op
from .test_param_checks import BACKENDS, HW, INF, NAN, SPEC, _expected, _load, _messages, _paths


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of every value in the params (dict entries and list items), containers included."""
    out = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _leaves(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _leaves(value, (*path, i))
    return out


def _get(node: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        node = node[key]
    return node


NUMBERS = [NAN, INF, -INF, 1e10, -1e10, 1e300, 0, 0.0, -1, 3, 25, 0.5, 1.7]
REPLACEMENTS = [*NUMBERS, True, False, None, "1", [], {}]  # and the wrong types
KINDS = ("delete", "replace", "negate", "scale", "shift", "image_size")


@st.composite
def mutations(
    draw: st.DrawFn, params: dict[str, Any]
) -> tuple[str, dict[str, Any], tuple[int, int]]:
    """(what was done, the mutated params, the image size to replay on); the choices come
    from one drawn ``random.Random`` so that every kind and place is drawn about as often."""
    r = draw(st.randoms(use_true_random=False))
    p = copy.deepcopy(params)
    hw = HW
    kind = r.choice(KINDS)
    leaves = _leaves(p)
    in_ops = [leaf for leaf in leaves if leaf[0] == "ops" and len(leaf) > 1]
    path = r.choice(in_ops if r.random() < 0.8 else leaves)  # mostly the ops' own params
    parent, key = _get(p, path[:-1]), path[-1]
    value = parent[key]
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "delete":
        del parent[key]
    elif kind == "image_size":  # and an image of that size, as a hostile user would
        hw = (r.randint(8, 24), r.randint(8, 24))
        p["image_size"] = list(hw)
    elif kind == "replace" or not number:
        parent[key] = copy.deepcopy(r.choice(REPLACEMENTS))
    elif kind == "negate":
        parent[key] = -value
    elif kind == "scale":
        parent[key] = value * r.choice([1e6, 2.0, 0.5, 1e-6])
    elif isinstance(value, int):  # shift: a box by a few pixels
        parent[key] = value + r.randint(-4, 4)
    else:  # shift: a factor by a little
        parent[key] = value + r.uniform(-0.3, 0.3)
    return f"{kind} {'.'.join(map(str, path))}", p, hw


# One op per unit (a container with its children), as tests/test_contract.py holds backends to
# the tolerance of one op: differences do not add up through a chain of ops.
UNITS = [
    *(augspec.Pipeline(ops=[op]) for op in SPEC.ops[:-2]),
    augspec.validate_data(
        {
            "augspec": 1,
            "ops": [{"op": "to_tensor"}, {"op": "normalize", "mean": [0.5], "std": [1.0]}],
        }
    ),
]


def test_torchvision_rrc_holds_its_mean_tolerance_on_a_sampled_small_box() -> None:
    if "torchvision" not in BACKENDS:
        pytest.skip("needs torchvision")
    spec = UNITS[3]
    box = {"op": "random_resized_crop", "top": 0, "left": 7, "height": 16, "width": 13}
    p = {"image_size": list(HW), "ops": [box]}
    x = np.ascontiguousarray(load_image()[100 : 100 + HW[0], 300 : 300 + HW[1]])
    # the sampler draws such boxes: area 0.65 of the image, aspect 13/16, inside scale and ratio
    assert 0.2 <= 16 * 13 / (HW[0] * HW[1]) <= 1 and 0.5 <= 13 / 16 <= 2
    tv = _load("torchvision")
    diff = np.abs(as_255(tv.to_numpy(tv.replay(spec, p, x, "native"))) - augspec.replay(spec, p, x))
    assert tv.tolerance(spec.ops[0]).allows(float(diff.max()), float(diff.mean()))


@pytest.fixture(scope="module")
def modules() -> dict[str, Any]:
    return {name: _load(name) for name in BACKENDS}


@pytest.fixture(scope="module")
def unit_paths() -> list[dict[str, Any]]:
    return [_paths(spec) for spec in UNITS]


@settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=st.data())
def test_mutated_params_are_refused_alike_or_replay_within_tolerance(
    data: st.DataObject, unit_paths: list[dict[str, Any]], modules: dict[str, Any]
) -> None:
    k = data.draw(st.integers(0, len(UNITS) - 1), label="unit")
    spec, paths = UNITS[k], unit_paths[k]
    params = augspec.sample(spec, seed=k, index=1, image_size=HW)
    what, p, hw = data.draw(mutations(params), label="mutation")
    x = np.ascontiguousarray(load_image()[100 : 100 + hw[0], 300 : 300 + hw[1]])
    try:
        check_replay(spec, p, hw)
    except ValueError as err:
        expected = str(err)
        event(f"refused: {expected.split(':')[0]}")
        assert "Expected" in expected and "\n" not in expected
        for name, message in _messages(paths, p, x).items():
            assert message == _expected(name, expected), (what, name, message)
        return
    event(f"replayed: {what.split(' ')[0]}")
    ref = as_255(augspec.replay(spec, p, x))
    assert np.isfinite(ref).all(), what
    outputs = {name: fn(p, x) for name, fn in paths.items() if name != "reference"}
    for name, out in outputs.items():
        backend, _, fidelity = name.partition("/")
        got = as_255(out)
        assert got.shape == ref.shape and np.isfinite(got).all(), (what, name)
        module = modules[backend.split(" ")[0]]
        if fidelity != "native" or not substitutes_an_op(module, spec):  # as tests/test_contract.py
            diff = np.abs(got - ref)
            tol = spec_tolerance(module, spec)
            assert tol.allows(float(diff.max()), float(diff.mean())), (
                what,
                name,
                float(diff.max()),
                float(diff.mean()),
                tol,
            )
