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

from pathlib import Path
from typing import Any

from ..discover import PROJECT_FILE, language_of_name, source_of, translations_of
from ..errors import ContentError, Problem
from ..files import file_hash
from .source import Source, read_source
from .translated import lock_path

SHARED = ("clinic", "theme", "layout", "paper", "print", "outputs", "checks", "variants")
# The names: brochure.discover finds translations without YAML or pydantic (a no-op build).
__all__ = ["SHARED", "inherit", "language_of_name", "own_path", "source_of", "translations_of"]


def own_path(source: Source) -> Path | None:
    """The content file a ``Source`` was read from: the first file it records that is not a
    project file (a handout in a project records its ``brochure.yaml`` first)."""
    return next((path for path in source.inputs if path.name != PROJECT_FILE), None)


def orphaned(path: Path) -> str | None:
    """The name of the handout ``path`` translates when that file is gone (``infusion.yaml`` for
    ``infusion.es.yaml``), else None: the translation is then built on its own."""
    lang = language_of_name(path)
    if lang is None or source_of(path) is not None:
        return None
    return path.stem[: -len(lang) - 1] + path.suffix


def _orphan(source: Source, path: Path) -> Source:
    """A translation whose handout is gone still speaks the language in its name. The handout
    it would translate is an input, "missing": when it appears (or comes back), the translation
    takes from it, never kept as built on its own (a cache, or a manifest saying up to date)."""
    lang = language_of_name(path)
    if lang is None:
        return source
    named = path.absolute()
    awaited = {named.with_name(named.stem[: -len(lang) - 1] + suffix): "missing"
               for suffix in (path.suffix, ".yaml", ".yml")}
    data = source.data if "lang" in source.data else {**source.data, "lang": lang}
    return Source(source.file, data, source.lines, source.problems, {**source.inputs, **awaited})


def inherit(source: Source, path: Path) -> Source:
    """``source`` with the shared keys it leaves out taken from the file it translates.

    Not a translation: ``source`` itself. The file it translates becomes one of its inputs, so
    a change to the shared clinic rebuilds every language.
    """
    original_path = source_of(path)
    if original_path is None:
        return _orphan(source, path)
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
    # The lock file too (its hash, "missing" until written): after ``brochure translated`` the
    # translation is checked again, and the catalog's figures follow.
    lock = lock_path(path)
    inputs = {**source.inputs, **original.inputs, lock: file_hash(lock)}
    return Source(source.file, data, source.lines, problems, inputs)
