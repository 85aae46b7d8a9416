"""Atomic file writes: nothing a user saved is lost if a write fails halfway.

A write goes to a temporary file beside the target, named ``.<target>.<pid>.<random>.tmp``,
which is then renamed over the target. A process killed before the rename leaves its
temporary file behind; the next write to the same target removes it (the pid in the name
tells a dead writer's leftover from a live concurrent writer's file).
"""
from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable
from typing import IO

_writing: set[str] = set()  # this process's temporary files now being written


def default_file_mode() -> int:
    """The mode ``open()`` would give a new file (0o666 less the umask): mkstemp's 0o600
    would leave saved files unreadable to everyone but their owner. (atomic_write gets it
    by creating its file with 0o666, which the system masks; this is for files made by
    other writers, such as matplotlib's.)"""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: str | os.PathLike, write: Callable[[IO], object], binary: bool = True) -> None:
    """Call ``write(f)`` on a temporary file in ``path``'s folder, flush and fsync it, then
    rename it over ``path``: readers see the old file or the new one, never a torn one.

    The file gets the mode a plain ``open(path, "w")`` would give (0666 less the umask).
    On any error the temporary file is removed, the old file is left as it was, and an
    OSError names ``path`` (not the temporary file). Leftovers of killed writes to ``path``
    are removed once the new file is in place."""
    path = os.fspath(path)
    folder, base = os.path.split(os.path.abspath(path))
    tmp = os.path.join(folder, f".{base}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        # 0o666 and the umask, as open() does (mkstemp's 0600 would hide files from a group)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as e:
        raise _naming(e, path) from e
    _writing.add(tmp)
    try:
        with os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise _naming(e, path) from e
        raise
    finally:
        _writing.discard(tmp)
    _fsync_folder(folder)
    remove_leftovers(path)


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write(path, lambda f: f.write(text), binary=False)


def leftovers(path: str | os.PathLike) -> list[str]:
    """Temporary files of writes to ``path`` whose process is gone (killed mid-write):
    ``.<name>.<pid>.<hex>.tmp`` with a dead pid, and ``.<name>.<8 chars>.tmp`` left by
    minigan 0.1 (which used mkstemp)."""
    folder, base = os.path.split(os.path.abspath(os.fspath(path)))
    ours = re.compile(re.escape("." + base + ".") + r"(?:(\d+)\.[0-9a-f]+|[a-z0-9_]{8})\.tmp\Z")
    found = []
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    for name in names:
        m = ours.match(name)
        if m is None:
            continue
        pid, full = m.group(1), os.path.join(folder, name)
        if pid is None or (int(pid) == os.getpid() and full not in _writing) or not _alive(int(pid)):
            found.append(full)
    return found


def remove_leftovers(path: str | os.PathLike) -> None:
    """Remove what ``leftovers(path)`` finds (best effort: a file already gone is fine)."""
    for tmp in leftovers(path):
        try:
            os.unlink(tmp)
        except OSError:
            pass


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists (another user's), or we cannot tell: leave it
    return True


def _naming(e: OSError, path: str) -> OSError:
    """The same kind of OSError, saying that writing ``path`` failed and why."""
    reason = e.strerror or str(e) or type(e).__name__
    if e.errno:
        return OSError(e.errno, f"could not write '{path}': {reason}")  # the subclass of e.errno
    return type(e)(f"could not write '{path}': {reason}")


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
