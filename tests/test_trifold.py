"""The tri-fold: sheet geometry, panel order, bleed, QR code, overflow, and its email PDF."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp
from conftest import HANG, printed, render_cmyk, seed_project

from brochure.cli import main

ROOT = Path(__file__).resolve().parent.parent
MARGIN = 27.0  # MediaBox starts 0.375 in outside the trim: room for marks
SEED_SLUG = "how-ketamine-affects-the-brain"




@pytest.fixture(scope="module")
def seed_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("trifold")
    content = seed_project(folder / "src")
    assert main(["build", str(content), "--out", str(folder / "out")]) == 0
    return folder / "out"


def _words(pdf: Path, page: int) -> list[tuple[str, float, float]]:
    """(word, x, y) of each word on a page, in points from the trim's top-left corner."""
    html = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    return [(w, float(x) - MARGIN, float(y) - MARGIN) for x, y, w in
            re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>', html)]


def _first_x(words: list[tuple[str, float, float]], word: str) -> float:
    return next(x for w, x, _ in words if w == word)


def _boxes(pdf: Path) -> dict[str, list[float]]:
    out = subprocess.run(["pdfinfo", "-box", str(pdf)], capture_output=True, text=True, check=True).stdout
    return {m[0]: [float(v) for v in m[1].split()] for m in re.findall(r"^(\w+Box|Pages):\s+(.+)$", out, re.M)}


def test_seed_is_one_landscape_sheet_with_bleed_and_marks_room(seed_out: Path) -> None:
    boxes = _boxes(seed_out / f"{SEED_SLUG}-print.pdf")
    assert boxes["Pages"] == [2]
    assert boxes["TrimBox"] == [0, 0, 792, 612]
    assert boxes["BleedBox"] == [-9, -9, 801, 621]
    assert boxes["MediaBox"] == [-27, -27, 819, 639]


def test_panels_in_folding_order_from_text_positions(seed_out: Path) -> None:
    pdf = seed_out / f"{SEED_SLUG}-print.pdf"
    outside, inside = _words(pdf, 1), _words(pdf, 2)
    # Outside: flap (0-261 pt) | back (261-526.5) | cover (526.5-792).
    assert _first_x(outside, "When") < 261  # the intro opens the flap
    assert 261 < _first_x(outside, "Questions?") < 526.5  # contact on the back panel
    assert _first_x(outside, "Affects") > 526.5  # the title on the right third
    # Inside: panel (0-265.5) | panel (265.5-531) | fold-in panel (531-792).
    assert _first_x(inside, "Benefits") < 531
    assert _first_x(inside, "Story") > 531
    # Nothing is set closer than 0.125 in to the trim or to a fold (the safe zone).
    for words, folds in ((outside, (261, 526.5)), (inside, (265.5, 531))):
        for word, x, y in words:
            assert 9 <= x <= 783 and 9 <= y <= 603, word
            assert all(abs(x - fold) >= 9 for fold in folds), word


def _render(pdf: Path, page: int, dpi: int) -> object:
    document = pdfium.PdfDocument(str(pdf))
    try:
        return document[page].render(scale=dpi / 72, may_draw_forms=True).to_pil().convert("RGB")
    finally:
        document.close()


def test_backgrounds_reach_the_bleed_and_the_flap_is_narrower(seed_out: Path) -> None:
    image = render_cmyk(seed_out / f"{SEED_SLUG}-print.pdf")  # CMYK separations, 1 px = 1 pt
    primary, tint = printed("#1d5c73"), printed("#1d5c73", 0.1)

    def at(x: float, y: float) -> tuple[int, ...]:
        return image.getpixel((round(x + MARGIN), round(y + MARGIN)))

    def near(colour: tuple[int, ...], target: tuple[int, ...]) -> bool:
        return all(abs(a - b) <= 6 for a, b in zip(colour, target))

    assert near(at(-5, 300), tint) and near(at(258, 300), tint)  # the flap, into the left bleed
    assert near(at(264, 300), (0, 0, 0, 0))  # the back panel starts at 3.625 in
    assert near(at(524, 300), (0, 0, 0, 0)) and near(at(529, 300), primary)  # cover from 7.3125 in
    assert near(at(797, 300), primary) and near(at(600, -5), primary)  # cover into right and top bleed
    assert near(at(600, -20), (0, 0, 0, 0))  # beyond the bleed: paper


def test_qr_code_decodes_from_a_300_dpi_rendering(seed_out: Path) -> None:
    image = _render(seed_out / f"{SEED_SLUG}-print.pdf", 0, 300)
    results = zxingcpp.read_barcodes(image)
    assert [r.text for r in results] == ["tel:+19138719888"]


def test_qr_code_points_to_the_website_when_there_is_one(tmp_path: Path) -> None:
    content = seed_project(tmp_path / "src", ("  phone: (913) 871-9888\n", "  phone: (913) 871-9888\n  website: example.org/ketamine\n"))
    assert main(["build", str(content), "--out", str(tmp_path / "out")]) == 0
    image = _render(tmp_path / "out" / f"{SEED_SLUG}-print.pdf", 0, 300)
    assert [r.text for r in zxingcpp.read_barcodes(image)] == ["https://example.org/ketamine"]
    assert "example.org/ketamine" in " ".join(w for w, _, _ in _words(tmp_path / "out" / f"{SEED_SLUG}-print.pdf", 1))


def test_fonts_are_embedded_and_the_file_is_sound(seed_out: Path) -> None:
    pdf = seed_out / f"{SEED_SLUG}-print.pdf"
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all(row.split()[-5] == "yes" for row in rows)
    assert subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True).returncode == 0


def test_a4_sheet(tmp_path: Path) -> None:
    content = seed_project(tmp_path / "src", ("paper: letter", "paper: a4"))
    assert main(["build", str(content), "--out", str(tmp_path / "out")]) == 0
    boxes = _boxes(tmp_path / "out" / f"{SEED_SLUG}-print.pdf")
    assert [round(v, 2) for v in boxes["TrimBox"]] == [0, 0, 841.89, 595.28]
    image = _render(tmp_path / "out" / f"{SEED_SLUG}-print.pdf", 0, 72)
    flap_edge = 97 * 72 / 25.4  # the fold-in flap is 97 mm, the other panels 100 mm
    assert image.getpixel((round(flap_edge - 3 + MARGIN), 300)) != (255, 255, 255)
    assert image.getpixel((round(flap_edge + 3 + MARGIN), 300)) == (255, 255, 255)


def test_email_pdf_of_a_trifold_is_portrait_reading_order(seed_out: Path) -> None:
    pdf = seed_out / f"{SEED_SLUG}-email.pdf"
    boxes = _boxes(pdf)
    assert boxes["MediaBox"] == [0, 0, 324, 576]  # the phone page
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    text = " ".join(text.split())
    order = ["How Ketamine Affects the Brain", "When it comes to treating pain", "How Does Ketamine Affect The Brain?",
             "How Long Does Ketamine Remain", "Benefits of Ketamine", "Long Story Short", "Questions? Contact us"]
    positions = [text.index(marker) for marker in order]
    assert positions == sorted(positions)


def test_content_too_long_fails_with_one_sentence_and_writes_nothing(tmp_path: Path) -> None:
    text = (ROOT / "content.yaml").read_text(encoding="utf-8")
    sections = text[text.index("  - heading: How Does"):text.index("clinic:")]
    content = seed_project(tmp_path / "src", (sections, sections * 4))
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), str(content),
                             "--out", str(out)], capture_output=True, text=True, timeout=HANG)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert re.fullmatch(
        rf"{re.escape(str(content))}:\d+: layout: the article does not fit the tri-fold: it runs past the inside fold-in "
        r"panel by about (\d+\.\d) panels\. Shorten the text by about (\d+)%, or switch to layout: handout\.",
        lines[0]), lines[0]
    panels = float(re.search(r"about (\d+\.\d) panels", lines[0])[1])
    assert 7 <= panels <= 12  # four times the seed's ~3.4 panels, less the 4 available
    assert lines[1] == f"{content}: 1 problem; no PDF was written."
    assert not out.exists()


def test_handout_is_still_a_choice(tmp_path: Path) -> None:
    content = seed_project(tmp_path / "src", ("layout: trifold", "layout: handout"))
    assert main(["build", str(content), "--out", str(tmp_path / "out")]) == 0
    boxes = _boxes(tmp_path / "out" / f"{SEED_SLUG}-print.pdf")
    assert boxes["TrimBox"] == [0, 0, 612, 792]


def _panel(x: float, folds: tuple[float, float]) -> int:
    return sum(x > fold for fold in folds)


@pytest.mark.parametrize("heading", ["How Does Ketamine Affect The Brain?", "How Long Does Ketamine Remain in Your System?",
                                     "Benefits of Ketamine", "Long Story Short"])
def test_a_heading_never_ends_a_panel(seed_out: Path, heading: str) -> None:
    pdf = seed_out / f"{SEED_SLUG}-print.pdf"
    wanted = heading.split()
    for page, folds in ((1, (261, 526.5)), (2, (265.5, 531))):
        words = _words(pdf, page)
        for i in range(len(words) - len(wanted) + 1):
            if [w for w, _, _ in words[i:i + len(wanted)]] == wanted:
                _, x, y = words[i + len(wanted) - 1]
                panel = _panel(x, folds)
                below = [w for w, wx, wy in words[i + len(wanted):] if _panel(wx, folds) == panel and y < wy < y + 60]
                assert below, f"{heading!r} ends its panel"
                return
    raise AssertionError(f"{heading!r} not found")


def test_email_pdf_has_no_lone_word_lines(seed_out: Path) -> None:
    """A line holding one word that does not end a sentence is a line-breaking fault
    (WeasyPrint breaks badly before a link that starts with "(", as the seed's phone does)."""
    text = subprocess.run(["pdftotext", "-layout", str(seed_out / f"{SEED_SLUG}-email.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    lone = [line.strip() for line in text.splitlines()
            if len(line.split()) == 1 and not line.strip().endswith((".", "?", "!", ":"))]
    assert lone == []


# Each article panel but the last, on the sheet: (page, left, right) in points from the trim.
ARTICLE_PANELS = {"the fold-in flap": (1, 0.0, 261.0), "the inside left panel": (2, 0.0, 265.5),
                  "the inside middle panel": (2, 265.5, 531.0)}


@pytest.mark.parametrize("panel", list(ARTICLE_PANELS))
def test_no_panel_of_the_seed_ends_mid_sentence(seed_out: Path, panel: str) -> None:
    """Read from the print PDF: the last line of each article panel ends a sentence (on the
    seed, WeasyPrint alone ends the flap with "glutamate, which are")."""
    page, left, right = ARTICLE_PANELS[panel]
    words = [(w.replace("\u200b", ""), x, y) for w, x, y in _words(seed_out / f"{SEED_SLUG}-print.pdf", page)
             if left <= x < right]
    bottom = max(y for _, _, y in words)
    last_line = [w for w, _, y in sorted(words, key=lambda word: word[1]) if y > bottom - 3]
    assert re.search(r"[.!?][”’\"')]*$", last_line[-1]), f"{panel} ends mid-sentence: ... {' '.join(last_line)}"
