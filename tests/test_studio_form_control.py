"""Document control in the studio's form: status (a choice of the build's four), version, review
date, owner, approved by, and the disclaimer and language. Each is written back so that what was
typed is what the build reads (a version "1.10" is never the number 1.1), the rest of the file
byte for byte; each mistake is the build's own line under its field, never a 500; and in a
project, a field left blank says what the project gives it."""

from __future__ import annotations

import hashlib
import html
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, SEED_YAML, seed_project
from test_preview_truth import _page, _running
from test_studio_save import _changed_lines, _headers, _post

from brochure.content import load
from brochure.content.model import STATUSES
from brochure.errors import ContentError
from brochure.picker import FileView
from brochure.serve import Preview
from brochure.studio.form import FIELDS, GROUPS, MAX_VALUE, FormError, apply_form, read_form

SEED = SEED_YAML.read_text(encoding="utf-8")
CONTROL = ("status", "version", "review_by", "owner", "approved_by")


def _built(folder: Path, text: str) -> Any:
    """``text`` as the build reads it: its own loader and model (a ``Brochure``), or its messages."""
    content = folder / "content.yaml"
    content.write_text(text, encoding="utf-8")
    try:
        return load(content, "content.yaml")
    except ContentError as error:
        return [str(problem) for problem in error.problems]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the registry ---------------------------------------------------------------------------

def test_document_control_is_one_group_of_records_with_plain_hints() -> None:
    fields = {field.key: field for field in FIELDS}
    assert [field.key for field in FIELDS if field.group == "Document control"] == list(CONTROL)
    assert GROUPS.index("Document control") == GROUPS.index("Handout") + 1  # after the handout's own fields
    assert fields["status"].kind == "choice" and fields["status"].choices == STATUSES
    assert fields["review_by"].kind == "date" and fields["disclaimer"].group == fields["lang"].group == "Handout"
    # The hints say what the build does with each, in its own terms.
    assert "require_approval: true" in fields["status"].hint and "--strict" in fields["status"].hint
    assert "OVERDUE" in fields["review_by"].hint and "1.10" in fields["version"].hint
    assert all(field.hint for field in FIELDS if field.group == "Document control")


# --- written back as typed, the rest byte for byte --------------------------------------------

def test_each_new_value_adds_its_own_line_and_the_rest_stays_byte_for_byte(tmp_path: Path) -> None:
    seed_project(tmp_path)
    form = read_form(SEED)
    assert all(form[key] == "" for key in CONTROL)
    form.update({"status": "in review", "version": "1.10", "review_by": "2027-12-01", "owner": "Nursing team",
                 "approved_by": "Dr. Amy Shah"})
    after = apply_form(SEED, form)
    assert after.startswith(SEED)  # nothing before them changed, not a byte
    assert _changed_lines(SEED, after) == ["+ status: in review", '+ version: "1.10"', "+ review_by: 2027-12-01",
                                           "+ owner: Nursing team", "+ approved_by: Dr. Amy Shah"]
    brochure = _built(tmp_path, after)
    assert (brochure.status, brochure.version, str(brochure.review_by), brochure.owner, brochure.approved_by) == \
        ("in review", "1.10", "2027-12-01", "Nursing team", "Dr. Amy Shah")
    # Changed again: each its own line, in place.
    form = read_form(after)
    assert (form["status"], form["version"], form["review_by"]) == ("in review", "1.10", "2027-12-01")
    form["status"], form["review_by"] = "approved", "2028-01-15"
    again = apply_form(after, form)
    assert _changed_lines(after, again) == ["- status: in review", "+ status: approved",
                                            "- review_by: 2027-12-01", "+ review_by: 2028-01-15"]
    # Emptied ("not set", a cleared field): the key is removed, as an emptied subtitle is.
    for key in CONTROL:
        form[key] = ""
    assert apply_form(again, form) == SEED


@pytest.mark.parametrize("typed", ["1.10", "2.0", "2", "1.3", "0x1F", "1_000", "1e3", "1:30", "yes", "No", "off",
                                   "null", "~", "2026-12-07", "2026-A", "v2 (spring)", "3.2.1"])
def test_a_version_is_read_by_the_build_exactly_as_typed(tmp_path: Path, typed: str) -> None:
    seed_project(tmp_path)
    form = read_form(SEED)
    form["version"] = typed
    after = apply_form(SEED, form)
    assert _built(tmp_path, after).version == typed
    assert read_form(after)["version"] == typed  # and the form shows it back so
    line = next(line for line in after.splitlines() if line.startswith("version:"))
    # Quoted only when YAML would read something else; in the file's own quotes (the seed's are double).
    assert line == (f"version: {typed}" if typed in ("2026-A", "v2 (spring)", "3.2.1") else f'version: "{typed}"')


def test_a_version_keeps_the_files_style_and_a_number_written_plain_shows_as_written(tmp_path: Path) -> None:
    seed_project(tmp_path)
    plain = SEED + "version: 1.10\n"  # a number to YAML: the build keeps it as written
    assert read_form(plain)["version"] == "1.10" and _built(tmp_path, plain).version == "1.10"
    form = read_form(plain)
    form["title"] += " again"
    assert apply_form(plain, form).endswith("version: 1.10\n")  # not touched: not rewritten
    form["version"] = "1.11"
    assert apply_form(plain, form).endswith('version: "1.11"\n')  # the file's own quotes (the seed's double ones)
    single = "title: T\nsubtitle: 'x'\nversion: '1.3'\n"
    form = read_form(single)
    form["version"] = "1.4"
    assert apply_form(single, form) == "title: T\nsubtitle: 'x'\nversion: '1.4'\n"  # quoted as it was
    form["version"] = "2026-B"
    assert apply_form(single, form) == "title: T\nsubtitle: 'x'\nversion: '2026-B'\n"
    plain = "title: T\nversion: 2026-A\n"
    form = read_form(plain)
    form["version"] = "2026-B"
    assert apply_form(plain, form) == "title: T\nversion: 2026-B\n"  # plain as it was, where plain is safe
    form["version"] = "2.0"
    assert apply_form(plain, form) == "title: T\nversion: '2.0'\n"  # a file with no quotes: single ones


def test_a_yes_typed_in_any_text_field_stays_text_for_the_build(tmp_path: Path) -> None:
    """PyYAML (YAML 1.1, the build's reader) reads a plain yes, no, on or off as true or false:
    "must be text". Quoted, it is the word typed."""
    seed_project(tmp_path)
    form = read_form(SEED)
    form["owner"], form["approved_by"], form["subtitle"] = "Yes", "off", "No"
    brochure = _built(tmp_path, apply_form(SEED, form))
    assert (brochure.owner, brochure.approved_by, brochure.subtitle) == ("Yes", "off", "No")


# --- the status: a choice, and what the build says of it ---------------------------------------

def test_the_status_is_a_select_of_the_four_and_not_set_and_each_control_is_labelled(tmp_path: Path) -> None:
    content = seed_project(tmp_path / "site", ("revised: 2026-11-25\n", "revised: 2026-11-25\nstatus: in review\n"
                                                                       "version: 1.10\n"))
    preview = Preview(tmp_path / "site" / "out", dpi=20)
    preview.views = {"content.yaml": FileView("content.yaml", path=content.resolve())}
    preview.editor.sources = {"content.yaml": content}
    with _running(preview) as port:
        page = _page(port)
        content.write_text(content.read_text(encoding="utf-8").replace("status: in review", "status: Approved"),
                           encoding="utf-8")
        odd = _page(port)
    select = re.search(r'<select id="f-status" data-field="status"[^>]*>(.*?)</select>', page, re.S)
    assert select, "no status select"
    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select[1])
    assert options == [("", "", "not set"), ("draft", "", "draft"), ("in review", " selected", "in review"),
                       ("approved", "", "approved"), ("retired", "", "retired")]
    assert 'aria-describedby="f-status-hint f-status-note f-status-error"' in page
    assert '<label for="f-status">Status</label>' in page and '<label for="f-review_by">' not in page
    assert re.search(r'<input type="date" id="f-review-by" data-field="review_by" value=""', page)
    assert re.search(r'<input type="text" id="f-version" data-field="version" value="1.10"', page)
    legends = [legend for legend in re.findall(r"<legend>([^<]+)</legend>", page) if not legend.startswith("Section ")]
    assert legends == ["Handout", "Document control", "Sections", "Clinic contacts", "Theme"]
    for field in FIELDS:  # every control has its visible label
        assert re.search(rf'<label for="f-{re.escape(field.key.replace(".", "-").replace("_", "-"))}">'
                         rf"{re.escape(html.escape(field.label))}</label>", page), field.key
    # A status written by hand that is none of the four is shown as it is, never changed unseen.
    select = re.search(r'<select id="f-status"[^>]*>(.*?)</select>', odd, re.S)
    assert select and '<option value="Approved" selected>Approved</option>' in select[1]
    assert select[1].count(" selected") == 1


def test_a_status_that_is_none_of_the_four_is_saved_and_said_in_the_builds_one_line(tmp_path: Path) -> None:
    content = seed_project(tmp_path / "site")
    preview = Preview(tmp_path / "site" / "out", dpi=20)
    preview.views = {"content.yaml": FileView("content.yaml", path=content.resolve())}
    preview.editor.sources = {"content.yaml": content}
    line = len(SEED.splitlines()) + 1  # added at the end
    message = f"line {line}: status: must be one of: 'draft', 'in review', 'approved', 'retired'"
    with _running(preview) as port:
        headers = _headers(port, preview.editor.token)
        for typed in ("finished", "APPROVED", "approved\u202e", "\x00", "\ud800", "a\x85b", "<b>approved</b>",
                      "x" * MAX_VALUE):
            fields = read_form(SEED)
            fields["status"] = typed
            content.write_text(SEED, encoding="utf-8")
            status, answer = _post(port, "/edit/save", {"handout": "content.yaml", "base": _digest(content),
                                                        "fields": fields}, headers)
            assert status == 200 and answer["status"] == "saved", (typed[:20], status, answer)
            said = answer["problems"]["fields"]["f-status"]
            assert len(said) == 1 and "\n" not in said[0] and answer["problems"]["other"] == []
            if typed != "\ud800":  # a lone surrogate: the build says it is no text, in its own words
                assert said[0].startswith(message), typed[:20]  # and a "did you mean" where one is near
            assert content.read_text(encoding="utf-8").startswith(SEED)  # the work is saved, the rest untouched
        # One character more than a field holds: refused whole (400), nothing written.
        before = content.read_bytes()
        fields["status"] = "x" * (MAX_VALUE + 1)
        status, answer = _post(port, "/edit/save", {"handout": "content.yaml", "base": _digest(content),
                                                    "fields": fields}, headers)
        assert status == 400 and answer["message"] == f"status must be text of at most {MAX_VALUE} characters"
        assert content.read_bytes() == before
        # Not text at all: the page never sends it.
        for wrong in (["approved"], {"a": 1}, 3, None, True):
            fields["status"] = wrong
            status, _ = _post(port, "/edit/save", {"handout": "content.yaml", "base": _digest(content),
                                                   "fields": fields}, headers)
            assert status == 400
        assert content.read_bytes() == before
        page = html.unescape(_page(port))
    assert "f-status" in page


def test_a_wrong_review_date_and_language_come_back_at_their_fields(tmp_path: Path) -> None:
    content = seed_project(tmp_path / "site")
    preview = Preview(tmp_path / "site" / "out", dpi=20)
    preview.views = {"content.yaml": FileView("content.yaml", path=content.resolve())}
    preview.editor.sources = {"content.yaml": content}
    with _running(preview) as port:
        fields = read_form(SEED)
        fields["review_by"], fields["lang"] = "2027-02-30", "English"
        status, answer = _post(port, "/edit/save", {"handout": "content.yaml", "base": _digest(content),
                                                    "fields": fields}, _headers(port, preview.editor.token))
    assert status == 200 and answer["status"] == "saved"
    said = answer["problems"]["fields"]
    assert said["f-lang"] == ["line 7: lang: must be a language code like en, es or en-US"]
    assert said["f-review-by"][0].startswith(f"line {len(SEED.splitlines()) + 1}: review_by: ")
    assert set(said) == {"f-lang", "f-review-by"}


def test_odd_bytes_in_the_text_fields_are_written_so_the_build_reads_them(tmp_path: Path) -> None:
    seed_project(tmp_path)
    for typed in ('a\\b"c\'d: #e', "\u202eevil", "\ufeffx", "a\tb", "Dr. O\u2019Neil", "x" * MAX_VALUE):
        form = read_form(SEED)
        form["owner"] = form["approved_by"] = form["version"] = typed
        after = apply_form(SEED, form)
        assert after.startswith(SEED)
        brochure = _built(tmp_path, after)
        assert (brochure.owner, brochure.approved_by, brochure.version) == (typed, typed, typed), typed[:20]
    with pytest.raises(FormError):
        apply_form(SEED, {**read_form(SEED), "version": "x" * (MAX_VALUE + 1)})


def test_the_checks_notes_on_document_control_show_under_their_fields_and_the_rest_stay_beside(tmp_path: Path) -> None:
    content = seed_project(tmp_path / "site", ("revised: 2026-11-25\n", "revised: 2026-11-25\nreview_by: 2026-01-15\n"))
    preview = Preview(tmp_path / "site" / "out", dpi=20)
    line = SEED.splitlines().index("revised: 2026-11-25") + 2
    passed = "the review date 2026-01-15 has passed; review the handout, then set a new review_by date"
    view = FileView("content.yaml", path=content.resolve())
    # What the build found (checks.required, checks.text), as the preview keeps it.
    view.findings = [{"title": "Required parts", "line": line, "file": "content.yaml", "variant": "", "key": "review_by",
                      "message": passed},
                     {"title": "Required parts", "line": None, "file": "content.yaml", "variant": "", "key": "disclaimer",
                      "message": "no disclaimer: add a short note"},
                     {"title": "Reading level", "line": 9, "file": "content.yaml", "variant": "", "key": "intro",
                      "message": "a sentence of 31 words"}]
    preview.views = {"content.yaml": view}
    preview.editor.sources = {"content.yaml": content}
    with _running(preview) as port:
        page = html.unescape(_page(port))
    assert f'<p class="field-note" id="f-review-by-note">line {line}: review_by: {passed}</p>' in page
    assert '<p class="field-note" id="f-disclaimer-note">disclaimer: no disclaimer: add a short note</p>' in page
    assert 'id="f-intro-note"' not in page and "a sentence of 31 words" in page  # beside the pages only
    assert re.search(r'id="f-review-by"[^>]*aria-describedby="f-review-by-hint f-review-by-note f-review-by-error"',
                     page)
    assert 'id="f-review-by-error"></p>' in page.replace('class="field-error" ', "")  # a note, not a mistake


# --- in a project -------------------------------------------------------------------------------

def test_in_a_project_a_blank_field_says_what_the_project_gives(tmp_path: Path) -> None:
    folder = tmp_path / "chain"
    shutil.copytree(REPO / "examples" / "chain", folder)
    project = folder / "brochure.yaml"
    project.write_text(project.read_text(encoding="utf-8") + "status: in review\nowner: Patient education\n"
                       "version: 2.0\napproved_by: Dr. Amy Shah\n", encoding="utf-8")
    handout = folder / "handouts" / "after-your-infusion.yaml"
    preview = Preview(folder / "out", dpi=20)
    preview.views = {"handouts/after-your-infusion.yaml": FileView("handouts/after-your-infusion.yaml",
                                                                   path=handout.resolve())}
    preview.editor.sources = {"handouts/after-your-infusion.yaml": handout}
    with _running(preview) as port:
        page = html.unescape(_page(port))
    for key, value in (("status", "in review"), ("owner", "Patient education"), ("version", "2.0"),
                       ("approved-by", "Dr. Amy Shah")):
        hint = re.search(rf'<p class="hint" id="f-{key}-hint">([^<]*)</p>', page)
        assert hint and hint[1].endswith(f"Left blank here: the project gives \u201c{value}\u201d."), (key, hint)
    assert re.search(r'<p class="hint" id="f-disclaimer-hint">[^<]*Left blank here: the project gives '
                     r"\u201cThis handout is general information", page)
    assert '<option value="" selected>not set</option>' in page
