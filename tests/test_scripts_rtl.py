"""Scripts beyond Latin and right to left: theme.font names font files in the project, and an
Arabic handout (examples/arabic, Noto Naskh Arabic) builds right to left, in Arabic only.

Read back with poppler (pdftotext -bbox-layout, pdffonts), pypdf, pikepdf and pixels drawn
by pdfium: the words of the PDFs, where their lines end, and where the cover band lies.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pypdf
import pypdfium2 as pdfium
import pytest
import yaml
from conftest import REPO, build, run_main, seed_project, tool

EXAMPLE = REPO / "examples" / "arabic"
ENGLISH_LABELS = ("Questions? Contact us", "Scan with your phone", "Revised", "Call", "Visit")


@dataclass(frozen=True)
class Arabic:
    folder: Path
    print: Path
    email: Path


@pytest.fixture(scope="module")
def arabic(tmp_path_factory: pytest.TempPathFactory) -> Arabic:
    """examples/arabic copied and built by naming its English source: the translation comes with it."""
    folder = tmp_path_factory.mktemp("arabic") / "arabic"
    shutil.copytree(EXAMPLE, folder)
    out = folder / "out"
    build(folder / "content.yaml", out)
    prints = [p for p in out.glob("*-print.pdf") if not p.name.startswith("how-ketamine")]
    assert len(prints) == 1, sorted(p.name for p in out.iterdir())
    return Arabic(folder, prints[0], prints[0].with_name(prints[0].name.replace("-print", "-email")))


def _text(pdf: Path) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(pdf).pages)


def test_the_arabic_pdfs_hold_the_arabic_text_and_labels_and_no_english_label(arabic: Arabic) -> None:
    catalog = yaml.safe_load((REPO / "templates" / "messages" / "ar.yaml").read_text(encoding="utf-8"))
    content = yaml.safe_load((EXAMPLE / "content.ar.yaml").read_text(encoding="utf-8"))
    for pdf in (arabic.print, arabic.email):
        text = _text(pdf)
        assert content["title"] in " ".join(text.split()), pdf.name
        assert content["sections"][3]["heading"] in text
        for key in ("contact_heading", "call"):
            assert catalog[key] in text, (pdf.name, key)
        # Babel's long date in Arabic ("25 نوفمبر 2026"), in the revised label; pypdf reads the
        # numbers of a right-to-left line in an order of its own, so the words are looked for.
        assert "نوفمبر" in text and "2026" in text and "November" not in text
        assert "(913) 871-9888" in text  # a phone number stays left to right
        for label in ENGLISH_LABELS:
            assert not re.search(rf"\b{re.escape(label)}\b", text), (pdf.name, label)
    assert catalog["qr_caption"] in _text(arabic.print)


def test_every_font_is_embedded_and_the_arabic_one_is_the_projects(arabic: Arabic) -> None:
    for pdf in (arabic.print, arabic.email):
        rows = tool("pdffonts", str(pdf)).stdout.splitlines()[2:]
        assert rows and all(re.search(r"\byes\s+yes\s+yes\b", row) for row in rows), rows
        names = " ".join(row.split()[0] for row in rows)
        assert "Brochure-Theme" in names and "Open-Sans" in names, names  # Arabic, then Latin


def test_the_email_pdf_is_tagged_arabic_and_still_pdf_ua_1(arabic: Arabic) -> None:
    with pikepdf.open(arabic.email) as pdf:
        assert str(pdf.Root.Lang) == "ar"
    page = pytest.importorskip("page", reason="page-validation (PyPI) is not installed")
    if not hasattr(page, "validate_pdf"):
        pytest.skip("the module 'page' is not page-validation")
    report = page.validate_pdf(str(arabic.email), profile="ua1")
    assert report.is_compliant, [(f.rule_id, f.message) for f in report.failures]


def _lines(pdf: Path) -> list[tuple[float, float, int]]:
    """Every line of text (xMin, xMax, number of words): pdftotext -bbox's words grouped by
    page and baseline (its own lines split a right-to-left line at each tanween mark)."""
    xml = tool("pdftotext", "-bbox", str(pdf), "-").stdout
    lines: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for number, page in enumerate(xml.split("<page ")[1:]):
        for x_min, x_max, y_max in re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="([\d.]+)">',
                                              page):
            lines.setdefault((number, round(float(y_max))), []).append((float(x_min), float(x_max)))
    return [(min(w[0] for w in words), max(w[1] for w in words), len(words)) for words in lines.values()]


def test_the_email_lines_end_at_the_right_margin(arabic: Arabic, tmp_path: Path) -> None:
    """Right to left: the lines of running text share their right end (the right margin, 4.5 in
    less 0.35 in), their left ends are ragged; the English seed is the other way round."""
    right_margin, left_margin = 4.5 * 72 - 0.35 * 72, 0.35 * 72
    lines = [line for line in _lines(arabic.email) if line[2] >= 4]
    assert len(lines) > 30
    at_right = [line for line in lines if abs(line[1] - right_margin) < 1.5]
    at_left = [line for line in lines if abs(line[0] - left_margin) < 1.5]
    assert len(at_right) >= 0.85 * len(lines), sorted(round(line[1]) for line in lines)
    assert len(at_left) < 0.25 * len(lines)
    english = build(EXAMPLE / "content.yaml", tmp_path) and next(tmp_path.glob("*-email.pdf"))
    seed = [line for line in _lines(english) if line[2] >= 4]
    assert sum(abs(line[0] - left_margin) < 1.5 for line in seed) >= 0.85 * len(seed)
    assert sum(abs(line[1] - right_margin) < 1.5 for line in seed) < 0.25 * len(seed)


def _band_share(pdf: Path, colour: tuple[int, int, int]) -> list[float]:
    """How much of each third of the outside of the sheet is the cover band's colour."""
    image = pdfium.PdfDocument(pdf)[0].render(scale=20 / 72).to_pil().convert("RGB")
    width, height = image.size
    shares = []
    for third in range(3):
        xs = range(width * third // 3, width * (third + 1) // 3)
        pixels = [image.getpixel((x, y)) for x in xs for y in range(height // 4, 3 * height // 4)]
        shares.append(sum(all(abs(p[i] - colour[i]) < 30 for i in range(3)) for p in pixels) / len(pixels))
    return shares


def test_the_trifold_is_mirrored_the_cover_on_the_left(arabic: Arabic) -> None:
    """Opened right to left, the cover is the outside's left panel (left to right: its right)."""
    band = (0x1d, 0x5c, 0x73)  # theme.primary, the cover band (a close CMYK rendering of it)
    shares = _band_share(arabic.print, band)
    assert shares[0] > 0.6 and shares[2] < 0.1, shares
    english = next((arabic.folder / "out").glob("how-ketamine*-print.pdf"))
    shares = _band_share(english, band)
    assert shares[2] > 0.6 and shares[0] < 0.1, shares


def test_check_says_arabic_reading_level_is_not_measured(arabic: Arabic) -> None:
    run = run_main("check", str(arabic.folder / "content.ar.yaml"), "--format", "json")
    findings = json.loads("\n".join(run.out))["findings"]
    reading = [f for f in findings if f["kind"] == "reading-level"]
    assert [f["severity"] for f in reading] == ["info"], reading
    assert "no readability formula for Arabic" in reading[0]["message"]
    assert not any(f["kind"] == "reading-level" and f["severity"] == "warning" for f in findings)
    # Words quoted from the PDFs are in reading order, not in the order their glyphs were drawn.
    sizes = [f["message"] for f in findings if f["kind"] == "type-size"]
    assert sizes and all("\u201cاتصل\u201d" in m for m in sizes), sizes


# --- theme.font: the one line, and its mistakes ------------------------------------------------------

ARABIC_INTRO = "مرحبا بكم في العيادة. اتصلوا بنا."


def _with_font(folder: Path, font: str) -> Path:
    return seed_project(folder, ("lang: en-US", "lang: ar"),
                        ("  accent: \"#c8682c\"", f"  accent: \"#c8682c\"\n  font: {font}"),
                        ("intro: >-", f"intro: >-\n  {ARABIC_INTRO}"), ("layout: trifold", "layout: handout"))


def test_arabic_text_without_an_arabic_font_names_the_setting(tmp_path: Path) -> None:
    content = _with_font(tmp_path, "Open Sans")
    run = run_main("build", str(content), "--out", str(tmp_path / "out"))
    assert run.code == 1 and not (tmp_path / "out").exists()
    assert re.match(r"^.*content\.yaml:\d+: intro: .*cannot be printed.*theme\.font", run.err[0]), run.err


@pytest.mark.parametrize(("font", "said"), [
    ("fonts/missing.ttf", "no file 'fonts/missing.ttf' in the content's folder"),
    ("../outside.ttf", "'../outside.ttf' is outside the content's folder"),
    ("fonts/fake.ttf", "'fonts/fake.ttf' is not a TrueType or OpenType font that can be read"),
    ("fonts/OFL.txt", "'fonts/OFL.txt' is not a font file (.ttf or .otf)"),
    ("fonts/cut.ttf", "'fonts/cut.ttf' is not a TrueType or OpenType font that can be read"),  # a copy cut short
    ("fonts/link.ttf", "'fonts/link.ttf' is outside the content's folder"),  # a link that leads out
    ("Arial", "'Arial' is not a font brochure has"),
    ("{regular: fonts/NotoNaskhArabic-Regular.ttf, bolt: x.ttf}", "unknown key 'bolt'; did you mean 'bold'?"),
    ("{bold: fonts/NotoNaskhArabic-Regular.ttf}", "needs regular"),
])
def test_a_wrong_font_setting_is_one_located_line(tmp_path: Path, font: str, said: str) -> None:
    folder = tmp_path / "handout"
    (folder / "fonts").mkdir(parents=True)
    shutil.copy(EXAMPLE / "fonts" / "NotoNaskhArabic-Regular.ttf", folder / "fonts")
    shutil.copy(EXAMPLE / "fonts" / "OFL.txt", folder / "fonts")
    (folder / "fonts" / "fake.ttf").write_text("not a font", encoding="utf-8")
    (folder / "fonts" / "cut.ttf").write_bytes((EXAMPLE / "fonts" / "NotoNaskhArabic-Regular.ttf").read_bytes()[:3000])
    (folder / "fonts" / "link.ttf").symlink_to(tmp_path / "outside.ttf")
    (tmp_path / "outside.ttf").write_bytes((EXAMPLE / "fonts" / "NotoNaskhArabic-Regular.ttf").read_bytes())
    content = _with_font(folder, font)
    line = content.read_text(encoding="utf-8").splitlines().index(f"  font: {font}") + 1
    run = run_main("build", str(content), "--out", str(folder / "out"))
    assert run.code == 1 and not (folder / "out").exists()
    assert run.err[0].startswith(f"{content}:{line}: theme.font"), run.err
    assert said in run.err[0] and "Traceback" not in "\n".join(run.err)


def test_one_font_file_is_enough_and_prints_the_arabic(tmp_path: Path) -> None:
    (tmp_path / "fonts").mkdir()
    shutil.copy(EXAMPLE / "fonts" / "NotoNaskhArabic-Regular.ttf", tmp_path / "fonts")
    (tmp_path / "messages").mkdir()
    shutil.copy(REPO / "templates" / "messages" / "ar.yaml", tmp_path / "messages")  # also a clinic's own catalog
    content = _with_font(tmp_path, "fonts/NotoNaskhArabic-Regular.ttf")
    build(content, tmp_path / "out")
    email = next((tmp_path / "out").glob("*-email.pdf"))
    assert all(word in _text(email) for word in ("مرحبا", "العيادة", "اتصلوا"))
    with pikepdf.open(email) as pdf:
        assert str(pdf.Root.Lang) == "ar"


# --- translations found beside their source ----------------------------------------------------------

def test_naming_the_source_builds_and_checks_its_translations_too(tmp_path: Path) -> None:
    folder = tmp_path / "bilingual"
    shutil.copytree(REPO / "examples" / "bilingual", folder)
    (folder / "content.old.yaml").write_text("not: a translation\n", encoding="utf-8")  # no language code: left alone
    run = build(folder / "content.yaml", tmp_path / "out")
    written = sorted(p.name for p in (tmp_path / "out").glob("*.pdf"))
    assert written == ["como-afecta-la-ketamina-al-cerebro-email.pdf", "como-afecta-la-ketamina-al-cerebro-print.pdf",
                       "how-ketamine-affects-the-brain-email.pdf", "how-ketamine-affects-the-brain-print.pdf"], run.out
    checked = run_main("check", str(folder / "content.yaml"), "--format", "json")
    files = {f["file"] for f in json.loads("\n".join(checked.out))["findings"]}
    assert {str(folder / "content.yaml"), str(folder / "content.es.yaml")} <= files
    # The translation named alone is built alone.
    alone = build(folder / "content.es.yaml", tmp_path / "alone")
    assert sorted(p.name for p in (tmp_path / "alone").glob("*.pdf")) == written[:2], alone.out


# --- in a project: the font is a file of the project, named from the handout or the project file -------

def _project(tmp_path: Path, font_line: str, in_project_file: bool) -> Path:
    project = tmp_path / "chain"
    shutil.copytree(REPO / "examples" / "chain", project)
    (project / "shared-fonts").mkdir()
    shutil.copy(EXAMPLE / "fonts" / "NotoNaskhArabic-Regular.ttf", project / "shared-fonts")
    for other in (project / "handouts").rglob("*.yaml"):
        other.unlink()  # one handout is enough here
    (project / "messages").mkdir()
    shutil.copy(REPO / "templates" / "messages" / "ar.yaml", project / "messages")
    handout = project / "handouts" / "ar" / "visit.yaml"
    handout.parent.mkdir(parents=True)
    own = "" if in_project_file else f"theme:\n  {font_line}\n"
    handout.write_text(f"title: زيارتك الأولى\nslug: visit-ar\nlang: ar\n{own}intro: {ARABIC_INTRO}\nsections:\n"
                       "  - heading: قبل أن تأتي\n    body: تناول وجبة خفيفة قبل ساعتين.\n", encoding="utf-8")
    if in_project_file:
        text = (project / "brochure.yaml").read_text(encoding="utf-8")
        (project / "brochure.yaml").write_text(text.replace("theme:\n", f"theme:\n  {font_line}\n"), encoding="utf-8")
    return project


@pytest.mark.parametrize(("font_line", "in_project_file"), [
    ("font: ../../shared-fonts/NotoNaskhArabic-Regular.ttf", False),  # relative to the handout's folder
    ("font: shared-fonts/NotoNaskhArabic-Regular.ttf", True),  # relative to the project's folder
])
def test_a_projects_handout_in_arabic_builds_for_every_location(tmp_path: Path, font_line: str,
                                                                 in_project_file: bool) -> None:
    project = _project(tmp_path, font_line, in_project_file)
    build(project, tmp_path / "out")
    emails = sorted((tmp_path / "out").glob("visit-ar-*-email.pdf"))
    assert [p.name for p in emails] == [f"visit-ar-{where}-email.pdf" for where in ("lees-summit", "liberty", "overland-park")]
    for email in emails:
        assert "زيارتك" in _text(email)
        assert "Brochure-Theme" in tool("pdffonts", str(email)).stdout


def test_the_catalog_pdf_draws_an_arabic_title_in_the_projects_font(tmp_path: Path) -> None:
    project = _project(tmp_path, "font: shared-fonts/NotoNaskhArabic-Regular.ttf", True)
    build(project, tmp_path / "out")
    catalog = tmp_path / "out" / "catalog.pdf"
    assert "زيارتك الأولى" in _text(catalog)
    faces = _embedded_faces(catalog)
    assert any("Noto Naskh Arabic" in face for face in faces), faces
    # only the bundled Open Sans and the project's own font: nothing of this computer's
    assert all("Open Sans" in face or "Noto Naskh Arabic" in face for face in faces), faces


def test_a_font_outside_the_project_is_refused(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE / "fonts" / "NotoNaskhArabic-Regular.ttf", tmp_path)
    project = _project(tmp_path, "font: ../../../NotoNaskhArabic-Regular.ttf", False)
    run = run_main("build", str(project), "--out", str(tmp_path / "out"))
    assert run.code == 1
    # No handout PDF: only the project's catalog, which lists the failed handout.
    assert [p.name for p in (tmp_path / "out").glob("*.pdf")] in ([], ["catalog.pdf"])
    assert re.match(r"^.*visit\.yaml:5: theme\.font: '.*NotoNaskhArabic-Regular\.ttf' is outside the project's folder",
                    run.err[0]), run.err


# --- blocks, mirrored ------------------------------------------------------------------------------

BLOCKS = """title: بعد جراحة الركبة
lang: ar
layout: handout
theme: {font: {regular: fonts/NotoNaskhArabic-Regular.ttf, bold: fonts/NotoNaskhArabic-Bold.ttf}}
clinic: {name: Balanced Ketamine, phone: (913) 871-9888}
sections:
  - heading: أدويتك
    body: |
      ::: warning متى تتصل بالرقم 911
      تشعر بألم في الصدر أو صعوبة في التنفس.
      :::

      1. اغسل يديك.
      2. انزع الضمادة القديمة ببطء.
"""


def test_steps_and_callouts_are_mirrored(tmp_path: Path) -> None:
    """The step numbers stand right of their text; a warning's heavy side is its right one."""
    shutil.copytree(EXAMPLE / "fonts", tmp_path / "fonts")
    (tmp_path / "content.yaml").write_text(BLOCKS, encoding="utf-8")
    build(tmp_path / "content.yaml", tmp_path / "out")
    email = next((tmp_path / "out").glob("*-email.pdf"))
    words = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>',
                       tool("pdftotext", "-bbox", str(email), "-").stdout)
    for number, first in (("1", "اغسل"), ("2", "انزع")):
        label = next(w for w in words if w[3].strip(".") == number)
        word = next(w for w in words if w[3] in (first, first[::-1]) and abs(float(w[1]) - float(label[1])) < 3)
        assert float(label[0]) > float(word[2]), (label, word)  # the number is right of the step's first word
    page = next(i for i, text in enumerate(pypdf.PdfReader(email).pages) if "911" in (text.extract_text() or ""))
    image = pdfium.PdfDocument(email)[page].render(scale=4).to_pil().convert("RGB")
    label = next(w for w in words if w[3] == "911")
    y = round((float(label[1]) + 4) * 4)  # through the callout's first line: its side borders
    accent = [x for x in range(image.width) if _near(image.getpixel((x, y)), (0xc8, 0x68, 0x2c))]
    runs: list[list[int]] = []
    for x in accent:
        if runs and x == runs[-1][1] + 1:
            runs[-1][1] = x
        else:
            runs.append([x, x])
    left, right = runs[0][1] - runs[0][0] + 1, runs[-1][1] - runs[-1][0] + 1
    assert right > 2.5 * left, runs  # 9 pt on the right, 2.5 pt on the left


def _near(pixel: tuple[int, int, int], colour: tuple[int, int, int]) -> bool:
    return all(abs(pixel[i] - colour[i]) < 45 for i in range(3))


def _embedded_faces(pdf: Path) -> set[str]:
    """The full names (name ID 4) of the fonts embedded in a PDF."""
    import io

    from fontTools.ttLib import TTFont

    faces = set()
    with pikepdf.open(pdf) as document:
        for page in document.pages:
            for font in page.Resources.Font.values():
                data = font.DescendantFonts[0].FontDescriptor.get("/FontFile2")
                if data is not None:
                    names = TTFont(io.BytesIO(data.read_bytes()))["name"]
                    faces.add(str(names.getDebugName(4)))
    return faces


def test_handouts_with_different_fonts_built_together_keep_their_own(tmp_path: Path) -> None:
    """One process keeps every font face it registered: each handout's font must stay its own."""
    shutil.copytree(EXAMPLE / "fonts", tmp_path / "fonts")
    for name, font in (("regular", "NotoNaskhArabic-Regular.ttf"), ("bold", "NotoNaskhArabic-Bold.ttf")):
        (tmp_path / f"{name}.yaml").write_text(
            f"title: مرحبا بكم\nslug: {name}\nlang: ar\nlayout: handout\ntheme: {{font: fonts/{font}}}\n"
            "clinic: {name: عيادة}\nsections:\n  - heading: مرحبا\n    body: مرحبا بكم في العيادة.\n", encoding="utf-8")
    run = run_main("build", str(tmp_path / "regular.yaml"), str(tmp_path / "bold.yaml"), "--jobs", "1",
                   "--out", str(tmp_path / "out"))
    assert run.code == 0, run.err
    assert _embedded_faces(tmp_path / "out" / "regular-email.pdf") == {"Noto Naskh Arabic Regular"}
    assert _embedded_faces(tmp_path / "out" / "bold-email.pdf") == {"Noto Naskh Arabic Bold"}
