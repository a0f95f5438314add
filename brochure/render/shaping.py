"""Shaping: each line WeasyPrint fits (text, style, width) shaped once per process, not at every layout.

A tri-fold's print PDF is laid out three times per edit (its own layout and two sentence-break
fixes), and ``watch``, the studio and a warm build lay the same document out again at every
save: almost every line is the same text, in the same style, in the same width as before, and
Pango shaped it again each time (``split_first_line`` was a fifth of a warm edited build).
``memo(split)`` wraps WeasyPrint's ``split_first_line``: brochure's fixed one, which lays out
lines (``patches``), and WeasyPrint's own, which the min- and max-content widths of table cells
and shrink-to-fit boxes still call (``layout.preferred``), each with a memo of its own (their
answers differ): a call answered before is answered from the memo.

What the answer depends on, all in the key (``_key``):
- the arguments: the text, ``max_width``, ``justification_spacing``, ``is_line_start``,
  ``minimum`` (``context`` only lends its cache of pyphen dictionaries, made from ``lang`` and
  ``hyphenate_limit_chars``, both in the key);
- the fonts: the ``FontConfiguration`` itself (its identity, the object kept alive by the
  memo so no later one can take its id) and its generation, the number of ``@font-face`` files
  it registered (``_count_faces``): a face added later can become the fallback of a character
  the earlier fonts lack, so every older answer of that configuration is left behind. A theme
  font replaced on disk has another family name (``typeface``: the hash of its bytes) and a
  face registered anew; WeasyPrint registers a file once per configuration and lays out with it
  from then on (``fontsets.CONFIGS``), which this memo follows, never anticipates;
- every computed style property read on the way, ``PROPERTIES`` (from WeasyPrint 70's
  ``text/line_break.py``, ``text/fonts.py``; ``tests/test_shaping.py`` records the properties a
  real split reads, over varied texts and styles, and fails on one missing here).

The answer holds a ``Layout``: after the split it is deactivated (its Pango objects dropped,
only plain values left: the text, ``max_width``, ``justification_spacing``, the first line's
direction and the font's decoration metrics), then reactivated when the line is drawn, and
changed there (``draw_first_line`` sets the text with an ellipsis for ``text-overflow``). Two
boxes never share one: the memo keeps a copy of the deactivated layout, and each answer is a
copy of that (a shallow copy of plain values; reactivating it makes its own Pango objects).

Bounded: each memo keeps its ``MAX_LINES`` most recently used lines (a line is about 1 KiB:
975 bytes each for the 2,208 lines of ``tests/test_shaping.py``'s document, by tracemalloc; the
seed's two PDFs with their trial layouts keep about 340), under a lock (the studio renders in
threads). ``BROCHURE_SHAPING=off`` in the environment, or ``enabled(False)``, turns it off:
for the tests and the benchmark that compare with and without it.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from typing import Any

from . import memos

MAX_LINES = 4096

# Every computed property a split reads, and where (WeasyPrint 70):
PROPERTIES = (
    # split_first_line: wrapping and space collapsing, the short-text guess, hyphenation,
    # word breaking; brochure's fix (patches) reads white_space too.
    "white_space", "font_size", "hyphens", "lang", "hyphenate_limit_chars", "hyphenate_limit_zone",
    "hyphenate_character", "overflow_wrap", "word_break",
    # line_size: the width a line is measured at.
    "letter_spacing",
    # Layout.setup: direction, language, decoration metrics, OpenType features.
    "direction", "font_language_override", "text_decoration_line", "font_kerning", "font_variant_ligatures",
    "font_variant_position", "font_variant_caps", "font_variant_numeric", "font_variant_alternates",
    "font_variant_east_asian", "font_feature_settings",
    # get_font_description: the font asked of Pango.
    "font_family", "font_style", "font_stretch", "font_weight", "font_variation_settings",
    # Layout.set_text and set_tabs: spacing attributes, breaking inside words, tab stops.
    "word_spacing", "tab_size",
)

# One memo per wrapped function (brochure's fixed split, WeasyPrint's own for content widths), each
# line kept with its fonts (alive while kept: their id is in the key).
_MEMOS: list[memos.Kept[tuple[Any, ...], tuple[Any, ...]]] = []
_FACES = "_brochure_faces"  # the attribute counting a FontConfiguration's registered files
# WeasyPrint writes a face's file in the configuration's folder, then adds it to fontconfig; another thread's
# ``add_font_face`` finding the file meanwhile returns at once and lays out before the face is there (with
# DejaVu Sans, its lines then kept): the studio's first two builds at once. So faces are registered one at a time.
_REGISTERING = threading.Lock()


def enabled(flag: bool) -> None:
    """Turn the memos on or off (off also forgets every line)."""
    memos.switch("BROCHURE_SHAPING", flag)


def clear() -> None:
    """Forget every line."""
    for lines in _MEMOS:
        lines.clear()


def faces(fonts: Any) -> int:
    """How many font files the configuration ``fonts`` has registered so far (its generation)."""
    return int(getattr(fonts, _FACES, 0))


def size() -> int:
    """How many lines are kept (by every memo)."""
    return sum(map(len, _MEMOS))


def generation(fonts: Any) -> int:
    """How many font files the configuration ``fonts`` registered so far (see the docstring)."""
    return int(getattr(fonts, _FACES, 0))


def _key(text: str, style: Any, max_width: float | None, justification_spacing: float, is_line_start: bool,
         minimum: bool) -> tuple[Any, ...]:
    fonts = style.font_config
    return (text, max_width, justification_spacing, is_line_start, minimum, id(fonts), generation(fonts),
            *[style[name] for name in PROPERTIES])


def _copy(layout: Any) -> Any:
    """Another deactivated ``Layout`` with the same values (none of them is mutable)."""
    twin = object.__new__(type(layout))
    twin.__dict__.update(layout.__dict__)
    return twin


def memo(split: Callable[..., Any]) -> Callable[..., Any]:
    """``split`` (WeasyPrint's ``split_first_line`` signature) answered from a memo of its own when it can."""
    lines: memos.Kept[tuple[Any, ...], tuple[Any, ...]] = memos.Kept(
        "BROCHURE_SHAPING", lambda: MAX_LINES, fonts=lambda kept: kept[1])
    _MEMOS.append(lines)

    @functools.wraps(split)
    def split_first_line(text: str, style: Any, context: Any, max_width: float | None, justification_spacing: float,
                         is_line_start: bool = True, minimum: bool = False) -> Any:
        if not lines.on:
            return split(text, style, context, max_width, justification_spacing, is_line_start, minimum)
        key = _key(text, style, max_width, justification_spacing, is_line_start, minimum)
        found = lines.get(key)
        if found is not None:
            layout, *rest = found[0]
            return (_copy(layout), *rest)
        answer = split(text, style, context, max_width, justification_spacing, is_line_start, minimum)
        if "layout" not in answer[0].__dict__:  # deactivated, as first_line_metrics leaves it
            lines.put(key, ((_copy(answer[0]), *answer[1:]), style.font_config))
        return answer

    return split_first_line


@memos.once
def install_fonts() -> None:
    """Count the font files each ``FontConfiguration`` registers (see the docstring); once per process."""
    from weasyprint.text.fonts import FontConfiguration

    memos.wrap(FontConfiguration, "add_font_face", _counting)


def _counting(original: Callable[..., Any]) -> Callable[..., Any]:
    """``FontConfiguration.add_font_face``, counting the faces it registers."""

    def add_font_face(self: Any, rule_descriptors: Any, url_fetcher: Any) -> Any:
        with _REGISTERING:
            before = _count_faces(self)
            try:
                return original(self, rule_descriptors, url_fetcher)
            finally:
                if _count_faces(self) != before:
                    setattr(self, _FACES, getattr(self, _FACES, 0) + 1)

    return add_font_face


def _count_faces(fonts: Any) -> int:
    """The files in the configuration's folder of registered fonts (one per face WeasyPrint loaded)."""
    folder = getattr(fonts, "_folder", None)
    if folder is None:
        return 0
    try:
        return len(os.listdir(folder))
    except OSError:
        return -1
