"""Build: content files in, print and email PDFs out, only what changed, nothing half-written.

A *unit* is one brochure: a content file, or one variant (location) of it (``units``). Each
unit's PDFs are rendered in memory and renamed into place only when all of them succeeded, so
a mistake never costs the last good PDFs; outputs whose inputs did not change (the manifest)
are not rendered at all. What comes before the first PDF is ``prepared``'s, the checks of what
was built ``reviewed``'s; here, the order of it all, and what a forked helper does beside it
(``forked``) when a core is free.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import threading
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from . import forked, manifest, reviewed
from .errors import ContentError, Problem
from .files import file_hash
from .prepared import Building, Described, Planned, Prepared, described, prepare, prepare_unit, stale, validated
from .render import cdecls, job, patches, pdf, trifold
from .render.assets import BUNDLED
from .units import (
    UNDATED,
    Finished,
    Progress,
    Result,
    Review,
    Unit,
    brochures,
    epoch_for,
    failures,
    pdf_paths,
    plan,
    write_problem,
)

# What callers import from here: a unit, its plan and its result are ``units``'; preparing one
# without building it (a warm-up) is ``prepared``'s.
__all__ = ["UNDATED", "Finished", "Progress", "Result", "Review", "Unit", "before_forking_workers", "brochures",
           "build_file", "build_unit", "epoch_for", "failures", "in_batch", "pdf_paths", "plan", "prepare",
           "validated", "write_problem"]


def build_unit(unit: Unit, out_dir: Path, known: manifest.Manifest | None = None,
               force: bool = False, review: Review | None = None) -> Result:
    """Build one unit into ``out_dir``; raise ``ContentError`` (nothing written) on a mistake.

    With ``review``, the unit's PDFs are then checked (``Result.findings``): the one way
    to build, then check, for ``build``, ``check``, ``watch`` and ``serve`` alike.
    """
    with _fewer_collections(forked.one_unit() or not _IN_BATCH):
        return _build_unit(unit, out_dir, known, force, review)


def _build_unit(unit: Unit, out_dir: Path, known: manifest.Manifest | None, force: bool,
                review: Review | None) -> Result:
    brochure, source, content_dir, where = described(unit)
    targets = pdf_paths(brochure, out_dir, unit.variant)
    result = Result(unit, outputs=dict(targets))
    book = known if known is not None else manifest.Manifest(out_dir)
    prepared = _prepare(Described(unit, brochure, source, content_dir, where, targets), known, force, review)
    words, planned, mistake, result.skipped, ahead = prepared
    ahead.keep()
    it = Building(unit, brochure, source, content_dir, where, words, targets)
    # A core left free: the other PDFs and the checks there (none after a mistake: they would not be reported).
    with _beside(it, planned, review if mistake is None else None) as aside:
        made_all = _render(it, planned, aside)
        if mistake is not None:  # in an output's HTML: raised once the outputs before it rendered
            raise ContentError(mistake)
        rendered, entries = _record(it, book, planned, made_all, result)
        _commit(book, rendered, entries, out_dir)
        result.written = list(rendered)
        result.warnings = list(dict.fromkeys(result.warnings))
        if review is not None:
            result.findings = reviewed.review(it, result, review, aside)
    return result


# Objects allocated, less those freed, between two collections of the youngest generation while
# a handout builds: ten times Python's 700.
YOUNG_THRESHOLD = 7000
_IN_BATCH: list[bool] = []  # holds True in a batch's worker process (``in_batch``)
_PACING = threading.Lock()
_BUILDING: list[Any] = []  # Python's thresholds, then one entry per build under way at the young pace


def in_batch() -> None:
    """This process is a batch's worker (a local lane or a Dask worker): its builds keep the
    collector at Python's pace, as the memory per unit was measured (``bench/run.py``)."""
    _IN_BATCH[:] = [True]


@contextlib.contextmanager
def _fewer_collections(fewer: bool) -> Iterator[None]:
    """While a handout builds, the garbage collector runs a tenth as often (``fewer``): a
    one-unit command (``forked.one_unit``), and every build of a process that is not a batch's
    worker (a warm library call, watch, the studio). Importing WeasyPrint, laying out and
    checking make objects that mostly live on, and at Python's pace the collector looked at
    them some 380 times in a one-process build of the seed, about 0.17 s of CPU (0.10 s at this
    pace; the same peak memory); in a warm process, 15 ms of a 0.22 s build (6 ms at this pace),
    a full collection every tenth build. Python's pace again once the build returns."""
    if not fewer:
        yield
        return
    with _PACING:  # builds in two threads (the studio): the first sets the pace, the last puts Python's back
        if not _BUILDING:
            _BUILDING.append(gc.get_threshold())
            gc.set_threshold(YOUNG_THRESHOLD, *_BUILDING[0][1:])
        _BUILDING.append(None)
    try:
        yield
    finally:
        with _PACING:
            _BUILDING.pop()
            if len(_BUILDING) == 1:
                gc.set_threshold(*_BUILDING.pop())


def _prepare(unit: Described, known: manifest.Manifest | None, force: bool, review: Review | None) -> Prepared:
    """``prepared.prepare_unit``: in a forked helper while this process imports WeasyPrint (and
    the checks), when this build may fork one (``forked.allowed``) and has a PDF to render; else
    here. Each costs about as much as the other, and both must come before the first PDF: at the
    same time, on two cores, the first PDF starts sooner. A mistake in the content is raised here: the
    helper does not deliver it, so it is found again, as without a helper."""
    if job.pooled() or not forked.allowed() or not stale(unit, known, force):
        return prepare_unit(unit, known, force, False)
    with forked.Beside([partial(prepare_unit, unit, known, force, True)]) as ahead:
        if ahead.pid is not None:  # what the rendering needs, meanwhile, and the helpers forked later with it
            _shared(unit.brochure.lang, True, review)
        prepared: Prepared = ahead.result(0)
    return prepared


def _beside(it: Building, planned: Planned, review: Review | None) -> forked.Beside:
    """Work for a forked helper, when this build may have one (``forked.allowed``): the PDFs
    after the first (this process renders the first), then the checks of the content's words,
    which need no PDF. None without a second core, or when a pool of warm workers renders."""
    jobs = [made for made, _, _ in planned.values()]
    if not forked.allowed() or job.pooled() or (len(jobs) < 2 and review is None):
        return forked.Beside([])
    _shared(it.brochure.lang, bool(jobs), review)  # before the fork: the helper starts with it
    tasks: list[Callable[[], object]] = [partial(reviewed.render_others, it, jobs[1:], review)]
    if review is not None:
        tasks.append(lambda: reviewed.content_findings(it, review))
    return forked.Beside(tasks)


def before_forking_workers(check: bool) -> None:
    """Before a short batch forks its workers from this process (``runner.local``): what each
    would make for itself before its first PDF, made here once (``_shared``: WeasyPrint imported,
    its patches installed, its C types parsed; with ``check``, the checks imported). Each worker
    starts with it; without this, both imported it at once (about 0.6 s of CPU each)."""
    _shared("", True, Review() if check else None)


def _shared(lang: str, rendering: bool, review: Review | None) -> None:
    """What this process and a helper forked after this would each make for themselves, made
    here once (none costs this process anything it would not pay before its first PDF is done).
    ``rendering``: WeasyPrint imported, its patches installed and the C types its renders ask for
    parsed (``cdecls``). With ``review``, the checks imported (this process checks the first PDF
    with them); both: when the PDFs are hyphenated with the patterns the reading level counts
    syllables with, those patterns read (``checks.text.hyphenator``)."""
    if rendering:
        job.imported()
        patches.install()
        cdecls.parse()
    if review is not None:
        import brochure.checks.review  # noqa: F401
        from brochure.checks import text

        if rendering and text.hyphenated_alike(lang):
            text.hyphenator()


def _render(it: Building, planned: Planned, aside: forked.Beside) -> list[pdf.Rendered]:
    """The planned PDFs, rendered (the first here, the others by ``aside`` when it has a helper);
    a PDF that cannot be made is a ``ContentError``."""
    unit, source, where = it.unit, it.source, it.where
    jobs = [made for made, _, _ in planned.values()]
    try:
        if aside.tasks and jobs:
            return [job.render(jobs[0]), *aside.result(0)[0]]
        return job.render_all(jobs)
    except pdf.RenderError as error:
        which = getattr(error, "output", "")  # which PDF: job.render says
        raise ContentError([Problem(unit.name, None, "", f"{where}the {which} PDF could not be made: {error}")]) from None
    except trifold.Overflow as error:
        raise ContentError([Problem(unit.name, source.line((error.key,)), error.key, f"{where}{error}.")]) from None


def _record(it: Building, book: manifest.Manifest, planned: Planned, made_all: list[pdf.Rendered],
            result: Result) -> tuple[dict[Path, bytes], dict[str, manifest.Entry]]:
    """Each rendered PDF's bytes by target, and its manifest entry (the files it was made from)."""
    unit, source, content_dir, words, targets = it.unit, it.source, it.content_dir, it.words, it.targets
    rendered: dict[Path, bytes] = {}
    entries: dict[str, manifest.Entry] = {}
    resolved: dict[Path, Path] = {}  # shared by the outputs: most of their files are the same
    for (name, (_, settings, templates)), made in zip(planned.items(), made_all):
        target = targets[name]
        rendered[target] = made.data
        result.warnings += made.warnings
        hashes = made.files | templates | source.inputs | words.inputs
        entries[target.name] = manifest.Entry(
            book.key(unit.path), name, unit.variant, settings, _inputs(hashes, content_dir, book, resolved),
            hashlib.sha256(made.data).hexdigest())
    return rendered, entries


def _commit(book: manifest.Manifest, rendered: dict[Path, bytes], entries: dict[str, manifest.Entry],
            out_dir: Path) -> None:
    """The unit's PDFs and their manifest entries: all of them, or nothing."""
    if rendered:
        try:
            book.commit(rendered, entries)
        except OSError as error:
            raise ContentError([write_problem(error, out_dir)]) from None


def _inputs(hashes: dict[Path, str], content_dir: Path, book: manifest.Manifest,
            resolved: dict[Path, Path]) -> dict[str, str]:
    """The manifest's record of the files an output was made from, and of the overrides that
    would replace them.

    ``hashes`` are of the bytes the build read, never of the files read again afterwards: a
    save made while a build runs is then a change the next build sees. Why the overrides: a
    clinic adding ``templates/css/email.css`` beside its content must rebuild the email PDF
    (and only it), so each bundled file used is recorded together with the path of the
    clinic's copy that would shadow it, "missing" until it exists.
    """
    # Each path's links followed once (``resolved``: by path, for every output of the unit):
    # the files were just read, so none is a loop of links and this is ``discover.real``.
    for path in hashes:
        if path not in resolved:
            resolved[path] = Path(os.path.realpath(path))
    keys = book.keys({path: resolved[path] for path in hashes})
    inputs = {keys[path]: digest for path, digest in hashes.items()}
    for path, digest in hashes.items():  # a file read through a link: the link too, as named
        if path.is_absolute() and resolved[path] != path and resolved[path] in hashes:
            inputs[book.key(path, follow=False)] = digest
    own = content_dir.resolve() / "templates"
    for used in hashes:
        if resolved[used].is_relative_to(BUNDLED) and own != BUNDLED:
            shadow = own / resolved[used].relative_to(BUNDLED)
            inputs[book.key(shadow)] = file_hash(shadow)
    return inputs


def build_file(path: Path, out_dir: Path, name: str | None = None) -> Result:
    """Build a content file without variants, always rendering: the library's simplest call."""
    return build_unit(Unit(path, name or str(path)), out_dir)
