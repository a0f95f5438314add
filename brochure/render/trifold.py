"""Tri-fold: the six panels WeasyPrint laid out as pages, checked for fit and imposed on a sheet.

Why pages first: WeasyPrint has no CSS regions, so the article cannot flow from the flap
to the inside panels on one sheet. Instead every panel is a page of its own size (reading
order: cover, flap, three inside panels, back); the boxes WeasyPrint produced tell whether
the article needed more than its four panels; then the pages are placed, as Form XObjects,
on the two sides of one landscape sheet with crop and fold marks outside the bleed.
"""

from __future__ import annotations

import io
from typing import Any

from . import marks
from .marks import MARK_LENGTH_PT, MARK_OFFSET_PT
from .paper import BLEED_PT, Sheet

SLOTS = ("cover", "flap", "inside-left", "inside-middle", "inside-right", "back")
NAMES = {"cover": "the front cover", "flap": "the fold-in flap", "inside-left": "the inside left panel",
         "inside-middle": "the inside middle panel", "inside-right": "the inside fold-in panel",
         "back": "the back panel"}


# Where each slot sits on the sheet: (side, x offset as a count of panels from the left).
# Outside, left to right: flap | back | cover. Inside: left | middle | fold-in (mirrored).
# Right to left (Arabic, Hebrew...), the sheet is mirrored: cover | back | flap, fold-in | middle | left.
_PLACES = {"flap": (0, 0), "back": (0, 1), "cover": (0, 2),
           "inside-left": (1, 0), "inside-middle": (1, 1), "inside-right": (1, 2)}


class Overflow(Exception):
    """The content does not fit the six panels; the message says where, by how much and what
    to do, and ``key`` names the content key to shorten (``layout`` when it is the article)."""

    def __init__(self, message: str, key: str = "layout") -> None:
        super().__init__(message)
        self.key = key

    def __reduce__(self) -> tuple[type[Overflow], tuple[str, str]]:
        return Overflow, (str(self), self.key)  # from a worker process (render.job), with its key


def page_parts(page: Any) -> list[str]:
    """The ``data-part`` names (cover, article, back) with boxes on a laid-out page."""
    found: list[str] = []
    for box in page._page_box.descendants():
        element = getattr(box, "element", None)
        part = element.get("data-part") if element is not None else None
        if part and part not in found:
            found.append(part)
    return found


def _used_fraction(page: Any) -> float:
    """How much of a page's content area its boxes fill, from 0 to 1."""
    page_box = page._page_box
    top = page_box.content_box_y()
    height = page_box.height
    bottom = max((b.position_y + b.margin_height() for b in page_box.descendants()
                  if getattr(b, "element", None) is not None and b is not page_box), default=top)
    return max(0.0, min(1.0, (bottom - top) / height)) if height else 1.0


def slots(document: Any) -> dict[str, int]:
    """Map each panel slot to a page index; raise ``Overflow`` when a part needs more room."""
    pages = [page_parts(page) for page in document.pages]
    by_part: dict[str, list[int]] = {}
    for index, parts in enumerate(pages):
        for part in parts:
            by_part.setdefault(part, []).append(index)
    cover, article, back = (by_part.get(name, []) for name in ("cover", "article", "back"))
    if len(cover) > 1:
        raise _cover_overflow([document.pages[i] for i in cover])
    if len(article) > 4:
        extra = len(article) - 5 + _used_fraction(document.pages[article[-1]])
        raise Overflow(
            f"the article does not fit the tri-fold: it runs past {NAMES['inside-right']} by about "
            f"{_amount(extra)}. Shorten the text by about {_share(extra, 4)}, or switch to layout: handout")
    if len(back) > 1:
        extra = len(back) - 2 + _used_fraction(document.pages[back[-1]])
        raise Overflow(f"the contact details, disclaimer and QR code do not fit {NAMES['back']}: they run over "
                       f"by about {_amount(extra)}. Shorten the disclaimer or address, or switch to layout: handout")
    mapping = {"cover": cover[0] if cover else -1, "back": back[0] if back else -1}
    for slot, page in zip(("flap", "inside-left", "inside-middle", "inside-right"), article):
        mapping[slot] = page
    return mapping


def _cover_overflow(pages: list[Any]) -> Overflow:
    """The title and subtitle, even at the smallest cover step, need more than the cover:
    by how much, from the heights of the cover's parts on the pages they ran onto, and
    about how many characters of the longer of them that is."""
    height = pages[0]._page_box.height
    needed = 0.0
    texts = {"title": "", "subtitle": ""}
    heights = {"title": 0.0, "subtitle": 0.0}
    for page in pages:
        for box in page._page_box.descendants():
            element = getattr(box, "element", None)
            if element is None or type(box).__name__ not in ("BlockBox", "FlexBox"):
                continue
            if element.get("data-part") == "cover":
                # The panel is a flex column as tall as the page: its parts (the title block,
                # the foot) are what needs the room, each cut at the page's height.
                needed += sum(min(child.margin_height(), height) for child in box.children)
            key = "title" if element.tag == "h1" else "subtitle" if "subtitle" in (element.get("class") or "").split() else ""
            if key:
                texts[key] = "".join(element.itertext())
                heights[key] += box.margin_height()
    over = max(needed - height, 1.0)
    key = "subtitle" if len(texts["subtitle"]) > 3 * len(texts["title"]) else "title"
    length = len(texts[key])
    cut = max(10, -(-length * over / max(heights[key], 1.0) // 10) * 10)
    shorten = f"by about {cut:.0f} of its {length} characters" if cut < 0.9 * length else "to a few lines"
    return Overflow(
        f"the title and subtitle do not fit the front cover, even in its smallest type: they run over by about "
        f"{max(0.1, over * 0.75 / 72):.1f} in ({max(5, round(over / height * 20) * 5):.0f}% of the panel's height). "
        f"Shorten the {key} {shorten}", key)


def _amount(panels: float) -> str:
    if panels < 0.95:
        return f"{round(panels * 100 / 5) * 5:.0f}% of a panel"
    return f"{panels:.1f} panels"


def _share(extra: float, available: float) -> str:
    return f"{max(5, round(extra / (available + extra) * 100 / 5) * 5):.0f}%"


def _marks(sheet: Sheet) -> bytes:
    """Crop marks at the corners and fold marks at the folds, all outside the bleed."""
    return marks.stroke(marks.crop_lines(0.0, 0.0, sheet.width, sheet.height))


def _fold_marks(folds: list[float], height: float) -> bytes:
    o, n = MARK_OFFSET_PT, MARK_LENGTH_PT
    lines = [(x, y0, x, y1) for x in folds for (y0, y1) in ((-o, -o - n), (height + o, height + o + n))]
    return marks.stroke(lines, dash=True)


def _panel_x(sheet: Sheet, side: int, column: int, rtl: bool = False) -> tuple[float, float]:
    """Left edge and width of a panel on a side; the inside is the outside mirrored. Right to
    left, the whole sheet is mirrored: the cover at the left of the outside, the article
    starting on the right of the inside, as an Arabic or Hebrew reader opens and reads it."""
    widths = sheet.panels if side == 0 else tuple(reversed(sheet.panels))
    if rtl:
        widths, column = tuple(reversed(widths)), 2 - column
    return sum(widths[:column]), widths[column]


def _right_to_left(document: Any) -> bool:
    """Whether the panels were laid out right to left (``dir="rtl"`` on <html>, see base.html)."""
    for page in document.pages[:1]:
        for box in page._page_box.descendants():
            element = getattr(box, "element", None)
            if element is not None and element.tag == "html":
                return bool(box.style["direction"] == "rtl")
    return False


def impose(data: bytes, document: Any, sheet: Sheet, bleed: float = BLEED_PT, crop: bool = True) -> bytes:
    """Place the panel pages of ``data`` on the two sides of the sheet; return the new PDF.

    ``crop``: with bleed, crop and fold marks outside the trim (the print shop's sheet);
    without, the sheet at its trim size and nothing else (the office PDF: no marks in the file
    at all, no colour but the panels' own RGB).
    """
    import pikepdf  # only the tri-fold's print PDF needs it

    mapping = slots(document)
    pdf = pikepdf.open(io.BytesIO(data))
    panels = list(pdf.pages)
    b = bleed if crop else 0.0
    margin = MARK_OFFSET_PT + MARK_LENGTH_PT if crop else 0.0
    sides = []
    registration = marks.registration_colour(pdf) if crop else None
    rtl = _right_to_left(document)
    for side in (0, 1):
        xobjects = pikepdf.Dictionary()
        ops = []
        folds = []
        for slot, (slot_side, column) in _PLACES.items():
            if slot_side != side:
                continue
            x, width = _panel_x(sheet, side, column, rtl)
            column = 2 - column if rtl else column  # from here on: counted from the sheet's left edge
            if column:
                folds.append(x)
            index = mapping.get(slot, -1)
            if index < 0:
                continue
            name = f"/P{index}"
            form = panels[index].as_form_xobject()
            form.BBox = panels[index].mediabox  # keep the panel's bleed; the clip below trims it
            xobjects[name] = form
            # Clip to the panel's trim, extended into the bleed only at the sheet's edges.
            left = x - (b if column == 0 else 0)
            right = x + width + (b if column == 2 else 0)
            ops.append(f"q {left:.3f} {-b:.3f} {right - left:.3f} {sheet.height + 2 * b:.3f} re W n "
                       f"1 0 0 1 {x:.3f} 0 cm {name} Do Q")
        content = ("\n".join(ops) + "\n").encode()
        page = pikepdf.Dictionary(Type=pikepdf.Name.Page, MediaBox=[-margin, -margin, sheet.width + margin,
                                                                    sheet.height + margin],
                                  Resources=pikepdf.Dictionary(XObject=xobjects))
        if crop:
            content += _marks(sheet) + _fold_marks(folds, sheet.height)
            page.BleedBox = pikepdf.Array([-b, -b, sheet.width + b, sheet.height + b])
            page.TrimBox = pikepdf.Array([0, 0, sheet.width, sheet.height])
            page.Resources.ColorSpace = pikepdf.Dictionary({marks.RESOURCE: registration})
        page.Contents = pdf.make_stream(content)
        sides.append(page)
    for page in sides:
        pdf.pages.append(pikepdf.Page(page))
    del pdf.pages[:len(panels)]
    for key in ("/Outlines", "/Dests", "/PageLabels"):  # they point at the panel pages just removed
        if key in pdf.Root:
            del pdf.Root[key]
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True, fix_metadata_version=False)
    return out.getvalue()
