"""Drawn lines: the PDF operators of each text line WeasyPrint draws, worked out once per process.

Why: a warm build draws the same lines again at every save (``watch``, the studio, a batch's
locations): WeasyPrint's ``draw_text`` sets the line's Pango layout up again (``reactivate``:
the line shaped anew) and walks its glyphs through cffi to write the ``TJ`` strings, about a
tenth of a warm build, though the shaping memo (``shaping``) already gives the same line the
same layout. Here the operators ``draw_first_line`` writes for a line are recorded once and
written again for the same line, without Pango and without WeasyPrint's ``draw_text`` around it
(``_draw`` writes what it writes for such a line: the colour, the text object, the line).

What a line's operators depend on, all in the key (``_key``): the box's text and its layout's
text (``draw_first_line`` skips a blank box; the layout's is the one shaped), the layout's
``justification_spacing`` (word spacing when drawn), the fonts (the configuration's identity,
kept alive by the memo, and its generation, as ``shaping`` keys them) and every style property
a layout's set-up reads (``shaping.PROPERTIES``, the same reads). Where the line is drawn (its
text matrix) is not in the key: the matrix is written from the live call.

What a line writes besides operators: each glyph's width and text go into the PDF's font
(``Font.widths``, ``Font.to_unicode``, the first value seen wins). They are recorded against an
empty font and written the same way (``setdefault``, in the same order). A width already in the
PDF's font counts in the line's kerning, so a line is written from the memo only when every
width it recorded is the one the PDF's font holds (or is missing there), and every font it uses
is in the PDF already (the first line of each font in each PDF is drawn by WeasyPrint): else
WeasyPrint draws it, as without the memo. The set-up of those conditions is proved by the
output: ``tests/test_drawn.py`` compares PDF bytes with the memo on and off.

Not kept, drawn by WeasyPrint every time: lines with an ellipsis (the layout's text is changed
as drawn), decorated lines (their metrics come from the reactivated layout), missing glyphs
(``.notdef``: a warning and a glyph id made up per PDF), bitmap and colour (emoji) fonts, and
SVG text. Bounded: the ``MAX_LINES`` most recently used lines, under a lock (the studio renders
in threads). ``BROCHURE_DRAWN=off`` in the environment, or ``enabled(False)``, turns it off.
"""

from __future__ import annotations

import functools
import logging
import threading
from array import array
from operator import eq
from typing import Any

from . import memos, shaping

MAX_LINES = 2048  # the seed's two PDFs draw 259 lines; about 1.9 KiB each (tracemalloc), 4 MiB at most

# Each line's operators and font entries, with the fonts it was drawn with (kept alive: their id is in the key).
LINES: memos.Kept[tuple[Any, ...], tuple[Any, Any]] = memos.Kept(
    "BROCHURE_DRAWN", lambda: MAX_LINES, fonts=lambda kept: kept[1])
enabled, clear, size = LINES.enabled, LINES.clear, LINES.__len__
_LOCAL = threading.local()  # ``current``: the line the patched draw_text is drawing; ``recording``

# Operators recorded: the text matrix, a font's size (by slot), a TJ string, a text rise.
_MATRIX, _SIZE, _SHOW, _RISE = range(4)


class _Unkept(Exception):
    """The line asks for something not kept (a missing glyph, an emoji font): WeasyPrint draws it."""


def _key(textbox: Any) -> tuple[Any, ...] | None:
    """What the line's operators depend on, or None when it is drawn by WeasyPrint every time."""
    style = textbox.style
    layout = textbox.pango_layout
    if style["text_decoration_line"] != "none" or "layout" in layout.__dict__:
        return None
    fonts = style.font_config
    return (textbox.text, layout.text, layout.justification_spacing, id(fonts), shaping.generation(fonts),
            *[style[name] for name in shaping.PROPERTIES])


class _Shadow:
    """A PDF font as a line being recorded sees it: its glyph widths and texts start empty."""

    def __init__(self, font: Any) -> None:
        self.font = font
        self.widths: dict[int, int] = {}
        self.to_unicode: dict[int, str] = {}

    def get_unused_glyph_id(self, codepoint: int) -> int:
        raise _Unkept  # a missing glyph: its made-up id is the PDF's own

    def __getattr__(self, name: str) -> Any:
        return getattr(self.font, name)


class _Recorder:
    """A stream as ``draw_first_line`` uses it, writing nothing: it records the operators."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.ink_rect, self.logical_rect = stream.ink_rect, stream.logical_rect
        self.ops: list[tuple[Any, ...]] = []
        self.shadows: dict[int, tuple[int, Any, _Shadow]] = {}  # id(font) -> (slot, key, shadow)
        self.slot = -1

    def set_text_matrix(self, *values: float) -> None:
        self.ops.append((_MATRIX,))

    def add_font(self, pango_font: Any) -> tuple[_Shadow, float]:
        from weasyprint.text.fonts import get_pango_font_key

        # As WeasyPrint would: the PDF's font, made once per PDF, here if this is its first line; what
        # WeasyPrint says as it makes it (a COLR font it cannot paint) is said now, not quieted with
        # the line's: the line drawn again by WeasyPrint finds the font made and would not say it.
        _LOCAL.recording = False
        try:
            font, font_size = self.stream.add_font(pango_font)
        finally:
            _LOCAL.recording = True
        if font.bitmap or font.png or font.svg or font.colr:
            raise _Unkept
        found = self.shadows.get(id(font))
        if found is None:
            found = self.shadows[id(font)] = (len(self.shadows), get_pango_font_key(pango_font)[0], _Shadow(font))
        self.slot = found[0]
        return found[2], font_size

    def set_font_size(self, font: str, font_size: float) -> None:
        self.ops.append((_SIZE, self.slot, font_size))

    def show_text(self, text: str) -> None:
        self.ops.append((_SHOW, text))

    def set_text_rise(self, rise: float) -> None:
        self.ops.append((_RISE, rise))

    def __getattr__(self, name: str) -> Any:
        raise _Unkept  # something this recorder does not know: WeasyPrint draws the line


class _Quiet(logging.Filter):
    """WeasyPrint's warnings while a line is recorded: dropped, the line then drawn by WeasyPrint (which says them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(_LOCAL, "recording", False):
            _LOCAL.warned = True
            return False
        return True


def _record(draw: Any, stream: Any, textbox: Any, text_overflow: str, block_ellipsis: str,
            matrix: Any) -> tuple[Any, ...] | None:
    """The line's operators and font entries, or None when it is not kept."""
    recorder = _Recorder(stream)
    _LOCAL.recording, _LOCAL.warned = True, False
    try:
        draw(recorder, textbox, text_overflow, block_ellipsis, matrix)
    except _Unkept:
        return None
    finally:
        _LOCAL.recording = False
    if _LOCAL.warned:
        return None
    slots = sorted(recorder.shadows.values(), key=lambda found: found[0])
    # Per font, flat: its glyphs' ids and widths, and the glyphs given a text with those texts (arrays of
    # ints, not pairs: a line keeps about 1.9 KiB with its key and operators instead of 3.4).
    return (tuple(recorder.ops),
            tuple((key, array("l", shadow.widths), array("l", shadow.widths.values()),
                   array("l", shadow.to_unicode), tuple(shadow.to_unicode.values())) for _, key, shadow in slots))


def _fonts_for(stream: Any, entry: tuple[Any, ...]) -> list[Any] | None:
    """The PDF's fonts the line writes to, when the recorded operators are what WeasyPrint would write now."""
    fonts = getattr(stream, "_fonts", None)
    if fonts is None:
        return None
    found = []
    for key, glyphs, widths, _, _ in entry[1]:
        font = fonts.get(key)
        if font is None:
            return None  # the first line of this font in this PDF: WeasyPrint adds it
        held = font.widths
        # Most lines' glyphs are all in the PDF's font already, with these widths: asked without a Python loop.
        if not all(map(eq, map(held.get, glyphs), widths)):
            for glyph, width in zip(glyphs, widths, strict=True):
                if held.get(glyph, width) != width:
                    return None  # another width already in the PDF: the kerning would differ
        found.append(font)
    return found


def _replay(stream: Any, entry: tuple[Any, ...], fonts: list[Any], matrix: tuple[float, ...]) -> None:
    """Write the line's operators and font entries, as ``draw_first_line`` writes them (``matrix``: its values)."""
    for op in entry[0]:
        kind = op[0]
        if kind == _SHOW:
            stream.show_text(op[1])
        elif kind == _SIZE:
            stream.set_font_size(fonts[op[1]].hash, op[2])
        elif kind == _MATRIX:
            stream.set_text_matrix(*matrix)
        else:
            stream.set_text_rise(op[1])
    for font, (_, glyphs, widths, named, texts) in zip(fonts, entry[1], strict=True):
        held, known = font.widths, font.to_unicode
        if not all(map(held.__contains__, glyphs)):  # else each setdefault would keep what is there
            for glyph, width in zip(glyphs, widths, strict=True):
                held.setdefault(glyph, width)
        if not all(map(known.__contains__, named)):
            for glyph, text in zip(named, texts, strict=True):
                known.setdefault(glyph, text)


def _draw(stream: Any, textbox: Any, entry: tuple[Any, ...], fonts: list[Any]) -> None:
    """What WeasyPrint's ``draw_text`` writes for a kept line, without Pango and without its branches that
    cannot apply: a kept line has no decoration (``_key``), no ellipsis and no emoji (``_Recorder``)."""
    style = textbox.style
    assert style["font_size"]  # as draw_text asserts: Pango crashes with font-size: 0
    if style["visibility"] != "visible":
        return
    stream.set_color(style["color"])
    stream.begin_text()
    # draw_text's Matrix(d=-1, e=x, f=y), as its ``values``.
    _replay(stream, entry, fonts, (1, 0, 0, -1, textbox.position_x, textbox.position_y + textbox.baseline))
    stream.end_text()


@memos.once
def install() -> None:
    """Wrap WeasyPrint's ``draw_text`` and ``draw_first_line``; once per process."""
    from weasyprint import draw
    from weasyprint.draw import text
    from weasyprint.logger import LOGGER

    LOGGER.addFilter(_Quiet())
    original_text, original_line = draw.draw_text, text.draw_first_line

    @functools.wraps(original_text)
    def draw_text(stream: Any, textbox: Any, offset_x: float, text_overflow: str, block_ellipsis: str) -> Any:
        key = _key(textbox) if LINES.on and text_overflow != "ellipsis" and block_ellipsis == "none" else None
        if key is None:
            return original_text(stream, textbox, offset_x, text_overflow, block_ellipsis)
        found = LINES.get(key)
        entry = found[0] if found is not None else None
        fonts = _fonts_for(stream, entry) if entry is not None else None
        if fonts is not None:  # kept, and true for this PDF: Pango is not asked
            return _draw(stream, textbox, entry, fonts)  # type: ignore[arg-type]
        _LOCAL.current = (textbox, key)  # WeasyPrint draws it, draw_first_line records it
        try:
            return original_text(stream, textbox, offset_x, text_overflow, block_ellipsis)
        finally:
            _LOCAL.current = None

    @functools.wraps(original_line)
    def draw_first_line(stream: Any, textbox: Any, text_overflow: str, block_ellipsis: str, matrix: Any) -> Any:
        current = getattr(_LOCAL, "current", None)
        if current is None or current[0] is not textbox:  # SVG text, a line not kept
            return original_line(stream, textbox, text_overflow, block_ellipsis, matrix)
        key = current[1]
        entry = _record(original_line, stream, textbox, text_overflow, block_ellipsis, matrix)
        if entry is None:
            return original_line(stream, textbox, text_overflow, block_ellipsis, matrix)
        LINES.put(key, (entry, textbox.style.font_config))
        fonts = _fonts_for(stream, entry)
        if fonts is None:  # a width the PDF's font holds differs: WeasyPrint draws it
            return original_line(stream, textbox, text_overflow, block_ellipsis, matrix)
        _replay(stream, entry, fonts, matrix.values)
        return []

    draw.draw_text, text.draw_first_line = draw_text, draw_first_line
