"""brochure import: an article the clinic already has (.docx, .md, .txt, .html) becomes a content file:
its title, intro, sections from its headings, lists, bold and italic, links and pictures. A file
it cannot read is one line and exit 1."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import REPO, SEED_YAML, run_main
from PIL import Image

from brochure.content import load

SEED_TEXT = REPO.parent / "shared" / "seed" / "article.txt"  # beside the clone, in CI as on the machine
FIXTURE_TEXT = Path(__file__).parent / "fixtures" / "article.txt"  # a copy of it: the test runs anywhere


def _headings_and_items(data: dict) -> tuple[list[str], list[str]]:
    """The section headings, and every list item (its lines joined), of a content file's data."""
    headings = [s["heading"] for s in data["sections"]]
    items = []
    for section in data["sections"]:
        for item in re.split(r"\n(?=- )", "\n".join(line for line in section["body"].split("\n")
                                                     if line.startswith(("- ", "  ")))):
            if item.startswith("- "):
                items.append(" ".join(item[2:].split()))
    return headings, items


def _import(tmp_path: Path, source: Path, *options: str) -> tuple[Path, list[str]]:
    target = tmp_path / "out" / "imported.yaml"
    run = run_main("import", str(source), "--to", str(target), *options)
    assert run.code == 0, run.err
    return target, run.out


@pytest.mark.parametrize("source", [
    pytest.param(FIXTURE_TEXT, id="the copy in tests/fixtures"),
    pytest.param(SEED_TEXT, id="shared/seed/article.txt",
                 marks=pytest.mark.skipif(not SEED_TEXT.is_file(), reason=f"{SEED_TEXT} is not beside this clone")),
])
def test_the_seed_text_gives_the_same_headings_and_list_items_as_content_yaml(tmp_path: Path, source: Path) -> None:
    target, said = _import(tmp_path, source)
    imported = yaml.safe_load(target.read_text(encoding="utf-8"))
    seed = yaml.safe_load(SEED_YAML.read_text(encoding="utf-8"))
    assert _headings_and_items(imported) == _headings_and_items(seed)
    assert len(_headings_and_items(seed)[1]) == 4  # the test compares something
    assert " ".join(imported["intro"].split()) == " ".join(seed["intro"].split())
    # The page's leftover "Skip to content" is no section, and the person is told so.
    assert any("left out the heading 'Skip to content'" in line for line in said)
    # With the clinic's name it is a handout the model accepts.
    target.write_text(target.read_text(encoding="utf-8").replace("name: ''", "name: Balanced Ketamine"), encoding="utf-8")
    assert load(target).sections[2].heading == "Benefits of Ketamine"


def _hyperlink(paragraph: object, url: str, text: str) -> None:
    """A real Word hyperlink (python-docx has no call for one): a relationship and a w:hyperlink run."""
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    part = paragraph.part  # type: ignore[attr-defined]
    rel = part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rel)
    run = OxmlElement("w:r")
    words = OxmlElement("w:t")
    words.text = text
    run.append(words)
    link.append(run)
    paragraph._p.append(link)  # type: ignore[attr-defined]


def test_a_word_file_gives_title_sections_lists_marks_links_and_its_picture(tmp_path: Path) -> None:
    docx = pytest.importorskip("docx", reason="python-docx is a dev dependency (bash setup.sh --dev)")
    picture = tmp_path / "leg.png"
    Image.new("RGB", (60, 40), (200, 40, 40)).save(picture)
    document = docx.Document()
    document.add_heading("Caring for Your Knee", 0)
    document.add_paragraph("A guide for your first two weeks", style="Subtitle")
    document.add_paragraph("Most people go home one or two days after surgery.")
    document.add_heading("Rest and ice", 1)
    paragraph = document.add_paragraph("Rest with your leg ")
    paragraph.add_run("raised").bold = True
    paragraph.add_run(" and put ice on it ")
    paragraph.add_run("often").italic = True
    paragraph.add_run(". Read more on ")
    _hyperlink(paragraph, "https://example.com/knee", "our page")
    paragraph.add_run(".")
    document.add_paragraph("Ice for 20 minutes at a time", style="List Bullet")
    document.add_paragraph("Keep your knee above your heart", style="List Bullet")
    shape = document.add_picture(str(picture))
    shape._inline.docPr.set("descr", "A leg raised on two pillows")
    document.add_heading("When to call us", 1)
    document.add_paragraph("Call if your knee is hot or red.")
    source = tmp_path / "Knee care.docx"
    document.save(str(source))

    target, said = _import(tmp_path, source)
    data = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert data["title"] == "Caring for Your Knee"
    assert data["subtitle"] == "A guide for your first two weeks"
    assert data["intro"] == "Most people go home one or two days after surgery."
    assert [s["heading"] for s in data["sections"]] == ["Rest and ice", "When to call us"]
    body = data["sections"][0]["body"]
    assert "Rest with your leg **raised** and put ice on it *often*. Read more on [our page](https://example.com/knee)." \
        in " ".join(body.split())
    assert "- Ice for 20 minutes at a time\n- Keep your knee above your heart" in body
    copied = target.parent / "imported-pictures" / "picture-1.png"
    assert "![A leg raised on two pillows](imported-pictures/picture-1.png)" in body
    assert copied.read_bytes() == picture.read_bytes()
    assert any("wrote" in line and "1 picture" in line for line in said)
    target.write_text(target.read_text(encoding="utf-8").replace("name: ''", "name: Knee Clinic"), encoding="utf-8")
    assert load(target).title == "Caring for Your Knee"  # a handout the model accepts, picture and all


def test_a_markdown_file_keeps_its_markdown_and_copies_its_pictures(tmp_path: Path) -> None:
    folder = tmp_path / "article"
    (folder / "img").mkdir(parents=True)
    Image.new("RGB", (30, 30), (20, 90, 110)).save(folder / "img" / "drip.png")
    source = folder / "infusion.md"
    source.write_text(
        "# Your Infusion Day\n\nWhat to expect, step by step.\n\n"
        "## Before you come\n\nEat a **light** meal. Wear *warm* clothes.\n\n- Bring your pills\n- Bring a friend\n\n"
        "![An infusion drip](img/drip.png)\n\n"
        "### A note on driving\n\nDo not drive home.\n\n"
        "## After\n\nRead [our page](https://example.com/after) or call us.\n", encoding="utf-8")
    target, _ = _import(tmp_path, source)
    data = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert data["title"] == "Your Infusion Day"
    assert data["intro"] == "What to expect, step by step."
    assert [s["heading"] for s in data["sections"]] == ["Before you come", "After"]
    before = data["sections"][0]["body"]
    assert "Eat a **light** meal. Wear *warm* clothes." in before and "- Bring your pills\n- Bring a friend" in before
    assert "**A note on driving**" in before  # a deeper heading is a bold line of its section
    assert "![An infusion drip](imported-pictures/picture-1.png)" in before
    assert (target.parent / "imported-pictures" / "picture-1.png").read_bytes() == (folder / "img" / "drip.png").read_bytes()
    assert "[our page](https://example.com/after)" in data["sections"][1]["body"]


def test_html_is_text_only_scripts_and_odd_links_are_dropped(tmp_path: Path) -> None:
    source = tmp_path / "page.html"
    source.write_text(
        "<html><head><title>Sleep well</title><script>alert(1)</script></head><body>"
        "<p>Intro with <a href='javascript:alert(1)'>a trap</a> and {{ config }} text.</p>"
        "<h2>Tonight</h2><p>Dim the <b>lights</b> &amp; rest.</p><ol><li>One</li><li>Two</li></ol>"
        "<h2>Tomorrow</h2><p>Walk <i>outside</i>.</p></body></html>", encoding="utf-8")
    target, _ = _import(tmp_path, source)
    text = target.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert data["title"] == "Sleep well"
    assert "alert" not in text and "javascript" not in text and "<" not in text.replace("\\<", "")
    assert data["intro"] == "Intro with a trap and {{ config }} text."  # words kept, the link gone
    assert [s["heading"] for s in data["sections"]] == ["Tonight", "Tomorrow"]
    assert "Dim the **lights** & rest." in data["sections"][0]["body"]
    assert "1. One\n1. Two" in data["sections"][0]["body"]


def _one_line_exit_1(*args: str) -> str:
    run = run_main("import", *args)
    assert run.code == 1 and len(run.err) == 1 and not run.out, (run.out, run.err)
    assert "Traceback" not in run.err[0]
    return run.err[0]


def test_a_file_it_cannot_read_is_one_line_and_exit_1(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "junk.txt").write_bytes(bytes(range(256)) * 40)
    (tmp_path / "junk.docx").write_bytes(b"\x00\x01not a zip at all" * 50)
    (tmp_path / "article.pdf").write_bytes(b"%PDF-1.7\n")
    with open(tmp_path / "huge.md", "wb") as huge:  # sparse: 30 MB on paper, nothing on disk
        huge.truncate(30_000_000)
    shutil.copy(FIXTURE_TEXT, tmp_path / "article.txt")
    (tmp_path / "taken.yaml").write_text("title: mine\n", encoding="utf-8")
    assert _one_line_exit_1(str(tmp_path / "missing.docx")).endswith("no such file")
    assert _one_line_exit_1(str(tmp_path / "empty.txt")).endswith("is empty")
    assert "not a text file" in _one_line_exit_1(str(tmp_path / "junk.txt"))
    assert "is not a Word document" in _one_line_exit_1(str(tmp_path / "junk.docx"))
    assert "cannot import a '.pdf' file" in _one_line_exit_1(str(tmp_path / "article.pdf"))
    assert "too large" in _one_line_exit_1(str(tmp_path / "huge.md"))
    (tmp_path / "folder.md").mkdir()
    assert "is a folder" in _one_line_exit_1(str(tmp_path / "folder.md"))
    # An existing content file is never replaced without --force.
    assert "exists already" in _one_line_exit_1(str(tmp_path / "article.txt"), "--to", str(tmp_path / "taken.yaml"))
    assert (tmp_path / "taken.yaml").read_text(encoding="utf-8") == "title: mine\n"
