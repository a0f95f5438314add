"""Flow: lines break where readers expect, read back from the built PDFs.

- no line holds a lone first word because a link or bold words follow (WeasyPrint 70's
  split_first_line, fixed in brochure.render.flow);
- long email and web addresses in running text break only after "@", "." and "/", and no
  word lies beyond its panel or page;
- a cover that cannot hold the title and subtitle fails with the key and the amount.

The seed's tri-fold panels ending at sentence ends is tested in test_trifold.py, on the
seed build made there.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import make_content, run_main, seed_project, tool

from brochure.render import breaks, flow, markup, patches

SEED_SLUG = "how-ketamine-affects-the-brain"
MARGIN = 27.0  # the tri-fold's MediaBox starts 0.375 in outside the trim
SAFE = 9.0  # 0.125 in: no text closer than that to a trim or a fold
INVISIBLE = re.compile("[\u200b\u2060\u00ad]")


def _build(content: Path, out: Path) -> None:
    run = run_main("build", str(content), "--out", str(out))
    assert run.code == 0, "\n".join(run.err)


def _text(pdf: Path, *options: str) -> str:
    return INVISIBLE.sub("", tool("pdftotext", *options, str(pdf), "-").stdout)


# A lone first word -------------------------------------------------------------------------

SUBJECTS = ["you", "you or a friend", "you or someone you love", "a family member", "you or someone close to you",
            "your child", "anyone in your home", "a partner or a parent"]
VERBS = ["feel unsafe", "think about hurting yourself", "have thoughts of suicide", "feel hopeless or in danger",
         "cannot stop crying", "feel you might act on a thought"]
LEADS = ["call or text", "please call or text", "call or text the lifeline at", "you can call us at", "write to"]
LINKS = ["988", "(913) 555-0101", "help@example.org", "**our care team**"]


def _crisis_paragraphs() -> str:
    """Sentences that open with a short word and reach a link (or bold words) after text of
    many widths, a few points apart, so that at any page width some of them end a line
    just before the link: where WeasyPrint 70 set "If" alone on a line before "988"."""
    sentences = []
    for n, (subject, verb, lead) in enumerate((s, v, lead) for s in SUBJECTS for v in VERBS for lead in LEADS):
        sentences.append(f"If {subject} {verb}, {lead} {LINKS[n % len(LINKS)]} at any hour.")
    return "\n\n".join(sentences) + "\n"


def test_no_line_is_a_lone_first_word_before_a_link(tmp_path: Path) -> None:
    content = make_content(tmp_path / "src", sections=[{"heading": "If you need help now", "body": _crisis_paragraphs()}])
    _build(content, tmp_path / "out")
    for output in ("email", "print"):
        text = _text(tmp_path / "out" / f"{SEED_SLUG}-{output}.pdf", "-layout")
        lone = [line.strip() for line in text.splitlines()
                if len(line.split()) == 1 and not line.strip().endswith((".", "?", "!", ":"))]
        assert lone == [], f"{output} PDF: lines of one word: {lone}"
        # The case did arise: links that start a line, right after a full one.
        starts = [line.split()[0] for line in text.splitlines() if line.split()]
        assert sum(word in ("988", "(913)", "help@example.org", "help@") for word in starts) >= 3, output


def test_split_first_line_keeps_a_run_that_fits_but_for_its_space() -> None:
    """The wrapper itself, on WeasyPrint's own layout of one paragraph at many widths."""
    import weasyprint

    patches.install()
    lone = []
    for width in range(150, 330, 3):
        html = (f'<style>@page {{ size: 600pt 300pt; margin: 0 }} p {{ width: {width}pt; font: 12pt sans-serif; '
                f'margin: 0 }}</style><p>If you or someone you love feel unsafe, call or text <a href="tel:988">988</a> '
                "or write to <b>our care team</b> at any hour.</p>")
        document = weasyprint.HTML(string=html).render()
        lines = [flow._line_text(line).strip() for line in flow._lines(document.pages[0])]
        lone += [(width, lines) for line in lines[:-1] if len(line.split()) == 1]
    assert lone == []


# Long addresses in running text -------------------------------------------------------------

EMAIL = "appointments.and.scheduling@balancedketaminetherapyclinic.com"
URL = "https://www.example-health-system.org/patient-education/mental-health/ketamine-infusion/questions"
WWW = "www.example-clinic.org/ketamine/aftercare-instructions/first-week-at-home"
ADDRESSES_BODY = (f"Write to {EMAIL} to book a visit, or read {URL} before you come. Our partner site "
                  f"{WWW} has more, and so does https://www.example.org/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p.\n\n"
                  f"Questions after hours: {EMAIL}.\n")


def _breaks_inside(text: str, address: str) -> list[str]:
    """Where ``address`` is broken across lines in ``text``: the character before each break."""
    pattern = r"\s*".join(map(re.escape, address))
    found = list(re.finditer(pattern, text))
    assert found, f"{address} is not in the PDF's text"
    return [match.group(0)[m.start() - 1] for match in found for m in re.finditer(r"\s+", match.group(0))]


def _words(pdf: Path, page: int) -> list[tuple[str, float, float, float]]:
    """(word, xMin, xMax, yMin) of each word on a page, in points from the MediaBox's corner."""
    html = tool("pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-").stdout
    return [(w, float(x0), float(x1), float(y0)) for x0, y0, x1, w in
            re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', html)]


@pytest.mark.parametrize("layout", ["trifold", "handout"])
def test_long_addresses_break_after_at_dot_or_slash_and_stay_inside(tmp_path: Path, layout: str) -> None:
    content = make_content(tmp_path / "src", layout=layout,
                           sections=[{"heading": "Where to find us", "body": ADDRESSES_BODY}])
    _build(content, tmp_path / "out")
    for output in ("print", "email"):
        pdf = tmp_path / "out" / f"{SEED_SLUG}-{output}.pdf"
        text = _text(pdf)
        for address in (EMAIL, URL, WWW):
            # a break only after "@", "." or "/": never after "-", never mid-word
            assert set(_breaks_inside(text, address)) <= {"@", ".", "/"}, (output, address)
        assert any(_breaks_inside(text, address) for address in (EMAIL, URL, WWW)), "no address had to break"
    # No word beyond its panel (tri-fold) or page (email and handout), nor in the safe zone.
    email_width = float(re.search(r"Page size:\s+([\d.]+)", tool("pdfinfo", str(tmp_path / "out" / f"{SEED_SLUG}-email.pdf")).stdout)[1])
    for word, x0, x1, _ in _words(tmp_path / "out" / f"{SEED_SLUG}-email.pdf", 1):
        assert x0 >= SAFE and x1 <= email_width - SAFE, word
    if layout == "trifold":
        for page, folds in ((1, (261.0, 526.5)), (2, (265.5, 531.0))):
            edges = (0.0, *folds, 792.0)
            for word, x0, x1, _ in _words(tmp_path / "out" / f"{SEED_SLUG}-print.pdf", page):
                left, right = x0 - MARGIN, x1 - MARGIN
                panel = sum(left > fold for fold in folds)
                assert edges[panel] + SAFE <= left and right <= edges[panel + 1] - SAFE, (page, word, left, right)


def test_breakable_marks_the_shown_address_never_the_link() -> None:
    html = str(markup.markdown(f"Write to {EMAIL} or see {URL}; call (913) 555-0101."))
    assert f'href="mailto:{EMAIL}"' in html and f'href="{URL}"' in html
    assert "appointments.\u200band.\u200bscheduling@\u200bbalancedketaminetherapyclinic.\u200bcom</a>" in html
    assert "https://\u200bwww.\u200bexample-\u2060health-\u2060system.\u200borg/\u200b" in html
    assert ">(913) 555-0101</a>" in html  # a phone number never breaks
    assert str(markup.linkify("mail a.b@c.org")) == 'mail <a href="mailto:a.b@c.org">a.\u200bb@\u200bc.\u200borg</a>'


# The sentence-break pass, in parts -----------------------------------------------------------

def test_sentence_ends_are_found_as_readers_read_them() -> None:
    text = "Call Dr. Smith today. It helps. See e.g. the list. J. Smith wrote it! (Or not.) Then 3 more. End"
    ends = [text[:start].split()[-1] for start, _ in flow.sentence_spans(text)]
    assert ends == ["today.", "helps.", "list.", "it!", "not.)", "more."]
    assert flow.ends_sentence("becoming more self-aware.") and flow.ends_sentence("it is “done.” ")
    assert not flow.ends_sentence("glutamate, which are") and not flow.ends_sentence("ask Dr.")
    assert not flow.ends_sentence("Our partner site www.\u200b")  # an address that goes on


def test_plain_text_maps_back_to_the_html() -> None:
    fragment = "Call <a href=\"tel:988\">988</a> now. Then&nbsp;rest &amp; <b>sleep</b>."
    plain, where = flow._plain(fragment, 10)
    assert plain == "Call 988 now. Then\xa0rest & sleep."
    assert [fragment[s - 10:e - 10] for s, e, _ in where[plain.index("&"):plain.index("&") + 1]] == ["&amp;"]
    assert [d for _, _, d in where[5:8]] == [1, 1, 1] and where[0][2] == 0
    assert breaks.with_break_class('<p class="intro" id="x">') == '<p class="intro panel-break-before">'
    assert breaks.with_break_class("<h2>") == '<h2 class="panel-break-before">'


# The cover -------------------------------------------------------------------------------------

COVER = re.compile(
    r"(?P<file>.+):(?P<line>\d+): subtitle: the title and subtitle do not fit the front cover, even in its smallest "
    r"type: they run over by about (?P<inches>\d+\.\d) in \((?P<percent>\d+)% of the panel's height\)\. "
    r"Shorten the subtitle by about (?P<cut>\d+) of its (?P<length>\d+) characters\.")


def _long_subtitle(words: int) -> str:
    return " ".join(["ketamine", "infusion", "care", "and", "what", "to", "expect", "today"][i % 8] for i in range(words))


def test_a_cover_that_cannot_fit_names_the_key_and_the_amount(tmp_path: Path) -> None:
    seed = "subtitle: What to know about ketamine infusion for pain and depression"
    results = {}
    for words in (170, 230):
        content = seed_project(tmp_path / f"src{words}", (seed, f"subtitle: {_long_subtitle(words)}"))
        run = run_main("build", str(content), "--out", str(tmp_path / f"out{words}"))
        assert run.code == 1
        match = COVER.fullmatch(run.err[0])
        assert match, run.err[0]
        assert match["line"] == "6" and int(match["length"]) == len(_long_subtitle(words))
        results[words] = match
    small, large = results[170], results[230]
    assert 0.1 <= float(small["inches"]) < float(large["inches"]) <= 8
    assert 0 < int(small["cut"]) < int(large["cut"]) < int(large["length"])
    # Cut as much as it says (and a tenth more): the cover fits.
    keep = int(large["length"]) - int(int(large["cut"]) * 1.1)
    shorter = _long_subtitle(230)[:keep].rsplit(" ", 1)[0]
    content = seed_project(tmp_path / "fits", (seed, f"subtitle: {shorter}"))
    _build(content, tmp_path / "out-fits")

