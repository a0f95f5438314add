"""PDF reader: the text runs and images of a built PDF, with their colour, size and place.

Each page's content stream is interpreted with pikepdf, walking into form XObjects (the
tri-fold's panels are drawn as ``/P0 Do`` ...), so the checks read what a patient will see
whatever template or stylesheet a clinic overrides. CMYK colours are read through the
file's ICC profiles (``inks``), as viewers show them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import Any

import pikepdf

from .inks import Colour, cmyk_transform, output_profile
from .inks import colour as _colour
from .pdffonts import Font, joined

Matrix = tuple[float, float, float, float, float, float]
Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in page space
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


ASCENT, DESCENT = 0.75, -0.2  # of the font size: the band behind a line of text


# --- reading the content streams ------------------------------------------------------------

def multiply(m: Matrix, n: Matrix) -> Matrix:
    """``m`` then ``n``, in PDF's row-vector convention."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, e * p + f * r + t, e * q + f * s + u)


def apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])


@dataclass(frozen=True)
class TextRun:
    """One text-showing operator: its words, size, colour and where it lands on the page."""

    page: int  # from 0
    text: str
    size: float  # points, after every transformation
    bold: bool
    colour: Colour | None  # None when drawn with a pattern or a colour space not handled
    alpha: float
    box: Box
    # Drawn as part of a picture: inside a tagged /Figure, or set letter by letter as an SVG
    # image's <text> is (a logotype, a diagram's labels), not words typeset in the flow.
    picture: bool = False
    clip: Box | None = None  # the clip drawn before it in its own content stream, if any
    # Where the outermost form XObject it is drawn in starts on the page (a tri-fold panel's
    # bottom left corner): the panel it was laid out for, wherever it landed. None: on the page.
    origin: tuple[float, float] | None = None

    @property
    def large(self) -> bool:
        """WCAG's large text: 18 pt, or 14 pt bold."""
        return self.size >= 17.95 or (self.bold and self.size >= 13.95)


@dataclass(frozen=True)
class PlacedImage:
    """One image drawn on a page, with its size in pixels and in points."""

    page: int
    ident: tuple[int, int]  # object number, so an image drawn twice is told apart from two images
    pixels: tuple[int, int]
    points: tuple[float, float]
    box: Box = (0.0, 0.0, 0.0, 0.0)  # where it lands on the page
    clip: Box | None = None  # the clip drawn before it in its own content stream, if any
    origin: tuple[float, float] | None = None  # as TextRun.origin

    @property
    def ppi(self) -> float:
        return min(self.pixels[0] / (self.points[0] / 72), self.pixels[1] / (self.points[1] / 72))


@dataclass
class _State:
    """The graphics and text state that ``q`` saves and ``Q`` restores."""

    ctm: Matrix = IDENTITY
    colour: Colour | None = (0.0, 0.0, 0.0)
    space: str = "/DeviceGray"
    alpha: float = 1.0
    font: Font | None = None
    size: float = 0.0
    char_spacing: float = 0.0
    word_spacing: float = 0.0
    scale: float = 1.0
    leading: float = 0.0
    rise: float = 0.0
    mode: int = 0  # text rendering mode; 3 is invisible
    profile: Any = None  # the ICC profile stream of the fill colour space, when it has one
    # Clips are kept per content stream: a form starts unclipped, so the tri-fold's clip to
    # each panel (drawn on the sheet, outside the panel's form) never hides what runs past a fold.
    clip: Box | None = None
    origin: tuple[float, float] | None = None  # see TextRun.origin

    def saved(self) -> _State:
        """A copy to restore at ``Q`` (every field is a value, or a font shared read-only): a
        plain copy of the fields, which ``dataclasses.replace`` makes several times slower."""
        copy = object.__new__(_State)
        copy.__dict__.update(self.__dict__)
        return copy


_COMPONENTS = {"/DeviceGray": 1, "/CalGray": 1, "/DeviceRGB": 3, "/CalRGB": 3, "/DeviceCMYK": 4}

def entry(obj: Any, *keys: str) -> Any:
    """``obj[key][key]...`` in PDF dictionaries, or None where one is missing (PDFs leave most keys out)."""
    for key in keys:
        if not isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)) or key not in obj:
            return None
        obj = obj[key]
    return obj


def _space_kind(name: Any, resources: Any) -> tuple[str, Any]:
    """A colour space name reduced to the device space with as many components, when possible,
    with its ICC profile when it has one."""
    key = str(name)
    if key in _COMPONENTS:
        return key, None
    space = entry(resources, "/ColorSpace", key)
    if isinstance(space, pikepdf.Array) and len(space) and space[0] == "/ICCBased":
        kind = {1: "/DeviceGray", 3: "/DeviceRGB", 4: "/DeviceCMYK"}.get(int(space[1].get("/N", 0)), key)
        return kind, space[1] if kind == "/DeviceCMYK" else None
    return key, None  # Lab, patterns, separations: the colour is left unknown


_TEXT_STATE = {"Tc": "char_spacing", "Tw": "word_spacing", "Tz": "scale", "TL": "leading", "Ts": "rise",
               "Tr": "mode"}
_TEXT_OPERATORS = {"BT", "ET", "Tf", "Tm", "Td", "TD", "T*", "'", '"', "Tj", "TJ", *_TEXT_STATE}
_PATH = {"m", "l", "c", "v", "y", "re"}
_PAINT = {"n", "f", "F", "f*", "S", "s", "B", "B*", "b", "b*"}


def _bounds(points: list[tuple[float, float]]) -> Box:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (min(xs), min(ys), max(xs), max(ys))


def intersect(one: Box | None, other: Box | None) -> Box | None:
    """The overlap of two boxes (None is unbounded); an empty overlap has x1 < x0 or y1 < y0."""
    if one is None or other is None:
        return other if one is None else one
    return (max(one[0], other[0]), max(one[1], other[1]), min(one[2], other[2]), min(one[3], other[3]))


class _Reader:
    """Interprets content streams, collecting text runs and placed images."""

    def __init__(self, output: Any = None) -> None:
        self.runs: list[TextRun] = []
        self.images: list[PlacedImage] = []
        self._fonts: dict[tuple[int, int], Font] = {}
        self._depth = 0
        self._tm = self._tlm = IDENTITY  # text and text-line matrices (no form is drawn inside BT ... ET)
        self._output = output  # the output intent's CMYK profile: what DeviceCMYK means
        self._path: list[tuple[float, float]] = []
        self._clipping = False  # W or W* seen: the path being built becomes the clip when painted
        self._marks: list[bool] = []  # marked-content sequences open: is each (in) a /Figure?
        self._block: list[int] = []  # runs shown in the current BT ... ET, each placed by its own Tm
        self._placed = False  # a Tm since the last text shown
        # Each ICC profile stream's transform, looked up once: reading a profile's bytes back
        # (227 kB, inflated) at every colour operator made the read grow with the page count.
        self._transforms: dict[tuple[int, int], Any] = {}
        # Each stream's operators (a page's, a form's, by object number), parsed once: the
        # background check strips the text from the same ones (``design.backgrounds``).
        self.parsed: dict[tuple[int, int], list[Any]] = {}

    def transform(self, profile: Any) -> Any:
        """``inks.cmyk_transform(profile)``, once per profile stream of this PDF."""
        if profile is None or not profile.is_indirect:
            return cmyk_transform(profile)
        if profile.objgen not in self._transforms:
            self._transforms[profile.objgen] = cmyk_transform(profile)
        return self._transforms[profile.objgen]

    def font(self, obj: Any) -> Font:
        key = obj.objgen if obj.is_indirect else (id(obj), 0)
        if key not in self._fonts:
            self._fonts[key] = Font(obj)
        return self._fonts[key]

    def run(self, page: int, stream: Any, resources: Any, state: _State) -> None:
        """Interpret one content stream (a page's or a form's) from ``state``."""
        stack: list[_State] = []
        items = self.parsed.get(stream.objgen) if stream.objgen != (0, 0) else None
        if items is None:
            items = pikepdf.parse_content_stream(stream)
            if stream.objgen != (0, 0):
                self.parsed[stream.objgen] = items
        for item in items:
            if isinstance(item, pikepdf.ContentStreamInlineImage):
                image = item.iimage
                self._place(page, (0, 0), (int(image.width), int(image.height)), state)
                continue
            operands, op = list(item.operands), str(item.operator)
            if op == "q":
                stack.append(state.saved())
            elif op == "Q" and stack:
                state = stack.pop()
            elif op in ("BDC", "BMC"):
                self._marks.append(bool(self._marks and self._marks[-1]) or str(operands[0]) == "/Figure")
            elif op == "EMC" and self._marks:
                self._marks.pop()
            elif op in _PATH or op in _PAINT or op in ("W", "W*", "h"):
                self._clip_path(op, operands, state)
            elif op == "Do":
                self._do(page, resources, str(operands[0]), state)
            elif op in _TEXT_OPERATORS:
                self._text(page, op, operands, state, resources)
            else:
                self._graphics(op, operands, state, resources)

    def _clip_path(self, op: str, operands: list[Any], state: _State) -> None:
        """Path construction and painting, followed only for the clips: their bounds in page space."""
        numbers = [float(v) for v in operands]
        if op == "re":
            x, y, w, h = numbers
            self._path += [apply(state.ctm, x + dx, y + dy) for dx in (0.0, w) for dy in (0.0, h)]
        elif op in _PATH:
            self._path += [apply(state.ctm, numbers[i], numbers[i + 1]) for i in range(0, len(numbers) - 1, 2)]
        elif op in ("W", "W*"):
            self._clipping = True
        elif op in _PAINT:
            if self._clipping and self._path:
                state.clip = intersect(state.clip, _bounds(self._path))
            self._path, self._clipping = [], False

    def _graphics(self, op: str, operands: list[Any], state: _State, resources: Any) -> None:
        """The operators that change the transformation, the fill colour or its opacity."""
        if op == "cm":
            a, b, c, d, e, f = (float(v) for v in operands)
            state.ctm = multiply((a, b, c, d, e, f), state.ctm)
        elif op in ("rg", "g", "k"):
            state.profile = self._output if op == "k" else None
            state.colour = _colour([float(v) for v in operands], self.transform(state.profile))
            state.space = {"rg": "/DeviceRGB", "g": "/DeviceGray", "k": "/DeviceCMYK"}[op]
        elif op == "cs":
            state.space, state.profile = _space_kind(operands[0], resources)
            if state.space == "/DeviceCMYK" and state.profile is None:
                state.profile = self._output
            state.colour = (0.0, 0.0, 0.0) if state.space in _COMPONENTS else None
            if state.space == "/DeviceCMYK":
                state.colour = _colour([0.0, 0.0, 0.0, 1.0], self.transform(state.profile))
        elif op in ("sc", "scn"):
            numbers = [float(v) for v in operands if not isinstance(v, pikepdf.Name)]
            fits = _COMPONENTS.get(state.space) == len(numbers)
            state.colour = _colour(numbers, self.transform(state.profile)) if fits else None
        elif op == "gs":
            alpha = entry(resources, "/ExtGState", str(operands[0]), "/ca")
            if alpha is not None:
                state.alpha = float(alpha)

    def _text(self, page: int, op: str, operands: list[Any], state: _State, resources: Any) -> None:
        """Text state, positioning and showing; the text matrices live from BT to ET."""
        if op == "BT":
            self._tm = self._tlm = IDENTITY
            self._block, self._placed = [], False
        elif op == "ET":
            self._letter_by_letter()
        elif op == "Tf":
            font = entry(resources, "/Font", str(operands[0]))
            state.font = self.font(font) if font is not None else None
            state.size = float(operands[1])
        elif op in _TEXT_STATE:
            value = float(operands[0])
            setattr(state, _TEXT_STATE[op], value / 100 if op == "Tz" else int(value) if op == "Tr" else value)
        elif op == "Tm":
            a, b, c, d, e, f = (float(v) for v in operands)
            self._tm = self._tlm = (a, b, c, d, e, f)
            self._placed = True
        elif op in ("Td", "TD"):
            x, y = float(operands[0]), float(operands[1])
            if op == "TD":
                state.leading = -y
            self._tm = self._tlm = multiply((1, 0, 0, 1, x, y), self._tlm)
        elif op in ("T*", "'", '"'):
            self._tm = self._tlm = multiply((1, 0, 0, 1, 0, -state.leading), self._tlm)
            if op == '"':
                state.word_spacing, state.char_spacing = float(operands[0]), float(operands[1])
            if op != "T*":
                self._tm = self._show(page, [operands[-1]], self._tm, state)
        elif op in ("Tj", "TJ"):
            self._tm = self._show(page, operands[0] if op == "TJ" else [operands[0]], self._tm, state)

    def _do(self, page: int, resources: Any, name: str, state: _State) -> None:
        xobject = entry(resources, "/XObject", name)
        if xobject is None:
            return
        if xobject.get("/Subtype") == "/Image":
            if not xobject.get("/ImageMask", False):
                self._place(page, xobject.objgen, (int(xobject.Width), int(xobject.Height)), state)
        elif xobject.get("/Subtype") == "/Form" and self._depth < 20:  # forms may nest; never loop
            inner = state.saved()
            a, b, c, d, e, f = (float(v) for v in xobject.get("/Matrix", IDENTITY))
            inner.ctm = multiply((a, b, c, d, e, f), state.ctm)
            inner.clip = None  # see _State.clip
            if inner.origin is None:
                inner.origin = apply(inner.ctm, 0.0, 0.0)
            self._depth += 1
            self.run(page, xobject, xobject.get("/Resources", resources), inner)
            self._depth -= 1

    def _place(self, page: int, ident: tuple[int, int], pixels: tuple[int, int], state: _State) -> None:
        ctm = state.ctm
        width, height = math.hypot(ctm[0], ctm[1]), math.hypot(ctm[2], ctm[3])
        if width >= 2 and height >= 2:  # a spacer or hairline is not a picture
            box = _bounds([apply(ctm, x, y) for x in (0.0, 1.0) for y in (0.0, 1.0)])
            self.images.append(PlacedImage(page, ident, pixels, (width, height), box, state.clip, state.origin))

    def _letter_by_letter(self) -> None:
        """Mark the runs of a text object set one letter at a time as part of a picture.

        WeasyPrint typesets a line of HTML as one run; an SVG image's ``<text>`` (a logo's
        lettering, a diagram's labels) is placed one letter at a time, each with its own Tm.
        """
        block, self._block = self._block, []
        if -1 in block:
            return
        letters = [i for i in block if any(ch.isalnum() for ch in self.runs[i].text)]
        if len(letters) >= 2 and all(len(self.runs[i].text) == 1 for i in block):
            for i in block:
                self.runs[i] = replace(self.runs[i], picture=True)

    def _show(self, page: int, parts: Any, tm: Matrix, state: _State) -> Matrix:
        """Record one text run (``parts``: a TJ array, or a list of one string) and return the
        text matrix moved past it."""
        font = state.font
        if font is None:
            return tm
        advance, text = 0.0, []
        whole = joined(parts, 2 if font.two_byte else 1) if isinstance(parts, pikepdf.Array) else None
        if whole is not None:  # the common case, a line as WeasyPrint writes it: measured at once
            shown, widths, count, spaces = font.measure(whole[0], keep=False)
            text.append(shown)
            advance = ((widths / 1000 * state.size + count * state.char_spacing + spaces * state.word_spacing)
                       * state.scale - whole[1] / 1000 * state.size * state.scale)
            parts = []
        for part in parts:
            if isinstance(part, (bytes, pikepdf.String)):
                shown, widths, count, spaces = font.measure(bytes(part))
                text.append(shown)
                advance += (widths / 1000 * state.size + count * state.char_spacing
                            + spaces * state.word_spacing) * state.scale
            else:
                advance -= float(part) / 1000 * state.size * state.scale
        matrix = multiply(tm, state.ctm)
        words = "".join(text)
        if words.strip() and state.mode != 3:
            low, high = state.rise + DESCENT * state.size, state.rise + ASCENT * state.size
            corners = [apply(matrix, x, y) for x in (0.0, advance) for y in (low, high)]
            xs, ys = [c[0] for c in corners], [c[1] for c in corners]
            size = state.size * math.hypot(matrix[2], matrix[3])
            figure = bool(self._marks and self._marks[-1])
            self.runs.append(TextRun(page, _logical(" ".join(words.split())), size, font.bold, state.colour, state.alpha,
                                     (min(xs), min(ys), max(xs), max(ys)), figure, state.clip, state.origin))
            if self._placed:
                self._block.append(len(self.runs) - 1)
            else:
                self._block.append(-1)  # shown after the last without a new Tm: typeset, not placed
            self._placed = False
        return multiply((1, 0, 0, 1, advance, 0), tm)


_RTL = "\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff"
_LTR_STRETCH = re.compile(rf"[^\s{_RTL}]+(?:\s+[^\s{_RTL}]+)*")


def _logical(text: str) -> str:
    """A run of right-to-left text (Arabic, Hebrew) in reading order, for quoting and matching:
    its glyphs are shown left to right, so its letters are read last first; stretches of
    left-to-right text inside it (digits, a Latin name) are turned back the right way round."""
    if not re.search(f"[{_RTL}]", text):
        return text
    return _LTR_STRETCH.sub(lambda m: m[0][::-1], text[::-1])


def read_pages(pdf: pikepdf.Pdf, parsed: dict[tuple[int, int], list[Any]] | None = None) -> tuple[list[TextRun], list[PlacedImage]]:
    """Every text run and placed image of every page, form XObjects included; ``parsed``, if
    given, gets each stream's operators by its object number (``design.backgrounds`` takes them)."""
    reader = _Reader(output_profile(pdf))
    if parsed is not None:
        reader.parsed = parsed
    for index, page in enumerate(pdf.pages):
        reader._marks = []
        reader.run(index, page.obj, page.obj.get("/Resources", pikepdf.Dictionary()), _State())
    return reader.runs, reader.images
