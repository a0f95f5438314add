"""Pictures: full resolution for the print shop, screen resolution for the email PDF."""

from __future__ import annotations

from pathlib import Path

import pikepdf
from conftest import run_main, write_minimal
from PIL import Image


def _images(pdf: Path) -> list[tuple[int, int]]:
    with pikepdf.open(pdf) as document:
        return sorted({(int(image.Width), int(image.Height))
                       for page in document.pages for image in page.get_images().values()})


def test_email_pdf_downsamples_a_large_photo_and_print_keeps_it(tmp_path: Path) -> None:
    path = write_minimal(tmp_path / "content", ("    body: Two to three hours for most adults.\n",
                                                 "    body: Two to three hours for most adults.\n"
                                                 "    image: {src: photo.jpg, alt: A nurse checks a patient's drip}\n"))
    photo = Image.new("RGB", (3000, 2000), (40, 120, 160))
    for x in range(0, 3000, 7):  # detail, so the JPEG is not trivially small
        photo.paste((x % 255, 90, 200 - x % 200), (x, 0, x + 3, 2000))
    photo.save(path.parent / "photo.jpg", quality=90)
    out = tmp_path / "out"
    assert run_main("build", str(path), "--out", str(out)).code == 0
    assert _images(out / "ketamine-and-your-brain-print.pdf") == [(3000, 2000)]
    (width, height), = _images(out / "ketamine-and-your-brain-email.pdf")
    assert 500 <= width <= 620 and abs(height * 3 - width * 2) <= 3  # ~150 ppi across the 3.8 in phone column
    assert (out / "ketamine-and-your-brain-email.pdf").stat().st_size < 300_000
