"""PDF facts, read with tools no one here wrote: poppler (pdfinfo, pdffonts, pdftotext),
qpdf, pikepdf and pypdf. The seed content is built once as a letter print handout
(conftest ``handout``); variants add an email and website, or A4 paper.
"""

from __future__ import annotations

import http.server
import re
import shutil
import threading
from pathlib import Path
from typing import ClassVar

import pikepdf
import pytest
from conftest import (
    SEED_LOGO,
    Built,
    boxes,
    build_variant,
    make_content,
    run_main,
    snapshot,
    tool,
    without_check_summary,
)

LETTER = (0.0, 0.0, 612.0, 792.0)
A4 = (0.0, 0.0, 595.28, 841.89)
BLEED = 9.0


@pytest.fixture(scope="module")
def with_contacts(tmp_path_factory) -> Built:
    """The seed plus an email and a website for the clinic (contact block links)."""
    return build_variant(tmp_path_factory.mktemp("contacts"),
                         clinic={"email": "care@balancedketamine.com", "website": "balancedketamine.com"})


@pytest.fixture(scope="module")
def a4(tmp_path_factory) -> Built:
    return build_variant(tmp_path_factory.mktemp("a4"), paper="a4")


def both(built: Built) -> list[Path]:
    return [built.print, built.email]


def outset(box: tuple[float, ...], by: float) -> tuple[float, ...]:
    x0, y0, x1, y1 = box
    return (x0 - by, y0 - by, x1 + by, y1 + by)


# --- the build itself -----------------------------------------------------------------

def test_seed_build_writes_two_pdfs_and_says_so(handout):
    assert without_check_summary(handout.run.err) == [], "the seed should build without WeasyPrint warnings"
    assert len(handout.run.out) == 2
    assert re.fullmatch(rf"wrote {re.escape(str(handout.print))} \(\d+ kB\)", handout.run.out[0])
    assert re.fullmatch(rf"wrote {re.escape(str(handout.email))} \(\d+ kB\)", handout.run.out[1])
    names = [p.name for p in handout.out.iterdir()]
    assert sorted(n for n in names if n.endswith(".pdf")) == sorted([handout.print.name, handout.email.name])
    assert not [n for n in names if n.endswith(".tmp")], "temporary files left in out/"
    for pdf in both(handout):
        assert pdf.read_bytes().startswith(b"%PDF-")


def test_qpdf_check_passes(handout):
    for pdf in both(handout):
        result = tool("qpdf", "--check", str(pdf), check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "No syntax or stream encoding errors found" in result.stdout
        assert "WARNING" not in result.stdout + result.stderr


# --- page boxes -----------------------------------------------------------------------

def test_print_boxes_letter(handout):
    pages = boxes(handout.print)
    assert len(pages) >= 1
    for number, page in enumerate(pages, 1):
        trim, bleed, media = page["TrimBox"], page["BleedBox"], page["MediaBox"]
        assert trim == LETTER, number
        assert bleed == outset(trim, BLEED), f"page {number}: bleed must be exactly 9 pt outside the trim"
        assert media[0] < bleed[0] and media[1] < bleed[1] and media[2] > bleed[2] and media[3] > bleed[3], \
            f"page {number}: the sheet must be larger than the bleed (room for crop marks)"


PHONE = (0.0, 0.0, 324.0, 576.0)  # the email PDF's page: 4.5 x 8 in, read full width on a phone


def test_email_boxes_phone_page_no_bleed(handout):
    for number, page in enumerate(boxes(handout.email), 1):
        assert page["MediaBox"] == PHONE, number
        assert page["TrimBox"] == page["MediaBox"], number
        assert page["BleedBox"] == page["TrimBox"], f"page {number}: the email PDF has no bleed"
        assert page["CropBox"] == page["MediaBox"], number


def test_a4_trim(a4):
    for page in boxes(a4.print):
        assert page["TrimBox"] == A4
        assert page["BleedBox"] == outset(A4, BLEED)
    for page in boxes(a4.email):
        assert page["MediaBox"] == page["TrimBox"] == PHONE, "the phone page, whatever the paper"


def test_pdfinfo_page_size(handout, a4):
    assert re.search(r"TrimBox:\s+0\.00\s+0\.00\s+612\.00\s+792\.00", tool("pdfinfo", "-box", str(handout.print)).stdout)
    assert re.search(r"TrimBox:\s+0\.00\s+0\.00\s+595\.2\d\s+841\.8\d", tool("pdfinfo", "-box", str(a4.print)).stdout)
    for pdf in (handout.email, a4.email):
        assert "Page size:       324 x 576 pts" in tool("pdfinfo", str(pdf)).stdout


# --- fonts ----------------------------------------------------------------------------

def fonts(pdf: Path) -> list[dict[str, str]]:
    lines = tool("pdffonts", str(pdf)).stdout.splitlines()
    assert lines[0].split()[:2] == ["name", "type"] and lines[1].startswith("---")
    rows = []
    for line in lines[2:]:
        # name, type (may contain spaces), encoding, emb, sub, uni, object, gen
        match = re.fullmatch(r"(\S+)\s+(.+?)\s+(\S+)\s+(yes|no)\s+(yes|no)\s+(yes|no)\s+(\d+)\s+(\d+)", line)
        assert match, line
        rows.append(dict(zip(["name", "type", "encoding", "emb", "sub", "uni", "object", "gen"], match.groups())))
    return rows


def test_every_font_embedded_no_type3(handout):
    for pdf in both(handout):
        rows = fonts(pdf)
        assert rows, f"{pdf.name}: no fonts at all?"
        for row in rows:
            assert row["emb"] == "yes", (pdf.name, row)
            assert "Type 3" not in row["type"], (pdf.name, row)
        assert any("Open-Sans" in row["name"] for row in rows), (pdf.name, rows)


# --- print: PDF/X-4 -------------------------------------------------------------------

def test_print_is_pdf_x4_with_output_intent(handout):
    with pikepdf.open(handout.print) as pdf:
        with pdf.open_metadata() as xmp:
            assert xmp.get("pdfxid:GTS_PDFXVersion") == "PDF/X-4"
        intents = pdf.Root.OutputIntents
        assert len(intents) >= 1
        intent = intents[0]
        assert pikepdf.Name("/GTS_PDFX") == intent.S
        profile = intent.DestOutputProfile
        assert isinstance(profile, pikepdf.Stream)
        assert int(profile.N) == 4
        header = profile.read_bytes()[:40]
        assert header[36:40] == b"acsp", "DestOutputProfile is not an ICC profile"
        assert header[12:16] == b"prtr" and header[16:20] == b"CMYK", "a CMYK printer profile, not a display's"
        assert str(intent.OutputConditionIdentifier) == "FOGRA39"
        for page in pdf.pages:
            assert "/TrimBox" in page.obj
            assert "/Annots" not in page.obj, "PDF/X: no annotations in a print PDF"


# --- email: PDF/UA-1 ------------------------------------------------------------------

def test_email_is_tagged_pdf_ua(handout):
    with pikepdf.open(handout.email) as pdf:
        root = pdf.Root
        assert "/StructTreeRoot" in root
        assert root.StructTreeRoot.get("/K") is not None, "the structure tree is empty"
        assert bool(root.MarkInfo.Marked) is True
        assert str(root.Lang) == handout.brochure.lang == "en-US"
        assert bool(root.ViewerPreferences.DisplayDocTitle) is True
        with pdf.open_metadata() as xmp:
            assert xmp.get("pdfuaid:part") == "1"
    assert re.search(r"^Tagged:\s+yes$", tool("pdfinfo", str(handout.email)).stdout, re.M)


def test_lang_follows_content(tmp_path):
    built = build_variant(tmp_path, lang="es-US")
    for path in both(built):
        with pikepdf.open(path) as pdf:
            assert str(pdf.Root.Lang) == "es-US"


# --- document information -------------------------------------------------------------

def test_document_info(handout):
    b = handout.brochure
    for path in both(handout):
        info = tool("pdfinfo", str(path)).stdout
        fields = dict(re.findall(r"^(\w+):\s+(.*)$", info, re.M))
        assert fields["Title"] == b.title, path.name
        assert fields["Author"] == b.clinic.name, path.name
        assert fields["Subject"] == b.subtitle, path.name
        assert fields.get("CreationDate"), path.name
        with pikepdf.open(path) as pdf:
            assert re.fullmatch(r"D:\d{14}(Z|[+-]\d\d'\d\d'?)?", str(pdf.docinfo["/CreationDate"])), path.name


# --- links ----------------------------------------------------------------------------

def link_uris(path: Path) -> list[str]:
    uris = []
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            for annot in page.obj.get("/Annots", []):
                if annot.get("/Subtype") == pikepdf.Name("/Link") and "/A" in annot and "/URI" in annot.A:
                    uris.append(str(annot.A.URI))
    return uris


def test_phone_links(handout):
    assert "tel:+19138719888" in link_uris(handout.email)
    assert not link_uris(handout.print), "a print PDF carries no link annotations (PDF/X)"


def test_email_and_website_links(with_contacts):
    assert not link_uris(with_contacts.print)
    for path in [with_contacts.email]:
        uris = link_uris(path)
        assert "tel:+19138719888" in uris, path.name
        assert "mailto:care@balancedketamine.com" in uris, path.name
        assert "https://balancedketamine.com" in uris, path.name
        assert not [u for u in uris if not re.match(r"(tel|mailto|https?):", u)], uris


# --- text and reading order -----------------------------------------------------------

def words(text: str) -> str:
    return " ".join(text.replace("\u00ad", "").split())


def pdftotext(path: Path) -> str:
    return tool("pdftotext", "-enc", "UTF-8", str(path), "-").stdout


def pypdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


@pytest.mark.parametrize("extract", [pdftotext, pypdf_text], ids=["pdftotext", "pypdf"])
def test_email_reading_order(handout, extract):
    b = handout.brochure
    text = words(extract(handout.email))
    intro_start = " ".join(b.intro.split()[:8])
    expected = [b.title, intro_start] + [s.heading for s in b.sections] + ["Questions? Contact us", b.clinic.name]
    position = -1
    for item in expected:
        found = text.find(words(item), position + 1)
        assert found > position, f"{item!r} not found after position {position} in reading order"
        position = found


def test_email_pdf_is_small(handout):
    assert handout.email.stat().st_size < 1_000_000


# --- the URL fetcher: only files in the content's folder ------------------------------

def with_own_css(folder: Path, css: str) -> Path:
    path = make_content(folder / "content")
    (folder / "content" / "templates" / "css").mkdir(parents=True)
    (folder / "content" / "templates" / "css" / "brochure.css").write_text(css)
    return path


def prefilled_out(folder: Path, handout: Built) -> Path:
    """An out/ already holding good PDFs of the same slug, as after an earlier build.

    Only the PDFs: with the manifest too, they would belong to the other content file,
    and building another file over them is refused (see test_regenerate)."""
    out = folder / "out"
    shutil.copytree(handout.out, out, ignore=shutil.ignore_patterns("manifest.json"))
    return out


def test_own_css_with_image_inside_folder_builds(tmp_path):
    """Control for the refusals below: the same override, pointing inside the folder, works."""
    path = with_own_css(tmp_path, ".cover { background-image: url(../../bg.svg); }\n")
    shutil.copy(SEED_LOGO, path.parent / "bg.svg")
    run = run_main("build", str(path), "--out", str(tmp_path / "out"))
    assert run.code == 0, run.err
    assert without_check_summary(run.err) == []


@pytest.mark.parametrize("url, shown", [
    ("/etc/hostname", "/etc/hostname"),
    ("file:///etc/hostname", "/etc/hostname"),
    ("../../../../../../../../../../etc/hostname", "/etc/hostname"),
])
def test_own_css_cannot_read_files_outside_folder(tmp_path, handout, url, shown):
    path = with_own_css(tmp_path, f".cover {{ background-image: url({url}); }}\n")
    out = prefilled_out(tmp_path, handout)
    before = snapshot(out)
    run = run_main("build", str(path), "--out", str(out))
    assert run.code == 1
    assert not any("Traceback" in line for line in run.err)
    assert run.err[-1] == f"{path}: 1 problem; no PDF was written."
    assert len(run.err) == 2 and run.err[0].startswith(f"{path}: ")
    assert shown in run.err[0] and "outside the content's folder" in run.err[0], run.err[0]
    assert snapshot(out) == before


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/svg+xml")
        self.end_headers()
        self.wfile.write(SEED_LOGO.read_bytes())

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def web_server():
    _Recorder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.requests
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.mark.parametrize("css", [
    ".cover {{ background-image: url({base}/bg.svg); }}",
    "@import url({base}/more.css);",
])
def test_own_css_cannot_fetch_from_the_network(tmp_path, handout, web_server, css):
    base, requests = web_server
    path = with_own_css(tmp_path, css.format(base=base) + "\n")
    out = prefilled_out(tmp_path, handout)
    before = snapshot(out)
    run = run_main("build", str(path), "--out", str(out))
    assert requests == [], "the build fetched from the network"
    assert run.code == 1
    assert len(run.err) == 2 and run.err[0].startswith(f"{path}: ")
    assert base in run.err[0] and "refused" in run.err[0], run.err[0]
    assert snapshot(out) == before


def test_own_css_font_from_outside_is_not_used(tmp_path, web_server):
    """A @font-face outside the folder or on the web is not fetched, and fails the build:
    otherwise WeasyPrint would fall back to whatever fonts the machine has."""
    base, requests = web_server
    outside = tmp_path / "outside" / "Secret.ttf"
    outside.parent.mkdir()
    shutil.copy(Path(__file__).resolve().parent.parent / "templates" / "fonts" / "OpenSans-Italic.ttf", outside)
    css = (f'@font-face {{ font-family: "Outside"; src: url("{outside.as_uri()}"); }}\n'
           f'@font-face {{ font-family: "Web"; src: url("{base}/font.ttf"); }}\n'
           'h1 { font-family: "Outside"; } h2 { font-family: "Web"; }\n')
    path = with_own_css(tmp_path, css)
    run = run_main("build", str(path), "--out", str(tmp_path / "out"))
    assert requests == []
    assert run.code == 1
    assert "the font 'Outside' could not be loaded; a stylesheet's fonts must be files in the content's folder" in run.err[0]
    assert not (tmp_path / "out").exists()


# --- broken images --------------------------------------------------------------------

@pytest.fixture
def corrupt_logo(tmp_path, handout):
    path = make_content(tmp_path / "content", clinic={"logo": "logo.png"})
    (path.parent / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    out = prefilled_out(tmp_path, handout)
    before = snapshot(out)
    run = run_main("build", str(path), "--out", str(out))
    return path, out, before, run


def test_corrupt_image_fails_the_build_and_keeps_out(corrupt_logo):
    path, out, before, run = corrupt_logo
    assert run.code == 1
    assert run.out == []
    assert not any("Traceback" in line for line in run.err)
    assert run.err[-1] == f"{path}: 1 problem; no PDF was written."
    assert "logo.png" in run.err[0]
    assert snapshot(out) == before


def test_corrupt_image_message_says_what_is_wrong(corrupt_logo):
    """The line must end in a reason a person can act on, not a dangling ': '."""
    _path, _out, _before, run = corrupt_logo
    problem = run.err[0]
    assert not problem.rstrip().endswith(":"), f"message ends with nothing after the colon: {problem!r}"
    assert re.search(r"logo\.png'?[:,]? \S", problem), problem


def test_the_clinics_links_say_who_is_called(handout):
    """A screen reader speaks a link's /Contents: the clinic's name and number, not a tel: URI."""
    with pikepdf.open(handout.email) as pdf:
        spoken = {str(a.A.URI): str(a.get("/Contents", "")) for page in pdf.pages for a in page.get("/Annots", [])
                  if "/A" in a}
    assert spoken["tel:+19138719888"] == "Call Balanced Ketamine at (913) 871-9888"
    assert all(spoken.values()), spoken


@pytest.mark.parametrize("layout, pages, size", [("trifold", 2, (792.0, 612.0)), ("handout", None, (612.0, 792.0))])
def test_office_pdf_is_the_trim_size_without_bleed_or_marks(tmp_path, layout, pages, size):
    """For the clinic's own printer: every box the trim, an ordinary RGB PDF, the tri-fold as the
    two sides of one landscape sheet."""
    built = build_variant(tmp_path, layout=layout, outputs=["print", "email", "office"])
    office = built.out / f"{built.brochure.file_slug}-office.pdf"
    assert office.is_file()
    found = boxes(office)
    if pages:
        assert len(found) == pages
    for page in found:
        assert page["MediaBox"] == page["TrimBox"] == page["BleedBox"] == (0.0, 0.0, *size)
    with pikepdf.open(office) as pdf:
        assert "/OutputIntents" not in pdf.Root, "not PDF/X: RGB for a desktop printer"


def test_outputs_can_be_turned_off(tmp_path):
    built = build_variant(tmp_path, outputs=["email"])
    assert sorted(p.name for p in built.out.glob("*.pdf")) == [f"{built.brochure.file_slug}-email.pdf"]


@pytest.mark.parametrize("layout", ["trifold", "handout"])
def test_a_european_shops_3mm_bleed(tmp_path, layout):
    built = build_variant(tmp_path, layout=layout, paper="a4", print={"bleed": "3mm"})
    three_mm = round(3 * 72 / 25.4, 2)
    for page in boxes(built.print):
        assert page["TrimBox"][2:] == ((841.89, 595.28) if layout == "trifold" else A4[2:])
        assert page["BleedBox"] == outset(page["TrimBox"], three_mm)


def test_a_colour_profile_deflated_ahead_is_the_one_embedded_and_a_missing_one_is_left_to_the_render(
        tmp_path: Path, handout: Built) -> None:
    """``pdf.deflated_profiles``: what build's helper works out for the print PDF. It is the
    stream the PDF embeds (zlib level 9 of the profile's bytes, as pydyf writes it), and it
    is what a later PDF in this process embeds; a profile that cannot be read is left out."""
    import zlib

    from brochure.render import pdf
    from brochure.render.colour import DEFAULT_PROFILE

    ahead = pdf.deflated_profiles({DEFAULT_PROFILE, tmp_path / "missing.icc"})
    assert list(ahead) == [DEFAULT_PROFILE.read_bytes()]
    assert zlib.decompress(ahead[DEFAULT_PROFILE.read_bytes()]) == DEFAULT_PROFILE.read_bytes()
    with pikepdf.open(handout.print) as document:
        intent = document.Root.OutputIntents[0].DestOutputProfile
        assert intent.read_raw_bytes() == ahead[DEFAULT_PROFILE.read_bytes()]
    pdf.known_profiles({b"other profile": b"kept as given"})
    assert pdf._deflated(b"other profile") == b"kept as given"
