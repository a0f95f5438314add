"""Drawn extents: where something is printed in each panel or page of a PDF, from its pixels.

The layout check asks how full a printed panel is; words and pictures alone miss rules and
vector art such as a QR code, so the page is rendered (pypdfium2) and looked at as a reader
sees it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import pikepdf


class Placed(Protocol):
    """A panel or page: its name ("" for a page) and its box in PDF units."""

    @property
    def name(self) -> str: ...
    @property
    def box(self) -> tuple[float, float, float, float]: ...


Inked = dict[tuple[int, str], tuple[float, float]]
INK_DPI = 24  # enough to see a line of 9 pt type, a rule or a QR code


def drawn_extents(path: str | Path | bytes, pdf: pikepdf.Pdf, pages: Sequence[Sequence[Placed]], safe: float) -> Inked:
    """For each area, the lowest and highest point (PDF units) where something is drawn: its
    words, pictures, rules and vector art such as a QR code, from the rendered page
    (pypdfium2), as a reader sees it. A pixel counts when it differs from the area's
    commonest colour (its paper or tint); the area's safe zone (``safe`` points) is left out, so a background
    running to the trim does not count.

    ``path`` is the PDF file, which pdfium reads itself (no copy of it is made in memory), or its bytes;
    ``pdf``, the same file open in pikepdf, gives each page's MediaBox as the other checks read it."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(path if isinstance(path, bytes) else str(path))
    found: Inked = {}
    try:
        for index, areas_ in enumerate(pages):
            page = document[index]
            left, _, _, top = (float(v) for v in pdf.pages[index].mediabox)
            image = page.render(scale=INK_DPI / 72).to_pil().convert("L")
            scale = INK_DPI / 72
            for area in areas_:
                x0, y0, x1, y1 = area.box
                crop = image.crop((round((x0 + safe - left) * scale), round((top - y1 + safe) * scale),
                                   round((x1 - safe - left) * scale), round((top - y0 - safe) * scale)))
                if crop.width < 1 or crop.height < 1:
                    continue
                histogram = crop.histogram()
                common = max(range(256), key=lambda v: histogram[v])
                # The pixels far from the commonest grey, and the rows they span (Pillow does
                # the looking, not a Python loop over every pixel).
                drawn = crop.point([255 if abs(v - common) > 40 else 0 for v in range(256)]).getbbox()
                if drawn:
                    first, end = drawn[1], drawn[3]  # the first row drawn on, and the row after the last
                    found[(index, area.name)] = (top - safe - end / scale, top - safe - first / scale)
    finally:
        document.close()
    return found
