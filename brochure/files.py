"""Files: writing output so that nothing is ever half-written, and one writer at a time."""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()


def _stage(path: Path, data: bytes) -> Path:
    """``data`` in a temporary file beside ``path``, ready to be renamed over it."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; a PDF is for sharing, as any new file
        with os.fdopen(fd, "wb") as file:
            file.write(data)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return Path(temp)


def write_together(files: dict[Path, bytes]) -> None:
    """Write every file or none: each to a temporary file beside it, then all renamed.

    Why: a full disk or a read-only folder found while writing the second PDF must not
    leave the first one replaced; the error surfaces while only temporary files exist.
    The renames, within one folder, do not allocate space.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for path, data in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.is_dir() and not path.is_symlink():  # a rename onto it would fail half-way
                raise IsADirectoryError(21, "Is a directory", str(path))
            staged.append((_stage(path, data), path))
        for temp, path in staged:
            os.replace(temp, path)
    except BaseException:
        for temp, _ in staged:
            temp.unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file renamed into place."""
    write_together({path: data})


@contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold ``folder``'s lock: two builds into one out/ take turns to update it.

    The lock is on the folder itself (no lock file left among the PDFs), and ``flock`` is
    released by the kernel when a process dies, so no stale lock is left.
    """
    folder.mkdir(parents=True, exist_ok=True)
    handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # closing releases the lock


def file_hash(path: Path) -> str:
    """sha256 of a file's bytes, or "missing"."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return "missing"
