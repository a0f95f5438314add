"""PDF checks: design and accessibility facts read from the built PDFs, not guessed from templates.

``print PDF + email PDF --pdfcheck--> findings``: contrast of every piece of text against
what is really behind it, the smallest type size, each image's resolution at its printed
size, alt text and tagging for screen readers, and embedded fonts.

Why read the PDFs: a clinic can override any template or stylesheet, so only the output
says what a patient will see. Each page's content stream is interpreted with pikepdf,
walking into form XObjects (the tri-fold's panels are drawn as ``/P0 Do`` ...), to know the
colour, size and place of every text run and image. The background behind a text run is
found by rendering the page with its text removed (pypdfium2) and taking the most common
colour under the run, which also covers text on tinted panels and on pictures.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pikepdf

from .checks import CheckSettings, Finding, Severity
from .content import Brochure
from .source import Source, dotted

Matrix = tuple[float, float, float, float, float, float]
Colour = tuple[float, float, float]  # sRGB, 0 to 1
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
RENDER_SCALE = 2.0  # 144 dpi: enough pixels under 6 pt type to find its background
ASCENT, DESCENT = 0.75, -0.2  # of the font size: the band behind a line of text


def check_pdfs(print_pdf: Path, email_pdf: Path, settings: CheckSettings,
               images: Sequence[ImageSource] = ()) -> list[Finding]:
    """Every finding read from a brochure's two PDFs.

    ``images`` (from ``content_images``) lets a low-resolution picture be reported at the
    content line that names it, rather than only by page.
    """
    findings: list[Finding] = []
    for path, role in ((print_pdf, "print"), (email_pdf, "email")):
        findings += check_pdf(path, role, settings, images)
    return sorted(findings, key=Finding.sort_key)


def check_pdf(path: Path, role: str, settings: CheckSettings, images: Sequence[ImageSource] = ()) -> list[Finding]:
    """The findings for one PDF; ``role`` is "print" (resolution) or "email" (tagging, alt text)."""
    name = str(path)
    with pikepdf.open(path) as pdf:
        runs, placed = read_pages(pdf)
        findings = type_size(name, runs, settings) + fonts(name, pdf)
        if role == "print":
            findings += image_resolution(name, placed, settings, images)
        else:
            findings += tagging(name, pdf) + alt_text(name, pdf)
        findings += contrast(name, runs, backgrounds(pdf, runs))  # last: it strips the text from ``pdf``
    return sorted(findings, key=Finding.sort_key)


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
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in page space

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

    @property
    def ppi(self) -> float:
        return min(self.pixels[0] / (self.points[0] / 72), self.pixels[1] / (self.points[1] / 72))


class Font:
    """What the checks need of a PDF font: character codes to text and widths, and boldness."""

    def __init__(self, font: Any) -> None:
        self.name = str(font.get("/BaseFont", "")).lstrip("/").split("+", 1)[-1]
        lower = self.name.lower()
        self.bold = ("bold" in lower or "black" in lower or "heavy" in lower) and not (
            "semi" in lower or "demi" in lower)
        self.two_byte = font.get("/Subtype") == "/Type0"
        self.widths: dict[int, float] = {}
        self.default_width = 1000.0 if self.two_byte else 500.0
        self.unicode = _to_unicode(font)
        if self.two_byte:
            descendant = font.DescendantFonts[0]
            self.default_width = float(descendant.get("/DW", 1000))
            self._cid_widths(descendant.get("/W", pikepdf.Array()))
        else:
            first = int(font.get("/FirstChar", 0))
            for offset, width in enumerate(font.get("/Widths", pikepdf.Array())):
                self.widths[first + offset] = float(width)

    def _cid_widths(self, array: pikepdf.Array) -> None:
        items = list(array)
        i = 0
        while i < len(items) - 1:
            first = int(items[i])
            if isinstance(items[i + 1], pikepdf.Array):
                for offset, width in enumerate(items[i + 1]):
                    self.widths[first + offset] = float(width)
                i += 2
            else:
                for code in range(first, int(items[i + 1]) + 1):
                    self.widths[code] = float(items[i + 2])
                i += 3

    def codes(self, data: bytes) -> list[int]:
        if self.two_byte:
            return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data) - 1, 2)]
        return list(data)

    def text(self, codes: list[int]) -> str:
        return "".join(self.unicode.get(code, "") if self.unicode else chr(code) for code in codes)


def _to_unicode(font: pikepdf.Dictionary) -> dict[int, str]:
    """The font's ToUnicode CMap (bfchar and bfrange) as a dict."""
    if "/ToUnicode" not in font:
        return {}
    cmap = font.ToUnicode.read_bytes().decode("latin-1")
    result: dict[int, str] = {}

    def text(hexa: str) -> str:
        return bytes.fromhex(hexa).decode("utf-16-be", "replace")

    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for source, target in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>", block):
            result[int(source, 16)] = text(target)
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for first, last, target in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*(<[^>]*>|\[[^\]]*\])", block):
            low, high = int(first, 16), int(last, 16)
            if target.startswith("["):
                for code, each in zip(range(low, high + 1), re.findall(r"<([0-9a-fA-F]*)>", target)):
                    result[code] = text(each)
            else:
                start = int(target[1:-1], 16)
                width = len(target[1:-1]) // 2
                for code in range(low, min(high, low + 0xFFFF) + 1):
                    result[code] = text(f"{start + code - low:0{width * 2}x}")
    return result


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


_COMPONENTS = {"/DeviceGray": 1, "/CalGray": 1, "/DeviceRGB": 3, "/CalRGB": 3, "/DeviceCMYK": 4}


def _colour(values: list[float]) -> Colour | None:
    if len(values) == 1:
        return (values[0],) * 3
    if len(values) == 3:
        return (values[0], values[1], values[2])
    if len(values) == 4:  # a naive CMYK to RGB: enough to judge contrast
        c, m, y, k = values
        return ((1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k))
    return None


def _entry(obj: Any, *keys: str) -> Any:
    """``obj[key][key]...`` in PDF dictionaries, or None where one is missing (PDFs leave most keys out)."""
    for key in keys:
        if not isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)) or key not in obj:
            return None
        obj = obj[key]
    return obj


def _space_kind(name: Any, resources: Any) -> str:
    """A colour space name reduced to the device space with as many components, when possible."""
    key = str(name)
    if key in _COMPONENTS:
        return key
    space = _entry(resources, "/ColorSpace", key)
    if isinstance(space, pikepdf.Array) and len(space) and space[0] == "/ICCBased":
        return {1: "/DeviceGray", 3: "/DeviceRGB", 4: "/DeviceCMYK"}.get(int(space[1].get("/N", 0)), key)
    return key  # Lab, patterns, separations: the colour is left unknown


_TEXT_STATE = {"Tc": "char_spacing", "Tw": "word_spacing", "Tz": "scale", "TL": "leading", "Ts": "rise",
               "Tr": "mode"}
_TEXT_OPERATORS = {"BT", "ET", "Tf", "Tm", "Td", "TD", "T*", "'", '"', "Tj", "TJ", *_TEXT_STATE}


class _Reader:
    """Interprets content streams, collecting text runs and placed images."""

    def __init__(self) -> None:
        self.runs: list[TextRun] = []
        self.images: list[PlacedImage] = []
        self._fonts: dict[tuple[int, int], Font] = {}
        self._depth = 0
        self._tm = self._tlm = IDENTITY  # text and text-line matrices (no form is drawn inside BT ... ET)

    def font(self, obj: Any) -> Font:
        key = obj.objgen if obj.is_indirect else (id(obj), 0)
        if key not in self._fonts:
            self._fonts[key] = Font(obj)
        return self._fonts[key]

    def run(self, page: int, stream: Any, resources: Any, state: _State) -> None:
        """Interpret one content stream (a page's or a form's) from ``state``."""
        stack: list[_State] = []
        for item in pikepdf.parse_content_stream(stream):
            if isinstance(item, pikepdf.ContentStreamInlineImage):
                image = item.iimage
                self._place(page, (0, 0), (int(image.width), int(image.height)), state.ctm)
                continue
            operands, op = list(item.operands), str(item.operator)
            if op == "q":
                stack.append(replace(state))
            elif op == "Q" and stack:
                state = stack.pop()
            elif op == "Do":
                self._do(page, resources, str(operands[0]), state)
            elif op in _TEXT_OPERATORS:
                self._text(page, op, operands, state, resources)
            else:
                self._graphics(op, operands, state, resources)

    def _graphics(self, op: str, operands: list[Any], state: _State, resources: Any) -> None:
        """The operators that change the transformation, the fill colour or its opacity."""
        if op == "cm":
            a, b, c, d, e, f = (float(v) for v in operands)
            state.ctm = multiply((a, b, c, d, e, f), state.ctm)
        elif op in ("rg", "g", "k"):
            state.colour = _colour([float(v) for v in operands])
            state.space = {"rg": "/DeviceRGB", "g": "/DeviceGray", "k": "/DeviceCMYK"}[op]
        elif op == "cs":
            state.space = _space_kind(operands[0], resources)
            state.colour = (0.0, 0.0, 0.0) if state.space in _COMPONENTS else None
        elif op in ("sc", "scn"):
            numbers = [float(v) for v in operands if not isinstance(v, pikepdf.Name)]
            fits = _COMPONENTS.get(state.space) == len(numbers)
            state.colour = _colour(numbers) if fits else None
        elif op == "gs":
            alpha = _entry(resources, "/ExtGState", str(operands[0]), "/ca")
            if alpha is not None:
                state.alpha = float(alpha)

    def _text(self, page: int, op: str, operands: list[Any], state: _State, resources: Any) -> None:
        """Text state, positioning and showing; the text matrices live from BT to ET."""
        if op == "BT":
            self._tm = self._tlm = IDENTITY
        elif op == "Tf":
            font = _entry(resources, "/Font", str(operands[0]))
            state.font = self.font(font) if font is not None else None
            state.size = float(operands[1])
        elif op in _TEXT_STATE:
            value = float(operands[0])
            setattr(state, _TEXT_STATE[op], value / 100 if op == "Tz" else int(value) if op == "Tr" else value)
        elif op == "Tm":
            a, b, c, d, e, f = (float(v) for v in operands)
            self._tm = self._tlm = (a, b, c, d, e, f)
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
            self._tm = self._show(page, list(operands[0]) if op == "TJ" else [operands[0]], self._tm, state)

    def _do(self, page: int, resources: Any, name: str, state: _State) -> None:
        xobject = _entry(resources, "/XObject", name)
        if xobject is None:
            return
        if xobject.get("/Subtype") == "/Image":
            if not xobject.get("/ImageMask", False):
                self._place(page, xobject.objgen, (int(xobject.Width), int(xobject.Height)), state.ctm)
        elif xobject.get("/Subtype") == "/Form" and self._depth < 20:  # forms may nest; never loop
            inner = replace(state)
            a, b, c, d, e, f = (float(v) for v in xobject.get("/Matrix", IDENTITY))
            inner.ctm = multiply((a, b, c, d, e, f), state.ctm)
            self._depth += 1
            self.run(page, xobject, xobject.get("/Resources", resources), inner)
            self._depth -= 1

    def _place(self, page: int, ident: tuple[int, int], pixels: tuple[int, int], ctm: Matrix) -> None:
        width, height = math.hypot(ctm[0], ctm[1]), math.hypot(ctm[2], ctm[3])
        if width >= 2 and height >= 2:  # a spacer or hairline is not a picture
            self.images.append(PlacedImage(page, ident, pixels, (width, height)))

    def _show(self, page: int, parts: list[Any], tm: Matrix, state: _State) -> Matrix:
        """Record one text run and return the text matrix moved past it."""
        font = state.font
        if font is None:
            return tm
        advance, text = 0.0, []
        for part in parts:
            if isinstance(part, (bytes, pikepdf.String)):
                codes = font.codes(bytes(part))
                text.append(font.text(codes))
                for code in codes:
                    space = state.word_spacing if code == 32 and not font.two_byte else 0.0
                    width = font.widths.get(code, font.default_width)
                    advance += (width / 1000 * state.size + state.char_spacing + space) * state.scale
            else:
                advance -= float(part) / 1000 * state.size * state.scale
        matrix = multiply(tm, state.ctm)
        words = "".join(text)
        if words.strip() and state.mode != 3:
            low, high = state.rise + DESCENT * state.size, state.rise + ASCENT * state.size
            corners = [apply(matrix, x, y) for x in (0.0, advance) for y in (low, high)]
            xs, ys = [c[0] for c in corners], [c[1] for c in corners]
            size = state.size * math.hypot(matrix[2], matrix[3])
            self.runs.append(TextRun(page, " ".join(words.split()), size, font.bold, state.colour, state.alpha,
                                     (min(xs), min(ys), max(xs), max(ys))))
        return multiply((1, 0, 0, 1, advance, 0), tm)


def read_pages(pdf: pikepdf.Pdf) -> tuple[list[TextRun], list[PlacedImage]]:
    """Every text run and placed image of every page, form XObjects included."""
    reader = _Reader()
    for index, page in enumerate(pdf.pages):
        reader.run(index, page.obj, page.obj.get("/Resources", pikepdf.Dictionary()), _State())
    return reader.runs, reader.images


# --- contrast ---------------------------------------------------------------------------------

def luminance(colour: Colour) -> float:
    """WCAG relative luminance of an sRGB colour."""
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(one: Colour, other: Colour) -> float:
    """WCAG contrast ratio, from 1 (none) to 21 (black on white)."""
    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def hex_colour(colour: Colour) -> str:
    return "#" + "".join(f"{round(max(0.0, min(1.0, c)) * 255):02x}" for c in colour)


def _strip_text(pdf: pikepdf.Pdf) -> None:
    """Remove every BT ... ET from pages and form XObjects, in place: what is left is the background."""
    done: set[tuple[int, int]] = set()

    def strip(stream: Any) -> bytes:
        kept, inside = [], False
        for item in pikepdf.parse_content_stream(stream):
            operator = "" if isinstance(item, pikepdf.ContentStreamInlineImage) else str(item.operator)
            if operator == "BT":
                inside = True
            if not inside:
                kept.append(item)
            if operator == "ET":
                inside = False
        return pikepdf.unparse_content_stream(kept)

    def forms(resources: Any) -> Iterator[pikepdf.Stream]:
        xobjects = _entry(resources, "/XObject")
        for xobject in xobjects.values() if xobjects is not None else ():
            if xobject.get("/Subtype") == "/Form" and xobject.objgen not in done:
                done.add(xobject.objgen)
                yield xobject
                yield from forms(xobject.get("/Resources"))

    for page in pdf.pages:
        data = strip(page.obj)
        for form in list(forms(page.obj.get("/Resources"))):
            form.write(strip(form))
        page.obj.Contents = pdf.make_stream(data)


_RENDERED: dict[str, tuple[Any, tuple[float, float, float, float]]] = {}  # page fingerprint -> picture, box
_RENDERED_MAX = 16  # a letter page at 144 dpi is about 6 MB of pixels


def _fingerprint(page: pikepdf.Page) -> str:
    """What a text-stripped page draws: its content, its forms' and images' bytes, its box.

    Why: in watch mode and across variants most pages' backgrounds do not change when the
    words do, and rendering a page is the costliest part of the checks.
    """
    digest = hashlib.sha256(page.obj.Contents.read_bytes() + repr(list(page.cropbox)).encode())
    seen: set[tuple[int, int]] = set()

    def resources(res: Any) -> None:
        xobjects = _entry(res, "/XObject")
        for xobject in xobjects.values() if xobjects is not None else ():
            if xobject.objgen in seen:
                continue
            seen.add(xobject.objgen)
            digest.update(xobject.read_raw_bytes())
            if xobject.get("/Subtype") == "/Form":
                resources(xobject.get("/Resources"))

    resources(page.obj.get("/Resources"))
    return digest.hexdigest()


def backgrounds(pdf: pikepdf.Pdf, runs: list[TextRun]) -> list[Colour | None]:
    """The colour behind each text run: the most common pixel under it with all text removed."""
    import pypdfium2 as pdfium

    _strip_text(pdf)
    keys = {run.page: _fingerprint(pdf.pages[run.page]) for run in runs}
    pictures = {key: _RENDERED[key] for key in keys.values() if key in _RENDERED}
    missing = {page for page, key in keys.items() if key not in pictures}
    if missing:
        buffer = io.BytesIO()
        pdf.save(buffer)
        document = pdfium.PdfDocument(buffer.getvalue())
        try:
            for index in sorted(missing):
                page = document[index]
                pictures[keys[index]] = (page.render(scale=RENDER_SCALE).to_pil().convert("RGB"),
                                         page.get_cropbox())
        finally:
            document.close()
        for key in [k for k in pictures if k not in _RENDERED]:
            if len(_RENDERED) >= _RENDERED_MAX:
                _RENDERED.pop(next(iter(_RENDERED)))  # the oldest
            _RENDERED[key] = pictures[key]
    return [_mode_colour(*pictures[keys[run.page]], run.box) for run in runs]


def _mode_colour(image: Any, crop: tuple[float, float, float, float], box: tuple[float, float, float, float]) -> Colour | None:
    left, bottom, right, top = crop
    x0 = max(0, int((box[0] - left) * RENDER_SCALE))
    x1 = min(image.width, int(math.ceil((box[2] - left) * RENDER_SCALE)))
    y0 = max(0, int((top - box[3]) * RENDER_SCALE))
    y1 = min(image.height, int(math.ceil((top - box[1]) * RENDER_SCALE)))
    if x1 <= x0 or y1 <= y0:
        return None  # outside the page (in the bleed or off the sheet)
    colours = image.crop((x0, y0, x1, y1)).getcolors(maxcolors=(x1 - x0) * (y1 - y0))
    count, (r, g, b) = max(colours)
    return (r / 255, g / 255, b / 255)


def _quote(texts: list[str], limit: int = 3, width: int = 40) -> str:
    shown = [t if len(t) <= width else t[:width - 1].rstrip() + "\u2026" for t in dict.fromkeys(texts)]
    return ", ".join(f"\u201c{t}\u201d" for t in shown[:limit]) + (", \u2026" if len(shown) > limit else "")


def contrast(name: str, runs: list[TextRun], behind: list[Colour | None]) -> list[Finding]:
    """Text whose contrast with its background is under WCAG's 4.5:1 (3:1 for large text)."""
    groups: dict[tuple[int, str, str, bool], list[tuple[float, str]]] = {}
    for run, background in zip(runs, behind):
        # Bullets and rules drawn as glyphs are markers, not words (WCAG 1.4.3 is about text).
        if run.colour is None or background is None or not any(ch.isalnum() for ch in run.text):
            continue
        red, green, blue = (run.alpha * f + (1 - run.alpha) * b for f, b in zip(run.colour, background))
        shown = (red, green, blue)  # what a translucent colour looks like over this background
        ratio = contrast_ratio(shown, background)
        if ratio < (3.0 if run.large else 4.5) - 0.005:
            group = (run.page, hex_colour(shown), hex_colour(background), run.large)
            groups.setdefault(group, []).append((ratio, run.text))
    findings = []
    for (page, fore, back, large), items in sorted(groups.items()):
        ratio = min(r for r, _ in items)
        need = "3:1 for large text" if large else "4.5:1"
        findings.append(Finding(
            "contrast", "warning", name, None, f"page {page + 1}",
            f"{fore} text on {back} has a contrast of {ratio:.1f}:1; it needs {need} "
            f"({_quote([t for _, t in items])})"))
    return findings


# --- type size, images, fonts, tagging -----------------------------------------------------------

def type_size(name: str, runs: list[TextRun], settings: CheckSettings) -> list[Finding]:
    """The smallest type used: a warning under ``min_type_pt``, otherwise a note with the body size."""
    if not runs:
        return []
    smallest = min(round(run.size, 1) for run in runs)
    small = [run for run in runs if round(run.size, 1) == smallest]
    weights = Counter[float]()
    for run in runs:
        weights[round(run.size, 1)] += len(run.text)
    body = weights.most_common(1)[0][0]
    where = f"page {small[0].page + 1}"
    if smallest < settings.min_type_pt:
        return [Finding("type-size", "warning", name, None, where,
                        f"text as small as {smallest:g} pt ({_quote([r.text for r in small])}); "
                        f"use {settings.min_type_pt:g} pt or more")]
    return [Finding("type-size", "info", name, None, where,
                    f"the smallest type is {smallest:g} pt ({_quote([r.text for r in small], 1)}); "
                    f"most text is {body:g} pt")]


@dataclass(frozen=True)
class ImageSource:
    """A raster image named in the content file, with its size in pixels."""

    file: str
    line: int | None
    key: str
    name: str
    pixels: tuple[int, int]


def content_images(brochure: Brochure, source: Source, content_dir: Path) -> list[ImageSource]:
    """The PNG and JPEG files the content names (logo and section images); SVGs print sharp at any size."""
    from PIL import Image

    named: list[tuple[tuple[str | int, ...], str]] = []
    if brochure.clinic.logo:
        named.append((("clinic", "logo"), brochure.clinic.logo))
    named += [(("sections", i, "image", "src"), s.image.src) for i, s in enumerate(brochure.sections) if s.image]
    found = []
    for path, file in named:
        if file.lower().endswith(".svg"):
            continue
        try:
            with Image.open(content_dir / file) as image:
                found.append(ImageSource(source.file, source.lines.get(path), dotted(path), file, image.size))
        except OSError:
            continue  # not a picture Pillow reads (an SVG named .png): WeasyPrint placed it, nothing to measure

    return found


def image_resolution(name: str, placed: list[PlacedImage], settings: CheckSettings,
                     images: Sequence[ImageSource] = ()) -> list[Finding]:
    """Each raster image under ``min_ppi`` at the size it is printed."""
    findings, seen = [], set()
    by_pixels = {image.pixels: image for image in images}
    for image in placed:
        ppi = image.ppi
        if ppi >= settings.min_ppi - 0.5 or (image.page, image.ident) in seen:
            continue
        seen.add((image.page, image.ident))
        (w, h), (pw, ph) = image.pixels, image.points
        need = f"{math.ceil(pw / 72 * settings.min_ppi)} \u00d7 {math.ceil(ph / 72 * settings.min_ppi)} px"
        size = f"{pw / 72:.1f} \u00d7 {ph / 72:.1f} in"
        advice = f"print needs {settings.min_ppi:g} ppi: use a file of at least {need}, or an SVG"
        source = by_pixels.get(image.pixels)
        if source:  # say it at the content line that names the file, which is what the clinic edits
            findings.append(Finding(
                "image-resolution", "warning", source.file, source.line, source.key,
                f"\u2018{source.name}\u2019 ({w} \u00d7 {h} px) prints at {ppi:.0f} ppi ({size}, page "
                f"{image.page + 1} of {Path(name).name}); {advice}"))
        else:
            findings.append(Finding("image-resolution", "warning", name, None, f"page {image.page + 1}",
                                    f"an image of {w} \u00d7 {h} px prints at {ppi:.0f} ppi ({size}); {advice}"))
    return findings


def fonts(name: str, pdf: pikepdf.Pdf) -> list[Finding]:
    """Each font whose program is not embedded: the printer or reader would substitute another."""
    missing: dict[str, None] = {}
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Type") != "/Font":
            continue
        subtype = obj.get("/Subtype")
        if subtype == "/Type3":
            continue  # its glyphs are drawn in the file itself
        if subtype == "/Type0":
            if "/DescendantFonts" not in obj:
                continue
            descriptor = obj.DescendantFonts[0].get("/FontDescriptor")
        else:
            descriptor = obj.get("/FontDescriptor")
        if descriptor is None or not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
            missing[str(obj.get("/BaseFont", "(unnamed)")).lstrip("/")] = None
    return [Finding("fonts", "warning", name, None, "",
                    f"the font \u2018{font}\u2019 is not embedded; printers and readers would use another")
            for font in missing]


def tagging(name: str, pdf: pikepdf.Pdf) -> list[Finding]:
    """What screen readers need of the whole file: tags, a language and a title shown as the title."""
    root, problems = pdf.Root, []
    if "/StructTreeRoot" not in root:
        problems.append("not tagged (no structure tree): screen readers cannot follow the reading order")
    if not bool(_entry(root, "/MarkInfo", "/Marked")):
        problems.append("not marked as tagged (MarkInfo /Marked is not true)")
    if not str(root.get("/Lang", "")).strip():
        problems.append("no document language (/Lang): screen readers may read it with the wrong voice")
    if not str(pdf.docinfo.get("/Title", "")).strip():
        problems.append("no title in the document information")
    if not bool(_entry(root, "/ViewerPreferences", "/DisplayDocTitle")):
        problems.append("viewers show the file name, not the title (ViewerPreferences /DisplayDocTitle)")
    return [Finding("tagging", "warning", name, None, "", problem) for problem in problems]


def _elements(node: Any, page: Any = None) -> Iterator[tuple[pikepdf.Dictionary, Any]]:
    """Structure elements under ``node``, each with its page (inherited from its parents)."""
    if isinstance(node, pikepdf.Array):
        for child in node:
            yield from _elements(child, page)
    elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
        page = node.get("/Pg", page)
        yield node, page
        if "/K" in node:
            yield from _elements(node.K, page)


def alt_text(name: str, pdf: pikepdf.Pdf) -> list[Finding]:
    """Each figure in the structure tree without alt text: a screen reader would skip it."""
    tree = pdf.Root.get("/StructTreeRoot")
    if tree is None or "/K" not in tree:
        return []
    role_map = _entry(tree, "/RoleMap")
    roles = {str(k): str(v) for k, v in role_map.items()} if role_map is not None else {}
    numbers = {page.objgen: index for index, page in enumerate(pdf.pages)}
    findings = []
    for element, page in _elements(tree.K):
        if roles.get(str(element.S), str(element.S)) != "/Figure":
            continue
        if str(element.get("/Alt", "")).strip() or str(element.get("/ActualText", "")).strip():
            continue
        number = numbers.get(page.objgen) if page is not None else None
        findings.append(Finding("alt-text", "warning", name, None, f"page {number + 1}" if number is not None else "",
                                "a figure has no alt text, so screen readers skip it; give the image an alt"))
    return findings
