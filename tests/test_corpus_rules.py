"""The corpus (tests/corpus/*.yaml, handouts as clinics write them), built with all three
outputs, each PDF held to the rules of test_any_content: PDF/UA-1 by page-validation, every
address in the email PDF's words a link that says what it does (poppler's words inside
pikepdf's link rectangles), footnote numbers tappable, print type under 14 pt in black ink
alone (the operators, by pikepdf), office PDFs the page alone in RGB. One build of the whole
corpus serves every test."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pikepdf
import pytest
import yaml
from conftest import REPO, build, dump
from test_any_content import _black_or_white, _covered, _links, _text_runs, _words

CORPUS = REPO / "tests" / "corpus"
HANDOUTS = sorted(CORPUS.glob("*.yaml"))
# A word that is (part of) a phone number, an email or a web address, as pdftotext reads it.
ADDRESS = re.compile(r"(\(\d{3}\)|\d{3}-\d{4}|1-\d{3}-\d{3}-\d{4}|911|988|[\w.+-]+@[\w-]+(\.[\w-]+)+"
                     r"|(www\.)?[a-z0-9-]+(\.[a-z0-9-]+)*\.(gov|org|com|edu)(/[^\s]*)?)[.,;:)]?")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("corpus")
    shutil.copytree(CORPUS, folder / "corpus")
    made = []
    for path in HANDOUTS:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["outputs"] = ["print", "email", "office"]
        target = folder / "corpus" / path.name
        target.write_text(dump(data), encoding="utf-8")
        made.append((data.get("slug") or path.stem, target))
    out = folder / "out"
    for _, target in made:
        build(target, out)
    return [(slug, out) for slug, _ in made]


def test_the_corpus_is_there() -> None:
    assert len(HANDOUTS) >= 20


def test_every_email_pdf_passes_page_validation(built: list[tuple[str, Path]]) -> None:
    page = pytest.importorskip("page", reason="page-validation (PyPI) is installed by setup.sh --dev")
    for slug, out in built:
        report = page.validate_pdf(str(out / f"{slug}-email.pdf"), profile="ua1")
        assert report.is_compliant, f"{slug}: {[(f.rule_id, f.message) for f in report.failures]}"


def test_every_address_in_every_email_pdf_is_a_link_with_words(built: list[tuple[str, Path]]) -> None:
    checked = 0
    for slug, out in built:
        email = out / f"{slug}-email.pdf"
        links = _links(email)
        for _, rect, target, said in links:
            assert re.search(r"\w{3,}", said) and not said.startswith(("tel:", "http", "#")), f"{slug}: {target} says {said!r}"
            if target.startswith("#note-"):
                assert abs(rect[3] - rect[1]) >= 6, f"{slug}: {target} has no area to tap: {rect}"
        for word in _words(email):
            if ADDRESS.fullmatch(word[1].replace("\u200b", "")):
                assert _covered(word, links), f"{slug} page {word[0]}: '{word[1]}' is not a link"
                checked += 1
    assert checked >= 40


def test_print_type_under_14pt_is_black_ink_alone(built: list[tuple[str, Path]]) -> None:
    for slug, out in built:
        wrong = [(round(size, 1), fill) for size, fill, space in _text_runs(out / f"{slug}-print.pdf")
                 if size < 14 and not _black_or_white((size, fill, space))]
        assert not wrong, f"{slug}: {wrong[:5]}"


def test_office_pdfs_are_the_page_alone_in_rgb(built: list[tuple[str, Path]]) -> None:
    for slug, out in built:
        with pikepdf.open(out / f"{slug}-office.pdf") as pdf:
            assert "/OutputIntents" not in pdf.Root, slug
            for page in pdf.pages:
                assert not set(page.obj.keys()) & {"/BleedBox", "/TrimBox", "/CropBox", "/ArtBox"}, slug
            for obj in pdf.objects:
                if not isinstance(obj, pikepdf.Stream):
                    assert "DeviceCMYK" not in repr(obj) and "/Separation" not in repr(obj), slug
