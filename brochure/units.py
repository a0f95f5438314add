"""Units: what a build is asked to make and what it gives back: one brochure per content file
or variant (``Unit``), where its PDFs go, the date stamped into them, and each unit's result.

A *unit* is one brochure: a content file, or one variant (location) of it. ``plan`` lists a
file's units with the PDFs each will write; a failed variant is a unit of its own that writes
nothing and reports its problems.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from .content import Brochure
from .content.described import BrochureList, Failed, load_described
from .environment import source_date_epoch
from .errors import ContentError, Problem
from .render import html

if TYPE_CHECKING:
    from .checks.findings import Finding
    from .content import Checks


@dataclass(frozen=True)
class Unit:
    """One brochure to build: a content file and, for a variant, its id."""

    path: Path
    name: str  # the file as the user wrote it, for messages
    variant: str | None = None


@dataclass(frozen=True)
class Review:
    """A build's request to check what it built: the settings (default: the content's own
    ``checks:``) and the day review dates are compared with (default: today)."""

    settings: Checks | None = None
    today: date | None = None


@dataclass
class Result:
    """What building one unit wrote, skipped as up to date, and warned about."""

    unit: Unit
    outputs: dict[str, Path] = field(default_factory=dict)  # by output kind: each PDF, written or not
    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # when the build was asked to review

    @property
    def pdfs(self) -> list[Path]:
        return self.written + self.skipped

    def pdf(self, output: str) -> Path:
        """The path of one output's PDF, by its kind's name."""
        return self.outputs[output]


class Progress(Protocol):
    """Told how many units will build, then about each one as it finishes."""

    def start(self, total: int) -> None: ...

    def advance(self, unit: Unit, result: Result | None, problems: list[Problem]) -> None: ...


Finished = list[tuple[Unit, Result | None, list[Problem]]]  # each unit of a batch: its result or problems


# The date of a PDF whose content says none (no ``revised:``, no ``SOURCE_DATE_EPOCH``):
# 1980-01-01T00:00:00Z, the "no date known" of ZIP files and of Nix's reproducible builds.
# Not the content file's modification time: a copy, a checkout or a save of the same bytes
# changes that, and the PDFs' bytes with it.
UNDATED = 315_532_800


def epoch_for(brochure: Brochure) -> int:
    """The date stamped into the PDFs: ``SOURCE_DATE_EPOCH``, else the revision date, else ``UNDATED``."""
    pinned = source_date_epoch()
    if pinned is not None:
        return pinned
    if brochure.revised:
        return int(datetime(brochure.revised.year, brochure.revised.month, brochure.revised.day,
                            tzinfo=UTC).timestamp())
    return UNDATED


def pdf_paths(brochure: Brochure, out_dir: Path, variant: str | None = None) -> dict[str, Path]:
    """Where each output is written: ``out/<slug>[-<variant>]-<output>.pdf``."""
    stem = f"{brochure.file_slug}-{variant}" if variant else brochure.file_slug
    return {o.name: out_dir / f"{stem}-{o.name}.pdf" for o in html.outputs(brochure)}


def brochures(path: Path, name: str) -> BrochureList:
    """Every brochure a content file describes (one per variant), validated; a failed
    variant raises ``ContentError`` with its problems (``failures`` has them one by one)."""
    described, failed = load_described(path, name)
    if failed:
        raise ContentError([problem for problems in failed.values() for problem in problems])
    return described


def failures(path: Path, name: str) -> Failed:
    """The variants of a content file that cannot be built, each with its problems."""
    return load_described(path, name)[1]


def plan(path: Path, name: str, out_dir: Path) -> dict[Unit, list[Path]]:
    """The units of a content file and the PDFs each will write; a failed variant is a unit
    of its own, which writes nothing and reports its problems."""
    described, failed = load_described(path, name)
    units = {Unit(path, name, variant): list(pdf_paths(b, out_dir, variant).values()) for variant, b, _ in described}
    return units | {Unit(path, name, variant): [] for variant in failed}


def write_problem(error: OSError, out_dir: Path) -> Problem:
    """A PDF folder that cannot take the PDFs (full disk, read-only, permissions, a name too
    long): the user's to fix, in one line; nothing in it was changed."""
    reason = error.strerror or str(error)
    if isinstance(error, (FileExistsError, NotADirectoryError)):
        reason = "a file of that name is in the way of the folder"
    return Problem(str(out_dir), None, "", f"cannot write the PDFs here: {reason}; nothing in this folder was changed")
