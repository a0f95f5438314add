"""The checks read every PDF a brochure is made into, as its output kind says, and read the
fonts of a PDF one way: every kind in ``outputs.KINDS`` (the office PDF too), each checked
on its own, and ToUnicode CMaps read with the same bounds by the checks and the tagging."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest
from conftest import seed_project

from brochure.build import Review, Unit, build_unit
from brochure.checks.layout import areas
from brochure.checks.pdffonts import to_unicode
from brochure.checks.review import check_pdf, check_pdfs
from brochure.content import Checks
from brochure.outputs import EMAIL, KINDS, OFFICE, PRINT
from brochure.render.marked import Fonts

ALL = "outputs: [" + ", ".join(KINDS) + "]\nlayout: trifold"


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Path], list[str]]:
    """The seed tri-fold made into every kind, built and reviewed as ``build`` does: its PDFs
    by kind, and each finding as the report prints it."""
    folder = tmp_path_factory.mktemp("three")
    path = seed_project(folder, ("layout: trifold", ALL))
    result = build_unit(Unit(path, "content.yaml"), folder / "out", review=Review())
    assert set(result.outputs) == set(KINDS)
    return result.outputs, [str(finding) for finding in result.findings]


def test_a_build_checks_the_office_pdf_too(three: tuple[dict[str, Path], list[str]]) -> None:
    """Each PDF gets its type-size note, the office PDF's included: it is read back like the others."""
    pdfs, found = three
    for kind in KINDS.values():
        assert any(line.startswith(f"{pdfs[kind.name]}: type-size") or
                   (line.startswith(str(pdfs[kind.name])) and "the smallest type is" in line)
                   for line in found), (kind.name, found)


def test_only_a_tagged_kind_is_checked_for_tags(three: tuple[dict[str, Path], list[str]]) -> None:
    """The office PDF is an ordinary printable PDF: not reported as untagged, as the email PDF would be."""
    pdfs, _ = three
    office = check_pdf(pdfs[OFFICE.name], OFFICE.name, Checks())
    assert not OFFICE.tagged and [f for f in office if f.kind == "tagging"] == []
    with pikepdf.open(pdfs[OFFICE.name]) as pdf:
        assert "/StructTreeRoot" not in pdf.Root  # what the tagging check would have reported


def test_check_pdfs_checks_each_pdf_it_is_given_as_check_pdf_does(three: tuple[dict[str, Path], list[str]]) -> None:
    pdfs, _ = three
    settings = Checks()
    together = check_pdfs(pdfs, settings)
    apart = sorted((f for name, path in pdfs.items() for f in check_pdf(path, name, settings)), key=lambda f: f.sort_key())
    assert together == apart
    assert {f.file for f in together if f.kind == "type-size"} == {str(path) for path in pdfs.values()}
    assert check_pdfs({EMAIL.name: pdfs[EMAIL.name]}, settings) == check_pdf(pdfs[EMAIL.name], EMAIL.name, settings)


def test_the_office_tri_fold_is_read_panel_by_panel_to_the_edge_of_its_page(
        three: tuple[dict[str, Path], list[str]]) -> None:
    """The office PDF is the same sheet, folded by the clinic: three panels a side, like the print
    PDF's, but its outer edges are the page's (it is not trimmed)."""
    pdfs, _ = three
    with pikepdf.open(pdfs[OFFICE.name]) as office, pikepdf.open(pdfs[PRINT.name]) as printed:
        office_areas, print_areas = areas(office, OFFICE.name), areas(printed, PRINT.name)
    assert [[a.name for a in page] for page in office_areas] == [[a.name for a in page] for page in print_areas]
    assert all(len(page) == 3 for page in office_areas)
    first = office_areas[0][0]
    assert first.edges[0] == "the edge of the page" and first.edges[2].startswith("the fold into ")
    assert print_areas[0][0].edges[0] == "the trim"


def _font(pdf: pikepdf.Pdf, cmap: bytes) -> pikepdf.Dictionary:
    return pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type0,
                              ToUnicode=pdf.make_stream(cmap))


def test_the_tagging_reads_words_with_the_checks_bounded_cmap_reader() -> None:
    """A ToUnicode range over 4 billion codes (a hostile or broken font) is read as at most
    65,536 codes, by the checks and by the tagging's words at a page break alike."""
    cmap = (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
            b"1 beginbfchar\n<0003> <0020>\nendbfchar\n"
            b"1 beginbfrange\n<0010> <FFFFFFFF> <0041>\nendbfrange\nendcmap\n")
    with pikepdf.new() as pdf:
        font = _font(pdf, cmap)
        table = to_unicode(font)
        assert len(table) <= 1 + 0x10000 and table[0x10] == "A" and table[0x11] == "B" and table[3] == " "
        assert max(table) == 0x10 + 0xFFFF - 0x41  # the target's four digits end there
        assert Fonts().text(font, b"\x00\x10\x00\x03\x00\x11") == "A B"


def test_a_font_without_a_readable_cmap_shows_no_words() -> None:
    """No ToUnicode, a name instead of a stream, or targets that are no hex digits: no words, no crash."""
    with pikepdf.new() as pdf:
        broken = _font(pdf, b"1 beginbfrange\n<0010> <0020> <zz>\nendbfrange\n1 beginbfchar\n<0003> <041>\nendbfchar\n")
        assert to_unicode(broken) == {3: "A"}
        named = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type0,
                                   ToUnicode=pikepdf.Name("/Identity-H"))
        assert to_unicode(named) == {} and to_unicode(pikepdf.Dictionary()) == {}
        assert Fonts().text(named, b"\x00\x10") == ""


def _two_tinted_pages(path: Path) -> None:
    """Two pages drawing the same content, a full-page blue fill and black words, whose fill
    opacity comes from a graphics state of the same name: opaque on page 1, 20% on page 2."""
    with pikepdf.new() as pdf:
        font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                    BaseFont=pikepdf.Name.Helvetica))
        content = b"q /a0 gs 0 0 1 rg 0 0 612 792 re f Q BT /F1 24 Tf 72 700 Td (Words on a tint) Tj ET"
        for opacity in (1.0, 0.2):
            page = pikepdf.Dictionary(
                Type=pikepdf.Name.Page, MediaBox=[0, 0, 612, 792], Contents=pdf.make_stream(content),
                Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font),
                                             ExtGState=pikepdf.Dictionary(a0=pikepdf.Dictionary(ca=opacity))))
            pdf.pages.append(pikepdf.Page(page))
        pdf.save(path)


def test_pages_drawing_alike_with_different_resources_get_their_own_background(tmp_path: Path) -> None:
    """Pages whose backgrounds look alike are rendered once; pages with the same drawing
    operators but another graphics state (here the fill's opacity) are not taken for alike."""
    from brochure.checks.design import backgrounds, forget_backgrounds
    from brochure.checks.pdfread import read_pages

    _two_tinted_pages(tmp_path / "tints.pdf")
    forget_backgrounds()
    with pikepdf.open(tmp_path / "tints.pdf") as pdf:
        runs, _ = read_pages(pdf)
        behind = backgrounds(pdf, runs)
    assert [run.page for run in runs] == [0, 1]
    opaque, faint = behind
    assert opaque is not None and faint is not None
    assert opaque[2] > 0.95 and opaque[0] < 0.05  # blue
    assert faint[0] > 0.7 and faint[2] > 0.95  # blue at 20% over white: pale


def test_a_font_whose_widths_claim_four_billion_glyphs_is_read_as_65536() -> None:
    from brochure.checks.pdffonts import Font

    with pikepdf.new() as pdf:
        descendant = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.CIDFontType2,
                                        W=pikepdf.Array([0, 0xFFFFFFFF, 500]))
        font = _font(pdf, b"1 beginbfchar\n<0003> <0020>\nendbfchar\n")
        font.DescendantFonts = pikepdf.Array([descendant])
        read = Font(font)
        assert len(read.widths) == 0x10000 and read.measure(b"\x00\x03\x00\x03") == ("  ", 1000.0, 2, 0)


def test_each_stream_is_parsed_once_and_the_backgrounds_are_the_same(
        three: tuple[dict[str, Path], list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading the text and stripping it for the backgrounds share one parse of each page's
    and form's content stream, and find the same colours behind the text as two parses did."""
    from brochure.checks.design import backgrounds, forget_backgrounds
    from brochure.checks.pdfread import read_pages

    pdfs, _ = three
    for path in pdfs.values():
        forget_backgrounds()
        with pikepdf.open(path) as pdf:
            alone = backgrounds(pdf, read_pages(pdf)[0])
        forget_backgrounds()
        parsed: list[tuple[int, int]] = []
        parse = pikepdf.parse_content_stream
        monkeypatch.setattr(pikepdf, "parse_content_stream",
                            lambda s, *a, seen=parsed, real=parse: seen.append(s.objgen) or real(s, *a))
        with pikepdf.open(path) as pdf:
            shared: dict[tuple[int, int], list[object]] = {}
            runs, _ = read_pages(pdf, shared)
            assert backgrounds(pdf, runs, shared) == alone
        monkeypatch.undo()
        assert shared and len(parsed) == len(set(parsed)), path.name


def test_a_pdf_checked_in_two_halves_or_from_its_bytes_gives_the_same_findings(
        three: tuple[dict[str, Path], list[str]]) -> None:
    """What a build with a helper does (``reviewed.review``): the contrast half of a PDF's checks
    in one process, the rest in another, or a PDF checked from the bytes about to be written:
    each time the findings of one ``check_pdf`` of the file, naming the file."""
    pdfs, _ = three
    settings = Checks()
    for name, path in pdfs.items():
        whole = check_pdf(path, name, settings)
        halves = [check_pdf(path, name, settings, part=part) for part in ("contrast", "rest")]
        assert sorted(halves[0] + halves[1], key=lambda f: f.sort_key()) == whole
        assert {f.kind for f in halves[0]} <= {"contrast"} and not any(f.kind == "contrast" for f in halves[1])
        assert check_pdf(path, name, settings, data=path.read_bytes()) == whole
        assert any(f.file == str(path) for f in whole)


def test_the_contrast_half_of_a_pdfs_checks_finds_what_the_whole_finds(tmp_path: Path) -> None:
    """Pale headings on white (a clinic's own stylesheet): the contrast half reports them, the
    rest does not, and together they are the findings of one ``check_pdf``."""
    path = seed_project(tmp_path, ("layout: trifold", "layout: handout"))
    own = tmp_path / "templates" / "css"
    own.mkdir(parents=True)
    css = (Path(__file__).resolve().parent.parent / "templates" / "css" / "email.css").read_text(encoding="utf-8")
    (own / "email.css").write_text(css + "\nh2 { color: #b8d8e0; }\n", encoding="utf-8")
    email = build_unit(Unit(path, "content.yaml"), tmp_path / "out").pdf(EMAIL.name)
    settings = Checks()
    contrast = check_pdf(email, EMAIL.name, settings, part="contrast")
    assert contrast and {f.kind for f in contrast} == {"contrast"}
    assert any("#b8d8e0 text on #ffffff" in f.message for f in contrast), contrast
    rest = check_pdf(email, EMAIL.name, settings, part="rest")
    assert sorted(contrast + rest, key=lambda f: f.sort_key()) == check_pdf(email, EMAIL.name, settings)
