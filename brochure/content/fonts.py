"""Fonts: the typeface a content file names (``theme.font``), as files of the project.

Why files and never a family name: a font of this computer would make the PDFs differ from
one machine to the next. ``theme.font`` is either ``Open Sans`` (bundled) or the path of a
TrueType or OpenType file inside the project (``fonts/NotoNaskhArabic-Regular.ttf``), or a
family of two files (``{regular: ..., bold: ...}``). Open Sans stays behind it, for the
characters the clinic's font lacks (Latin letters of a web address in an Arabic handout).
"""

from __future__ import annotations

import io
import re

BUNDLED_FONT = "Open Sans"
FONT_SUFFIXES = {".ttf", ".otf", ".woff", ".woff2"}  # a font file, as WeasyPrint loads it
THEME_FONT_SUFFIXES = {".ttf", ".otf"}  # theme.font's files: read by fontTools without brotli
FONT_KIND = "a font file (.ttf or .otf)"


def readable_font(data: bytes, value: str) -> None:
    """Raise ``ValueError`` unless ``data`` is a TrueType or OpenType font with a character map.

    fontTools (which WeasyPrint itself uses to subset fonts) reads its tables: a renamed
    picture or a truncated download fails here, at its line, rather than in the renderer.
    """
    from fontTools.ttLib import TTFont, TTLibError

    try:
        with TTFont(io.BytesIO(data), lazy=True) as font:
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


_TEXT_TAGS = {"text", "tspan", "textPath"}
# ``font-family: X`` and the shorthand ``font: 12px/1.2 X`` (the family follows the size).
_FAMILY = re.compile(r"font-family\s*:\s*([^;}]+)|(?<![-\w])font\s*:[^;}]*?[\d.](?:px|pt|em|rem|ex|%|mm|cm|in|pc)?"
                     r"(?:/\S+)?\s+([^;}]+)", re.IGNORECASE)


def _families(css: str) -> list[str]:
    return [(a or b) for a, b in _FAMILY.findall(css)]


def _first_family(value: str) -> str:
    return value.split(",")[0].strip().strip("'\"").strip()


def svg_fonts(data: bytes, value: str) -> None:
    """Raise ``ValueError`` when an SVG picture sets text in a font that is not bundled.

    Why here: WeasyPrint would draw that text in whatever font this computer has (the PDFs
    would differ from one machine to the next), and the renderer can only say that "a
    stylesheet" asked for it; the picture's key and file name say what to fix. Text with no
    font named gets this computer's default font just the same. A picture whose text is
    outlines (paths), or set in Open Sans, passes.
    """
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(data)
    except (ET.ParseError, OSError, ValueError):
        return  # not XML that can be read: WeasyPrint says so when it draws it
    sheets = " ".join(el.text or "" for el in root.iter() if el.tag.rsplit("}", 1)[-1] == "style")
    # A <style> sheet's families: which element each applies to is left aside; all must be bundled.
    styled = [_first_family(f) for f in _families(sheets)]
    strangers: set[str] = {f for f in styled if f.lower() != BUNDLED_FONT.lower()}

    def walk(element: ET.Element, family: str | None) -> None:
        own = element.get("font-family")
        style = _families(element.get("style") or "")
        if style:
            own = style[-1]
        family = _first_family(own) if own else family
        tag = element.tag.rsplit("}", 1)[-1]
        if tag in _TEXT_TAGS and ((element.text or "").strip() or any((c.tail or "").strip() for c in element)):
            if family is None and not styled:
                strangers.add("")
            elif family is not None and family.lower() != BUNDLED_FONT.lower():
                strangers.add(family)
        for child in element:
            walk(child, family)

    walk(root, None)
    if "" in strangers:
        raise ValueError(f"the picture '{value}' has text in no named font, so this computer's own font would "
                         f"print it; in the SVG give its text font-family=\"{BUNDLED_FONT}\" (the bundled font), or "
                         "turn the text into outlines (Inkscape: Path > Object to Path)")
    if strangers:
        names = ", ".join(f"'{name}'" for name in sorted(strangers))
        raise ValueError(f"the picture '{value}' sets its text in {names}, a font that is not bundled, so this "
                         f"computer's font would print it; in the SVG use font-family=\"{BUNDLED_FONT}\", or turn the "
                         "text into outlines (Inkscape: Path > Object to Path)")
