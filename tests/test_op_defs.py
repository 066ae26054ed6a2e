"""One definition per op: every op has one OpDef with its model, aliases, sampler, reference
kernel, parity edge cases and output size, and the registry is built from these alone."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import augspec
from augspec import reference
from augspec.ops import (
    ALIASES,
    FACTS,
    MODEL_BY_NAME,
    OP_NAMES,
    OPS,
    AnyOp,
    OpDef,
    build_registry,
)
from augspec.ops.base import DEFINITION, Numerics, to_uint8
from augspec.ops.colour import adjust_saturation, blend
from augspec.ops.resize import resample_matrix
from augspec.parity import verdicts
from augspec.parity.cases import make_cases
from augspec.parity.models import MODELS, model_replay
from augspec.parity.units import collect_units
from augspec.sampling import generator
from tests.op_cases import OP_CASES, pipeline_for

HW = (37, 44)  # every first case of op_cases fits (random_crop: 32 with padding 4)


def test_every_op_has_exactly_one_definition() -> None:
    assert tuple(OPS) == OP_NAMES
    for name, opdef in OPS.items():
        assert isinstance(opdef, OpDef) and opdef.name == name
        assert MODEL_BY_NAME[name] is opdef.model
        assert opdef.model.model_fields["op"].default == name
        assert callable(opdef.sample) and callable(opdef.reference) and callable(opdef.output_hw)
        assert reference.RECORDS[name].kernel is opdef.reference


def test_aliases_come_from_the_definitions_and_load() -> None:
    assert {a: d.name for d in OPS.values() for a in d.aliases} == ALIASES
    for name, opdef in OPS.items():
        assert opdef.aliases, f"{name} has no framework class name"
        for alias in opdef.aliases:
            spec = augspec.validate_data(pipeline_for(OP_CASES[name][0] | {"op": alias}))
            assert spec.ops[-1].op == name


@pytest.mark.parametrize("name", OP_NAMES)
def test_each_definition_samples_replays_and_sizes_its_op(name: str) -> None:
    spec = augspec.validate_data(pipeline_for(OP_CASES[name][0]))
    op = spec.ops[-1]
    opdef = OPS[name]
    params = augspec.sample(spec, 3, 0, 1, HW)
    own = opdef.sample(op, generator(3, 0, 1), HW)
    if len(spec.ops) == 1:  # the definition's sampler is what augspec.sample draws
        assert params["ops"][-1] == {"op": name, **own}
    image = np.random.default_rng(0).integers(0, 256, (*HW, 3), dtype=np.uint8)
    out = augspec.replay(spec, params, image, backend="reference")
    x = (
        image
        if len(spec.ops) == 1
        else reference.replay(
            spec.model_copy(update={"ops": spec.ops[:-1]}),
            {**params, "ops": params["ops"][:-1]},
            image,
        )
    )
    assert np.array_equal(opdef.reference(op, params["ops"][-1], x, "native"), out)
    if out.ndim == 3 and out.dtype == np.uint8:
        assert opdef.output_hw(op, HW) == out.shape[:2]


@pytest.mark.parametrize("name", OP_NAMES)
def test_ops_with_params_have_parity_edge_cases(name: str) -> None:
    spec = augspec.validate_data(pipeline_for(OP_CASES[name][0]))
    op = spec.ops[-1]
    drawn = augspec.sample(spec, 0, 0, 0, HW)["ops"][-1]
    edges = OPS[name].edge_params(op, HW)
    if set(drawn) - {"op", "ops"}:  # a container's children are units of their own
        assert edges, f"{name} draws params but has no parity edge case"
    for label, params in edges:
        assert label and set(params) <= set(drawn), (label, params)
    (unit,) = [u for u in collect_units([("case", spec)]) if u.op == op]
    cases = make_cases(unit, HW, 2, 0)
    for case in cases[1:]:
        if case.kind == "edge":  # every edge case replays on the reference
            image = np.zeros((*case.image_hw, 3), dtype=np.uint8)
            reference.replay(unit.pipeline, case.params, image)


def test_a_second_definition_of_an_op_or_an_alias_is_refused() -> None:
    flip = OPS["horizontal_flip"]
    with pytest.raises(
        ValueError, match="Expected one OpDef per op; received a second for op='horizontal_flip'"
    ):
        build_registry([flip, dataclasses.replace(flip, aliases=())])
    with pytest.raises(ValueError, match="alias='RandomFlipLeftRight' for op='vertical_flip'"):
        build_registry(
            [flip, dataclasses.replace(OPS["vertical_flip"], aliases=("RandomFlipLeftRight",))]
        )
    with pytest.raises(ValueError, match="Expected the model of op 'flip' to be tagged 'flip'"):
        dataclasses.replace(flip, name="flip")


def test_the_union_holds_every_model() -> None:
    for name in OP_NAMES:
        spec = augspec.validate_data(pipeline_for(OP_CASES[name][0]))
        assert isinstance(spec.ops[-1], OPS[name].model)
    assert AnyOp is not None


def test_facts_live_with_their_ops() -> None:
    assert verdicts.FACTS[: len(FACTS)] == FACTS
    for fact in FACTS:
        assert set(fact.ops) <= set(OP_NAMES), fact


def test_models_pass_numerics_and_patch_nothing() -> None:
    """The parity models are the reference under other Numerics; no module global changes."""
    before = (reference.to_uint8, reference.resample_matrix, dict(reference.COLOR_ADJUST))
    image = np.random.default_rng(1).integers(0, 256, (9, 11, 3), dtype=np.uint8)
    spec = augspec.loads("augspec: 1\nops:\n  - {op: saturation, factor: [1.7, 1.7]}\n")
    params = augspec.sample(spec, 0, image_size=(9, 11))
    out = model_replay(MODELS["blue_grey"], spec, params, image)
    grey = image[..., 2:3].astype(np.float64) * 0.114
    expected = np.clip(1.7 * image.astype(np.float64) - 0.7 * grey, 0, 255).astype(np.uint8)
    assert np.array_equal(out, expected)
    assert np.array_equal(
        model_replay(MODELS["truncate"], spec, params, image),
        adjust_saturation(image, 1.7, MODELS["truncate"].numerics.rounding),
    )
    assert np.array_equal(
        reference.replay(spec, params, image), blend(image, reference.gray(image), 1.7)
    )
    assert (reference.to_uint8, reference.resample_matrix, dict(reference.COLOR_ADJUST)) == before
    assert Numerics() == DEFINITION and DEFINITION.rounding is to_uint8
    # no antialias: shrinking 12 -> 4 keeps the unwidened triangle (at most 2 taps per output)
    assert (resample_matrix(12, 4, "bilinear", antialias=False) > 0).sum(1).max() <= 2
    assert (resample_matrix(12, 4, "bilinear") > 0).sum(1).min() > 2
