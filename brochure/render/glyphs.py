"""Glyphs: the characters of a brochure's text that its fonts cannot draw, as located problems.

Why before rendering: Pango draws a character missing from every font as an empty box,
or takes it from whatever font this computer has, and WeasyPrint says nothing either way.
Checked against the font files the templates can use (the bundled Open Sans, the clinic's
``theme.font`` files, and any font the clinic adds in ``templates/fonts``), each missing
character is named at its key and line.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..content import Brochure, Path_, Source, dotted
from ..content.fonts import FONT_SUFFIXES
from ..errors import Problem
from ..files import Stamp, read_regular, stamp

# Keys whose values are never drawn: file names, codes, settings, and alt text (spoken, not printed).
_NOT_PRINTED = {"slug", "lang", "logo", "src", "alt", "variants", "theme", "layout", "paper", "checks"}


def coverage(path: Path) -> frozenset[int]:
    """The characters a font file has glyphs for (as the file is now: a font replaced under the
    same name while ``watch`` runs is read again, never checked, or rendered, by the old one's)."""
    return _coverage(path, stamp(path))


@lru_cache(maxsize=64)
def _coverage(path: Path, _stamp: Stamp | None) -> frozenset[int]:
    return frozenset(_font(path).getBestCmap() or {})


def _font(path: Path) -> Any:
    """The font file's tables, read from its bytes read once: a lazy font reading its file as it
    goes would mix two fonts when the file is written over meanwhile."""
    import io

    from fontTools.ttLib import TTFont

    return TTFont(io.BytesIO(read_regular(path)), lazy=True)


def drawable(folders: list[Path]) -> frozenset[int]:
    """Every character some font in ``folders``' ``fonts/`` subfolders can draw."""
    files = sorted(p for folder in folders for p in (folder / "fonts").glob("*") if p.suffix.lower() in FONT_SUFFIXES)
    return frozenset().union(*(coverage(path) for path in files))


def _strings(value: Any, path: Path_ = ()) -> Iterator[tuple[Path_, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in _NOT_PRINTED and item is not None:
                yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


def _invisible(char: str) -> bool:
    """Spaces and format characters (zero-width joiners, soft hyphens) are never drawn."""
    return char.isspace() or unicodedata.category(char) in {"Cc", "Cf"}


def _named(chars: list[str], limit: int = 8) -> str:
    shown = ", ".join(f"\u2018{c}\u2019 (U+{ord(c):04X})" for c in chars[:limit])
    return shown + (f" and {len(chars) - limit} more" if len(chars) > limit else "")


def _covered(brochure: Brochure, folders: list[Path], root: Path | None) -> frozenset[int]:
    """Every character the brochure's fonts can draw: the bundled and the clinic's templates'
    fonts, and its ``theme.font`` files (in ``root``)."""
    from .typeface import files

    theme_files = sorted(set(files(brochure.theme, root).values())) if root is not None else []
    return drawable(folders).union(*(coverage(path) for path in theme_files))


def label_glyphs(brochure: Brochure, source: Source, labels: dict[str, tuple[str, str, int | None]],
                 folders: list[Path], root: Path) -> list[Problem]:
    """One problem per label (``key: (words, catalog, line)``) with characters no font has, at
    its line in the clinic's catalog: a label is data, checked like the content's text. A
    bundled catalog's labels (Arabic's, in a handout without an Arabic font) are reported
    once, at the handout's ``lang``: the font is what is missing."""
    covered = _covered(brochure, folders, root)
    problems = []
    bundled: set[str] = set()
    for key, (text, file, line) in labels.items():
        missing = sorted(c for c in set(text) if ord(c) not in covered and not _invisible(c))
        if missing and file.startswith("bundled "):
            bundled |= set(missing)
        elif missing:
            problems.append(Problem(file, line, key, f"{_named(missing)} cannot be printed: the fonts have no such "
                                                     "character, so it would come out as an empty box or in this "
                                                     "computer's font; remove or replace it, or name a font file "
                                                     "that has it in theme.font"))
    if bundled:
        file, line = source.origin(("lang",))
        problems.append(Problem(file, line, "lang", f"the labels brochure prints in '{brochure.lang}' use "
                                                    f"{_named(sorted(bundled))}, which the fonts cannot print; name "
                                                    "a font file that has them in theme.font (README.md, \u201cLanguages\u201d)"))
    return problems


def missing_glyphs(brochure: Brochure, source: Source, folders: list[Path], where: str = "",
                   root: Path | None = None) -> list[Problem]:
    """One problem per text value with characters no available font has; ``root`` is where
    ``theme.font`` files are (the content's folder, or the project's)."""
    covered = _covered(brochure, folders, root)
    problems = []
    for path, text in _strings(brochure.model_dump(mode="python")):
        missing = sorted(c for c in set(text) if ord(c) not in covered and not _invisible(c))
        if missing:
            file, line = source.origin(path)  # a text inherited from brochure.yaml is reported there, once
            problems.append(Problem(
                file, line, dotted(path),
                f"{where if file == source.file else ''}{_named(missing)} cannot be printed: the fonts have no such character, so it would "
                "come out as an empty box; remove or replace it, or name a font file that has it in theme.font "
                "(README.md, \u201cLanguages\u201d)"))
    return problems


def blank_glyphs(brochure: Brochure, source: Source, root: Path, words: list[str]) -> list[Problem]:
    """One problem per ``theme.font`` file that maps a character the handout prints to a glyph
    with no outline: it would print as nothing (a phone number without its digits), since
    Open Sans stands in only for characters the font does not map at all.

    The characters are those of the text, of the labels brochure prints around it (``words``)
    and every digit (page numbers, dates); both weights are checked, the bold file drawing
    headings, labels and bold words.
    """
    from ..content.fonts import font_files
    from .typeface import files

    found = files(brochure.theme, root)
    if not found:
        return []
    needed = {c for _, text in _strings(brochure.model_dump(mode="python")) for c in text}
    needed |= {c for text in words for c in text} | set("0123456789")
    needed = {c for c in needed if not _invisible(c)}
    named = font_files(brochure.theme.font)
    keys = {"regular": ("theme", "font", "regular"), "bold": ("theme", "font", "bold")} if not isinstance(
        brochure.theme.font, str) else {"regular": ("theme", "font"), "bold": ("theme", "font")}
    problems = []
    for weight, path in found.items():
        if weight == "bold" and path == found["regular"]:
            continue
        blank = sorted(_blank(path, stamp(path), frozenset(needed)))
        if blank:
            key = keys[weight]
            file, line = source.origin(key)
            shown = named[0] if weight == "regular" or len(named) == 1 else named[1]
            problems.append(Problem(
                file, line, dotted(key),
                f"'{shown}' draws {_named(blank)} as nothing: the font lists these characters but has no "
                "outline for them (a damaged or cut-down file), so they would not print; use the font's "
                "complete .ttf or .otf file"))
    return problems


@lru_cache(maxsize=64)
def _blank(path: Path, _stamp: Stamp | None, chars: frozenset[str]) -> frozenset[str]:
    """The characters of ``chars`` the font maps to a glyph that draws nothing (the font as
    ``_stamp`` says it is: one replaced under the same name is opened again)."""
    from fontTools.pens.boundsPen import BoundsPen

    font = _opened(path, _stamp)
    cmap = font.getBestCmap() or {}
    glyphs = font.getGlyphSet()
    blank = set()
    for char in chars:
        name = cmap.get(ord(char))
        if name is None:
            continue  # not in this font: Open Sans (checked by missing_glyphs) draws it
        pen = BoundsPen(glyphs)
        try:
            glyphs[name].draw(pen)
        except Exception:  # a glyph fontTools cannot read cannot be drawn either
            pen.bounds = None
        if pen.bounds is None:
            blank.add(char)
    return frozenset(blank)


@lru_cache(maxsize=8)
def _opened(path: Path, _stamp: Stamp | None) -> Any:
    return _font(path)
