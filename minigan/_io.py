"""Atomic file writes: nothing a user saved is lost if a write fails halfway."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from typing import IO


def default_file_mode() -> int:
    """The mode ``open()`` would give a new file (0o666 less the umask): mkstemp's 0o600
    would leave saved files unreadable to everyone but their owner."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: str | os.PathLike, write: Callable[[IO], None], binary: bool = True) -> None:
    """Call ``write(f)`` on a temporary file in ``path``'s folder, flush and fsync it, then
    rename it over ``path``: readers see the old file or the new one, never a torn one.
    On any error the temporary file is removed and the old file is left as it was."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8"})) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, default_file_mode())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write(path, lambda f: f.write(text), binary=False)
