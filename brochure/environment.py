"""Environment: the settings a build takes from its environment, read once and checked.

Today one: ``SOURCE_DATE_EPOCH``, the date stamped into every PDF (reproducible builds).
A value that is not a time a PDF can carry is the user's mistake, said in one line, never
quietly replaced by another date. Read without importing anything heavy: the no-op build
fingerprints its settings with it.
"""

from __future__ import annotations

import os

from .errors import shortened

VARIABLE = "SOURCE_DATE_EPOCH"
LAST = 253402300799  # 9999-12-31T23:59:59Z: a PDF date has four digits for the year


class SettingError(Exception):
    """A setting from the environment that cannot be used: one plain line, exit 1."""


def source_date_epoch() -> int | None:
    """``SOURCE_DATE_EPOCH`` as whole seconds since 1970, None when unset or empty.

    Raises ``SettingError`` for anything else than digits (text, a sign, a fraction, an
    exponent, spaces) or a time past the year 9999.
    """
    text = os.environ.get(VARIABLE, "")
    if text == "":
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(LAST)) or int(text) > LAST:
        shown = shortened(text)
        raise SettingError(f"{VARIABLE}={shown!r} is not a date for the PDFs: give whole seconds since "
                           f"1970-01-01 UTC, from 0 to {LAST} (the end of the year 9999), or unset it")
    return int(text)


def check() -> None:
    """Raise ``SettingError`` for the first environment setting that cannot be used."""
    source_date_epoch()
