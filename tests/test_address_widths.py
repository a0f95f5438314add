"""A long address piece breaks before its own hyphens when it is longer than a line: by its
letters (more than 24), or, for fewer letters, by its width in the address font (wide letters:
24 "m" are 23.6 em, the line holds about 13); pieces of ordinary letters keep the old rule."""

from __future__ import annotations

from fontTools.ttLib import TTFont

from brochure.render import markup
from brochure.render.assets import BUNDLED

ZWSP, JOINER = "\u200b", "\u2060"


def test_the_shortcut_knows_the_fonts_widest_character() -> None:
    font = TTFont(BUNDLED / markup._ADDRESS_FONT)
    widest = max(width for width, _ in font["hmtx"].metrics.values()) / font["head"].unitsPerEm
    assert widest <= markup._WIDEST_CHARACTER_EM


def test_a_piece_of_wide_letters_breaks_at_its_hyphens_and_ordinary_ones_as_before() -> None:
    # 24 letters of ordinary width: moved whole to the next line, no break at its hyphen
    assert markup.breakable("www.valley-gastroenterology.org") == f"www.{ZWSP}valley-{JOINER}gastroenterology.{ZWSP}org"
    # more than 24 letters: breaks before its hyphens, as before
    assert markup.breakable("northside-community-health.org") == \
        f"northside{ZWSP}-{JOINER}community{ZWSP}-{JOINER}health.{ZWSP}org"
    # 24 letters, but wide ones: wider than a line, so it may break before its hyphen too
    wide = "mmmmmmmmmmmmmmm-mmmmmmm.com"
    assert len(wide.split(".")[0] + ".") == 24
    assert markup.breakable(wide) == f"mmmmmmmmmmmmmmm{ZWSP}-{JOINER}mmmmmmm.{ZWSP}com"
    # narrow letters never read the font: too short to be that wide
    assert not markup._too_long("info-line.")
