"""Backgrounds answered at once for boxes without one (render.backgrounds): every box of a document gets the
background and border radii WeasyPrint gives it, and the PDF the same bytes, with the quick answer on and off.

The document mixes what a box can have: colours (plain, transparent, currentcolor), gradients, a picture, a
missing picture, shadows, border and mask images, hidden boxes, round corners in px and %, boxes split over
pages (their split sides square), tables (column groups), and a page background taken from the body.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest

from brochure.render import backgrounds, patches


def _pixel() -> str:
    from PIL import Image

    output = io.BytesIO()
    Image.new("RGB", (2, 2), (200, 30, 30)).save(output, format="PNG")
    return base64.b64encode(output.getvalue()).decode()


PIXEL = _pixel()

BOXES = (
    "", "background: #123456", "background: transparent", "color: #c00; background-color: currentcolor",
    "background: linear-gradient(#fff, #000)", f"background: url(data:image/png;base64,{PIXEL}) repeat-x",
    "box-shadow: 2px 2px 4px #000", "border: 8px solid; border-image: linear-gradient(red, blue) 8",
    "visibility: hidden; background: #abc", "visibility: hidden", "border-radius: 6px",
    "border-radius: 10% / 20%; background: #eee", "border-radius: 0 4px 0 0", "outline: 2px solid red",
    "background: rgba(0, 0, 0, 0)", "box-decoration-break: clone; border-radius: 5px; background: #ddd",
)


@pytest.fixture(autouse=True)
def _installed() -> Iterator[None]:
    patches.install()
    yield
    backgrounds.enabled(True)


def _html() -> str:
    body = "".join(
        f'<div style="{style}; margin: 4px; padding: 3px">Box {index} '
        f'<span style="{style}">inline {index}</span></div>' for index, style in enumerate(BOXES))
    long = "".join(f"<p>Line {n} of a box split over two pages.</p>" for n in range(40))
    table = ("<table style='border-collapse: collapse'><colgroup><col style='background: #fee'><col></colgroup>"
             "<tr><td style='border-radius: 3px'>a</td><td style='background: #eef'>b</td></tr></table>")
    return (f"<html><body style='background: #fafafa'>{body}{table}"
            f"<div style='border-radius: 20px; border: 2px solid; background: #efe'>{long}</div>"
            "<img src='missing.png' alt='none'></body></html>")


def _shown(value: Any) -> str:
    return re.sub(r" at 0x[0-9a-f]+", "", repr(value))  # a picture's or gradient's address differs per document


def _state(document: Any) -> list[Any]:
    """Each box's background, canvas background and radii, page after page, in tree order."""
    found: list[Any] = []
    for page in document.pages:
        found.append(_shown(page._page_box.canvas_background))
        for box in page._page_box.descendants(placeholders=True):
            found.append((type(box).__name__, _shown(getattr(box, "background", "unset")),
                          [getattr(box, f"border_{corner}_radius", None) for corner in
                           ("top_left", "top_right", "bottom_right", "bottom_left")]))
    return found


def test_every_box_gets_weasyprints_background_and_pdf_the_same_bytes() -> None:
    from weasyprint import HTML

    results: dict[bool, list[Any]] = {}
    for flag in (True, False, True):
        backgrounds.enabled(flag)
        document = HTML(string=_html(), base_url="/nonexistent/").render()
        results.setdefault(flag, []).append((_state(document), document.write_pdf(pdf_identifier=b"0" * 32)))
    (on_state, on_pdf), (again_state, again_pdf) = results[True]
    off_state, off_pdf = results[False][0]
    assert on_state == off_state == again_state
    assert on_pdf == off_pdf == again_pdf
    # The document has both kinds: boxes answered at once and boxes WeasyPrint laid out.
    kinds = {background == "None" for _, background, _ in (item for item in on_state if isinstance(item, tuple))}
    assert kinds == {True, False}
    assert any(radii != [(0, 0)] * 4 for item in on_state if isinstance(item, tuple) for radii in [item[2]])
