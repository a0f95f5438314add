"""Dialect: the Markdown a body is written in, and the mistakes in its blocks, as sentences.

CommonMark, plus what patient-education guides ask for: pipe tables, callouts
(``::: warning When to call 911`` ... ``:::``, or GitHub's ``> [!WARNING]``), checklists
(``- [ ] Your insurance card``), footnotes (``[^1]`` and ``[^1]: the source``) and pictures
with a size, place and caption (``![What it shows](file.png "Caption"){.half .right}``).
Every block comes from markdown-it-py or mdit-py-plugins; nothing is parsed by hand.

One syntax for all who read a body: the content model (pictures and notes are checked
here), the checks (which words are sentences) and ``render.blocks`` (which adds HTML).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.footnote import footnote_plugin

# Callout kinds and the word each is labelled with; GitHub's five alert kinds are all here.
CALLOUTS = {"warning": "Warning", "caution": "Caution", "important": "Important", "tip": "Tip", "note": "Note"}
SIZES = {"full", "half", "third"}  # of the column's width
PLACES = {"left", "center", "right"}
_NOTE_REF = re.compile(r"\[\^([^\]\s]+)\]")

# English abbreviations after which a full stop never ends a sentence (they come before a
# name or an example), without their last full stop: the checks' sentence counts and the
# tri-fold's panel breaks (render.flow) read this one list. Not "no": "No." ends answers.
NEVER_END = frozenset({"dr", "mr", "mrs", "ms", "prof", "st", "vs", "e.g", "i.e", "approx", "cf", "fig"})


def _callout(kind: str) -> Any:
    def validate(params: str, *_: Any) -> bool:
        words = params.strip().split(maxsplit=1)
        return bool(words) and words[0].lower() == kind

    return validate


# Blocks inside blocks (a list in a callout in a list...): deeper than this, a handout is hard
# to follow, and the layout's cost grows with the depth; refused at the body's key.
MAX_NESTING = 5
_CONTAINERS = ("bullet_list_open", "ordered_list_open", "blockquote_open", "alert_open")


def extend(md: MarkdownIt, braces: bool = True) -> MarkdownIt:
    """Teach ``md`` brochure's blocks; the HTML they become is ``render.blocks``'s business.
    Without ``braces``, a picture's ``{...}`` stays text: what ``problems`` checks it from."""
    md.enable(["table", "image"])
    md.options["tasklists"] = True  # "- [ ] ..." items (markdown-it-py 4.1 and later)
    md.options["alerts"] = True  # "> [!WARNING]" blockquotes
    md.use(footnote_plugin, inline=False)
    for kind in CALLOUTS:
        md.use(container_plugin, kind, validate=_callout(kind))
    # Braces only after a picture, and only classes in them: {.half .right}
    if braces:
        md.use(attrs_plugin, after=("image",), allowed=("class",))
    return md


@lru_cache(maxsize=1)
def parser() -> MarkdownIt:
    """A parser of the dialect (HTML in the text stays text)."""
    return extend(MarkdownIt("commonmark", {"html": False}))


@lru_cache(maxsize=1)
def _bare_parser() -> MarkdownIt:
    """The dialect with a picture's braces left as text, as written."""
    return extend(MarkdownIt("commonmark", {"html": False}), braces=False)


def _braces(text: str) -> list[str]:
    """The braces written right after each picture (``{.half .right}``), in order; "" for none.

    Read from the text itself: the renderer's parser drops silently what it does not take
    (``{width=50}``, ``{#id}``, ``{% a comment %}``), and nothing may be dropped silently.
    """
    found = []
    for token in _bare_parser().parse(text):
        children = token.children or []
        for index, child in enumerate(children):
            if child.type != "image":
                continue
            after = children[index + 1].content if index + 1 < len(children) and children[index + 1].type == "text" else ""
            raw = ""
            while after.startswith("{"):  # {.half}{.right} is two groups
                end = after.find("}")
                raw, after = (raw + after, "") if end < 0 else (raw + after[:end + 1], after[end + 1:])
            found.append(raw)
    return found


def _brace_problem(name: str, raw: str) -> str | None:
    """What is wrong with the braces after a picture: only its size and place, like {.half .right}."""
    allowed = "use .full, .half or .third for its width and .left, .center or .right for where it sits"
    if raw.count("{") != raw.count("}"):
        return f"{name}: the braces '{raw}' are not closed; write them like {{.half .right}}"
    words = [word for group in raw.split("}") for word in group.replace("{", " ").split()]
    for word in words:
        if word.startswith(".") and word[1:] not in SIZES | PLACES:
            return f"{name}: '{word}' is not a size or place; {allowed}"
        if not word.startswith("."):
            return f"{name}: '{word}' cannot be given in its braces, which take only a size and a place; {allowed}"
    if raw and not words:
        return f"{name}: its braces '{raw}' are empty; remove them, or {allowed}"
    return None


def _too_deep(tokens: Sequence[Token]) -> str | None:
    """Lists, quotes and callouts nested more than ``MAX_NESTING`` deep, with the text's line."""
    depth = 0
    for token in tokens:
        opens = token.type in _CONTAINERS or (token.type.startswith("container_") and token.nesting == 1)
        closes = token.type.replace("_close", "_open") in _CONTAINERS or (
            token.type.startswith("container_") and token.nesting == -1)
        if opens:
            depth += 1
            if depth > MAX_NESTING:
                line = f" (the text's line {token.map[0] + 1})" if token.map else ""
                return (f"lists, quotes and callouts are nested more than {MAX_NESTING} deep here{line}; "
                        "a handout reads best with at most two levels: make the inner ones paragraphs of their own")
        elif closes:
            depth -= 1
    return None


# Parsed texts, kept per process: a handout's every Markdown text is read by the content
# model, the notes, the pictures, the links and the checks, and a batch's variants share
# their texts. The tokens are shared: read them, never change them.
_PARSED_MAX = 512


@lru_cache(maxsize=_PARSED_MAX)
def tokens(text: str, defined: frozenset[str] | None = None) -> tuple[Token, ...]:
    """``text`` parsed in the dialect (read-only); with ``defined``, in an environment where
    ``[^label]`` finds a note of the document with one of these labels (``seeded``)."""
    if defined is None:
        return tuple(parser().parse(text))
    return tuple(parser().parse(text, seeded(defined)))


@lru_cache(maxsize=_PARSED_MAX)
def _defined(text: str) -> frozenset[str]:
    """The labels of the notes ``text`` defines."""
    env: dict[str, Any] = {}
    parser().parse(text, env)
    return frozenset(label[1:] for label in env.get("footnotes", {}).get("refs", {}))


def callout_title(token: Token) -> tuple[str, str]:
    """(kind, title) of a callout's opening token: ``::: warning When to call 911``."""
    if token.type == "alert_open":
        return str(token.meta["kind"]).lower(), ""
    kind, _, title = token.info.strip().partition(" ")
    return kind.lower(), title.strip()


def is_callout(token: Token) -> bool:
    return token.type == "alert_open" or (token.type.startswith("container_") and token.nesting == 1)


@dataclass(frozen=True)
class Picture:
    """A picture in a Markdown text: its file, words, caption, size and place."""

    src: str  # the file as written, percent-escapes decoded
    alt: str
    caption: str
    classes: tuple[str, ...]
    alone: bool  # a paragraph of its own (or a table cell's only content)
    in_table: bool


def _walk(tokens: Sequence[Token]) -> list[tuple[Token, Token, bool]]:
    """Each inline child with its inline token and whether it sits in a table."""
    found = []
    in_table = 0
    for token in tokens:
        in_table += token.type == "table_open"
        in_table -= token.type == "table_close"
        for child in token.children or []:
            found.append((child, token, bool(in_table)))
    return found


def pictures(text: str) -> list[Picture]:
    """Every picture in ``text``, in order."""
    return list(_pictures(text))


@lru_cache(maxsize=_PARSED_MAX)
def _pictures(text: str) -> tuple[Picture, ...]:
    found = []
    for child, inline, in_table in _walk(tokens(text)):
        if child.type != "image":
            continue
        others = [c for c in inline.children or [] if c is not child and (c.type != "text" or c.content.strip())]
        found.append(Picture(unquote(str(child.attrs.get("src", ""))), child.content.strip(),
                             str(child.attrs.get("title", "")).strip(),
                             tuple(str(child.attrs.get("class", "")).split()), not others, in_table))
    return tuple(found)


@dataclass(frozen=True)
class NoteLabels:
    """The footnote labels of a document (all its Markdown texts): defined, and referred to."""

    defined: frozenset[str]
    referred: frozenset[str]


def seeded(labels: frozenset[str]) -> dict[str, Any]:
    """A parse environment in which ``[^label]`` finds its note in any text of the document."""
    return {"footnotes": {"refs": {f":{label}": -1 for label in sorted(labels)}, "list": {}}}


def note_labels(texts: list[str]) -> NoteLabels:
    """Which notes the texts of one document define, and which they refer to (in any of them)."""
    defined = frozenset[str]().union(*(_defined(text) for text in texts))
    referred = {str(child.meta["label"]) for text in texts
                for child, _, _ in _walk(tokens(text, defined))
                if child.type == "footnote_ref" and child.meta.get("label")}
    return NoteLabels(frozenset(defined), frozenset(referred))


def problems(text: str, document: NoteLabels | None = None) -> list[str]:
    """What is wrong with the blocks of a Markdown text, one sentence each (pictures' files aside).

    ``document``: the notes of all the texts of the handout, where a reference may find its
    note (and a note its reference); without it, this text alone.
    """
    own = note_labels([text])
    document = document or own
    parsed = tokens(text, document.defined)
    found = []
    deep = _too_deep(parsed)
    if deep:
        return [deep]  # the blocks below it are not what the writer meant: fix this first
    braces = _braces(text)
    for index, picture in enumerate(pictures(text)):
        name = f"the picture '{picture.src}'"
        if not picture.alt:
            found.append(f"{name} has no words for screen readers: write what it shows between the brackets, "
                         f"like ![A nurse checks the drip]({picture.src})")
        wrong = _brace_problem(name, braces[index]) if index < len(braces) else None
        if wrong:
            found.append(wrong)
        if len([c for c in picture.classes if c in SIZES]) > 1 or len([c for c in picture.classes if c in PLACES]) > 1:
            found.append(f"{name} has two sizes or two places; give at most one of each, like {{.half .right}}")
        if picture.in_table:
            found.append(f"{name} is in a table; put pictures between paragraphs, not in table cells")
        elif not picture.alone:
            found.append(f"{name} is inside a paragraph; give it a paragraph of its own (a blank line before and after)")
    found += [f"the note [^{label}] is never referred to; put [^{label}] after the words it supports"
              for label in sorted(own.defined - document.referred)]
    for child, _, _ in _walk(parsed):
        if child.type == "text":
            for label in _NOTE_REF.findall(child.content):
                found.append(f"[^{label}] refers to no note; add a line '[^{label}]: where this comes from', "
                             "after a blank line, at the end of this text or of the last section")
    for token in parsed:
        words = token.content.strip() if token.type == "inline" else ""
        fence = re.match(r":{3,}\s*(\S+)", words)
        alert = re.match(r"\[!(\w+)\]", words)
        if (fence and fence.group(1).lower() not in CALLOUTS) or (alert and alert.group(1).lower() not in CALLOUTS):
            kind = (fence or alert).group(1)  # type: ignore[union-attr]
            found.append(f"'{kind}' is not a kind of callout; use warning, important or tip (or caution, note)")
    return list(dict.fromkeys(found))
