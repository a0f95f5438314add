"""Any content the schema accepts gives an email PDF that passes PDF/UA-1, whose every address
is a live link that says what it does; its print PDF inks small type in black alone; its
office PDF is the trim and nothing else.

The handouts are generated, not hand-picked: a seeded random choice (``random.Random(n)``,
so every run builds the same ones) of blocks a clinic's text may hold, in every order:
headings at every level in bodies (``#`` to ``######``, setext), lists in lists, steps,
tables of 2 to 6 columns, footnotes, callouts, checklists, pictures with captions, links
and bare addresses, emergency numbers, near-empty sections, long words, and right-to-left
text (Arabic, with the Noto Naskh font the Arabic example ships). Judges no one here wrote:
page-validation (PDF/UA-1), pikepdf (annotations, structure tree, operators), poppler
(pdftotext -bbox, pdfinfo -box), Ghostscript (tiffsep separations).
"""

from __future__ import annotations

import itertools
import random
import re
import shutil
import subprocess
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pikepdf
import pytest
import yaml
from conftest import REPO, SEED_LOGO, build, dump, tool

HANDOUTS = 6  # the seeds 0..5: a wide spread, a few minutes of building at most

PARAGRAPHS = [
    "Drink water and rest. Call us at (913) 871-9888 if you feel unwell.",
    "Read more at cdc.gov/diabetes or fda.gov, and at www.niddk.nih.gov for the details.",
    "In an emergency call 911. For a mental health crisis call or text 988.",
    "Take 2.5 mL of the syrup, e.g. with breakfast; version 1.2.3 of the app logs it.",
    "Write to care@sunrise-clinic.example.org or call 1-800-273-8255 at any hour.",
    "Pneumonoultramicroscopicsilicovolcanoconiosis is a very long word that must still fit the column.",
    "Your blood sugar (glucose) goes up after meals.[^src]",
    "Short.",
]
HEADINGS = ["# Top heading in a body", "## Second level", "### Third level", "#### Fourth level",
            "##### Fifth level", "###### Sixth level", "A setext heading\n=================",
            "Another setext\n--------------"]
BLOCKS = [
    "- One\n- Two\n  - Two and a half\n    - Deeper still\n- Three",
    "1. Wash your hands.\n2. Check your sugar.\n3. Write the number down.",
    "- [ ] Your meter\n- [x] Your list of medicines",
    "::: warning When to call 911\n- Chest pain or trouble breathing.\n:::",
    "> [!NOTE]\n> Bring this sheet to your next visit.",
    "| Time | Test |\n|---|---|\n| Morning | Before food |\n| Night | At bed time |",
    "| A | B | C | D | E | F |\n|---|---|---|---|---|---|\n| 1 | 2 | 3 | 4 | 5 | 6 |",
    "| Medicine | How much | When | Why |\n|---|---|---|---|\n| Metformin | 500 mg | Twice a day | Sugar |",
    '![A blue logo](logo.svg "Our clinic\'s sign. Visit fda.gov."){.third .right}',
    "![A blue logo, wide](logo.svg)",
    "See [the CDC page](https://www.cdc.gov/diabetes/) and **bold** words.",
]
ARABIC = "اشرب الماء واسترح. اتصل بنا على الرقم 911 في حالة الطوارئ."


def spread(seed: int) -> dict[str, Any]:
    """One generated handout: sections of random blocks, all valid content."""
    rng = random.Random(seed)
    sections = []
    for number in range(rng.randint(2, 4)):
        parts = []
        for _ in range(rng.randint(1, 5)):
            pool = rng.choice((PARAGRAPHS, HEADINGS, BLOCKS))
            parts.append(rng.choice(pool))
        if number == 0:
            parts.append(rng.choice(HEADINGS) + "\n\nText under the heading.")
        sections.append({"heading": rng.choice(["What it is", "Call 988 if you need to talk", "Steps", "Más"]),
                         "body": "\n\n".join(parts)})
    body = "\n\n".join(s["body"] for s in sections)
    if "[^src]" in body:
        sections[-1]["body"] += "\n\n[^src]: National Institutes of Health, niddk.nih.gov, 2024."
    lang = rng.choice(["en-US", "en", "es"])  # each links 911 and 988 (es-ES's 112: a test of its own)
    content: dict[str, Any] = {
        "title": f"Generated handout {seed}", "lang": lang, "layout": "handout",
        "intro": rng.choice(["", "# An intro heading\n\nWelcome. Visit medlineplus.gov.", "Welcome."]),
        "sections": sections,
        "clinic": {"name": "Sunrise Clinic", "phone": "(913) 871-9888", "logo": "logo.svg",
                   "website": "sunrise-clinic.example.org"},
        "revised": "2026-11-25", "outputs": ["print", "email", "office"],
    }
    if not content["intro"]:
        del content["intro"]
    return content


def arabic() -> dict[str, Any]:
    """Right to left: an Arabic handout, headings in bodies, a table and a list."""
    return {
        "title": "السكري", "lang": "ar", "layout": "handout", "revised": "2026-11-25",
        "theme": {"font": {"regular": "fonts/NotoNaskhArabic-Regular.ttf", "bold": "fonts/NotoNaskhArabic-Bold.ttf"}},
        "sections": [{"heading": "ما هو", "body": f"# عنوان\n\n{ARABIC}\n\n#### عنوان أصغر\n\n- واحد\n- اثنان\n\n"
                                                    "| الوقت | الفحص |\n|---|---|\n| صباحا | قبل الأكل |"},
                     {"heading": "اتصل", "body": "زوروا cdc.gov/diabetes أو اتصلوا على 988."}],
        "clinic": {"name": "عيادة الشروق", "phone": "(913) 871-9888", "logo": "logo.svg"},
        "outputs": ["print", "email", "office"],
    }


@dataclass
class Handout:
    name: str
    content: dict[str, Any]
    email: Path
    print: Path
    office: Path


def _build(folder: Path, name: str, content: dict[str, Any]) -> Handout:
    folder.mkdir(parents=True)
    shutil.copy(SEED_LOGO, folder / "logo.svg")
    if content.get("lang") == "ar":
        shutil.copytree(REPO / "examples" / "arabic" / "fonts", folder / "fonts")
    content = {**content, "slug": name}
    (folder / "content.yaml").write_text(dump(content), encoding="utf-8")
    build(folder / "content.yaml", folder / "out")
    return Handout(name, content, *(folder / "out" / f"{name}-{kind}.pdf" for kind in ("email", "print", "office")))


@pytest.fixture(scope="module")
def handouts(tmp_path_factory: pytest.TempPathFactory) -> list[Handout]:
    root = tmp_path_factory.mktemp("spread")
    made = [_build(root / f"h{seed}", f"spread-{seed}", spread(seed)) for seed in range(HANDOUTS)]
    made.append(_build(root / "ar", "spread-arabic", arabic()))
    seed = yaml.safe_load((REPO / "content.yaml").read_text(encoding="utf-8"))  # the seed, as a tri-fold
    made.append(_build(root / "seed", "seed-trifold", {**seed, "outputs": ["print", "email", "office"]}))
    return made


# -- what the generator covers ------------------------------------------------------------

def test_the_spread_covers_every_kind_of_block() -> None:
    """The seeds together hold every heading level, block and paragraph the generator knows."""
    bodies = "\n".join(s["body"] for seed in range(HANDOUTS) for s in spread(seed)["sections"])
    missing = [block for block in HEADINGS + BLOCKS + PARAGRAPHS if block not in bodies]
    assert not missing, f"no generated handout has: {missing}"


# -- headings nest and PDF/UA-1 passes ------------------------------------------------------

def _headings(pdf: pikepdf.Pdf) -> list[int]:
    levels: list[int] = []

    def visit(node: Any) -> None:
        k = node.get("/K")
        for kid in (list(k) if isinstance(k, pikepdf.Array) else [k] if k is not None else []):
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                match = re.fullmatch(r"/H(\d)", str(kid.S))
                if match:
                    levels.append(int(match[1]))
                visit(kid)

    visit(pdf.Root.StructTreeRoot)
    return levels


def test_headings_in_bodies_nest_one_level_at_a_time(handouts: list[Handout]) -> None:
    deep = 0
    for handout in handouts:
        with pikepdf.open(handout.email) as pdf:
            levels = _headings(pdf)
        assert levels[0] == 1 and levels.count(1) == 1, f"{handout.name}: {levels}"
        for before, after in itertools.pairwise(levels):
            assert after <= before + 1, f"{handout.name}: H{before} then H{after} in {levels}"
        deep = max(deep, max(levels))
    assert deep >= 4, "no handout had headings nested below H3: the test proves little"


def test_page_validation_passes_every_email_pdf(handouts: list[Handout]) -> None:
    page = pytest.importorskip("page", reason="page-validation (PyPI) is installed by setup.sh --dev")
    for handout in handouts:
        report = page.validate_pdf(str(handout.email), profile="ua1")
        failures = [(f.rule_id, f.message) for f in report.failures]
        assert report.is_compliant and report.rules.failed == 0, f"{handout.name}: {failures}"


# -- every address is a link ----------------------------------------------------------------

# A word pdftotext reads that is (part of) an address the generated text holds.
ADDRESS = re.compile(r"(cdc\.gov/diabetes|fda\.gov|niddk\.nih\.gov|medlineplus\.gov|care@sunrise-clinic\.example\.org"
                     r"|\(913\)|871-9888|1-800-273-8255|911|988)[.,;:]?")
NOT_ADDRESSES = ("2.5", "e.g.", "1.2.3")


def _links(pdf_path: Path) -> list[tuple[int, list[float], str, str]]:
    """(page, rect, target, /Contents) of each link annotation (pikepdf)."""
    found = []
    with pikepdf.open(pdf_path) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            for annot in page.get("/Annots", []):
                if annot.get("/Subtype") != "/Link":
                    continue
                action = annot.get("/A")
                target = str(action.URI) if action is not None and "/URI" in action else "#" + str(annot.get("/Dest", ""))
                found.append((number, [float(v) for v in annot.Rect], target, str(annot.get("/Contents", ""))))
    return found


def _words(pdf_path: Path) -> list[tuple[int, str, tuple[float, float, float, float]]]:
    """Each word with its page and box, in PDF points from the bottom left (poppler)."""
    found = []
    pages = int(re.search(r"Pages:\s+(\d+)", tool("pdfinfo", str(pdf_path)).stdout)[1])  # type: ignore[index]
    for number in range(1, pages + 1):
        html = tool("pdftotext", "-bbox", "-f", str(number), "-l", str(number), str(pdf_path), "-").stdout
        height = float(re.search(r'<page width="[\d.]+" height="([\d.]+)"', html)[1])  # type: ignore[index]
        for a, b, c, d, word in re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
                                           r"([^<]*)</word>", html):
            found.append((number, word, (float(a), height - float(d), float(c), height - float(b))))
    return found


def _covered(word: tuple[int, str, tuple[float, float, float, float]],
             links: list[tuple[int, list[float], str, str]]) -> list[tuple[int, list[float], str, str]]:
    page, _, (x0, y0, x1, y1) = word
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return [link for link in links if link[0] == page and min(link[1][0], link[1][2]) <= cx <= max(link[1][0], link[1][2])
            and min(link[1][1], link[1][3]) <= cy <= max(link[1][1], link[1][3])]


def test_every_phone_email_and_web_address_is_a_link_that_says_what_it_does(handouts: list[Handout]) -> None:
    checked = 0
    for handout in handouts:
        links = _links(handout.email)
        for word in _words(handout.email):
            text = word[1]
            if not ADDRESS.fullmatch(text.replace("\u200b", "").removeprefix("www.")):
                continue
            over = _covered(word, links)
            assert over, f"{handout.name} page {word[0]}: '{text}' is not inside any link"
            target, said = over[0][2], over[0][3]
            assert re.match(r"(tel:|mailto:|https://)", target), f"{handout.name}: '{text}' links to {target}"
            assert re.search(r"\w{3,}", said) and not said.startswith(("tel:", "http")), \
                f"{handout.name}: the link on '{text}' says {said!r}"
            checked += 1
    assert checked >= 30, f"only {checked} addresses found in the text: the test proves little"


def test_numbers_and_abbreviations_that_are_not_addresses_are_not_links(handouts: list[Handout]) -> None:
    seen = 0
    for handout in handouts:
        links = _links(handout.email)
        for word in _words(handout.email):
            if word[1].rstrip(";,.") in NOT_ADDRESSES or word[1] in NOT_ADDRESSES:
                seen += 1
                assert not _covered(word, links), f"{handout.name}: '{word[1]}' was made a link"
    assert seen >= 3


def test_footnote_numbers_are_links_with_an_area_and_words(handouts: list[Handout]) -> None:
    notes = [link for handout in handouts for link in _links(handout.email) if link[2].startswith("#note-")]
    assert notes, "no generated handout has a footnote"
    for _, rect, target, said in notes:
        assert abs(rect[3] - rect[1]) >= 6 and abs(rect[2] - rect[0]) >= 6, f"{target}: rect {rect} cannot be tapped"
        assert re.fullmatch(r"(Note|Nota) \d+", said), f"{target} says {said!r}"


def test_short_numbers_follow_the_language() -> None:
    """112 is Spain's and Europe's emergency number: a link in Spanish, not in US English."""
    from brochure.render import markup

    spanish = markup.linkify("Llame al 112 o al 911.", "es-ES")
    assert 'href="tel:112"' in spanish and 'href="tel:911"' not in spanish
    english = markup.linkify("Call 911 or 988; room 112.", "en-US")
    assert 'href="tel:911"' in english and 'href="tel:988"' in english and "tel:112" not in english
    for text in ("Take 911.5 mg", "911mg", "at 9:11", "#911", "1911", "$988"):
        assert "<a" not in markup.linkify(text, "en-US"), text
    for text in ("e.g. this", "version 2.5", "v1.2.3", "a.m.", "U.S.", "file.txt"):
        assert "<a" not in markup.linkify(text), text
    assert 'href="https://cdc.gov/flu"' in markup.linkify("See cdc.gov/flu.")


# -- the print PDF: small text in one ink ---------------------------------------------------

Run = tuple[float, tuple[float, ...], str]  # (size in pt, fill colour components, colour space)


def _text_runs(pdf_path: Path) -> list[Run]:
    """The size and fill colour of every shown string on every page, by walking the content
    streams and the forms they draw with pikepdf (the tri-fold's panels are forms)."""
    runs: list[Run] = []

    def spaces(resources: Any) -> dict[str, str]:
        named = {}
        for name, space in (resources.get("/ColorSpace", {}) if resources is not None else {}).items():
            family = str(space[0]) if isinstance(space, pikepdf.Array) else str(space)
            if family == "/ICCBased":
                family = {1: "gray", 3: "rgb", 4: "cmyk"}[int(space[1].N)]
            named[str(name)] = family
        return named

    def walk(stream: Any, resources: Any, ctm: list[float]) -> None:
        named = spaces(resources)
        stack: list[tuple[list[float], tuple[float, ...], str]] = []
        fill: tuple[float, ...] = (0.0,)
        space = "gray"
        tm = [1.0, 0, 0, 1.0, 0, 0]
        size = 0.0
        render = 0
        for operands, operator in pikepdf.parse_content_stream(stream):
            op = str(operator)
            values = [float(v) for v in operands if isinstance(v, (int, float, Decimal))]
            if op == "q":
                stack.append((ctm, fill, space))
            elif op == "Q" and stack:
                ctm, fill, space = stack.pop()
            elif op == "cm":
                a, b, c, d, e, f = values
                ctm = _mul([a, b, c, d, e, f], ctm)
            elif op == "cs":
                space = named.get(str(operands[0]), str(operands[0]))
                fill = (0.0,) * {"cmyk": 4, "/DeviceCMYK": 4, "rgb": 3, "/DeviceRGB": 3}.get(space, 1)
            elif op in ("sc", "scn"):
                fill = tuple(values)
            elif op in ("k", "rg", "g"):
                space, fill = {"k": "cmyk", "rg": "rgb", "g": "gray"}[op], tuple(values)
            elif op == "BT":
                tm = [1.0, 0, 0, 1.0, 0, 0]
            elif op == "Tm":
                tm = list(values)
            elif op == "Tf":
                size = values[0]
            elif op == "Tr":
                render = int(values[0])
            elif op in ("Tj", "TJ", "'", '"') and render != 3:
                m = _mul(tm, ctm)
                runs.append((abs(size) * (m[2] ** 2 + m[3] ** 2) ** 0.5, fill, space))
            elif op == "Do":
                xobject = resources.XObject[operands[0]]
                if xobject.get("/Subtype") == "/Form":
                    matrix = [float(v) for v in xobject.get("/Matrix", [1, 0, 0, 1, 0, 0])]
                    walk(xobject, xobject.get("/Resources", resources), _mul(matrix, ctm))

    with pikepdf.open(pdf_path) as pdf:
        for page in pdf.pages:
            walk(page, page.get("/Resources"), [1.0, 0, 0, 1.0, 0, 0])
    return runs


def _mul(a: list[float], b: list[float]) -> list[float]:
    return [a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3], a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3],
            a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5]]


def _black_or_white(run: Run) -> bool:
    _, fill, space = run
    if space in ("cmyk", "/DeviceCMYK"):
        c, m, y, k = fill
        return max(c, m, y) < 0.005 and (k > 0.995 or k < 0.005)
    return False


def test_print_text_under_14pt_is_black_ink_alone(handouts: list[Handout], tmp_path: Path) -> None:
    small = 0
    for handout in handouts:
        runs = _text_runs(handout.print)
        wrong = [(round(size, 1), fill, space) for size, fill, space in runs if size < 14 and not _black_or_white((size, fill, space))]
        assert not wrong, f"{handout.name}: text under 14 pt in other inks: {wrong[:5]}"
        small += sum(1 for r in runs if r[0] < 14)
        big_brand = [r for r in runs if r[0] >= 14 and r[2] in ("cmyk", "/DeviceCMYK") and max(r[1][:3]) > 0.05]
        assert big_brand, f"{handout.name}: no heading kept the brand colour"
    assert small > 200


@pytest.mark.skipif(shutil.which("gs") is None, reason="Ghostscript is installed by setup.sh --dev")
def test_contact_values_and_step_numbers_are_on_the_black_plate(handouts: list[Handout], tmp_path: Path) -> None:
    """Ghostscript's separations, where poppler finds the contact phone: black plate only."""
    handout = handouts[0]
    words = [w for w in _words(handout.print) if w[1] in ("871-9888", "1.", "2.")]
    assert words, "no contact phone or step number in the print PDF"
    with pikepdf.open(handout.print) as pdf:
        media = [float(v) for v in pdf.pages[0].MediaBox]
    for page, text, (x0, y0, x1, y1) in words:
        subprocess.run(["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=tiffsep", "-r150", f"-dFirstPage={page}",
                        f"-dLastPage={page}", f"-sOutputFile={tmp_path}/p.tif", str(handout.print)], check=True)
        from PIL import Image

        plates = {p: Image.open(tmp_path / f"p({p}).tif").convert("L") for p in ("Cyan", "Magenta", "Yellow", "Black")}
        scale = 150 / 72
        height = media[3] - media[1]  # poppler's words are from the page's top left, as Ghostscript's pixels
        box = (round(x0 * scale), round((height - y1) * scale), round(x1 * scale), round((height - y0) * scale))
        black = [255 - v for v in plates["Black"].crop(box).get_flattened_data()]
        letters = [i for i, v in enumerate(black) if v >= 200]  # the glyphs' pixels, not the tint around them
        assert len(letters) > 20, f"'{text}' has no black ink"
        for plate in ("Cyan", "Magenta", "Yellow"):
            ink = [255 - v for v in plates[plate].crop(box).get_flattened_data()]
            under = max(ink[i] for i in letters)
            assert under <= 8, f"'{text}' on page {page} puts {plate} ink ({under}) under its letters"


# -- the office PDF: the trim and nothing else ----------------------------------------------

def test_office_pdf_is_trim_size_rgb_with_no_marks(handouts: list[Handout]) -> None:
    for handout in handouts:
        for box in tool("pdfinfo", "-box", "-f", "1", "-l", "99", str(handout.office)).stdout.splitlines():
            if re.match(r"Page\s+\d+\s+\w+Box", box):
                values = [float(v) for v in box.split(":")[1].split()]
                assert values in ([0.0, 0.0, 612.0, 792.0], [0.0, 0.0, 792.0, 612.0]), f"{handout.name}: {box}"
        with pikepdf.open(handout.office) as pdf:
            assert "/OutputIntents" not in pdf.Root
            for page in pdf.pages:
                assert set(page.obj.keys()) & {"/BleedBox", "/TrimBox", "/CropBox", "/ArtBox"} == set()
            for obj in pdf.objects:
                text = repr(obj) if not isinstance(obj, pikepdf.Stream) else repr(obj.stream_dict)
                assert "DeviceCMYK" not in text and "/Separation" not in text, f"{handout.name}: {text[:200]}"
                if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") != "/Image" and "/Length1" not in obj \
                        and obj.get("/Subtype") not in ("/Type1C", "/CIDFontType0C", "/OpenType", "/XML"):
                    data = obj.read_bytes()
                    assert not re.search(rb"\s(k|K)\s", data) or b"BT" not in data, f"{handout.name}: CMYK operator"


def test_no_email_or_office_page_names_an_area_beyond_it(handouts: list[Handout]) -> None:
    """The boxes as written in the file (pikepdf), not as a viewer clips them: none larger than the page."""
    for handout in handouts:
        for pdf_path in (handout.email, handout.office):
            with pikepdf.open(pdf_path) as pdf:
                for number, page in enumerate(pdf.pages, start=1):
                    media = [float(v) for v in page.obj.MediaBox]
                    for name in ("/CropBox", "/BleedBox", "/TrimBox", "/ArtBox"):
                        if name in page.obj:
                            box = [float(v) for v in page.obj[name]]
                            inside = box[0] >= media[0] and box[1] >= media[1] and box[2] <= media[2] and box[3] <= media[3]
                            assert inside, f"{pdf_path.name} page {number}: {name} {box} beyond the page {media}"
