"""Coverage: every transform class of torchvision (v1), torchvision ``transforms.v2`` and Gluon
1.9.1 ``gluon.data.vision.transforms`` -> the spec op it is (or why none) -> what each backend
does with that op in ``fidelity="spec"``.

The class lists are data (:data:`FRAMEWORK_CLASSES`), compared with the live modules by
tests/test_coverage.py so they cannot drift; which class means which op comes from
:data:`augspec.native_names.NATIVE_CLASSES`, the statuses from each backend's ``RECORDS``.
This module imports no framework; :func:`rows` loads the backends (where installed) to read
their records.

``augspec ops`` prints the table (``--markdown``: as Markdown); the README carries the same
table between :data:`BEGIN` and :data:`END`, written by ``python -m augspec.coverage
--write-readme`` and checked by the tests.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from augspec.native_names import CONVERSION_CLASSES, EXPANDING, FRAMEWORKS, NATIVE_CLASSES
from augspec.ops.refused import REFUSED

# Every class each module exports (dir(), classes only), as the installed versions have them:
# torchvision 0.29.1, mxnet 1.9.1.
FRAMEWORK_CLASSES: Final[dict[str, tuple[str, ...]]] = {
    "torchvision": (
        "AugMix", "AutoAugment", "AutoAugmentPolicy", "CenterCrop", "ColorJitter", "Compose",
        "ConvertImageDtype", "ElasticTransform", "FiveCrop", "GaussianBlur", "Grayscale",
        "InterpolationMode", "Lambda", "LinearTransformation", "Normalize", "PILToTensor", "Pad",
        "RandAugment", "RandomAdjustSharpness", "RandomAffine", "RandomApply",
        "RandomAutocontrast", "RandomChoice", "RandomCrop", "RandomEqualize", "RandomErasing",
        "RandomGrayscale", "RandomHorizontalFlip", "RandomInvert", "RandomOrder",
        "RandomPerspective", "RandomPosterize", "RandomResizedCrop", "RandomRotation",
        "RandomSolarize", "RandomVerticalFlip", "Resize", "TenCrop", "ToPILImage", "ToTensor",
        "TrivialAugmentWide",
    ),
    "torchvision-v2": (
        "AugMix", "AutoAugment", "AutoAugmentPolicy", "CenterCrop", "ClampBoundingBoxes",
        "ClampKeyPoints", "ColorJitter", "Compose", "ConvertBoundingBoxFormat",
        "ConvertImageDtype", "CutMix", "ElasticTransform", "FiveCrop", "GaussianBlur",
        "GaussianNoise", "Grayscale", "Identity", "InterpolationMode", "JPEG", "Lambda",
        "LinearTransformation", "MixUp", "Normalize", "PILToTensor", "Pad", "RGB", "RandAugment",
        "RandomAdjustSharpness", "RandomAffine", "RandomApply", "RandomAutocontrast",
        "RandomChannelPermutation", "RandomChoice", "RandomCrop", "RandomEqualize",
        "RandomErasing", "RandomGrayscale", "RandomHorizontalFlip", "RandomInvert",
        "RandomIoUCrop", "RandomOrder", "RandomPerspective", "RandomPhotometricDistort",
        "RandomPosterize", "RandomResize", "RandomResizedCrop", "RandomRotation",
        "RandomShortestSize", "RandomSolarize", "RandomVerticalFlip", "RandomZoomOut", "Resize",
        "SanitizeBoundingBoxes", "SanitizeKeyPoints", "ScaleJitter", "SetClampingMode",
        "TenCrop", "ToDtype", "ToImage", "ToPILImage", "ToPureTensor", "ToTensor", "Transform",
        "TrivialAugmentWide", "UniformTemporalSubsample",
    ),
    "gluon": (
        "Block", "Cast", "CenterCrop", "Compose", "CropResize", "HybridBlock",
        "HybridSequential", "Normalize", "RandomApply", "RandomBrightness", "RandomColorJitter",
        "RandomContrast", "RandomFlipLeftRight", "RandomFlipTopBottom", "RandomHue",
        "RandomLighting", "RandomResizedCrop", "RandomRotation", "RandomSaturation", "Resize",
        "Rotate", "Sequential", "ToTensor",
    ),
}  # fmt: skip

# Exported classes that are no transform of their own.
NOT_TRANSFORMS: Final[dict[str, str]] = {
    "InterpolationMode": "an enum (the interpolation argument)",
    "AutoAugmentPolicy": "an enum (AutoAugment's policy argument)",
    "Transform": "v2's base class",
    "Block": "Gluon's base class",
    "HybridBlock": "Gluon's base class",
}
# v2 classes for boxes, key points or videos only: outside image classification.
NOT_CLASSIFICATION: Final = frozenset(
    {
        "ClampBoundingBoxes",
        "ClampKeyPoints",
        "ConvertBoundingBoxFormat",
        "RandomIoUCrop",
        "SanitizeBoundingBoxes",
        "SanitizeKeyPoints",
        "SetClampingMode",
        "UniformTemporalSubsample",
    }
)
# v2 classes that act on whole batches and their labels: ops of a spec's batch_ops section
# (augspec/batch_ops.py), not of its per-image ops; Gluon has none (ported in its trainer).
BATCH_OPS: Final[dict[str, str]] = {"MixUp": "mixup", "CutMix": "cutmix"}
# Image-classification classes no op means yet (issue 12), with the op they are planned as.
PLANNED: Final[dict[str, str]] = {
    "RandomPerspective": "perspective",
    "ElasticTransform": "elastic",
    "FiveCrop": "five_crop",
    "TenCrop": "ten_crop",
    "CropResize": "crop_resize",
    "RandomZoomOut": "zoom_out",
    "RandomResize": "random_resize",
    "RandomShortestSize": "random_shortest_size",
    "ScaleJitter": "scale_jitter",
    "Cast": "cast",
    "AutoAugment": "auto_augment",
    "RandAugment": "rand_augment",
    "TrivialAugmentWide": "trivial_augment_wide",
    "AugMix": "augmix",
}

BACKEND_COLUMNS: Final = ("torchvision", "torchvision-v2", "gluon", "torch-batched")
BEGIN: Final = "<!-- augspec ops: begin (python -m augspec.coverage --write-readme) -->"
END: Final = "<!-- augspec ops: end -->"
README: Final = Path(__file__).resolve().parents[1] / "README.md"

# Fields an op needs to be built, and field values whose status may differ (a port for p != 0.5,
# a substitute for bicubic only): the statuses are those of these examples, joined with "/".
_REQUIRED: Final[dict[str, dict[str, Any]]] = {
    "random_resized_crop": {"size": 8},
    "resize": {"size": 8},
    "center_crop": {"size": 8},
    "random_crop": {"size": 8},
    "normalize": {"mean": [0.5], "std": [0.5]},
    "random_apply": {"ops": [{"op": "invert"}]},
    "compose": {"ops": [{"op": "invert"}]},
    "random_choice": {"ops": [{"op": "invert"}]},
    "random_order": {"ops": [{"op": "invert"}]},
    "solarize": {"threshold": 128},
    "posterize": {"bits": 4},
    "grayscale": {"num_output_channels": 3},
    "sharpness": {"factor": 2.0},
    "pad": {"padding": 1},
    "rotation": {"degrees": 10},
    "affine": {"degrees": 10},
    "gaussian_blur": {"kernel": 3},
    "jpeg": {"quality": 75},
}
_VARIANTS: Final[dict[str, tuple[Any, ...]]] = {
    "interpolation": ("bilinear", "nearest", "bicubic"),
    "p": (0.5, 0.3),
    "factor": (0.5, [0.2, 1.7], [-0.1, 0.2]),
}


@dataclass(frozen=True)
class Row:
    """One framework class: what it is in a spec, and each backend's status for that op."""

    framework: str
    name: str
    op: str  # the op, or "" where there is none
    kind: str  # "op", "batch op", "missing", "refused", "conversion", "not a transform", "not classification"
    statuses: tuple[str, ...]  # one per BACKEND_COLUMNS ("" where no op)
    note: str = ""


def _kind_of(framework: str, name: str) -> tuple[str, str, str]:
    """(kind, op, note) of one class."""
    mapped = [nc for nc in NATIVE_CLASSES if nc.framework == framework and nc.name == name]
    if mapped:
        also = f"also writes {', '.join(mapped[0].also)}" if mapped[0].also else ""
        if name in EXPANDING:  # no op of its own: the composition it is
            also = "a compose of existing ops (augspec/ops/distort.py)"
        return "op", mapped[0].op, also
    if name in REFUSED:
        return "refused", "", REFUSED[name]
    if (framework, name) in CONVERSION_CLASSES:
        return "conversion", "", "no pixel change on augspec's RGB images; read as no op"
    if name in NOT_TRANSFORMS:
        return "not a transform", "", NOT_TRANSFORMS[name]
    if name in NOT_CLASSIFICATION:
        return "not classification", "", "boxes, key points or video only"
    if name in BATCH_OPS:
        where = "v2 native, torch trainer/batched and gluon ported (docs/batch_ops.md)"
        return "batch op", "", f"batch_ops: {BATCH_OPS[name]}; {where}"
    if name in PLANNED:
        return "missing", "", f"planned as {PLANNED[name]} (issue 12)"
    return "missing", "", "not yet planned"


def examples(op_name: str) -> list[Any]:
    """Valid ops of ``op_name`` covering the field values whose status can differ."""
    from augspec.ops import MODEL_BY_NAME

    model = MODEL_BY_NAME[op_name]
    base = {"op": op_name, **_REQUIRED.get(op_name, {})}
    candidates = [base] + [
        {**base, field: value}
        for field, values in _VARIANTS.items()
        if field in model.model_fields
        for value in values
    ]
    built = []
    for data in candidates:
        try:
            built.append(model.model_validate(data))
        except ValueError:  # e.g. a factor range hue does not take
            continue
    return built


def record_status(record: Any, ops: Iterable[Any]) -> str:
    """What ``fidelity="spec"`` builds for these ops: native / ported / substituted ("/" joined
    where the op's fields decide)."""
    from augspec.contract import chooses_substitute, port_reason

    kinds: list[str] = []
    for op in ops:
        if chooses_substitute(record, op, "spec"):
            kind = "substituted"
        elif port_reason(record, op) is not None:
            kind = "ported"
        else:
            kind = record.status
        if kind not in kinds:
            kinds.append(kind)
    return "/".join(kinds) or record.status


def _backend_records(name: str) -> Any:
    """A backend's RECORDS, or None where its framework is not installed."""
    from augspec import backends

    if name not in backends.available():
        return None
    return backends.load(name).RECORDS


def op_statuses(op_name: str, records: Sequence[Any]) -> tuple[str, ...]:
    ops = examples(op_name)
    return tuple(
        "not installed" if table is None else record_status(table[op_name], ops)
        for table in records
    )


def rows() -> list[Row]:
    """Every class of every framework, in FRAMEWORKS order then by name."""
    records = [_backend_records(name) for name in BACKEND_COLUMNS]
    out = []
    for framework in FRAMEWORKS:
        for name in sorted(FRAMEWORK_CLASSES[framework]):
            kind, op, note = _kind_of(framework, name)
            statuses = op_statuses(op, records) if op else ("",) * len(BACKEND_COLUMNS)
            out.append(Row(framework, name, op, kind, statuses, note))
    return out


def _op_cell(row: Row) -> str:
    return row.op if row.kind == "op" else row.kind


def summary(table: Sequence[Row]) -> str:
    counts: dict[str, int] = {}
    for row in table:
        counts[row.kind] = counts.get(row.kind, 0) + 1
    parts = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    return f"{len(table)} classes: {parts}"


def text(table: Sequence[Row]) -> str:
    """The table as aligned plain text."""
    header = ("framework", "class", "op", *BACKEND_COLUMNS, "note")
    cells = [header] + [
        (r.framework, r.name, _op_cell(r), *(s or "-" for s in r.statuses), r.note) for r in table
    ]
    widths = [max(len(c[i]) for c in cells) for i in range(len(header) - 1)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(cell[:-1], widths, strict=True)) + "  " + cell[-1]
        for cell in cells
    ]
    return "\n".join(line.rstrip() for line in lines) + "\n" + summary(table) + "\n"


def markdown(table: Sequence[Row]) -> str:
    """The table as Markdown (what the README carries)."""
    header = ("framework", "class", "op", *BACKEND_COLUMNS, "note")
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + " --- |" * len(header),
    ]
    for r in table:
        op = f"`{r.op}`" if r.kind == "op" else r.kind
        note = r.note.replace("|", "\\|")
        lines.append(
            f"| {r.framework} | {r.name} | {op} | "
            + " | ".join(s or "-" for s in r.statuses)
            + f" | {note} |"
        )
    return "\n".join(lines) + "\n\n" + summary(table) + "\n"


def readme_block(table: Sequence[Row]) -> str:
    return f"{BEGIN}\n{markdown(table)}{END}"


def replace_block(document: str, block: str) -> str:
    """``document`` with the text from BEGIN to END replaced by ``block``."""
    start, end = document.find(BEGIN), document.find(END)
    if start < 0 or end < start:
        raise ValueError(
            f"Expected the README to hold the markers {BEGIN!r} and {END!r} in that order; "
            "received a file without them"
        )
    return document[:start] + block + document[end + len(END) :]


def write_readme(path: Path = README) -> bool:
    """Rewrite the table in ``path``'s marker block; whether anything changed."""
    from augspec.files import write_text

    old = path.read_text(encoding="utf-8")
    new = replace_block(old, readme_block(rows()))
    if new != old:
        write_text(path, new)
    return new != old


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m augspec.coverage", description=__doc__)
    parser.add_argument("--write-readme", nargs="?", const=str(README), metavar="PATH")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    if args.write_readme:
        changed = write_readme(Path(args.write_readme))
        print(f"{args.write_readme}: {'table rewritten' if changed else 'table up to date'}")
        return 0
    table = rows()
    print(markdown(table) if args.markdown else text(table), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
