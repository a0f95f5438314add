"""Typography of what fields put in the text and of long addresses, read from the PDFs.

- A value a field merges into the text (``{location.directions}``, a street, a clinic's
  name) is a name, a place or an address: never hyphenated, even in lower case, while the
  words around it still are.
- A piece of an address longer than a line ("northwestern-rehabilitation-institute.")
  breaks before its own "-" (which then begins the next line), never mid-word.
"""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pytest
import yaml
from conftest import MINIMAL, REPO, build, tool

CORPUS = REPO / "tests" / "corpus"
DIRECTIONS = "underground entrance beside the neighbourhood pharmacy"
STREET = "calle independencia"
LEADS = ["Park", "Please park", "You may park", "Patients park", "Drivers can park", "Most visitors park",
         "Families usually park", "Our patients always park"]
# Long lower-case words of the clinic's own text, which may be hyphenated: the control.
OWN = ("Remember comfortable transportation, understanding relatives, sufficient medication "
       "and appointment confirmations; wonderful accompaniment matters tremendously.")


def _raw_lines(pdf: Path) -> list[str]:
    """The PDF's lines in content order (``-raw`` keeps the hyphen that ends a line), without
    the zero-width characters that mark an address's breaks."""
    text = tool("pdftotext", "-raw", str(pdf), "-").stdout
    return [line.strip() for line in re.sub("[\u200b\u2060]", "", text).splitlines() if line.strip()]


@pytest.fixture(scope="module")
def merged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("merged")
    (folder / "logo.svg").write_bytes((REPO / "logo.svg").read_bytes())
    data = yaml.safe_load(MINIMAL)
    data["location"] = {"directions": DIRECTIONS, "street": STREET}
    data["sections"][0]["body"] = " ".join(f"{lead} at the {{location.directions}} on {{location.street}}."
                                           for lead in LEADS * 2)
    data["sections"][1]["body"] = " ".join([OWN] * 8)
    # The disclaimer, a note with no word marked, names them too.
    data["disclaimer"] = " ".join(f"{lead} at the {{location.directions}} on {{location.street}}." for lead in LEADS[:4])
    content = folder / "content.yaml"
    content.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    build(content, folder / "out")
    return folder / "out" / "ketamine-and-your-brain-print.pdf"


def test_lower_case_merged_values_are_never_hyphenated(merged: Path) -> None:
    merged_words = set(re.findall(r"\w+", f"{DIRECTIONS} {STREET}"))
    lines = _raw_lines(merged)
    split = [(line, following) for line, following in pairwise(lines)
             if re.search(r"\w-$", line)]
    cut = [pair for pair in split if (re.search(r"(\w+)-$", pair[0])[1] + re.match(r"\w*", pair[1])[0])  # type: ignore[index]
           in merged_words]
    assert cut == [], cut
    # The control: the clinic's own long words around them are still hyphenated.
    own = set(re.findall(r"\w+", OWN.lower()))
    assert any((re.search(r"(\w+)-$", a)[1] + re.match(r"\w*", b)[0]).lower() in own  # type: ignore[index]
               for a, b in split), split


ADDRESSES = ("appointments@northwestern-rehabilitation-institute.example.org",
             "www.northwestern-rehabilitation-institute.example.org/new-patients")


@pytest.fixture(scope="module")
def long_addresses(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("addresses")
    build(CORPUS / "merged-fields-trifold.yaml", out)
    return out


@pytest.mark.parametrize("output", ["print", "email"])
def test_a_long_address_piece_breaks_before_its_own_hyphen_never_mid_word(long_addresses: Path, output: str) -> None:
    text = "\n".join(_raw_lines(long_addresses / f"merged-fields-trifold-{output}.pdf"))
    seen = 0
    for address in ADDRESSES:
        for match in re.finditer("\n?".join(re.escape(ch) for ch in address), text):
            shown = match[0]
            seen += 1
            at = 0
            for part in shown.split("\n")[:-1]:
                at += len(part)
                before, after = address[at - 1], address[at]
                assert before in "@./" or after == "-", f"{address} broken mid-word: {shown!r}"
    assert seen >= 3, text  # the contact block, the cover and the article each show one
    assert any("\n-rehabilitation" in m[0] for a in ADDRESSES
               for m in re.finditer("\n?".join(re.escape(ch) for ch in a), text)), text


def test_an_address_piece_that_fits_a_line_keeps_its_hyphens_unbreakable() -> None:
    """Only a piece too long for the narrowest line may break at its hyphens; one that fits
    moves whole to the next line, as before ("riverside-pediatrics." in the email contact block)."""
    from brochure.render.markup import breakable

    assert breakable("nurses@riverside-pediatrics.example.com") == \
        "nurses@\u200briverside-\u2060pediatrics.\u200bexample.\u200bcom"
    assert breakable("scheduling@valley-gastroenterology.example.com").count("\u200b-") == 0
    assert breakable("help@northside-community-health.example.org") == \
        "help@\u200bnorthside\u200b-\u2060community\u200b-\u2060health.\u200bexample.\u200borg"
