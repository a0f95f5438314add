"""Recycling: a batch's workers replaced after their share of units, losing and repeating nothing."""

from __future__ import annotations

import os
from concurrent.futures.process import BrokenProcessPool

import pytest

from brochure.recycling import Lanes


def _where(item: int, offset: int) -> tuple[int, int]:
    return item + offset, os.getpid()


def _die(item: int) -> int:
    if item == 2:
        os._exit(3)  # a worker killed mid-batch (out of memory, say)
    return item


def test_each_worker_takes_its_share_then_a_fresh_process_takes_over() -> None:
    with Lanes(workers=2, per_worker=3) as lanes:
        done = [(item, future.result()) for item, future in lanes.map_unordered(_where, range(11), 100)]
        started = lanes.started
    assert sorted(item for item, _ in done) == list(range(11))  # each unit once, none lost
    assert all(result == item + 100 for item, (result, _) in done)
    per_process: dict[int, int] = {}
    for _, (_, pid) in done:
        per_process[pid] = per_process.get(pid, 0) + 1
    assert os.getpid() not in per_process  # never in this process
    assert max(per_process.values()) <= 3
    assert len(per_process) >= 4 and started == len(per_process)


def test_a_worker_that_dies_fails_its_units_loudly() -> None:
    with Lanes(workers=1, per_worker=10) as lanes, pytest.raises(BrokenProcessPool):
        for _, future in lanes.map_unordered(_die, range(4)):
            future.result()


def test_nonsense_sizes_are_refused() -> None:
    with pytest.raises(ValueError):
        Lanes(workers=0)
