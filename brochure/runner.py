"""Runner: a batch of content files to outcomes, skipping what is up to date, in parallel.

The no-op path reads only ``out/manifest.json`` and hashes files: it imports neither the
content model nor WeasyPrint. Units (files and their variants) build in worker processes
when there are several, or on a Dask cluster (``brochure.cluster``); one broken file is
reported alone and the others still build.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from .discover import LEADS_NOWHERE, LEADS_OUT, leads_nowhere, leads_out
from .errors import ContentError, Problem
from .manifest import Manifest, Removed, unfinished
from .settings import Settings

if TYPE_CHECKING:
    from .build import Finished, Progress, Result, Unit
    from .checks.findings import Finding
    from .content import Checks


@dataclass
class Outcome:
    """What happened to one content file given on the command line."""

    name: str
    results: list[Result] = field(default_factory=list)
    up_to_date: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # PDFs an earlier build made that are no longer made (a new title, a removed location, a
    # deleted handout), as lines to print: each removed, or kept because someone changed it.
    removed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _work(unit: Unit, settings: Settings) -> tuple[Result | None, list[Problem]]:
    from .build import Review, build_unit

    out_dir = settings.out_dir
    try:  # checked in the worker, so a batch checks its PDFs in parallel too
        return build_unit(unit, out_dir, Manifest(out_dir), settings.force, Review() if settings.check else None), []
    except ContentError as error:
        return None, error.problems


def _plan(files: list[tuple[Path, str]], out_dir: Path, outcomes: dict[str, Outcome],
          known: Manifest) -> dict[Unit, list[Path]]:
    """The units to build, after refusing files that would overwrite each other's PDFs,
    in this batch or made earlier from another content file that still exists."""
    from .build import plan

    planned: dict[str, dict[Unit, list[Path]]] = {}
    for path, name in files:
        try:
            planned[name] = plan(path, name, out_dir)
        except ContentError as error:
            outcomes[name].problems += error.problems
    owners: dict[Path, str] = {}
    clashes: set[str] = set()
    for name, units in planned.items():
        source = next(iter(units)).path.resolve() if units else None
        for pdfs in units.values():
            for pdf in pdfs:
                earlier = known.source_of(pdf)
                if earlier and source and earlier.resolve() != source:
                    clashes.add(name)
                    outcomes[name].problems.append(Problem(
                        name, None, "", f"would write {pdf}, which was made from {earlier.resolve()}; "
                                        "give one of them another slug (or title)"))
                other = owners.setdefault(pdf, name)
                if other != name:
                    clashes |= {name, other}
                    for a, b in ((name, other), (other, name)):
                        outcomes[a].problems.append(Problem(
                            a, None, "", f"would write {pdf}, as would {b}; give one of them another slug"))
    return {unit: pdfs for name, units in planned.items() if name not in clashes for unit, pdfs in units.items()}


def run(files: list[tuple[Path, str]], settings: Settings, progress: Progress | None = None) -> list[Outcome]:
    """Build ``files`` (path, name as given) into ``settings.out_dir``; return one outcome per file.

    With ``settings.check``, each brochure built is also checked (``Result.findings``). Without
    ``skip_fresh_files``, up-to-date files go through the build too (rendering nothing)
    so that they are checked: what ``--strict`` needs. With ``scheduler`` (a Dask scheduler's
    address), the units are rendered on that cluster instead of in local processes
    (``brochure.cluster``); ``scheduler.ClusterError`` says, before anything is written, that it
    cannot be reached (within ``scheduler_timeout`` seconds).
    """
    out_dir = settings.out_dir
    outcomes = {name: Outcome(name) for _, name in files}
    if out_dir.is_symlink() and not out_dir.is_dir():  # made a loop (or its folder moved) while watch runs
        for outcome in outcomes.values():
            outcome.problems.append(Problem(str(out_dir), None, "", "is a link that leads to no folder (a loop, or a "
                                                                    "folder since moved); put the folder itself there"))
        return list(outcomes.values())
    known = Manifest(out_dir)
    todo = []
    for path, name in files:
        # Made a link since it was named (watch's files are named once): to nothing, or out of its project.
        if leads_nowhere(path) or leads_out(path):
            outcomes[name].problems.append(Problem(name, None, "", LEADS_NOWHERE if leads_nowhere(path) else LEADS_OUT))
            continue
        fresh = None if settings.force or not settings.skip_fresh_files else known.up_to_date(path)
        if fresh:
            outcomes[name].up_to_date = fresh
        else:
            todo.append((path, name))
    if todo:
        planned = _plan(todo, out_dir, outcomes, known)
        with unfinished(settings.out_dir, {known.key(unit.path) for unit in planned}):
            execute = executor(settings)
            finished = execute(planned, settings, progress)
        for unit, result, problems in finished:
            outcome = outcomes[unit.name]
            outcome.problems += problems
            if result:  # its PDFs and manifest entries are written: each unit commits its own
                outcome.results.append(result)
        # Some variants built, others failed: the next build must not call the file up to date.
        with contextlib.suppress(OSError):
            known.settle({path: bool(outcomes[name].results and outcomes[name].problems) for path, name in todo})
        for path, name in todo:
            if outcomes[name].ok:
                keep = {p.name for r in outcomes[name].results for p in r.pdfs}
                # On a write error, stale entries of removed variants stay listed until the next build.
                with contextlib.suppress(OSError):
                    outcomes[name].removed += _said(known.forget(path, keep), f"no longer made from {name}")
    if outcomes:
        with contextlib.suppress(OSError):
            first = next(iter(outcomes.values()))
            first.removed += _said(known.forget_gone(), "the content file it was made from is gone")
    return list(outcomes.values())


def _said(removed: Removed, why: str) -> list[str]:
    return ([f"removed {path}: {why}" for path in removed.removed]
            + [f"kept {path}: {why}, but it was changed after brochure wrote it; remove it yourself if it is not "
               "needed" for path in removed.kept])


class Executor(Protocol):
    """Builds a batch's planned units (each with the PDFs it will write), telling ``progress``
    about each as it finishes: ``local`` processes here, or ``cluster.execute`` on Dask."""

    def __call__(self, planned: dict[Unit, list[Path]], settings: Settings, progress: Progress | None) -> Finished: ...


def executor(settings: Settings) -> Executor:
    """The batch's executor: ``jobs`` local processes, or the Dask cluster at ``scheduler``
    (its module, and Dask, imported only then: a local build never loads them)."""
    if settings.scheduler:
        from .cluster import execute

        return execute
    return local


def local(planned: dict[Unit, list[Path]], settings: Settings, progress: Progress | None) -> Finished:
    """Build the units here: in turn, or on ``settings.jobs`` forked processes (default: one per
    core), spawned and recycled in a long batch (``recycling``)."""
    from . import forked  # here: a no-op build never forks (socket, pickle, tempfile: about 10 ms)

    jobs = settings.jobs or os.cpu_count() or 1
    units = list(planned)
    finished: Finished = []
    if jobs <= 1 or len(units) <= 1:
        if progress:
            progress.start(len(units))
        # One unit and a core to spare (--jobs N, or without --jobs an idle core): its PDFs and checks at once.
        with forked.allowing(jobs > 1, when_idle=settings.jobs is None):
            for unit in units:
                result, problems = _work(unit, settings)
                finished.append((unit, result, problems))
                if progress:
                    progress.advance(unit, result, problems)
        return finished
    from .recycling import Lanes, units_per_worker

    workers = min(jobs, len(units))
    share = units_per_worker()
    # A long batch: spawned workers, each replaced after its share (memory flat). A short one:
    # forked workers, none of which takes more than its share anyway, started with brochure,
    # WeasyPrint and the checks imported here once (before, each imported them for itself, at once).
    recycled = len(units) > workers * share
    if not recycled:
        from .build import before_forking_workers

        before_forking_workers(settings.check)
    lanes = Lanes(workers, share if recycled else None, "spawn" if recycled else "fork",
                  initializer=_worker_start if recycled else _forked_worker_start)
    with lanes:
        try:
            with _frozen(not recycled):
                lanes.start()
            if progress:  # after the workers are forked: a progress bar runs a thread, which must not be forked
                progress.start(len(units))
            for unit, future in lanes.map_unordered(_work, units, settings):
                result, problems = future.result()
                finished.append((unit, result, problems))
                if progress:
                    progress.advance(unit, result, problems)
        except KeyboardInterrupt:
            lanes.stop()
            raise
    order = {unit: i for i, unit in enumerate(units)}
    return sorted(finished, key=lambda item: order[item[0]])


@contextlib.contextmanager
def _frozen(forking: bool) -> Iterator[None]:
    """While workers are forked from this process (``forking``), what it holds is frozen
    (``gc.freeze``): their collector leaves it alone, and fewer of its pages are copied."""
    if not forking:
        yield
        return
    import gc

    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _worker_start() -> None:
    """A long batch's worker (spawned, recycled): Ctrl-C is the build's to handle (it stops the
    workers), and SIGTERM ends the worker at once, its temporary files removed, a commit in
    progress finished. Its builds keep the collector at Python's pace (``build.in_batch``), as
    its memory per unit was measured."""
    from .build import in_batch

    in_batch()
    _forked_worker_start()


def _forked_worker_start() -> None:
    """A short batch's worker (forked, never replaced: at most ``UNITS_PER_WORKER`` units), as
    ``_worker_start`` but for the collector: its builds run it a tenth as often, as the same
    units built in turn in one process do (``build._fewer_collections``)."""
    import signal

    from .files import stop_now

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, stop_now)


def check_file(path: Path, name: str | None = None, settings: Checks | None = None,
               out_dir: Path | None = None, today: date | None = None,
               problems: list[Problem] | None = None) -> list[Finding]:
    """Check a content file: its words, then the PDFs built from it (each variant's, if it has variants).

    The PDFs are built into ``out_dir``, or into a temporary folder that is removed afterwards
    (then PDF findings name the PDF by its file name alone). Raises ``ContentError``, as a build
    does, when the file has mistakes. Given ``problems``, a variant that fails (one bad CSV row)
    adds its problems there and the other variants are still checked, as a build builds them.
    """
    import tempfile

    from .build import Review, Unit, brochures, build_unit
    from .checks.findings import Finding
    from .content.described import load_described

    name = name or str(path)
    findings: set[Finding] = set()
    with tempfile.TemporaryDirectory(prefix="brochure-check-") as temporary:
        folder = Path(out_dir) if out_dir is not None else Path(temporary)
        if problems is None:
            variants = [variant for variant, _, _ in brochures(path, name)]
        else:
            described, failed = load_described(path, name)
            problems += [problem for found in failed.values() for problem in found]
            variants = [variant for variant, _, _ in described]
        for variant in variants:
            result = build_unit(Unit(path, name, variant), folder, review=Review(settings, today))
            for finding in result.findings:
                if out_dir is None and finding.file in {str(p) for p in result.pdfs}:
                    finding = replace(finding, file=Path(finding.file).name)
                findings.add(finding)  # variants share most text: a set
    return sorted(findings, key=Finding.sort_key)
