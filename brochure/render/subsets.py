"""Font subsets: each font file cut down to the glyphs a PDF uses, cut once per process for the same glyphs.

Why: every PDF embeds a subset of each font it uses, made by HarfBuzz (``Font._harfbuzz_subset``,
two passes over the font: six fonts, about 2 ms a warm build of the seed's two PDFs). A warm build
asks for the same subsets as the build before it: the same font file, the same glyphs.

The subset HarfBuzz makes depends on the font's bytes and its index in the file (the face it is
cut from), the glyphs kept, whether hinting is kept, and whether a missing glyph needs an outline:
all in the key. A subset that fails (WeasyPrint warns) is never kept: it is made, and said, again.
Bounded: ``MAX_BYTES`` of fonts and subsets; past it, everything kept is dropped. Each font file's
bytes are kept once, shared by the keys of all its subsets, under a lock (the studio renders in
threads). ``BROCHURE_SUBSETS=off`` in the environment, or ``enabled(False)``, turns it off.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from . import memos

MAX_BYTES = 24 * 1024 * 1024  # the seed's fonts (Open Sans, four files) and their subsets: about 2 MiB

_ENABLED = memos.switched("BROCHURE_SUBSETS")
_FILES: dict[bytes, bytes] = {}  # a font file's bytes -> the one copy the keys hold
_KEPT: dict[tuple[Any, ...], bytes] = {}
_SIZE = [0]
_LOCK = threading.Lock()


def enabled(flag: bool) -> None:
    """Turn the memo on or off (off also forgets every subset)."""
    global _ENABLED
    _ENABLED = flag
    clear()


def clear() -> None:
    """Forget every subset and font file."""
    with _LOCK:
        _FILES.clear()
        _KEPT.clear()
        _SIZE[0] = 0


def kept_bytes() -> int:
    """The bytes kept: font files and subsets."""
    return _SIZE[0]


def _key(font: Any, to_unicode: Any, hinting: bool) -> tuple[Any, ...]:
    content = font.file_content
    with _LOCK:
        held = _FILES.get(content)
    return (content if held is None else held, font.index, tuple(sorted(to_unicode)), bool(hinting),
            bool(font.missing))


def subset(original: Any, font: Any, to_unicode: Any, hinting: bool) -> None:
    """``Font._harfbuzz_subset``: the subset kept for this font file and glyphs, or made and kept."""
    if not _ENABLED:
        return original(font, to_unicode, hinting)  # type: ignore[no-any-return]
    key = _key(font, to_unicode, hinting)
    with _LOCK:
        done = _KEPT.get(key)
    if done is not None:
        font.file_content = done
        return None
    content = font.file_content
    original(font, to_unicode, hinting)
    if font.file_content is content:
        return None  # HarfBuzz could not subset it (WeasyPrint said so): never kept
    made = font.file_content
    with _LOCK:
        if key in _KEPT:
            return None
        if key[0] not in _FILES:
            _FILES[key[0]] = key[0]
            _SIZE[0] += len(key[0])
        _KEPT[key] = made
        _SIZE[0] += len(made)
        if _SIZE[0] > MAX_BYTES:  # rare (hundreds of fonts): start again
            _FILES.clear()
            _KEPT.clear()
            _SIZE[0] = 0
    return None


@functools.cache
def install() -> None:
    """Wrap WeasyPrint's HarfBuzz subsetting; once per process."""
    from weasyprint.pdf.fonts import Font

    original = Font._harfbuzz_subset

    @functools.wraps(original)
    def _harfbuzz_subset(self: Any, to_unicode: Any, hinting: bool) -> None:
        subset(original, self, to_unicode, hinting)

    Font._harfbuzz_subset = _harfbuzz_subset
