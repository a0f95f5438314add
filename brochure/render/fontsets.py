"""Font sets: the fonts a process's PDFs are laid out with, one WeasyPrint font configuration
per set of folders (a project), kept between builds so ``@font-face`` files already registered
(the bundled Open Sans) are not loaded again in ``watch`` or a batch; made anew when a file it
registered is not the one on disk now. And the machine's fonts a PDF must never use.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..content.fonts import FONT_SUFFIXES
from ..files import Stamp, file_hash, read_regular, stamp, stamped_digest
from .typeface import THEME_FAMILY


def machine_fonts(document: Any, font_files: Collection[Path]) -> list[str]:
    """Families in the PDF that came from the machine rather than from an @font-face file.

    Why: Pango falls back to any installed font for characters the bundled one lacks; the
    PDF would then differ from machine to machine.
    """
    ours = set().union(*(families(path, stamp(path)) for path in font_files)) if font_files else set()
    # The clinic's theme.font files are renamed "Brochure Theme <hash>": no machine font has that name.
    return sorted({font.family for font in document.fonts.values()
                   if font.family not in ours and not font.family.startswith(THEME_FAMILY)})


@lru_cache(maxsize=64)
def families(path: Path, _stamp: Stamp | None) -> frozenset[str]:
    """The family names a font file declares (name IDs 1 and 16), as the file is now
    (``_stamp``): a font replaced under the same name while ``watch`` runs is read again."""
    from fontTools.ttLib import TTFont

    with TTFont(io.BytesIO(read_regular(path)), lazy=True) as font:
        return frozenset(str(record) for record in font["name"].names if record.nameID in (1, 16))


class Registered(dict[Path, "Stamp | None"]):
    """The font files a configuration registered, each with its stamp then (None: it changed while it was read),
    and in ``read`` the hash of the bytes registered: what a later render, which fetches it no more, embeds."""

    def __init__(self) -> None:
        super().__init__()
        self.read: dict[Path, str] = {}


# Per set of folders: WeasyPrint's font configuration and the font files it registered.
CONFIGS: dict[tuple[Path, ...], tuple[Any, Registered]] = {}


def kept(roots: list[Path]) -> tuple[Any, Registered]:
    """The font configuration kept for ``roots``, made anew when a font file it registered is
    not the file on disk now: WeasyPrint registers an ``@font-face`` file once per configuration
    and lays out with those bytes from then on, so a clinic's font replaced under the same name
    while ``watch`` runs would still print in the old one (its glyph check reading the new)."""
    from weasyprint.text.fonts import FontConfiguration

    key = tuple(roots)
    found = CONFIGS.get(key)
    if found is None or not all(_unchanged(path, then, found[1]) for path, then in list(found[1].items())):
        if found is not None:
            drop(found[0])
        # Looked up before it is made: a FontConfiguration costs a fontconfig set-up (about 7 ms).
        found = CONFIGS[key] = (FontConfiguration(), Registered())
    return found


def _unchanged(path: Path, then: Stamp | None, stamps: dict[Path, Stamp | None]) -> bool:
    """Whether the font file at ``path`` is still the one stamped ``then``. A file stamped within
    a tick of its last change carries its bytes' hash (``files.stamp``); once that moment is past
    its stamp has no hash: the same numbers with the same bytes are the same file (kept, stamped
    anew), not a new one to register: the render after next of a font just copied is not cold."""
    now = stamp(path)
    if now == then:
        return True
    said = stamped_digest(then)
    if now is None or then is None or said is None or stamped_digest(now) is not None or now != then[:len(now)]:
        return False
    digest = file_hash(path)
    if digest == "missing" or int(digest, 16) != said:
        return False
    stamps[path] = now
    return True


def drop(fonts: Any) -> None:
    """What is kept with a font configuration no render will use again: the sheets parsed and the
    lines shaped with it, each of which kept it alive (with its folder of font copies in /tmp), a
    few MiB at every font saved while ``watch`` or the studio runs."""
    from . import memos

    memos.forget(fonts)


def registered(font_files: Registered, fetched: set[Path], hashes: Mapping[Path, str]) -> None:
    """Note the font files this render registered, with their stamps and the hashes of the bytes read; a stamp
    that says other bytes than those read (``hashes``: saved while read) is None, never equal: the next render
    starts afresh."""
    for path in fetched:
        if path.suffix.lower() in FONT_SUFFIXES and path not in font_files:
            now = stamp(path)
            read = hashes.get(path)
            said = stamped_digest(now)
            if read is not None:
                font_files.read[path] = read  # before the stamp: a render that finds one finds both
            font_files[path] = None if said is not None and read is not None and said != int(read, 16) else now
