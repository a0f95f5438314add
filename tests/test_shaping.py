"""The memo of shaped lines (render.shaping): a layout answered from it is the layout made anew.

Each test lays documents out with the memo warm (from other documents, other widths, an earlier
font) and compares with a cold layout, the memo off: the same pages, lines and PDF bytes. The key
is checked against what WeasyPrint really reads: a split of many texts and styles, through a
style that records each property asked of it.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, make_content

from brochure.build import build_file
from brochure.render import patches, shaping

FONTS = REPO / "templates" / "fonts"
ARABIC = REPO / "tests" / "corpus" / "fonts" / "NotoNaskhArabic-Regular.ttf"
IDENTIFIER = b"0" * 32

WORDS = ("Ketamine infusions are given in a quiet room while a nurse watches your breathing, heart rate "
         "and blood pressure. Antidisestablishmentarianism hyphenation internationalization responsibilities. ")
SPANISH = "La infusión de ketamina se administra en una habitación tranquila; la enfermera vigila su respiración. "
ARABIC_TEXT = "اليدان النظيفتان تمنعان انتشار الزكام والإنفلونزا. يستغرق غسلهما عشرين ثانية فقط. "

# Styles a clinic's templates could ask for, one paragraph each (every one at several widths).
STYLES = (
    "",
    "font-family: 'Open Sans'; font-size: 9pt",
    "font-family: 'Open Sans'; font-weight: 700; font-size: 14pt; letter-spacing: 0.05em",
    "font-family: 'Open Sans'; font-style: italic; word-spacing: 3px",
    "font-family: serif; font-size: 11pt; hyphens: auto; text-align: justify",
    "font-family: 'Open Sans'; hyphens: auto; hyphenate-character: '~'; hyphenate-limit-chars: 6 3 2",
    "font-family: 'Open Sans'; hyphens: auto; hyphenate-limit-zone: 20%",
    "font-family: 'Open Sans'; hyphens: manual",
    "font-family: monospace; white-space: pre; tab-size: 3",
    "font-family: 'Open Sans'; white-space: pre-wrap; tab-size: 12px",
    "font-family: 'Open Sans'; white-space: nowrap; overflow: hidden; text-overflow: ellipsis",
    "font-family: 'Open Sans'; white-space: pre-line",
    "font-family: 'Open Sans'; overflow-wrap: anywhere",
    "font-family: 'Open Sans'; overflow-wrap: break-word",
    "font-family: 'Open Sans'; word-break: break-all",
    "font-family: 'Open Sans'; text-decoration: underline line-through",
    "font-family: 'Open Sans'; font-variant: small-caps; font-kerning: none",
    "font-family: 'Open Sans'; font-variant-numeric: oldstyle-nums; font-feature-settings: 'liga' 0",
    "font-family: 'Open Sans'; font-variant-ligatures: no-common-ligatures; font-variant-position: super",
    "font-family: 'Open Sans'; font-variant-east-asian: full-width; font-variant-alternates: historical-forms",
    "font-family: 'Open Sans'; font-stretch: condensed; font-variation-settings: 'wght' 500",
    "font-family: 'Open Sans'; font-language-override: 'TRK'",
    "font-family: 'Open Sans'; font-size: 30pt",
    "font-family: 'Open Sans'; font-size: 0.5pt",
)
WIDTHS = ("40mm", "23mm", "8mm", "120mm")


def _html(order: int = 0) -> str:
    """A document with every style, in three languages, at every width; ``order`` shuffles them."""
    faces = "".join(
        f"@font-face {{ font-family: 'Open Sans'; font-weight: {weight}; font-style: {style}; "
        f"src: url('{(FONTS / name).as_uri()}') }}"
        for weight, style, name in ((400, "normal", "OpenSans-Regular.ttf"), (700, "normal", "OpenSans-Bold.ttf"),
                                    (400, "italic", "OpenSans-Italic.ttf")))
    faces += f"@font-face {{ font-family: 'Naskh'; src: url('{ARABIC.as_uri()}') }}"
    blocks = []
    for index, style in enumerate(STYLES):
        for width in WIDTHS[order % len(WIDTHS):] + WIDTHS[:order % len(WIDTHS)]:
            text = WORDS + ("soft\u00adhyphen\u00adated words\tand a tab\nand a new line " if index % 3 == 0 else "")
            blocks.append(f'<p lang="en" style="width: {width}; {style}">{text}</p>')
            blocks.append(f'<p lang="es" style="width: {width}; {style}">{SPANISH}</p>')
        # Content widths (layout.preferred): a table's cells and a float shrink to their text.
        blocks.append(f'<table lang="en" style="width: 60mm"><tr><td style="{style}">{WORDS}</td>'
                      f'<td style="{style}">{SPANISH[:40]}</td></tr></table>'
                      f'<div style="float: left; {style}">{WORDS[:60]}</div><p style="clear: both"></p>')
        blocks.append(f'<p lang="ar" dir="rtl" style="width: 50mm; font-family: Naskh, \'Open Sans\'">{ARABIC_TEXT}'
                      "Call 555-0100 ok</p>")
    return (f"<html><head><style>{faces} @page {{ size: A5; margin: 10mm }} body {{ margin: 0 }}</style></head>"
            f"<body>{''.join(blocks)}</body></html>")


def _lay_out(html: str, fonts: Any) -> Any:
    from weasyprint import HTML

    patches.install()
    return HTML(string=html, base_url=str(REPO) + "/").render(font_config=fonts)


def _lines(document: Any) -> list[tuple[Any, ...]]:
    """Every line and text box of every page: its kind, text, place and size."""
    found: list[tuple[Any, ...]] = []

    def walk(box: Any, page: int) -> None:
        kind = type(box).__name__
        if kind in ("LineBox", "TextBox"):
            found.append((page, kind, getattr(box, "text", None), round(box.position_x, 4), round(box.position_y, 4),
                          round(box.width, 4), round(box.height, 4)))
        for child in getattr(box, "children", ()):
            walk(child, page)

    for number, page in enumerate(document.pages):
        walk(page._page_box, number)
    return found


@pytest.fixture(autouse=True)
def _memo(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    shaping.enabled(True)
    yield
    shaping.enabled(True)


def _cold(html: str, fonts: Any) -> tuple[Any, bytes]:
    shaping.enabled(False)
    try:
        document = _lay_out(html, fonts)
        return document, document.write_pdf(pdf_identifier=IDENTIFIER)
    finally:
        shaping.enabled(True)


def test_a_layout_from_a_warm_memo_is_the_cold_layout():
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    for order in (1, 2, 3):  # other documents: the same paragraphs in another order, so other pages
        _lay_out(_html(order), fonts)
    assert shaping.size() > 500
    warm = _lay_out(_html(), fonts)
    warm_pdf = warm.write_pdf(pdf_identifier=IDENTIFIER)
    cold, cold_pdf = _cold(_html(), fonts)
    assert len(warm.pages) == len(cold.pages) > 5
    assert _lines(warm) == _lines(cold)
    assert warm_pdf == cold_pdf


def test_each_answer_is_a_layout_of_its_own():
    """The memo's layout is never handed out: drawing one box (an ellipsis changes its text) leaves the others."""
    from weasyprint.layout import inline
    from weasyprint.text.fonts import FontConfiguration

    document = _lay_out(f'<p style="width: 30mm; font-family: serif">{WORDS}</p>', FontConfiguration())
    box = next(b for b in _boxes(document) if type(b).__name__ == "TextBox")
    args = (box.text, box.style, None, 200.0, 0)
    first, second = inline.split_first_line(*args), inline.split_first_line(*args)
    assert first[0] is not second[0] and first[1:] == second[1:]
    first[0].text = "changed…"
    assert inline.split_first_line(*args)[0].text == second[0].text != "changed…"


def _boxes(document: Any) -> list[Any]:
    found: list[Any] = []

    def walk(box: Any) -> None:
        found.append(box)
        for child in getattr(box, "children", ()):
            walk(child)

    for page in document.pages:
        walk(page._page_box)
    return found


class _Recording:
    """A computed style that notes each property read from it."""

    def __init__(self, style: Any, read: set[str]) -> None:
        self._style, self._read = style, read

    def __getitem__(self, name: str) -> Any:
        self._read.add(name)
        return self._style[name]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._style, name)


def test_the_key_holds_every_property_a_split_reads():
    """Fails when WeasyPrint's split (or brochure's fix of it) reads a property the key lacks."""
    from weasyprint.layout import inline, preferred
    from weasyprint.text.fonts import FontConfiguration

    patches.install()
    calls: list[tuple[Any, ...]] = []
    memoised = {module: module.split_first_line for module in (inline, preferred)}

    def noting(module: Any) -> Any:
        def split(*args: Any, **kwargs: Any) -> Any:
            calls.append((module, args, kwargs))
            return memoised[module](*args, **kwargs)
        return split

    for module in memoised:
        module.split_first_line = noting(module)
    try:
        _lay_out(_html(), FontConfiguration())
    finally:
        for module, split in memoised.items():
            module.split_first_line = split
    assert len([c for c in calls if c[0] is inline]) > 1000 and len([c for c in calls if c[0] is preferred]) > 100
    read: set[str] = set()
    for module, args, kwargs in calls:
        text, style, context, *rest = args
        # Each split without its memo: brochure's fixed split (inline), WeasyPrint's own (preferred).
        memoised[module].__wrapped__(text, _Recording(style, read), context, *rest, **kwargs)
    missing = read - set(shaping.PROPERTIES)
    assert not missing, f"split_first_line reads {sorted(missing)}, not in shaping.PROPERTIES"
    # And the documents reach every property of the key: the check above covers them all.
    assert read == set(shaping.PROPERTIES)


def test_a_theme_font_replaced_on_disk_is_never_answered_from_the_old_one(tmp_path):
    """watch: the theme's font file replaced between two builds in one process (the memo warm
    from the first): the second build's PDFs are those of a cold build of the new font."""
    folder = tmp_path / "clinic"
    content = make_content(folder, theme={"font": "fonts/theme.ttf"})
    (folder / "fonts").mkdir()
    shutil.copy(FONTS / "OpenSans-Regular.ttf", folder / "fonts" / "theme.ttf")
    build_file(content, tmp_path / "first")
    (folder / "fonts" / "theme.ttf").write_bytes((FONTS / "OpenSans-Bold.ttf").read_bytes())
    build_file(content, tmp_path / "warm")
    shaping.enabled(False)
    build_file(content, tmp_path / "cold")
    shaping.enabled(True)
    first, warm, cold = (_pdfs(tmp_path / name) for name in ("first", "warm", "cold"))
    assert warm.keys() == cold.keys() and len(warm) >= 2
    assert warm == cold
    assert all(first[name] != warm[name] for name in warm), "the new font changed nothing: the test tests nothing"


def _pdfs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.pdf"))}


def test_a_new_face_leaves_every_older_line_behind():
    """A face registered later can be the fallback of a character the earlier fonts lack: lines
    shaped before it are not answered after it (the key counts the configuration's faces)."""
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    html = f'<p style="width: 30mm; font-family: serif">{WORDS}</p>'
    _lay_out(html, fonts)
    kept = shaping.size()
    _lay_out(html, fonts)
    assert shaping.size() == kept, "the same document again shapes nothing new"
    face = f"<style>@font-face {{ font-family: 'Late'; src: url('{(FONTS / 'OpenSans-Bold.ttf').as_uri()}') }}</style>"
    _lay_out(face + html, fonts)
    assert shaping.size() > kept, "lines shaped before the new face were answered after it"


def test_the_memo_is_bounded(monkeypatch):
    from weasyprint.text.fonts import FontConfiguration

    monkeypatch.setattr(shaping, "MAX_LINES", 50)
    shaping.clear()
    _lay_out(_html(), FontConfiguration())
    assert [len(lines) for lines in shaping._MEMOS] == [50, 50]  # lines laid out, content widths: each full, no more


def test_threads_sharing_the_memo_lay_out_as_one_alone():
    """The studio renders in threads: documents laid out at once, sharing the memo, give the PDF of one laid out cold."""
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    html = _html(2)
    _, cold_pdf = _cold(html, fonts)
    shaping.clear()
    results: list[bytes] = []

    def render() -> None:
        results.append(_lay_out(html, fonts).write_pdf(pdf_identifier=IDENTIFIER))

    threads = [threading.Thread(target=render) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert results == [cold_pdf] * 3
