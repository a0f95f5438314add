"""Build: content files in, print and email PDFs out, only what changed, nothing half-written.

A *unit* is one brochure: a content file, or one variant (location) of it. Each unit's
PDFs are rendered in memory and renamed into place only when all of them succeeded, so
a mistake never costs the last good PDFs; outputs whose inputs did not change (the
manifest) are not rendered at all.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from . import manifest
from .content import Brochure, Source, load_with_source
from .content.variants import expand
from .environment import source_date_epoch
from .errors import ContentError, Problem
from .projects import content_root
from .render import html, job, labels, pdf, trifold
from .render.assets import BUNDLED
from .render.glyphs import missing_glyphs

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
    outputs: dict[str, Path] = field(default_factory=dict)  # "print" and "email": each PDF, written or not
    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # when the build was asked to review

    @property
    def pdfs(self) -> list[Path]:
        return self.written + self.skipped

    def pdf(self, output: str) -> Path:
        """The path of one output's PDF ("print" or "email")."""
        return self.outputs[output]


def epoch_for(brochure: Brochure, path: Path) -> int:
    """The date stamped into the PDFs: ``SOURCE_DATE_EPOCH``, else the revision date, else the file's."""
    pinned = source_date_epoch()
    if pinned is not None:
        return pinned
    if brochure.revised:
        return int(datetime(brochure.revised.year, brochure.revised.month, brochure.revised.day,
                            tzinfo=UTC).timestamp())
    return int(path.stat().st_mtime)


def pdf_paths(brochure: Brochure, out_dir: Path, variant: str | None = None) -> dict[str, Path]:
    """Where each output is written: ``out/<slug>[-<variant>]-<output>.pdf``."""
    stem = f"{brochure.file_slug}-{variant}" if variant else brochure.file_slug
    return {o.name: out_dir / f"{stem}-{o.name}.pdf" for o in html.outputs(brochure)}


Described = list[tuple[str | None, Brochure, Source]]
Failed = dict[str, list[Problem]]  # variant (``#<row>`` without a usable id) -> its problems
_VALIDATED: dict[tuple[str, str], tuple[str, Described, Failed, Source, list[str]]] = {}


def _fingerprint(path: Path, source: Source, pictures: list[str]) -> str:
    """The bytes of every file the content was read from (the content, its project file and
    CSV), which project it belongs to, and the bytes of each image it names."""
    root = content_root(path)
    parts = [manifest.file_hash(path), str(root)]
    parts += [manifest.file_hash(file) for file in sorted(source.inputs)]
    # Each picture's bytes, not only whether it exists: a picture replaced by a damaged one is checked again.
    parts += [f"{image}:{manifest.file_hash(root / image)}" for image in pictures]
    return "\0".join(parts)


def _pictures(described: Described) -> list[str]:
    """Every picture the brochures name, once. Listed when the file is validated, not at each
    unit: listing parses every variant's text, and 1,000 locations share one logo."""
    return sorted({image for _, b, _ in described for image in _images(b)})


def _images(brochure: Brochure) -> list[str]:
    from .content import dialect

    texts = [brochure.intro or ""] + [s.body for s in brochure.sections]  # and the pictures among the paragraphs
    return [brochure.clinic.logo or ""] + [s.image.src for s in brochure.sections if s.image] \
        + [picture.src for text in texts for picture in dialect.pictures(text)]


def _described(path: Path, name: str) -> tuple[Described, Failed]:
    """Every brochure a content file describes (one per variant), validated, and the variants
    that failed (a bad CSV row fails its own location only).

    Cached per process while the file, its project file, its CSV and the files it names are
    unchanged: a batch of 50 variants would otherwise validate all 50 for each of them.
    """
    key = (str(path.resolve()), name)
    cached = _VALIDATED.get(key)
    if cached and cached[0] == _fingerprint(path, cached[3], cached[4]):
        return cached[1], cached[2]
    brochure, source = load_with_source(path, name)
    built, failed = expand(brochure, source, content_root(path))
    described = [(variant, b, source) for variant, b in built]
    pictures = _pictures(described)
    _VALIDATED[key] = (_fingerprint(path, source, pictures), described, failed, source, pictures)
    return described, failed


def brochures(path: Path, name: str) -> Described:
    """Every brochure a content file describes (one per variant), validated; a failed
    variant raises ``ContentError`` with its problems (``failures`` has them one by one)."""
    described, failed = _described(path, name)
    if failed:
        raise ContentError([problem for problems in failed.values() for problem in problems])
    return described


def failures(path: Path, name: str) -> Failed:
    """The variants of a content file that cannot be built, each with its problems."""
    return _described(path, name)[1]


def plan(path: Path, name: str, out_dir: Path) -> dict[Unit, list[Path]]:
    """The units of a content file and the PDFs each will write; a failed variant is a unit
    of its own, which writes nothing and reports its problems."""
    described, failed = _described(path, name)
    units = {Unit(path, name, variant): list(pdf_paths(b, out_dir, variant).values()) for variant, b, _ in described}
    return units | {Unit(path, name, variant): [] for variant in failed}


def _html(brochure: Brochure, output: html.Output, content_dir: Path, stamp: str, words: labels.Labels) -> str:
    """The output's HTML; a mistake in a clinic's own template is a ``ContentError``."""
    try:
        return html.render(brochure, output, content_dir, stamp, words)
    except (jinja2.TemplateSyntaxError, jinja2.TemplateNotFound) as error:
        raise ContentError([_template_problem(error, content_dir)]) from None
    except Exception as error:  # in the clinic's own template, a mistake; in ours, a bug
        problem = _own_template_error(error, content_dir)
        if problem is None:
            raise
        raise ContentError([problem]) from None


def _inputs(hashes: dict[Path, str], content_dir: Path, book: manifest.Manifest) -> dict[str, str]:
    """The manifest's record of the files an output was made from, and of the overrides that
    would replace them.

    ``hashes`` are of the bytes the build read, never of the files read again afterwards: a
    save made while a build runs is then a change the next build sees. Why the overrides: a
    clinic adding ``templates/css/email.css`` beside its content must rebuild the email PDF
    (and only it), so each bundled file used is recorded together with the path of the
    clinic's copy that would shadow it, "missing" until it exists.
    """
    inputs = {book.key(path): digest for path, digest in hashes.items()}
    own = content_dir.resolve() / "templates"
    for used in hashes:
        if used.resolve().is_relative_to(BUNDLED) and own != BUNDLED:
            shadow = own / used.resolve().relative_to(BUNDLED)
            inputs[book.key(shadow)] = manifest.file_hash(shadow)
    return inputs


def _write_problem(error: OSError, out_dir: Path) -> Problem:
    """A PDF folder that cannot take the PDFs (full disk, read-only, permissions, a name too
    long): the user's to fix, in one line; nothing in it was changed."""
    reason = error.strerror or str(error)
    if isinstance(error, (FileExistsError, NotADirectoryError)):
        reason = "a file of that name is in the way of the folder"
    return Problem(str(out_dir), None, "", f"cannot write the PDFs here: {reason}; nothing in this folder was changed")


def validated(unit: Unit) -> tuple[Brochure, Source, Path, str]:
    """The unit's brochure, validated and printable, its source, folder, and how messages name it."""
    described, failed = _described(unit.path, unit.name)
    if unit.variant in failed:
        raise ContentError(failed[str(unit.variant)])
    chosen = [(b, s) for variant, b, s in described if variant == unit.variant]
    if not chosen:
        raise ContentError([Problem(unit.name, None, "variants", f"there is no variant '{unit.variant}' any more")])
    brochure, source = chosen[0]
    content_dir = content_root(unit.path)
    where = f"variant {unit.variant}: " if unit.variant else ""
    unprintable = missing_glyphs(brochure, source, html.search_path(content_dir), where, content_dir)
    unprintable += labels.problems(brochure, source, content_dir)  # the words brochure prints, in its language
    if unprintable:
        raise ContentError(unprintable)
    return brochure, source, content_dir, where


def _job(brochure: Brochure, output: html.Output, document: str, content_dir: Path, epoch: int,
         words: labels.Labels) -> job.Job:
    return job.Job(document, output.name, brochure.layout, brochure.paper, brochure.print.bleed, content_dir, epoch,
                   html.output_profile(brochure, content_dir), labels.link_descriptions(document, brochure.clinic, words))


def prepare(unit: Unit) -> list[job.Job]:
    """The unit's PDFs to render, as jobs, and nothing written: what a warm-up renders."""
    brochure, _, content_dir, _ = validated(unit)
    words = labels.load(brochure.lang, content_dir)
    epoch = epoch_for(brochure, unit.path)
    stamp = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    return [_job(brochure, output, _html(brochure, output, content_dir, stamp, words), content_dir, epoch, words)
            for output in html.outputs(brochure)]


def build_unit(unit: Unit, out_dir: Path, known: manifest.Manifest | None = None,
               force: bool = False, review: Review | None = None) -> Result:
    """Build one unit into ``out_dir``; raise ``ContentError`` (nothing written) on a mistake.

    With ``review``, the unit's PDFs are then checked (``Result.findings``): the one way
    to build, then check, for ``build``, ``check``, ``watch`` and ``serve`` alike.
    """
    brochure, source, content_dir, where = validated(unit)
    words = labels.load(brochure.lang, content_dir)
    epoch = epoch_for(brochure, unit.path)
    stamp = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    targets = pdf_paths(brochure, out_dir, unit.variant)
    result = Result(unit, outputs=dict(targets))
    rendered: dict[Path, bytes] = {}
    entries: dict[str, manifest.Entry] = {}
    book = known if known is not None else manifest.Manifest(out_dir)
    jobs: dict[str, tuple[job.Job, str, dict[Path, str]]] = {}  # output -> its job, settings, templates
    mistake: ContentError | None = None  # in an output's HTML: raised once the outputs before it rendered
    for output in html.outputs(brochure):
        target = targets[output.name]
        settings = manifest.settings_fingerprint(output.name, unit.variant)
        if known is not None and not force and known.fresh(target, settings, unit.path):
            result.skipped.append(target)
            continue
        try:
            document = _html(brochure, output, content_dir, stamp, words)
        except ContentError as error:
            mistake = error
            break
        templates = {path: html.LOADED.get(path) or manifest.file_hash(path)
                     for path in html.template_files(content_dir, output)}
        jobs[output.name] = (_job(brochure, output, document, content_dir, epoch, words), settings, templates)
    try:
        made_all = job.render_all([made for made, _, _ in jobs.values()])
    except pdf.RenderError as error:
        which = getattr(error, "output", "")  # which PDF: job.render says
        raise ContentError([Problem(unit.name, None, "", f"{where}the {which} PDF could not be made: {error}")]) from None
    except trifold.Overflow as error:
        raise ContentError([Problem(unit.name, source.line((error.key,)), error.key, f"{where}{error}.")]) from None
    if mistake is not None:
        raise mistake
    for (name, (_, settings, templates)), made in zip(jobs.items(), made_all):
        target = targets[name]
        rendered[target] = made.data
        result.warnings += made.warnings
        hashes = made.files | templates | source.inputs | words.inputs
        entries[target.name] = manifest.Entry(
            book.key(unit.path), name, unit.variant, settings, _inputs(hashes, content_dir, book),
            hashlib.sha256(made.data).hexdigest())
    if rendered:
        try:  # the unit's PDFs and their manifest entries: all of them, or nothing
            book.commit(rendered, entries)
        except OSError as error:
            raise ContentError([_write_problem(error, out_dir)]) from None
    result.written = list(rendered)
    result.warnings = list(dict.fromkeys(result.warnings))
    if review is not None:
        from .checks.review import review as check

        result.findings = check(brochure, source, content_dir, result.outputs.get("print"), result.outputs.get("email"),
                                review.settings, review.today)
    return result


def _template_problem(error: jinja2.TemplateError, content_dir: Path) -> Problem:
    """A mistake in a clinic's own template, at its file and line."""
    if isinstance(error, jinja2.TemplateSyntaxError):
        shown = Path(error.filename or error.name or "template")
        if shown.is_relative_to(content_dir):
            shown = shown.relative_to(content_dir)
        return Problem(str(shown), error.lineno, "", f"template syntax error: {error.message}")
    return Problem(str(content_dir / "templates"), None, "", f"no template named '{getattr(error, 'name', '')}'")


def _own_template_error(error: Exception, content_dir: Path) -> Problem | None:
    """A runtime error raised in the clinic's own template, at its file and line, else None.

    Jinja puts each template's file and line into the traceback; the innermost frame in
    the clinic's ``templates/`` folder is where the mistake is.
    """
    import traceback

    own = (content_dir / "templates").resolve()
    frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename).resolve().is_relative_to(own)]
    if not frames:
        return None
    frame = frames[-1]
    if isinstance(error, RecursionError):
        message = ("this template extends or includes itself; to build on the bundled one, "
                   "write {% extends \"bundled/" + Path(frame.filename).name + "\" %}")
    elif isinstance(error, jinja2.UndefinedError):
        message = error.message or str(error)
    else:
        message = f"{error}" or type(error).__name__
    shown = Path(frame.filename).resolve().relative_to(content_dir.resolve())
    return Problem(str(shown), frame.lineno, "", f"template error: {message}")


def build_file(path: Path, out_dir: Path, name: str | None = None) -> Result:
    """Build a content file without variants, always rendering: the library's simplest call."""
    return build_unit(Unit(path, name or str(path)), out_dir)
