"""The wheel installs whole: every package and module of the source tree, the examples.

Builds the wheel from a copy of the source tree (offline: no build isolation, no index),
so the repository gets no build/ folder, and compares its files with the tree's.
"""

from __future__ import annotations

import ast
import email
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# source folder -> where it installs (pyproject's [tool.setuptools.package-dir])
FOLDERS = {
    "augspec": "augspec",
    "backends": "augspec/backends",
    "trainers": "augspec/trainers",
    "benchmarks": "augspec/benchmarks",
    "examples": "augspec/examples",
}
DATA_SUFFIXES = (".yaml", ".json")


def _source_files(suffixes: tuple[str, ...]) -> dict[str, Path]:
    """Installed path -> source file, for every file with these suffixes under FOLDERS."""
    files = {}
    for folder, installed in FOLDERS.items():
        for path in (REPO / folder).rglob("*"):
            if path.suffix in suffixes and "__pycache__" not in path.parts:
                files[f"{installed}/{path.relative_to(REPO / folder).as_posix()}"] = path
    return files


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[zipfile.ZipFile]:
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "dist")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    for folder in FOLDERS:
        shutil.copytree(REPO / folder, src / folder, ignore=ignore)
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "--quiet",
        "--wheel-dir",
        str(tmp / "dist"),
        str(src),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, f"pip wheel failed:\n{proc.stdout}\n{proc.stderr}"
    (path,) = (tmp / "dist").glob("augspec-*.whl")
    with zipfile.ZipFile(path) as zf:
        yield zf


def test_every_package_folder_is_in_the_wheel(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    packages = [p for p in _source_files((".py",)) if p.endswith("/__init__.py")]
    assert "augspec/parity/__init__.py" in packages  # the tree walk sees subpackages
    missing = sorted(
        p.removesuffix("/__init__.py").replace("/", ".") for p in packages if p not in names
    )
    assert not missing, f"packages missing from the wheel (add them to pyproject.toml): {missing}"


def test_every_module_and_example_is_in_the_wheel(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    expected = _source_files((".py", *DATA_SUFFIXES))
    assert {"augspec/examples/train_augs.yaml", "augspec/examples/cifar_recipe.json"} <= set(
        expected
    )
    missing = sorted(p for p in expected if p not in names)
    assert not missing, f"files missing from the wheel: {missing}"


def test_wheel_holds_only_augspec(wheel: zipfile.ZipFile) -> None:
    """No top-level backends/ or tests/: the mapped folders install under augspec/ only."""
    tops = {n.split("/")[0] for n in wheel.namelist() if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"augspec"}


def test_wheel_metadata_command_and_extras(wheel: zipfile.ZipFile) -> None:
    info = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    meta = email.message_from_bytes(wheel.read(info))
    requires = meta.get_all("Requires-Dist") or []
    core = [r for r in requires if "extra ==" not in r]
    assert not [r for r in core if r.lower().startswith(("matplotlib", "torch", "mxnet"))], core
    assert any(r.startswith("matplotlib") and 'extra == "plots"' in r for r in requires), requires
    assert "plots" in (meta.get_all("Provides-Extra") or [])
    entry = next(n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt"))
    assert "augspec = augspec.cli:main" in wheel.read(entry).decode()


def _imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_benchmarks_import_neither_tests_nor_sys_path() -> None:
    """Shipped benchmarks cannot reach the repository's tests/ (nor patch sys.path to)."""
    offenders = []
    for path in sorted((REPO / "benchmarks").glob("*.py")):
        imported = _imported_modules(path)
        if any(m == "tests" or m.startswith("tests.") for m in imported):
            offenders.append(f"{path.name} imports tests")
        if "sys.path" in path.read_text(encoding="utf-8"):
            offenders.append(f"{path.name} changes sys.path")
    assert not offenders, offenders


def test_bench_command_ignores_a_benchmarks_folder_in_the_current_directory(tmp_path: Path) -> None:
    """``augspec bench`` imports augspec.benchmarks, never a ``benchmarks`` found in the cwd."""
    decoy = tmp_path / "benchmarks"
    decoy.mkdir()
    (decoy / "__init__.py").write_text(
        "raise RuntimeError('the decoy benchmarks package was imported')\n"
    )
    code = "from augspec.cli import build_parser; build_parser().parse_args(['bench', '--help'])"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "--only NAME" in proc.stdout and "compile, batched, loader, train" in proc.stdout
    assert "decoy" not in proc.stderr


def test_drawing_without_matplotlib_names_the_plots_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from augspec.cli import main
    from augspec.images import require_matplotlib

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ModuleNotFoundError
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'augspec\[plots\]'"):
        require_matplotlib("a figure")
    spec = REPO / "examples" / "flip_left_right.yaml"
    image = tmp_path / "in.png"
    from PIL import Image

    Image.new("RGB", (8, 6), (10, 20, 30)).save(image)
    out = tmp_path / "grid.png"
    code = main(
        ["show", str(spec), "--image", str(image), "--backend", "reference", "--out", str(out)]
    )
    err = capsys.readouterr().err
    assert code == 2 and "augspec show needs matplotlib" in err and "augspec[plots]" in err, err
    assert not out.exists()


def test_no_trainer_module_imports_the_cli() -> None:
    """The trainers are a library; the ``train`` command (augspec/cli_train.py) uses them."""
    offenders = [
        f"{path.name} imports {module}"
        for path in sorted((REPO / "trainers").glob("*.py"))
        for module in _imported_modules(path)
        if module == "augspec.cli" or module.startswith(("augspec.cli.", "augspec.cli_"))
    ]
    assert not offenders, offenders
