"""Review of session 10's tidy merge (memos.Kept, a render's own thread's messages): what broke when attacked."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from conftest import REPO

from brochure.render import memos
from brochure.render.pdf import render_pdf

FONT = REPO / "templates" / "fonts" / "OpenSans-Regular.ttf"
HEAD = ('<html lang="en"><head><title>Page</title><style>@font-face { font-family: "Open Sans"; src: url(sans.ttf) }'
        ' body { font-family: "Open Sans" } %s</style></head><body><p>%s</p></body></html>')
ODD = "brochure-review-probe"  # a property WeasyPrint does not know: it warns "Ignored ..." for it


def test_a_warning_is_kept_when_the_host_turns_thread_ids_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``logging.logThreads = False`` (a host app's speed setting) leaves ``record.thread`` None: a render's
    collector must keep its messages then (as stylesheets' ``_Records`` does), never drop them all."""
    folder = tmp_path / "project"
    folder.mkdir()
    shutil.copyfile(FONT, folder / "sans.ttf")
    monkeypatch.setattr(logging, "logThreads", False)
    rendered = render_pdf(HEAD % (f"p {{ {ODD}: 1 }}", "odd"), "email", folder, [folder], 1_700_000_000)
    assert any(ODD in warning for warning in rendered.warnings), rendered.warnings


def test_a_replaced_entry_is_the_most_recently_used() -> None:
    """``put(key, value, replace=True)`` of a kept key keeps the new value as the most recently used: the next
    eviction drops the oldest other entry, not the one just put."""
    kept: memos.Kept[str, int] = memos.Kept("BROCHURE_REVIEW_PROBE", lambda: 2)
    try:
        kept.put("a", 1)
        kept.put("b", 2)
        kept.put("a", 3, replace=True)
        kept.put("c", 4)
        assert kept.get("a") == 3 and kept.get("b") is None, list(kept.items())
    finally:
        memos._ALL.remove(kept)


RACE = r'''
import importlib, threading, sys
from brochure.render import hotpaths, patches
real = importlib.import_module
second_done = threading.Event()
first_inside = threading.Event()

def import_module(name, *args, **kwargs):
    # The first thread, its check_math and strut already put in WeasyPrint, lets the second install meanwhile.
    if name == "weasyprint.layout.table" and threading.current_thread().name == "first":
        first_inside.set()
        second_done.wait(3)  # the second is held by a lock (fixed) or has installed again (the race)
    return real(name, *args, **kwargs)

importlib.import_module = import_module
first = threading.Thread(target=patches.install, name="first")
first.start()
assert first_inside.wait(300)
second = threading.Thread(target=lambda: (patches.install(), second_done.set()), name="second")
second.start()
first.join(300)
second.join(300)
importlib.import_module = real
print("original is ours:", hotpaths._ORIGINAL["check_math"] is hotpaths.check_math_fast,
      hotpaths._ORIGINAL["strut"] is hotpaths.strut)
from weasyprint import HTML
HTML(string="<p style='width: calc(50% + 1px)'>two threads</p>").write_pdf()
print("rendered")
'''


def test_patches_installed_by_two_threads_at_once_wrap_weasyprint_once(tmp_path: Path) -> None:
    """The studio's first two renders call ``patches.install()`` at once: an installer without a lock
    (hotpaths) run by the second thread midway through the first's took brochure's own ``check_math`` and
    ``strut`` for WeasyPrint's originals, and every later render recursed without end."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", RACE], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert "original is ours: False False" in done.stdout and "rendered" in done.stdout, done.stdout + done.stderr[-2000:]


def test_a_stylesheet_replayed_on_another_thread_says_its_warnings(tmp_path: Path) -> None:
    """The studio answers each preview on a thread of its own: a stylesheet parsed by an earlier preview's
    thread is replayed (``stylesheets._replay``) with its messages, which must reach this render's collector
    (it keeps only its own thread's), not be dropped as another thread's."""
    import threading

    from brochure.render.pdf import Rendered

    folder = tmp_path / "project"
    folder.mkdir()
    shutil.copyfile(FONT, folder / "sans.ttf")
    results: list[Rendered] = []

    def run(words: str) -> None:
        results.append(render_pdf(HEAD % (f"p {{ {ODD}: 2 }}", words), "email", folder, [folder], 1_700_000_000))

    for words in ("first preview", "second preview"):
        thread = threading.Thread(target=run, args=(words,))
        thread.start()
        thread.join(600)
    assert len(results) == 2
    for rendered in results:
        assert any(ODD in warning for warning in rendered.warnings), rendered.warnings


class _Fonts:
    """A stand-in for a FontConfiguration: the memos only compare it by identity."""


def test_a_line_kept_after_its_fonts_were_dropped_is_not_kept() -> None:
    """``fontsets.drop`` (a font saved while watch or the studio runs) forgets what each memo keeps with the old
    configuration, while a render on another thread still lays out with it: what that render puts afterwards
    must not be kept, each entry holding the dropped configuration (and its copies of the fonts) alive."""
    kept: memos.Kept[str, tuple[str, _Fonts]] = memos.Kept("BROCHURE_REVIEW_PROBE", lambda: 8, fonts=lambda v: v[1])
    try:
        old, new = _Fonts(), _Fonts()
        kept.put("before", ("line", old))
        memos.forget(old)  # fontsets.drop, on the thread that saw the font saved
        kept.put("after", ("line", old))  # the render still under way with the old configuration
        kept.put("fresh", ("line", new))
        assert kept.get("before") is None and kept.get("after") is None, list(kept.items())
        assert kept.get("fresh") == ("line", new)
    finally:
        memos._ALL.remove(kept)
