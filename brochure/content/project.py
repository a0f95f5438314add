"""Project: many handouts sharing one clinic, theme, locations and settings.

A project folder has a project file, ``brochure.yaml``, at its root, with what its
handouts share: ``clinic``, ``theme``, ``checks``, ``print``, ``layout``, ``paper``,
``lang``, ``disclaimer``, ``location``, ``locations``, the document-control keys (``owner``,
``approved_by``, ``status``, ``version``) and ``require_approval`` (a CSV file or a list, as a
content file's ``variants``). Every content file below the root inherits them and
overrides what it needs. The root is the boundary: shared files (logo, CSV, pictures)
may be anywhere inside it, and no file outside it is read.

A content file with no project file above it is a project of its own, as before.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError

from ..discover import PROJECT_FILE, content_root, find_project, shown
from ..errors import ContentError, Problem
from .fonts import BUNDLED_FONT
from .messages import problems_of
from .model import Checks, Clinic, Print, Status, StrictModel, Theme, Version
from .source import Path_, Source, dotted, read_source

# Folders never searched for handouts: output, templates, label catalogs (messages/<lang>.yaml,
# render.labels), and hidden or tool folders.
_SKIPPED = {"out", "templates", "messages", "node_modules", "__pycache__", "proof", "catalog"}
INHERITED = ("clinic", "location", "theme", "checks", "print", "layout", "paper", "lang", "disclaimer",
             "owner", "approved_by", "status", "version")


class Project(StrictModel):
    """The project file: what every handout of the project shares."""

    clinic: Clinic | None = Field(None, description="The clinic's name and contact details, for every handout.")
    location: dict[str, str] | None = Field(None, description="Default values of the locations' own fields.")
    locations: Annotated[list[dict[str, Any]], Field(min_length=1)] | str | None = Field(
        None, description="One handout per location for every handout: a list (each with an id) or a CSV file.")
    theme: Theme | None = None
    checks: Checks | None = None
    print: Print | None = None
    layout: Literal["trifold", "handout"] | None = None
    paper: Literal["letter", "a4"] | None = None
    lang: Annotated[str, Field(pattern=r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")] | None = None
    disclaimer: str | None = None
    owner: str | None = Field(None, description="Who keeps the handouts up to date, unless a handout names its own.")
    approved_by: str | None = Field(None, description="Who approves the handouts, unless a handout names its own.")
    status: Status | None = Field(None, description="The handouts' status, unless a handout gives its own: "
                                                   "draft, in review, approved or retired.")
    version: Version | None = Field(None, description="The handouts' version, unless a handout gives its own.")
    require_approval: bool | None = Field(
        None, description="With true, a --strict build fails on every handout whose status is not approved.")
    handouts: list[str] | None = Field(
        None, description="Which files are handouts, as patterns relative to the project folder "
                          "(default: every .yaml file in it and its folders).")


def project_schema() -> dict[str, Any]:
    """The JSON Schema of ``brochure.yaml``: editors complete and check its keys."""
    schema = Project.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "brochure.schema.json"
    return schema


def read_project(file: Path, name: str | None = None, raw: bytes | None = None) -> Source:
    """Read (or take its bytes, ``raw``) and validate a project file; raise ``ContentError``
    with every mistake in it."""
    source = read_source(file, name or shown(file), raw)
    root = file.resolve().parent
    problems = list(source.problems)
    try:
        Project.model_validate(source.data, context={"root": root, "where": "the project's folder"})
    except ValidationError as error:
        problems += problems_of(error, source.file, lambda loc: (source.line(loc), dotted(loc)))
    if problems:
        raise ContentError(problems)
    return source


# Keys holding a file's name, relative to the file they are written in.
def _path_keys(data: dict[str, Any]) -> list[Path_]:
    paths: list[Path_] = [("clinic", "logo"), ("print", "profile")]
    theme = data.get("theme")
    font = theme.get("font") if isinstance(theme, dict) else None
    if isinstance(font, str) and font != BUNDLED_FONT:  # a file's path; "Open Sans" is a name
        paths.append(("theme", "font"))
    elif isinstance(font, dict):
        paths += [("theme", "font", weight) for weight in ("regular", "bold")]
    if isinstance(data.get("variants"), str):
        paths.append(("variants",))
    sections = data.get("sections")
    if isinstance(sections, list):
        paths += [("sections", i, "image", "src") for i, s in enumerate(sections)
                  if isinstance(s, dict) and isinstance(s.get("image"), dict)]
    return paths


def _rebase(data: dict[str, Any], folder: str) -> dict[str, Any]:
    """``data`` with its file names relative to the project root rather than to ``folder``
    (the content file's folder, relative to the root)."""
    import copy

    data = copy.deepcopy(data)
    for path in _path_keys(data):
        node: Any = data
        for part in path[:-1]:
            if isinstance(node, dict) and isinstance(part, str):
                node = node.get(part)
            elif isinstance(node, list) and isinstance(part, int):
                node = node[part]
        last = path[-1]
        value = node.get(last) if isinstance(node, dict) else None
        if isinstance(value, str) and value and ":" not in value and not value.startswith(("/", "\\")):
            node[last] = posixpath.normpath(posixpath.join(folder, value))
    return data


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        merged[key] = _merge(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return merged


def inherit(source: Source, project: Source, content: Path, root: Path) -> Source:
    """The content file's ``source`` with the project's shared keys under its own.

    Its file names are made relative to the project root; the lines of inherited keys
    stay the project file's (``Source.origin``).
    """
    folder = Path(os.path.relpath(content.resolve().parent, root)).as_posix()
    own = _rebase(source.data, folder) if folder != "." else source.data
    shared = {key: project.data[key] for key in INHERITED if key in project.data}
    parent = project
    if "locations" in project.data and "variants" not in own:
        shared["variants"] = project.data["locations"]
        # The handout's variants are the project's locations: found at their lines there.
        aliases = {("variants", *path[1:]): line for path, line in project.lines.items() if path[:1] == ("locations",)}
        parent = Source(project.file, project.data, {**project.lines, **aliases}, project.problems, project.inputs,
                        project.parent, project.contacts)
    return Source(source.file, _merge(shared, own), source.lines, source.problems,
                  {**project.inputs, **source.inputs}, parent=parent)


def handouts(project_file: Path, skip: tuple[Path, ...] = ()) -> list[Path]:
    """The project's handout files: its ``handouts:`` patterns, or every ``.yaml`` file below
    its root but the project file, hidden folders, ``out``, ``templates`` and ``skip``.
    Raises ``ContentError`` when the project file has a mistake or names no handout."""
    root = project_file.resolve().parent
    project = read_project(project_file)
    patterns = project.data.get("handouts")
    skipped = {p.resolve() for p in skip}
    candidates: set[Path] = set()
    if patterns:
        for index, pattern in enumerate(patterns):
            if pattern.startswith(("/", "\\")) or ".." in Path(pattern).parts:
                raise ContentError([Problem(shown(project_file), project.lines.get(("handouts", index)),
                                            f"handouts[{index}]",
                                            f"'{pattern}' must be a pattern inside the project folder, like handouts/*.yaml")])
            candidates |= {p for p in root.glob(pattern) if p.is_file() or p.is_symlink()}
    else:
        for folder, subfolders, names in os.walk(root):  # links to folders are not followed: no loop, no way out
            here = Path(folder)
            # A link to a folder is not followed; one that leads out of the project is a mistake to say.
            candidates |= {here / d for d in subfolders if (here / d).is_symlink() and not d.startswith(".")
                           and d not in _SKIPPED and not _leads_inside(here / d, root)}
            # A folder with a project file of its own is another project, not handouts of this one.
            subfolders[:] = sorted(d for d in subfolders if not d.startswith(".") and d not in _SKIPPED
                                   and (here / d).resolve() not in skipped and not (here / d / PROJECT_FILE).exists())
            candidates |= {here / f for f in names if f.endswith((".yaml", ".yml")) and not f.startswith(".")}
    found, problems = _inside(candidates, root)
    if problems:
        raise ContentError(problems)
    found.discard(project_file.resolve())
    # A project file is never a handout; a folder with one of its own is another project (build it by its name).
    files = sorted(p for p in found if p.name != PROJECT_FILE and find_project(p) == project_file.resolve())
    if not files:
        raise ContentError([Problem(shown(project_file), None, "handouts" if patterns else "",
                                    "no handout in the project: add a content file (title, sections...) "
                                    "in its folder or a folder below")])
    return files


def _leads_inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve(strict=True).is_relative_to(root)
    except (OSError, RuntimeError):
        return False


def _inside(candidates: set[Path], root: Path) -> tuple[set[Path], list[Problem]]:
    """The candidate files that are files inside ``root`` (resolved), and one problem for each
    link that leads out of it or to nothing (a loop, a file since removed): refused, as a
    template or a picture that leads out is."""
    found: set[Path] = set()
    problems = []
    for path in sorted(candidates):
        try:
            resolved = path.resolve(strict=True)
        except (OSError, RuntimeError):
            problems.append(Problem(shown(path), None, "", "is a link that leads to no file (a loop, or a file "
                                                              "since moved); remove it or put the handout itself here"))
            continue
        if not resolved.is_relative_to(root):
            kind, what = ("folder", "its handouts") if resolved.is_dir() else ("file", "the handout")
            problems.append(Problem(shown(path), None, "", f"is a link to a {kind} outside the project's folder; "
                                                              f"copy {what} into the project instead"))
        elif resolved.is_file():
            found.add(resolved)
    return found, problems


__all__ = ["PROJECT_FILE", "Project", "content_root", "find_project", "handouts", "inherit", "project_schema",
           "read_project"]
