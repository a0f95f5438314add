"""Lanes: the warm worker processes that render watch's and serve's PDFs at the same time.

What a user relies on, read from the outside: a PDF rendered in a lane has the bytes of the
same PDF rendered here; each kind always goes to the same lane, print and email to different
ones; a mistake in a document comes back as the same error, for the first PDF in the jobs'
order; a lane that dies costs nothing but time (the PDFs render here); a process that runs
threads spawns its lanes instead of forking them.
"""

from __future__ import annotations

import os
import signal
import threading
from dataclasses import replace
from functools import partial
from pathlib import Path

import pytest
from conftest import write_minimal

from brochure.build import Unit, prepare
from brochure.render import job, lanes
from brochure.render.job import Job
from brochure.render.pdf import Rendered, RenderError


@pytest.fixture(autouse=True)
def _epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")


@pytest.fixture
def jobs(tmp_path: Path) -> list[Job]:
    """The print and email jobs of a small handout."""
    made = prepare(Unit(write_minimal(tmp_path / "clinic"), "content.yaml"))
    assert [made.output for made in made] == ["print", "email"]
    return made


def here(jobs: list[Job]) -> list[bytes]:
    return [job.render(made).data for made in jobs]


def broken(made: Job) -> Job:
    """The job with a picture that is not there: WeasyPrint cannot load it, the render fails."""
    return replace(made, html=made.html.replace("</body>", '<img src="missing.png" alt=""></body>'))


def test_each_kind_renders_in_its_own_lane_with_the_bytes_it_has_here(jobs: list[Job]) -> None:
    expected = here(jobs)
    forks = lanes.single_threaded()  # in a suite, an earlier test's library may leave a thread: then spawned
    started = lanes.start(2, job.render)
    assert started is not None
    try:
        assert {type(lane.process).__name__ for lane in started.lanes} == {"ForkProcess" if forks else "SpawnProcess"}
        started.warm(jobs)
        assert [made.data for made in started.render(jobs)] == expected
        print_lane, email_lane = started.lane_of("print"), started.lane_of("email")
        assert print_lane is not email_lane
        assert print_lane.process.pid != os.getpid() and print_lane.process.is_alive()
        again = started.render(list(reversed(jobs)))  # the same lanes, whatever the order asked
        assert [made.data for made in again] == list(reversed(expected))
        assert started.lane_of("print") is print_lane and print_lane.kinds == ["print"]
    finally:
        started.stop()
    assert not any(lane.process.is_alive() for lane in (print_lane, email_lane))


def _noting(note: Path, made: Job, **how: bool) -> Rendered:
    """``job.render``, each call noted in ``note`` (the kind, and whether the tri-fold's search runs)."""
    with note.open("a", encoding="utf-8") as said:
        said.write(f"{made.output} search={how.get('search', True)}\n")
    return job.render(made, **how)


def test_a_lane_warms_up_as_an_edit_renders_the_sentence_break_search_included(jobs: list[Job], tmp_path: Path) -> None:
    """The first edit after ``watch`` starts costs what a later one does only when the warm-up ran
    what an edit runs, the tri-fold's sentence-break search too (its trial layouts' lines kept,
    its code run in the lane); the warm-ups' answers, read on the way, are never a job's PDF."""
    expected = here(jobs)
    note = tmp_path / "renders.txt"
    started = lanes.start(2, partial(_noting, note))
    assert started is not None
    try:
        started.warm(jobs)
        assert [made.data for made in started.render(jobs)] == expected
        assert [lane.warming for lane in started.lanes] == [0, 0]
        assert [made.data for made in started.render(jobs)] == expected
    finally:
        started.stop()
    assert sorted(note.read_text(encoding="utf-8").splitlines()) == ["email search=True"] * 3 + ["print search=True"] * 3


def test_an_error_comes_back_for_the_first_pdf_in_order_and_the_lanes_go_on(jobs: list[Job]) -> None:
    expected = here(jobs)
    started = lanes.start(2, job.render)
    assert started is not None
    try:
        with pytest.raises(RenderError, match=r"missing\.png") as raised:
            started.render([jobs[0], broken(jobs[1])])
        assert getattr(raised.value, "output", None) == "email"
        assert isinstance(raised.value.__cause__, lanes.RemoteTraceback)
        assert "Traceback" in str(raised.value.__cause__)
        with pytest.raises(RenderError) as raised:  # both fail: the print PDF's error, as in turn
            started.render([broken(made) for made in jobs])
        assert getattr(raised.value, "output", None) == "print"
        assert [made.data for made in started.render(jobs)] == expected
    finally:
        started.stop()


def test_a_lane_that_dies_is_dropped_and_the_pdfs_render_here(jobs: list[Job]) -> None:
    expected = here(jobs)
    started = lanes.start(2, job.render)
    assert started is not None
    job.render_in(started)
    try:
        assert job.pooled()
        victim = started.lane_of("email").process
        os.kill(victim.pid, signal.SIGKILL)  # out of memory, or killed by hand
        victim.join(timeout=60)
        assert [made.data for made in job.render_all(jobs)] == expected
        assert not job.pooled(), "a lane died, yet the lanes are still used"
        assert not started.lanes
    finally:
        job.render_in(None)
        started.stop()


def test_a_process_running_threads_spawns_its_lanes(jobs: list[Job]) -> None:
    """A fork copies one thread only, and any lock another thread held stays locked in the
    child: with a thread running (serve's server), the lanes are fresh interpreters."""
    expected = here(jobs)
    release = threading.Event()
    other = threading.Thread(target=release.wait, daemon=True)
    other.start()
    try:
        started = lanes.start(1, job.render)
    finally:
        release.set()
        other.join()
    assert started is not None
    try:
        assert type(started.lanes[0].process).__name__ == "SpawnProcess"
        assert [made.data for made in started.render(jobs)] == expected
        assert started.lanes[0].kinds == ["print", "email"]
    finally:
        started.stop()
