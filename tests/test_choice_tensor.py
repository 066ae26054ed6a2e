"""random_choice and random_order (augspec/ops/choice.py): sampler, params checks, replay on every
backend (the contract test walks the op cases too), the batched target's grouping and vectorised
sampling, the native/ported classes' own draws, and the round trips through the frameworks."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

import augspec
from augspec.ops.choice import choose

from .conftest import require_mxnet

CHOICE = {
    "op": "random_choice",
    "ops": [
        {"op": "invert", "p": 1.0},
        {"op": "vertical_flip", "p": 1.0},
        {"op": "solarize", "threshold": 100, "p": 1.0},
    ],
    "p": [1.0, 0.0, 3.0],
}
ORDER = {
    "op": "random_order",
    "ops": [
        {"op": "invert", "p": 1.0},
        {"op": "posterize", "bits": 2, "p": 1.0},
        {"op": "equalize", "p": 1.0},
    ],
}


def _spec(*ops: dict[str, Any]) -> Any:
    return augspec.validate_data({"augspec": 1, "ops": list(ops)})


def _image(h: int = 9, w: int = 11, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


# ---- sampler -------------------------------------------------------------------------------


def test_choice_frequencies_follow_the_normalised_weights() -> None:
    spec = _spec(CHOICE)
    drawn = [augspec.sample(spec, seed=3, index=i, image_size=(9, 11)) for i in range(2000)]
    choices = np.array([d["ops"][0]["choice"] for d in drawn])
    assert not np.any(choices == 1)  # weight 0: never chosen
    share = float(np.mean(choices == 0))
    assert abs(share - 0.25) < 0.04, share  # binomial sd 0.0097
    # Every op's params are drawn whatever was chosen (the same draws whatever it decides).
    names = ["invert", "vertical_flip", "solarize"]
    assert all([p["op"] for p in d["ops"][0]["ops"]] == names for d in drawn)


def test_choose_never_picks_a_zero_weight_even_at_the_top() -> None:
    w = np.array([0.3, 0.7, 0.0])
    assert list(choose(w, np.array([0.0, 0.2999, 0.3, 0.9999999999999999]))) == [0, 0, 1, 1]


def test_order_is_a_uniform_permutation() -> None:
    spec = _spec(ORDER)
    perms = [
        tuple(augspec.sample(spec, seed=5, index=i, image_size=(9, 11))["ops"][0]["perm"])
        for i in range(1800)
    ]
    counts = {p: perms.count(p) for p in itertools.permutations(range(3))}
    assert set(perms) == set(counts)
    assert all(abs(c / 1800 - 1 / 6) < 0.035 for c in counts.values()), counts


def test_later_ops_draw_the_same_whatever_the_choice() -> None:
    """The op after a random_choice gets the same draws as after a compose of its ops: the
    container draws its one uniform, then every op's params, whatever it chose."""
    tail = {"op": "contrast", "factor": 0.5}
    spec = _spec(
        {"op": "random_choice", "ops": [{"op": "hue", "factor": 0.1}, {"op": "invert"}]}, tail
    )
    twin = _spec(
        {"op": "random_apply", "p": 0.5, "ops": [{"op": "hue", "factor": 0.1}, {"op": "invert"}]},
        tail,
    )
    for i in range(20):
        a = augspec.sample(spec, seed=1, index=i, image_size=(8, 8))["ops"]
        b = augspec.sample(twin, seed=1, index=i, image_size=(8, 8))["ops"]
        assert a[0]["ops"] == b[0]["ops"] and a[1] == b[1]


# ---- spec checks -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "message"),
    [
        ({**CHOICE, "p": [1.0, 2.0]}, "one weight per op"),
        ({**CHOICE, "p": [0.0, 0.0, 0.0]}, "finite positive sum"),
        ({**CHOICE, "p": [1.0, -1.0, 1.0]}, "greater than or equal to 0"),
        ({"op": "random_choice", "ops": []}, "at least 1 item"),
        ({"op": "RandomOrder", "transforms": [{"op": "to_tensor"}]}, "keep the image state"),
    ],
)
def test_bad_specs_are_refused(op: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _spec(op)


def test_sizes_must_not_depend_on_the_draw() -> None:
    spec = _spec(
        {"op": "random_choice", "ops": [{"op": "center_crop", "size": 4}, {"op": "invert"}]}
    )
    with pytest.raises(ValueError, match="one output size .* 9x11 into 4x4, 9x11"):
        augspec.sample(spec, image_size=(9, 11))
    spec = _spec(
        {"op": "random_order", "ops": [{"op": "invert"}, {"op": "resize", "size": [4, 4]}]}
    )
    with pytest.raises(ValueError, match="keep the image size 9x11 .* resize making it 4x4"):
        augspec.sample(spec, image_size=(9, 11))


@pytest.mark.parametrize(
    ("spec_op", "change", "message"),
    [
        (
            CHOICE,
            {"choice": 1},
            r"choice: Expected the index of an op of positive weight, one of \[0, 2\]",
        ),
        (CHOICE, {"choice": True}, "choice: Expected"),
        (CHOICE, {"choice": 3}, "choice: Expected"),
        (ORDER, {"perm": [0, 0, 1]}, r"perm: Expected a permutation of 0..2"),
        (ORDER, {"perm": [0, 1]}, r"perm: Expected a permutation"),
    ],
)
def test_replay_refuses_params_the_sampler_cannot_draw(
    spec_op: dict[str, Any], change: dict[str, Any], message: str
) -> None:
    spec = _spec(spec_op)
    params = augspec.sample(spec, image_size=(9, 11))
    params["ops"][0].update(change)
    with pytest.raises(ValueError, match=message):
        augspec.replay(spec, params, _image())


def test_replay_names_the_place_of_a_bad_child_param() -> None:
    spec = _spec(CHOICE)
    params = augspec.sample(spec, image_size=(9, 11))
    params["ops"][0]["ops"][2]["apply"] = "yes"
    with pytest.raises(
        ValueError, match=r"ops\[0\] \(random_choice\)\.ops\[2\] \(solarize\)\.apply"
    ):
        augspec.replay(spec, params, _image())


# ---- replay: what each params means, on every backend ----------------------------------------


def _backends() -> list[str]:
    names = ["reference", "torchvision", "torchvision-v2", "torch-batched"]
    try:
        require_mxnet()
        names.append("gluon")
    except pytest.skip.Exception:
        pass
    return names


@pytest.mark.parametrize("fidelity", ["native", "spec"])
def test_every_backend_replays_the_chosen_op_and_order(fidelity: str) -> None:
    image = _image()
    for op in (CHOICE, ORDER):
        spec = _spec(op)
        for i in range(6):
            params = augspec.sample(spec, seed=2, index=i, image_size=(9, 11))
            ref = augspec.replay(spec, params, image)
            inner = params["ops"][0]
            if op is CHOICE:
                k = inner["choice"]
                alone = _spec(CHOICE["ops"][k])
                expected = augspec.replay(alone, {**params, "ops": [inner["ops"][k]]}, image)
            else:
                ordered = _spec(*[ORDER["ops"][j] for j in inner["perm"]])
                expected = augspec.replay(
                    ordered, {**params, "ops": [inner["ops"][j] for j in inner["perm"]]}, image
                )
            np.testing.assert_array_equal(ref, expected)
            for name in _backends()[1:]:
                module = augspec.backend(name)
                out = module.to_numpy(module.replay(spec, params, image, fidelity))
                out = out.transpose(1, 2, 0) if out.shape[0] == 3 and out.shape[-1] != 3 else out
                diff = np.abs(out.astype(float) - ref)
                assert module.tolerance(spec.ops[0]).allows(diff.max(), diff.mean()), (name, i)


# ---- the batched target ----------------------------------------------------------------------


def test_batched_sampling_equals_augspec_sample_and_groups_replay_per_sample() -> None:
    import torch
    from augspec.backends import torch_batched as tb
    from augspec.backends.batch_sampling import sample_batch, stack_checked, vectorisable

    spec = _spec(CHOICE, ORDER, {"op": "random_order", "ops": [{"op": "horizontal_flip"}]})
    assert vectorisable(spec)
    indices = np.arange(40)
    arrays = sample_batch(spec, 7, 1, indices, (9, 11))
    one_by_one = [
        augspec.sample(spec, seed=7, epoch=1, index=int(i), image_size=(9, 11)) for i in indices
    ]
    expected = stack_checked(spec, [p["ops"] for p in one_by_one])
    np.testing.assert_array_equal(arrays[0]["choice"], expected[0]["choice"])
    np.testing.assert_array_equal(arrays[1]["perm"], expected[1]["perm"])
    np.testing.assert_array_equal(arrays[0]["ops"][2]["apply"], expected[0]["ops"][2]["apply"])
    assert len({tuple(r) for r in np.asarray(arrays[1]["perm"])}) > 1  # several groups
    images = np.stack([_image(seed=int(i)) for i in indices])
    batch = torch.from_numpy(images.transpose(0, 3, 1, 2).copy())
    out = tb.compile_batched(spec)(batch, 7, 1, indices)
    for k, _i in enumerate(indices):
        ref = augspec.replay(spec, one_by_one[k], images[k])
        diff = np.abs(out[k].numpy().transpose(1, 2, 0).astype(float) - ref)
        assert tb.tolerance(spec.ops[0]).allows(diff.max(), diff.mean()) or diff.max() <= 1


# ---- native classes: their own draws -----------------------------------------------------------


def test_torchvision_classes_and_gluon_ports_draw_with_the_spec_distribution() -> None:
    """v1 RandomChoice (Python's random), v2 (torch.multinomial) and the gluon port (mxnet's RNG):
    the share of inverted outputs follows p = [1, 0, 3] normalised (0.25), the flip never."""
    image = _image(6, 7)
    spec = _spec(CHOICE)
    names = ["torchvision", "torchvision-v2"] + (["gluon"] if "gluon" in _backends() else [])
    for name in names:
        module = augspec.backend(name)
        compiled = augspec.compile(spec, backend=name)
        module.seed(0)
        outs = [np.asarray(module.to_numpy(compiled(image))) for _ in range(400)]
        outs = [o.transpose(1, 2, 0) if o.shape[0] == 3 else o for o in outs]
        inverted = np.mean([np.array_equal(o, 255 - image) for o in outs])
        flipped = np.mean([np.array_equal(o, image[::-1]) for o in outs])
        assert abs(inverted - 0.25) < 0.08 and flipped == 0, (name, inverted, flipped)
        build = next(b for b in compiled.builds if b.op == "random_choice")
        assert build.status == ("ported" if name == "gluon" else "native"), build


def test_native_order_applies_every_op_once() -> None:
    """posterize(2 bits) then invert differs from invert then posterize: both orders occur."""
    image = _image(5, 6)
    spec = _spec({"op": "RandomOrder", "transforms": ORDER["ops"][:2]})
    a = (255 - image) & 0xC0
    b = 255 - (image & 0xC0)
    for name in ["torchvision", "torchvision-v2"] + (["gluon"] if "gluon" in _backends() else []):
        module = augspec.backend(name)
        compiled = augspec.compile(spec, backend=name)
        module.seed(1)
        seen = set()
        for _ in range(40):
            out = np.asarray(module.to_numpy(compiled(image)))
            out = out.transpose(1, 2, 0) if out.shape[0] == 3 else out
            seen.add("a" if np.array_equal(out, a) else "b" if np.array_equal(out, b) else "?")
        assert seen == {"a", "b"}, (name, seen)


# ---- code, import, from_native -----------------------------------------------------------------


@pytest.mark.parametrize("backend", ["torchvision", "torchvision-v2", "gluon"])
def test_code_import_and_from_native_round_trip(backend: str) -> None:
    if backend == "gluon":
        require_mxnet()
    from augspec.codegen import code
    from augspec.importer import import_source
    from augspec.native_reader import from_native
    from augspec.pipeline_diff import diff_pipelines

    spec = _spec(CHOICE, ORDER)
    source = code(spec, backend)
    head = "ports.gluon_random_choice([" if backend == "gluon" else ".RandomChoice(["
    assert head in source and "p=[1.0, 0.0, 3.0]" in source, source
    back = import_source(source).get("augs").spec
    assert back == spec, source
    namespace: dict[str, Any] = {}
    exec(compile(source, "<generated>", "exec"), namespace)  # noqa: S102 - code we generated
    live = from_native(namespace["augs"])
    assert diff_pipelines(spec, live).equivalent, (source, live)


def test_native_names_read_the_classes_own_arguments() -> None:
    from augspec.native_names import native_class

    nc = native_class("torchvision-v2", "RandomChoice")
    op = nc.to_spec({"transforms": [{"op": "invert"}], "p": [2.0]})
    assert op == {"op": "random_choice", "ops": [{"op": "invert"}], "p": [2.0]}
    assert nc.from_spec(op) == {"transforms": [{"op": "invert"}], "p": [2.0]}
    with pytest.raises(ValueError, match="RandomChoice.p"):
        nc.to_spec({"transforms": [{"op": "invert"}], "p": "all"})
    order = native_class("torchvision", "RandomOrder")
    assert order.to_spec({"transforms": [{"op": "invert"}]}) == {
        "op": "random_order",
        "ops": [{"op": "invert"}],
    }


# ==== random_erasing (augspec/ops/tensor_ops.py) ===============================================

ERASE = {"op": "random_erasing", "p": 1.0, "scale": [0.1, 0.4], "value": [0.2, 0.5, 0.9]}


def _tensor_spec(op: dict[str, Any]) -> Any:
    return _spec({"op": "to_tensor"}, op)


def test_erasing_draws_the_same_amount_whatever_it_decides() -> None:
    from augspec.sampling import generator, sample_ops

    states = []
    for change in ({"p": 0.0}, {"p": 1.0}, {"p": 1.0, "scale": [1.0, 1.0], "ratio": [1.0, 1.0]}):
        spec = _tensor_spec({**ERASE, **change})
        rng = generator(4, 0, 0)
        sample_ops(spec.ops, rng, (9, 11))
        states.append(rng.bit_generator.state["state"]["state"])
    assert states[0] == states[1] == states[2]


def test_erasing_boxes_follow_torchvisions_algorithm() -> None:
    spec = _tensor_spec({**ERASE, "scale": [0.2, 0.2], "ratio": [1.0, 1.0]})
    for i in range(20):
        p = augspec.sample(spec, seed=0, index=i, image_size=(20, 30))["ops"][1]
        side = int(round((20 * 30 * 0.2) ** 0.5))  # Python's round, as get_params
        assert p["apply"] and (p["height"], p["width"]) == (side, side)
        assert 0 <= p["top"] <= 20 - side and 0 <= p["left"] <= 30 - side
    # No attempt fits (the whole image): nothing erased, as torchvision returns the image.
    whole = _tensor_spec({**ERASE, "scale": [1.0, 1.0], "ratio": [1.0, 1.0]})
    p = augspec.sample(whole, image_size=(9, 11))["ops"][1]
    assert p["apply"] is False and p["height"] == p["width"] == 0
    image = _image()
    np.testing.assert_array_equal(
        augspec.replay(whole, augspec.sample(whole, image_size=(9, 11)), image),
        augspec.replay(
            _spec({"op": "to_tensor"}),
            augspec.sample(_spec({"op": "to_tensor"}), image_size=(9, 11)),
            image,
        ),
    )


def test_erasing_values_and_random_noise_from_the_params_seed() -> None:
    image = _image()
    spec = _tensor_spec({**ERASE, "value": "random"})
    params = augspec.sample(spec, seed=1, image_size=(9, 11))
    p = params["ops"][1]
    out = augspec.replay(spec, params, image)
    t, left, h, w = p["top"], p["left"], p["height"], p["width"]
    noise = np.random.default_rng(p["noise_seed"]).standard_normal((3, h, w), dtype=np.float32)
    np.testing.assert_array_equal(out[:, t : t + h, left : left + w], noise)
    spec = _tensor_spec(ERASE)
    params = augspec.sample(spec, seed=1, image_size=(9, 11))
    p = params["ops"][1]
    out = augspec.replay(spec, params, image)
    box = out[:, p["top"] : p["top"] + p["height"], p["left"] : p["left"] + p["width"]]
    assert box.size and np.all(box == np.float32([0.2, 0.5, 0.9])[:, None, None])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"value": [0.1, 0.2]}, "one number per RGB channel"),
        ({"value": "noise"}, "random"),
        ({"ratio": [0.0, 1.0]}, "greater than or equal to 0.000001"),
        ({"scale": [0.5, 0.1]}, "min <= max"),
        ({"scale": [0.1, 1.5]}, "less than or equal to 1"),
    ],
)
def test_erasing_bad_fields_are_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _tensor_spec({**ERASE, **change})


def test_erasing_needs_the_tensor() -> None:
    with pytest.raises(ValueError, match="random_erasing after to_tensor"):
        _spec(ERASE)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"apply": False}, "top: Expected an integer in \\[0, 0\\]"),
        ({"height": 9}, "height: Expected an integer in \\[0, 8\\]"),
        ({"noise_seed": -1}, "noise_seed: Expected"),
        ({"left": 11}, "left: Expected"),
    ],
)
def test_erasing_replay_refuses_params_the_sampler_cannot_draw(
    change: dict[str, Any], message: str
) -> None:
    spec = _tensor_spec(ERASE)
    params = augspec.sample(spec, seed=2, image_size=(9, 11))
    assert params["ops"][1]["apply"]
    params["ops"][1].update(change)
    with pytest.raises(ValueError, match=message):
        augspec.replay(spec, params, _image())


def test_erasing_batched_sampling_and_replay_equal_the_reference() -> None:
    import torch
    from augspec.backends import torch_batched as tb
    from augspec.backends.batch_sampling import sample_batch, stack_checked

    for value in ([0.2, 0.5, 0.9], "random", -1.0):
        spec = _tensor_spec({**ERASE, "p": 0.6, "value": value})
        indices = np.arange(24)
        arrays = sample_batch(spec, 3, 0, indices, (9, 11))
        one_by_one = [
            augspec.sample(spec, seed=3, index=int(i), image_size=(9, 11)) for i in indices
        ]
        expected = stack_checked(spec, [p["ops"] for p in one_by_one])
        for key in ("apply", "top", "left", "height", "width", "noise_seed"):
            np.testing.assert_array_equal(arrays[1][key], expected[1][key], err_msg=key)
        images = np.stack([_image(seed=int(i)) for i in indices])
        out = tb.compile_batched(spec)(
            torch.from_numpy(images.transpose(0, 3, 1, 2).copy()), 3, 0, indices
        )
        for k in range(len(indices)):
            ref = augspec.replay(spec, one_by_one[k], images[k])
            np.testing.assert_array_equal(out[k].numpy(), ref)


def test_erasing_native_classes_erase_with_probability_p() -> None:
    image = _image(16, 16)
    spec = _tensor_spec({**ERASE, "p": 0.5, "value": [0.2, 0.5, 0.9]})
    names = ["torchvision", "torchvision-v2"] + (["gluon"] if "gluon" in _backends() else [])
    for name in names:
        module = augspec.backend(name)
        compiled = augspec.compile(spec, backend=name)
        module.seed(0)
        erased = []
        for _ in range(300):
            out = np.asarray(module.to_numpy(compiled(image)))
            box = np.all(out == np.float32([0.2, 0.5, 0.9])[:, None, None], axis=0)
            erased.append(int(box.sum()))
        share = np.mean([e > 0 for e in erased])
        areas = [e / 256 for e in erased if e]
        assert abs(share - 0.5) < 0.1, (name, share)
        assert min(areas) >= 0.05 and max(areas) <= 0.45, (name, min(areas), max(areas))


# ==== ConvertImageDtype: the spec's to_tensor (native_names) ====================================


def test_convert_image_dtype_float32_reads_as_to_tensor() -> None:
    import torch
    from torchvision import transforms as T
    from torchvision.transforms import v2

    from augspec.importer import import_source
    from augspec.native_names import native_class
    from augspec.native_reader import from_native

    want = _spec({"op": "horizontal_flip"}, {"op": "to_tensor"})
    live = T.Compose([T.RandomHorizontalFlip(), T.PILToTensor(), T.ConvertImageDtype(torch.float)])
    assert from_native(live) == want
    assert (
        from_native(v2.Compose([v2.RandomHorizontalFlip(), v2.ToImage(), v2.ConvertImageDtype()]))
        == want
    )
    source = (
        "import torch\nfrom torchvision import transforms\n"
        "augs = transforms.Compose([transforms.RandomHorizontalFlip(), transforms.PILToTensor(), "
        "transforms.ConvertImageDtype(torch.float32)])\n"
    )
    assert import_source(source).get("augs").spec == want
    # The same values as ToTensor on the photo's uint8 pixels (both divide by 255 in float32).
    image = torch.from_numpy(_image().transpose(2, 0, 1).copy())
    assert torch.equal(T.ConvertImageDtype(torch.float32)(image), T.ToTensor()(_image()))
    for framework in ("torchvision", "torchvision-v2"):
        nc = native_class(framework, "ConvertImageDtype")
        with pytest.raises(ValueError, match="ConvertImageDtype.dtype"):
            nc.to_spec({"dtype": "torch.uint8"})


def test_linear_transformation_is_refused_with_the_alternative() -> None:
    with pytest.raises(ValueError, match="LinearTransformation: its matrix has .* outside"):
        _spec({"op": "LinearTransformation", "transformation_matrix": [[1.0]]})


def test_show_captions_name_the_choice_the_order_and_the_box() -> None:
    from augspec.show_figure import caption

    spec = _spec(CHOICE, ORDER, {"op": "to_tensor"}, ERASE)
    params = augspec.sample(spec, seed=0, image_size=(9, 11))
    text = caption(params)
    k, perm = params["ops"][0]["choice"], params["ops"][1]["perm"]
    assert f"chose op {k}" in text and "order " + " ".join(map(str, perm)) in text
    assert "erase " in text, text
