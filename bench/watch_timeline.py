"""Watch timeline: where each process of ``watch`` is, in ms from a save, for each edit.

Run from the repository root::

    .venv/bin/python bench/watch_timeline.py [--edits 6] [--starts 1] [--pause 0.25] [--json /tmp/timeline.json]

It copies the seed's ``content.yaml`` (and its logo) into a temporary folder, builds it once
so that ``watch`` starts on an up-to-date folder, then starts ``watch`` in a child process
whose steps are traced: before the watch starts, the child wraps the functions each step
of an edit goes through (watchfiles' yield, the up-to-date check, the content load, the
HTML, the hand-off to the lanes, WeasyPrint's styles, boxes, layout, drawing and pydyf's
write, the tri-fold's imposition, the tag mending, the commit, the checks). The lanes are
forked from that process, so they run the same wrappers. Each wrapped call appends one line
to a log: the process, the step, its start and end on the machine's monotonic clock (the
same clock in every process) and the CPU time its process spent meanwhile.

The parent edits the title as ``bench/run.py``'s ``watch_edit`` does (a plain write, 5 s
after the start message for the first edit, 0.25 s after each ``waiting for changes...``
for the others) and notes when the save was written and when both PDFs' bytes changed.
It prints each edit's steps, nested, and a summary of the later edits (medians): start
and end in ms from the save (wall), and the CPU ms of each step. The wrappers cost a few
microseconds a call: the figures are those of ``watch``, not of a faster program.

``--starts N`` runs N sessions one after the other (the first edit's figures are then medians
of N first edits); ``--pause S`` waits S seconds before each later edit (5: an idle wait, to
tell it from being the first edit). What happened before the first save, the lanes' warm-up
among it, is shown too, in ms from the start message.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

READING_S = 5.0  # as bench/run.py: the first edit comes once the start message is read
SETTLE_S = 0.25
TIMEOUT_S = 60.0
WAITING = "waiting for changes..."


# --- the child: watch, traced ---------------------------------------------------------------

def _tracer(log: Path) -> Callable[[str, float, float, float, float], None]:
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def note(step: str, start: float, end: float, cpu0: float, cpu1: float, **extra: str | int) -> None:
        line = json.dumps({"pid": os.getpid(), "step": step, "start": start, "end": end, "cpu": cpu1 - cpu0, **extra})
        os.write(fd, (line + "\n").encode())  # one write per line, O_APPEND: lines of two processes never mix

    return note


def _faults() -> int:
    """The page faults this process took so far that needed no disk (copies of pages shared
    with the process it was forked from, among others)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def _wrap(note: Callable[..., None], owner: Any, name: str, step: str | Callable[..., str]) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    def traced(*args: Any, **kwargs: Any) -> Any:
        start, cpu, faults = time.monotonic(), time.process_time(), _faults()
        try:
            return original(*args, **kwargs)
        finally:
            said = step(*args, **kwargs) if callable(step) else step
            note(said, start, time.monotonic(), cpu, time.process_time(), faults=_faults() - faults)

    setattr(owner, name, traced)


def _watch_traced(note: Callable[..., None], original: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    """watchfiles' ``watch``, each yield noted (with what it yields: changes or a timeout)."""

    @functools.wraps(original)
    def watch(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for changes in original(*args, **kwargs):
            now, cpu = time.monotonic(), time.process_time()
            note("watchfiles yields" if changes else "watchfiles: timeout", now, now, cpu, cpu)
            yield changes

    return watch


def _choices_traced(note: Callable[..., None], original: Callable[..., Any]) -> Callable[..., Any]:
    """``flow.sentence_breaks``, each choice's HTML and chosen HTML noted (for ``speculation``)."""

    @functools.wraps(original)
    def sentence_breaks(options: dict[str, Any]) -> Any:
        choose = original(options)

        def traced(text: str, lay_out: Callable[[str], Any]) -> tuple[str, Any]:
            chosen, document = choose(text, lay_out)
            now, cpu = time.monotonic(), time.process_time()
            note("choice", now, now, cpu, cpu, text=text, chosen=chosen)
            return chosen, document

        return traced

    return sentence_breaks


def _collections_traced(note: Callable[..., None]) -> None:
    """Each of the garbage collector's passes noted, with its generation (in every process)."""
    import gc

    started: list[tuple[float, float]] = []

    def collected(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append((time.monotonic(), time.process_time()))
        elif started:
            start, cpu = started.pop()
            note(f"gc: generation {info.get('generation')}", start, time.monotonic(), cpu, time.process_time())

    gc.callbacks.append(collected)


def child(log: Path, argv: list[str]) -> int:
    """``brochure watch argv``, each step traced into ``log``."""
    import multiprocessing.connection

    import pydyf
    import watchfiles

    from brochure import build, cli, reviewed, runner
    from brochure import manifest as book
    from brochure import watch as watching
    from brochure.checks import review as checking
    from brochure.render import flow, fontsets, html, job, lanes, marks, patches, tagging, trifold

    job.imported()
    patches.install()  # first: the wrappers go around brochure's own patches
    import weasyprint
    import weasyprint.document as document

    note = _tracer(log)
    watchfiles.watch = _watch_traced(note, watchfiles.watch)  # type: ignore[assignment]
    flow.sentence_breaks = _choices_traced(note, flow.sentence_breaks)
    steps: list[tuple[Any, str, str | Callable[..., str]]] = [
        (watching, "_back", "wait: a file gone"), (watching, "_settled", "wait: save settled"),
        (watching, "run", "build and checks (runner.run)"), (book.Manifest, "up_to_date", "up-to-date check"),
        (runner, "_plan", "plan (content load)"), (build, "build_unit", "build_unit"),
        (build, "described", "content (cached load)"), (build, "_prepare", "printable, labels, HTML"),
        (html, "render", lambda *a, **k: f"HTML {getattr(a[1], 'name', '?')}"),
        (job, "render_all", "render in lanes"), (lanes._Lane, "send", "send a job"),
        (lanes._Lane, "receive", "receive a PDF"), (lanes, "_tidy", "gc tidy (idle)"),
        (job, "render", lambda one, **k: f"render {one.output}" + ("" if k.get("search", True) else " (warm-up)")),
        (weasyprint.HTML, "__init__", "parse HTML"), (document, "get_all_computed_styles", "styles"),
        (document, "build_formatting_structure", "boxes"), (weasyprint.HTML, "render", "HTML.render (styles, boxes, layout)"),
        (watching, "_state", "files' state"), (watching, "handouts_now", "handouts now"),
        (document, "generate_pdf", "draw (generate_pdf)"), (pydyf.PDF, "write", "pydyf write"),
        (fontsets, "machine_fonts", "machine fonts"), (tagging, "mend", "mend tags"), (trifold, "impose", "impose"),
        (marks, "add_crop_marks", "crop marks"), (marks, "trim_only", "trim only"),
        (multiprocessing.connection.Connection, "send", "pipe send"),
        (multiprocessing.connection.Connection, "recv", "pipe recv"),
        (build, "_record", "record (hashes, entries)"), (build, "_commit", "commit (PDFs + manifest)"),
        (reviewed, "review", "checks"), (cli, "report", "report"),
        (watching, "_warm_up", "warm-up (watch process)"), (checking, "review", "review (content, PDFs)"),
        (checking, "check_content", "check the words"),
        (checking, "check_pdf", lambda path, role, *a, **k: f"check the {role} PDF")]
    for owner, name, step in steps:
        _wrap(note, owner, name, step)
    _collections_traced(note)
    return cli.main(["watch", *argv])


# --- the parent: edits, then the timeline ---------------------------------------------------

def _changed(paths: list[Path], before: dict[Path, bytes], deadline: float) -> float:
    """When the last of ``paths`` was seen with other bytes than ``before`` (monotonic)."""
    pending, last = set(paths), 0.0
    while pending:
        for path in list(pending):
            now = time.monotonic()
            try:
                if path.read_bytes() != before[path]:
                    pending.discard(path)
                    last = now
            except OSError:
                continue
        if time.monotonic() > deadline:
            raise RuntimeError(f"{', '.join(p.name for p in pending)} did not change in time")
        time.sleep(0.005)
    return last


def _wait_line(stream: Any, text: str) -> None:
    for line in stream:
        if text in line:
            return
    raise RuntimeError(f"watch ended before printing {text!r}")


def session(folder: Path, edits: int, where: str = "title",
            pause: float = SETTLE_S) -> tuple[list[dict[str, Any]], list[tuple[float, float]], int, float]:
    """One watch session of ``edits`` edits, the first READING_S after the start message and each
    later one ``pause`` after the last ``waiting for changes...``: the log's lines, each edit's
    (save, both PDFs) times, the watch's pid, and when the start message's ``waiting for
    changes...`` was read (monotonic)."""
    import run as bench

    content = bench.copy_content(folder)
    out, log = folder / "out", folder / "timeline.jsonl"
    # A new title makes new PDF names unless the slug is fixed: fixed to the one the title gives now.
    subprocess.run([sys.executable, "build.py", str(content), "--out", str(folder / "named")], cwd=ROOT,
                   check=True, capture_output=True)
    slug = min(path.name for path in (folder / "named").glob("*.pdf")).rsplit("-", 1)[0]
    text = content.read_text(encoding="utf-8")
    if not re.search(r"^slug:", text, re.MULTILINE):
        text = text.rstrip("\n") + f"\nslug: {slug}\n"
        content.write_text(text, encoding="utf-8")
    subprocess.run([sys.executable, "build.py", str(content), "--out", str(out)], cwd=ROOT, check=True,
                   capture_output=True)
    pdfs = sorted(out.glob("*.pdf"))
    title = re.compile(r"^title:.*$", re.MULTILINE)
    process = subprocess.Popen([sys.executable, __file__, "--child", str(log), str(content), "--out", str(out)],
                               cwd=ROOT, stdout=subprocess.PIPE, text=True, bufsize=1)
    times = []
    try:
        assert process.stdout is not None
        _wait_line(process.stdout, WAITING)
        ready = time.monotonic()
        for edit in range(edits):
            time.sleep(READING_S if edit == 0 else pause)
            before = {path: path.read_bytes() for path in pdfs}
            if where == "title":
                edited = title.sub(f"title: {json.dumps(f'Edited {edit}')}".replace("\\", "\\\\"), text, count=1)
            else:  # a few words into the first sentence of the intro: the article's panels move
                edited = text.replace("When it comes to treating pain", f"When it comes to treating pain ({edit})", 1)
            saved = time.monotonic()
            content.write_text(edited, encoding="utf-8")
            done = _changed(pdfs, before, saved + TIMEOUT_S)
            _wait_line(process.stdout, WAITING)
            times.append((saved, done))
    finally:
        process.terminate()
        process.wait(timeout=30)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    return lines, times, process.pid, ready


def _who(lines: list[dict[str, Any]], watch_pid: int) -> dict[int, str]:
    """Each pid's name: watch itself, or the lane of the output kind it rendered."""
    names = {watch_pid: "watch"}
    for line in lines:
        if line["step"].startswith("render ") and line["pid"] != watch_pid:
            names.setdefault(line["pid"], f"{line['step'].split()[1]} lane")
    return names


def edit_steps(lines: list[dict[str, Any]], saved: float, until: float | None,
               names: dict[int, str], origin: float | None = None) -> list[dict[str, Any]]:
    """The steps that ended after ``saved`` and began before ``until``: process, nesting depth,
    step, start and end (ms from ``origin``, the save unless said), CPU ms."""
    origin = saved if origin is None else origin
    chosen = [line for line in lines if line["end"] >= saved and (until is None or line["start"] < until)
              and not line["step"].startswith("watchfiles: timeout")]
    chosen.sort(key=lambda line: (names.get(line["pid"], "?"), line["start"], -line["end"]))
    rows: list[dict[str, Any]] = []
    open_ends: dict[int, list[float]] = defaultdict(list)
    for line in chosen:
        stack = open_ends[line["pid"]]
        while stack and stack[-1] <= line["start"]:
            stack.pop()
        rows.append({"process": names.get(line["pid"], str(line["pid"])), "depth": len(stack), "step": line["step"],
                     "start_ms": (line["start"] - origin) * 1000, "end_ms": (line["end"] - origin) * 1000,
                     "cpu_ms": line["cpu"] * 1000, "faults": line.get("faults", 0)})
        stack.append(line["end"])
    return rows


def summary(edits: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The median start, end, wall and CPU of each (process, step, its n-th occurrence) over ``edits``."""
    gathered: dict[tuple[str, str, int], list[dict[str, Any]]] = defaultdict(list)
    order: dict[tuple[str, str, int], tuple[float, int]] = {}
    for rows in edits:
        seen: dict[tuple[str, str], int] = defaultdict(int)
        for row in rows:
            key = (row["process"], row["step"], seen[(row["process"], row["step"])])
            seen[(row["process"], row["step"])] += 1
            gathered[key].append(row)
            order.setdefault(key, (row["start_ms"], row["depth"]))
    result = []
    for key, rows in gathered.items():
        result.append({"process": key[0], "step": key[1] + (f" #{key[2] + 1}" if key[2] else ""),
                       "depth": order[key][1], "count": len(rows),
                       **{f: statistics.median(r.get(f, 0) for r in rows) for f in ("start_ms", "end_ms", "cpu_ms", "faults")}})
    result.sort(key=lambda row: (row["process"], row["start_ms"]))
    return result


AFTER_LAYOUT = ("draw (generate_pdf)", "pydyf write", "machine fonts", "impose", "crop marks", "trim only")


def lane_figures(lines: list[dict[str, Any]], saved: float, until: float | None,
                 names: dict[int, str]) -> dict[str, float]:
    """One edit's lanes in figures: the print lane's CPU in its layouts and after its last one,
    the email lane's CPU, and how long the email lane is idle while the print lane works (wall)."""
    mine = [line for line in lines if line["end"] >= saved and (until is None or line["start"] < until)]

    def total(lane: str, steps: tuple[str, ...]) -> float:
        return 1000.0 * sum(float(line["cpu"]) for line in mine if names.get(line["pid"]) == lane and line["step"] in steps)

    def ends(lane: str, step: str) -> float:
        return max((line["end"] for line in mine if names.get(line["pid"]) == lane and line["step"] == step),
                   default=saved)

    return {"print_cpu_ms": total("print lane", ("render print",)),
            "print_layouts": sum(1 for line in mine if names.get(line["pid"]) == "print lane"
                                 and line["step"] == "HTML.render (styles, boxes, layout)"),
            "print_layouts_cpu_ms": total("print lane", ("parse HTML", "HTML.render (styles, boxes, layout)")),
            "print_after_layout_cpu_ms": total("print lane", AFTER_LAYOUT),
            "email_cpu_ms": total("email lane", ("render email",)),
            "email_idle_ms": (ends("print lane", "render print") - ends("email lane", "render email")) * 1000}


def _fix(text: str, chosen: str, context: int = 60) -> tuple[str, str]:
    """What the sentence-break search changed in ``text``: the span from its first to its last
    change, with ``context`` characters before it (so an insertion has a place)."""
    limit = min(len(text), len(chosen))
    first = next((i for i in range(limit) if text[i] != chosen[i]), limit)
    last = next((i for i in range(limit - first) if text[-1 - i] != chosen[-1 - i]), limit - first)
    start = max(0, first - context)
    return text[start:len(text) - last], chosen[start:len(chosen) - last]


def speculation(lines: list[dict[str, Any]], times: list[tuple[float, float]]) -> dict[str, Any]:
    """Would the previous edit's choice, applied to this edit's HTML, be this edit's choice?
    (What a lane laying out ahead would bet on.) Counted over the edits after the first."""
    choices = []
    for saved, _ in times:
        found = [line for line in lines if line["step"] == "choice" and line["start"] >= saved]
        choices.append(min(found, key=lambda line: line["start"]) if found else None)
    hits = misses = 0
    for before, now in itertools.pairwise(choices):
        if before is None or now is None:
            continue
        old, new = _fix(before["text"], before["chosen"])
        guess = now["text"].replace(old, new) if old and now["text"].count(old) == 1 else None
        if before["text"] == before["chosen"]:
            guess = now["text"]
        hits, misses = (hits + 1, misses) if guess == now["chosen"] else (hits, misses + 1)
    return {"previous_choice_hits": hits, "previous_choice_misses": misses}


def show(rows: list[dict[str, Any]], title: str) -> None:
    print(f"\n{title}\n{'process':<12} {'step':<44} {'start':>8} {'end':>8} {'wall':>7} {'CPU':>7} {'faults':>7}"
          "  (ms from the save; page faults)")
    for row in rows:
        step = "  " * row["depth"] + row["step"]
        print(f"{row['process']:<12} {step[:44]:<44} {row['start_ms']:8.1f} {row['end_ms']:8.1f} "
              f"{row['end_ms'] - row['start_ms']:7.1f} {row['cpu_ms']:7.1f} {row.get('faults', 0):7.0f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=6, help="edits in the watch session (the first included)")
    parser.add_argument("--starts", type=int, default=1,
                        help="watch sessions, one after the other: the first edit's figures are the medians of their first edits")
    parser.add_argument("--pause", type=float, default=SETTLE_S,
                        help="seconds before each later edit (5 tells an idle wait from the first edit)")
    parser.add_argument("--json", type=Path, help="write every edit's steps there")
    parser.add_argument("--edit", choices=("title", "intro"), default="title",
                        help="what each edit changes: the title (as bench/run.py), or the intro's first sentence")
    parser.add_argument("--verbose", action="store_true", help="print each edit's steps, not only the summary")
    args = parser.parse_args(argv)
    sessions: list[list[list[dict[str, Any]]]] = []  # each session's edits, each edit's rows
    figures: list[list[dict[str, float]]] = []
    warm_ups: list[list[dict[str, Any]]] = []
    hits = misses = 0
    for start in range(args.starts):
        with tempfile.TemporaryDirectory(prefix="brochure-timeline-") as temporary:
            lines, times, pid, ready = session(Path(temporary), args.edits, args.edit, args.pause)
        names = _who(lines, pid)
        # Before the first save: the start, the warm-up (ms from the start message read).
        warm_ups.append(edit_steps(lines, 0.0, times[0][0], names, origin=ready))
        edits = []
        for index, (saved, done) in enumerate(times):
            until = times[index + 1][0] if index + 1 < len(times) else None
            rows = edit_steps(lines, saved, until, names)
            rows.append({"process": "bench", "depth": 0, "step": "both PDFs changed on disk", "start_ms": 0.0,
                         "end_ms": (done - saved) * 1000, "cpu_ms": 0.0})
            edits.append(rows)
            if args.verbose:
                show(rows, f"session {start + 1}, edit {index + 1}{' (first)' if index == 0 else ''}")
        sessions.append(edits)
        figures.append([lane_figures(lines, saved, times[i + 1][0] if i + 1 < len(times) else None, names)
                        for i, (saved, _) in enumerate(times)])
        guessed = speculation(lines, times)
        hits, misses = hits + guessed["previous_choice_hits"], misses + guessed["previous_choice_misses"]
    show([row for row in summary(warm_ups) if row["end_ms"] > -15000 and not row["step"].startswith("gc: generation 0")],
         "before the first save (ms from the start message; warm-up)")
    firsts = [edits[0] for edits in sessions]
    laters = [rows for edits in sessions for rows in edits[1:]]
    show(summary(firsts), "first edit" + (f"s: medians of {len(firsts)}" if len(firsts) > 1 else ""))
    if laters:
        show(summary(laters), f"later edits: medians of {len(laters)}")
    for title, chosen in (("first edits", [f[0] for f in figures]), ("later edits", [x for f in figures for x in f[1:]])):
        if chosen:
            print(f"\nlanes, {title} (medians): " + ", ".join(f"{key} {statistics.median(f[key] for f in chosen):.1f}"
                                                           for key in chosen[0]))
    print(f"the previous edit's choice applied to the next edit's HTML is its choice: {hits} of {hits + misses} edits")
    print(f"\nload average: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    if args.json:
        args.json.write_text(json.dumps({"sessions": sessions, "warm_ups": warm_ups, "edits": sessions[0], "lanes": figures,
                                         "speculation": {"previous_choice_hits": hits, "previous_choice_misses": misses},
                                         "load": os.getloadavg()}, indent=1))
    return 0

if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        sys.exit(child(Path(sys.argv[2]), sys.argv[3:]))
    sys.exit(main())
