"""Build: content files in, print and email PDFs out, only what changed, nothing half-written.

A *unit* is one brochure: a content file, or one variant (location) of it. Each unit's
PDFs are rendered in memory and renamed into place only when all of them succeeded, so
a mistake never costs the last good PDFs; outputs whose inputs did not change (the
manifest) are not rendered at all.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import jinja2

from . import forked, manifest
from .content import Brochure, Source
from .content.described import BrochureList, Failed, images, load_described
from .discover import content_root, real
from .environment import source_date_epoch
from .errors import ContentError, Problem
from .files import file_hash
from .outputs import KINDS
from .render import html, job, labels, pdf, separations, trifold
from .render.assets import BUNDLED
from .render.glyphs import blank_glyphs, label_glyphs, missing_glyphs

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
    for path, digest in hashes.items():  # a file read through a link: the link too, as named
        if path.is_absolute() and real(path) != path and real(path) in hashes:
            inputs[book.key(path, follow=False)] = digest
    own = content_dir.resolve() / "templates"
    for used in hashes:
        if used.resolve().is_relative_to(BUNDLED) and own != BUNDLED:
            shadow = own / used.resolve().relative_to(BUNDLED)
            inputs[book.key(shadow)] = file_hash(shadow)
    return inputs


def write_problem(error: OSError, out_dir: Path) -> Problem:
    """A PDF folder that cannot take the PDFs (full disk, read-only, permissions, a name too
    long): the user's to fix, in one line; nothing in it was changed."""
    reason = error.strerror or str(error)
    if isinstance(error, (FileExistsError, NotADirectoryError)):
        reason = "a file of that name is in the way of the folder"
    return Problem(str(out_dir), None, "", f"cannot write the PDFs here: {reason}; nothing in this folder was changed")


def validated(unit: Unit) -> tuple[Brochure, Source, Path, str]:
    """The unit's brochure, validated and printable, its source, folder, and how messages name it."""
    brochure, source, content_dir, where = _described(unit)
    _printable(brochure, source, content_dir, where)
    return brochure, source, content_dir, where


def _described(unit: Unit) -> tuple[Brochure, Source, Path, str]:
    """The unit's brochure, validated (read once per process: ``described``), its source, folder,
    and how messages name it; whether its words can be printed is ``_printable``'s to say."""
    described, failed = load_described(unit.path, unit.name)
    if unit.variant in failed:
        raise ContentError(failed[str(unit.variant)])
    chosen = [(b, s) for variant, b, s in described if variant == unit.variant]
    if not chosen:
        raise ContentError([Problem(unit.name, None, "variants", f"there is no variant '{unit.variant}' any more")])
    brochure, source = chosen[0]
    content_dir = content_root(unit.path)
    where = f"variant {unit.variant}: " if unit.variant else ""
    return brochure, source, content_dir, where


def _printable(brochure: Brochure, source: Source, content_dir: Path, where: str) -> None:
    """Raise ``ContentError`` when the theme's font lacks a character the brochure prints, or its
    language's labels cannot be printed."""
    unprintable = missing_glyphs(brochure, source, html.search_path(content_dir), where, content_dir)
    unprintable += labels.problems(brochure, source, content_dir)  # the words brochure prints, in its language
    if not unprintable:  # theme.font draws every character it says it has, the labels' too
        words = labels.load(brochure.lang, content_dir)
        printed = {key: (re.sub(r"\{\w+\}", "", text), *labels.place(words, key, content_dir))  # placeholders are filled in
                   for key, text in words.words.items()}
        unprintable += label_glyphs(brochure, source, printed, html.search_path(content_dir), content_dir)
        dates = [words.date(brochure.revised)] if brochure.revised else []
        unprintable += blank_glyphs(brochure, source, content_dir, [text for text, _, _ in printed.values()] + dates)
    if unprintable:
        raise ContentError(unprintable)


def _job(brochure: Brochure, output: html.Output, document: str, content_dir: Path, epoch: int,
         words: labels.Labels) -> job.Job:
    return job.Job(document, output.name, brochure.layout, brochure.paper, brochure.print.bleed, content_dir, epoch,
                   html.output_profile(brochure, content_dir), labels.link_descriptions(document, brochure.clinic, words))


def prepare(unit: Unit) -> list[job.Job]:
    """The unit's PDFs to render, as jobs, and nothing written: what a warm-up renders. The
    templates each output is made from are found too, as a build finds them for its manifest
    (Jinja parses them once per process: about 25 ms the first edit no longer pays)."""
    brochure, _, content_dir, _ = validated(unit)
    words = labels.load(brochure.lang, content_dir)
    epoch = epoch_for(brochure)
    stamp = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    jobs = []
    for output in html.outputs(brochure):
        jobs.append(_job(brochure, output, _html(brochure, output, content_dir, stamp, words), content_dir, epoch,
                         words))
        html.template_files(content_dir, output)
    return jobs


Planned = dict[str, tuple[job.Job, str, dict[Path, str]]]  # output -> its job, settings, templates


@dataclass(frozen=True)
class _Building:
    """What each step of building one unit reads: the unit, its validated content, its words
    and where its PDFs go."""

    unit: Unit
    brochure: Brochure
    source: Source
    content_dir: Path
    where: str  # "variant <id>: " or "", before messages
    words: labels.Labels
    targets: dict[str, Path]


def build_unit(unit: Unit, out_dir: Path, known: manifest.Manifest | None = None,
               force: bool = False, review: Review | None = None) -> Result:
    """Build one unit into ``out_dir``; raise ``ContentError`` (nothing written) on a mistake.

    With ``review``, the unit's PDFs are then checked (``Result.findings``): the one way
    to build, then check, for ``build``, ``check``, ``watch`` and ``serve`` alike.
    """
    brochure, source, content_dir, where = _described(unit)
    targets = pdf_paths(brochure, out_dir, unit.variant)
    result = Result(unit, outputs=dict(targets))
    book = known if known is not None else manifest.Manifest(out_dir)
    prepared = _prepare(_Described(unit, brochure, source, content_dir, where, targets), known, force, review)
    words, planned, mistake, result.skipped, ahead = prepared
    ahead.keep()
    it = _Building(unit, brochure, source, content_dir, where, words, targets)
    # A core left free: the other PDFs and the checks there (none after a mistake: they would not be reported).
    with _beside(it, planned, review if mistake is None else None) as aside:
        made_all = _render(it, planned, aside)
        if mistake is not None:  # in an output's HTML: raised once the outputs before it rendered
            raise ContentError(mistake)
        rendered, entries = _record(it, book, planned, made_all, result)
        _commit(book, rendered, entries, out_dir)
        result.written = list(rendered)
        result.warnings = list(dict.fromkeys(result.warnings))
        if review is not None:
            result.findings = _review(it, result, review, aside)
    return result


@dataclass(frozen=True)
class _Described:
    """A unit's content as read, before ``_printable`` and its HTML: what ``_prepared`` starts from."""

    unit: Unit
    brochure: Brochure
    source: Source
    content_dir: Path
    where: str
    targets: dict[str, Path]


@dataclass(frozen=True)
class _Ahead:
    """What the print PDF's render would work out, worked out before it (by the helper that
    prepares, while this process imports WeasyPrint): its colour profile deflated
    (``pdf.deflated_profiles``) and its pictures made CMYK (``separations.made_ahead``)."""

    profiles: dict[bytes, bytes]
    pictures: dict[tuple[str, str, Path], tuple[bytes, str | None]]

    def keep(self) -> None:
        """Kept in this process's caches, each by the bytes it was made from."""
        pdf.known_profiles(self.profiles)
        separations.keep_ahead(self.pictures)


# The unit's labels, the job of each output to render, the problems of the first output whose
# HTML has a mistake (None: none), the outputs skipped as up to date, and ``_Ahead``.
Prepared = tuple[labels.Labels, Planned, list[Problem] | None, list[Path], _Ahead]


def _prepare(unit: _Described, known: manifest.Manifest | None, force: bool, review: Review | None) -> Prepared:
    """``_prepared``: in a forked helper while this process imports WeasyPrint (and the checks),
    when this build may fork one (``forked.allowed``) and has a PDF to render; else here. Each
    costs about as much as the other, and both must come before the first PDF: at the same time,
    on two cores, the first PDF starts sooner. A mistake in the content is raised here: the
    helper does not deliver it, so it is found again, as without a helper."""
    if job.pooled() or not forked.allowed() or not _stale(unit, known, force):
        return _prepared(unit, known, force, False)
    with forked.Beside([partial(_prepared, unit, known, force, True)]) as ahead:
        if ahead.pid is not None:  # what the rendering needs, meanwhile, and the helpers forked later with it
            job.imported()
            if review is not None:
                import brochure.checks.review  # noqa: F401
        prepared: Prepared = ahead.result(0)
    return prepared


def _stale(unit: _Described, known: manifest.Manifest | None, force: bool) -> bool:
    """Whether an output of the unit is to be rendered (not up to date)."""
    return force or known is None or not all(
        known.fresh(unit.targets[output.name], manifest.settings_fingerprint(output.name, unit.unit.variant),
                    unit.unit.path) for output in html.outputs(unit.brochure))


def _prepared(unit: _Described, known: manifest.Manifest | None, force: bool, beside: bool) -> Prepared:
    """The unit checked printable (``_printable``), its labels, and each output's job, as
    ``_plan_outputs`` plans them: the work between reading the content and rendering; ``beside``
    (in a helper), also what the print PDF's render would work out (``_Ahead``)."""
    _printable(unit.brochure, unit.source, unit.content_dir, unit.where)
    words = labels.load(unit.brochure.lang, unit.content_dir)
    it = _Building(unit.unit, unit.brochure, unit.source, unit.content_dir, unit.where, words, unit.targets)
    skipped: list[Path] = []
    planned, mistake = _plan_outputs(it, known, force, skipped)
    # The print PDF's output intent deflated (~50 ms) and its pictures made CMYK (the logo: ~70 ms):
    # then not on the way to the PDF.
    cmyk = sorted({made.profile for made, _, _ in planned.values()
                   if beside and made.profile is not None and KINDS[made.output].cmyk})
    pictures = [unit.content_dir / image for image in images(unit.brochure) if image]
    ahead = _Ahead(pdf.deflated_profiles(set(cmyk)),
                   {key: made for profile in cmyk for key, made in separations.made_ahead(pictures, profile).items()})
    return words, planned, (mistake.problems if mistake is not None else None), skipped, ahead


def _beside(it: _Building, planned: Planned, review: Review | None) -> forked.Beside:
    """Work for a forked helper, when this build may have one (``forked.allowed``): the PDFs
    after the first (this process renders the first), then the checks of the content's words,
    which need no PDF. None without a second core, or when a pool of warm workers renders."""
    jobs = [made for made, _, _ in planned.values()]
    if not forked.allowed() or job.pooled() or (len(jobs) < 2 and review is None):
        return forked.Beside([])
    if jobs:
        job.imported()  # before the fork: the helper starts with WeasyPrint imported
    if review is not None:  # and with the checks (this process checks the first PDF with them)
        import brochure.checks.review  # noqa: F401
    tasks: list[Callable[[], object]] = [partial(_others, it, jobs[1:], review)]
    if review is not None:
        tasks.append(lambda: _content_findings(it, review))
    return forked.Beside(tasks)


def _others(it: _Building, jobs: list[job.Job],
            review: Review | None) -> tuple[list[pdf.Rendered], list[Finding], list[str]]:
    """A helper's first task: the PDFs after the first, rendered, then with ``review`` checked
    from their bytes (the findings name the PDFs this process writes from the same bytes); and
    the outputs whose PDFs were checked."""
    made = [job.render(one) for one in jobs]
    if review is None:
        return made, [], []
    from .checks.review import pdf_checks

    settings = review.settings or it.brochure.checks
    checks = pdf_checks(it.brochure, it.source, it.content_dir, {one.output: it.targets[one.output] for one in jobs},
                        settings, {one.output: rendered.data for one, rendered in zip(jobs, made)})
    return made, [finding for check in checks for finding in check()], [one.output for one in jobs]


def _plan_outputs(it: _Building, known: manifest.Manifest | None, force: bool,
                  skipped: list[Path]) -> tuple[Planned, ContentError | None]:
    """The job of each output not up to date (those are added to ``skipped``), up to the first
    output whose HTML has a mistake, and that mistake."""
    unit, brochure, content_dir, words, targets = it.unit, it.brochure, it.content_dir, it.words, it.targets
    epoch = epoch_for(brochure)
    stamp = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    jobs: Planned = {}
    mistake: ContentError | None = None
    for output in html.outputs(brochure):
        target = targets[output.name]
        settings = manifest.settings_fingerprint(output.name, unit.variant)
        if known is not None and not force and known.fresh(target, settings, unit.path):
            skipped.append(target)
            continue
        try:
            document = _html(brochure, output, content_dir, stamp, words)
        except ContentError as error:
            mistake = error
            break
        templates = {path: html.LOADED.get(path) or file_hash(path)
                     for path in html.template_files(content_dir, output)}
        jobs[output.name] = (_job(brochure, output, document, content_dir, epoch, words), settings, templates)
    return jobs, mistake


def _render(it: _Building, planned: Planned, aside: forked.Beside) -> list[pdf.Rendered]:
    """The planned PDFs, rendered (the first here, the others by ``aside`` when it has a helper);
    a PDF that cannot be made is a ``ContentError``."""
    unit, source, where = it.unit, it.source, it.where
    jobs = [made for made, _, _ in planned.values()]
    try:
        if aside.tasks and jobs:
            return [job.render(jobs[0]), *aside.result(0)[0]]
        return job.render_all(jobs)
    except pdf.RenderError as error:
        which = getattr(error, "output", "")  # which PDF: job.render says
        raise ContentError([Problem(unit.name, None, "", f"{where}the {which} PDF could not be made: {error}")]) from None
    except trifold.Overflow as error:
        raise ContentError([Problem(unit.name, source.line((error.key,)), error.key, f"{where}{error}.")]) from None


def _record(it: _Building, book: manifest.Manifest, planned: Planned, made_all: list[pdf.Rendered],
            result: Result) -> tuple[dict[Path, bytes], dict[str, manifest.Entry]]:
    """Each rendered PDF's bytes by target, and its manifest entry (the files it was made from)."""
    unit, source, content_dir, words, targets = it.unit, it.source, it.content_dir, it.words, it.targets
    rendered: dict[Path, bytes] = {}
    entries: dict[str, manifest.Entry] = {}
    for (name, (_, settings, templates)), made in zip(planned.items(), made_all):
        target = targets[name]
        rendered[target] = made.data
        result.warnings += made.warnings
        hashes = made.files | templates | source.inputs | words.inputs
        entries[target.name] = manifest.Entry(
            book.key(unit.path), name, unit.variant, settings, _inputs(hashes, content_dir, book),
            hashlib.sha256(made.data).hexdigest())
    return rendered, entries


def _commit(book: manifest.Manifest, rendered: dict[Path, bytes], entries: dict[str, manifest.Entry],
            out_dir: Path) -> None:
    """The unit's PDFs and their manifest entries: all of them, or nothing."""
    if rendered:
        try:
            book.commit(rendered, entries)
        except OSError as error:
            raise ContentError([write_problem(error, out_dir)]) from None


def _review(it: _Building, result: Result, review: Review, aside: forked.Beside) -> list[Finding]:
    """The findings of the checks on the unit's content and PDFs: ``checks.review.review``'s, or
    with a helper, the same findings made at the same time: the words' and those of the PDFs it
    rendered by ``aside``, the others' (the first PDF's) here."""
    from .checks.review import pdf_checks, reported
    from .checks.review import review as check

    if len(aside.tasks) < 2:
        return check(it.brochure, it.source, it.content_dir, result.outputs, review.settings, review.today)
    settings = review.settings or it.brochure.checks
    _, found, beside = aside.result(0)
    here = pdf_checks(it.brochure, it.source, it.content_dir,
                      {name: path for name, path in result.outputs.items() if name not in beside}, settings)
    # The first PDF's checks in two halves at once: its contrast (its pages rendered) in a
    # helper forked now, the others here; with no helper, all of them here, in one reading.
    if any(KINDS[name].sheet for name in result.outputs if name not in beside):
        import pypdfium2  # noqa: F401  # the layout check here renders a sheet's pages too: the helper starts with it
    with forked.Beside([partial(checked, part="contrast") for checked in here]) as contrasts:
        if contrasts.pid is None:
            found = found + [finding for checked in here for finding in checked()]
        else:
            found = found + [finding for checked in here for finding in checked(part="rest")]
            found += [finding for index in range(len(here)) for finding in contrasts.result(index)]
    found += aside.result(1)
    return reported(found, it.source)


def _content_findings(it: _Building, review: Review) -> list[Finding]:
    """The findings about the unit's words (``checks.review.check_content``)."""
    from .checks.review import check_content

    return check_content(it.brochure, it.source, review.settings or it.brochure.checks, review.today)


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
