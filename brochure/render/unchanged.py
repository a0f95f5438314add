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

Each only when it is a page of its own part (the cover, the back) or between them.
"""

from __future__ import annotations

from typing import Any

from . import trifold
from .breaks import source_of


def unchanged(parent_text: str, document: Any, text: str) -> frozenset[int]:
    """The pages of ``document`` (the layout of ``parent_text``) that ``text`` leaves as they are."""
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
        keep |= _before(parent_text, document, text, len(parts) - 1)
    return frozenset(keep)


def _before(parent_text: str, document: Any, text: str, last: int) -> set[int]:
    """The pages between the cover and ``last`` whose HTML (and that of the element opening the
    page after) lies wholly before the first difference of the two texts."""
    if "</head>" not in text:
        return set()
    differs = _first_difference(parent_text, text)
    root = document._html.etree_element
    seen: set[Any] = set()
    found = set()
    for index in range(last):
        seen.update(getattr(box, "element", None) for box in document.pages[index]._page_box.descendants())
        if not index:
            continue  # the cover: said above
        after = _first_new(document.pages[index + 1], seen)
        where = source_of(parent_text, root, after) if after is not None else None
        if where is None or where.end() > differs:
            break  # this page and those after it may hold what the fix changed
        found.add(index)
    return found


def _first_new(page: Any, seen: set[Any]) -> Any:
    """The first element with a box on ``page`` that has none on the pages before (``seen``)."""
    return next((box.element for box in page._page_box.descendants()
                 if getattr(box, "element", None) is not None and box.element not in seen), None)


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
