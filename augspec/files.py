"""Atomic writes: a file is replaced whole or not at all.

Written to a temp file in the target's folder, flushed and fsynced, then renamed over the
target with ``os.replace``: readers see the old file or the whole new one, and a failure
(a full disk, an interrupt) leaves the old one as it was and no temp file behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


def _read_umask() -> int:
    # Reading the umask means setting it: done once, at import, and set straight back.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


@contextmanager
def atomic_file(
    path: str | Path, prefix: str | None = None, suffix: str = ".tmp"
) -> Iterator[BinaryIO]:
    """A binary file that becomes ``path`` only once the block ends without error.

    The temp file is ``prefix + random + suffix`` in ``path``'s folder (default prefix
    ``.NAME.``); a SIGKILL can leave it, so callers that care clean up by that name.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=prefix or f".{path.name}.", suffix=suffix, dir=path.parent)
    try:
        # mkstemp makes the file owner-only: keep the replaced file's mode, else give the mode
        # open() would (0666 less the umask).
        os.fchmod(fd, path.stat().st_mode & 0o7777 if path.is_file() else 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_file(path) as f:
        f.write(text.encode("utf-8"))
