"""Layout: what a proof-reader with a ruler would find in the built PDFs.

Text cut off at a fold or the trim (or too close to it), text printed over other text,
pictures running past the trim, and inside panels of a tri-fold left (nearly) empty. It
reads the text runs and images that ``pdfread`` found in the PDF itself, so a clinic's own
template or stylesheet is checked like the bundled ones.

Where it is: the print PDF of a tri-fold is one sheet a side (its TrimBox the size of one
of ``render.paper.SHEETS``), cut into panels at the folds: outside flap | back | cover,
inside left | middle | fold-in (``render.trifold``), mirrored right to left. Any other page is one area, its trim.
What it is: the offending words are looked up in the content (``Texts``), so a finding
points at the key and line the clinic edits, when the words can be traced there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pikepdf

from ..outputs import KINDS
from ..render.paper import SHEETS
from ..render.trifold import NAMES
from .design import ImageSource
from .drawn import Inked, drawn_extents
from .findings import Finding, Severity
from .pdfread import Box, PlacedImage, TextRun, intersect
from .traced import Texts, Traced

SAFE = 9.0  # 0.125 in: the print shop's safe zone inside the trim and either side of a fold
TOLERANCE = 1.0  # points: glyph boxes are estimates from the font size
EMPTY = 0.15  # a printed panel or page filled less than this is reported
SHORT = 0.3  # the inside panels of a tri-fold filled less than this, on average: the text is short
TARGET = 0.6  # how full the inside panels should be, to say how many words to add
FOOT = 0.75 * 72  # the bottom margin of a printed page, where its running footer is
_SIDES = (("flap", "back", "cover"), ("inside-left", "inside-middle", "inside-right"))


# --- where: the areas of each page ----------------------------------------------------------------

@dataclass(frozen=True)
class Area:
    """A panel of a tri-fold side, or a whole page: its trim and what lies at each edge."""

    page: int
    name: str  # "the back panel"; "" for a whole page
    box: Box  # the trim of the panel or page
    bleed: Box  # how far a picture may run at a sheet's edge (the BleedBox), or the trim at a fold
    edges: tuple[str, str, str, str]  # what is past the left, bottom, right and top edges
    inside: bool = False  # an inside panel of a tri-fold: reported when nearly empty


def _box(page: pikepdf.Page, name: str) -> Box:
    value = page.obj.get(name) or page.mediabox
    x0, y0, x1, y1 = (float(v) for v in value)
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _sheet_panels(width: float, height: float) -> tuple[float, float, float] | None:
    """The panel widths, left to right on the outside, when the trim is a tri-fold sheet."""
    for sheet in SHEETS.values():
        if abs(sheet.width - width) < 0.5 and abs(sheet.height - height) < 0.5:
            return sheet.panels
    return None


def _right_to_left(pdf: pikepdf.Pdf) -> bool:
    """Whether the PDF's language (its /Lang) is written right to left, as CLDR says."""
    from babel import Locale, UnknownLocaleError

    try:
        return bool(Locale.parse(str(pdf.Root.get("/Lang", "en")).replace("-", "_")).character_order == "right-to-left")
    except (UnknownLocaleError, ValueError, TypeError):
        return False


def areas(pdf: pikepdf.Pdf, role: str) -> list[list[Area]]:
    """The areas of each page: the three panels of each side of a tri-fold sheet (a kind printed
    on the layout's sheet: ``OutputKind.sheet``), else the page."""
    kind = KINDS[role]
    pages: list[list[Area]] = []
    for index, page in enumerate(pdf.pages):
        trim = _box(page, "/TrimBox")
        bleed = _box(page, "/BleedBox") if kind.trimmed else trim  # a page never trimmed has no bleed
        edge = "the trim" if kind.trimmed else "the edge of the page"
        panels = _sheet_panels(trim[2] - trim[0], trim[3] - trim[1]) if kind.sheet else None
        if panels is None or len(pdf.pages) != 2:
            pages.append([Area(index, "", trim, bleed, (edge,) * 4)])
            continue
        slots = _SIDES[index]
        widths = panels if index == 0 else tuple(reversed(panels))
        if _right_to_left(pdf):  # the sheet mirrored (render.trifold): cover | back | flap
            slots, widths = (slots[2], slots[1], slots[0]), (widths[2], widths[1], widths[0])
        found, x = [], trim[0]
        for column, (slot, width) in enumerate(zip(slots, widths)):
            left = edge if column == 0 else f"the fold into {NAMES[slots[column - 1]]}"
            right = edge if column == 2 else f"the fold into {NAMES[slots[column + 1]]}"
            reach = (bleed[0] if column == 0 else x, bleed[1], bleed[2] if column == 2 else x + width, bleed[3])
            found.append(Area(index, NAMES[slot], (x, trim[1], x + width, trim[3]), reach,
                              (left, edge, right, edge), inside=index == 1))
            x += width
        pages.append(found)
    return pages


def _past(box: Box, limit: Box) -> tuple[float, float, float, float]:
    """How far ``box`` reaches past each edge of ``limit`` (left, bottom, right, top), 0 if not."""
    return (max(0.0, limit[0] - box[0]), max(0.0, limit[1] - box[1]),
            max(0.0, box[2] - limit[2]), max(0.0, box[3] - limit[3]))


def _inches(points: float) -> str:
    return f"{max(points, 0.01 * 72) / 72:.2f} in"


def _quote(text: str, width: int = 40) -> str:
    return "\u201c" + (text if len(text) <= width else text[:width - 1].rstrip() + "\u2026") + "\u201d"


def _words(runs: Iterable[TextRun]) -> list[TextRun]:
    """The runs a reader reads: words set in the flow, not bullets or a picture's letters."""
    return [run for run in runs if not run.picture and any(ch.isalnum() for ch in run.text)]


@dataclass(frozen=True)
class _Problem:
    """What is wrong, as the message says it of one piece of text and of several."""

    one: str  # with {quotes}, and {amount} where the distance goes
    many: str = ""
    joiner: str = ", "


class _Findings:
    """Findings grouped by place, problem and key, so a paragraph cut off at a fold is one finding."""

    def __init__(self, name: str, texts: Texts | None) -> None:
        self.pdf = Path(name).name
        self.name = name
        self.texts = texts
        self.groups: dict[tuple[int, str, _Problem, Traced | None, Severity], tuple[list[str], list[float]]] = {}

    def add(self, area: Area, problem: _Problem, quoted: str = "", shown: Sequence[str] = (), amount: float = 0.0,
            severity: Severity = "warning", traced: Traced | None = None) -> None:
        if traced is None and self.texts is not None:
            traced = next((t for t in map(self.texts.trace, shown) if t is not None), None)
        quotes, amounts = self.groups.setdefault((area.page, area.name, problem, traced, severity), ([], []))
        if quoted and quoted not in quotes:
            quotes.append(quoted)
        amounts.append(amount)

    def result(self) -> list[Finding]:
        found = []
        for (page, panel, problem, traced, severity), (quotes, amounts) in self.groups.items():
            shown = problem.joiner.join(quotes[:3]) + (problem.joiner + "\u2026" if len(quotes) > 3 else "")
            template = problem.many if len(quotes) > 1 and problem.many else problem.one
            what = template.format(quotes=shown, amount=_inches(max(amounts)))
            if traced is not None:
                where = ", ".join(part for part in (f"page {page + 1} of {self.pdf}", panel) if part)
                found.append(Finding("layout", severity, traced.file, traced.line, traced.key, f"{where}: {what}"))
            else:
                named = not panel or what.startswith(panel)
                found.append(Finding("layout", severity, self.name, None, f"page {page + 1}",
                                     what if named else f"{panel}: {what}"))
        return found


_SIDE_NAMES = ("left", "bottom", "right", "top")


def _edge(area: Area, side: int) -> str:
    """``the fold into the front cover``, or ``the trim (bottom)``."""
    edge = area.edges[side]
    return edge if edge.startswith("the fold") else f"{edge} ({_SIDE_NAMES[side]})"


def _cut(edge: str, lost: str) -> _Problem:
    return _Problem(f"{{quotes}} runs {{amount}} past {edge}, where it is {lost}",
                    f"{{quotes}} run up to {{amount}} past {edge}, where they are {lost}")


_HIDDEN = _Problem("{quotes} is partly hidden: it runs past the box it is set in, which cuts it off",
                   "{quotes} are partly hidden: they run past the box they are set in, which cuts them off")
_OVERLAP = _Problem("{quotes} print over each other; move or shorten one of them", joiner="; ")


def _outside(run: TextRun, area: Area, role: str) -> tuple[_Problem, float] | None:
    """What is wrong with where ``run`` lies in ``area``, and by how much, or None."""
    past = _past(run.box, area.box)
    side = max(range(4), key=lambda i: past[i])
    if past[side] > TOLERANCE:
        return _cut(_edge(area, side), "cut off" if KINDS[role].trimmed else "not shown"), past[side]
    if run.clip is not None:
        hidden = _past(run.box, run.clip)
        if max(hidden) > max(TOLERANCE, 0.25 * run.size):
            return _HIDDEN, max(hidden)
    if KINDS[role].trimmed:
        safe = (area.box[0] + SAFE, area.box[1] + SAFE, area.box[2] - SAFE, area.box[3] - SAFE)
        close = _past(run.box, safe)
        side = max(range(4), key=lambda i: close[i])
        if close[side] > TOLERANCE:
            edge = area.edges[side].split(" into ")[0]
            where = f"{edge} ({_SIDE_NAMES[side]})"
            harm = "the fold cannot swallow" if edge == "the fold" else "the cut cannot reach"
            return _Problem(f"{{quotes}} is less than 0.125 in from {where}; keep text at least 0.125 in from it, "
                            f"where {harm} it",
                            f"{{quotes}} are less than 0.125 in from {where}; keep text at least 0.125 in from it, "
                            f"where {harm} them"), close[side]
    return None


def _overlaps(runs: list[tuple[TextRun, Box]]) -> Iterable[tuple[TextRun, TextRun]]:
    """Pairs of runs whose visible boxes overlap by more than glyph-box slack, on the same page.

    Each run comes with the part of its box that can be seen: a tri-fold panel's form is
    clipped at the folds, so words pushed past a fold are cut off (reported), not overprinted.
    """
    ordered = sorted(((run, box) for run, box in runs if box[2] > box[0] and box[3] > box[1]),
                     key=lambda item: (item[0].page, item[1][1]))
    for i, (one, a) in enumerate(ordered):
        for j in range(i + 1, len(ordered)):  # not a slice: copying the rest of the list was quadratic
            other, b = ordered[j]
            if other.page != one.page or b[1] >= a[3]:
                break
            width = min(a[2], b[2]) - max(a[0], b[0])
            height = min(a[3], b[3]) - max(a[1], b[1])
            smaller = min(one.box[3] - one.box[1], other.box[3] - other.box[1])
            if width <= max(TOLERANCE, 0.1 * min(one.size, other.size)) or height <= 0.3 * smaller:
                continue
            if one.text == other.text and max(abs(x - y) for x, y in zip(one.box, other.box)) < TOLERANCE:
                continue  # the same words drawn twice in place (a shadow, a fake bold): not overprinted
            yield one, other


def _image_problem(image: PlacedImage, area: Area, role: str, name: str) -> tuple[_Problem, float] | None:
    """How a picture runs past its panel or trim, or None.

    A picture that runs on into the bleed at the sheet's edge, and about as far as the bleed
    goes, was sized to bleed: fine. One that runs further was sized for something else.
    """
    shown = intersect(image.box, image.clip) or image.box
    if shown[2] <= shown[0] or shown[3] <= shown[1]:
        return None  # clipped away entirely
    past = _past(shown, area.box)
    bleed = _past(area.bleed, area.box)  # how much bleed there is at each edge
    for side in sorted(range(4), key=lambda i: -past[i]):
        full_bleed = bleed[side] > 0 and bleed[side] - TOLERANCE <= past[side] <= 2 * bleed[side]
        if past[side] > TOLERANCE and not full_bleed:
            size = f"{image.points[0] / 72:.1f} \u00d7 {image.points[1] / 72:.1f} in"
            lost = "cut off" if KINDS[role].trimmed else "not shown"
            return _Problem(f"{name} ({size}) runs {{amount}} past {_edge(area, side)}, where it is {lost}; "
                            "make it smaller or give it a size in the template"), past[side]
    return None


def _area_of(box: Box, page: list[Area], origin: tuple[float, float] | None = None) -> Area:
    """The area a run or picture was laid out for: the panel its form was placed on (a tri-fold
    panel), else the one its left end is in (reading starts there)."""
    x = origin[0] + TOLERANCE if origin is not None else box[0] + min(TOLERANCE, (box[2] - box[0]) / 2)
    for area in page:
        if area.box[0] <= x < area.box[2]:
            return area
    return min(page, key=lambda a: min(abs(a.box[0] - x), abs(a.box[2] - x)))


def layout(name: str, role: str, pdf: pikepdf.Pdf, runs: list[TextRun], placed: list[PlacedImage],
           texts: Texts | None = None, images: Sequence[ImageSource] = (), data: bytes | None = None) -> list[Finding]:
    """Text cut off or too close to a fold or the trim, text over text, pictures past the trim,
    and inside panels of a tri-fold nearly empty (a note). ``name`` is the PDF's path (findings
    name it; its pages are rendered from it, or from ``data``, its bytes, when given), ``pdf``
    the same file open."""
    pages = areas(pdf, role)
    found = _Findings(name, texts)
    visible: list[tuple[TextRun, Box]] = []
    for run in _words(runs):
        area = _area_of(run.box, pages[run.page], run.origin)
        problem = _outside(run, area, role)
        if problem:
            found.add(area, problem[0], _quote(run.text), [run.text], problem[1])
        shown = intersect(run.box, area.bleed) if run.origin is not None else run.box
        visible.append((run, shown or run.box))
    for one, other in _overlaps(visible):
        area = _area_of(one.box, pages[one.page], one.origin)
        found.add(area, _OVERLAP, f"{_quote(one.text)} and {_quote(other.text)}", [one.text, other.text])
    by_pixels = {image.pixels: image for image in images}
    for image in placed:
        source = by_pixels.get(image.pixels)
        area = _area_of(image.box, pages[image.page], image.origin)
        label = f"\u2018{source.name}\u2019".replace("{", "{{").replace("}", "}}") if source else "a picture"
        problem = _image_problem(image, area, role, label)
        if problem:
            traced = Traced(source.file, source.line, source.key) if source else None
            found.add(area, problem[0], amount=problem[1], traced=traced)
    printed = KINDS[role].sheet  # paper: its panels and pages are looked at for blanks
    inked = drawn_extents(name if data is None else data, pdf, pages, SAFE) if printed else {}
    short = _short(name, pages, runs, placed, texts, inked) if printed else None
    on_page: dict[int, tuple[list[TextRun], list[PlacedImage]]] = {}  # each area looks at its own page's only
    for run in runs:
        on_page.setdefault(run.page, ([], []))[0].append(run)
    for image in placed:
        on_page.setdefault(image.page, ([], []))[1].append(image)
    for page in pages:
        for area in page:
            if area.name or printed:
                _fill(found, area, *on_page.get(area.page, ([], [])), printed, short is not None, inked)
    return found.result() + ([short] if short is not None else [])


def _used(area: Area, runs: list[TextRun], placed: list[PlacedImage],
          inked: Inked | None = None) -> tuple[float, list[TextRun]]:
    """How much of ``area``'s height what is printed on it spans (0 to 1), and its words.
    A page (not a panel) leaves out its foot, where the running footer is."""
    height = area.box[3] - area.box[1]
    foot = area.box[1] + (0 if area.name else FOOT)
    words = [run for run in _words(runs) if run.page == area.page and _inside(run.box, area) and run.box[1] >= foot]
    boxes = [run.box for run in words]
    boxes += [image.box for image in placed if image.page == area.page and _inside(image.box, area)]
    spans = [(b[1], b[3]) for b in boxes]
    ink = (inked or {}).get((area.page, area.name))
    if ink is not None and (area.name or ink[1] > foot):
        spans.append((max(ink[0], foot), ink[1]))
    return ((max(b for _, b in spans) - min(a for a, _ in spans)) / height if spans else 0.0), words


def _fill(found: _Findings, area: Area, runs: list[TextRun], placed: list[PlacedImage], printed: bool,
          short: bool, inked: Inked) -> None:
    """A warning when a printed panel or page is empty or nearly so: a folded brochure with a
    blank panel, or a sheet with a blank page, looks unfinished (and costs paper). When the
    whole inside is short (``short``), the panels it leaves thin are not reported one by one:
    the one warning names the cause (only an empty panel still is)."""
    used, _ = _used(area, runs, placed, inked)
    if used >= EMPTY or (used > 0 and (short or not area.name)):
        return  # a handout's last page may well end early: only a blank one is reported
    state = "is empty" if used == 0 else f"is only about {max(5, int(used * 20) * 5)}% filled"
    name = area.name or f"page {area.page + 1}"
    if area.name:
        advice = "add to the article (a photo, a checklist, questions to ask) or choose layout: handout"
    else:
        advice = "shorten the text before it, or remove the page break or picture that pushed it on"
    found.add(area, _Problem(f"{name} {state}; a printed {'panel' if area.name else 'page'} left blank looks "
                             f"unfinished: {advice}"), severity="warning" if printed or used == 0 else "info")


def _short(name: str, pages: list[list[Area]], runs: list[TextRun], placed: list[PlacedImage],
           texts: Texts | None, inked: Inked) -> Finding | None:
    """The text is short for a tri-fold: its three inside panels, on average, are less than
    ``SHORT`` filled, even after the build set it larger and spread it (render.panels). Says
    about how many words to add, from the words per height the inside already shows."""
    inside = [area for page in pages for area in page if area.inside]
    if len(inside) != 3:
        return None
    measured = [_used(area, runs, placed, inked) for area in inside]
    average = sum(used for used, _ in measured) / 3
    if average >= SHORT:
        return None
    words = sum(len(run.text.split()) for _, found in measured for run in found)
    add = max(50, round(words * (TARGET / max(average, 0.02) - 1) / 10) * 10) if words else 300
    message = (f"the text is short for a tri-fold: its three inside panels are on average only about "
               f"{max(5, int(average * 20) * 5)}% filled; add about {add} words (more sections, a checklist, "
               "questions to ask, a photo), or choose layout: handout")
    if texts is not None:
        return Finding("layout", "warning", texts.file, texts.line_of(("layout",)), "layout", message)
    return Finding("layout", "warning", name, None, "layout", message)


def _inside(box: Box, area: Area) -> bool:
    centre = (box[0] + box[2]) / 2
    return area.box[0] <= centre < area.box[2]
