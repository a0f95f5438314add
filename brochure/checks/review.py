"""Review: every finding for one brochure whose PDFs are built: its words, then its PDFs.

``Brochure + Source --text/reading/terms/required--> findings about the words``
``each PDF made (by output kind) --pdfread/layout/design/accessibility--> findings about what is seen``
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import pikepdf

from ..content import Brochure, Checks, Source
from ..environment import review_day
from ..outputs import KINDS
from .accessibility import alt_text, tagging
from .design import (
    ImageSource,
    backgrounds,
    content_images,
    contrast,
    fonts,
    image_resolution,
    type_size,
)
from .findings import Finding
from .layout import layout
from .origin import placed
from .pdfread import read_pages
from .text import text_blocks
from .traced import Texts


def review(brochure: Brochure, source: Source, content_dir: Path, pdfs: Mapping[str, Path],
           settings: Checks | None = None, today: date | None = None) -> list[Finding]:
    """Every finding for a brochure and its built PDFs (``pdfs``: each PDF by its output
    kind's name, as ``build.Result.outputs``), each once, in report order.

    ``settings`` defaults to the brochure's own ``checks:``; ``today`` (for the review date)
    to ``environment.review_day`` (SOURCE_DATE_EPOCH's day, else today in UTC).
    """
    settings = settings or brochure.checks
    found = check_content(brochure, source, settings, today)
    for check in pdf_checks(brochure, source, content_dir, pdfs, settings):
        found += check()
    return reported(found, source)


def pdf_checks(brochure: Brochure, source: Source, content_dir: Path, pdfs: Mapping[str, Path],
               settings: Checks, data: Mapping[str, bytes] | None = None) -> list[partial[list[Finding]]]:
    """``review``'s checks of each PDF, one call each, in ``pdfs``' order: independent of one
    another, so a build may run them at the same time (``build``'s forked helper). A PDF whose
    bytes are in ``data`` (by output kind) is read from them, not from its path."""
    images, texts = content_images(brochure, source, content_dir), Texts(brochure, source)
    return [partial(check_pdf, path, role, settings, images, texts, (data or {}).get(role))
            for role, path in pdfs.items()]


def reported(found: Sequence[Finding], source: Source) -> list[Finding]:
    """Findings as ``review`` reports them: each once, in report order, and a key the handout
    inherits reported where it is written (brochure.yaml, at its line)."""
    return sorted({placed(finding, source) for finding in found}, key=Finding.sort_key)


def check_content(brochure: Brochure, source: Source, settings: Checks | None = None,
                  today: date | None = None) -> list[Finding]:
    """Every finding about the words of ``brochure``: reading level, jargon, claims, required parts,
    each in the brochure's language (``languages``), and for a translation what no longer matches
    its source."""
    # Imported here: a build's checks of its PDFs (in another process than these) never load them.
    from .contacts import contacts
    from .languages import language_of
    from .rarity import knows, rare_words
    from .reading import long_sentences, reading_level
    from .required import required
    from .terms import claims, jargon, load_claims, load_terms
    from .translation import translation

    settings = settings or brochure.checks
    blocks = list(text_blocks(brochure, source))
    language = language_of(brochure.lang)
    findings = (required(brochure, source, today or review_day(), blocks, language)
                + reading_level(brochure, source, settings)
                + long_sentences(brochure, source, settings)
                + jargon(blocks, source.file, load_terms(tuple(settings.extra_terms), language.wordlists), language)
                + rare_words(blocks, source.file, language, settings, brochure)
                + claims(blocks, source.file, load_claims(tuple(settings.extra_claims), language.wordlists), language)
                + translation(brochure, source)
                + contacts(brochure, source, blocks, settings))
    if language.wordlists is None:
        findings.append(Finding("jargon", "info", source.file, source.lines.get(("lang",)), "lang",
                                f"brochure has no lists of medical terms and claims in {language.name}: only "
                                "checks.extra_terms and checks.extra_claims were looked for"
                                + (f", and words rare in everyday {language.name}" if knows(language.code) else "")))
    return sorted(findings, key=Finding.sort_key)


def check_pdfs(pdfs: Mapping[str, Path], settings: Checks, images: Sequence[ImageSource] = (),
               texts: Texts | None = None) -> list[Finding]:
    """Every finding read from a brochure's PDFs: ``pdfs`` maps an output kind's name
    (``outputs.KINDS``) to its PDF; each is checked as its kind says (``check_pdf``).

    ``images`` (from ``content_images``) lets a low-resolution or misplaced picture, and
    ``texts`` (``traced.Texts``) misplaced words, be reported at the content line that names
    them, rather than only by page.
    """
    findings: list[Finding] = []
    for name, path in pdfs.items():
        findings += check_pdf(path, name, settings, images, texts)
    return sorted(findings, key=Finding.sort_key)


def check_pdf(path: Path, role: str, settings: Checks, images: Sequence[ImageSource] = (),
              texts: Texts | None = None, data: bytes | None = None, part: str = "all") -> list[Finding]:
    """The findings for one PDF; ``role`` is its output kind's name (``outputs.KINDS``). A kind
    printed on paper (``sheet``) has its pictures checked for resolution; a tagged one its
    structure tree and alt text. Callable on its own: each PDF is checked independently. With
    ``data``, the PDF is read from these bytes (those to be written at ``path``, which the
    findings name). ``part``: ``contrast`` (the text's contrast with its background, whose
    pages are rendered), ``rest`` (every other check) or ``all``: the two parts of one PDF
    can be checked at the same time, in two processes, and give ``all``'s findings together."""
    name = str(path)
    kind = KINDS[role]
    with pikepdf.open(io.BytesIO(data) if data is not None else path) as pdf:
        parsed: dict[tuple[int, int], list[Any]] = {}  # each stream's operators, parsed once for both
        runs, placed = read_pages(pdf, parsed)
        findings: list[Finding] = []
        if part != "contrast":
            findings += layout(name, role, pdf, runs, placed, texts, images, data)
            findings += type_size(name, runs, settings) + fonts(name, pdf)
            if kind.sheet:
                findings += image_resolution(name, placed, settings, images)
            if kind.tagged:
                findings += tagging(name, pdf) + alt_text(name, pdf)
        if part != "rest":  # last: it strips the text from ``pdf``
            findings += contrast(name, runs, backgrounds(pdf, runs, parsed))
    return sorted(findings, key=Finding.sort_key)
