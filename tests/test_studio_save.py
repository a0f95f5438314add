"""The editor's saves: the YAML file stays the user's (comments, order, quoting, line endings kept
where a value did not change), a file changed on disk is never overwritten blindly, the last
saves are kept, and only the served project's content files are ever written, only by the page."""

from __future__ import annotations

import difflib
import hashlib
import http.client
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import HANG, REPO, SEED_YAML, seed_project
from test_preview_truth import _page, _running

from brochure.serve import Preview
from brochure.studio.form import FormError, apply_form, field_of, read_form
from brochure.studio.store import KEEP, Store, StoreError

SEED = SEED_YAML.read_text(encoding="utf-8")


def _changed_lines(before: str, after: str) -> list[str]:
    return [line for line in difflib.ndiff(before.splitlines(), after.splitlines()) if line[:2] in ("- ", "+ ")]


# --- the file stays the user's ------------------------------------------------------------

@pytest.mark.parametrize("path", [SEED_YAML, *sorted((REPO / "examples").rglob("*.yaml")),
                                  *sorted((REPO / "tests" / "corpus").glob("*.yaml"))],
                         ids=lambda p: str(p.relative_to(REPO)))
def test_a_form_saved_unchanged_writes_the_very_same_bytes(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    form = read_form(text)
    assert apply_form(text, form) == text
    if form["title"]:  # a new title changes its own line and no other
        form["title"] += " again"
        changed = _changed_lines(text, apply_form(text, form))
        assert len(changed) == 2 and changed[0].startswith("- title:") and changed[1].startswith("+ title:"), changed


def test_a_new_title_changes_that_line_only_and_keeps_comments_quotes_and_styles() -> None:
    form = read_form(SEED)
    form["title"] = "Ketamine: What to Know"  # a colon: YAML needs quotes for it now
    after = apply_form(SEED, form)
    assert _changed_lines(SEED, after) == ["- title: How Ketamine Affects the Brain", "+ title: 'Ketamine: What to Know'"]
    assert yaml.safe_load(after)["title"] == "Ketamine: What to Know"
    form["theme.primary"] = "#123456"
    after = apply_form(SEED, form)
    assert '  primary: "#123456"' in after  # double quotes, as written


def test_crlf_and_a_byte_order_mark_are_kept() -> None:
    text = "\ufeff# a comment\r\ntitle: Old\r\nsections:\r\n- heading: A\r\n  body: Text.\r\n"
    form = read_form(text)
    form["title"] = "New"
    assert apply_form(text, form) == "\ufeff# a comment\r\ntitle: New\r\nsections:\r\n- heading: A\r\n  body: Text.\r\n"


def test_texts_keep_their_block_style() -> None:
    form = read_form(SEED)
    form["intro"] = "A shorter introduction that is still long enough to be folded over two lines of the file " \
                    "when it is written back by the editor."
    form["sections"][3]["body"] = "One paragraph.\n\n- a point\n- another point"
    after = apply_form(SEED, form)
    data = yaml.safe_load(after)
    assert data["intro"] == form["intro"]  # folded (>-) again, at a space, and read back the same
    assert "intro: >-\n  A shorter introduction" in after
    assert data["sections"][3]["body"] == "One paragraph.\n\n- a point\n- another point\n"
    assert "    body: |\n      One paragraph.\n\n      - a point\n" in after
    assert after.startswith(SEED[:SEED.index("title:")])  # the comments at the top


def test_sections_are_added_removed_and_reordered_with_their_other_keys() -> None:
    text = SEED.replace("  - heading: Long Story Short\n", "  - heading: Long Story Short\n    image: {src: logo.svg, "
                                                              "alt: The logo}  # keep me\n")
    form = read_form(text)
    last, first = form["sections"][3], form["sections"][0]
    form["sections"] = [last, first, {"index": None, "heading": "Call us", "body": "Any time."}]
    after = apply_form(text, form)
    data = yaml.safe_load(after)
    assert [s["heading"] for s in data["sections"]] == ["Long Story Short", "How Does Ketamine Affect The Brain?", "Call us"]
    assert data["sections"][0]["image"] == {"src": "logo.svg", "alt": "The logo"}
    assert "# keep me" in after and after.startswith("# yaml-language-server")
    assert data["sections"][2] == {"heading": "Call us", "body": "Any time."}


def test_an_emptied_field_is_removed_and_a_missing_group_is_made() -> None:
    text = write_minimal_text()
    form = read_form(text)
    form["subtitle"] = ""
    form["clinic.website"] = "example.com"
    data = yaml.safe_load(apply_form(text, form))
    assert "subtitle" not in data and data["clinic"]["website"] == "example.com"


def write_minimal_text() -> str:
    from conftest import MINIMAL

    return MINIMAL


@pytest.mark.parametrize("form", [[], {"title": 3}, {"sections": "x"}, {"sections": [{"heading": 1}]},
                                  {"nope": "x"}, {"sections": [{"index": -1, "heading": "", "body": ""}]},
                                  {"title": "x" * 300_000}])
def test_a_form_the_page_never_sends_is_refused(form: Any) -> None:
    with pytest.raises(FormError):
        apply_form(SEED, form)


def test_messages_find_their_fields() -> None:
    assert field_of("clinic.phone", 4) == "clinic.phone"
    assert field_of("sections[2].body", 4) == "sections[2].body"
    assert field_of("sections[1].image.src", 4) == "sections[1].heading"
    assert field_of("clinic", 4) == "clinic.name"
    assert field_of("revised", 4) == "revised"
    assert field_of("review_by", 4) == "review_by"  # a field since document control is in the form
    assert field_of("layout", 4) is None


# --- the server: token, origin, conflicts, history, and nothing outside -----------------------

def _served(folder: Path) -> tuple[Preview, Path]:
    content = seed_project(folder)
    preview = Preview(folder / "out", dpi=20)
    from brochure.picker import FileView

    preview.views = {"content.yaml": FileView("content.yaml", path=content.resolve())}
    preview.editor.sources = {"content.yaml": content}
    return preview, content


def _post(port: int, path: str, body: Any, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=HANG)  # a hang guard: a 10,000-row save on a loaded machine
    try:
        connection.request("POST", path, body=json.dumps(body).encode(), headers=headers)
        response = connection.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data.startswith(b"{") else {}
    finally:
        connection.close()


def _headers(port: int, token: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "Origin": f"http://127.0.0.1:{port}", "Host": f"127.0.0.1:{port}",
            "X-Brochure-Token": token, "Sec-Fetch-Site": "same-origin"}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_write_without_the_token_or_from_another_origin_is_403_and_changes_nothing(tmp_path: Path) -> None:
    preview, content = _served(tmp_path / "site")
    before = content.read_bytes()
    with _running(preview) as port:
        good = _headers(port, preview.editor.token)
        form = {"handout": "content.yaml", "base": _digest(content), "fields": {"title": "Hacked"}}
        refused = [
            {k: v for k, v in good.items() if k != "X-Brochure-Token"},
            {**good, "X-Brochure-Token": "guess"},
            {**good, "Origin": "http://evil.example"},
            {**good, "Origin": f"http://localhost:{port}"},  # another origin, even on this computer
            {k: v for k, v in good.items() if k != "Origin"},
            {**good, "Sec-Fetch-Site": "cross-site"},
            {**good, "Content-Type": "text/plain"},  # a form a page could post without asking
        ]
        for headers in refused:
            for path in ("/edit/save", "/edit/restore"):
                status, _answer = _post(port, path, form, headers)
                assert status == 403, (headers, status)
        assert _post(port, "/edit/save", form, {**good, "Host": "evil.example", "Origin": "http://evil.example"})[0] == 400
        page = _page(port)
    assert content.read_bytes() == before
    assert not (tmp_path / "site" / ".brochure-history").exists()
    assert f'<meta name="brochure-token" content="{preview.editor.token}">' in page


def test_a_save_is_atomic_kept_in_history_and_a_mistake_is_still_saved_and_placed(tmp_path: Path) -> None:
    preview, content = _served(tmp_path / "site")
    original = content.read_bytes()
    with _running(preview) as port:
        headers = _headers(port, preview.editor.token)
        fields = read_form(content.read_text(encoding="utf-8"))
        fields["title"] = "A Better Title"
        fields["clinic.phone"] = "12"
        status, answer = _post(port, "/edit/save", {"handout": "content.yaml", "base": _digest(content), "fields": fields},
                               headers)
    assert status == 200 and answer["status"] == "saved", answer
    text = content.read_text(encoding="utf-8")
    assert "title: A Better Title" in text and 'phone: "12"' in text and text.startswith("# yaml-language-server")
    assert answer["digest"] == _digest(content)
    # The mistake is the build's own line, at its field.
    assert answer["problems"]["fields"] == {"f-clinic-phone": [
        "line 72: clinic.phone: '12' is not a phone number; write it like (913) 871-9888"]}
    history = Store(tmp_path / "site").history(content)
    assert [e.note.split(":")[0] for e in history] == ["saved", "as it was before the editor saved it"]
    store = Store(tmp_path / "site")
    assert store.kept(content, history[1].name) == original and store.kept(content, history[0].name) == content.read_bytes()
    assert not [p for p in content.parent.iterdir() if p.name.endswith(".tmp")]


def test_a_file_changed_on_disk_is_never_overwritten_blindly(tmp_path: Path) -> None:
    preview, content = _served(tmp_path / "site")
    loaded = _digest(content)
    fields = read_form(content.read_text(encoding="utf-8"))
    shown = {**fields, "sections": [dict(s) for s in fields["sections"]]}  # the form as the page loaded it
    theirs = content.read_text(encoding="utf-8").replace("Balanced Ketamine", "Balanced Ketamine West")
    content.write_text(theirs, encoding="utf-8")  # someone else's save, in a text editor
    fields["title"] = "Mine"
    with _running(preview) as port:
        headers = _headers(port, preview.editor.token)
        status, answer = _post(port, "/edit/save", {"handout": "content.yaml", "base": loaded, "fields": fields}, headers)
        assert status == 409 and answer["status"] == "conflict"
        assert content.read_text(encoding="utf-8") == theirs  # untouched
        assert answer["disk"] == theirs and "title: Mine" in answer["mine"]
        # Both are kept: theirs on disk, mine in the history.
        store = Store(tmp_path / "site")
        unsaved = [e for e in store.history(content) if e.note.startswith("not saved")]
        assert len(unsaved) == 1 and b"title: Mine" in store.kept(content, unsaved[0].name)
        # The person chooses theirs-and-mine: saved over the version they were shown.
        status, answer = _post(port, "/edit/save", {"handout": "content.yaml", "base": answer["disk_digest"],
                                                    "fields": fields, "shown": shown}, headers)
    assert status == 200
    text = content.read_text(encoding="utf-8")
    assert "title: Mine" in text and "Balanced Ketamine West" in text  # their change outside the form stays


def test_history_keeps_the_last_saves_and_restores_one(tmp_path: Path) -> None:
    preview, content = _served(tmp_path / "site")
    with _running(preview) as port:
        headers = _headers(port, preview.editor.token)
        fields = read_form(content.read_text(encoding="utf-8"))
        for number in range(KEEP + 3):
            fields["title"] = f"Title {number}"
            status, _ = _post(port, "/edit/save", {"handout": "content.yaml", "base": _digest(content), "fields": fields},
                              headers)
            assert status == 200
        store = Store(tmp_path / "site")
        history = store.history(content)
        assert len(history) == KEEP
        assert b"title: Title 22" in store.kept(content, history[0].name)
        wanted = next(e for e in history if b"title: Title 10\n" in store.kept(content, e.name))
        page = _page(port)
        assert f'data-restore="{wanted.name}"' in page
        status, answer = _post(port, "/edit/restore", {"handout": "content.yaml", "base": _digest(content),
                                                       "entry": wanted.name}, headers)
        assert status == 200 and "title: Title 10\n" in content.read_text(encoding="utf-8")
        for entry in ("../content.yaml", "/etc/passwd", "x" * 40, "%2e%2e"):
            status, answer = _post(port, "/edit/restore", {"handout": "content.yaml", "base": _digest(content),
                                                           "entry": entry}, headers)
            assert status == 400 and answer["message"] == "no such saved version"


def test_only_the_served_project_files_are_written_whatever_the_request_says(tmp_path: Path) -> None:
    preview, content = _served(tmp_path / "site")
    outside = tmp_path / "outside.yaml"
    outside.write_text("title: not yours\n", encoding="utf-8")
    with _running(preview) as port:
        headers = _headers(port, preview.editor.token)
        for handout in ("../outside.yaml", str(outside), "content.yaml/../../outside.yaml", "%2e%2e/outside.yaml", None, 3):
            status, answer = _post(port, "/edit/save", {"handout": handout, "base": _digest(outside),
                                                        "fields": {"title": "x"}}, headers)
            assert status == 400, handout
        before = content.read_bytes()
        status, answer = _post(port, "/edit/save", {"handout": "content.yaml", "base": _digest(content),
                                                    "fields": {"title": "x" * 5_000_000}}, headers)
        assert status == 400 and answer["message"] == "the request is too large" and content.read_bytes() == before
        # The served file swapped for a link to a file outside: refused, the outside file untouched.
        content.unlink()
        os.symlink(outside, content)
        status, answer = _post(port, "/edit/save", {"handout": "content.yaml", "base": _digest(outside),
                                                    "fields": {"title": "x"}}, headers)
        assert status == 400 and "link" in answer["message"]
    assert outside.read_text(encoding="utf-8") == "title: not yours\n"
    assert content.is_symlink()


def test_the_history_folder_cannot_be_a_link_out(tmp_path: Path) -> None:
    folder = tmp_path / "site"
    content = seed_project(folder)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, folder / ".brochure-history")
    store = Store(folder)
    with pytest.raises(StoreError):
        store.keep(content, b"x", "saved")
    assert not list(elsewhere.iterdir())
    shutil.rmtree(elsewhere)


def test_a_folder_that_links_out_of_the_project_is_never_written_through(tmp_path: Path) -> None:
    folder = tmp_path / "site"
    seed_project(folder)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "handout.yaml").write_text("title: theirs\n", encoding="utf-8")
    os.symlink(elsewhere, folder / "handouts")
    store = Store(folder)
    for path in (folder / "handouts" / "handout.yaml", folder / "handouts" / "new.yaml", folder / ".." / "x.yaml"):
        with pytest.raises(StoreError):
            store.write(path, b"title: mine\n")
    assert (elsewhere / "handout.yaml").read_text(encoding="utf-8") == "title: theirs\n"
    assert sorted(p.name for p in elsewhere.iterdir()) == ["handout.yaml"] and not (tmp_path / "x.yaml").exists()


def test_in_a_project_the_picked_handout_and_language_is_the_one_edited(tmp_path: Path) -> None:
    from test_preview_picker import _project

    from brochure.picker import FileView, link_translations

    files = _project(tmp_path / "chain")
    preview = Preview(tmp_path / "chain" / "out", dpi=20)
    views = {name: FileView(name, path=path.resolve(), lang="es" if ".es." in name else "en-US") for path, name in files}
    link_translations(views)
    preview.views = views
    spanish = tmp_path / "chain" / "care.es.yaml"
    with _running(preview) as port:
        page = _page(port, "?handout=care.yaml&lang=es")
        assert "Edit care.es.yaml" in page and 'value="Cómo cuidarse"' in page
        # A blank field says what it takes from the project.
        assert "Left blank here: the handout it translates gives “(913) 871-9888”." in page
        assert "Left blank here: the handout it translates gives “#1d5c73”." in page
        fields = read_form(spanish.read_text(encoding="utf-8"))
        fields["title"] = "Cómo cuidarse bien"
        status, answer = _post(port, "/edit/save", {"handout": "care.es.yaml", "base": _digest(spanish),
                                                    "fields": fields}, _headers(port, preview.editor.token))
    assert status == 200, answer
    assert "title: Cómo cuidarse bien\n" in spanish.read_text(encoding="utf-8")
    assert "Caring for Yourself" in (tmp_path / "chain" / "care.yaml").read_text(encoding="utf-8")
    assert "clinic" not in yaml.safe_load(spanish.read_text(encoding="utf-8"))  # no empty override made
    assert len(list((tmp_path / "chain" / ".brochure-history" / "care.es.yaml").iterdir())) == 2


def test_saves_at_once_from_two_tabs_save_one_and_show_the_other_both_versions(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    preview, content = _served(tmp_path / "site")
    base = _digest(content)
    fields = read_form(content.read_text(encoding="utf-8"))
    with _running(preview) as port:
        headers = _headers(port, preview.editor.token)

        def save(number: int) -> int:
            form = {**fields, "title": f"Tab {number}"}
            return _post(port, "/edit/save", {"handout": "content.yaml", "base": base, "fields": form}, headers)[0]

        with ThreadPoolExecutor(6) as pool:
            statuses = sorted(pool.map(save, range(6)))
    assert statuses == [200] + [409] * 5
    store = Store(tmp_path / "site")
    assert len([e for e in store.history(content) if e.note.startswith("not saved")]) == 5  # none lost
