"""Picker: what the live preview shows, one handout in one language at one location at a time.

The preview's state is a ``FileView`` per content file: its mistakes, its PDFs and their
proofs (grouped by variant, each group titled with its location), its findings, its title and
language, and the file it translates. ``choose`` turns the views and the page's query
(``?handout=first-visit.yaml&location=liberty&lang=es-US``) into what the page offers (every
handout, and the chosen handout's locations and languages) and the one unit it shows, with a
label that says which. The choice lives in the address, so a live reload keeps it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .outputs import kind_of

if TYPE_CHECKING:
    from .runner import Outcome


@dataclass
class FileView:
    """What the page shows for one content file: its mistakes, its pages, its findings."""

    name: str
    errors: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    title: str = ""  # the handout's title, as the picker lists it (the file's name until built)
    lang: str = ""
    translates: str | None = None  # the name of the file this one translates, if it is among the views
    places: dict[str, str] = field(default_factory=dict)  # variant id -> "clinic name, first address line"
    path: Path | None = None  # the content file, as built (the name may be relative to another folder)

    @property
    def groups(self) -> list[dict[str, Any]]:
        """The outputs by brochure (the file, or each of its variants), each group titled with
        the file's name and the variant's id and location: pages of two locations never look alike."""
        groups: dict[str, dict[str, Any]] = {}
        for output in self.outputs:
            group = groups.setdefault(output["group"], {"title": output["group"], "variant": output["variant"],
                                                         "outputs": []})
            group["outputs"].append(output)
        return list(groups.values())

    @property
    def variants(self) -> list[str]:
        """The locations this file has pages of, in the order of its CSV or list (none: the file alone)."""
        order = list(self.places)
        found = dict.fromkeys(o["variant"] for o in self.outputs if o["variant"])
        return sorted(found, key=lambda v: order.index(v) if v in order else len(order))


@dataclass
class Described:
    """What a build says of a content file beyond its PDFs: title, language, locations."""

    labels: dict[str, tuple[str, str | None]]  # PDF file name -> (its group's title, its variant id)
    title: str = ""
    lang: str = ""
    places: dict[str, str] = field(default_factory=dict)
    path: Path | None = None


def describe(outcome: Outcome, out_dir: Path) -> Described:
    """The group title and variant of each PDF of ``outcome``: the content file's name, and for
    a variant "location <id>" with the location's clinic name and first address line; and the
    handout's title and language, read as the build read them (cached per process)."""
    from .content.described import load_described
    from .errors import ContentError
    from .manifest import Manifest

    units = {pdf.name: result.unit for result in outcome.results for pdf in result.pdfs}
    if outcome.up_to_date and not units:  # not built this time: the manifest knows the variants
        entries = Manifest(out_dir).entries
        variants = {pdf.name: entries[pdf.name].variant if pdf.name in entries else None for pdf in outcome.up_to_date}
    else:
        variants = {name: unit.variant for name, unit in units.items()}
    described = Described({})
    if units:
        unit = next(iter(units.values()))
        described.path = unit.path.resolve()
        try:
            brochures, _ = load_described(unit.path, unit.name)
            for variant, brochure, _ in brochures:
                address = (brochure.clinic.address or "").strip().splitlines()
                described.places[variant or ""] = ", ".join([brochure.clinic.name, *address[:1]])
                described.title, described.lang = described.title or brochure.title, described.lang or brochure.lang
        except (ContentError, OSError):
            pass  # changed since the build: the id alone says which location
    for name, variant in variants.items():
        if variant is None:
            described.labels[name] = (outcome.name, None)
        else:
            place = described.places.get(variant)
            described.labels[name] = (f"{outcome.name}, location {variant}" + (f" ({place})" if place else ""), variant)
    return described


def link_translations(views: dict[str, FileView]) -> None:
    """Set each view's ``translates``: the view of the file it translates (``infusion.es.yaml``
    translates ``infusion.yaml``), when that file is previewed too."""
    from .content.translations import language_of_name, source_of

    paths = {name: view.path or Path(name).resolve() for name, view in views.items()}
    by_path = {path: name for name, path in paths.items()}
    for name, view in views.items():
        original = source_of(paths[name])
        view.translates = by_path.get(original.resolve()) if original else None
        view.lang = view.lang or language_of_name(paths[name]) or ""


def language_label(lang: str) -> str:
    """``Spanish (United States), es-US``: what a language is called in the picker."""
    from .render.labels import language_name

    return f"{language_name(lang)}, {lang}" if lang else "language not set"


@dataclass
class Choice:
    """What the page offers and shows: the picker's options and the one unit chosen."""

    handouts: list[dict[str, str]]  # value (the source file's name), text
    languages: list[dict[str, str]]  # value (lang code), text; one per file of the chosen handout
    locations: list[dict[str, str]]  # value (variant id), text
    handout: str = ""
    lang: str = ""
    location: str = ""
    view: FileView | None = None
    groups: list[dict[str, Any]] = field(default_factory=list)
    label: str = ""
    findings: list[dict[str, Any]] = field(default_factory=list)  # the chosen location's
    broken: list[dict[str, str]] = field(default_factory=list)  # other files with mistakes: name, query


def _review(view: FileView) -> str:
    """", needs review" for a translation the build found stale (its source changed since)."""
    stale = any(f["message"].startswith("stale translation") for f in view.findings)
    return ", needs review" if view.translates is not None and stale else ""


def _pick(options: list[dict[str, str]], wanted: str | None) -> str:
    values = [o["value"] for o in options]
    return wanted if wanted in values else (values[0] if values else "")


def _query(handout: str, lang: str = "", location: str = "") -> str:
    from urllib.parse import urlencode

    return "?" + urlencode({k: v for k, v in (("handout", handout), ("lang", lang), ("location", location)) if v})


def choose(views: Mapping[str, FileView], query: Mapping[str, str]) -> Choice:
    """The handout, language and location the query asks for (the first of each when it asks
    for none, or for one that is not there any more), and the pages of that unit only."""
    families: dict[str, list[FileView]] = {}
    for each in views.values():
        families.setdefault(each.translates or each.name, []).append(each)
    # Listed by the handout's own title, never its translation's (which may be listed first).
    handouts = [{"value": key, "text": f"{views[key].title} ({key})" if views[key].title else key}
                for key in families]
    handout = _pick(handouts, query.get("handout"))
    family = sorted(families.get(handout, []), key=lambda v: v.translates is not None)  # the source first
    languages = [{"value": v.lang or v.name, "text": language_label(v.lang) + ("" if v.translates is None else
                                                                               f" ({v.name})") + _review(v)}
                 for v in family]
    lang = _pick(languages, query.get("lang"))
    view = next((v for v in family if (v.lang or v.name) == lang), None)
    choice = Choice(handouts, languages, [], handout, lang, view=view)
    if view is None:
        return choice
    choice.locations = [{"value": v, "text": f"{v} ({view.places[v]})" if v in view.places else v}
                        for v in view.variants]
    choice.location = _pick(choice.locations, query.get("location"))
    choice.groups = [g for g in view.groups if (g["variant"] or "") == choice.location]
    choice.findings = [f for f in view.findings if f["variant"] == choice.location]
    where = f", location {choice.location}" + (f" ({view.places[choice.location]})"
                                                if choice.location in view.places else "") if choice.location else ""
    title = view.title or view.name
    from .render.labels import language_name

    language = f", in {language_name(view.lang)}" if view.lang else ""
    choice.label = f"{title}{where}{language}: {view.name}"
    choice.broken = [{"name": v.name, "query": _query(v.translates or v.name, v.lang or v.name, choice.location)}
                     for v in views.values() if v.errors and v is not view]
    return choice


def ordered(pdfs: list[Path]) -> list[Path]:
    """Each brochure's print PDF before its email PDF, brochures by name."""
    return sorted(pdfs, key=lambda p: (p.name.rsplit("-", 1)[0], not kind_of(p.stem).trimmed))


def importance(finding: Any) -> tuple[bool, int, int]:
    """Warnings before notes, then in the report's order of kinds, then by line."""
    from .checks.findings import KINDS

    return (finding.severity != "warning", list(KINDS).index(finding.kind), finding.line or 0)


def error_view(problem: Any) -> dict[str, Any]:
    return {"line": problem.line, "key": problem.key, "message": problem.message, "file": problem.file}


def finding_view(finding: Any, variant: str | None = None) -> dict[str, Any]:
    from .checks.findings import KINDS

    return {"title": KINDS.get(finding.kind, finding.kind), "line": finding.line, "message": finding.message,
            "file": finding.file, "variant": variant or "", "key": finding.key}
