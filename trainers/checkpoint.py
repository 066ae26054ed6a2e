"""Checkpoints: atomic writes of nested dicts of numpy arrays and plain values.

Format: one ``.npz`` (``allow_pickle=False`` on load, so opening a checkpoint
runs no code): every array leaf is stored as ``a<k>``, and the tree around it
as JSON in ``__meta__`` with ``{"__array__": "a<k>"}`` placeholders. Writes go
to a temp file in the same folder, are fsynced, renamed over the target with
``os.replace`` and the folder is fsynced, so a crash leaves the old or the new
checkpoint, never a torn one. A writer killed mid-write (SIGKILL runs no
cleanup) leaves its temp file; the next successful save removes it.
"""

from __future__ import annotations

import glob
import json
import os
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from augspec.files import atomic_file

FORMAT = "augspec-checkpoint-1"
META = "__meta__"


def _flatten(obj: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(obj, np.ndarray):
        key = f"a{len(arrays)}"
        arrays[key] = obj
        return {"__array__": key}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        bad = [k for k in obj if not isinstance(k, (str, int))]
        if bad:
            raise ValueError(f"Expected str or int keys in a checkpoint; received key={bad[0]!r}")
        # int keys (torch optimizer state) are kept as strings with a marker
        return {"__dict__": [[k, _flatten(v, arrays)] for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [_flatten(v, arrays) for v in obj]}
    if isinstance(obj, list):
        return [_flatten(v, arrays) for v in obj]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise ValueError(
        f"Expected arrays, numbers, strings, lists or dicts in a checkpoint; received {type(obj).__name__}"
    )


def _unflatten(obj: Any, arrays: Any) -> Any:
    if isinstance(obj, dict):
        if "__array__" in obj:
            return arrays[obj["__array__"]]
        if "__dict__" in obj:
            return {k: _unflatten(v, arrays) for k, v in obj["__dict__"]}
        if "__tuple__" in obj:
            return tuple(_unflatten(v, arrays) for v in obj["__tuple__"])
    if isinstance(obj, list):
        return [_unflatten(v, arrays) for v in obj]
    return obj


def save(path: str | Path, tree: dict[str, Any]) -> None:
    """Write ``tree`` to ``path`` atomically (temp file, fsync, rename, fsync folder).

    A failed write (a full disk) raises one ``OSError`` naming the file; the previous
    checkpoint is left as it was.
    """
    path = Path(path)
    arrays: dict[str, np.ndarray] = {}
    meta = json.dumps({"format": FORMAT, "tree": _flatten(tree, arrays)})
    arrays[META] = np.frombuffer(meta.encode("utf-8"), dtype=np.uint8)
    try:
        with atomic_file(path, prefix=f".{path.name}.", suffix=".tmp") as f:
            _write_npz(f, arrays)
    except OSError as err:
        raise OSError(
            err.errno,
            f"Cannot write the checkpoint {path} ({err.strerror or err}); the previous "
            "checkpoint, if any, is left as it was",
        ) from None
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):  # from killed writers
        stale.unlink(missing_ok=True)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _write_npz(f: BinaryIO, arrays: dict[str, np.ndarray]) -> None:
    """``np.savez``'s format, with the zip closed on an error too: ``np.savez`` leaves it to
    the garbage collector, whose ``ZipFile.__del__`` then prints a traceback."""
    with zipfile.ZipFile(f, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for key, value in arrays.items():
            with zf.open(f"{key}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(value), allow_pickle=False)


def load(path: str | Path, max_bytes: int | None = None) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save`; ValueError naming the file if it is not one.

    With ``max_bytes``, the sizes its arrays declare (zip entries and ``.npy`` headers) are
    checked before any array is read, so a crafted file cannot make this allocate more.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(
            f"Expected a checkpoint file; received {str(path)!r}, which does not exist"
        )
    try:
        with open(path, "rb") as f:  # our handle: closed on error too
            if max_bytes is not None:
                _check_sizes(f, path, max_bytes)
                f.seek(0)
            z = np.load(f, allow_pickle=False)
            if not isinstance(z, np.lib.npyio.NpzFile):  # a bare .npy, not an npz
                raise ValueError("a single .npy array, not an .npz archive")
            with z:
                arrays = {k: z[k] for k in z.files}
        meta = json.loads(arrays.pop(META).tobytes().decode("utf-8"))
    except _TooBig:
        raise
    except (
        OSError,
        ValueError,
        KeyError,
        zipfile.BadZipFile,
        EOFError,
        UnicodeDecodeError,
        RecursionError,
    ) as err:
        why = (
            "not an .npz (zip) file"
            if isinstance(err, ValueError) and "allow_pickle" in str(err)
            else f"{type(err).__name__}: {err}"
        )
        raise ValueError(
            f"Expected an augspec checkpoint; received {str(path)!r}, which cannot be read "
            f"({why}); it may be corrupt or truncated"
        ) from None
    fmt = meta.get("format") if isinstance(meta, dict) else f"<{type(meta).__name__}>"
    if fmt != FORMAT or "tree" not in meta:
        raise ValueError(
            f"Expected checkpoint format {FORMAT!r} with a 'tree'; received {str(path)!r} with format {fmt!r}"
        )
    try:
        return _unflatten(meta["tree"], arrays)
    except (KeyError, TypeError, ValueError, RecursionError) as err:
        raise ValueError(
            f"Expected an augspec checkpoint; received {str(path)!r}, whose index does not match "
            f"its arrays ({type(err).__name__}: {err}); it may be corrupt"
        ) from None


_HEADER_READERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}


class _TooBig(ValueError):
    """A checkpoint whose arrays declare more bytes than the caller allows."""


def _check_sizes(f: BinaryIO, path: Path, max_bytes: int) -> None:
    """Refuse a checkpoint whose zip entries or array headers declare over ``max_bytes``."""
    with zipfile.ZipFile(f) as zf:
        declared = sum(info.file_size for info in zf.infolist())
        if declared <= max_bytes:
            declared = 0
            for info in zf.infolist():
                with zf.open(info) as member:
                    version = np.lib.format.read_magic(member)
                    if version not in _HEADER_READERS:  # save writes 1.0 (2.0 for huge headers)
                        raise ValueError(f"an array {info.filename} in .npy format {version}")
                    shape, _, dtype = _HEADER_READERS[version](member)
                declared += int(np.prod(shape, dtype=object)) * dtype.itemsize
                if declared > max_bytes:
                    break
    if declared > max_bytes:
        raise _TooBig(
            f"Expected a checkpoint of this run's model (at most {max_bytes} bytes of arrays); "
            f"received {str(path)!r}, whose arrays declare {declared} bytes (not this run's "
            "checkpoint, or a corrupt one); nothing was loaded"
        )


# ---------------------------------------------------------------- framework-free RNG states


def host_rng_state() -> dict[str, Any]:
    """Python's ``random`` and numpy's legacy global RNG, as arrays and plain values."""
    import random

    version, internal, gauss = random.getstate()
    _, keys, pos, has_gauss, cached = np.random.get_state()
    return {
        "python": {
            "version": version,
            "internal": np.asarray(internal, dtype=np.int64),
            "gauss": gauss,
        },
        "numpy": {
            "keys": np.asarray(keys),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached": float(cached),
        },
    }


def set_host_rng_state(state: dict[str, Any]) -> None:
    import random

    p, n = state["python"], state["numpy"]
    random.setstate(
        (int(p["version"]), tuple(int(v) for v in np.asarray(p["internal"])), p["gauss"])
    )
    np.random.set_state(
        ("MT19937", np.asarray(n["keys"], dtype=np.uint32), n["pos"], n["has_gauss"], n["cached"])
    )
