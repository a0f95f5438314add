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
from ..files import Stamp, stamp
from . import markup
from .assets import BUNDLED

BUNDLED_MESSAGES = BUNDLED / "messages"
REFERENCE = "en"
MAX_LABEL = 300  # characters: the longest bundled label is a sentence a screen reader says


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _odd_placeholder(text: str) -> str | None:
    """Why a label's ``{...}`` is not a plain placeholder, else None.

    A catalog is data: ``str.format`` would read ``{date:d}`` as a format (an error at render
    time), ``{x:99999999}`` as a width (a label of 100 MB), ``{date!r}`` as Python's view of
    the value and ``{date.year}`` or ``{x[0]}`` as a lookup; only ``{name}`` is a placeholder.
    """
    for _, name, spec, conversion in string.Formatter().parse(text):
        if name is None:
            continue
        shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        if not name.isidentifier() or not name.isascii():
            return (f"{shown} is not a placeholder: a placeholder is a name in braces, like {{date}}; "
                    "to print a brace, double it: {{ or }}")
        if conversion or spec:
            return (f"{shown}: write the placeholder alone, {{{name}}}; brochure writes its value the "
                    "language's way, without a format")
    return None


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
    # Where each label's words were read: the catalog (``messages/es.yaml`` in the content's
    # folder, or ``bundled messages/es.yaml``) and its line, for a mistake found later.
    places: Mapping[str, tuple[str, int | None]] = field(default_factory=dict)

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


def place(labels: Labels, key: str, content_dir: Path) -> tuple[str, int | None]:
    """The file (as messages name it) and line where label ``key`` was read."""
    from ..discover import shown

    file, line = labels.places.get(key, (f"bundled messages/{REFERENCE}.yaml", None))
    return (shown(content_dir / file) if file.startswith("messages/") else file), line


def problems(brochure: Brochure, source: Source, content_dir: Path) -> list[Problem]:
    """What keeps ``brochure``'s language from being printed: at the content's ``lang`` line."""
    # At the lang line of the file that says it: the handout's, or the project file's it inherits.
    file, line = source.origin(("lang",)) if _written(source, ("lang",)) else (source.file, None)
    return _placed(brochure.lang, content_dir, file, line)


def project_problems(project: Source, root: Path) -> list[Problem]:
    """What keeps the project file's ``lang`` (every handout's, unless it says its own) from
    being printed, at its line in ``brochure.yaml``: reported once, before any handout is built."""
    lang = project.data.get("lang")
    if not isinstance(lang, str):
        return []
    return _placed(lang, root, project.file, project.lines.get(("lang",)))


def _placed(lang: str, content_dir: Path, file: str, line: int | None) -> list[Problem]:
    """The problems of ``lang``'s labels: about the language at ``file:line``, in a catalog at its own line."""
    from ..discover import shown

    _, found = _load(lang, content_dir.resolve(), _stamp(lang, content_dir.resolve()))
    return [Problem(file, line, "lang", p.message) if p.file == ""
            else Problem(shown(content_dir / p.file), p.line, p.key, p.message) if p.file.startswith("messages/")
            else p for p in found]


def _written(source: Source, path: tuple[str, ...]) -> bool:
    """Whether ``path`` is written in the content file or the project file it inherits from."""
    return path in source.lines or (source.parent is not None and _written(source.parent, path))


def _stamp(lang: str, content_dir: Path) -> tuple[tuple[str, Stamp | None], ...]:
    """The catalogs as they are now (``files.stamp``): the cache key, so a saved catalog is read
    again, also one copied over with its old time (``cp -p``) or saved twice within a tick."""
    return tuple((str(path), stamp(path)) for path in catalog_files(lang, content_dir))


@lru_cache(maxsize=32)
def _load(lang: str, content_dir: Path, _stamp: tuple[tuple[str, Stamp | None], ...]) -> tuple[Labels, tuple[Problem, ...]]:
    reference, found = _read(BUNDLED_MESSAGES / f"{REFERENCE}.yaml", content_dir)
    assert not found, found  # the bundled reference catalog is brochure's own: it always reads
    words: dict[str, str] = {}
    places: dict[str, tuple[str, int | None]] = {}
    inputs: dict[Path, str] = {}
    problems: list[Problem] = []
    for path in catalog_files(lang, content_dir):
        if not path.is_file() and not path.is_symlink():
            inputs[path] = "missing"
            continue
        outside = _leads_out(path, content_dir)
        if outside:
            problems.append(Problem(_shown(path, content_dir), None, "", outside))
            continue
        catalog, read_problems = _read(path, content_dir)
        problems += read_problems
        inputs.update(catalog.inputs)
        for key, value in catalog.data.items():
            problems += _wrong(key, value, reference.data, catalog, path, content_dir)
            if isinstance(value, str) and key in reference.data:
                words[key] = value
                places[key] = (catalog.file, catalog.lines.get((key,)))
    problems += _locale_problems(lang)
    missing = [key for key in reference.data if key not in words]
    if missing and not problems:
        problems.append(_missing(lang, missing, reference.data, words, content_dir))
    return Labels(lang, words, inputs, places), tuple(problems)


def _leads_out(path: Path, content_dir: Path) -> str | None:
    """Why the clinic's catalog ``path`` may not be read, else None: like every file of a
    project, it must be a file inside the project's folder, not a link leading out of it."""
    if path.is_relative_to(BUNDLED_MESSAGES):
        return None
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):  # a link to nothing, or a loop of links
        return "is a link that leads to no file (a loop, or a file since moved); put the catalog itself here"
    if not resolved.is_relative_to(content_dir):
        return "is a link to a file outside the project's folder; copy the catalog into messages/ instead"
    if not resolved.is_file():
        return "is not a file; a label catalog is a .yaml file of labels"
    return None


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
    if len(value) > MAX_LABEL:
        return [Problem(catalog.file, line, key, f"is {len(value)} characters long; a label is a few words "
                                                 f"(at most {MAX_LABEL} characters)")]
    try:
        odd = _odd_placeholder(value)
        used = _placeholders(value)
    except ValueError:
        return [Problem(catalog.file, line, key, "a { has no matching }; write braces only around a placeholder")]
    if odd:
        return [Problem(catalog.file, line, key, odd)]
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
