"""How a command ends (``program.exit_now``): without Python's teardown, but nothing lost.

A cold build ends with ``os._exit`` once ``main`` returned: the ``atexit`` handlers run, stdout
and stderr are flushed, and the status is ``main``'s; with a thread still running or output
that cannot be flushed, Python's ordinary exit. Each case runs in a fresh process, as staff
run ``python build.py``."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import time
from pathlib import Path

import pypdf
from conftest import HANG, PYTHON, REPO, snapshot, write_minimal

# Output buffered as Python buffers it for a pipe (PYTHONUNBUFFERED would flush every line at once).
BUFFERED = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}


def _python(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(PYTHON), "-c", f"import sys; sys.path.insert(0, {str(REPO)!r})\n{script}"],
                          capture_output=True, text=True, timeout=HANG, env=BUFFERED)


def test_a_build_ends_with_its_pdfs_manifest_and_every_line_it_printed(tmp_path: Path) -> None:
    content = write_minimal(tmp_path / "p")
    out = tmp_path / "p" / "out"
    result = subprocess.run([str(PYTHON), str(REPO / "build.py"), str(content), "--out", str(out)], cwd=content.parent,
                            capture_output=True, text=True, timeout=HANG, env={**BUFFERED, "SOURCE_DATE_EPOCH": "1700000000"})
    assert result.returncode == 0, result.stderr
    pdfs = sorted(out.glob("*.pdf"))
    assert len(pdfs) == 2
    # stdout is a pipe here (block-buffered): each "wrote" line arrived, so the buffer was flushed at the exit.
    assert sorted(line.split()[1] for line in result.stdout.splitlines() if line.startswith("wrote ")) == \
        [str(path) for path in pdfs]
    for path in pdfs:
        assert len(pypdf.PdfReader(path).pages) >= 1
    recorded = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {path.name for path in pdfs} <= set(json.dumps(recorded).replace('"', " ").split())
    assert sorted(p.name for p in out.iterdir()) == sorted([*(p.name for p in pdfs), "manifest.json"])  # no temporary left


def test_a_mistake_still_exits_1_in_one_line_and_leaves_out_as_it_was(tmp_path: Path) -> None:
    content = write_minimal(tmp_path / "p")
    out = tmp_path / "p" / "out"
    subprocess.run([str(PYTHON), str(REPO / "build.py"), str(content), "--out", str(out)], cwd=content.parent,
                   check=True, capture_output=True, timeout=HANG)
    before = snapshot(out)
    content.write_text(content.read_text(encoding="utf-8") + "colour_of_the_day: teal\n", encoding="utf-8")
    result = subprocess.run([str(PYTHON), str(REPO / "build.py"), str(content), "--out", str(out)], cwd=content.parent,
                            capture_output=True, text=True, timeout=HANG)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert any("colour_of_the_day" in line for line in result.stderr.splitlines())
    assert snapshot(out) == before


def test_the_exit_runs_atexit_handlers_flushes_output_and_keeps_the_status(tmp_path: Path) -> None:
    marker = tmp_path / "handler-ran"
    result = _python("import atexit, pathlib\n"
                     f"atexit.register(lambda: (pathlib.Path({str(marker)!r}).write_text('yes'), print('handler')))\n"
                     "from brochure.program import exit_now\n"
                     "print('buffered', end=' ')\n"
                     "sys.stderr.write('said')\n"
                     "exit_now(3)\n"
                     "print('never')")
    assert result.returncode == 3
    assert result.stdout == "buffered handler\n" and result.stderr == "said"
    assert marker.read_text() == "yes"


def test_a_thread_still_running_is_waited_for_as_python_does(tmp_path: Path) -> None:
    marker = tmp_path / "thread-done"
    result = _python("import pathlib, threading, time\n"
                     "def late():\n"
                     "    time.sleep(0.5)\n"
                     f"    pathlib.Path({str(marker)!r}).write_text('done')\n"
                     "threading.Thread(target=late).start()\n"
                     "from brochure.program import exit_now\n"
                     "exit_now(0)")
    assert result.returncode == 0, result.stderr
    assert marker.read_text() == "done"


def test_output_to_a_closed_pipe_exits_as_python_does() -> None:
    # The child waits for its stdin to end, then prints and exits; its stdout's reader is gone by then.
    script = (f"import sys\nsys.path.insert(0, {str(REPO)!r})\nfrom brochure.program import exit_now\nsys.stdin.read()\n"
              "print('lost')\nexit_now(0)")
    plain = "import sys\nsys.stdin.read()\nprint('lost')\nsys.exit(0)"
    codes = []
    for source in (script, plain):
        process = subprocess.Popen([str(PYTHON), "-c", source], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env=BUFFERED)
        assert process.stdout is not None and process.stdin is not None
        process.stdout.close()
        process.stdin.close()
        process.wait(timeout=HANG)
        assert process.stderr is not None
        codes.append((process.returncode, "BrokenPipeError" in process.stderr.read().decode()))
    assert codes[0] == codes[1] == (120, True)


# One handout built here, with a helper allowed, alone, or as a batch's worker builds it, job.render
# noting the collector's thresholds (in this process and in the helper); then the thresholds once
# the build returned.
PACE = """\
import gc, json, os, sys
from pathlib import Path
sys.path.insert(0, {repo!r})
from brochure import build, forked
from brochure.render import job
seen = Path(sys.argv[3])
rendering = job.render
def render(made, *args, **kwargs):
    with seen.open("a", encoding="utf-8") as log:
        log.write(json.dumps([made.output, gc.get_threshold()]) + "\\n")
    return rendering(made, *args, **kwargs)
job.render = render
before = gc.get_threshold()
if sys.argv[4] == "batch":
    build.in_batch()
with forked.allowing(sys.argv[4] == "allowed"):
    build.build_unit(build.Unit(Path(sys.argv[1]), sys.argv[1]), Path(sys.argv[2]))
print(json.dumps([before, gc.get_threshold()]))
"""


def test_the_collector_runs_less_often_only_while_a_handout_builds_outside_a_batch(tmp_path: Path) -> None:
    content = write_minimal(tmp_path / "p")
    for how in ("allowed", "alone", "batch"):
        out, seen = tmp_path / f"out-{how}", tmp_path / f"seen-{how}"
        out.mkdir()
        result = subprocess.run([str(PYTHON), "-c", PACE.format(repo=str(REPO)), str(content), str(out), str(seen), how],
                                capture_output=True, text=True, timeout=HANG, env=BUFFERED)
        assert result.returncode == 0, result.stderr
        before, after = json.loads(result.stdout)
        assert after == before  # Python's pace again once the build returned
        during = sorted(tuple(line[1]) for line in map(json.loads, seen.read_text(encoding="utf-8").splitlines()))
        assert len(during) == 2  # the print PDF here, the email PDF (in the helper, when allowed)
        expected = (7000, *before[1:]) if how != "batch" else tuple(before)  # a batch's worker: Python's pace
        assert during == [expected, expected], how


def test_two_builds_in_threads_keep_the_young_pace_while_either_runs_and_give_pythons_back() -> None:
    """The studio builds in threads: the first build to end must not put Python's pace back under
    the other, nor the last leave the young one for good."""
    import threading

    from brochure import build

    before = gc.get_threshold()
    both = threading.Barrier(2, timeout=HANG)
    during: list[int] = []

    def one(hold: float) -> None:
        with build._fewer_collections(True):
            both.wait()
            time.sleep(hold)
            during.append(gc.get_threshold()[0])

    threads = [threading.Thread(target=one, args=(hold,)) for hold in (0.05, 0.3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=HANG)
    assert during == [build.YOUNG_THRESHOLD, build.YOUNG_THRESHOLD]
    assert gc.get_threshold() == before
