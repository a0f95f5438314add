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

# Keys whose values are never drawn: file names, codes, settings, and alt text (spoken, not printed).
_NOT_PRINTED = {"slug", "lang", "logo", "src", "alt", "variants", "theme", "layout", "paper", "checks"}


@lru_cache(maxsize=64)
def coverage(path: Path) -> frozenset[int]:
    """The characters a font file has glyphs for."""
    from fontTools.ttLib import TTFont

    with TTFont(str(path), lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


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


def missing_glyphs(brochure: Brochure, source: Source, folders: list[Path], where: str = "",
                   root: Path | None = None) -> list[Problem]:
    """One problem per text value with characters no available font has; ``root`` is where
    ``theme.font`` files are (the content's folder, or the project's)."""
    from .typeface import files

    theme_files = sorted(set(files(brochure.theme, root).values())) if root is not None else []
    covered = drawable(folders).union(*(coverage(path) for path in theme_files))
    problems = []
    for path, text in _strings(brochure.model_dump(mode="python")):
        missing = sorted({c for c in text if ord(c) not in covered and not _invisible(c)})
        if missing:
            problems.append(Problem(
                source.file, source.line(path), dotted(path),
                f"{where}{_named(missing)} cannot be printed: the fonts have no such character, so it would "
                "come out as an empty box; remove or replace it, or name a font file that has it in theme.font "
                "(README.md, \u201cLanguages\u201d)"))
    return problems
