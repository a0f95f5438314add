"""PDF fonts: what a shown string says and how wide it is, from the font's own tables.

A font's ToUnicode CMap gives each character code's text (``to_unicode``, bounded against
hostile ranges), its /Widths or /W array each glyph's width. ``pdfread`` measures the text
it reads with ``Font``, and ``render.marked`` (the tagging's words at a page break) reads
the same CMaps with ``to_unicode``. WeasyPrint shows a line as one TJ array with a string
per glyph; ``joined`` reads such an array at once from its PDF syntax.
"""

from __future__ import annotations

import binascii
import re
import sys
from array import array
from collections.abc import Sequence
from typing import Any

import pikepdf


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
        self.unicode = to_unicode(font)
        self._measured: dict[bytes, tuple[str, float, int, int]] = {}
        if self.two_byte:
            descendant = font.DescendantFonts[0]
            self.default_width = float(descendant.get("/DW", 1000))
            self._cid_widths(descendant.get("/W", pikepdf.Array()))
        else:
            first = int(font.get("/FirstChar", 0))
            for offset, width in enumerate(font.get("/Widths", pikepdf.Array())):
                self.widths[first + offset] = float(width)
        self._width_of = _Defaulted(self.widths, self.default_width).__getitem__
        self._text_of = _Defaulted(self.unicode, "").__getitem__

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
                for code in range(first, min(int(items[i + 1]), first + 0xFFFF) + 1):  # CIDs are two bytes
                    self.widths[code] = float(items[i + 2])
                i += 3

    def codes(self, data: bytes) -> Sequence[int]:
        if self.two_byte:
            codes = array("H", data[:len(data) - len(data) % 2])  # big-endian pairs, read in C
            if sys.byteorder == "little":
                codes.byteswap()
            return codes
        return data

    def text(self, codes: Sequence[int]) -> str:
        if self.unicode:
            return "".join(map(self._text_of, codes))
        return "".join(map(chr, codes))

    def measure(self, data: bytes, keep: bool = True) -> tuple[str, float, int, int]:
        """A shown string's text, the sum of its glyphs' widths (thousandths of the size), its
        number of codes and of single-byte spaces (which word spacing widens). Kept per string
        (``keep``): the same words and pieces of words recur all through a document."""
        found = self._measured.get(data) if keep else None
        if found is None:
            codes = self.codes(data)
            spaces = 0 if self.two_byte else codes.count(32)
            found = (self.text(codes), sum(map(self._width_of, codes)), len(codes), spaces)
            if keep:
                self._measured[data] = found
        return found


class _Defaulted(dict[int, Any]):
    """A dict with one value for every key it lacks (a glyph's width, its text)."""

    def __init__(self, values: dict[int, Any], default: Any) -> None:
        super().__init__(values)
        self.default = default

    def __missing__(self, key: int) -> Any:
        return self.default


def to_unicode(font: pikepdf.Object) -> dict[int, str]:
    """The font's ToUnicode CMap (bfchar and bfrange) as a dict: character code to text.

    A range maps at most 65,536 codes, so a hostile CMap cannot make it allocate without end.
    Shared by the checks (``Font``) and the tagging's words at page breaks (``render.marked``).
    """
    cmap_stream = font.get("/ToUnicode")
    if not isinstance(cmap_stream, pikepdf.Stream):  # none, or a name such as /Identity-H
        return {}
    cmap = cmap_stream.read_bytes().decode("latin-1")
    result: dict[int, str] = {}

    def text(hexa: str) -> str:
        return bytes.fromhex(hexa.zfill(len(hexa) + len(hexa) % 2)).decode("utf-16-be", "replace")

    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for source, target in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>", block):
            result[int(source, 16)] = text(target)
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for first, last, target in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*(<[^>]*>|\[[^\]]*\])", block):
            low, high = int(first, 16), int(last, 16)
            if target.startswith("["):
                for code, each in zip(range(low, high + 1), re.findall(r"<([0-9a-fA-F]*)>", target)):
                    result[code] = text(each)
            elif re.fullmatch(r"<[0-9a-fA-F]+>", target):
                start, digits = int(target[1:-1], 16), len(target) - 2
                # The target counts up within its own digits: a range that would overflow them (a
                # broken or hostile font) ends there, and no range maps more than 65,536 codes.
                end = min(high, low + 0xFFFF, low + 16 ** digits - 1 - start)
                for code in range(low, end + 1):
                    result[code] = text(f"{start + code - low:0{digits}x}")
    return result


# A TJ array of hex strings (whole codes of ``width`` bytes each), empty strings and numbers only.
# Each number ends where no digit or point follows: one way to read it, so no backtracking.
_HEX_ONLY = {width: re.compile(rb"\[(?:\s*(?:<(?:[0-9a-fA-F]{%d})*>|\(\)|[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?![0-9.])))*\s*\]"
                               % (2 * width)) for width in (1, 2)}
_HEX_STRING = re.compile(rb"<([0-9a-fA-F]*)>")
_STRINGS = re.compile(rb"<[^>]*>|\(\)|\[|\]")


def joined(array: pikepdf.Array, width: int) -> tuple[bytes, float] | None:
    """A TJ array's strings as one, and the sum of its numbers (its kerning), when it holds
    only hex strings of whole ``width``-byte codes, empty strings and numbers, as WeasyPrint
    writes a line (a string per glyph); else None. Read by regular expressions over the
    array's PDF syntax, not object by object: a long handout shows some 300,000 strings."""
    syntax = array.unparse()
    if not _HEX_ONLY[width].fullmatch(syntax):
        return None
    shown = binascii.unhexlify(b"".join(_HEX_STRING.findall(syntax)))
    return shown, sum(map(float, _STRINGS.sub(b" ", syntax).split()))
