"""Review: whether a translation shown in the form still matches the handout it translates.

The build knows what a translation was made from: the lock file ``brochure translated``
writes beside it (``content.translated``), a fingerprint of each part of the source. Each
part of the source changed, added or removed since is said at the top of the translation's
form, with a link to its field; when the translator has brought it up to date, **Mark as
translated** records the source as it is now, exactly as the command does (the lock file,
written atomically, only inside the project). Without a lock file, a source revised after
the translation is said too (the build's fallback on the dates).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..manifest import bytes_hash
from .form import field_id, field_of
from .store import Store, StoreError


@dataclass
class Review:
    """What the form says of a translation: its source, and what changed there since."""

    source: str  # the file it translates, by name
    source_digest: str  # the source's bytes as read: "Mark as translated" records that version only
    state: str  # "needs review", "up to date" or "not recorded"
    changes: list[tuple[str, str]] = field(default_factory=list)  # sentence, id of the field it is about ("" if none)


def _sentence(what: str, key: str, heading: str, source: str) -> str:
    name = f"the section \u201c{heading}\u201d" if key.startswith("sections[") else f"the {key}"
    if what == "changed":
        return f"{name} changed in {source}: translate it again"
    if what == "added":
        return f"{name} was added to {source}: translate it"
    return f"{name} was removed from {source}: remove it here"


def review_of(path: Path, sections: int) -> Review | None:
    """The review state of the content file at ``path``, or None when it is no translation."""
    from datetime import date

    from ..content import read_source, translated
    from ..content.translations import source_of
    from ..errors import ContentError

    original = source_of(path)
    if original is None:
        return None
    try:
        raw = original.read_bytes()
        data = read_source(original, original.name).data
        own = read_source(path, path.name).data
    except (ContentError, OSError):
        return None  # its mistakes are the build's to say
    review = Review(original.name, bytes_hash(raw), "up to date")
    then = translated.recorded(path)
    if then is None:
        theirs, mine = data.get("revised"), own.get("revised")
        if isinstance(theirs, date) and (not isinstance(mine, date) or mine < theirs):
            review.state = "needs review"
            review.changes.append((f"{original.name} was revised on {theirs.isoformat()}, this translation "
                                   f"{'on ' + mine.isoformat() if isinstance(mine, date) else 'has no date'}", ""))
        else:
            review.state = "not recorded"
        return review
    for change in translated.changes(then, translated.parts(data)):
        key = field_of(change.key, sections) if change.what != "removed" else None
        review.changes.append((_sentence(change.what, change.key, change.heading, original.name),
                               field_id(key) if key else ""))
    review.state = "needs review" if review.changes else "up to date"
    return review


def mark_translated(body: dict[str, Any], path: Path, store: Store) -> dict[str, Any]:
    """Record that the translation at ``path`` matches its source as the page showed it."""
    from ..content import read_source, translated
    from ..content.translations import source_of
    from ..errors import ContentError

    original = source_of(path)
    if original is None:
        raise StoreError(f"{path.name} is not a translation")
    raw = store.read(original)
    shown = body.get("source_digest")
    if not isinstance(shown, str) or not hmac.compare_digest(shown, bytes_hash(raw)):
        return {"status": "conflict-source", "message": f"{original.name} changed again since this page was loaded; "
                                                        "reload the page and look at what changed first"}
    try:
        data = read_source(original, original.name).data
    except ContentError as error:
        raise StoreError(f"{original.name} has mistakes ({error.problems[0]}); fix them first") from None
    if store.read(original) != raw:  # saved while it was read: what was read may not be what the page showed
        return {"status": "conflict-source", "message": f"{original.name} changed again since this page was loaded; "
                                                        "reload the page and look at what changed first"}
    store.write(translated.lock_path(path), translated.lock_text(original, data))
    return {"status": "saved", "message": f"Marked as translated: {path.name} matches {original.name} as it is now."}


__all__ = ["Review", "mark_translated", "review_of"]
