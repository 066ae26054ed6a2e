"""Training metrics: the chapter's accumulator, the progress bar, the summary lines, and the files.

Files in ``--out``: ``metrics.csv`` and ``metrics.json`` (one row per epoch,
with the data label so a synthetic run is never mistaken for CIFAR-10), and
``curves.png``: train loss, train acc and test acc per epoch, like the
chapter's ``Animator``, titled with the spec file, the backend and the data.
While a run goes, :func:`epoch_line` prints each epoch; :func:`summary_lines` are
the chapter's two final lines.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from augspec.files import write_text

COLUMNS = (
    "epoch",
    "train_loss",
    "train_acc",
    "test_acc",
    "examples",
    "seconds",
    "examples_per_sec",
)


class Accumulator:
    """Sums over ``n`` variables (d2l's Accumulator)."""

    def __init__(self, n: int) -> None:
        self.data = [0.0] * n

    def add(self, *args: float) -> None:
        self.data = [a + float(b) for a, b in zip(self.data, args, strict=True)]

    def __getitem__(self, i: int) -> float:
        return self.data[i]


def resume_epoch(
    metric: Accumulator, resume_at: dict[str, Any] | None, epoch: int, start_epoch: int
) -> tuple[int, float]:
    """Batches done and seconds spent in ``epoch`` before a mid-epoch resume (0, 0.0 otherwise).

    ``resume_at`` is a mid-epoch checkpoint's ``position`` (see :func:`position`); its
    metric sums are put back into ``metric``, so the epoch's record equals an uninterrupted one.
    """
    if resume_at is None or epoch != start_epoch:
        return 0, 0.0
    if int(resume_at["epoch"]) != epoch:
        raise ValueError(
            f"Expected a mid-epoch position in epoch {epoch}; received epoch {resume_at['epoch']}"
        )
    metric.data = [float(v) for v in resume_at["metric"]]
    return int(resume_at["step"]), float(resume_at["seconds"])


def position(epoch: int, step: int, metric: Accumulator, seconds: float) -> dict[str, Any]:
    """Where a run is within an epoch (0-based ``epoch``, ``step`` batches done), as checkpointed."""
    return {"epoch": epoch, "step": step, "metric": list(metric.data), "seconds": seconds}


def epoch_record(
    epoch: int, metric: Accumulator, test_acc: float, seconds: float
) -> dict[str, Any]:
    """One epoch's line of metrics.csv (``epoch`` 0-based in, 1-based out), the same for both trainers."""
    return {
        "epoch": epoch + 1,
        "train_loss": metric[0] / metric[2],
        "train_acc": metric[1] / metric[2],
        "test_acc": test_acc,
        "examples": int(metric[2]),
        "seconds": seconds,
    }


def progress(items: Iterable[Any], desc: str, enabled: bool = True) -> Iterator[Any]:
    """A tqdm bar on stderr (plain iteration without tqdm or when disabled)."""
    if not enabled:
        yield from items
        return
    try:
        from tqdm import tqdm
    except ModuleNotFoundError:
        yield from items
        return
    total = len(items) if hasattr(items, "__len__") else None  # type: ignore[arg-type]
    yield from tqdm(items, desc=desc, total=total, file=sys.stderr, leave=False, unit="batch")


def epoch_line(record: dict[str, Any], epochs: int) -> str:
    """One epoch as it ends: loss, train and test accuracy, examples/s."""
    return (
        f"epoch {record['epoch']}/{epochs}: loss {record['train_loss']:.3f}, "
        f"train acc {record['train_acc']:.3f}, test acc {record['test_acc']:.3f}, "
        f"{with_speed(record)['examples_per_sec']:.1f} examples/sec"
    )


def summary_lines(history: list[dict[str, Any]], devices: str) -> list[str]:
    """The chapter's two final lines (the last epoch; examples/s over the run)."""
    last = history[-1]
    seconds = sum(r["seconds"] for r in history)
    examples = sum(r["examples"] for r in history)
    return [
        f"loss {last['train_loss']:.3f}, train acc {last['train_acc']:.3f}, test acc {last['test_acc']:.3f}",
        f"{examples / max(seconds, 1e-9):.1f} examples/sec on {devices}",
    ]


def with_speed(record: dict[str, Any]) -> dict[str, Any]:
    return {**record, "examples_per_sec": record["examples"] / max(record["seconds"], 1e-9)}


def write_metrics(out: str | Path, history: list[dict[str, Any]], info: dict[str, Any]) -> None:
    """metrics.csv, metrics.json (rows + run info incl. the data label) and curves.png."""
    out = Path(out)
    rows = [with_speed(r) for r in history]
    table = io.StringIO(newline="")
    writer = csv.writer(table)
    writer.writerow([*COLUMNS, "data"])
    for r in rows:
        writer.writerow([*(r[c] for c in COLUMNS), info.get("data", "")])
    write_text(out / "metrics.csv", table.getvalue())
    write_text(out / "metrics.json", json.dumps({**info, "epochs": rows}, indent=2) + "\n")
    plot_curves(rows, out / "curves.png", curves_title(info))


def curves_title(info: dict[str, Any]) -> str:
    """``<spec file> on <backend>`` over the data's name (its provenance left to metrics.json)."""
    spec = Path(str(info.get("spec") or "spec")).name
    data = str(info.get("data", "")).split(" (")[0].split(":")[0]
    return f"{spec} on {info.get('backend', '?')}\n{data}"


def plot_curves(rows: list[dict[str, Any]], path: str | Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.5, 3.2))
    ax = fig.add_subplot()
    epochs = [r["epoch"] for r in rows]
    for key, style in (("train_loss", "-"), ("train_acc", "m--"), ("test_acc", "g-.")):
        ax.plot(epochs, [r[key] for r in rows], style, label=key.replace("_", " "), marker="o")
    ax.set_xlabel("epoch")
    ax.set_xlim(0.5, max(epochs) + 0.5)
    ax.grid(True)
    ax.legend()
    ax.set_title(title, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
