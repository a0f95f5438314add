"""Watch: rebuild on every save of the content, its images or a template, WeasyPrint kept warm.

Builds run in this process, so after the first build an edit costs a warm render, not a
Python start and a WeasyPrint import. A broken save is reported and the watch goes on;
the last good PDFs stay in place because a failed build writes nothing.

The first edit is the one staff notice. On an up-to-date folder the first build renders
nothing, so while staff read the start message (``_warm_up``) two worker processes start
(``render.lanes``, forked from this process once it has imported WeasyPrint), each warming
up by rendering its own kind of the first handout's PDFs once (print in one, email in the
other), and meanwhile this process validates that handout and checks its words (the checks'
lists and dictionary loaded). From then on each edit's print and email PDFs render at the
same time, each in the worker that is warm for it; they are written, and then checked, here.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .content import IMAGE_TYPES
from .content.fonts import THEME_FONT_SUFFIXES
from .render.assets import BUNDLED
from .runner import Outcome, run
from .settings import Settings

if TYPE_CHECKING:
    from .render.lanes import Lanes

# How watchfiles groups changes: it looks every STEP_MS and yields once a look found nothing
# new (so 1 to 2 steps after a save), or DEBOUNCE_MS after the first change however many come.
# A save that renames its new file into place (most editors, ``os.replace``) is one change:
# the file appears whole. The one gap an editor leaves is vim's, which renames the old file
# away before it writes the new one: a short step could yield in between, so a file reported
# gone is waited for (``_back``) before the build.
DEBOUNCE_MS = 120
STEP_MS = 10
# A file reported gone is waited for this long before the build takes it as removed (and its
# PDFs with it): an editor on a network share or a busy disk may write the new file late.
GONE_WAIT_S = 2.0
# A file is read once nothing was written to it for this long: an editor that writes a file
# in place, in pieces, is still saving it (watchfiles may yield between two pieces).
QUIET_S = 0.03


def watched_folders(files: list[tuple[Path, str]]) -> list[Path]:
    """The content files' folders and every template folder, each watched without recursion.

    Why not recursively: a content folder is often a repository with a virtualenv inside;
    watching thousands of folders would cost seconds at start and nothing useful. A folder
    made later is picked up when it appears (``rebuilds`` asks again on every change).
    """
    folders: list[Path] = []
    from .discover import content_root

    for path, _ in files:
        folders += _subfolders(path.resolve().parent) + _subfolders(content_root(path))  # a project's shared files
    folders += [BUNDLED, *(p for p in BUNDLED.rglob("*") if p.is_dir())]
    return list(dict.fromkeys(folders))


SKIP = {"out", "node_modules", "__pycache__", "site-packages"}


def _subfolders(folder: Path, depth: int = 3) -> list[Path]:
    """A content folder and its subfolders (images/, data/, templates/...), a few levels deep,
    leaving out hidden folders, outputs and virtualenvs."""
    found = [folder]
    if depth:
        try:
            children = sorted(folder.iterdir())
        except OSError:  # removed, or unreadable, while we looked
            return found
        for child in children:
            if (child.is_dir() and not child.name.startswith(".") and child.name not in SKIP
                    and not (child / "pyvenv.cfg").exists()):
                found += _subfolders(child, depth - 1)
    return found


# A theme's font file and a print shop's profile (``theme.font``, ``print.profile``) are the
# content's too: a new one sent while ``watch`` runs is built at once, like a new picture.
CONTENT_SUFFIXES = {".yaml", ".yml", ".csv", *IMAGE_TYPES, *THEME_FONT_SUFFIXES, ".icc", ".icm"}
MANIFEST = "manifest.json"
PROOFS = "proof"


def ours(path: Path, out_dir: Path) -> bool:
    """A file brochure itself writes into ``out_dir``: a PDF, the manifest, a proof picture.

    Only these are ignored, not the whole out folder: with ``--out .`` the out folder is
    the content's folder, and everything in it would go unwatched.
    """
    if not path.is_relative_to(out_dir):
        return False
    inside = path.relative_to(out_dir).parts
    if not inside:  # out/ itself: made again, or a link put in its place
        return True
    if len(inside) == 1:
        return path.suffix.lower() == ".pdf" or path.name == MANIFEST
    return inside[0] == PROOFS


def _relevant(out_dir: Path, template_folders: set[Path]) -> Callable[[object, str], bool]:
    """Changes worth a rebuild: templates, and content, CSV and image files; never our output."""
    from .discover import real

    out = real(out_dir)

    def keep(_change: object, path: str) -> bool:
        p = real(Path(path))  # a loop of links stays as named: the build says so, in one line
        name = p.name
        if name.startswith(".") or name.endswith(("~", ".tmp", ".swp", ".swx")) or name == "4913":
            return False  # editor and atomic-write temporaries, vim's probe file
        if ours(p, out) or p.is_dir():
            return False
        # A translation's lock file (``brochure translated``): its check changes, so it is looked at again.
        return p.parent in template_folders or p.suffix.lower() in CONTENT_SUFFIXES or name.endswith(".lock.json")

    return keep


def _templates(folders: list[Path]) -> set[Path]:
    return {f for f in folders if f.is_relative_to(BUNDLED) or "templates" in f.parts}


def _folders(files: list[tuple[Path, str]]) -> list[Path]:
    return [f for f in watched_folders(files) if f.is_dir()]


def _state(folders: list[Path], keep: Callable[[object, str], bool]) -> dict[str, tuple[int, int]]:
    """The relevant files in ``folders`` and their times and sizes: what a build read."""
    state = {}
    for folder in folders:
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.is_file() and keep(None, entry.path):
                        stat = entry.stat()
                        state[entry.path] = (stat.st_mtime_ns, stat.st_size)
        except OSError:  # removed while we looked: its files are gone from the state
            continue
    return state


CATCH_UP_MS = 250  # how soon a new watch looks for saves made while it started


Discover = Callable[[], list[tuple[Path, str]]]


def handouts_now(files: list[tuple[Path, str]], discover: Discover | None) -> list[tuple[Path, str]]:
    """The files to build now: a project's handouts as they are now (one saved since the watch
    started is built, one removed is not), else ``files``.

    A project file that cannot be read now keeps the last list: building its handouts
    reports its mistake, at its line.
    """
    from .errors import ContentError

    if discover is None:
        return files
    try:
        return discover() or files
    except (ContentError, OSError):
        return files


def rebuilds(files: list[tuple[Path, str]], settings: Settings, stop: threading.Event | None = None,
             discover: Discover | None = None) -> Iterator[list[Outcome]]:
    """Build once, then once more after every relevant change, until ``stop`` or Ctrl-C.

    A folder made or removed while watching (images/, templates/...) changes what is
    watched: the watch starts again on the new set of folders. Each watch, once running,
    compares the files with what the last build read, so a save made in a folder before it
    was watched, or during the build before the first watch, still rebuilds.

    ``discover`` gives a project's handouts as they are now (``handouts_now``), so a
    handout added while watching is built too. ``settings`` go to ``runner.run``; ``force``
    applies to the first build only, and every build runs in this process.
    """
    folders = _folders(files)
    keep = _relevant(settings.out_dir, _templates(folders))
    seen = _state(folders, keep)
    first = _guarded(files, settings)
    lanes = None
    try:
        yield first
        lanes = _warm_up(files, settings, stop)  # while the start message is read
        yield from _changes(files, replace(settings, force=False), folders, seen, stop, discover)
    finally:
        _stop(lanes)


def _changes(files: list[tuple[Path, str]], settings: Settings, folders: list[Path],
             seen: dict[str, tuple[int, int]], stop: threading.Event | None,
             discover: Discover | None) -> Iterator[list[Outcome]]:
    """A build after every relevant change (see ``rebuilds``)."""
    from watchfiles import watch

    while not (stop and stop.is_set()):
        keep = _relevant(settings.out_dir, _templates(folders))
        known = set(folders)

        def changed(change: object, path: str, keep: Callable[[object, str], bool] = keep,
                    known: set[Path] = known) -> bool:
            """A relevant file, or a folder that came or went: what is watched changes."""
            p = Path(path)
            return keep(change, path) or p in known or (p.parent in known and p.is_dir())

        first = True
        try:
            for changes in watch(*folders, watch_filter=changed, recursive=False, debounce=DEBOUNCE_MS, step=STEP_MS,
                                 rust_timeout=CATCH_UP_MS, yield_on_timeout=True, stop_event=stop,
                                 raise_interrupt=False):
                if not changes and not first:
                    continue
                # The first look of every watch, made once it is running: whatever came before
                # it (a folder made, a file saved) is found here, and whatever comes after it
                # is an event. No window is left between the two, however slow the machine.
                looking, first = first, False
                _back(changes, keep)  # a file moved away while it is saved is not a handout gone
                missed = looking and _state(folders, keep) != seen
                # a save missed while the watch restarted may be a new handout: look again then too
                files = handouts_now(files, discover) if changes or looking else files
                if looking or any(not keep(change, path) or Path(path) in known for change, path in changes):
                    now = _folders(files)
                    if now != folders:  # a folder came (or went) before this watch began, or just now
                        folders = now
                        break  # watch the new set; its first look rebuilds if a file changed
                if missed or any(keep(change, path) for change, path in changes):
                    # Looked at while the save settles (about 3 ms, else spent after the wait): a
                    # piece written meanwhile differs from it, so a restart builds once more, never less.
                    seen = _state(folders, keep)
                    _read_ahead(files, changes)
                    _settled(changes, keep)
                    yield _guarded(files, settings)
            else:
                return  # stopped, or Ctrl-C
        except FileNotFoundError:  # a folder went between listing it and watching it
            folders = _folders(files)


def _back(changes: set[tuple[Any, str]], keep: Callable[[object, str], bool]) -> None:
    """Wait, at most GONE_WAIT_S, for each relevant file reported gone to be there again: an
    editor that moves the old file away, then writes the new one, is saving it, not removing
    it; the build then reads the new file instead of removing its PDFs (the last good ones,
    when the new text has a mistake). A file really removed is built without after that wait."""
    from watchfiles import Change

    gone = [Path(path) for change, path in changes if change == Change.deleted and keep(change, path)]
    deadline = time.monotonic() + GONE_WAIT_S
    while gone and time.monotonic() < deadline:
        time.sleep(0.005)
        gone = [path for path in gone if not path.exists()]


def _settled(changes: set[tuple[Any, str]], keep: Callable[[object, str], bool]) -> None:
    """Wait until each relevant file changed was last written QUIET_S ago (at most DEBOUNCE_MS
    in all, whatever a file's clock says): the build reads a save, not half of one."""
    from watchfiles import Change

    paths = [Path(path) for change, path in changes if change != Change.deleted and keep(change, path)]
    deadline = time.monotonic() + DEBOUNCE_MS / 1000
    while paths and time.monotonic() < deadline:
        written = [mtime for mtime in map(_written, paths) if mtime is not None]
        wait = QUIET_S - (time.time() - max(written)) if written else 0.0
        if wait <= 0:
            return
        time.sleep(min(wait, QUIET_S))


def _read_ahead(files: list[tuple[Path, str]], changes: set[tuple[Any, str]]) -> None:
    """Each handout saved, read and validated while its save settles (about 8 ms of an edit,
    spent in ``_settled``'s wait): the build finds it validated, as ``load_described`` keeps it
    by the bytes it read; a piece written after it is a change the build reads again. A
    mistake is the build's to report."""
    from .content.described import load_described
    from .discover import leads_nowhere, leads_out, real

    saved = {Path(path) for _, path in changes}
    for path, name in files:  # a link to nowhere or out of the project: never read (the build says so)
        if real(path) in saved and not leads_nowhere(path) and not leads_out(path):
            with _BUILDING, contextlib.suppress(Exception):
                load_described(path, name)


def _written(path: Path) -> float | None:
    """When ``path`` was last written (None: it is not there)."""
    try:
        return path.stat().st_mtime
    except OSError:
        return None


# One build at a time in this process: the warm-up's and the edits' (the caches of templates
# and of validated content are shared, and so are the lanes).
_BUILDING = threading.Lock()


def _guarded(files: list[tuple[Path, str]], settings: Settings) -> list[Outcome]:
    """One build, in this process; a bug in it prints its traceback and the watch goes on to the next save."""
    try:
        with _BUILDING:
            return run(files, replace(settings, jobs=1))
    except Exception:  # a bug, reported in full, but one bad build must not end the session
        traceback.print_exc()
        return []


WORKERS = 2  # print and email at once: a 2-core machine's two cores


def _first_unit(files: list[tuple[Path, str]]) -> Any:
    """The first handout (its first variant) of ``files``: what the warm-up builds; None if
    none can be built (a mistake: the edit that fixes it finds the pipeline cold)."""
    from .build import Unit, brochures

    for path, name in files[:1]:
        try:
            return Unit(path, name, brochures(path, name)[0][0])
        except Exception:
            return None
    return None


def _warm_up(files: list[tuple[Path, str]], settings: Settings, stop: threading.Event | None) -> Lanes | None:
    """Start the lanes of warm workers that render each edit's PDFs (``render.lanes``), warm
    them up with the first handout's PDFs, rendered and thrown away, and meanwhile warm this
    process: that handout validated and laid into its HTML, and when builds are checked, its
    words and the PDFs an earlier build left checked (the checks' word lists, dictionary,
    colour transforms and PDF reader loaded). None when there is no handout to warm up with.

    Done before the watch begins, in the thread that runs it: a save made meanwhile is found
    by the watch's first look. In ``watch`` that thread is the process's only one, so the
    lanes are forked, with WeasyPrint imported here first; they start warming at once, and
    an edit's job waits in its lane for that lane's warm-up, never for another's. A mistake
    in the content (or a bug) is not reported here: the next build does."""
    from .build import pdf_paths, prepare, validated
    from .checks.review import check_content, review
    from .render import job, lanes

    unit = _first_unit(files)
    if unit is None or (stop is not None and stop.is_set()):
        return None
    started = None
    try:
        with _BUILDING:
            if lanes.single_threaded():
                with contextlib.suppress(Exception):
                    job.imported()  # before the fork: the lanes start with WeasyPrint
            started = lanes.start(WORKERS, job.render)
            job.render_in(started)
            with contextlib.suppress(Exception):
                jobs = prepare(unit)
                if started is not None:
                    started.warm(jobs)
                if settings.check:
                    brochure, source, content_dir, _ = validated(unit)
                    pdfs = pdf_paths(brochure, settings.out_dir, unit.variant)
                    if all(pdf.is_file() for pdf in pdfs.values()):
                        review(brochure, source, content_dir, pdfs)
                    else:
                        check_content(brochure, source)
    except BaseException:  # Ctrl-C while warming up
        _stop(started)
        raise
    return started


def _stop(lanes: Lanes | None) -> None:
    """Back to rendering here; the lanes' workers are stopped at once, warm or busy."""
    from .render import job

    if lanes is not None:
        job.render_in(None)
        lanes.stop()
