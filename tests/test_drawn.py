"""The memo of drawn lines (render.drawn) and of deflated streams (render.deflate): a PDF written
from them is the PDF written without them, byte for byte.

Each test draws documents with the memos warm (from other documents: other orders, so other
fonts' widths first, other sizes of one font) and compares with the memos off. What a drawn line
reads of its style is checked against the key, through a style that records each property asked.
"""

from __future__ import annotations

import io
import logging
import shutil
import threading
import zlib
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from conftest import REPO, memos_off

from brochure.render import deflate, drawn, patches, tagging, vectors
from brochure.render.pdf import render_pdf

FONTS = REPO / "templates" / "fonts"
ARABIC = REPO / "tests" / "corpus" / "fonts" / "NotoNaskhArabic-Regular.ttf"
IDENTIFIER = b"0" * 32

WORDS = ("Ketamine infusions are given in a quiet room while a nurse watches your breathing, heart rate "
         "and blood pressure. Office fluffy affine waffle: ligatures fi fl ffi. ")
SPANISH = "La infusión de ketamina se administra en una habitación tranquila; la enfermera vigila su respiración. "
ARABIC_TEXT = "اليدان النظيفتان تمنعان انتشار الزكام والإنفلونزا. يستغرق غسلهما عشرين ثانية فقط. "

# Styles whose lines are kept (and a few that are not: underline, ellipsis), several sizes of one font.
STYLES = (
    "",
    "font-size: 9pt",
    "font-size: 9.3pt",
    "font-size: 13.7pt; font-weight: 700",
    "font-weight: 700; font-size: 14pt; letter-spacing: 0.05em",
    "font-style: italic; word-spacing: 3px",
    "text-align: justify; hyphens: auto",
    "font-variant: small-caps; font-kerning: none",
    "font-variant-position: super; font-feature-settings: 'liga' 0",
    "vertical-align: super; font-size: 7pt",
    "text-decoration: underline",
    "white-space: nowrap; overflow: hidden; text-overflow: ellipsis",
    "white-space: pre; tab-size: 3",
    "font-size: 0.5pt",
    "color: #c00; font-size: 30pt",
    "visibility: hidden",  # drawn as nothing, kept or not
)


def _html(order: int = 0, colour: str = "#123456", extra: str = "") -> str:
    faces = "".join(
        f"@font-face {{ font-family: 'Open Sans'; font-weight: {weight}; font-style: {style}; "
        f"src: url('{(FONTS / name).as_uri()}') }}"
        for weight, style, name in ((400, "normal", "OpenSans-Regular.ttf"), (700, "normal", "OpenSans-Bold.ttf"),
                                    (400, "italic", "OpenSans-Italic.ttf")))
    faces += f"@font-face {{ font-family: 'Naskh'; src: url('{ARABIC.as_uri()}') }}"
    styles = STYLES[order % len(STYLES):] + STYLES[:order % len(STYLES)]
    blocks = [f'<p lang="en" style="width: {40 + 13 * (i % 4)}mm; {style}">{WORDS}'
              f'<span style="font-size: 8pt">{WORDS[:30]}</span> tab\there</p>'
              f'<p lang="es" style="width: 50mm; {style}">{SPANISH}</p>' for i, style in enumerate(styles)]
    blocks.append(f'<p lang="ar" dir="rtl" style="width: 50mm; font-family: Naskh, \'Open Sans\'">{ARABIC_TEXT}'
                  "Call 555-0100 ok</p>")
    return (f"<html><head><style>{faces} @page {{ size: A5; margin: 10mm }} body {{ margin: 0; "
            f"font-family: 'Open Sans'; color: {colour} }}</style></head><body>{extra}{''.join(blocks)}</body></html>")


def _pdf(html: str, fonts: Any) -> bytes:
    from weasyprint import HTML

    patches.install()
    document = HTML(string=html, base_url=str(REPO) + "/").render(font_config=fonts)
    return bytes(document.write_pdf(pdf_identifier=IDENTIFIER))


@pytest.fixture(autouse=True)
def _memos(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    for memo in (drawn, deflate, vectors):
        memo.enabled(True)
    yield
    for memo in (drawn, deflate, vectors):
        memo.enabled(True)


def _cold(html: str, fonts: Any) -> bytes:
    with memos_off(drawn, deflate, vectors):
        return _pdf(html, fonts)


def test_a_pdf_drawn_from_warm_memos_is_the_cold_pdf():
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    for order in (3, 7, 11):  # other documents first: other sizes of each font reach its widths first
        _pdf(_html(order), fonts)
    assert drawn.size() > 100 and deflate.kept_bytes() > 0
    warm = _pdf(_html(), fonts)
    assert warm == _cold(_html(), fonts)
    assert _pdf(_html(), fonts) == warm  # and again, every line from the memo


def test_a_width_the_pdf_font_holds_already_decides_the_kerning(monkeypatch):
    """A glyph's width is kept in the PDF's font from the first size that drew it, and later lines'
    kerning is worked out from it: a line is written from the memo only when the widths it was
    recorded with are those (here one is skewed, as a size rounding it otherwise would leave it)."""
    from fontTools.ttLib import TTFont
    from weasyprint.pdf import fonts as pdf_fonts
    from weasyprint.text.fonts import FontConfiguration

    with TTFont(FONTS / "OpenSans-Regular.ttf", lazy=True) as font:
        glyph = font.getGlyphID(font.getBestCmap()[ord("e")])
    fonts = FontConfiguration()
    _pdf(_html(), fonts)  # every line kept, recorded with the widths Pango gives
    made = pdf_fonts.Font.__init__

    def skewed(self: Any, *args: Any) -> None:
        made(self, *args)
        self.widths[glyph] = 700

    monkeypatch.setattr(pdf_fonts.Font, "__init__", skewed)
    warm = _pdf(_html(), fonts)
    assert warm == _cold(_html(), fonts)
    monkeypatch.setattr(pdf_fonts.Font, "__init__", made)
    assert warm != _pdf(_html(), fonts)


def test_a_colour_or_a_word_changed_shows_in_the_pdf():
    """The colour is written live (not kept with the line), a changed word is another line."""
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    first = _pdf(_html(), fonts)
    recoloured = _pdf(_html(colour="#00ff00"), fonts)
    assert recoloured != first and recoloured == _cold(_html(colour="#00ff00"), fonts)
    assert b"0 1 0 rg" in _contents(recoloured) and b"0 1 0 rg" not in _contents(first)
    reworded = _html().replace("quiet room", "calm room")
    changed = _pdf(reworded, fonts)
    assert changed == _cold(reworded, fonts)
    assert "calm room" in _text(changed) and "calm room" not in _text(first)


def _contents(pdf: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return b"".join(page.Contents.read_bytes() for page in document.pages)


def _text(pdf: bytes) -> str:
    import pypdf

    return " ".join((page.extract_text() or "").replace("\n", " ") for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def test_a_missing_glyph_is_drawn_and_said_each_time(caplog):
    """A character no font has: WeasyPrint's .notdef and its warning, once per PDF, never from the memo."""
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    html = _html(extra="<p>Missing \U0001d11e clef</p>")
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        warm = [_pdf(html, fonts) for _ in range(2)]
    said = [record for record in caplog.records if ".notdef" in record.getMessage()]
    assert len(said) == 2
    assert warm[0] == warm[1] == _cold(html, fonts)


def test_two_threads_draw_what_one_draws_alone():
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    pages = [_html(order) for order in (0, 5)]
    alone = [_cold(page, fonts) for page in pages]
    drawn.clear()
    made: dict[int, list[bytes]] = {0: [], 1: []}

    def draw(index: int) -> None:
        for _ in range(3):
            made[index].append(_pdf(pages[index], fonts))

    threads = [threading.Thread(target=draw, args=(index,)) for index in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert made == {0: [alone[0]] * 3, 1: [alone[1]] * 3}


def test_the_memos_stay_within_their_bounds(monkeypatch):
    from weasyprint.text.fonts import FontConfiguration

    monkeypatch.setattr(drawn, "MAX_LINES", 40)
    monkeypatch.setattr(deflate, "MAX_BYTES", 20_000)
    fonts = FontConfiguration()
    for order in range(4):
        _pdf(_html(order), fonts)
        assert drawn.size() <= 40 and deflate.kept_bytes() <= 20_000
    assert _pdf(_html(), fonts) == _cold(_html(), fonts)


def test_the_key_holds_every_property_a_drawn_line_reads():
    """Fails when WeasyPrint's drawing of a line (its layout set up again, its glyphs walked)
    reads a property the key lacks; what draw_text itself reads around it is written live."""
    from weasyprint.draw import text
    from weasyprint.text.fonts import FontConfiguration

    from brochure.render import shaping

    patches.install()
    read: set[str] = set()
    original = text.draw_first_line

    class Recording:
        def __init__(self, style: Any) -> None:
            self._style = style

        def __getitem__(self, name: str) -> Any:
            read.add(name)
            return self._style[name]

        def __getattr__(self, name: str) -> Any:
            return getattr(self._style, name)

    def noting(stream: Any, textbox: Any, *args: Any) -> Any:
        style = textbox.style
        textbox.style = Recording(style)
        textbox.pango_layout.reactivate(textbox.style)  # its set-up reads through the recording too
        try:
            return original(stream, textbox, *args)
        finally:
            textbox.style = style

    drawn.enabled(False)
    text.draw_first_line = noting
    try:
        _pdf(_html(), FontConfiguration())
    finally:
        text.draw_first_line = original
        drawn.enabled(True)
    assert {"font_family", "font_size", "letter_spacing"} <= read
    # Read only on the ellipsis' way, which is never kept (block_ellipsis, text_overflow).
    ellipsis = {"hyphenate_character"}
    assert read - set(shaping.PROPERTIES) - ellipsis == set()


def test_a_font_replaced_on_disk_draws_in_the_new_one(tmp_path: Path):
    """watch: the theme's font saved anew under its name; the lines kept with the old one are not used."""
    (tmp_path / "fonts").mkdir()
    brand = tmp_path / "fonts" / "brand.ttf"
    page = ('<html lang="en"><head><title>Brand</title><style>@font-face { font-family: "Open Sans"; '
            'src: url(fonts/brand.ttf) } body { font-family: "Open Sans" }</style></head>'
            f"<body><p>{WORDS * 3}</p></body></html>")

    def render() -> bytes:
        return render_pdf(page, "email", tmp_path, [tmp_path], 1_700_000_000).data

    shutil.copy(FONTS / "OpenSans-Regular.ttf", brand)
    regular = [render(), render()]
    shutil.copy(FONTS / "OpenSans-Bold.ttf", brand)
    bold = render()
    with memos_off(drawn, deflate):
        cold_bold = render()
    assert regular[0] == regular[1] != bold
    assert bold == cold_bold


def test_a_stream_deflated_from_the_memo_is_zlibs():
    deflate.install()
    import pydyf

    data = bytes(range(256)) * 40 + b"BT /F1 12 Tf [<0041>] TJ ET\n" * 50
    for level in (9, 6, -1):
        own = zlib.compressobj(level=level)
        expected = own.compress(data) + own.flush()
        for _ in range(2):  # deflated, then from the memo
            ours = pydyf.zlib.compressobj(level=level)
            assert ours.compress(data[:100]) + ours.compress(data[100:]) + ours.flush() == expected
    changed = pydyf.zlib.compressobj(level=9)
    assert changed.compress(data + b"x") + changed.flush() == zlib.compress(data + b"x", 9)
    assert pydyf.zlib.decompress(expected) == data  # what is not kept is zlib's own


def test_a_mended_pdf_is_answered_for_the_same_bytes_and_descriptions_only():
    from weasyprint import HTML

    html = ('<html lang="en"><head><title>T</title></head><body><p><a href="tel:+19135550100">Call</a></p>'
            '<p><a href="https://example.org">Site</a></p></body></html>')
    data = HTML(string=html).write_pdf(pdf_identifier=IDENTIFIER, pdf_variant="pdf/ua-1")
    first = tagging.mend(data)
    assert tagging.mend(data) == first
    described = tagging.mend(data, {"tel:+19135550100": "Call the front desk"})
    assert described != first
    assert _link_words(described) == ["Call the front desk", "Open example.org"]
    assert _link_words(first) == ["Call (913) 555-0100", "Open example.org"]
    assert tagging.mend(data) == first


def _link_words(pdf: bytes) -> list[str]:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return [str(annot.Contents) for page in document.pages for annot in page.obj.get("/Annots", [])]


def _svg(fill: str, extra: str = "") -> str:
    import base64

    xml = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 20" width="40" height="20">{extra}'
           f'<path d="M2 2 L38 2 L20 18 Z" fill="{fill}" stroke="#000" stroke-width="0.5"/>'
           f'<rect x="1" y="1" width="6" height="6" fill="#0a0" fill-opacity="0.5"/></svg>')
    return "data:image/svg+xml;base64," + base64.b64encode(xml.encode()).decode()


def _pictures(fill: str, extra: str = "") -> str:
    return (f'<html><body><p>A logo:</p><img src="{_svg(fill, extra)}" style="width: 40mm">'
            f'<p style="color: red">Again, smaller:</p><img src="{_svg(fill, extra)}" style="width: 17mm">'
            f'<div style="background: url({_svg(fill, extra)}) repeat-x; height: 30mm"></div></body></html>')


def test_a_picture_drawn_from_the_memo_is_the_picture_drawn_by_weasyprint():
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    first = _pdf(_pictures("#c00"), fonts)
    assert vectors.size() == 3  # one picture at three sizes (its background tile, a pattern, too)
    assert _pdf(_pictures("#c00"), fonts) == first == _cold(_pictures("#c00"), fonts)
    recoloured = _pdf(_pictures("#00f"), fonts)  # another picture: its own calls
    assert recoloured != first and recoloured == _cold(_pictures("#00f"), fonts)
    assert b"0 0 1 rg" in _contents(recoloured) and b"0 0 1 rg" not in _contents(first)


def test_a_picture_reaching_outside_itself_is_drawn_by_weasyprint_every_time():
    """A gradient (a pattern of the PDF's own), text, a clip path: not kept, still drawn as WeasyPrint draws them."""
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    gradient = ('<defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/><stop offset="1" '
                'stop-color="#00f"/></linearGradient></defs><circle cx="30" cy="10" r="8" fill="url(#g)"/>'
                '<text x="2" y="19" font-size="4">Hi</text>')
    made = [_pdf(_pictures("#c00", gradient), fonts) for _ in range(2)]
    assert vectors.size() == 0
    assert made[0] == made[1] == _cold(_pictures("#c00", gradient), fonts)


def test_a_picture_whose_drawing_makes_a_group_is_drawn_by_weasyprint_every_time():
    """Opacity draws into a group of the PDF's own (``add_group``): the recorder sees it and keeps nothing."""
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    group = '<g opacity="0.4"><rect x="20" y="2" width="8" height="8" fill="#00f"/></g>'
    made = [_pdf(_pictures("#c00", group), fonts) for _ in range(2)]
    assert vectors.size() == 0
    assert made[0] == made[1] == _cold(_pictures("#c00", group), fonts)


def test_kept_pictures_stay_within_their_bound(monkeypatch):
    from weasyprint.text.fonts import FontConfiguration

    monkeypatch.setattr(vectors, "MAX_PICTURES", 2)
    fonts = FontConfiguration()
    for fill in ("#100", "#200", "#300"):
        _pdf(_pictures(fill), fonts)
        assert vectors.size() <= 2
    assert _pdf(_pictures("#100"), fonts) == _cold(_pictures("#100"), fonts)
