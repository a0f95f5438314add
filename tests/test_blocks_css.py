"""blocks.css is linked only when a document has something it styles (``render.blocks.styled``).

Leaving it out must never change a page. So: every rule of the bundled blocks.css names an
element or a class that ``styled`` looks for; in every document of the seed, the examples and
the corpus that goes without it, none of its selectors matches an element (cssselect2, on the
HTML as WeasyPrint parses it); the seed's pages are the same pixels with and without it; and a
document with a block, or a clinic with its own blocks.css, still links it.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from conftest import make_content

REPO = Path(__file__).resolve().parent.parent
BLOCKS_CSS = REPO / "templates" / "css" / "blocks.css"
LINK = re.compile(r'<link rel="stylesheet" href="(file://[^"]*/css/blocks\.css)">')
STAMP = "2026-11-25T00:00:00+00:00"
TABLE_PARTS = ("thead", "tbody", "tfoot", "tr", "th", "td", "caption")  # only ever inside a <table>
DOCUMENTS = [REPO / "content.yaml", *sorted((REPO / "examples").glob("*/content*.yaml")),
             *sorted((REPO / "tests" / "corpus").glob("*.yaml"))]


def _rules() -> list[Any]:
    import tinycss2

    rules = tinycss2.parse_stylesheet(BLOCKS_CSS.read_text(encoding="utf-8"), skip_comments=True,
                                      skip_whitespace=True)
    assert rules and all(rule.type == "qualified-rule" for rule in rules), "blocks.css: only style rules expected"
    return rules


def _selectors() -> list[str]:
    """Each selector of blocks.css as written (a rule's prelude split at its top-level commas)."""
    import tinycss2

    found = []
    for rule in _rules():
        text, depth, start = tinycss2.serialize(rule.prelude), 0, 0
        for index, char in enumerate(text + ","):
            depth += {"(": 1, ")": -1}.get(char, 0)
            if char == "," and depth == 0:
                found.append(text[start:index].strip())
                start = index + 1
    return found


@cache
def _matcher() -> Any:
    import cssselect2

    matcher = cssselect2.Matcher()
    for rule in _rules():
        for selector in cssselect2.compile_selector_list(rule.prelude):
            matcher.add_selector(selector, rule)
    return matcher


def _rendered(path: Path) -> dict[str, str]:
    from brochure import content
    from brochure.render import html

    brochure = content.load(path)
    return {o.name: html.render(brochure, o, path.parent, STAMP) for o in html.outputs(brochure)}


def test_every_rule_of_blocks_css_names_what_styled_looks_for():
    """A selector naming none of them could match in a document that goes without the sheet."""
    from brochure.render import blocks

    tags = set(blocks.STYLED_TAGS) | set(TABLE_PARTS)
    selectors = _selectors()
    assert len(selectors) > 40  # the file as it is: tables, callouts, checklists, steps, pictures, notes
    for selector in selectors:
        required = re.sub(r":not\([^()]*\)|\[[^\]]*\]", " ", selector)  # what :not() or [attr] name is not required
        named_tags = set(re.findall(r"(?<![\w.#:-])([a-z][a-z0-9]*)\b(?![-(])", required))
        named_classes = re.findall(r"\.([\w-]+)", required)
        assert named_tags & tags or any(c.startswith(blocks.STYLED_CLASSES) for c in named_classes), (
            f"blocks.css: {selector!r} names nothing blocks.styled looks for: add it to STYLED_TAGS or STYLED_CLASSES")


@pytest.mark.parametrize("html", ['<p class="intro">Hello</p>', '<span class="nohyphen">x</span>',
                                  '<aside class="contact">', '<ul class="list-short"><li>a</li></ul>'])
def test_styled_says_no_for_what_blocks_css_does_not_style(html):
    from brochure.render import blocks

    assert not blocks.styled(html)


@pytest.mark.parametrize("html", ["<table>", '<ol start="3">', '<aside class="callout callout-warning">',
                                  '<li class="task-list-item">', '<figure class="picture picture-half">',
                                  '<sup class="note-ref">', '<div class="notes">', '<section class="references">',
                                  "<TABLE class=x>", "<p class='callout'>"])
def test_styled_says_yes_for_each_block(html):
    from brochure.render import blocks

    assert blocks.styled(html)


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(REPO)))
def test_a_document_goes_without_blocks_css_only_when_no_rule_of_it_matches(path):
    import cssselect2
    from weasyprint import HTML

    from brochure.render import blocks

    for output, document in _rendered(path).items():
        links = LINK.findall(document)
        if blocks.styled(document):
            assert links == [BLOCKS_CSS.resolve().as_uri()], f"{output}: a document with a block links blocks.css"
            continue
        assert links == [], f"{output}: blocks.css linked, though nothing in the document is a block"
        root = cssselect2.ElementWrapper.from_html_root(HTML(string=document).etree_element)
        matched = [(element.etree_element.tag, match[3].prelude) for element in root.iter_subtree()
                   for match in _matcher().match(element)]
        assert matched == [], f"{output}: without blocks.css, a rule of it would have matched"


def test_the_seed_goes_without_it_and_a_table_or_steps_bring_it(tmp_path):
    seed = _rendered(REPO / "content.yaml")
    assert [LINK.findall(d) for d in seed.values()] == [[], []]
    body = "Before:\n\n| Medicine | Dose |\n| --- | --- |\n| Ketamine | 0.5 mg/kg |\n"
    table = _rendered(make_content(tmp_path / "table", sections=[{"heading": "Doses", "body": body}]))
    steps = _rendered(make_content(tmp_path / "steps", sections=[{"heading": "Steps", "body": "1. Arrive\n2. Rest\n"}]))
    for documents in (table, steps):
        assert {output: len(LINK.findall(d)) for output, d in documents.items()} == {"print": 1, "email": 1}


def test_a_clinics_own_blocks_css_is_always_linked(tmp_path):
    path = make_content(tmp_path)
    own = tmp_path / "templates" / "css" / "blocks.css"
    own.parent.mkdir(parents=True)
    own.write_text(".cover h1 { letter-spacing: 0.01em; }\n", encoding="utf-8")  # may style anything
    for output, document in _rendered(path).items():
        assert LINK.findall(document) == [own.resolve().as_uri()], output


def test_the_seeds_pages_are_the_same_pixels_with_blocks_css(tmp_path):
    """The seed rendered as it is (no blocks.css) and with the sheet linked again: each page of
    both PDFs the same pixels at 100 dpi, and the same words."""
    import pypdfium2 as pdfium
    from weasyprint import HTML

    from brochure.render import pdf

    base_url = (REPO / "content.yaml").resolve().parent.as_uri() + "/"
    link = f'  <link rel="stylesheet" href="{BLOCKS_CSS.resolve().as_uri()}">\n'
    for output, document in _rendered(REPO / "content.yaml").items():
        anchor = re.search(r'  <link rel="stylesheet" href="[^"]*/css/' + output + r'\.css">\n', document)
        assert anchor, output
        linked = document[:anchor.end()] + link + document[anchor.end():]
        pictures = []
        for name, source in (("without", document), ("with", linked)):
            target = tmp_path / f"{output}-{name}.pdf"
            HTML(string=source, base_url=base_url).write_pdf(target, **pdf.OPTIONS[output])
            pages = pdfium.PdfDocument(target)
            pictures.append([(pages[i].render(scale=100 / 72).to_pil().tobytes(), pages[i].get_textpage().get_text_range())
                             for i in range(len(pages))])
        assert len(pictures[0]) == len(pictures[1]) > 1, output
        for number, (without, with_) in enumerate(zip(*pictures, strict=True), 1):
            assert without == with_, f"{output} page {number} differs with blocks.css"


def test_a_blocks_css_the_clinic_adds_later_rebuilds_a_document_that_went_without(tmp_path):
    """The seed reads no blocks.css, but whether it links one depends on the clinic's copy: a
    copy added after a build is an edit of both PDFs, as any stylesheet override is."""
    import json

    from conftest import build

    path = make_content(tmp_path / "clinic")
    out = tmp_path / "out"
    build(path, out)
    before = {pdf.name: pdf.read_bytes() for pdf in out.glob("*.pdf")}
    assert len(before) == 2
    own = path.parent / "templates" / "css" / "blocks.css"
    own.parent.mkdir(parents=True)
    own.write_text(".cover h1 { color: #7a1f1f; }\n", encoding="utf-8")
    run = build(path, out)
    assert sum(line.startswith("wrote") and line.split()[1].endswith(".pdf") for line in run.out) == 2, run.out
    for name, data in before.items():
        assert (out / name).read_bytes() != data, f"{name}: the clinic's blocks.css was not used"
    entries = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["pdfs"]
    assert all(any(key.endswith("templates/css/blocks.css") for key in entry["inputs"]) for entry in entries.values())


def test_a_block_in_a_clinics_running_footer_brings_blocks_css(tmp_path):
    path = make_content(tmp_path)
    own = tmp_path / "templates" / "handout.html"
    own.parent.mkdir(parents=True)
    own.write_text('{% extends "bundled/handout.html" %}\n'
                   '{% block running %}<div class="running-footer callout">Call 911</div>{% endblock %}\n',
                   encoding="utf-8")
    documents = _rendered(path)
    assert '<div class="running-footer callout">' in documents["email"]
    assert LINK.findall(documents["email"]) == [BLOCKS_CSS.resolve().as_uri()]
