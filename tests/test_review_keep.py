"""Review of keeping pages across builds (render/previous.py, resume.py): a warm process's build against a fresh one's.

Each test makes, in one warm process, a sequence of builds where a page kept from the last build's layout could
carry what the new build must not show, and compares every PDF with the one a fresh process writes cold with every
memo off (sha256), the standard of tests/test_previous.py (its helpers are used here).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import test_previous
from conftest import HANG, REPO, SEED_LOGO, seed_project
from PIL import Image
from test_previous import _cold, _env, _warm

# test_previous's warm process, and each step's "links": a symbolic link of the project pointed at another file.
WARM_LINKS = test_previous.WARM.replace("    kept.clear()\n", """    kept.clear()
    for name, target in step.get("links", {}).items():
        (folder / name).unlink()
        (folder / name).symlink_to(target)
""", 1)
assert WARM_LINKS != test_previous.WARM


def _warm_links(folder: Path, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    run = subprocess.run([sys.executable, "-c", WARM_LINKS, str(folder), str(folder.parent / "warm"), json.dumps(steps)],
                         env=_env(), cwd=REPO, capture_output=True, text=True, timeout=HANG * 2)
    assert run.returncode == 0, run.stderr
    return list(json.loads(run.stdout))


def _dot(path: Path, colour: tuple[int, int, int]) -> Path:
    Image.new("RGB", (8, 8), colour).save(path)
    return path


def test_a_picture_an_svg_draws_replaced_under_its_name_is_drawn_anew(tmp_path: Path) -> None:
    """The logo is an SVG that draws a PNG of the project (``<image href="dot.png">``). WeasyPrint fetches that PNG
    only when it draws the PDF, through the layout the SVG was made in; a page kept from the last build kept that
    SVG with it, so the dot replaced under its name came out as the last build read it (the old colour), and the
    new build, which never read it before drawing, could not tell. Fixed in resume (``_draws_files``): such a
    picture is never the same as another layout's, the page with it is laid out again."""
    folder = tmp_path / "clinic"
    seed_project(folder)
    logo = SEED_LOGO.read_text(encoding="utf-8")
    (folder / "logo.svg").write_text(logo.replace("</svg>", '<image href="dot.png" x="0" y="0" width="60" height="60"/></svg>'),
                                     encoding="utf-8")
    _dot(folder / "dot.png", (220, 30, 30))
    blue = _dot(tmp_path / "blue.png", (30, 30, 220))
    steps: list[dict[str, Any]] = [{"writes": {}}, {"writes": {"dot.png": f"copy:{blue}"}}]
    warm = _warm(folder, steps)
    assert all("error" not in report for seen in warm for report in seen["pdfs"]), warm
    cold = _cold(folder / "content.yaml", tmp_path / "cold")
    assert warm[1]["pdfs"][0] == cold, (warm, cold)  # before the fix: the same bytes as step 0, the red dot
    assert warm[1]["pdfs"][0] != warm[0]["pdfs"][0]


def test_a_picture_s_link_pointed_at_another_file_is_drawn_anew(tmp_path: Path) -> None:
    """logo.svg is a symbolic link to logo-a.svg, then pointed at logo-b.svg (another colour): the HTML names
    logo.svg both times. The fetcher told resume only the file it read (the link's target), so the new build read
    logo-b.svg, a file the last layout never read, found no file read with other bytes, and kept every page with
    the old logo drawn. Fixed in pdf.py's fetcher: the name read through a link is told too, with the bytes read."""
    folder = tmp_path / "clinic"
    seed_project(folder)
    logo = SEED_LOGO.read_text(encoding="utf-8")
    (folder / "logo-a.svg").write_text(logo, encoding="utf-8")
    (folder / "logo-b.svg").write_text(logo.replace("#1d5c73", "#7a1d73"), encoding="utf-8")
    (folder / "logo.svg").unlink()
    (folder / "logo.svg").symlink_to("logo-a.svg")
    warm = _warm_links(folder, [{"writes": {}}, {"writes": {}, "links": {"logo.svg": "logo-b.svg"}}])
    assert all("error" not in report for seen in warm for report in seen["pdfs"]), warm
    assert (folder / "logo.svg").resolve().name == "logo-b.svg"
    cold = _cold(folder / "content.yaml", tmp_path / "cold")
    assert warm[1]["pdfs"][0] == cold, (warm, cold)  # before the fix: step 0's bytes, the old logo
    assert warm[1]["pdfs"][0] != warm[0]["pdfs"][0]


def test_a_short_article_s_panels_are_filled_as_a_fresh_process_fills_them(tmp_path: Path) -> None:
    """A tri-fold whose article leaves the inside panels empty is filled (render/panels.py): the sections counted
    and the breaks chosen on tall layouts of the article, by each box's element. A title edit kept the tall
    article page of the last build's measure, whose boxes hold the last build's elements, which panels looked
    for in the new tree: no section found, so the flap took the intro and the contact block instead of the
    article's start (the back panel left without its contact block). Fixed in panels: each kept page's element
    is taken as this layout's (resume's ``elements``, as flow does), and the tree is the layout's own."""
    folder = tmp_path / "corpus"
    shutil.copytree(REPO / "tests" / "corpus", folder)
    name = "long-trifold.yaml"
    text = (folder / name).read_text(encoding="utf-8")
    title = next(line for line in text.splitlines() if line.startswith("title: "))
    titled = text.replace(title, f"{title} Now", 1)
    body = titled.replace("Almost everyone has back pain", "Almost everyone has some back pain", 1)
    assert body != titled != text
    steps: list[dict[str, Any]] = [{"writes": {}, "build": [name]}, {"writes": {name: titled}, "build": [name]},
                                   {"writes": {name: body}, "build": [name]}]
    warm = _warm(folder, steps)
    assert all("error" not in report for seen in warm for report in seen["pdfs"]), warm
    assert warm[1]["kept"]["print"][0] > 0, warm  # the title edit kept pages: what this is about
    for n, (step, seen) in enumerate(zip(steps[1:], warm[1:]), 1):
        (folder / name).write_text(step["writes"][name], encoding="utf-8")
        cold = _cold(folder / name, tmp_path / "cold" / str(n))
        assert seen["pdfs"][0] == cold, (n, seen, cold)  # before the fix: the title edit's print PDF differed
