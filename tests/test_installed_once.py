"""Each installer of render/ wraps WeasyPrint once, on its own as under ``patches.install``'s lock: two threads
calling it at once (the studio's first renders, a test, a tool that installs one patch) do not wrap it twice;
and ``BROCHURE_MEMOS=off`` turns the parsed stylesheets off too (render/stylesheets.py, on ``memos.Kept``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import HANG, REPO

RACE = r'''
import builtins, importlib, threading, sys
from brochure.render import hotpaths, stylesheets
install, held = {"hotpaths": hotpaths.install, "stylesheets": stylesheets.install}[sys.argv[1]], sys.argv[2]
real_import, real_import_module = builtins.__import__, importlib.import_module
second_done, first_inside = threading.Event(), threading.Event()

def hold(name):
    # The first thread, midway through its install, lets the second install meanwhile.
    if name == held and threading.current_thread().name == "first":
        first_inside.set()
        second_done.wait(3)  # the second is held by the installer's lock (fixed), or has installed (the race)

def import_module(name, *args, **kwargs):
    hold(name)
    return real_import_module(name, *args, **kwargs)

def import_(name, *args, **kwargs):
    hold(name)
    return real_import(name, *args, **kwargs)

importlib.import_module, builtins.__import__ = import_module, import_
first = threading.Thread(target=install, name="first")
first.start()
assert first_inside.wait(300)
second = threading.Thread(target=lambda: (install(), second_done.set()), name="second")
second.start()
first.join(300)
second.join(300)
importlib.import_module, builtins.__import__ = real_import_module, real_import
if sys.argv[1] == "hotpaths":
    print("wrapped twice:", hotpaths._ORIGINAL["check_math"] is hotpaths.check_math_fast)
else:
    from weasyprint import CSS
    inner = [cell.cell_contents for cell in CSS.__init__.__closure__ or () if callable(cell.cell_contents)]
    print("wrapped twice:", any(getattr(f, "__module__", "") == stylesheets.__name__ for f in inner))
from weasyprint import HTML
HTML(string="<style>p { width: calc(50% + 1px) }</style><p>two threads</p>").write_pdf()
print("rendered")
'''


@pytest.mark.parametrize(("installer", "held"), [("hotpaths", "weasyprint.layout.table"), ("stylesheets", "weasyprint.urls")])
def test_an_installer_called_by_two_threads_at_once_on_its_own_wraps_weasyprint_once(
        tmp_path: Path, installer: str, held: str) -> None:
    """Before, these set a module flag without a lock: safe only inside ``patches.install``; the second thread,
    run midway through the first's install, had it wrap WeasyPrint's function again (hotpaths: its own
    ``check_math`` taken for WeasyPrint's, a recursion without end at the next render)."""
    done = subprocess.run([sys.executable, "-c", RACE, installer, held], capture_output=True, text=True,
                          timeout=HANG, cwd=REPO)
    assert "wrapped twice: False" in done.stdout and "rendered" in done.stdout, done.stdout + done.stderr[-2000:]


PARSES = r'''
import tinycss2
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from brochure.render import patches
patches.install()
fonts = FontConfiguration()  # one for the three, as a warm build's (a sheet is kept with its fonts)
calls = []
parse = tinycss2.parse_stylesheet
tinycss2.parse_stylesheet = lambda *args, **kwargs: (calls.append(1), parse(*args, **kwargs))[1]
for _ in range(3):
    HTML(string="<style>p { color: #1d5c73 }</style><p>three renders</p>").write_pdf(font_config=fonts)
print("parsed", len(calls))
'''


@pytest.mark.parametrize("env", [{}, {"BROCHURE_MEMOS": "off"}, {"BROCHURE_STYLESHEETS": "off"}])
def test_brochure_memos_off_parses_every_stylesheet_as_weasyprint_does(env: dict[str, str]) -> None:
    """Before, the parsed stylesheets were kept whatever BROCHURE_MEMOS said: "off" did not make a render as
    WeasyPrint alone makes it. On, a sheet is parsed once for the three renders (WeasyPrint's own
    user-agent sheets are not documents' sheets: parsed by WeasyPrint once, at import)."""
    clean = {k: v for k, v in os.environ.items() if k not in ("BROCHURE_MEMOS", "BROCHURE_STYLESHEETS")}
    done = subprocess.run([sys.executable, "-c", PARSES], capture_output=True, text=True, timeout=HANG, cwd=REPO,
                          env={**clean, **env})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["parsed", "3" if env else "1"], done.stdout
