"""The catalog: out/index.html and out/catalog.pdf list every handout of a project build,
with its cover, locations, languages, dates (overdue reviews marked), checks and PDFs."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

from conftest import SEED_LOGO, run_main, tool
from PIL import Image

PROJECT = """\
clinic: {name: Heartland Infusion Care, phone: (816) 555-0199, website: heartland.example, logo: logo.svg}
locations:
  - id: north
    clinic: {phone: (913) 555-0101}
  - id: south
    clinic: {phone: (816) 555-0102}
layout: handout
"""


def handout(title: str, review_by: str, extra: str = "", call: str = "{clinic.phone}") -> str:
    return (f"title: {title}\nlang: {'es' if 'Visita' in title else 'en-US'}\nrevised: 2026-01-01\nreview_by: {review_by}\n"
            f"sections:\n  - heading: Questions\n    body: Call us at {call}.\n" + extra)


def project(folder: Path) -> Path:
    folder.mkdir(parents=True)
    shutil.copy(SEED_LOGO, folder / "logo.svg")
    (folder / "brochure.yaml").write_text(PROJECT, encoding="utf-8")
    (folder / "overdue.yaml").write_text(handout("Old Aftercare", "2020-06-30", call="(816) 555-0199"),
                                         encoding="utf-8")
    (folder / "es").mkdir()
    (folder / "es" / "visita.yaml").write_text(handout("Su Visita", "2099-01-01", "layout: trifold\n"),
                                               encoding="utf-8")
    return folder


def test_the_catalog_lists_every_handout_and_flags_an_overdue_review(tmp_path, monkeypatch):
    root = project(tmp_path / "chain")
    monkeypatch.chdir(root)
    run = run_main("build", "--jobs", "2")
    assert run.code == 0, run.err
    out = root / "out"
    assert "wrote out/index.html" in run.out and "wrote out/catalog.pdf" in run.out

    page = (out / "index.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr id=.*?</tr>", page, re.S)
    assert [re.search(r'class="title">(.*?)<', row)[1] for row in rows] == ["Old Aftercare", "Su Visita"]
    old, visita = rows
    assert "OVERDUE" in old and "June 30, 2020" in old and "OVERDUE" not in visita and "January 1, 2099" in visita
    assert "en-US" in old and ">es<" in visita
    assert "contact 2" in old and "contact" not in visita
    for row, slug in ((old, "old-aftercare"), (visita, "su-visita")):
        links = re.findall(r'href="([^"#]+)"', row)
        assert sorted(links) == sorted(f"{slug}-{where}-{o}.pdf" for where in ("north", "south") for o in ("print", "email"))
        assert all((out / html.unescape(link)).is_file() for link in links)
        (thumbnail,) = re.findall(r'<img src="([^"]+)"', row)
        assert thumbnail == f"catalog/{slug}.png"
        with Image.open(out / thumbnail) as picture:  # a cover: a letter page, or a tri-fold's tall panel
            assert abs(picture.width - 180) <= 1 and picture.height / picture.width > (2.1 if slug == "su-visita" else 1.2)
    assert "1 review overdue" in page

    text = " ".join(tool("pdftotext", str(out / "catalog.pdf"), "-").stdout.split())
    assert "Handout catalog: Heartland Infusion Care" in text and "Old Aftercare" in text and "Su Visita" in text
    assert text.count("OVERDUE") == 1 and text.index("Old Aftercare") < text.index("OVERDUE") < text.index("Su Visita")
    assert "old-aftercare-north-print.pdf" in text
    fonts = tool("pdffonts", str(out / "catalog.pdf")).stdout
    names = [line.split()[0] for line in fonts.splitlines()[2:]]
    assert names and all("+Open-Sans" in name for name in names), fonts

    record = json.loads((out / "catalog.json").read_text(encoding="utf-8"))["handouts"]["overdue.yaml"]
    assert record["overdue"] is True and record["checks"]["kinds"]["contact"] == 2


def test_an_up_to_date_build_keeps_the_catalog_and_its_figures(tmp_path, monkeypatch):
    root = project(tmp_path / "chain")
    monkeypatch.chdir(root)
    assert run_main("build", "--jobs", "2").code == 0
    out = root / "out"
    before = {name: (out / name).stat().st_mtime_ns for name in ("index.html", "catalog.pdf", "catalog.json")}
    again = run_main("build")
    assert again.code == 0 and not any(line.startswith("wrote") for line in again.out), again.out
    assert {name: (out / name).stat().st_mtime_ns for name in before} == before
    # A new handout: the catalog is made again, and the others keep their check figures.
    (root / "new.yaml").write_text(handout("New Handout", "2030-01-01"), encoding="utf-8")
    third = run_main("build")
    assert third.code == 0 and "wrote out/catalog.pdf" in third.out
    handouts = json.loads((out / "catalog.json").read_text(encoding="utf-8"))["handouts"]
    assert sorted(handouts) == ["es/visita.yaml", "new.yaml", "overdue.yaml"]
    assert handouts["overdue.yaml"]["checks"]["checked"] and handouts["overdue.yaml"]["checks"]["kinds"]["contact"] == 2


def test_a_lone_content_file_writes_a_catalog_only_when_asked(tmp_path):
    from conftest import write_minimal

    content = write_minimal(tmp_path / "clinic")
    out = tmp_path / "out"
    assert run_main("build", str(content), "--out", str(out)).code == 0
    assert not (out / "index.html").exists()
    run = run_main("build", str(content), "--out", str(out), "--catalog")
    assert run.code == 0 and (out / "index.html").is_file() and (out / "catalog.pdf").is_file()
    assert "Ketamine and Your Brain" in (out / "index.html").read_text(encoding="utf-8")


def test_a_handout_and_its_translation_are_one_entry_with_each_languages_pdfs(tmp_path, monkeypatch):
    """care.es.yaml translates care.yaml: the catalog has one entry for both, listing the two
    languages, each with its own PDFs at every location; another handout keeps its own entry."""
    root = project(tmp_path / "chain")
    (root / "care.yaml").write_text(handout("Caring for Yourself", "2099-01-01"), encoding="utf-8")
    (root / "care.es.yaml").write_text(handout("Cómo cuidarse", "2099-01-01").replace("lang: en-US", "lang: es")
                                       .replace("Questions", "Preguntas").replace("Call us at", "Llame al"),
                                       encoding="utf-8")
    monkeypatch.chdir(root)
    run = run_main("build", "--jobs", "2")
    assert run.code == 0, run.err
    out = root / "out"
    page = (out / "index.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr id=.*?</tr>", page, re.S)
    titles = [re.search(r'class="title">(.*?)<', row)[1] for row in rows]
    assert titles == ["Caring for Yourself", "Old Aftercare", "Su Visita"], titles
    care = rows[0]
    assert "Cómo cuidarse" in html.unescape(care) and "care.es.yaml" in care
    # One language column format for every handout: code and name, one per line.
    assert re.findall(r'<li><span class="lang">([^<]*)</span> ([^<]*)</li>', care) == [
        ("en-US", "English (United States)"), ("es", "Spanish")]
    links = re.findall(r'href="([^"#]+)"', care)
    assert sorted(links) == sorted(f"{slug}-{where}-{o}.pdf" for slug in ("caring-for-yourself", "como-cuidarse")
                                   for where in ("north", "south") for o in ("print", "email"))
    assert all((out / link).is_file() for link in links)
    assert "2 handouts and 1 translation" not in page and "3 handouts and 1 translation" in page
    text = " ".join(tool("pdftotext", str(out / "catalog.pdf"), "-").stdout.split())
    assert "What the checks found" in text  # the findings, listed after the table
    text = text.split("What the checks found")[0]
    assert text.count("Caring for Yourself") == 1 and "Cómo cuidarse" in text and "como-cuidarse-south-print.pdf" in text
    assert text.index("Caring for Yourself") < text.index("Cómo cuidarse") < text.index("Old Aftercare")
    records = json.loads((out / "catalog.json").read_text(encoding="utf-8"))["handouts"]
    assert records["care.es.yaml"]["translates"] == "care.yaml" and records["care.yaml"]["translates"] is None


def test_the_catalog_lists_a_handout_whatever_its_outputs(tmp_path, monkeypatch):
    """A handout made only for email, or only for the office printer, is in the catalog with its
    PDFs and a picture of its cover."""
    root = project(tmp_path / "chain")
    (root / "overdue.yaml").write_text(handout("Old Aftercare", "2020-06-30", "outputs: [email]\n"), encoding="utf-8")
    (root / "es" / "visita.yaml").write_text(handout("Su Visita", "2099-01-01", "layout: trifold\noutputs: [office]\n"),
                                             encoding="utf-8")
    monkeypatch.chdir(root)
    run = run_main("build", "--jobs", "1")
    assert run.code == 0, run.err
    page = (root / "out" / "index.html").read_text(encoding="utf-8")
    links = sorted(set(re.findall(r'href="([^"]+\.pdf)"', page)) - {"catalog.pdf"})
    assert links == sorted([f"old-aftercare-{w}-email.pdf" for w in ("north", "south")]
                           + [f"su-visita-{w}-office.pdf" for w in ("north", "south")]), links
    for slug in ("old-aftercare", "su-visita"):
        with Image.open(root / "out" / "catalog" / f"{slug}.png") as picture:
            assert picture.height > picture.width  # a page, or the tri-fold's cover panel
    assert "old-aftercare-north-email.pdf" in tool("pdftotext", str(root / "out" / "catalog.pdf"), "-").stdout


def test_the_catalogs_saved_state_is_a_cache_rebuilt_whatever_its_shape(tmp_path, monkeypatch):
    root = project(tmp_path / "chain")
    monkeypatch.chdir(root)
    assert run_main("build", "--jobs", "2").code == 0
    out = root / "out"
    good = json.loads((out / "catalog.json").read_text(encoding="utf-8"))
    shapes = ["", "not json", "[]", "null", '"text"', "1e999999", "[" * 100_000 + "]" * 100_000,
              json.dumps({**good, "today": 5}), json.dumps({**good, "handouts": []}),
              json.dumps({**good, "handouts": {"overdue.yaml": "x"}}), json.dumps({**good, "units": {"a": "b"}}),
              json.dumps({**good, "units": {"overdue.yaml\u0000north": [["contact", "warning"]]}}),
              json.dumps({**good, "handouts": {k: {**v, "thumbnail": 3, "thumbnail_of": []}
                                              for k, v in good["handouts"].items()}}),
              b"\xed\xb3\xbf not UTF-8"]
    for text in shapes:
        (out / "catalog.json").write_bytes(text if isinstance(text, bytes) else text.encode())
        run = run_main("build")
        assert run.code == 0 and "Traceback" not in "\n".join(run.err), (text[:40], run.err)
        assert json.loads((out / "catalog.json").read_text(encoding="utf-8"))["handouts"].keys() == good["handouts"].keys()
    # Damaged thumbnails are drawn again.
    (out / "catalog" / "old-aftercare.png").write_bytes(b"not a picture")
    (out / "catalog.json").write_text("{}", encoding="utf-8")
    assert run_main("build").code == 0
    with Image.open(out / "catalog" / "old-aftercare.png") as picture:
        assert picture.width > 100


def test_a_thumbnail_is_drawn_again_when_its_pdf_changed_whatever_the_clocks_say(tmp_path, monkeypatch):
    import os

    root = project(tmp_path / "chain")
    monkeypatch.chdir(root)
    assert run_main("build", "--jobs", "2").code == 0
    thumbnail = root / "out" / "catalog" / "old-aftercare.png"
    before = thumbnail.read_bytes()
    # The thumbnail's clock says "newer than any PDF"; the handout's title changes.
    future = 4_000_000_000 * 10**9
    os.utime(thumbnail, ns=(future, future))
    text = (root / "overdue.yaml").read_text(encoding="utf-8")
    (root / "overdue.yaml").write_text(text.replace("title: Old Aftercare", "title: Old Aftercare\nsubtitle: A new line"),
                                       encoding="utf-8")
    assert run_main("build", "--jobs", "2").code == 0
    assert thumbnail.read_bytes() != before
