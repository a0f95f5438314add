"""The memo of matched declarations and computed values (render.cascade): a document styled from
it is the document styled anew.

Each test renders documents in one process with the memo warm (from earlier documents of the
same stylesheets: another class, a sibling more, an edited stylesheet...) and compares with the
same document rendered with the memo off: the same PDF bytes. The documents ask for what a
style can depend on beyond its own declarations: siblings (``+``, ``~``, ``:nth-child``,
``:has(+ x)``), descendants (``:has(img)``), ``:empty``, ``:lang()``, ``rem``/``em``/``ex``,
``var()``, ``attr()``, counters, and what WeasyPrint changes in a style as it lays out (a
table's, the body's ``overflow``, a footnote, ``::first-letter``, list markers).
"""

from __future__ import annotations

import logging
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, make_content, memos_off, seed_project

from brochure.build import build_file
from brochure.render import cascade, patches

IDENTIFIER = b"1" * 32
PICTURE = (REPO / "logo.svg").as_uri()
FONTS = REPO / "templates" / "fonts"

SHEET = """
@page { size: A6; margin: 8mm; @bottom-center { content: counter(page) " / " counter(pages); font-size: 0.6rem } }
html { font-size: 11pt; --accent: #1d5c73; }
body { font-family: serif; overflow: hidden; }
h2 { font-size: 1.4em; color: var(--accent); margin: 0.5ex 0 }
h2 ~ p { margin-left: 1rem }
p + p { text-indent: 2em }
p:first-of-type::first-letter { font-size: 2em; color: red; position: absolute }
p:last-child { font-style: italic }
li:nth-child(2n) { color: green }
li:nth-last-child(1) { font-weight: bold }
ol { counter-reset: step 3; list-style: decimal } li::marker { color: blue }
li::before { content: counter(step) ") " } li { counter-increment: step }
.note:empty { border: 2px solid orange; height: 4mm }
.note:not(:empty) { background: #eef }
:lang(es) p { font-family: sans-serif; letter-spacing: 0.05em }
p:has(+ ul) { break-after: avoid; border-bottom: 1px dotted gray }
section:has(img) { border-left: 3px solid purple; padding-left: 2mm }
div > p[data-x] { word-spacing: 4px }
p[data-x]::after { content: " [" attr(data-x) "]" }
table { border-collapse: collapse; margin: 3mm 0; width: 100% } td { border: 1px solid; padding: 1mm }
.foot { float: footnote }
"""

BODY = """
<section lang="en"><h2>One</h2><p>First paragraph of the section.</p><p data-x="7">Second paragraph.</p>
<p>Before a list</p><ul><li>a</li><li>b</li><li>c</li></ul><div class="note"></div>
<ol><li>Step</li><li>Step</li><li>Step</li></ol></section>
<section lang="es"><h2>Dos</h2><p>Primer párrafo<span class="foot">Una nota.</span> de la sección.</p>
<div><p data-x="q">Otro párrafo.</p></div><table><tr><td>1</td><td>2</td></tr></table><p>Fin</p></section>
"""

# Each variant changes what a selector or a value can see; each is rendered after the ones before.
VARIANTS = (
    ("the same document again", lambda body, sheet: (body, sheet)),
    ("a class added", lambda body, sheet: (body.replace('<div class="note">', '<div class="note wide">'), sheet)),
    ("a sibling added", lambda body, sheet: (body.replace("<ul><li>a</li>", "<ul><li>new</li><li>a</li>"), sheet)),
    ("an empty element filled", lambda body, sheet: (body.replace('"note"></div>', '"note">now text</div>'), sheet)),
    ("a language changed", lambda body, sheet: (body.replace('lang="es"', 'lang="en"'), sheet)),
    ("an attribute's value changed", lambda body, sheet: (body.replace('data-x="7"', 'data-x="8"'), sheet)),
    ("a descendant added", lambda body, sheet: (body.replace("<h2>One</h2>", f'<h2>One</h2><img src="{PICTURE}" '
                                                                           'style="width: 5mm">'), sheet)),
    ("the list no longer after the paragraph", lambda body, sheet: (body.replace("</p><ul>", "</p><hr><ul>"), sheet)),
    ("the stylesheet edited", lambda body, sheet: (body, sheet.replace("11pt", "9pt").replace("green", "teal"))),
    ("a style attribute", lambda body, sheet: (body.replace("<h2>Dos</h2>", '<h2 style="font-size: 3rem">Dos</h2>'),
                                              sheet)),
)


def _html(body: str, sheet: str) -> str:
    return f'<html lang="en"><head><style>{sheet}</style></head><body>{body}</body></html>'


_FONTS: list[Any] = []  # one font configuration for every document, as a project has (fontsets)


def _pdf(html: str) -> bytes:
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    patches.install()
    if not _FONTS:
        _FONTS.append(FontConfiguration())
    document = HTML(string=html, base_url=str(REPO) + "/").render(font_config=_FONTS[0])
    return document.write_pdf(pdf_identifier=IDENTIFIER)  # type: ignore[no-any-return]


def _cold(html: str) -> bytes:
    with memos_off(cascade):
        return _pdf(html)


@pytest.fixture(autouse=True)
def _memo(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    cascade.enabled(True)
    yield
    cascade.enabled(True)


def test_each_change_between_documents_is_styled_as_anew():
    """One process renders the document, then each variant (all kept in the memo): each PDF is
    that of the variant rendered with the memo off."""
    warm = []
    for _, change in VARIANTS:
        warm.append(_pdf(_html(*change(BODY, SHEET))))
    assert cascade.size() > 100
    for (name, change), made in zip(VARIANTS, warm, strict=True):
        assert made == _cold(_html(*change(BODY, SHEET))), name
    assert len(set(warm)) == len(warm) - 1, "each change (but the first, none) shows in the PDF: the test tests them"


def test_the_same_document_again_matches_no_element(monkeypatch):
    """The memo is used: an element seen before is not matched against the stylesheets again
    (only the selectors that read its descendants are); one changed is."""
    matched: list[Any] = []
    every = cascade._matches

    def counted(element: Any, sheets: Any) -> Any:
        matched.append(element.etree_element)
        return every(element, sheets)

    monkeypatch.setattr(cascade, "_matches", counted)
    html = _html(BODY, SHEET)
    _pdf(html)
    assert len(matched) >= 25
    matched.clear()
    _pdf(html)
    assert matched == []
    _pdf(_html(BODY.replace('<div class="note">', '<div class="note wide">'), SHEET))
    # The changed element and its later siblings' subtrees (their siblings changed), not the rest.
    assert 0 < len(matched) < 15


def test_a_message_weasyprint_logs_while_computing_is_logged_for_every_document():
    """A value whose computation logs (an invalid math function) is not kept: each document logs it, as without the memo."""
    html = _html('<p style="width: calc(10px * sign(1px - 1em))">Text</p>', "p { color: navy }")
    messages: list[str] = []

    class Noted(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    handler = Noted()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        counts = []
        for _ in range(3):
            messages.clear()
            _pdf(html)
            counts.append(sum("Invalid math function" in message for message in messages))
    finally:
        logger.removeHandler(handler)
    assert counts == [1, 1, 1]


def test_a_viewport_unit_styles_the_document_anew():
    """A ``vw`` value depends on the first page's size, set after styles: such a document keeps nothing."""
    sheet = SHEET + " h2 { margin-left: 5vw }"
    _pdf(_html(BODY, sheet))
    assert cascade.size() == 0
    inline = BODY.replace("<h2>One</h2>", '<h2 style="margin-left: 8vmin">One</h2>')
    first = _pdf(_html(inline, SHEET))
    kept = cascade.size()
    assert _pdf(_html(inline, SHEET)) == first == _cold(_html(inline, SHEET))
    assert cascade.size() == kept, "a document with a viewport unit in a style attribute keeps nothing of its own"


def test_selectors_that_read_descendants_are_matched_anew():
    """``:has()`` of a descendant reads more than an element's key: left out of the memo; ``:has(+ x)`` is keyed."""
    from weasyprint import CSS

    deep, _ = cascade._deep(CSS(string="section:has(img) { color: red } p:has(> b) { color: blue }").matcher)
    assert deep is not None
    deep, _ = cascade._deep(CSS(string="p:has(+ ul) { color: red } li:nth-last-child(2) ~ li { color: blue }").matcher)
    assert deep is None


def test_a_theme_font_replaced_on_disk_is_never_styled_from_the_old_one(tmp_path):
    """watch: the theme's font replaced between two builds in one process: the second build's PDFs
    are those of a build with the memo off."""
    folder = tmp_path / "clinic"
    content = make_content(folder, theme={"font": "fonts/theme.ttf"})
    (folder / "fonts").mkdir()
    shutil.copy(FONTS / "OpenSans-Regular.ttf", folder / "fonts" / "theme.ttf")
    build_file(content, tmp_path / "first")
    (folder / "fonts" / "theme.ttf").write_bytes((FONTS / "OpenSans-Bold.ttf").read_bytes())
    build_file(content, tmp_path / "warm")
    with memos_off(cascade):
        build_file(content, tmp_path / "cold")
    first, warm, cold = (_pdfs(tmp_path / name) for name in ("first", "warm", "cold"))
    assert warm.keys() == cold.keys() and len(warm) >= 2
    assert warm == cold
    assert all(first[name] != warm[name] for name in warm), "the new font changed nothing: the test tests nothing"


def test_a_clinic_stylesheet_edited_between_two_builds_is_styled_from_its_new_rules(tmp_path):
    """watch: the clinic's own brochure.css saved with other rules between two builds in one
    process (the memo warm from the first): the second build's PDFs are those of a build with the memo off."""
    content = seed_project(tmp_path / "seed")
    own = content.parent / "templates" / "css"
    own.mkdir(parents=True)
    css = (REPO / "templates" / "css" / "brochure.css").read_text(encoding="utf-8")
    (own / "brochure.css").write_text(css, encoding="utf-8")
    build_file(content, tmp_path / "first")
    (own / "brochure.css").write_text(css + "\nh2 { letter-spacing: 0.1em; } p + p { color: #600; }\n", encoding="utf-8")
    build_file(content, tmp_path / "warm")
    with memos_off(cascade):
        build_file(content, tmp_path / "cold")
    first, warm, cold = (_pdfs(tmp_path / name) for name in ("first", "warm", "cold"))
    assert warm.keys() == cold.keys() and len(warm) >= 2
    assert warm == cold
    assert all(first[name] != warm[name] for name in warm), "the new rules changed nothing: the test tests nothing"


def _pdfs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.glob("*.pdf"))}


def test_threads_sharing_the_memo_render_as_one_alone():
    """The studio renders in threads: documents styled at once from one memo give the PDFs of each rendered cold."""
    documents = [_html(*change(BODY, SHEET)) for _, change in VARIANTS[:4]]
    cold = [_cold(html) for html in documents]
    cascade.clear()
    results: dict[int, list[bytes]] = {index: [] for index in range(len(documents))}

    def render(index: int) -> None:
        for _ in range(2):
            results[index].append(_pdf(documents[index]))

    threads = [threading.Thread(target=render, args=(index,)) for index in range(len(documents))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert [results[index] for index in range(len(documents))] == [[pdf, pdf] for pdf in cold]


def test_the_memo_is_bounded(monkeypatch):
    """Many stylesheets (a server's projects) keep at most ``MAX_GENERATIONS`` generations, each
    starting afresh beyond ``MAX_ENTRIES`` keys."""
    monkeypatch.setattr(cascade, "MAX_GENERATIONS", 3)
    monkeypatch.setattr(cascade, "MAX_ENTRIES", 400)
    cascade.clear()
    for n in range(6):
        _pdf(_html(BODY, SHEET + f" p {{ margin-top: {n}px }}"))
        assert len(cascade.GENERATIONS) <= 3
    one = cascade.size() / len(cascade.GENERATIONS)
    for n in range(8):  # one generation, ever more elements: it starts afresh once full
        _pdf(_html(BODY * (n + 1), SHEET))
        assert all(generation.size() < 400 + 40 * one for generation in cascade.GENERATIONS.values())
