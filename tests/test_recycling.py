"""Recycling: a batch's workers replaced after their share of units, losing and repeating nothing."""

from __future__ import annotations

import os
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

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


def test_a_long_local_batch_runs_on_recycled_workers_into_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch of more units than the workers' shares: spawned workers, replaced after 2 units
    here, write the PDFs a one-process build writes, every unit once."""
    import hashlib

    from conftest import seed_project

    from brochure import recycling, runner
    from brochure.settings import Settings

    path = seed_project(tmp_path / "content", ("layout: trifold", "layout: handout\nvariants: locations.csv"))
    (path.parent / "locations.csv").write_text(
        "id,clinic.phone\n" + "".join(f"loc-{n},(913) 555-010{n}\n" for n in range(5)), encoding="utf-8")
    started: list[int] = []
    real = recycling.Lanes

    class Counted(real):  # type: ignore[misc, valid-type]
        def shutdown(self, cancel: bool = False) -> None:
            started.append(self.started)
            super().shutdown(cancel)

    monkeypatch.setattr(recycling, "UNITS_PER_WORKER", 2)
    monkeypatch.setattr(recycling, "Lanes", Counted)
    outs = {}
    for jobs in (2, 1):
        outs[jobs] = tmp_path / f"out{jobs}"
        outcomes = runner.run([(path, "content.yaml")], Settings(outs[jobs], jobs=jobs, force=True))
        assert all(outcome.ok for outcome in outcomes), [outcome.problems for outcome in outcomes]
    assert started and started[0] >= 3  # 5 units, 2 a worker: a fresh process took over at least once

    def pdfs(folder: Path) -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.pdf"))}

    assert len(pdfs(outs[2])) == 10 and pdfs(outs[2]) == pdfs(outs[1])
