"""Review of the memo of matched rules and computed values (render.cascade), session 9.

Each test renders, in one process, documents that differ only in what a selector or a computed
value reads (a sibling, an ancestor's language, an attribute, a parent's font size...), the memo
warm from the earlier ones, and compares each PDF with the same document rendered with the memo
off: in this process (the memo's own question), or in a fresh process with
``BROCHURE_CASCADE=off`` (what a user would get from a first build).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import HANG, REPO, memos_off

from brochure.render import cascade, patches

IDENTIFIER = b"1" * 32
PAGE = "@page { size: 90mm 70mm; margin: 4mm } body { font-family: serif; font-size: 10pt } "

# (what changes, stylesheet, body of the first document, body of the second): only the thing
# the selector or the value reads changes between the two bodies.
PAIRS = (
    (":nth-child(of S), a sibling's class", "li:nth-child(2 of .x) { color: red; font-size: 20pt }",
     '<ul><li class="x">a</li><li>b</li><li class="x">c</li></ul>',
     '<ul><li class="x">a</li><li class="x">b</li><li class="x">c</li></ul>'),
    (":nth-last-child, :last-of-type, a sibling after", "li:nth-last-child(1) { color: red; font-size: 20pt } "
     "li:last-of-type { border: 2px solid }", "<ul><li>a</li><li>b</li></ul>", "<ul><li>a</li><li>b</li><p>x</p></ul>"),
    (":only-child, :only-of-type", "p:only-child { color: red; font-size: 20pt } p:only-of-type { border: 3px solid }",
     "<div><p>a</p></div>", "<div><p>a</p><span>b</span></div>"),
    (":empty, whitespace", "div:empty { height: 10mm; background: red } div { border: 1px solid }",
     "<div></div>", "<div> </div>"),
    (":empty, a comment then an element", "div:empty { height: 10mm; background: red } div { border: 1px solid }",
     "<div><!-- c --></div>", "<div><span></span></div>"),
    ("::before with attr() and counter()", 'p::before { content: attr(data-t) " " counter(c); color: red } '
     "p { counter-increment: c 2 }", '<p data-t="one">x</p>', '<p data-t="two">x</p>'),
    (":lang() and [lang|=] on an ancestor, quotes: auto", ":lang(es) p { color: red; font-size: 16pt } "
     "[lang|=pt] p { color: blue } q { quotes: auto }", '<div lang="es-MX"><p>a <q>b</q></p></div>',
     '<div lang="pt-BR"><p>a <q>b</q></p></div>'),
    ("lang and hyphenation", "p { hyphens: auto; width: 20mm; text-align: justify }",
     '<div lang="en"><p>extraordinarily international information</p></div>',
     '<div lang="de"><p>extraordinarily international information</p></div>'),
    ("[~=] and [^= i]", "[data-k~=big] { font-size: 20pt } [data-t^=AB i] { color: red }",
     '<p data-k="a big" data-t="abc">x</p>', '<p data-k="a bigger" data-t="xAB">x</p>'),
    (":link, an href added", ':link { color: red; font-size: 18pt } a:any-link::after { content: " (" attr(href) ")" }',
     "<p><a>tel</a></p>", '<p><a href="tel:555">tel</a></p>'),
    (":checked, :disabled in a fieldset", "input:checked { width: 20mm; height: 20mm } input:disabled { width: 5mm } "
     "input { display: inline-block; border: 1px solid; height: 8mm }",
     '<fieldset disabled><input type="checkbox"></fieldset>', '<fieldset><input type="checkbox" checked></fieldset>'),
    ("sibling combinators across text", "b + i { color: red; font-size: 20pt } b ~ u { color: blue }",
     "<p><b>a</b> text <i>b</i> <u>c</u></p>", "<p><b>a</b><span>s</span><i>b</i><u>c</u></p>"),
    ("a style attribute, the same text, another ancestor", "div.big { font-size: 24pt } div.small { font-size: 8pt }",
     '<div class="big"><p style="margin-left: 2em; border: 0.1ex solid">x</p></div>',
     '<div class="small"><p style="margin-left: 2em; border: 0.1ex solid">x</p></div>'),
    ("em, ex, ch, larger, line-height %, currentColor through parents",
     ".a { font-size: larger; line-height: 150% } .b { border: 2px solid currentColor; padding: 1ch; margin: 1ex } "
     ".c { color: green; font-size: 7pt }",
     '<div class="c"><div class="a"><div class="b">x</div></div></div>',
     '<div><div class="a"><div class="b">x</div></div></div>'),
    ("var() from an ancestor", ".a { --w: 5mm; --g: var(--w) } .b { --w: 15mm } "
     "p { margin-left: var(--g); border-left: var(--w) solid }",
     '<div class="a"><p>x</p></div>', '<div class="a b"><p>x</p></div>'),
    ("nested counters", 'ol { counter-reset: k } li { counter-increment: k } li::before { content: counters(k, ".") " " }',
     "<ol><li>a<ol><li>b</li></ol></li></ol>", "<ol><li>a</li><li>c<ol><li>b</li></ol></li></ol>"),
    (":has(+ x > y), :has(~ x)", "p:has(+ ul > li.x) { color: red } p:has(~ .z) { font-size: 20pt }",
     '<p>x</p><ul><li class="x">a</li></ul>', '<p>x</p><ul><li>a</li></ul><i class="z">z</i>'),
)

_FONTS: list[Any] = []  # one font configuration for every document, as a project has (fontsets)


def _pdf(html: str, hints: bool = False) -> bytes:
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    patches.install()
    if not _FONTS:
        _FONTS.append(FontConfiguration())
    document = HTML(string=html, base_url=str(REPO) + "/").render(font_config=_FONTS[0], presentational_hints=hints)
    return document.write_pdf(pdf_identifier=IDENTIFIER)  # type: ignore[no-any-return]


def _off(html: str, hints: bool = False) -> bytes:
    with memos_off(cascade):
        return _pdf(html, hints)


FRESH = """
import sys
from pathlib import Path
from weasyprint import HTML
from brochure.render import patches
patches.install()
html = Path(sys.argv[1]).read_text(encoding="utf-8")
pdf = HTML(string=html, base_url=sys.argv[3]).render().write_pdf(pdf_identifier=b"1" * 32)
Path(sys.argv[2]).write_bytes(pdf)
"""


def _fresh(html: str, folder: Path) -> bytes:
    """The PDF of ``html`` rendered by a new process with the memo off, as a first build makes it."""
    source, target = folder / "fresh.html", folder / "fresh.pdf"
    source.write_text(html, encoding="utf-8")
    env = dict(os.environ, BROCHURE_CASCADE="off", SOURCE_DATE_EPOCH="1700000000")
    subprocess.run([sys.executable, "-c", FRESH, str(source), str(target), str(REPO) + "/"], check=True, env=env,
                   cwd=REPO, timeout=HANG)
    return target.read_bytes()


@pytest.fixture(autouse=True)
def _memo(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    cascade.enabled(True)
    yield
    cascade.enabled(True)


def _html(sheet: str, body: str) -> str:
    return f'<html lang="en"><head><style>{PAGE}{sheet}</style></head><body>{body}</body></html>'


def test_each_selector_feature_changed_between_two_documents_is_styled_as_anew():
    """Per pair, the first document warms the memo, the second differs only in what the selector
    (or value) reads: each PDF is that of the document with the memo off."""
    warm = []
    for _, sheet, first, second in PAIRS:
        warm.append((_pdf(_html(sheet, first)), _pdf(_html(sheet, second))))
    assert cascade.size() > 100
    wrong = [name for (name, sheet, first, second), (one, two) in zip(PAIRS, warm, strict=True)
             if (one, two) != (_off(_html(sheet, first)), _off(_html(sheet, second)))]
    assert wrong == []
    same = [name for (name, *_), (one, two) in zip(PAIRS, warm, strict=True) if one == two]
    assert same == [], "each change shows in the PDF (else the pair tests nothing)"


def test_presentational_hints_from_an_ancestor_are_not_taken_from_an_earlier_document():
    """With ``presentational_hints``, a table's ``cellpadding`` is declared on its cells: a cell's
    own declarations come from an ancestor's attribute, which neither the cell's key nor the
    table's (no declarations of its own) held. Found: the second table was drawn with the first's padding."""
    def table(padding: int) -> str:
        return (f'<html><head><style>{PAGE} td {{ border: 1px solid }}</style></head><body>'
                f'<table cellpadding="{padding}"><tr><td>x</td></tr></table></body></html>')

    first, second = _pdf(table(2), hints=True), _pdf(table(20), hints=True)
    assert first == _off(table(2), hints=True)
    assert second == _off(table(20), hints=True)
    assert first != second


def test_a_gradient_in_em_is_computed_for_each_document_as_a_fresh_process_does(tmp_path):
    """A clinic's sheet with gradients whose stops, centre or size are in ``em``: the same sheet, a
    document at another font size rendered after the first in one process, gives the PDF of a fresh
    process. Found: WeasyPrint computes the stops into the declaration's own object, which the kept
    stylesheet shares (with the memo off too): the second document had the first one's stops."""
    sheet = (".g { height: 12mm; background-image: linear-gradient(to right, red 2em, blue 2em) } "
             ".r { height: 12mm; background-image: radial-gradient(3em 2em at 4em 1em, red 50%, blue 50%) } "
             ".b { height: 8mm; border: 4mm solid; border-image-source: linear-gradient(red 1em, blue 1em); "
             "border-image-slice: 1 }")

    def document(size: int) -> str:
        return (f'<html><head><style>{PAGE}{sheet}</style></head><body style="font-size: {size}px">'
                '<div class="g">x</div><div class="r">y</div><div class="b">z</div></body></html>')

    first = _pdf(document(8))
    second = _pdf(document(24))
    assert second != first
    assert second == _fresh(document(24), tmp_path)
    assert _pdf(document(8)) == first, "the first document again, after the second"


def test_an_invalid_var_value_warns_at_every_document_as_a_fresh_process_does():
    """A clinic's sheet where ``var()`` resolves to a value the property refuses: a fresh process warns
    ``Ignored `margin-left: ...``` at each build; so must the second and third documents of one process
    (a save in ``watch``). Found: WeasyPrint's ``Pending`` warns once per object, and a kept
    stylesheet shares it (with the memo off too): only the first document warned."""
    import logging

    sheet = ":root { --gap: blue } p { margin-left: var(--gap) }"
    messages: list[str] = []

    class Noted(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    handler = Noted()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    counts = []
    try:
        for text in ("one", "two", "three"):
            messages.clear()
            _pdf(_html(sheet, f"<p>{text}</p>"))
            counts.append(sum(message.startswith("Ignored `margin-left") for message in messages))
    finally:
        logger.removeHandler(handler)
    assert counts == [1, 1, 1]


def test_a_clinic_stylesheet_saved_with_the_same_size_and_time_is_styled_from_its_new_rules(tmp_path):
    """watch: the clinic's brochure.css saved again with the same size and modification time, one
    colour changed, between two builds of one process: the second build's PDFs are those of a
    build with the memo off, and differ from the first's."""
    import shutil

    from conftest import seed_project

    from brochure.build import build_file

    content = seed_project(tmp_path / "seed")
    own = content.parent / "templates" / "css"
    own.mkdir(parents=True)
    css = (REPO / "templates" / "css" / "brochure.css").read_text(encoding="utf-8")
    sheet = own / "brochure.css"
    sheet.write_text(css + "\nh2 { color: #600; } p + p { letter-spacing: 0.01em; }\n", encoding="utf-8")
    stamp = sheet.stat()
    build_file(content, tmp_path / "first")
    sheet.write_text(css + "\nh2 { color: #060; } p + p { letter-spacing: 0.03em; }\n", encoding="utf-8")
    os.utime(sheet, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert sheet.stat().st_size == stamp.st_size and sheet.stat().st_mtime_ns == stamp.st_mtime_ns
    build_file(content, tmp_path / "warm")
    with memos_off(cascade):
        shutil.rmtree(tmp_path / "cold", ignore_errors=True)
        build_file(content, tmp_path / "cold")
    first, warm, cold = ({p.name: p.read_bytes() for p in sorted((tmp_path / name).glob("*.pdf"))}
                         for name in ("first", "warm", "cold"))
    assert warm.keys() == cold.keys() and len(warm) >= 2
    assert warm == cold
    assert all(first[name] != warm[name] for name in warm), "the new rules changed nothing: the test tests nothing"


def test_a_gradient_in_em_follows_each_element_font_size_within_a_document():
    """One gradient declaration, two elements at 8px and 24px: each red band is 2em of its own
    element (WeasyPrint alone drew the second with the first's 16px: the stops were computed into
    the declaration)."""
    import pypdfium2

    html = ('<html><head><style>@page { size: 90mm 50mm } .g { height: 10mm; background-image: '
            'linear-gradient(to right, red 2em, blue 2em) }</style></head><body>'
            '<div class="g" style="font-size: 8px"></div><div class="g" style="font-size: 24px; '
            'break-before: page"></div></body></html>')
    document = pypdfium2.PdfDocument(_pdf(html))
    bands = []
    for page in document:
        picture = page.render(scale=1).to_pil().convert("RGB")
        row = next(y for y in range(picture.height) if picture.getpixel((picture.width // 2, y)) == (0, 0, 255))
        bands.append(sum(1 for x in range(picture.width) if picture.getpixel((x, row))[0] > 200
                         and picture.getpixel((x, row))[1] < 80))
    assert len(bands) == 2 and bands[0] > 0
    assert bands[1] == pytest.approx(3 * bands[0], abs=2)
