"""Attacks on resume (session 7 review of merge 7332a89): a tri-fold trial resumed from its
parent's pages must be the layout a full layout of its HTML gives, and the PDF the bytes of a
search that lays out every trial in full. Each test builds a handout made to reach one of
resume's blind spots. Two found wrong PDFs, both fixed at their root: a paragraph pushed on whole
(orphans, break-inside: avoid) then split by a fix moved the end of the panel before it, which
resume had kept (now no article page is ever kept: ``unchanged``); a hidden element a fix's
``:has()`` shows had no box to compare (now compared: ``resume._hidden``).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from brochure.build import Unit, prepare
from brochure.render import flow, job, previous

ROOT = Path(__file__).parent.parent


def _print_job(path: Path) -> job.Job:
    return next(made for made in prepare(Unit(path, path.name)) if made.output == "print")


def _handout(folder: Path, css: str, body: str, blocks: str = "") -> Path:
    """The seed's handout in ``folder`` with ``css`` added by a clinic template and its
    sections replaced by one section whose body is ``body`` (YAML block text, indented)."""
    shutil.copy(ROOT / "logo.svg", folder / "logo.svg")
    (folder / "templates").mkdir()
    (folder / "templates" / "trifold.html").write_text(
        '{% extends "bundled/trifold.html" %}\n'
        '{% block styles %}{{ super() }}<style>' + css + '</style>{% endblock %}\n' + blocks, encoding="utf-8")
    text = (ROOT / "content.yaml").read_text(encoding="utf-8")
    start, end = text.index("\nsections:\n"), text.index("\nclinic:")
    section = "\nsections:\n  - heading: Before your visit\n    body: |\n" + body
    (folder / "content.yaml").write_text(text[:start] + section + text[end:], encoding="utf-8")
    return folder / "content.yaml"


def _search(made: job.Job, monkeypatch: pytest.MonkeyPatch, resumed: bool) -> tuple[bytes, list[Any]]:
    """The print PDF and the search's layouts (text, like, options, parent, found)."""
    searched: list[Any] = []
    lay_out = flow._lay_out

    def kept(text: str, like: Any, options: dict[str, Any], parent: Any = None) -> Any:
        found = lay_out(text, like, options, parent if resumed else None)
        searched.append((text, like, options, parent, found))
        return found

    with monkeypatch.context() as patch:
        patch.setattr(flow, "CHOSEN", {})
        patch.setattr(flow, "_lay_out", kept)
        previous.LAYOUTS.clear()  # nor is anything kept from an earlier render's layouts (test_previous.py)
        data = job.render(made).data
    return data, searched


def _seen(document: Any) -> list[list[tuple[str, float, float]]]:
    return [[(flow._line_text(line), round(line.position_x, 3), round(line.position_y, 3))
             for line in flow._lines(page)] for page in document.pages]


def _full(text: str, like: Any, options: dict[str, Any]) -> Any:
    from weasyprint import HTML

    return HTML(string=text, base_url=like._html.base_url, url_fetcher=like.url_fetcher).render(
        font_config=like.font_config, **options)


def _assert_like_full(made: job.Job, monkeypatch: pytest.MonkeyPatch) -> list[frozenset[int]]:
    """Each resumed trial is, page for page and line for line, a full layout of its HTML, and
    the PDF is the bytes of the search made in full; the pages each trial kept."""
    reference, _ = _search(made, monkeypatch, resumed=False)
    data, resumed = _search(made, monkeypatch, resumed=True)
    assert resumed, "the search fixes panels"
    kept = []
    for text, like, options, parent, _ in resumed:
        if parent is None:
            continue
        trial = flow._lay_out_like(text, like, options, parent)
        kept.append(getattr(trial, flow.KEPT_ATTRIBUTE).reused)
        assert _seen(trial) == _seen(_full(text, like, options)), f"a trial keeping pages {sorted(kept[-1])} differs"
    assert data == reference
    return kept


# A paragraph pushed whole to the next panel by ``orphans`` (fewer than 10 of its lines would
# fit where the panel before ends) and split by the search after its first sentence (3 lines):
# laid out in full, that first sentence now fits on the panel before; resumed, that panel is
# kept as it was (its HTML, up to the paragraph's start tag, and the paragraph's declarations
# are the same), and the sentence sits alone on the next panel.
_ORPHANS = ".panel-article p { orphans: 10 }"
_PUSHED = ("      " + " ".join(["Rest well after each visit and drink water."] * 14) + "\n\n"
           "      Please read this first sheet with care before you come to the clinic for your visit."
           " Then " + ", ".join(["and ask the nurse about the next visit"] * 20) + ".\n")


@pytest.mark.parametrize("css", [_ORPHANS, ".panel-article p { break-inside: avoid }"])
def test_a_paragraph_pushed_on_whole_and_split_by_a_fix_is_laid_out_in_full(
        css: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Also ``break-inside: avoid``: a paragraph taller than the room left is pushed on whole."""
    _assert_like_full(_print_job(_handout(tmp_path, css, _PUSHED)), monkeypatch)


def _linked(folder: Path, sheet: str) -> job.Job:
    """The seed in ``folder`` with a clinic template linking the clinic's own ``clinic.css``."""
    shutil.copy(ROOT / "content.yaml", folder / "content.yaml")
    shutil.copy(ROOT / "logo.svg", folder / "logo.svg")
    (folder / "templates").mkdir()
    (folder / "templates" / "trifold.html").write_text(
        '{% extends "bundled/trifold.html" %}\n'
        '{% block styles %}{{ super() }}<link rel="stylesheet" href="clinic.css">{% endblock %}\n', encoding="utf-8")
    (folder / "clinic.css").write_text(sheet, encoding="utf-8")
    return _print_job(folder / "content.yaml")


def test_a_clinic_sheet_saved_between_two_builds_of_one_process_is_read_anew(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """watch's print lane: the same URL with new bytes must never reuse the sheet parsed before
    (stylesheets' cache), nor the choice or pages made with it (flow.CHOSEN, resume)."""
    from brochure.render import stylesheets

    made = _linked(tmp_path, ".panel-article p { letter-spacing: 0; }")
    monkeypatch.setattr(flow, "CHOSEN", {})
    before = job.render(made).data
    (tmp_path / "clinic.css").write_text(".panel-article p { letter-spacing: 0.01em; color: #7a1f1f; }", encoding="utf-8")
    after = job.render(made).data
    stylesheets.PARSED.clear()
    monkeypatch.setattr(flow, "CHOSEN", {})
    fresh = job.render(made).data
    assert after == fresh
    assert after != before, "the new spacing is in the PDF"


def _churn(count: int) -> None:
    """``count`` small documents, each with a stylesheet of its own: more than the cache keeps."""
    import weasyprint

    for n in range(count):
        weasyprint.HTML(string=f"<style>p {{ margin: {n}px; }}</style><p>Call us any weekday.</p>").render()


def test_threads_evicting_the_stylesheet_cache_while_tri_folds_resume_write_the_reference(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server's threads: two tri-fold builds search and resume while a third renders more
    sheets than ``stylesheets.MAX_KEPT``, dropping the least recently used under them."""
    from concurrent.futures import ThreadPoolExecutor

    from brochure.render import patches, stylesheets

    patches.install()
    monkeypatch.setattr(flow, "CHOSEN", {})
    made = _print_job(ROOT / "content.yaml")
    reference = job.render(made).data

    def build() -> bytes:
        flow.CHOSEN.clear()  # each build searches: its trials resume while the cache churns
        return job.render(made).data

    with ThreadPoolExecutor(3) as pool:
        churning = pool.submit(_churn, 2 * stylesheets.MAX_KEPT)
        built = [pool.submit(build) for _ in range(2)]
        churning.result()
        assert [future.result() for future in built] == [reference, reference]
    assert len(stylesheets.PARSED) <= stylesheets.MAX_KEPT


def _seed_with(folder: Path, template: str) -> job.Job:
    """The seed in ``folder`` with a clinic trifold.html extending the bundled one by ``template``."""
    shutil.copy(ROOT / "content.yaml", folder / "content.yaml")
    shutil.copy(ROOT / "logo.svg", folder / "logo.svg")
    (folder / "templates").mkdir()
    (folder / "templates" / "trifold.html").write_text('{% extends "bundled/trifold.html" %}\n' + template,
                                                       encoding="utf-8")
    return _print_job(folder / "content.yaml")


# An element with no box on a kept page (display: none) that a rule reaching back from what the
# fix adds (:has()) shows: resume compares the declarations of the elements with a box on the
# page and their ancestors only, so the hidden one is not compared.
_SHOWN_CSS = ".clinic-note { display: none; } body:has(.panel-break-before) .clinic-note { display: block; }"
_SHOWN = "{% block styles %}{{ super() }}<style>" + _SHOWN_CSS + "</style>{% endblock %}\n"


def test_a_hidden_cover_note_a_fix_shows_is_laid_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A note on the cover, hidden until the article has a break the search adds: the seed's
    first fix shows it, so its cover cannot be the parent's (which had none)."""
    made = _seed_with(tmp_path, _SHOWN + '{% block cover %}{{ super() }}<p class="clinic-note">'
                                         'Ask us about anything here.</p>{% endblock %}\n')
    assert "clinic-note" in made.html
    _assert_like_full(made, monkeypatch)


# Clinic CSS that reaches from what a fix adds back to pages before it, or resolves a value
# through what the fix changes: each is seen by resume's checks (declarations of every element
# on a kept page and its ancestors, the page's type), and each trial is a full layout's.
_REACHING_BACK = {
    "earlier siblings": ".panel-article section:has(~ section .panel-break-before) p { letter-spacing: 0.01em; }",
    "var from an ancestor": (".panel-article { --gap: 0.6em; } .panel-article:has(.panel-break-before) { --gap: 0.8em; }"
                             " .panel-article p { margin-bottom: var(--gap); }"),
    "var of a sibling": (".panel-article section { --tint: #222; } section:has(.panel-break-before) { --tint: #622; }"
                         " .panel-article section p { color: var(--tint); }"),
    "named page": ".panel-break-before { page: fixed; } @page fixed { background: #fafafa; }",
}


@pytest.mark.parametrize("css", list(_REACHING_BACK.values()), ids=list(_REACHING_BACK))
def test_clinic_css_reaching_back_from_a_fix_gives_full_layouts(css: str, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    made = _seed_with(tmp_path, "{% block styles %}{{ super() }}<style>" + css + "</style>{% endblock %}\n")
    _assert_like_full(made, monkeypatch)



def test_a_hidden_article_note_a_fix_shows_is_laid_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same on the flap (the article's first page, kept since this merge), inside a clinic's
    flex box after a visible paragraph: no box of the page says the note is there (in block flow
    the box its parent makes differs, by chance, and the page is laid out again)."""
    made = _print_job(_handout(tmp_path, _SHOWN_CSS + " .clinic-wrap { display: flex; }", _PUSHED,
                               '{% block article %}<div class="clinic-wrap"><p class="clinic-lead">Read this first.</p>'
                               '<p class="clinic-note">Ask us about anything here.</p></div>'
                               '{{ super() }}{% endblock %}\n'))
    assert _assert_like_full(made, monkeypatch)


def test_a_clinic_sheet_saved_mid_build_is_never_mixed_with_the_one_parsed_before(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """clinic.css saved (a new spacing) after the build's own layout, before the search's first
    fix: the pages made with the old sheet are not kept, and the PDF is a build's that read the
    new sheet from the start (or the build says the file changed; it never mixes the two)."""
    from brochure.render import pdf

    made = _linked(tmp_path, ".panel-article p { letter-spacing: 0; }")
    lay_out = flow._lay_out
    saved: list[bool] = []

    def saving(text: str, like: Any, options: dict[str, Any], parent: Any = None) -> Any:
        if not saved:
            (tmp_path / "clinic.css").write_text(".panel-article p { letter-spacing: 0.01em; }", encoding="utf-8")
            saved.append(True)
        return lay_out(text, like, options, parent)

    monkeypatch.setattr(flow, "CHOSEN", {})
    with monkeypatch.context() as patch:
        patch.setattr(flow, "_lay_out", saving)
        try:
            data = job.render(made).data
        except pdf.RenderError as error:
            assert "clinic.css changed while the PDF was being made" in str(error)
            return
    assert saved, "the search laid out a fix"
    flow.CHOSEN.clear()
    assert data == job.render(made).data
