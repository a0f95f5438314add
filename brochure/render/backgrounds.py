"""Backgrounds: WeasyPrint's background layout answered at once for a box that has none.

Why: before a page is drawn, WeasyPrint lays out the background of every box on it
(``layout_box_backgrounds``, about 660 boxes a warm build of the seed's two PDFs), and most have
none: no colour, picture, shadow, border or mask image. For each it still builds the list of its
pictures, a colour and, per corner, a property name to resolve its border radii. Here such a box is
recognised from the same style values, read in the same order, and given WeasyPrint's answer
(``box.background = None``, radii of ``(0, 0)``); every other box (a picture, a colour, a shadow,
a border image, a hidden box, the page itself) is laid out by WeasyPrint's own function, as
before. ``tests/test_backgrounds.py`` compares every box's background and radii, and PDFs' bytes,
with and without.

``BROCHURE_BACKGROUNDS=off`` in the environment, or ``enabled(False)``, uses WeasyPrint's own.
"""

from __future__ import annotations

import functools
from typing import Any

from . import memos

_ENABLED = memos.switched("BROCHURE_BACKGROUNDS")
_ORIGINAL: dict[str, Any] = {}

# WeasyPrint's corners, in the order resolve_radii_percentages resolves them.
_RADII = ("border_top_left_radius", "border_top_right_radius", "border_bottom_right_radius",
          "border_bottom_left_radius")
_ZERO = (0, "px")


def enabled(flag: bool) -> None:
    """Use this module's answer for boxes without a background (True) or WeasyPrint's own for all (False)."""
    global _ENABLED
    _ENABLED = flag


def _radii(box: Any) -> None:
    """WeasyPrint's ``resolve_radii_percentages``: square corners at once, any other by WeasyPrint."""
    style = box.style
    for name in _RADII:
        if _ZERO not in style[name]:  # WeasyPrint's own short track, `(0, 'px') in (rx, ry)`
            _ORIGINAL["radii"](box)  # it resolves the four again, the same way
            return
    for name in _RADII:
        setattr(box, name, (0, 0))


def layout_box_backgrounds(page: Any, box: Any, get_image_from_uri: Any, layout_children: bool = True,
                           style: Any = None) -> Any:
    """WeasyPrint's ``layout_box_backgrounds``, a box without background answered without building one."""
    original = _ORIGINAL["layout"]
    if not _ENABLED or style is not None or not layout_children or box is page:
        return original(page, box, get_image_from_uri, layout_children, style)
    _radii(box)
    for child in box.all_children():
        layout_box_backgrounds(page, child, get_image_from_uri)
    style = box.style
    # The values WeasyPrint reads, in its order, until one says the box has something to lay out.
    if (style["border_image_source"][0] == "none" and style["mask_border_source"][0] == "none"
            and style["visibility"] != "hidden"):
        style["image_orientation"]  # read as WeasyPrint reads it (a style computes values on first read)
        layers = style["background_image"]
        if not any(kind == "url" or value for kind, value in layers):  # no picture to fetch, no gradient
            color = style["background_color"]
            if color == "currentcolor":
                color = style["color"]
            if color.alpha == 0 and not style["box_shadow"]:
                box.background = None
                return None
    # Something to lay out: WeasyPrint's own, its children done already.
    return original(page, box, get_image_from_uri, False, None)


@memos.once
def install() -> None:
    """Put the quick answer in WeasyPrint's background layout; once per process."""
    from weasyprint.layout import background

    _ORIGINAL["layout"] = background.layout_box_backgrounds
    _ORIGINAL["radii"] = background.resolve_radii_percentages
    background.layout_box_backgrounds = functools.wraps(_ORIGINAL["layout"])(layout_box_backgrounds)
