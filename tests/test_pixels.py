"""Pixels: the print handout's cover band really runs into the bleed, and no farther.

Page 1 of the print PDF is separated by Ghostscript into CMYK at 72 dpi, so 1 px = 1 pt,
and each pixel is compared with the theme colour as the print profile makes it CMYK. The sheet
(MediaBox) starts outside the trim (-27 pt today), so the trim is ``inset`` px from the
image's edge; the bleed band is the 9 pt just outside the trim.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import PRIMARY, build_variant, printed, render_cmyk

BLEED = 9  # pt
TOLERANCE = 8  # per channel, out of 255
NO_INK = (0, 0, 0, 0)


def close(pixel: tuple[int, ...], colour: tuple[int, ...]) -> bool:
    return all(abs(a - b) <= TOLERANCE for a, b in zip(pixel, colour))


class Page:
    """Page 1 rendered at 1 px per pt, with the trim's position on the image."""

    def __init__(self, pdf: Path) -> None:
        import pypdfium2 as pdfium

        document = pdfium.PdfDocument(str(pdf))
        try:
            page = document[0]
            media = page.get_mediabox()
            trim = page.get_trimbox()
        finally:
            document.close()
        self.image = render_cmyk(pdf)
        # Image x grows right from the media's left; image y grows down from the media's top.
        self.left = round(trim[0] - media[0])
        self.top = round(media[3] - trim[3])
        self.right = round(trim[2] - media[0])   # first px column right of the trim
        self.bottom = round(media[3] - trim[1])
        assert self.image.size == (round(media[2] - media[0]), round(media[3] - media[1]))

    def at(self, x: int, y: int) -> tuple[int, int, int, int]:
        return self.image.getpixel((x, y))

    def bleed_points(self) -> dict[str, tuple[int, int]]:
        """The middle of the bleed band above the trim and on both sides of the cover band."""
        half = BLEED // 2
        centre = (self.left + self.right) // 2
        return {"top": (centre, self.top - half),
                "top-left": (self.left + 40, self.top - half),
                "left": (self.left - half, self.top + 40),
                "right": (self.right + half, self.top + 40)}

    def beyond_bleed_points(self) -> dict[str, tuple[int, int]]:
        """Outside the bleed, away from the crop marks (which sit near the trim's corners)."""
        out = BLEED + 6
        centre = (self.left + self.right) // 2
        return {"top": (centre, self.top - out),
                "left": (self.left - out, self.top + 40),
                "right": (self.right + out, self.top + 40),
                "left-lower": (self.left - out, (self.top + self.bottom) // 2)}


@pytest.fixture(scope="module")
def page1(handout) -> Page:
    return Page(handout.print)


def test_geometry_is_what_the_pdf_says(page1):
    assert page1.left >= BLEED + 6 and page1.top >= BLEED + 6, "no room outside the bleed to test"
    assert page1.right - page1.left == 612


def test_bleed_band_has_the_primary_colour(page1):
    for where, (x, y) in page1.bleed_points().items():
        assert close(page1.at(x, y), printed(PRIMARY)), (where, (x, y), page1.at(x, y))


def test_bleed_band_is_filled_to_its_outer_edge(page1):
    """The colour reaches the bleed's outer edge (the last px inside it), not just its middle."""
    centre = (page1.left + page1.right) // 2
    assert close(page1.at(centre, page1.top - BLEED), printed(PRIMARY))
    assert close(page1.at(page1.left - BLEED, page1.top + 40), printed(PRIMARY))
    assert close(page1.at(page1.right + BLEED - 1, page1.top + 40), printed(PRIMARY))


def test_beyond_the_bleed_is_white(page1):
    for where, (x, y) in page1.beyond_bleed_points().items():
        assert page1.at(x, y) == NO_INK, (where, (x, y), page1.at(x, y))


def test_theme_primary_changes_the_bleed(tmp_path, handout):
    assert handout.brochure.theme.primary == PRIMARY
    colour = "#b0306a"
    page = Page(build_variant(tmp_path, theme={"primary": colour}).print)
    for where, (x, y) in page.bleed_points().items():
        assert close(page.at(x, y), printed(colour)), (where, page.at(x, y))
        assert not close(page.at(x, y), printed(PRIMARY)), where
