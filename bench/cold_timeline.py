"""Cold timeline: where the wall time of a cold ``python build.py`` goes, per process.

Run from the repository root::

    .venv/bin/python bench/cold_timeline.py [--runs 3] [--jobs 2] [--json PATH]

It copies the seed's ``content.yaml`` (and its logo) into a temporary folder and builds it
cold, into a new output folder each run, as ``bench/run.py``'s ``project_cold`` does, but in
a child whose steps are traced: before brochure is imported, the child hooks Python's import
system, so each module it will load is timed (those that take 10 ms or more are noted) and,
once loaded, the functions a build goes through in it are wrapped (the build's steps, the
forked helper's fork, tasks and results, WeasyPrint's parse, layouts and drawing, the checks,
the manifest's commit). The helpers are forked from that process, so they run the same
wrappers. Each wrapped call appends one line to a log: the process, the step, its start and
end on the machine's monotonic clock (the same clock in every process) and the CPU time its
process spent meanwhile. The garbage collector's passes, ``cli.main``'s return, the last
``atexit`` handler and a helper's ``os._exit`` are noted too.

The parent notes when it started the child and when the child's exit was reaped, so the
timeline runs from the process's start (the interpreter's own start up before the first
line of brochure) to its exit (atexit, the interpreter's finalisation).
It prints each run's steps, nested, in ms from the start (wall), with each step's CPU ms,
and a summary of the medians. The wrappers cost a few microseconds a call.
"""

from __future__ import annotations

import argparse
import compileall
import functools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

IMPORT_NOTED_S = 0.010  # an import noted when it takes this long or longer (nested ones too)
GC_NOTED_S = 0.002  # a young generation's collection noted when it takes this much CPU or more

# Module -> (attribute path, step name): wrapped as soon as the module is loaded.
STEPS: dict[str, list[tuple[str, str]]] = {
    "brochure.cli": [("main", "cli.main"), ("_build", "build command"), ("report", "report")],
    "brochure.runner": [("run", "runner.run"), ("_plan", "plan (content load)"), ("local", "runner.local")],
    "brochure.manifest": [("Manifest.commit", "commit (PDFs + manifest)"), ("Manifest.settle", "manifest settle"),
                          ("Manifest.forget", "manifest forget"), ("Manifest.forget_gone", "manifest forget gone"),
                          ("tool_fingerprint", "tool fingerprint (brochure's code hashed)")],
    "brochure.build": [("build_unit", "build_unit"), ("_prepare", "prepare (helper or here)"),
                       ("_beside", "fork the render helper"), ("_shared", "shared before fork"),
                       ("_render", "render PDFs"), ("_record", "record (hashes, entries)")],
    "brochure.prepared": [("described", "content (described)"), ("prepare_unit", "prepare_unit"),
                          ("printable", "printable"), ("_plan_outputs", "plan outputs (HTML)"),
                          ("stale", "stale (manifest)")],
    "brochure.render.html": [("render", "HTML (jinja)")],
    "brochure.render.job": [("imported", "import weasyprint (job.imported)"), ("render", "render a PDF")],
    "brochure.render.patches": [("install", "patches.install")],
    "brochure.render.cdecls": [("parse", "cdecls.parse")],
    "brochure.render.pdf": [("deflated_profiles", "deflate profiles")],
    "brochure.render.separations": [("made_ahead", "pictures CMYK ahead")],
    "brochure.render.flow": [("_best", "sentence-break search (_best)"), ("_lay_out_like", "trial layout")],
    "brochure.render.panels": [("fill", "panels.fill")],
    "brochure.render.tagging": [("mend", "mend tags")],
    "brochure.render.trifold": [("impose", "impose")],
    "brochure.render.marks": [("add_crop_marks", "crop marks"), ("trim_only", "trim only")],
    "brochure.forked": [("allowed", "may fork (forked.allowed)"), ("Beside._fork", "fork"), ("Beside.result", "wait for a helper's result"),
                        ("Beside.close", "helper killed and reaped"), ("_send", "send a result")],
    "brochure.reviewed": [("render_others", "helper: other PDFs (+ checks)"), ("review", "checks (reviewed.review)"),
                          ("content_findings", "checks of the words")],
    "brochure.checks.review": [("check_pdf", "check_pdf"), ("check_content", "check_content"),
                               ("pdf_checks", "pdf_checks (set-up)")],
    "weasyprint": [("HTML.__init__", "parse HTML"), ("HTML.render", "layout (HTML.render)")],
    "weasyprint.document": [("Document.write_pdf", "draw + write (write_pdf)")],
    "pydyf": [("PDF.write", "pydyf write")],
}


# --- the child: a build, traced ---------------------------------------------------------------

def _tracer(log: Path) -> Callable[..., None]:
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def note(step: str, start: float, end: float, cpu0: float, cpu1: float, **extra: Any) -> None:
        line = json.dumps({"pid": os.getpid(), "step": step, "start": start, "end": end, "cpu": cpu1 - cpu0, **extra})
        os.write(fd, (line + "\n").encode())  # one write per line, O_APPEND: lines of two processes never mix

    return note


def _wrap(note: Callable[..., None], module: Any, dotted: str, step: str) -> None:
    owner = module
    *path, name = dotted.split(".")
    for part in path:
        owner = getattr(owner, part, None)
    original = getattr(owner, name, None) if owner is not None else None
    if original is None or getattr(original, "_traced", False):
        return

    @functools.wraps(original)
    def traced(*args: Any, **kwargs: Any) -> Any:
        start, cpu = time.monotonic(), time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            note(step, start, time.monotonic(), cpu, time.process_time())

    traced._traced = True  # type: ignore[attr-defined]
    setattr(owner, name, traced)


def _hook_imports(note: Callable[..., None]) -> None:
    """Each module's import timed (noted when slow), and the steps of ``STEPS`` wrapped once it is loaded."""
    import importlib._bootstrap as bootstrap

    original = bootstrap._find_and_load  # type: ignore[attr-defined]
    depth = [0]

    def find_and_load(name: str, import_: Any) -> Any:
        start, cpu = time.monotonic(), time.process_time()
        depth[0] += 1
        try:
            module = original(name, import_)
        finally:
            depth[0] -= 1
        end = time.monotonic()
        if end - start >= IMPORT_NOTED_S:
            note(f"import {name}", start, end, cpu, time.process_time(), depth=depth[0])
        for dotted, step in STEPS.get(name, []):
            _wrap(note, module, dotted, step)
        return module

    bootstrap._find_and_load = find_and_load  # type: ignore[attr-defined]


def _collections_traced(note: Callable[..., None]) -> None:
    import gc

    started: list[tuple[float, float]] = []

    def collected(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append((time.monotonic(), time.process_time()))
        elif started:
            start, cpu = started.pop()
            if info.get("generation") == 0 and time.process_time() - cpu < GC_NOTED_S:
                return  # the many short young-generation passes: only their sum shows, in each step's CPU
            note(f"gc: generation {info.get('generation')}", start, time.monotonic(), cpu, time.process_time(),
                 collected=info.get("collected", 0))

    gc.callbacks.append(collected)


def child(log: Path, argv: list[str]) -> int:
    """``build.py argv``, each step traced into ``log``."""
    import atexit

    note = _tracer(log)
    now, cpu = time.monotonic(), time.process_time()
    note("interpreter up (first line)", now, now, 0.0, cpu)
    atexit.register(lambda: note("last atexit handler", time.monotonic(), time.monotonic(), 0.0, 0.0))
    real_exit = os._exit

    def _exit(status: int) -> None:
        now = time.monotonic()
        note("os._exit", now, now, 0.0, 0.0)
        real_exit(status)

    os._exit = _exit  # type: ignore[assignment]
    _hook_imports(note)
    _collections_traced(note)
    sys.argv = [str(ROOT / "build.py"), *argv]
    from brochure import cli

    status = cli.main()
    now, children = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
    # The CPU spent so far by this process and the helpers it reaped: the exit's is what the parent sees more.
    note("cli.main returned", now, now, 0.0, 0.0, own=time.process_time(),
         spent=time.process_time() + children.ru_utime + children.ru_stime)
    try:
        from brochure.program import exit_now
    except ImportError:  # a checkout from before it: the build ends as Python ends
        return status
    exit_now(status)


# --- the parent: cold builds, then the timeline ---------------------------------------------

def one_build(folder: Path, content: Path, index: int, options: list[str]) -> tuple[list[dict[str, Any]], float, float,
                                                                                        int, float]:
    """One traced cold build: the log's lines, its start and reaped exit (monotonic), its pid and CPU s."""
    log = folder / f"timeline-{index}.jsonl"
    out = folder / f"out-{index}"
    command = [sys.executable, __file__, "--child", str(log), str(content), "--out", str(out), *options]
    start = time.monotonic()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)  # the build's own CPU and its reaped helpers'
    end = time.monotonic()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"the build exited {process.returncode}")
    cpu = usage.ru_utime + usage.ru_stime
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    for line in lines:
        if line["step"] == "cli.main returned":  # what the exit cost: wall to the reaping, CPU
            line["end"], line["cpu"] = end, cpu - line["spent"]
            line["step"] = "exit: cli.main returned to the exit reaped"
    return lines, start, end, process.pid, cpu


def names(lines: list[dict[str, Any]], main_pid: int) -> dict[int, str]:
    found = {main_pid: "build"}
    for line in sorted(lines, key=lambda line: line["start"]):
        if line["pid"] not in found:
            found[line["pid"]] = f"helper {len(found)}"
    return found


def rows_of(lines: list[dict[str, Any]], start: float, end: float, who: dict[int, str]) -> list[dict[str, Any]]:
    """Each step: process, nesting depth, step, start and end (ms from the process's start), CPU ms."""
    chosen = sorted(lines, key=lambda line: (who.get(line["pid"], "?"), line["start"], -line["end"]))
    rows: list[dict[str, Any]] = []
    open_ends: dict[int, list[float]] = defaultdict(list)
    for line in chosen:
        stack = open_ends[line["pid"]]
        while stack and stack[-1] <= line["start"]:
            stack.pop()
        rows.append({"process": who.get(line["pid"], str(line["pid"])), "depth": len(stack), "step": line["step"],
                     "start_ms": (line["start"] - start) * 1000, "end_ms": (line["end"] - start) * 1000,
                     "cpu_ms": line["cpu"] * 1000})
        if line["end"] > line["start"]:
            stack.append(line["end"])
    return rows


def summary(runs: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The median start, end and CPU of each (process, step, its n-th occurrence) over ``runs``."""
    gathered: dict[tuple[str, str, int], list[dict[str, Any]]] = defaultdict(list)
    depth: dict[tuple[str, str, int], int] = {}
    for rows in runs:
        seen: dict[tuple[str, str], int] = defaultdict(int)
        for row in rows:
            key = (row["process"], row["step"], seen[(row["process"], row["step"])])
            seen[(row["process"], row["step"])] += 1
            gathered[key].append(row)
            depth.setdefault(key, row["depth"])
    result = [{"process": key[0], "step": key[1] + (f" #{key[2] + 1}" if key[2] else ""), "depth": depth[key],
               "count": len(rows), **{f: statistics.median(r[f] for r in rows) for f in ("start_ms", "end_ms", "cpu_ms")}}
              for key, rows in gathered.items()]
    result.sort(key=lambda row: (row["process"], row["start_ms"], -row["end_ms"]))
    return result


def show(rows: list[dict[str, Any]], title: str) -> None:
    print(f"\n{title}\n{'process':<10} {'step':<52} {'start':>8} {'end':>8} {'wall':>7} {'CPU':>7}"
          "  (ms from the process's start)")
    for row in rows:
        step = "  " * row["depth"] + row["step"]
        print(f"{row['process']:<10} {step[:52]:<52} {row['start_ms']:8.1f} {row['end_ms']:8.1f} "
              f"{row['end_ms'] - row['start_ms']:7.1f} {row['cpu_ms']:7.1f}")


def main(argv: list[str] | None = None) -> int:
    import run as bench

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="cold builds (the summary gives their medians)")
    parser.add_argument("--jobs", help="pass --jobs to the build (2: the helper always forks)")
    parser.add_argument("--json", type=Path, help="write every run's steps there")
    parser.add_argument("--verbose", action="store_true", help="print each run's steps, not only the summary")
    args = parser.parse_args(argv)
    compileall.compile_dir(ROOT / "brochure", quiet=1)  # as bench/run.py: bytecode as an installed package has
    options = ["--jobs", args.jobs] if args.jobs else []
    runs, walls, cpus, own = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="brochure-cold-") as temporary:
        folder = Path(temporary)
        content = bench.copy_content(folder)
        for index in range(args.runs):
            lines, start, end, pid, cpu = one_build(folder, content, index, options)
            rows = rows_of(lines, start, end, names(lines, pid))
            ended = next(line for line in lines if line["step"].startswith("exit:"))
            own.append(ended["own"] + ended["cpu"])  # the build process's CPU: the critical path's when it never waits
            runs.append(rows)
            walls.append(end - start)
            cpus.append(cpu)
            if args.verbose:
                show(rows, f"run {index + 1}: {end - start:.3f} s wall, {cpu:.3f} s CPU (whole tree)")
    show(summary(runs), f"medians of {len(runs)} runs")
    print(f"\nwall {statistics.median(walls):.3f} s, CPU (whole tree) {statistics.median(cpus):.3f} s, "
          f"CPU of the build process to its exit (helpers not counted) {statistics.median(own):.3f} s; "
          f"load average: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    if args.json:
        args.json.write_text(json.dumps({"runs": runs, "walls": walls, "cpus": cpus, "own": own, "load": os.getloadavg()},
                                        indent=1))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        sys.exit(child(Path(sys.argv[2]), sys.argv[3:]))
    sys.exit(main())
