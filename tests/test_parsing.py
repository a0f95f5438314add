"""render.parsing: brochure's own HTML parsed to tinyhtml5's very tree without tinyhtml5, any other HTML by tinyhtml5.

- Every document the seed, the examples and the corpus make (print, email, office; tri-folds, handouts, tables,
  right to left, long) takes the fast path, and its tree is tinyhtml5's, element by element: tag, attributes in
  order, text and tail. A template that starts writing what the fast path gives up on fails here, by name.
- The documents a warm and an edited build hand WeasyPrint (the tri-fold's trials too) take it, through ``HTML()``.
- Thousands of altered documents (tags, references, comments, odd bytes inserted or cut anywhere): each is either
  given up (tinyhtml5 parses it) or parsed to tinyhtml5's tree; the traps where HTML5 moves, closes or opens
  elements on its own are given up.
- PDFs built with the fast path are byte for byte those of a fresh process without it.
"""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import tinyhtml5
from conftest import HANG, REPO, seed_project

from brochure.build import build_file
from brochure.prepared import prepare
from brochure.render import parsing, patches
from brochure.units import Unit, brochures

CORPUS = sorted((REPO / "tests" / "corpus").glob("*.yaml"))
EXAMPLES = [REPO / "examples" / "knee-surgery" / "content.yaml", REPO / "examples" / "arabic" / "content.ar.yaml",
            REPO / "examples" / "bilingual" / "content.es.yaml", REPO / "examples" / "chain" / "handouts" / "first-visit.yaml"]


def _slow(text: str) -> Any:
    return tinyhtml5.parse(text, namespace_html_elements=False)


def difference(fast: Any, slow: Any) -> str | None:
    """Where the two trees differ (None: nowhere): tag, attributes in their order, text, tail, children. Walked
    with a list, not recursion: a hostile document nests deeper than Python's recursion limit."""
    if fast is None:
        return "given up: tinyhtml5 parses it"
    pending = [(fast, slow, "html")]
    while pending:
        one, other, where = pending.pop()
        if (one.tag, list(one.attrib.items()), one.text, one.tail, len(one)) != \
                (other.tag, list(other.attrib.items()), other.text, other.tail, len(other)):
            return (f"{where}: {one.tag!r} {list(one.attrib.items())} {one.text!r} {one.tail!r} {len(one)} against "
                    f"{other.tag!r} {list(other.attrib.items())} {other.text!r} {other.tail!r} {len(other)}")
        pending += [(a, b, f"{where}/{a.tag}[{index}]") for index, (a, b) in enumerate(zip(one, other, strict=True))]
    return None


def _documents() -> dict[str, str]:
    """Every output's HTML of the seed, the examples and the corpus, by where it comes from."""
    patches.install()
    found = {}
    for path in [REPO / "content.yaml", *EXAMPLES, *CORPUS]:
        for variant, _, _ in brochures(path, path.name)[:2]:  # a chain's first two locations
            for made in prepare(Unit(path, path.name, variant)):
                found[f"{path.relative_to(REPO)} {variant or ''} {made.output}"] = made.html
    return found


@pytest.fixture(scope="module")
def documents() -> dict[str, str]:
    return _documents()


def test_every_document_brochure_makes_takes_the_fast_path_to_tinyhtml5s_tree(documents: dict[str, str]) -> None:
    assert len(documents) >= 2 * (len(CORPUS) + len(EXAMPLES))
    given_up = [name for name, text in documents.items() if parsing.parse(text) is None]
    assert given_up == [], "these documents go to tinyhtml5: render.parsing gives up on what the templates now write"
    for name, text in documents.items():
        assert difference(parsing.parse(text), _slow(text)) is None, name
    kinds = {name.rsplit(" ", 1)[1] for name in documents}
    assert {"print", "email"} <= kinds
    text = "".join(documents.values())
    assert "<table" in text and 'dir="rtl"' in text and "&#34;" in text  # tables, right to left, references


def test_weasyprint_parses_a_warm_and_an_edited_build_on_the_fast_path(tmp_path: Path) -> None:
    """Every document a build hands WeasyPrint's ``HTML()`` (the tri-fold's trial layouts too) is parsed here, to
    tinyhtml5's tree; with the switch off, none is."""
    import weasyprint

    patches.install()
    parser = weasyprint.tinyhtml5
    assert isinstance(parser, parsing.Parser)
    content = seed_project(tmp_path / "seed")
    seen: list[str] = []
    parse = parser.parse

    def recording(document: Any, **options: Any) -> Any:
        seen.append(document.getvalue())
        return parse(document, **options)

    parser.parse = recording  # type: ignore[method-assign]
    try:
        build_file(content, tmp_path / "out")  # warm-up
        before = list(parsing.ANSWERED)
        build_file(content, tmp_path / "out")  # warm
        content.write_text(content.read_text(encoding="utf-8").replace(
            "title: How Ketamine Affects the Brain", "title: Ketamine & the Brain <today>", 1), encoding="utf-8")
        build_file(content, tmp_path / "out")  # edited: the tri-fold's trials again
        answered = [after - then for after, then in zip(parsing.ANSWERED, before, strict=True)]
        parsing.enabled(False)
        try:
            build_file(content, tmp_path / "off")
            assert list(parsing.ANSWERED) == [before[0] + answered[0], before[1] + answered[1]]  # none parsed here
        finally:
            parsing.enabled(True)
    finally:
        del parser.parse
    assert answered[1] == 0 and answered[0] >= 5, answered  # both PDFs warm; the edit's print trials and email
    assert any("Ketamine &amp; the Brain &lt;today&gt;" in text for text in seen)
    for text in set(seen):
        assert difference(parsing.parse(text), _slow(text)) is None


INSERTED = ["<p>", "</p>", "<div>", "</div>", "<li>", "</li>", "<ul>", "</ul>", "<b>", "</b>", '<a href="x">', "</a>",
            "<br>", "<br/>", "<span/>", "<table>", "</table>", "<tr>", "<td>", "</td>", "<tbody>", "<h2>", "</h2>",
            "&amp;", "&amp", "&notit;", "&#0;", "&#128;", "&#x10FFFF;", "&#xD800;", "&#13;", "&nbsp;", "&NotAName;",
            "<!-- c -->", "<!-->", "<!--a--b-->", "\r\n", "\r", "\x00", "\x0c", "\x85", "\ufeff", "\ufffe",
            "\U0001fffe", "\u202e", "\u05d0\u05d1", "\u0627\u0644", "<", ">", "</", "<3", "<P>", "<SPAN>",
            "<span CLASS=x>", "<span class=x>", "<span class='y'>", '<span a="1" a="2">', "</span>", "<span>",
            "<em>", "</em>", "<strong>", "<i>", "<figure>", "</figure>", '<img src="a.png" alt="a > b">', "<hr>",
            "<dl>", "<dt>", "<dd>", "</body>", "</html>", "<body>", "<html>", "<head>", "</head>",
            '<meta charset="x">', "<style>x{}</style>", "<title>t</title>", "<svg>", "<math>", "<pre>", "\n", " ",
            "\t", "text", "<script>", "<textarea>", "<select>", "<option>", "<font>", "<nobr>", "<sup>1</sup>",
            "<h1>", "</h1>", "<h3>", "&lt;", "&gt;", "&quot;", "&#39;", "&#x27;", "<!DOCTYPE html>", "<main>",
            "<section>", "</section>", "<aside>", "<thead>", "<th>", "</tr>", "</tbody>", "<tfoot>", "<caption>",
            "<col>", "<b><b><b>", "</b></b></b>", "<a><a>", "<wbr>", "<p/>", "</br>", "</img>", "<style>",
            "</style>", "</STYLE>", "</title>", "</style >", "x" * 5000, "é" * 300, "</hr>", "</wbr>", "</meta>",
            "</link>", "<hr/>", "<p><hr></p>", "<span><hr></span>", "<dl><dt>t</dt></dl>", "<ol><li>x</li></ol>"]


def test_altered_documents_are_given_up_or_parsed_to_tinyhtml5s_tree(documents: dict[str, str]) -> None:
    texts = sorted(documents.values())
    chance = random.Random(20261208)
    fast = 0
    for _ in range(2500):
        text = chance.choice(texts)
        for _ in range(chance.randint(1, 3)):
            where = chance.randrange(len(text) + 1)
            roll = chance.random()
            if roll < 0.15:  # a piece cut out
                text = text[:where] + text[where + chance.randint(1, 20):]
                continue
            if roll < 0.4:  # at a tag's start: between elements
                where = text.find("<", where) % (len(text) + 1)
            text = text[:where] + chance.choice(INSERTED) + text[where:]
        tree = parsing.parse(text)
        if tree is not None:
            fast += 1
            assert difference(tree, _slow(text)) is None, text
    assert fast >= 300  # many altered documents stay plain: the comparison is made


TRAPS = {
    "a division in a paragraph (HTML5 closes the paragraph)": "<p>one <div>two</div> three</p>",
    "a list item outside a list": "<div><li>one</li></div>",
    "a second list item inside the first": "<ul><li>one<li>two</li></li></ul>",
    "a row without its table body": "<table><tr><td>cell</td></tr></table>",
    "words directly in a table (moved before it)": "<table>words<tbody></tbody></table>",
    "a link in a link": '<a href="a">one <a href="b">two</a></a>',
    "a heading in a heading": "<h2>one <h3>two</h3></h2>",
    "four nested equal b": "<b><b><b><b>x</b></b></b></b>",
    "an element left open": "<div><span>open</div>",
    "end tags out of order": "<div><span>x</div></span>",
    "a self-closed span (left open by HTML5)": "<span/>x",
    "a carriage return": "<p>one\r\ntwo</p>",
    "a NUL": "<p>one\x00two</p>",
    "a C1 control": "<p>one\x85two</p>",
    "a byte order mark": "<p>\ufeffone</p>",
    "a noncharacter": "<p>one\U0001fffe</p>",
    "a legacy reference without its semicolon": "<p>&copy 2024 &notit;</p>",
    "an unknown reference": "<p>&bogus;</p>",
    "a bare ampersand": "<p>Tom & Jerry</p>",
    "a reference tinyhtml5 replaces": "<p>&#128; &#0; &#xD800; &#x110000;</p>",
    "a lone less-than sign": "<p>1 < 2</p>",
    "an unquoted attribute": "<p class=x>one</p>",
    "an attribute in capitals": '<p CLASS="x">one</p>',
    "capitals in a tag": "<P>one</P>",
    "inline SVG": '<svg viewBox="0 0 1 1"><circle r="1"/></svg>',
    "a script": "<script>if (a < b) {}</script>",
    "a preformatted block (drops its first newline)": "<pre>\nx</pre>",
    "a comment that ends at once": "<!-->x",
    "a comment with two dashes": "<!-- a -- b -->",
    "a style ended in capitals": "<style>p{}</STYLE>",
    "an end tag of a rule (ignored by HTML5: its words follow the rule)": "<hr>words</hr>",
    "an end tag of a line break": "one<br>two</br>",
}


@pytest.mark.parametrize("trap", sorted(TRAPS))
def test_what_html5_restructures_is_left_to_tinyhtml5(trap: str) -> None:
    body = TRAPS[trap]
    text = (f"<!DOCTYPE html><html><head><title>t</title></head>\n<body>\n{body}\n</body></html>"
            if not body.startswith("<style") else f"<!DOCTYPE html><html><head>{body}</head><body></body></html>")
    assert parsing.parse(text) is None
    plain = text.replace(body, "<style>p{}</style>" if body.startswith("<style") else "<p>plain</p>")
    assert difference(parsing.parse(plain), _slow(plain)) is None  # the same document made plain takes the fast path


def test_the_document_around_the_body_is_tinyhtml5s() -> None:
    """White space and comments where HTML5 drops, moves or keeps them: before html and head (dropped), in the head,
    after it (html's), after the body and after html (the body's), and no end tags at all at the end."""
    for text in ['<!DOCTYPE html>\n <html lang="en">\n<head>\n  <meta charset="utf-8">\n  <!-- kept -->\n'
                 "<title>A &amp; B &#8288;</title>\n<style>a > b { content: '&amp;' }</style>\n</head>\n\n"
                 '<body class="x">\n<p title="&quot;q&quot; &lt;">one<br>two <img src="a.png" alt=""></p>\n'
                 "<table><thead><tr><th>h</th></tr></thead>\n<tbody>\n<tr> <td>c</td> </tr></tbody></table>\n"
                 "<ul>\n<li><p>x</p><ul><li>y</li></ul></li>\n</ul><dl><dt>t</dt><dd>d</dd></dl>\n<hr><span><hr/>r</span>"
                 "<!-- comment --> tail\n</body>\n</html>\n\n",
                 "<!DOCTYPE html><html><head></head><body><p>no end tags</p>",
                 "<!DOCTYPE html><html><head></head><body><b><b>two deep</b></b></body>  \n</html>  \n"]:
        tree = parsing.parse(text)
        assert tree is not None, text
        assert difference(tree, _slow(text)) is None, text


def test_hostile_sizes_parse_alike() -> None:
    """Deep nesting (20,000 spans; counted as they open, parsed in linear time: 0.2 s here), a huge run of text with every
    kind of reference, long attribute values, a tag of 100,000 attributes left unclosed (given up)."""
    deep = "<span>" * 20000 + "x" + "</span>" * 20000
    words = ("Tom &amp; Jerry &#233;t&eacute; &#x1F600; \u05e9\u05dc\u05d5\u05dd \u0627\u0644\u0633\u0644\u0627\u0645 " * 20000)
    title = "t" * 100000
    for body in (deep, f'<p title="{title}">{words}</p>', "<b><i>" * 2 + "x" + "</i></b>" * 2):
        text = f"<!DOCTYPE html><html><head></head><body>{body}</body></html>"
        assert difference(parsing.parse(text), _slow(text)) is None
    unclosed = '<!DOCTYPE html><html><head></head><body><p' + ' a="x"' * 100000 + "<p></body></html>"
    assert parsing.parse(unclosed) is None


def test_weasyprint_falls_back_to_tinyhtml5_for_anything_else() -> None:
    """``HTML()`` with what the fast path gives up on, with bytes, or with an encoding: tinyhtml5 parses it."""
    import weasyprint

    patches.install()
    before = list(parsing.ANSWERED)
    trap = "<!DOCTYPE html><html><head></head><body><p>one <div>two</div></p></body></html>"
    html = weasyprint.HTML(string=trap)
    assert [p.text for p in html.etree_element.iter("p")] == ["one ", None]  # tinyhtml5's: the paragraph closed
    assert parsing.ANSWERED[1] == before[1] + 1
    plain = "<!DOCTYPE html><html><head></head><body><p>one</p></body></html>"
    weasyprint.HTML(string=plain.encode())  # bytes: tinyhtml5's, never counted
    weasyprint.HTML(string=plain, encoding="utf-8")
    assert list(parsing.ANSWERED) == [before[0], before[1] + 1]
    weasyprint.HTML(string=plain)
    assert parsing.ANSWERED[0] == before[0] + 1
    parser = weasyprint.tinyhtml5
    assert parser.parse(io.StringIO(plain), namespace_html_elements=True).tag == "{http://www.w3.org/1999/xhtml}html"


BUILT = """\
import hashlib, json, sys
from pathlib import Path
from brochure import build
from brochure.render import parsing
out = Path(sys.argv[1])
found = {}
for index, name in enumerate(sys.argv[2:]):
    build.build_file(Path(name), out / str(index))
for path in sorted(out.rglob("*.pdf")):
    found[str(path.relative_to(out))] = hashlib.sha256(path.read_bytes()).hexdigest()
print(json.dumps([found, parsing.ANSWERED]))
"""


def test_pdfs_are_those_of_a_fresh_process_without_the_fast_path(tmp_path: Path) -> None:
    """Right to left, tables and a long handout, built in one process with the fast path and in another without."""
    names = [str(CORPUS[0].parent / name) for name in ("ar-rtl-trifold.yaml", "tables-trifold.yaml", "long-handout.yaml")]
    results = []
    for switch in ("on", "off"):
        env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", "BROCHURE_PARSING": switch}
        env.pop("BROCHURE_MEMOS", None)
        run = subprocess.run([sys.executable, "-c", BUILT, str(tmp_path / switch), *names], env=env, cwd=REPO,
                             capture_output=True, text=True, timeout=HANG)
        assert run.returncode == 0, run.stderr
        results.append(json.loads(run.stdout))
    (on, answered_on), (off, answered_off) = results
    assert len(on) >= 6 and on == off
    assert answered_on[0] >= 6 and answered_on[1] == 0 and answered_off == [0, 0]


def test_every_reference_tinyhtml5_reads_plainly_is_decoded_as_it_decodes_it() -> None:
    """Each named reference (all 2,231 of them, with their semicolon) and numeric ones at the edges of what is
    accepted, in text and in an attribute."""
    from html.entities import html5

    names = sorted(name for name in html5 if name.endswith(";"))
    numbers = ["&#9;", "&#10;", "&#32;", "&#126;", "&#160;", "&#x20AC;", "&#xD7FF;", "&#xE000;", "&#xFDCF;", "&#xFDF0;",
               "&#xFFFD;", "&#x10000;", "&#x1FFFD;", "&#x10FFFD;", "&#0000065;"]
    for chunk in range(0, len(names), 200):
        references = " ".join(f"&{name}" for name in names[chunk:chunk + 200]) + " ".join(numbers)
        text = f'<!DOCTYPE html><html><head></head><body><p title="{references}">{references}</p></body></html>'
        tree = parsing.parse(text)
        assert tree is not None
        assert difference(tree, _slow(text)) is None


ODD_HEAD = """<!DOCTYPE html><html lang="fr"><head><title>First &amp; only</title><title>second</title>
<meta name="Keywords" content="a, b,a"><meta name="author" content="X"><meta name="author" content="Y">
<link rel="stylesheet alternate" href="alt.css"><link rel="attachment" href="file.txt" title="A file">
<!-- <link rel="stylesheet" href="commented.css"> --><style media="screen">p{}</style></head>
<body><svg viewBox="0 0 1 1"><title>svg title</title><style>circle{}</style></svg>
<p><link rel="attachment" href="second.txt"><meta name="custom" content="in the body"><style>b{}</style></p>
<math><mi>x</mi></math></body></html>"""


def _metadata(found: dict[str, Any]) -> dict[str, Any]:
    # An attachment by what its element said (its source is a fetch yet to be made: a new object each time).
    return {**found, "attachments": [(a.name, a.description, a.relationship) for a in found["attachments"]]}


def test_the_head_is_read_from_elementtrees_walk_as_from_cssselect2s(documents: dict[str, str]) -> None:
    """``find_stylesheets`` and ``get_html_metadata`` are handed the elements of their tags in tree order, as
    cssselect2's ``query_all`` gives them less those both pass over (namespaced: an inline SVG's); the metadata of
    every document, and of one with odd heads (two titles, repeated and cased names, links and styles in the body
    and in SVG, a comment), is WeasyPrint's."""
    import weasyprint
    from weasyprint import document

    patches.install()
    wrapped = document.get_html_metadata
    assert wrapped.__wrapped__ is not None  # type: ignore[attr-defined]
    for text in [*documents.values(), ODD_HEAD]:
        html = weasyprint.HTML(string=text, base_url="file:///clinic/")
        for names in (("style", "link"), ("title", "meta", "link")):
            ours = [found.etree_element for found in parsing._Elements(html.etree_element).query_all(*names)]
            theirs = [wrapper.etree_element for wrapper in html.wrapper_element.query_all(*names)]
            assert ours == [element for element in theirs if element.tag in names]
            assert ours, names
        assert _metadata(wrapped(html)) == _metadata(wrapped.__wrapped__(html))  # type: ignore[attr-defined]
    theirs = [wrapper.etree_element.tag for wrapper in html.wrapper_element.query_all("style", "link", "title")]
    assert "{http://www.w3.org/2000/svg}title" in theirs  # what cssselect2 gives and both callers pass over
    metadata = _metadata(wrapped(html))
    assert metadata["title"] == "First & only" and metadata["authors"] == ["X", "Y"]
    assert metadata["custom"] == {"custom": "in the body"} and len(metadata["attachments"]) == 2


def test_every_pair_of_tags_it_knows_is_given_up_or_parsed_alike() -> None:
    """Each tag the fast path handles (and some it gives up on) inside, after and around each other, closed in order
    or not, in the body and in a table cell: given up, or tinyhtml5's tree. (All seven forms in five places, 65,000
    documents parsed here, gave the same: bench time, not test time.)"""
    tags = sorted(parsing._CLOSE_P | parsing._FORMATTING | parsing._VOID | parsing._PLAIN | set(parsing._LIST_ITEMS)
                  | {"a", "thead", "tbody", "tfoot", "tr", "td", "th", "pre", "button", "input", "nobr", "image",
                     "script", "style", "title", "meta", "svg", "caption", "hr", "br", "img", "wbr", "div", "p", "li",
                     "span", "b", "table", "ul", "dl", "dd", "h2", "figure", "sup"})  # named too: not only the sets
    forms = ("<{o}><{i}>t</{i}>u</{o}>", "<{o}>t<{i}>u</{o}>", "<{o}><{i}><{i}>t</{i}></{i}></{o}>")
    fast = 0
    for outer in tags:
        for inner in tags:
            for form in forms:
                body = form.format(o=outer, i=inner)
                for place in ("{}", "<table><tbody><tr><td>{}</td></tr></tbody></table>"):
                    text = f"<!DOCTYPE html><html><head></head><body>{place.format(body)}</body></html>"
                    tree = parsing.parse(text)
                    if tree is not None:
                        fast += 1
                        assert difference(tree, _slow(text)) is None, body
    assert fast > 10_000
