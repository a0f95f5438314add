"""A clinic's own font file replaced under the same name in one process (``watch``, the studio):
the next PDF prints in the new font. WeasyPrint registers an ``@font-face`` file once per font
configuration and lays out with those bytes from then on; brochure keeps one configuration per
project, so it must notice the file is another and start a new one."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pikepdf
from conftest import REPO
from fontTools.ttLib import TTFont

from brochure.render.pdf import render_pdf

FONTS = REPO / "templates" / "fonts"
PAGE = ('<html lang="en"><head><title>Brand</title><style>@font-face { font-family: \"Open Sans\"; src: url(fonts/brand.ttf) }'
        ' body { font-family: \"Open Sans\" }</style></head><body><p>Call us today</p></body></html>')


def _weights(pdf: bytes) -> set[int]:
    """The weight class (400 regular, 700 bold) of each font file the PDF embeds, read from the file itself."""
    weights = set()
    with pikepdf.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            for font in page.Resources.get("/Font", {}).values():
                descriptor = font.DescendantFonts[0].FontDescriptor if "/DescendantFonts" in font else font.FontDescriptor
                embedded = TTFont(io.BytesIO(descriptor.FontFile2.read_bytes()))
                weights.add(embedded["OS/2"].usWeightClass)
    return weights


def _render(folder: Path) -> bytes:
    return render_pdf(PAGE, "email", folder, [folder], 1_700_000_000).data


def test_a_clinic_font_replaced_under_its_name_prints_in_the_new_one(tmp_path: Path) -> None:
    (tmp_path / "fonts").mkdir()
    brand = tmp_path / "fonts" / "brand.ttf"
    shutil.copy(FONTS / "OpenSans-Regular.ttf", brand)
    before = os.stat(brand)
    assert _weights(_render(tmp_path)) == {400}
    # The brand's new file, copied over the old one keeping its times (cp -p): same name, same mtime.
    shutil.copy(FONTS / "OpenSans-Bold.ttf", brand)
    os.utime(brand, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert _weights(_render(tmp_path)) == {700}
    assert _weights(_render(tmp_path)) == {700}  # and kept from then on


def test_an_unchanged_font_keeps_its_configuration(tmp_path: Path) -> None:
    """The configuration is kept while its files stay the same (a new one costs a fontconfig set-up)."""
    from brochure.render import fontsets

    (tmp_path / "fonts").mkdir()
    shutil.copy(FONTS / "OpenSans-Regular.ttf", tmp_path / "fonts" / "brand.ttf")
    first = _render(tmp_path)
    kept = fontsets.CONFIGS[(tmp_path,)][0]
    assert _render(tmp_path) == first and fontsets.CONFIGS[(tmp_path,)][0] is kept
