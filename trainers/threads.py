"""CPU threads for training: defaults that do not collapse when another process holds a core.

GNU OpenMP (libgomp, which torch and mxnet both load) lets an idle worker thread spin for a
while before it sleeps (``OMP_WAIT_POLICY`` unset: about 300,000 spins at every barrier).
When another process holds one of the cores, a spinning thread waits for a sibling that
the scheduler has parked, at every operator of every step: measured here (a 2-core machine
with one busy process, width-16 ResNet-18, batch 64) torch fell from ~150 to a few tens of
examples/s. ``OMP_WAIT_POLICY=PASSIVE`` makes waiting threads sleep at once, but on an idle
machine it costs a third of the speed, so the automatic setting uses it only when cores are
busy at the start (:func:`thread_env`). The table and the commands are in
docs/performance.md (``python -m augspec.trainers.threads``).

libgomp reads these variables once, when it is loaded: :func:`apply_threads` must run
before torch or mxnet is imported (``augspec train`` calls it first). In a process that
has already imported torch only the thread count can still change.
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
import time
from typing import Any

WAIT_POLICY = "OMP_WAIT_POLICY"
NUM_THREADS = "OMP_NUM_THREADS"


def usable_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def busy_cores(samples: int = 5, interval: float = 0.05) -> int:
    """Cores other processes keep busy now: the runnable tasks of /proc/loadavg (its 4th
    field, an instantaneous count, unlike the load averages that lag by a minute), less
    this process, the median of a few samples. 0 where there is no /proc/loadavg."""
    counts = []
    for k in range(samples):
        try:
            with open("/proc/loadavg", encoding="ascii") as f:
                running = int(f.read().split()[3].split("/")[0])
        except (OSError, ValueError, IndexError):
            return 0
        counts.append(max(running - 1, 0))
        if k + 1 < samples:
            time.sleep(interval)
    return sorted(counts)[len(counts) // 2]


def check_threads(threads: Any) -> int:
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 0:
        raise ValueError(
            f"Expected --threads as an int >= 0 (0: automatic); received threads={threads!r}"
        )
    return threads


def thread_env(threads: int, cores: int, busy: int) -> dict[str, str]:
    """The OpenMP variables a run sets, before the user's own (which win).

    ``threads=N``: ``OMP_NUM_THREADS=N``. ``threads=0`` (automatic): on an idle machine
    nothing (each framework's own default, every core with spinning waits: the fastest there);
    when other processes hold ``busy`` of the ``cores``, the free cores (at least one) with
    ``OMP_WAIT_POLICY=PASSIVE``, so that no thread spins waiting for a descheduled sibling.
    """
    if threads:
        return {NUM_THREADS: str(threads)}
    if busy <= 0:
        return {}
    return {NUM_THREADS: str(max(1, cores - busy)), WAIT_POLICY: "PASSIVE"}


def apply_threads(threads: int = 0) -> str:
    """Set the OpenMP environment for this run (:func:`thread_env`); returns what was chosen,
    for the run's notes.

    ``OMP_NUM_THREADS`` (which mxnet follows too, see ``backends/gluon_mx.py``) or a wait
    policy the user set is kept. Once a framework is imported the variables are read already:
    then only torch's count is set.
    """
    threads = check_threads(threads)
    torch = sys.modules.get("torch")
    if torch is None and "mxnet" not in sys.modules:  # neither has started OpenMP yet
        user_count = NUM_THREADS in os.environ and not threads
        busy = 0 if threads or user_count else busy_cores()
        for name, value in thread_env(threads, usable_cores(), busy).items():
            if name == NUM_THREADS and threads:
                os.environ[name] = value
            else:
                os.environ.setdefault(name, value)
    elif torch is not None and threads:  # already started: only the count can change now
        torch.set_num_threads(threads)
    count = threads or os.environ.get(NUM_THREADS, f"{usable_cores()} (all)")
    return f"{count} threads, {WAIT_POLICY}={os.environ.get(WAIT_POLICY, 'unset')}"


# ---------------------------------------------------------------- measurement

SETTINGS: dict[str, dict[str, str]] = {
    "default": {},
    "OMP_NUM_THREADS=1": {NUM_THREADS: "1"},
    "OMP_WAIT_POLICY=PASSIVE": {WAIT_POLICY: "PASSIVE"},
    "augspec train's (--threads 0)": {"AUGSPEC_APPLY_THREADS": "1"},
}
CLEAN = (
    NUM_THREADS,
    WAIT_POLICY,
    "MXNET_OMP_MAX_THREADS",
    "MKL_NUM_THREADS",
    "GOMP_SPINCOUNT",
    "AUGSPEC_APPLY_THREADS",
)


def steps_per_second(framework: str, seconds: float, width: int = 16, batch: int = 64) -> float:
    """Examples/s of training steps for ``seconds`` (after 3 warm-up steps), random 32x32 batches."""
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.random((batch, 3, 32, 32), dtype=np.float32)
    y = rng.integers(0, 10, batch).astype(np.int64)
    fw: Any = importlib.import_module(f"augspec.trainers.{framework}")
    models: Any = importlib.import_module(f"augspec.trainers.models_{framework}")
    net = models.resnet18(10, 3, width)
    devs = fw.devices("cpu")
    net = fw.prepare(net, devs)
    loss, opt = fw.make_loss(), fw.make_trainer(net, 0.001)
    for _ in range(3):
        fw.train_batch(net, x, y, loss, opt, devs)  # returns floats: each step is synchronised
    start, steps = time.perf_counter(), 0
    while steps < 3 or time.perf_counter() - start < seconds:
        fw.train_batch(net, x, y, loss, opt, devs)
        steps += 1
    return steps * batch / (time.perf_counter() - start)


def _one(framework: str, env: dict[str, str], seconds: float) -> float:
    clean = {k: v for k, v in os.environ.items() if k not in CLEAN}
    code = (
        "import os; from augspec.trainers.threads import apply_threads, steps_per_second; "
        "os.environ.get('AUGSPEC_APPLY_THREADS') and apply_threads(0); "
        f"print(steps_per_second({framework!r}, {seconds}))"
    )
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.split()[-1])


def _loaded(framework: str, env: dict[str, str], seconds: float) -> float:
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)  # running before the measured process starts (and looks at the load)
        return _one(framework, env, seconds)
    finally:
        busy.kill()
        busy.wait()


def table(seconds: float, frameworks: list[str], repeats: int) -> list[str]:
    """Markdown rows: framework x setting, examples/s as measured and with one more busy
    process; each the median of ``repeats``, the settings interleaved so that a change in
    the machine's load falls on all of them."""
    found: dict[tuple[str, str, bool], list[float]] = {}
    for _ in range(repeats):
        for framework in frameworks:
            for name, env in SETTINGS.items():
                found.setdefault((framework, name, False), []).append(_one(framework, env, seconds))
                found.setdefault((framework, name, True), []).append(
                    _loaded(framework, env, seconds)
                )
    rows = ["| framework | setting | as is (examples/s) | one more busy process (examples/s) |"]
    rows.append("| --- | --- | --- | --- |")
    for framework in frameworks:
        for name in SETTINGS:
            idle, loaded = (sorted(found[(framework, name, b)]) for b in (False, True))
            rows.append(
                f"| {framework} | {name} | {idle[len(idle) // 2]:.0f} | {loaded[len(loaded) // 2]:.0f} |"
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m augspec.trainers.threads",
        description="Training examples/s under each OpenMP setting, idle and with one busy "
        "process (width-16 ResNet-18, batch 64, each in a fresh interpreter).",
    )
    p.add_argument("--seconds", type=float, default=6.0, help="timed seconds per measurement")
    p.add_argument("--repeats", type=int, default=3, help="measurements per cell (median)")
    p.add_argument("--frameworks", nargs="+", default=["torch", "gluon"])
    args = p.parse_args(argv)
    print(f"load before: {os.getloadavg()}", flush=True)
    print("\n".join(table(args.seconds, args.frameworks, args.repeats)))
    print(f"load after: {os.getloadavg()}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
