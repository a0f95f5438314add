"""Font subsets: each font file cut down to the glyphs a PDF uses, cut once per process for the same glyphs.

Why: every PDF embeds a subset of each font it uses, made by HarfBuzz (``Font._harfbuzz_subset``,
two passes over the font: six fonts, about 2 ms a warm build of the seed's two PDFs). A warm build
asks for the same subsets as the build before it: the same font file, the same glyphs.

The subset HarfBuzz makes depends on the font's bytes and its index in the file (the face it is
cut from), the glyphs kept, whether hinting is kept, and whether a missing glyph needs an outline:
all in the key. A subset that fails (WeasyPrint warns) is never kept: it is made, and said, again.
Bounded: ``MAX_BYTES`` of fonts and subsets (a font's bytes counted with each of its subsets), the
least recently used dropped first, under a lock (the studio renders in threads) (``memos.Kept``).
``BROCHURE_SUBSETS=off`` in the environment, or ``enabled(False)``, turns it off.
"""

from __future__ import annotations

from typing import Any

from . import memos

MAX_BYTES = 24 * 1024 * 1024  # the seed's fonts (Open Sans, four files) and their subsets: about 2 MiB

# Each subset by its font's bytes, index, glyphs and flags: the font's bytes and the subset's counted against MAX_BYTES.
SUBSETS: memos.Kept[tuple[Any, ...], bytes] = memos.Kept(
    "BROCHURE_SUBSETS", lambda: MAX_BYTES, cost=lambda key, done: len(key[0]) + len(done))
enabled, clear = SUBSETS.enabled, SUBSETS.clear


def kept_bytes() -> int:
    """The bytes kept: font files (once per subset) and subsets."""
    return SUBSETS.total


def subset(original: Any, font: Any, to_unicode: Any, hinting: bool) -> None:
    """``Font._harfbuzz_subset``: the subset kept for this font file and glyphs, or made and kept."""
    if not SUBSETS.on:
        return original(font, to_unicode, hinting)  # type: ignore[no-any-return]
    content = font.file_content
    key = (content, font.index, tuple(sorted(to_unicode)), bool(hinting), bool(font.missing))
    done = SUBSETS.get(key)
    if done is not None:
        font.file_content = done
        return None
    original(font, to_unicode, hinting)
    if font.file_content is not content:  # else HarfBuzz could not subset it (WeasyPrint said so): never kept
        SUBSETS.put(key, font.file_content)
    return None


@memos.once
def install() -> None:
    """Wrap WeasyPrint's HarfBuzz subsetting; once per process."""
    from weasyprint.pdf.fonts import Font

    memos.wrap(Font, "_harfbuzz_subset",
               lambda original: lambda font, to_unicode, hinting: subset(original, font, to_unicode, hinting))
