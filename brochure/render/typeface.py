"""Typeface: the ``@font-face`` rules and ``font-family`` of a brochure's ``theme.font``.

The clinic's font files (``theme.font``, inside the project) get a family name of brochure's
own, ``Brochure Theme`` and the hash of the regular file's bytes: a font of the same name on
this computer can never stand in for them, and two handouts with different fonts built in one
process (whose font configuration keeps every face it registered) never share one; Open Sans
(bundled, ``css/fonts.css``) follows in ``font-family`` for what the clinic's font lacks: the
Latin letters and punctuation of a web address or a phone number in an Arabic handout.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup

from ..content import Theme
from ..content.fonts import BUNDLED_FONT, font_files
from ..files import Stamp, read_regular, stamp

THEME_FAMILY = "Brochure Theme"
# The weights the stylesheets use: 400 for text, 600 for labels, 700 for headings and bold.
_WEIGHTS = {400: "regular", 600: "bold", 700: "bold"}


@dataclass(frozen=True)
class Typeface:
    """What base.html puts in its ``<style>``: the font faces and the ``font-family`` list."""

    faces: Markup
    family: Markup


def files(theme: Theme, root: Path) -> dict[str, Path]:
    """The clinic's font files by weight (``regular``, ``bold``), resolved in ``root``."""
    named = font_files(theme.font)
    if not named:
        return {}
    regular = (root / named[0]).resolve()
    return {"regular": regular, "bold": (root / named[1]).resolve() if len(named) > 1 else regular}


def typeface(theme: Theme, root: Path) -> Typeface:
    """The faces and family for ``theme``; Open Sans alone when the theme names no file."""
    found = files(theme, root)
    if not found:
        return Typeface(Markup(""), Markup(f'"{BUNDLED_FONT}"'))
    family = f"{THEME_FAMILY} {_digest(found['regular'], found['bold'])}"
    rules = [f'@font-face {{ font-family: "{family}"; font-weight: {weight}; font-style: {style}; '
             f'src: url("{found[_WEIGHTS[weight]].as_uri()}"); }}'
             for weight in _WEIGHTS for style in ("normal", "italic")]
    return Typeface(Markup("\n    ".join(rules)), Markup(f'"{family}", "{BUNDLED_FONT}"'))


def _digest(*paths: Path) -> str:
    """Ten hex digits of the font files' bytes (read again only when a file changed: ``stamp``)."""
    return hashlib.sha256("".join(_file_hash(path, stamp(path)) for path in paths).encode()).hexdigest()[:10]


@lru_cache(maxsize=64)
def _file_hash(path: Path, _stamp: Stamp | None) -> str:
    return hashlib.sha256(read_regular(path)).hexdigest()
