"""Aligned: each element of one document's tree with its place in another's, for the pages a layout keeps.

A layout resumed from another (``resume``) keeps a page when every element on it is styled and built alike
in both documents; this module says which element of the new tree each one is. Trees are compared by tag
and attributes (within the ``<head>``, by tag: ``unchanged`` compares the rest of it as text), alike from the
start and from the end, and, between, in the runs both trees have alike in the same order.
"""

from __future__ import annotations

from typing import Any


def matched(origin: tuple[Any, ...], html: Any, elements: set[Any], aligned: dict[Any, Any] | None = None) -> dict[Any, Any] | None:
    """Each of ``elements`` (of the document ``origin`` was made in) with the new document's
    element in its place; None when one is where the documents differ. Elements are matched in
    tree order, alike (tag and attributes) from the start and from the end, and between, in the runs of
    elements alike both documents have in the same order (``difflib``): a fix inserts or changes
    elements, an edit of a cover and a back changes theirs, where no kept page has any (a page
    whose elements have other children is not kept: ``resume``). ``aligned`` keeps each pair of
    trees' alignment for the next call (the trees unchanged meanwhile)."""
    root = origin[0]
    key = (id(root), id(html.etree_element))
    found = None if aligned is None else aligned.get(key)
    if found is None:
        found = _align(root, html.etree_element)  # holds both trees' elements: their ids are no other's meanwhile
        if aligned is not None:
            aligned[key] = found
    pairs = {}
    for element in elements:
        match = found[2].get(element)
        if match is None:
            return None  # where the documents differ: what the fix changed
        pairs[element] = match
    return pairs


def _align(root: Any, other: Any) -> tuple[Any, Any, dict[Any, Any]]:
    """Two trees (held: their ids are no other's meanwhile), and each element of the first alike in place
    in the second: the same from the start and from the end, and the runs alike between."""
    from difflib import SequenceMatcher

    old, new = list(root.iter()), list(other.iter())
    same, mine = _shapes(root, old), _shapes(other, new)
    prefix = next((n for n, (a, b) in enumerate(zip(same, mine)) if a != b), min(len(old), len(new)))
    suffix = next((n for n, (a, b) in enumerate(zip(reversed(same[prefix:]), reversed(mine[prefix:]))) if a != b),
                  min(len(old), len(new)) - prefix)
    pairs = dict(zip(old[:prefix], new[:prefix]))
    pairs.update(zip(old[len(old) - suffix:], new[len(new) - suffix:]))
    middle = SequenceMatcher(None, same[prefix:len(old) - suffix], mine[prefix:len(new) - suffix], autojunk=False)
    for start, other_start, size in middle.get_matching_blocks():
        pairs.update(zip(old[prefix + start:prefix + start + size], new[prefix + other_start:prefix + other_start + size]))
    return root, other, pairs


def _shapes(root: Any, elements: list[Any]) -> list[tuple[Any, tuple[tuple[str, str], ...]]]:
    """Each element's tag and attributes; within the ``<head>`` the tag alone: its title and metadata
    (``<meta content>``) are never laid out, and what else it says ``unchanged`` compares as text."""
    head = {inner for found in root.iter("head") for inner in found.iter() if inner is not found}
    return [(element.tag, () if element in head else tuple(sorted(element.attrib.items()))) for element in elements]
