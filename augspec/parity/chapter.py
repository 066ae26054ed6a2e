"""The chapter's own pipelines, measured whole on the images the chapter feeds them.

The per-op units say what each op does anywhere (odd sizes, edge factors). A reader of the d2l
chapter wants something narrower: *do the chapter's pipelines, on the chapter's images, come
out differently?* Each chapter pipeline present among the report's spec files is replayed whole
(the same sampled params through every backend, both fidelities, and the reference) on its
image: the photo for the chapter's illustrations, the photo shrunk to 32x32 for the CIFAR-10
``train_augs`` / ``test_augs``. Every pair gets its severity class.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from augspec import reference
from augspec.parity import replay_parity
from augspec.parity.cases import Case
from augspec.parity.severity import classify_stats, moves_pixels
from augspec.parity.units import Unit
from augspec.pipeline import Pipeline, iter_leaves
from augspec.sampling import sample

CIFAR_HW = (32, 32)

# file name -> (what the chapter calls it, the image size it runs on; None: the photo)
CHAPTER: dict[str, tuple[str, tuple[int, int] | None]] = {
    "train_augs.yaml": ("CIFAR-10 train_augs: flip + ToTensor", CIFAR_HW),
    "test_augs.yaml": ("CIFAR-10 test_augs: ToTensor", CIFAR_HW),
    "flip_left_right.yaml": ("flip left-right", None),
    "flip_top_bottom.yaml": ("flip top-bottom", None),
    "shape_aug.yaml": ("shape_aug: RandomResizedCrop 200x200", None),
    "color_aug.yaml": ("color_aug: ColorJitter 0.5 x 4", None),
    "combined_augs.yaml": ("combined augs: flip, color_aug, shape_aug", None),
}


def chapter_image(image: np.ndarray, hw: tuple[int, int] | None) -> np.ndarray:
    return image if hw is None else reference.resize(image, hw, "bilinear")


def measure_pipeline(
    name: str,
    spec: Pipeline,
    image: np.ndarray,
    backends: dict[str, Any],
    replays: int,
    seed: int,
) -> dict[str, Any]:
    """Severity and numbers of every backend side against the reference and of every two
    backends, for the whole pipeline on ``image``."""
    hw = (int(image.shape[0]), int(image.shape[1]))
    n = replays if any(o.is_random for o in spec.flat_ops()) else 1
    cases = [
        Case(f"sample {i}", "sample", sample(spec, seed=seed, index=i, image_size=hw), hw)
        for i in range(n)
    ]
    unit = Unit(name, spec.ops[-1], spec)
    replay = replay_parity.run_unit(unit, cases, image, backends)
    geometric = moves_pixels([o.op for o in iter_leaves(spec.ops)])
    pairs = {}
    for key, stats in replay.summary().items():
        if "model:" in key:
            continue
        pairs[key] = {
            "severity": classify_stats(stats, geometric),
            "max": stats["max"],
            "mean": stats["mean"],
            "stable_max": stats["stable_max"],
            "unstable_pixels": stats["unstable_pixels"],
            "shape_mismatches": stats["shape_mismatches"],
        }
    return {"cases": n, "pairs": pairs, "errors": replay.errors}


def chapter_specs(specs: list[tuple[str, Pipeline]]) -> list[tuple[str, Pipeline]]:
    """The chapter's pipelines among ``specs``, in the chapter's order."""
    present = dict(specs)
    return [(name, present[name]) for name in CHAPTER if name in present]


def measure(
    specs: list[tuple[str, Pipeline]],
    image: np.ndarray,
    backends: dict[str, Any],
    replays: int,
    seed: int,
) -> list[dict[str, Any]]:
    """Every chapter pipeline among ``specs``, in the chapter's order."""
    present = dict(specs)
    out = []
    for name, (title, hw) in CHAPTER.items():
        if name not in present:
            continue
        x = chapter_image(image, hw)
        result = measure_pipeline(name, present[name], x, backends, replays, seed)
        out.append(
            {
                "file": name,
                "title": title,
                "image_hw": [int(x.shape[0]), int(x.shape[1])],
                "image": "the photo" if hw is None else "the photo shrunk to 32x32",
                **result,
            }
        )
    return out
