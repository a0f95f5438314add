"""Review of the drawing memos (render.drawn, render.deflate, render.vectors, tagging.mend's memo):
attacks that look for a PDF, a warning or a memory bound that differs with the memos on.

Each PDF made with the memos warm (from other documents first) is compared with the PDF the
same inputs give with the memos off; each warning WeasyPrint says without them is said with them.
"""

from __future__ import annotations

import base64
import io
import logging
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from conftest import REPO

from brochure.render import deflate, drawn, patches, vectors

FONTS = REPO / "templates" / "fonts"
ARABIC = REPO / "tests" / "corpus" / "fonts" / "NotoNaskhArabic-Regular.ttf"
IDENTIFIER = b"1" * 32
MEMOS = (drawn, deflate, vectors)


@pytest.fixture(autouse=True)
def _memos(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    for memo in MEMOS:
        memo.enabled(True)
    yield
    for memo in MEMOS:
        memo.enabled(True)


def _pdf(html: str, fonts: Any, **options: Any) -> bytes:
    from weasyprint import HTML

    patches.install()
    document = HTML(string=html, base_url=str(REPO) + "/").render(font_config=fonts, **options)
    return bytes(document.write_pdf(pdf_identifier=IDENTIFIER, **options))


def _cold(html: str, fonts: Any, **options: Any) -> bytes:
    for memo in MEMOS:
        memo.enabled(False)
    try:
        return _pdf(html, fonts, **options)
    finally:
        for memo in MEMOS:
            memo.enabled(True)


def _faces(extra: str = "") -> str:
    faces = "".join(
        f"@font-face {{ font-family: 'Open Sans'; font-weight: {weight}; font-style: {style}; "
        f"src: url('{(FONTS / name).as_uri()}') }}"
        for weight, style, name in ((400, "normal", "OpenSans-Regular.ttf"), (700, "normal", "OpenSans-Bold.ttf"),
                                    (400, "italic", "OpenSans-Italic.ttf")))
    return faces + f"@font-face {{ font-family: 'Naskh'; src: url('{ARABIC.as_uri()}') }}" + extra


# -- drawn lines -------------------------------------------------------------------------------

COLR_FAMILY = "Painted"


def _colr_font(folder: Path) -> Path:
    """Open Sans with a COLR/CPAL colour layer on "A": a colour (emoji-like) font."""
    from fontTools.colorLib.builder import buildCOLR, buildCPAL
    from fontTools.ttLib import TTFont

    with TTFont(FONTS / "OpenSans-Regular.ttf") as font:
        glyph = font.getBestCmap()[ord("A")]
        font["COLR"] = buildCOLR({glyph: [(glyph, 0)]})
        font["CPAL"] = buildCPAL([[(0.8, 0.1, 0.1, 1.0)]])
        path = folder / "painted.ttf"
        font.save(path)
    return path


class _HarfBuzz7:
    """HarfBuzz 7 to 12 as WeasyPrint sees it on a machine without harfbuzz-vector: COLR fonts noticed
    (``Font.colr``) and a warning said when the PDF's font is made (this machine's HarfBuzz is older)."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def hb_version_atleast(self, *version: int) -> bool:
        return True

    def hb_ot_color_has_paint(self, face: Any) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_a_warning_said_as_a_pdf_font_is_made_is_said_with_the_memo_on(tmp_path, monkeypatch, caplog):
    """WeasyPrint warns once per PDF when it makes the PDF font of a COLR font it cannot draw in colour
    (``Font.__init__``). The memo makes a font's first PDF font while it records a line, its warnings
    quiet: the line then drawn by WeasyPrint finds the font made and says nothing: the warning was lost."""
    from weasyprint.pdf import fonts as pdf_fonts
    from weasyprint.text.fonts import FontConfiguration

    font = _colr_font(tmp_path)
    monkeypatch.setattr(pdf_fonts, "harfbuzz", _HarfBuzz7(pdf_fonts.harfbuzz))
    monkeypatch.setattr(pdf_fonts, "harfbuzz_vector", None)
    html = (f"<html><head><style>@font-face {{ font-family: {COLR_FAMILY}; src: url('{font.as_uri()}') }} "
            f"p {{ font-family: {COLR_FAMILY} }}</style></head><body><p>A painted Apple</p></body></html>")
    fonts = FontConfiguration()

    def said() -> int:
        return sum("COLR" in record.getMessage() for record in caplog.records)

    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        cold = _cold(html, fonts)
        assert said() == 1  # WeasyPrint's own: once for the PDF
        warm = [_pdf(html, fonts) for _ in range(2)]
        assert said() == 3, "a warning WeasyPrint says for each PDF was not said with the memo on"
    assert warm == [cold, cold]
