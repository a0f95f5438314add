"""Blocks: the HTML of tables, callouts, checklists, pictures and notes in a Markdown body.

``install(parser)`` teaches markup's parser the dialect (``content.dialect``) and rewrites
its blocks, as core rules, into plain tokens the default renderer writes:

- a table's header cells get ``scope="col"``, and every cell its column's header as
  ``data-label`` (a narrow tri-fold panel stacks the rows and prints the labels);
- a callout is an ``<aside>`` whose first line says its kind in words ("Warning: When to
  call 911"), never by colour alone;
- a checklist item has no ``<input>``: its box is drawn by blocks.css, to be ticked with a pen;
- a picture alone in its paragraph is a ``<figure>`` of its size and place, its title the caption;
- a footnote reference is a number linking to its note. With a ``Notes`` object shared by
  every body of a document, the numbers run through the whole handout and ``Notes.html()``
  prints the notes once, at the end; without one, a body's notes follow it.

``data-pdf-*`` attributes say what the email PDF's structure tree calls an element
(``render.roles``); the content can never set them (braces only take classes, after pictures).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, Literal

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup, escape

from ..content import Brochure, dialect
from ..content.fields import one_line

_NOTES = "brochure_notes"  # the env key of a document's notes
LANG = "brochure_lang"  # the env key of the document's language: markup links its emergency numbers
MERGED = "brochure_merged"  # the env key of the values fields put in the text: markup never hyphenates them
Words = Callable[[str], str]  # a label by its key (``render.labels.Labels``): "callout_warning" -> "Warning"
_ENGLISH = {**{f"callout_{kind}": word for kind, word in dialect.CALLOUTS.items()},
            "sources": "Sources", "box_to_tick": "Box to tick", "ticked_box": "Ticked box"}
_BODY_LABELS = tuple(key for key in _ENGLISH if key != "sources")  # those a body prints ("Sources": html())


# What blocks.css styles, as a document's HTML shows it: these elements, and classes that begin
# with these words (note: note-ref, notes, note-number). Every rule of blocks.css names one of them
# (tests/test_blocks_css.py), so a document with none has no element blocks.css could style, and
# base.html leaves the stylesheet out: WeasyPrint would parse it, compile its selectors and try
# them on every element for nothing (about a tenth of the Python work of rendering the seed, which
# has no block), and the pages are the same without it.
STYLED_TAGS = ("table", "ol")  # a table (its rows and cells are inside it); a numbered list (steps)
STYLED_CLASSES = ("callout", "task-list", "contains-task-list", "ticked", "picture", "note", "references")
_TAGS, _CLASSES = "|".join(STYLED_TAGS), "|".join(map(re.escape, STYLED_CLASSES))
_STYLED = re.compile(rf"<(?:{_TAGS})[\s/>]|\bclass\s*=\s*[\"']?[^\"'>]*?(?<![\w-])(?:{_CLASSES})", re.IGNORECASE)


def styled(html: str) -> bool:
    """Whether ``html`` may have an element blocks.css styles (a table, numbered list, callout,
    checklist, picture or note): only then does a document need the stylesheet. It errs on the
    side of yes (a class ``notebook``, those words in text)."""
    return _STYLED.search(html) is not None


def _label(env: Any, key: str) -> str:
    """A label in the document's language (its ``Notes``' labels), else in English."""
    words = env.get(_NOTES, {}).get("labels") if isinstance(env, dict) else None
    return str(words(key)) if words is not None else _ENGLISH[key]


def label_words(env: Any) -> tuple[str | None, ...]:
    """The labels a body's blocks may print (callouts' kinds, the checklist box's spoken
    name), as ``_label`` reads them from ``env``: part of a memo's key (``markup``). A label
    the language lacks is None: a body that needs it fails, and is never remembered."""
    words = env.get(_NOTES, {}).get("labels") if isinstance(env, dict) else None
    if words is None:
        return ()
    found: list[str | None] = []
    for key in _BODY_LABELS:
        try:
            found.append(str(words(key)))
        except Exception:  # whatever a lookup raises, the body that needs the label raises too
            found.append(None)
    return tuple(found)


def install(parser: MarkdownIt) -> None:
    """Add the dialect and its HTML to ``parser``; call it after markup's own core rules."""
    dialect.extend(parser)
    parser.core.ruler.after("block", "brochure_note_numbers", _keep_numbers)
    parser.core.ruler.push("brochure_tables", _tables)
    parser.core.ruler.push("brochure_lists", _lists)
    parser.core.ruler.push("brochure_callouts", _callouts)
    parser.core.ruler.push("brochure_checklists", _checklists)
    parser.core.ruler.push("brochure_figures", _figures)
    parser.core.ruler.push("brochure_notes", _notes)  # last: the notes have had their links made
    parser.add_render_rule("footnote_ref", _note_ref)
    parser.add_render_rule("footnote_block_open", lambda *_: '<div class="notes">\n')
    parser.add_render_rule("footnote_block_close", lambda *_: "</div>\n")
    parser.add_render_rule("footnote_open", _note_open)
    parser.add_render_rule("footnote_close", lambda *_: "</div>\n")
    parser.add_render_rule("footnote_anchor", lambda *_: "")  # no "back" arrow: a glyph Open Sans lacks


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _inline(children: list[Token]) -> Token:
    token = Token("inline", "", 0)
    token.children = children
    token.content = "".join(c.content for c in children)
    return token


def _block(kind: str, tag: str, nesting: Literal[-1, 0, 1], **attrs: str) -> Token:
    token = Token(kind, tag, nesting)
    token.block = True
    token.attrs = dict(attrs)
    return token


def _words(inline: Token) -> str:
    return "".join(c.content for c in inline.children or [] if c.type in ("text", "code_inline")).strip()


# -- tables ---------------------------------------------------------------------------------

# A table of up to this many rows stays whole (with the paragraph before it); one of this many
# columns or more is stacked on a tri-fold panel. Said by classes in the HTML, not by CSS
# selectors that count (:has(tr:nth-child(7))): those cost time growing with the cells squared.
SHORT_TABLE_ROWS = 6
STACKED_COLUMNS = 3  # stacked on a tri-fold panel
DENSE_COLUMNS = 4  # set a step smaller
WIDE_COLUMNS = 5  # stacked on a page too
SHORT_LIST_ITEMS = 5


def _tables(state: StateCore) -> None:
    """Header cells with their scope; every cell with its column's header, for stacked rows;
    the table's shape (short, stacked) and each row's first cell as classes for blocks.css."""
    headers: list[str] = []
    column, in_head, rows = 0, False, 0
    opened: Token | None = None
    last_row: Token | None = None
    for index, token in enumerate(state.tokens):
        if token.type == "table_open":
            headers, rows, opened, last_row = [], 0, token, None
            token.attrJoin("class", "table")
        elif token.type == "table_close" and opened is not None:
            if rows <= SHORT_TABLE_ROWS:
                opened.attrJoin("class", "table-short")
            for columns, name in ((STACKED_COLUMNS, "table-stacked"), (DENSE_COLUMNS, "table-dense"),
                                  (WIDE_COLUMNS, "table-wide")):
                if len(headers) >= columns:
                    opened.attrJoin("class", name)
            if last_row is not None:
                last_row.attrJoin("class", "table-last-row")
        elif token.type in ("thead_open", "thead_close"):
            in_head = token.nesting == 1
        elif token.type == "tr_open":
            column = 0
            if not in_head:
                rows += 1
                last_row = token
        elif token.type == "th_open" and in_head:
            token.attrSet("scope", "col")
            headers.append(_words(state.tokens[index + 1]))
        elif token.type == "td_open":
            if column == 0:
                token.attrJoin("class", "table-first-cell")
            if column < len(headers) and headers[column]:
                token.attrSet("data-label", headers[column])
            column += 1


def _lists(state: StateCore) -> None:
    """A list of up to ``SHORT_LIST_ITEMS`` items is marked ``list-short``: it stays whole, with
    the paragraph before it (brochure.css), counted here rather than by an nth-child selector."""
    opened: list[tuple[Token, int]] = []
    for token in state.tokens:
        if token.type in ("bullet_list_open", "ordered_list_open"):
            opened.append((token, 0))
        elif token.type == "list_item_open" and opened and token.level == opened[-1][0].level + 1:
            opened[-1] = (opened[-1][0], opened[-1][1] + 1)
        elif token.type in ("bullet_list_close", "ordered_list_close") and opened:
            list_token, items = opened.pop()
            if items <= SHORT_LIST_ITEMS:
                list_token.attrJoin("class", "list-short")


# -- callouts -------------------------------------------------------------------------------

def _callouts(state: StateCore) -> None:
    """``::: warning Title`` and ``> [!WARNING]`` as one ``<aside>``, labelled in words."""
    tokens: list[Token] = []
    skip = 0
    for token in state.tokens:
        if skip:
            skip -= 1
            continue
        if dialect.is_callout(token):
            kind, title = dialect.callout_title(token)
            word = _label(state.env, f"callout_{kind}") if kind in dialect.CALLOUTS else kind.capitalize()
            label = f"{word}: {title}" if title else word
            opened = _block("callout_open", "aside", 1, **{
                "class": f"callout callout-{kind}", "data-pdf-role": "Div", "data-pdf-title": label})
            opened.map = token.map
            children = [Token("strong_open", "strong", 1), _text(word + (":" if title else "")),
                        Token("strong_close", "strong", -1)]
            if title:
                children.append(_text(" " + title))
            tokens += [opened, _block("paragraph_open", "p", 1, **{"class": "callout-label"}), _inline(children),
                       _block("paragraph_close", "p", -1)]
            if token.type == "alert_open":
                skip = 3  # GitHub's own title paragraph: the label above says it
        elif token.type == "alert_close" or (token.type.startswith("container_") and token.nesting == -1):
            tokens.append(_block("callout_close", "aside", -1))
        else:
            tokens.append(token)
    state.tokens = tokens


# -- checklists -----------------------------------------------------------------------------

def _checklists(state: StateCore) -> None:
    """A "- [ ]" item as a list item whose box blocks.css draws; "- [x]" is drawn ticked."""
    for token in state.tokens:
        if token.type == "list_item_open" and token.meta and "checked" in token.meta:
            ticked = bool(token.meta.pop("checked"))
            token.attrJoin("class", "ticked" if ticked else "unticked")
            # What a screen reader says for the box (the list item's label).
            token.attrSet("data-pdf-label", _label(state.env, "ticked_box" if ticked else "box_to_tick"))


# -- pictures -------------------------------------------------------------------------------

def _figures(state: StateCore) -> None:
    """A picture alone in its paragraph as a figure: its size, place and caption."""
    tokens = state.tokens
    out: list[Token] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        inline = tokens[index + 1] if index + 1 < len(tokens) else None
        if token.type == "paragraph_open" and inline is not None and inline.type == "inline":
            shown = [c for c in inline.children or [] if c.type != "text" or c.content.strip()]
            if len(shown) == 1 and shown[0].type == "image":
                out += _figure(shown[0])
                index += 3
                continue
        out.append(token)
        index += 1
    state.tokens = out


def _figure(image: Token) -> list[Token]:
    classes = str(image.attrs.pop("class", "")).split()
    size = next((c for c in classes if c in dialect.SIZES), "full")
    place = next((c for c in classes if c in dialect.PLACES), "left")
    caption = str(image.attrs.pop("title", "")).strip()
    opened = _block("figure_open", "figure", 1, **{
        "class": f"picture picture-{size} picture-{place}", "data-pdf-role": "Div"})
    made = [opened, _inline([image])]
    if caption:
        made += [_block("figcaption_open", "figcaption", 1), _inline([_text(caption)]),
                 _block("figcaption_close", "figcaption", -1)]
    return made + [_block("figure_close", "figure", -1)]


# -- notes ----------------------------------------------------------------------------------

def _note_ref(self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    number = int(tokens[idx].meta["id"]) + 1
    return (f'<sup class="note-ref" data-pdf-role="Reference"><a href="#note-{number}">{number}</a></sup>')


def _note_open(self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    number = int(tokens[idx].meta["id"]) + 1
    return f'<div class="note" id="note-{number}" data-pdf-role="Note">\n'


def _numbered(body: list[Token], number: int) -> list[Token]:
    """The note's first paragraph starts with its number."""
    first = next((t for t in body if t.type == "inline"), None)
    if first is not None:
        mark = Token("html_inline", "", 0)
        mark.content = f'<span class="note-number">{number}.</span> '
        first.children = [mark, *(first.children or [])]
    return body


def _keep_numbers(state: StateCore) -> None:
    """A note defined again in a later body keeps the number it was first given."""
    shared = state.env.get(_NOTES) if isinstance(state.env, dict) else None
    refs = state.env.get("footnotes", {}).get("refs", {}) if shared is not None else {}
    for label, number in (shared or {}).get("numbers", {}).items():
        if refs.get(label, 0) < 0:
            refs[label] = number


def _notes(state: StateCore) -> None:
    """Number each note; with a shared ``Notes``, keep the notes for the end of the handout."""
    tokens = state.tokens
    start = next((i for i, t in enumerate(tokens) if t.type == "footnote_block_open"), None)
    if start is None:
        return
    block, body = tokens[start:], dict[int, list[Token]]()
    current: list[Token] | None = None
    for token in block:
        if token.type == "footnote_open":
            current = body.setdefault(int(token.meta["id"]), [])
        elif token.type == "footnote_close":
            current = None
        elif current is not None and token.type != "footnote_anchor":
            current.append(token)
    shared = state.env.get(_NOTES) if isinstance(state.env, dict) else None
    if shared is not None:
        shared["numbers"] = {k: v for k, v in state.env["footnotes"]["refs"].items() if v >= 0}
    if shared is None:  # no document to gather them in: they follow their body
        for number, tokens_of in body.items():
            _numbered(tokens_of, number + 1)
        return
    state.tokens = tokens[:start]
    shared["parser"] = state.md
    for number, tokens_of in body.items():
        if tokens_of and number not in shared["bodies"]:
            shared["bodies"][number] = _numbered(tokens_of, number + 1)


class Notes:
    """The notes of one document: pass it to every ``markdown()`` of the document, in reading
    order, then print ``html()`` at its end. ``labels``: the words of the document's language
    (callouts' kinds, "Sources", the checklist box's spoken name); English without them."""

    def __init__(self, brochure: Brochure | None = None, labels: Words | None = None) -> None:
        texts = [brochure.intro or "", *(s.body for s in brochure.sections)] if brochure else []
        # Every label the article defines is known from the first body on: a [^1] may find
        # its note in a later body (the content model has checked that each one does).
        self.env: dict[str, Any] = dialect.seeded(dialect.note_labels(texts).defined)
        self.env[_NOTES] = {"bodies": {}, "numbers": {}, "parser": None, "labels": labels}
        self.env[LANG] = brochure.lang if brochure else "en"
        self.env[MERGED] = merged_values(brochure) if brochure else ()

    def html(self) -> Markup:
        """The notes, numbered, under the heading "Sources" (in the document's language);
        nothing when there are none."""
        shared = self.env[_NOTES]
        parser: MarkdownIt | None = shared["parser"]
        if parser is None or not shared["bodies"]:
            return Markup("")
        tokens = [Token("footnote_block_open", "", 1)]
        for number in sorted(shared["bodies"]):
            opened = Token("footnote_open", "", 1)
            opened.meta = {"id": number}
            tokens += [opened, *shared["bodies"][number], Token("footnote_close", "", -1)]
        tokens.append(Token("footnote_block_close", "", -1))
        notes = parser.renderer.render(tokens, parser.options, self.env)
        heading = escape(_label(self.env, "sources"))
        return Markup(f'<section class="references">\n<h2>{heading}</h2>\n{notes}</section>\n')


def merged_values(brochure: Brochure) -> tuple[str, ...]:
    """The values a ``{clinic.x}`` or ``{location.x}`` field puts in this brochure's text, as
    they read there (an address on one line): names, places, addresses, hours."""
    clinic = brochure.clinic
    given = [clinic.name, clinic.phone, clinic.website, clinic.email, clinic.address,
             *(brochure.location or {}).values()]
    return tuple(dict.fromkeys(one_line(value) for value in given if isinstance(value, str) and value.strip()))
