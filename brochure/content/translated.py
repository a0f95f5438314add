"""Translated: what a translation was made from, as a lock file beside it, and what changed since.

``brochure translated first-visit.es.yaml`` writes ``first-visit.es.lock.json``: a fingerprint
of each part of the source's text (title, subtitle, intro, disclaimer, each section) as it is
now, when the translator says the translation matches it. Later, any part whose text changed
in the source, any section added there (not translated yet) and any section removed there
(still in the translation) is named; a changed date alone changes nothing.

Why a lock file rather than a key in the translation: the translator's YAML stays exactly as
they wrote it (comments, order), and the record is written atomically in one piece.
Why fingerprints of the text as written: it is the words that are translated, so a rewrapped
line changes nothing (whitespace is folded) while a changed word is a change.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..files import read_regular, write_atomic

FORMAT = 1
PARTS = ("title", "subtitle", "intro", "disclaimer")


def lock_path(translation: Path) -> Path:
    """``first-visit.es.lock.json`` for ``first-visit.es.yaml``."""
    return translation.with_name(f"{translation.stem}.lock.json")


def _text(value: Any) -> str:
    """A part's text, whitespace folded, keys in order: the same words give the same text."""
    if isinstance(value, str):
        return re.sub(r"\s+", " ", value).strip()
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _digest(value: Any) -> str:
    if isinstance(value, dict):
        value = {key: _text(item) if isinstance(item, str) else item for key, item in value.items()}
    return hashlib.sha256(_text(value).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Part:
    """One part of the source's text: its key (``intro``, ``sections[2]``), what people call it,
    and its fingerprint."""

    key: str
    heading: str
    digest: str


def parts(data: dict[str, Any]) -> list[Part]:
    """The parts of a content file's text (its own data, as read), in order."""
    found = [Part(key, key, _digest(data[key])) for key in PARTS if data.get(key) is not None]
    sections = data.get("sections")
    for index, section in enumerate(sections if isinstance(sections, list) else []):
        heading = str(section.get("heading", "")) if isinstance(section, dict) else ""
        found.append(Part(f"sections[{index}]", heading, _digest(section)))
    return found


def record(translation: Path, source: Path, data: dict[str, Any]) -> Path:
    """Write the lock file of ``translation``: ``data`` (the source's, as read) is what it translates."""
    lock = lock_path(translation)
    write_atomic(lock, lock_text(source, data))
    return lock


def lock_text(source: Path, data: dict[str, Any]) -> bytes:
    """The lock file's bytes: ``data`` (the source's, as read) is what the translation translates."""
    rows = [json.dumps({"key": p.key, "heading": p.heading, "sha256": p.digest}, ensure_ascii=False)
            for p in parts(data)]
    # One part a line: a reviewer reads in a diff which parts were translated again.
    text = (f'{{"format": {FORMAT}, "source": {json.dumps(source.name, ensure_ascii=False)}, "parts": [\n '
            + ",\n ".join(rows) + "\n]}\n")
    return text.encode()


def recorded(translation: Path) -> list[Part] | None:
    """The parts the translation was made from, or None when it has no (readable) lock file."""
    try:
        data = json.loads(read_regular(lock_path(translation)).decode("utf-8"))  # a pipe: never waited on
        if data.get("format") != FORMAT:
            return None
        return [Part(str(p["key"]), str(p["heading"]), str(p["sha256"])) for p in data["parts"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


@dataclass(frozen=True)
class Change:
    """A part of the source that differs from what was translated: ``changed``, ``added`` (in
    the source, not translated yet) or ``removed`` (from the source, still translated)."""

    what: str
    key: str
    heading: str


def changes(then: list[Part], now: list[Part]) -> list[Change]:
    """What changed in the source since ``then``. Sections are matched by heading first, so a
    section inserted in the middle is one addition, not a change to every section after it;
    a section at the same place whose heading changed is a change."""
    found: list[Change] = []
    old = {p.key: p for p in then if not p.key.startswith("sections[")}
    for part in (p for p in now if not p.key.startswith("sections[")):
        before = old.pop(part.key, None)
        if before is None:
            found.append(Change("added", part.key, part.heading))
        elif before.digest != part.digest:
            found.append(Change("changed", part.key, part.heading))
    found += [Change("removed", p.key, p.heading) for p in old.values()]
    old_sections = [p for p in then if p.key.startswith("sections[")]
    new_sections = [p for p in now if p.key.startswith("sections[")]
    matched: dict[int, int] = {}  # index in new_sections -> index in old_sections
    used: set[int] = set()
    for i, part in enumerate(new_sections):
        same = next((j for j, p in enumerate(old_sections) if j not in used and p.heading == part.heading), None)
        if same is not None:
            matched[i] = same
            used.add(same)
    for i in range(len(new_sections)):  # a heading reworded: the section at the same place among its neighbours
        if i in matched:
            continue
        j = matched[i - 1] + 1 if i - 1 in matched else matched[i + 1] - 1 if i + 1 in matched else i
        if 0 <= j < len(old_sections) and j not in used:
            matched[i] = j
            used.add(j)
    for i, part in enumerate(new_sections):
        if i not in matched:
            found.append(Change("added", part.key, part.heading))
        elif old_sections[matched[i]].digest != part.digest:
            found.append(Change("changed", part.key, part.heading))
    found += [Change("removed", p.key, p.heading) for j, p in enumerate(old_sections) if j not in used]
    return found
