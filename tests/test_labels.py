"""Labels: every word brochure prints comes from the handout's language's catalog.

The Spanish fixture is ``examples/bilingual/content.es.yaml`` (the seed in plain Spanish) with
the seed's clinic, theme and paper, as a content file of its own.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pikepdf
import pytest
import yaml
from conftest import REPO, Built, build, dump, run_main, seed_data, tool

SPANISH = REPO / "examples" / "bilingual" / "content.es.yaml"
TEXT_KEYS = ("title", "subtitle", "lang", "intro", "sections", "disclaimer", "revised")


def spanish_data(**overrides: Any) -> dict[str, Any]:
    """The Spanish translation of the seed as one complete content file (layout: handout)."""
    data = seed_data(**overrides)
    translated = yaml.safe_load(SPANISH.read_text(encoding="utf-8"))
    for key in TEXT_KEYS:
        if key in translated:
            data[key] = translated[key]
    return data


def write(folder: Path, data: dict[str, Any], name: str = "content.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "logo.svg").write_bytes((REPO / "logo.svg").read_bytes())
    path = folder / name
    path.write_text(dump(data), encoding="utf-8")
    return path


def built(folder: Path, data: dict[str, Any]) -> Built:
    from brochure import content

    path = write(folder / "content", data)
    run = build(path, folder / "out")
    brochure = content.load(path)
    out = folder / "out"
    return Built(path, out, out / f"{brochure.file_slug}-print.pdf", out / f"{brochure.file_slug}-email.pdf", run, brochure)


def text_of(pdf: Path) -> str:
    return " ".join(tool("pdftotext", "-layout", str(pdf), "-").stdout.split())


def english_labels() -> dict[str, str]:
    return yaml.safe_load((REPO / "templates" / "messages" / "en.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def spanish(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The Spanish seed as a print handout (page numbers, running footer) and its email PDF;
    with an email and a website, so every label of the contact block and the QR code prints."""
    return built(tmp_path_factory.mktemp("es"), spanish_data(clinic={"email": "hola@example.com",
                                                                      "website": "example.com/es",
                                                                      "address": "1 Main St"}))


@pytest.fixture(scope="module")
def spanish_trifold(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return built(tmp_path_factory.mktemp("es-trifold"), spanish_data(layout="trifold", clinic={"website": "example.com"}))


def _words(label: str) -> list[str]:
    """The fixed words of an English label: its text around the placeholders."""
    return [part.strip(" ,") for part in re.split(r"\{\w+\}", label) if part.strip(" ,")]


def test_no_english_label_is_left_in_a_spanish_pdf(spanish: Built, spanish_trifold: Built) -> None:
    spanish_words = yaml.safe_load((REPO / "templates" / "messages" / "es.yaml").read_text(encoding="utf-8")).values()
    # "Web" is Spanish too: only words the Spanish catalog does not use count as English.
    english = [w for label in english_labels().values() for w in _words(label)
               if not any(w in _words(es) for es in spanish_words)]
    assert len(english) > 20, english
    for pdf in (spanish.print, spanish.email, spanish_trifold.print):
        text = text_of(pdf)
        left = [w for w in english if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text)]
        assert not left, f"{pdf.name}: English labels left: {left}"
        for standalone in ("Call", "Email", "Visit", "Revised", "Page"):
            assert not re.search(rf"\b{standalone}\b", text), (pdf.name, standalone)


def test_spanish_labels_dates_and_page_numbers_print(spanish: Built, spanish_trifold: Built) -> None:
    handout = text_of(spanish.print)
    for label in ("¿Preguntas? Comuníquese con nosotros", "Llame (913) 871-9888", "Correo hola@example.com",
                  "Visite 1 Main St", "Revisado el 25 de noviembre de 2026", "Página 1 de 2", "Página 2 de 2",
                  "Escanee el código con la cámara de su teléfono"):
        assert label in handout, label
    cover = text_of(spanish_trifold.print)
    assert "Llame al (913) 871-9888" in cover
    assert "Revisado el 25 de noviembre de 2026" in cover


def test_the_spanish_pdfs_speak_spanish_to_screen_readers(spanish: Built) -> None:
    with pikepdf.open(spanish.email) as pdf:
        assert str(pdf.Root.Lang) == "es-US"
        spoken = {str(a.A.URI): str(a.Contents) for page in pdf.pages for a in page.get("/Annots", []) if "/A" in a}
        keywords = str(pdf.docinfo.get("/Keywords", ""))
    assert spoken["tel:+19138719888"] == "Llame a Balanced Ketamine al (913) 871-9888"
    assert spoken["mailto:hola@example.com"] == "Escriba a Balanced Ketamine a hola@example.com"
    assert spoken["https://example.com/es"] == "Abra el sitio web de Balanced Ketamine, example.com/es"
    assert keywords.startswith("educación para pacientes")
    with pikepdf.open(spanish.print) as pdf:
        alts = [str(v) for obj in pdf.objects if isinstance(obj, pikepdf.Dictionary) for k, v in obj.items() if k == "/Alt"]
    # The print PDF is not tagged; the alt texts are in the email PDF's structure tree.
    with pikepdf.open(spanish.email) as pdf:
        alts += [str(obj.Alt) for obj in pdf.objects if isinstance(obj, pikepdf.Dictionary) and "/Alt" in obj]
    assert "Logotipo de Balanced Ketamine" in alts, alts
    assert not any("logo" in alt.split() for alt in alts), alts


def test_the_english_seed_keeps_its_words(handout: Built) -> None:
    text = text_of(handout.print)
    for label in ("Questions? Contact us", "Revised November 25, 2026", "Page 1 of 2", "Call (913) 871-9888"):
        assert label in text, label


def test_dates_are_written_the_languages_way(tmp_path: Path) -> None:
    from brochure.render import labels

    day = date(2026, 11, 25)
    assert labels.load("es-US", tmp_path).date(day) == "25 de noviembre de 2026"
    assert labels.load("en-US", tmp_path).date(day) == "November 25, 2026"
    assert labels.load("es", tmp_path)("revised", date=labels.load("es", tmp_path).date(day)) == \
        "Revisado el 25 de noviembre de 2026"
    assert labels.load("es", tmp_path).number(12345.5) == "12.345,5"
    assert labels.load("es-US", tmp_path).number(12345.5) == "12,345.5"  # as Spanish is written in the US
    assert labels.load("en", tmp_path).number(12345.5) == "12,345.5"
    assert labels.load("es", tmp_path).page_parts() == ("Página ", " de ", "")


def _messages(folder: Path, lang: str, text: str) -> None:
    (folder / "messages").mkdir(parents=True, exist_ok=True)
    (folder / "messages" / f"{lang}.yaml").write_text(text, encoding="utf-8")


def test_a_language_without_a_catalog_is_a_located_error_naming_the_labels(tmp_path: Path) -> None:
    path = write(tmp_path / "content", seed_data(lang="fr"))
    run = run_main("build", str(path), "--out", str(tmp_path / "out"))
    assert run.code == 1
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if text.startswith("lang:"))
    assert run.err[0].startswith(f"{path}:{line}: lang: brochure has no labels in French ('fr'): add messages/fr.yaml")
    for key in english_labels():
        assert f"{key} (“" in run.err[0], key
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.pdf"))


def test_a_clinic_adds_a_language_with_a_small_file(tmp_path: Path) -> None:
    folder = tmp_path / "content"
    path = write(folder, seed_data(lang="fr"))
    english = english_labels()
    # Half the labels: the message names the other half.
    half = list(english)[: len(english) // 2]
    lines = []
    for key in half:
        placeholders = " ".join("{" + name + "}" for name in re.findall(r"{(\w+)}", english[key]))
        lines.append(f"{key}: 'fr {key} {placeholders}'\n")
    _messages(folder, "fr", "".join(lines))
    run = run_main("build", str(path), "--out", str(tmp_path / "out"))
    assert run.code == 1
    assert "the French labels are incomplete" in run.err[0]
    assert all(f"{key} (“" in run.err[0] for key in english if key not in half)
    assert not any(f" {key} (“" in run.err[0] for key in half)
    # A typo and a lost placeholder are located in the catalog.
    _messages(folder, "fr", "contact_heding: Des questions ?\nrevised: Révisé le\n")
    run = run_main("build", str(path), "--out", str(tmp_path / "out"))
    assert f"{folder / 'messages' / 'fr.yaml'}:1: contact_heding: unknown label; did you mean 'contact_heading'?" in run.err
    assert f"{folder / 'messages' / 'fr.yaml'}:2: revised: must use {{date}}, as in “Revised {{date}}”" in run.err


def test_a_clinic_rewords_a_label_and_the_pdfs_are_rebuilt(tmp_path: Path) -> None:
    folder = tmp_path / "content"
    path = write(folder, seed_data())
    out = tmp_path / "out"
    build(path, out)
    assert ": up to date" in run_main("build", str(path), "--out", str(out)).out[-1]
    _messages(folder, "en", "contact_heading: Call us with any question\n")
    run = build(path, out)
    assert any("wrote" in line for line in run.out), run.out
    assert "Call us with any question" in text_of(out / "how-ketamine-affects-the-brain-print.pdf")
    assert "Questions? Contact us" not in text_of(out / "how-ketamine-affects-the-brain-print.pdf")
