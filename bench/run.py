"""Benchmark: brochure's build against plain WeasyPrint on the same two HTML documents.

Run from the repository root::

    .venv/bin/python bench/run.py [--quick] [--runs N] [--cold-runs N] [--json PATH]

Everything happens in a temporary folder: the repository's ``content.yaml`` (and the files
it refers to) is copied there and every PDF is written there, so the repository is never
written to. The scenarios:

* project cold: wall time of ``python build.py <copy>/content.yaml --out <tmp>`` into a
  fresh output folder each time (with the manifest, a second run into the same folder
  would be a no-op);
* plain cold: a fresh process running ``HTML(string=..., base_url=...).write_pdf(...)`` for
  each of the two documents ``build_file`` renders, with the same ``pdf.OPTIONS``;
* no-op rebuild: the same command again once everything is up to date;
* project warm: ``brochure.build.build_file`` called in this process after one warm-up;
* project warm + checks: ``brochure.runner.run(..., Settings(..., force=True, check=True))`` in this
  process, which is what ``watch`` runs after each edit;
* plain warm: the same ``write_pdf`` calls in this process after one warm-up;
* import weasyprint: ``python -X importtime -c "import weasyprint"``, cumulative time;
* watch: ``python build.py watch`` in a subprocess; the title is edited several times and
  the time until both PDFs' bytes change on disk (and until the next "waiting for
  changes...") is measured;
* batches: a copy with ``variants: locations.csv`` (6 and 50 rows), built with ``--jobs 1``
  and ``--jobs 2`` (``--force``, fresh output folder each time).

Each scenario is a function in ``SCENARIOS`` returning one ``Measurement`` or several;
``RATIOS`` pairs measurements into ratios (some with the issue's target), ``LIMITS`` holds
targets in seconds. To add a scenario, write a function taking a ``Workspace`` and append it.
"""

from __future__ import annotations

import argparse
import compileall
import ctypes
import ctypes.util
import hashlib
import json
import os
import platform
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import contextlib

from brochure import build, content
from brochure.render import html, pdf

CONTENT = "content.yaml"  # the repository's content file; the images it names are copied too
IMAGE_SUFFIXES = {".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp"}
DEFAULT_RUNS = 10  # warm samples
DEFAULT_COLD_RUNS = 5  # fresh-process samples
DEFAULT_NOOP_RUNS = 7  # no-op rebuilds (each ~0.1 s)
DEFAULT_EDITS = 7  # edits while watching, the first one included
DEFAULT_WATCH_STARTS = 3  # watches started on an up-to-date folder: one first edit each
BATCHES = ((6, 3), (50, 2))  # (variants, default rounds); a round is one --jobs 1 and one --jobs 2 build
JOBS = (1, 2)  # the --jobs values compared (a 2-core machine)
# --quick: what each count becomes unless given on the command line (about 1 minute in all).
QUICK = {"runs": 3, "cold_runs": 2, "noop_runs": 3, "edits": 3, "watch_starts": 1, "batch_runs": 1,
         "text_runs": 1}
CHILD_TIMEOUT_S = 180.0  # the 50-variant build with --jobs 1 takes ~25 s on 2 CPUs
WATCH_TIMEOUT_S = 60.0  # for the watcher's first build, and then for each edit
POLL_S = 0.005  # how often the PDFs are looked at after an edit
SETTLE_S = 0.25  # pause after "waiting for changes..." before the next edit
TEXT_SIZES_DEFAULT = (10, 40, 160)  # kB of body text in a handout: how the cost grows with the text
MEMORY_UNITS_DEFAULT = 120  # variants of the memory scenario, --jobs 2: about 60 a worker, past one recycling
READING_S = 5.0  # pause before a watch's first edit: staff reading its start message
RSS_SAMPLE_S = 0.1  # how often the batch process tree's memory is summed
WAITING = "waiting for changes..."  # what watch prints when a rebuild is done

# Plain WeasyPrint in a fresh interpreter: one HTML(...).write_pdf(...) per saved document.
PLAIN_SCRIPT = """\
import json, sys
from pathlib import Path
from weasyprint import HTML
for job in json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")):
    source = Path(job["html"]).read_text(encoding="utf-8")
    HTML(string=source, base_url=job["base_url"]).write_pdf(job["target"], **job["options"])
"""

# Plain WeasyPrint warm, in a process that never imported brochure: one warm-up of both saved
# documents, then argv[2] timed rounds; prints each round's wall time as JSON.
PLAIN_WARM_SCRIPT = """\
import json, sys, time
from pathlib import Path
from weasyprint import HTML
jobs = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
sources = [(Path(job["html"]).read_text(encoding="utf-8"), job) for job in jobs]
def both():
    for source, job in sources:
        HTML(string=source, base_url=job["base_url"]).write_pdf(job["target"], **job["options"])
both()
samples = []
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    both()
    samples.append(time.perf_counter() - start)
print(json.dumps(samples))
"""

# Starts one command, waits for it, and writes its wall time and the peak RSS of its tree
# as JSON. It ignores SIGINT itself (a SIGINT to its process group is for the command,
# which gets the default disposition back: Python then raises KeyboardInterrupt in it).
LAUNCHER = """\
import json, os, resource, signal, sys, time
report, command = sys.argv[1], sys.argv[2:]
signal.signal(signal.SIGINT, signal.SIG_IGN)
start = time.perf_counter()
pid = os.posix_spawn(command[0], command, os.environ, setsigdef=(signal.SIGINT,))
_, status, _ = os.wait4(pid, 0)
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the largest process of the whole tree
with open(report, "w") as file:
    json.dump({"seconds": seconds, "maxrss": usage.ru_maxrss, "cpu": usage.ru_utime + usage.ru_stime,
               "exit": os.waitstatus_to_exitcode(status)}, file)
"""


# --- data -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Document:
    """One HTML document the project renders, with what WeasyPrint is given for it."""

    output: str  # "print" or "email"
    html: str
    html_path: Path  # the same HTML saved for the plain-WeasyPrint subprocess
    base_url: str
    options: dict[str, Any]


@dataclass(frozen=True)
class Workspace:
    """The temporary copy every scenario works in, and the run counts."""

    folder: Path
    content: Path
    documents: list[Document]
    runs: int
    cold_runs: int
    noop_runs: int = DEFAULT_NOOP_RUNS
    edits: int = DEFAULT_EDITS
    watch_starts: int = DEFAULT_WATCH_STARTS
    batch_runs: int | None = None  # None: each batch's default in BATCHES
    title: str = ""
    slug: str = ""
    pinned_slug: bool = False  # the seed names its slug itself
    big: int = 0  # --big N: also an N-variant batch (1,000 by default), --jobs 2 against a LocalCluster
    text_sizes: tuple[int, ...] = TEXT_SIZES_DEFAULT  # kB of body text of the long handouts
    text_runs: int = 2  # cold builds of each long handout (and as many plain)
    memory_units: int = MEMORY_UNITS_DEFAULT  # variants of the memory scenario

    def out(self, scenario: str) -> Path:
        """The output folder of ``scenario`` inside the temporary copy (created if new)."""
        path = self.folder / "out" / scenario
        path.mkdir(parents=True, exist_ok=True)
        return path

    def copy(self, name: str, extra: str = "", files: dict[str, str] | None = None) -> Path:
        """A further copy of the content in its own folder, with ``extra`` YAML appended and
        ``files`` written beside it; return the content file."""
        folder = self.folder / "copies" / name
        folder.mkdir(parents=True)
        path = copy_content(folder)
        if extra:
            path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + "\n" + extra, encoding="utf-8")
        for file, text in (files or {}).items():
            (folder / file).write_text(text, encoding="utf-8")
        return path


@dataclass
class Measurement:
    """Samples of one scenario, in seconds, and the peak RSS of its processes if measured."""

    name: str
    label: str
    samples: list[float]
    peak_rss_mib: float | None = None  # the largest single process (RUSAGE_CHILDREN)
    tree_rss_mib: float | None = None  # the whole process tree at once, sampled
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def median(self) -> float:
        """The figure the table and the ratios use."""
        return statistics.median(self.samples)

    def summary(self) -> dict[str, Any]:
        """The JSON form: median, spread and every sample."""
        return {"label": self.label, "median_s": self.median, "min_s": min(self.samples),
                "max_s": max(self.samples), "runs": len(self.samples), "samples_s": self.samples,
                "peak_rss_mib": self.peak_rss_mib, "tree_rss_mib": self.tree_rss_mib, **self.extra}


@dataclass(frozen=True)
class Ratio:
    """``num`` over ``den`` (medians), optionally per PDF, with the issue's target if any."""

    key: str
    label: str
    num: str
    den: str
    per_pdf: bool = False  # divide each median by its measurement's extra["pdfs"]
    target: tuple[str, float] | None = None  # ("<=", 0.25): what the issue asks of the ratio

    def value(self, results: dict[str, Measurement]) -> float:
        num, den = results[self.num], results[self.den]
        if self.per_pdf:
            return (num.median / num.extra["pdfs"]) / (den.median / den.extra["pdfs"])
        return num.median / den.median


@dataclass(frozen=True)
class ChildRun:
    """One finished subprocess: wall time, its tree's peak RSS, and its output."""

    seconds: float
    maxrss_mib: float
    stdout: str
    stderr: str
    tree_rss_mib: float | None = None
    cpu_s: float | None = None  # user + system CPU time of the whole tree: steadier than wall time on a busy machine
    workers: list[tuple[int, float]] = field(default_factory=list)  # (units done, largest worker's RSS in MiB)


Scenario = Callable[["Workspace"], "Measurement | list[Measurement]"]


# --- helpers ----------------------------------------------------------------------------

def maxrss_mib(maxrss: int) -> float:
    """``ru_maxrss`` in MiB: Linux reports KiB, macOS bytes."""
    return maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024


class TreeSampler(threading.Thread):
    """Sums the RSS of every descendant of ``pid`` (not ``pid`` itself) every
    ``RSS_SAMPLE_S`` from ``/proc``; ``peak_mib`` is the largest sum seen, or None
    without ``/proc``. Shared pages (fork) count once per process: an upper bound."""

    def __init__(self, pid: int, units: Callable[[], int] | None = None) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak: int | None = None
        self.done = threading.Event()
        self.page = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
        # With ``units`` (how many units the batch has finished): at each sample, the RSS of
        # the largest worker, a process below the command itself (pool workers, Dask workers).
        self.units = units
        self.workers: list[tuple[int, int]] = []

    def run(self) -> None:
        while not self.done.wait(RSS_SAMPLE_S):
            total = self.sample()
            if total is not None:
                self.peak = max(self.peak or 0, total)

    def sample(self) -> int | None:
        try:
            if self.units is None:
                return sum(self.rss(p) for p in self.descendants(self.pid))
            done = self.units()
            below = [(pid, self.descendants(pid)) for pid in self.descendants(self.pid)]
            top = {pid for pid, _ in below} - {p for _, found in below for p in found}  # the command
            sizes = {pid: self.rss(pid) for pid, _ in below}
            workers = [size for pid, size in sizes.items() if pid not in top]
            if workers:
                self.workers.append((done, max(workers)))
            return sum(sizes.values())
        except OSError:
            return None

    def descendants(self, pid: int) -> list[int]:
        found = []
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
            except OSError:
                continue  # the thread or the process just ended
            for child in map(int, children):
                found += [child, *self.descendants(child)]
        return found

    def rss(self, pid: int) -> int:
        try:
            return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * self.page
        except (OSError, IndexError, ValueError):
            return 0  # it ended between the listing and now

    def stop(self) -> float | None:
        self.done.set()
        self.join()
        return None if self.peak is None else self.peak / (1024 * 1024)


class Child:
    """``command`` started through ``LAUNCHER`` in a session of its own.

    The launcher, not this process, starts ``command``: Linux carries the RSS high-water
    mark of the process that forks over ``exec``, so a child spawned straight from this
    (by then large) process would report this process's peak instead of its own. With
    ``pipe``, the command's stdout is ``self.stdout`` (text, as it comes); with
    ``sample_tree``, the RSS of the whole tree is also summed while it runs.
    """

    def __init__(self, command: list[str], cwd: Path = ROOT, pipe: bool = False,
                 sample_tree: bool = False, units: Callable[[], int] | None = None) -> None:
        self.command = command
        self.temp = tempfile.TemporaryDirectory()
        folder = Path(self.temp.name)
        self.report, self.out, self.err = folder / "report.json", folder / "stdout", folder / "stderr"
        self.started = time.perf_counter()
        with self.out.open("w") as stdout, self.err.open("w") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-I", "-c", LAUNCHER, str(self.report), *command], cwd=cwd,
                stdout=subprocess.PIPE if pipe else stdout, stderr=stderr, text=True, bufsize=1,
                start_new_session=True)
        self.stdout: IO[str] | None = self.process.stdout
        self.sampler = (TreeSampler(self.process.pid, units) if (sample_tree or units) and Path("/proc").is_dir()
                        else None)
        if self.sampler:
            self.sampler.start()

    def signal(self, number: int) -> None:
        """Send ``number`` to the command (the launcher ignores SIGINT)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, number)

    def finish(self, timeout: float = CHILD_TIMEOUT_S, ok: tuple[int, ...] = (0,)) -> ChildRun:
        """Wait for the command; return its wall time and peak RSS. Kill it after ``timeout``."""
        try:
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)  # the launcher's own group: it and its children
                self.process.wait()
                raise RuntimeError(f"{' '.join(self.command)} took over {timeout:.0f} s") from None
            finally:
                tree = self.sampler.stop() if self.sampler else None
            result = json.loads(self.report.read_text()) if self.report.exists() else {"exit": self.process.returncode}
            stderr = self.err.read_text()
            if result["exit"] not in ok:
                raise RuntimeError(f"{' '.join(self.command)} exited {result['exit']}:\n{stderr}")
            stdout = self.out.read_text() if self.stdout is None else ""  # else the caller read it
            workers = [(done, size / (1024 * 1024)) for done, size in self.sampler.workers] if self.sampler else []
            return ChildRun(result["seconds"], maxrss_mib(result["maxrss"]), stdout, stderr, tree,
                            result.get("cpu"), workers)
        finally:
            self.temp.cleanup()

    def kill(self) -> None:
        """Stop it now, whatever it is doing (a scenario failed)."""
        self.signal(signal.SIGKILL)
        self.process.wait()
        if self.sampler:
            self.sampler.stop()
        self.temp.cleanup()


def run_child(command: list[str], cwd: Path = ROOT, sample_tree: bool = False) -> ChildRun:
    """Run ``command`` to completion through ``LAUNCHER``; return its wall time and peak RSS."""
    return Child(command, cwd, sample_tree=sample_tree).finish()


def build_command(path: Path, out_dir: Path, *options: str) -> list[str]:
    """``python build.py <path> --out <out_dir> [options]``, as a user types it."""
    return [sys.executable, "build.py", str(path), "--out", str(out_dir), *options]


def timed(call: Callable[[], object], runs: int) -> list[float]:
    """Call ``call`` once to warm up, then ``runs`` times; return each wall time."""
    call()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return samples


def check_pdfs(folder: Path, expected: int) -> None:
    """Fail loudly if a scenario did not leave ``expected`` non-empty PDFs in ``folder``."""
    pdfs = [p for p in folder.glob("*.pdf") if p.stat().st_size > 0]
    if len(pdfs) != expected:
        raise RuntimeError(f"{folder}: expected {expected} PDFs, found {len(pdfs)}")


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file in ``folder``: its hash and modification time (a no-op must touch neither)."""
    return {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(folder.iterdir()) if p.is_file()}


def copy_content(folder: Path) -> Path:
    """Copy the repository's content file, and the images beside it that it names (the
    logo), into ``folder``; return the copy."""
    text = (ROOT / CONTENT).read_text(encoding="utf-8")
    for image in ROOT.iterdir():
        if image.is_file() and image.suffix.lower() in IMAGE_SUFFIXES and image.name in text:
            shutil.copy2(image, folder / image.name)
    target = folder / CONTENT
    target.write_text(text, encoding="utf-8")
    return target


def render_documents(path: Path, folder: Path) -> list[Document]:
    """The HTML documents ``build_file`` renders for ``path``, computed the same way."""
    brochure = content.load(path, str(path))
    content_dir = path.resolve().parent
    epoch = build.epoch_for(brochure)
    stamp = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    base_url = content_dir.as_uri() + "/"  # as pdf.render_pdf builds it
    documents = []
    for output in html.outputs(brochure):
        source = html.render(brochure, output, content_dir, stamp)
        html_path = folder / f"{output.name}.html"
        html_path.write_text(source, encoding="utf-8")
        documents.append(Document(output.name, source, html_path, base_url, dict(pdf.OPTIONS[output.name])))
    return documents


def plain_jobs(documents: list[Document], out_dir: Path) -> list[dict[str, Any]]:
    """The job list the plain-WeasyPrint subprocess reads."""
    return [{"html": str(d.html_path), "base_url": d.base_url, "options": d.options,
             "target": str(out_dir / f"{d.output}.pdf")} for d in documents]


# --- scenarios: one brochure ------------------------------------------------------------

def project_cold(ws: Workspace) -> list[Measurement]:
    """A fresh ``python build.py <copy> --out <tmp>``, as a user runs it, into a new folder."""
    runs: dict[str, list[ChildRun]] = {"": [], "_jobs2": []}
    for i in range(ws.cold_runs):
        # Without --jobs (as staff type it) the handout's helper process starts only when a core
        # is idle at that moment; with --jobs 2 always. Alternated, each into a new folder.
        for key, options in (("", ()), ("_jobs2", ("--jobs", "2"))):
            out_dir = ws.out(f"project-cold{key}/{i}")  # a new folder: no manifest, so nothing is skipped
            runs[key].append(run_child(build_command(ws.content, out_dir, *options)))
            check_pdfs(out_dir, len(ws.documents))
    found = []
    for key, done in runs.items():
        shown = " --jobs 2" if key else ""
        found += [Measurement(f"project_cold{key}", f"project cold (python build.py{shown})",
                              [r.seconds for r in done], max(r.maxrss_mib for r in done)),
                  # CPU time (user + system, whole tree): a helper process adds to it, never takes from it.
                  Measurement(f"project_cold{key}_cpu", f"project cold{shown}: CPU s", [r.cpu_s or 0.0 for r in done])]
    return found


def plain_cold(ws: Workspace) -> list[Measurement]:
    """A fresh interpreter: import WeasyPrint, ``write_pdf`` each saved HTML document."""
    out_dir = ws.out("plain-cold")
    jobs = ws.folder / "plain-jobs.json"
    jobs.write_text(json.dumps(plain_jobs(ws.documents, out_dir)), encoding="utf-8")
    command = [sys.executable, "-c", PLAIN_SCRIPT, str(jobs)]
    runs = [run_child(command) for _ in range(ws.cold_runs)]
    check_pdfs(out_dir, len(ws.documents))
    return [Measurement("plain_cold", "plain WeasyPrint cold (subprocess)",
                        [r.seconds for r in runs], max(r.maxrss_mib for r in runs)),
            Measurement("plain_cold_cpu", "plain WeasyPrint cold: CPU s", [r.cpu_s or 0.0 for r in runs])]


def noop_rebuild(ws: Workspace) -> Measurement:
    """``python build.py <copy> --out <tmp>`` again when everything is up to date."""
    out_dir = ws.out("noop")
    command = build_command(ws.content, out_dir)
    first = run_child(command)  # the build that makes everything up to date
    check_pdfs(out_dir, len(ws.documents))
    before = snapshot(out_dir)
    runs = [run_child(command) for _ in range(ws.noop_runs)]
    for run in runs:
        if "up to date" not in run.stdout:
            raise RuntimeError(f"the second build was not a no-op:\n{run.stdout}{run.stderr}")
    if snapshot(out_dir) != before:
        raise RuntimeError("a no-op rebuild wrote to the output folder")
    return Measurement("noop_rebuild", "no-op rebuild (python build.py)", [r.seconds for r in runs],
                       max(r.maxrss_mib for r in runs), extra={"first_build_s": first.seconds})


def project_warm(ws: Workspace) -> Measurement:
    """``build_file`` in this process, after one warm-up call."""
    out_dir = ws.out("project-warm")
    samples = timed(lambda: build.build_file(ws.content, out_dir), ws.runs)
    check_pdfs(out_dir, len(ws.documents))
    return Measurement("project_warm", "project warm (build_file)", samples,
                       extra={"pdfs": len(ws.documents)})


def project_warm_edited(ws: Workspace) -> Measurement:
    """``build_file`` in this process after one warm-up, the title changed before each sample
    (outside the timing), as a save in ``watch`` changes it: new HTML each time, so nothing
    keyed on the document can be reused (the tri-fold's sentence-break choice is searched
    again); what is shared between documents (stylesheets, fonts, the profile) still is."""
    path = ws.copy("warm-edited", "" if ws.pinned_slug else f"slug: {ws.slug}\n")
    out_dir = ws.out("project-warm-edited")
    text = path.read_text(encoding="utf-8")
    titles = re.findall(r"^title:.*$", text, re.MULTILINE)
    if len(titles) != 1:
        raise RuntimeError(f"{CONTENT}: expected one top-level 'title:' line to edit")
    samples = []
    for edit in range(ws.runs + 1):  # the first is the warm-up
        line = f"title: {json.dumps(f'{ws.title} {edit}')}"
        path.write_text(text.replace(titles[0], line, 1), encoding="utf-8")
        start = time.perf_counter()
        build.build_file(path, out_dir)
        if edit:
            samples.append(time.perf_counter() - start)
    check_pdfs(out_dir, len(ws.documents))
    return Measurement("project_warm_edited", "project warm, edited (build_file)", samples,
                       extra={"pdfs": len(ws.documents)})


def project_warm_checked(ws: Workspace) -> Measurement:
    """``runner.run(..., Settings(..., force=True, check=True))`` in this process: a build and its checks,
    as ``watch`` runs them after an edit (plus the manifest), after one warm-up call."""
    from brochure import runner
    from brochure.settings import Settings

    out_dir = ws.out("project-warm-checked")

    def once() -> None:
        for outcome in runner.run([(ws.content, CONTENT)], Settings(out_dir, jobs=1, force=True, check=True)):
            if not outcome.ok:
                raise RuntimeError("\n".join(map(str, outcome.problems)))

    samples = timed(once, ws.runs)
    check_pdfs(out_dir, len(ws.documents))
    return Measurement("project_warm_checked", "project warm + checks (runner.run)", samples,
                       extra={"pdfs": len(ws.documents)})


def plain_warm(ws: Workspace) -> Measurement:
    """``HTML(...).write_pdf(...)`` for both documents, after one warm-up, in a fresh process
    of its own: this one has brochure's WeasyPrint patches installed (``render/patches.py``)
    once a brochure row ran, and plain WeasyPrint must be WeasyPrint alone."""
    out_dir = ws.out("plain-warm")
    jobs = ws.folder / "plain-warm-jobs.json"
    jobs.write_text(json.dumps(plain_jobs(ws.documents, out_dir)), encoding="utf-8")
    run = run_child([sys.executable, "-c", PLAIN_WARM_SCRIPT, str(jobs), str(ws.runs)])
    samples = json.loads(run.stdout)
    check_pdfs(out_dir, len(ws.documents))
    return Measurement("plain_warm", "plain WeasyPrint warm (own process)", samples,
                       extra={"pdfs": len(ws.documents)})


def import_weasyprint(ws: Workspace) -> Measurement:
    """``import weasyprint`` in a fresh interpreter: ``-X importtime`` cumulative time."""
    command = [sys.executable, "-X", "importtime", "-c", "import weasyprint"]
    runs = [run_child(command) for _ in range(ws.cold_runs)]
    samples = [importtime_seconds(r.stderr, "weasyprint") for r in runs]
    return Measurement("import_weasyprint", "import weasyprint (-X importtime)", samples,
                       max(r.maxrss_mib for r in runs),
                       extra={"process_wall_median_s": statistics.median(r.seconds for r in runs)})


def importtime_seconds(report: str, module: str) -> float:
    """The cumulative time of ``module`` in a ``-X importtime`` report, in seconds."""
    for line in report.splitlines():
        match = re.match(r"import time:\s*\d+\s*\|\s*(\d+)\s*\|\s*(\S+)\s*$", line)
        if match and match.group(2) == module:
            return int(match.group(1)) / 1e6
    raise RuntimeError(f"no import time for {module} in:\n{report[-2000:]}")


# --- scenario: watch --------------------------------------------------------------------

class Lines(threading.Thread):
    """Reads a child's stdout line by line, stamping each line when it arrives."""

    def __init__(self, stream: IO[str]) -> None:
        super().__init__(daemon=True)
        self.stream, self.queue = stream, queue.Queue[tuple[float, str]]()
        self.seen: list[str] = []  # everything, for error messages

    def run(self) -> None:
        for line in self.stream:
            self.queue.put((time.perf_counter(), line))

    def wait_for(self, text: str, deadline: float) -> float:
        """When the next line containing ``text`` arrived (perf_counter)."""
        while True:
            try:
                when, line = self.queue.get(timeout=max(0.0, deadline - time.perf_counter()))
            except queue.Empty:
                raise RuntimeError(f"watch: no '{text}' in time; it printed:\n{''.join(self.seen[-30:])}") from None
            self.seen.append(line)
            if text in line:
                return when


def changed_at(before: dict[Path, bytes], deadline: float, lines: Lines) -> float:
    """Poll ``before``'s files every ``POLL_S`` until each one's bytes differ from what it
    held; return when the last one was seen changed (perf_counter)."""
    keys = {path: _stat_key(path) for path in before}
    pending, last = set(before), 0.0
    while pending:
        for path in list(pending):
            now = time.perf_counter()
            key = _stat_key(path)
            if key != keys[path]:  # a rename or a write: read it only then
                keys[path] = key
                if path.read_bytes() != before[path]:
                    pending.discard(path)
                    last = now
        if not pending:
            break
        if time.perf_counter() > deadline:
            raise RuntimeError(f"watch: {', '.join(p.name for p in pending)} did not change in time; "
                               f"it printed:\n{''.join(lines.seen[-30:])}")
        time.sleep(POLL_S)
    return last


def _stat_key(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def watch_settings() -> dict[str, int | None]:
    """``watch``'s debounce and step (ms), both part of every edit-to-PDF figure."""
    from brochure import watch

    return {"debounce_ms": watch.DEBOUNCE_MS, "step_ms": watch.STEP_MS}


def watch_edit(ws: Workspace) -> list[Measurement]:
    """``python build.py watch`` on an up-to-date copy, ``ws.watch_starts`` times: after its
    "waiting for changes..." and ``READING_S`` (staff reading the start message), the title
    is edited ``ws.edits`` times; each edit is timed until both PDFs' bytes changed on disk,
    and until the next "waiting for changes...". The first edit of each start is its own row."""
    # A new title gives a new file name unless the slug is fixed: fix it (the same name).
    path = ws.copy("watch", "" if ws.pinned_slug else f"slug: {ws.slug}\n")
    out_dir = ws.out("watch")
    targets = [out_dir / f"{ws.slug}-{d.output}.pdf" for d in ws.documents]
    text = path.read_text(encoding="utf-8")
    title = re.compile(r"^title:.*$", re.MULTILINE)
    if len(title.findall(text)) != 1:
        raise RuntimeError(f"{CONTENT}: expected one top-level 'title:' line to edit")
    first_pdf, first_ready, to_pdf, to_ready, readies, rss = [], [], [], [], [], []
    edit = 0
    for _ in range(ws.watch_starts):
        run_child(build_command(path, out_dir))  # up to date: the watch's own start renders nothing
        child = Child([sys.executable, "build.py", "watch", str(path), "--out", str(out_dir)], pipe=True)
        assert child.stdout is not None
        lines = Lines(child.stdout)
        lines.start()
        try:
            readies.append(lines.wait_for(WAITING, child.started + WATCH_TIMEOUT_S) - child.started)
            check_pdfs(out_dir, len(ws.documents))
            for i in range(ws.edits):
                time.sleep(READING_S if i == 0 else SETTLE_S)
                edit += 1
                before = {target: target.read_bytes() for target in targets}
                edited = title.sub(lambda _, n=edit: f"title: {json.dumps(f'{ws.title} {n}')}", text, count=1)
                start = time.perf_counter()
                path.write_text(edited, encoding="utf-8")
                pdf_s = changed_at(before, start + WATCH_TIMEOUT_S, lines) - start
                ready_s = lines.wait_for(WAITING, start + WATCH_TIMEOUT_S) - start
                (first_pdf if i == 0 else to_pdf).append(pdf_s)
                (first_ready if i == 0 else to_ready).append(ready_s)
        except BaseException:
            child.kill()
            raise
        child.signal(signal.SIGINT)  # Ctrl-C: watch stops and exits 0
        run = child.finish(timeout=30)
        lines.join(timeout=5)  # at the end of the output by now: both writers have exited
        child.stdout.close()
        rss.append(run.maxrss_mib)
    extra = {**watch_settings(), "start_to_ready_s": statistics.median(readies), "edits": ws.edits,
             "starts": ws.watch_starts, "reading_s": READING_S}
    rows = [Measurement("watch_first_edit_to_pdf", "watch: first edit to both PDFs", first_pdf, max(rss), extra=extra),
            Measurement("watch_first_edit_to_ready", "watch: first edit to 'waiting...'", first_ready, max(rss),
                        extra=extra)]
    if to_pdf:
        rows += [Measurement("watch_edit_to_pdf", "watch: later edits to both PDFs", to_pdf, max(rss), extra=extra),
                 Measurement("watch_edit_to_ready", "watch: later edits to 'waiting...'", to_ready, max(rss),
                             extra=extra)]
    return rows


# --- scenario: batches of variants ------------------------------------------------------

def locations(rows: int) -> str:
    """A variants CSV: ``rows`` locations, each with its own phone number."""
    return "id,clinic.phone\n" + "".join(f"loc-{i:02d},(913) 555-{i:04d}\n" for i in range(1, rows + 1))


def batch(variants: int, rounds: int) -> Scenario:
    """The scenario for a copy with ``variants: locations.csv`` of ``variants`` rows (id,
    clinic.phone), built with each of ``JOBS`` (``--force``, a fresh folder each time),
    ``rounds`` times unless ``ws.batch_runs`` says otherwise."""

    def scenario(ws: Workspace) -> list[Measurement]:
        path = ws.copy(f"batch-{variants}", "variants: locations.csv\n", {"locations.csv": locations(variants)})
        # Not measured: one variant per worker, so that the code every worker runs is in
        # memory (this VM pages out what sat idle; the first build after a pause is slower).
        most = max(JOBS)
        warm = ws.copy(f"batch-{variants}-warm-up", "variants: locations.csv\n", {"locations.csv": locations(most)})
        run_child(build_command(warm, ws.out(f"batch-{variants}/warm-up"), "--jobs", str(most), "--force"))
        runs: dict[int, list[ChildRun]] = {jobs: [] for jobs in JOBS}
        for r in range(ws.batch_runs or rounds):
            for jobs in JOBS:  # alternated, so drift in the machine's speed hits both alike
                out_dir = ws.out(f"batch-{variants}/jobs{jobs}-{r}")
                runs[jobs].append(Child(build_command(path, out_dir, "--jobs", str(jobs), "--force"),
                                        sample_tree=True).finish(timeout=max(CHILD_TIMEOUT_S, 6.0 * variants)))
                check_pdfs(out_dir, 2 * variants)
        trees = {jobs: [r.tree_rss_mib for r in done if r.tree_rss_mib is not None] for jobs, done in runs.items()}
        return [Measurement(f"batch{variants}_jobs{jobs}", f"{variants} variants, --jobs {jobs} (cold)",
                            [r.seconds for r in done], max(r.maxrss_mib for r in done),
                            max(trees[jobs]) if trees[jobs] else None,
                            {"variants": variants, "pdfs": 2 * variants, "jobs": jobs})
                for jobs, done in runs.items()]

    scenario.__name__ = f"batch_{variants}"
    return scenario


# --- scenarios: the Typst anchor and batches on a Dask cluster (issue 16) ----------------

TYPST_DOCUMENTS = ("trifold", "email")  # bench/typst/<name>.typ: the seed by hand, as both outputs
FONTS = ROOT / "templates" / "fonts"  # the Open Sans brochure bundles: both tools set the same type
BIG_BATCH = 1000  # variants of --big: the 1,000-variant batch
CLUSTER_BATCH = 50  # variants built on a LocalCluster in every run (its --jobs 2 figure is batch_50's)

# A 2-worker LocalCluster (one thread each: a worker renders one unit at a time, as a
# --jobs 2 process does) started in this process, which then builds on it as a user would
# with --scheduler. Everything (client, scheduler, nannies, workers) is one process tree.
CLUSTER_SCRIPT = """\
import sys, time
sys.path.insert(0, sys.argv[3])
import dask
from brochure.cli import main
from distributed import LocalCluster

# As the README tells to start workers: Dask's sampling profiler keeps every stack it saw,
# and WeasyPrint's are many and deep (a worker grew ~0.7 MB a unit with it on).
dask.config.set({"distributed.worker.profile.enabled": False})
# A LocalCluster closes a nanny for good when, 15 s (by default) after one of its workers
# left, no worker of that name is there: a recycled worker is away for a second or two at
# each restart, and its nanny was then closed (seen here in a batch of 40 units, 3 a worker).
dask.config.set({"distributed.deploy.lost-worker-timeout": "600s"})

if __name__ == "__main__":
    started = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=40) as cluster:
        print(f"cluster up in {time.perf_counter() - started:.2f} s", flush=True)
        code = main(["build", sys.argv[1], "--out", sys.argv[2], "--force", "--scheduler", cluster.scheduler_address])
    sys.exit(code)
"""


def typst_anchor(ws: Workspace) -> list[Measurement]:
    """Typst (PyPI ``typst``, the ``bench`` extra) compiling the hand-written seed in this
    process, tri-fold and email: ``typst_warm`` calls ``typst.compile`` on both after a
    warm-up; ``typst_kept`` keeps one ``typst.Compiler`` per document and compiles again."""
    try:
        import typst
        typst.Compiler  # noqa: B018 - bench/typst/ alone imports as an empty namespace package
    except (ImportError, AttributeError):
        print("typst is not installed (pip install -e '.[bench]'): no Typst anchor", file=sys.stderr)
        return []
    sources = [str(ROOT / "bench" / "typst" / f"{name}.typ") for name in TYPST_DOCUMENTS]
    options: dict[str, Any] = {"root": str(ROOT), "font_paths": [str(FONTS)], "ignore_system_fonts": True}

    def both() -> None:
        for source in sources:
            typst.compile(source, **options)

    compilers = [typst.Compiler(source, **options) for source in sources]

    def kept() -> None:
        for compiler in compilers:
            compiler.compile()

    for source in sources:  # what is timed makes real PDFs, in Open Sans
        data = typst.compile(source, **options)
        if not data.startswith(b"%PDF") or b"OpenSans" not in data:
            raise RuntimeError(f"{source}: Typst made no PDF in Open Sans")
    from importlib import metadata

    extra = {"pdfs": len(sources), "typst": metadata.version("typst")}
    return [Measurement("typst_warm", "Typst warm: compile both (in-process)", timed(both, ws.runs), extra=extra),
            Measurement("typst_kept", "Typst kept compilers: both again", timed(kept, ws.runs), extra=extra)]


def cluster_batch(variants: int, with_jobs2: bool) -> Scenario:
    """``variants`` locations built on a 2-worker LocalCluster (``--scheduler``), and, with
    ``with_jobs2``, with ``--jobs 2`` too, alternated; the PDFs of both must be the same bytes.
    The cluster's wall time includes starting and stopping it (a few seconds)."""

    def scenario(ws: Workspace) -> list[Measurement]:
        big = variants >= BIG_BATCH  # the --big batch: its size is ws.big's
        if big and not ws.big:
            return []
        count, name = (ws.big, "big") if big else (variants, str(variants))
        try:
            import distributed  # noqa: F401  (only whether it is there)
        except ImportError:
            print("distributed is not installed: no cluster batch", file=sys.stderr)
            return []
        path = ws.copy(f"cluster-{count}", "variants: locations.csv\n", {"locations.csv": locations(count)})
        script = ws.folder / "cluster_build.py"
        script.write_text(CLUSTER_SCRIPT, encoding="utf-8")
        timeout = max(CHILD_TIMEOUT_S, 6.0 * count)
        modes = {"jobs2": ["--jobs", "2"]} if with_jobs2 else {}
        runs: dict[str, list[ChildRun]] = {mode: [] for mode in [*modes, "cluster"]}
        for r in range(ws.batch_runs or 1):
            outs = {}
            for mode in runs:  # alternated, so drift in the machine's speed hits both alike
                outs[mode] = ws.out(f"cluster-{count}/{mode}-{r}")
                command = (build_command(path, outs[mode], *modes[mode], "--force") if mode in modes else
                           [sys.executable, str(script), str(path), str(outs[mode]), str(ROOT)])
                runs[mode].append(Child(command, sample_tree=True, units=units_in(outs[mode])).finish(timeout=timeout))
                check_pdfs(outs[mode], 2 * count)
            if with_jobs2 and _pdf_bytes(outs["jobs2"]) != _pdf_bytes(outs["cluster"]):
                raise RuntimeError(f"{count} variants: the cluster's PDFs are not those of --jobs 2")
        up = [float(m.group(1)) for r in runs["cluster"] for m in [re.search(r"cluster up in ([\d.]+) s", r.stdout)] if m]
        found = []
        for mode, done in runs.items():
            trees = [r.tree_rss_mib for r in done if r.tree_rss_mib is not None]
            label = f"{count} variants, " + ("--jobs 2 (cold)" if mode == "jobs2" else "2-worker LocalCluster")
            extra: dict[str, Any] = {"variants": count, "pdfs": 2 * count}
            if mode == "cluster":
                extra["cluster_start_s"] = up
            memory = memory_measurement("", "", done[-1], count, 2).extra  # the last round's workers
            extra |= {k: v for k, v in memory.items() if k.startswith(("worker_", "mib_"))}
            found.append(Measurement(f"batch{name}_{mode}", label, [r.seconds for r in done],
                                     max(r.maxrss_mib for r in done), max(trees) if trees else None, extra))
            # CPU of the whole tree (client, scheduler, nannies, workers): steadier than wall
            # time on a busy machine, and what the cluster's overhead costs.
            found.append(Measurement(f"batch{name}_{mode}_cpu", label + ": CPU s", [r.cpu_s or 0.0 for r in done],
                                     extra={"variants": count}))
        return found

    scenario.__name__ = "cluster_batch_big" if variants >= BIG_BATCH else f"cluster_batch_{variants}"
    return scenario


def text_ratios(kb: int) -> list[Ratio]:
    """The long handout of ``kb`` kB: cold project / plain, in wall time (the target) and CPU time."""
    return [Ratio(f"text{kb}_cold", f"{kb} kB handout, cold: project / plain", f"text{kb}_project_cold",
                  f"text{kb}_plain_cold", target=("<=", 1.3)),
            Ratio(f"text{kb}_cold_cpu", f"{kb} kB handout, cold CPU: project / plain", f"text{kb}_project_cold_cpu",
                  f"text{kb}_plain_cold_cpu")]


# --- scenarios: cost against the size of the text, memory per unit (issue 24) ------------

EARLY_UNITS = 10  # a worker's RSS after its first units, against which its RSS at the end is compared

# One section of the long handouts' every round: a table (issue on hardening: within the same rule).
TABLE_SECTION = """\
  - heading: What a Visit Looks Like ({n})
    body: |
      Here is what a usual series of visits looks like. Your care team will tell you your own plan.

      | Visit | How long | What happens |
      | --- | --- | --- |
      | First visit | About 2 hours | A nurse checks your health and answers your questions. |
      | Second visit | About 1 hour | You rest in a quiet room while the medicine goes in. |
      | Follow-up call | 15 minutes | We ask how you feel and plan what comes next. |
"""


def long_handout(text: str, kb: int) -> str:
    """The content file ``text`` (the seed) as a handout with about ``kb`` kB of body text: its
    sections again and again (numbered headings), with a table each round."""
    head, found, rest = text.partition("\nsections:\n")
    sections, found_end, tail = rest.partition("\nclinic:")
    if not found or not found_end:
        raise RuntimeError(f"{CONTENT}: expected 'sections:' followed by 'clinic:' to make long handouts")
    blocks = [b if b.endswith("\n") else b + "\n" for b in re.split(r"(?m)^(?=  - heading:)", sections) if b.strip()]
    chosen: list[str] = []
    size, n = 0, 0
    while size < kb * 1024:
        round_ = n // (len(blocks) + 1) + 1
        index = n % (len(blocks) + 1)
        block = (TABLE_SECTION.format(n=round_) if index == len(blocks) else
                 re.sub(r"heading: (.*)", lambda m, r=round_: f"heading: {m.group(1)} ({r})", blocks[index], count=1))
        chosen.append(block)
        size += len(block.encode())
        n += 1
    tail = re.sub(r"(?m)^layout: .*$", "layout: handout", tail)
    if "layout: handout" not in tail:
        tail = tail.rstrip("\n") + "\nlayout: handout\n"
    return head + "\nsections:\n" + "".join(chosen) + "\nclinic:" + tail


def text_sizes(ws: Workspace) -> list[Measurement]:
    """For each of ``TEXT_SIZES`` kB of body text in the handout layout: a cold ``python build.py``
    and plain WeasyPrint cold on the same two HTML documents, alternated, ``ws.text_runs`` times."""
    found = []
    for kb in ws.text_sizes:
        folder = ws.folder / "copies" / f"text-{kb}"
        folder.mkdir(parents=True)
        path = copy_content(folder)
        path.write_text(long_handout(path.read_text(encoding="utf-8"), kb), encoding="utf-8")
        documents = render_documents(path, folder)
        jobs = folder / "plain-jobs.json"
        plain_out = ws.out(f"text-{kb}/plain")
        jobs.write_text(json.dumps(plain_jobs(documents, plain_out)), encoding="utf-8")
        runs: dict[str, list[ChildRun]] = {"project": [], "plain": []}
        for r in range(ws.text_runs):
            out_dir = ws.out(f"text-{kb}/project-{r}")
            runs["project"].append(run_child(build_command(path, out_dir)))
            check_pdfs(out_dir, len(documents))
            runs["plain"].append(run_child([sys.executable, "-c", PLAIN_SCRIPT, str(jobs)]))
            check_pdfs(plain_out, len(documents))
        body = sum(len(b.encode()) for b in re.findall(r"(?m)^    body: \|\n((?:      .*\n|\n)*)", path.read_text()))
        extra = {"kb": kb, "body_bytes": body, "html_chars": sum(len(d.html) for d in documents)}
        for kind, done in runs.items():
            label = f"{kb} kB handout: " + ("project cold" if kind == "project" else "plain WeasyPrint cold")
            found.append(Measurement(f"text{kb}_{kind}_cold", label, [r.seconds for r in done],
                                     max(r.maxrss_mib for r in done), extra=extra))
            # CPU time (user + system, whole tree): what the build costs, less swayed by other work.
            found.append(Measurement(f"text{kb}_{kind}_cold_cpu", label.replace(" cold", " CPU s"),
                                     [r.cpu_s or 0.0 for r in done], extra=extra))
    return found


def memory_per_unit(ws: Workspace) -> list[Measurement]:
    """A batch of ``ws.memory_units`` variants with ``--jobs 2``: the largest worker's RSS after
    the workers' first ``EARLY_UNITS`` units each, and at the end of the batch."""
    count, jobs = ws.memory_units, max(JOBS)
    path = ws.copy(f"memory-{count}", "variants: locations.csv\n", {"locations.csv": locations(count)})
    out_dir = ws.out(f"memory-{count}")

    run = Child(build_command(path, out_dir, "--jobs", str(jobs), "--force"), units=units_in(out_dir)).finish(
        timeout=max(CHILD_TIMEOUT_S, 6.0 * count))
    check_pdfs(out_dir, 2 * count)
    return [memory_measurement(f"memory{count}_jobs{jobs}", f"{count} variants, --jobs {jobs}: memory", run,
                               count, jobs)]


def units_in(folder: Path) -> Callable[[], int]:
    """How many units a batch has written to ``folder`` so far (two PDFs each)."""
    return lambda: len(list(folder.glob("*.pdf"))) // 2


def memory_measurement(name: str, label: str, run: ChildRun, count: int, workers: int) -> Measurement:
    """A batch's wall time with its largest worker's RSS early (after ``EARLY_UNITS`` units
    each) and late (over the last tenth of the batch), and the growth per unit between them."""
    early_at = EARLY_UNITS * workers
    early = [size for done, size in run.workers if done <= early_at]
    late = [size for done, size in run.workers if done >= 0.9 * count]
    extra: dict[str, Any] = {"variants": count, "pdfs": 2 * count, "workers": workers, "cpu_s": run.cpu_s}
    if early and late and count > early_at:
        extra |= {"worker_early_mib": max(early), "worker_end_mib": max(late),
                  "worker_growth": max(late) / max(early),
                  "mib_per_unit": (max(late) - max(early)) / ((count - early_at) / workers)}
    return Measurement(name, label, [run.seconds], run.maxrss_mib, run.tree_rss_mib, extra)


def _pdf_bytes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.pdf"))}


SCENARIOS: list[Scenario] = [project_cold, plain_cold, noop_rebuild, project_warm, project_warm_edited,
                             project_warm_checked,
                             plain_warm, import_weasyprint, watch_edit,
                             *(batch(variants, rounds) for variants, rounds in BATCHES),
                             typst_anchor, cluster_batch(CLUSTER_BATCH, False), cluster_batch(BIG_BATCH, True),
                             text_sizes, memory_per_unit]

TYPST_WARM = "typst_warm"  # the measurement of Typst's warm compile, when a scenario takes it

# Cold-start figures are compared with plain WeasyPrint cold, in-process ones with plain warm.
RATIOS: list[Ratio] = [
    Ratio("cold", "cold: project / plain", "project_cold", "plain_cold", target=("<=", 1.3)),
    Ratio("cold_cpu", "cold CPU: project / plain", "project_cold_cpu", "plain_cold_cpu"),
    Ratio("cold_jobs2", "cold --jobs 2: project / plain", "project_cold_jobs2", "plain_cold"),
    Ratio("cold_jobs2_cpu", "cold --jobs 2 CPU: project / plain", "project_cold_jobs2_cpu", "plain_cold_cpu"),
    Ratio("warm", "warm: project / plain", "project_warm", "plain_warm"),
    # The anchor: Typst's warm compile of the same two documents (the typst_warm
    # scenario); the line says "not measured" in a run without it.
    Ratio("warm_over_typst", "warm both PDFs / Typst warm", "project_warm", TYPST_WARM, target=("<=", 12.0)),
    Ratio("warm_edited_over_typst", "warm both PDFs, edited / Typst warm", "project_warm_edited", TYPST_WARM,
          target=("<=", 12.0)),
    Ratio("warm_edited", "warm, edited: project / plain", "project_warm_edited", "plain_warm"),
    Ratio("warm_checked", "warm + checks: project / plain", "project_warm_checked", "plain_warm"),
    Ratio("noop_over_cold", "no-op rebuild / project cold", "noop_rebuild", "project_cold", target=("<=", 0.25)),
    Ratio("noop_over_plain_cold", "no-op rebuild / plain cold", "noop_rebuild", "plain_cold"),
    Ratio("watch_over_cold", "watch edit-to-PDF / project cold", "watch_edit_to_pdf", "project_cold",
          target=("<", 2 / 3)),
    Ratio("watch_over_plain_warm", "watch edit-to-PDF / plain warm", "watch_edit_to_pdf", "plain_warm",
          target=("<=", 1.0)),
    Ratio("watch_first_over_plain_warm", "watch first edit-to-PDF / plain warm", "watch_first_edit_to_pdf",
          "plain_warm", target=("<=", 1.0)),
    Ratio("watch_ready_over_cold", "watch edit-to-ready / project cold", "watch_edit_to_ready", "project_cold"),
    Ratio("watch_first_over_later", "watch first edit / later edits (to PDF)", "watch_first_edit_to_pdf",
          "watch_edit_to_pdf"),
    *(ratio for variants, _ in BATCHES for ratio in (
        Ratio(f"batch{variants}_speedup", f"{variants} variants: speed-up jobs 1 / jobs 2",
              f"batch{variants}_jobs1", f"batch{variants}_jobs2", target=(">=", 1.4) if variants == 6 else None),
        *(Ratio(f"batch{variants}_jobs{jobs}_per_pdf", f"{variants} variants, jobs {jobs}: per PDF / plain warm",
                f"batch{variants}_jobs{jobs}", "plain_warm", per_pdf=True) for jobs in JOBS))),
    Ratio("warm_over_typst_kept", "warm both PDFs / Typst kept compilers", "project_warm", "typst_kept"),
    Ratio(f"batch{CLUSTER_BATCH}_cluster_over_jobs2", f"{CLUSTER_BATCH} variants: LocalCluster / --jobs 2",
          f"batch{CLUSTER_BATCH}_cluster", f"batch{CLUSTER_BATCH}_jobs2"),
    Ratio("batchbig_cluster_over_jobs2", "--big batch: LocalCluster / --jobs 2",
          "batchbig_cluster", "batchbig_jobs2", target=("<=", 1.15)),
    Ratio("batchbig_cluster_cpu_over_jobs2", "--big batch, CPU: LocalCluster / --jobs 2",
          "batchbig_cluster_cpu", "batchbig_jobs2_cpu"),
    *(ratio for kb in TEXT_SIZES_DEFAULT for ratio in text_ratios(kb)),
]

# (key, label, measurement, extra key, comparison, value): targets on a figure a scenario worked out.
FIGURE_LIMITS: list[tuple[str, str, str, str, str, float]] = [
    ("memory_worker_growth", f"{MEMORY_UNITS_DEFAULT} variants: largest worker, end / after {EARLY_UNITS} units",
     f"memory{MEMORY_UNITS_DEFAULT}_jobs2", "worker_growth", "<=", 1.2),
    ("batchbig_jobs2_worker_growth", f"--big batch, --jobs 2: largest worker, end / after {EARLY_UNITS} units",
     "batchbig_jobs2", "worker_growth", "<=", 1.2),
    ("batchbig_cluster_worker_growth", f"--big batch, cluster: largest worker, end / after {EARLY_UNITS} units",
     "batchbig_cluster", "worker_growth", "<=", 1.2),
]

# (key, label, measurement, comparison, MiB): targets on the peak RSS of a whole process tree.
MEMORY_LIMITS: list[tuple[str, str, str, str, float]] = [
    ("batchbig_cluster_tree_mib", "--big batch on a LocalCluster: tree RSS", "batchbig_cluster", "<", 1024.0),
    ("batchbig_jobs2_tree_mib", "--big batch with --jobs 2: tree RSS", "batchbig_jobs2", "<", 1024.0),
]

# (key, label, measurement, comparison, seconds): targets on a median itself.
LIMITS: list[tuple[str, str, str, str, float]] = [
    ("noop_seconds", "no-op rebuild", "noop_rebuild", "<=", 0.2),
    ("watch_first_edit_seconds", "watch: first edit to both PDFs", "watch_first_edit_to_pdf", "<=", 0.15),
    ("watch_edit_seconds", "watch: later edits to both PDFs", "watch_edit_to_pdf", "<=", 0.15),
]

COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<=": lambda a, b: a <= b, "<": lambda a, b: a < b, ">=": lambda a, b: a >= b}


# --- machine ----------------------------------------------------------------------------

def harfbuzz_subset() -> dict[str, Any]:
    """Whether ``libharfbuzz-subset`` loads, and whether WeasyPrint will subset fonts with it."""
    found = ctypes.util.find_library("harfbuzz-subset")
    try:
        ctypes.CDLL("libharfbuzz-subset.so.0")
        loads = True
    except OSError:
        loads = False
    from weasyprint.text import ffi as wffi  # the libraries WeasyPrint itself loaded

    # WeasyPrint 70 subsets with HarfBuzz when the library loaded and HarfBuzz >= 4.1.0.
    used = wffi.harfbuzz_subset is not None and bool(wffi.harfbuzz.hb_version_atleast(4, 1, 0))
    return {"find_library": found, "loads": loads, "harfbuzz_version": harfbuzz_version(),
            "used_by_weasyprint": used}


def harfbuzz_version() -> str | None:
    """HarfBuzz's own version string (WeasyPrint's cffi bindings do not declare it)."""
    try:
        function = ctypes.CDLL(ctypes.util.find_library("harfbuzz") or "libharfbuzz.so.0").hb_version_string
    except (OSError, AttributeError):
        return None
    function.restype = ctypes.c_char_p
    return function().decode()


def machine() -> dict[str, Any]:
    """Where the figures come from, including which revision of the project was measured."""
    import weasyprint

    from brochure import __version__

    return {"nproc": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "python_executable": sys.executable,
            "weasyprint": weasyprint.__version__, "harfbuzz_subset": harfbuzz_subset(),
            "brochure": __version__, "git": git_revision(), "brochure_bytecode": byte_compiled()}


def byte_compiled() -> dict[str, Any]:
    """brochure's modules compiled to bytecode (``__pycache__``, gitignored), as WeasyPrint's were
    when pip installed it: every cold run then loads them as it loads WeasyPrint's. A shell with
    ``PYTHONDONTWRITEBYTECODE`` set (as some sandboxes and CI images are) never writes them, and
    each cold build would compile brochure's source again (about 0.13 s of CPU on this machine),
    which neither a user's second run nor an installed package pays."""
    ok = compileall.compile_dir(ROOT / "brochure", quiet=1)
    return {"compiled": bool(ok), "dont_write_bytecode_env": bool(os.environ.get("PYTHONDONTWRITEBYTECODE"))}


def git_revision() -> str | None:
    """``<commit>`` or ``<commit>+dirty``: the figures are only comparable on the same code."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               check=True, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return commit + ("+dirty" if dirty else "")


# --- report -----------------------------------------------------------------------------

def ratios(results: dict[str, Measurement]) -> dict[str, dict[str, Any]]:
    """Every ratio in ``RATIOS`` whose two measurements were taken, with its target; a ratio
    with a target whose measurements were not taken is listed as not measured (value None)."""
    found: dict[str, dict[str, Any]] = {}
    for ratio in RATIOS:
        if ratio.target and not (ratio.num in results and ratio.den in results):
            missing = [name for name in (ratio.num, ratio.den) if name not in results]
            found[ratio.key] = {"label": ratio.label, "value": None, "numerator": ratio.num,
                                "denominator": ratio.den, "per_pdf": ratio.per_pdf,
                                "target": f"{ratio.target[0]} {ratio.target[1]:.2f}", "met": None,
                                "missing": missing}
        elif ratio.num in results and ratio.den in results:
            value = ratio.value(results)
            found[ratio.key] = {"label": ratio.label, "value": value, "numerator": ratio.num,
                                "denominator": ratio.den, "per_pdf": ratio.per_pdf,
                                "target": f"{ratio.target[0]} {ratio.target[1]:.2f}" if ratio.target else None,
                                "met": COMPARE[ratio.target[0]](value, ratio.target[1]) if ratio.target else None}
    return found


def limits(results: dict[str, Measurement]) -> dict[str, dict[str, Any]]:
    """Every target in ``LIMITS`` on a measured median."""
    found = {key: {"label": label, "value_s": results[name].median, "target": f"{op} {seconds} s",
                   "met": COMPARE[op](results[name].median, seconds)}
             for key, label, name, op, seconds in LIMITS if name in results}
    for key, label, name, op, mib in MEMORY_LIMITS:
        tree = results[name].tree_rss_mib if name in results else None
        if tree is not None:
            found[key] = {"label": label, "value_mib": tree, "target": f"{op} {mib:.0f} MiB", "met": COMPARE[op](tree, mib)}
    for key, label, name, figure, op, value in FIGURE_LIMITS:
        number = results[name].extra.get(figure) if name in results else None
        if number is not None:
            found[key] = {"label": label, "value": number, "target": f"{op} {value}",
                          "met": COMPARE[op](number, value)}
    return found


def table(info: dict[str, Any], documents: list[Document], results: dict[str, Measurement],
          pairs: dict[str, dict[str, Any]], bounds: dict[str, dict[str, Any]]) -> str:
    """The printed report."""
    hb = info["harfbuzz_subset"]
    lines = [
        f"machine: {info['nproc']} CPUs, Python {info['python']}, WeasyPrint {info['weasyprint']}, "
        f"{info['platform']}",
        f"project: brochure {info['brochure']} at {info['git']}, its modules byte-compiled first: "
        f"{'yes' if info['brochure_bytecode']['compiled'] else 'NO'}",
        f"HarfBuzz subsetting: {'yes' if hb['used_by_weasyprint'] else 'NO'} "
        f"(find_library: {hb['find_library']}, HarfBuzz {hb['harfbuzz_version']})",
        f"documents: {', '.join(f'{d.output} ({len(d.html) // 1024} kB HTML)' for d in documents)}",
        "",
        f"{'scenario':<40}{'median':>9}{'min':>9}{'max':>9}{'runs':>6}{'peak RSS':>10}{'tree RSS':>10}",
    ]

    def mib(value: float | None) -> str:
        return f"{value:.0f} MiB" if value is not None else "-"

    for m in results.values():
        lines.append(f"{m.label:<40}{m.median:>8.3f}s{min(m.samples):>8.3f}s{max(m.samples):>8.3f}s"
                     f"{len(m.samples):>6}{mib(m.peak_rss_mib):>10}{mib(m.tree_rss_mib):>10}")
    lines += ["", "peak RSS: the largest single process (RUSAGE_CHILDREN); tree RSS: all processes "
                  f"at once, summed every {RSS_SAMPLE_S * 1000:.0f} ms", ""]
    for pair in pairs.values():
        if pair["value"] is None:
            lines.append(f"{pair['label']:<48}{'-':>8}   target {pair['target']}: not measured "
                         f"(no {', '.join(pair['missing'])} in this run)")
            continue
        verdict = f"   target {pair['target']}: {'met' if pair['met'] else 'NOT MET'}" if pair["target"] else ""
        lines.append(f"{pair['label']:<48}{pair['value']:>7.2f}x{verdict}")
    for bound in bounds.values():
        if "value" in bound:
            lines.append(f"{bound['label']:<48}{bound['value']:>7.2f}x   target {bound['target']}: "
                         f"{'met' if bound['met'] else 'NOT MET'}")
            continue
        if "value_mib" in bound:
            lines.append(f"{bound['label']:<48}{bound['value_mib']:>5.0f} MiB   target {bound['target']}: "
                         f"{'met' if bound['met'] else 'NOT MET'}")
            continue
        lines.append(f"{bound['label']:<48}{bound['value_s']:>7.3f}s   target {bound['target']}: "
                     f"{'met' if bound['met'] else 'NOT MET'}")
    watch = results.get("watch_first_edit_to_pdf")
    if watch:
        x = watch.extra
        lines += ["", f"watch: DEBOUNCE_MS {x['debounce_ms']}, step {x['step_ms']} ms: watchfiles yields once no "
                      "change came for a step, at most a debounce after the first; inside edit-to-PDF.",
                  f"watch: start (up to date) to first 'waiting for changes...' {x['start_to_ready_s']:.2f} s; "
                  f"first edit {x['reading_s']:.0f} s after it (staff reading the start message)"]
        later = results.get("watch_edit_to_pdf")
        if "project_warm" in results and later:
            extra_ms = (later.median - results["project_warm"].median) * 1000
            lines[-1] += f"; later edits' edit-to-PDF minus project warm {extra_ms:.0f} ms"
    return "\n".join(lines)


def write_json(path: Path, info: dict[str, Any], documents: list[Document], results: dict[str, Measurement],
               pairs: dict[str, dict[str, Any]], bounds: dict[str, dict[str, Any]], ws: Workspace,
               seconds: float) -> None:
    """The same figures as the table, plus every sample, as JSON at ``path``."""
    payload = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": info,
               "runs": ws.runs, "cold_runs": ws.cold_runs, "noop_runs": ws.noop_runs, "edits": ws.edits,
               "watch_starts": ws.watch_starts,
               "batch_runs": {str(v): ws.batch_runs or rounds for v, rounds in BATCHES},
               "total_s": seconds,
               "documents": [{"output": d.output, "html_chars": len(d.html), "options": d.options}
                             for d in documents],
               "measurements": {name: m.summary() for name, m in results.items()},
               "ratios": pairs, "limits": bounds}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


# --- main -------------------------------------------------------------------------------

def positive(text: str) -> int:
    """argparse type: an integer of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """``--quick``, the sample counts and ``--json``."""
    parser = argparse.ArgumentParser(description="Compare brochure's build with plain WeasyPrint "
                                                 "on the same HTML; see bench/README.md.")
    parser.add_argument("--quick", action="store_true",
                        help="fewer samples of everything (about 1 minute instead of 3)")
    parser.add_argument("--runs", type=positive, metavar="N",
                        help=f"warm samples per scenario (default {DEFAULT_RUNS}; quick {QUICK['runs']})")
    parser.add_argument("--cold-runs", type=positive, metavar="N",
                        help=f"fresh-process samples per scenario (default {DEFAULT_COLD_RUNS}; "
                             f"quick {QUICK['cold_runs']})")
    parser.add_argument("--noop-runs", type=positive, metavar="N",
                        help=f"no-op rebuilds (default {DEFAULT_NOOP_RUNS}; quick {QUICK['noop_runs']})")
    parser.add_argument("--edits", type=positive, metavar="N",
                        help=f"edits while watching (default {DEFAULT_EDITS}; quick {QUICK['edits']})")
    parser.add_argument("--watch-starts", type=positive, metavar="N",
                        help=f"watches started on an up-to-date folder, one first edit each (default "
                             f"{DEFAULT_WATCH_STARTS}; quick {QUICK['watch_starts']})")
    parser.add_argument("--batch-runs", type=positive, metavar="N",
                        help="rounds of each batch, one --jobs 1 and one --jobs 2 build each (default "
                             + ", ".join(f"{r} for {v} variants" for v, r in BATCHES)
                             + f"; quick {QUICK['batch_runs']})")
    parser.add_argument("--big", type=positive, nargs="?", const=BIG_BATCH, default=0, metavar="N",
                        help=f"also build N variants (default {BIG_BATCH}) with --jobs 2 and on a 2-worker "
                             "LocalCluster (for 1,000: about 10 minutes more on 2 idle cores)")
    parser.add_argument("--text-sizes", metavar="KB,...", default=TEXT_SIZES_DEFAULT,
                        type=lambda text: tuple(positive(v) for v in text.split(",")),
                        help="kB of body text of the long handouts (default "
                             + ",".join(map(str, TEXT_SIZES_DEFAULT)) + ")")
    parser.add_argument("--text-runs", type=positive, metavar="N",
                        help=f"cold builds of each long handout, and as many plain (default 2; quick {QUICK['text_runs']})")
    parser.add_argument("--memory-units", type=positive, metavar="N", default=MEMORY_UNITS_DEFAULT,
                        help=f"variants of the memory scenario, built with --jobs 2 (default {MEMORY_UNITS_DEFAULT})")
    parser.add_argument("--only", metavar="NAME,...", type=lambda text: set(text.split(",")),
                        help="run only these scenarios (function names: typst_anchor,cluster_batch_big,...)")
    parser.add_argument("--json", type=Path, metavar="PATH", default=ROOT / "bench" / "results.json",
                        help="where to write the figures (default bench/results.json)")
    args = parser.parse_args(argv)
    defaults = {"runs": DEFAULT_RUNS, "cold_runs": DEFAULT_COLD_RUNS, "noop_runs": DEFAULT_NOOP_RUNS,
                "edits": DEFAULT_EDITS, "watch_starts": DEFAULT_WATCH_STARTS, "batch_runs": None, "text_runs": 2}
    for name, default in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, QUICK[name] if args.quick else default)
    return args


def main(argv: list[str] | None = None) -> int:
    """Run every scenario in ``SCENARIOS``, print the table, write the JSON."""
    args = parse_args(argv)
    # The long handouts' ratios are those of the sizes asked for (--text-sizes).
    RATIOS[:] = [r for r in RATIOS if not r.key.startswith("text")] + [r for kb in args.text_sizes for r in text_ratios(kb)]
    started = time.perf_counter()
    info = machine()
    with tempfile.TemporaryDirectory(prefix="brochure-bench-") as temp:
        folder = Path(temp)
        path = copy_content(folder)
        documents = render_documents(path, folder)
        brochure = content.load(path, str(path))
        if brochure.variants is not None:
            raise SystemExit(f"{CONTENT} has variants: the benchmark expects a single brochure")
        ws = Workspace(folder, path, documents, args.runs, args.cold_runs, args.noop_runs, args.edits,
                       args.watch_starts, args.batch_runs, brochure.title, brochure.file_slug, brochure.slug is not None,
                       args.big, args.text_sizes, args.text_runs, args.memory_units)
        results: dict[str, Measurement] = {}
        for scenario in SCENARIOS:
            if args.only and scenario.__name__ not in args.only:
                continue
            print(f"[{time.perf_counter() - started:5.0f} s] running {scenario.__name__} ...",
                  file=sys.stderr, flush=True)
            try:
                measured = scenario(ws)
            except RuntimeError as error:  # a child that failed or timed out: the other scenarios still count
                print(f"{scenario.__name__} failed: {error}", file=sys.stderr, flush=True)
                continue
            for measurement in measured if isinstance(measured, list) else [measured]:
                results[measurement.name] = measurement
    pairs, bounds = ratios(results), limits(results)
    seconds = time.perf_counter() - started
    print(table(info, documents, results, pairs, bounds))
    write_json(args.json, info, documents, results, pairs, bounds, ws, seconds)
    print(f"\nwrote {args.json} in {seconds:.0f} s total")
    return 0


if __name__ == "__main__":
    sys.exit(main())
