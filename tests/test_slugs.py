"""File names from titles in any language: transliterated, never mangled."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import build, make_content

from brochure.content import Brochure


def slug(title: str, **keys: str) -> str:
    return Brochure.model_validate({"title": title, "sections": [{"heading": "h", "body": "b"}],
                                    "clinic": {"name": "c"}, **keys}).file_slug


@pytest.mark.parametrize(("title", "expected"), [
    ("¿Cómo prepararse para su infusión de ketamina?", "como-prepararse-para-su-infusion-de-ketamina"),
    ("Cómo afecta la ketamina al cerebro", "como-afecta-la-ketamina-al-cerebro"),
    ("Niños y adolescentes: ¿qué esperar?", "ninos-y-adolescentes-que-esperar"),
    ("Ketamine and Your Brain’s Health", "ketamine-and-your-brains-health"),  # the apostrophe joins, as before
    ("How Ketamine Affects the Brain", "how-ketamine-affects-the-brain"),
    ("Straße, Ærø, Łódź", "strasse-aero-lodz"),
    ("Thuốc ketamine ảnh hưởng não bộ", "thuoc-ketamine-anh-huong-nao-bo"),  # Vietnamese
    ("Кетамин и мозг", "ketamin-i-mozg"),  # Russian
    ("氯胺酮与大脑", "lu-an-tong-yu-da-nao"),  # Chinese: a syllable per character
    ("¿?¡!", "brochure"),
])
def test_titles_become_transliterated_file_names(title: str, expected: str) -> None:
    assert slug(title) == expected


def test_a_given_slug_is_kept() -> None:
    assert slug("¿Cómo?", slug="infusion-es") == "infusion-es"


def test_the_spanish_pdfs_have_a_transliterated_name(tmp_path: Path) -> None:
    path = make_content(tmp_path / "content", title="¿Cómo prepararse para su infusión de ketamina?", lang="es")
    run = build(path, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").glob("*.pdf")) == [
        "como-prepararse-para-su-infusion-de-ketamina-email.pdf", "como-prepararse-para-su-infusion-de-ketamina-print.pdf"]
    assert not any("c-mo" in line for line in run.out)
