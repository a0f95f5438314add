"""Described: every brochure a content file describes, validated once per process.

The one loader the build, runner, picker, bundle and catalog share: a content file with its
project file, CSV and translations, expanded into one ``Brochure`` per variant. The result is
kept per process, keyed on the file and checked against the bytes of every file it was read
from, so a batch of 50 variants validates the file once, and a save is seen at once.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..discover import content_root
from ..errors import Problem
from ..files import file_hash
from . import dialect
from .fonts import font_files
from .load import load_with_source
from .model import Brochure
from .source import Source
from .variants import expand

BrochureList = list[tuple[str | None, Brochure, Source]]
Failed = dict[str, list[Problem]]  # variant (``#<row>`` without a usable id) -> its problems
_CACHE: dict[tuple[str, str], tuple[str, BrochureList, Failed, Source]] = {}


def _fingerprint(path: Path, source: Source, as_read: bool = False) -> str:
    """The bytes of every file the content was read from (the content, its project file and
    CSV), which project it belongs to, and the bytes of each picture, font and profile it names
    (``Source.checked``), with where each name leads. ``as_read``: every file as its bytes were
    when read and checked, not as they are now: a save made meanwhile is then a change the next
    look sees (``watch`` reads a save ahead, while it settles; a photo is copied while the
    handout is validated), never a fingerprint of new bytes kept with what the old ones made."""
    root = content_root(path)
    known = source.inputs if as_read else {}
    parts = [known.get(path.resolve()) or file_hash(path), str(root)]
    parts += [known.get(file) or file_hash(file) for file in sorted(source.inputs)]
    # Each named file's bytes, not only whether it exists: a picture replaced by a damaged one is checked again;
    # and where it leads: one replaced by a link out of the project, however alike its bytes, too.
    parts += [f"{named}:{led}:{digest}" if as_read else f"{named}:{os.path.realpath(named)}:{file_hash(named)}"
              for named, (led, digest) in sorted(source.checked.items())]
    return "\0".join(parts)


def images(brochure: Brochure) -> list[str]:
    """The pictures a brochure names: its logo, its sections' images and the pictures among
    its paragraphs (an empty string where there is no logo)."""
    texts = [brochure.intro or ""] + [s.body for s in brochure.sections]  # and the pictures among the paragraphs
    return [brochure.clinic.logo or ""] + [s.image.src for s in brochure.sections if s.image] \
        + [picture.src for text in texts for picture in dialect.pictures(text)]


def checked_files(brochure: Brochure, source: Source, root: Path) -> dict[Path, str]:
    """The hash of the bytes validation checked of each picture, font and profile ``brochure``
    names (one location's among a CSV's), by the file each name led to: what its PDFs are
    rendered from, or not at all (``pdf.render_pdf``)."""
    # Each name as the HTML's URL reads it (``sub/../a.png`` is ``a.png``), as ``model.local_file`` checks it.
    names = [*images(brochure), *font_files(brochure.theme.font), brochure.print.profile or ""]
    named = {root.resolve() / os.path.normpath(name) for name in names if name}
    found = {path: digest for path, (_, digest) in source.checked.items() if path in named}  # as the HTML names it
    # And where each name led: a link re-pointed since the check leads the render to bytes of no name checked.
    return found | {Path(source.checked[path][0]): digest for path, digest in found.items()}


def load_described(path: Path, name: str) -> tuple[BrochureList, Failed]:
    """Every brochure a content file describes (one per variant), validated, and the variants
    that failed (a bad CSV row fails its own location only); ``name`` is how messages name
    the file. Raises ``ContentError`` when the file itself cannot be read or validated.

    Cached per process while the file, its project file, its CSV and the files it names are
    unchanged: a batch of 50 variants would otherwise validate all 50 for each of them.
    """
    key = (str(path.resolve()), name)
    cached = _CACHE.get(key)
    if cached and cached[0] == _fingerprint(path, cached[3]):
        return cached[1], cached[2]
    brochure, source = load_with_source(path, name)
    built, failed = expand(brochure, source, content_root(path))
    described = [(variant, b, source) for variant, b in built]
    _CACHE[key] = (_fingerprint(path, source, as_read=True), described, failed, source)
    return described, failed
