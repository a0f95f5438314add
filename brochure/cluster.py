"""Cluster: a batch's units rendered on a Dask cluster, committed here as a local build commits them.

``build --scheduler tcp://host:8786`` sends each unit to a Dask scheduler's workers. Each
project root's shared files, and each content file's own, go to the cluster once per batch
(``brochure.bundle``), as tasks that return them: a task of a unit carries only its names.
Workers return PDF bytes and manifest entries; this process alone writes PDFs (atomically)
and the manifest as they come back (those that came back together, together), and tells
the progress as the local runner does. A worker that dies takes no unit with it: the scheduler gives its tasks to
another worker, and nothing of a unit is written until its bytes are here.

Memory stays flat as in a local batch (``brochure.recycling``): each worker that has a
nanny is restarted after its share of units (``Recycle``, a worker plugin this build
registers), between two units. It first stops taking units and lets the one it is rendering
finish; Dask then moves what it holds to another worker before it goes. Nothing is lost if
it goes anyway (killed): the bundle's parts are tasks, not scattered data, so the
scheduler makes them again from the task, and a unit's task is run again elsewhere.

``distributed`` is imported only here and in ``brochure.scheduler`` (which reaches the
scheduler), and only for such a build: a local build's cold start does not pay for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from distributed import WorkerPlugin

from .bundle import Delivered, Files, OtherVersion, Task, entry_for, own_part, render, shared_part
from .discover import content_root
from .environment import review_day, source_date_epoch
from .manifest import Manifest, settings_fingerprint
from .recycling import units_per_worker
from .scheduler import ClusterError, close, connect, first_line, parse_address
from .settings import Settings

if TYPE_CHECKING:
    from .build import Finished, Progress, Result, Unit
    from .errors import Problem

RETRIES = 2  # a task that raised (a worker's disk full, say) is tried again on any worker
RENDER = "brochure-render-"  # the keys of the units' tasks: what a worker's share counts
PLUGIN = "brochure-recycle"
# Units that came back are written together, the manifest once for them: at most a tenth of
# those done so far, and none kept waiting over GROUP_S seconds. Writing the manifest for each
# unit would cost this process time that grows with the batch (the whole file each time).
GROUP = 10
GROUP_S = 3.0


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
        client.register_plugin(Recycle(units_per_worker()), name=PLUGIN)
        try:
            return _batch(client, planned, settings, progress)
        finally:  # the workers are the cluster's: after the batch, they are left as they were
            if client.status == "running":  # not when the scheduler is gone (nothing to undo there)
                # The scheduler forgets the plugin first, then tells every worker it knows: one
                # that its nanny is restarting just then (a share ended with the batch's last
                # unit) fails that, and the batch done would be reported as a scheduler lost.
                with contextlib.suppress(OSError):  # distributed's CommClosedError is one
                    client.unregister_worker_plugin(PLUGIN)
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
    # The parts as tasks that return them, not scattered: the scheduler keeps the task, and can
    # make a part again if every worker that held it is gone.
    token = uuid.uuid4().hex  # this batch's: its keys are no other batch's
    shared = {root: client.submit(_part, shared_part(root, found), key=f"brochure-shared-{token}-{n}")
              for n, (root, found) in enumerate(logos.items())}
    own = {path: client.submit(_part, files, key=f"brochure-own-{token}-{n}") for n, (path, files) in enumerate(owns.items())}
    known = Manifest(out_dir)
    futures = {}
    for n, (unit, root) in enumerate(roots.items()):  # each sent as soon as it is known: the workers start on the first
        job = _job(unit, root, planned[unit], known, settings)
        futures[client.submit(render, shared[root], own[unit.path], job, key=f"{RENDER}{token}-{n}",
                              retries=RETRIES)] = unit
    arrived = as_completed(futures, loop=client.loop)
    pending: list[tuple[Unit, Delivered]] = []
    since = 0.0
    keys: dict[tuple[Path, str], str] = {}  # the manifest's keys of the inputs, found once a batch
    try:
        for batch in _batches(arrived):  # the units come back here as they are done
            for future in batch:
                unit = futures.pop(future)
                pending.append((unit, _result(future, unit)))
                future.release()  # the PDFs' bytes leave the cluster's memory as soon as they are here
            since = since or time.monotonic()
            if arrived.is_empty() or len(pending) > len(finished) // GROUP or time.monotonic() - since >= GROUP_S:
                _commit(pending, roots, out_dir, progress, finished, keys)
                pending, since = [], 0.0
    except Exception:  # a unit that failed on every try, the scheduler lost: what is here is written first
        _commit(pending, roots, out_dir, progress, finished, keys)
        raise
    order = {unit: i for i, unit in enumerate(planned)}
    return sorted(finished, key=lambda item: order[item[0]])


def _batches(arrived: Any) -> Any:
    """``arrived.batches()``, where a Ctrl-C is always a ``KeyboardInterrupt``: one that lands
    inside Dask's wait (``threading.Condition.wait``, after it let go of its lock) comes out as
    the lock's "cannot release un-acquired lock", the interrupt as its context."""
    batches = arrived.batches()
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except RuntimeError as error:
            if isinstance(error.__context__, KeyboardInterrupt):
                raise KeyboardInterrupt from None
            raise
        yield batch


def _part(files: Any) -> Any:
    """A bundle's part, as the task that carries it returns it."""
    return files


class Recycle(WorkerPlugin):
    """A worker restarted by its nanny once it has rendered ``share`` units, between two units:
    it takes no more (its status says it is leaving), finishes the one it renders, has Dask
    move what it holds to another worker, and closes; its nanny starts a fresh process, to
    which the scheduler sends this plugin again. A worker without a nanny is never closed
    (nothing would start it again), nor one whose data no other worker can take (the only
    worker left): it tries again a few units later."""

    def __init__(self, share: int) -> None:
        self.share = share
        self.worker: Any = None
        self.done = 0
        self.leaving = False

    def setup(self, worker: Any) -> None:
        # Workers that started together would reach their share together, and one cannot hand
        # its data to another that is leaving too: each starts some way into its first share.
        self.worker, self.done, self.leaving = worker, random.randrange(self.share // 2 + 1), False

    def transition(self, key: Any, start: str, finish: str, *args: Any, **kwargs: Any) -> None:
        if start != "executing" or not (isinstance(key, str) and key.startswith(RENDER)):
            return
        self.done += 1
        if self.done >= self.share and not self.leaving and self.worker.nanny:
            self.leaving = True
            self.worker.loop.add_callback(self._leave)

    async def _leave(self) -> None:
        from distributed.core import Status

        worker = self.worker
        others = [info["status"] for address, info in (await worker.scheduler.identity())["workers"].items()
                  if address != worker.address]
        if worker.status != Status.running or not others or set(others) != {"running"}:
            # paused for memory or closing already; the only worker; or another is leaving, and
            # could not take what this one holds: again after the next unit
            self.done, self.leaving = self.share - 1, False
            return
        worker.status = Status.closing_gracefully  # no unit is sent here any more, nor started
        while worker.state.executing_count:
            await asyncio.sleep(0.05)
        # The units it made are known to the scheduler before it goes (the news travels on
        # another connection than the request to retire): else they would be made again.
        made = [key for key in worker.data if isinstance(key, str) and key.startswith(RENDER)]
        for _ in range(40):  # at most 2 s: a key the client let go meanwhile is never known again
            held = await worker.scheduler.who_has(keys=made)
            if all(worker.address in held.get(key, ()) for key in made):
                break
            await asyncio.sleep(0.05)
        # Not removed from the scheduler here (remove=False): it is when its process ends. A
        # worker removed while still alive is told "missing" by the scheduler at its next
        # heartbeat (every 0.5 s), and then closes its nanny too: the restart below races that
        # heartbeat, and when the heartbeat won, the cluster was left with one worker, never
        # recycled again, beside an orphan idle process (issue 24's twice-as-long big batch).
        retired = await worker.scheduler.retire_workers(workers=[worker.address], close_workers=False, remove=False,
                                                        stimulus_id=f"brochure-recycle-{uuid.uuid4().hex}")
        if worker.address not in retired:  # no other worker could take what it holds: later
            # The scheduler also sends the status it found (ours, leaving) on another channel:
            # it is here well within this wait, and is then overridden.
            await asyncio.sleep(0.5)
            worker.status = Status.running
            self.done, self.leaving = self.share - random.randint(1, 3), False
            return
        # Its nanny stops it and starts another: as ``dask worker`` restarts one, quietly (a
        # worker that closes itself would be logged as one that "died unexpectedly").
        try:  # the answer never comes: this process is stopped meanwhile
            await worker.rpc(worker.nanny).restart(reason="brochure: a worker's share of units is rendered")
        except Exception:  # the nanny could not be reached: this worker goes on as it was
            if worker.status == Status.closing_gracefully:  # not when it is closing meanwhile
                # Else it would hold, and never start, the units the scheduler gave it.
                worker.status = Status.running
                self.done, self.leaving = self.share - random.randint(1, 3), False


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
                tuple(fresh), sent, check, epoch=source_date_epoch(), today=review_day().isoformat())


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


def _commit(pending: list[tuple[Unit, Delivered]], roots: dict[Unit, Path], out_dir: Path,
            progress: Progress | None, finished: Finished, keys: dict[tuple[Path, str], str]) -> None:
    """Write units' PDFs and manifest entries, all or nothing, as ``build_unit`` does for one,
    and tell the progress of each. Several units at once: the manifest is written once for them."""
    from .build import Result, write_problem

    book = Manifest(out_dir)
    made = {unit: rendered for unit, rendered in pending if not rendered.problems}
    problems: list[Problem] = []
    pdfs = {out_dir / name: data for rendered in made.values() for name, data in rendered.pdfs.items()}
    if pdfs:
        entries = {name: entry_for(entry, roots[unit], book, keys)
                   for unit, rendered in made.items() for name, entry in rendered.entries.items()}
        try:
            book.commit(pdfs, entries)
        except OSError as error:
            problems = [write_problem(error, out_dir)]
    for unit, rendered in pending:
        if rendered.problems or problems:
            _advance(progress, finished, unit, None, rendered.problems or problems)
            continue
        result = Result(unit, outputs={output: out_dir / name for output, name in rendered.outputs.items()},
                        written=[out_dir / name for name in rendered.written],
                        skipped=[out_dir / name for name in rendered.skipped],
                        warnings=rendered.warnings, findings=rendered.findings)
        _advance(progress, finished, unit, result, [])
