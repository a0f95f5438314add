"""Unchanged: the pages of a layout that another HTML of the same document leaves as they are, by the text.

Two layouts are resumed from another (``resume``): the sentence-break search's trials (``flow``), from the
layout each fixes, and a build's, from the last build's of the same document (``previous``). This module says
which of the older layout's pages the new HTML cannot have changed, by the two texts alone; resume then keeps
each one only when WeasyPrint and its own checks find it unchanged (its starting state, every element's
declarations and boxes, the elements that open the next page, the files read):

- every page, when the two are the same text but for the head's ``<title>`` and ``<meta>`` (a title edit
  changes them, a stamp the ``dcterms`` dates: only the PDF's metadata says them, written from the new
  document, and nothing in them is laid out; a selector that reads them changes declarations, compared);
- the cover (a tri-fold's), when everything before the article is the same text (the head as above);
- the article's pages, when the article is the same text, and the head as above: each of its pages made of
  the article alone, the back starting a page of its own (where the last article page ends does not wait on
  the back), and where the first one starts WeasyPrint's to compare (a cover of other length);
- the back panel, when everything from it on is, and the head as above.

An article page is never kept when the article's text changed: where a panel ends depends on what comes
after it (a paragraph pushed on whole by ``orphans`` or ``break-inside: avoid`` and then split by a fix, a
heading kept with what follows), which no comparison of the text before a change can rule out
(tests/test_resume_attacks.py).
"""

from __future__ import annotations

import re
from typing import Any

from . import trifold

# What of the head is never laid out: the document's title and its metadata (PDF metadata only).
_METADATA = re.compile(r"<title(?=[\s>])[^>]*>.*?</title\s*>|<meta(?=[\s>/])[^>]*>", re.S | re.I)


def _head(text: str) -> str | None:
    """The head as laid out (``<title>`` and ``<meta>`` tags left out), None when there is no ``</head>``."""
    end = text.find("</head>")
    return None if end < 0 else _METADATA.sub("", text[:end])


def unchanged(parent_text: str, document: Any, text: str) -> frozenset[int]:
    """The pages of ``document`` (the layout of ``parent_text``) that ``text`` leaves as they are."""
    head, parent_head = text.find("</head>"), parent_text.find("</head>")
    same_head = head >= 0 and parent_head >= 0 and _head(text) == _head(parent_text)
    if text == parent_text or (same_head and text[head:] == parent_text[parent_head:]):
        return frozenset(range(len(document.pages)))
    parts = [trifold.page_parts(page) for page in document.pages]
    if not same_head or not parts or any(
            text.count(f'data-part="{part}"') != 1 or parent_text.count(f'data-part="{part}"') != 1
            for part in ("article", "back")):
        return frozenset()
    article, parent_article = text.index('data-part="article"'), parent_text.index('data-part="article"')
    back, parent_back = text.index('data-part="back"'), parent_text.index('data-part="back"')
    pages = [i for i, found in enumerate(parts) if "article" in found]
    keep: set[int] = set()
    if parts[0] == ["cover"] and sum("cover" in found for found in parts) == 1 and pages \
            and _forced(document, pages[0], "article") and text[head:article] == parent_text[parent_head:parent_article]:
        keep.add(0)
    alone = parts[-1] == ["back"] and sum("back" in found for found in parts) == 1 and _forced(document, -1, "back")
    if pages and alone and all(parts[i] == ["article"] for i in pages) \
            and text[article:back] == parent_text[parent_article:parent_back]:
        keep.update(pages)
    if alone and text[back:] == parent_text[parent_back:]:
        keep.add(len(parts) - 1)
    return frozenset(keep)


_FORCED = frozenset({"page", "left", "right", "recto", "verso"})


def _forced(document: Any, index: int, part: str) -> bool:
    """Whether the element of ``part`` opens page ``index`` with a forced break before it: the page before
    ends where that part starts, whatever it holds (resume compares the declarations of what opens a page)."""
    for box in document.pages[index]._page_box.descendants():
        element = getattr(box, "element", None)
        if element is not None and element.get("data-part") == part:
            return box.style["break_before"] in _FORCED
    return False
