"""Translations: a handout's translation beside it, sharing the project's clinic, theme and locations.

``infusion.es.yaml`` beside ``infusion.yaml`` is its Spanish translation. It holds the text
(title, subtitle, intro, sections, disclaimer, revised...); whatever it leaves out of the
shared keys (clinic, theme, layout, paper, print, checks, variants) it takes from the file it
translates, so one project's clinic and locations build in every language. Within ``clinic``
it may give a key of its own (a translated address) and take the rest. Its ``lang`` defaults
to the file name's. A file is a translation only when its middle name is a language code
that CLDR knows (``content.old.yaml`` is not) and the file it would translate exists.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..errors import ContentError, Problem
from .source import Source, read_source

SHARED = ("clinic", "theme", "layout", "paper", "print", "outputs", "checks", "variants")
_NAME = re.compile(r"^(?P<stem>.+)\.(?P<lang>[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)$")


def _known(lang: str) -> bool:
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(lang.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return False
    return True


def language_of_name(path: Path) -> str | None:
    """``es-US`` for ``infusion.es-US.yaml``; None when the name carries no language code."""
    match = _NAME.match(path.stem)
    return match["lang"] if match and path.suffix.lower() in {".yaml", ".yml"} and _known(match["lang"]) else None


def source_of(path: Path) -> Path | None:
    """The file ``path`` translates (``infusion.yaml`` for ``infusion.es.yaml``), if it exists."""
    lang = language_of_name(path)
    if lang is None:
        return None
    for suffix in (path.suffix, ".yaml", ".yml"):
        original = path.with_name(path.stem[: -len(lang) - 1] + suffix)
        if original.is_file() and original.resolve() != path.resolve():
            return original
    return None


def translations_of(path: Path) -> list[Path]:
    """The translations beside ``path`` (``infusion.es.yaml``, ``infusion.fr-CA.yaml`` for
    ``infusion.yaml``), sorted by name: what building or checking ``path`` builds with it."""
    if not path.is_file() or language_of_name(path) is not None:
        return []
    stem = path.stem
    found = [candidate for candidate in path.parent.glob(f"{stem}.*")
             if candidate.suffix.lower() in {".yaml", ".yml"} and candidate.is_file()
             and (original := source_of(candidate)) is not None and original.resolve() == path.resolve()]
    return sorted(found, key=lambda candidate: candidate.name)


def own_path(source: Source) -> Path | None:
    """The content file a ``Source`` was read from (the first file it records)."""
    return next(iter(source.inputs), None)


def inherit(source: Source, path: Path) -> Source:
    """``source`` with the shared keys it leaves out taken from the file it translates.

    Not a translation: ``source`` itself. The file it translates becomes one of its inputs, so
    a change to the shared clinic rebuilds every language.
    """
    original_path = source_of(path)
    if original_path is None:
        return source
    shown = str(Path(source.file).parent / original_path.name)
    try:
        original = read_source(original_path, shown)
    except ContentError:
        problem = Problem(source.file, None, "", f"it translates {shown}, which cannot be read; fix that file first")
        return Source(source.file, source.data, source.lines, source.problems + [problem], source.inputs)
    data: dict[str, Any] = dict(source.data)
    for key in SHARED:
        if key not in original.data:
            continue
        if key not in data:
            data[key] = original.data[key]
        elif isinstance(data[key], dict) and isinstance(original.data[key], dict):
            data[key] = {**original.data[key], **data[key]}
    problems = list(source.problems)
    named = language_of_name(path) or ""
    if "lang" not in data:
        data["lang"] = named
    elif isinstance(data["lang"], str) and data["lang"].split("-")[0].lower() != named.split("-")[0]:
        problems.append(Problem(source.file, source.lines.get(("lang",)), "lang",
                                f"is '{data['lang']}', but the file's name says it is the '{named}' translation of "
                                f"{shown}; make them agree"))
    return Source(source.file, data, source.lines, problems, {**source.inputs, **original.inputs})
