"""Trials: the layouts the tri-fold's panel filling and sentence-break search make before the PDF.

A short article's panels are filled (``render.panels.fill``) by laying out candidate HTML;
``fill`` never lays out the same HTML twice (``panels._once``). The sentence-break search
resumes each fix from the layout it fixes, keeping its cover and back pages (``render.resume``).
These tests keep the plain search, laying out every HTML it asks for in full, as the reference:
both must choose the same HTML and write the same bytes, with less layout, also for a clinic's
own template, styles that make the cover depend on the article, and an article that does not fit.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from brochure.build import Unit, prepare
from brochure.render import flow, job, panels, pdf, previous, trifold

CORPUS = Path(__file__).parent / "corpus"


def _print_job(path: Path, output: str = "print") -> job.Job:
    return next(made for made in prepare(Unit(path, path.name)) if made.output == output)


def _render(made: job.Job, monkeypatch: pytest.MonkeyPatch, memo: bool) -> tuple[bytes, Counter[str]]:
    """The print PDF and how often each HTML was laid out for it: with ``fill``'s memo, or
    without it (the reference: every HTML the search asks for laid out anew)."""
    laid: Counter[str] = Counter()
    lay_out_like = flow._lay_out_like

    def counted(text: str, like: Any, options: dict[str, Any]) -> Any:
        laid[text] += 1
        return lay_out_like(text, like, options)

    with monkeypatch.context() as patch:
        patch.setattr(flow, "CHOSEN", {})  # no choice kept from another test: the search runs
        patch.setattr(flow, "_lay_out_like", counted)
        if not memo:
            patch.setattr(panels, "_once", lambda lay_out, made: lay_out)
        data = job.render(made).data
    return data, laid


@pytest.mark.parametrize("name", ["short-intro-trifold", "short-trifold"])
def test_fill_lays_out_no_html_twice_and_writes_the_reference_bytes(name: str, monkeypatch: pytest.MonkeyPatch,
                                                                    tmp_path: Path) -> None:
    made = _print_job(CORPUS / f"{name}.yaml")
    reference, reference_laid = _render(made, monkeypatch, memo=False)
    data, laid = _render(made, monkeypatch, memo=True)
    assert data == reference, "the memo must not change a byte of the PDF"
    assert max(laid.values()) == 1, "an HTML was laid out twice"
    assert made.html not in laid, "the document's own layout is made once, by the build"
    assert set(laid) == set(reference_laid) - {made.html}
    # The intro and three sections: fill tries four panels at each type step, and step 0
    # adds no CSS, so its tall layout is the one that counted the sections.
    assert sum(reference_laid.values()) - sum(laid.values()) == (1 if name == "short-intro-trifold" else 0)


def _own_template(tmp_path: Path) -> Path:
    """A short handout whose clinic wraps the article in a box of its own and adds a note
    after it: blocks one level deeper, an extra block in the article's panels."""
    content = tmp_path / "content.yaml"
    shutil.copy(CORPUS / "short-intro-trifold.yaml", content)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "trifold.html").write_text(
        '{% extends "bundled/trifold.html" %}\n'
        '{% block article %}<div class="clinic-box">{{ super() }}</div>'
        '<p class="clinic-note">Ask us about anything in this leaflet.</p>{% endblock %}\n',
        encoding="utf-8")
    return content


def test_a_clinic_template_of_odd_structure_gets_the_reference_pdf(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    made = _print_job(_own_template(tmp_path))
    assert "clinic-box" in made.html
    reference, _ = _render(made, monkeypatch, memo=False)
    data, laid = _render(made, monkeypatch, memo=True)
    assert data == reference
    assert laid and max(laid.values()) == 1, "fill lays out its candidates, each once"


def test_an_article_that_does_not_fit_is_left_to_the_overflow_message(tmp_path: Path) -> None:
    """``fill`` lays nothing out when the article runs past the tri-fold: the build reports it."""
    content = tmp_path / "content.yaml"
    text = (CORPUS / "short-trifold.yaml").read_text(encoding="utf-8")
    long_body = "      " + " ".join(["Wash your hands before you touch the bandage, every time."] * 400) + "\n"
    content.write_text(text.replace("      Walk in any weekday. No appointment is needed.\n", long_body),
                       encoding="utf-8")
    made = _print_job(content)
    asked: list[str] = []
    lay_out: Callable[[str], Any] = asked.append  # type: ignore[assignment]
    from weasyprint import HTML

    document = HTML(string=made.html, base_url=made.content_dir.resolve().as_uri() + "/").render()
    with pytest.raises(trifold.Overflow):
        trifold.slots(document)
    assert panels.fill(made.html, document, lay_out) == (made.html, document)
    assert asked == []


def _seen(document: Any) -> list[list[tuple[str, float, float]]]:
    """Each page's lines as a reader and the imposition see them: text, left and top."""
    return [[(flow._line_text(line), round(line.position_x, 3), round(line.position_y, 3))
             for line in flow._lines(page)] for page in document.pages]


def test_each_search_layout_is_measured_as_a_full_layout_of_its_html(monkeypatch: pytest.MonkeyPatch) -> None:
    """The seed's search lays out two fixes; each is what the build's own layout of that HTML
    gives, line for line, with the same mid-sentence panels and the same options. A cheaper
    trial (a shorter document, a resumed layout) must keep this true."""
    from weasyprint import HTML

    made = _print_job(Path(__file__).parent.parent / "content.yaml")
    searched: list[tuple[str, Any, Any]] = []
    lay_out = flow._lay_out

    def kept(text: str, like: Any, options: dict[str, Any], parent: Any = None) -> Any:
        found = lay_out(text, like, options, parent)
        searched.append((text, parent, found))
        return found

    monkeypatch.setattr(flow, "CHOSEN", {})
    monkeypatch.setattr(flow, "_lay_out", kept)
    job.render(made)
    assert len(searched) == 2, "the seed's search fixes two panels"
    for text, _, trial in searched:
        assert trial is not None
        like = trial.document
        full = HTML(string=text, base_url=like._html.base_url, url_fetcher=like.url_fetcher).render(
            font_config=like.font_config, **pdf.OPTIONS["print"])
        measured = flow._measure(text, full)
        assert measured is not None
        assert _seen(full) == _seen(trial.document)
        assert measured.problems == trial.problems
        for page in trial.problems:
            assert flow._options(measured, page) == flow._options(trial, page)
    # Each fix is resumed from the layout it fixes: the cover and the back kept as they were,
    # and for the second (of the first inside panel) the flap the first fix made.
    _assert_kept([getattr(trial.document, flow.KEPT_ATTRIBUTE).reused for *_, trial in searched], SEED_KEPT)


# The pages each fix of the seed keeps: the cover and the back; the second fix (of the first
# inside panel) also the flap, which the first fix made itself. The Spanish example's third fix
# (of the second inside panel) keeps no inside panel: the flap before it was kept by the second
# fix (of another tree), and a panel is kept only between two its parent made (unchanged).
SEED_KEPT = [{0, 5}, {0, 5}]
KEPT = {"content.yaml": SEED_KEPT, "examples/bilingual/content.es.yaml": [{0, 5}, {0, 5}, {0, 5}]}


def _assert_kept(kept: list[frozenset[int]], expected: list[set[int]]) -> None:
    """The pages each fix kept are ``expected``; the PDFs were compared before this is asked.
    Whatever this process rendered before (test_fixes_keep_the_cover_and_back_after_other_documents)."""
    assert kept == expected


def _search_layouts(made: job.Job, monkeypatch: pytest.MonkeyPatch, resumed: bool = True) -> tuple[bytes, list[Any]]:
    """The print PDF, and each layout the search made (with the layout it fixed)."""
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


@pytest.mark.parametrize(("path", "output"), [("content.yaml", "print"), ("examples/bilingual/content.es.yaml", "print"),
                                            ("content.yaml", "office")])
def test_resumed_fixes_write_the_bytes_of_fixes_laid_out_in_full(path: str, output: str, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Also the office tri-fold, whose office.css imports print.css: WeasyPrint parses it again at
    each layout, so its declarations with ``var()`` are new objects that say the same (resume
    compares them by what they say)."""
    source = Path(__file__).parent.parent / path
    if output != "print":
        source = _seed_copy(tmp_path)
        source.write_text(source.read_text(encoding="utf-8").replace("\nlayout: trifold\n",
                                                                     f"\nlayout: trifold\noutputs: [{output}]\n", 1),
                          encoding="utf-8")
    made = _print_job(source, output)
    reference, full = _search_layouts(made, monkeypatch, resumed=False)
    data, resumed = _search_layouts(made, monkeypatch)
    assert data == reference
    assert [text for text, *_ in resumed] == [text for text, *_ in full], "the same fixes, in the same order"
    assert resumed, "the search fixes panels"
    _assert_kept(_reused(resumed), KEPT[path])
    for text, like, options, parent, found in resumed:
        # The same layout resumed again (the search tries each option on it): the same pages.
        again = flow._lay_out(text, like, options, parent)
        assert again is not None and _seen(again.document) == _seen(found.document)


def _many_stylesheets() -> None:
    """More stylesheets than a process keeps parsed (``stylesheets.MAX_KEPT``), each a small
    document's own, as a server's other projects or the suite's other tests render theirs."""
    import weasyprint

    from brochure.render import patches, stylesheets

    patches.install()
    for n in range(stylesheets.MAX_KEPT + 1):
        weasyprint.HTML(string=f"<style>p {{ margin: {n}px; }}</style><p>Call us any weekday.</p>").render()


def _render_before(which: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another document rendered in this process before the seed's print PDF."""
    from brochure.render import stylesheets

    root = Path(__file__).parent.parent
    if which == "stylesheets":
        stylesheets.PARSED.clear()  # none kept yet, whatever ran before in this process
        _many_stylesheets()
    elif which == "email":
        job.render(_print_job(root / "content.yaml", "email"))
    elif which == "example":  # a tri-fold with fixes of its own
        job.render(_print_job(root / "examples" / "bilingual" / "content.es.yaml"))
    else:  # the handout's previous edit, as watch's print lane renders it before each save
        edited = _seed_copy(folder)
        text = edited.read_text(encoding="utf-8")
        assert "\ntitle: How Ketamine Affects the Brain\n" in text
        edited.write_text(text.replace("\ntitle: How Ketamine Affects the Brain\n",
                                       "\ntitle: How Ketamine Affects Your Brain\n", 1), encoding="utf-8")
        job.render(_print_job(edited))


@pytest.mark.parametrize("before", ["stylesheets", "email", "example", "edit"])
def test_fixes_keep_the_cover_and_back_after_other_documents(before: str, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Watch's print lane renders each edit after the one before, a batch worker and a server
    other handouts and kinds: each fix of the seed still keeps its cover and back, and its
    PDF is the bytes of fixes laid out in full. (The suite found it: after test_flow's sixty
    documents, each with a stylesheet of its own, the process kept no more parsed
    stylesheets, the seed's were parsed again at each layout, and resume kept no page.)"""
    monkeypatch.setattr(flow, "CHOSEN", {})  # the other document's search runs too
    (tmp_path / "edit").mkdir()
    _render_before(before, tmp_path / "edit", monkeypatch)
    full, resumed = _both_ways(Path(__file__).parent.parent / "content.yaml", monkeypatch)
    assert [text for text, *_ in resumed] == [text for text, *_ in full]
    _assert_kept(_reused(resumed), SEED_KEPT)


def _seed_copy(folder: Path, template: str | None = None) -> Path:
    """The seed's content and logo copied into ``folder``, with a clinic ``trifold.html`` if given."""
    root = Path(__file__).parent.parent
    shutil.copy(root / "content.yaml", folder / "content.yaml")
    shutil.copy(root / "logo.svg", folder / "logo.svg")
    if template is not None:
        (folder / "templates").mkdir()
        (folder / "templates" / "trifold.html").write_text(template, encoding="utf-8")
    return folder / "content.yaml"


def _both_ways(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[Any], list[Any]]:
    """The search's layouts of ``path``'s print PDF: every fix laid out in full, then resumed,
    once both PDFs are the same bytes and the search fixed panels."""
    made = _print_job(path)
    reference, full = _search_layouts(made, monkeypatch, resumed=False)
    data, resumed = _search_layouts(made, monkeypatch)
    assert data == reference
    assert resumed, "the search fixes panels"
    return full, resumed


def _clinic_template(folder: Path, monkeypatch: pytest.MonkeyPatch, blocks: str) -> tuple[list[Any], list[Any]]:
    """``_both_ways`` of the seed in ``folder`` with a clinic trifold.html: the bundled one with ``blocks``."""
    return _both_ways(_seed_copy(folder, '{% extends "bundled/trifold.html" %}\n' + blocks), monkeypatch)


def _reused(searched: list[Any]) -> list[frozenset[int]]:
    """The pages each search layout kept from the layout it fixes."""
    return [getattr(found.document, flow.KEPT_ATTRIBUTE).reused for *_, found in searched]


def test_a_cover_styled_by_what_the_article_holds_is_laid_out_again(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A clinic's rule that styles the cover by the article's content (here: a break the search
    adds): the cover cannot be kept, and the PDF is the one laid out in full."""
    _, resumed = _clinic_template(tmp_path, monkeypatch,
        '{% block styles %}{{ super() }}<style>body:has(.panel-break-before) .cover h1 { letter-spacing: 0.05em; }'
        '</style>{% endblock %}\n')
    # The first fix adds the first break: the title is styled otherwise, the cover laid out
    # again; the next fix's parent has a break already, so its cover is kept as it is.
    _assert_kept(_reused(resumed), [SEED_KEPT[0] - {0}, *SEED_KEPT[1:]])


def test_a_clinic_footnote_keeps_no_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Footnotes are carried from page to page in WeasyPrint's context: with one, each fix is
    laid out in full, and the PDF is the same."""
    _, resumed = _clinic_template(tmp_path, monkeypatch,
        '{% block article %}<p class="clinic-lead">Read this first.<span style="float: footnote">'
        'Reviewed by our nurses.</span></p>{{ super() }}{% endblock %}\n')
    assert all(kept == set() for kept in _reused(resumed))


def test_a_clinic_counter_running_into_the_back_keeps_no_stale_count(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A clinic's CSS counter counts the article's paragraphs on the back panel: a fix that
    splits a paragraph changes the count, so the back built for the parent cannot be kept
    (its generated text differs though its HTML and declarations do not)."""
    full, resumed = _clinic_template(tmp_path, monkeypatch,
        '{% block styles %}{{ super() }}<style>body { counter-reset: para; } .panel-article p { counter-increment: para; }'
        ' .panel-back::after { content: "Paragraphs: " counter(para); }</style>{% endblock %}\n')
    backs = [flow._line_text(flow._lines(found.document.pages[-1])[-1]) for *_, found in resumed]
    assert backs == [flow._line_text(flow._lines(found.document.pages[-1])[-1]) for *_, found in full]
    assert any("Paragraphs: " in back for back in backs)
    last = len(resumed[0][-1].document.pages) - 1
    assert all(last not in getattr(found.document, flow.KEPT_ATTRIBUTE).reused
               for _, _, _, parent, found in resumed if found.text.count("<p") != parent.text.count("<p"))


def _saved_mid_build(made: job.Job, monkeypatch: pytest.MonkeyPatch, resumed: bool) -> pdf.Rendered:
    """The print render, the logo saved in another colour after the build's own layout, before the search's first fix."""
    logo = made.content_dir / "logo.svg"
    original = logo.read_text(encoding="utf-8")
    lay_out = flow._lay_out
    saved: list[bool] = []

    def kept(text: str, like: Any, options: dict[str, Any], parent: Any = None) -> Any:
        if not saved:
            logo.write_text(original.replace("#1d5c73", "#ff0000"), encoding="utf-8")
            saved.append(True)
        return lay_out(text, like, options, parent if resumed else None)

    with monkeypatch.context() as patch:
        patch.setattr(flow, "CHOSEN", {})
        patch.setattr(flow, "_lay_out", kept)
        try:
            return job.render(made)
        finally:
            logo.write_text(original, encoding="utf-8")


def test_a_logo_saved_mid_build_is_in_the_pdf_the_manifest_names(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The logo saved (a new colour) between the build's layout and the search's first fix: a
    build refuses it in one line (bytes the content check never saw, ``pdf``'s gate). Beneath
    that gate, resume's own guard: the cover made with the old logo is not kept; the PDF shows
    the logo whose hash it records."""
    import dataclasses
    import hashlib

    import pypdfium2

    checked = _print_job(_seed_copy(tmp_path))
    with pytest.raises(pdf.RenderError, match=r"^logo\.svg changed after the content was checked"):
        _saved_mid_build(checked, monkeypatch, resumed=True)
    made = dataclasses.replace(checked, checked=None)  # the render without the gate
    assert "#1d5c73" in (tmp_path / "logo.svg").read_text(encoding="utf-8")
    reference = _saved_mid_build(made, monkeypatch, resumed=False)
    rendered = _saved_mid_build(made, monkeypatch, resumed=True)
    logo = (tmp_path / "logo.svg").resolve()
    red = hashlib.sha256((tmp_path / "logo.svg").read_text(encoding="utf-8")
                         .replace("#1d5c73", "#ff0000").encode("utf-8")).hexdigest()
    assert reference.files[logo] == rendered.files[logo] == red, "the manifest records the logo as saved"
    pixels = pypdfium2.PdfDocument(rendered.data)[0].render(scale=1).to_pil().convert("RGB").tobytes()
    assert any(pixels[i] > 180 and pixels[i + 1] < 90 and pixels[i + 2] < 90 for i in range(0, len(pixels), 3)), \
        "the new (red) logo is printed"
    assert rendered.data == reference.data


def test_no_page_is_kept_when_the_head_differs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The head holds the document's styles (``@page``, ``@font-face`` too, which the declarations
    compared per element do not show): a fix whose head differs keeps no page. Only the cover
    and the back are ever offered, never a page of the article (tests/test_resume_attacks.py:
    where a panel ends depends on what follows it)."""
    from brochure.render.unchanged import unchanged

    made = _print_job(Path(__file__).parent.parent / "content.yaml")
    _, resumed = _search_layouts(made, monkeypatch)
    assert [min(parent.problems) for _, _, _, parent, _ in resumed] == [1, 2]
    for (text, _, _, parent, found), expected in zip(resumed, SEED_KEPT, strict=True):
        last = len(found.document.pages) - 1
        assert unchanged(parent.text, parent.document, text) == expected == {0, last}
        other = text.replace("</head>", "<style>@page { margin: 0.2in; }</style></head>", 1)
        assert other != text
        assert unchanged(parent.text, parent.document, other) == frozenset()
        # A change at the article's start (after the cover's HTML): the cover and the back.
        first = text.replace('data-part="article"', 'data-part="article" data-edited="yes"', 1)
        assert first != text and unchanged(parent.text, parent.document, first) == {0, last}


_BACKGROUND = ('{% extends "bundled/trifold.html" %}\n{% block styles %}{{ super() }}<style>'
               '.cover h1, main h2 { background: url(bg.png); background-size: 0.3in; }'
               'main:has(.panel-break-before) { padding-top: 40in; }'  # each fix overflows: the first layout wins
               '</style>{% endblock %}\n')


def _png(colour: tuple[int, int, int]) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def _saving_on_each_layout(made: job.Job, monkeypatch: pytest.MonkeyPatch, pictures: list[bytes]) -> pdf.Rendered:
    """The print render, ``bg.png`` saved with the next of ``pictures`` before each trial layout."""
    lay_out = flow._lay_out

    def saving(text: str, like: Any, options: dict[str, Any], parent: Any = None) -> Any:
        if pictures:
            (made.content_dir / "bg.png").write_bytes(pictures.pop(0))
        return lay_out(text, like, options, parent)

    with monkeypatch.context() as patch:
        patch.setattr(flow, "CHOSEN", {})
        patch.setattr(flow, "_lay_out", saving)
        return job.render(made)


def test_a_background_saved_mid_build_is_never_mixed_with_the_one_read_before(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A background picture (read in WeasyPrint's last pass, after the pages are made) saved in
    another colour after the build's first layout: the PDF is made again, all of it in the new
    colour, the bytes of a build that read it from the start, and the manifest names those bytes."""
    import hashlib

    blue, red = _png((20, 40, 220)), _png((220, 30, 30))
    path = _seed_copy(tmp_path, _BACKGROUND)
    (tmp_path / "bg.png").write_bytes(blue)
    made = _print_job(path)
    saved = _saving_on_each_layout(made, monkeypatch, [red])
    with monkeypatch.context() as patch:
        patch.setattr(flow, "CHOSEN", {})
        clean = job.render(made)  # bg.png is red from the start
    assert saved.data == clean.data
    assert saved.files[(tmp_path / "bg.png").resolve()] == hashlib.sha256(red).hexdigest()


def test_a_picture_saved_again_and_again_during_the_build_is_said_not_printed(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    blue, red = _png((20, 40, 220)), _png((220, 30, 30))
    path = _seed_copy(tmp_path, _BACKGROUND)
    (tmp_path / "bg.png").write_bytes(blue)
    made = _print_job(path)
    with pytest.raises(pdf.RenderError, match=r"^bg\.png changed while the PDF was being made"):
        _saving_on_each_layout(made, monkeypatch, [red, blue] * 20)


def test_tags_written_inside_a_clinic_style_do_not_move_the_breaks(tmp_path: Path) -> None:
    """A clinic's ``<style>`` whose comment says "<p>" and "<h2>": the parser makes no element of
    it, so the breaks the search adds land on the paragraphs they would without it."""
    import io

    import pypdf

    def sheet_text(folder: Path, style: str) -> list[str]:
        folder.mkdir()
        path = _seed_copy(folder, '{% extends "bundled/trifold.html" %}\n'
                                  f'{{% block styles %}}{{{{ super() }}}}<style>{style}</style>{{% endblock %}}\n')
        flow.CHOSEN.clear()
        rendered = job.render(_print_job(path))
        return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(rendered.data)).pages]

    plain = sheet_text(tmp_path / "plain", "/* nothing */")
    assert sheet_text(tmp_path / "tags", "/* <p> and <h2>, <P> */") == plain


def test_start_tags_are_counted_as_the_parser_makes_elements() -> None:
    from brochure.render.breaks import start_tag

    text = ("<head><style>/* <p> and <h2> */</style><title>a <p> b</title></head>"
            "<p>a</p><!-- <p> --><P class=x>b</P><script>'<p>'</script><p id=3>")
    found = [start_tag(text, "p", n) for n in range(4)]
    assert [m.group(0) if m else None for m in found] == ["<p>", "<P class=x>", "<p id=3>", None]
