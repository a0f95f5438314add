"""Prepared: what a unit's build works out before its first PDF: the content validated and
checked printable, its labels, each output's HTML as a job to render (``render.job``), the
outputs up to date skipped, and what the print PDF's render would work out (``Ahead``).

A build does this in a forked helper while it imports WeasyPrint, when it may fork one
(``build``, ``forked``); ``prepare`` is the same work for a warm-up, nothing written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from . import manifest
from .content import Brochure, Source
from .content.described import checked_files, images, load_described
from .discover import content_root
from .documents import document_html
from .errors import ContentError, Problem
from .files import file_hash
from .outputs import KINDS
from .render import html, job, labels, pdf, separations
from .render.glyphs import blank_glyphs, label_glyphs, missing_glyphs
from .units import Unit, epoch_for


def validated(unit: Unit) -> tuple[Brochure, Source, Path, str]:
    """The unit's brochure, validated and printable, its source, folder, and how messages name it."""
    brochure, source, content_dir, where = described(unit)
    printable(brochure, source, content_dir, where)
    return brochure, source, content_dir, where


def described(unit: Unit) -> tuple[Brochure, Source, Path, str]:
    """The unit's brochure, validated (read once per process: ``content.described``), its source, folder,
    and how messages name it; whether its words can be printed is ``printable``'s to say."""
    found, failed = load_described(unit.path, unit.name)
    if unit.variant in failed:
        raise ContentError(failed[str(unit.variant)])
    chosen = [(b, s) for variant, b, s in found if variant == unit.variant]
    if not chosen:
        raise ContentError([Problem(unit.name, None, "variants", f"there is no variant '{unit.variant}' any more")])
    brochure, source = chosen[0]
    content_dir = content_root(unit.path)
    where = f"variant {unit.variant}: " if unit.variant else ""
    return brochure, source, content_dir, where


def printable(brochure: Brochure, source: Source, content_dir: Path, where: str) -> None:
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


def _job(brochure: Brochure, source: Source, output: html.Output, document: str, content_dir: Path, epoch: int,
         words: labels.Labels) -> job.Job:
    return job.Job(document, output.name, brochure.layout, brochure.paper, brochure.print.bleed, content_dir, epoch,
                   html.output_profile(brochure, content_dir), labels.link_descriptions(document, brochure.clinic, words),
                   checked_files(brochure, source, content_dir))


def prepare(unit: Unit) -> list[job.Job]:
    """The unit's PDFs to render, as jobs, and nothing written: what a warm-up renders. The
    templates each output is made from are found too, as a build finds them for its manifest
    (Jinja parses them once per process: about 25 ms the first edit no longer pays)."""
    brochure, source, content_dir, _ = validated(unit)
    words = labels.load(brochure.lang, content_dir)
    epoch = epoch_for(brochure)
    stamp = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    jobs = []
    for output in html.outputs(brochure):
        jobs.append(_job(brochure, source, output, document_html(brochure, output, content_dir, stamp, words), content_dir, epoch,
                         words))
        html.template_files(content_dir, output)
    return jobs


Planned = dict[str, tuple[job.Job, str, dict[Path, str]]]  # output -> its job, settings, templates


@dataclass(frozen=True)
class Building:
    """What each step of building one unit reads: the unit, its validated content, its words
    and where its PDFs go."""

    unit: Unit
    brochure: Brochure
    source: Source
    content_dir: Path
    where: str  # "variant <id>: " or "", before messages
    words: labels.Labels
    targets: dict[str, Path]



@dataclass(frozen=True)
class Described:
    """A unit's content as read, before ``printable`` and its HTML: what ``prepare_unit`` starts from."""

    unit: Unit
    brochure: Brochure
    source: Source
    content_dir: Path
    where: str
    targets: dict[str, Path]


@dataclass(frozen=True)
class Ahead:
    """What the print PDF's render would work out, worked out before it (by the helper that
    prepares, while this process imports WeasyPrint): its colour profile deflated
    (``pdf.deflated_profiles``) and its pictures made CMYK (``separations.made_ahead``)."""

    profiles: dict[bytes, bytes]
    pictures: separations.Ahead

    def keep(self) -> None:
        """Kept in this process's caches, each by the bytes it was made from."""
        pdf.known_profiles(self.profiles)
        separations.keep_ahead(self.pictures)


# The unit's labels, the job of each output to render, the problems of the first output whose
# HTML has a mistake (None: none), the outputs skipped as up to date, and ``Ahead``.
Prepared = tuple[labels.Labels, Planned, list[Problem] | None, list[Path], Ahead]


def stale(unit: Described, known: manifest.Manifest | None, force: bool) -> bool:
    """Whether an output of the unit is to be rendered (not up to date). A PDF the manifest does
    not list is, without the settings' fingerprint (brochure's code hashed, about 20 ms of CPU
    before a cold build's helper forks; the helper works it out for the manifest's entries)."""
    return force or known is None or not all(
        unit.targets[output.name].name in known.entries
        and known.fresh(unit.targets[output.name], manifest.settings_fingerprint(output.name, unit.unit.variant),
                        unit.unit.path) for output in html.outputs(unit.brochure))


def prepare_unit(unit: Described, known: manifest.Manifest | None, force: bool, beside: bool) -> Prepared:
    """The unit checked printable (``printable``), its labels, and each output's job, as
    ``_plan_outputs`` plans them: the work between reading the content and rendering; ``beside``
    (in a helper), also what the print PDF's render would work out (``Ahead``)."""
    printable(unit.brochure, unit.source, unit.content_dir, unit.where)
    words = labels.load(unit.brochure.lang, unit.content_dir)
    it = Building(unit.unit, unit.brochure, unit.source, unit.content_dir, unit.where, words, unit.targets)
    skipped: list[Path] = []
    planned, mistake = _plan_outputs(it, known, force, skipped)
    # The print PDF's output intent deflated (~50 ms) and its pictures made CMYK (the logo: ~70 ms):
    # then not on the way to the PDF.
    cmyk = sorted({made.profile for made, _, _ in planned.values()
                   if beside and made.profile is not None and KINDS[made.output].cmyk})
    pictures = [unit.content_dir / image for image in images(unit.brochure) if image]
    ahead = Ahead(pdf.deflated_profiles(set(cmyk)),
                  {key: made for profile in cmyk for key, made in separations.made_ahead(pictures, profile).items()})
    return words, planned, (mistake.problems if mistake is not None else None), skipped, ahead



def _plan_outputs(it: Building, known: manifest.Manifest | None, force: bool,
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
            document = document_html(brochure, output, content_dir, stamp, words)
        except ContentError as error:
            mistake = error
            break
        templates = {path: html.LOADED.get(path) or file_hash(path)
                     for path in html.template_files(content_dir, output)}
        jobs[output.name] = (_job(brochure, it.source, output, document, content_dir, epoch, words), settings, templates)
    return jobs, mistake
