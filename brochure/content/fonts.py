"""Fonts: the typeface a content file names (``theme.font``), as files of the project.

Why files and never a family name: a font of this computer would make the PDFs differ from
one machine to the next. ``theme.font`` is either ``Open Sans`` (bundled) or the path of a
TrueType or OpenType file inside the project (``fonts/NotoNaskhArabic-Regular.ttf``), or a
family of two files (``{regular: ..., bold: ...}``). Open Sans stays behind it, for the
characters the clinic's font lacks (Latin letters of a web address in an Arabic handout).
"""

from __future__ import annotations

from pathlib import Path

BUNDLED_FONT = "Open Sans"
FONT_SUFFIXES = {".ttf", ".otf", ".woff", ".woff2"}  # a font file, as WeasyPrint loads it
THEME_FONT_SUFFIXES = {".ttf", ".otf"}  # theme.font's files: read by fontTools without brotli
FONT_KIND = "a font file (.ttf or .otf)"


def readable_font(path: Path, value: str) -> None:
    """Raise ``ValueError`` unless ``path`` is a TrueType or OpenType font with a character map.

    fontTools (which WeasyPrint itself uses to subset fonts) reads its tables: a renamed
    picture or a truncated download fails here, at its line, rather than in the renderer.
    """
    from fontTools.ttLib import TTFont, TTLibError

    try:
        with TTFont(str(path), lazy=True) as font:
            outlines = "glyf" in font or "CFF " in font or "CFF2" in font
            mapped = bool(font.getBestCmap())
    except (TTLibError, OSError, AssertionError, KeyError, ValueError, EOFError):
        raise ValueError(f"'{value}' is not a TrueType or OpenType font that can be read (damaged, or "
                         "another kind of file renamed); use the .ttf or .otf file of the font") from None
    if not (outlines and mapped):
        raise ValueError(f"'{value}' has no {'outlines' if not outlines else 'character map'}; it cannot print "
                         "text: use the font's .ttf or .otf file")


def font_files(font: object) -> list[str]:
    """The clinic's font files a ``theme.font`` value (a path, ``Open Sans``, or a ``FontFamily``)
    names, regular first; none for Open Sans."""
    if isinstance(font, str):
        return [] if font == BUNDLED_FONT else [font]
    files = [getattr(font, "regular", None), getattr(font, "bold", None)]
    return [f for f in files if isinstance(f, str)]
