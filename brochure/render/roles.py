"""Roles: what the email PDF's structure tree calls the blocks WeasyPrint 70 has no tag for.

WeasyPrint tags an element by its HTML name alone: a callout's ``<aside>``, a picture's
``<figure>`` and a footnote's ``<sup>`` become NonStruct, and a table's ``<th scope>`` loses
its scope. ``install()`` wraps ``weasyprint.pdf.tags._build_box_tree`` (once per process)
so that, for each element's own box (not its anonymous or pseudo-element boxes):

- ``data-pdf-role`` names its structure type (``Div``, ``Note``, ``Reference``);
- ``data-pdf-title`` becomes its title (``/T``), as a labelled Div;
- a ``Note`` gets its HTML id as its ``/ID`` (PDF/UA-1 asks every Note for a unique one);
- a header cell's ``scope`` becomes its ``/Scope`` (Column or Row);
- and a list item's ``data-pdf-label`` is the alternate text of its label (``Lbl``): what a
  screen reader says for a checklist's drawn box.

Only attributes ``render.blocks`` writes are read; Markdown cannot set them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import memos

_SCOPES = {"col": "/Column", "colgroup": "/Column", "row": "/Row", "rowgroup": "/Row"}


@memos.once
def install() -> None:
    """Put the wrapped tag builder in WeasyPrint; once per process."""
    from weasyprint.pdf import tags

    if getattr(tags._build_box_tree, "brochure_roles", False):  # wrapped already (a module imported anew)
        return
    original = tags._build_box_tree

    def build(box: Any, parent: Any, *args: Any) -> Iterator[Any]:
        # The original calls this module global for each child, so every box passes here.
        for element in original(box, parent, *args):
            _apply(getattr(box, "_box", box), element)
            yield element

    build.brochure_roles = True  # type: ignore[attr-defined]
    tags._build_box_tree = build


def _apply(box: Any, element: Any) -> None:
    import pydyf
    from weasyprint.css import AnonymousStyle

    html = getattr(box, "element", None)
    tag = getattr(box, "element_tag", None) or ""
    if html is None or not hasattr(html, "attrib"):
        return
    attrib = html.attrib
    if tag.endswith("::marker"):
        label = attrib.get("data-pdf-label")
        if label and element.get("S") == "/Lbl":
            element["Alt"] = pydyf.String(label)
        return
    if "::" in tag or isinstance(box.style, AnonymousStyle):
        return
    role = attrib.get("data-pdf-role")
    if role:
        element["S"] = f"/{role}"
    title = attrib.get("data-pdf-title")
    if title:
        element["T"] = pydyf.String(title)
    if role == "Note" and attrib.get("id"):
        element["ID"] = pydyf.String(attrib["id"])
    scope = _SCOPES.get((attrib.get("scope") or "").lower())
    if scope and element.get("S") == "/TH" and isinstance(element.get("A"), dict):
        element["A"]["Scope"] = scope
