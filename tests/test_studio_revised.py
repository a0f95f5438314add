"""The revision date in the studio: a date field, written back as the file writes dates (only
its line changes), checked as the build checks it, and printed on the pages once saved; and
translations: a Spanish file edited like the English one, one whose source changed since it was
translated shown as needing review, and marked translated as ``brochure translated`` does."""

from __future__ import annotations

import hashlib
import html
import re
import shutil
import subprocess
import time
from pathlib import Path

import yaml
from conftest import REPO, SEED_YAML, run_main, seed_project, write_minimal
from test_preview import HANG, _get, serving
from test_preview_truth import _page, _running
from test_studio_save import _changed_lines, _headers, _post

from brochure.content import translated
from brochure.picker import FileView, link_translations
from brochure.serve import Preview
from brochure.studio.form import apply_form, read_form

SEED = SEED_YAML.read_text(encoding="utf-8")
BILINGUAL = REPO / "examples" / "bilingual"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_new_revision_date_changes_its_line_only_and_stays_a_date() -> None:
    form = read_form(SEED)
    assert form["revised"] == "2026-11-25"
    form["revised"] = "2026-12-07"
    after = apply_form(SEED, form)
    assert _changed_lines(SEED, after) == ["- revised: 2026-11-25", "+ revised: 2026-12-07"]
    assert str(yaml.safe_load(after)["revised"]) == "2026-12-07"
    quoted = SEED.replace("revised: 2026-11-25", 'revised: "2026-11-25"')
    assert 'revised: "2026-12-07"' in apply_form(quoted, form)  # quoted as it was
    without = SEED.replace("revised: 2026-11-25\n", "")
    assert apply_form(without, form).endswith("revised: 2026-12-07\n")  # added as a date, not as text
    form["revised"] = ""
    assert "revised" not in yaml.safe_load(apply_form(SEED, form))


def test_the_form_shows_a_date_field_and_a_wrong_date_comes_back_in_the_builds_words(tmp_path: Path) -> None:
    content = seed_project(tmp_path / "site")
    preview = Preview(tmp_path / "site" / "out", dpi=20)
    preview.views = {"content.yaml": FileView("content.yaml", path=content.resolve())}
    preview.editor.sources = {"content.yaml": content}
    with _running(preview) as port:
        page = _page(port)
        field = re.search(r'<input type="date" id="f-revised" data-field="revised" value="([^"]*)"', page)
        assert field and field[1] == "2026-11-25"
        assert re.search(r'<label for="f-revised">Revision date</label>', page)
        fields = read_form(content.read_text(encoding="utf-8"))
        answers = {}
        for wrong in ("2026-02-30", "1970-01-01"):
            fields["revised"] = wrong
            status, answers[wrong] = _post(port, "/edit/save", {"handout": "content.yaml", "base": _digest(content),
                                                                "fields": fields}, _headers(port, preview.editor.token))
            assert status == 200 and answers[wrong]["status"] == "saved"
    line = SEED.splitlines().index("revised: 2026-11-25") + 1
    assert answers["1970-01-01"]["problems"]["fields"] == {"f-revised": [
        f"line {line}: revised: 1970-01-01 is not a date of this handout; write it YYYY-MM-DD, like 2024-05-31"]}
    assert [m.startswith(f"line {line}: revised: ") for m in answers["2026-02-30"]["problems"]["fields"]["f-revised"]] \
        == [True]
    assert str(yaml.safe_load(content.read_text(encoding="utf-8"))["revised"]) == "1970-01-01"  # the work is saved


def test_a_saved_revision_date_is_printed_on_the_rebuilt_pages(tmp_path: Path) -> None:
    folder = tmp_path / "site"
    content = write_minimal(folder)
    with serving(folder, "--dpi", "40") as running:
        page = running.page()
        token = re.search(r'<meta name="brochure-token" content="([^"]+)">', page)
        assert token
        fields = read_form(content.read_text(encoding="utf-8"))
        fields["revised"] = "2026-12-07"
        status, answer = _post(running.port, "/edit/save", {"handout": "content.yaml", "base": _digest(content),
                                                            "fields": fields}, _headers(running.port, token[1]))
        assert status == 200 and answer["status"] == "saved" and answer["problems"] == {"fields": {}, "other": []}
        deadline, text = time.monotonic() + HANG, ""
        while time.monotonic() < deadline and "December 7, 2026" not in text:
            time.sleep(0.5)
            pdf = re.search(r'href="/files/([^"]+-email\.pdf)"', running.page())
            if pdf:
                status, data = _get(running.port, "/files/" + pdf[1])
                if status == 200:
                    result = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, timeout=60)
                    text = " ".join(result.stdout.decode().split())
    assert "December 7, 2026" in text and "November 25, 2026" not in text


# --- translations -----------------------------------------------------------------------------

def _bilingual(folder: Path) -> tuple[Preview, Path, Path]:
    shutil.copytree(BILINGUAL, folder)
    english, spanish = folder / "content.yaml", folder / "content.es.yaml"
    preview = Preview(folder / "out", dpi=20)
    views = {"content.yaml": FileView("content.yaml", path=english.resolve(), lang="en-US"),
             "content.es.yaml": FileView("content.es.yaml", path=spanish.resolve(), lang="es-US")}
    link_translations(views)
    preview.views = views
    preview.editor.sources = {"content.yaml": english, "content.es.yaml": spanish}
    return preview, english, spanish


def test_the_spanish_file_is_edited_like_the_english_one(tmp_path: Path) -> None:
    preview, english, spanish = _bilingual(tmp_path / "bilingual")
    before = english.read_bytes()
    with _running(preview) as port:
        page = _page(port, "?handout=content.yaml&lang=es-US")
        assert "Edit content.es.yaml" in page and 'value="Cómo afecta la ketamina al cerebro"' in page
        assert "Translation up to date: it matches content.yaml as it is now." in page
        fields = read_form(spanish.read_text(encoding="utf-8"))
        fields["title"], fields["revised"] = "Cómo actúa la ketamina en el cerebro", "2026-12-01"
        fields["sections"][0]["body"] += "\n\nUna línea más."
        status, answer = _post(port, "/edit/save", {"handout": "content.es.yaml", "base": _digest(spanish),
                                                    "fields": fields}, _headers(port, preview.editor.token))
    assert status == 200 and answer["problems"] == {"fields": {}, "other": []}, answer
    data = yaml.safe_load(spanish.read_text(encoding="utf-8"))
    assert data["title"] == "Cómo actúa la ketamina en el cerebro" and str(data["revised"]) == "2026-12-01"
    assert data["sections"][0]["body"].endswith("Una línea más.\n") and data["lang"] == "es-US"
    assert english.read_bytes() == before


def test_a_translation_whose_source_changed_needs_review_and_is_marked_translated_from_the_page(tmp_path: Path) -> None:
    preview, english, spanish = _bilingual(tmp_path / "bilingual")
    english.write_text(english.read_text(encoding="utf-8").replace("Long Story Short", "In Short"), encoding="utf-8")
    lock = translated.lock_path(spanish)
    before = lock.read_bytes()
    # What the build found (checks.translation), as the preview keeps it: the picker says it too.
    preview.views["content.es.yaml"].findings = [{"title": "Translations", "line": 59, "file": "content.es.yaml",
                                                  "variant": "", "message": "stale translation: the section “In Short” "
                                                  "of content.yaml changed since this was translated; translate it "
                                                  "again, then run brochure translated content.es.yaml"}]
    with _running(preview) as port:
        assert ">Spanish (United States), es-US (content.es.yaml), needs review</option>" in \
            _page(port, "?handout=content.yaml&lang=es-US")
        headers = _headers(port, preview.editor.token)
        page = html.unescape(_page(port, "?handout=content.yaml&lang=es-US"))
        assert "Needs review: content.yaml changed since this translation was last marked as translated." in \
            re.sub(r"<[^>]+>", "", page)
        sections = len(read_form(spanish.read_text(encoding="utf-8"))["sections"])
        link = re.search(r'<a href="#(f-sections-(\d+)-heading)">the section “In Short” changed in content.yaml: '
                         r"translate it again</a>", page)
        assert link and int(link[2]) < sections and f'id="{link[1]}"' in page
        shown = re.search(r'data-source-digest="([0-9a-f]+)"', page)
        assert shown
        # A source changed again after the page was loaded is not recorded unseen.
        english.write_text(english.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        status, answer = _post(port, "/edit/translated", {"handout": "content.es.yaml", "source_digest": shown[1]},
                               headers)
        assert status == 409 and lock.read_bytes() == before
        page = _page(port, "?handout=content.yaml&lang=es-US")
        shown = re.search(r'data-source-digest="([0-9a-f]+)"', page)
        assert shown
        status, answer = _post(port, "/edit/translated", {"handout": "content.es.yaml", "source_digest": shown[1]},
                               headers)
        assert status == 200, answer
        assert "Translation up to date" in _page(port, "?handout=content.yaml&lang=es-US")
        # The English file is no translation: nothing to mark.
        status, answer = _post(port, "/edit/translated", {"handout": "content.yaml", "source_digest": shown[1]},
                               headers)
        assert status == 400
    marked = lock.read_bytes()
    lock.unlink()
    assert run_main("translated", str(spanish)).code == 0
    assert lock.read_bytes() == marked  # exactly what `brochure translated` records
