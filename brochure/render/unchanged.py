"""Unchanged: the pages of a tri-fold layout that a fix of its HTML leaves as they are, by the text.

The sentence-break search (``flow``) lays out each fix of the HTML it tries, resumed from the
layout it fixes (``resume``). This module says which of that layout's pages the fix cannot
have changed, by the two HTML texts alone; resume then keeps each one only when WeasyPrint and
its own checks find it unchanged (its starting state, every element's declarations and boxes,
the elements that open the next page, the files read):

- the cover, when everything before the article (the head included) is the same text;
- the back panel, when everything from it on is, and the head.

The article's own pages are never kept: where a panel ends depends on what comes after it
(a paragraph pushed on whole by ``orphans`` or ``break-inside: avoid`` and then split by a fix,
a heading kept with what follows), which no comparison of the text before a fix can rule out
(tests/test_resume_attacks.py).

Each only when it is a page of its own part.
"""

from __future__ import annotations

from typing import Any

from . import trifold


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
    return frozenset(keep)
