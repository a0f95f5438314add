"""A project of many handouts: a project file at the root with what they share, handouts
anywhere below it inheriting and overriding it, the root as the boundary."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import REPO, SEED_LOGO, run_main, tool

PROJECT = """\
clinic:
  name: Heartland Infusion Care
  phone: (816) 555-0199
  website: heartland.example
  logo: shared/logo.svg
locations: shared/locations.csv
layout: handout
paper: letter
theme:
  primary: "#1d5c73"
"""
CSV = "id;clinic.phone;hours\nnorth;(913) 555-0101;8 to 5\nsouth;(816) 555-0102;9 to 6\n"


def handout(title: str, extra: str = "") -> str:
    return (f"title: {title}\nintro: Call {{clinic.phone}}, open {{location.hours}}.\n"
            "sections:\n  - heading: Before you come\n    body: Eat a light meal. Drink some water.\n"
            "revised: 2026-11-01\n" + extra)


def project(folder: Path, project_file: str = PROJECT) -> Path:
    """Three handouts sharing one logo and one CSV in the project's shared/ folder; the
    third, in a subfolder, is a tri-fold with a picture of its own."""
    (folder / "shared").mkdir(parents=True)
    shutil.copy(SEED_LOGO, folder / "shared" / "logo.svg")
    (folder / "shared" / "locations.csv").write_text(CSV, encoding="utf-8")
    (folder / "brochure.yaml").write_text(project_file, encoding="utf-8")
    (folder / "first-visit.yaml").write_text(handout("Your First Visit"), encoding="utf-8")
    (folder / "handouts" / "es" / "pics").mkdir(parents=True)
    (folder / "handouts" / "after-care.yaml").write_text(
        handout("After Your Visit", "clinic:\n  email: care@heartland.example\n"), encoding="utf-8")
    shutil.copy(SEED_LOGO, folder / "handouts" / "es" / "pics" / "map.svg")
    (folder / "handouts" / "es" / "visita.yaml").write_text(handout("Su Visita", (
        "lang: es\nlayout: trifold\n"
        "sections:\n  - heading: Antes de venir\n    body: Coma algo ligero.\n"
        "    image: {src: pics/map.svg, alt: Un mapa}\n").replace("sections:\n  - heading: Before", "x:"),
    ).replace("sections:\n  - heading: Before you come\n    body: Eat a light meal. Drink some water.\n", ""),
        encoding="utf-8")
    return folder


def page_size(pdf: Path) -> tuple[float, float]:
    from pypdf import PdfReader

    box = PdfReader(pdf).pages[0].trimbox
    return float(box.width), float(box.height)


def test_a_project_builds_every_handout_for_every_location(tmp_path, monkeypatch):
    root = project(tmp_path / "chain")
    monkeypatch.chdir(root)
    run = run_main("build", "--jobs", "2")
    assert run.code == 0, "\n".join(run.err)
    out = root / "out"
    slugs = {"your-first-visit": "handout", "after-your-visit": "handout", "su-visita": "trifold"}
    pdfs = sorted(p.name for p in out.glob("*-*.pdf"))
    assert pdfs == sorted(f"{slug}-{where}-{output}.pdf" for slug in slugs for where in ("north", "south")
                          for output in ("print", "email"))
    for slug, layout in slugs.items():
        width, height = page_size(out / f"{slug}-north-print.pdf")
        assert (width > height) == (layout == "trifold"), f"{slug}: {width} x {height}"
        text = tool("pdftotext", str(out / f"{slug}-south-email.pdf"), "-").stdout
        assert "(816) 555-0102" in text and "(913) 555-0101" not in text and "(816) 555-0199" not in text
    assert "care@heartland.example" in tool("pdftotext", str(out / "after-your-visit-north-email.pdf"), "-").stdout
    # One logo and one CSV, in the project root, are inputs of every PDF.
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["pdfs"]
    for name, entry in manifest.items():
        inputs = entry["inputs"]
        assert "../shared/locations.csv" in inputs and "../brochure.yaml" in inputs, name
        if entry["output"] == "print":
            assert "../shared/logo.svg" in inputs, name
    assert "../handouts/es/pics/map.svg" in manifest["su-visita-north-print.pdf"]["inputs"]
    again = run_main("build")
    assert again.code == 0 and all(": up to date (" in line for line in again.out), again.out
    # A change to the shared project file rebuilds every handout.
    (root / "brochure.yaml").write_text(PROJECT.replace("#1d5c73", "#225577"), encoding="utf-8")
    changed = run_main("build", "brochure.yaml", "--jobs", "2")
    assert changed.code == 0 and sum(line.startswith("wrote ") and line.endswith(" kB)") for line in changed.out) == 12, \
        changed.out


def test_a_handout_overrides_and_the_lone_file_builds_as_before(tmp_path, monkeypatch):
    from brochure.build import brochures

    root = project(tmp_path / "chain")
    built = {v: b for v, b, _ in brochures(root / "handouts" / "after-care.yaml", "after-care.yaml")}
    assert built["north"].clinic.email == "care@heartland.example"
    assert built["north"].clinic.name == "Heartland Infusion Care" and built["north"].clinic.phone == "(913) 555-0101"
    assert built["north"].clinic.logo == "shared/logo.svg"
    spanish = {v: b for v, b, _ in brochures(root / "handouts" / "es" / "visita.yaml", "visita.yaml")}
    assert spanish["south"].layout == "trifold" and spanish["south"].sections[0].image is not None
    assert spanish["south"].sections[0].image.src == "handouts/es/pics/map.svg"
    # A handout given by name builds with its project too.
    monkeypatch.chdir(tmp_path)
    run = run_main("build", "chain/handouts/after-care.yaml", "--out", "out")
    assert run.code == 0, run.err
    assert len(list((tmp_path / "out").glob("after-your-visit-*.pdf"))) == 4


def test_the_project_root_is_the_boundary(tmp_path, monkeypatch):
    root = project(tmp_path / "chain")
    (tmp_path / "secret.svg").write_text(SEED_LOGO.read_text(encoding="utf-8"), encoding="utf-8")
    (root / "handouts" / "after-care.yaml").write_text(
        handout("After Your Visit", "clinic:\n  logo: ../../secret.svg\n"), encoding="utf-8")
    monkeypatch.chdir(root)
    run = run_main("build")
    assert run.code == 1
    assert "handouts/after-care.yaml:8: clinic.logo: '../secret.svg' is outside the project's folder; copy the image " \
           "into that folder" in run.err, run.err
    assert len(list((root / "out").glob("*-*.pdf"))) == 8, "the other handouts still build"


def test_a_mistake_in_the_project_file_is_reported_once_at_its_line(tmp_path, monkeypatch):
    root = project(tmp_path / "chain", PROJECT.replace("  phone: (816) 555-0199", "  phone: '12'")
                   .replace("layout: handout", "layot: handout"))
    monkeypatch.chdir(root)
    run = run_main("build")
    assert run.code == 1
    assert run.err == ["brochure.yaml:3: clinic.phone: '12' is not a phone number; write it like (913) 871-9888",
                       "brochure.yaml:7: layot: unknown key; did you mean 'layout'?"]
    assert not (root / "out").exists()


def test_the_worked_example_builds(tmp_path, monkeypatch):
    """The README's example project, copied: every handout for every location, exit 0."""
    shutil.copytree(REPO / "examples" / "chain", tmp_path / "examples" / "chain",
                    ignore=shutil.ignore_patterns("out"))
    monkeypatch.chdir(tmp_path)
    run = run_main("build", "examples/chain", "--out", "out", "--jobs", "2")
    assert run.code == 0, "\n".join(run.err)
    handouts = {"your-first-infusion-visit", "after-your-infusion", "primera-visita"}
    names = {p.name for p in (tmp_path / "out").glob("*-*.pdf")}
    assert names == {f"{h}-{where}-{o}.pdf" for h in handouts for where in ("overland-park", "lees-summit", "liberty")
                     for o in ("print", "email")}
    text = " ".join(tool("pdftotext", str(tmp_path / "out" / "your-first-infusion-visit-lees-summit-print.pdf"),
                         "-").stdout.split())
    assert "Park in the garage on 2nd Street." in text and "(816) 555-0102" in text and "555-0101" not in text


def test_a_finding_on_an_inherited_value_points_at_the_project_file(tmp_path, monkeypatch):
    """A check finding about a key a handout takes from brochure.yaml (here the shared
    disclaimer, which types the main number) names brochure.yaml and its line, not the handout."""
    shared = PROJECT + "disclaimer: >-\n  General information only. In a crisis, call (816) 555-0199.\n"
    root = project(tmp_path / "chain", shared)
    monkeypatch.chdir(root)
    run = run_main("check", "first-visit.yaml", "--format", "json")
    findings = json.loads("\n".join(run.out))["findings"]
    about = [f for f in findings if f["key"] == "disclaimer" and f["kind"] == "contact"]
    assert about and all((f["file"], f["line"]) == ("brochure.yaml", 11) for f in about), about
    text = run_main("check", "first-visit.yaml")
    assert any(line.lstrip().startswith("warning brochure.yaml:11: disclaimer: this text says (816) 555-0199; "
                                        "location north's phone is (913) 555-0101")
               for line in text.out), text.out


def test_an_inherited_clinic_key_is_placed_in_the_project_file_beside_the_handouts_own():
    """after-care.yaml writes clinic.email itself and inherits clinic.phone: a finding on each
    names the file that writes it."""
    from brochure.checks.findings import Finding
    from brochure.checks.origin import placed
    from brochure.content.source import Source

    project_file = Source("brochure.yaml", {}, {("clinic",): 1, ("clinic", "phone"): 3})
    own = Source("handouts/after-care.yaml", {}, {("clinic",): 8, ("clinic", "email"): 9}, parent=project_file)
    phone = Finding("contact", "warning", own.file, None, "clinic.phone", "x")
    email = Finding("contact", "warning", own.file, None, "clinic.email", "x")
    page = Finding("contrast", "warning", own.file, None, "page 2", "x")
    assert (placed(phone, own).file, placed(phone, own).line) == ("brochure.yaml", 3)
    assert (placed(email, own).file, placed(email, own).line) == ("handouts/after-care.yaml", 9)
    assert placed(page, own) == page


def test_a_bad_row_of_the_projects_csv_fails_only_that_location_in_build_and_check(tmp_path, monkeypatch):
    root = project(tmp_path / "chain")
    (root / "shared" / "locations.csv").write_text(CSV.replace("(816) 555-0102", "call us"), encoding="utf-8")
    monkeypatch.chdir(root)
    bad = "shared/locations.csv:3: clinic.phone: 'call us' is not a phone number; write it like (913) 871-9888"
    run = run_main("build", "--jobs", "2")
    assert run.code == 1 and bad in run.err, run.err
    built = sorted(p.name for p in (root / "out").glob("*-*.pdf"))
    assert len(built) == 6 and all("-north-" in name for name in built), built  # three handouts, north only
    check = run_main("check", "first-visit.yaml")
    assert check.code == 1 and check.err == [bad], check.err
    assert any(line.startswith("first-visit.yaml: ") for line in check.out), check.out  # north was checked


def test_a_translation_takes_its_handouts_layout_before_the_projects(tmp_path, monkeypatch):
    """first-visit.yaml overrides the project's layout with a tri-fold; its translation
    first-visit.es.yaml, which says no layout, is a tri-fold too (the file it translates
    comes before the project's default)."""
    root = project(tmp_path / "chain")
    source = root / "first-visit.yaml"
    source.write_text(source.read_text(encoding="utf-8") + "layout: trifold\n", encoding="utf-8")
    (root / "first-visit.es.yaml").write_text(
        "title: Su primera visita\nintro: Llame al {clinic.phone}.\nrevised: 2026-11-01\n"
        "sections:\n  - heading: Antes de venir\n    body: Coma algo ligero. Tome agua.\n", encoding="utf-8")
    monkeypatch.chdir(root)
    run = run_main("build", "first-visit.yaml", "first-visit.es.yaml", "--out", "out")
    assert run.code == 0, run.err
    letter_landscape = (792.0, 612.0)  # the tri-fold's sheet, trimmed
    assert page_size(root / "out" / "your-first-visit-north-print.pdf") == letter_landscape
    assert page_size(root / "out" / "su-primera-visita-north-print.pdf") == letter_landscape
