"""Translations side by side: ``content.es.yaml`` beside ``content.yaml`` shares its clinic, theme
and locations, builds in every location, and ``check`` reports when its structure or its date
no longer matches its source."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pikepdf
import pytest
import yaml
from conftest import REPO, SEED_YAML, build, edit, run_main, tool

from brochure.checks.review import check_content
from brochure.content import load_with_source

EXAMPLE = REPO / "examples" / "bilingual"
SPANISH_SLUG = "como-afecta-la-ketamina-al-cerebro"


def project(folder: Path) -> tuple[Path, Path]:
    """The seed and its Spanish translation side by side: (content.yaml, content.es.yaml)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SEED_YAML, folder / "content.yaml")
    shutil.copy(REPO / "logo.svg", folder / "logo.svg")
    shutil.copy(EXAMPLE / "content.es.yaml", folder / "content.es.yaml")
    return folder / "content.yaml", folder / "content.es.yaml"



def translation_findings(path: Path) -> list[str]:
    brochure, source = load_with_source(path, path.name)
    return [str(f) for f in check_content(brochure, source, today=date(2026, 12, 1))
            if f.kind == "translation" and f.severity == "warning"]


def test_the_example_is_the_seed_and_its_translation_in_step() -> None:
    """examples/bilingual/content.yaml is the seed: the example cannot drift from it unseen."""
    assert yaml.safe_load((EXAMPLE / "content.yaml").read_text(encoding="utf-8")) == \
        yaml.safe_load(SEED_YAML.read_text(encoding="utf-8"))
    assert translation_findings(EXAMPLE / "content.es.yaml") == []


def test_a_translation_shares_the_clinic_and_the_locations(tmp_path: Path) -> None:
    english, spanish = project(tmp_path / "project")
    edit(english, "layout: trifold", "layout: handout\nvariants:\n  - id: north\n    clinic: {phone: (816) 555-0102}"
                                     "\n  - id: south\n    clinic: {phone: (913) 555-0101}")
    out = tmp_path / "out"
    run = run_main("build", str(english), str(spanish), "--out", str(out))
    assert run.code == 0, run.err
    assert sorted(p.name for p in out.glob("*.pdf")) == sorted(
        f"{slug}-{where}-{kind}.pdf" for slug in ("how-ketamine-affects-the-brain", SPANISH_SLUG)
        for where in ("north", "south") for kind in ("print", "email"))
    text = tool("pdftotext", str(out / f"{SPANISH_SLUG}-north-print.pdf"), "-").stdout
    assert "(816) 555-0102" in text and "Balanced Ketamine" in text and "Página 1 de" in text
    with pikepdf.open(out / f"{SPANISH_SLUG}-south-email.pdf") as pdf:
        assert str(pdf.Root.Lang) == "es-US"
        assert str(pdf.docinfo.Author) == "Balanced Ketamine"
    # The source's clinic is an input of the translation: a new phone rebuilds every language.
    assert all("up to date" in line for line in run_main("build", str(spanish), "--out", str(out)).out)
    edit(english, "clinic: {phone: (816) 555-0102}", "clinic: {phone: (816) 555-0199}")
    rebuilt = build(spanish, out)
    assert any(f"{SPANISH_SLUG}-north-print.pdf" in line and "wrote" in line for line in rebuilt.out), rebuilt.out
    assert "(816) 555-0199" in tool("pdftotext", str(out / f"{SPANISH_SLUG}-north-print.pdf"), "-").stdout


def test_the_language_comes_from_the_file_name(tmp_path: Path) -> None:
    _, spanish = project(tmp_path)
    edit(spanish, "lang: es-US\n", "")
    assert load_with_source(spanish)[0].lang == "es"
    edit(spanish, "title:", "lang: en\ntitle:")
    run = run_main("build", str(spanish), "--out", str(tmp_path / "out"))
    assert run.code == 1
    assert re.search(r"content\.es\.yaml:\d+: lang: is 'en', but the file's name says it is the 'es' translation", run.err[0])


def test_a_file_whose_middle_name_is_no_language_is_no_translation(tmp_path: Path) -> None:
    project(tmp_path)
    old = tmp_path / "content.old.yaml"
    old.write_text("title: Old\nsections:\n  - heading: A\n    body: B\n", encoding="utf-8")
    run = run_main("build", str(old), "--out", str(tmp_path / "out"))
    assert run.code == 1 and any("clinic: required" in line for line in run.err), run.err


def test_a_missing_or_added_section_is_reported(tmp_path: Path) -> None:
    _, spanish = project(tmp_path)
    data = yaml.safe_load(spanish.read_text(encoding="utf-8"))
    del data["sections"][3]
    spanish.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    found = translation_findings(spanish)
    assert len(found) == 1
    assert re.fullmatch(r"content\.es\.yaml:\d+: sections: has 3 sections, content\.yaml has 4: not translated yet, "
                        r"or removed here: sections\[3\] “Long Story Short” \(line \d+\)", found[0]), found
    data["sections"] += [{"heading": "Uno", "body": "Texto."}, {"heading": "Dos", "body": "Texto."}]
    spanish.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert any("has 5 sections, content.yaml has 4: sections[4] onwards are not in the source" in f
               for f in translation_findings(spanish))


def test_a_dropped_bullet_and_a_missing_intro_are_reported(tmp_path: Path) -> None:
    _, spanish = project(tmp_path)
    edit(spanish, "      - Fortalece la comunicación entre el cerebro y el cuerpo.\n", "")
    data = yaml.safe_load(spanish.read_text(encoding="utf-8"))
    del data["intro"]
    spanish.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    found = translation_findings(spanish)
    assert any("sections[2].body: has 3 bullet points, where section 2 of content.yaml (“Benefits of Ketamine”) "
               "has 4" in f for f in found), found
    assert any("intro: content.yaml has an intro, this translation has none" in f for f in found), found


def test_a_stale_translation_is_reported(tmp_path: Path) -> None:
    english, spanish = project(tmp_path)
    edit(english, "revised: 2026-11-25", "revised: 2027-01-10")
    found = translation_findings(spanish)
    assert len(found) == 1
    assert re.fullmatch(r"content\.es\.yaml:\d+: revised: stale translation: content\.yaml was revised on 2027-01-10, "
                        r"this translation on 2026-11-25; translate what changed, then run brochure translated content\.es\.yaml",
                        found[0]), found
    edit(spanish, "revised: 2026-11-25", "revised: 2027-01-12")
    assert translation_findings(spanish) == []


@pytest.mark.parametrize("kind", ["translation"])
def test_the_translation_kind_is_in_the_report(tmp_path: Path, kind: str) -> None:
    english, spanish = project(tmp_path)
    edit(english, "revised: 2026-11-25", "revised: 2027-01-10")
    run = run_main("check", str(spanish), "--format", "json")
    assert run.code == 0, run.err
    import json

    report = json.loads("\n".join(run.out))
    assert report["summary"]["by_kind"][kind] == {"warning": 1, "info": 0}
    kinds = {f["kind"] for f in report["findings"]}
    assert {"claim", "jargon", "reading-level", "translation"} <= kinds
