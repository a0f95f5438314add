"""Blocks in a body (tables, callouts, checklists, steps, notes, sized pictures), read back
from the PDFs of the worked example, ``examples/knee-surgery``, in all three outputs: the
tri-fold and the handout for print, and the email PDF.

Read with tools no one here wrote: poppler (pdftotext, pdfimages, pdftoppm) for the words,
the pictures' printed sizes and the drawn boxes; pikepdf and pdfium for the email PDF's
structure tree (helpers shared with test_email_accessibility); page-validation for PDF/UA-1.
The example is copied into tmp_path and built there; nothing is written into the repository.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest
from conftest import REPO, build, run_main, tool
from test_email_accessibility import _element_text, _elements, _tree, _words

EXAMPLE = REPO / "examples" / "knee-surgery"
SLUG = "knee-surgery-home-care"
HEADINGS = ["Rest and ice", "Your medicines", "What to bring to your first visit", "How to change your bandage",
            "What your visits cost", "When to get help"]
NOTES = ["Ice and rest after surgery.", "Acetaminophen and your liver.", "Blood clots after surgery."]
CELLS = ["Medicine", "How much", "When", "Acetaminophen", "2 pills of 500 mg", "Every 6 hours",
         "Ibuprofen", "1 pill of 400 mg", "Every 8 hours, with food",
         "Aspirin", "1 pill of 81 mg", "Morning and night, for 4 weeks"]
LABELS = ["Tip: Ice the safe way", "Important: Do not take extra", "Warning: When to call 911"]


@dataclass
class Example:
    layout: str
    content: Path
    print: Path
    email: Path
    office: Path


def _build(folder: Path, layout: str) -> Example:
    shutil.copytree(EXAMPLE, folder / "content")
    content = folder / "content" / "content.yaml"
    text = content.read_text(encoding="utf-8")
    assert "\nlayout: trifold\n" in text, "the example is a tri-fold"
    text = text.replace("\nlayout: trifold\n", f"\nlayout: {layout}\n") + "outputs: [print, email, office]\n"
    content.write_text(text, encoding="utf-8")
    build(content, folder / "out")
    return Example(layout, content, folder / "out" / f"{SLUG}-print.pdf", folder / "out" / f"{SLUG}-email.pdf",
                   folder / "out" / f"{SLUG}-office.pdf")


@pytest.fixture(scope="module")
def trifold(tmp_path_factory: pytest.TempPathFactory) -> Example:
    return _build(tmp_path_factory.mktemp("trifold"), "trifold")


@pytest.fixture(scope="module")
def handout(tmp_path_factory: pytest.TempPathFactory) -> Example:
    return _build(tmp_path_factory.mktemp("handout"), "handout")


@pytest.fixture(params=["trifold print", "handout print", "email", "trifold office", "handout office"])
def pdf(request: pytest.FixtureRequest, trifold: Example, handout: Example) -> tuple[str, Path]:
    """Each output: (name, PDF). The print shop's and the office's of each layout, and the email PDF."""
    return request.param, {"trifold print": trifold.print, "handout print": handout.print, "email": trifold.email,
                           "trifold office": trifold.office, "handout office": handout.office}[request.param]


# -- reading the PDFs -----------------------------------------------------------------------

@dataclass
class Word:
    text: str
    page: int
    x0: float
    y0: float
    x1: float
    y1: float


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text).replace("\u200b", "")


def _page_words(pdf: Path) -> list[Word]:
    """Every word with its box in points from the page's top left, by pdftotext -bbox."""
    out = tool("pdftotext", "-bbox", str(pdf), "-").stdout
    words, page = [], 0
    for line in out.splitlines():
        if "<page " in line:
            page += 1
        found = re.search(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*)</word>', line)
        if found:
            words.append(Word(html.unescape(found[5]), page, *(float(v) for v in found.groups()[:4])))
    return words


def _columns(pdf: Path) -> int:
    """How many columns a page of this PDF is read in: the tri-fold's panels, the handout's two."""
    info = tool("pdfinfo", str(pdf)).stdout
    width = float(re.search(r"Page size:\s+([\d.]+)", info)[1])  # type: ignore[index]
    return 3 if width > 700 else 2 if width > 500 else 1


def _reading(pdf: Path) -> list[Word]:
    """The words in reading order: page by page, column by column, line by line."""
    words = _page_words(pdf)
    columns = _columns(pdf)
    info = tool("pdfinfo", str(pdf)).stdout
    width = float(re.search(r"Page size:\s+([\d.]+)", info)[1])  # type: ignore[index]
    return sorted(words, key=lambda w: (w.page, int(w.x0 / (width / columns)), round(w.y0 / 4), w.x0))


def _text(pdf: Path) -> str:
    return _squeeze("".join(w.text for w in _reading(pdf)))


def _drawn(pdf: Path) -> str:
    """The words in the order they are drawn (pdftotext -raw): a table cell by cell."""
    return _squeeze(tool("pdftotext", "-raw", str(pdf), "-").stdout)


def _phrase(words: list[Word], phrase: str, after: str = "") -> Word:
    """The first word of the first place ``phrase`` is printed (after ``after``, when given)."""
    start = words.index(_phrase(words, after)) if after else 0
    parts = phrase.split()
    for index in range(start, len(words) - len(parts) + 1):
        if [w.text for w in words[index:index + len(parts)]] == parts:
            return words[index]
    raise AssertionError(f"{phrase!r} is not printed")


# -- the example builds -----------------------------------------------------------------------

def test_the_example_builds_as_trifold_handout_and_email(trifold: Example, handout: Example) -> None:
    for example in (trifold, handout):
        for path in (example.print, example.email, example.office):
            assert path.stat().st_size > 0
    assert len(pikepdf.open(trifold.print).pages) == 2, "a tri-fold is one sheet, two sides"
    assert len(pikepdf.open(handout.print).pages) >= 2


def test_the_example_has_nothing_to_fix(trifold: Example) -> None:
    """Every block in it, and not one warning: nothing cut off, overprinted or too hard to read."""
    run = run_main("check", str(trifold.content))
    assert run.code == 0
    assert "no warnings" in run.out[-1], "\n".join(run.out)
    assert not [line for line in run.out if line.lstrip().startswith("warning")], "\n".join(run.out)


# -- tables -------------------------------------------------------------------------------------

def test_table_cells_in_order_in_each_output(pdf: tuple[str, Path]) -> None:
    """Read row by row; on a tri-fold panel the rows are stacked, each cell after its header."""
    name, path = pdf
    text = _drawn(path)
    if name.startswith("trifold"):
        expected = CELLS[3:4] + [f"{h}:{c}" for h, c in zip(CELLS[1:3], CELLS[4:6])] + CELLS[6:7] \
            + [f"{h}:{c}" for h, c in zip(CELLS[1:3], CELLS[7:9])] + CELLS[9:10] \
            + [f"{h}:{c}" for h, c in zip(CELLS[1:3], CELLS[10:12])]
    else:
        expected = CELLS
    assert _squeeze("".join(expected)) in text, f"{name}: the cells are not in order"


def test_two_column_table_wraps_on_a_tri_fold_panel(trifold: Example) -> None:
    """A table of two columns stays a table on a narrow panel: its header row is printed."""
    words = _reading(trifold.print)
    visit = _phrase(words, "Visit What you may pay")
    check_up = _phrase(words, "Check-up at 2")
    assert check_up.y0 > visit.y0 and abs(check_up.x0 - visit.x0) < 2, "the rows are under the header"


def test_header_cells_are_th_with_scope_in_the_email_structure_tree(trifold: Example) -> None:
    pdf = pikepdf.open(trifold.email)
    tree, words = _tree(pdf), _words(trifold.email)
    tables = _elements(tree, "/Table")
    medicines = next(t for t in tables if _element_text(tree, words, t).startswith(_squeeze("MedicineHow much")))
    headers = [e for e in _elements(tree, "/TH") if _within(tree, e, medicines)]
    cells = [e for e in _elements(tree, "/TD") if _within(tree, e, medicines)]
    assert [_element_text(tree, words, h) for h in headers] == [_squeeze(c) for c in CELLS[:3]]
    assert [_element_text(tree, words, c) for c in cells] == [_squeeze(c) for c in CELLS[3:]]
    assert all(str(h.A.Scope) == "/Column" for h in headers)
    ids = [str(h.ID) for h in headers]
    for index, cell in enumerate(cells):
        assert [str(i) for i in cell.A.Headers] == [ids[index % 3]], "each cell names its column's header"
    assert {str(tree.parent[h.objgen].S) for h in headers} == {"/TR"}
    assert str(tree.parent[tree.parent[headers[0].objgen].objgen].S) == "/THead"


def _within(tree, elem, ancestor) -> bool:  # type: ignore[no-untyped-def]
    node = tree.parent.get(elem.objgen)
    while node is not None and node.objgen != ancestor.objgen:
        node = tree.parent.get(node.objgen)
    return node is not None


# -- callouts -----------------------------------------------------------------------------------

def test_callout_labels_are_words_in_each_output(pdf: tuple[str, Path]) -> None:
    name, path = pdf
    text = _text(path)
    for label in LABELS:
        assert _squeeze(label) in text, f"{name}: {label!r} is not printed"


def test_callouts_are_labelled_divs_in_the_email_pdf(trifold: Example) -> None:
    pdf = pikepdf.open(trifold.email)
    tree, words = _tree(pdf), _words(trifold.email)
    labelled = {str(d.T): d for d in _elements(tree, "/Div") if "/T" in d}
    assert set(LABELS) <= set(labelled)
    warning = _element_text(tree, words, labelled["Warning: When to call 911"])
    assert warning.startswith(_squeeze("Warning: When to call 911")) and "chestpain" in warning


# -- checklists ---------------------------------------------------------------------------------

def _box_left_of(path: Path, words: list[Word], item: str, after: str = "") -> tuple[float, float, bool]:
    """The dark shape printed just left of a checklist item: its width and height in points,
    and whether its middle is inked (a tick). Drawn by pdftoppm at 4 pixels a point."""
    from PIL import Image

    first = _phrase(words, item, after)
    size = first.y1 - first.y0
    left, top, right, bottom = first.x0 - 1.9 * size, first.y0 - 0.3 * size, first.x0 - 1, first.y1 + 0.3 * size
    folder = path.parent / "boxes"
    folder.mkdir(exist_ok=True)
    target = folder / f"{path.stem}-{first.page}"
    if not target.with_suffix(".png").exists():
        subprocess.run(["pdftoppm", "-r", "288", "-f", str(first.page), "-l", str(first.page), "-singlefile", "-png",
                        str(path), str(target)], check=True)
    with Image.open(target.with_suffix(".png")) as page:
        crop = page.convert("L").crop(tuple(round(v * 4) for v in (left, top, right, bottom)))
    dark = [(x, y) for x in range(crop.width) for y in range(crop.height) if crop.getpixel((x, y)) < 110]
    assert dark, f"no box left of {item!r}"
    xs, ys = [x for x, _ in dark], [y for _, y in dark]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    middle = [(x, y) for x, y in dark if x0 + (x1 - x0) * 0.3 < x < x1 - (x1 - x0) * 0.3
              and y0 + (y1 - y0) * 0.3 < y < y1 - (y1 - y0) * 0.3]
    return (x1 - x0) / 4, (y1 - y0) / 4, bool(middle)


def test_tick_boxes_are_drawn_in_each_output(pdf: tuple[str, Path]) -> None:
    """An empty square beside each item to tick, a ticked one beside "This guide"; drawn with
    borders, not a character (the PDF's text has no box symbol)."""
    name, path = pdf
    words = _page_words(path)
    for item in ("Your walker or cane", "All your pill bottles", "A list of questions"):
        width, height, inked = _box_left_of(path, words, item)
        assert 7 <= width <= 18 and abs(width - height) < 1.5, f"{name}: {item!r}: a {width} x {height} pt shape"
        assert not inked, f"{name}: the box before {item!r} is not empty"
    width, height, inked = _box_left_of(path, words, "This guide", after="A list of questions")
    assert 7 <= width <= 18 and inked, f"{name}: no ticked box before 'This guide'"
    assert not re.search(r"[\u2610-\u2612\u2713\u2714]", "".join(w.text for w in words))


def test_checklist_items_are_lists_with_labels_in_the_email_pdf(trifold: Example) -> None:
    pdf = pikepdf.open(trifold.email)
    tree = _tree(pdf)
    labels = [str(e.Alt) for e in _elements(tree, "/Lbl") if "/Alt" in e]
    assert labels == ["Box to tick"] * 3 + ["Ticked box"]
    for lbl in (e for e in _elements(tree, "/Lbl") if "/Alt" in e):
        item = tree.parent[lbl.objgen]
        assert str(item.S) == "/LI" and str(tree.parent[item.objgen].S) == "/L"
        assert [str(k.S) for k in item.K] == ["/Lbl", "/LBody"]


# -- numbered steps -----------------------------------------------------------------------------

def test_numbered_steps_stay_whole(pdf: tuple[str, Path]) -> None:
    """All five steps on one page and, on the tri-fold, in one panel."""
    name, path = pdf
    words = _reading(path)
    columns = _columns(path)
    width = float(re.search(r"Page size:\s+([\d.]+)", tool("pdfinfo", str(path)).stdout)[1])  # type: ignore[index]
    steps = [_phrase(words, s) for s in ("Wash your hands with soap", "Take off the old bandage",
                                         "Look at the cut", "Put on a", "Wash your hands again.")]
    assert len({s.page for s in steps}) == 1, f"{name}: the steps run over a page"
    if columns == 3:
        assert len({int(s.x0 / (width / 3)) for s in steps}) == 1, f"{name}: the steps run over a fold"


# -- notes --------------------------------------------------------------------------------------

def test_references_are_at_the_end_of_the_article(pdf: tuple[str, Path]) -> None:
    name, path = pdf
    text = _text(path)
    sources = text.find("Sources")
    assert sources > 0, f"{name}: no Sources"
    for heading in HEADINGS:
        assert 0 <= text.find(_squeeze(heading)) < sources, f"{name}: {heading!r} comes after the sources"
    places = [text.find(_squeeze(f"{n}. {note}"), sources) for n, note in enumerate(NOTES, start=1)]
    assert all(p > sources for p in places) and places == sorted(places), f"{name}: the notes are not in order"
    assert "[^" not in text and "\u21a9" not in text


def test_notes_and_references_are_tagged_in_the_email_pdf(trifold: Example) -> None:
    pdf = pikepdf.open(trifold.email)
    tree, words = _tree(pdf), _words(trifold.email)
    notes = _elements(tree, "/Note")
    assert [str(n.ID) for n in notes] == ["note-1", "note-2", "note-3"]
    assert [_element_text(tree, words, n)[:len(_squeeze(t)) + 2] for n, t in zip(notes, NOTES)] == \
        [_squeeze(f"{i}. {t}") for i, t in enumerate(NOTES, start=1)]
    references = _elements(tree, "/Reference")
    assert [_element_text(tree, words, r) for r in references] == ["1", "2", "3"]
    assert all(str(r.K.S if not isinstance(r.K, pikepdf.Array) else r.K[0].S) == "/Link" for r in references)


# -- pictures -----------------------------------------------------------------------------------

# Column widths in points: a tri-fold's fold-in flap (3.625 in) and inside panel (3.6875 in),
# less 0.3 in margins each side; the handout's two columns of 3.5 in; the email page, 4.5 in
# less 0.35 in margins each side.
FLAP, INSIDE, HANDOUT_COLUMN = (3.625 - 0.6) * 72, (3.6875 - 0.6) * 72, 3.5 * 72


def _printed_widths(path: Path) -> dict[int, float]:
    """Each raster picture's printed width in points, by its pixel width: pdfimages -list."""
    widths = {}
    for line in tool("pdfimages", "-list", str(path)).stdout.splitlines()[2:]:
        cells = line.split()
        widths[int(cells[3])] = int(cells[3]) / float(cells[12]) * 72
    return widths


@pytest.mark.parametrize("layout, columns", [("trifold", (FLAP, INSIDE)), ("handout", (HANDOUT_COLUMN,))])
def test_picture_sizes_in_print(layout: str, columns: tuple[float, ...], trifold: Example, handout: Example) -> None:
    """The photo as wide as its column, the walker half of it (a tri-fold's panels differ by 1/16 in)."""
    widths = _printed_widths((trifold if layout == "trifold" else handout).print)
    assert any(widths[1500] == pytest.approx(column, rel=0.005) for column in columns), f"the photo: {widths[1500]} pt"
    assert any(widths[800] == pytest.approx(column / 2, rel=0.005) for column in columns), f"the half: {widths[800]} pt"


def test_picture_sizes_places_and_captions_in_the_email_pdf(trifold: Example) -> None:
    """Each Figure's box (WeasyPrint's /BBox, in CSS pixels) against the 3.8 in column."""
    pdf = pikepdf.open(trifold.email)
    tree, words = _tree(pdf), _words(trifold.email)
    column, left = 3.8 * 96, 0.35 * 96
    figures = {str(f.Alt): [float(v) for v in f.A.BBox] for f in _elements(tree, "/Figure")}
    leg = figures["A leg raised on pillows, with an ice pack on the knee"]
    pills = figures["A pill box with one space for each day"]
    walker = figures["A walker with four legs"]
    assert leg[2] - leg[0] == pytest.approx(column, rel=0.01) and leg[0] == pytest.approx(left, abs=1)
    assert walker[2] - walker[0] == pytest.approx(column / 2, rel=0.01)
    assert walker[2] == pytest.approx(left + column, abs=1), "the half picture sits at the right"
    assert pills[2] - pills[0] == pytest.approx(column / 3, rel=0.01)
    assert (pills[0] + pills[2]) / 2 == pytest.approx(left + column / 2, abs=1), "the third sits in the centre"
    captions = [_element_text(tree, words, c) for c in _elements(tree, "/Caption")]
    assert captions == [_squeeze("Keep your knee above your heart."), _squeeze("A pill box helps you keep track.")]
    for caption in _elements(tree, "/Caption"):
        siblings = [str(k.S) for k in tree.parent[caption.objgen].K]
        assert siblings == ["/Figure", "/Caption"], "a caption beside its figure, in one Div"


# -- PDF/UA ---------------------------------------------------------------------------------------

def test_page_validation_passes_pdf_ua_1_on_the_example(trifold: Example, handout: Example) -> None:
    page = pytest.importorskip("page", reason="page-validation (PyPI) is not installed: pip install page-validation")
    if not hasattr(page, "validate_pdf"):
        pytest.skip("the module 'page' is not page-validation")
    for path in (trifold.email, handout.email):
        report = page.validate_pdf(str(path), profile="ua1")
        failures = [(f.rule_id, f.message) for f in report.failures]
        assert report.is_compliant and report.rules.failed == 0, failures


# -- the content model: every picture and note checked, at its key and line ---------------------

BODY_AT = 8  # the line of "body: |" in ``_content``'s file


def _content(folder: Path, body: str, lang: str = "en-US") -> Path:
    """A small handout whose one section body is ``body``, with a picture beside it."""
    shutil.copy(EXAMPLE / "pictures" / "walker.png", folder / "walker.png")
    (folder / "outside.png").write_bytes((EXAMPLE / "pictures" / "walker.png").read_bytes())
    text = (f"title: Blocks\nlang: {lang}\nclinic:\n  name: Hill Street Clinic\nlayout: handout\nsections:\n"
            "  - heading: One\n    body: |\n" + "".join(f"      {line}\n" for line in body.splitlines()))
    content = folder / "content" / "content.yaml"
    content.parent.mkdir(parents=True, exist_ok=True)
    content.write_text(text, encoding="utf-8")
    shutil.copy(folder / "walker.png", content.parent / "walker.png")
    return content


@pytest.mark.parametrize("body, message", [
    ("![](walker.png)", "the picture 'walker.png' has no words for screen readers"),
    ("![A walker](../outside.png)", "'../outside.png' is outside the content's folder"),
    ("![A walker](https://example.com/w.png)", "is a web address or URL"),
    ("![A walker](missing.png)", "no file 'missing.png' in the content's folder"),
    ("![A walker](walker.png){.huge}", "'.huge' is not a size or place"),
    ("![A walker](walker.png){.half .third}", "has two sizes or two places"),
    ("See ![A walker](walker.png) here.", "is inside a paragraph; give it a paragraph of its own"),
    ("| a | b |\n|---|---|\n| ![A walker](walker.png) | x |", "is in a table"),
    ("Rest well.[^1]", "[^1] refers to no note"),
    ("Rest well.\n\n[^1]: A source.", "the note [^1] is never referred to"),
    ("::: danger Stop\nText.\n:::", "'danger' is not a kind of callout"),
    ("> [!DANGER]\n> Text.", "'DANGER' is not a kind of callout"),
    # Braces after a picture: each word checked, nothing dropped silently.
    ("![A walker](walker.png){.half width=50}", "'width=50' cannot be given in its braces"),
    ("![A walker](walker.png){#top .half}", "'#top' cannot be given in its braces"),
    ("![A walker](walker.png){data-pdf-role=Note}", "'data-pdf-role=Note' cannot be given in its braces"),
    ("![A walker](walker.png){% a comment %}", "'%' cannot be given in its braces"),
    ("![A walker](walker.png){.half}{title=x}", "'title=x' cannot be given in its braces"),
    ("![A walker](walker.png){}", "its braces '{}' are empty"),
    ("![A walker](walker.png){.half", "the braces '{.half' are not closed"),
    ("![A walker](walker.png){.half .half}", "has two sizes or two places"),
    # Nesting: a limit, at its line.
    ("> > > > > > Too deep.", "nested more than 5 deep here (the text's line 1)"),
    ("Text.\n\n- a\n  - b\n    - c\n      - d\n        - e\n          - f", "nested more than 5 deep here (the text's line 8)"),
    ("::: tip\n::: note\n::: tip\n::: note\n::: tip\n::: note\nDeep.\n:::\n:::\n:::\n:::\n:::\n:::", "nested more than 5 deep"),
])
def test_a_mistake_in_a_block_is_one_located_line(tmp_path: Path, body: str, message: str) -> None:
    content = _content(tmp_path, body)
    run = run_main("build", str(content), "--out", str(tmp_path / "out"))
    assert run.code == 1 and not list(tmp_path.glob("out/*.pdf"))
    assert run.err[0].startswith(f"{content}:{BODY_AT}: sections[0].body: "), run.err
    assert message in run.err[0], run.err[0]


def test_a_damaged_picture_in_a_body_is_refused(tmp_path: Path) -> None:
    content = _content(tmp_path, "![A walker](broken.png)")
    (content.parent / "broken.png").write_bytes((EXAMPLE / "pictures" / "walker.png").read_bytes()[:400])
    run = run_main("build", str(content), "--out", str(tmp_path / "out"))
    assert run.code == 1 and "'broken.png' cannot be read" in run.err[0], run.err


def test_a_note_may_be_defined_in_another_body(tmp_path: Path) -> None:
    """A source cited in the first section and listed at the end of the last builds."""
    content = _content(tmp_path, "Rest well.[^rest]")
    text = content.read_text(encoding="utf-8")
    content.write_text(text + "  - heading: Two\n    body: |\n      More.\n\n      [^rest]: A source.\n", encoding="utf-8")
    build(content, tmp_path / "out")


# -- the checks: which words are sentences ------------------------------------------------------

def test_table_cells_and_labels_are_not_sentences_but_their_words_are_checked(tmp_path: Path) -> None:
    from brochure.checks.review import check_content
    from brochure.content import load_with_source

    cells = " ".join(["word"] * 30)
    content = _content(tmp_path, f"""\
Take your pills with water.

| Medicine | How much |
|---|---|
| {cells} | Ask about NMDA first |

::: tip A guaranteed cure for every single person who reads this very long callout title today
Drink water.
:::

Rest.[^a]

[^a]: {" ".join(["source"] * 30)} a miracle cure.
""")
    brochure, source = load_with_source(content)
    found = check_content(brochure, source)
    kinds = {(f.kind, f.line) for f in found}
    assert not [f for f in found if f.kind == "long-sentence"], "cells, titles and sources are not sentences"
    assert ("jargon", BODY_AT + 5) in kinds, "a term in a table cell is checked"
    assert ("claim", BODY_AT + 7) in kinds, "a claim in a callout's title is checked"
    assert not [f for f in found if f.kind == "claim" and f.line == BODY_AT + 13], "a source is not a claim"


def test_a_long_sentence_in_a_callout_counts(tmp_path: Path) -> None:
    from brochure.checks.review import check_content
    from brochure.content import load_with_source

    content = _content(tmp_path, "::: warning\n" + " ".join(["Call"] * 25) + ".\n:::")
    brochure, source = load_with_source(content)
    assert [f.line for f in check_content(brochure, source) if f.kind == "long-sentence"] == [BODY_AT + 2]


# -- the HTML -------------------------------------------------------------------------------------

def test_the_html_of_each_block(tmp_path: Path) -> None:
    from brochure.content import Brochure
    from brochure.render import blocks, markup

    bodies = ["| A | B |\n|---|---|\n| 1 | 2 |\n\n- [ ] Card\n- [x] Pills\n\nSee.[^s]",
              "::: warning Call 911\nNow.\n:::\n\nAgain.[^t]\n\n[^s]: One.\n\n[^t]: Two."]
    brochure = Brochure.model_validate({"title": "T", "clinic": {"name": "C"}, "sections": [
        {"heading": "H", "body": body} for body in bodies]}, context={"root": tmp_path})
    notes = blocks.Notes(brochure)
    first, second = (str(markup.markdown(body, notes)) for body in bodies)
    assert '<th scope="col">A</th>' in first and '<td class="table-first-cell" data-label="A">1</td>' in first
    assert '<table class="table table-short">' in first and '<tr class="table-last-row">' in first
    assert "<input" not in first and 'class="task-list-item unticked"' in first and "ticked" in first
    assert '<aside class="callout callout-warning"' in second
    assert '<strong>Warning:</strong> Call <a href="tel:911">911</a>' in second  # the number is a link
    assert 'href="#note-1">1</a>' in first and 'href="#note-2">2</a>' in second, "numbered through the handout"
    assert 'class="notes"' not in first + second, "the notes wait for the end"
    end = str(notes.html())
    assert end.index('id="note-1"') < end.index('id="note-2"') and "<h2>Sources</h2>" in end
    assert '<span class="note-number">1.</span> One.' in end and "\u21a9" not in end
    figure = str(markup.markdown('![A cat](cat.png "Our cat"){.third .right}'))
    assert figure.startswith('<figure class="picture picture-third picture-right"')
    assert "<figcaption>Our cat</figcaption>" in figure and 'title=' not in figure and 'alt="A cat"' in figure
    assert 'data-pdf-role="Note"' not in str(markup.markdown('![A cat](cat.png){data-pdf-role="Note"}')), \
        "braces take classes only"


def test_a_low_resolution_picture_in_a_body_is_reported_at_its_key(tmp_path: Path) -> None:
    """walker.png, 800 pixels across a 3.5 in column, prints at about 229 ppi."""
    content = _content(tmp_path, "Rest.\n\n![A walker](walker.png){.full}")
    run = run_main("check", str(content))
    found = [line for line in run.out if "image-resolution" in line or "ppi" in line]
    assert any(f"content.yaml:{BODY_AT}: sections[0].body:" in line for line in found), "\n".join(run.out)


def test_the_words_of_the_blocks_are_in_the_handouts_language(tmp_path: Path) -> None:
    """A Spanish handout: the callout's kind, the sources' heading and the spoken box in Spanish."""
    content = _content(tmp_path, """\
::: warning Cuándo llamar al 911
Llame si le duele el pecho.[^1]
:::

- [ ] Su tarjeta del seguro

[^1]: Centros para el Control y la Prevención de Enfermedades, 2024.
""", lang="es-US")
    build(content, tmp_path / "out")
    print_pdf, email = (tmp_path / "out" / f"blocks-{kind}.pdf" for kind in ("print", "email"))
    for path in (print_pdf, email):
        text = _drawn(path)
        assert _squeeze("Advertencia: Cuándo llamar al 911") in text and "Fuentes" in text, path.name
        assert "Warning" not in text and "Sources" not in text
    pdf = pikepdf.open(email)
    tree = _tree(pdf)
    assert [str(e.Alt) for e in _elements(tree, "/Lbl") if "/Alt" in e] == ["Casilla para marcar"]
    assert [str(d.T) for d in _elements(tree, "/Div") if "/T" in d] == ["Advertencia: Cuándo llamar al 911"]


def test_a_tables_and_a_lists_shape_are_classes_not_counting_selectors() -> None:
    """Short (stays whole) and stacked (on a panel) are set in the HTML: a selector that counts
    (:nth-child, or :has() of a descendant) costs layout time growing with the cells squared."""
    import re

    from brochure.render import markup
    from brochure.render.assets import BUNDLED

    wide = "| A | B | C |\n|---|---|---|\n" + "| 1 | 2 | 3 |\n" * 7
    html = str(markup.markdown(wide))
    assert '<table class="table table-stacked">' in html and html.count("table-first-cell") == 7
    assert html.count("table-last-row") == 1
    lists = str(markup.markdown("- a\n- b\n\ntext\n\n" + "".join(f"{n}. step\n" for n in range(1, 8))))
    assert '<ul class="list-short">' in lists and "<ol>" in lists
    for sheet in sorted((BUNDLED / "css").glob("*.css")):
        rules = re.sub(r"/\*.*?\*/", "", sheet.read_text(encoding="utf-8"), flags=re.S)
        assert not re.search(r":nth-|:has\((?!\s*\+)", rules), f"{sheet.name}: a selector that counts"
