"""Panels: a tri-fold whose article is short fills its inside first, balanced, in larger type.

WeasyPrint fills the article's panels in reading order: the fold-in flap, then the three
inside panels. A short article therefore lands on the flap alone and the whole inside sheet,
what a reader sees on opening the brochure, prints blank. When the article does not reach
the last inside panel, ``fill`` rewrites the HTML, between layout and PDF (flow.sentence_breaks
calls it):

1. With four sections or more (the intro counts as one), the article is spread over the
   flap and the three inside panels, when no panel is then left thin. Otherwise the flap
   carries the intro, and the contact block when the back panel keeps something else (the
   QR code, the disclaimer or the revision date); with no intro, the contact block alone;
   failing both, the first section; and the rest of the article the three inside panels.
2. The article's type is set a step larger (13 pt, then 14 pt, with more leading and room
   between sections: the theme's limits for body text), the largest step that still fits.
3. Its blocks are spread over the panels: the breaks are put between sections (or, where a
   section is long, between its blocks, never after a heading or a picture) so that the
   fullest panel is as short as can be, measured on a layout whose panels are one tall page.

Each rewrite is laid out and kept only when the article still fits; what the inside cannot
fill even so is reported by the layout check (checks.layout: a panel nearly empty, the
text short for a tri-fold), from the PDF itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import combinations, pairwise
from typing import Any

from . import resume, trifold
from .breaks import source_of, with_break_class

# Type steps for a short article: the design's, then larger body text and leading (14 pt is
# the largest body size patient-education guides use for print), headings in proportion.
STEPS = (
    "",
    ".panel-article .article { font-size: 13pt; line-height: 1.5; }"
    " .panel-article .article h2 { font-size: 16.5pt; margin-bottom: 0.08in; }"
    " .panel-article .article section { margin-bottom: 0.22in; }"
    " .panel-article .intro { font-size: 14pt; line-height: 1.5; }",
    ".panel-article .article { font-size: 14pt; line-height: 1.5; }"
    " .panel-article .article h2 { font-size: 18pt; margin-bottom: 0.1in; }"
    " .panel-article .article section { margin-bottom: 0.3in; }"
    " .panel-article .intro { font-size: 15pt; line-height: 1.5; }",
)

# The flap when it carries the intro and the contact block: the intro at the top in larger
# type, the contact block at the foot (a flex column as tall as the page area, as the cover).
FLAP_CSS = """
.flap-panel + .article { break-before: page; }
.flap-panel { display: flex; flex-direction: column; justify-content: space-between; }
.flap-panel.flap-contact-only { justify-content: center; }
.paper-letter .flap-panel { min-height: 7.8in; }
.paper-a4 .flap-panel { min-height: 7.55in; }
.flap-panel .intro { font-size: 15pt; line-height: 1.5; margin: 0.1in 0 0.3in; flex: none; }
.flap-panel .contact { flex: none; margin: 0; }
"""
FIRST_SECTION_ON_FLAP = ".panel-article .article > section:nth-of-type(2) { break-before: page; }"
MID_SECTION = 0.15  # of a panel's height: a break inside a section counts as a panel this much fuller
MEASURE_HEIGHT = 4000.0  # CSS px: the article as one tall page, to measure its blocks
THIN = 0.2  # of a panel's height: less looks nearly empty (checks.layout reports under 0.15)
FULL = 0.96  # of a panel's height: a balanced panel leaves this much slack for rounding


def _article_pages(document: Any) -> list[int]:
    return [i for i, page in enumerate(document.pages) if "article" in trifold.page_parts(page)]


def _fits(document: Any) -> bool:
    try:
        trifold.slots(document)
    except trifold.Overflow:
        return False
    return True


def _style(text: str, css: str) -> str:
    return text.replace("</head>", f"<style>{css}</style>\n</head>", 1) if css else text


def _flaps(text: str) -> list[tuple[str, str]]:
    """Ways to fill the flap, best first: (HTML, CSS to add)."""
    found: list[tuple[str, str]] = []
    intro = re.search(r'<div class="intro">', text)
    main = re.search(r'<main class="article">', text)
    back = text.find('data-part="back"')
    contact = re.search(r'<aside class="contact".*?</aside>', text[back:], re.S) if back >= 0 else None
    keeps = back >= 0 and any(f'class="{name}"' in text[back:] for name in ("qr", "disclaimer", "revised"))
    if main is not None:
        intro_html, rest = "", text
        if intro is not None and intro.start() > main.start():
            end = text.find("<section", intro.start())
            end = end if end >= 0 else text.find("</main>", intro.start())
            intro_html, rest = text[intro.start():end].rstrip(), text[:intro.start()] + text[end:]
        contact_html = contact.group(0) if contact is not None and keeps else ""
        if contact is not None and contact_html:
            start = back + contact.start()
            without = rest.replace(contact_html, "", 1) if rest.count(contact_html) == 1 and text.find(
                contact_html) == start else None
            if without is not None:
                kind = "" if intro_html else " flap-contact-only"
                found.append((_flap(without, f'<div class="flap-panel{kind}">{intro_html}\n{contact_html}</div>\n'),
                              FLAP_CSS))
        if intro_html:
            found.append((_flap(rest, f'<div class="flap-panel">{intro_html}</div>\n'),
                          FLAP_CSS + ".flap-panel { justify-content: flex-start; }"))
    found.append((text, FIRST_SECTION_ON_FLAP))
    return found


def _flap(text: str, flap: str) -> str:
    at = text.find('<main class="article">')
    return text[:at] + flap + text[at:]


def fill(text: str, document: Any, lay_out: Callable[[str], Any]) -> tuple[str, Any]:
    """The HTML (and its layout) with the inside panels filled first, when the article of
    ``text`` (laid out as ``document``) leaves the last inside panel empty; else as given.

    With four sections or more (the intro counts as one), the article is spread over the flap
    and the three inside panels, the flap taking its start; with fewer, the flap takes the
    intro and the contact block (or the intro, or the first section) and the article the
    three inside panels."""
    pages = _article_pages(document)
    if not pages or len(pages) >= 4 or not _fits(document):
        return text, document
    lay_out = _once(lay_out, {text: document})
    width = min(document.pages[i].width for i in pages)  # the narrower panel's
    if sum(opens for _, _, opens in _blocks(_tall(text, lay_out, 1, width), 0)) >= 4:  # the intro and sections
        for step in reversed(range(len(STEPS))):
            candidate = _style(text, STEPS[step])
            balanced = _balance(candidate, lay_out, 4, width, thin=False)
            if balanced is not None:
                return balanced
    for html, css in _flaps(text):
        for step in reversed(range(len(STEPS))):
            candidate = _style(html, css + STEPS[step])
            laid = lay_out(candidate)
            if not _fits(laid) or not 2 <= len(_article_pages(laid)) <= 4:
                continue
            balanced = _balance(candidate, lay_out, 3, width)
            return balanced if balanced is not None else (candidate, laid)
    return text, document


def _once(lay_out: Callable[[str], Any], made: dict[str, Any]) -> Callable[[str], Any]:
    """``lay_out``, but HTML already laid out (``made``: the document's own) is not laid out again.

    Exact: a layout is a function of its HTML (the same fetcher, fonts and options), and
    nothing here changes a layout it measures. It happens: with four sections or more, the
    type step 0 adds no CSS, so its tall layout is the one that counted the sections; and a
    spread that needs no break is the candidate itself."""

    def cached(html: str) -> Any:
        if html not in made:
            made[html] = lay_out(html)
        return made[html]

    return cached


def _tall(text: str, lay_out: Callable[[str], Any], first: int, width: float) -> Any:
    """``text`` laid out with the article's pages from the ``first``-th on (1: the flap) one
    tall page each, ``width`` wide, so that its blocks are measured in one column, unbroken."""
    sizes = "".join(f"@page article:nth({n}) {{ size: {width:.3f}px {MEASURE_HEIGHT}px; }}" for n in range(first, 6))
    return lay_out(_style(text, sizes))


def _inside_root(document: Any) -> Any:
    return document._html.etree_element  # its own tree's: a page kept from another layout holds that one's (resume)


def _blocks(document: Any, index: int) -> list[tuple[Any, float, bool]]:
    """The article's blocks a panel may start with, in order, on its ``index``-th page (laid
    out tall): each (element, its top there, whether it opens a section or stands alone)."""
    pages = _article_pages(document)
    page = document.pages[pages[index]] if len(pages) > index else None
    if page is None:
        return []
    tops: dict[Any, float] = {}
    # A page kept from another layout (``resume``: the last build's) holds that layout's elements: each with this one's.
    own = getattr(getattr(document, resume.ATTRIBUTE, None), "elements", None) or {}
    for box in page._page_box.descendants():
        element = own.get(getattr(box, "element", None), getattr(box, "element", None))
        if element is not None and element not in tops:
            tops[element] = box.position_y
    root = _inside_root(document)
    main = next((e for e in root.iter("main")), None)
    if main is None:
        return []
    found: list[tuple[Any, float, bool]] = []
    for section in main:
        if section not in tops:
            continue
        if section.tag != "section":
            found.append((section, tops[section], True))
            continue
        children = [child for child in section if child in tops]
        for n, child in enumerate(children):
            element = section if n == 0 else child
            after_heading = n > 0 and children[n - 1].tag in ("h2", "h3", "h4", "h5", "h6", "figure")
            if not after_heading:
                found.append((element, tops[child] if n else tops[section], n == 0))
    return found


def _balance(text: str, lay_out: Callable[[str], Any], count: int, width: float,
             thin: bool = True) -> tuple[str, Any] | None:
    """``text`` with panel breaks that spread its blocks evenly over ``count`` panels: the
    three inside panels, or the flap and them; None when that does not fit, or, without
    ``thin``, when a panel would be left nearly empty (the flap with a short intro alone)."""
    first = 5 - count  # the article page the spread starts on: 1 the flap, 2 the inside left
    measured = _tall(text, lay_out, first, width)
    blocks = _blocks(measured, first - 1)
    pages = _article_pages(measured)
    if len(blocks) < 2 or len(pages) < first:
        return None
    height = _panel_height(measured) * FULL
    page = measured.pages[pages[first - 1]]._page_box
    bottom = max((b.position_y + b.margin_height() for b in page.descendants()
                  if getattr(b, "element", None) is not None and b.element.tag not in ("html", "body")),
                 default=blocks[-1][1])
    tops = [top for _, top, _ in blocks] + [bottom]
    n = len(blocks)
    best: tuple[float, tuple[int, ...]] | None = None
    for cut in combinations(range(1, n + 1), count - 1):
        edges = (0, *cut, n)
        groups = [tops[b] - tops[a] for a, b in pairwise(edges)]
        if max(groups) > height:
            continue
        empty = sum(1 for c in cut if c == n)  # panels left empty: only when there are too few blocks
        thins = sum(1 for g in groups if 0 < g < THIN * height)  # a panel the layout check finds nearly empty
        cost = (max(groups) + MID_SECTION * height * sum(1 for c in cut if c < n and not blocks[c][2])
                + empty * 10 * height + thins * height)
        if best is None or cost < best[0]:
            best = (cost, cut)
    if best is None or (not thin and best[0] >= height):
        return None  # nothing fits; or every spread leaves a panel thin (its penalty is a whole panel)
    root = _inside_root(measured)
    html = text
    for index in sorted(set(best[1]) - {n}, reverse=True):  # from the end: the offsets before stay good
        element = blocks[index][0]
        start = source_of(html, root, element)
        if start is None:
            return None
        html = html[:start.start()] + with_break_class(start.group(0)) + html[start.end():]
    laid = lay_out(html)
    if not _fits(laid) or len(_article_pages(laid)) != 4:
        return None
    return html, laid


def _panel_height(document: Any) -> float:
    """The content height of an article panel (not laid out tall): the cover's page."""
    return float(document.pages[0]._page_box.height)
