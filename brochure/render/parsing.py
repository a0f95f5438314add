"""Parsing: the HTML brochure makes, parsed to the very tree tinyhtml5 gives, in a tenth of its time; its head read
without wrapping every element.

WeasyPrint parses every document with tinyhtml5, an HTML5 parser written in Python: about 6 ms for the seed's print
HTML and 12 ms for a long handout, at every layout (four an edited tri-fold build: its sentence-break trials), some 5 %
of a warm build. The HTML brochure's templates make is plain: a doctype, then html, head and body written out, every
element closed where it ends, its text escaped. For such a document HTML5's tree construction only opens and closes
the elements as they are written, and this parser builds that tree (``xml.etree`` elements, their text and tails
joined as tinyhtml5 joins them) with a few regular expressions.

Anything else makes it give up (None), and tinyhtml5 parses the document as before: an element HTML5 would close,
open or move on its own (a block in a paragraph, a list item outside a list, a row without its table body, a third
nested ``b``, a link in a link), a tag left open or closed out of order, an element it does not know (scripts,
forms, SVG, MathML, ``pre``), an unquoted attribute or one in capitals, a comment outside the head and body, a
character reference that is not a whole known one (``&amp;``, ``&#233;``), a control character, a carriage return
or a byte order mark, any ``<`` that does not begin a tag it reads. What it accepts was read from tinyhtml5 2.1's
own tree construction (``tinyhtml5.parser``), not from the HTML standard: the tree to match is tinyhtml5's.

WeasyPrint then walks the whole tree, wrapping each element for selector matching, twice a layout for a few
elements: its stylesheets (``find_stylesheets``) and its title and ``meta`` (``get_html_metadata``); both are
handed the elements of those tags from ElementTree's own walk instead (``_Elements``), about 2 ms a layout.

``tests/test_parsing.py`` compares both trees on every document the tests build and on thousands of altered ones.
``BROCHURE_PARSING=off`` (or ``BROCHURE_MEMOS=off``) or ``enabled(False)``: tinyhtml5 alone. The patch is
``patches``' (listed there with its reason), installed once per process from ``patches.install()``.
"""

from __future__ import annotations

import io
import re
import threading
from html.entities import html5 as ENTITIES  # tinyhtml5's own table
from typing import Any
from xml.etree.ElementTree import Comment, Element

from . import memos

_ENABLED = memos.switched("BROCHURE_PARSING")
ANSWERED = [0, 0]  # documents parsed here, and handed to tinyhtml5 (by enabled parses): tests and the bench read it

# Characters tinyhtml5 reports, replaces or treats apart (controls, carriage return, surrogates, noncharacters, a
# byte order mark): a document holding one is tinyhtml5's to parse.
_NONCHARACTERS = "".join(chr(plane << 16 | low) for plane in range(1, 17) for low in (0xFFFE, 0xFFFF))
_REFUSED = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufeff\ufffe\uffff{_NONCHARACTERS}]")
_DOCTYPE = "<!DOCTYPE html>"
_SPACE = "\t\n "
_START = re.compile(r"<([a-z][a-z0-9]*)((?:[\t\n ]+[a-z][a-z0-9_.-]*(?:=(?:\"[^\"]*\"|'[^']*'))?)*)[\t\n ]*(/?)>")
_ATTRIBUTE = re.compile(r"[\t\n ]+([a-z][a-z0-9_.-]*)(?:=(?:\"([^\"]*)\"|'([^']*)'))?")
_END = re.compile(r"</([a-z][a-z0-9]*)>")
_RAWTEXT_END = {"style": re.compile("</style", re.IGNORECASE), "title": re.compile("</title", re.IGNORECASE)}
_REFERENCE = re.compile(r"&(?:#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6})|([A-Za-z][A-Za-z0-9]{0,31}));")

# tinyhtml5's in-body start tags that close an open paragraph first (start_tag_close_p, headings, table, hr).
_CLOSE_P = frozenset(("address", "article", "aside", "blockquote", "center", "details", "dir", "div", "dl",
                      "fieldset", "figcaption", "figure", "footer", "header", "hgroup", "main", "menu", "nav", "ol",
                      "p", "section", "summary", "ul", "h1", "h2", "h3", "h4", "h5", "h6", "table"))
_HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
_FORMATTING = frozenset(("b", "big", "code", "em", "font", "i", "s", "small", "strike", "strong", "tt", "u"))
# Inserted and closed at once (hr closes an open paragraph first: ``_in_body``); an end tag of one is tinyhtml5's.
_VOID = frozenset(("area", "br", "embed", "img", "keygen", "wbr", "param", "source", "track", "hr"))
# Start tags tinyhtml5 handles as "any other": inserted, nothing closed.
_PLAIN = frozenset(("span", "abbr", "cite", "q", "sub", "sup", "kbd", "samp", "var", "dfn", "mark", "time", "data",
                    "bdi", "bdo", "ins", "del"))
_LIST_ITEMS = {"li": ("ul", "ol"), "dd": ("dl",), "dt": ("dl",)}
# In a table, only these children (and white space) keep tinyhtml5 from moving anything.
_TABLE_CHILDREN = {"table": ("thead", "tbody", "tfoot"), "thead": ("tr",), "tbody": ("tr",), "tfoot": ("tr",),
                   "tr": ("td", "th")}
_HEAD_VOID = frozenset(("meta", "link", "base"))
_BEFORE_HTML, _BEFORE_HEAD, _IN_HEAD, _AFTER_HEAD, _IN_BODY, _AFTER_BODY, _AFTER_HTML = range(7)


class _Unsure(Exception):
    """Not a document this parser answers for: tinyhtml5's."""


class _Stack(list[Any]):
    """The open elements, with how many of each tag are open: asked at every start tag, counted as they open and
    close (a walk of the stack each time made a document of deeply nested elements take quadratic time)."""

    def __init__(self) -> None:
        super().__init__()
        self.open: dict[str, int] = {}

    def append(self, element: Any) -> None:
        super().append(element)
        self.open[element.tag] = self.open.get(element.tag, 0) + 1

    def pop(self, index: Any = -1) -> Any:
        element = super().pop(index)
        self.open[element.tag] -= 1
        return element


def enabled(flag: bool) -> None:
    """Parse plain documents here (True) or every one with tinyhtml5 (False)."""
    global _ENABLED
    _ENABLED = flag


def is_enabled() -> bool:
    """Whether plain documents are parsed here."""
    return _ENABLED


def parse(text: str) -> Any:
    """The ``html`` element tinyhtml5 would give for ``text`` (``namespace_html_elements=False``), or None when
    ``text`` is not a document this parser answers for."""
    try:
        return _parse(text)
    except _Unsure:
        return None


def _decoded(text: str) -> str:
    """``text`` with its character references replaced as tinyhtml5 replaces them; every ``&`` must begin one
    that tinyhtml5 reads without a parse error."""
    if "&" not in text:
        return text
    parts: list[str] = []
    position = found = 0
    for match in _REFERENCE.finditer(text):
        found += 1
        parts.append(text[position:match.start()])
        decimal, hexadecimal, name = match.groups()
        if name is not None:
            value = ENTITIES.get(name + ";")
            if value is None:
                raise _Unsure
            parts.append(value)
        else:
            code = int(decimal, 10) if decimal is not None else int(hexadecimal, 16)
            if not (code in (0x09, 0x0A) or 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xD7FF or 0xE000 <= code <= 0xFDCF
                    or 0xFDF0 <= code <= 0xFFFD or (0x10000 <= code <= 0x10FFFF and code & 0xFFFE != 0xFFFE)):
                raise _Unsure  # replaced, or reported, by tinyhtml5
            parts.append(chr(code))
        position = match.end()
    parts.append(text[position:])
    if found != text.count("&"):  # an & that begins no reference read here
        raise _Unsure
    return "".join(parts)


def _add_text(node: Any, text: str) -> None:
    """``text`` at the end of ``node``: its text, or its last child's tail (tinyhtml5's ``insert_text``)."""
    if len(node):
        last = node[-1]
        last.tail = (last.tail or "") + text
    else:
        node.text = (node.text or "") + text


def _attributes(raw: str) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for name, double, single in _ATTRIBUTE.findall(raw):
        if name not in attributes:  # tinyhtml5 keeps the first of a repeated attribute
            attributes[name] = _decoded(double or single)
    return attributes


def _parse(text: str) -> Any:
    if not text.startswith(_DOCTYPE) or _REFUSED.search(text):
        raise _Unsure
    stack = _Stack()
    mode = _BEFORE_HTML
    position, end = len(_DOCTYPE), len(text)
    while position < end:
        bracket = text.find("<", position)
        if bracket < 0:
            bracket = end
        if bracket > position:
            _text(stack, mode, text[position:bracket])
            position = bracket
            continue
        if text.startswith("<!--", position):
            position = _comment(stack, mode, text, position)
            continue
        match = _END.match(text, position)
        if match is not None:
            mode = _end(stack, mode, match[1])
            position = match.end()
            continue
        match = _START.match(text, position)
        if match is None:
            raise _Unsure  # a '<' tinyhtml5 reads otherwise: text, a bogus comment, an odd tag
        mode, position = _start(stack, mode, match, text)
    if mode not in (_AFTER_BODY, _AFTER_HTML) and not (mode == _IN_BODY and len(stack) == 2):
        raise _Unsure  # ended with elements open, or before the body: tinyhtml5 would add or close some
    return stack[0]


def _text(stack: _Stack, mode: int, raw: str) -> None:
    blank = not raw.strip(_SPACE)
    if mode in (_BEFORE_HTML, _BEFORE_HEAD):
        if not blank:
            raise _Unsure
        return  # white space before html and head is dropped
    if mode in (_IN_HEAD, _AFTER_HEAD, _AFTER_BODY, _AFTER_HTML) or stack[-1].tag in _TABLE_CHILDREN:
        if not blank:
            raise _Unsure  # would end the head, open a body, be moved out of a table
        _add_text(stack[-1], raw)  # the head; html after it; the body still, after it ends
        return
    _add_text(stack[-1], _decoded(raw))


def _comment(stack: _Stack, mode: int, text: str, position: int) -> int:
    close = text.find("-->", position + 4)
    body = text[position + 4:close]
    if (close < 0 or mode not in (_IN_HEAD, _IN_BODY) or stack[-1].tag in _TABLE_CHILDREN or body.startswith(">")
            or body.startswith("->") or "--" in body or body.endswith("-") or "<!-" in body):
        raise _Unsure
    stack[-1].append(Comment(body))
    return close + 3


def _end(stack: _Stack, mode: int, name: str) -> int:
    if mode == _IN_HEAD and name == "head":
        stack.pop()
        return _AFTER_HEAD
    if mode == _AFTER_BODY and name == "html":
        return _AFTER_HTML
    if mode != _IN_BODY or name in ("html", "head") or name in _VOID or stack[-1].tag != name:
        raise _Unsure
    if name == "body":
        if len(stack) != 2:
            raise _Unsure
        return _AFTER_BODY  # tinyhtml5 leaves body open: white space after it is still the body's
    stack.pop()
    return mode


def _start(stack: _Stack, mode: int, match: re.Match[str], text: str) -> tuple[int, int]:
    name, raw, closed = match.groups()
    position = match.end()
    void = name in _VOID or name in _HEAD_VOID
    if closed and not void:
        raise _Unsure  # tinyhtml5 leaves it open
    element = Element(name, _attributes(raw)) if raw else Element(name)
    if mode == _BEFORE_HTML:
        if name != "html":
            raise _Unsure
        stack.append(element)
        return _BEFORE_HEAD, position
    if mode == _BEFORE_HEAD:
        if name != "head":
            raise _Unsure
        _push(stack, element)
        return _IN_HEAD, position
    if mode == _IN_HEAD:
        if name in _HEAD_VOID:
            stack[-1].append(element)
            return mode, position
        if name in _RAWTEXT_END:
            return mode, _raw_text(stack, element, text, position)
        raise _Unsure
    if mode == _AFTER_HEAD:
        if name != "body":
            raise _Unsure
        _push(stack, element)
        return _IN_BODY, position
    if mode != _IN_BODY:
        raise _Unsure
    _in_body(stack, name)
    if name in _VOID:
        stack[-1].append(element)
    else:
        _push(stack, element)
    return mode, position


def _in_body(stack: _Stack, name: str) -> None:
    """Raise ``_Unsure`` unless tinyhtml5 only inserts the element ``name`` where the body's stack ``stack`` is."""
    current = stack[-1].tag
    children = _TABLE_CHILDREN.get(current)
    if children is not None:
        if name not in children:
            raise _Unsure
        return
    if name in ("td", "th", "tr", "thead", "tbody", "tfoot"):
        raise _Unsure  # outside its table: ignored by tinyhtml5
    open_ = stack.open
    if name in _CLOSE_P or name in _LIST_ITEMS or name == "hr":
        if open_.get("p"):
            raise _Unsure
        if name in _HEADINGS and current in _HEADINGS:
            raise _Unsure
        if name in _LIST_ITEMS and current not in _LIST_ITEMS[name]:
            raise _Unsure
        return
    if name == "a":
        if open_.get("a"):
            raise _Unsure
        return
    if name in _FORMATTING:
        if open_.get(name, 0) >= 2:
            raise _Unsure  # a third equal one may drop the first from tinyhtml5's list of formatting elements
        return
    if name not in _VOID and name not in _PLAIN:
        raise _Unsure


def _push(stack: _Stack, element: Any) -> None:
    stack[-1].append(element)
    stack.append(element)


def _raw_text(stack: _Stack, element: Any, text: str, position: int) -> int:
    """A ``style`` (raw text) or ``title`` (text with references) in the head: where it ends."""
    name = element.tag
    match = _RAWTEXT_END[name].search(text, position)
    if match is None or not text.startswith(f"</{name}>", match.start()):
        raise _Unsure  # not ended, or ended by an end tag tinyhtml5 reads in its own way
    content = text[position:match.start()]
    if name == "title":
        if "<" in content:
            raise _Unsure
        content = _decoded(content)
    if content:
        element.text = content
    stack[-1].append(element)
    return match.end() + 1


class Parser:
    """What WeasyPrint's ``HTML()`` calls ``tinyhtml5``: its ``parse`` answers a document given as text (WeasyPrint
    hands ``HTML(string=...)`` over as a ``StringIO``) here when it can, and from tinyhtml5 otherwise."""

    def __init__(self, module: Any) -> None:
        self.module = module

    def parse(self, document: Any, **options: Any) -> Any:
        if (_ENABLED and isinstance(document, io.StringIO) and document.tell() == 0
                and options == {"namespace_html_elements": False}):  # tinyhtml5 reads a StringIO from where it is
            tree = parse(document.getvalue())
            ANSWERED[tree is None] += 1
            if tree is not None:
                return tree
        return self.module.parse(document, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.module, name)


class _Found:
    """One element ``_Elements.query_all`` found: all its callers read of it is ``etree_element``."""

    __slots__ = ("etree_element",)

    def __init__(self, element: Any) -> None:
        self.etree_element = element


class _Elements:
    """A document's root as ``find_stylesheets`` and ``get_html_metadata`` use it: they ask ``query_all`` for tag
    names (``'style', 'link'``; ``'title', 'meta', 'link'``) and read each answer's ``etree_element``, then look at
    its ``tag`` again. cssselect2 walks the whole tree for that, wrapping every element for selector matching (about
    1 ms each, at every layout); ElementTree's own walk finds the elements whose tag is one of the names, in the same
    tree order. cssselect2 would also give a namespaced one (an inline SVG's ``title``), whose tag both callers then
    pass over, and nothing else: a comment, matched by no type selector, is never given."""

    def __init__(self, root: Any) -> None:
        self.root = root

    def query_all(self, *names: str) -> Any:
        return (_Found(element) for element in self.root.iter() if element.tag in names)


class _Document:
    """A parsed ``HTML`` for ``get_html_metadata``: its root wrapper is ``_Elements``, the rest its own."""

    def __init__(self, html: Any) -> None:
        self.html = html
        self.wrapper_element = _Elements(html.etree_element)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.html, name)


_INSTALLING = threading.Lock()


def install() -> None:
    """Hand WeasyPrint's ``HTML()`` this parser, and ``find_stylesheets`` and ``get_html_metadata`` the tree's
    elements by tag (``_Elements``); once per process."""
    import functools

    import weasyprint
    from weasyprint import css, document

    with _INSTALLING:
        if isinstance(weasyprint.tinyhtml5, Parser):
            return
        weasyprint.tinyhtml5 = Parser(weasyprint.tinyhtml5)
        stylesheets, metadata = css.find_stylesheets, document.get_html_metadata

        @functools.wraps(stylesheets)
        def find_stylesheets(wrapper_element: Any, *args: Any) -> Any:
            return stylesheets(_Elements(wrapper_element.etree_element) if _ENABLED else wrapper_element, *args)

        @functools.wraps(metadata)
        def get_html_metadata(html: Any) -> Any:
            return metadata(_Document(html) if _ENABLED else html)

        css.find_stylesheets = find_stylesheets
        document.get_html_metadata = get_html_metadata
