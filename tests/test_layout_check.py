"""The layout check, and the findings staff can trust: planted problems are found, normal handouts are clean.

Hostile layouts are made the way a clinic would: its own ``templates/css/print.css`` (or
``email.css``) beside the content, the bundled stylesheet with a few rules added that push
text past a fold, over other text, or a photo past the trim. Each planted problem is also
confirmed from the PDF with poppler's ``pdftotext -bbox`` where that is what is claimed, so
a check that always reported would not pass.
"""

from __future__ import annotations

import re
from pathlib import Path

import pikepdf
import pytest
from conftest import REPO, make_content, seed_project, tool, write_minimal

from brochure.checks.findings import KINDS, Finding
from brochure.checks.layout import areas
from brochure.checks.pdfread import read_pages
from brochure.checks.review import check_content, check_pdf
from brochure.checks.traced import Texts
from brochure.content import Checks, load_with_source
from brochure.render.paper import PT_PER_IN, SHEETS
from brochure.runner import check_file

LETTER = SHEETS["letter"]


def with_css(folder: Path, rules: str, sheet: str = "print.css") -> None:
    """The clinic's own ``templates/css/<sheet>``: the bundled one with ``rules`` added."""
    css = folder / "templates" / "css"
    css.mkdir(parents=True, exist_ok=True)
    (css / sheet).write_text((REPO / "templates" / "css" / sheet).read_text(encoding="utf-8") + "\n" + rules + "\n",
                             encoding="utf-8")


def checked(path: Path, out: Path) -> list[Finding]:
    """Build ``path`` into ``out`` and return every finding (PDF findings name the PDF's path)."""
    return check_file(path, "content.yaml", Checks(), out_dir=out)


def layout_of(found: list[Finding], severity: str = "warning") -> list[Finding]:
    return [f for f in found if f.kind == "layout" and f.severity == severity]


def line_of(path: Path, text: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")


def words(pdf: Path, page: int) -> list[tuple[str, float, float, float, float]]:
    """Poppler's words on a page (1-based) as (word, x0, y0, x1, y1) in points from the TrimBox's
    top left corner."""
    html = tool("pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-").stdout
    with pikepdf.open(pdf) as document:
        media = [float(v) for v in document.pages[page - 1].mediabox]
        trim = [float(v) for v in document.pages[page - 1].obj.get("/TrimBox", document.pages[page - 1].mediabox)]
    dx, dy = trim[0] - media[0], media[3] - trim[3]
    found = []
    for x0, y0, x1, y1, word in re.findall(
            r'<word xMin="(-?[\d.]+)" yMin="(-?[\d.]+)" xMax="(-?[\d.]+)" yMax="(-?[\d.]+)">([^<]*)</word>', html):
        found.append((word, float(x0) - dx, float(y0) - dy, float(x1) - dx, float(y1) - dy))
    return found


@pytest.fixture(scope="module")
def seed_checked(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Finding], Path]:
    folder = tmp_path_factory.mktemp("seed")
    path = seed_project(folder)
    return checked(path, folder / "out"), folder / "out"


# --- normal handouts: nothing to report -------------------------------------------------------------

def test_seed_trifold_has_no_layout_findings(seed_checked: tuple[list[Finding], Path]) -> None:
    found, out = seed_checked
    assert [f for f in found if f.kind == "layout"] == []
    assert "layout" in KINDS and KINDS["layout"] == "Layout"
    # The check saw the tri-fold as six panels, and the words in them.
    with pikepdf.open(next(out.glob("*-print.pdf"))) as pdf:
        names = [[a.name for a in page] for page in areas(pdf, "print")]
        runs, _ = read_pages(pdf)
    assert names == [["the fold-in flap", "the back panel", "the front cover"],
                     ["the inside left panel", "the inside middle panel", "the inside fold-in panel"]]
    assert len(runs) > 100


OWN = """\
title: Your First Ketamine Visit
subtitle: What to bring, what happens, and how to get home safely
lang: en-US
intro: |
  This leaflet tells you what happens at your first visit. Please read it before you come.
sections:
  - heading: Before you come
    body: |
      Do not eat for six hours before your visit. You can drink water until two hours before.

      - Bring a list of the pills you take
      - Bring your insurance card
      - Ask a friend to drive you home
  - heading: When you arrive
    body: |
      A nurse checks your blood pressure and heart rate. Then you sit in a quiet room with a
      soft chair. We place a small tube in a vein in your arm. This is called an IV (a thin
      tube that puts medicine into your blood).
  - heading: During the infusion
    body: |
      The medicine goes in slowly for about 40 minutes. You may feel floaty or far away.
      This is normal and goes away soon after. A nurse stays with you the whole time.
  - heading: After the infusion
    body: |
      You rest with us for about 30 minutes. Do not drive, work or sign papers for the rest
      of the day. Most people feel like themselves by the next morning.
  - heading: Call us
    body: Call us if you feel unwell after the infusion.
  - heading: In a crisis
    body: If you have thoughts of hurting yourself, call or text 988 at any time.
clinic:
  name: Hill Street Clinic
  phone: (555) 010-0199
  website: hillstreetclinic.example.org
  email: appointments@hillstreetclinic.example.org
  address: |
    400 Hill Street, Suite 2
    Springfield, KS 66000
  logo: logo.svg
disclaimer: This leaflet gives general facts. It is not advice for your own case.
revised: 2026-11-01
review_by: 2027-11-01
layout: handout
"""


@pytest.mark.parametrize("layout, paper", [("handout", "letter"), ("handout", "a4"), ("trifold", "a4")])
def test_normal_handouts_have_no_layout_warnings(tmp_path: Path, layout: str, paper: str) -> None:
    """A handout of our own (long email and address on the back panel) and the seed as a handout."""
    own = make_content(tmp_path / "own", text=OWN.replace("layout: handout", f"layout: {layout}\npaper: {paper}"))
    found = checked(own, tmp_path / "own-out")
    assert layout_of(found) == []
    if layout == "handout":
        assert [f for f in found if f.kind == "layout"] == []
        seed = make_content(tmp_path / "seed", paper=paper)
        assert [f for f in checked(seed, tmp_path / "seed-out") if f.kind == "layout"] == []
    else:  # the short article is spread over the flap and the inside (render.panels): no panel left blank
        assert [f.message for f in found if f.kind == "layout"] == []


# --- planted problems --------------------------------------------------------------------------------

def test_contact_block_pushed_past_the_fold(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    path = seed_project(folder, ("  phone: (913) 871-9888\n",
                                 "  phone: (913) 871-9888\n  email: appointments@balancedketamine.com\n"))
    with_css(folder, ".panel-back .contact { margin-left: -1.2in; }")
    found = checked(path, tmp_path / "out")
    pdf = tmp_path / "out" / "how-ketamine-affects-the-brain-print.pdf"
    # From the PDF: the back panel's heading now starts left of the fold, on the flap's side.
    fold = LETTER.panels[0]
    heading = [w for w in words(pdf, 1) if w[0] == "Questions?"]
    assert heading and heading[0][1] < fold - 0.5 * PT_PER_IN, heading
    cut = {f.key: f for f in layout_of(found)}
    for key, text in (("clinic.name", "Balanced Ketamine"), ("clinic.email", "appointments@")):
        assert key in cut, [str(f) for f in found if f.kind == "layout"]
        assert cut[key].line == line_of(path, key.split(".")[1] + ":")
        assert re.fullmatch(rf"page 1 of {pdf.name}, the back panel: .*\u201c{text}.*\u201d runs? (up to )?"
                            r"[\d.]+ in past the fold into the fold-in flap, where (it is|they are) cut off",
                            cut[key].message), cut[key].message
    untraced = [f for f in layout_of(found) if f.key == "page 1"]
    assert any("\u201cQuestions? Contact us\u201d" in f.message and f.file == str(pdf) for f in untraced)
    # Clipped at the fold, the pushed words are not also reported as printed over the flap's.
    assert not [f for f in layout_of(found) if "print over each other" in f.message]


def test_title_positioned_off_the_cover_and_over_the_subtitle(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    path = seed_project(folder)
    with_css(folder, ".cover h1 { position: absolute; top: 3.2in; left: 1.5in; width: 4in; }")
    found = layout_of(checked(path, tmp_path / "out"))
    title = [f for f in found if f.key == "title"]
    assert title and all(f.line == line_of(path, "title:") for f in title)
    assert any(re.search(r"the front cover: \u201cHow Ketamine Affects\u201d runs [\d.]+ in past the trim \(right\), "
                         r"where it is cut off", f.message) for f in title), [str(f) for f in found]
    assert any("the front cover:" in f.message and "print over each other" in f.message and
               "\u201cinfusion for pain and depression\u201d" in f.message for f in title), [str(f) for f in found]


def test_headings_pulled_up_over_text_overlap(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    path = seed_project(folder)
    with_css(folder, ".article h2 { margin-top: -2.5em; }")
    found = layout_of(checked(path, tmp_path / "out"))
    overlaps = [f for f in found if "print over each other" in f.message]
    keys = {f.key for f in overlaps}
    # Which body a heading lands on depends on where the panels break (hyphenation moves it).
    assert "sections[0].heading" in keys and any(k.endswith("].body") for k in keys), [str(f) for f in overlaps]
    heading = next(f for f in overlaps if "\u201cHow Does Ketamine Affect\u201d" in f.message)
    assert heading.message.startswith("page 1 of how-ketamine-affects-the-brain-print.pdf, the fold-in flap: ")
    assert any(f.message.startswith("page 2 of how-ketamine-affects-the-brain-print.pdf, the inside ")
               for f in overlaps), [str(f) for f in overlaps]
    # Nothing was pushed off a panel: only overlaps.
    assert all("print over each other" in f.message for f in found), [str(f) for f in found]


def test_handout_text_past_the_trim_and_in_the_safe_zone(tmp_path: Path) -> None:
    folder = tmp_path / "far"
    path = make_content(folder)
    with_css(folder, ".intro { margin-left: -1in; }")
    found = layout_of(checked(path, tmp_path / "far-out"))
    intro = [f for f in found if f.key == "intro"]
    assert intro and re.match(r"page 1 of how-ketamine-affects-the-brain-print.pdf: \u201c.+ runs? (up to )?"
                              r"[\d.]+ in past the trim \(left\), where (it is|they are) cut off", intro[0].message)
    assert intro[0].line is not None and intro[0].line >= line_of(path, "intro:")
    # From the PDF: the intro's first word starts left of the trim.
    first = next(w for w in words(tmp_path / "far-out" / "how-ketamine-affects-the-brain-print.pdf", 1)
                 if w[0] == "When")
    assert first[1] < 0

    near = make_content(tmp_path / "near")
    with_css(tmp_path / "near", ".intro { margin-left: -0.52in; }")  # 0.6 in margin: 0.08 in from the trim
    close = [f for f in layout_of(checked(near, tmp_path / "near-out")) if f.key == "intro"]
    assert close and re.search(r"(is|are) less than 0.125 in from the trim \(left\); keep text at least 0.125 in "
                               r"from it, where the cut cannot reach (it|them)$", close[0].message), [str(f) for f in close]


def test_text_hidden_by_its_box(tmp_path: Path) -> None:
    """A clinic stylesheet that gives the contact block a fixed height and hides what overflows it."""
    folder = tmp_path / "project"
    path = seed_project(folder)
    with_css(folder, ".panel-back .contact { height: 0.8in; overflow: hidden; }")
    found = layout_of(checked(path, tmp_path / "out"))
    assert [(f.key, f.line) for f in found] == [("clinic.phone", line_of(path, "phone:"))], [str(f) for f in found]
    assert found[0].message.endswith("the back panel: \u201c(913) 871-9888\u201d is partly hidden: it runs past the "
                                     "box it is set in, which cuts it off")


def _portrait(folder: Path) -> None:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (900, 1600), (90, 140, 180)).save(folder / "portrait.jpg", quality=60)


PHOTO = ("  - heading: Long Story Short\n",
         "  - heading: A photo\n    body: Here is a picture.\n    image:\n      src: portrait.jpg\n"
         "      alt: A nurse and a patient\n  - heading: Long Story Short\n")


def test_photo_past_the_trim_in_print_and_email(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    _portrait(folder)
    path = seed_project(folder, ("layout: trifold", "layout: handout"), PHOTO)
    with_css(folder, ".article figure img { max-height: none; width: 9in; }")
    with_css(folder, ".article figure img { max-height: none; width: 12in; margin-left: -2in; }", "email.css")
    found = layout_of(checked(path, tmp_path / "out"))
    photo = [f for f in found if f.key == "sections[3].image.src"]
    assert len(photo) == 2, [str(f) for f in found]
    assert all(f.line == line_of(path, "src: portrait.jpg") for f in photo)
    print_pdf, email_pdf = sorted(photo, key=lambda f: "email" in f.message)
    assert re.search(r"of how-ketamine-affects-the-brain-print.pdf: \u2018portrait.jpg\u2019 \(9.0 \u00d7 16.0 in\) "
                     r"runs [\d.]+ in past the trim \(bottom\), where it is cut off", print_pdf.message), print_pdf
    assert re.search(r"of how-ketamine-affects-the-brain-email.pdf: \u2018portrait.jpg\u2019 \(12.0 \u00d7 21.3 in\) "
                     r"runs [\d.]+ in past the edge of the page \(\w+\), where it is not shown", email_pdf.message)


def test_photo_past_a_fold(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    _portrait(folder)
    path = write_minimal(folder, ("layout: handout", "layout: trifold"),
                         ("    body: Two to three hours for most adults.\n",
                          "    body: Two to three hours for most adults.\n    image:\n      src: portrait.jpg\n"
                          "      alt: A nurse\n"))
    with_css(folder, ".article figure img { max-height: none; width: 4in; margin-left: 0.3in; }")
    found = layout_of(checked(path, tmp_path / "out"))
    assert any(f.key == "sections[1].image.src" and re.search(
        r"the (fold-in flap|inside (left|middle) panel): \u2018portrait.jpg\u2019 \(4.0 \u00d7 7.1 in\) runs [\d.]+ in "
        r"past the fold into the (back|inside middle|inside fold-in) panel, where it is cut off", f.message)
        for f in found), [
            str(f) for f in found]


# --- findings staff can trust ---------------------------------------------------------------------------

LOGO = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 120" width="120" height="120">
  <circle cx="60" cy="60" r="58" fill="#ffffff"/>
  <text x="60" y="70" font-family="Open Sans" font-size="14" text-anchor="middle" fill="#1d5c73">BALANCED</text>
  <text x="10" y="90" font-family="Open Sans" font-size="9" fill="#e0a080">ketamine clinic</text>
</svg>
"""


def test_letters_of_a_logo_are_not_type(tmp_path: Path) -> None:
    """A logo's lettering (SVG text, drawn a letter at a time) is neither small type nor low contrast."""
    path = seed_project(tmp_path / "project")
    (tmp_path / "project" / "logo.svg").write_text(LOGO, encoding="utf-8")
    found = checked(path, tmp_path / "out")
    assert [str(f) for f in found if f.kind in ("type-size", "contrast", "layout") and f.severity == "warning"] == []
    notes = [f.message for f in found if f.kind == "type-size"]
    assert len(notes) == 2 and not any("\u201ck\u201d" in m or "4.9 pt" in m for m in notes), notes
    with pikepdf.open(tmp_path / "out" / "how-ketamine-affects-the-brain-print.pdf") as pdf:
        runs, _ = read_pages(pdf)
    assert "".join(r.text for r in runs if r.picture) == "BALANCEDketamineclinic"
    # The same small, pale words set as text in the article are still reported.
    small = check_pdf(tmp_path / "out" / "how-ketamine-affects-the-brain-print.pdf", "print", Checks(min_type_pt=20))
    assert any(f.kind == "type-size" and f.severity == "warning" for f in small)


@pytest.mark.parametrize("primary", ["#4a90c2", "#2e8b57", "#d2691e"])
def test_mid_tone_brand_headings_are_large_text_that_passes(tmp_path: Path, primary: str) -> None:
    """Headings in a mid-tone brand colour on white or the panel tint pass as large text (3:1)."""
    path = seed_project(tmp_path / "project", ('primary: "#1d5c73"', f'primary: "{primary}"'))
    found = [f for f in checked(path, tmp_path / "out") if f.kind == "contrast"]
    assert not [f.message for f in found if "for large text" in f.message and "How Does Ketamine" in f.message]


def test_cmyk_text_and_background_in_the_same_ink_have_no_contrast(seed_checked: tuple[list[Finding], Path],
                                                                  tmp_path: Path) -> None:
    """Text and the panel behind it are converted through the same profile: the same ink is 1.0:1."""
    _, out = seed_checked
    with pikepdf.open(next(out.glob("*-print.pdf"))) as built:
        intents = built.Root.get("/OutputIntents")
        profile = intents[0].get("/DestOutputProfile") if intents else None
        if profile is None or int(profile.get("/N", 0)) != 4:
            pytest.skip("the print PDF has no CMYK output intent")
        data = profile.read_bytes()
    pdf = pikepdf.new()
    icc = pikepdf.Stream(pdf, data)
    icc.N = 4
    pdf.Root.OutputIntents = pikepdf.Array([pikepdf.Dictionary(Type=pikepdf.Name.OutputIntent, S=pikepdf.Name.GTS_PDFX,
                                                               DestOutputProfile=icc)])
    page = pdf.add_blank_page(page_size=(300, 100))
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Helvetica))
    page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font), ColorSpace=pikepdf.Dictionary(
        CS0=pikepdf.Array([pikepdf.Name.ICCBased, icc])))
    ink = "0.66 0.25 0 0.14"
    page.Contents = pdf.make_stream(f"{ink} k 0 0 300 100 re f /CS0 cs {ink} scn 1 1 1 RG 3 w "
                                    f"BT /F1 20 Tf 2 Tr 20 40 Td (Same ink) Tj ET".encode())
    pdf.save(tmp_path / "ink.pdf")
    contrast = [f.message for f in check_pdf(tmp_path / "ink.pdf", "print", Checks()) if f.kind == "contrast"]
    match = re.match(r"#([0-9a-f]{6}) text on #([0-9a-f]{6}) has a contrast of 1.0:1", contrast[0]) if contrast else None
    assert len(contrast) == 1 and match, contrast
    text, behind = (bytes.fromhex(match[i]) for i in (1, 2))
    assert max(abs(a - b) for a, b in zip(text, behind)) <= 2, contrast  # rounding in two colour engines


def test_smog_on_one_or_two_sentences_is_a_note(tmp_path: Path) -> None:
    path = write_minimal(tmp_path, ("Two to three hours for most adults.", "Call us if you feel unwell after the infusion."))
    brochure, source = load_with_source(path, "content.yaml")
    found = [f for f in check_content(brochure, source, Checks()) if f.kind == "reading-level"]
    one = [f for f in found if f.key == "sections[1].body"]
    assert len(one) == 1 and one[0].severity == "info", [str(f) for f in found]
    assert re.fullmatch(r"this text reads at grade [\d.]+ \(Flesch-Kincaid\), within the target of grade 8; SMOG "
                        r"gives [\d.]+, but on 1 sentence SMOG says little: look at its longest words", one[0].message)
    # Hard words in one sentence still warn: Flesch-Kincaid is over too.
    hard = write_minimal(tmp_path / "hard", ("Two to three hours for most adults.",
                                             "Ketamine medication is beneficial for many patients."))
    brochure, source = load_with_source(hard, "content.yaml")
    assert [f.severity for f in check_content(brochure, source, Checks())
            if f.kind == "reading-level" and f.key == "sections[1].body"] == ["warning"]


def test_words_are_traced_to_their_key_and_line(tmp_path: Path) -> None:
    path = seed_project(tmp_path)
    texts = Texts(*load_with_source(path, "content.yaml"))
    traced = {text: texts.trace(text) for text in ("Balanced Ketamine", "glutamate, which are", "neurotrans-",
                                                   "Call", "Questions? Contact us", "(913) 871-9888")}
    assert traced["Balanced Ketamine"] and traced["Balanced Ketamine"].key == "clinic.name"
    assert traced["glutamate, which are"] and (traced["glutamate, which are"].key,
                                               traced["glutamate, which are"].line) == (
        "sections[0].body", line_of(path, "your glutamate"))
    assert traced["neurotrans-"] and traced["neurotrans-"].key == "sections[0].body"
    assert traced["(913) 871-9888"] and traced["(913) 871-9888"].key == "clinic.phone"  # the field that is exactly it
    assert traced["Call"] is None and traced["Questions? Contact us"] is None  # too short, or the template's
