"""Content checks: findings from the words (brochure.checks), from the built PDFs
(brochure.pdfcheck) and their text and JSON reports (brochure.report).

Texts are written for the tests so the answers are known; the seed is copied into
tmp_path and its line numbers are looked up in the copy, so an edit to the seed's wording
moves a line without breaking a test. PDFs are built with ``build_file`` or made by hand
with pikepdf when a test needs an exact number (an image's ppi, a colour).
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pikepdf
import pytest
from conftest import REPO, make_content, seed_project

from brochure.build import build_file
from brochure.checks.design import content_images, contrast_ratio
from brochure.checks.findings import Finding
from brochure.checks.report import exit_status, render_json, render_text
from brochure.checks.review import check_content, check_pdf, check_pdfs
from brochure.checks.text import readability, split_sentences, syllables
from brochure.content import Checks, load_with_source
from brochure.runner import check_file

TODAY = date(2026, 11, 25)
SETTINGS = Checks()
CONTENT_KINDS = {"reading-level", "long-sentence", "jargon", "claim", "required"}

# Short sentences, common words, every required part: nothing to report.
PLAIN = """\
title: Your Visit to Our Clinic
subtitle: What to bring and what to expect
lang: en-US
intro: |
  This page tells you what happens at your first visit. Read it before you come in.
sections:
  - heading: Before you come
    body: |
      Eat a light meal two hours before you come. Drink some water. Wear loose clothes.

      - Bring a list of the pills you take
      - Bring your insurance card
      - Ask a friend to drive you home
  - heading: At the clinic
    body: |
      A nurse checks your blood pressure. Then you rest in a quiet room.
      We stay with you the whole time. You can ask us to stop at any time.
  - heading: After your visit
    body: |
      Rest for the rest of the day. Do not drive until the next morning.
      Call us if you feel unwell.
clinic:
  name: Hill Street Clinic
  phone: (555) 010-0199
  website: hillstreet.example.org
  logo: logo.svg
disclaimer: This page gives general facts. It is not advice for your own case.
revised: 2026-11-01
review_by: 2027-11-01
layout: handout
"""


def write(folder: Path, text: str, *replace: tuple[str, str]) -> Path:
    """``text`` (with each ``replace`` pair applied, which must match) as content.yaml beside logo.svg."""
    return make_content(folder, text=text, replace=replace)


def seed(folder: Path, *replace: tuple[str, str]) -> Path:
    return seed_project(folder, *replace)


def findings_for(path: Path, settings: Checks = SETTINGS, today: date = TODAY) -> list[Finding]:
    brochure, source = load_with_source(path, "content.yaml")
    return check_content(brochure, source, settings, today)


def line_of(path: Path, text: str) -> int:
    """The line of ``path`` on which ``text`` first appears."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")


def of_kind(findings: list[Finding], kind: str) -> list[str]:
    return [str(f) for f in findings if f.kind == kind]


# --- the words -----------------------------------------------------------------------------

def test_plain_text_has_nothing_to_report(tmp_path: Path) -> None:
    assert findings_for(write(tmp_path, PLAIN)) == []


def test_seed_reads_above_grade_8_overall(tmp_path: Path) -> None:
    found = findings_for(seed(tmp_path))
    whole = [f.message for f in found if f.kind == "reading-level" and f.key == ""]
    assert len(whole) == 1
    grades = re.fullmatch(r"the article as a whole \(the intro and 4 sections\) reads at grade ([\d.]+) "
                          r"\(Flesch-Kincaid\) and ([\d.]+) \(SMOG\); the target is grade 8 or lower", whole[0])
    assert grades, whole[0]
    assert float(grades[1]) > 8 and float(grades[2]) > 8
    # The intro and every section are over grade 8 too, each with SMOG's caveat (under 30 sentences).
    parts = [f for f in found if f.kind == "reading-level" and f.key]
    assert [f.key for f in parts] == ["intro"] + [f"sections[{i}].body" for i in range(4)]
    assert all("SMOG is rough under 30 sentences" in f.message for f in parts)


def test_seed_claims_are_quoted_at_their_lines(tmp_path: Path) -> None:
    path = seed(tmp_path)
    rest = "is an absolute or unsupported claim; health claims need scientific evidence: soften it or say what the evidence shows"
    assert of_kind(findings_for(path), "claim") == [
        f"content.yaml:{line_of(path, 'Highly effective')}: sections[2].body: \u201cHighly effective\u201d {rest}",
        f"content.yaml:{line_of(path, 'immediate relief')}: sections[2].body: \u201cimmediate relief\u201d {rest}",
    ]


def test_seed_terms_without_plain_explanation(tmp_path: Path) -> None:
    path = seed(tmp_path)
    jargon = of_kind(findings_for(path), "jargon")
    assert (f"content.yaml:{line_of(path, 'NMDA receptors')}: sections[0].body: \u201cNMDA\u201d is not explained "
            f"where it first appears; add plain words right after it, in brackets or with \u201cwhich means \u2026\u201d"
            ) in jargon
    # "which are neurotransmitters" explains glutamate with another term nobody explained.
    assert (f"content.yaml:{line_of(path, 'your glutamate')}: sections[0].body: \u201cglutamate\u201d is explained "
            f"with another medical term, \u201cneurotransmitters\u201d; explain it in everyday words") in jargon


def test_seed_lacks_disclaimer_and_crisis_line(tmp_path: Path) -> None:
    path = seed(tmp_path)
    required = of_kind(findings_for(path), "required")
    assert ("content.yaml: disclaimer: no disclaimer: add a short note that this handout is general information, "
            "not medical advice for the reader's own case") in required
    assert (f"content.yaml:{line_of(path, 'subtitle:')}: subtitle: \u201cdepression\u201d makes this a mental-health "
            f"handout, but it never gives the 988 Suicide & Crisis Lifeline; add a line such as \u201cIn a crisis, "
            f"call or text 988.\u201d") in required


def test_crisis_line_anywhere_satisfies_mental_health_topic(tmp_path: Path) -> None:
    path = seed(tmp_path, ("revised: 2026-11-25", "revised: 2026-11-25\ndisclaimer: In a crisis, call or text 988."))
    assert not [m for m in of_kind(findings_for(path), "required") if "988" in m or "disclaimer" in m]


def test_missing_phone(tmp_path: Path) -> None:
    path = write(tmp_path, PLAIN, ("  phone: (555) 010-0199\n", ""))
    assert of_kind(findings_for(path), "required") == [
        f"content.yaml:{line_of(path, 'clinic:')}: clinic.phone: no phone number: add the clinic's phone so "
        f"patients can call"]


def test_missing_website_and_email_and_dates(tmp_path: Path) -> None:
    path = write(tmp_path, PLAIN, ("  website: hillstreet.example.org\n", ""), ("revised: 2026-11-01\n", ""),
                 ("review_by: 2027-11-01\n", ""))
    found = [(f.severity, f.key) for f in findings_for(path) if f.kind == "required"]
    assert found == [("info", "review_by"), ("warning", "revised"), ("warning", "clinic.website")]
    email_only = write(tmp_path, PLAIN, ("  website: hillstreet.example.org\n", "  email: care@hillstreet.example.org\n"))
    assert findings_for(email_only) == [], "an email is as good as a website"


def test_review_date_passed(tmp_path: Path) -> None:
    path = write(tmp_path, PLAIN, ("review_by: 2027-11-01", "review_by: 2026-06-30"))
    assert of_kind(findings_for(path), "required") == [
        f"content.yaml:{line_of(path, 'review_by:')}: review_by: the review date 2026-06-30 has passed; "
        f"review the handout, then set a new review_by date"]
    assert findings_for(path, today=date(2026, 6, 30)) == [], "due today is not passed"


def test_long_sentence_quotes_its_first_words(tmp_path: Path) -> None:
    long = ("When you come in for your first visit we will ask you to fill in a short form about "
            "the pills you take at home.")  # 25 words
    path = write(tmp_path, PLAIN, ("Drink some water.", long))
    assert of_kind(findings_for(path), "long-sentence") == [
        f"content.yaml:{line_of(path, 'When you come in')}: sections[0].body: a sentence of 25 words (the limit is 20): "
        f"\u201cWhen you come in for your first visit \u2026\u201d"]
    assert of_kind(findings_for(path, Checks(max_sentence_words=25)), "long-sentence") == []


def test_explained_terms_pass_and_clinic_lists_extend(tmp_path: Path) -> None:
    body = ("Ketamine acts on glutamate (a chemical messenger in the brain). It blocks NMDA receptors, which "
            "are doors on nerve cells. It acts on a calming messenger called GABA. Chronic pain means pain "
            "that lasts for months.")
    path = write(tmp_path, PLAIN, ("Drink some water.", body))
    # Ketamine, rare in everyday English and unexplained here, is the clinic's own word: its glossary.
    assert [f for f in findings_for(path, Checks(glossary=["ketamine"])) if f.kind in ("jargon", "claim")] == []
    extra = Checks(extra_terms=["ketamine"], extra_claims=["quiet room"])
    found = findings_for(path, extra)
    assert [m.split(": ", 2)[2] for m in of_kind(found, "jargon")] == [
        "\u201cKetamine\u201d is not explained where it first appears; add plain words right after it, in brackets "
        "or with \u201cwhich means \u2026\u201d"]
    assert len(of_kind(found, "claim")) == 1 and "\u201cquiet room\u201d" in of_kind(found, "claim")[0]


def test_negated_claims_are_not_claims(tmp_path: Path) -> None:
    path = write(tmp_path, PLAIN, ("Drink some water.", "Ketamine is not a cure. There is no guarantee. It can cure pain."))
    claims = of_kind(findings_for(path), "claim")
    assert len(claims) == 1 and "\u201ccure\u201d" in claims[0]


# --- sentences and formulas: known answers --------------------------------------------------------

def test_sentences_keep_abbreviations_together() -> None:
    text = "Dr. Lee sees you at 9 a.m. on Monday. Bring your pills, e.g. Advil. Call J. Smith at 5 p.m. Then rest!"
    assert [s for _, s in split_sentences(text)] == [
        "Dr. Lee sees you at 9 a.m. on Monday.", "Bring your pills, e.g. Advil.", "Call J. Smith at 5 p.m.",
        "Then rest!"]


def test_each_bullet_is_its_own_sentence(tmp_path: Path) -> None:
    path = write(tmp_path, PLAIN)
    brochure, source = load_with_source(path, "content.yaml")
    from brochure.checks.text import markdown_blocks

    blocks = list(markdown_blocks(brochure.sections[0].body, ("sections", 0, "body"), source))
    sentences = [s for block in blocks for _, s in split_sentences(block.text)]
    assert sentences[-3:] == ["Bring a list of the pills you take", "Bring your insurance card",
                              "Ask a friend to drive you home"]
    assert [b.line for b in blocks] == [line_of(path, "Eat a light meal")] + [
        line_of(path, text) for text in ("- Bring a list", "- Bring your", "- Ask a friend")]


def test_syllables_and_grades() -> None:
    assert [syllables(w) for w in ("cat", "make", "people", "medicine", "carefully", "ketamine", "NMDA")] == [
        1, 1, 2, 3, 3, 3, 4]
    simple = readability(["The cat sat on the mat."])
    assert (simple.sentences, simple.words, simple.syllables, simple.polysyllables) == (1, 6, 6, 0)
    assert round(simple.flesch_kincaid, 2) == -1.45  # 0.39 * 6 + 11.8 * 1 - 15.59
    assert round(simple.smog, 4) == 3.1291
    hard = readability(["Ketamine infusion therapy is beneficial."])  # 3 + 3 + 3 + 1 + 4 syllables
    assert (hard.words, hard.syllables, hard.polysyllables) == (5, 14, 4)
    assert round(hard.smog, 2) == round(1.0430 * (4 * 30) ** 0.5 + 3.1291, 2)


# --- the PDFs --------------------------------------------------------------------------------------

def build(folder: Path) -> tuple[Path, Path]:
    result = build_file(folder / "content.yaml", folder / "out", "content.yaml")
    print_pdf, email_pdf = result.pdf("print"), result.pdf("email")
    return print_pdf, email_pdf


def made(print_pdf: Path, email_pdf: Path) -> dict[str, Path]:
    """Two PDFs by their output kind's name, as ``check_pdfs`` takes them (``Result.outputs``)."""
    return {"print": print_pdf, "email": email_pdf}


@pytest.fixture(scope="module")
def seed_pdfs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The seed as it is (a tri-fold, whose panels are form XObjects)."""
    folder = tmp_path_factory.mktemp("seed")
    seed(folder)
    return build(folder)


def test_seed_pdfs_have_no_design_warnings(seed_pdfs: tuple[Path, Path]) -> None:
    found = check_pdfs(made(*seed_pdfs), SETTINGS)
    assert [f for f in found if f.severity == "warning"] == []
    notes = [f for f in found if f.kind == "type-size"]
    assert [Path(f.file).name for f in notes] == [p.name for p in sorted(seed_pdfs)]
    assert all(re.fullmatch(r"the smallest type is [\d.]+ pt \(.+\); most text is [\d.]+ pt", f.message) for f in notes)


def test_type_size_under_the_minimum(seed_pdfs: tuple[Path, Path]) -> None:
    found = check_pdf(seed_pdfs[0], "print", Checks(min_type_pt=30))
    small = [f for f in found if f.kind == "type-size"]
    assert len(small) == 1 and small[0].severity == "warning"
    assert re.fullmatch(r"text as small as [\d.]+ pt \(.+\); use 30 pt or more", small[0].message)


def test_a_pale_theme_is_darkened_where_text_needs_it(tmp_path: Path) -> None:
    """The bundled templates darken a brand colour behind white text and for headings, only
    as far as 4.5:1 needs: a pale theme passes the contrast check out of the box."""
    seed(tmp_path, ('primary: "#1d5c73"', 'primary: "#b8d8e0"'))
    print_pdf, email_pdf = build(tmp_path)
    assert [str(f) for f in check_pdfs(made(print_pdf, email_pdf), SETTINGS) if f.kind == "contrast"] == []


def test_pale_colours_in_a_clinics_own_stylesheet_fail_contrast(tmp_path: Path) -> None:
    seed(tmp_path, ('primary: "#1d5c73"', 'primary: "#b8d8e0"'))
    own = tmp_path / "templates" / "css"
    own.mkdir(parents=True)
    # The clinic's copy of the email stylesheet, with the pale colour used as it is.
    css = (REPO / "templates" / "css" / "email.css").read_text(encoding="utf-8")
    (own / "email.css").write_text(css + "\n.cover { background: #b8d8e0; } h2 { color: #b8d8e0; }\n",
                                   encoding="utf-8")
    print_pdf, email_pdf = build(tmp_path)
    found = check_pdfs(made(print_pdf, email_pdf), SETTINGS)
    contrast = [str(f) for f in found if f.kind == "contrast"]
    # White cover text on the pale band, on page 1.
    assert any(m.startswith(f"{email_pdf}: page 1: #ffffff text on #b8d8e0 has a contrast of 1.5:1; it needs 4.5:1 "
                            "(\u201cBalanced Ketamine\u201d") for m in contrast), contrast
    # Pale headings on white (large, bold: 3:1 is enough, and 1.5:1 is not).
    assert any(m.startswith(f"{email_pdf}: page 2: #b8d8e0 text on #ffffff has a contrast of 1.5:1; it needs 3:1 "
                            "for large text") for m in contrast), contrast
    assert all(f.severity == "warning" for f in found if f.kind == "contrast")


def test_low_resolution_image_in_print_pdf(tmp_path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (60, 40), (200, 120, 60)).save(tmp_path / "photo.png")
    path = seed(tmp_path, ("layout: trifold", "layout: handout"),
                ("  - heading: Benefits of Ketamine\n",
                 "  - heading: Benefits of Ketamine\n    image:\n      src: photo.png\n      alt: A nurse and a patient\n"))
    print_pdf, email_pdf = build(tmp_path)
    brochure, source = load_with_source(path, "content.yaml")
    images = content_images(brochure, source, tmp_path)
    found = [f for f in check_pdfs(made(print_pdf, email_pdf), SETTINGS, images) if f.kind == "image-resolution"]
    assert len(found) == 1, found
    assert re.fullmatch(
        rf"content.yaml:{line_of(path, 'src: photo.png')}: sections\[2\].image.src: \u2018photo.png\u2019 \(60 \u00d7 40 px\) "
        rf"prints at (\d+) ppi \([\d.]+ \u00d7 [\d.]+ in, page \d of {print_pdf.name}\); print needs 300 ppi: "
        rf"use a file of at least \d+ \u00d7 \d+ px, or an SVG", str(found[0])), str(found[0])
    # Without the content's images the same image is reported by page of the PDF.
    unnamed = [f for f in check_pdfs(made(print_pdf, email_pdf), SETTINGS) if f.kind == "image-resolution"]
    assert len(unnamed) == 1 and unnamed[0].file == str(print_pdf) and unnamed[0].key.startswith("page ")


def test_image_inside_a_form_xobject(tmp_path: Path) -> None:
    """A 10 px image drawn 2 in wide through a form (as the tri-fold draws its panels): 5 ppi."""
    pdf = pikepdf.new()
    image = pikepdf.Stream(pdf, b"\x80" * 300, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image, Width=10,
                           Height=10, ColorSpace=pikepdf.Name.DeviceRGB, BitsPerComponent=8)
    form = pikepdf.Stream(pdf, b"q 72 0 0 72 0 0 cm /Im0 Do Q", Type=pikepdf.Name.XObject,
                          Subtype=pikepdf.Name.Form, BBox=[0, 0, 100, 100],
                          Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image)))
    page = pdf.add_blank_page(page_size=(200, 200))
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(P0=form))
    page.Contents = pdf.make_stream(b"q 2 0 0 2 10 10 cm /P0 Do Q")
    pdf.save(tmp_path / "form.pdf")
    assert [str(f) for f in check_pdf(tmp_path / "form.pdf", "print", SETTINGS)] == [
        f"{tmp_path / 'form.pdf'}: page 1: an image of 10 \u00d7 10 px prints at 5 ppi (2.0 \u00d7 2.0 in); "
        f"print needs 300 ppi: use a file of at least 600 \u00d7 600 px, or an SVG"]


def test_contrast_on_a_drawn_background_and_unembedded_font(tmp_path: Path) -> None:
    """White text on a #cccccc rectangle (1.6:1) in a Helvetica that is not embedded.

    The glyphs are stroked 3 pt thick, so they cover most of their box: the background must
    come from the page with its text removed, not from the pixels around the glyphs.
    """
    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=(200, 200))
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Helvetica))
    page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    page.Contents = pdf.make_stream(b"0.8 0.8 0.8 rg 0 0 200 200 re f 1 1 1 rg 1 1 1 RG 3 w "
                                    b"BT /F1 12 Tf 2 Tr 20 100 Td (Hello) Tj ET")
    pdf.save(tmp_path / "text.pdf")
    name = tmp_path / "text.pdf"
    assert [str(f) for f in check_pdf(name, "print", SETTINGS)] == [
        f"{name}: the font \u2018Helvetica\u2019 is not embedded; printers and readers would use another",
        f"{name}: page 1: #ffffff text on #cccccc has a contrast of 1.6:1; it needs 4.5:1 (\u201cHello\u201d)",
        f"{name}: page 1: the smallest type is 12 pt (\u201cHello\u201d); most text is 12 pt",
    ]
    assert round(contrast_ratio((1, 1, 1), (0, 0, 0)), 2) == 21.0


def test_check_file_builds_and_checks_a_plain_handout(tmp_path: Path) -> None:
    """The whole pipeline on a plain text: no warnings, PDFs named by file name (built in a temporary folder)."""
    found = check_file(write(tmp_path, PLAIN), "content.yaml", SETTINGS, today=TODAY)
    assert [f for f in found if f.severity == "warning"] == []
    assert sorted(f.file for f in found) == ["your-visit-to-our-clinic-email.pdf", "your-visit-to-our-clinic-print.pdf"]
    assert not (tmp_path / "out").exists()


def test_email_pdf_without_tags_alt_text_or_fonts(seed_pdfs: tuple[Path, Path], tmp_path: Path) -> None:
    """The built email PDF passes; with its tags, title, language, alt text and a font file taken out, it fails."""
    email = seed_pdfs[1]
    assert [f for f in check_pdf(email, "email", SETTINGS) if f.severity == "warning"] == []
    broken = tmp_path / "broken.pdf"
    with pikepdf.open(email) as pdf:
        figure = next(o for o in pdf.objects if isinstance(o, pikepdf.Dictionary) and o.get("/S") == "/Figure")
        del figure["/Alt"]
        del pdf.Root["/Lang"]
        del pdf.Root["/MarkInfo"]
        del pdf.Root.ViewerPreferences["/DisplayDocTitle"]
        del pdf.docinfo["/Title"]
        font = next(o for o in pdf.objects if isinstance(o, pikepdf.Dictionary) and o.get("/Subtype") == "/Type0")
        del font.DescendantFonts[0].FontDescriptor["/FontFile2"]
        font_name = str(font.BaseFont).lstrip("/")
        pdf.save(broken)
    found = [(f.kind, f.key, f.message) for f in check_pdf(broken, "email", SETTINGS) if f.severity == "warning"]
    assert sorted(found) == sorted([
        ("alt-text", "page 1", "a figure has no alt text, so screen readers skip it; give the image an alt"),
        ("tagging", "", "not marked as tagged (MarkInfo /Marked is not true)"),
        ("tagging", "", "no document language (/Lang): screen readers may read it with the wrong voice"),
        ("tagging", "", "no title in the document information"),
        ("tagging", "", "viewers show the file name, not the title (ViewerPreferences /DisplayDocTitle)"),
        ("fonts", "", f"the font \u2018{font_name}\u2019 is not embedded; printers and readers would use another"),
    ])


# --- reports --------------------------------------------------------------------------------------

FINDINGS = [
    Finding("claim", "warning", "content.yaml", 54, "sections[2].body", "\u201ccure\u201d is a claim"),
    Finding("required", "info", "content.yaml", None, "review_by", "no review date"),
    Finding("required", "warning", "content.yaml", 70, "clinic.website", "no website or email"),
]


def test_text_report_groups_by_kind_with_a_verdict() -> None:
    assert render_text(FINDINGS, "content.yaml").splitlines() == [
        "Required parts (1 warning, 1 note)",
        "  note    content.yaml: review_by: no review date",
        "  warning content.yaml:70: clinic.website: no website or email",
        "",
        "Absolute or unsupported claims (1 warning)",
        "  warning content.yaml:54: sections[2].body: \u201ccure\u201d is a claim",
        "",
        "content.yaml: 2 warnings and 1 note to review before printing or sending.",
    ]
    assert render_text([], "content.yaml").strip() == "content.yaml: no warnings; nothing to report."


def test_json_report_schema_and_strict_exit() -> None:
    document = json.loads(render_json(FINDINGS, "content.yaml"))
    assert list(document) == ["version", "file", "summary", "findings"]
    assert document["version"] == 1
    assert document["summary"]["warnings"] == 2 and document["summary"]["info"] == 1
    assert document["summary"]["by_kind"]["required"] == {"warning": 1, "info": 1}
    assert document["findings"][0] == {"kind": "required", "severity": "info", "file": "content.yaml", "line": None,
                                       "key": "review_by", "message": "no review date"}
    assert render_json(FINDINGS, "content.yaml") == render_json(list(reversed(FINDINGS)), "content.yaml")
    assert (exit_status(FINDINGS), exit_status(FINDINGS, strict=True)) == (0, 1)
    assert exit_status(FINDINGS[1:2], strict=True) == 0, "notes never fail"
    assert str(FINDINGS[0]) == "content.yaml:54: sections[2].body: \u201ccure\u201d is a claim"
