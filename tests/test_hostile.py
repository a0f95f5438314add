"""Hostile and careless inputs: each is one located line, exit 1, and out/ byte for byte as
it was (the last good PDFs stay), or a right PDF. Grouped by the classes of issue 10.

Every case starts from a project whose out/ holds good PDFs, edits one thing as a careless
or hostile user would, and builds again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from conftest import edit, run_main, snapshot, tool, write_minimal
from PIL import Image

SLUG = "ketamine-and-your-brain"
Edit = Callable[[Path], None]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """MINIMAL built once into tmp_path/out: the last good PDFs every case must keep."""
    content = write_minimal(tmp_path / "clinic")
    assert run_main("build", str(content), "--out", str(tmp_path / "out")).code == 0
    return content


def refused(content: Path, *expected: str) -> None:
    """Build again: exit 1, exactly ``expected`` (``{f}`` is the content file), the summary
    line, and out/ as it was."""
    out = content.parent.parent / "out"
    before = snapshot(out)
    run = run_main("build", str(content), "--out", str(out))
    f = str(content)
    lines = [line.replace("{f}", f) for line in expected]
    assert run.code == 1, run.out
    assert run.err[:-1] == lines, run.err
    assert run.err[-1].startswith(f"{f}: ") and run.err[-1].endswith("no PDF was written.")
    assert snapshot(out) == before



def with_image(content: Path, name: str, data: bytes) -> None:
    (content.parent / name).write_bytes(data)
    edit(content, "  - heading: How long it lasts\n",
         f'  - heading: How long it lasts\n    image:\n      src: "{name}"\n      alt: A picture\n')


def png_bytes(mode: str = "RGB", size: tuple[int, int] = (60, 40), noise: bool = False) -> bytes:
    import io
    import random

    image = Image.new(mode, size, 200 if mode.startswith("I") else (200, 40, 40) if mode == "RGB" else 200)
    if noise:  # pixels that do not compress: half the file is half the picture
        image = Image.frombytes("RGB", size, random.Random(1).randbytes(size[0] * size[1] * 3))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


# --- no silent wrong output ------------------------------------------------------------

@pytest.mark.parametrize("text, shown", [("中文", "\u2018中\u2019 (U+4E2D), \u2018文\u2019 (U+6587)"),
                                         ("ภาษา", "\u2018ภ\u2019 (U+0E20), \u2018ษ\u2019 (U+0E29), \u2018า\u2019 (U+0E32)"),
                                         ("😀", "\u2018😀\u2019 (U+1F600)")])
def test_characters_no_font_has(project: Path, text: str, shown: str) -> None:
    edit(project, "Two to three hours", f"Two to three hours {text}")
    refused(project, "{f}:9: sections[1].body: " + shown + " cannot be printed: the fonts have no such character, "
                     "so it would come out as an empty box; remove or replace it, or name a font file that has it in "
                     "theme.font (README.md, “Languages”)")


def test_a_truncated_png(project: Path) -> None:
    data = png_bytes(size=(300, 200), noise=True)
    with_image(project, "cut.png", data[: len(data) // 2])
    refused(project, "{f}:10: sections[1].image.src: 'cut.png' cannot be read: it is cut short (not completely saved "
                     "or copied); save or copy the image again")


def test_a_16_bit_greyscale_png(project: Path) -> None:
    with_image(project, "deep.png", png_bytes("I;16"))
    refused(project, "{f}:10: sections[1].image.src: 'deep.png' is stored as I;16 pixels (such as 16-bit greyscale), "
                     "which would not print as it looks; save it as an ordinary 8-bit RGB or greyscale image")


@pytest.mark.parametrize("name", ["photo #1.png", "what?.png", "100%.png", "a b.png"])
def test_image_names_with_odd_characters_print_that_image(project: Path, name: str) -> None:
    with_image(project, name, png_bytes())
    out = project.parent.parent / "out"
    assert run_main("build", str(project), "--out", str(out)).code == 0
    with pikepdf.open(out / f"{SLUG}-email.pdf") as pdf:
        images = [image for page in pdf.pages for image in page.get_images().values()]
        assert any(int(image.Width) == 60 and int(image.Height) == 40 for image in images), name


@pytest.mark.parametrize("target", ["page.html", "../secret.txt", "/etc/passwd", "#top", "?x=1"])
def test_markdown_links_that_would_point_into_this_computer(project: Path, target: str) -> None:
    edit(project, "Two to three hours", f"Two to three [hours]({target})")
    refused(project, "{f}:9: sections[1].body: the link target '" + target + "' is not a web address, email or "
                     "phone number; write it in full, like [our page](https://example.com/page) or "
                     "[email us](mailto:hi@example.com)")


def test_a_protocol_relative_link_becomes_a_web_link(project: Path) -> None:
    edit(project, "Two to three hours", "Two to three [hours](//example.org/hours)")
    out = project.parent.parent / "out"
    assert run_main("build", str(project), "--out", str(out)).code == 0
    with pikepdf.open(out / f"{SLUG}-email.pdf") as pdf:
        uris = [str(a.A.URI) for page in pdf.pages for a in page.get("/Annots", []) if "/A" in a]
    assert "https://example.org/hours" in uris and not [u for u in uris if u.startswith("file:")]


def test_nested_lists_and_inline_code_use_the_bundled_font(project: Path) -> None:
    edit(project, "Two to three hours for most adults.",
         "|\n      Bring:\n\n      - ID\n        - photo ID\n          - with name\n      - say `KETAMINE`\n")
    out = project.parent.parent / "out"
    run = run_main("build", str(project), "--out", str(out))
    assert run.code == 0, run.err
    fonts = tool("pdffonts", str(out / f"{SLUG}-email.pdf")).stdout
    names = [line.split()[0] for line in fonts.splitlines()[2:]]
    assert names and all(re.search(r"\+Open-?Sans", name) for name in names), names


@pytest.mark.parametrize("value, message", [
    ("0", "'0' is not a date; write it YYYY-MM-DD, like 2024-05-31"),
    ("0001-01-01", "0001-01-01 is not a date of this handout; write it YYYY-MM-DD, like 2024-05-31"),
])
def test_dates_that_are_not_dates(project: Path, value: str, message: str) -> None:
    edit(project, "revised: 2026-11-25", f"revised: {value}")
    refused(project, "{f}:14: revised: " + message)


@pytest.mark.parametrize("written", ["1:30", "0x1F", "1_000", "1.10", ".NaN"])
def test_text_that_yaml_would_read_as_a_number_prints_as_written(project: Path, written: str) -> None:
    edit(project, "heading: How long it lasts", f"heading: {written}")
    out = project.parent.parent / "out"
    assert run_main("build", str(project), "--out", str(out)).code == 0
    assert written in tool("pdftotext", str(out / f"{SLUG}-email.pdf"), "-").stdout


# --- a user's mistake is never a traceback ---------------------------------------------

@pytest.mark.parametrize("char", ["\x08", "\x1b", "\x7f", "\x9f"])
def test_control_characters_pasted_from_a_word_processor(project: Path, char: str) -> None:
    edit(project, "Two to three hours", f"Two to{char} three hours")
    refused(project, f"{{f}}:9: an invisible control character (U+{ord(char):04X}) is on this line, probably pasted "
                     "from another program; retype the line")


@pytest.mark.parametrize("template, line, message", [
    ("{% block contact %}{{ nope }}{% endblock %}", 1, "'nope' is undefined"),
    ("{% block contact %}\n{{ 1 / 0 }}{% endblock %}", 2, "division by zero"),
])
def test_runtime_errors_in_the_clinics_own_template(project: Path, template: str, line: int, message: str) -> None:
    (project.parent / "templates").mkdir()
    (project.parent / "templates" / "handout.html").write_text('{% extends "bundled/handout.html" %}' + template,
                                                               encoding="utf-8")
    refused(project, f"templates/handout.html:{line}: template error: {message}")


def test_a_template_that_extends_itself(project: Path) -> None:
    (project.parent / "templates").mkdir()
    (project.parent / "templates" / "handout.html").write_text('{% extends "handout.html" %}', encoding="utf-8")
    refused(project, "templates/handout.html:1: template error: this template extends or includes itself; to build "
                     'on the bundled one, write {% extends "bundled/handout.html" %}')


def test_a_website_too_long_for_a_qr_code(project: Path) -> None:
    edit(project, "  phone: (913) 871-9888\n", "  phone: (913) 871-9888\n  website: example.com/" + "a" * 200 + "\n")
    refused(project, "{f}:13: clinic.website: is 212 characters long; the QR code of a web address over 100 "
                     "characters is too dense to scan once printed: use a shorter address (a short link to the page)")


def test_a_semicolon_csv_as_excel_writes_it(project: Path) -> None:
    (project.parent / "sites.csv").write_text('id;clinic.phone;clinic.name\nnorth;(913) 555-0101;"North, Inc."\n',
                                              encoding="utf-8")
    edit(project, "layout: handout", "layout: handout\nvariants: sites.csv")
    out = project.parent.parent / "out"
    assert run_main("build", str(project), "--out", str(out)).code == 0
    text = tool("pdftotext", str(out / f"{SLUG}-north-email.pdf"), "-").stdout
    assert "North, Inc." in text and "(913) 555-0101" in text


def test_a_csv_cell_over_the_field_limit(project: Path) -> None:
    (project.parent / "sites.csv").write_text("id,clinic.name\nnorth," + "x" * 140_000 + "\n", encoding="utf-8")
    edit(project, "layout: handout", "layout: handout\nvariants: sites.csv")
    refused(project, f"{project.parent / 'sites.csv'}:2: this row cannot be read as CSV: field larger than field limit "
                     "(131072)".replace(f"{project.parent / 'sites.csv'}", "sites.csv"))


def test_a_csv_column_written_twice(project: Path) -> None:
    (project.parent / "sites.csv").write_text("id,clinic.phone,clinic.phone\nnorth,(913) 555-0101,(913) 555-0102\n",
                                              encoding="utf-8")
    edit(project, "layout: handout", "layout: handout\nvariants: sites.csv")
    refused(project, "sites.csv:1: clinic.phone: this column is there twice; keep one of them")


# --- writing ----------------------------------------------------------------------------

@pytest.mark.parametrize("blocker", [f"{SLUG}-email.pdf", "manifest.json"])
def test_a_folder_in_the_way_of_one_output_changes_nothing(project: Path, blocker: str) -> None:
    out = project.parent.parent / "out"
    (out / blocker).unlink()
    (out / blocker).mkdir()
    edit(project, "Two to three hours", "Four hours")
    refused(project, f"{out}: cannot write the PDFs here: Is a directory; nothing in this folder was changed")


def test_schema_written_into_a_missing_folder(tmp_path: Path) -> None:
    run = run_main("schema", "--write", str(tmp_path / "nope" / "schema.json"))
    assert run.code == 1
    assert run.err == [f"cannot write {tmp_path / 'nope' / 'schema.json'}: No such file or directory"]
