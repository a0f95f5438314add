"""Bundle: what a cluster worker needs to render a unit without the project folder, and the
rendering of a unit from it.

The client reads, once per batch, the files its units are made from. Per project root, a
*shared* part: its ``templates/`` and ``messages/`` folders (stylesheets, the clinic's own
fonts, translations), ``brochure.yaml`` and the clinic logos. Per content file, its *own*
part: the file, its CSV, its pictures, its theme font files, its print profile. A worker
writes both into a private temporary folder laid out as the project is, renders there and returns the PDFs'
bytes with their manifest entries. It never reads the project folder and writes nothing
the client sees: the client commits, as a local build does.

The bundled templates and fonts are those of the worker's installed package. The shared
part carries a fingerprint of the client's; a worker whose package differs refuses the
batch rather than make other PDFs.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .discover import PROJECT_FILE
from .environment import VARIABLE
from .errors import ContentError, Problem
from .files import write_together
from .manifest import Entry, Manifest, tool_fingerprint
from .render.assets import BUNDLED

if TYPE_CHECKING:
    from .build import Unit
    from .checks.findings import Finding

ROOT = "root:"  # how a worker's manifest keys name a file of the project, relative to its root
_BUNDLED = "bundled:"


@dataclass(frozen=True)
class Files:
    """Files of a project, by their path relative to its root: (mtime in ns, bytes).

    The mtime goes along so that a worker's copy looks as the client's to what compares
    modification times (Jinja's template reloading); no PDF byte depends on it.
    """

    digest: str
    files: dict[str, tuple[int, bytes]]


@dataclass(frozen=True)
class Shared:
    """The part of a batch every unit of one project root uses: scattered once."""

    root: str  # the root as the client knows it: what messages name
    files: Files
    tool: str  # the client's brochure: code, versions, bundled templates and fonts
    templates_bundled: bool  # the root's templates/ is the package's own (the repository)


@dataclass(frozen=True)
class Task:
    """One unit, as sent with its task: a few names, no file."""

    content: str  # relative to the root
    name: str
    variant: str | None
    out_dir: str  # as the client names it, for findings about the PDFs
    fresh: tuple[str, ...] = ()  # PDFs up to date: not rendered again
    fresh_pdfs: tuple[tuple[str, bytes], ...] = ()  # their bytes, when the unit is to be checked
    check: bool = False
    # The client's settings that a worker's own environment must not decide: the PDFs' date
    # (``SOURCE_DATE_EPOCH``, None: unset) and the day review dates are compared with.
    epoch: int | None = None
    today: str | None = None


@dataclass
class Delivered:
    """What a worker made of a job: PDFs and manifest entries (keys under ``ROOT``), or problems."""

    pdfs: dict[str, bytes] = field(default_factory=dict)
    entries: dict[str, Entry] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class OtherVersion(Exception):
    """A worker's brochure is not the client's: its PDFs would not be the same."""


@lru_cache(maxsize=1)
def tool_digest() -> str:
    """This process's brochure: its code and versions (the manifest's fingerprint), and the
    bytes of the bundled templates, stylesheets and fonts, which the fingerprint leaves out."""
    digest = hashlib.sha256(tool_fingerprint().encode())
    for path in sorted(BUNDLED.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(BUNDLED).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


# --- on the client -------------------------------------------------------------------------


def read_files(root: Path, paths: Iterable[Path]) -> Files:
    """The files of ``paths`` inside ``root``, read now; a missing one is left out (the
    worker finds it missing too, as the local build would)."""
    files: dict[str, tuple[int, bytes]] = {}
    for path in sorted({p.resolve() for p in paths}):
        if not path.is_relative_to(root) or not path.is_file():
            continue
        with path.open("rb") as file:
            files[path.relative_to(root).as_posix()] = (path.stat().st_mtime_ns, file.read())
    digest = hashlib.sha256()
    for name, (mtime, data) in sorted(files.items()):
        digest.update(f"{name}\0{mtime}\0{len(data)}\0".encode() + data)
    return Files(digest.hexdigest(), files)


def own_part(unit: Unit, root: Path) -> tuple[Files, set[Path]]:
    """A content file's own files, and the clinic logos its brochures name (shared)."""
    from .content.described import images, load_described
    from .content.fonts import font_files

    described, _ = load_described(unit.path, unit.name)
    paths, logos = {unit.path}, set()
    for _, brochure, source in described:
        paths |= set(source.inputs)
        pictures = [root / image for image in images(brochure) if image]
        if brochure.clinic.logo:
            logos.add(root / brochure.clinic.logo)
        paths |= set(pictures)
        # The clinic's theme font files too, wherever in the project (fonts/): a worker checks and embeds them.
        paths |= {root / name for name in font_files(brochure.theme.font)}
        if brochure.print.profile:
            paths.add(root / brochure.print.profile)
    return read_files(root, paths - logos), logos


def shared_part(root: Path, logos: Iterable[Path]) -> Shared:
    """The part of a project root every unit uses."""
    bundled = (root / "templates").resolve() == BUNDLED
    folders = [root / "messages"] + ([] if bundled else [root / "templates"])
    paths = [p for folder in folders if folder.is_dir() for p in folder.rglob("*") if p.is_file()]
    files = read_files(root, [*paths, root / PROJECT_FILE, *logos])
    return Shared(str(root), files, tool_digest(), bundled)


def entry_for(entry: Entry, root: Path, book: Manifest, known: dict[tuple[Path, str], str] | None = None) -> Entry:
    """A worker's manifest entry as the client's manifest writes it; ``known`` keeps the keys
    found, for the next entries of the batch (the units of a file share most of their inputs,
    and finding a key resolves its path on disk).

    A project file the worker found missing but that the client has was left out of the
    bundle: a bug, which would record (and build) something else than a local build.
    """
    known = {} if known is None else known

    def key(name: str) -> str:
        if not name.startswith(ROOT):
            return name
        path = root / name.removeprefix(ROOT)
        if entry.inputs.get(name) == "missing" and path.is_file():
            raise RuntimeError(f"the bundle sent to the cluster left out {path}")
        found = known.get((root, name))
        if found is None:
            found = known[root, name] = book.key(path)
        return found

    return replace(entry, source=key(entry.source), inputs={key(k): v for k, v in entry.inputs.items()})


# --- on a worker ---------------------------------------------------------------------------

_LOCK = threading.Lock()  # one unit at a time per process: the render caches are per process
_PLACES: OrderedDict[tuple[str, str], Path] = OrderedDict()  # (shared, own) digests -> folder
_KEPT = 8  # folders kept per worker: a batch of many handouts goes on, older ones are removed


@atexit.register
def _remove_places() -> None:
    """A worker that stops removes its folders (one killed leaves them to the system's /tmp cleaning)."""
    for folder in _PLACES.values():
        shutil.rmtree(folder, ignore_errors=True)


def render(shared: Shared, own: Files, job: Task) -> Delivered:
    """Render one job from its bundle; content mistakes come back as problems."""
    if shared.tool != tool_digest():
        raise OtherVersion("a worker runs another version of brochure (or of its templates and fonts); "
                           "install the same brochure on every worker and on this machine")
    with _LOCK, _pinned_epoch(job.epoch):
        root = _place(shared, own)
        with tempfile.TemporaryDirectory(prefix="brochure-out-") as temporary:
            out = Path(temporary).resolve()
            try:
                return _render(root, out, shared, job)
            except ContentError as error:
                return Delivered(problems=[_shown(p, root, out, shared, job) for p in error.problems])


@contextmanager
def _pinned_epoch(epoch: int | None) -> Iterator[None]:
    """``SOURCE_DATE_EPOCH`` as the client has it, whatever the worker was started with."""
    before = os.environ.get(VARIABLE)
    if epoch is None:
        os.environ.pop(VARIABLE, None)
    else:
        os.environ[VARIABLE] = str(epoch)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(VARIABLE, None)
        else:
            os.environ[VARIABLE] = before


def _place(shared: Shared, own: Files) -> Path:
    """The folder the bundle is written into, once per worker while it is kept."""
    key = (shared.files.digest, own.digest)
    folder = _PLACES.get(key)
    if folder is not None and folder.is_dir():
        _PLACES.move_to_end(key)
        return folder
    while len(_PLACES) >= _KEPT:
        shutil.rmtree(_PLACES.popitem(last=False)[1], ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix="brochure-bundle-")).resolve()
    if shared.templates_bundled:
        (folder / "templates").symlink_to(BUNDLED, target_is_directory=True)
    for name, (mtime, data) in (shared.files.files | own.files).items():
        path = folder / name
        if Path(name).is_absolute() or ".." in Path(name).parts:  # read_files makes none: not ours
            raise ValueError(f"a bundle names {name}, outside its folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, ns=(mtime, mtime))
    _PLACES[key] = folder
    return folder


class _Captured(Manifest):
    """A worker's manifest: keys relative to the bundle's root, freshness as the client
    found it, and a commit that keeps the PDFs for the client (and on disk for the checks)."""

    def __init__(self, out_dir: Path, root: Path, fresh: set[str]) -> None:
        super().__init__(out_dir)
        self.root, self.up_to_date_names = root, fresh
        self.pdfs: dict[Path, bytes] = {}
        self.made: dict[str, Entry] = {}

    def key(self, path: Path, follow: bool = True) -> str:
        resolved = path.resolve() if follow else path
        if resolved.is_relative_to(self.root):
            return ROOT + resolved.relative_to(self.root).as_posix()
        key = super().key(path, follow)
        if not key.startswith(_BUNDLED):  # a file neither in the bundle nor the package's: a bug
            raise RuntimeError(f"a worker read {path}, outside its bundle")
        return key

    def keys(self, resolved: dict[Path, Path]) -> dict[Path, str]:
        # Each as ``key`` writes it here (the bundle's root), never as the out folder would see it.
        return {path: self.key(path) for path in resolved}

    def fresh(self, pdf: Path, settings: str, source: Path) -> bool:
        return pdf.name in self.up_to_date_names

    def commit(self, pdfs: dict[Path, bytes], entries: dict[str, Entry]) -> None:
        self.pdfs, self.made = dict(pdfs), dict(entries)
        write_together(pdfs)  # in the worker's own temporary folder: what the checks read


def _render(root: Path, out: Path, shared: Shared, job: Task) -> Delivered:
    from .build import Review, Unit, build_unit, in_batch

    in_batch()  # a Dask worker: a batch's
    write_together({out / name: data for name, data in job.fresh_pdfs})
    book = _Captured(out, root, set(job.fresh))
    result = build_unit(Unit(root / job.content, job.name, job.variant), out, book,
                        review=Review(today=date.fromisoformat(job.today) if job.today else None) if job.check else None)
    return Delivered(
        pdfs={path.name: data for path, data in book.pdfs.items()}, entries=book.made,
        outputs={output: path.name for output, path in result.outputs.items()},
        written=[p.name for p in result.written], skipped=[p.name for p in result.skipped],
        warnings=[_text(w, root, out, shared, job) for w in result.warnings],
        findings=[replace(f, file=_text(f.file, root, out, shared, job), message=_text(f.message, root, out, shared, job))
                  for f in result.findings])


def _text(text: str, root: Path, out: Path, shared: Shared, job: Task) -> str:
    """A message as the client would have written it: its paths, not the worker's."""
    return text.replace(str(out), job.out_dir).replace(str(root), shared.root)


def _shown(problem: Problem, root: Path, out: Path, shared: Shared, job: Task) -> Problem:
    return replace(problem, file=_text(problem.file, root, out, shared, job),
                   message=_text(problem.message, root, out, shared, job))
