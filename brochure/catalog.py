"""Catalog: every handout of a build, for document control: ``out/index.html`` and a
printable ``out/catalog.pdf``.

A patient-education committee reviews the handouts as a set: which exist, for which
locations and languages, when each was revised and is due for review (overdue ones
marked), what the checks found, and where the PDFs are. The catalog lists them, with a
picture of each cover.

The check findings of a handout are those of its last build into this folder
(``out/catalog.json`` keeps them), so a handout that is up to date keeps its figures.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .environment import review_day, review_day_basis
from .errors import ContentError, Problem
from .files import read_cache, write_atomic
from .outputs import KINDS

if TYPE_CHECKING:
    from .runner import Outcome

FORMAT = 1
MAX_BYTES = 1 << 28  # a catalog.json larger than this was not written by brochure (1,000 locations: a few MB)
THUMB_WIDTH = 180  # pixels: sharp at the catalog's size on a screen and in print


@dataclass
class Catalog:
    """What the catalog lists, as written to ``out/catalog.json``."""

    today: str
    handouts: dict[str, dict[str, Any]] = field(default_factory=dict)  # file as named -> record
    units: dict[str, list[list[str]]] = field(default_factory=dict)  # "file\0variant" -> [kind, severity, text]


def _read(path: Path) -> Catalog | None:
    """The catalog's saved state, or None when it is missing, damaged or of another shape.

    It is a cache, maybe edited by hand: nothing in it is trusted unless its shape is the
    one written (any other shape is the same as no file, and the catalog is made again).
    """
    text = read_cache(path, MAX_BYTES)
    try:
        data = json.loads(text.decode("utf-8")) if text is not None else None
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("today"), str):
        return None
    handouts, units = data.get("handouts"), data.get("units")
    if not (isinstance(handouts, dict) and all(isinstance(h, dict) for h in handouts.values())):
        return None
    if not (isinstance(units, dict) and all(
            isinstance(found, list) and all(isinstance(f, list) and len(f) == 3 and all(isinstance(x, str) for x in f)
                                            for f in found) for found in units.values())):
        return None
    return Catalog(data["today"], handouts, units)


def stale(files: list[tuple[Path, str]], outcomes: list[Outcome], out_dir: Path, today: date) -> bool:
    """Whether the catalog must be made again: something was built or failed, the handouts or
    the day changed (an overdue review), or a catalog file is missing."""
    if any(result.written for outcome in outcomes for result in outcome.results) or any(not o.ok for o in outcomes):
        return True
    old = _read(out_dir / "catalog.json")
    return (old is None or old.today != today.isoformat() or set(old.handouts) != set(catalog_names(files).values())
            or not (out_dir / "index.html").is_file() or not (out_dir / "catalog.pdf").is_file())


def catalog_names(files: list[tuple[Path, str]]) -> dict[str, str]:
    """How the catalog names each handout, by the name it was given on the command line: its
    path from its project's root, or, for content files of no project, from the folder they
    all share. Never from the folder the command ran in, nor an absolute path: the catalog
    is the same whatever folder the project was copied to and wherever the build was run."""
    from .discover import content_root, real

    if not files:
        return {}
    base = Path(os.path.commonpath([content_root(path) for path, _ in files]))
    shown = {}
    for path, name in files:
        file = real(path)
        shown[name] = file.relative_to(base).as_posix() if file.is_relative_to(base) else name
    if len(set(shown.values())) != len(shown):  # one file named twice: the names as given tell them apart
        return {name: name for _, name in files}
    return shown


def _unit_key(name: str, variant: str | None) -> str:
    return f"{name}\0{variant or ''}"


def _record(path: Path, given: str, name: str, out_dir: Path, today: date) -> dict[str, Any]:
    """One handout's line of the catalog, from its content (validated, as the build read it
    under the name ``given``); ``name`` is the catalog's name for it (``catalog_names``)."""
    from dataclasses import replace

    from .build import pdf_paths
    from .content.described import load_described
    from .discover import content_root
    from .render.typeface import files as theme_files

    def said(problems: list[Problem]) -> list[str]:  # the file named as the catalog names it
        return [str(replace(p, file=name) if p.file == given else p) for p in problems]

    try:
        described, failed = load_described(path, given)
    except ContentError as error:
        return {"file": name, "error": said(error.problems), "locations": [], "failed": []}
    record: dict[str, Any] = {"file": name, "error": [], "locations": [], "unit_keys": [],
                              "failed": [{"id": variant.replace("#", "row "), "problems": said(problems)}
                                         for variant, problems in failed.items()]}
    for variant, brochure, _ in described:
        paths = pdf_paths(brochure, out_dir, variant)  # the outputs the handout asks for, whichever they are
        record["locations"].append({"id": variant, "name": brochure.clinic.name,
                                    "files": [{"output": output, "file": path.name} for output, path in paths.items()],
                                    "built": all(p.is_file() for p in paths.values())})
        record["unit_keys"].append(_unit_key(name, variant))
    if described:
        first = described[0][1]
        record.update(title=first.title, slug=first.file_slug, lang=first.lang, layout=first.layout,
                      paper=first.paper, clinic=first.clinic.name, owner=first.owner, approved_by=first.approved_by,
                      status=first.status, version=first.version,
                      revised=first.revised.isoformat() if first.revised else None,
                      review_by=first.review_by.isoformat() if first.review_by else None,
                      overdue=bool(first.review_by and first.review_by < today),
                      # relative to out/, as the manifest's paths are: a copied project finds its own
                      fonts={weight: os.path.relpath(file, out_dir.resolve())
                             for weight, file in theme_files(first.theme, content_root(path)).items()})
    return record


def _thumbnail(pdf: Path, target: Path, layout: str, paper: str, sheet: bool = True) -> bool:
    """A picture of the cover: the print PDF's first page within the trim (the tri-fold's
    cover is the right-hand panel of its outside)."""
    import io

    import pypdfium2 as pdfium

    from .render.paper import SHEETS

    if not pdf.is_file():
        return False
    try:
        document = pdfium.PdfDocument(str(pdf))
    except pdfium.PdfiumError:  # not a PDF brochure wrote (replaced by hand): no picture rather than a wrong one
        return False
    try:
        page = document[0]
        media, trim = page.get_mediabox(), page.get_trimbox()
        left = trim[0] - media[0]
        if layout == "trifold" and sheet:  # the layout's sheet, not the email PDF's portrait pages
            left += sum(SHEETS[paper].panels[:2])
        crop = (left, trim[1] - media[1], media[2] - trim[2], media[3] - trim[3])
        width = media[2] - media[0] - crop[0] - crop[2]
        image = page.render(scale=THUMB_WIDTH / width, crop=crop).to_pil().convert("RGB")
    finally:
        document.close()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    write_atomic(target, buffer.getvalue())
    return True


def _cover_pdf(files: list[dict[str, str]]) -> tuple[str, bool]:
    """The PDF whose first page shows the cover best, and whether it is the layout's sheet:
    a kind laid out on the sheet (print, office), else the first one made (email)."""
    made = [(KINDS[f["output"]], f["file"]) for f in files if f["output"] in KINDS]
    kind, name = sorted(made, key=lambda item: not item[0].sheet)[0] if made else (None, files[0]["file"])
    return name, bool(kind and kind.sheet)


def _hash(path: Path) -> str | None:
    import hashlib

    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _checks(findings: list[list[str]], checked: bool) -> dict[str, Any]:
    from .checks.findings import KINDS

    distinct = {tuple(f) for f in findings}
    kinds: dict[str, int] = {}
    for kind, severity, _ in sorted(distinct, key=lambda f: list(KINDS).index(f[0]) if f[0] in KINDS else 99):
        if severity == "warning":
            kinds[kind] = kinds.get(kind, 0) + 1
    return {"checked": checked, "warnings": sum(1 for f in distinct if f[1] == "warning"),
            "notes": sum(1 for f in distinct if f[1] != "warning"), "kinds": kinds}


def _findings(findings: list[list[str]]) -> list[dict[str, str]]:
    """Each distinct finding once, warnings first, as the catalog lists them under its table."""
    from .checks.findings import KINDS

    order = list(KINDS)
    distinct = sorted({tuple(f) for f in findings},
                      key=lambda f: (f[1] != "warning", order.index(f[0]) if f[0] in order else 99, f[2]))
    return [{"kind": KINDS.get(kind, kind), "severity": severity, "text": text} for kind, severity, text in distinct]


def write_catalog(files: list[tuple[Path, str]], outcomes: list[Outcome], out_dir: Path,
                  today: date | None = None) -> list[Path]:
    """Write ``out/index.html``, ``out/catalog.pdf`` (and ``out/catalog.json``, the thumbnails
    in ``out/catalog/``) for the handouts ``files``; return the paths written."""
    today = today or review_day()
    old = _read(out_dir / "catalog.json") or Catalog(today.isoformat())
    catalog = Catalog(today.isoformat())
    names = catalog_names(files)
    # Without the file and line: the same finding in each location's PDFs counts once.
    fresh = {_unit_key(names.get(r.unit.name, r.unit.name), r.unit.variant):
             [[f.kind, f.severity, f"{f.key}: {f.message}" if f.key else f.message] for f in r.findings]
             for outcome in outcomes for r in outcome.results}
    written: list[Path] = []
    for path, given in files:
        name = names[given]
        record = _record(path, given, name, out_dir, today)
        keys = record.pop("unit_keys", [])
        for key in keys:
            if key in fresh or key in old.units:
                catalog.units[key] = fresh.get(key, old.units.get(key, []))
        checked = bool(keys) and all(key in catalog.units for key in keys)
        found = [f for key in keys for f in catalog.units.get(key, [])]
        record["checks"] = _checks(found, checked)
        record["findings"] = _findings(found)
        record["thumbnail"] = record["thumbnail_of"] = None
        built = [loc for loc in record["locations"] if loc["built"]]
        if built and record.get("slug"):
            target = out_dir / "catalog" / f"{record['slug']}.png"
            cover, sheet = _cover_pdf(built[0]["files"])
            source = out_dir / cover
            digest = _hash(source)
            before = old.handouts.get(name, {})
            # Drawn again when its PDF's bytes changed, whatever the files' clocks say.
            if target.is_file() and not target.is_symlink() and digest is not None \
                    and before.get("thumbnail_of") == digest and before.get("thumbnail"):
                record["thumbnail"], record["thumbnail_of"] = target.relative_to(out_dir).as_posix(), digest
            elif digest is not None and _thumbnail(source, target, record["layout"], record["paper"], sheet):
                record["thumbnail"], record["thumbnail_of"] = target.relative_to(out_dir).as_posix(), digest
                written.append(target)
        catalog.handouts[name] = record
    _link_translations([(path, names[given]) for path, given in files], catalog.handouts)
    write_atomic(out_dir / "catalog.json", (json.dumps(
        {"format": FORMAT, "today": catalog.today, "handouts": catalog.handouts, "units": catalog.units},
        indent=1, sort_keys=True) + "\n").encode())
    html, pdf = _render(catalog, out_dir, today)
    write_atomic(out_dir / "index.html", html.encode())
    write_atomic(out_dir / "catalog.pdf", pdf)
    return [*written, out_dir / "catalog.json", out_dir / "index.html", out_dir / "catalog.pdf"]


def _link_translations(files: list[tuple[Path, str]], records: dict[str, dict[str, Any]]) -> None:
    """Each record's ``translates``: the name of the handout it translates (``first-visit.es.yaml``
    translates ``first-visit.yaml``) when that handout is in the catalog too, else None."""
    from .content.translations import source_of

    by_path = {path.resolve(): name for path, name in files}
    for path, name in files:
        original = source_of(path)
        records[name]["translates"] = by_path.get(original.resolve()) if original else None


def _families(handouts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per handout, its translations with it: the handout's record with ``languages``
    (itself, then each translation) and ``places``, each location with the PDFs of every language."""
    from .render.labels import language_name

    names = {h["file"] for h in handouts}
    entries: dict[str, dict[str, Any]] = {}
    for h in handouts:  # sorted by title: a translation's title is not its handout's
        key = h["translates"] if h.get("translates") in names else h["file"]
        entries.setdefault(key, {"languages": []})["languages"].append(h)
    rows = []
    for key, entry in entries.items():
        family = sorted(entry["languages"], key=lambda h: h["file"] != key)  # the handout, then its translations
        row = dict(family[0], languages=family, places=[])
        for h in family:
            h["language"] = language_name(h["lang"]) if h.get("lang") else "language not set"
        places: dict[str | None, dict[str, Any]] = {}
        for h in family:
            for loc in h["locations"]:
                place = places.setdefault(loc["id"], {"id": loc["id"], "name": loc["name"], "pdfs": []})
                place["pdfs"].append(dict(loc, lang=h.get("lang") or "", language=h["language"]))
        row["places"] = list(places.values())
        row["failed"] = [dict(f, id=f"{f['id']} ({h.get('lang')})" if len(family) > 1 else f["id"])
                         for h in family for f in h["failed"]]
        row["error"] = [problem for h in family for problem in h["error"]]
        rows.append(row)
    return rows


def _filters(row: dict[str, Any]) -> dict[str, str]:
    """A catalog row's values for the page's sorting and filtering (``data-*``): a handout
    matches a filter when any of its languages does."""
    languages = row["languages"]
    review = sorted(h["review_by"] for h in languages if h.get("review_by"))
    return {"title": (row.get("title") or row["file"]).lower(),
            "status": " ".join(sorted({(h.get("status") or "none").replace(" ", "-") for h in languages})),
            "owner": "|".join(sorted({h.get("owner") or "" for h in languages})),
            "lang": " ".join(h.get("lang") or "" for h in languages),
            "review": " ".join(sorted({"overdue" if h.get("overdue") else "ok" if h.get("review_by") else "undated"
                                       for h in languages})),
            "review-by": review[0] if review else "9999-12-31",
            "revised": max((h.get("revised") or "" for h in languages), default=""),
            "warnings": str(sum(h["checks"]["warnings"] for h in languages if "checks" in h))}


def _long(value: str | None) -> str | None:
    if not value:
        return None
    day = date.fromisoformat(value)
    return f"{day:%B} {day.day}, {day.year}"


def _render(catalog: Catalog, out_dir: Path, today: date) -> tuple[str, bytes]:
    """The catalog as an HTML page (links to the PDFs) and as a PDF to print."""
    import jinja2

    from .content.model import STATUSES
    from .render.assets import BUNDLED
    from .render.labels import language_name

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(BUNDLED), autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    template = env.get_template("catalog.html")
    handouts = sorted(catalog.handouts.values(), key=lambda h: ((h.get("title") or h["file"]).lower(), h["file"]))
    for h in handouts:
        h.setdefault("title", None)
        h.update(revised_long=_long(h.get("revised")), review_by_long=_long(h.get("review_by")))
        for key in ("lang", "layout", "paper", "slug", "overdue", "owner", "translates", "clinic", "approved_by",
                    "status", "version"):
            h.setdefault(key, None)
        h.setdefault("findings", [])
        # Where its findings are listed, below the table: the link its count points to.
        h["anchor"] = "findings-" + re.sub(r"[^A-Za-z0-9_-]+", "-", h["file"]).strip("-")
    clinics = sorted({h["clinic"] for h in handouts if h.get("clinic")})
    common = {"handouts": handouts, "owner": clinics[0] if len(clinics) == 1 else "", "version": __version__,
              "statuses": STATUSES, "owners": sorted({h["owner"] for h in handouts if h.get("owner")}),
              "languages": sorted({(h["lang"], language_name(h["lang"])) for h in handouts if h.get("lang")}),
              "undated": sum(1 for h in handouts if not h.get("review_by") and not h["error"]),
              "today_long": _long(today.isoformat()), "today_basis": review_day_basis(), "primary": "#1d5c73",
              "pdfs": sum(len(loc["files"]) for h in handouts for loc in h["locations"] if loc["built"]),
              "overdue": sum(1 for h in handouts if h.get("overdue")),
              "failed": sum(len(h["failed"]) + bool(h["error"]) for h in handouts)}
    for h in handouts:
        h["thumbnail_src"] = h["thumbnail"]
    common["handouts"] = rows = _families(handouts)
    for row in rows:
        row["filters"] = _filters(row)
        for h in row["languages"]:
            h["row"] = row.get("slug") or row["file"]  # the table row a finding's list goes back to
    common["translations"] = sum(len(row["languages"]) - 1 for row in rows)
    page = template.render(pdf=False, fonts="", theme_faces=[], theme_families=[], **common)
    for row in rows:
        if row["thumbnail"]:
            row["thumbnail_src"] = (out_dir / row["thumbnail"]).resolve().as_uri()
    faces, families = _theme_faces(handouts, out_dir)
    printable = template.render(pdf=True, fonts=(BUNDLED / "fonts").resolve().as_uri(), theme_faces=faces,
                                theme_families=families, **common)
    from weasyprint import HTML

    from .render import patches

    # The same WeasyPrint as the handouts', whether or not this process rendered one: the
    # covers' resource names come from their bytes, never from where out/ is.
    patches.install()
    data = HTML(string=printable, base_url=out_dir.resolve().as_uri() + "/").write_pdf()
    return page, bytes(data)


def _theme_faces(handouts: list[dict[str, Any]], out_dir: Path) -> tuple[list[dict[str, str]], list[str]]:
    """The clinic font files the handouts name (``theme.font``), as ``@font-face`` rules for the
    catalog PDF: its text falls back to them after Open Sans, so an Arabic or Chinese title is
    drawn in the handout's own font, never in one that happens to be on this computer."""
    faces: list[dict[str, str]] = []
    families: dict[tuple[str, ...], str] = {}
    for h in handouts:
        fonts: dict[str, Path] = {weight: (out_dir / name).resolve() for weight, name in (h.get("fonts") or {}).items()}
        key = tuple(f"{weight}={file}" for weight, file in sorted(fonts.items()))
        if not fonts or key in families or not all(f.is_file() for f in fonts.values()):
            continue
        family = families[key] = f"Catalog Theme {len(families) + 1}"
        faces += [{"family": family, "weight": weight, "src": fonts[name].as_uri()}
                  for weight, name in (("400", "regular"), ("700", "bold")) if name in fonts]
    return faces, list(families.values())
