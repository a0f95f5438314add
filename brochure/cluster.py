"""Cluster: a batch's units rendered on a Dask cluster, committed here as a local build commits them.

``build --scheduler tcp://host:8786`` sends each unit to a Dask scheduler's workers. Each
project root's shared files, and each content file's own, are scattered to the workers
once per batch (``brochure.bundle``); a task carries only the unit's names. Workers return
PDF bytes and manifest entries; this process alone writes PDFs (atomically) and the
manifest, unit by unit as they come back, and tells the progress as the local runner does.
A worker that dies takes no unit with it: the scheduler gives its tasks to another worker,
and nothing of a unit is written until its bytes are here.

``distributed`` is imported only here and in ``brochure.scheduler`` (which reaches the
scheduler), and only for such a build: a local build's cold start does not pay for it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .bundle import Delivered, Files, OtherVersion, Task, entry_for, own_part, render, shared_part
from .discover import content_root
from .environment import source_date_epoch
from .manifest import Manifest, settings_fingerprint
from .scheduler import ClusterError, close, connect, first_line, parse_address
from .settings import Settings

if TYPE_CHECKING:
    from .build import Finished, Progress, Result, Unit
    from .errors import Problem

RETRIES = 2  # a task that raised (a worker's disk full, say) is tried again on any worker


def execute(planned: dict[Unit, list[Path]], settings: Settings, progress: Progress | None) -> Finished:
    """Build ``planned`` (each unit with the PDFs it will write) on the cluster at ``settings.scheduler``,
    given up on after ``settings.scheduler_timeout`` seconds."""
    if not planned:  # every file failed before a unit could be made: no cluster needed
        return []
    from distributed.client import FutureCancelledError
    from distributed.comm.core import CommClosedError

    address = str(settings.scheduler)
    client = connect(address, settings.scheduler_timeout)
    try:
        return _batch(client, planned, settings, progress)
    except (FutureCancelledError, CommClosedError) as error:  # the scheduler stopped, or the network went
        raise ClusterError(f"lost the Dask scheduler at {parse_address(address)} in the middle of the batch "
                           f"({first_line(error)}); the PDFs written are whole: build again to finish") from None
    finally:
        close(client)


def _batch(client: Any, planned: dict[Unit, list[Path]], settings: Settings, progress: Progress | None) -> Finished:
    from distributed import as_completed

    from .build import failures

    out_dir = settings.out_dir
    finished: Finished = []
    if progress:
        progress.start(len(planned))
    roots: dict[Unit, Path] = {}
    owns: dict[Path, Files] = {}
    logos: dict[Path, set[Path]] = {}
    for unit in planned:
        failed = failures(unit.path, unit.name)
        if unit.variant is not None and unit.variant in failed:  # known here: no need to send it
            _advance(progress, finished, unit, None, failed[unit.variant])
            continue
        roots[unit] = root = content_root(unit.path)
        if unit.path not in owns:
            owns[unit.path], found = own_part(unit, root)
            logos.setdefault(root, set()).update(found)
    shared = {root: client.scatter(shared_part(root, found), broadcast=True) for root, found in logos.items()}
    own = {path: client.scatter(files, broadcast=True) for path, files in owns.items()}
    known = Manifest(out_dir)
    futures = {}
    for unit, root in roots.items():  # each sent as soon as it is known: the workers start on the first
        job = _job(unit, root, planned[unit], known, settings)
        futures[client.submit(render, shared[root], own[unit.path], job, pure=False, retries=RETRIES)] = unit
    for future in as_completed(futures, loop=client.loop):
        unit = futures.pop(future)
        rendered = _result(future, unit)
        future.release()  # the PDFs' bytes leave the cluster's memory as soon as they are here
        result, problems = _commit(unit, rendered, roots[unit], out_dir)
        _advance(progress, finished, unit, result, problems)
    order = {unit: i for i, unit in enumerate(planned)}
    return sorted(finished, key=lambda item: order[item[0]])


def _advance(progress: Progress | None, finished: Finished, unit: Unit, result: Result | None,
             problems: list[Problem]) -> None:
    finished.append((unit, result, problems))
    if progress:
        progress.advance(unit, result, problems)


def _job(unit: Unit, root: Path, pdfs: list[Path], known: Manifest, settings: Settings) -> Task:
    """The task of one unit; its PDFs that are up to date are named, not rendered, as a local
    build skips them (and sent along when they are to be checked)."""
    out_dir, check = settings.out_dir, settings.check
    fresh = []
    for pdf in [] if settings.force else pdfs:
        entry = known.entries.get(pdf.name)
        if entry is not None and known.fresh(pdf, settings_fingerprint(entry.output, unit.variant), unit.path):
            fresh.append(pdf.name)
    sent = tuple((name, (out_dir / name).read_bytes()) for name in fresh) if check else ()
    return Task(unit.path.resolve().relative_to(root).as_posix(), unit.name, unit.variant, str(out_dir),
                tuple(fresh), sent, check, epoch=source_date_epoch(), today=date.today().isoformat())


def _result(future: Any, unit: Unit) -> Delivered:
    from distributed import KilledWorker

    try:
        rendered: Delivered = future.result()
    except OtherVersion as error:
        raise ClusterError(str(error)) from None
    except KilledWorker:
        raise ClusterError(f"{unit.name}: the workers that took it died, one after the other; "
                           "what was written before is good, build again to finish") from None
    return rendered


def _commit(unit: Unit, rendered: Delivered, root: Path, out_dir: Path) -> tuple[Result | None, list[Problem]]:
    """Write a unit's PDFs and manifest entries, all or nothing, as ``build_unit`` does."""
    from .build import Result, write_problem

    if rendered.problems:
        return None, rendered.problems
    book = Manifest(out_dir)
    if rendered.pdfs:
        entries = {name: entry_for(entry, root, book) for name, entry in rendered.entries.items()}
        try:
            book.commit({out_dir / name: data for name, data in rendered.pdfs.items()}, entries)
        except OSError as error:
            return None, [write_problem(error, out_dir)]
    result = Result(unit, outputs={output: out_dir / name for output, name in rendered.outputs.items()},
                    written=[out_dir / name for name in rendered.written],
                    skipped=[out_dir / name for name in rendered.skipped],
                    warnings=rendered.warnings, findings=rendered.findings)
    return result, []

