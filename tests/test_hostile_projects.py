"""Hostile and careless projects and label catalogs (issue 20): each mistake is one located
line `FILE:LINE: key: what is wrong`, printed once, exit 1, no traceback, out/ untouched.

A project's shared keys are reported at their line in brochure.yaml, never at each handout
that inherits them; every file a project reads stays inside it (links that lead out, or
nowhere, are refused); a catalog's labels are data, each placeholder a plain ``{name}``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import SEED_LOGO, run_main, snapshot, write_minimal

PROJECT = """\
clinic:
  name: Heartland Infusion Care
  phone: (816) 555-0199
  logo: logo.svg
layout: handout
lang: en
"""


def handout(title: str) -> str:
    return (f"title: {title}\nsections:\n  - heading: Before you come\n"
            "    body: Eat a light meal. Drink some water.\nrevised: 2026-11-01\n")


def project(folder: Path, project_file: str = PROJECT) -> Path:
    """A project of two handouts, one in a subfolder."""
    (folder / "handouts").mkdir(parents=True)
    shutil.copy(SEED_LOGO, folder / "logo.svg")
    (folder / "brochure.yaml").write_text(project_file, encoding="utf-8")
    (folder / "first-visit.yaml").write_text(handout("Your First Visit"), encoding="utf-8")
    (folder / "handouts" / "after-care.yaml").write_text(handout("After Your Visit"), encoding="utf-8")
    return folder


def refused_once(root: Path, *expected: str, args: tuple[str, ...] = ()) -> list[str]:
    """Build the project in ``root``: exit 1, each expected line printed exactly once (as the
    start of a line), no traceback, and out/ as it was. Return stderr."""
    before = pdfs(root)
    run = run_main("build", *args)
    assert run.code == 1, run.out
    text = "\n".join(run.err)
    assert "Traceback" not in text and "Error:" not in text, text
    for line in expected:
        assert sum(got.startswith(line) for got in run.err) == 1, (line, run.err)
    assert pdfs(root) == before
    return run.err


def pdfs(root: Path) -> dict[str, bytes]:
    """The handouts' PDFs and manifest in out/ (the catalog lists failures too: it may change)."""
    out = root / "out"
    return {k: v for k, v in (snapshot(out) if out.exists() else {}).items()
            if not k.startswith(("catalog", "index.html"))}


# --- keys from brochure.yaml: at their own line, once ---------------------------------------

@pytest.mark.parametrize("lang, message", [
    ("fr", "brochure.yaml:6: lang: brochure has no labels in French ('fr')"),
    ("qq", "brochure.yaml:6: lang: 'qq' is a language the locale data (CLDR, through Babel) does not know"),
    ("es-XX", None),  # a region CLDR lacks: either one located line, or it builds
])
def test_a_projects_lang_is_reported_once_at_its_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      lang: str, message: str | None) -> None:
    root = project(tmp_path / "chain", PROJECT.replace("lang: en", f"lang: {lang}"))
    monkeypatch.chdir(root)
    if message is None:
        run = run_main("build")
        assert "Traceback" not in "\n".join(run.err)
        assert run.code == 0 or all(line.startswith("brochure.yaml:6: lang: ") for line in run.err), run.err
        return
    err = refused_once(root, message)
    assert err == [line for line in err if line.startswith("brochure.yaml:6: lang: ")], err
    # Named by one of its handouts, the same line, at the project file.
    err = refused_once(root, message, args=("first-visit.yaml",))
    assert err[0].startswith(message)


def test_an_inherited_text_no_font_has_is_reported_at_the_project_file_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path / "chain", PROJECT + "disclaimer: Information only \u4e2d.\n")
    monkeypatch.chdir(root)
    err = refused_once(root, "brochure.yaml:7: disclaimer: \u2018\u4e2d\u2019 (U+4E2D) cannot be printed")
    assert err[-1] == "handouts/after-care.yaml: 1 problem (shown above); no PDF was written.", err
    assert not any(line.startswith(("first-visit.yaml:", "handouts/")) and "disclaimer" in line for line in err), err


# --- every file a project reads stays inside it ----------------------------------------------

def test_a_label_catalog_that_links_out_of_the_project_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path / "chain")
    secret = tmp_path / "secret.yaml"
    secret.write_text('contact_heading: "Password: hunter2"\n', encoding="utf-8")
    (root / "messages").mkdir()
    (root / "messages" / "en.yaml").symlink_to(secret)
    monkeypatch.chdir(root)
    err = refused_once(root, "messages/en.yaml: is a link to a file outside the project's folder")
    assert not any("hunter2" in line for line in err)
    # The whole messages/ folder linking out is the same.
    (root / "messages" / "en.yaml").unlink()
    (root / "messages").rmdir()
    (tmp_path / "elsewhere").mkdir()
    shutil.copy(secret, tmp_path / "elsewhere" / "en.yaml")
    (root / "messages").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    refused_once(root, "messages/en.yaml: is a link to a file outside the project's folder")


def test_links_that_loop_or_lead_out_are_one_line_each(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path / "chain")
    outside = tmp_path / "outside.yaml"
    outside.write_text(handout("Not Ours"), encoding="utf-8")
    (root / "handouts" / "elsewhere.yaml").symlink_to(outside)
    (tmp_path / "more").mkdir()
    (root / "more").symlink_to(tmp_path / "more", target_is_directory=True)
    os.symlink("loop-b.yaml", root / "loop-a.yaml")
    os.symlink("loop-a.yaml", root / "loop-b.yaml")
    (root / "messages").mkdir()
    os.symlink("en-US.yaml", root / "messages" / "en.yaml")
    os.symlink("en.yaml", root / "messages" / "en-US.yaml")
    monkeypatch.chdir(root)
    refused_once(root, "handouts/elsewhere.yaml: is a link to a file outside the project's folder",
                 "loop-a.yaml: is a link that leads to no file", "loop-b.yaml: is a link that leads to no file",
                 "more: is a link to a folder outside the project's folder; copy its handouts into the project instead")
    for name in ("handouts/elsewhere.yaml", "loop-a.yaml", "loop-b.yaml", "more"):
        (root / name).unlink()
    refused_once(root, "messages/en.yaml: is a link that leads to no file")
    # A loop named on the command line, outside a project, is one line too.
    (tmp_path / "alone").mkdir()
    os.symlink("b.yaml", tmp_path / "alone" / "a.yaml")
    os.symlink("a.yaml", tmp_path / "alone" / "b.yaml")
    monkeypatch.chdir(tmp_path / "alone")
    run = run_main("build", "a.yaml")
    assert run.code == 1 and run.err == ["a.yaml: is a link that leads to no file (a loop, or a file since moved); "
                                         "name the content file itself"], run.err


def test_a_project_inside_a_project_is_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path / "chain")
    inner = project(root / "west", PROJECT.replace("Heartland Infusion Care", "West Side Care"))
    (inner / "first-visit.yaml").write_text(handout("West Visit"), encoding="utf-8")
    monkeypatch.chdir(root)
    run = run_main("build", "--jobs", "1")
    assert run.code == 0, run.err
    pdfs = sorted(p.name for p in (root / "out").glob("*-print.pdf"))
    assert pdfs == ["after-your-visit-print.pdf", "your-first-visit-print.pdf"], pdfs
    assert not any("brochure.yaml" in line for line in run.out + run.err), run.out + run.err


def test_a_translation_whose_handout_is_gone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    content = write_minimal(tmp_path / "clinic", name="infusion.es.yaml")
    alone = content.read_text(encoding="utf-8").replace("lang: en-US\n", "")
    content.write_text(alone, encoding="utf-8")
    monkeypatch.chdir(content.parent)
    # With its own clinic it builds on its own, in the language of its name.
    run = run_main("build", content.name, "--out", "out")
    assert run.code == 0, run.err
    from brochure.content import load

    assert load(content).lang == "es"
    # Without: one line naming the cause, not "required" for each key it took from it.
    shutil.rmtree(content.parent / "out")
    content.write_text(alone.split("clinic:")[0] + "revised: 2026-11-25\n", encoding="utf-8")
    run = run_main("build", content.name, "--out", "out")
    assert run.code == 1
    assert run.err[0] == ("infusion.es.yaml: it translates infusion.yaml, which is not there any more: put it back, "
                          "or give this file its own clinic (and theme, layout...) to build it on its own"), run.err
    assert len(run.err) == 2 and not (content.parent / "out").exists()


# --- label catalogs are data ----------------------------------------------------------------

@pytest.mark.parametrize("label, shown", [
    ('revised: "Revised {date:d}"', "revised: {date:d}: write the placeholder alone, {date}"),
    ('revised: "Revised {date:99999999}"', "revised: {date:99999999}: write the placeholder alone, {date}"),
    ('revised: "Revised {date!r}"', "revised: {date!r}: write the placeholder alone, {date}"),
    ('revised: "Revised {date:{date}}"', "revised: {date:{date}}: write the placeholder alone, {date}"),
    ('revised: "Revised {date.year}"', "revised: {date.year} is not a placeholder"),
    ('revised: "Revised {date[0]}"', "revised: {date[0]} is not a placeholder"),
    ('logo_alt: "{0} logo"', "logo_alt: {0} is not a placeholder"),
    ('logo_alt: "{} logo"', "logo_alt: {} is not a placeholder"),
    ('revised: "Revised {dat}"', "revised: must use {date}"),
    ('revised: "Revised {date"', "revised: a { has no matching }"),
    ('revised: "Revised }date{"', "revised: a { has no matching }"),
    ('revised: "Revised {date}' + " and more" * 100 + '"', "revised: is 914 characters long; a label is a few words"),
])
def test_a_catalogs_placeholders_are_checked_at_their_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           label: str, shown: str) -> None:
    content = write_minimal(tmp_path / "clinic")
    (content.parent / "messages").mkdir()
    (content.parent / "messages" / "en.yaml").write_text(f"# reworded\ncall: Phone\n{label}\n", encoding="utf-8")
    monkeypatch.chdir(content.parent)
    run = run_main("build", content.name, "--out", "out")
    assert run.code == 1
    assert run.err[0].startswith(f"messages/en.yaml:3: {shown}"), run.err
    assert len(run.err) == 2 and "Traceback" not in "\n".join(run.err)
    assert not (content.parent / "out").exists()


# --- a theme font draws every character the handout prints ---------------------------------

def damaged_font(target: Path, chars: str) -> Path:
    """The bundled Open Sans with the outlines of ``chars`` taken out: the characters are still
    in its character map, so no other font stands in, and they would print as nothing."""
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.tables._g_l_y_f import Glyph

    from brochure.render.assets import BUNDLED

    font = TTFont(str(BUNDLED / "fonts" / "OpenSans-Regular.ttf"))
    cmap = font.getBestCmap()
    for char in chars:
        font["glyf"][cmap[ord(char)]] = Glyph()
    target.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(target))
    return target


@pytest.mark.parametrize("chars, shown", [
    ("0123456789", "\u20180\u2019 (U+0030), \u20181\u2019 (U+0031)"),  # the phone number, page numbers, dates
    ("()-", "\u2018(\u2019 (U+0028), \u2018)\u2019 (U+0029), \u2018-\u2019 (U+002D)"),  # its punctuation
    ("Q", "\u2018Q\u2019 (U+0051)"),  # only in a label: "Questions? Contact us"
])
def test_a_theme_font_without_outlines_is_refused_at_theme_font(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                chars: str, shown: str) -> None:
    content = write_minimal(tmp_path / "clinic", ("theme:\n", "theme:\n  font: fonts/Cut.ttf\n"))
    damaged_font(content.parent / "fonts" / "Cut.ttf", chars)
    monkeypatch.chdir(content.parent)
    run = run_main("build", content.name, "--out", "out")
    assert run.code == 1, run.out
    assert run.err[0].startswith(f"content.yaml:16: theme.font: 'fonts/Cut.ttf' draws {shown}"), run.err
    assert run.err[0].endswith("as nothing: the font lists these characters but has no outline for them (a damaged "
                               "or cut-down file), so they would not print; use the font's complete .ttf or .otf file")
    assert len(run.err) == 2 and not (content.parent / "out").exists()


def test_a_damaged_bold_file_from_the_project_is_reported_there_once(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from brochure.render.assets import BUNDLED

    root = project(tmp_path / "chain", PROJECT + "theme:\n  font:\n    regular: fonts/Regular.ttf\n"
                                                 "    bold: fonts/Bold.ttf\n")
    (root / "fonts").mkdir()
    shutil.copy(BUNDLED / "fonts" / "OpenSans-Regular.ttf", root / "fonts" / "Regular.ttf")
    damaged_font(root / "fonts" / "Bold.ttf", "8")
    monkeypatch.chdir(root)
    err = refused_once(root, "brochure.yaml:10: theme.font.bold: 'fonts/Bold.ttf' draws \u20188\u2019 (U+0038) as nothing")
    assert err[-1] == "handouts/after-care.yaml: 1 problem (shown above); no PDF was written.", err


# --- messages point at the cause --------------------------------------------------------------

def test_a_mistake_in_a_projects_locations_is_at_its_line_in_brochure_yaml_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path / "chain", PROJECT + "locations:\n  - id: north\n    clinic: {phone: '12'}\n  - id: south\n")
    monkeypatch.chdir(root)
    run = run_main("build", "--jobs", "1")
    assert run.code == 1
    assert [line for line in run.err if line.startswith("brochure.yaml")] == [
        "brochure.yaml:9: locations[0].clinic.phone: '12' is not a phone number; write it like (913) 871-9888"], run.err
    shutil.rmtree(root / "out")
    (root / "brochure.yaml").write_text(PROJECT + "locations: shared/gone.csv\n", encoding="utf-8")
    refused_once(root, "brochure.yaml:7: locations: no file 'shared/gone.csv' in the project's folder")


def test_a_location_id_on_two_lines_of_brochure_yaml_is_refused_there_once(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path / "chain", PROJECT + "locations:\n  - id: north\n  - id: south\n"
                                                 "    clinic: {phone: (816) 555-0102}\n  - id: north\n")
    monkeypatch.chdir(root)
    run = run_main("build", "--jobs", "1")
    assert run.code == 1
    twice = ("'north' is the id of lines 8 and 11: each location needs an id of its own, so no PDF is made for "
             "'north' until one of them is renamed")
    problems = [line for line in run.err if not line.endswith("PDFs were written.") and "findings to review" not in line]
    assert problems == [f"brochure.yaml:8: locations[0].id: {twice}", f"brochure.yaml:11: locations[2].id: {twice}"], \
        run.err
    assert sorted(p.name for p in (root / "out").glob("*-print.pdf")) == [
        "after-your-visit-south-print.pdf", "your-first-visit-south-print.pdf"]


SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="80" viewBox="0 0 200 80">{style}'
       '<rect width="200" height="80" fill="#ddd"/><g {group}><text x="10" y="50" {text}>Hi <tspan>there</tspan></text>'
       '</g></svg>')


@pytest.mark.parametrize("style, group, text, shown", [
    ("", "", 'font-family="Comic Sans MS, Arial"', "sets its text in 'Comic Sans MS', a font that is not bundled"),
    ("", 'font-family="Arial"', "", "sets its text in 'Arial', a font that is not bundled"),
    ("", "", 'style="fill: red; font: bold 12px/1.2 Helvetica"', "sets its text in 'Helvetica'"),
    ("<style>text { font-family: 'Times New Roman'; }</style>", "", "", "sets its text in 'Times New Roman'"),
    ("", "", "", "has text in no named font, so this computer's own font would print it"),
    ("", "", 'font-family="\'Open Sans\', sans-serif"', None),
    ("<style>.t { font: 12px \"Open Sans\" }</style>", 'class="t"', "", None),
])
def test_an_svg_picture_asking_for_a_font_not_bundled_is_named_at_its_key(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, style: str, group: str, text: str, shown: str | None) -> None:
    content = write_minimal(tmp_path / "clinic", ("  logo: logo.svg\n", "  logo: badge.svg\n"))
    (content.parent / "badge.svg").write_text(SVG.format(style=style, group=group, text=text), encoding="utf-8")
    monkeypatch.chdir(content.parent)
    run = run_main("build", content.name, "--out", "out", "--jobs", "1")
    if shown is None:
        assert run.code == 0, run.err
        return
    assert run.code == 1 and len(run.err) == 2, run.err
    assert run.err[0].startswith(f"content.yaml:13: clinic.logo: the picture 'badge.svg' {shown}"), run.err
    assert "Open Sans" in run.err[0] and not (content.parent / "out").exists()


def test_a_picture_that_became_a_loop_of_links_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After a good build (the manifest names the logo), the logo is replaced by a loop of links."""
    content = write_minimal(tmp_path / "clinic")
    monkeypatch.chdir(content.parent)
    assert run_main("build", content.name, "--out", "out").code == 0
    before = snapshot(content.parent / "out")
    (content.parent / "logo.svg").unlink()
    os.symlink("other.svg", content.parent / "logo.svg")
    os.symlink("logo.svg", content.parent / "other.svg")
    run = run_main("build", content.name, "--out", "out")
    assert run.code == 1
    assert run.err == ["content.yaml:13: clinic.logo: 'logo.svg' is a link that leads to no file (a loop); give the file "
                       "itself", "content.yaml: 1 problem; no PDF was written."], run.err
    assert snapshot(content.parent / "out") == before


def test_a_label_no_font_can_print_is_refused_at_its_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    content = write_minimal(tmp_path / "clinic")
    (content.parent / "messages").mkdir()
    (content.parent / "messages" / "en.yaml").write_text('call: Call\nvisit: "Visit \u260e"\n', encoding="utf-8")
    monkeypatch.chdir(content.parent)
    run = run_main("build", content.name, "--out", "out")
    assert run.code == 1
    assert run.err[0].startswith("messages/en.yaml:2: visit: \u2018\u260e\u2019 (U+260E) cannot be printed"), run.err
    assert len(run.err) == 2 and not (content.parent / "out").exists()
    # A bundled language whose script no font of the handout has: one line, at lang.
    (content.parent / "messages" / "en.yaml").unlink()
    content.write_text(content.read_text(encoding="utf-8").replace("lang: en-US", "lang: ar"), encoding="utf-8")
    run = run_main("build", content.name, "--out", "out")
    assert run.code == 1 and len(run.err) == 2, run.err
    assert run.err[0].startswith("content.yaml:3: lang: the labels brochure prints in 'ar' use \u2018\u060c\u2019 (U+060C)")
