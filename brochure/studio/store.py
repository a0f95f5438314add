"""Store: the editor's writes, atomic, only to the served project's content files, with a history.

Nothing is lost: a save first keeps the file as it was (unless the history's newest version
already is those bytes), then writes the new bytes through a temporary file and a rename,
then keeps them too. The last ``KEEP`` versions of each file are kept in
``.brochure-history/`` at the project's root (a hidden folder: neither the build nor the
watch looks there), each restorable from the page.

Nothing is written elsewhere, whatever a request says: the file to write is one the server
builds (named by the page, looked up, never a path taken from the request), it must be a
regular file inside the project's root reached without a symlink, and every file is created
with ``O_NOFOLLOW | O_EXCL`` inside folders opened without following links.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import time
from dataclasses import dataclass
from pathlib import Path

HISTORY = ".brochure-history"
KEEP = 20
SUFFIX = ".yaml-saved"  # not .yaml: a project's handouts: pattern never takes a saved version for a handout
_ENTRY = re.compile(r"^(\d{8}T\d{6}-\d{6})-(saved|before|unsaved|restored)" + re.escape(SUFFIX) + "$")
NOTES = {"saved": "saved", "before": "as it was before the editor saved it", "unsaved": "not saved: the file had "
         "changed on disk", "restored": "restored from History"}


class StoreError(Exception):
    """A write the store refuses: the message says why, in the page's words."""


@dataclass(frozen=True)
class Entry:
    """One kept version of a file."""

    name: str  # the file's name in the history folder; what the page sends back to restore it
    when: str  # 2026-12-07 02:41:05
    note: str
    size: int


class Store:
    """Writes for the project whose root is ``root``: its content files and their history."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _inside(self, path: Path) -> list[str]:
        """``path``'s parts below the root, refusing a path that leaves it or is a link."""
        # Its folder as the system sees it (/tmp may itself be a link), its own name as it is:
        # a file that is a link is then refused when opened, a folder that leads out here.
        absolute = Path(os.path.realpath(path.parent)) / path.name
        if not absolute.is_relative_to(self.root):
            raise StoreError(f"{path} is outside the project; the editor writes only inside {self.root}")
        parts = list(absolute.relative_to(self.root).parts)
        if not parts or any(p in ("", ".", "..") or "\0" in p for p in parts):
            raise StoreError(f"{path} is not a file of the project")
        return parts

    def _folder(self, parts: list[str], create: bool = False) -> int:
        """An open descriptor of root/parts..., each step opened without following a link."""
        folder = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for part in parts:
                if create:
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(part, 0o700, dir_fd=folder)
                inner = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=folder)
                os.close(folder)
                folder = inner
        except OSError:
            os.close(folder)
            raise StoreError("a folder on the way is a link or cannot be opened; the editor writes only "
                             "into the project's own folders") from None
        return folder

    def read(self, path: Path) -> bytes:
        """The bytes of a content file, refused when it is a link or not a regular file."""
        parts = self._inside(path)
        folder = self._folder(parts[:-1])
        try:
            fd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder)
        except OSError as error:
            raise StoreError(f"{path.name} cannot be read ({error.strerror}); it must be a file of the project, "
                             "not a link") from None
        finally:
            os.close(folder)
        with os.fdopen(fd, "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                raise StoreError(f"{path.name} is not a regular file")
            return file.read()

    def write(self, path: Path, data: bytes) -> None:
        """Replace a content file's bytes atomically: a temporary file beside it, then a rename."""
        parts = self._inside(path)
        folder = self._folder(parts[:-1])
        try:
            try:
                now = os.stat(parts[-1], dir_fd=folder, follow_symlinks=False)
            except FileNotFoundError:
                mode = 0o644
            else:
                if not stat.S_ISREG(now.st_mode):
                    raise StoreError(f"{path.name} is a link or not a file; the editor writes only the project's own files")
                mode = stat.S_IMODE(now.st_mode)
            self._atomic(folder, parts[-1], data, mode)
        finally:
            os.close(folder)

    @staticmethod
    def _atomic(folder: int, name: str, data: bytes, mode: int) -> None:
        temporary = f".{name}.{os.getpid()}.{time.monotonic_ns()}.tmp"  # hidden and .tmp: the watch ignores it
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode, dir_fd=folder)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary, dir_fd=folder)
            raise
        os.fsync(folder)

    # --- history ---------------------------------------------------------------------------

    def _history_parts(self, path: Path) -> list[str]:
        # One folder per content file, named by its path below the root: handouts/a.yaml is handouts__a.yaml.
        # A "_" in a part is written "_5f", so no part holds "__" and no two paths share a folder
        # (data/x.csv and data__x.csv); a path without "_" keeps the folder it always had.
        return [HISTORY, "__".join(part.replace("_", "_5f") for part in self._inside(path))]

    def history(self, path: Path) -> list[Entry]:
        """The kept versions of ``path``, newest first."""
        try:
            folder = self._folder(self._history_parts(path))
        except StoreError:
            return []
        try:
            names = sorted((n for n in os.listdir(folder) if _ENTRY.match(n)), reverse=True)
            entries = []
            for name in names:
                match = _ENTRY.match(name)
                assert match
                stamp = match[1]
                when = f"{stamp[0:4]}-{stamp[4:6]}-{stamp[6:8]} {stamp[9:11]}:{stamp[11:13]}:{stamp[13:15]}"
                size = os.stat(name, dir_fd=folder, follow_symlinks=False).st_size
                entries.append(Entry(name, when, NOTES[match[2]], size))
            return entries
        finally:
            os.close(folder)

    def kept(self, path: Path, name: str) -> bytes:
        """The bytes of one kept version, by the name the page was given."""
        if not _ENTRY.match(name):
            raise StoreError("no such saved version")
        folder = self._folder(self._history_parts(path))
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder)
        except OSError:
            raise StoreError("no such saved version") from None
        finally:
            os.close(folder)
        with os.fdopen(fd, "rb") as file:
            if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
                raise StoreError("no such saved version")
            return file.read()

    def keep(self, path: Path, data: bytes, note: str) -> None:
        """Add a version of ``path`` to its history (not twice in a row; a version not saved, not
        when any kept one has its bytes), then drop the oldest beyond ``KEEP``: a stale tab saved
        again and again adds one version, never pushing out those the clinic could go back to."""
        assert note in NOTES
        entries = self.history(path)
        if any(self.kept(path, entry.name) == data for entry in (entries if note == "unsaved" else entries[:1])):
            return
        folder = self._folder(self._history_parts(path), create=True)
        try:
            now = time.time()
            stamp = time.strftime("%Y%m%dT%H%M%S", time.localtime(now)) + f"-{int(now * 1e6) % 1_000_000:06d}"
            self._atomic(folder, f"{stamp}-{note}{SUFFIX}", data, 0o600)
            names = sorted((n for n in os.listdir(folder) if _ENTRY.match(n)), reverse=True)
            for old in names[KEEP:]:
                os.unlink(old, dir_fd=folder)
        finally:
            os.close(folder)
