"""Run mypy over augspec as it is installed: ``python -m tests.typecheck``.

``backends/``, ``trainers/``, ``benchmarks/`` and ``examples/`` are installed as
``augspec.backends`` ... (setuptools package-dir), a mapping mypy cannot follow from the
source tree. So this lays out the installed package as a tree of symbolic links in a
temporary folder and checks it with ``mypy -p augspec``: every import between augspec's own
packages is then checked, none is ``Any``. Paths in mypy's report are mapped back to the
repository's files.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# installed name under augspec/ -> repository folder
MAPPED = {
    "backends": "backends",
    "trainers": "trainers",
    "benchmarks": "benchmarks",
    "examples": "examples",
}


def link_tree(dest: Path) -> Path:
    """``dest/augspec``: links to augspec/'s entries plus the package-dir folders."""
    pkg = dest / "augspec"
    pkg.mkdir()
    for entry in (ROOT / "augspec").iterdir():
        if entry.name != "__pycache__":
            (pkg / entry.name).symlink_to(entry)
    for name, folder in MAPPED.items():
        (pkg / name).symlink_to(ROOT / folder)
    return pkg


def _to_repo_paths(text: str, pkg: Path) -> str:
    for name, folder in MAPPED.items():
        text = text.replace(f"augspec/{name}/", f"{folder}/").replace(
            f"{pkg}/{name}/", f"{folder}/"
        )
    return text.replace(f"{pkg}/", "augspec/")


def run(extra: list[str] | None = None) -> tuple[int, str]:
    """mypy's exit status and report (paths relative to the repository)."""
    with tempfile.TemporaryDirectory(prefix="augspec-mypy-") as tmp:
        pkg = link_tree(Path(tmp))
        env = {**os.environ, "MYPYPATH": tmp}
        cmd = [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            "-p",
            "augspec",
            *(extra or []),
        ]
        proc = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True, check=False)
        return proc.returncode, _to_repo_paths(proc.stdout + proc.stderr, pkg)


def main() -> int:
    code, report = run(sys.argv[1:])
    print(report, end="")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
