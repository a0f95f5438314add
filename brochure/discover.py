"""Discover: which files a name means, found with nothing but the file system (no YAML, no
pydantic), so that a no-op build stays fast: the project file a content file belongs to
and its root, the project a command-line name means, the translations beside a handout.

A project is a folder with a ``brochure.yaml`` at its root; a content file belongs to the
nearest one in its folder or above. ``brochure.content.project`` reads and applies it.
Translations beside a handout (``infusion.es.yaml``) are found here too, by their names.
"""

from __future__ import annotations

import re
from pathlib import Path

PROJECT_FILE = "brochure.yaml"


def real(path: Path) -> Path:
    """``path`` with its links followed; a loop of links leads nowhere, so it stays as written
    (made absolute), for reading it to fail as one line."""
    import os

    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return Path(os.path.abspath(path))


LEADS_NOWHERE = "is a link that leads to no file (a loop, or a file since moved); name the content file itself"


def leads_nowhere(path: Path) -> bool:
    """Whether ``path`` is a link that leads to no file: a loop, or one whose file was moved."""
    return path.is_symlink() and not path.exists()


LEADS_OUT = "is a link to a file outside the project's folder; copy the handout into the project instead"


def leads_out(path: Path) -> bool:
    """Whether ``path``, in a project's folder, is reached through a link that leads out of
    it (a handout replaced by a link while ``watch`` runs): it is never read."""
    import os

    named = Path(os.path.abspath(path))
    if real(path) == named:  # no link on the way: where it is named is where it is
        return False
    for folder in named.parents:
        if (folder / PROJECT_FILE).is_file():
            return not real(path).is_relative_to(real(folder))
    return False


def followed(path: Path, value: str) -> Path:
    """``path`` with its links followed; raise ``ValueError`` (one line, at the key naming it as
    ``value``) when they loop."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        raise ValueError(f"'{value}' is a link that leads to no file (a loop); give the file itself") from None


def find_project(content: Path) -> Path | None:
    """The project file that ``content`` belongs to: the nearest ``brochure.yaml`` in its folder
    or a folder above it; None for a content file on its own (or the project file itself)."""
    if content.name == PROJECT_FILE:
        return None
    folder = real(content).parent
    for candidate in (folder, *folder.parents):
        if (candidate / PROJECT_FILE).is_file():
            return candidate / PROJECT_FILE
    return None


def content_root(content: Path) -> Path:
    """The folder a content file's files are found in and may not leave: its project's root,
    or its own folder."""
    project = find_project(content)
    return project.parent if project else real(content).parent


def named(name: str, default: bool) -> Path | None:
    """The project file a command-line name means: ``brochure.yaml`` itself, a folder that
    holds one, or, when no file was named (``default``), the current folder's."""
    path = Path(name)
    if path.name == PROJECT_FILE and path.is_file():
        return path
    if path.is_dir() and (path / PROJECT_FILE).is_file():
        return path / PROJECT_FILE
    if default and Path(PROJECT_FILE).is_file():
        return Path(PROJECT_FILE)
    return None


def shown(path: Path) -> str:
    """A path as messages name it: relative to the current folder when inside it."""
    import os

    cwd = Path.cwd()
    absolute = Path(os.path.abspath(path))  # the link itself, not where it leads (a loop leads nowhere)
    if absolute.is_relative_to(cwd):
        return str(absolute.relative_to(cwd))
    try:
        return str(path.resolve().relative_to(cwd.resolve()))
    except (ValueError, OSError, RuntimeError):  # outside the current folder; or a loop of links
        return str(path)


# Translations side by side (``infusion.es.yaml`` beside ``infusion.yaml``), found by their
# names alone: Babel (CLDR) confirms a language code only when a file has one in its name.
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
        if original.is_file() and real(original) != real(path):
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
             and (original := source_of(candidate)) is not None and real(original) == real(path)]
    return sorted(found, key=lambda candidate: candidate.name)
