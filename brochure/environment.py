"""Environment: the settings a build takes from its environment, read once and checked.

Today one: ``SOURCE_DATE_EPOCH``, the date stamped into every PDF (reproducible builds), and
the day reviews fall due against (``review_day``).
A value that is not a time a PDF can carry is the user's mistake, said in one line, never
quietly replaced by another date. Read without importing anything heavy: the no-op build
fingerprints its settings with it.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime

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


def review_day() -> date:
    """The day a review date is compared with (overdue or not, in the checks and the catalog):
    ``SOURCE_DATE_EPOCH``'s day when it is set, so the same inputs make the same catalog on
    any machine on any day; else today in UTC, never the machine's own time zone (two
    locations' machines an hour apart must not disagree about a review due at midnight)."""
    epoch = source_date_epoch()
    return (datetime.fromtimestamp(epoch, UTC) if epoch is not None else datetime.now(UTC)).date()


def review_day_basis() -> str:
    """How ``review_day`` was decided, as the catalog says it."""
    return f"the date {VARIABLE} fixes" if source_date_epoch() is not None else "UTC"
