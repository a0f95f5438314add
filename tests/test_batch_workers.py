"""A short batch's workers start warm: forked after WeasyPrint was imported once, at the young pace.

A batch of a few units (``--jobs 2``, fewer than ``UNITS_PER_WORKER`` a worker) runs on
workers forked from the build's process (``runner.local``). Each used to import WeasyPrint and
the checks for itself, both at once (about 0.6 s of CPU each, in a 6-unit batch whose later
units cost 0.7 s), and to collect garbage at Python's pace where the same units built in turn
in one process (``--jobs 1``) collect a tenth as often. Now the process imports them once
before the fork (``build.before_forking_workers``) and the workers build as ``--jobs 1``
does. Read from inside the workers: a wrapper of ``runner._work`` (inherited by the fork)
notes, at each unit, whether WeasyPrint was there before the unit began and the collector's
threshold while its PDFs render.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from conftest import HANG, PYTHON, REPO, write_minimal

SCRIPT = """\
import gc, json, os, sys
from pathlib import Path
sys.path.insert(0, {repo!r})
from brochure import cli, runner
from brochure.render import job

log = Path(sys.argv[1])
main = os.getpid()
working = runner._work
rendering = job.render

def note(**fields):
    with log.open("a", encoding="utf-8") as file:
        file.write(json.dumps({{"pid": os.getpid(), **fields}}) + "\\n")

def work(unit, settings):
    note(unit=unit.variant, weasyprint="weasyprint" in sys.modules)
    return working(unit, settings)

def render(made, *args, **kwargs):
    note(threshold=gc.get_threshold()[0])
    return rendering(made, *args, **kwargs)

runner._work, job.render = work, render
code = cli.main(["build", sys.argv[2], "--out", sys.argv[3], "--jobs", "2", "--force"])
note(main=True, threshold_after=gc.get_threshold()[0], before=sys.argv[4])
sys.exit(code)
"""


def test_a_short_batch_forks_its_workers_warm_and_they_build_at_the_young_pace(tmp_path: Path) -> None:
    import gc

    from brochure import build

    content = write_minimal(tmp_path / "clinic")
    (content.parent / "locations.csv").write_text(
        "id,clinic.phone\n" + "".join(f"l{i},(913) 555-010{i}\n" for i in range(1, 5)), encoding="utf-8")
    content.write_text(content.read_text(encoding="utf-8") + "variants: locations.csv\n", encoding="utf-8")
    log, out = tmp_path / "log.jsonl", tmp_path / "out"
    run = subprocess.run([str(PYTHON), "-c", SCRIPT.format(repo=str(REPO)), str(log), str(content), str(out),
                          str(gc.get_threshold()[0])], capture_output=True, text=True, timeout=HANG)
    assert run.returncode == 0, run.stdout + run.stderr
    assert len(list(out.glob("*.pdf"))) == 8, run.stdout

    notes = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    main = next(note for note in notes if note.get("main"))
    units = [note for note in notes if "unit" in note]
    workers = {note["pid"] for note in units}
    assert sorted(note["unit"] for note in units) == ["l1", "l2", "l3", "l4"]
    assert len(workers) == 2 and main["pid"] not in workers, "the four units were not built by two workers"
    # Each worker's first unit began with WeasyPrint already there: imported once, before the fork.
    firsts = [next(note for note in units if note["pid"] == pid) for pid in workers]
    assert all(note["weasyprint"] for note in firsts), firsts
    # Every PDF rendered at the young pace, as in one process; the build's own process keeps Python's.
    thresholds = [note["threshold"] for note in notes if "threshold" in note]
    assert len(thresholds) == 8, notes
    assert set(thresholds) == {build.YOUNG_THRESHOLD}, thresholds
    assert main["threshold_after"] == int(main["before"])
