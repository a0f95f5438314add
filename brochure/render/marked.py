"""Marked content: each page's content-stream operators and its marked-content sequences
(MCIDs), with the words each shows (from the fonts' ToUnicode CMaps) and how high it sits.

``tagging`` mends the email PDF's structure tree from these: which sequence is a running
footer, and whether a paragraph at a page break goes on at the top of the next page."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import cast

import pikepdf
from pikepdf import Array, Dictionary, Name, Object

from ..checks.pdffonts import joined, to_unicode

Matrix = tuple[float, float, float, float, float, float]
Operation = pikepdf.ContentStreamInstruction | pikepdf.ContentStreamInlineImage
_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
# The operators ``scan`` follows: marked content, the graphics and text state it places text by, what shows.
_READ = frozenset({"BDC", "BMC", "EMC", "q", "Q", "cm", "BT", "Tm", "Td", "TD", "T*", "TL", "Tf",
                   "Tj", "TJ", "'", '"', "Do"})


def _times(a: Matrix, b: Matrix) -> Matrix:
    """The matrix product a × b (PDF row-vector convention)."""
    return (a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3],
            a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3],
            a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5])


def _matrix(operands: list[Object]) -> Matrix:
    values = [float(Decimal(str(v))) for v in operands]
    return (values[0], values[1], values[2], values[3], values[4], values[5])


class Fonts:
    """Unicode text of shown strings, from each font's ToUnicode CMap (read as the checks read
    it: ``checks.pdffonts.to_unicode``), each font's read once."""

    def __init__(self) -> None:
        self._maps: dict[tuple[int, int], tuple[int, dict[int, str]]] = {}

    def text(self, font: Object | None, raw: bytes) -> str:
        if not isinstance(font, Dictionary):
            return ""
        width, table = self._load(font)
        codes = (int.from_bytes(raw[i:i + width], "big") for i in range(0, len(raw) - width + 1, width))
        return "".join(table.get(code, "") for code in codes)

    def width(self, font: Object) -> int:
        """Bytes a code of ``font`` takes: 2 for a composite (Type0) font, else 1."""
        return self._load(font)[0]

    def _load(self, font: Object) -> tuple[int, dict[int, str]]:
        if font.objgen not in self._maps or font.objgen == (0, 0):
            width = 2 if font.get("/Subtype") == Name.Type0 else 1
            self._maps[font.objgen] = (width, to_unicode(font))
        return self._maps[font.objgen]


@dataclass
class Marked:
    """One marked-content sequence with an MCID: where its BDC is, what it shows, how high it sits."""

    index: int
    mcid: int
    # Each text-showing operator's font and operand, decoded only when the words are asked
    # for (``words``): only paragraphs at a page break are read, not every line of the PDF.
    shown: list[tuple[Object | None, Object]] = field(default_factory=list)
    y: float | None = None
    _words: str | None = None

    def words(self, fonts: Fonts) -> str:
        """The sequence's text, from each font's ToUnicode CMap."""
        if self._words is None:
            parts = []
            for font, operand in self.shown:
                if isinstance(operand, Array) and isinstance(font, Dictionary):
                    # A line as WeasyPrint writes it (a string a glyph) read at once: the same codes.
                    line = joined(operand, fonts.width(font))
                    if line is not None:
                        parts.append(fonts.text(font, line[0]))
                        continue
                strings = list(operand) if isinstance(operand, Array) else [operand]
                parts += [fonts.text(font, bytes(s)) for s in strings if isinstance(s, pikepdf.String)]
            self._words = "".join(parts)
        return self._words


def scan(page: pikepdf.Page) -> tuple[list[Operation], list[Marked]]:
    """A page's operators and its MCID sequences, with what they show and their height on the page."""
    ops = list(pikepdf.parse_content_stream(page))
    resources = page.obj.get("/Resources", Dictionary())
    font_dict = resources.get("/Font", Dictionary())
    marked: list[Marked] = []
    stack: list[Marked | None] = []
    ctm, saved, tm, tlm = _IDENTITY, list[Matrix](), _IDENTITY, _IDENTITY
    font: Object | None = None
    leading = 0.0
    for index, op in enumerate(ops):
        if isinstance(op, pikepdf.ContentStreamInlineImage):
            continue
        name = str(op.operator)
        if name not in _READ:  # paths, colours, graphics states: nothing this scan keeps
            continue
        args = list(op.operands)
        if name in ("BDC", "BMC"):
            props = args[1] if name == "BDC" and len(args) > 1 else None
            mcid = cast(Object | int | None, props.get("/MCID") if isinstance(props, Dictionary) else None)
            entry = Marked(index, mcid) if isinstance(mcid, int) else None
            if entry:
                marked.append(entry)
            stack.append(entry)
        elif name == "EMC" and stack:
            stack.pop()
        elif name == "q":
            saved.append(ctm)
        elif name == "Q" and saved:
            ctm = saved.pop()
        elif name == "cm":
            ctm = _times(_matrix(args), ctm)
        elif name == "BT":
            tm = tlm = _IDENTITY
        elif name == "Tm":
            tm = tlm = _matrix(args)
        elif name in ("Td", "TD", "T*", "'", '"'):
            tx, ty = (0.0, -leading) if name in ("T*", "'", '"') else (float(args[0]), float(args[1]))
            leading = -ty if name == "TD" else leading
            tm = tlm = _times((1.0, 0.0, 0.0, 1.0, tx, ty), tlm)
        elif name == "TL":
            leading = float(args[0])
        elif name == "Tf":
            font = font_dict.get(str(args[0]))
        if name not in ("Tj", "TJ", "'", '"', "Do"):
            continue
        current = next((m for m in reversed(stack) if m is not None), None)
        if current is None:
            continue
        if current.y is None:
            current.y = _times(tm if name != "Do" else _IDENTITY, ctm)[5]
        if name != "Do":
            current.shown.append((font, args[-1] if name != "TJ" else args[0]))
    return ops, marked
