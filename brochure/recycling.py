"""Recycling: a batch's worker processes replaced after a number of units, so its memory stays flat.

Every process that renders grows by about 0.65 MiB a unit and never gives it back (native
memory kept by WeasyPrint's libraries: Pango, HarfBuzz, fontconfig), so a worker that renders
500 units ends near 550 MiB. ``Lanes`` runs units on ``workers`` processes, each started
fresh (spawned: nothing of this process's memory comes along) and replaced by a new one once
it has taken ``per_worker`` units. A replaced worker finishes what it was given first: no unit
is lost or run twice, and each unit's result is the same as in any other process.

Why not ``ProcessPoolExecutor(max_tasks_per_child=...)``: up to Python 3.13 it stops starting
new workers once one has left with work still queued (CPython gh-115634), and a batch queues
all its units. Here each worker is a one-process executor of its own, given at most ``DEPTH``
units at a time, and a new executor is made when the old one has had its share. A short
batch runs on the same lanes, forked and never replaced: one code path, Ctrl-C included.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

UNITS_PER_WORKER = 40  # a worker's RSS then ends within about 1.1x of what it was after 10 units
SHARE_VARIABLE = "BROCHURE_UNITS_PER_WORKER"  # for tests only: a batch of a few units is then recycled
DEPTH = 2  # units handed to a worker at once: the next one is there when it finishes one

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")


def units_per_worker() -> int:
    """A worker's share of units before a fresh process takes over: ``UNITS_PER_WORKER``, or
    ``BROCHURE_UNITS_PER_WORKER`` when set (a whole number over 0; the tests' way to recycle a
    batch of a few units in a command of their own). The Dask workers' share is the same."""
    text = os.environ.get(SHARE_VARIABLE, "")
    return int(text) if text.isascii() and text.isdigit() and int(text) > 0 else UNITS_PER_WORKER


@dataclass
class _Lane:
    """One worker process (a one-process executor) and how many units it was given."""

    executor: ProcessPoolExecutor
    given: int = 0
    running: set[Future[Any]] = field(default_factory=set)


@contextmanager
def _born_deaf() -> Iterator[None]:
    """Ctrl-C held back in this thread while a worker process may be started: the worker is
    born with it blocked, so one pressed while it is still starting (before its initializer
    ignores Ctrl-C) prints no traceback from it. Here it is delivered when the block ends."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _processes(executor: ProcessPoolExecutor) -> list[BaseProcess]:
    """An executor's processes (no public way before Python 3.14); none once it is shut down."""
    return list((getattr(executor, "_processes", None) or {}).values())


def _ready() -> None:
    """Nothing: a first task that makes the worker process start (and run its initializer)."""


class Lanes:
    """``workers`` processes, each replaced after ``per_worker`` units (None: never).

    ``method`` is how they start: ``spawn`` (nothing of this process comes along: what
    recycling needs) or ``fork`` (brochure already imported: a short batch starts sooner).
    ``initializer`` runs first in each of them. ``start`` makes them all now, so that
    a thread started afterwards (a progress bar) is never forked.
    """

    def __init__(self, workers: int, per_worker: int | None = UNITS_PER_WORKER, method: str = "spawn",
                 initializer: Callable[[], None] | None = None) -> None:
        if workers < 1 or (per_worker is not None and per_worker < 1):
            raise ValueError("workers and per_worker must be at least 1")
        self.per_worker = per_worker
        self._context = get_context(method)
        self._initializer = initializer
        self._lanes = [_Lane(self._new()) for _ in range(workers)]
        # Replaced executors, with their process: a shut-down executor forgets it, and Ctrl-C
        # must still stop it.
        self._retired: list[tuple[ProcessPoolExecutor, list[BaseProcess]]] = []
        self.started = workers  # processes started in all: the first ones and their replacements

    def _new(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=1, mp_context=self._context, initializer=self._initializer)

    def start(self) -> None:
        """Start every worker process now and wait until each is ready."""
        with _born_deaf():
            ready = [lane.executor.submit(_ready) for lane in self._lanes]
        wait(ready)

    def map_unordered(self, function: Callable[..., Outcome], items: Iterable[Item], *args: Any
                      ) -> Iterator[tuple[Item, Future[Outcome]]]:
        """``function(item, *args)`` for each item, on the workers; each item with its finished
        future, as they finish. A worker that dies fails its units' futures (BrokenProcessPool)."""
        waiting = list(items)[::-1]
        owner: dict[Future[Any], tuple[_Lane, Item]] = {}
        while waiting or owner:
            for lane in self._lanes:
                while waiting and len(lane.running) < DEPTH:
                    if self.per_worker is not None and lane.given >= self.per_worker:
                        # its share is given: a fresh process takes over
                        self._retired.append((lane.executor, _processes(lane.executor)))
                        lane.executor.shutdown(wait=False)  # it still finishes what it was given
                        lane.executor, lane.given = self._new(), 0
                        self.started += 1
                    item = waiting.pop()
                    with _born_deaf():
                        future = lane.executor.submit(function, item, *args)
                    lane.given += 1
                    lane.running.add(future)
                    owner[future] = (lane, item)
            done, _ = wait(list(owner), return_when=FIRST_COMPLETED)
            for future in done:
                lane, item = owner.pop(future)
                lane.running.discard(future)
                yield item, future

    def stop(self) -> None:
        """Ctrl-C: no unit is started any more, and those being made are dropped: each worker
        is sent SIGTERM (its initializer decides what that does) and waited for."""
        retired = [executor for executor, _ in self._retired]
        executors = [*retired, *(lane.executor for lane in self._lanes)]
        processes = [process for _, kept in self._retired for process in kept]
        processes += [process for lane in self._lanes for process in _processes(lane.executor)]
        for executor in executors:
            executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=60)
        self._retired.clear()

    def shutdown(self, cancel: bool = False) -> None:
        """Stop every worker, waiting for them (``cancel``: what has not started is dropped)."""
        for executor in [*(executor for executor, _ in self._retired), *(lane.executor for lane in self._lanes)]:
            executor.shutdown(wait=True, cancel_futures=cancel)
        self._retired.clear()

    def __enter__(self) -> Lanes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown(cancel=exc[0] is not None)
