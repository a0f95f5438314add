"""Review of keeping pages across builds (render/previous.py, resume.py): a warm process's build against a fresh one's.

Each test makes, in one warm process, a sequence of builds where a page kept from the last build's layout could
carry what the new build must not show, and compares every PDF with the one a fresh process writes cold with every
memo off (sha256), the standard of tests/test_previous.py (its helpers are used here).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import SEED_LOGO, seed_project
from PIL import Image
from test_previous import _cold, _warm


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
