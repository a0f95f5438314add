"""Labels: every word brochure itself prints, in the handout's language, from message catalogs.

The words around a handout's own text ("Questions? Contact us", "Call", "Revised ...",
"Page 2 of 3", the QR code's alt text, what a screen reader says for a link) come from a
catalog per language: ``templates/messages/<lang>.yaml`` bundled (English and Spanish), and
``messages/<lang>.yaml`` beside the content, where a clinic adds a language or rewords a
label without copying a template. For ``lang: es-US`` the catalogs read are, later ones
winning: bundled ``es``, bundled ``es-US``, the clinic's ``es``, the clinic's ``es-US``.

English is the reference: its keys and their ``{placeholders}`` are what every language must
have. A language with no catalog, or one that lacks labels, is a located problem naming the
missing labels, never silent English. Dates are written by Babel from the CLDR data.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..content import Brochure, Clinic, Source, read_source
from ..errors import ContentError, Problem
from . import markup
from .assets import BUNDLED

BUNDLED_MESSAGES = BUNDLED / "messages"
REFERENCE = "en"


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _candidates(lang: str) -> list[str]:
    """``es-US`` -> ``["es", "es-US"]``: the language, then its regional variant."""
    parts = lang.split("-")
    names = ["-".join(parts[:i]) for i in range(1, len(parts) + 1)]
    return [parts[0].lower()] + names[1:]


def catalog_files(lang: str, content_dir: Path) -> list[Path]:
    """Every catalog file that may hold labels for ``lang``, read in this order (later wins).

    Files that do not exist are listed too: a catalog added later must rebuild the PDFs.
    """
    names = _candidates(lang)
    return [BUNDLED_MESSAGES / f"{n}.yaml" for n in names] + [content_dir / "messages" / f"{n}.yaml" for n in names]


def language_name(lang: str) -> str:
    """``es`` -> ``Spanish``; the code itself when Babel does not know it."""
    from babel import Locale, UnknownLocaleError

    try:
        return str(Locale.parse(lang.replace("-", "_")).get_display_name("en"))
    except (UnknownLocaleError, ValueError):
        return lang


@dataclass(frozen=True)
class Labels:
    """The labels of one language, and how that language writes dates and numbers."""

    lang: str
    words: Mapping[str, str]
    inputs: dict[Path, str] = field(default_factory=dict)  # catalog files: sha256 of what was read, or "missing"

    def __call__(self, key: str, **values: Any) -> str:
        """The label ``key`` with its ``{placeholders}`` filled in."""
        return self.words[key].format_map({k: str(v) for k, v in values.items()})

    def date(self, value: date) -> str:
        """A date as the language writes it in a sentence: ``25 de noviembre de 2026``."""
        from babel.dates import format_date

        return str(format_date(value, "long", locale=_locale(self.lang)))

    def number(self, value: float) -> str:
        """A number as the language writes it: ``1,234.5`` in English, ``1234,5`` in Spanish."""
        from babel.numbers import format_decimal

        return str(format_decimal(value, locale=_locale(self.lang)))

    @property
    def direction(self) -> str:
        """``rtl`` for a language written right to left (Arabic, Hebrew...), else ``ltr``."""
        return "rtl" if _locale(self.lang).character_order == "right-to-left" else "ltr"

    def page_parts(self) -> tuple[str, str, str]:
        """``Page {page} of {pages}`` cut around its numbers, for the page footer's CSS counters."""
        text = self.words["page_number"]
        before, rest = text.split("{page}", 1)
        between, after = rest.split("{pages}", 1)
        return before, between, after


def _locale(lang: str) -> Any:
    from babel import Locale

    return Locale.parse(lang.replace("-", "_"))


def load(lang: str, content_dir: Path) -> Labels:
    """The labels for ``lang``: raise ``ContentError`` naming what is missing."""
    labels, problems = _load(lang, content_dir.resolve(), _stamp(lang, content_dir.resolve()))
    if problems:
        raise ContentError([Problem(p.file or str(content_dir), p.line, p.key, p.message) for p in problems])
    return labels


def problems(brochure: Brochure, source: Source, content_dir: Path) -> list[Problem]:
    """What keeps ``brochure``'s language from being printed: at the content's ``lang`` line."""
    _, found = _load(brochure.lang, content_dir.resolve(), _stamp(brochure.lang, content_dir.resolve()))
    line = source.lines.get(("lang",))
    folder = Path(source.file).parent
    return [Problem(source.file, line, "lang", p.message) if p.file == ""
            else Problem(str(folder / p.file), p.line, p.key, p.message) if p.file.startswith("messages/") else p
            for p in found]


def _stamp(lang: str, content_dir: Path) -> tuple[tuple[str, int], ...]:
    """The catalogs' modification times: the cache key, so a saved catalog is read again."""
    stamps = []
    for path in catalog_files(lang, content_dir):
        try:
            stamps.append((str(path), path.stat().st_mtime_ns))
        except OSError:
            stamps.append((str(path), -1))
    return tuple(stamps)


@lru_cache(maxsize=32)
def _load(lang: str, content_dir: Path, _stamp: tuple[tuple[str, int], ...]) -> tuple[Labels, tuple[Problem, ...]]:
    reference, found = _read(BUNDLED_MESSAGES / f"{REFERENCE}.yaml", content_dir)
    assert not found, found  # the bundled reference catalog is brochure's own: it always reads
    words: dict[str, str] = {}
    inputs: dict[Path, str] = {}
    problems: list[Problem] = []
    for path in catalog_files(lang, content_dir):
        if not path.is_file():
            inputs[path] = "missing"
            continue
        catalog, read_problems = _read(path, content_dir)
        problems += read_problems
        inputs.update(catalog.inputs)
        for key, value in catalog.data.items():
            problems += _wrong(key, value, reference.data, catalog, path, content_dir)
            if isinstance(value, str) and key in reference.data:
                words[key] = value
    problems += _locale_problems(lang)
    missing = [key for key in reference.data if key not in words]
    if missing and not problems:
        problems.append(_missing(lang, missing, reference.data, words, content_dir))
    return Labels(lang, words, inputs), tuple(problems)


def _shown(path: Path, content_dir: Path) -> str:
    return str(path.relative_to(content_dir)) if path.is_relative_to(content_dir) else f"bundled messages/{path.name}"


def _read(path: Path, content_dir: Path) -> tuple[Source, list[Problem]]:
    try:
        catalog = read_source(path, _shown(path, content_dir))
    except ContentError as error:
        return Source(_shown(path, content_dir), {}), error.problems
    return catalog, list(catalog.problems)


def _wrong(key: str, value: Any, reference: dict[str, Any], catalog: Source, path: Path, content_dir: Path) -> list[Problem]:
    """A label that is not one, is not text, or loses or invents a ``{placeholder}``."""
    import difflib

    line = catalog.lines.get((key,))
    if key not in reference:
        close = difflib.get_close_matches(key, list(reference), n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else f"the labels are listed in bundled messages/{REFERENCE}.yaml"
        return [Problem(catalog.file, line, key, f"unknown label; {hint}")]
    if not isinstance(value, str) or not value.strip():
        return [Problem(catalog.file, line, key, "must be the label's words")]
    try:
        used = _placeholders(value)
    except ValueError:
        return [Problem(catalog.file, line, key, "a { has no matching }; write braces only around a placeholder")]
    wanted = _placeholders(str(reference[key]))
    if used != wanted:
        need = ", ".join(f"{{{n}}}" for n in sorted(wanted)) or "no placeholder"
        return [Problem(catalog.file, line, key, f"must use {need}, as in \u201c{reference[key]}\u201d")]
    if key == "page_number" and value.index("{page}") > value.index("{pages}"):
        return [Problem(catalog.file, line, key, "{page} must come before {pages}")]
    return []


def _locale_problems(lang: str) -> list[Problem]:
    from babel import UnknownLocaleError

    try:
        _locale(lang)
    except (UnknownLocaleError, ValueError):
        return [Problem("", None, "lang", f"'{lang}' is a language the locale data (CLDR, through Babel) does not "
                                          "know, so its dates cannot be written; use the code of a language it has")]
    return []


def _missing(lang: str, missing: list[str], reference: dict[str, Any], words: dict[str, str], content_dir: Path) -> Problem:
    name = language_name(lang)
    shown = ", ".join(f"{key} (\u201c{reference[key]}\u201d)" for key in missing)
    where = f"messages/{_candidates(lang)[0]}.yaml"
    if not words:
        return Problem("", None, "lang", f"brochure has no labels in {name} ('{lang}'): add {where} beside the content, "
                                         f"with these labels in {name}: {shown}")
    return Problem("", None, "lang", f"the {name} labels are incomplete: add to {where} beside the content: {shown}")


def link_descriptions(html: str, clinic: Clinic, labels: Labels) -> dict[str, str]:
    """What a screen reader says for every link of a document: the clinic's own by its name,
    any other phone, email or web address by what it does, in the handout's language."""
    spoken: dict[str, str] = {}
    shown = dict(re.findall(r'<a\b[^>]*\bhref="([^"]+)"[^>]*>([^<]*)</a>', html))
    for href in dict.fromkeys(re.findall(r'<a\b[^>]*\bhref="([^"]+)"', html)):
        written = re.sub(r"[\u200b\u2060]", "", shown.get(href, "")).strip()
        href = href.replace("&amp;", "&")
        scheme, _, rest = href.partition(":")
        if scheme == "tel":
            # A number as the text writes it ("+34 912 345 678"), read in groups, not as one long number.
            phone = _shown_phone(rest)
            if not phone.startswith("(") and re.fullmatch(r"[+\d][\d\s().-]+", written):
                phone = written
            spoken[href] = labels("call_number", phone=phone)
        elif scheme == "mailto":
            spoken[href] = labels("email_address", email=rest.split("?")[0])
        elif scheme in ("http", "https"):
            spoken[href] = labels("open_address", address=markup.web_label(href))
        elif re.fullmatch(r"#note-\d+", href):  # a footnote's number: "Note 1", "Nota 1"
            spoken[href] = f"{labels('callout_note')} {href.rsplit('-', 1)[1]}"
    if clinic.phone:
        spoken[markup.tel_href(clinic.phone)] = labels("call_clinic", clinic=clinic.name, phone=clinic.phone)
    if clinic.email:
        spoken[f"mailto:{clinic.email}"] = labels("email_clinic", clinic=clinic.name, email=clinic.email)
    if clinic.website:
        spoken[markup.web_href(clinic.website)] = labels("open_clinic_website", clinic=clinic.name,
                                                          address=markup.web_label(clinic.website))
    return spoken


def _shown_phone(number: str) -> str:
    digits = re.sub(r"[^\d+]", "", number.split(";")[0])
    if re.fullmatch(r"\+1\d{10}", digits):  # North America: as a clinic writes it
        return f"({digits[2:5]}) {digits[5:8]}-{digits[8:]}"
    return digits
