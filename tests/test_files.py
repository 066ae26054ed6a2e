"""Atomic writes: the old file stays whole when a write fails, and no temp file is left."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from augspec.files import atomic_file, write_text


def test_write_text_replaces_the_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "spec.yaml"
    write_text(target, "old\n")
    write_text(target, "new ✓\n")
    assert target.read_text(encoding="utf-8") == "new ✓\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.yaml"]


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    write_text(target, "old\n")
    with pytest.raises(OSError, match="disk full"), atomic_file(target) as f:
        f.write(b"half of the new")
        raise OSError(28, "disk full")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_new_files_get_the_umask_mode_and_replaced_files_keep_theirs(tmp_path: Path) -> None:
    """mkstemp's temp file is owner-only; the written file must not be (0666 less the umask),
    and a replaced file keeps the mode it had."""
    new = tmp_path / "new.txt"
    write_text(new, "a")
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(new.stat().st_mode) == 0o666 & ~umask
    kept = tmp_path / "kept.txt"
    kept.write_text("old")
    kept.chmod(0o640)
    write_text(kept, "new")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640 and kept.read_text() == "new"
