"""The side-by-side comparison of a ``--backend both`` run: table, plots, summary (framework-free).

Files in ``--out`` (next to ``torch/`` and ``gluon/``, each a normal run folder):

- ``steps.csv``: every training step's mean batch loss on both frameworks and the difference;
- ``comparison.csv`` / ``comparison.md``: per epoch, train loss, train and test accuracy of
  each framework and their differences (gluon minus torch);
- ``comparison.json``: the same rows plus the summary: how many steps stay within the
  trainer-parity tolerance, the step where the two part, and why they part;
- ``compare.png``: both frameworks' loss (per step) and accuracy (per epoch) curves;
- ``loss_diff.png``: the per-step loss difference on a log scale, with the tolerance.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from augspec.files import write_text

FRAMEWORKS = ("torch", "gluon")
# The float32 trainer-parity tolerance on a step's mean loss: tests/test_trainers.py measures
# torch vs Gluon from transferred weights on the same batches (4 steps, lr 1e-4: 7e-7 .. 7e-5;
# 5 steps at lr 1e-3: 1.2e-2, rounding alone 2e-3) and asserts this per step.
PARITY_LOSS_TOL = 2e-3
WHY_THEY_PART = (
    "Both start from the same weights (transferred) and train on the same batches, so the first "
    "step's losses differ only by float32 rounding: torch (oneDNN) and MXNet sum convolutions and "
    "reductions in different orders (which also change with the thread count, so the parting "
    "step moves with --threads). Training amplifies those last-bit differences step after "
    "step (Adam's normalised update moves weights whose gradient is ~0 by ~lr in a direction set "
    "by rounding; a ReLU input within rounding of 0 passes its gradient on one side only), so the "
    "two trajectories drift apart and, over many steps, part: expected, not a bug. What must "
    "agree is the first steps (within the tolerance) and the learning curves' level, not the "
    "bits of a long run."
)
EPOCH_KEYS = ("train_loss", "train_acc", "test_acc")


def parting(losses_t: Sequence[float], losses_g: Sequence[float], tol: float) -> dict[str, Any]:
    """How long two per-step loss series stay within ``tol`` and the (1-based) step where they part."""
    if len(losses_t) != len(losses_g):
        raise ValueError(
            f"Expected as many torch as gluon step losses; received {len(losses_t)} and "
            f"{len(losses_g)}"
        )
    diffs = [abs(float(a) - float(b)) for a, b in zip(losses_t, losses_g, strict=True)]
    within = next((i for i, d in enumerate(diffs) if not d <= tol), len(diffs))
    return {
        "steps": len(diffs),
        "tolerance": tol,
        "steps_within": within,
        "parting_step": within + 1 if within < len(diffs) else None,
        "steps_within_total": sum(d <= tol for d in diffs),
        "first_step_diff": diffs[0] if diffs else None,
        "max_diff": max(diffs) if diffs else None,
        "final_diff": diffs[-1] if diffs else None,
    }


def epoch_rows(hist_t: list[dict[str, Any]], hist_g: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per epoch: each framework's train loss, train and test accuracy, and gluon - torch."""
    rows = []
    for rt, rg in zip(hist_t, hist_g, strict=True):
        row: dict[str, Any] = {"epoch": rt["epoch"]}
        for key in EPOCH_KEYS:
            row[f"torch_{key}"] = rt[key]
            row[f"gluon_{key}"] = rg[key]
            row[f"diff_{key}"] = rg[key] - rt[key]
        rows.append(row)
    return rows


def _csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    table = io.StringIO(newline="")
    writer = csv.writer(table)
    writer.writerow(header)
    writer.writerows(rows)
    return table.getvalue()


def _markdown(rows: list[dict[str, Any]]) -> str:
    head = ["epoch"]
    for key in EPOCH_KEYS:
        head += [f"{key.replace('_', ' ')} torch", "gluon", "diff"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
    for r in rows:
        cells = [str(r["epoch"])]
        for key in EPOCH_KEYS:
            cells += [f"{r[f'torch_{key}']:.4f}", f"{r[f'gluon_{key}']:.4f}"]
            cells.append(f"{r[f'diff_{key}']:+.4f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_comparison(
    out: str | Path,
    hist_t: list[dict[str, Any]],
    hist_g: list[dict[str, Any]],
    losses_t: Sequence[float],
    losses_g: Sequence[float],
    steps_per_epoch: int,
    title: str,
    tol: float = PARITY_LOSS_TOL,
    info: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write every comparison file into ``out``; returns the summary (``comparison.json``,
    with ``info`` added: the run's data, threads...)."""
    out = Path(out)
    summary = parting(losses_t, losses_g, tol)
    rows = epoch_rows(hist_t, hist_g)
    write_text(out / "comparison.csv", _csv(list(rows[0]) if rows else ["epoch"],
                                            [list(r.values()) for r in rows]))  # fmt: skip
    write_text(out / "comparison.md", _markdown(rows))
    step_rows = [
        [k + 1, k // steps_per_epoch + 1, a, b, abs(a - b)]
        for k, (a, b) in enumerate(zip(losses_t, losses_g, strict=True))
    ]
    write_text(
        out / "steps.csv",
        _csv(["step", "epoch", "torch_loss", "gluon_loss", "abs_diff"], step_rows),
    )
    summary = {
        **summary,
        "steps_per_epoch": steps_per_epoch,
        "why": WHY_THEY_PART,
        **(info or {}),
        "epochs": rows,
    }
    write_text(out / "comparison.json", json.dumps(summary, indent=2) + "\n")
    plot_compare(hist_t, hist_g, losses_t, losses_g, steps_per_epoch, out / "compare.png", title)
    plot_loss_diff(summary, losses_t, losses_g, out / "loss_diff.png", title)
    return summary


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """The printed summary: the parting step, and why."""
    n, tol, within = summary["steps"], summary["tolerance"], summary["steps_within"]
    if summary["parting_step"] is None:
        where = f"the two stay within the trainer-parity tolerance ({tol:g}) for all {n} steps"
    else:
        where = (
            f"the two stay within the trainer-parity tolerance ({tol:g}) for {within} of {n} "
            f"steps and part at step {summary['parting_step']} (epoch "
            f"{(summary['parting_step'] - 1) // summary['steps_per_epoch'] + 1})"
        )
    last = summary["epochs"][-1]
    return [
        f"torch vs gluon: |loss diff| {summary['first_step_diff']:.2g} at step 1, max "
        f"{summary['max_diff']:.2g}, {summary['final_diff']:.2g} at step {n}; {where}",
        f"epoch {last['epoch']}, gluon - torch: train loss {last['diff_train_loss']:+.4f}, "
        f"train acc {last['diff_train_acc']:+.4f}, test acc {last['diff_test_acc']:+.4f}",
        f"why: {summary['why']}",
    ]


def _figure(size: tuple[float, float]) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=size)


STYLE = {"torch": {"color": "tab:orange", "ls": "-"}, "gluon": {"color": "tab:blue", "ls": "--"}}


def plot_compare(
    hist_t: list[dict[str, Any]],
    hist_g: list[dict[str, Any]],
    losses_t: Sequence[float],
    losses_g: Sequence[float],
    steps_per_epoch: int,
    path: str | Path,
    title: str,
) -> None:
    """Left: per-step training loss of both; right: per-epoch train and test accuracy of both."""
    fig = _figure((9, 3.4))
    ax_loss, ax_acc = fig.subplots(1, 2)
    for name, losses, hist in (("torch", losses_t, hist_t), ("gluon", losses_g, hist_g)):
        epochs = [r["epoch"] * steps_per_epoch for r in hist]  # an epoch's record at its last step
        ax_loss.plot(range(1, len(losses) + 1), losses, lw=0.8, alpha=0.7,
                     label=f"{name} step loss", **STYLE[name])  # fmt: skip
        ax_loss.plot(epochs, [r["train_loss"] for r in hist], marker="o", lw=0,
                     color=STYLE[name]["color"], label=f"{name} epoch mean",
                     fillstyle="full" if name == "torch" else "none")  # fmt: skip
        for key, marker in (("train_acc", "o"), ("test_acc", "s")):
            ax_acc.plot([r["epoch"] for r in hist], [r[key] for r in hist], marker=marker,
                        label=f"{name} {key.replace('_', ' ')}", **STYLE[name])  # fmt: skip
    ax_loss.set_xlabel("step")
    ax_loss.set_ylabel("training loss")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(True)
        ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def plot_loss_diff(
    summary: dict[str, Any],
    losses_t: Sequence[float],
    losses_g: Sequence[float],
    path: str | Path,
    title: str,
) -> None:
    """|torch loss - gluon loss| per step (log scale), the tolerance and the parting step."""
    fig = _figure((6, 3.4))
    ax = fig.add_subplot()
    # a difference of exactly 0 has no place on a log axis: drawn at the float32 spacing of 1
    diffs = [max(abs(a - b), 1e-7) for a, b in zip(losses_t, losses_g, strict=True)]
    ax.semilogy(range(1, len(diffs) + 1), diffs, lw=0.9, color="tab:purple", label="|loss diff|")
    ax.axhline(summary["tolerance"], color="gray", ls="--", label="trainer-parity tolerance")
    if summary["parting_step"] is not None:
        ax.axvline(summary["parting_step"], color="tab:red", ls=":",
                   label=f"part at step {summary['parting_step']}")  # fmt: skip
    ax.set_xlabel("step")
    ax.set_ylabel("|torch - gluon| mean batch loss")
    ax.grid(True, which="both", alpha=0.4)
    ax.legend(fontsize=7)
    ax.set_title(title, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
