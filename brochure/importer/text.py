"""Plain text and Markdown articles as ``Item``s: headings and blocks of Markdown.

Plain text has no marks for headings, so a heading is guessed as a person would: a short line
on its own, not ending like a sentence, followed by text. Bullets (•, -, *, ·, –) make a list.
Markdown is read with markdown-it (the renderer's own parser), so its headings are exactly
those the build would see; the text between them is kept as written.
"""

from __future__ import annotations

import re

from .article import Item

_BULLET = re.compile(r"^\s*(?:[•·▪◦‣–*-]|\d{1,2}[.)])\s+")
_NUMBERED = re.compile(r"^\s*\d{1,2}[.)]\s+")
MAX_HEADING_WORDS = 12
MAX_HEADING_CHARS = 90


def _heading_like(paragraph: str) -> bool:
    line = paragraph.strip()
    return ("\n" not in line and 0 < len(line) <= MAX_HEADING_CHARS and len(line.split()) <= MAX_HEADING_WORDS
            and not line.endswith((".", ",", ";", ":")) and not _BULLET.match(line))


def _list(paragraph: str) -> str | None:
    """A paragraph whose lines are bullets (or their continuations) as a Markdown list, else None."""
    lines = [line for line in paragraph.split("\n") if line.strip()]
    if not lines or not _BULLET.match(lines[0]):
        return None
    items: list[str] = []
    for line in lines:
        if _BULLET.match(line):
            marker = "1." if _NUMBERED.match(line) else "-"
            items.append(f"{marker} {_BULLET.sub('', line).strip()}")
        else:
            items[-1] += " " + line.strip()
    return "\n".join(items)


def text_items(text: str) -> list[Item]:
    """A plain-text article: paragraphs between blank lines; headings and lists found by their look."""
    paragraphs = [p.strip("\n") for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n"))]
    paragraphs = [p for p in paragraphs if p.strip()]
    items = []
    for index, paragraph in enumerate(paragraphs):
        listed = _list(paragraph)
        if listed:
            items.append(Item(listed))
        elif _heading_like(paragraph):
            # The first line, alone and short, before any text: the title; later ones start sections.
            items.append(Item(paragraph.strip(), 0 if index == 0 and len(paragraphs) > 1 else 2))
        else:
            items.append(Item(" ".join(line.strip() for line in paragraph.split("\n"))))
    return items


def markdown_items(text: str) -> list[Item]:
    """A Markdown article: its headings (ATX or underlined), and the Markdown between them as written."""
    from markdown_it import MarkdownIt

    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    tokens = MarkdownIt("commonmark").parse(text)
    items: list[Item] = []
    start = 0
    for index, token in enumerate(tokens):
        if token.type != "heading_open" or token.map is None or token.level != 0:
            continue
        first, after = token.map
        block = "\n".join(lines[start:first]).strip("\n")
        if block.strip():
            items.append(Item(block))
        items.append(Item(tokens[index + 1].content, int(token.tag[1])))
        start = after
    block = "\n".join(lines[start:]).strip("\n")
    if block.strip():
        items.append(Item(block))
    return items
