"""Conventions, measured: the same written code through torchvision and Gluon.

A *convention* difference is one where the same line of code (a class name and its positional
arguments, the way the d2l chapter writes it) means different things in the two frameworks.
Each one here builds the native objects directly (torchvision's classes; Gluon's through
:mod:`augspec.backends.gluon_mx`), runs them, and records what came out (output shapes, flip
rates, drawn factors, which seed call makes the draws repeat) next to what augspec's spec means.
Nothing is typed in: a convention whose outcomes agree is reported as agreeing.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from typing import Any

import numpy as np

from augspec.parity.severity import BIT_EXACT, CONVENTION

N_DRAWS = 400  # flips and factor draws per framework (binomial sd of a rate ~0.025)


def _frameworks() -> tuple[Any, Any, Any, Any]:
    import torch
    import torchvision.transforms as T

    from augspec.backends.gluon_mx import mx, transforms

    return torch, T, mx, transforms


def _tv(T: Any, image: np.ndarray, build: Callable[[], Any]) -> np.ndarray:
    from PIL import Image

    return np.asarray(build()(Image.fromarray(image)))


def _gl(mx: Any, image: np.ndarray, build: Callable[[], Any]) -> np.ndarray:
    return np.asarray(build()(mx.nd.array(image, dtype="uint8")).asnumpy())


def _hw(x: np.ndarray) -> str:
    return f"{x.shape[0]}x{x.shape[1]}"


def _shape_case(
    cid: str,
    title: str,
    code: str,
    tv: np.ndarray,
    gl: np.ndarray,
    spec: str,
    fix: str,
) -> dict[str, Any]:
    return {
        "id": cid,
        "title": title,
        "code": code,
        "torchvision": f"{_hw(tv)} (height x width)",
        "gluon": f"{_hw(gl)} (height x width)",
        "spec": spec,
        "fix": fix,
        "differs": tv.shape != gl.shape,
        "changes_shape": tv.shape != gl.shape,
        "outputs": {"torchvision": tv, "gluon": gl},
    }


def size_order(image: np.ndarray) -> dict[str, Any]:
    torch, T, mx, transforms = _frameworks()
    torch.manual_seed(0)
    mx.random.seed(0)
    random.seed(0)
    tv = _tv(T, image, lambda: T.RandomResizedCrop((200, 100)))
    gl = _gl(mx, image, lambda: transforms.RandomResizedCrop((200, 100)))
    return _shape_case(
        "size_order",
        "Size order",
        "RandomResizedCrop((200, 100))",
        tv,
        gl,
        "`size: [200, 100]` is always [height, width]: 200x100 on every backend",
        "write the size in the spec (`[height, width]`); the gluon backend passes (width, height)",
    )


def int_size(image: np.ndarray) -> dict[str, Any]:
    _, T, mx, transforms = _frameworks()
    tv = _tv(T, image, lambda: T.Resize(256))
    gl = _gl(mx, image, lambda: transforms.Resize(256))
    h, w = image.shape[:2]
    return _shape_case(
        "int_size",
        "What an int size means",
        f"Resize(256) on the {h}x{w} photo",
        tv,
        gl,
        "`size: 256` is the shorter side (aspect kept); `[256, 256]` is a square",
        "write the size in the spec; gluon's backend passes keep_ratio=True for an int",
    )


def _flip_rate(apply: Callable[[np.ndarray], np.ndarray], probe: np.ndarray) -> float:
    flipped = probe[:, ::-1]
    return float(np.mean([np.array_equal(apply(probe), flipped) for _ in range(N_DRAWS)]))


def flip_probability() -> dict[str, Any]:
    """Default rates, and what ``(0.2)`` does: torchvision's p; Gluon's classes take no p."""
    torch, T, mx, transforms = _frameworks()
    from PIL import Image

    probe = np.random.default_rng(7).integers(0, 256, (6, 8, 3), dtype=np.uint8)
    torch.manual_seed(0)
    mx.random.seed(0)

    def tv_flip(p: float | None) -> Callable[[np.ndarray], np.ndarray]:
        t = T.RandomHorizontalFlip() if p is None else T.RandomHorizontalFlip(p)
        return lambda x: np.asarray(t(Image.fromarray(x)))

    gl_default = transforms.RandomFlipLeftRight()
    tv_rate = _flip_rate(tv_flip(None), probe)
    gl_rate = _flip_rate(lambda x: gl_default(mx.nd.array(x, dtype="uint8")).asnumpy(), probe)
    tv_02 = _flip_rate(tv_flip(0.2), probe)
    try:
        transforms.RandomFlipLeftRight(0.2)
        gl_02 = "accepted"
    except TypeError as err:
        gl_02 = f"TypeError ({str(err).split('(')[0].strip()} takes no p)"
    return {
        "id": "flip_probability",
        "title": "Flip probability",
        "code": "RandomHorizontalFlip() / RandomFlipLeftRight(); then (0.2)",
        "torchvision": f"rate {tv_rate:.3f} of {N_DRAWS}; with (0.2): rate {tv_02:.3f}",
        "gluon": f"rate {gl_rate:.3f} of {N_DRAWS}; with (0.2): {gl_02}",
        "spec": "`p` (default 0.5) on every backend; gluon's backend ports p != 0.5",
        "fix": "write `p` in the spec",
        "differs": gl_02 != "accepted",
        "changes_shape": False,
        "rates": {"torchvision": tv_rate, "gluon": gl_rate, "torchvision_p0.2": tv_02},
    }


def jitter_factor_draws() -> dict[str, Any]:
    """Brightness 1.5: torchvision draws [max(0, 1 - 1.5), 2.5]; Gluon 1 + U(-1.5, 1.5)."""
    torch, T, mx, transforms = _frameworks()
    from PIL import Image

    level = 64
    probe = np.full((4, 4, 3), level, dtype=np.uint8)
    torch.manual_seed(0)
    mx.random.seed(0)
    tv_t = T.ColorJitter(brightness=1.5)
    gl_t = transforms.RandomColorJitter(brightness=1.5)
    tv = [np.asarray(tv_t(Image.fromarray(probe))).mean() / level for _ in range(N_DRAWS)]
    gl = [gl_t(mx.nd.array(probe, dtype="uint8")).asnumpy().mean() / level for _ in range(N_DRAWS)]
    tv_black, gl_black = (float(np.mean(np.asarray(d) == 0)) for d in (tv, gl))
    return {
        "id": "jitter_factor_draws",
        "title": "How jitter factors are drawn",
        "code": "ColorJitter(brightness=1.5) / RandomColorJitter(brightness=1.5)",
        "torchvision": f"factor {min(tv):.2f}..{max(tv):.2f}; all-black images {tv_black:.1%}",
        "gluon": f"factor {min(gl):.2f}..{max(gl):.2f}; all-black images {gl_black:.1%}",
        "spec": "b means [max(0, 1 - b), 1 + b]: a factor is never below 0",
        "fix": "fidelity='spec' (gluon's backend draws from the spec's range)",
        "differs": abs(tv_black - gl_black) > 0.05,
        "changes_shape": False,
        "draws": {"torchvision": [float(x) for x in tv], "gluon": [float(x) for x in gl]},
    }


def jitter_order() -> dict[str, Any]:
    """Whether ColorJitter applies its adjustments in a fixed or a drawn order.

    torchvision: fixed factors (its (min, max) form) whose order matters through clipping
    (brightness x2 then contrast 0 is a clipped grey; contrast 0 then brightness x2 is not),
    counted over draws. Gluon's RandomColorJitter cannot fix a factor (1 + U(-b, b)), so its
    order is not observable this way; mxnet's RandomColorJitter shuffles the four with
    std::shuffle (src/operator/image/image_random-inl.h).
    """
    torch, T, _, _ = _frameworks()
    from PIL import Image

    probe = np.full((4, 4, 3), 100, dtype=np.uint8)
    probe[2:] = 200
    torch.manual_seed(0)
    jitter = T.ColorJitter(brightness=(2.0, 2.0), contrast=(0.0, 0.0))
    outcomes = {
        int(np.asarray(jitter(Image.fromarray(probe)))[0, 0, 0]) for _ in range(N_DRAWS // 4)
    }
    return {
        "id": "jitter_order",
        "title": "Jitter order",
        "code": "ColorJitter(brightness=(2, 2), contrast=(0, 0)) / RandomColorJitter(...)",
        "torchvision": f"{len(outcomes)} different outputs in {N_DRAWS // 4} draws: order drawn",
        "gluon": "order drawn too (std::shuffle in mxnet's RandomColorJitter; factors cannot be "
        "fixed, so not measured here)",
        "spec": "`order`: a permutation drawn per image, replayed as drawn",
        "fix": "none needed",
        "differs": False,
        "changes_shape": False,
        "outcomes": sorted(outcomes),
    }


def _fingerprint(run: Callable[[], Any], n: int = 12) -> list[str]:
    return [repr(np.asarray(run()).tobytes().__hash__()) for _ in range(n)]


def which_rng() -> dict[str, Any]:
    """Which seed call makes a class repeat its draws: each candidate reseeded alone."""
    torch, T, mx, transforms = _frameworks()
    from PIL import Image

    probe = np.random.default_rng(3).integers(0, 256, (40, 34, 3), dtype=np.uint8)
    pil = Image.fromarray(probe)
    nd = mx.nd.array(probe, dtype="uint8")
    seeds: dict[str, Callable[[int], Any]] = {
        "torch.manual_seed": torch.manual_seed,
        "mx.random.seed": mx.random.seed,
        "random.seed": random.seed,
    }
    classes: dict[str, Callable[[], Any]] = {
        "torchvision RandomResizedCrop(16)": lambda: T.RandomResizedCrop(16)(pil),
        "torchvision RandomHorizontalFlip()": lambda: T.RandomHorizontalFlip()(pil),
        "gluon RandomResizedCrop(16)": lambda: transforms.RandomResizedCrop(16)(nd).asnumpy(),
        "gluon RandomFlipLeftRight()": lambda: transforms.RandomFlipLeftRight()(nd).asnumpy(),
    }
    found: dict[str, str] = {}
    for cls, run in classes.items():
        hits = []
        for name, seed in seeds.items():
            runs = []
            for other_state in (1, 2):  # every other RNG elsewhere the second time
                for other, s in seeds.items():
                    if other != name:
                        s(other_state)
                seed(0)
                runs.append(_fingerprint(run))
            if runs[0] == runs[1]:
                hits.append(name)
        found[cls] = " + ".join(hits) or "none of them alone"
    tv = sorted({v for k, v in found.items() if k.startswith("torchvision")})
    gl = sorted({v for k, v in found.items() if k.startswith("gluon")})
    return {
        "id": "which_rng",
        "title": "Which RNG a class draws from",
        "code": "RandomResizedCrop(16), RandomHorizontalFlip() / RandomFlipLeftRight()",
        "torchvision": "; ".join(
            f"{k.split(' ', 1)[1]}: {v}" for k, v in found.items() if k.startswith("torchvision")
        ),
        "gluon": "; ".join(
            f"{k.split(' ', 1)[1]}: {v}" for k, v in found.items() if k.startswith("gluon")
        ),
        "spec": "one seed: params from SeedSequence([seed, epoch, index]), the same on every backend",
        "fix": "augspec.sample / the backend's seed(), which seeds every RNG its classes use",
        "differs": tv != gl or len(gl) > 1,
        "changes_shape": False,
        "seeded_by": found,
    }


# ---- does the chapter's code hit it? -----------------------------------------------------


def _dump(op: Any) -> dict[str, Any]:
    return dict(op.model_dump(mode="json"))


def _non_square_crop(op: Any) -> bool:
    size = _dump(op).get("size")
    return op.op == "random_resized_crop" and isinstance(size, list) and size[0] != size[1]


def _int_resize(op: Any) -> bool:
    return op.op == "resize" and isinstance(_dump(op).get("size"), int)


def _flip_not_half(op: Any) -> bool:
    return op.op in ("horizontal_flip", "vertical_flip") and _dump(op).get("p") != 0.5


def _factor_above_one(op: Any) -> bool:
    values = [_dump(op).get(k) for k in ("factor", "brightness", "contrast", "saturation")]
    return op.op != "hue" and any(isinstance(v, (int, float)) and v > 1 for v in values)


# convention id -> (which op of a chapter pipeline triggers it, why the chapter does not)
CHAPTER_TRIGGERS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "size_order": (_non_square_crop, "its crops are square (200x200)"),
    "int_size": (_int_resize, "it resizes no image with an int size"),
    "flip_probability": (_flip_not_half, "its flips use the default p = 0.5"),
    "jitter_factor_draws": (_factor_above_one, "its factors are <= 1 (the same range)"),
    "which_rng": (lambda op: op.is_random, "it has no random op"),
    "jitter_order": (lambda op: op.op == "color_jitter", "it has no ColorJitter"),
}


def chapter_hits(cid: str, chapter: list[tuple[str, Any]]) -> str:
    """Which chapter pipelines the convention bites, or why none."""
    if cid not in CHAPTER_TRIGGERS:
        return "-"
    uses, why_not = CHAPTER_TRIGGERS[cid]
    hit = [name.removesuffix(".yaml") for name, spec in chapter if any(map(uses, spec.flat_ops()))]
    return "hits " + ", ".join(hit) if hit else f"not the chapter's code: {why_not}"


CONVENTIONS: tuple[Callable[..., dict[str, Any]], ...] = (
    size_order,
    int_size,
    flip_probability,
    jitter_factor_draws,
    jitter_order,
    which_rng,
)


def measure(
    image: np.ndarray, img_dir: str, chapter: list[tuple[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Every convention, measured, with its picture written to ``img_dir``; ``chapter``: the
    chapter's (file name, pipeline) pairs, to say which of them each convention bites."""
    out = []
    for case in CONVENTIONS:
        result = case(image) if case in (size_order, int_size) else case()
        result["severity"] = CONVENTION if result["differs"] else BIT_EXACT
        result["chapter"] = chapter_hits(result["id"], chapter or [])
        result["chapter_files"] = [
            name
            for name, spec in chapter or []
            if result["id"] in CHAPTER_TRIGGERS
            and any(map(CHAPTER_TRIGGERS[result["id"]][0], spec.flat_ops()))
        ]
        result["picture"] = f"img/convention_{result['id']}.png"
        _picture(result, os.path.join(img_dir, f"convention_{result['id']}.png"))
        result.pop("outputs", None)
        result.pop("draws", None)
        out.append(result)
    return out


def _picture(result: dict[str, Any], path: str) -> None:
    from augspec.parity.sheets import _figure, save_png

    if "outputs" in result:
        fig = _figure(6.4, 3.6)
        axes = fig.subplots(1, 2)
        side = max(max(img.shape[:2]) for img in result["outputs"].values())
        for ax, (name, img) in zip(axes, result["outputs"].items(), strict=True):
            ax.imshow(img, interpolation="nearest")
            ax.set_title(f"{name}: {_hw(img)}", fontsize=9)
            ax.set_xlim(-0.5, side - 0.5)  # one scale for both panels, so sizes compare
            ax.set_ylim(side - 0.5, -0.5)
    elif "draws" in result:
        fig = _figure(6.4, 3.0)
        ax = fig.subplots(1, 1)
        bins = np.linspace(-0.1, 2.6, 28)
        for name, draws in result["draws"].items():
            ax.hist(draws, bins=bins, alpha=0.6, label=name)
        ax.set_xlabel("brightness factor recovered from the output (0 = black)")
        ax.legend(fontsize=8)
    elif "rates" in result:
        fig = _figure(6.4, 3.0)
        ax = fig.subplots(1, 1)
        names = list(result["rates"])
        ax.bar(names, [result["rates"][n] for n in names])
        ax.set_ylabel(f"flip rate over {N_DRAWS} draws")
    else:
        fig = _figure(8.0, 2.2)
        ax = fig.subplots(1, 1)
        ax.axis("off")
        lines = result.get("seeded_by") or {
            "torchvision": result["torchvision"],
            "torchvision outputs (pixel 0)": result["outcomes"],
            "gluon": "order drawn (not measurable with fixed factors)",
        }
        text = "\n".join(f"{k}: {v}" for k, v in lines.items())
        ax.text(0.0, 0.5, text, va="center", fontsize=9, family="monospace")
    fig.suptitle(f"{result['title']}: {result['code']}", fontsize=9)
    fig.tight_layout()
    save_png(fig, path)
