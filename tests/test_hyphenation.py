"""Hyphenation by language: body text of the print PDF is hyphenated with the dictionary of the
content's ``lang`` (pyphen's, through WeasyPrint); headings, names, phone numbers, emails and
web addresses never are; the email PDF (read aloud by screen readers) is not hyphenated."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pyphen
import pytest
from conftest import Built, seed_data, tool
from test_labels import built, spanish_data

# Long words found nowhere else in the handout, where hyphenation would split them if allowed.
SUBTITLE = "Lo que debe saber sobre la electroencefalografía y la anestesiología intravenosa"
LONG_HEADING = "Recomendaciones importantísimas antes de la infusión intravenosa"
WEBSITE = "balancedketamine.com/informacionparapacientes"
EMAIL = "informacion.pacientes@balancedketamine.com"
ADDRESS = "https://www.balancedketamine.com/informacionparapacientes/preparacionparalainfusion"
PROTECTED = " ".join((SUBTITLE, LONG_HEADING, WEBSITE, EMAIL, ADDRESS))


def lines(pdf: Path) -> list[str]:
    """The PDF's lines in content order, as set (``-raw`` keeps a hyphen that ends a line)."""
    return [line.strip() for line in tool("pdftotext", "-raw", str(pdf), "-").stdout.splitlines() if line.strip()]


def breaks(built: Built, output: str = "print") -> list[tuple[str, str]]:
    """Each word of the content split at a line end by hyphenation: (the part before the hyphen,
    the word). A word's own hyphen ("3-hour") or two lines of different panels joined are not."""
    vocabulary = set(re.findall(r"\w+", built.yaml.read_text(encoding="utf-8").lower()))
    found = []
    text = lines(built.print if output == "print" else built.email)
    for line, following in pairwise(text):
        end = re.search(r"(\w+)-$", line)
        start = re.match(r"(\w+)", following)
        if end and start and (end[1] + start[1]).lower() in vocabulary:
            found.append((end[1], end[1] + start[1]))
    return found


@pytest.fixture(scope="module")
def spanish_trifold(tmp_path_factory: pytest.TempPathFactory) -> Built:
    data = spanish_data(layout="handout", subtitle=SUBTITLE, clinic={"email": EMAIL, "website": WEBSITE})
    data["sections"][1]["heading"] = LONG_HEADING
    data["sections"][2]["body"] += f"\n\nLea más en {ADDRESS} o escriba a {EMAIL}, o llame al (913) 871-9888."
    return built(tmp_path_factory.mktemp("hyphens-es"), data)


@pytest.fixture(scope="module")
def english_trifold(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return built(tmp_path_factory.mktemp("hyphens-en"), seed_data(layout="handout"))


def _valid(dictionary: pyphen.Pyphen, part: str, word: str) -> bool:
    """Whether ``part`` ends at one of the dictionary's hyphenation points of ``word``."""
    return len(part) in dictionary.positions(word.lower())


def test_spanish_body_text_is_hyphenated_with_the_spanish_dictionary(spanish_trifold: Built) -> None:
    found = breaks(spanish_trifold)
    assert len(found) >= 5, found
    spanish, english = pyphen.Pyphen(lang="es", left=3, right=3), pyphen.Pyphen(lang="en_US", left=3, right=3)
    assert all(_valid(spanish, part, word) for part, word in found), found
    # Not English's points: at least one split English would never make (English splits "ketamine" as ke-ta-mine).
    assert any(not _valid(english, part, word) for part, word in found), found
    assert all(len(part) >= 3 and len(word) - len(part) >= 3 for part, word in found), "3 letters on each side"


def test_english_body_text_is_hyphenated_with_the_english_dictionary(english_trifold: Built) -> None:
    found = breaks(english_trifold)
    assert found, "the English seed is hyphenated too"
    english = pyphen.Pyphen(lang="en_US", left=3, right=3)
    assert all(_valid(english, part, word) for part, word in found), found


def test_headings_names_and_addresses_are_never_hyphenated(spanish_trifold: Built) -> None:
    """No line ends in a hyphen added inside the subtitle, a heading, an address or an email,
    though each has long words that body text would hyphenate (they are nowhere in the body)."""
    text = lines(spanish_trifold.print)
    protected = set(re.findall(r"\w+", PROTECTED.lower())) - set(
        re.findall(r"\w+", " ".join(str(s["body"]) for s in spanish_trifold.brochure.model_dump()["sections"]).lower()))
    for line, following in pairwise(text):
        end, start = re.search(r"(\w+)-$", line), re.match(r"(\w+)", following)
        if end and start:
            assert (end[1] + start[1]).lower() not in protected, (line, following)
            assert not any(w.startswith(end[1].lower()) and w != end[1].lower() for w in protected
                           if w[len(end[1]):].startswith(start[1].lower())), (line, following)
    joined = "".join(text).replace(" ", "")
    for whole in (WEBSITE, EMAIL, "(913)871-9888"):
        assert whole.replace(" ", "") in joined, whole


def test_the_heading_that_would_hyphenate_does_not(spanish_trifold: Built) -> None:
    """The long heading wraps at spaces only: each of its words is whole on some line."""
    text = lines(spanish_trifold.print)
    start = next(i for i, line in enumerate(text) if line.startswith("Recomendaciones"))
    heading = " ".join(text[start:start + 4])
    assert LONG_HEADING in heading, heading
    assert not any(line.endswith("-") for line in text[start:start + 3]), text[start:start + 3]


def test_the_email_pdf_is_not_hyphenated(spanish_trifold: Built) -> None:
    assert breaks(spanish_trifold, "email") == []
    assert breaks(spanish_trifold), "the same words are hyphenated in print"


# --- the tri-fold: examples/bilingual's Spanish translation ----------------------------------

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "bilingual"
# Each article panel but the last on the letter sheet: (page, left, right) in points from the trim.
ARTICLE_PANELS = {"the fold-in flap": (1, 0.0, 261.0), "the inside left panel": (2, 0.0, 265.5),
                  "the inside middle panel": (2, 265.5, 531.0)}
MARGIN = 27.0  # the MediaBox starts 0.375 in outside the trim: room for marks


@pytest.fixture(scope="module")
def spanish_example(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """``python build.py examples/bilingual/content.es.yaml`` on a copy of the example."""
    import shutil

    from brochure import content
    from brochure.cli import main

    folder = tmp_path_factory.mktemp("bilingual")
    shutil.copytree(EXAMPLE, folder / "bilingual")
    path = folder / "bilingual" / "content.es.yaml"
    out = folder / "out"
    assert main(["build", str(path), "--out", str(out)]) == 0
    brochure = content.load(path)
    assert brochure.layout == "trifold" and brochure.paper == "letter"
    return Built(path, out, out / f"{brochure.file_slug}-print.pdf", out / f"{brochure.file_slug}-email.pdf",
                 None, brochure)  # type: ignore[arg-type]


def _panel_lines(pdf: Path, page: int, left: float, right: float) -> list[str]:
    """The lines of one panel of the imposed sheet, top to bottom, from the words' positions."""
    html = tool("pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-").stdout
    words = [(w.replace("\u200b", ""), float(x) - MARGIN, float(y) - MARGIN) for x, y, w in
             re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>', html)]
    rows: dict[int, list[tuple[float, str]]] = {}
    for word, x, y in words:
        if left <= x < right:
            rows.setdefault(round(y / 3), []).append((x, word))
    return [" ".join(w for _, w in sorted(row)) for _, row in sorted(rows.items())]


def test_the_spanish_trifold_body_text_is_hyphenated_in_spanish(spanish_example: Built) -> None:
    found = breaks(spanish_example)
    assert len(found) >= 3, found
    spanish = pyphen.Pyphen(lang="es", left=3, right=3)
    assert all(_valid(spanish, part, word) for part, word in found), found
    body = " ".join([spanish_example.brochure.intro or ""] + [s.body for s in spanish_example.brochure.sections])
    assert all(word in body.lower() for _, word in found), "only body text is hyphenated"


def test_the_spanish_trifold_never_hyphenates_headings_or_contacts(spanish_example: Built) -> None:
    b = spanish_example.brochure
    body = set(re.findall(r"\w+", " ".join([b.intro or ""] + [s.body for s in b.sections]).lower()))
    shown = " ".join([b.title, b.subtitle or "", *(s.heading for s in b.sections),
                      *(str(v) for v in b.clinic.model_dump().values() if isinstance(v, str))])
    protected = set(re.findall(r"\w+", shown.lower())) - body
    text = lines(spanish_example.print)
    for line, following in pairwise(text):
        end, start = re.search(r"(\w+)-$", line), re.match(r"(\w+)", following)
        if end and start:
            assert (end[1] + start[1]).lower() not in protected, (line, following)
    joined = "".join(text).replace(" ", "")
    assert b.clinic.phone and b.clinic.phone.replace(" ", "") in joined


@pytest.mark.parametrize("panel", list(ARTICLE_PANELS))
def test_no_spanish_panel_ends_in_a_hyphen_or_mid_sentence(spanish_example: Built, panel: str) -> None:
    """No word is split across a fold: each article panel's last line ends a sentence."""
    page, left, right = ARTICLE_PANELS[panel]
    last = _panel_lines(spanish_example.print, page, left, right)[-1]
    assert not last.endswith("-"), f"{panel} ends in a split word: ... {last}"
    assert re.search(r"[.!?][”’\"')]*$", last), f"{panel} ends mid-sentence: ... {last}"
