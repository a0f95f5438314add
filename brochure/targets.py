"""Targets: what a command builds and where its PDFs go, from its arguments.

The files named on the command line (a project stands for every handout in it) and the
folder the PDFs are written to (a project's own out/ by default), settled before anything is
rendered, so a folder that cannot be the PDFs' is one line and nothing is written."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_FILES = ["content.yaml"]


def files_named(args: argparse.Namespace) -> list[tuple[Path, str]]:
    """The files given, each once (``content.yaml`` and ``./content.yaml`` are one file); a
    project (its ``brochure.yaml``, its folder, or the current folder's when no FILE is given)
    stands for every handout in it. ``args.projects`` lists the projects named."""
    from .discover import (  # not brochure.content: a no-op build imports no pydantic
        LEADS_NOWHERE,
        leads_nowhere,
        named,
        real,
        shown,
        translations_of,
    )
    from .errors import ContentError, Problem

    unique: dict[Path, str] = {}
    args.projects = []
    for name in args.files:
        project = named(name, default=args.files is DEFAULT_FILES)
        if project is None:
            if leads_nowhere(Path(name)):
                raise ContentError([Problem(name, None, "", LEADS_NOWHERE)])
            unique.setdefault(real(Path(name)), name)
            # A handout's translations beside it (infusion.es.yaml) are built and checked with it.
            for translation in translations_of(Path(name)):
                unique.setdefault(real(translation), str(Path(name).parent / translation.name))
            continue
        from .content.project import handouts, read_project
        from .render.labels import project_problems

        shared = project_problems(read_project(project), project.resolve().parent)
        out = getattr(args, "out", None)
        # The PDFs' folder is not searched for handouts; a folder of handouts given as --out is
        # searched, so that settle_out can say it is one.
        skip = (Path(out),) if out and not any(Path(out).glob("*.y*ml")) else ()
        try:
            found = handouts(project, skip=skip)
        except ContentError as error:
            shared += error.problems
        if shared:  # a mistake every handout would inherit: reported once, nothing built
            raise ContentError(shared)
        for path in found:
            unique.setdefault(path.resolve(), shown(path))
        args.projects.append(project)
    return [(Path(name), name) for name in unique.values()]


def settle_out(args: argparse.Namespace, files: list[tuple[Path, str]]) -> bool:
    """Settle ``args.out``: the project's own out/ when one project is built without --out, else
    the folder given. A folder that cannot be the PDFs' (the project's root, a folder of handouts,
    a file, nothing, a folder whose parent is missing) is one line, before anything is rendered:
    False."""
    if args.out is None:
        args.out = str(args.projects[0].parent / "out") if len(args.projects) == 1 else "out"
        return True
    given = args.out
    problem = None
    from .discover import real

    out = real(Path(given)) if given.strip() else None
    holders = {real(path).parent: name for path, name in files}
    if out is None:
        problem = "--out: names no folder; give a folder for the PDFs, like out"
    elif Path(given).is_symlink() and not out.exists():  # a loop, a folder since moved: nowhere to write
        problem = (f"--out {given}: is a link that leads to no folder (a loop, or a folder since moved); "
                   "give the folder itself")
    elif any(out == project.resolve().parent for project in args.projects):
        problem = (f"--out {given}: this is the project's own folder; the PDFs go in a folder of their own, "
                   f"like {Path(given) / 'out'}")
    elif out in holders:
        problem = (f"--out {given}: this folder holds handouts ({Path(holders[out]).name}); the PDFs go in a folder "
                   f"of their own, like {Path(given) / 'out'}")
    elif out.exists() and not out.is_dir():
        problem = f"--out {given}: this is a file, not a folder; give a folder for the PDFs"
    elif not out.parent.is_dir():
        problem = (f"--out {given}: the folder {Path(given).parent} does not exist; make it first, "
                   "or give a folder that does")
    if problem:
        print(problem, file=sys.stderr)
    return problem is None
