"""Load: a content file to a validated ``Brochure`` and its ``Source`` (for line numbers)."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from ..errors import ContentError, Problem
from .fields import in_yaml, location_keys, names, substitute
from .messages import problems_of
from .model import Brochure
from .project import find_project, read_project
from .project import inherit as inherit_project
from .source import Source, dotted, read_source
from .translations import inherit as inherit_translation
from .translations import orphaned


def validate(source: Source, root: Path) -> Brochure:
    """Check ``source`` against the model; raise ``ContentError`` with every problem found.

    Fields in the texts (``{clinic.phone}``) are filled in first. With variants, each
    variant fills in its own (``variants``), so here they are left as written, unreported.
    """
    problems = list(source.problems)
    data = source.data
    if "{" in str(data):
        single = data.get("variants") is None

        data, found = substitute(data, in_yaml(source.origin), names(location_keys(data), False), None, strict=single)
        problems += found
    try:
        brochure = Brochure.model_validate(data, context={"root": root, "where": where(source), "checked": source.checked})
    except ValidationError as error:
        problems += problems_of(error, source.file, lambda loc: (source.origin(loc)[1], dotted(loc)),
                                lambda loc: source.origin(loc)[0])
    if problems:
        raise ContentError(problems)
    return brochure


def load(path: Path, name: str | None = None) -> Brochure:
    """Read and validate one content file."""
    return load_with_source(path, name)[0]


def load_with_source(path: Path, name: str | None = None) -> tuple[Brochure, Source]:
    """Read and validate one content file; also return its ``Source`` (for line numbers).

    A handout inside a project takes what it leaves out from the project file; a translation
    (``infusion.es.yaml`` beside ``infusion.yaml``) takes the shared keys it leaves out from
    the file it translates (``translations``)."""
    _, source, root = combined(path, name)
    gone = orphaned(path)
    if gone and "clinic" not in source.data:  # one line for the cause, not "required" for each key it took
        raise ContentError([Problem(source.file, None, "", f"it translates {gone}, which is not there any more: "
                                                           "put it back, or give this file its own clinic (and theme, "
                                                           "layout...) to build it on its own")])
    return validate(source, root), source


def combined(path: Path, name: str | None = None) -> tuple[Source, Source, Path]:
    """A content file as it is built, unvalidated: its text with what it takes from the file
    it translates, then the same with the project's too, and the folder files load from."""
    # The file a translation translates first, then the project: a handout's own override
    # (layout: trifold) is its translation's too, and the project's default only fills the rest.
    translated = inherit_translation(read_source(path, name), path)
    project = find_project(path)
    if project is None:
        return translated, translated, path.resolve().parent
    root = project.resolve().parent
    return translated, inherit_project(translated, read_project(project), path, root), root


def where(source: Source) -> str:
    """How messages name the folder files must be in."""
    return "the project's folder" if source.parent is not None else "the content's folder"

