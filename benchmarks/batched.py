"""Batched torch target vs the per-image torchvision path, per image, on one core.

Per-image path: ``augspec.compile(spec, "torchvision")`` on each HWC uint8 image (as a
Dataset does), then a uint8/float batch by ``torch.stack``. Batched path:
``compile_batched(spec)(batch_nchw_uint8, seed, epoch, indices)``, sampling included
(vectorised; identical params to ``augspec.sample``); "of which apply" times
``bp.apply`` with the params sampled beforehand (the rest is sampling). Both single-threaded
(``torch.set_num_threads(1)``), so "us per image" is per core. On a GPU (when one is
present), flip + random_crop + color_jitter on a 256-image 32x32 batch, with params
sampled beforehand (apply only) and with sampling.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import augspec
from augspec.images import load_image
from augspec.reference import resize

from .common import Result, example_path, interleaved, new_result, try_import

NAME = "batched"
GPU_SPEC = {
    "ops": [
        {"op": "horizontal_flip"},
        {"op": "random_crop", "size": 32, "padding": 4},
        {"op": "color_jitter", "brightness": 0.4, "contrast": 0.4, "saturation": 0.4},
    ]
}


def _per_image(compiled: Any, images: np.ndarray) -> Any:
    import torch

    def run() -> Any:
        outs = []
        for image in images:
            out = compiled(image)
            if not isinstance(out, torch.Tensor):  # a PIL image: what a loader would collate
                out = torch.from_numpy(np.array(out)).permute(2, 0, 1)
            outs.append(out)
        return torch.stack(outs)

    return run


def _cases(quick: bool) -> list[tuple[str, str, np.ndarray]]:
    photo = resize(load_image(), (400, 500), "bilinear")
    rng = np.random.default_rng(0)
    n_small = 256
    # CIFAR-sized crops of the photo (natural statistics), shifted per image
    tops, lefts = rng.integers(0, 368, n_small), rng.integers(0, 468, n_small)
    small = np.stack([photo[t : t + 32, s : s + 32] for t, s in zip(tops, lefts, strict=True)])
    big = np.repeat(photo[None], 4 if quick else 8, 0)
    return [
        ("train_augs", "32x32", small),
        ("combined_augs", "32x32", small[:64]),
        ("combined_augs", "400x500", big),
    ]


def run(quick: bool = False) -> Result:
    result = new_result(
        NAME,
        "Batched torch target vs per-image torchvision (1 thread)",
        [
            "pipeline",
            "image",
            "batch",
            "per-image us/img",
            "batched us/img",
            "of which apply",
            "speedup",
        ],
    )
    torch, why = try_import("torch")
    tv, why_tv = try_import("augspec.backends.torchvision")
    tb, why_tb = try_import("augspec.backends.torch_batched")
    if torch is None or tv is None or tb is None:
        result["skipped"].append(why or why_tv or why_tb)
        return result
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        repeats = 5 if quick else 11
        for name, label, images in _cases(quick):
            spec = augspec.load(example_path(name))
            batch = torch.from_numpy(
                np.ascontiguousarray(images.transpose(0, 3, 1, 2))
            )  # the NCHW batch it takes
            bp = tb.compile_batched(spec)
            idx = np.arange(len(images))
            arrays = bp.sample(0, 0, idx, images.shape[1:3])

            def batched(bp: Any = bp, batch: Any = batch, idx: np.ndarray = idx) -> Any:
                return bp(batch, 0, 0, idx)

            def apply_only(bp: Any = bp, batch: Any = batch, arrays: Any = arrays) -> Any:
                return bp.apply(batch, arrays)

            t = interleaved(
                {
                    "per_image": _per_image(augspec.compile(spec, "torchvision"), images),
                    "batched": batched,
                    "apply": apply_only,
                },
                repeats,
            )
            n = len(images)
            result["rows"].append(
                {
                    "pipeline": name,
                    "image": label,
                    "batch": n,
                    "per-image us/img": t["per_image"] / n * 1e6,
                    "batched us/img": t["batched"] / n * 1e6,
                    "of which apply": t["apply"] / n * 1e6,
                    "speedup": t["per_image"] / t["batched"],
                }
            )
    finally:
        torch.set_num_threads(threads)
    _gpu(result, torch, tb, quick)
    return result


def _gpu(result: Result, torch: Any, tb: Any, quick: bool) -> None:
    if not torch.cuda.is_available():
        result["skipped"].append("GPU rows: torch.cuda.is_available() is False on this machine")
        return
    spec = augspec.validate_data(GPU_SPEC)
    bp = tb.compile_batched(spec, "cuda")
    rng = np.random.default_rng(0)
    batch = torch.from_numpy(rng.integers(0, 256, (256, 3, 32, 32), dtype=np.uint8)).cuda()
    idx = np.arange(256)
    arrays = bp.sample(0, 0, idx, (32, 32))

    def apply_only() -> None:
        bp.apply(batch, arrays)
        torch.cuda.synchronize()

    def with_sampling() -> None:
        bp(batch, 0, 0, idx)
        torch.cuda.synchronize()

    t = interleaved(
        {"apply": apply_only, "sample+apply": with_sampling}, 20 if quick else 100, warmup=3
    )
    for key, seconds in t.items():
        result["rows"].append(
            {
                "pipeline": f"GPU flip+crop+jitter ({key})",
                "image": "32x32",
                "batch": 256,
                "batched us/img": seconds / 256 * 1e6,
                "per-image us/img": "",
                "speedup": f"{seconds * 1e6:.0f} us per batch",
            }
        )
