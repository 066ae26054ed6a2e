"""`augspec parity`: the tests, the numbers in report.json, and a planted difference."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import augspec
from augspec import reference
from augspec.cli import main
from augspec.parity import load_backends, run_parity
from augspec.parity.cases import make_cases
from augspec.parity.replay_parity import as_255, case_image
from augspec.parity.run import unit_image
from augspec.parity.stats import binom_test, ks_2samp
from augspec.parity.units import collect_units

from .conftest import require_mxnet
from .op_cases import all_cases, pipeline_for

EXAMPLES_DIR = Path(__file__).parent.parent / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.yaml")) + sorted(EXAMPLES_DIR.glob("*.json"))
FRAMEWORKS = ("torchvision", "torchvision-v2", "gluon")
CONTAINERS = ("compose", "random_apply", "random_choice", "random_order")


@pytest.fixture(scope="module")
def tiny(photo: np.ndarray) -> np.ndarray:
    """The photo at 40x34: every example accepts it, and it keeps the tests fast."""
    return reference.resize(photo, (40, 34), "bilinear")


@pytest.fixture(scope="module")
def backends() -> dict[str, Any]:
    # importorskip imports with warnings silenced: a plain import of mxnet trips numpy's
    # expired-alias DeprecationWarning (mxnet/numpy/fallback.py), an error under our filters.
    pytest.importorskip(
        "torchvision", reason="parity needs the torchvision backend (augspec[torch])"
    )
    require_mxnet("parity needs the gluon backend (augspec[mxnet])")
    loaded, missing = load_backends()
    assert not missing, missing
    assert tuple(loaded) == FRAMEWORKS  # the report's column order
    return loaded


# ---- the tests' tests ----------------------------------------------------------------------


def test_binomial_test_matches_the_definition() -> None:
    n, p = 30, 0.3
    pmf = [math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(n + 1)]
    for k in (0, 4, 9, 17, 30):
        expected = sum(q for q in pmf if q <= pmf[k] * (1 + 1e-7))
        rate, pval = binom_test(k, n, p)
        assert rate == k / n
        assert pval == pytest.approx(expected, rel=1e-9)
    with pytest.raises(ValueError, match="Expected 0 <= k <= n"):
        binom_test(5, 4, 0.5)


def test_ks_statistic_is_the_largest_ecdf_gap_and_p_tracks_it() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=150), rng.normal(0.4, 1.0, size=120)
    grid = np.concatenate([a, b])
    gap = max(abs((a <= g).mean() - (b <= g).mean()) for g in grid)
    d, p_shifted = ks_2samp(a, b)
    assert d == pytest.approx(gap)
    same_d, p_same = ks_2samp(a, rng.normal(size=150))
    assert same_d < d and p_same > p_shifted
    assert ks_2samp(a, a) == (0.0, 1.0)
    assert ks_2samp(np.zeros(50), np.ones(50))[1] < 1e-10


# ---- the report -----------------------------------------------------------------------------


def test_every_example_runs_through_parity(
    tmp_path: Path, tiny: np.ndarray, backends: dict
) -> None:
    report = run_parity(
        [str(p) for p in EXAMPLES],
        tiny,
        "tiny",
        str(tmp_path),
        samples=30,
        replays=2,
        seed=1,
        progress=False,
    )
    ops = {u["op"] for u in report["units"]}
    leaves = {o.op for p in EXAMPLES for o in augspec.load(str(p)).flat_ops()}
    assert leaves <= ops
    assert (tmp_path / "report.md").is_file()
    assert json.loads((tmp_path / "report.json").read_text())["units"] == json.loads(
        json.dumps(report["units"])
    )
    md = (tmp_path / "report.md").read_text()
    for u in report["units"]:
        png = tmp_path / u["sheet"]
        with Image.open(png) as sheet:
            assert sheet.size[0] > 100
        assert f"]({u['sheet']})" in md
        for name in FRAMEWORKS:
            for side in (f"{name}/native", f"{name}/spec"):
                assert u["replay"][side]["verdict"] in (
                    "bit-exact",
                    "within tolerance",
                    "different",
                )
        # every two frameworks against each other, in both fidelities
        for a, b in (
            ("torchvision", "torchvision-v2"),
            ("torchvision", "gluon"),
            ("torchvision-v2", "gluon"),
        ):
            for f in ("native", "spec"):
                assert u["replay"][f"{a}/{f} vs {b}/{f}"]["verdict"] in (
                    "bit-exact",
                    "within tolerance",
                    "different",
                )
    head = next(line for line in md.splitlines() if line.startswith("| op |"))
    assert "torchvision-v2 native" in head and "torchvision vs torchvision-v2 native" in head
    # flips and crops move pixels without arithmetic: v1 and v2 must be bit-exact on an even image
    flip = next(u for u in report["units"] if u["op"] == "vertical_flip" and u["spec"]["p"] == 0.5)
    for side in (
        "torchvision/native",
        "torchvision-v2/native",
        "torchvision/native vs torchvision-v2/native",
    ):
        sampled = [c for c in flip["replay"][side]["cases"] if c["kind"] == "sample"]
        assert sampled and all(c["max"] == 0 for c in sampled), side


def _direct(unit: Any, cases: list, image: np.ndarray, backend: Any, fidelity: str) -> np.ndarray:
    diffs = []
    for case in cases:
        img = case_image(image, case)
        ref = reference.replay(unit.pipeline, case.params, img)
        out = backend.to_numpy(backend.replay(unit.pipeline, case.params, img, fidelity))
        a, b = as_255(np.asarray(out), unit.output_scale), as_255(ref, unit.output_scale)
        diffs.append(np.abs(a.astype(np.float64) - b.astype(np.float64)).ravel())
    return np.concatenate(diffs)


@pytest.mark.parametrize("example", ["brightness.yaml", "shape_aug.yaml", "eval_resize_crop.yaml"])
def test_report_numbers_agree_with_a_direct_replay(
    tmp_path: Path, tiny: np.ndarray, backends: dict, example: str
) -> None:
    path = str(EXAMPLES_DIR / example)
    report = run_parity(
        [path], tiny, "tiny", str(tmp_path), samples=20, replays=3, seed=5, progress=False
    )
    units = collect_units([(example, augspec.load(path))])
    for unit, entry in zip(units, report["units"], strict=True):
        image, _ = unit_image(unit, tiny, 5)  # centre_crop 224 sees the 256-resized image
        cases = make_cases(unit, (image.shape[0], image.shape[1]), 3, 5)
        for name, fidelity in (
            ("gluon", "native"),
            ("torchvision", "spec"),
            ("torchvision-v2", "native"),
            ("torchvision-v2", "spec"),
        ):
            got = entry["replay"][f"{name}/{fidelity}"]
            diff = _direct(unit, cases, image, backends[name], fidelity)
            _assert_numbers(got, diff)
        # v1 against v2, both native: the two backends' outputs, not each against the reference
        got = entry["replay"]["torchvision/native vs torchvision-v2/native"]
        v1 = _outputs(unit, cases, image, backends["torchvision"], "native")
        v2 = _outputs(unit, cases, image, backends["torchvision-v2"], "native")
        _assert_numbers(
            got, np.concatenate([np.abs(a - b).ravel() for a, b in zip(v1, v2, strict=True)])
        )


def _outputs(
    unit: Any, cases: list, image: np.ndarray, backend: Any, fidelity: str
) -> list[np.ndarray]:
    out = []
    for case in cases:
        y = backend.to_numpy(
            backend.replay(unit.pipeline, case.params, case_image(image, case), fidelity)
        )
        out.append(as_255(np.asarray(y), unit.output_scale).astype(np.float64))
    return out


def _assert_numbers(got: dict[str, Any], diff: np.ndarray) -> None:
    assert got["max"] == pytest.approx(float(diff.max()), abs=1e-9)
    assert got["mean"] == pytest.approx(float(diff.mean()), rel=1e-9, abs=1e-12)
    assert got["p99"] == pytest.approx(float(np.percentile(diff, 99)), rel=1e-9, abs=1e-9)
    assert got["pixels"] == diff.size


def test_planted_difference_is_flagged_and_the_rest_stays_bit_exact(
    tmp_path: Path, tiny: np.ndarray, backends: dict
) -> None:
    spec = tmp_path / "planted.yaml"
    spec.write_text(
        "augspec: 1\nops:\n  - {op: RandomFlipLeftRight}\n  - {op: RandomBrightness, factor: 0.5}\n"
    )
    # Planted in torchvision's spec-fidelity brightness (bit-exact when clean).
    tv = augspec.backend("torchvision")
    record = tv.RECORDS["brightness"]
    assert record.substitute is not None
    original = record.substitute.kernel

    def plus_five(op: Any, p: Any, x: Any, fidelity: str) -> Any:
        out = np.asarray(original(op, p, x, fidelity))
        return Image.fromarray(np.clip(out.astype(int) + 5, 0, 255).astype(np.uint8))

    planted_sub = dataclasses.replace(record.substitute, kernel=plus_five)
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(tv.RECORDS, "brightness", dataclasses.replace(record, substitute=planted_sub))
        planted = run_parity(
            [str(spec)],
            tiny,
            "tiny",
            str(tmp_path / "planted"),
            samples=20,
            replays=3,
            progress=False,
        )
    clean = run_parity(
        [str(spec)], tiny, "tiny", str(tmp_path / "clean"), samples=20, replays=3, progress=False
    )
    by_op = {u["op"]: u["replay"] for u in planted["units"]}
    clean_by_op = {u["op"]: u["replay"] for u in clean["units"]}
    assert by_op["brightness"]["torchvision/spec"]["verdict"] == "different"
    assert by_op["brightness"]["torchvision/spec"]["max"] >= 4
    assert clean_by_op["brightness"]["torchvision/spec"]["verdict"] == "bit-exact"
    assert by_op["horizontal_flip"]["torchvision/native"]["verdict"] == "bit-exact"
    assert by_op["brightness"]["gluon/spec"] == clean_by_op["brightness"]["gluon/spec"]
    assert (
        by_op["brightness"]["torchvision/native"] == clean_by_op["brightness"]["torchvision/native"]
    )
    assert "**different**" in (tmp_path / "planted" / "report.md").read_text()
    assert tv.RECORDS["brightness"] is record


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_spec_keeps_a_native_class_only_within_the_stated_tolerance(
    name: str, tiny: np.ndarray, backends: dict
) -> None:
    """One stated spec tolerance per (backend, op), used by substitution, tests and verdicts alike:
    for every leaf op, fidelity="spec" is within ``tolerance(op)``, and where it keeps the native class
    the native class is within it too (so the report's "different" marks only what spec replaces)."""
    module = backends[name]
    # odd sizes: gluon's flips leave the middle unwritten
    image = np.ascontiguousarray(tiny[:39, :33])
    checked = set()
    for _, case in all_cases():
        spec = augspec.validate_data(pipeline_for(case))
        leaf = spec.ops[-1]
        if leaf.op in CONTAINERS:
            continue
        build = augspec.compile(spec, name, "spec").builds[-1]
        fidelities = ("spec",) if build.status == "substituted" else ("spec", "native")
        checked.add(leaf.op)
        max_tol, mean_tol = module.tolerance(leaf).as_pair()
        for fidelity in fidelities:
            diffs = []
            for seed in range(3):
                params = augspec.sample(spec, seed, image_size=image.shape[:2])
                out = np.asarray(module.to_numpy(module.replay(spec, params, image, fidelity)))
                ref = reference.replay(spec, params, image)
                scale = 255.0 if ref.dtype.kind == "f" else 1.0
                diffs.append(
                    np.abs(out.astype(np.float64) - ref.astype(np.float64)).ravel() * scale
                )
            d = np.concatenate(diffs)
            assert d.max() <= max_tol + 1e-6 and d.mean() <= mean_tol + 1e-9, (
                f"{name} {fidelity} {case}: max {d.max():.4g}, mean {d.mean():.4g} beyond the stated "
                f"({max_tol}, {mean_tol}); status in spec fidelity: {build.status}"
            )
    assert checked == {n for n in module.RECORDS if n not in CONTAINERS}


def test_explanations_cite_facts_only_with_their_measured_pattern(
    tmp_path: Path, tiny: np.ndarray, backends: dict
) -> None:
    report = run_parity(
        [str(EXAMPLES_DIR / "brightness.yaml"), str(EXAMPLES_DIR / "shape_aug.yaml")],
        tiny,
        "tiny",
        str(tmp_path),
        samples=20,
        replays=4,
        progress=False,
    )
    cited = 0
    for unit in report["units"]:
        for entry in unit["replay"].values():
            measured = {
                line["pattern"] for line in entry["explanation"] if line["kind"] == "measured"
            }
            for line in entry["explanation"]:
                if line["kind"] == "source":
                    cited += 1
                    assert line["pattern"] in measured, (unit["op"], line)
            if entry["verdict"] == "bit-exact":
                assert entry["explanation"] == []
    assert cited > 0  # gluon's cv::resize at least: shrinking by 3x without antialiasing
    # v2's own facts: its uint8 brightness truncates (every difference below the reference)
    v2_brightness = next(u for u in report["units"] if u["op"] == "brightness")["replay"][
        "torchvision-v2/native"
    ]
    sources = [line["source"] for line in v2_brightness["explanation"] if line["kind"] == "source"]
    assert any("v2/functional/_color.py" in src for src in sources), v2_brightness["explanation"]


def test_sampling_parity_finds_a_biased_sampler(
    tmp_path: Path, tiny: np.ndarray, backends: dict
) -> None:
    """The spec says p=0.2; the native gluon class can only do 0.5, so a spec with p=0.5
    replaced by p=0.2 on the augspec side must be caught."""
    from augspec.parity import sampling_parity
    from augspec.parity.units import Unit

    spec = augspec.loads("augspec: 1\nops:\n  - {op: vertical_flip, p: 0.5}\n")
    unit = Unit("k", spec.ops[0], spec)
    fair = sampling_parity.run_unit(unit, backends, 200, 0, (8, 8))
    assert all(t["verdict"] == "consistent" for tests in fair.values() for t in tests)
    biased_spec = augspec.loads("augspec: 1\nops:\n  - {op: vertical_flip, p: 0.2}\n")
    biased = Unit("k", biased_spec.ops[0], spec)  # expects p=0.2, runs the p=0.5 class
    result = sampling_parity.run_unit(biased, backends, 200, 0, (8, 8))
    assert all(
        t["verdict"] == "different" and t["p_value"] < 0.01
        for tests in result.values()
        for t in tests
    )


def test_sampling_parity_asks_each_backend_for_its_box_sampler(backends: dict) -> None:
    """random_resized_crop: every framework's boxes come from its ``native_sampler`` (v1's
    get_params, v2's make_params, mxnet's random_size_crop), agree with augspec.sample, and a
    spec side with another scale range is caught for each of them."""
    from augspec.parity import sampling_parity
    from augspec.parity.units import Unit

    spec = augspec.loads("augspec: 1\nops:\n  - {op: random_resized_crop, size: 16}\n")
    op = spec.ops[0]
    for name, module in backends.items():
        found = sampling_parity.box_sampler(name, module, op)
        assert found is not None, name
        how, draw = found
        assert how.startswith(f"{name} native_sampler")
        boxes = draw((40, 34), 50, 3)
        assert boxes == draw((40, 34), 50, 3)  # reproducible under its seed
        assert len(boxes) == 50 and len(set(boxes)) > 10
        for top, left, h, w in boxes:  # (top, left, height, width) inside the image
            assert top >= 0 and left >= 0 and h >= 1 and w >= 1 and top + h <= 40 and left + w <= 34
        # no sampler for an op that the report probes through its outputs
        assert (
            sampling_parity.box_sampler(
                name, module, augspec.loads("augspec: 1\nops:\n  - {op: vertical_flip}\n").ops[0]
            )
            is None
        )
    unit = Unit("k", op, spec)
    fair = sampling_parity.run_unit(unit, backends, 200, 0, (40, 34))
    assert set(fair) == set(FRAMEWORKS)
    for name, tests in fair.items():
        assert [t["quantity"] for t in tests] == [
            "crop area fraction",
            "crop log aspect (w/h)",
            "crop centre y / H",
        ]
        assert all(t["verdict"] == "consistent" and "native_sampler" in t["how"] for t in tests), (
            name,
            tests,
        )
    small = augspec.loads(
        "augspec: 1\nops:\n  - {op: random_resized_crop, size: 16, scale: [0.08, 0.3]}\n"
    )
    biased = Unit("k", op, small)  # the spec side draws areas up to 0.3, the frameworks up to 1
    for name, tests in sampling_parity.run_unit(biased, backends, 200, 0, (40, 34)).items():
        area = next(t for t in tests if t["quantity"] == "crop area fraction")
        assert area["verdict"] == "different" and area["p_value"] < 1e-6, (name, area)


def test_cli_parity_writes_named_report(
    tmp_path: Path, tiny: np.ndarray, backends: dict, capsys
) -> None:
    img = tmp_path / "tiny.png"
    Image.fromarray(tiny).save(img)
    out = tmp_path / "docs"
    code = main(
        [
            "parity",
            str(EXAMPLES_DIR / "flip_top_bottom.yaml"),
            "--image",
            str(img),
            "--samples",
            "20",
            "--replays",
            "2",
            "--name",
            "differences",
            "--no-progress",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "the differences that matter, ranked" in printed
    assert " 1. [convention] Size order: RandomResizedCrop((200, 100))" in printed
    report = json.loads((out / "differences.json").read_text())
    assert (
        report["command"].startswith("augspec parity ")
        and "--name differences" in report["command"]
    )
    md = (out / "differences.md").read_text()
    # one row in the verdict table (the first page's ranked entries link to it mid-row)
    assert sum(line.startswith("| [`vertical_flip()`]") for line in md.splitlines()) == 1
    assert "| torchvision-v2 | flip applied |" in md  # v2's native sampling beside v1's and Gluon's
    assert main(["parity", str(tmp_path / "missing.yaml"), "--out", str(out)]) == 2
    assert "error" in capsys.readouterr().err


def test_first_page_is_one_screen_ranked_with_chapter_and_conventions(
    tmp_path: Path, tiny: np.ndarray, backends: dict
) -> None:
    from .test_severity import broken_links, first_page

    names = ["saturation_sample.yaml", "train_augs.yaml", "test_augs.yaml", "shape_aug.yaml"]
    (tmp_path / "saturation_sample.yaml").write_text(
        "augspec: 1\nops:\n  - {op: saturation, factor: [0.2, 0.6]}\n"
    )
    paths = [str(tmp_path / names[0])] + [str(EXAMPLES_DIR / n) for n in names[1:]]
    out = tmp_path / "out"
    report = run_parity(paths, tiny, "tiny", str(out), samples=20, replays=2, progress=False)
    md = (out / "report.md").read_text()
    page = first_page(md)
    assert len(page) <= 60
    text = "\n".join(page)
    # ranked: output-size conventions first, then Gluon's saturation (tens of levels per pixel)
    ranked = [line for line in page if re.match(r"\| \d+ \|", line)]
    assert "RandomResizedCrop((200, 100))" in ranked[0] and "| convention |" in ranked[0]
    measured = [line for line in ranked if "| convention |" not in line]
    assert "0.114*B" in measured[0] and "| visible |" in measured[0]
    assert '`fidelity="spec"`' in measured[0]
    assert "| 32x32 | no difference |" in text  # the CIFAR pipelines hit nothing
    assert "## Conventions" in text and "RandomResizedCrop((200, 100))" in text
    assert broken_links(md, out) == []
    # the notebook view: the same ranked summary
    html = report._repr_html_()
    assert "0.114*B" in report._repr_markdown_() and "<table>" in html
    assert "](" not in html  # every Markdown link converted
    shown = re.findall(r'src="([^"]+)"', html) + re.findall(r'href="([^"#]+)', html)
    assert shown and all(Path(p).is_file() for p in shown), shown
    assert report["units"] and isinstance(report, dict)
