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
units at a time, and a new executor is made when the old one has had its share.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Any, TypeVar

UNITS_PER_WORKER = 40  # a worker's RSS then ends within about 1.1x of what it was after 10 units
DEPTH = 2  # units handed to a worker at once: the next one is there when it finishes one

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")


@dataclass
class _Lane:
    """One worker process (a one-process executor) and how many units it was given."""

    executor: ProcessPoolExecutor
    given: int = 0
    running: set[Future[Any]] = field(default_factory=set)


class Lanes:
    """``workers`` spawned processes, each replaced after ``per_worker`` units."""

    def __init__(self, workers: int, per_worker: int = UNITS_PER_WORKER) -> None:
        if workers < 1 or per_worker < 1:
            raise ValueError("workers and per_worker must be at least 1")
        self.per_worker = per_worker
        self._context = get_context("spawn")
        self._lanes = [_Lane(self._new()) for _ in range(workers)]
        self._retired: list[ProcessPoolExecutor] = []
        self.started = workers  # processes started in all: the first ones and their replacements

    def _new(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=1, mp_context=self._context)

    def map_unordered(self, function: Callable[..., Outcome], items: Iterable[Item], *args: Any
                      ) -> Iterator[tuple[Item, Future[Outcome]]]:
        """``function(item, *args)`` for each item, on the workers; each item with its finished
        future, as they finish. A worker that dies fails its units' futures (BrokenProcessPool)."""
        waiting = list(items)[::-1]
        owner: dict[Future[Any], tuple[_Lane, Item]] = {}
        while waiting or owner:
            for lane in self._lanes:
                while waiting and len(lane.running) < DEPTH:
                    if lane.given >= self.per_worker:  # its share is given: a fresh process takes over
                        self._retired.append(lane.executor)
                        lane.executor.shutdown(wait=False)  # it still finishes what it was given
                        lane.executor, lane.given = self._new(), 0
                        self.started += 1
                    item = waiting.pop()
                    future = lane.executor.submit(function, item, *args)
                    lane.given += 1
                    lane.running.add(future)
                    owner[future] = (lane, item)
            done, _ = wait(list(owner), return_when=FIRST_COMPLETED)
            for future in done:
                lane, item = owner.pop(future)
                lane.running.discard(future)
                yield item, future

    def shutdown(self, cancel: bool = False) -> None:
        """Stop every worker, waiting for them (``cancel``: what has not started is dropped)."""
        for executor in [*self._retired, *(lane.executor for lane in self._lanes)]:
            executor.shutdown(wait=True, cancel_futures=cancel)
        self._retired.clear()

    def __enter__(self) -> Lanes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown(cancel=exc[0] is not None)
