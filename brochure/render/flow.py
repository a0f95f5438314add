"""Flow: lines that break where a reader expects, and tri-fold panels that end at a sentence's end.

Two fixes of what WeasyPrint 70 does by itself:

``patches`` wraps ``weasyprint.layout.inline.split_first_line`` (the wrapper is there). WeasyPrint 70 measures a
run of text that ends in a space (the text before a link, bold words or any inline box)
with that space; when the run fits the line except for the space, which would hang at the
line's end and be dropped there, it finds the run "unsplittable" and keeps only its first
word, so a paragraph such as "If you are in crisis, call or text 988 ..." sets "If" alone on
a line. The wrapper measures such a run again without its trailing spaces and, when it then
fits, keeps it whole: the line breaks before the link, where it should.

``sentence_breaks()`` chooses, between the tri-fold's layout and its PDF, the HTML whose panels
each end at a sentence's end (see "The sentence-break pass" below).
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..content.dialect import NEVER_END
from . import panels, previous, quiet, resume, trifold
from .breaks import source_of, with_break_class

# The sentence-break pass -----------------------------------------------------------------
#
# WeasyPrint breaks a paragraph wherever a panel is full, so a tri-fold panel can end in the
# middle of a sentence ("glutamate, which are | neurotransmitters"). After layout, each
# article panel but the last that ends mid-sentence is fixed in the HTML: the paragraph is
# split at the last sentence end on the panel that leaves at least two of its lines there
# (the rest starts the next panel), or, when there is none, the paragraph (or the heading of
# the section it opens) moves to the next panel. What moves gets class="panel-break-before"
# (trifold.css: break-before: page). Each change is laid out again and kept only when the
# article still fits the tri-fold. One fix pushes text into the next panels, so the fixes of
# later panels are tried with each option of the earlier ones (up to OPTIONS_PER_PANEL).
# When breaks alone cannot end every panel at a sentence's end, the same is tried with the
# article's leading a step tighter (LEADING_STEPS, 1.5% then 3%: a 40-line panel gains about
# a line); failing that, the fewest mid-sentence panels at the design's leading. At most
# MAX_LAYOUTS layouts in all: on the seed, 3 (its own and two fixes; bench/trials.py counts them).
#
# Each trial is a layout of its whole HTML, and the last one is the PDF's. It is made from the
# layout it fixes (``resume``): the cover and back pages, which a fix in the article cannot
# change, are kept as they were when their HTML, styles, boxes and files read are the same
# (``unchanged`` and resume's checks), about 30 ms of 170 a fix. tests/test_trials.py checks that each trial's
# pages and lines are those of a layout made in full, and the PDFs the same bytes; what the
# other ways to cut the trials would save is in bench/README.md ("The tri-fold's trials").
# Within a build's render (``previous``), a trial also resumes from the last build's layout of the
# same fix when that keeps more (a title edit: the fix's article and back): the search runs as ever,
# measuring the pages it is given, which WeasyPrint and resume's checks found unchanged.
#
# The pass lays the document out itself (``choose``, given the build's ``lay_out``), so the
# PDF is written once, from the chosen layout, never from one thrown away. The choice is kept
# per process (``CHOSEN``) under the hash of the HTML and options, with the files its layout
# read: the same document again (a forced rebuild, ``proof``) is laid out once, as chosen,
# when that layout reads the same bytes; otherwise the search runs as the first time.

Choose = Callable[[str, Callable[[str], Any]], tuple[str, Any]]

MAX_LAYOUTS = 16
OPTIONS_PER_PANEL = 3
LEADING_STEPS = (0.985, 0.97)  # the article's leading, when breaks alone cannot do it

# The whitespace after a sentence's end: ".", "!" or "?", closing quotes or brackets, then
# whitespace before what may open a sentence (a capital or a digit: _is_end).
_SENTENCE = re.compile(r"[.!?][”’\"')\]]*(\s+)(?=[“‘\"'(\[¿¡]*(\w))")
_ENDS = re.compile(r"[.!?][”’\"')\]]*$")
_TOKENS = re.compile(r"<!--.*?-->|<[^>]*>|&#?\w+;|[^<&]+", re.S)
_VOID = {"br", "wbr", "img", "input", "hr", "source"}
_INVISIBLE = re.compile(r"[\s\u200b\u2060\u00ad]+")


def _is_end(text: str, match: re.Match[str]) -> bool:
    """Whether a sentence-final mark is one: not "Dr." or an initial, and a capital or a digit follows."""
    if not (match.group(2).isupper() or match.group(2).isdigit()):
        return False
    words = text[:match.start() + 1].split()
    word = words[-1].lstrip("(“‘\"'").lower() if words else ""
    return word.removesuffix(".") not in NEVER_END and not re.fullmatch(r"\w\.", word)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """The whitespace between each two sentences of ``text``: (start, end) offsets."""
    return [match.span(1) for match in _SENTENCE.finditer(text) if _is_end(text, match)]


def ends_sentence(text: str) -> bool:
    """Whether ``text`` (the last line on a panel) ends at a sentence's end: not when it ends
    where an address may break ("www.", then a zero-width space)."""
    if text.rstrip(" \n\t").endswith(("\u200b", "\u2060")):
        return False
    text = _INVISIBLE.sub(" ", text).strip()
    match = _ENDS.search(text)
    if not match:
        return False
    word = text[:match.start() + 1].split()[-1].lstrip("(“‘\"'").lower()
    return word.removesuffix(".") not in NEVER_END and not re.fullmatch(r"\w\.", word)


def _line_text(line: Any) -> str:
    return "".join(box.text for box in line.descendants() if type(box).__name__ == "TextBox")


def _lines(page: Any) -> list[Any]:
    return [box for box in page._page_box.descendants() if type(box).__name__ == "LineBox"]


@dataclass
class Layout:
    """One laid-out version of the document: its HTML, boxes, and its mid-sentence panels."""

    text: str
    document: Any
    problems: list[int]  # page indexes of the panels that end mid-sentence
    lines: list[list[Any]]  # each page's line boxes
    # Elements of pages kept from another layout (``resume``), with this document's in their place.
    elements: dict[Any, Any]

    def element(self, line: Any) -> Any:
        """The element of ``line``, of this document's tree (a kept page's boxes hold their own document's)."""
        return self.elements.get(line.element, line.element)


def _measure(text: str, document: Any) -> Layout | None:
    """The layout's mid-sentence panels; None when the content does not fit the tri-fold."""
    try:
        trifold.slots(document)
    except trifold.Overflow:
        return None
    lines = [_lines(page) for page in document.pages]
    layout = Layout(text, document, [], lines, getattr(getattr(document, KEPT_ATTRIBUTE, None), "elements", {}))
    article = [i for i, page in enumerate(document.pages) if "article" in trifold.page_parts(page)]
    for index in article[:-1]:
        if not lines[index] or not lines[index + 1]:
            continue
        last = lines[index][-1]
        continued = any(layout.element(line) is layout.element(last) for line in lines[index + 1])
        ending = _line_text(last)
        split_word = ending.rstrip(" \n\t").endswith(("-", "\u00ad"))  # a word split across the fold
        if last.element is not None and continued and (split_word or (last.element.tag == "p" and not ends_sentence(ending))):
            layout.problems.append(index)
    return layout


def _plain(fragment: str, offset: int) -> tuple[str, list[tuple[int, int, int]]]:
    """The text of an HTML fragment, and for each of its characters (start, end, depth) in
    the HTML: where it is (``offset`` added) and inside how many inline elements."""
    chars: list[str] = []
    where: list[tuple[int, int, int]] = []
    depth = 0
    for token in _TOKENS.finditer(fragment):
        piece, start, end = token.group(0), token.start() + offset, token.end() + offset
        if piece.startswith("<!--"):
            continue
        if piece.startswith("<"):
            name = re.match(r"</?\s*(\w+)", piece)
            tag = name.group(1).lower() if name else ""
            if tag in ("br", "wbr"):
                chars.append(" " if tag == "br" else "\u200b")
                where.append((start, end, depth))
            elif piece.startswith("</"):
                depth -= 1
            elif tag not in _VOID and not piece.endswith("/>"):
                depth += 1
        elif piece.startswith("&"):
            chars.append(html.unescape(piece))
            where.append((start, end, depth))
        else:
            chars += piece
            where += [(start + i, start + i + 1, depth) for i in range(len(piece))]
    return "".join(chars), where


def _splits(layout: Layout, page: int, para: Any, root: Any) -> list[str]:
    """The HTML with ``para`` split at a sentence end on ``page``, the last one first.

    Only ends that leave at least two of the paragraph's lines on the page qualify, and
    only where the split falls outside links and bold words.
    """
    mine = [(index, line) for index, lines in enumerate(layout.lines) for line in lines if layout.element(line) is para]
    start = source_of(layout.text, root, para)
    if start is None:
        return []
    end = layout.text.find("</p>", start.end())
    plain, where = _plain(layout.text[start.end():end], start.end())
    texts = _unhyphenated([_line_text(line) for _, line in mine], plain)
    if texts is None:
        return []
    joined = " ".join(texts)
    line_of = [n for n, t in enumerate(texts) for _ in range(len(t) + 1)]
    spans, source_spans = sentence_spans(joined), sentence_spans(plain)
    same = _INVISIBLE.sub("", joined).lower() == _INVISIBLE.sub("", plain).lower() == \
        _INVISIBLE.sub("", "".join(para.itertext())).lower()
    if not same or len(spans) != len(source_spans):
        return []  # the laid-out text is not the paragraph's as written (a template's own doing)
    on_page = [n for n, (index, _) in enumerate(mine) if index == page]
    options = []
    for (at, _), (first, last) in reversed(list(zip(spans, source_spans))):
        line = line_of[at - 1]
        if line not in on_page or on_page.index(line) < 1:
            continue
        if any(where[i][2] for i in range(first, last)):
            continue  # inside a link or bold words
        cut, resume = where[first][0], where[last - 1][1]
        options.append(f"{layout.text[:cut]}</p>\n{with_break_class(start.group(0))}{layout.text[resume:]}")
    return options


def _unhyphenated(texts: list[str], source: str) -> list[str] | None:
    """The paragraph's lines as laid out, without the hyphens hyphenation added at their ends
    (those not in ``source``, the paragraph's text); None when the lines are not its text."""
    written = _INVISIBLE.sub("", source).lower()
    at, lines = 0, []
    for text in texts:
        seen = _INVISIBLE.sub("", text).lower()
        if written.startswith(seen, at):
            at += len(seen)
            lines.append(text)
        elif seen.endswith("-") and written.startswith(seen[:-1], at):
            at += len(seen) - 1
            lines.append(text.rstrip(" \n\t")[:-1])
        else:
            return None
    return lines


def _move(layout: Layout, page: int, para: Any, root: Any) -> str | None:
    """The HTML with ``para`` (or the heading of the section it opens) starting the next panel;
    None when it starts on an earlier panel or already opens this one."""
    parent = {child: node for node in root.iter() for child in node}
    siblings = list(parent[para]) if para in parent else [para]
    index = siblings.index(para)
    while index > 0 and siblings[index - 1].tag in ("h2", "h3", "figure"):
        index -= 1
    target = siblings[index]
    inside = set(target.iter())
    first = next(((n, line) for n, lines in enumerate(layout.lines) for line in lines if layout.element(line) in inside), None)
    if first is None or first[0] != page or first[1] is layout.lines[page][0]:
        return None
    start = source_of(layout.text, root, target)
    if start is None:
        return None
    return layout.text[:start.start()] + with_break_class(start.group(0)) + layout.text[start.end():]


def _options(layout: Layout, page: int) -> list[str]:
    """Ways to end ``page`` at a sentence's end, best first."""
    para = layout.element(layout.lines[page][-1])
    root = layout.document._html.etree_element  # its own tree's (a resumed trial keeps pages of another)
    options = _splits(layout, page, para, root)[:OPTIONS_PER_PANEL - 1]
    move = _move(layout, page, para, root)
    return options + ([move] if move else [])


class _Trials:
    """The layouts a search may still make, and those it made (by HTML), so none is made twice."""

    def __init__(self, like: Any, budget: int, options: dict[str, Any]) -> None:
        self.like = like
        self.options = options
        self.left = budget
        self.made: dict[str, Layout | None] = {}

    def lay_out(self, text: str, parent: Layout | None = None) -> Layout | None:
        """``text`` laid out and measured; resumed from ``parent``'s pages where its fix cannot
        change them (``resume``)."""
        if text not in self.made:
            self.left -= 1
            self.made[text] = _lay_out(text, self.like, self.options, parent)
        return self.made[text]


def _search(layout: Layout, start: int, trials: _Trials, partial: bool) -> Layout:
    """The layout with the fewest mid-sentence panels reachable from ``layout`` by fixing
    panels from page ``start`` on, each fix combined with those of the later panels; with
    ``partial``, also by leaving a panel as it is to fix the later ones."""
    todo = [page for page in layout.problems if page >= start]
    if not todo:
        return layout
    page = todo[0]
    best = layout
    for text in _options(layout, page):
        if trials.left <= 0 and text not in trials.made:
            break
        candidate = trials.lay_out(text, layout)
        if candidate is None:
            break  # it overflows; the options after it push still more text on, so they would too
        if page in candidate.problems:
            continue  # it does not help
        found = _search(candidate, page + 1, trials, partial)
        if len(found.problems) < len(best.problems):
            best = found
        if not any(later > page for later in best.problems):
            return best  # the panels before this one are as they were: nothing better is left
    if partial:
        found = _search(layout, page + 1, trials, partial)  # leave this panel, fix the later ones
        best = found if len(found.problems) < len(best.problems) else best
    return best


def _lay_out_like(text: str, like: Any, options: dict[str, Any], parent: Layout | None = None) -> Any:
    """Lay ``text`` out as the document ``like`` was (its base URL, files, fonts, options),
    without writing a PDF; WeasyPrint's messages about it are the first layout's. With ``parent``
    (the layout ``text`` fixes), its cover and back are kept when the fix cannot have changed them (``resume``);
    within a render's session, the pages of the last build's layouts it leaves as they are (``previous``)."""
    from weasyprint import HTML

    def make() -> Any:
        return HTML(string=text, base_url=like._html.base_url, url_fetcher=like.url_fetcher).render(
            font_config=like.font_config, **options)

    with quiet.silenced():  # this thread's messages only: another thread's render still says its own
        return previous.lay_out(text, make, previous.Laid(parent.text, parent.document) if parent is not None else None)


def _lay_out(text: str, like: Any, options: dict[str, Any], parent: Layout | None = None) -> Layout | None:
    """Lay ``text`` out as ``like`` was and measure it (``_lay_out_like``)."""
    return _measure(text, _lay_out_like(text, like, options, parent))


KEPT_ATTRIBUTE = resume.ATTRIBUTE  # on a layout: what a trial resumed from it needs (resume.Kept)


def _recorded(lay_out: Callable[[str], Any]) -> Callable[[str], Any]:
    """The build's ``lay_out``, its layouts recorded for the trials resumed from them."""

    def recorded(text: str) -> Any:
        with resume.recording() as plan:
            document = lay_out(text)
        if getattr(document, KEPT_ATTRIBUTE, None) is None:  # the build's own recorded it (``previous``)
            setattr(document, KEPT_ATTRIBUTE, plan.record)
        return document

    return recorded


def _tighter(text: str, document: Any, factor: float) -> str | None:
    """The HTML with the article's leading ``factor`` times its own (None when it has none to scale)."""
    article = next((box for page in document.pages for box in page._page_box.descendants()
                    if getattr(box, "element", None) is not None and box.element.tag == "main"), None)
    leading: Any = article.style["line_height"] if article is not None else "normal"
    if isinstance(leading, (int, float)):
        value = f"{leading * factor:.4f}"  # a number: so many times the font size
    elif getattr(leading, "unit", None) == "px":
        value = f"{leading.value * factor:.4f}px"
    else:
        return None  # "normal", or a percentage already resolved elsewhere
    if "</head>" not in text:
        return None
    return text.replace("</head>", f"<style>.article {{ line-height: {value}; }}</style>\n</head>", 1)


# The HTML the pass chose for a document (by the hash of its HTML and options), and the
# files (stylesheets, images) its layout read, each with the hash of the bytes read.
CHOSEN: dict[str, tuple[str, dict[Path, str]]] = {}  # cleared when a file changed mid-layout (pdf)
KEPT = 64  # documents whose choice is kept: a batch's variants, a watch session's last edits


def _files(document: Any) -> dict[Path, str] | None:
    """The files a layout read with the hashes of what it read (None: not our fetcher, unknown).

    Not the fonts: a process registers each font file once (fontsets.CONFIGS) and lays out
    with it from then on, so only the first layout reads them."""
    from ..content.fonts import FONT_SUFFIXES
    from .pdf import FETCHED

    seen = getattr(document.url_fetcher, "seen", None)
    if seen is None:
        return None
    own = getattr(document.url_fetcher, "hashes", {})  # this layout's reads, not another thread's since
    return {path: own.get(path) or FETCHED.get(path, "") for path in seen if path.suffix.lower() not in FONT_SUFFIXES}


def sentence_breaks(options: dict[str, Any]) -> Choose:
    """A chooser for the tri-fold's print and office PDFs, laid out with WeasyPrint's
    ``options``: ``choose(html, lay_out)`` returns the HTML whose panels end at sentence ends,
    and its layout, moving panel breaks that fall mid-sentence and laying out changed HTML to
    compare. ``lay_out(html)`` is the build's own layout (its fetcher, fonts and log).

    Kept per process: the same HTML with the same options, whose chosen HTML's layout reads
    the same files (same bytes) as when it was chosen, is laid out once, as chosen.
    """

    def choose(text: str, lay_out: Callable[[str], Any]) -> tuple[str, Any]:
        lay_out = _recorded(lay_out)
        key = hashlib.sha256(f"{sorted(options.items())!r}\0{text}".encode()).hexdigest()
        if key in CHOSEN:
            chosen, files = CHOSEN[key]
            document = lay_out(chosen)
            if _files(document) == files:
                return chosen, document
            if chosen == text:  # a file changed since: search again, from this very layout
                return _choose(text, document, key)
        return _choose(text, lay_out(text), key)

    def _choose(text: str, document: Any, key: str) -> tuple[str, Any]:
        # A short article fills the inside panels first, balanced (panels), then its panels
        # end at sentence ends as any other's.
        text, document = panels.fill(text, document, lambda html: _lay_out_like(html, document, options))
        layout = _measure(text, document)
        if layout is None:
            return text, document  # it does not fit: the imposition says where, and by how much
        best = _best(layout, text, document, options) if layout.problems else layout
        files = _files(best.document)
        if files is not None:
            if len(CHOSEN) >= KEPT:  # a long watch session: the oldest choice goes
                del CHOSEN[next(iter(CHOSEN))]
            CHOSEN[key] = (best.text, files)
        return best.text, best.document

    return choose


def _best(layout: Layout, text: str, document: Any, options: dict[str, Any]) -> Layout:
    """The layout with the fewest mid-sentence panels the search finds (``layout`` if none better)."""
    trials = _Trials(document, MAX_LAYOUTS, options)
    best = _search(layout, 0, trials, partial=False)
    for factor in LEADING_STEPS:  # every panel at a sentence end, with the leading a step tighter
        tighter = _tighter(text, document, factor)
        if not best.problems or trials.left <= 0 or tighter is None:
            break
        start = trials.lay_out(tighter)
        found = _search(start, 0, trials, partial=False) if start is not None else best
        best = best if found.problems else found
    if best.problems:  # failing that, as few mid-sentence panels as can be, at the design's leading
        best = _search(layout, 0, trials, partial=True)
    return best
