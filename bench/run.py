"""Benchmark: brochure's build against plain WeasyPrint on the same two HTML documents.

Run from the repository root::

    .venv/bin/python bench/run.py [--runs N] [--cold-runs N] [--json PATH]

Everything happens in a temporary folder: the repository's ``content.yaml`` (and the files
it refers to) is copied there and every PDF is written there, so the repository is never
written to. The scenarios:

* project cold: wall time of a fresh ``python build.py <copy>/content.yaml --out <tmp>``;
* project warm: ``brochure.build.build_file`` called in this process after one warm-up;
* plain cold: a fresh process running ``HTML(string=..., base_url=...).write_pdf(...)`` for
  each of the two documents ``build_file`` renders, with the same ``pdf.OPTIONS``;
* plain warm: the same calls in this process after one warm-up;
* import weasyprint: ``python -X importtime -c "import weasyprint"``, cumulative time.

Each scenario is a function in ``SCENARIOS`` returning a ``Measurement``; ``RATIOS`` pairs
measurements into project/plain ratios. To add a scenario (no-op rebuild, watch
edit-to-PDF, a batch of variants), write a function taking a ``Workspace`` and append it.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from brochure import build, content, html, pdf  # noqa: E402

CONTENT = "content.yaml"  # the repository's content file; the images it names are copied too
IMAGE_SUFFIXES = {".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp"}
DEFAULT_RUNS = 10  # warm samples
DEFAULT_COLD_RUNS = 5  # fresh-process samples
CHILD_TIMEOUT_S = 60.0

# Plain WeasyPrint in a fresh interpreter: one HTML(...).write_pdf(...) per saved document.
PLAIN_SCRIPT = """\
import json, sys
from pathlib import Path
from weasyprint import HTML
for job in json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")):
    source = Path(job["html"]).read_text(encoding="utf-8")
    HTML(string=source, base_url=job["base_url"]).write_pdf(job["target"], **job["options"])
"""

# Starts one command, waits for it, and writes its wall time and its own rusage as JSON.
LAUNCHER = """\
import json, os, sys, time
report, command = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.posix_spawn(command[0], command, os.environ)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
with open(report, "w") as file:
    json.dump({"seconds": seconds, "maxrss": usage.ru_maxrss,
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

    def out(self, scenario: str) -> Path:
        """The output folder of ``scenario`` inside the temporary copy (created if new)."""
        path = self.folder / "out" / scenario
        path.mkdir(parents=True, exist_ok=True)
        return path


@dataclass
class Measurement:
    """Samples of one scenario, in seconds, and the peak RSS of its processes if measured."""

    name: str
    label: str
    samples: list[float]
    peak_rss_mib: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def median(self) -> float:
        """The figure the table and the ratios use."""
        return statistics.median(self.samples)

    def summary(self) -> dict[str, Any]:
        """The JSON form: median, spread and every sample."""
        return {"label": self.label, "median_s": self.median, "min_s": min(self.samples),
                "max_s": max(self.samples), "runs": len(self.samples), "samples_s": self.samples,
                "peak_rss_mib": self.peak_rss_mib, **self.extra}


@dataclass(frozen=True)
class ChildRun:
    """One finished subprocess: wall time, its own peak RSS, and its output."""

    seconds: float
    maxrss_mib: float
    stdout: str
    stderr: str


Scenario = Callable[[Workspace], Measurement]


# --- helpers ----------------------------------------------------------------------------

def maxrss_mib(maxrss: int) -> float:
    """``ru_maxrss`` in MiB: Linux reports KiB, macOS bytes."""
    return maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024


def run_child(command: list[str], cwd: Path = ROOT) -> ChildRun:
    """Run ``command`` to completion through ``LAUNCHER``; return its wall time and peak RSS.

    The launcher, not this process, starts ``command``: Linux carries the RSS high-water
    mark of the process that forks over ``exec``, so a child spawned straight from this
    (by then large) process would report this process's peak instead of its own.
    """
    with tempfile.TemporaryDirectory() as temp:
        report, out, err = Path(temp) / "report.json", Path(temp) / "stdout", Path(temp) / "stderr"
        with out.open("w") as stdout, err.open("w") as stderr:
            launcher = subprocess.Popen([sys.executable, "-I", "-c", LAUNCHER, str(report), *command],
                                        cwd=cwd, stdout=stdout, stderr=stderr, start_new_session=True)
            try:
                launcher.wait(timeout=CHILD_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(launcher.pid, signal.SIGKILL)  # the launcher's own group: it and its child
                launcher.wait()
                raise RuntimeError(f"{' '.join(command)} took over {CHILD_TIMEOUT_S:.0f} s") from None
        result = json.loads(report.read_text()) if report.exists() else {"exit": launcher.returncode}
        if result["exit"] != 0:
            raise RuntimeError(f"{' '.join(command)} exited {result['exit']}:\n{err.read_text()}")
        return ChildRun(result["seconds"], maxrss_mib(result["maxrss"]), out.read_text(), err.read_text())


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
    epoch = build.epoch_for(brochure, path)
    stamp = datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")
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


# --- scenarios --------------------------------------------------------------------------

def project_cold(ws: Workspace) -> Measurement:
    """A fresh ``python build.py <copy> --out <tmp>``, as a user runs it."""
    out_dir = ws.out("project-cold")
    command = [sys.executable, "build.py", str(ws.content), "--out", str(out_dir)]
    runs = [run_child(command) for _ in range(ws.cold_runs)]
    check_pdfs(out_dir, len(ws.documents))
    return Measurement("project_cold", "project cold (python build.py)",
                       [r.seconds for r in runs], max(r.maxrss_mib for r in runs))


def plain_cold(ws: Workspace) -> Measurement:
    """A fresh interpreter: import WeasyPrint, ``write_pdf`` each saved HTML document."""
    out_dir = ws.out("plain-cold")
    jobs = ws.folder / "plain-jobs.json"
    jobs.write_text(json.dumps(plain_jobs(ws.documents, out_dir)), encoding="utf-8")
    command = [sys.executable, "-c", PLAIN_SCRIPT, str(jobs)]
    runs = [run_child(command) for _ in range(ws.cold_runs)]
    check_pdfs(out_dir, len(ws.documents))
    return Measurement("plain_cold", "plain WeasyPrint cold (subprocess)",
                       [r.seconds for r in runs], max(r.maxrss_mib for r in runs))


def project_warm(ws: Workspace) -> Measurement:
    """``build_file`` in this process, after one warm-up call."""
    out_dir = ws.out("project-warm")
    samples = timed(lambda: build.build_file(ws.content, out_dir), ws.runs)
    check_pdfs(out_dir, len(ws.documents))
    return Measurement("project_warm", "project warm (build_file)", samples)


def plain_warm(ws: Workspace) -> Measurement:
    """``HTML(...).write_pdf(...)`` for both documents in this process, after one warm-up."""
    from weasyprint import HTML

    out_dir = ws.out("plain-warm")

    def both() -> None:
        for d in ws.documents:
            HTML(string=d.html, base_url=d.base_url).write_pdf(out_dir / f"{d.output}.pdf", **d.options)

    samples = timed(both, ws.runs)
    check_pdfs(out_dir, len(ws.documents))
    return Measurement("plain_warm", "plain WeasyPrint warm (in-process)", samples)


def import_weasyprint(ws: Workspace) -> Measurement:
    """``import weasyprint`` in a fresh interpreter: ``-X importtime`` cumulative time."""
    command = [sys.executable, "-X", "importtime", "-c", "import weasyprint"]
    runs = [run_child(command) for _ in range(ws.cold_runs)]
    samples = [importtime_seconds(r.stderr, "weasyprint") for r in runs]
    return Measurement("import_weasyprint", "import weasyprint (-X importtime)", samples,
                       max(r.maxrss_mib for r in runs),
                       {"process_wall_median_s": statistics.median(r.seconds for r in runs)})


def importtime_seconds(report: str, module: str) -> float:
    """The cumulative time of ``module`` in a ``-X importtime`` report, in seconds."""
    for line in report.splitlines():
        match = re.match(r"import time:\s*\d+\s*\|\s*(\d+)\s*\|\s*(\S+)\s*$", line)
        if match and match.group(2) == module:
            return int(match.group(1)) / 1e6
    raise RuntimeError(f"no import time for {module} in:\n{report[-2000:]}")


SCENARIOS: list[Scenario] = [project_cold, plain_cold, project_warm, plain_warm, import_weasyprint]

# (label, numerator, denominator): project over plain, like against like.
RATIOS: list[tuple[str, str, str]] = [
    ("cold", "project_cold", "plain_cold"),
    ("warm", "project_warm", "plain_warm"),
]


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
            "brochure": __version__, "git": git_revision()}


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

def ratios(results: dict[str, Measurement]) -> dict[str, float]:
    """project/plain medians for every pair in ``RATIOS`` that was measured."""
    return {label: results[num].median / results[den].median
            for label, num, den in RATIOS if num in results and den in results}


def table(info: dict[str, Any], documents: list[Document], results: dict[str, Measurement],
          pairs: dict[str, float]) -> str:
    """The printed report."""
    hb = info["harfbuzz_subset"]
    lines = [
        f"machine: {info['nproc']} CPUs, Python {info['python']}, WeasyPrint {info['weasyprint']}, "
        f"{info['platform']}",
        f"project: brochure {info['brochure']} at {info['git']}",
        f"HarfBuzz subsetting: {'yes' if hb['used_by_weasyprint'] else 'NO'} "
        f"(find_library: {hb['find_library']}, HarfBuzz {hb['harfbuzz_version']})",
        f"documents: {', '.join(f'{d.output} ({len(d.html) // 1024} kB HTML)' for d in documents)}",
        "",
        f"{'scenario':<38}{'median':>9}{'min':>9}{'max':>9}{'runs':>6}{'peak RSS':>11}",
    ]
    for m in results.values():
        rss = f"{m.peak_rss_mib:.0f} MiB" if m.peak_rss_mib is not None else "-"
        lines.append(f"{m.label:<38}{m.median:>8.3f}s{min(m.samples):>8.3f}s{max(m.samples):>8.3f}s"
                     f"{len(m.samples):>6}{rss:>11}")
    lines.append("")
    for label, value in pairs.items():
        lines.append(f"ratio project/plain, {label}: {value:.2f}x ({(value - 1) * 100:+.0f}% vs plain WeasyPrint)")
    return "\n".join(lines)


def write_json(path: Path, info: dict[str, Any], documents: list[Document],
               results: dict[str, Measurement], pairs: dict[str, float], args: argparse.Namespace) -> None:
    """The same figures as the table, plus every sample, as JSON at ``path``."""
    payload = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": info,
               "runs": args.runs, "cold_runs": args.cold_runs,
               "documents": [{"output": d.output, "html_chars": len(d.html), "options": d.options}
                             for d in documents],
               "measurements": {name: m.summary() for name, m in results.items()},
               "ratios_project_over_plain": pairs}
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
    """``--runs``, ``--cold-runs`` and ``--json``."""
    parser = argparse.ArgumentParser(description="Compare brochure's build with plain WeasyPrint "
                                                 "on the same HTML; see bench/README.md.")
    parser.add_argument("--runs", type=positive, metavar="N", default=DEFAULT_RUNS,
                        help=f"warm samples per scenario (default {DEFAULT_RUNS})")
    parser.add_argument("--cold-runs", type=positive, metavar="N", default=DEFAULT_COLD_RUNS,
                        help=f"fresh-process samples per scenario (default {DEFAULT_COLD_RUNS})")
    parser.add_argument("--json", type=Path, metavar="PATH", default=ROOT / "bench" / "results.json",
                        help="where to write the figures (default bench/results.json)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run every scenario in ``SCENARIOS``, print the table, write the JSON."""
    args = parse_args(argv)
    started = time.perf_counter()
    info = machine()
    with tempfile.TemporaryDirectory(prefix="brochure-bench-") as temp:
        folder = Path(temp)
        path = copy_content(folder)
        documents = render_documents(path, folder)
        ws = Workspace(folder, path, documents, args.runs, args.cold_runs)
        results: dict[str, Measurement] = {}
        for scenario in SCENARIOS:
            print(f"running {scenario.__name__} ...", file=sys.stderr, flush=True)
            measurement = scenario(ws)
            results[measurement.name] = measurement
    pairs = ratios(results)
    print(table(info, documents, results, pairs))
    write_json(args.json, info, documents, results, pairs, args)
    print(f"\nwrote {args.json} in {time.perf_counter() - started:.0f} s total")
    return 0


if __name__ == "__main__":
    sys.exit(main())
