"""Job: one PDF to render, as plain data, rendered here or on a pool of warm worker processes.

A build renders a unit's PDFs (one per output kind) one after the other. ``watch`` and
``serve`` have a second core idle while staff wait for the edit, so they hand ``render_in``
warm worker processes (``lanes``: WeasyPrint imported, fonts and stylesheets loaded): a
unit's PDFs then render at the same time, each kind in its own lane. A job is plain data
(picklable) for that reason, and its result, ``pdf.Rendered``, is the PDF's bytes: the
build still writes them, atomically, and records them in the manifest itself.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..outputs import KINDS
from . import flow, marks, pdf, trifold
from .assets import BUNDLED
from .lanes import Lanes, Lost
from .paper import BLEEDS, SHEETS


@dataclass(frozen=True)
class Job:
    """Everything one PDF is rendered from: its HTML and how to make and finish the PDF."""

    html: str
    output: str  # a key of ``outputs.KINDS``
    layout: str  # "trifold" or "handout"
    paper: str  # a key of SHEETS
    bleed: str  # a key of BLEEDS
    content_dir: Path
    epoch: int
    profile: Path | None = None
    descriptions: dict[str, str] | None = None
    # The hash of the bytes validation checked, per picture, font and profile the content names
    # (``described.checked_files``): the PDF is drawn from those bytes or not at all.
    checked: dict[Path, str] | None = None


def finisher(job: Job) -> Callable[[bytes, Any], bytes] | None:
    """The tri-fold's print PDF is laid out as six panel pages, then imposed on the sheet; the
    handout's gets crop marks in the registration colour. A kind not cut at a trim (the office
    PDF) is its page alone: a tri-fold's sheet imposed with neither bleed nor marks, two
    landscape pages to print on both sides, and no box beyond the page."""
    kind = KINDS[job.output]
    if kind.sheet and job.layout == "trifold":
        sheet = SHEETS[job.paper]
        if not kind.trimmed:
            return lambda data, document: marks.trim_only(trifold.impose(data, document, sheet, crop=False))
        bleed = BLEEDS[job.bleed]
        return lambda data, document: trifold.impose(data, document, sheet, bleed)
    if kind.trimmed:
        return lambda data, document: marks.add_crop_marks(data)
    if kind.sheet:  # for a desktop printer: the page, and no box beyond it
        return lambda data, document: marks.trim_only(data)
    return None


def render(job: Job, search: bool = True) -> pdf.Rendered:
    """Render one job in this process; raises what ``pdf.render_pdf`` and the finisher raise.
    Without ``search``, the tri-fold's panels are left where WeasyPrint ends them."""
    imported()
    # The tri-fold's panels end at sentence ends: chosen between layout and PDF (flow).
    sheet = search and KINDS[job.output].sheet and job.layout == "trifold"
    try:
        return pdf.render_pdf(job.html, output=job.output, base_dir=job.content_dir,
                              roots=[job.content_dir, BUNDLED], epoch=job.epoch, finish=finisher(job),
                              profile=job.profile, bleed=BLEEDS[job.bleed], descriptions=job.descriptions,
                              choose=flow.sentence_breaks(pdf.OPTIONS[job.output]) if sheet else None,
                              forget=flow.CHOSEN.clear if sheet else None, checked=job.checked)
    except pdf.RenderError as error:
        error.output = job.output  # type: ignore[attr-defined]  # which PDF, for the message (pickled with it)
        raise


_LANES: tuple[Lanes, int] | None = None  # the lanes, and the process that may use them
_LANES_LOCK = threading.Lock()


def render_in(lanes: Lanes | None) -> None:
    """Render each unit's PDFs in ``lanes`` from now on, at the same time; None: here, in turn.

    Only this process uses them: a batch's workers forked from it render in turn, each in its
    own process (the batch is their parallelism)."""
    global _LANES
    with _LANES_LOCK:
        _LANES = (lanes, os.getpid()) if lanes is not None else None


def pooled() -> bool:
    """Whether this process renders in lanes of warm workers (``render_in``)."""
    return _LANES is not None and _LANES[1] == os.getpid()


def imported() -> None:
    """WeasyPrint imported, as rendering imports it; done before a fork (``forked``), the child
    starts with it, where each process would import it for itself.

    WeasyPrint opens Pango, HarfBuzz and fontconfig by trying names made for each platform in
    turn (``weasyprint.text.ffi._dlopen``); each name that is not a file to open asks
    ``ctypes.util.find_library``, which on Linux runs ``ldconfig -p`` and then gcc and ld:
    22 ldconfig and 16 gcc runs, about 0.2 s of CPU, before the ``libpango-1.0.so.0`` name,
    which opens at once. On Linux, when the loader opens each library by that file name, the
    lookup is skipped while WeasyPrint is imported; otherwise WeasyPrint looks as it does."""
    if "weasyprint.text.fonts" in sys.modules:
        return
    if sys.platform == "linux" and _opens_by_name():
        import ctypes.util

        looked_up = ctypes.util.find_library
        ctypes.util.find_library = lambda name: None
        try:
            import weasyprint.text.fonts
        finally:
            ctypes.util.find_library = looked_up
    import weasyprint.text.fonts  # noqa: F401


# The file names WeasyPrint's list for each library it needs holds for Linux.
_SONAMES = ("libgobject-2.0.so.0", "libpango-1.0.so.0", "libharfbuzz.so.0", "libfontconfig.so.1",
            "libpangoft2-1.0.so.0")


def _opens_by_name() -> bool:
    """Whether the loader opens each library WeasyPrint needs by its file name (then it needs
    no lookup); they stay loaded, as WeasyPrint loads them anyway."""
    import ctypes

    try:
        for name in _SONAMES:
            ctypes.CDLL(name)
    except OSError:
        return False
    return True


def render_all(jobs: list[Job]) -> list[pdf.Rendered]:
    """The PDFs of ``jobs``, in their order. In the lanes when there are some (each kind in
    the lane where it is warm, one job too); lanes of which one ended (killed, out of memory)
    are dropped and the jobs render here. The first job's error is raised first, as when they
    render in turn."""
    lanes = _LANES[0] if _LANES is not None and _LANES[1] == os.getpid() else None
    if lanes is None or not jobs:
        return [render(job) for job in jobs]
    try:
        return lanes.render(jobs)
    except Lost:
        render_in(None)
        return [render(job) for job in jobs]
