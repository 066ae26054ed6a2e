"""``augspec.show(...)`` and ``augspec show``: augmented samples as a captioned matplotlib Figure.

Every sample's params are drawn once by ``augspec.sample(spec, seed, epoch, index)`` and
replayed through each backend asked for, so one seed gives the same draws on every backend
(one backend alone included) and each column is one augmentation seen through each
framework. A framework's compiled pipeline would draw from its own RNG instead (torch's,
mxnet's), so ``--backend gluon`` and ``--backend both`` would show different samples.

Layout: one column per sample, one row per backend, the drawn params as the caption above
each column; ``diff=True`` adds a row of |A - B| heat maps (0-255 units) on the same params:
torchvision vs gluon where both are shown, else the first two shown, else the one shown vs the
reference. The module is named ``show_figure`` because a submodule called ``show`` would
replace the ``augspec.show`` function on the package the moment it is imported.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from augspec.contract import check_fidelity
from augspec.pipeline import Pipeline
from augspec.sampling import Params

SIDE_BY_SIDE = {
    "both": ("torchvision", "gluon"),
    "all": ("torchvision", "torchvision-v2", "gluon", "reference"),
}
SHOWN_BACKENDS = ("torchvision", "torchvision-v2", "gluon", "reference")
DIFF_PREFERRED = ("torchvision", "gluon")  # the chapter's two frameworks

# ---- captions: the params drawn, concisely -----------------------------------------------

_FACTOR_OPS = {"brightness": "brightness", "contrast": "contrast", "saturation": "saturation"}
_JITTER_KEYS = (("brightness", "b"), ("contrast", "c"), ("saturation", "s"))


def _num(x: Any) -> str:
    return f"{x:.3g}" if isinstance(x, float) else str(x)


def _yes_no(flag: Any) -> str:
    return "yes" if flag else "no"


def _generic(p: Params) -> str:
    """An op this module has no wording for: its name and its drawn values."""
    fields = [f"{k}={_num(v)}" for k, v in p.items() if k != "op" and not isinstance(v, list)]
    fields += [
        f"{k}=({', '.join(_num(x) for x in v)})" for k, v in p.items() if isinstance(v, list)
    ]
    return " ".join([str(p["op"]), *fields])


def _jitter(p: Params) -> str:
    parts = [f"{short}{p[key]:.2f}" for key, short in _JITTER_KEYS if p.get(key) is not None]
    if p.get("hue") is not None:
        parts.append(f"h{p['hue']:+.2f}")
    return "jitter " + " ".join(parts)


def op_caption_lines(p: Params) -> list[str]:
    """The drawn params of one op (a dict of ``augspec.sample(...)["ops"]``) as short lines;
    no line for an op that draws nothing (resize, to_tensor, ...)."""
    op = p.get("op")
    if op == "horizontal_flip":
        return [f"flip: {_yes_no(p['apply'])}"]
    if op == "vertical_flip":
        return [f"v-flip: {_yes_no(p['apply'])}"]
    if op == "random_resized_crop":
        return [f"crop {p['height']}x{p['width']} at y={p['top']} x={p['left']}"]
    if op == "random_crop":
        return [f"crop at y={p['top']} x={p['left']}"]
    if op in _FACTOR_OPS:
        return [f"{_FACTOR_OPS[op]} x{p['factor']:.2f}"]
    if op == "hue":
        return [f"hue {p['factor']:+.3f}"]
    if op == "color_jitter":
        return [_jitter(p)]
    if op == "lighting":
        return ["lighting " + " ".join(f"{a:+.2f}" for a in p["alpha"])]
    if op == "random_apply":
        inner = [line for child in p["ops"] for line in op_caption_lines(child)]
        return ["apply: yes", *inner] if p["apply"] else ["apply: no"]
    if op == "compose":
        return [line for child in p["ops"] for line in op_caption_lines(child)]
    if op == "random_choice":  # only the chosen op's params were applied
        k = int(p["choice"])
        return [f"chose op {k}", *op_caption_lines(p["ops"][k])]
    if op == "random_order":
        inner = [line for i in p["perm"] for line in op_caption_lines(p["ops"][int(i)])]
        return ["order " + " ".join(str(int(i)) for i in p["perm"]), *inner]
    if op == "random_erasing":
        if not p["apply"]:
            return ["erase: no"]
        return [f"erase {p['height']}x{p['width']} at y={p['top']} x={p['left']}"]
    return [_generic(p)] if len(p) > 1 else []


def caption(params: Params) -> str:
    """The params of one sample (``augspec.sample``'s dict) as a panel caption, one op a line."""
    lines = [line for p in params["ops"] for line in op_caption_lines(p)]
    return "\n".join(lines) if lines else "(nothing random)"


# ---- drawing and replaying -----------------------------------------------------------------


@dataclass(frozen=True)
class Draw:
    """One sample: its index, params, caption and each backend's output (HWC uint8)."""

    index: int
    params: Params
    caption: str
    outputs: dict[str, np.ndarray]


def backend_names(backend: str | Sequence[str]) -> tuple[str, ...]:
    """'both', 'all', one backend name or a list of names, as the tuple of names shown."""
    names = SIDE_BY_SIDE.get(backend, (backend,)) if isinstance(backend, str) else tuple(backend)
    if not names or any(not isinstance(n, str) for n in names):
        raise ValueError(
            "backend: Expected 'both', 'all', a backend name or a list of names "
            f"({', '.join(SHOWN_BACKENDS)}); received {backend!r}"
        )
    return tuple(names)


def diff_pair(names: Sequence[str]) -> tuple[str, str]:
    """Which two outputs the heat-map row compares."""
    if all(n in names for n in DIFF_PREFERRED):
        return DIFF_PREFERRED
    if len(names) >= 2:
        return names[0], names[1]
    if names[0] == "reference":
        raise ValueError(
            "diff: Expected two backends to compare, or one framework backend (compared with "
            "the reference); received backend='reference' alone"
        )
    return names[0], "reference"


def draws(
    spec: Pipeline,
    image: np.ndarray,
    names: Sequence[str],
    n: int,
    seed: int = 0,
    fidelity: str = "native",
    epoch: int = 0,
) -> list[Draw]:
    """n samples: params from ``augspec.sample``, replayed through every backend in ``names``."""
    import augspec.backends as backends
    from augspec.parity.sheets import displayable
    from augspec.sampling import sample

    check_fidelity(fidelity)
    modules = {name: backends.load(name) for name in dict.fromkeys(names)}
    hw = (int(image.shape[0]), int(image.shape[1]))
    out = []
    for i in range(n):
        params = sample(spec, seed, epoch, i, hw)
        outputs = {
            name: displayable(
                np.asarray(mod.to_numpy(mod.replay(spec, params, image, fidelity))), spec
            )
            for name, mod in modules.items()
        }
        out.append(Draw(i, params, caption(params), outputs))
    return out


def abs_diff(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """|a - b| per pixel (largest over channels, 0-255 units); None when the sizes differ."""
    if a.shape != b.shape:
        return None
    d: np.ndarray = np.abs(a.astype(np.int16) - b.astype(np.int16))
    return d.max(axis=-1) if d.ndim == 3 else d


# ---- the figure ----------------------------------------------------------------------------


def _frame(ax: Any) -> None:
    """No ticks or frame, but keep the y label (the row's backend)."""
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def figure_size(shown: list[Draw], n_rows: int, bands: int, cols: int) -> tuple[float, float]:
    """Inches: panels 2.2 wide, as tall as the output's aspect, plus the caption lines."""
    first = next(iter(shown[0].outputs.values()))
    aspect = min(max(first.shape[0] / max(first.shape[1], 1), 0.4), 2.5)
    lines = max(d.caption.count("\n") + 2 for d in shown)
    height = n_rows * (2.2 * aspect + 0.15) + bands * 0.13 * lines + 0.5
    return 2.2 * cols + 0.9, height


def _heat_row(
    axes: Any, row: int, band: list[Draw], pair: tuple[str, str], vmax: float
) -> tuple[list[Any], Any]:
    """Heat maps of |pair[0] - pair[1]| in ``row``; the axes used and the last image drawn."""
    ims, used = None, []
    for c, d in enumerate(band):
        ax = axes[row, c]
        _frame(ax)
        used.append(ax)
        heat = abs_diff(d.outputs[pair[0]], d.outputs[pair[1]])
        if heat is None:
            ax.text(0.5, 0.5, "sizes differ", ha="center", va="center", transform=ax.transAxes)
            continue
        ims = ax.imshow(heat, cmap="inferno", vmin=0, vmax=vmax, interpolation="nearest")
        ax.set_title(f"max {int(heat.max())}, mean {heat.mean():.2g}", fontsize=7)
        if c == 0:
            ax.set_ylabel(f"|{pair[0]} - {pair[1]}|", fontsize=8)
    return used, ims


def draw_figure(
    fig: Any,
    drawn: list[Draw],
    shown: Sequence[str],
    cols: int,
    title: str,
    pair: tuple[str, str] | None = None,
) -> Any:
    """Fill ``fig`` (constrained layout): one column per sample in bands of ``cols``; per band a
    row per backend in ``shown`` and, with ``pair``, a row of |pair[0] - pair[1]| heat maps."""
    per_band = len(shown) + (1 if pair else 0)
    bands = math.ceil(len(drawn) / cols)
    axes = fig.subplots(bands * per_band, cols, squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    heats = [abs_diff(d.outputs[pair[0]], d.outputs[pair[1]]) for d in drawn] if pair else []
    vmax = max([1.0, *(float(h.max()) for h in heats if h is not None)])
    for b in range(bands):
        band = drawn[b * cols : (b + 1) * cols]
        for r, name in enumerate(shown):
            for c, d in enumerate(band):
                ax = axes[b * per_band + r, c]
                ax.axis("on")
                _frame(ax)
                ax.imshow(d.outputs[name], interpolation="nearest")
                if r == 0:
                    ax.set_title(f"#{d.index}\n{d.caption}", fontsize=7, loc="left")
                if c == 0:
                    ax.set_ylabel(name, fontsize=8)
        if pair:
            for ax in axes[b * per_band + len(shown), : len(band)]:
                ax.axis("on")
            used, im = _heat_row(axes, b * per_band + len(shown), band, pair, vmax)
            if im is not None:  # one colour bar per heat-map row, all on one scale
                fig.colorbar(im, ax=used, shrink=0.9, label="|difference|, 0-255")
    fig.suptitle(title, fontsize=9)
    return fig


def new_figure(size: tuple[float, float]) -> Any:
    """A matplotlib Figure outside pyplot: nothing global, shown inline by Jupyter."""
    from augspec.images import require_matplotlib

    require_matplotlib("augspec.show")
    from matplotlib.figure import Figure

    return Figure(figsize=size, dpi=100, layout="constrained")


def title_for(spec_name: str, names: Sequence[str], fidelity: str, seed: int) -> str:
    """Two short lines, so that a grid of two columns still shows the whole title."""
    return f"{spec_name} (seed={seed}, fidelity={fidelity})\nsame params: {' | '.join(names)}"


def as_image(image: Any) -> np.ndarray:
    """The bundled photo (None), an image file path, a numpy array or a PIL image, as HWC uint8."""
    from augspec.images import load_image, to_numpy_image

    if image is None or isinstance(image, (str, Path)):
        return load_image(None if image is None else str(image))
    return to_numpy_image(image)


def _count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name}: Expected an int >= 1; received {name}={value!r}")
    return value


def spec_label(spec: Any, pipeline: Pipeline) -> str:
    """What the title calls the spec: its file name, else its description, else 'spec'."""
    if isinstance(spec, (str, Path)):
        return Path(spec).name
    return textwrap.shorten(pipeline.description or "spec", width=70, placeholder="...")


def show(
    spec: Any,
    image: Any = None,
    backend: str | Sequence[str] = "both",
    n: int = 4,
    seed: int = 0,
    diff: bool = False,
    fidelity: str = "native",
    cols: int | None = None,
    epoch: int = 0,
    title: str | None = None,
) -> Any:
    """The ``augspec.show`` function: see :func:`augspec.show`."""
    from augspec import as_pipeline

    n = _count("n", n)
    cols = _count("cols", min(n, 4) if cols is None else cols)
    pipeline = as_pipeline(spec)
    names = backend_names(backend)
    pair = diff_pair(names) if diff else None
    drawn = draws(pipeline, as_image(image), [*names, *(pair or ())], n, seed, fidelity, epoch)
    bands = math.ceil(n / cols)
    rows = bands * (len(names) + (1 if pair else 0))
    fig = new_figure(figure_size(drawn, rows, bands, min(n, cols)))
    label = spec_label(spec, pipeline) if title is None else title
    return draw_figure(fig, drawn, names, cols, title_for(label, names, fidelity, seed), pair)


def save_png(fig: Any, path: str | Path) -> None:
    """Write the figure as a 256-colour PNG (a third of the bytes), atomically."""
    from PIL import Image

    from augspec.files import atomic_file

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    buf.seek(0)
    with Image.open(buf) as img, atomic_file(path) as f:
        quantized = img.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
        quantized.save(f, format="png", optimize=True)
