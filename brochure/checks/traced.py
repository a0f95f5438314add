"""Traced text: the content key and line a piece of text in a PDF comes from.

The layout check finds words cut off or printed over others in the PDF; a finding points at
the key and line the clinic edits when the words can be traced back to the content
(``Texts``), so a clinic's own template or stylesheet is checked like the bundled ones."""

from __future__ import annotations

from dataclasses import dataclass

from ..content import Brochure, Path_, Source, dotted
from .text import all_blocks

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u00ad\u2060\ufeff"), None)
_QUOTES = str.maketrans("\u2018\u2019\u201c\u201d\u2010\u2011", "''\"\"--")


def _normal(text: str) -> tuple[str, list[int]]:
    """``text`` folded for matching (case, quotes, spacing, invisible breaks), with each
    character's offset in ``text``."""
    chars: list[str] = []
    offsets: list[int] = []
    for offset, char in enumerate(text):
        char = char.translate(_INVISIBLE).translate(_QUOTES).casefold()
        if not char:
            continue
        if char.isspace():
            if not chars or chars[-1] == " ":
                continue
            char = " "
        chars.append(char)
        offsets.append(offset)
    return "".join(chars), offsets


@dataclass(frozen=True)
class Traced:
    """Where a piece of text on the page was written in the content file."""

    file: str
    line: int | None
    key: str


class Texts:
    """The content's words by key, to trace text found on a page back to where it was written."""

    def __init__(self, brochure: Brochure, source: Source) -> None:
        self.file = source.file
        self._lines = source.lines
        self._fields: list[tuple[Path_, int | None, str, str, list[int]]] = []
        clinic = brochure.clinic
        fields: list[tuple[Path_, int | None, str | None]] = [
            (("clinic", key), source.lines.get(("clinic", key)), getattr(clinic, key))
            for key in ("name", "phone", "email", "website", "address")]
        fields += [(block.path, block.line, block.text) for block in all_blocks(brochure, source)]
        for path, line, text in fields:
            if text:
                normal, offsets = _normal(text)
                self._fields.append((path, line, text, normal, offsets))

    def line_of(self, path: Path_) -> int | None:
        """The line where ``path`` is written in the content file, if it is."""
        return self._lines.get(path)

    def trace(self, shown: str) -> Traced | None:
        """The key (and line) whose text contains ``shown``, preferring a key that is exactly it.

        Too short a piece ("Call", ".") is not traced: it could be anywhere.
        """
        needle = _normal(shown)[0].strip().rstrip("-").strip()
        if sum(ch.isalnum() for ch in needle) < 4:
            return None
        best: tuple[int, int, Traced] | None = None
        for order, (path, line, text, normal, offsets) in enumerate(self._fields):
            at = self._find(normal, needle)
            if at < 0:
                continue
            where = None if line is None else line + text.count("\n", 0, offsets[at])
            rank = (0 if normal.strip() == needle else 1, order)
            if best is None or rank < best[:2]:
                best = (*rank, Traced(self.file, where, dotted(path)))
        return best[2] if best else None

    @staticmethod
    def _find(normal: str, needle: str) -> int:
        """Where ``needle`` starts in ``normal`` as whole words, or -1. A piece of 8 letters or
        more may also start or end inside a word: a line broken inside a long address or word."""
        at = normal.find(needle)
        while at >= 0:
            before = normal[at - 1] if at else " "
            after = normal[at + len(needle)] if at + len(needle) < len(normal) else " "
            if not (before.isalnum() and needle[0].isalnum()) and not (after.isalnum() and needle[-1].isalnum()):
                return at
            at = normal.find(needle, at + 1)
        return normal.find(needle) if sum(ch.isalnum() for ch in needle) >= 8 else -1


# --- the checks ----------------------------------------------------------------------------------
