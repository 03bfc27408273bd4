"""Safe file writing: every file glassnet writes whole is written here, atomically.

``write_atomically(path, write)`` never leaves a half-written file where ``path`` was:

1. the bytes go to a new temporary file in the target's own folder, made by
   ``tempfile.mkstemp`` (a unique name per save, so two threads or processes saving to the
   same path never share one), named ``.<target name>.<host>-<pid>.<random>.glassnet-tmp``;
2. the file is flushed and ``fsync``-ed, given the target's permissions (or the usual
   ``0o666 & ~umask`` for a new file), then renamed over the target with ``os.replace``,
   which is atomic on one file system: a reader sees the old file or the new one, never a
   mix; of two concurrent saves, the last rename wins and both files were complete;
3. the folder is ``fsync``-ed so the rename itself survives a power loss.

On any failure (an exception, a full disk) the temporary file is removed and the target is
untouched. A process killed with SIGKILL cannot clean up, so every save first deletes the
folder's temporary files whose writer is gone: those named for this host and a process id
that no longer runs, and any older than ``STALE_SECONDS`` (one hour: no save takes that
long, so such a file belongs to a dead process, on any host). A symlink is written through (its
target is replaced, the link stays); a missing folder is created, as Keras's
ModelCheckpoint does.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["write_atomically", "write_bytes", "write_text", "SUFFIX", "STALE_SECONDS"]

SUFFIX = ".glassnet-tmp"
STALE_SECONDS = 3600.0
_HOST = re.sub(r"[^A-Za-z0-9_]", "_", socket.gethostname())[:40] or "host"
_OWNER = re.compile(r"\.(?P<host>[A-Za-z0-9_]+)-(?P<pid>\d+)\.[^.]+" + re.escape(SUFFIX) + "$")


def write_atomically(path, write: Callable[[BinaryIO], object]) -> Path:
    """Call ``write(file)`` on a fresh temporary file, then put it in place of ``path``.

    Returns the path actually written (a symlink's target). See the module docstring.
    """
    target = Path(os.path.realpath(os.fspath(path)))
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale(folder)
    prefix = f".{target.name}.{_HOST}-{os.getpid()}."
    handle, tmp = tempfile.mkstemp(prefix=prefix, suffix=SUFFIX, dir=folder)
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(tmp, _mode_for(target))
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_folder(folder)
    return target


def write_bytes(path, data: bytes) -> Path:
    """``Path(path).write_bytes(data)``, atomically (see :func:`write_atomically`)."""
    return write_atomically(path, lambda file: file.write(data))


def write_text(path, text: str, encoding: str = "utf-8") -> Path:
    """``Path(path).write_text(text)``, atomically (see :func:`write_atomically`)."""
    return write_bytes(path, text.encode(encoding))


def remove_stale(folder: Path, older_than: float = STALE_SECONDS) -> list[Path]:
    """Delete the folder's temporary files whose writer is gone (see the module docstring)."""
    removed, cutoff = [], time.time() - older_than
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if not (entry.name.startswith(".") and entry.name.endswith(SUFFIX)):
                continue
            with contextlib.suppress(OSError):
                if not entry.is_file(follow_symlinks=False):
                    continue
                if entry.stat().st_mtime < cutoff or _owner_is_gone(entry.name):
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


def _owner_is_gone(name: str) -> bool:
    """True when ``name`` was made on this host by a process that no longer exists."""
    match = _OWNER.search(name)
    if os.name == "nt" or match is None or match["host"] != _HOST:
        return False
    if int(match["pid"]) == os.getpid():
        return False
    try:
        os.kill(int(match["pid"]), 0)  # signal 0 on POSIX only asks whether it exists
    except ProcessLookupError:
        return True
    except (PermissionError, OSError, OverflowError):
        return False  # it exists (owned by another user), or the id is not a process id
    return False


def _mode_for(target: Path) -> int:
    """The existing target's permission bits, else what ``open(..., "w")`` would give."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        return 0o666 & ~_umask()


def _umask() -> int:
    """The process umask, read without changing it where the system allows (Linux)."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable; folders cannot be opened on Windows, which needs no fsync."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
