"""Unchanged: the pages of a tri-fold layout that a fix of its HTML leaves as they are, by the text.

The sentence-break search (``flow``) lays out each fix of the HTML it tries, resumed from the
layout it fixes (``resume``). This module says which of that layout's pages the fix cannot
have changed, by the two HTML texts alone; resume then keeps each one only when WeasyPrint and
its own checks find it unchanged (its starting state, every element's declarations and boxes,
the elements that open the next page, the files read):

- the cover, when everything before the article (the head included) is the same text;
- the back panel, when everything from it on is, and the head;
- a page of the article, when everything up to the first element that starts after it (its
  start tag included) is the same text: a fix splits or moves a paragraph on a later panel.
  Only a page the layout made itself (not one it kept), between two it made itself (the cover
  before the first), and whose paragraphs neither start before it nor go on after it: flow
  compares the lines of one panel with the next by their elements, and a kept page's are
  those of the document it was made in, so no paragraph may cross from a kept page to a new one.

Each only when it is a page of its own part (the cover, the back) or between them.
"""

from __future__ import annotations

from typing import Any

from . import trifold
from .breaks import source_of


def unchanged(parent_text: str, document: Any, text: str, reused: frozenset[int] = frozenset()) -> frozenset[int]:
    """The pages of ``document`` (the layout of ``parent_text``, which kept the pages ``reused``
    from another) that ``text`` leaves as they are."""
    parts = [trifold.page_parts(page) for page in document.pages]
    keep = set()
    for marker, index, part in (('data-part="article"', 0, "cover"), ('data-part="back"', len(parts) - 1, "back")):
        if text.count(marker) != 1 or parent_text.count(marker) != 1 or not parts or parts[index] != [part]:
            continue
        mine, theirs = text.index(marker), parent_text.index(marker)
        head = text.find("</head>")  # the back, too, only with the same head (its styles, @page, @font-face)
        same = text[:mine] == parent_text[:theirs] if part == "cover" else \
            text[mine:] == parent_text[theirs:] and head >= 0 and text[:head] == parent_text[:parent_text.find("</head>")]
        if same and sum(part in found for found in parts) == 1:
            keep.add(index)
    if 0 in keep and len(parts) - 1 in keep:
        keep |= _before(parent_text, document, text, len(parts) - 1, reused)
    return frozenset(keep)


def _before(parent_text: str, document: Any, text: str, last: int, reused: frozenset[int]) -> set[int]:
    """The pages between the cover and ``last`` whose HTML (and that of the element opening the
    page after) lies wholly before the first difference of the two texts, each made by this
    layout between two it made (or the cover), no paragraph crossing into or out of it."""
    if "</head>" not in text:
        return set()
    differs = _first_difference(parent_text, text)
    root = document._html.etree_element
    lines = [{box.element for box in page._page_box.descendants() if type(box).__name__ == "LineBox"}
             for page in document.pages]
    found = set()
    for index in range(1, last):
        if {index - 1 if index > 1 else index, index, index + 1} & reused:
            continue  # a page of another document's tree beside it: its elements are not these
        if lines[index] & (lines[index + 1] | (lines[index - 1] if index > 1 else set())):
            continue  # a paragraph crosses a fold of it
        page = set(_elements(document.pages[index]))
        after = next((element for element in _elements(document.pages[index + 1]) if element not in page), None)
        where = source_of(parent_text, root, after) if after is not None else None
        if where is None or where.end() > differs:
            break  # this page and those after it may hold what the fix changed
        found.add(index)
    return found


def _elements(page: Any) -> list[Any]:
    """The elements with a box on ``page``, in the order of its boxes."""
    return [box.element for box in page._page_box.descendants() if getattr(box, "element", None) is not None]


def _first_difference(one: str, other: str) -> int:
    """The length of the longest start the two texts share (compared a half at a time, in C)."""
    low, high = 0, min(len(one), len(other))
    while low < high:
        middle = (low + high + 1) // 2
        if one[:middle] == other[:middle]:
            low = middle
        else:
            high = middle - 1
    return low
