"""Ink: the print PDF separated into its CMYK plates by Ghostscript, as a press would.

Body text, small type and the QR code must put ink on the black plate only (a misregistered
cyan plate cannot then blur them); no pixel may carry more than 300 % of ink in total;
every colour operator in the content streams is CMYK. Ghostscript (``tiffsep``) and
poppler (``pdftotext -bbox``) are the judges; nothing here reads brochure's own code.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest
from conftest import REPO, build_variant, seed_project, tool
from PIL import Image

pytestmark = pytest.mark.skipif(shutil.which("gs") is None, reason="Ghostscript is installed by setup.sh --dev")

DPI = 150
PLATES = ("Cyan", "Magenta", "Yellow", "Black")


def separate(pdf: Path, page: int, folder: Path) -> dict[str, Image.Image]:
    """One page's four plates; 0 is no ink and 255 full ink (tiffsep writes the inverse)."""
    subprocess.run(["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=tiffsep", f"-r{DPI}",
                    f"-dFirstPage={page}", f"-dLastPage={page}", f"-sOutputFile={folder}/p.tif", str(pdf)],
                   check=True, capture_output=True)
    return {plate: Image.eval(Image.open(folder / f"p({plate}).tif").convert("L"), lambda v: 255 - v)
            for plate in PLATES}


def words(pdf: Path, page: int) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Each word of a page with its box in pt from the MediaBox's top left (poppler)."""
    html = tool("pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-").stdout
    found = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', html)
    return [(w, (float(a), float(b), float(c), float(d))) for a, b, c, d, w in found]


def glyph_pixels(plates: dict[str, Image.Image], box: tuple[float, float, float, float]) -> list[tuple[int, int]]:
    """The pixels inside a word's box that the black plate inks strongly: the letters."""
    scale = DPI / 72
    x0, y0, x1, y1 = (round(v * scale) for v in box)
    black = plates["Black"]
    return [(x, y) for x in range(x0, x1) for y in range(y0, y1) if black.getpixel((x, y)) >= 200]


@pytest.fixture(scope="module")
def trifold(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ink")
    content = seed_project(folder / "src")
    run = subprocess.run([sys.executable, str(REPO / "build.py"),
                          str(content), "--out", str(folder / "out")], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return folder / "out" / "how-ketamine-affects-the-brain-print.pdf"


def test_body_text_and_small_type_are_on_the_black_plate_only(trifold: Path, tmp_path: Path) -> None:
    checked = 0
    for page in (1, 2):
        plates = separate(trifold, page, tmp_path)
        for word, box in words(trifold, page):
            if word in {"How", "Ketamine", "Affects", "the", "Brain"} and box[1] < 200:
                continue  # the cover title: white on the brand colour, no ink of its own
            for x, y in glyph_pixels(plates, box):
                colour = {plate: plates[plate].getpixel((x, y)) for plate in ("Cyan", "Magenta", "Yellow")}
                assert max(colour.values()) <= 8, f"page {page}: '{word}' puts {colour} under its black letters"
                checked += 1
    assert checked > 5000, f"only {checked} letter pixels were found: the test would prove nothing"


def test_the_qr_code_is_on_the_black_plate_only(trifold: Path, tmp_path: Path) -> None:
    plates = separate(trifold, 1, tmp_path)
    scan = [w for w, _ in words(trifold, 1)]
    assert "Scan" in scan
    box = next(b for w, b in words(trifold, 1) if w == "Scan")
    scale = DPI / 72
    # The code sits right above its caption: a square about 1 in wide, centred on the panel.
    x0, y1 = round((box[0] - 40) * scale), round(box[1] * scale)
    region = (x0, y1 - round(110 * scale), x0 + round(160 * scale), y1)
    dark = [(x, y) for x in range(region[0], region[2]) for y in range(region[1], region[3])
            if plates["Black"].getpixel((x, y)) >= 250]
    assert len(dark) > 3000, "no QR code modules found above the caption"
    for x, y in dark:
        assert max(plates[p].getpixel((x, y)) for p in ("Cyan", "Magenta", "Yellow")) == 0


def test_total_ink_is_at_most_300_percent(trifold: Path, tmp_path: Path) -> None:
    with pikepdf.open(trifold) as pdf:
        media = [float(v) for v in pdf.pages[0].MediaBox]
        bleed = [float(v) for v in pdf.pages[0].BleedBox]
    scale = DPI / 72
    # Inside the bleed only: the crop marks outside it are in the registration colour (400 %).
    left, top = round((bleed[0] - media[0]) * scale), round((media[3] - bleed[3]) * scale)
    right, bottom = round((bleed[2] - media[0]) * scale), round((media[3] - bleed[1]) * scale)
    for page in (1, 2):
        plates = separate(trifold, page, tmp_path)
        crops = [plates[p].crop((left, top, right, bottom)) for p in PLATES]
        total = max(sum(values) for values in zip(*(c.get_flattened_data() for c in crops)))
        assert total / 255 * 100 <= 300.5, f"page {page}: {total / 255 * 100:.0f} % ink somewhere"


def colour_operators(pdf_path: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    seen: set[tuple[int, int]] = set()

    def walk(stream: pikepdf.Object, resources: pikepdf.Object | None) -> None:
        for operands, operator in pikepdf.parse_content_stream(stream):
            name = str(operator)
            if name in {"rg", "RG", "g", "G", "k", "K", "sc", "SC", "scn", "SCN", "cs", "CS"}:
                key = name if name not in {"cs", "CS"} else f"{name} {operands[0]}"
                counts[key] = counts.get(key, 0) + 1
        for _, xobject in (resources.get("/XObject", {}) if resources is not None else {}).items():
            if xobject.objgen in seen:
                continue
            seen.add(xobject.objgen)
            if xobject.get("/Subtype") == "/Form":
                walk(xobject, xobject.get("/Resources"))
            else:
                counts[f"image {xobject.get('/ColorSpace')}"] = counts.get(f"image {xobject.get('/ColorSpace')}", 0) + 1

    with pikepdf.open(pdf_path) as pdf:
        for page in pdf.pages:
            walk(page.obj, page.obj.get("/Resources"))
    return counts


def test_every_colour_is_cmyk(trifold: Path, tmp_path: Path) -> None:
    from PIL import Image as PILImage

    counts = colour_operators(trifold)
    assert not {k for k in counts if k in {"rg", "g"} or k.startswith("image /DeviceRGB")}, counts
    assert counts.get("cs /DeviceCMYK", 0) > 10, counts
    # A handout with a photo: the picture is CMYK in the print PDF, RGB in the email PDF.
    folder = tmp_path / "photo"
    folder.mkdir()
    (folder / "content").mkdir()
    PILImage.new("RGB", (900, 600), (200, 60, 40)).save(folder / "content" / "photo.png")
    built = build_variant(folder, sections=[{"heading": "A photo", "body": "A red picture.",
                                             "image": {"src": "photo.png", "alt": "Red"}}])
    printed = colour_operators(built.print)
    assert "image /DeviceCMYK" in printed and not any(k.startswith("image /DeviceRGB") for k in printed), printed
    assert not {k for k in printed if k in {"rg", "g"}}, printed


def test_crop_and_fold_marks_are_on_every_plate(trifold: Path, tmp_path: Path) -> None:
    """Registration colour: a press lines its plates up by marks printed on all of them."""
    plates = separate(trifold, 1, tmp_path)
    scale = DPI / 72
    # The crop mark left of the trim's top-left corner: x 0 to 13.5 pt from the sheet's edge,
    # on the trim's top edge, 27 pt below the sheet's top; the fold mark above the first fold.
    for x_pt, ys in ((7, range(54, 60)), (27 + 261.0, range(4, 22))):
        x = round(x_pt * scale)
        column = {plate: max(plates[plate].getpixel((x + dx, y)) for dx in (-1, 0, 1) for y in ys)
                  for plate in PLATES}
        assert min(column.values()) >= 200, column


def _convert_in_a_worker(index: int) -> tuple[float, ...]:
    from brochure.render.colour import to_cmyk

    return to_cmyk(f"#1d5c7{index}")


def test_colours_convert_in_batch_workers_forked_after_the_parent_converted() -> None:
    """A batch forks its workers from a process that may already hold littleCMS profiles;
    those cannot be used in a child ("Could not determine profile size"), so each process
    makes its own. Seen once in CI, in a project build after earlier builds in the process."""
    from multiprocessing import get_context

    from brochure.render.colour import to_cmyk

    to_cmyk("#1d5c73")
    with get_context("fork").Pool(2) as pool:
        results = pool.map(_convert_in_a_worker, range(8))
    assert all(len(r) == 4 and all(0 <= v <= 1 for v in r) for r in results)
