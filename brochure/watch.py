"""Watch: rebuild on every save of the content, its images or a template, WeasyPrint kept warm.

Builds run in this process, so after the first build an edit costs a warm render, not a
Python start and a WeasyPrint import. A broken save is reported and the watch goes on;
the last good PDFs stay in place because a failed build writes nothing.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .content import IMAGE_TYPES
from .render.assets import BUNDLED
from .runner import Outcome, run

DEBOUNCE_MS = 120  # long enough to join an editor's write-and-rename into one change


def watched_folders(files: list[tuple[Path, str]]) -> list[Path]:
    """The content files' folders and every template folder, each watched without recursion.

    Why not recursively: a content folder is often a repository with a virtualenv inside;
    watching thousands of folders would cost seconds at start and nothing useful.
    """
    folders: list[Path] = []
    for path, _ in files:
        folders += _subfolders(path.resolve().parent)
    folders += [BUNDLED, *(p for p in BUNDLED.rglob("*") if p.is_dir())]
    return list(dict.fromkeys(folders))


SKIP = {"out", "node_modules", "__pycache__", "site-packages"}


def _subfolders(folder: Path, depth: int = 3) -> list[Path]:
    """A content folder and its subfolders (images/, data/, templates/...), a few levels deep,
    leaving out hidden folders, outputs and virtualenvs."""
    found = [folder]
    if depth:
        for child in sorted(folder.iterdir()):
            if (child.is_dir() and not child.name.startswith(".") and child.name not in SKIP
                    and not (child / "pyvenv.cfg").exists()):
                found += _subfolders(child, depth - 1)
    return found


CONTENT_SUFFIXES = {".yaml", ".yml", ".csv", *IMAGE_TYPES}


def _relevant(out_dir: Path, template_folders: set[Path]) -> Callable[[object, str], bool]:
    """Changes worth a rebuild: templates, and content, CSV and image files; never our output."""
    out = out_dir.resolve()

    def keep(_change: object, path: str) -> bool:
        p = Path(path).resolve()
        name = p.name
        if name.startswith(".") or name.endswith(("~", ".tmp", ".swp", ".swx")) or name == "4913":
            return False  # editor and atomic-write temporaries, vim's probe file
        if p.is_relative_to(out):
            return False
        return p.parent in template_folders or p.suffix.lower() in CONTENT_SUFFIXES

    return keep


def rebuilds(files: list[tuple[Path, str]], out_dir: Path, force: bool = False,
             stop: threading.Event | None = None, **options: Any) -> Iterator[list[Outcome]]:
    """Build once, then once more after every relevant change, until ``stop`` or Ctrl-C.

    ``options`` go to ``runner.run`` (``check``, ``skip_fresh_files``).
    """
    from watchfiles import watch

    yield _guarded(files, out_dir, force=force, **options)
    folders = watched_folders(files)
    templates = {f for f in folders if f.is_relative_to(BUNDLED) or "templates" in f.parts}
    for _changes in watch(*folders, watch_filter=_relevant(out_dir, templates), recursive=False,
                          debounce=DEBOUNCE_MS, step=30, stop_event=stop, raise_interrupt=False):
        yield _guarded(files, out_dir, **options)


def _guarded(files: list[tuple[Path, str]], out_dir: Path, **options: Any) -> list[Outcome]:
    """One build; a bug in it prints its traceback and the watch goes on to the next save."""
    try:
        return run(files, out_dir, jobs=1, **options)
    except Exception:  # a bug, reported in full, but one bad build must not end the session
        traceback.print_exc()
        return []
