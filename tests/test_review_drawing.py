"""Review of the drawing memos (render.drawn, render.deflate, render.vectors, tagging.mend's memo):
attacks that look for a PDF, a warning or a memory bound that differs with the memos on.

Each PDF made with the memos warm (from other documents first) is compared with the PDF the
same inputs give with the memos off; each warning WeasyPrint says without them is said with them.
"""

from __future__ import annotations

import base64
import logging
import re
from html import escape
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO

from brochure.render import deflate, drawn, patches, vectors

FONTS = REPO / "templates" / "fonts"
ARABIC = REPO / "tests" / "corpus" / "fonts" / "NotoNaskhArabic-Regular.ttf"
IDENTIFIER = b"1" * 32
MEMOS = (drawn, deflate, vectors)
DATES = ('<meta name="dcterms.created" content="2023-11-14T22:13:20Z">'
         '<meta name="dcterms.modified" content="2023-11-14T22:13:20Z">')


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
    html = re.sub(r"<html[^>]*>", lambda tag: tag.group() + DATES, html, count=1)
    document = HTML(string=html, base_url=str(REPO) + "/").render(font_config=fonts, **options)
    data = bytes(document.write_pdf(pdf_identifier=IDENTIFIER, **options))
    # PDF/X-4: WeasyPrint writes a random document id and the times of writing in its XMP (brochure's
    # print PDF pins them, pdf.py's finisher); the same length of other bytes here, pinned too, and the
    # identifier's second half that hashes them (every other byte is compared as written). The
    # document's dates (PDF/X's Info) are given (``DATES``).
    data = re.sub(rb"(/ID \[\(1{32}\) \()[0-9a-f]{32}\)", rb"\g<1>" + b"0" * 32 + b")", data)
    data = re.sub(rb"xmp\.did:[0-9a-f-]{36}", b"xmp.did:" + b"0" * 36, data)
    return re.sub(rb"(<xmp:(?:Metadata|Create|Modify)Date>)[^<]{25}<", rb"\g<1>2023-11-14T22:13:20+00:00<", data)


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


def _attacks(order: int) -> str:
    """One document of the lines most likely to be told apart wrongly: the same words in other
    fonts, weights, sizes, spacing, variants, directions, justified or not, in a link, in a
    margin box, in an opacity group, after a soft hyphen; in an order that changes with ``order``."""
    words = "Call the clinic office before your affine infusion"
    styles = [
        "", "font-weight: 700", "font-style: italic", "font-size: 11.5pt", "letter-spacing: 0.08em",
        "word-spacing: 4px", "font-variant: small-caps", "font-feature-settings: 'liga' 0",
        "text-transform: uppercase", "font-variant-numeric: oldstyle-nums", "font-kerning: none",
        "text-align: justify; width: 42mm", "text-align: justify; width: 47mm", "direction: rtl",
        "opacity: 0.5", "color: device-cmyk(0 0 0 1)", "hyphens: manual; width: 25mm",
    ]
    styles = styles[order % len(styles):] + styles[:order % len(styles)]
    body = "".join(f'<p style="width: 60mm; {style}">{words} 2024 fi&shy;nally</p>' for style in styles)
    body += f'<p><a href="tel:+19135550100">{words}</a></p><p dir="rtl" lang="ar" style="font-family: Naskh">'
    body += "اتصل بالعيادة قبل التسريب</p>"
    return (f"<html lang='en'><head><title>Attacks</title><style>{_faces()} @page {{ size: A6; margin: 12mm; "
            f"@bottom-center {{ content: '{words}'; font-family: 'Open Sans' }} }} body {{ font-family: "
            f"'Open Sans'; font-size: 9pt }}</style></head><body>{body}</body></html>")


@pytest.mark.parametrize("options", [{}, {"pdf_variant": "pdf/ua-1"}, {"pdf_variant": "pdf/x-4"}],
                         ids=["plain", "tagged", "print"])
def test_the_same_words_in_every_way_draw_as_without_the_memos(options):
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    for order in (5, 11, 2):  # other orders first: each font's widths reached first at other sizes
        _pdf(_attacks(order), fonts, **options)
    other = {"pdf_variant": "pdf/ua-1"} if options != {"pdf_variant": "pdf/ua-1"} else {}
    _pdf(_attacks(7), fonts, **other)  # the same lines drawn in a PDF of the other kind
    assert drawn.size() > 20  # the lines are kept: the PDF below is written from the memo
    warm = _pdf(_attacks(0), fonts, **options)
    assert warm == _cold(_attacks(0), fonts, **options)


# -- SVG pictures --------------------------------------------------------------------------------

ILLUSTRATOR = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 60 30"><defs><style>.cls-1{{fill:{fill};}}'
               '.cls-2{{fill:none;stroke:#231f20;stroke-width:0.75px;}}</style></defs>'
               '<path class="cls-1" d="M2 2 L58 2 L30 28 Z"/><circle class="cls-2" cx="30" cy="12" r="{r}"/>{extra}</svg>')


def _data(xml: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(xml.encode()).decode()


def _logo_page(xml: str, widths: tuple[str, ...] = ("40mm", "40mm", "17mm")) -> str:
    images = "".join(f'<p>Logo</p><img src="{_data(xml)}" style="width: {width}">' for width in widths)
    return f"<html><body>{images}</body></html>"


def test_a_namespaced_svg_with_a_style_sheet_is_kept_and_drawn_as_weasyprint_draws_it():
    """An exported logo (Illustrator's classes in a <style>) in the SVG namespace: ElementTree writes
    ``<ns0:style>``, which the memo's words (``<style``) do not see; what the sheet says is in the
    XML, so the drawing is still a function of the XML and size: kept, and the same PDF. A class
    changed in the sheet is another picture."""
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    red, blue = (ILLUSTRATOR.format(fill=fill, r=6, extra="") for fill in ("#c00", "#00c"))
    first = _pdf(_logo_page(red), fonts)
    assert vectors.size() == 2  # the same logo at two sizes (twice at one of them)
    assert _pdf(_logo_page(red), fonts) == first == _cold(_logo_page(red), fonts)
    recoloured = _pdf(_logo_page(blue), fonts)
    assert recoloured == _cold(_logo_page(blue), fonts) != first


def test_a_namespaced_svg_with_text_is_drawn_by_weasyprint_every_time():
    """``<ns0:text>`` escapes the memo's words too: its drawing asks the stream for a font, which the
    recorder does not know, so the picture is not kept (the text's font is the PDF's own)."""
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    xml = ILLUSTRATOR.format(fill="#c00", r=6, extra='<text x="4" y="27" style="font-size:5px">Clinic</text>')
    made = [_pdf(_logo_page(xml), fonts) for _ in range(2)]
    assert vectors.size() == 0
    assert made[0] == made[1] == _cold(_logo_page(xml), fonts)


def test_a_qr_code_changed_by_a_phone_edit_is_another_picture_in_print_and_email():
    from weasyprint.text.fonts import FontConfiguration

    from brochure.render.html import qr_code

    class Clinic:
        website = ""
        phone = "(913) 555-0100"

    fonts = FontConfiguration()
    html, pages = {}, {}
    for phone in ("(913) 555-0100", "(913) 555-0199", "(913) 555-0100"):
        Clinic.phone = phone
        for cmyk in (True, False):
            code = qr_code(Clinic, cmyk)  # type: ignore[arg-type]
            assert code is not None
            html[(phone, cmyk)] = f'<html><body><img src="{escape(code["src"])}" style="width: 30mm"></body></html>'
            pages[(phone, cmyk)] = _pdf(html[(phone, cmyk)], fonts)  # the third phone's from the memo
    assert vectors.size() == 4
    for key, page in html.items():
        assert pages[key] == _cold(page, fonts)
    assert pages[("(913) 555-0100", True)] != pages[("(913) 555-0199", True)]
    assert pages[("(913) 555-0100", False)] != pages[("(913) 555-0199", False)]


def _detailed(seed: int, points: int) -> str:
    """A traced illustration: one path of ``points`` segments (a call each when drawn)."""
    steps = "".join(f"L{(i * 7 + seed) % 97} {(i * 13 + seed) % 89} " for i in range(points))
    return f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><path d="M0 0 {steps}Z"/></svg>'


def test_kept_pictures_are_bounded_by_their_calls_not_only_by_their_number(monkeypatch):
    """``MAX_PICTURES`` pictures of up to ``MAX_CALLS`` calls each: a studio or a batch going through
    detailed illustrations (a body diagram, a map) kept 64 x 50,000 calls, about 260 bytes each
    (tracemalloc: 64 QR codes of 362 calls took 5.7 MiB), some 800 MiB in one process. The calls
    kept in all stay within ``MAX_KEPT_CALLS``; the pictures drawn are still WeasyPrint's."""
    from weasyprint.text.fonts import FontConfiguration

    monkeypatch.setattr(vectors, "MAX_KEPT_CALLS", 12_000, raising=False)
    fonts = FontConfiguration()
    for seed in range(6):
        _pdf(_logo_page(_detailed(seed, 5_000), ("30mm",)), fonts)
    kept = sum(len(calls) for calls in vectors.PICTURES.values())
    assert kept <= 12_000
    assert vectors.size() >= 1
    last = _logo_page(_detailed(5, 5_000), ("30mm",))
    assert _pdf(last, fonts) == _cold(last, fonts)


def test_a_stream_bigger_than_the_deflate_memo_leaves_the_memo_as_it_was():
    """A stream larger than ``MAX_BYTES`` (a photo's pixels in the email PDF, a large font) was kept,
    then the eviction emptied the memo down to nothing, itself included: every other stream of the
    build was deflated again at the next build. It is deflated (the same bytes) and not kept."""
    import zlib

    small = [bytes([n]) * 4000 + bytes(range(256)) * 4 for n in range(10)]
    for data in small:
        deflate.deflated(data, 9)
    before = deflate.kept_bytes()
    big = bytes(range(256)) * (deflate.MAX_BYTES // 256 + 1)
    assert deflate.deflated(big, 9) == zlib.compress(big, 9)
    assert deflate.kept_bytes() == before > 0


def test_two_studio_threads_drawing_lines_pictures_and_streams_make_what_each_makes_alone():
    """The studio renders in threads: one the print PDF (PDF/X, CMYK words), one the tagged email PDF,
    of documents sharing their lines and their logo; every memo is shared between them."""
    import threading

    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    logo = ILLUSTRATOR.format(fill="#1d5c73", r=5, extra="")
    pages = [_attacks(order).replace("</body>", _logo_page(logo)[12:-7] + "</body>") for order in (0, 3)]
    kinds = [{"pdf_variant": "pdf/x-4"}, {"pdf_variant": "pdf/ua-1"}]
    alone = [_cold(page, fonts, **kind) for page, kind in zip(pages, kinds, strict=True)]
    made: dict[int, list[bytes]] = {0: [], 1: []}

    def draw(index: int) -> None:
        for _ in range(3):
            made[index].append(_pdf(pages[index], fonts, **kinds[index]))

    threads = [threading.Thread(target=draw, args=(index,)) for index in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert vectors.size() >= 1 and drawn.size() > 20
    assert made == {0: [alone[0]] * 3, 1: [alone[1]] * 3}


def test_an_svg_in_current_color_is_its_own_colour_and_a_referenced_picture_is_read_each_time(tmp_path):
    """``currentColor`` is the SVG's own ``color`` (WeasyPrint does not take the page's): in the XML,
    so in the key; a picture the SVG names (``<image href>``) is not kept: changed on disk, the next
    PDF shows it."""
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    current = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 20 20" color="{colour}">'
               '<rect width="20" height="20" fill="currentColor"/></svg>')
    made = {}
    for colour in ("#c00", "#00c", "#c00"):
        page = _logo_page(current.format(colour=colour)).replace("<img", '<img style="color: #0c0"', 1)
        made[colour] = _pdf(page, fonts)
    assert made["#c00"] != made["#00c"]
    assert made["#c00"] == _cold(_logo_page(current.format(colour="#c00")).replace(
        "<img", '<img style="color: #0c0"', 1), fonts)

    from PIL import Image

    picture = tmp_path / "dot.png"
    svg = tmp_path / "logo.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 20 20"><image href="dot.png" '
                   'width="20" height="20"/></svg>')
    page = f'<html><body><img src="{svg.as_uri()}" style="width: 20mm"></body></html>'
    pdfs = []
    for colour in ("red", "blue"):
        Image.new("RGB", (4, 4), colour).save(picture)
        pdfs.append(_pdf(page, fonts))
    assert vectors.size() == 0
    assert pdfs[0] != pdfs[1] == _cold(page, fonts)
