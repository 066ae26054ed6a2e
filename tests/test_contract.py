"""The backend contract, walked for every op x backend x fidelity.

Fails when a backend lacks a record for an op, when a record's tolerance is not the contract's
type, when a backend does not provide the contract's names, or when ``replay`` departs from the
reference beyond the stated tolerance (fidelity "spec" always; "native" where the op's native
class is kept, i.e. not substituted).
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
import pytest
from augspec.benchmarks.torch_cases import as_255

import augspec
from augspec import backends as backend_registry
from augspec.contract import (
    FIDELITIES,
    Backend,
    OpRecord,
    Tolerance,
    chooses_substitute,
    port_reason,
    record_for,
)
from augspec.images import load_image
from augspec.ops import OP_NAMES
from augspec.pipeline import iter_leaves, trace_hw

from .op_cases import all_cases, pipeline_for, spec_tolerance, substitutes_an_op

ALL_BACKENDS = ("reference", *backend_registry.BACKENDS)
COMPOSITION = ("compose", "random_apply")


def _installed(name: str) -> bool:
    if name == "reference":
        return True
    packages = backend_registry.BACKENDS[name][1]
    return all(importlib.util.find_spec(p) is not None for p in packages)


def _backend(name: str) -> Any:
    if not _installed(name):
        pytest.skip(f"backend {name!r} needs {backend_registry.BACKENDS[name][1]}, not installed")
    return augspec.backend(name)


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    # A real-photo patch with odd sides (odd sizes are where flips and crops part ways).
    return np.ascontiguousarray(load_image()[180:217, 200:245])


@pytest.mark.parametrize("name", ALL_BACKENDS)
def test_backend_provides_the_contract(name: str) -> None:
    module = _backend(name)
    assert isinstance(module, Backend), f"{name} lacks names of augspec.contract.Backend"
    assert name == module.NAME
    assert set(module.RECORDS) == set(OP_NAMES), (
        f"{name}: records missing for {sorted(set(OP_NAMES) - set(module.RECORDS))}, "
        f"unknown records {sorted(set(module.RECORDS) - set(OP_NAMES))}"
    )
    for op, rec in module.RECORDS.items():
        assert isinstance(rec, OpRecord) and rec.op == op
        assert isinstance(rec.tolerance, Tolerance), f"{name}.{op}: tolerance is {rec.tolerance!r}"
        if rec.status == "ported":
            assert rec.why, f"{name}.{op}: a port says why (what the framework lacks)"
        if rec.substitute is not None and rec.build is not None:
            assert rec.substitute.build is not None, (
                f"{name}.{op}: a compiling backend builds its substitute"
            )


def test_unknown_op_lists_what_a_backend_knows() -> None:
    module = augspec.backend("reference")
    with pytest.raises(ValueError, match="known: .*horizontal_flip.*received op='rotate'"):
        record_for(module.NAME, module.RECORDS, "rotate")


def test_unknown_backend_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="Expected backend one of .*received backend='jax'"):
        augspec.compile({"augspec": 1, "ops": [{"op": "horizontal_flip"}]}, backend="jax")


@pytest.mark.parametrize("fidelity", FIDELITIES)
@pytest.mark.parametrize("name", ALL_BACKENDS)
@pytest.mark.parametrize(
    ("op_name", "case"), all_cases(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_replay_agrees_with_the_reference(
    op_name: str, case: dict[str, Any], name: str, fidelity: str, photo: np.ndarray
) -> None:
    module = _backend(name)
    spec = augspec.validate_data(pipeline_for(case))
    hw = (int(photo.shape[0]), int(photo.shape[1]))
    out_shape = trace_hw(spec, hw)[-1]
    tol = spec_tolerance(module, spec)
    held_to_tolerance = fidelity == "spec" or not substitutes_an_op(module, spec)
    for seed in range(3):
        params = augspec.sample(spec, seed=seed, index=seed, image_size=hw)
        ref = as_255(augspec.replay(spec, params, photo))
        out = as_255(module.to_numpy(module.replay(spec, params, photo, fidelity)))
        assert out.shape == ref.shape, (
            f"{name} {op_name} seed {seed}: shape {out.shape} vs {ref.shape}"
        )
        assert tuple(out.shape[:2]) == tuple(out_shape) or tuple(out.shape[1:]) == tuple(out_shape)
        diff = np.abs(out - ref)
        if held_to_tolerance:
            assert tol.allows(float(diff.max()), float(diff.mean())), (
                f"{name} ({fidelity}) {op_name} seed {seed}: max {diff.max():.4g}, "
                f"mean {diff.mean():.4g} beyond {tol}"
            )


@pytest.mark.parametrize("fidelity", FIDELITIES)
@pytest.mark.parametrize("name", [b for b in ALL_BACKENDS if b != "torch-batched"])
@pytest.mark.parametrize(
    ("op_name", "case"), all_cases(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_compile_runs_every_op(
    op_name: str, case: dict[str, Any], name: str, fidelity: str, photo: np.ndarray
) -> None:
    module = _backend(name)
    spec = augspec.validate_data(pipeline_for(case))
    compiled = augspec.compile(spec, backend=name, fidelity=fidelity)
    module.seed(0)
    out = np.asarray(module.to_numpy(compiled(photo)))
    expected = trace_hw(spec, (int(photo.shape[0]), int(photo.shape[1])))[-1]
    assert expected in (tuple(out.shape[:2]), tuple(out.shape[1:]))
    statuses = {b.op: b.status for b in compiled.builds}
    for op in iter_leaves(spec.ops):
        rec = module.RECORDS[op.op]
        if chooses_substitute(rec, op, fidelity):
            want = "substituted"
        elif port_reason(rec, op) is not None:
            want = "ported"  # the native class cannot express these arguments
        else:
            want = rec.status
        assert statuses[op.op] == want, compiled.explain()


def test_sample_compile_and_replay_take_a_pipeline_a_dict_or_a_path(photo: np.ndarray) -> None:
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "examples" / "combined_augs.yaml"
    spec = augspec.load(path)
    data = augspec.io.to_data(spec)
    hw = (int(photo.shape[0]), int(photo.shape[1]))
    drawn = [
        augspec.sample(s, seed=3, index=1, image_size=hw) for s in (spec, data, path, str(path))
    ]
    assert all(p == drawn[0] for p in drawn)
    outs = [augspec.replay(s, drawn[0], photo) for s in (spec, data, path)]
    assert all(np.array_equal(o, outs[0]) for o in outs)
    compiled = augspec.compile(data, backend="reference")
    augspec.backend("reference").seed(3)
    calls = [compiled(photo) for _ in range(2)]
    for k, out in enumerate(calls):  # call k after seed(3) replays the params of index k
        expected = augspec.replay(spec, augspec.sample(spec, seed=3, index=k, image_size=hw), photo)
        assert np.array_equal(out, expected)
    with pytest.raises(ValueError, match="Expected a Pipeline, a dict or a spec file path"):
        augspec.sample(42)
