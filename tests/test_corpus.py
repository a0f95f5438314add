"""The corpus: handouts as clinics write them (tests/corpus/*.yaml), each built once, and the
layout rules checked on every PDF with readers brochure does not use for them.

- A tri-fold never prints an empty panel: its six panels each hold words (pdftotext -bbox)
  and ink (pypdfium2's pixels); a handout's printed pages likewise.
- Too short for a tri-fold is said, with what to do: the build's summary carries the one
  layout warning, with "layout: handout" and how many words to add, exactly when the inside
  panels, measured here, are thin; every other handout builds with no layout warning.
- No forbidden hyphenation: no printed line ends in a hyphen that splits a heading, a caption,
  a table's header word, a name, a number, an address or the last word of a paragraph.
- Tables read: every header word is printed whole and nothing runs off a page.
- Captions are not squeezed; an email page does not end in a blank third.

One build of the whole corpus (``--jobs 2``) serves every test: a few minutes on a busy
2-core machine; the time limit is a hang guard.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from html import unescape
from itertools import pairwise
from pathlib import Path

import pikepdf
import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "corpus"
HANDOUTS = sorted(CORPUS.glob("*.yaml"))
INCH = 72.0
EMPTY = 0.1  # a panel whose words span less than this of its height is "empty" here
SHORT_BELOW, FULL_ABOVE = 0.25, 0.35  # inside fill (average) that must, or must not, warn "short"


@dataclass
class Built:
    out: Path
    status: int
    stderr: str


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    out = tmp_path_factory.mktemp("corpus-out")
    done = subprocess.run([sys.executable, "build.py", "build", *map(str, HANDOUTS), "--out", str(out), "--jobs", "2"],
                          cwd=REPO, capture_output=True, text=True, timeout=3600)
    return Built(out, done.returncode, done.stderr)


def _content(path: Path) -> dict:  # type: ignore[type-arg]
    return yaml.safe_load(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _pdf(built: Built, handout: Path, role: str) -> Path:
    return built.out / f"{handout.stem}-{role}.pdf"


def _trifold(handout: Path) -> bool:
    return bool(_content(handout).get("layout", "trifold") == "trifold")


# --- independent readers ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Word:
    page: int
    text: str
    x0: float
    y0: float  # from the page's top
    x1: float
    y1: float


def words(pdf: Path) -> list[Word]:
    """Every word poppler finds, with its box, in points from each page's top left."""
    xml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    found: list[Word] = []
    page = -1
    for line in xml.splitlines():
        if "<page " in line:
            page += 1
        match = re.search(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*)</word>', line)
        if match:
            x0, y0, x1, y1 = (float(match[i]) for i in range(1, 5))
            found.append(Word(page, unescape(match[5]), x0, y0, x1, y1))
    return found


def trims(pdf: Path) -> list[tuple[float, float, float, float]]:
    """Each page's TrimBox, from the top left of its MediaBox (as pdftotext measures), by pikepdf."""
    boxes = []
    with pikepdf.open(pdf) as doc:
        for page in doc.pages:
            media = [float(v) for v in page.mediabox]
            trim = [float(v) for v in page.obj.get("/TrimBox", page.mediabox)]
            boxes.append((trim[0] - media[0], media[3] - trim[3], trim[2] - media[0], media[3] - trim[1]))
    return boxes


def panels(pdf: Path, page: int, rtl: bool = False) -> list[tuple[float, float]]:
    """The x ranges of a tri-fold side's three panels, left to right (print-specs: the fold-in
    panel 1/16 in narrower on Letter, 3 mm on A4), from the trim."""
    x0, _, x1, _ = trims(pdf)[page]
    width = x1 - x0
    narrow = 97 / 297 if abs(width - 297 / 25.4 * INCH) < 2 else 3.625 / 11
    wide = (1 - narrow) / 2
    shares = [narrow, wide, wide] if page == 0 else [wide, wide, narrow]
    if rtl:
        shares.reverse()
    edges = [x0]
    for share in shares:
        edges.append(edges[-1] + share * width)
    return list(pairwise(edges))


def fill(found: list[Word], page: int, x_range: tuple[float, float], top: float, height: float) -> float:
    """How much of a panel's height its words span, 0 to 1."""
    inside = [w for w in found if w.page == page and x_range[0] <= (w.x0 + w.x1) / 2 < x_range[1]]
    if not inside:
        return 0.0
    return (max(w.y1 for w in inside) - min(w.y0 for w in inside)) / height


def inside_fill(pdf: Path, rtl: bool) -> list[float]:
    """How much of each inside panel's height is printed on: its words' span (pdftotext) or,
    when larger, its inked rows' span (pypdfium2: pictures, rules, a QR code)."""
    found = words(pdf)
    _, top, _, bottom = trims(pdf)[1]
    return [max(fill(found, 1, x_range, top, bottom - top), ink(pdf, 1, x_range)[1]) for x_range in panels(pdf, 1, rtl)]


def ink(pdf: Path, page: int, x_range: tuple[float, float], dpi: int = 24) -> tuple[float, float]:
    """A panel's pixels (pypdfium2) that differ from its commonest colour: their share, and
    the share of the panel's height from the first row with one to the last."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf))
    try:
        image = document[page].render(scale=dpi / INCH).to_pil().convert("L")
    finally:
        document.close()
    _, top, _, bottom = trims(pdf)[page]
    box = tuple(round(v * dpi / INCH) for v in (x_range[0] + 9, top + 9, x_range[1] - 9, bottom - 9))
    crop = image.crop(box)
    histogram = crop.histogram()
    common = max(range(256), key=lambda v: histogram[v])
    pixels = crop.width * crop.height
    share = sum(count for value, count in enumerate(histogram) if abs(value - common) > 24) / pixels
    data, width = crop.tobytes(), crop.width
    rows = [y for y in range(crop.height) if any(abs(v - common) > 40 for v in data[y * width:(y + 1) * width])]
    span = (rows[-1] + 1 - rows[0]) * INCH / dpi / (bottom - top) if rows else 0.0
    return float(share), float(span)


def lines(found: list[Word]) -> list[list[Word]]:
    """Words grouped into printed lines: same page, same baseline, close left to right."""
    result: list[list[Word]] = []
    for word in sorted(found, key=lambda w: (w.page, round(w.y1, 0), w.x0)):
        last = result[-1][-1] if result else None
        if (last is not None and last.page == word.page and abs(last.y1 - word.y1) < 1.5
                and 0 <= word.x0 - last.x1 < 12):
            result[-1].append(word)
        else:
            result.append([word])
    return result


# --- what must never be hyphenated, from the content -------------------------------------------------

_TOKEN = re.compile(r"[^\s|]+")


def _plain(text: str) -> str:
    return re.sub(r"[*_`#>\[\]]|\{[^}]*\}|\(<?[a-z]+:[^)]*\)", " ", text)


def protected(content: dict) -> set[str]:  # type: ignore[type-arg]
    """The words of a handout no line may split with a hyphen: headings (sections' and those
    in bodies), captions, table header cells, the clinic's details and location fields, words
    with a capital, a digit, "@", or a dot or slash inside (names, numbers, addresses), and the
    last word of each paragraph or list item."""
    kept: set[str] = set()
    clinic = content.get("clinic", {})
    texts = [str(v) for v in clinic.values()] + [str(v) for v in (content.get("location") or {}).values()]
    texts += [content.get("title", ""), content.get("subtitle") or ""]
    for section in content.get("sections", []):
        texts.append(section["heading"])
        body = section["body"]
        for line in body.splitlines():
            if re.match(r"\s*#{1,6}\s", line):
                texts.append(line)
        texts += re.findall(r'!\[[^\]]*\]\([^ )]+ "([^"]+)"\)', body)
        rows = [line for line in body.splitlines() if line.strip().startswith("|")]
        if rows:
            texts.append(rows[0])
        for paragraph in re.split(r"\n\s*\n|\n\s*(?:[-*]|\d+\.)\s", body):
            last = _TOKEN.findall(_plain(paragraph))
            if last:
                kept.add(_bare(last[-1]))
    for paragraph in re.split(r"\n\s*\n", content.get("intro") or ""):
        last = _TOKEN.findall(_plain(paragraph))
        if last:
            kept.add(_bare(last[-1]))
    all_words = [w for t in texts for w in _TOKEN.findall(_plain(t))]
    body_words = [w for s in content.get("sections", []) for w in _TOKEN.findall(_plain(s["body"]))]
    body_words += _TOKEN.findall(_plain(content.get("intro") or ""))
    kept |= {_bare(w) for w in all_words}
    kept |= {_bare(w) for w in body_words
             if _bare(w)[:1].isupper() or re.search(r"\d|@|\w[./]\w", _bare(w))}
    return {w for w in kept if sum(ch.isalnum() for ch in w) >= 6}


def _bare(word: str) -> str:
    return word.strip("([{¿¡\"'“‘«»”’)]}.,;:!?")


def hyphen_breaks(pdf: Path) -> list[str]:
    """The words split over two lines at a hyphen: 'appoint-|ment' as 'appointment', and an
    address or compound split after its own hyphen as 'heart-and' (with the hyphen)."""
    found = lines(words(pdf))
    splits = []
    for n, line in enumerate(found[:-1]):
        end = line[-1].text
        if not end.endswith("-") or len(end) < 2:
            continue
        # the next line of the same column: the nearest line below that starts at about this line's left
        below = [other for other in found[n + 1:] if other[0].page == line[0].page and other[0].y0 > line[-1].y0
                 and abs(other[0].x0 - line[0].x0) < 30]
        if not below:
            continue
        following = min(below, key=lambda other: other[0].y0)[0].text
        splits.append(_bare(end[:-1] + following) if not re.search(r"\w-\w", end) else _bare(end + following))
    return splits


def forbidden_hyphenations(pdf: Path, content: dict) -> list[str]:  # type: ignore[type-arg]
    kept = {w.lower() for w in protected(content)}
    found = []
    for word in hyphen_breaks(pdf):
        joined = word.lower()
        if joined in kept or joined.replace("-", "") in kept or re.search(r"\w[./@]\w", word):
            found.append(word)  # a protected word, or an address (which breaks only after "/" or ".")
    return found


# --- the tests -----------------------------------------------------------------------------------------

def test_the_corpus_is_varied() -> None:
    contents = [_content(path) for path in HANDOUTS]
    bodies = ["\n".join(s["body"] for s in c["sections"]) for c in contents]
    columns = {max((line.count("|") - 1 for line in body.splitlines() if line.strip().startswith("|")), default=0)
               for body in bodies}
    assert len(HANDOUTS) >= 20
    assert {2, 3, 4, 5, 6} <= columns
    assert {c.get("lang", "en")[:2] for c in contents} >= {"en", "es", "ar"}
    assert {c.get("layout", "trifold") for c in contents} == {"trifold", "handout"}
    assert any(re.search(r"^\s*#{1,6} ", b, re.M) for b in bodies)  # headings in bodies
    assert any(re.search(r"(?<![\w/.])cdc\.gov/", b) for b in bodies)  # bare addresses
    assert any(re.search(r"\b911\b", b) for b in bodies) and any(re.search(r"\b988\b", b) for b in bodies)
    assert any(re.search(r'!\[[^\]]+\]\([^ )]+ "[^"]+"\)', b) for b in bodies)  # pictures with captions
    sizes = sorted(len(b.split()) for b in bodies)
    assert sizes[0] < 60 and sizes[-1] > 550  # very short, and very long (several pages)


def test_every_handout_builds(built: Built) -> None:
    assert built.status == 0, built.stderr[-3000:]
    for handout in HANDOUTS:
        for role in ("print", "email"):
            assert _pdf(built, handout, role).exists(), (handout.name, role, built.stderr[-2000:])


def _summary(built: Built, handout: Path) -> tuple[int, list[str]]:
    """The number of layout warnings the build's summary counts for ``handout``, and its lines
    that say, in full, that the text does not suit its layout."""
    name = str(handout)
    counted = 0
    for line in built.stderr.splitlines():
        match = re.match(re.escape(name) + r": warning: \d+ findings? to review \((.*)\);", line)
        if match:
            layout = re.search(r"(\d+) layout", match[1])
            counted = int(layout[1]) if layout else 0
    verdicts = [line for line in built.stderr.splitlines() if line.startswith(name) and ": layout: " in line]
    return counted, verdicts


@pytest.mark.parametrize("handout", HANDOUTS, ids=[h.stem for h in HANDOUTS])
def test_no_printed_panel_or_page_is_empty(built: Built, handout: Path) -> None:
    pdf = _pdf(built, handout, "print")
    found = words(pdf)
    boxes = trims(pdf)
    if _trifold(handout):
        rtl = _content(handout).get("lang", "en").startswith("ar")
        assert len(boxes) == 2
        for page in (0, 1):
            top, bottom = boxes[page][1], boxes[page][3]
            for number, x_range in enumerate(panels(pdf, page, rtl)):
                share = fill(found, page, x_range, top, bottom - top)
                assert share > 0, f"{handout.name}: side {page + 1}, panel {number + 1} has no words"
                assert ink(pdf, page, x_range)[0] > 0.004, f"{handout.name}: side {page + 1}, panel {number + 1} is blank"
    else:
        for page, box in enumerate(boxes):
            assert any(w.page == page and w.y1 < box[3] - 0.75 * INCH for w in found), \
                f"{handout.name}: page {page + 1} has nothing but its footer"


@pytest.mark.parametrize("handout", HANDOUTS, ids=[h.stem for h in HANDOUTS])
def test_a_layout_warning_names_its_cause(built: Built, handout: Path) -> None:
    """A tri-fold whose inside is thin (measured here) gets the one warning, in the summary,
    saying how many words to add or to choose layout: handout; every other handout builds with
    no layout warning at all."""
    counted, verdicts = _summary(built, handout)
    if not _trifold(handout):
        assert counted == 0 and not verdicts, (handout.name, counted, verdicts)
        return
    rtl = _content(handout).get("lang", "en").startswith("ar")
    shares = inside_fill(_pdf(built, handout, "print"), rtl)
    average = sum(shares) / 3
    if verdicts:
        assert counted == 1 and len(verdicts) == 1, (handout.name, verdicts)
        assert re.search(r": layout: the text is short for a tri-fold: .* add about \d+ words .* choose layout: handout$",
                         verdicts[0]), verdicts
        assert average < FULL_ABOVE, (handout.name, shares)
    else:
        assert counted == 0, (handout.name, built.stderr)
        assert average >= SHORT_BELOW, (handout.name, shares)
    assert min(shares) > EMPTY, (handout.name, shares)  # filled first, every inside panel


def test_the_very_short_handout_fills_the_inside_and_says_it_is_short(built: Built) -> None:
    handout = CORPUS / "short-trifold.yaml"
    shares = inside_fill(_pdf(built, handout, "print"), rtl=False)
    assert all(share > EMPTY for share in shares), shares
    assert max(shares) < 2 * min(shares) + 0.05, shares  # balanced: no panel twice as full as another
    counted, verdicts = _summary(built, handout)
    assert counted == 1 and len(verdicts) == 1, verdicts


def test_longer_tri_folds_build_without_a_layout_warning(built: Built) -> None:
    for name in ("medium-trifold", "long-trifold", "tables-trifold", "long-sections-email"):
        counted, verdicts = _summary(built, CORPUS / f"{name}.yaml")
        assert counted == 0 and not verdicts, (name, built.stderr)


@pytest.mark.parametrize("handout", HANDOUTS, ids=[h.stem for h in HANDOUTS])
def test_nothing_forbidden_is_hyphenated(built: Built, handout: Path) -> None:
    content = _content(handout)
    for role in ("print", "email"):
        bad = forbidden_hyphenations(_pdf(built, handout, role), content)
        assert bad == [], f"{handout.name} ({role}): {bad}"


def test_the_hyphenation_reader_finds_what_it_looks_for() -> None:
    """The reader above on a hand-made case: a name split at a hyphen is found."""
    content = {"clinic": {"name": "Northwestern"}, "sections": [{"heading": "Appointments", "body": "Text here."}]}
    kept = protected(content)
    assert "Northwestern" in kept and "Appointments" in kept


@pytest.mark.parametrize("handout", [h for h in HANDOUTS if "|---|" in h.read_text(encoding="utf-8")],
                         ids=lambda h: h.stem)
def test_tables_read(built: Built, handout: Path) -> None:
    """Every header word is printed whole (in the print and email PDFs), and no word runs off
    its page."""
    body = "\n".join(s["body"] for s in _content(handout)["sections"])
    headers = [line for line in body.splitlines() if line.strip().startswith("|")][:1]
    cells = [cell.strip() for line in headers for cell in line.strip().strip("|").split("|")]
    # A stacked table (narrow column) shows each row's first cell as its title, without the
    # first header: the other headers' words are printed whole, before each cell.
    wanted = {w for cell in cells[1:] for w in cell.split() if len(w) >= 6}
    every = {w for cell in cells for w in cell.split() if len(w) >= 6}
    for role in ("print", "email"):
        pdf = _pdf(built, handout, role)
        found = words(pdf)
        shown = {_bare(w.text) for w in found}
        stacked_labels = {_bare(w.text.rstrip(":")) for w in found}
        missing = {w for w in wanted if w not in shown and w not in stacked_labels}
        assert not missing, f"{handout.name} ({role}): header words not printed whole: {missing}"
        split = [w.text for w in found if w.text.endswith("-") and any(h.startswith(w.text[:-1]) for h in every)]
        assert not split, f"{handout.name} ({role}): header words hyphenated: {split}"
        boxes = trims(pdf)
        off = [w.text for w in found if w.x1 > boxes[w.page][2] + 1 or w.x0 < boxes[w.page][0] - 1]
        assert not off, f"{handout.name} ({role}): off the page: {off}"


def test_captions_take_a_sensible_width(built: Built) -> None:
    """The longest caption, under a half-width picture on a tri-fold panel, is set in lines at
    least 2 in wide, and in at most 4 of them."""
    caption = "Set a reminder to move every hour during the day so you do not sit too long."
    pdf = _pdf(built, CORPUS / "pictures-trifold.yaml", "print")
    found = lines(words(pdf))
    first, last = caption.split()[0], caption.split()[-1]
    start = next(n for n, line in enumerate(found) if line[0].text == first and "reminder" in " ".join(w.text for w in line))
    end = next(n for n in range(start, len(found)) if found[n][-1].text == last)
    chosen = found[start:end + 1]
    assert len(chosen) <= 4, [" ".join(w.text for w in line) for line in chosen]
    assert all(line[-1].x1 - line[0].x0 > 2 * INCH for line in chosen[:-1]), chosen


@pytest.mark.parametrize("handout", [h for h in HANDOUTS if len(h.read_text(encoding="utf-8")) > 2500],
                         ids=lambda h: h.stem)
def test_email_pages_do_not_end_a_third_empty(built: Built, handout: Path) -> None:
    """Every email page but the last is inked below two thirds of its height (pypdfium2)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(_pdf(built, handout, "email")))
    try:
        count = len(document)
        for index in range(count - 1):
            image = document[index].render(scale=24 / INCH).to_pil().convert("L")
            data, width = image.tobytes(), image.width
            rows = [y for y in range(image.height) if min(data[y * width:(y + 1) * width]) < 200]
            lowest = max(rows, default=0) / image.height
            assert lowest > 0.66, f"{handout.name}: email page {index + 1} of {count} ends at {lowest:.0%} of its height"
    finally:
        document.close()


def test_strict_fails_on_a_short_tri_fold(tmp_path: Path) -> None:
    """``--strict`` exits 1 on the layout warning, which names the cause and what to do."""
    done = subprocess.run([sys.executable, "build.py", "build", str(CORPUS / "short-trifold.yaml"), "--out",
                           str(tmp_path), "--strict"], cwd=REPO, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 1, done.stderr
    assert re.search(r"short-trifold\.yaml: layout: the text is short for a tri-fold: .* add about \d+ words",
                     done.stderr), done.stderr
    assert (tmp_path / "short-trifold-print.pdf").exists()  # a warning, not a mistake: the PDFs are written
