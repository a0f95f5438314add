"""Proof: PNG pictures of every PDF page, with trim, bleed and fold lines on print proofs.

Staff look at these instead of opening a PDF viewer after every edit; the live preview
shows them too. Pages are rendered by PDFium (pypdfium2, Chromium's PDF engine), so the
picture is what a reader's viewer shows, not what we think we drew.

Each set of proofs is tied to the PDF bytes it was drawn from: every PNG carries the PDF's
name and sha256 in its metadata, and ``out/proof/<pdf name>.json`` records that hash, the
resolution, the guides and each PNG's own hash. A proof on disk is reused only when all of
them still match (``current_proofs``); otherwise it is drawn again. A medical director must
never approve words from proofs of an older PDF.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

from .files import read_cache, write_atomic
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


def record_path(pdf: Path, out_dir: Path) -> Path:
    """``out/proof/<pdf name>.json``: what the proofs of ``pdf`` were drawn from."""
    return out_dir / "proof" / f"{pdf.name}.json"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


MAX_BYTES = 1 << 28  # a proof or its record larger than this was not drawn by brochure


def _record(pdf: Path, out_dir: Path) -> Any:
    """The record of ``pdf``'s proofs as JSON; ValueError when it is no file brochure wrote
    (missing, a link, a pipe, a device, too large: a pipe would be waited on forever)."""
    data = read_cache(record_path(pdf, out_dir), MAX_BYTES)
    if data is None:
        raise ValueError("no record")
    try:
        return json.loads(data)
    except RecursionError:  # nested past the parser's depth (a hand edit): as unreadable as any
        raise ValueError("no record") from None


def recorded_proofs(pdf: Path, out_dir: Path, pdf_sha256: str, dpi: int = DEFAULT_DPI,
                    guides: bool = True) -> list[Path] | None:
    """The proofs on disk drawn from exactly the PDF bytes ``pdf_sha256`` at this resolution
    and with these guides, each PNG unchanged since; None when any of that does not hold."""
    try:
        record = _record(pdf, out_dir)
        if (record.get("pdf") != pdf.name or record.get("pdf_sha256") != pdf_sha256
                or record.get("dpi") != dpi or record.get("guides") != guides):
            return None
        pages = record["pages"]
        paths = proof_paths(pdf, out_dir, len(pages))
        if not pages or [page["file"] for page in pages] != [path.name for path in paths]:
            return None
        for page, path in zip(pages, paths, strict=True):
            png = read_cache(path, MAX_BYTES)
            if png is None or _sha256(png) != page["sha256"]:
                return None
        return paths
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None  # no record, an unreadable one, or a proof gone: drawn again


def current_proofs(pdf: Path, out_dir: Path, dpi: int = DEFAULT_DPI, guides: bool = True) -> list[Path]:
    """Proofs of the PDF now on disk: those already drawn from these very bytes, else new ones."""
    data = pdf.read_bytes()
    found = recorded_proofs(pdf, out_dir, _sha256(data), dpi, guides)
    return found if found is not None else render_proofs(pdf, out_dir, dpi, guides, data=data)


def proof_digests(pdf: Path, out_dir: Path) -> dict[str, str]:
    """Each proof's file name -> its PNG's sha256, as recorded when it was drawn (empty if unknown)."""
    try:
        record = _record(pdf, out_dir)
        return {str(page["file"]): str(page["sha256"]) for page in record["pages"]}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


def render_proofs(pdf: Path, out_dir: Path, dpi: int = DEFAULT_DPI, guides: bool = True,
                  data: bytes | None = None) -> list[Path]:
    """Write a PNG of every page of ``pdf`` and the record tying them to its bytes; return their paths.

    ``data``: the PDF's bytes, when already read (the proofs are drawn from exactly these).
    """
    import pypdfium2 as pdfium
    from PIL.PngImagePlugin import PngInfo

    if data is None:
        data = pdf.read_bytes()
    digest = _sha256(data)
    record = record_path(pdf, out_dir)
    record.unlink(missing_ok=True)  # while the pictures change, nothing claims they match
    document = pdfium.PdfDocument(data)
    try:
        paths = proof_paths(pdf, out_dir, len(document))
        pages = []
        for index, path in enumerate(paths):
            page = document[index]
            scale = dpi / 72
            image = page.render(scale=scale, may_draw_forms=True).to_pil().convert("RGB")
            if guides:
                _draw_guides(image, page, scale, index)
            info = PngInfo()
            info.add_text("brochure:pdf", pdf.name)
            info.add_text("brochure:pdf-sha256", digest)
            buffer = io.BytesIO()
            image.save(buffer, format="PNG", optimize=False, pnginfo=info)
            png = buffer.getvalue()
            write_atomic(path, png)
            pages.append({"file": path.name, "sha256": _sha256(png)})
        for stale in existing_proofs(pdf, out_dir):
            if stale not in paths:
                stale.unlink()  # pages that no longer exist
        text = {"pdf": pdf.name, "pdf_sha256": digest, "dpi": dpi, "guides": guides, "pages": pages}
        write_atomic(record, (json.dumps(text, indent=1) + "\n").encode())
        return paths
    finally:
        document.close()
