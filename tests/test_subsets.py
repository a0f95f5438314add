"""Font subsets kept per process (render.subsets): a PDF made with subsets kept from other PDFs (other glyphs of
the same fonts, other fonts, hinting on and off) is byte for byte the PDF made with none kept; the memo stays
within its bound, and PDFs made by threads at once are each their own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import REPO, at_once

from brochure.render import patches, subsets

FONTS = REPO / "templates" / "fonts"
TEXTS = ("Ketamine infusions are given in a quiet room.", "Zebra quartz vex: jumpy fjord!", "0123 456-789",
         "La infusión de ketamina se administra aquí.", "Ketamine infusions are given in a quiet room.")


@pytest.fixture(autouse=True)
def _installed() -> Iterator[None]:
    patches.install()
    yield
    subsets.enabled(True)


def _pdf(text: str, hinting: bool = False) -> bytes:
    from weasyprint import HTML

    faces = "".join(f"@font-face {{ font-family: 'Open Sans'; font-weight: {weight}; src: url('{(FONTS / name).as_uri()}') }}"
                    for weight, name in ((400, "OpenSans-Regular.ttf"), (700, "OpenSans-Bold.ttf")))
    html = (f"<style>{faces} body {{ font-family: 'Open Sans' }}</style>"
            f"<p>{text}</p><p><b>{text[::-1]}</b></p><p style='font-family: serif'>{text[:12]}</p>")
    return HTML(string=html).write_pdf(pdf_identifier=b"0" * 32, hinting=hinting)  # type: ignore[no-any-return]


def _fresh(text: str, hinting: bool = False) -> bytes:
    subsets.enabled(False)
    try:
        return _pdf(text, hinting)
    finally:
        subsets.enabled(True)


def test_a_pdf_made_with_kept_subsets_is_the_pdf_made_without() -> None:
    expected = {(text, hinting): _fresh(text, hinting) for text in TEXTS for hinting in (False, True)}
    subsets.clear()
    for hinting in (False, True, False):  # each text after others: their subsets kept, some the same glyphs
        for text in TEXTS:
            assert _pdf(text, hinting) == expected[(text, hinting)], (text, hinting)
    assert subsets.kept_bytes() > 0


def test_the_memo_stays_within_its_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = [_fresh(text) for text in TEXTS]
    subsets.clear()
    monkeypatch.setattr(subsets, "MAX_BYTES", 600_000)  # about two font files: dropped and filled again
    for _ in range(2):
        assert [_pdf(text) for text in TEXTS] == expected
        assert subsets.kept_bytes() <= 600_000


def test_pdfs_made_by_threads_at_once_are_each_their_own() -> None:
    expected = {text: _fresh(text) for text in TEXTS}
    subsets.clear()
    found: dict[str, list[bytes]] = {text: [] for text in expected}

    def make(text: str) -> None:
        for _ in range(3):
            found[text].append(_pdf(text))

    at_once(make, expected)
    for text, pdfs in found.items():
        assert pdfs == [expected[text]] * 3, text
