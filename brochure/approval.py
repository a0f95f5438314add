"""Approval: the handouts a project that requires approval may not send to print yet.

A project whose ``brochure.yaml`` says ``require_approval: true`` wants every handout's
``status`` to be ``approved`` before a ``--strict`` build passes: a draft, a handout in
review or a retired one is one located line each (at its ``status:``, or at the top of the
handout when it has none), so a draft never reaches the print shop by accident.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .discover import find_project
from .errors import ContentError, Problem
from .files import read_regular


def requires_approval(path: Path) -> bool:
    """Whether the project ``path`` belongs to says ``require_approval: true``."""
    project = find_project(path)
    if project is None:
        return False
    try:
        written = read_regular(project)  # swapped for a pipe since it was found: never waited on
    except OSError:
        return False  # the build says why it cannot read it
    return _required(project, written)


@lru_cache(maxsize=8)
def _required(project: Path, written: bytes) -> bool:
    """``requires_approval`` for a project file, parsed once per content (its bytes the key, and
    what is parsed: a save landing between a read and a second one never leaves one file's
    answer kept for another's bytes): a project of 100 handouts parses it once, and an edit
    saved in ``watch`` is read again."""
    from .content.project import read_project

    try:
        return read_project(project, raw=written).data.get("require_approval") is True
    except ContentError:
        return False  # its mistakes are reported by the build


def unapproved(files: list[tuple[Path, str]]) -> list[Problem]:
    """One problem per handout of ``files`` not approved, in projects that require approval."""
    from .content.described import load_described

    problems = []
    for path, name in files:
        if not requires_approval(path):
            continue
        try:
            described, _ = load_described(path, name)
        except ContentError:
            continue  # not built: reported already
        if not described:
            continue
        _, brochure, source = described[0]
        if brochure.status == "approved":
            continue
        file, line = source.origin(("status",)) if brochure.status else (name, 1)
        what = f"is '{brochure.status}'" if brochure.status else "is not set"
        problems.append(Problem(file if brochure.status else name, line, "status",
                                f"{what}, and this project requires approval (require_approval: true): "
                                f"{name} may not go to print until its status is approved"))
    return problems
