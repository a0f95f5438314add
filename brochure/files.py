"""Files: writing output so that nothing is ever half-written, and one writer at a time."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import signal
import stat
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

Stamp = tuple[int, ...]
# A file changed this recently may change again within the same tick of the clock that stamps
# files (a few ms here; 2 s on a FAT or SMB share) and keep every number of its stamp: its
# stamp then says its bytes too (git's "racily clean" files are compared by their bytes).
RACY_NS = 3_000_000_000


def stamp(path: Path) -> Stamp | None:
    """What says a file is the one a per-process cache read, None when it cannot be looked at:
    its time, size, inode, and the time of its inode's last change (``ctime``), which neither
    ``cp -p``, ``touch -r`` nor ``os.utime`` can set back. A font or profile replaced under the
    same name while ``watch`` runs is read again. For a file changed in the last seconds, the
    hash of its bytes too: two saves within one tick of the clock have the same times."""
    try:
        found = os.stat(path)
    except OSError:
        return None  # opening it says what is wrong
    told = (found.st_mtime_ns, found.st_size, found.st_ino, found.st_ctime_ns)
    if time.time_ns() - max(found.st_mtime_ns, found.st_ctime_ns) < RACY_NS:
        digest = file_hash(path)
        return (*told, int(digest, 16) if digest != "missing" else -1)
    return told


def stamped_digest(found: Stamp | None) -> int | None:
    """The hash of the bytes a stamp carries (``stamp`` gives it for a file changed in the last
    seconds), or None."""
    return found[4] if found is not None and len(found) > 4 else None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()


# Temporary files of this process not yet renamed into place: what a worker stopped by the
# build it works for removes before it ends (``stop_now``).
_STAGED: set[Path] = set()
_STOPS = (signal.SIGINT, signal.SIGTERM)


def _stage(path: Path, data: bytes) -> Path:
    """``data`` in a temporary file beside ``path``, ready to be renamed over it."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    _STAGED.add(Path(temp))
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; a PDF is for sharing, as any new file
        with os.fdopen(fd, "wb") as file:
            file.write(data)
    except BaseException:
        _discard(Path(temp))
        raise
    return Path(temp)


def _discard(temp: Path) -> None:
    temp.unlink(missing_ok=True)
    _STAGED.discard(temp)


def stop_now(signum: int, _frame: object) -> None:
    """A worker process's SIGTERM handler: its staged files removed, then the process ends at
    once. Never called between the renames of ``write_together``: those finish first."""
    for temp in list(_STAGED):
        temp.unlink(missing_ok=True)
    os._exit(128 + signum)


@contextmanager
def _uninterrupted() -> Iterator[None]:
    """Ctrl-C (and SIGTERM) held back until the block is done, then delivered: the renames of
    one commit all happen, or none. Only the main thread can hold signals; in another thread
    none is raised anyway (Python raises them in the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    before = {number: signal.getsignal(number) for number in _STOPS}
    for number, handler in before.items():
        if handler is not None:
            signal.signal(number, lambda signum, _frame: held.append(signum))
    try:
        yield
    finally:
        for number, handler in before.items():
            if handler is not None:
                signal.signal(number, handler)
        for signum in held:
            signal.raise_signal(signum)


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
        with _uninterrupted():
            for temp, path in staged:
                os.replace(temp, path)
                _STAGED.discard(temp)
    except BaseException:
        for temp, _ in staged:
            _discard(temp)
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


class NotAFile(OSError):
    """A name that leads to a pipe, a device or a socket, not to a file's bytes."""

    def __str__(self) -> str:  # the words alone: messages name the file as the user wrote it
        return str(self.strerror)


def read_regular(path: Path) -> bytes:
    """The bytes of the file ``path`` names (links followed); ``NotAFile`` when it is no
    regular file, other ``OSError``s as ``open`` raises them.

    Why: opening a named pipe (mkfifo) for reading waits for a writer, forever, and a link
    to /dev/zero reads without end; a build must say so in one line instead. The file is
    opened without waiting (``O_NONBLOCK``, which changes nothing for a regular file) and
    read only once it is known to be one.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "Is a directory", str(path))
        if not stat.S_ISREG(mode):
            raise NotAFile(errno.EINVAL, "it is a pipe, a device or a socket, not a file", str(path))
        with os.fdopen(fd, "rb") as file:
            fd = -1
            return file.read()
    finally:
        if fd >= 0:
            os.close(fd)


def read_cache(path: Path, limit: int) -> bytes | None:
    """The bytes of a cache brochure wrote in out/ (the manifest, the catalog's record, a
    proof's record or picture), or None when ``path`` is not such a file: missing, a link (to
    a secret outside the project, to itself), a folder, a pipe (which would wait for a writer
    forever), a device, or larger than ``limit``. A cache is never trusted: None means the
    file is made again, and the atomic write replaces whatever was there."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode) or status.st_size > limit:
            return None
        with os.fdopen(fd, "rb") as file:
            fd = -1
            return file.read(limit + 1)
    except OSError:
        return None
    finally:
        if fd >= 0:
            os.close(fd)


def file_hash(path: Path) -> str:
    """sha256 of a file's bytes, or "missing" (also when it is no regular file or cannot be read).

    Why so careful: the paths come from the manifest too, which a hand edit may point at a
    pipe or a device; hashing one must not wait forever or read without end.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return "missing"
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return "missing"
        with os.fdopen(fd, "rb") as file:
            fd = -1
            return hashlib.file_digest(file, "sha256").hexdigest()
    except OSError:
        return "missing"
    finally:
        if fd >= 0:
            os.close(fd)
