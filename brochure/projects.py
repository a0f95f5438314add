"""Projects: which project file a content file belongs to, found with nothing but the file
system (no YAML, no pydantic), so that a no-op build stays fast.

A project is a folder with a ``brochure.yaml`` at its root; a content file belongs to the
nearest one in its folder or above. ``brochure.content.project`` reads and applies it.
"""

from __future__ import annotations

from pathlib import Path

PROJECT_FILE = "brochure.yaml"


def find_project(content: Path) -> Path | None:
    """The project file that ``content`` belongs to: the nearest ``brochure.yaml`` in its folder
    or a folder above it; None for a content file on its own (or the project file itself)."""
    if content.name == PROJECT_FILE:
        return None
    folder = content.resolve().parent
    for candidate in (folder, *folder.parents):
        if (candidate / PROJECT_FILE).is_file():
            return candidate / PROJECT_FILE
    return None


def content_root(content: Path) -> Path:
    """The folder a content file's files are found in and may not leave: its project's root,
    or its own folder."""
    project = find_project(content)
    return project.parent if project else content.resolve().parent


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
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
