"""Review of render.parsing (session 11): documents the fast path read otherwise than tinyhtml5, or too slowly.

- ``<hr>`` was pushed like a container: ``<hr>text</hr>`` gave the ``hr`` the text tinyhtml5 makes its tail (and any
  other ``<hr>``, as Markdown's ``---`` writes it, sent the whole document to tinyhtml5).
- (Held on 299a516, fixed on branch early by c1c7829 meanwhile, tested there: each start tag read the whole stack of
  open elements, so a document nested thousands deep took the square of its depth: 16,000 nested spans 19 s
  against tinyhtml5's 1.5 s.)
- A ``StringIO`` already read in part was parsed whole; tinyhtml5 reads it from where it is.
- Documents made at random of every element the fast path reads (and a few it must not), nested and cut at random:
  each is given up or parsed to tinyhtml5's tree.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
import tinyhtml5
from conftest import seed_project
from test_parsing import difference

from brochure.prepared import prepare
from brochure.render import parsing, patches
from brochure.units import Unit

HEAD = "<!DOCTYPE html><html><head><title>t</title></head><body>"


def _slow(text: str) -> object:
    return tinyhtml5.parse(text, namespace_html_elements=False)


def _same_or_given_up(text: str) -> str | None:
    tree = parsing.parse(text)
    return None if tree is None else difference(tree, _slow(text))


@pytest.mark.parametrize("body", ["<hr>words</hr>", "<p>one</p><hr>two</hr>", "<hr><span>in</span> tail</hr>",
                                  '<hr class="x">&amp;</hr>'])
def test_text_after_a_horizontal_rule_is_its_tail_as_in_tinyhtml5(body: str) -> None:
    """tinyhtml5 inserts ``hr`` and pops it at once (start_tag_hr) and ignores ``</hr>``."""
    text = f"{HEAD}{body}</body></html>"
    assert _same_or_given_up(text) is None


@pytest.mark.parametrize("body", ["<hr>", "<hr/>", "<hr />", '<hr class="rule">', "<div><hr></div>",
                                  "<ul><li>a<hr>b</li></ul>"])
def test_a_horizontal_rule_takes_the_fast_path(body: str) -> None:
    text = f"{HEAD}<p>before</p>{body}<p>after</p></body></html>"
    tree = parsing.parse(text)
    assert tree is not None
    assert difference(tree, _slow(text)) is None
    assert parsing.parse(f"{HEAD}<p>in a paragraph {body}</p></body></html>") is None  # closes the paragraph: tinyhtml5's


def test_markdowns_thematic_break_takes_the_fast_path_to_tinyhtml5s_tree(tmp_path: Path) -> None:
    """A body with ``---`` between paragraphs (an ``hr`` in the HTML): the print and the email document."""
    patches.install()
    content = seed_project(tmp_path, ("      therapist makes.\n", "      therapist makes.\n\n      ---\n\n      After the rule.\n"))
    made = prepare(Unit(content, content.name, None))
    assert made
    for one in made:
        assert "<hr" in one.html and "After the rule." in one.html, one.output
        tree = parsing.parse(one.html)
        assert tree is not None, one.output
        assert difference(tree, _slow(one.html)) is None, one.output


def test_a_stringio_read_in_part_is_parsed_from_where_it_is() -> None:
    import weasyprint

    patches.install()
    text = f"{HEAD}<p>one</p></body></html>"
    stream = io.StringIO(text)
    stream.seek(len(HEAD) + len("<p>"))
    before = list(parsing.ANSWERED)
    tree = weasyprint.tinyhtml5.parse(stream, namespace_html_elements=False)
    assert difference(tree, _slow(text[len(HEAD) + len("<p>"):])) is None
    assert tree.find("body").text == "one"  # read from "one</p>": the words are the body's, as tinyhtml5 reads them
    assert list(parsing.ANSWERED) == before


# Every element the fast path reads in the body, and some it must leave to tinyhtml5 (their handling differs).
NAMES = ["p", "div", "span", "b", "i", "em", "strong", "a", "ul", "ol", "li", "dl", "dt", "dd", "h1", "h2", "h3",
         "table", "thead", "tbody", "tfoot", "tr", "td", "th", "hr", "br", "img", "wbr", "area", "embed", "keygen",
         "param", "source", "track", "section", "figure", "figcaption", "blockquote", "code", "font", "s", "small",
         "sub", "sup", "q", "cite", "abbr", "time", "data", "bdi", "bdo", "ins", "del", "mark", "main", "nav",
         "details", "summary", "center", "address", "fieldset", "menu", "dir", "hgroup", "u", "tt", "big", "strike",
         "kbd", "samp", "var", "dfn", "button", "nobr", "rt", "ruby", "select", "form", "pre", "listing", "template",
         "caption", "col", "object", "image", "title", "style", "meta", "body"]
TEXTS = ["x", " ", "\n", "\t", "&amp;", "&#32;", "&#10;", "&nbsp;", "&#x41;", "&lt;", ">", "'", '"', "=", "/", "é",
         "\u05d0", "  \n ", "&quot;", "&#x10FFFD;", "&Aacute;", "--", "-", "!"]
ATTRIBUTES = ['', ' class="c"', " title='t'", ' title="&amp;&#34;"', ' hidden', ' id="a" id="b"', ' data-x="1"',
              ' alt="a > b < c"', ' lang="ar" dir="rtl"', ' title=""', ' a-b.c_d="1"', '\n class="x"\t', ' href="x"']
COMMENTS = ["<!---->", "<!-- c -->", "<!-- - -->", "<!--<-->", "<!--!-->", "<!--->-->"]
HEADS = ["", '<meta charset="utf-8">', "\n", "<!-- h -->", "<title>a &amp; b</title>", "<style>p > a { x: '&amp;' }</style>",
         '<link rel="stylesheet" href="a.css"/>', '<base href="x/">', "<title></title>", " \t"]


def _node(chance: random.Random, depth: int) -> str:
    roll = chance.random()
    if roll < 0.3 or depth > 6:
        return chance.choice(TEXTS)
    if roll < 0.35:
        return chance.choice(COMMENTS)
    name = chance.choice(NAMES)
    attributes = chance.choice(ATTRIBUTES) if chance.random() < 0.3 else ""
    slash = "/" if chance.random() < 0.05 else ""
    inner = "".join(_node(chance, depth + 1) for _ in range(chance.randint(0, 3)))
    end = f"</{name}>" if chance.random() < 0.97 else ""
    return f"<{name}{attributes}{slash}>{inner}{end}"


def test_random_documents_of_every_element_read_are_given_up_or_parsed_to_tinyhtml5s_tree() -> None:
    chance = random.Random(20261208)
    fast = 0
    for _ in range(4000):
        head = "".join(chance.choice(HEADS) for _ in range(chance.randint(0, 4)))
        body = "".join(_node(chance, 0) for _ in range(chance.randint(1, 4)))
        before, between = chance.choice(["", "\n", " "]), chance.choice(["", "\n", " "])
        after = chance.choice(["", "\n", "  \n", "</body>", "</body>\n</html>\n", "</body></html>"])
        text = f"<!DOCTYPE html>{before}<html>{before}<head>{head}</head>{between}<body>{body}{after}"
        tree = parsing.parse(text)
        if tree is not None:
            fast += 1
            assert difference(tree, _slow(text)) is None, text
    assert fast >= 800  # many take the fast path: the comparison is made
