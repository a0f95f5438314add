"""Proof: PNG pictures of every PDF page, with trim, bleed and fold lines on print proofs.

Staff look at these instead of opening a PDF viewer after every edit; the live preview
shows them too. Pages are rendered by PDFium (pypdfium2, Chromium's PDF engine), so the
picture is what a reader's viewer shows, not what we think we drew.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from .files import write_atomic
from .render.paper import SHEETS

DEFAULT_DPI = 150
TRIM = (220, 0, 120)  # magenta: the cut
BLEED = (0, 150, 220)  # cyan: where backgrounds must reach
FOLD = (0, 170, 80)  # green: the folds


def _folds(width: float, height: float, page_index: int) -> list[float]:
    """Fold positions (points from the trim's left) when the trim is a known tri-fold sheet."""
    for sheet in SHEETS.values():
        if abs(sheet.width - width) < 0.5 and abs(sheet.height - height) < 0.5:
            widths = sheet.panels if page_index % 2 == 0 else tuple(reversed(sheet.panels))
            return [widths[0], widths[0] + widths[1]]
    return []


def _draw_guides(image: object, page: object, scale: float, page_index: int) -> None:
    from PIL import ImageDraw

    media = page.get_mediabox()  # type: ignore[attr-defined]
    trim = page.get_trimbox()  # type: ignore[attr-defined]
    bleed = page.get_bleedbox()  # type: ignore[attr-defined]
    if tuple(trim) == tuple(media):
        return  # an email PDF: no bleed, nothing to cut

    def box(rect: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        left, bottom, right, top = rect
        return ((left - media[0]) * scale, (media[3] - top) * scale,
                (right - media[0]) * scale, (media[3] - bottom) * scale)

    draw = ImageDraw.Draw(image)  # type: ignore[arg-type]
    width = max(1, round(scale / 2))
    draw.rectangle(box(bleed), outline=BLEED, width=width)
    draw.rectangle(box(trim), outline=TRIM, width=width)
    for x in _folds(trim[2] - trim[0], trim[3] - trim[1], page_index):
        px = (trim[0] + x - media[0]) * scale
        top, bottom = (media[3] - bleed[3]) * scale, (media[3] - bleed[1]) * scale
        for y in range(round(top), round(bottom), 12 * width):  # dashed, like a fold mark
            draw.line([(px, y), (px, min(y + 6 * width, bottom))], fill=FOLD, width=width)


def existing_proofs(pdf: Path, out_dir: Path) -> list[Path]:
    """The proofs of ``pdf`` on disk, by page ("flu-print" does not claim "flu-print-guide-print-1")."""
    pattern = re.compile(re.escape(pdf.stem) + r"-(\d+)")
    found = [p for p in (out_dir / "proof").glob("*.png") if pattern.fullmatch(p.stem)]
    return sorted(found, key=lambda p: int(p.stem.rsplit("-", 1)[1]))


def proof_paths(pdf: Path, out_dir: Path, pages: int) -> list[Path]:
    """``out/proof/<pdf name>-<page>.png`` for each page, counted from 1."""
    return [out_dir / "proof" / f"{pdf.stem}-{number}.png" for number in range(1, pages + 1)]


def render_proofs(pdf: Path, out_dir: Path, dpi: int = DEFAULT_DPI, guides: bool = True) -> list[Path]:
    """Write a PNG of every page of ``pdf``; return their paths."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf))
    try:
        paths = proof_paths(pdf, out_dir, len(document))
        for index, path in enumerate(paths):
            page = document[index]
            scale = dpi / 72
            image = page.render(scale=scale, may_draw_forms=True).to_pil().convert("RGB")
            if guides:
                _draw_guides(image, page, scale, index)
            buffer = io.BytesIO()
            image.save(buffer, format="PNG", optimize=False)
            write_atomic(path, buffer.getvalue())
        for stale in existing_proofs(pdf, out_dir):
            if stale not in paths:
                stale.unlink()  # pages that no longer exist
        return paths
    finally:
        document.close()
