"""The email PDF as a screen reader meets it, after ``brochure.render.tagging.mend``.

Footers and page numbers are pagination artifacts, every marked-content item is in the
structure tree (or an artifact), a paragraph or section a page break split is one element,
every link has a spoken description, and an independent PDF/UA-1 validator (page-validation,
on PyPI) passes. Read back with tools no one here wrote: pikepdf for the structure and the
page operators, pdfium (pypdfium2) for the words and their marks.

Each PDF is built by the CLI, then mended here: until render_pdf calls ``mend`` itself the
CLI's email PDF is WeasyPrint's, and afterwards mending it again changes nothing (a test
below holds ``mend`` to that).
"""

from __future__ import annotations

import ctypes
import io
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
import yaml
from conftest import build, make_content, seed_data, seed_project

from brochure.render import tagging

SLUG = "how-ketamine-affects-the-brain"
TEL = "tel:+19138719888"
FOOTER = "Balanced Ketamine · (913) 871-9888"


@dataclass
class Email:
    """One email PDF: as the CLI wrote it, mended, and the content it was built from."""

    built: Path
    mended: Path
    content: dict[str, Any]


def _email(folder: Path, content_file: Path) -> Email:
    out = folder / "out"
    build(content_file, out)
    built = out / f"{SLUG}-email.pdf"
    mended = folder / f"{SLUG}-email-mended.pdf"
    mended.write_bytes(tagging.mend(built.read_bytes()))
    return Email(built, mended, yaml.safe_load(content_file.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Email:
    """The repository's content.yaml exactly (a tri-fold; its email PDF is portrait pages)."""
    folder = tmp_path_factory.mktemp("seed")
    return _email(folder, seed_project(folder / "content"))


@pytest.fixture(scope="module")
def long(tmp_path_factory: pytest.TempPathFactory) -> Email:
    """A handout of many pages: the seed's sections three times, a list of eight steps, and
    every kind of contact link."""
    sections = seed_data()["sections"]
    steps = "\n".join(f"- Step {n}: sit back, breathe slowly and tell the nurse how you feel before the next part."
                      for n in range(1, 9))
    more = [{"heading": "Your visit, step by step", "body": f"Here is what happens at a visit.\n\n{steps}\n"}]
    for suffix in (" again", " once more"):
        more += [{"heading": s["heading"].rstrip("?") + suffix, "body": s["body"]} for s in sections]
    folder = tmp_path_factory.mktemp("long")
    path = make_content(folder / "content", sections=sections + more,
                        clinic={"email": "care@example.com", "website": "example.com"})
    email = _email(folder, path)
    assert len(pikepdf.open(email.mended).pages) >= 3, "the test needs a handout of three pages or more"
    return email


# The clinic's own template (README, "Your own templates") puts a running footer, page numbers
# and a running header in the margins of every email page, whatever the bundled CSS does.
MARGINS = """{% extends "bundled/handout.html" %}
{% block styles %}{% if output == "email" %}<style>
@page { @bottom-left { content: element(footer); vertical-align: top; }
        @bottom-right { content: "Page " counter(page) " of " counter(pages); font-size: 9pt; }
        @top-right { content: "Patient handout"; font-size: 9pt; } }
.running-footer { display: block; font-size: 9pt; }
</style>{% endif %}{% endblock %}
"""


@pytest.fixture(scope="module")
def margins(tmp_path_factory: pytest.TempPathFactory) -> Email:
    """The seed as a handout, with a footer, page numbers and a header in @page margin boxes."""
    folder = tmp_path_factory.mktemp("margins")
    path = make_content(folder / "content")
    (folder / "content" / "templates").mkdir()
    (folder / "content" / "templates" / "handout.html").write_text(MARGINS, encoding="utf-8")
    return _email(folder, path)


@pytest.fixture(params=["seed", "long", "margins"])
def email(request: pytest.FixtureRequest) -> Email:
    return request.getfixturevalue(request.param)


# -- reading the PDF ----------------------------------------------------------------------


def _kids(node: Any) -> list[Any]:
    k = node.get("/K")
    return [] if k is None else list(k) if isinstance(k, pikepdf.Array) else [k]


def _is_elem(obj: Any) -> bool:
    return isinstance(obj, pikepdf.Dictionary) and "/S" in obj


@dataclass
class Tree:
    elements: list[Any]  # in reading order
    parent: dict[tuple[int, int], Any]  # element -> the node whose /K lists it
    owner: dict[tuple[int, int], Any]  # (page index, MCID) -> the element holding it
    links: dict[tuple[int, int], Any]  # annotation -> the element holding its OBJR


def _tree(pdf: pikepdf.Pdf) -> Tree:
    pages = {p.obj.objgen: n for n, p in enumerate(pdf.pages)}
    tree = Tree([], {}, {}, {})

    def page_of(elem: Any) -> int:
        assert "/Pg" in elem, f"{elem.S} holds an MCID but has no /Pg"
        return pages[elem.Pg.objgen]

    def visit(node: Any) -> None:
        for kid in _kids(node):
            if isinstance(kid, int):
                tree.owner[(page_of(node), kid)] = node
            elif _is_elem(kid):
                tree.elements.append(kid)
                tree.parent[kid.objgen] = node
                visit(kid)
            elif kid.get("/Type") == "/MCR":
                page = pages[kid.Pg.objgen] if "/Pg" in kid else page_of(node)
                tree.owner[(page, int(kid.MCID))] = node
            elif kid.get("/Type") == "/OBJR":
                tree.links[kid.Obj.objgen] = node

    visit(pdf.Root.StructTreeRoot)
    return tree


@dataclass
class Marked:
    mcids: list[int]  # tagged marked content, in stream order
    artifacts: list[dict[str, str]]  # the properties of each /Artifact BDC
    in_artifact: list[int]  # MCIDs inside an artifact (there must be none)


def _marked(page: pikepdf.Page) -> Marked:
    found = Marked([], [], [])
    stack: list[str] = []
    for op in pikepdf.parse_content_stream(page):
        name = str(op.operator)
        if name in ("BDC", "BMC"):
            tag = str(op.operands[0])
            props = op.operands[1] if name == "BDC" else None
            if isinstance(props, pikepdf.Dictionary) and "/MCID" in props:
                (found.in_artifact if "/Artifact" in stack else found.mcids).append(int(props.MCID))
            if tag == "/Artifact":
                found.artifacts.append({str(k): str(v) for k, v in props.items()} if props is not None else {})
            stack.append(tag)
        elif name == "EMC":
            stack.pop()
    return found


def _utf16(call: Any, *args: Any) -> str:
    size = ctypes.c_ulong()
    call(*args, None, 0, ctypes.byref(size))
    buffer = ctypes.create_string_buffer(size.value)
    call(*args, ctypes.cast(buffer, ctypes.POINTER(pdfium_c.FPDF_WCHAR)), size.value, ctypes.byref(size))
    return buffer.raw.decode("utf-16-le").rstrip("\x00")


@dataclass
class Words:
    text: str
    marks: list[str]  # marked-content tags around it, outermost first
    mcid: int  # -1: none


def _words(path: Path) -> list[list[Words]]:
    """Each page's text objects, by pdfium: their words, marks and MCID."""
    document = pdfium.PdfDocument(path)
    pages = []
    for page in document:
        textpage = page.get_textpage()
        found = []
        for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT], max_depth=8):
            size = pdfium_c.FPDFTextObj_GetText(obj.raw, textpage.raw, None, 0)
            buffer = ctypes.create_string_buffer(size)
            pdfium_c.FPDFTextObj_GetText(obj.raw, textpage.raw, ctypes.cast(buffer, ctypes.POINTER(pdfium_c.FPDF_WCHAR)),
                                         size)
            marks = [_utf16(pdfium_c.FPDFPageObjMark_GetName, pdfium_c.FPDFPageObj_GetMark(obj.raw, i))
                     for i in range(pdfium_c.FPDFPageObj_CountMarks(obj.raw))]
            found.append(Words(buffer.raw.decode("utf-16-le").rstrip("\x00"), marks,
                               pdfium_c.FPDFPageObj_GetMarkedContentID(obj.raw)))
        pages.append(found)
    document.close()
    return pages


def _squeeze(text: str) -> str:
    """Text without any space: line ends lose their spaces in the PDF. (pdfium reads a hyphen
    that ends a line as U+0002.)"""
    return re.sub(r"\s+", "", text).replace("\x02", "-")


def _element_text(tree: Tree, words: list[list[Words]], elem: Any) -> str:
    text: dict[tuple[int, int], str] = {}
    for page, page_words in enumerate(words):
        for w in page_words:
            text[(page, w.mcid)] = text.get((page, w.mcid), "") + w.text
    held = []
    for key, owner in tree.owner.items():  # in the tree's reading order
        node = owner
        while node is not None and node.objgen != elem.objgen:
            node = tree.parent.get(node.objgen)
        if node is not None:
            held.append(text.get(key, ""))
    return _squeeze("".join(held))


def _source_paragraphs(content: dict[str, Any]) -> list[str]:
    """The content's paragraphs (not its list items), as words without spaces."""
    texts = [content.get("intro", "")] + [s["body"] for s in content["sections"]]
    paragraphs = []
    for text in texts:
        for block in re.split(r"\n\s*\n", text.strip()):
            if block and not block.lstrip().startswith("- "):
                paragraphs.append(_squeeze(block))
    return paragraphs


# -- the tests ----------------------------------------------------------------------------


def _split(page_words: list[Words]) -> tuple[str, str]:
    """A page's tagged words and its artifacts' words, each run together without spaces."""
    tagged = _squeeze("".join(w.text for w in page_words if w.mcid != -1))
    artifacts = _squeeze("".join(w.text for w in page_words if w.marks == ["Artifact"] and w.mcid == -1))
    return tagged, artifacts


def test_no_footer_or_page_number_is_tagged_content(email: Email) -> None:
    """Whatever the stylesheets put in the page margins is an artifact, never in the tree."""
    words = _words(email.mended)
    for number, page_words in enumerate(words, start=1):
        tagged, _ = _split(page_words)
        assert _squeeze(FOOTER) not in tagged and f"Page{number}of" not in tagged, f"page {number}"
        assert all(w.mcid != -1 or "Artifact" in w.marks for w in page_words if w.text.strip()), \
            f"page {number}: text neither tagged nor an artifact"


def test_margin_boxes_are_pagination_artifacts(margins: Email) -> None:
    words = _words(margins.mended)
    pdf = pikepdf.open(margins.mended)
    assert len(words) >= 3
    for number, (page, page_words) in enumerate(zip(pdf.pages, words), start=1):
        tagged, artifacts = _split(page_words)
        for running in (_squeeze(FOOTER), f"Page{number}of{len(words)}", "Patienthandout"):
            assert running in artifacts, f"page {number}: {running} is not an artifact"
            assert running not in tagged, f"page {number}: {running} is tagged content"
        kinds = Counter(a.get("/Subtype") for a in _marked(page).artifacts if a.get("/Type") == "/Pagination")
        assert kinds["/Footer"] >= 2 and kinds["/Header"] >= 1, f"page {number}: {kinds}"


def test_every_marked_content_item_is_reachable_or_an_artifact(email: Email) -> None:
    pdf = pikepdf.open(email.mended)
    tree = _tree(pdf)
    root = pdf.Root.StructTreeRoot
    nums = list(root.ParentTree.Nums)
    parent_tree = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    for number, page in enumerate(pdf.pages):
        marked = _marked(page)
        owned = sorted(m for p, m in tree.owner if p == number)
        assert marked.mcids, f"page {number + 1} has no tagged content"
        assert sorted(marked.mcids) == owned, f"page {number + 1}: drawn {marked.mcids}, in the tree {owned}"
        assert not marked.in_artifact, f"page {number + 1}: MCIDs inside an artifact: {marked.in_artifact}"
        entry = parent_tree[int(page.obj.StructParents)]
        assert len(entry) == len(owned)
        for mcid in owned:
            assert entry[mcid].objgen == tree.owner[(number, mcid)].objgen, f"page {number + 1}: ParentTree[{mcid}]"
        for annot in page.obj.get("/Annots", []):
            assert annot.objgen in tree.links, f"page {number + 1}: an annotation outside the tree"
            assert parent_tree[int(annot.StructParent)].objgen == tree.links[annot.objgen].objgen
    assert int(root.ParentTreeNextKey) > max(parent_tree)
    reachable = {e.objgen for e in tree.elements}
    orphans = [o for o in pdf.objects if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == "/StructElem"
               and o.objgen not in reachable]
    assert not orphans, f"{len(orphans)} structure elements are not in the tree: {[str(o.S) for o in orphans]}"
    for elem in tree.elements:
        assert elem.P.objgen == tree.parent[elem.objgen].objgen, f"{elem.S}'s /P is not its parent"
        assert _kids(elem), f"an empty {elem.S}"


def _elements(tree: Tree, role: str) -> list[Any]:
    return [e for e in tree.elements if str(e.S) == role]


def test_a_paragraph_split_by_a_page_break_is_one_element(seed: Email) -> None:
    pdf = pikepdf.open(seed.mended)
    tree, words = _tree(pdf), _words(seed.mended)
    texts = Counter(_element_text(tree, words, p) for p in _elements(tree, "/P"))
    pages = {p.obj.objgen: n for n, p in enumerate(pdf.pages)}
    spans = [{pages[k.Pg.objgen] for k in _kids(p) if _is_elem(k)} for p in _elements(tree, "/P")]
    for paragraph, count in Counter(_source_paragraphs(seed.content)).items():
        assert texts[paragraph] == count, f"not one P: {paragraph[:60]}…"
    assert any(len(s) > 1 for s in spans), "no paragraph runs over a page break: the test tests nothing"


def test_no_paragraph_stops_mid_sentence_at_a_page_break(email: Email) -> None:
    pdf = pikepdf.open(email.mended)
    tree, words = _tree(pdf), _words(email.mended)
    parts = _elements(tree, "/Part")  # the article, <main>
    article = [p for p in _elements(tree, "/P") if any(_within(tree, p, part) for part in parts)]
    assert len(article) >= len(_source_paragraphs(email.content))
    for p in article:
        text = _element_text(tree, words, p)
        assert text[-1] in ".?!:", f"a paragraph stops mid-sentence: …{text[-60:]}"
        assert not text[0].islower(), f"a paragraph starts mid-sentence: {text[:60]}…"


def _within(tree: Tree, elem: Any, ancestor: Any) -> bool:
    node = tree.parent.get(elem.objgen)
    while node is not None and node.objgen != ancestor.objgen:
        node = tree.parent.get(node.objgen)
    return node is not None


def test_a_section_split_by_a_page_break_is_one_element(email: Email) -> None:
    pdf = pikepdf.open(email.mended)
    tree = _tree(pdf)
    sections = _elements(tree, "/Sect")
    assert len(sections) == len(email.content["sections"])
    assert len(_elements(tree, "/Part")) == 1, "the article is one Part"
    for sect in sections:
        first = next(k for k in _kids(sect) if _is_elem(k))
        assert first.S == "/H2", f"a section that does not start with its heading: {first.S}"


def test_every_link_has_a_spoken_description(email: Email) -> None:
    pdf = pikepdf.open(email.mended)
    links = [a for page in pdf.pages for a in page.obj.get("/Annots", []) if a.Subtype == "/Link"]
    assert any(str(a.A.URI) == TEL for a in links)
    spoken = {"tel:+19138719888": "Call (913) 871-9888", "mailto:care@example.com": "Email care@example.com",
              "https://example.com": "Open example.com"}
    verbs = {"tel": "Call ", "mailto": "Email ", "http": "Open ", "https": "Open "}
    for annot in links:
        uri, said = str(annot.A.URI), str(annot.get("/Contents", ""))
        assert said == spoken.get(uri) or (uri not in spoken and said.startswith(verbs[uri.split(":")[0]])), \
            f"{uri}: {said!r}"


def test_the_caller_names_what_a_link_says(seed: Email) -> None:
    said = "Call Balanced Ketamine at (913) 871-9888"
    pdf = pikepdf.open(io.BytesIO(tagging.mend(seed.built.read_bytes(), {TEL: said})))
    contents = [str(a.Contents) for page in pdf.pages for a in page.obj.get("/Annots", [])]
    assert contents and set(contents) == {said}


def test_descriptions_of_each_kind_of_address() -> None:
    assert tagging.describe("tel:+19138719888") == "Call (913) 871-9888"
    assert tagging.describe("tel:+44-20-7946-0958") == "Call +44-20-7946-0958"
    assert tagging.describe("mailto:care@example.com?subject=Visit") == "Email care@example.com"
    assert tagging.describe("https://www.example.com/ketamine/") == "Open www.example.com/ketamine"


def test_mending_is_reproducible_and_done_once(email: Email) -> None:
    built, mended = email.built.read_bytes(), email.mended.read_bytes()
    assert tagging.mend(built) == mended, "same PDF in, other bytes out"
    assert tagging.mend(mended) == mended, "mending a mended PDF changed it"


def test_page_validation_passes_pdf_ua_1(email: Email) -> None:
    page = pytest.importorskip("page", reason="page-validation (PyPI) is not installed: pip install page-validation")
    if not hasattr(page, "validate_pdf"):
        pytest.skip("the module 'page' is not page-validation")
    for path in (email.built, email.mended):
        report = page.validate_pdf(str(path), profile="ua1")
        failures = [(f.rule_id, f.message) for f in report.failures]
        assert report.is_compliant, f"{path.name}: {failures}"
        assert report.rules.failed == 0 and report.rules.passed == report.rules.total > 0, f"{path.name}: {failures}"
    # The validator does look: the same PDF without its language and its "tagged" mark fails.
    with pikepdf.open(email.mended) as pdf:
        del pdf.Root.Lang, pdf.Root.MarkInfo
        broken = io.BytesIO()
        pdf.save(broken)
    assert not page.validate_pdf_bytes(broken.getvalue(), profile="ua1").is_compliant
