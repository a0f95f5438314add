"""Watch: rebuild on every save of the content, its images or a template, WeasyPrint kept warm.

Builds run in this process, so after the first build an edit costs a warm render, not a
Python start and a WeasyPrint import. A broken save is reported and the watch goes on;
the last good PDFs stay in place because a failed build writes nothing.

The first edit is the one staff notice. On an up-to-date folder the first build renders
nothing, so while staff read the start message a thread (``_Warm``) starts two worker
processes, which render the first handout's PDFs once and throw them away (WeasyPrint,
fonts and stylesheets loaded), and meanwhile validates it here and checks its words (the
checks' lists and dictionary loaded). From then on each edit's print and email PDFs render
at the same time, one per core (``render.job``); they are written, and then checked, here.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from .content import IMAGE_TYPES
from .render.assets import BUNDLED
from .runner import Outcome, run
from .settings import Settings

DEBOUNCE_MS = 120  # long enough to join an editor's write-and-rename into one change


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


CONTENT_SUFFIXES = {".yaml", ".yml", ".csv", *IMAGE_TYPES}
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
    if len(inside) == 1:
        return path.suffix.lower() == ".pdf" or path.name == MANIFEST
    return inside[0] == PROOFS


def _relevant(out_dir: Path, template_folders: set[Path]) -> Callable[[object, str], bool]:
    """Changes worth a rebuild: templates, and content, CSV and image files; never our output."""
    out = out_dir.resolve()

    def keep(_change: object, path: str) -> bool:
        p = Path(path).resolve()
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
    warm = _Warm(files)
    try:
        yield first
        warm.start()  # while the start message is read
        yield from _changes(files, replace(settings, force=False), folders, seen, stop, discover)
    finally:
        warm.stop()


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
            for changes in watch(*folders, watch_filter=changed, recursive=False, debounce=DEBOUNCE_MS, step=30,
                                 rust_timeout=CATCH_UP_MS, yield_on_timeout=True, stop_event=stop,
                                 raise_interrupt=False):
                if not changes and not first:
                    continue
                # The first look of every watch, made once it is running: whatever came before
                # it (a folder made, a file saved) is found here, and whatever comes after it
                # is an event. No window is left between the two, however slow the machine.
                looking, first = first, False
                missed = looking and _state(folders, keep) != seen
                # a save missed while the watch restarted may be a new handout: look again then too
                files = handouts_now(files, discover) if changes or looking else files
                if looking or any(not keep(change, path) or Path(path) in known for change, path in changes):
                    now = _folders(files)
                    if now != folders:  # a folder came (or went) before this watch began, or just now
                        folders = now
                        break  # watch the new set; its first look rebuilds if a file changed
                if missed or any(keep(change, path) for change, path in changes):
                    seen = _state(folders, keep)
                    yield _guarded(files, settings)
            else:
                return  # stopped, or Ctrl-C
        except FileNotFoundError:  # a folder went between listing it and watching it
            folders = _folders(files)


# One build at a time in this process: the warm-up's and the edits' (WeasyPrint's fonts,
# the caches of stylesheets and of validated content are shared).
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


def _warm_here(unit: Any) -> None:
    """This process's share of the warm-up: the content validated and laid into its HTML,
    WeasyPrint imported, and the checks run on the words (their word lists and dictionary
    loaded). A mistake in the content (or a bug) is not reported here: the next build does."""
    with contextlib.suppress(Exception):
        from .build import prepare, validated
        from .checks.review import check_content
        from .render.job import imported

        imported()  # WeasyPrint, for an edit made before the workers are warm
        prepare(unit)
        brochure, source, _, _ = validated(unit)
        check_content(brochure, source)


def _warm_worker(unit: Any) -> None:
    """A worker's start: Ctrl-C is the watcher's to handle, and the worker ends with the
    watcher however it ends (killed too); then the first handout's PDFs rendered once and
    thrown away (without the tri-fold's sentence-break search: an edit's HTML is new anyway)."""
    import multiprocessing
    from multiprocessing.connection import wait

    from .build import prepare
    from .render import job

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=lambda: (wait([parent.sentinel]), os._exit(0)), daemon=True).start()
    with contextlib.suppress(Exception):
        for one in prepare(unit):
            job.render(one, search=False)


class _Warm(threading.Thread):
    """Starts a pool of workers that warm themselves, warms this process meanwhile (under
    ``_BUILDING``), and once every worker is warm renders each edit's PDFs on the pool."""

    def __init__(self, files: list[tuple[Path, str]]) -> None:
        super().__init__(name="brochure-warm-up", daemon=True)
        self.files = files
        self.pool: ProcessPoolExecutor | None = None
        self.stopped = threading.Event()
        self.lock = threading.Lock()

    def run(self) -> None:
        # The workers inherit this thread's signal mask: Ctrl-C reaches the watcher alone.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        unit = _first_unit(self.files)
        if unit is None:
            return
        from multiprocessing import get_context

        from .render import job

        with self.lock:  # spawn, not fork: this process runs threads (this one, the watcher's)
            if self.stopped.is_set():
                return
            self.pool = ProcessPoolExecutor(WORKERS, mp_context=get_context("spawn"), initializer=_warm_worker,
                                            initargs=(unit,))
            started = [self.pool.submit(os.getpid) for _ in range(WORKERS)]
        with _BUILDING:
            if not self.stopped.is_set():
                _warm_here(unit)
        try:
            for future in started:  # each done once its worker has warmed up
                future.result()
        except Exception:
            return  # a worker could not start: PDFs render here, in turn, as before
        with self.lock:
            if not self.stopped.is_set():
                job.render_in(self.pool)

    def stop(self) -> None:
        """Back to rendering here; the workers are stopped at once, warm or not."""
        from .render import job

        with self.lock:
            self.stopped.set()
            pool, self.pool = self.pool, None
        if pool is None:
            return
        job.render_in(None)
        for process in list(getattr(pool, "_processes", {}).values()):  # no public way before Python 3.14
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
